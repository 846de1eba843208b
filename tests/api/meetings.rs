//! Meetings, the figures they report as stated, their action items, and briefing cadence.

use chrono::{Duration, Utc};
use lienket::domain::{Classification, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{spawn_app, user_grant};

fn ids(answer: &Value) -> Vec<&str> {
    answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect()
}

#[actix_web::test]
async fn a_review_keeps_its_figures_as_stated_and_its_decisions_until_done() {
    let app = spawn_app().await;
    let police = app.unit("Công an huyện Kỳ Anh").await;
    let military = app.unit("Ban CHQS huyện Kỳ Anh").await;
    let guest = app.unit("UBND huyện Kỳ Anh").await;
    let cluster = app.cluster("Phối hợp Kỳ Anh", "bilateral", &[&police, &military]).await;
    let coordinator = app.token(user_grant(Role::Coordinator, police.parse().unwrap(), Classification::Internal));
    let officer = app.token(user_grant(Role::Officer, military.parse().unwrap(), Classification::Internal));
    let peer_officer = app.token(user_grant(Role::Officer, police.parse().unwrap(), Classification::Internal));

    let review = app
        .post_as(
            &coordinator,
            "/api/v1/meetings",
            &json!({"cluster_id": cluster, "kind": "annual_review", "title": "Tổng kết năm 2023", "held_at": "2024-01-12T08:00:00+07:00",
                    "attending_unit_ids": [military, guest], "period_from": "2023-01-01", "period_to": "2023-12-31",
                    "reported_figures": [{"name": "Tội phạm về trật tự xã hội so với năm 2022", "value": -26.82, "unit": "%"}]}),
        )
        .await;
    assert_eq!(review.status, StatusCode::CREATED, "{review:?}");
    assert_eq!(review.body["host_unit"]["id"], police.as_str());
    let attending: Vec<&str> = review.body["attending_units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(attending, [police.as_str(), military.as_str(), guest.as_str()], "the host first");
    assert_eq!(review.body["reported_figures"][0]["value"], -26.82, "kept exactly as stated");
    let meeting = review.id();

    // Officers do not record meetings; a bad meeting lists every fault.
    let refused = app
        .post_as(
            &officer,
            "/api/v1/meetings",
            &json!({"cluster_id": cluster, "kind": "briefing", "title": "Giao ban", "held_at": "2024-02-01T08:00:00Z"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let bad = app
        .post(
            "/api/v1/meetings",
            &json!({"cluster_id": cluster, "kind": "briefing", "title": "", "held_at": "2024-02-01T08:00:00Z", "host_unit_id": guest,
                    "period_from": "2024-01-31", "period_to": "2024-01-01", "attending_unit_ids": [military, military],
                    "reported_figures": [{"name": " ", "value": 1}]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut errors: Vec<(String, String)> = bad.problem().1;
    errors.sort();
    let errors: Vec<(&str, &str)> = errors.iter().map(|(f, c)| (f.as_str(), c.as_str())).collect();
    assert_eq!(
        errors,
        [
            ("attending_unit_ids[1]", "duplicate"),
            ("host_unit_id", "not_a_member"),
            ("period_to", "date_order"),
            ("reported_figures[0].name", "blank"),
            ("title", "blank"),
        ]
    );

    // Decisions: one overdue, one due later, one without a day.
    let items_path = format!("/api/v1/meetings/{meeting}/action-items");
    let item = |body: Value| {
        let (app, token, path) = (&app, &coordinator, &items_path);
        async move { app.post_as(token, path, &body).await }
    };
    let yesterday = (Utc::now() + Duration::hours(7) - Duration::days(1)).date_naive();
    let late = item(json!({"title": "Rà soát địa bàn giáp ranh", "owner_unit_id": military, "due_on": yesterday.to_string()})).await;
    assert_eq!(late.status, StatusCode::CREATED, "{late:?}");
    assert_eq!(
        (late.body["status"].as_str(), late.body["overdue"].as_bool()),
        (Some("open"), Some(true))
    );
    let later = item(json!({"title": "Tuần tra chung hằng tháng", "owner_unit_id": military, "due_on": "2999-12-31"})).await;
    assert_eq!(later.body["overdue"], false);
    let undated = item(json!({"title": "Trao đổi thông tin", "owner_unit_id": police})).await;
    let outsider_owner = item(json!({"title": "Việc của khách", "owner_unit_id": guest})).await;
    assert_eq!(
        outsider_owner.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only member units own decisions"
    );

    let overdue = app
        .get(&format!("/api/v1/action-items?owner_unit_id={military}&overdue=true"))
        .await;
    assert_eq!(ids(&overdue.body), [late.id().as_str()]);
    let not_overdue = app.get("/api/v1/action-items?overdue=false").await;
    assert_eq!(
        ids(&not_overdue.body),
        [later.id().as_str(), undated.id().as_str()],
        "due first, undated last"
    );
    let of_meeting = app
        .get(&format!("/api/v1/action-items?meeting_id={meeting}&status=open&sort=-due_on"))
        .await;
    assert_eq!(ids(&of_meeting.body).len(), 3);

    // The owner's officer marks it done; another unit's officer may not; done is final.
    let path = format!("/api/v1/action-items/{}", late.id());
    let foreign = app.patch_as(&peer_officer, &path, &json!({"status": "done"})).await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    let done = app
        .patch_as(&officer, &path, &json!({"status": "done", "note": "Đã hoàn thành"}))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{done:?}");
    assert_eq!(
        (done.body["overdue"].as_bool(), done.body["closed_at"].is_string()),
        (Some(false), true)
    );
    let reopen = app.patch_as(&officer, &path, &json!({"status": "open"})).await;
    assert_eq!(reopen.status, StatusCode::CONFLICT);
    let overdue = app.get("/api/v1/action-items?overdue=true").await;
    assert_eq!(ids(&overdue.body), Vec::<&str>::new());

    // Reading a confidential meeting or one of its decisions leaves an audit event.
    let secret = app
        .create(
            "/api/v1/meetings",
            json!({"cluster_id": cluster, "kind": "interim_review", "title": "Sơ kết 6 tháng", "host_unit_id": police,
                   "held_at": "2024-07-01T08:00:00+07:00", "classification": "confidential"}),
        )
        .await;
    let decision = app
        .create(
            &format!("/api/v1/meetings/{secret}/action-items"),
            json!({"title": "Chuyên án chung", "owner_unit_id": police}),
        )
        .await;
    assert_eq!(app.get(&format!("/api/v1/meetings/{secret}")).await.status, StatusCode::OK);
    assert_eq!(app.get(&format!("/api/v1/action-items/{decision}")).await.status, StatusCode::OK);
    for id in [&secret, &decision] {
        let reads = app.get(&format!("/api/v1/audit-events?resource_id={id}&action=read")).await;
        assert_eq!(reads.body["items"].as_array().unwrap().len(), 1, "{reads:?}");
    }
    assert_eq!(
        app.get_as(&officer, &format!("/api/v1/action-items/{decision}")).await.status,
        StatusCode::NOT_FOUND,
        "above an internal clearance"
    );

    // A meeting with decisions is not deleted; lists filter by kind, unit and words.
    let delete = app.delete(&format!("/api/v1/meetings/{meeting}")).await;
    assert_eq!(delete.status, StatusCode::CONFLICT);
    let found = app
        .get(&format!("/api/v1/meetings?kind=annual_review&unit_id={guest}&q=tong%20ket"))
        .await;
    assert_eq!(ids(&found.body), [meeting.as_str()]);
    assert_eq!(app.get("/api/v1/meetings?kind=briefing").await.body["items"], json!([]));
}

#[actix_web::test]
async fn a_cluster_with_a_cadence_shows_when_its_next_briefing_is_due() {
    let app = spawn_app().await;
    let first = app.unit("Công an huyện Gia Lâm").await;
    let second = app.unit("Công an quận Long Biên").await;
    let cluster = app
        .create(
            "/api/v1/clusters",
            json!({"name": "Cụm", "kind": "liaison_cluster", "status": "active", "established_on": "2020-01-15", "briefing_cadence": "quarterly",
                   "members": [{"unit_id": first}, {"unit_id": second}]}),
        )
        .await;
    let path = format!("/api/v1/clusters/{cluster}");
    let before = app.get(&path).await;
    assert_eq!(before.body["briefing_cadence"], "quarterly");
    assert_eq!(
        before.body["briefing"],
        json!({"cadence": "quarterly", "last_held_at": null, "next_due_on": "2020-04-15", "overdue": true})
    );

    // A briefing held yesterday (Vietnam time) moves the next one a month on once monthly.
    let held = Utc::now() - Duration::days(1);
    let briefing = app
        .post(
            "/api/v1/meetings",
            &json!({"cluster_id": cluster, "kind": "briefing", "title": "Giao ban", "host_unit_id": first, "held_at": held.to_rfc3339()}),
        )
        .await;
    assert_eq!(briefing.status, StatusCode::CREATED, "{briefing:?}");
    let monthly = app.patch(&path, &json!({"briefing_cadence": "monthly"})).await;
    assert_eq!(monthly.status, StatusCode::OK, "{monthly:?}");
    let after = app.get(&path).await;
    let day = (held + Duration::hours(7)).date_naive();
    let due = day.checked_add_months(chrono::Months::new(1)).unwrap();
    assert_eq!(after.body["briefing"]["next_due_on"], due.to_string());
    assert_eq!(after.body["briefing"]["overdue"], false);
    // A review is not a briefing; without a cadence there is no schedule.
    let none = app.patch(&path, &json!({"briefing_cadence": null})).await;
    assert_eq!(none.status, StatusCode::OK);
    assert_eq!(app.get(&path).await.body["briefing"], Value::Null);
}
