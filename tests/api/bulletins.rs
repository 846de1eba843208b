//! Bulletins: who receives them, who sees them, and the acknowledgement rules.

use lienket::domain::{Classification, Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Answer, TestApp, spawn_app, user_grant};

struct Fixture {
    cluster: String,
    units: Vec<String>,
    /// Officers of the three member units, in order.
    officers: Vec<String>,
    coordinator: String,
    outsider: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let mut units = Vec::new();
    for name in ["Công an huyện Gia Lâm", "Công an huyện Văn Lâm", "Công an huyện Văn Giang"] {
        units.push(app.unit(name).await);
    }
    let stranger = app.unit("Công an huyện Lệ Thủy").await;
    let cluster = app
        .cluster("Cụm giáp ranh", "liaison_cluster", &[&units[0], &units[1], &units[2]])
        .await;
    let token = |role, unit: &str| app.token(user_grant(role, unit.parse::<Uuid>().unwrap(), Classification::Internal));
    Fixture {
        officers: units.iter().map(|u| token(Role::Officer, u)).collect(),
        coordinator: token(Role::Coordinator, &units[0]),
        outsider: token(Role::Coordinator, &stranger),
        cluster,
        units,
    }
}

async fn acknowledge(app: &TestApp, token: &str, id: &str) -> Answer {
    app.post_as(
        token,
        &format!("/api/v1/bulletins/{id}/acknowledgements"),
        &json!({"note": "Đã nhận"}),
    )
    .await
}

fn ids(answer: &Answer) -> Vec<String> {
    answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Each recipient's `(unit id, acknowledged, late)`.
fn acknowledgements(bulletin: &Value) -> Vec<(String, bool, bool)> {
    let mut list: Vec<(String, bool, bool)> = bulletin["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["unit"]["id"].as_str().unwrap().to_owned(),
                !r["acknowledged_at"].is_null(),
                r["late"].as_bool().unwrap(),
            )
        })
        .collect();
    list.sort();
    list
}

#[actix_web::test]
async fn each_recipient_acknowledges_once_and_the_sender_sees_who_has() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let sent = app.post_as(&f.officers[0],
        "/api/v1/bulletins",
        &json!({"cluster_id": f.cluster, "title": "Thủ đoạn mới", "body": "Đề nghị tăng cường tuần tra.", "ack_due_at": "2099-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{sent:?}");
    let id = sent.id();
    assert_eq!(sent.body["sender_unit"]["id"], f.units[0].as_str());
    let mut expected = vec![(f.units[1].clone(), false, false), (f.units[2].clone(), false, false)];
    expected.sort();
    assert_eq!(acknowledgements(&sent.body), expected, "every other member receives it");
    assert_eq!(sent.body["pending_count"], 2);

    // The sender is not a recipient; an outsider does not see it at all.
    assert_eq!(acknowledge(&app, &f.officers[0], &id).await.status, StatusCode::FORBIDDEN);
    assert_eq!(acknowledge(&app, &f.outsider, &id).await.status, StatusCode::NOT_FOUND);

    // A recipient's inbox holds it until it acknowledges; then only once.
    let inbox = "/api/v1/bulletins?inbox=true&unacknowledged=true";
    assert_eq!(ids(&app.get_as(&f.officers[1], inbox).await), [id.as_str()]);
    let acked = acknowledge(&app, &f.officers[1], &id).await;
    assert_eq!(acked.status, StatusCode::OK, "{acked:?}");
    assert_eq!(acked.body["acknowledged_count"], 1);
    assert_eq!(acked.body["version"], 2, "an acknowledgement changes the bulletin's representation");
    let again = acknowledge(&app, &f.officers[1], &id).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{again:?}");
    assert!(ids(&app.get_as(&f.officers[1], inbox).await).is_empty());
    assert_eq!(ids(&app.get_as(&f.officers[2], inbox).await), [id.as_str()]);

    // The sender sees who has and who has not.
    let seen = app.get_as(&f.officers[0], &format!("/api/v1/bulletins/{id}")).await;
    let mut expected = vec![(f.units[1].clone(), true, false), (f.units[2].clone(), false, false)];
    expected.sort();
    assert_eq!(acknowledgements(&seen.body), expected);
    let recipient = seen.body["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit"]["id"] == f.units[1].as_str())
        .unwrap();
    assert_eq!(recipient["note"], "Đã nhận");
    assert!(recipient["latency_seconds"].as_i64().unwrap() >= 0);
    let pending = app.get_as(&f.officers[0], "/api/v1/bulletins?unacknowledged=true").await;
    assert_eq!(ids(&pending), [id.as_str()]);
    acknowledge(&app, &f.officers[2], &id).await;
    let pending = app.get_as(&f.officers[0], "/api/v1/bulletins?unacknowledged=true").await;
    assert!(ids(&pending).is_empty());

    let events = app.get(&format!("/api/v1/audit-events?resource_id={id}&action=acknowledge")).await;
    assert_eq!(events.body["items"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn chosen_recipients_only_and_late_acknowledgements_are_flagged() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let sent = app
        .post_as(
            &f.coordinator,
            "/api/v1/bulletins",
            &json!({"cluster_id": f.cluster, "recipient_unit_ids": [f.units[1]], "title": "Riêng", "body": "Chỉ gửi Văn Lâm",
                "ack_due_at": (chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339()}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{sent:?}");
    let id = sent.id();
    // A member unit it was not sent to neither sees nor acknowledges it.
    assert_eq!(
        app.get_as(&f.officers[2], &format!("/api/v1/bulletins/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(acknowledge(&app, &f.officers[2], &id).await.status, StatusCode::NOT_FOUND);
    assert!(ids(&app.get_as(&f.officers[2], "/api/v1/bulletins").await).is_empty());

    // Past the deadline, the pending recipient is late, and so is its acknowledgement.
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    let overdue = app.get_as(&f.coordinator, &format!("/api/v1/bulletins/{id}")).await;
    assert_eq!(acknowledgements(&overdue.body), [(f.units[1].clone(), false, true)]);
    let acked = acknowledge(&app, &f.officers[1], &id).await;
    assert_eq!(acknowledgements(&acked.body), [(f.units[1].clone(), true, true)]);
    let event = app.get(&format!("/api/v1/audit-events?resource_id={id}&action=acknowledge")).await;
    assert_eq!(event.body["items"][0]["changes"]["late"]["after"], true);
}

#[actix_web::test]
async fn bad_bulletins_are_refused_with_every_reason() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let stranger = app.unit("Công an huyện Quảng Ninh").await;
    let answer = app
        .post_as(
            &f.coordinator,
            "/api/v1/bulletins",
            &json!({"cluster_id": f.cluster, "title": " ", "body": "", "ack_due_at": "2020-01-01T00:00:00Z",
                "recipient_unit_ids": [f.units[1], f.units[1], f.units[0], stranger]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{answer:?}");
    let (_, mut errors) = answer.problem();
    errors.sort();
    assert_eq!(
        errors,
        [
            ("ack_due_at", "invalid_value"),
            ("body", "blank"),
            ("recipient_unit_ids[1]", "duplicate"),
            ("recipient_unit_ids[2]", "invalid_value"),
            ("recipient_unit_ids[3]", "not_a_member"),
            ("title", "blank"),
        ]
        .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );
    // An officer sends only for its own unit; an outsider's cluster is unknown to it.
    let body = json!({"cluster_id": f.cluster, "sender_unit_id": f.units[1], "title": "T", "body": "B"});
    assert_eq!(
        app.post_as(&f.officers[0], "/api/v1/bulletins", &body).await.status,
        StatusCode::FORBIDDEN
    );
    let answer = app.post_as(&f.outsider, "/api/v1/bulletins", &body).await;
    assert_eq!(answer.problem().1, [("cluster_id".to_owned(), "unknown_reference".to_owned())]);
    // About an incident of another cluster: unknown.
    let body = json!({"cluster_id": f.cluster, "incident_id": Uuid::now_v7(), "title": "T", "body": "B"});
    let answer = app.post_as(&f.officers[0], "/api/v1/bulletins", &body).await;
    assert_eq!(answer.problem().1, [("incident_id".to_owned(), "unknown_reference".to_owned())]);
}

#[actix_web::test]
async fn a_bulletin_about_an_incident_is_found_by_it_and_can_be_withdrawn() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let category = app.category("traffic").await;
    let incident = app.post_as(&f.officers[0],
        "/api/v1/incidents",
        &json!({"cluster_id": f.cluster, "category_id": category, "severity": "medium", "occurred_at": "2025-03-01T08:00:00Z", "summary": "Va chạm"}),
    )
    .await
    .id();
    let sent = app
        .post_as(
            &f.officers[0],
            "/api/v1/bulletins",
            &json!({"cluster_id": f.cluster, "incident_id": incident, "title": "Về vụ va chạm", "body": "Chi tiết"}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{sent:?}");
    let id = sent.id();
    let found = app
        .get_as(&f.officers[1], &format!("/api/v1/bulletins?incident_id={incident}"))
        .await;
    assert_eq!(ids(&found), [id.as_str()]);
    // Another unit's officer cannot withdraw it; its sender can.
    let path = format!("/api/v1/bulletins/{id}");
    assert_eq!(
        app.send(app.request_as(&f.officers[1], Method::DELETE, &path)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.send(app.request_as(&f.officers[0], Method::DELETE, &path)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get_as(&f.officers[1], &path).await.status, StatusCode::NOT_FOUND);
}
