//! Activities: joint work with participants, places, a status and figures credited to units.

use lienket::domain::{Classification, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{spawn_app, user_grant};

fn codes(errors: &[(String, String)]) -> Vec<(&str, &str)> {
    errors.iter().map(|(f, c)| (f.as_str(), c.as_str())).collect()
}

#[actix_web::test]
async fn an_activity_moves_along_its_status_and_credits_each_figure_to_one_unit() {
    let app = spawn_app().await;
    let area = app.province("01", "Thành phố Hà Nội").await;
    let police = app.unit("Công an huyện Ứng Hòa").await;
    let military = app.unit("Ban CHQS huyện Ứng Hòa").await;
    let militia = app.unit("Dân quân xã Hòa Nam").await;
    let cluster = app.cluster("Phối hợp Ứng Hòa", "bilateral", &[&military, &police]).await;

    // The lead joins the participants first even when listed later; planned work has no results.
    let body = json!({"cluster_id": cluster, "kind": "patrol", "title": "Tuần tra đêm", "lead_unit_id": police,
                      "starts_at": "2024-06-01T19:00:00+07:00", "ends_at": "2024-06-01T23:00:00+07:00",
                      "participants": [{"unit_id": military, "personnel": 10}, {"unit_id": police, "personnel": 15}, {"unit_id": militia}],
                      "area_ids": [area], "location": "Đê sông Đáy",
                      "figures": [{"name": "cases_detected", "value": 2}]});
    let refused = app.post("/api/v1/activities", &body).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&refused.problem().1), [("figures", "not_started")]);
    let mut body = body;
    body.as_object_mut().unwrap().remove("figures");
    let created = app.post("/api/v1/activities", &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let units: Vec<&str> = created.body["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["unit"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(units, [police.as_str(), military.as_str(), militia.as_str()]);
    assert_eq!(created.body["personnel_total"], 25, "the militia stated no number");
    assert_eq!(created.body["status"], "planned");
    assert_eq!(
        created.body["allowed_transitions"],
        json!(["in_progress", "completed", "cancelled"])
    );
    let path = format!("/api/v1/activities/{}", created.id());

    // Under way it takes figures: by default the lead's; a joint result is split explicitly.
    let figures = json!([{"name": "cases_detected", "value": 5}, {"name": "cases_detected", "value": 2, "unit_id": military},
                         {"name": "persons_handled", "value": 16}]);
    let started = app.patch(&path, &json!({"status": "in_progress", "figures": figures})).await;
    assert_eq!(started.status, StatusCode::OK, "{started:?}");
    assert_eq!(started.body["figures"][0]["unit_id"], police.as_str());
    assert_eq!(
        started.body["figure_totals"],
        json!([{"name": "cases_detected", "value": 7}, {"name": "persons_handled", "value": 16}])
    );

    // Figures must suit the kind, go to a participant, and appear once per name and unit.
    let stranger = app.unit("Công an huyện Khác").await;
    let bad = app
        .patch(
            &path,
            &json!({"figures": [{"name": "attendees", "value": 1}, {"name": "cases_handled", "value": 1, "unit_id": stranger},
                                {"name": "cases_detected", "value": 1}, {"name": "cases_detected", "value": -1}]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&bad.problem().1),
        [
            ("figures[0].name", "not_for_kind"),
            ("figures[1].unit_id", "not_a_participant"),
            ("figures[3].value", "out_of_range"),
            ("figures[3]", "duplicate"),
        ]
    );
    // Changing the kind checks the figures against the new kind.
    let kind = app.patch(&path, &json!({"kind": "training"})).await;
    assert_eq!(codes(&kind.problem().1)[0], ("figures[0].name", "not_for_kind"));

    // Completed is final: no cancelling afterwards, and an illegal move names the allowed ones.
    let done = app.patch(&path, &json!({"status": "completed"})).await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(done.body["allowed_transitions"], json!([]));
    let back = app.patch(&path, &json!({"status": "cancelled"})).await;
    assert_eq!(back.status, StatusCode::CONFLICT, "{back:?}");
    assert!(back.body["detail"].as_str().unwrap().contains("completed"), "{back:?}");

    // Bad times and references.
    let wrong = app
        .post(
            "/api/v1/activities",
            &json!({"cluster_id": cluster, "kind": "drill", "title": " ", "lead_unit_id": stranger,
                    "starts_at": "2024-06-01T19:00:00+07:00", "ends_at": "2024-06-01T18:00:00+07:00",
                    "participants": [{"unit_id": military, "personnel": -3}, {"unit_id": military}], "area_ids": [stranger]}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = wrong.problem().1;
    let mut found = codes(&errors);
    found.sort_unstable();
    assert_eq!(
        found,
        [
            ("area_ids[0]", "unknown_reference"),
            ("ends_at", "date_order"),
            ("lead_unit_id", "not_a_member"),
            ("participants[1].personnel", "out_of_range"),
            ("participants[2].unit_id", "duplicate"),
            ("title", "blank"),
        ]
    );
    let future = app
        .post(
            "/api/v1/activities",
            &json!({"cluster_id": cluster, "kind": "drill", "title": "Diễn tập", "status": "completed", "starts_at": "2999-01-01T00:00:00Z",
                    "lead_unit_id": police}),
        )
        .await;
    assert_eq!(codes(&future.problem().1), [("starts_at", "invalid_value")]);

    // Lists filter by participating unit, area, kind, status and words.
    let other = app
        .create(
            "/api/v1/activities",
            json!({"cluster_id": cluster, "kind": "outreach", "title": "Tuyên truyền pháp luật", "lead_unit_id": military,
                   "status": "completed", "starts_at": "2024-07-01T08:00:00+07:00", "figures": [{"name": "sessions_held", "value": 3}]}),
        )
        .await;
    let ids = |answer: Value| -> Vec<String> {
        answer["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = app.get(&format!("/api/v1/activities?cluster_id={cluster}")).await;
    assert_eq!(ids(all.body), [other.clone(), created.id()], "latest start first");
    let militia_work = app.get(&format!("/api/v1/activities?unit_id={militia}")).await;
    assert_eq!(ids(militia_work.body), [created.id()]);
    let in_area = app.get(&format!("/api/v1/activities?area_id={area}")).await;
    assert_eq!(ids(in_area.body), [created.id()]);
    let outreach = app.get("/api/v1/activities?kind=outreach&status=completed").await;
    assert_eq!(ids(outreach.body), [other]);
    let words = app.get("/api/v1/activities?q=song%20day").await;
    assert_eq!(ids(words.body), [created.id()]);
    let early = app.get("/api/v1/activities?starts_to=2024-06-15T00:00:00Z&sort=starts_at").await;
    assert_eq!(ids(early.body), [created.id()]);
}

#[actix_web::test]
async fn members_record_their_work_and_dissolved_clusters_take_no_new_records() {
    let app = spawn_app().await;
    let home = app.unit("Công an huyện Kỳ Anh").await;
    let peer = app.unit("Ban CHQS huyện Kỳ Anh").await;
    let far = app.unit("Công an huyện Xa").await;
    let cluster = app.cluster("Phối hợp Kỳ Anh", "bilateral", &[&home, &peer]).await;
    let token = |role, unit: &str| app.token(user_grant(role, unit.parse().unwrap(), Classification::Internal));
    let officer = token(Role::Officer, &home);
    let peer_officer = token(Role::Officer, &peer);
    let analyst = token(Role::Analyst, &home);
    let outsider = token(Role::Coordinator, &far);

    let body = json!({"cluster_id": cluster, "kind": "crackdown_campaign", "title": "Đợt cao điểm", "status": "in_progress",
                      "starts_at": "2023-03-01T00:00:00+07:00"});
    let created = app.post_as(&officer, "/api/v1/activities", &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.body["lead_unit"]["id"], home.as_str(), "the caller's unit leads by default");
    assert_eq!(
        created.body["classification"], "internal",
        "the cluster's classification by default"
    );
    let path = format!("/api/v1/activities/{}", created.id());

    // A peer reads but does not change another unit's activity; an analyst only reads.
    assert_eq!(app.get_as(&peer_officer, &path).await.status, StatusCode::OK);
    let edit = app.patch_as(&peer_officer, &path, &json!({"title": "Khác"})).await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get_as(&analyst, &path).await.status, StatusCode::OK);
    assert_eq!(
        app.patch_as(&analyst, &path, &json!({"title": "Khác"})).await.status,
        StatusCode::FORBIDDEN
    );
    // An outsider does not see it, and cannot record into the cluster.
    assert_eq!(app.get_as(&outsider, &path).await.status, StatusCode::NOT_FOUND);
    let listed = app.get_as(&outsider, "/api/v1/activities").await;
    assert_eq!(listed.body["items"], json!([]));
    let foreign = app.post_as(&outsider, "/api/v1/activities", &body).await;
    assert_eq!(codes(&foreign.problem().1), [("cluster_id", "unknown_reference")]);
    // An officer records only what its own unit leads.
    let for_peer = app
        .post_as(
            &officer,
            "/api/v1/activities",
            &json!({"cluster_id": cluster, "kind": "patrol", "title": "Tuần tra",
                   "lead_unit_id": peer, "starts_at": "2023-03-01T00:00:00+07:00"}),
        )
        .await;
    assert_eq!(for_peer.status, StatusCode::FORBIDDEN);

    // Once the cluster is dissolved it takes no new activities, incidents or bulletins.
    let dissolve = app
        .patch(&format!("/api/v1/clusters/{cluster}"), &json!({"status": "dissolved"}))
        .await;
    assert_eq!(dissolve.status, StatusCode::OK, "{dissolve:?}");
    let late = app.post_as(&officer, "/api/v1/activities", &body).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{late:?}");
    let category = app.category("drugs").await;
    let incident = app
        .post_as(
            &officer,
            "/api/v1/incidents",
            &json!({"cluster_id": cluster, "category_id": category, "severity": "low", "occurred_at": "2025-03-01T00:00:00Z", "summary": "Tin báo"}),
        )
        .await;
    assert_eq!(incident.status, StatusCode::CONFLICT, "{incident:?}");
    let bulletin = app
        .post_as(
            &officer,
            "/api/v1/bulletins",
            &json!({"cluster_id": cluster, "title": "Tin", "body": "Nội dung"}),
        )
        .await;
    assert_eq!(bulletin.status, StatusCode::CONFLICT, "{bulletin:?}");
    // What it recorded before stays readable and can still be closed off.
    let finish = app.patch_as(&officer, &path, &json!({"status": "completed"})).await;
    assert_eq!(finish.status, StatusCode::OK, "{finish:?}");
}
