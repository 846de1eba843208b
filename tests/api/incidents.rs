//! Incidents: the report, its workflow and timeline, reporting timeliness, and who may see and
//! change them.

use lienket::domain::{Classification, Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Answer, TestApp, spawn_app, user_grant};

struct Fixture {
    cluster: String,
    /// Member units of the cluster.
    home: String,
    peer: String,
    /// A unit of another cluster.
    stranger: String,
    category: String,
    officer: String,
    coordinator: String,
    peer_officer: String,
    analyst: String,
    outsider: String,
}

fn uuid(id: &str) -> Uuid {
    id.parse().unwrap()
}

async fn fixture(app: &TestApp) -> Fixture {
    let home = app.unit("Công an huyện Gia Lâm").await;
    let peer = app.unit("Công an huyện Văn Lâm").await;
    let stranger = app.unit("Công an huyện Lệ Thủy").await;
    let other = app.unit("Công an huyện Quảng Ninh").await;
    let cluster = app
        .create(
            "/api/v1/clusters",
            json!({"name": "Cụm giáp ranh", "kind": "liaison_cluster", "status": "active", "reporting_sla_hours": 24,
                   "members": [{"unit_id": home}, {"unit_id": peer}]}),
        )
        .await;
    app.cluster("Cụm khác", "bilateral", &[&stranger, &other]).await;
    let token = |role, unit: &str| app.token(user_grant(role, uuid(unit), Classification::Internal));
    Fixture {
        category: app.category("drugs").await,
        officer: token(Role::Officer, &home),
        coordinator: token(Role::Coordinator, &home),
        peer_officer: token(Role::Officer, &peer),
        analyst: token(Role::Analyst, &home),
        outsider: token(Role::Coordinator, &stranger),
        cluster,
        home,
        peer,
        stranger,
    }
}

impl Fixture {
    /// Reports the standard incident as the home unit's officer; returns its id.
    async fn reported(&self, app: &TestApp, occurred_at: &str, reported_at: &str) -> String {
        let answer = app
            .post_as(&self.officer, "/api/v1/incidents", &self.report(occurred_at, reported_at))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        answer.id()
    }

    fn report(&self, occurred_at: &str, reported_at: &str) -> Value {
        json!({"cluster_id": self.cluster, "category_id": self.category, "severity": "high",
               "occurred_at": occurred_at, "reported_at": reported_at,
               "location": "Đê tả sông Hồng", "summary": "Nhóm đối tượng tụ tập sử dụng ma túy",
               "counts": {"persons_involved": 4, "detained": 2}})
    }
}

async fn move_to(app: &TestApp, token: &str, id: &str, to: &str, note: Option<&str>) -> Answer {
    app.post_as(
        token,
        &format!("/api/v1/incidents/{id}/transitions"),
        &json!({"to": to, "note": note}),
    )
    .await
}

const ALL: [&str; 7] = ["reported", "verifying", "verified", "unfounded", "handling", "resolved", "closed"];

/// The moves the workflow allows from each status.
fn allowed(status: &str) -> &'static [&'static str] {
    match status {
        "reported" => &["verifying"],
        "verifying" => &["verified", "unfounded"],
        "verified" => &["handling"],
        "handling" => &["resolved"],
        "unfounded" | "resolved" => &["closed"],
        _ => &[],
    }
}

/// Checks that every move the workflow does not allow from the incident's status is refused
/// with a 409 naming the allowed ones, and changes nothing.
async fn every_illegal_move_is_refused(app: &TestApp, token: &str, id: &str, status: &str) {
    let before = app.get_as(token, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(before.body["status"], status);
    let expected: Vec<Value> = allowed(status).iter().map(|s| json!(s)).collect();
    assert_eq!(before.body["allowed_transitions"], json!(expected), "{status}");
    for to in ALL.iter().filter(|to| !allowed(status).contains(to)) {
        let answer = move_to(app, token, id, to, None).await;
        assert_eq!(answer.status, StatusCode::CONFLICT, "{status} → {to}: {answer:?}");
        let detail = answer.body["detail"].as_str().unwrap();
        let names = if allowed(status).is_empty() {
            "none".to_owned()
        } else {
            allowed(status).join(", ")
        };
        assert!(detail.ends_with(&format!("allowed: {names}.")), "{status} → {to}: {detail}");
    }
    let after = app.get_as(token, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(after.body["version"], before.body["version"], "refused moves change nothing");
}

#[actix_web::test]
async fn an_incident_walks_every_legal_move_and_refuses_every_illegal_one() {
    let app = spawn_app().await;
    let f = fixture(&app).await;

    // Verified and handled to the end.
    let created = app
        .post_as(
            &f.officer,
            "/api/v1/incidents",
            &f.report("2025-03-01T21:30:00+07:00", "2025-03-01T23:00:00+07:00"),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let id = created.id();
    assert_eq!(created.body["status"], "reported");
    assert_eq!(
        created.body["reporting_unit"]["id"],
        f.home.as_str(),
        "the caller's unit by default"
    );
    assert_eq!(
        created.body["classification"], "internal",
        "the cluster's classification by default"
    );
    assert_eq!(
        created.body["counts"],
        json!({"persons_involved": 4, "injured": null, "deaths": null, "detained": 2})
    );
    assert_eq!(created.body["category"]["code"], "drugs");
    every_illegal_move_is_refused(&app, &f.officer, &id, "reported").await;
    let path = ["verifying", "verified", "handling", "resolved", "closed"];
    for (step, to) in path.iter().enumerate() {
        let note = format!("Bước {step}");
        let answer = move_to(&app, &f.coordinator, &id, to, Some(&note)).await;
        assert_eq!(answer.status, StatusCode::OK, "→ {to}: {answer:?}");
        assert_eq!(answer.body["status"], *to);
        assert_eq!(
            answer.header("etag").map(|e| e.starts_with(&format!("\"{}-", step + 2))),
            Some(true)
        );
        every_illegal_move_is_refused(&app, &f.officer, &id, to).await;
    }

    // Found baseless.
    let baseless = app
        .post_as(
            &f.officer,
            "/api/v1/incidents",
            &f.report("2025-03-02T08:00:00Z", "2025-03-02T09:00:00Z"),
        )
        .await;
    let other = baseless.id();
    for to in ["verifying", "unfounded"] {
        assert_eq!(move_to(&app, &f.officer, &other, to, None).await.status, StatusCode::OK, "→ {to}");
    }
    every_illegal_move_is_refused(&app, &f.officer, &other, "unfounded").await;
    assert_eq!(move_to(&app, &f.officer, &other, "closed", None).await.status, StatusCode::OK);

    // The timeline keeps every step with who took it, when and the note.
    let timeline = app.get_as(&f.officer, &format!("/api/v1/incidents/{id}/timeline")).await;
    assert_eq!(timeline.status, StatusCode::OK, "{timeline:?}");
    let steps = timeline.body["items"].as_array().unwrap();
    let moves: Vec<(Value, Value)> = steps.iter().map(|s| (s["from_status"].clone(), s["to_status"].clone())).collect();
    assert_eq!(
        moves,
        vec![
            (Value::Null, json!("reported")),
            (json!("reported"), json!("verifying")),
            (json!("verifying"), json!("verified")),
            (json!("verified"), json!("handling")),
            (json!("handling"), json!("resolved")),
            (json!("resolved"), json!("closed")),
        ]
    );
    assert_eq!(steps[1]["note"], "Bước 0");
    assert_eq!(steps[1]["actor"]["type"], "user");
    assert_eq!(steps[1]["actor"]["unit_id"], f.home.as_str());
    let times: Vec<&str> = steps.iter().map(|s| s["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order: {times:?}");
    let newest_first = app
        .get_as(&f.officer, &format!("/api/v1/incidents/{id}/timeline?sort=-at&limit=1"))
        .await;
    assert_eq!(newest_first.body["items"][0]["to_status"], "closed");
    assert!(newest_first.body["next_cursor"].is_string());

    // A closed incident's record no longer changes.
    let edit = app
        .patch_as(&f.coordinator, &format!("/api/v1/incidents/{id}"), &json!({"severity": "low"}))
        .await;
    assert_eq!(edit.status, StatusCode::CONFLICT, "{edit:?}");

    // Every step is in the audit trail.
    let events = app.get(&format!("/api/v1/audit-events?resource_id={id}&action=transition")).await;
    assert_eq!(events.body["items"].as_array().unwrap().len(), 5, "{events:?}");
}

#[actix_web::test]
async fn a_transition_honours_if_match_and_the_status_is_not_patched() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let id = f.reported(&app, "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z").await;
    let stale = app
        .send(
            app.request_as(&f.officer, Method::POST, &format!("/api/v1/incidents/{id}/transitions"))
                .header("if-match", "\"7\"")
                .json(&json!({"to": "verifying"})),
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{stale:?}");
    let patched = app
        .patch_as(&f.officer, &format!("/api/v1/incidents/{id}"), &json!({"status": "closed"}))
        .await;
    assert_eq!(patched.status, StatusCode::BAD_REQUEST, "{patched:?}");
    let unknown = move_to(&app, &f.officer, &id, "archived", None).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{unknown:?}");
    let long_note = "x".repeat(2001);
    let answer = move_to(&app, &f.officer, &id, "verifying", Some(&long_note)).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{answer:?}");
}

#[actix_web::test]
async fn reporting_delay_is_judged_against_the_cluster_sla() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let cases = [
        ("2025-03-01T08:00:00+07:00", "2025-03-01T09:30:00+07:00", 5400, Some(true)),
        ("2025-03-01T08:00:00Z", "2025-03-02T08:00:00Z", 86_400, Some(true)),
        ("2025-03-01T08:00:00Z", "2025-03-02T14:00:00Z", 108_000, Some(false)),
    ];
    for (occurred, reported, delay, within) in cases {
        let answer = app.post_as(&f.officer, "/api/v1/incidents", &f.report(occurred, reported)).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        assert_eq!(answer.body["timeliness"]["delay_seconds"], delay, "{occurred} → {reported}");
        assert_eq!(answer.body["timeliness"]["sla_hours"], 24);
        assert_eq!(answer.body["timeliness"]["within_sla"], json!(within), "{occurred} → {reported}");
    }
    // Without an SLA the judgement is null; correcting the occurrence time recomputes the delay.
    let path = format!("/api/v1/clusters/{}", f.cluster);
    assert_eq!(app.patch(&path, &json!({"reporting_sla_hours": null})).await.status, StatusCode::OK);
    let answer = app
        .post_as(
            &f.officer,
            "/api/v1/incidents",
            &f.report("2025-03-01T08:00:00Z", "2025-03-01T10:00:00Z"),
        )
        .await;
    assert_eq!(answer.body["timeliness"]["within_sla"], Value::Null);
    let id = answer.id();
    let corrected = app
        .patch_as(
            &f.officer,
            &format!("/api/v1/incidents/{id}"),
            &json!({"occurred_at": "2025-03-01T09:00:00Z"}),
        )
        .await;
    assert_eq!(corrected.status, StatusCode::OK, "{corrected:?}");
    assert_eq!(corrected.body["timeliness"]["delay_seconds"], 3600);
}

#[actix_web::test]
async fn bad_reports_are_refused_with_every_reason() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let answer = app
        .post_as(
            &f.coordinator,
            "/api/v1/incidents",
            &json!({"cluster_id": f.cluster, "category_id": Uuid::now_v7(), "severity": "low",
                "occurred_at": "2025-03-02T08:00:00Z", "reported_at": "2025-03-01T08:00:00Z",
                "reporting_unit_id": f.stranger, "area_id": Uuid::now_v7(), "summary": "  ",
                "counts": {"injured": -1, "deaths": 2_000_000}}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{answer:?}");
    let (_, mut errors) = answer.problem();
    errors.sort();
    let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "area_id",
            "category_id",
            "counts.deaths",
            "counts.injured",
            "occurred_at",
            "reporting_unit_id",
            "summary"
        ],
        "{errors:?}"
    );

    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let answer = app
        .post_as(&f.officer, "/api/v1/incidents", &f.report("2025-03-01T08:00:00Z", &future))
        .await;
    assert_eq!(answer.problem().1, [("reported_at".to_owned(), "invalid_value".to_owned())]);

    for bad in ["2025-03-01 08:00", "2025-03-01", "12025-03-01T08:00:00Z", "1800-01-01T00:00:00Z"] {
        let mut body = f.report("2025-03-01T08:00:00Z", "2025-03-01T09:00:00Z");
        body["occurred_at"] = json!(bad);
        let answer = app.post_as(&f.officer, "/api/v1/incidents", &body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}: {answer:?}");
    }

    // A retired category takes no new reports.
    let retired = app.category("other").await;
    assert_eq!(
        app.patch(&format!("/api/v1/incident-categories/{retired}"), &json!({"active": false}))
            .await
            .status,
        StatusCode::OK
    );
    let mut body = f.report("2025-03-01T08:00:00Z", "2025-03-01T09:00:00Z");
    body["category_id"] = json!(retired);
    let answer = app.post_as(&f.officer, "/api/v1/incidents", &body).await;
    assert_eq!(answer.problem().1, [("category_id".to_owned(), "retired".to_owned())]);

    // Above the caller's clearance.
    let mut body = f.report("2025-03-01T08:00:00Z", "2025-03-01T09:00:00Z");
    body["classification"] = json!("secret");
    let answer = app.post_as(&f.officer, "/api/v1/incidents", &body).await;
    assert_eq!(answer.problem().1, [("classification".to_owned(), "above_clearance".to_owned())]);
}

#[actix_web::test]
async fn members_see_their_clusters_incidents_and_officers_change_only_their_own() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let id = f.reported(&app, "2025-03-01T08:00:00Z", "2025-03-01T09:00:00Z").await;
    let path = format!("/api/v1/incidents/{id}");

    // Another cluster's unit cannot report here, nor see the incident.
    let answer = app
        .post_as(
            &f.outsider,
            "/api/v1/incidents",
            &f.report("2025-03-01T08:00:00Z", "2025-03-01T09:00:00Z"),
        )
        .await;
    assert_eq!(answer.problem().1, [("cluster_id".to_owned(), "unknown_reference".to_owned())]);
    assert_eq!(app.get_as(&f.outsider, &path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_as(&f.outsider, &format!("{path}/timeline")).await.status,
        StatusCode::NOT_FOUND
    );
    let listed = app.get_as(&f.outsider, "/api/v1/incidents").await;
    assert_eq!(listed.body["items"], json!([]));
    assert_eq!(
        move_to(&app, &f.outsider, &id, "verifying", None).await.status,
        StatusCode::NOT_FOUND
    );

    // The peer unit's officer reads it but may not change it, nor report as another unit.
    assert_eq!(app.get_as(&f.peer_officer, &path).await.status, StatusCode::OK);
    assert_eq!(
        move_to(&app, &f.peer_officer, &id, "verifying", None).await.status,
        StatusCode::FORBIDDEN
    );
    let edit = app.patch_as(&f.peer_officer, &path, &json!({"severity": "low"})).await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);
    let mut body = f.report("2025-03-01T08:00:00Z", "2025-03-01T09:00:00Z");
    body["reporting_unit_id"] = json!(f.home);
    assert_eq!(
        app.post_as(&f.peer_officer, "/api/v1/incidents", &body).await.status,
        StatusCode::FORBIDDEN
    );
    // A coordinator may report for another member unit.
    body["reporting_unit_id"] = json!(f.peer);
    assert_eq!(
        app.post_as(&f.coordinator, "/api/v1/incidents", &body).await.status,
        StatusCode::CREATED
    );

    // Analysts read; they do not write.
    assert_eq!(app.get_as(&f.analyst, &path).await.status, StatusCode::OK);
    assert_eq!(
        move_to(&app, &f.analyst, &id, "verifying", None).await.status,
        StatusCode::FORBIDDEN
    );

    // An incident classified above a member's clearance is invisible to it.
    let mut secret = f.report("2025-03-01T08:00:00Z", "2025-03-01T09:00:00Z");
    secret["classification"] = json!("secret");
    secret["reporting_unit_id"] = json!(f.home);
    let hidden = app.create("/api/v1/incidents", secret).await;
    assert_eq!(
        app.get_as(&f.officer, &format!("/api/v1/incidents/{hidden}")).await.status,
        StatusCode::NOT_FOUND
    );
    let listed = app.get_as(&f.officer, "/api/v1/incidents").await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 2);
    // Reading it is audited.
    assert_eq!(app.get(&format!("/api/v1/incidents/{hidden}")).await.status, StatusCode::OK);
    let reads = app.get(&format!("/api/v1/audit-events?resource_id={hidden}&action=read")).await;
    assert_eq!(reads.body["items"].as_array().unwrap().len(), 1, "{reads:?}");
}

#[actix_web::test]
async fn incidents_are_filtered_searched_and_sorted() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let traffic = app.category("traffic").await;
    let reports = [
        ("2025-01-10T08:00:00Z", &f.category, "Tụ tập sử dụng ma túy", "high"),
        ("2025-02-10T08:00:00Z", &traffic, "Va chạm giao thông trên quốc lộ 5", "low"),
        ("2025-03-10T08:00:00Z", &f.category, "Mua bán trái phép chất ma túy", "critical"),
    ];
    let mut ids = Vec::new();
    for (at, category, summary, severity) in reports {
        let mut body = f.report(at, "2025-03-20T08:00:00Z");
        body["category_id"] = json!(category);
        body["summary"] = json!(summary);
        body["severity"] = json!(severity);
        ids.push(app.post_as(&f.officer, "/api/v1/incidents", &body).await.id());
    }
    move_to(&app, &f.officer, &ids[0], "verifying", None).await;
    let listed = |query: &str| {
        let path = format!("/api/v1/incidents?{query}");
        let app = &app;
        let token = f.officer.clone();
        async move {
            let answer = app.get_as(&token, &path).await;
            assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
            answer.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("").await, [ids[2].clone(), ids[1].clone(), ids[0].clone()], "newest first");
    assert_eq!(listed("sort=occurred_at").await, ids);
    assert_eq!(listed(&format!("category_id={traffic}")).await, [ids[1].clone()]);
    assert_eq!(listed("status=verifying").await, [ids[0].clone()]);
    assert_eq!(listed("severity=critical").await, [ids[2].clone()]);
    assert_eq!(listed("q=MA%20TUY").await, [ids[2].clone(), ids[0].clone()]);
    assert_eq!(
        listed("occurred_from=2025-02-01T00:00:00Z&occurred_to=2025-03-10T08:00:00Z").await,
        [ids[1].clone()],
        "from inclusive, to exclusive"
    );
    assert_eq!(listed(&format!("reporting_unit_id={}", f.peer)).await, Vec::<String>::new());
    assert_eq!(listed(&format!("cluster_id={}", f.cluster)).await.len(), 3);
    // Pages follow the order across cursors.
    let first = app.get_as(&f.officer, "/api/v1/incidents?limit=2").await;
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app.get_as(&f.officer, &format!("/api/v1/incidents?limit=2&cursor={cursor}")).await;
    assert_eq!(second.body["items"][0]["id"], ids[0].as_str());
    let bad = app.get_as(&f.officer, "/api/v1/incidents?occurred_from=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn a_deleted_incident_leaves_reads_and_lists() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let id = f.reported(&app, "2025-03-01T08:00:00Z", "2025-03-01T09:00:00Z").await;
    let path = format!("/api/v1/incidents/{id}");
    let officer_delete = app.send(app.request_as(&f.officer, Method::DELETE, &path)).await;
    assert_eq!(officer_delete.status, StatusCode::FORBIDDEN, "officers do not delete");
    let deleted = app.send(app.request_as(&f.coordinator, Method::DELETE, &path)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{deleted:?}");
    assert_eq!(app.get_as(&f.officer, &path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get_as(&f.officer, "/api/v1/incidents").await.body["items"], json!([]));
}
