//! Statistics on a fixture whose figures are worked out by hand below.

use chrono::{Duration, Utc};
use lienket::domain::{Classification, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, user_grant};

/// Reports an incident of `category` that occurred at `occurred` and was reported `delay`
/// seconds later.
async fn incident(app: &TestApp, cluster: &str, unit: &str, category: &str, occurred: &str, delay: i64, classification: &str) -> String {
    let occurred_at = chrono::DateTime::parse_from_rfc3339(occurred).unwrap();
    let reported_at = occurred_at + Duration::seconds(delay);
    app.create(
        "/api/v1/incidents",
        json!({"cluster_id": cluster, "category_id": category, "severity": "medium", "occurred_at": occurred,
               "reported_at": reported_at.to_rfc3339(), "reporting_unit_id": unit, "summary": "Vụ việc kiểm thử",
               "classification": classification}),
    )
    .await
}

fn change<'a>(stats: &'a Value, metric: &str) -> &'a Value {
    stats["comparison"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == metric)
        .unwrap_or_else(|| panic!("no change {metric} in {stats}"))
}

#[actix_web::test]
async fn a_year_of_a_cluster_and_its_units_adds_up_as_worked_out_by_hand() {
    let app = spawn_app().await;
    let area = app.province("42", "Tỉnh Hà Tĩnh").await;
    let police = app.unit("Công an huyện Kỳ Anh").await;
    let military = app.unit("Ban CHQS huyện Kỳ Anh").await;
    let cluster = app
        .create(
            "/api/v1/clusters",
            json!({"name": "Phối hợp Kỳ Anh", "kind": "bilateral", "status": "active", "reporting_sla_hours": 24,
                   "members": [{"unit_id": police}, {"unit_id": military}]}),
        )
        .await;
    let (drugs, order, theft) = (
        app.category("drugs").await,
        app.category("public_order").await,
        app.category("theft_property").await,
    );

    // 2023, in Vietnam's time: delays 1 h, 2 h, 10 h, 20 h and 30 h against a 24 h SLA.
    // The first occurred 30 minutes into the year (still 2022 in UTC).
    let first = incident(&app, &cluster, &police, &drugs, "2023-01-01T00:30:00+07:00", 3_600, "internal").await;
    incident(&app, &cluster, &police, &drugs, "2023-03-10T08:00:00+07:00", 7_200, "internal").await;
    incident(&app, &cluster, &military, &order, "2023-05-20T21:00:00+07:00", 108_000, "internal").await;
    incident(&app, &cluster, &police, &order, "2023-08-02T10:00:00+07:00", 36_000, "internal").await;
    incident(&app, &cluster, &military, &theft, "2023-12-31T23:00:00+07:00", 72_000, "internal").await;
    // Not counted for an internal-cleared analyst: secret. Not in 2023: 2024 in Vietnam's time.
    incident(&app, &cluster, &police, &drugs, "2023-06-01T08:00:00+07:00", 60, "secret").await;
    incident(&app, &cluster, &police, &drugs, "2024-01-01T03:00:00+07:00", 60, "internal").await;
    let moved = app
        .post(&format!("/api/v1/incidents/{first}/transitions"), &json!({"to": "verifying"}))
        .await;
    assert_eq!(moved.status, StatusCode::OK);
    // 2022: one drugs case and three public-order cases.
    incident(&app, &cluster, &police, &drugs, "2022-02-01T08:00:00+07:00", 600, "internal").await;
    for day in ["2022-04-01", "2022-06-01", "2022-09-01"] {
        incident(&app, &cluster, &military, &order, &format!("{day}T08:00:00+07:00"), 600, "internal").await;
    }

    // Activities of 2023: a joint patrol (results split between the units), a campaign, and a
    // cancelled patrol; one outreach session in 2022.
    let activity = |body: Value| app.create("/api/v1/activities", body);
    activity(
        json!({"cluster_id": cluster, "kind": "patrol", "title": "Tuần tra liên ngành", "status": "completed", "lead_unit_id": police,
                    "starts_at": "2023-04-01T19:00:00+07:00",
                    "participants": [{"unit_id": police, "personnel": 10}, {"unit_id": military, "personnel": 5}],
                    "figures": [{"name": "cases_detected", "value": 3}, {"name": "cases_detected", "value": 2, "unit_id": military},
                                {"name": "persons_handled", "value": 4}]}),
    )
    .await;
    activity(json!({"cluster_id": cluster, "kind": "crackdown_campaign", "title": "Đợt cao điểm", "status": "completed", "lead_unit_id": military,
                    "starts_at": "2023-09-01T00:00:00+07:00", "participants": [{"unit_id": military, "personnel": 20}],
                    "figures": [{"name": "cases_handled", "value": 7}, {"name": "persons_handled", "value": 9}]}))
    .await;
    activity(
        json!({"cluster_id": cluster, "kind": "patrol", "title": "Tuần tra bị hủy", "status": "cancelled", "lead_unit_id": police,
                    "starts_at": "2023-10-01T19:00:00+07:00", "participants": [{"unit_id": police, "personnel": 8}]}),
    )
    .await;
    activity(
        json!({"cluster_id": cluster, "kind": "outreach", "title": "Tuyên truyền", "status": "completed", "lead_unit_id": police,
                    "starts_at": "2022-11-01T08:00:00+07:00", "participants": [{"unit_id": police, "personnel": 6}],
                    "figures": [{"name": "sessions_held", "value": 5}]}),
    )
    .await;

    // Community models: two set up by the end of 2023 (one undated), one only in 2024.
    let model = |body: Value| app.create("/api/v1/community-models", body);
    model(
        json!({"name": "Tổ tuần tra nhân dân", "kind": "peoples_patrol", "area_id": area, "sponsoring_unit_id": police,
                 "established_on": "2020-05-01", "participant_count": 12}),
    )
    .await;
    model(json!({"name": "Tổ bảo vệ", "kind": "security_team", "area_id": area, "sponsoring_unit_id": military, "status": "suspended"}))
        .await;
    model(
        json!({"name": "Tổ liên gia", "kind": "self_managed_households", "area_id": area, "sponsoring_unit_id": police,
                 "established_on": "2024-05-01", "participant_count": 30}),
    )
    .await;

    let analyst = app.token(user_grant(Role::Analyst, police.parse().unwrap(), Classification::Internal));
    let path = format!("/api/v1/clusters/{cluster}/statistics?period=2023&compare=previous_year");
    let answer = app.get_as(&analyst, &path).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let s = answer.body;
    assert_eq!(s["subject"], json!({"type": "cluster", "id": cluster}));
    assert_eq!(s["period"], json!({"from": "2023-01-01", "to": "2023-12-31", "label": "2023"}));

    assert_eq!(s["incidents"]["total"], 5);
    let by_category: Vec<(String, i64)> = s["incidents"]["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["category"]["code"].as_str().unwrap().to_owned(), c["count"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        by_category,
        [
            ("drugs".to_owned(), 2),
            ("public_order".to_owned(), 2),
            ("theft_property".to_owned(), 1)
        ]
    );
    assert_eq!(
        s["incidents"]["by_status"],
        json!([{"status": "reported", "count": 4}, {"status": "verifying", "count": 1}])
    );
    assert_eq!(s["incidents"]["by_severity"], json!([{"severity": "medium", "count": 5}]));
    // Delays sorted: 3600, 7200, 36000, 72000, 108000. Median: the ⌈5/2⌉ = 3rd; p90: the
    // ⌈4.5⌉ = 5th. Within 24 h: 4 of 5.
    assert_eq!(
        s["timeliness"],
        json!({"reports": 5, "median_delay_seconds": 36_000, "p90_delay_seconds": 108_000, "judged": 5, "within_sla": 4, "within_sla_share": 0.8})
    );

    // Cancelled work is left out of the totals: 2 activities, 10 + 5 + 20 people.
    let a = &s["activities"];
    assert_eq!((a["total"].as_i64(), a["personnel"].as_i64()), (Some(2), Some(35)));
    assert_eq!(
        a["by_kind"],
        json!([
            {"kind": "patrol", "count": 1, "personnel": 15, "figures": [{"name": "cases_detected", "value": 5}, {"name": "persons_handled", "value": 4}]},
            {"kind": "crackdown_campaign", "count": 1, "personnel": 20, "figures": [{"name": "cases_handled", "value": 7}, {"name": "persons_handled", "value": 9}]}
        ])
    );
    assert_eq!(
        a["figures"],
        json!([{"name": "cases_detected", "value": 5}, {"name": "cases_handled", "value": 7}, {"name": "persons_handled", "value": 13}])
    );
    assert_eq!(
        a["by_status"],
        json!([{"status": "completed", "count": 2}, {"status": "cancelled", "count": 1}])
    );
    assert_eq!(
        s["community_models"],
        json!({"total": 2, "participants": 12,
               "by_kind": [{"kind": "peoples_patrol", "count": 1}, {"kind": "security_team", "count": 1}],
               "by_status": [{"status": "active", "count": 1}, {"status": "suspended", "count": 1}]})
    );

    // Against 2022: 5 incidents against 4 is +25%; public order 2 against 3 is −33.33%; theft
    // had none before, so no percentage; 35 people against 6 is +483.33%.
    let c = &s["comparison"];
    assert_eq!(c["basis"], "previous_year");
    assert_eq!(c["period"]["label"], "2022");
    assert_eq!(c["figures"]["incidents"]["total"], 4);
    assert_eq!(change(&s, "incidents.total")["percent_change"], 25.0);
    assert_eq!(change(&s, "incidents.by_category.drugs")["percent_change"], 100.0);
    assert_eq!(change(&s, "incidents.by_category.public_order")["percent_change"], -33.33);
    assert_eq!(
        change(&s, "incidents.by_category.theft_property"),
        &json!({"metric": "incidents.by_category.theft_property", "current": 1, "previous": 0, "percent_change": null})
    );
    assert_eq!(change(&s, "activities.total")["percent_change"], 100.0);
    assert_eq!(change(&s, "activities.personnel")["percent_change"], 483.33);
    assert_eq!(change(&s, "activities.by_kind.outreach")["percent_change"], -100.0);
    assert_eq!(change(&s, "activities.figures.sessions_held")["current"], 0);

    // An administrator sees the secret incident too.
    let all = app.get(&format!("/api/v1/clusters/{cluster}/statistics?period=2023")).await;
    assert_eq!(all.body["incidents"]["total"], 6);
    assert_eq!(all.body["comparison"], Value::Null);

    // A unit's share: its own reports, its people, the figures credited to it.
    let unit = app
        .get_as(&analyst, &format!("/api/v1/units/{military}/statistics?period=2023"))
        .await;
    assert_eq!(unit.status, StatusCode::OK, "{unit:?}");
    let u = unit.body;
    assert_eq!(u["incidents"]["total"], 2);
    assert_eq!(
        (
            u["timeliness"]["median_delay_seconds"].as_i64(),
            u["timeliness"]["within_sla"].as_i64()
        ),
        (Some(72_000), Some(1))
    );
    assert_eq!(
        (u["activities"]["total"].as_i64(), u["activities"]["personnel"].as_i64()),
        (Some(2), Some(25))
    );
    assert_eq!(
        u["activities"]["figures"],
        json!([{"name": "cases_detected", "value": 2}, {"name": "cases_handled", "value": 7}, {"name": "persons_handled", "value": 9}])
    );
    assert_eq!(u["community_models"]["total"], 1);
    // The police's three reports: 3600, 7200, 36000 s; median the 2nd, p90 the 3rd.
    let police_stats = app
        .get_as(
            &analyst,
            &format!("/api/v1/units/{police}/statistics?from=2023-01-01&to=2023-12-31&compare=previous_period"),
        )
        .await;
    let t = &police_stats.body["timeliness"];
    assert_eq!(
        (t["median_delay_seconds"].as_i64(), t["p90_delay_seconds"].as_i64()),
        (Some(7_200), Some(36_000))
    );
    assert_eq!(police_stats.body["period"]["label"], "2023-01-01..2023-12-31");
    assert_eq!(police_stats.body["comparison"]["period"]["from"], "2022-01-01");
}

#[actix_web::test]
async fn acknowledgements_are_counted_and_periods_are_checked() {
    let app = spawn_app().await;
    let sender = app.unit("Công an huyện Gia Lâm").await;
    let first = app.unit("Công an quận Long Biên").await;
    let second = app.unit("Công an huyện Văn Giang").await;
    let far = app.unit("Công an huyện Xa").await;
    let cluster = app.cluster("Cụm", "liaison_cluster", &[&sender, &first, &second]).await;
    let bulletin = app
        .create(
            "/api/v1/bulletins",
            json!({"cluster_id": cluster, "sender_unit_id": sender, "title": "Thông báo", "body": "Nội dung",
                   "ack_due_at": (Utc::now() + Duration::hours(48)).to_rfc3339()}),
        )
        .await;
    let token = app.token(user_grant(Role::Officer, first.parse().unwrap(), Classification::Internal));
    let acked = app
        .post_as(&token, &format!("/api/v1/bulletins/{bulletin}/acknowledgements"), &json!({}))
        .await;
    assert_eq!(acked.status, StatusCode::OK, "{acked:?}");
    let latency = acked.body["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit"]["id"] == first.as_str())
        .unwrap()["latency_seconds"]
        .clone();

    let today = (Utc::now() + Duration::hours(7)).date_naive();
    let range = format!("from={}&to={}", today - chrono::Days::new(1), today + chrono::Days::new(1));
    let stats = app.get(&format!("/api/v1/clusters/{cluster}/statistics?{range}")).await;
    assert_eq!(stats.status, StatusCode::OK, "{stats:?}");
    assert_eq!(
        stats.body["acknowledgements"],
        json!({"expected": 2, "acknowledged": 1, "pending": 1, "late": 0, "median_latency_seconds": latency, "p90_latency_seconds": latency})
    );
    let unit = app.get(&format!("/api/v1/units/{second}/statistics?{range}")).await;
    assert_eq!(
        (
            unit.body["acknowledgements"]["expected"].as_i64(),
            unit.body["acknowledgements"]["pending"].as_i64()
        ),
        (Some(1), Some(1))
    );

    // This cluster sets no reporting deadline: its reports are counted but none is judged.
    let drugs = app.category("drugs").await;
    let occurred = (Utc::now() - Duration::hours(3)).to_rfc3339();
    incident(&app, &cluster, &first, &drugs, &occurred, 3_600, "internal").await;
    let unjudged = json!({"reports": 1, "median_delay_seconds": 3_600, "p90_delay_seconds": 3_600, "judged": 0, "within_sla": 0, "within_sla_share": null});
    for subject in [format!("clusters/{cluster}"), format!("units/{first}")] {
        let stats = app.get(&format!("/api/v1/{subject}/statistics?{range}")).await;
        assert_eq!(stats.body["timeliness"], unjudged, "{subject}");
    }

    // Periods are a named year, quarter or month, or both ends; nothing else. A malformed
    // parameter is a 400; well-formed ones that do not go together are a 422.
    for (bad, status) in [
        ("period=2023-Q5", StatusCode::BAD_REQUEST),
        ("period=2023&x=1", StatusCode::BAD_REQUEST),
        ("period=2023&from=2023-01-01", StatusCode::UNPROCESSABLE_ENTITY),
        ("from=2023-01-01", StatusCode::UNPROCESSABLE_ENTITY),
        ("from=2023-02-01&to=2023-01-01", StatusCode::UNPROCESSABLE_ENTITY),
        ("from=2013-01-01&to=2023-12-31", StatusCode::UNPROCESSABLE_ENTITY),
        ("", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let answer = app.get(&format!("/api/v1/clusters/{cluster}/statistics?{bad}")).await;
        assert_eq!(answer.status, status, "{bad}: {answer:?}");
    }
    // Statistics of a cluster the caller cannot see, or of no unit, do not exist; an auditor
    // may not run statistics.
    let outsider = app.token(user_grant(Role::Analyst, far.parse().unwrap(), Classification::Secret));
    let hidden = app
        .get_as(&outsider, &format!("/api/v1/clusters/{cluster}/statistics?period=2023"))
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let nobody = app
        .get(&format!("/api/v1/units/{}/statistics?period=2023", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    let auditor = app.token(user_grant(Role::Auditor, sender.parse().unwrap(), Classification::Secret));
    let refused = app
        .get_as(&auditor, &format!("/api/v1/clusters/{cluster}/statistics?period=2023"))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // The outsider's view of a unit counts only records of clusters it can see: none.
    let unit = app.get_as(&outsider, &format!("/api/v1/units/{first}/statistics?{range}")).await;
    assert_eq!(unit.body["acknowledgements"]["expected"], 0);
}
