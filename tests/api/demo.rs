//! The demo data of the design brief, read back through the API.

use serde_json::Value;

use crate::helpers::spawn_app_with_demo;

fn names(items: &[Value], key: &str) -> Vec<String> {
    items.iter().map(|i| i[key].as_str().unwrap_or("").to_owned()).collect()
}

#[actix_web::test]
async fn the_eight_unit_cluster_is_found_and_read() {
    let app = spawn_app_with_demo().await;
    let found = app.collect("/api/v1/clusters?q=gia%20lam").await;
    assert_eq!(names(&found, "name"), ["Cụm liên kết đảm bảo ANTT"]);
    let id = found[0]["id"].as_str().expect("id");

    let cluster = app.get(&format!("/api/v1/clusters/{id}")).await;
    assert_eq!(cluster.status, 200);
    assert_eq!(cluster.body["kind"], "liaison_cluster");
    let members = cluster.body["members"].as_array().expect("members");
    assert_eq!(members.len(), 8);
    let mut by_parent: Vec<(String, String)> = members
        .iter()
        .map(|m| {
            (
                m["unit"]["parent"]["name"].as_str().unwrap_or("").to_owned(),
                m["unit"]["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    by_parent.sort();
    let expected = [
        ("Công an thành phố Hà Nội", "Công an huyện Gia Lâm"),
        ("Công an thành phố Hà Nội", "Công an huyện Đông Anh"),
        ("Công an thành phố Hà Nội", "Công an quận Long Biên"),
        ("Công an tỉnh Bắc Ninh", "Công an huyện Thuận Thành"),
        ("Công an tỉnh Bắc Ninh", "Công an huyện Tiên Du"),
        ("Công an tỉnh Bắc Ninh", "Công an thị xã Từ Sơn"),
        ("Công an tỉnh Hưng Yên", "Công an huyện Văn Giang"),
        ("Công an tỉnh Hưng Yên", "Công an huyện Văn Lâm"),
    ];
    let mut expected: Vec<(String, String)> = expected.iter().map(|(p, u)| ((*p).to_owned(), (*u).to_owned())).collect();
    expected.sort();
    assert_eq!(by_parent, expected, "each member with its parent provincial police");

    let regulations = app.collect(&format!("/api/v1/clusters/{id}/regulations")).await;
    assert_eq!(regulations.len(), 1);
    let regulation = &regulations[0];
    assert_eq!(regulation["status"], "signed");
    assert_eq!(regulation["signed_on"], Value::Null, "the source gives no year");
    assert!(regulation["notes"].as_str().is_some_and(|n| n.contains("16 tháng 6")));
    assert!(
        regulation["signed_place"]
            .as_str()
            .is_some_and(|p| p.contains("Công an huyện Gia Lâm"))
    );
    assert_eq!(regulation["signatories"].as_array().map(Vec::len), Some(8));
}

#[actix_web::test]
async fn the_other_shapes_of_the_brief_are_there() {
    let app = spawn_app_with_demo().await;
    let kinds = |kind: &str| {
        let app = &app;
        let path = format!("/api/v1/clusters?kind={kind}");
        async move { app.collect(&path).await.len() }
    };
    for (kind, count) in [
        ("liaison_cluster", 1),
        ("bilateral", 2),
        ("tri_force", 1),
        ("border_cluster", 1),
        ("chain_cluster", 1),
    ] {
        assert_eq!(kinds(kind).await, count, "{kind}");
    }
    let ben_tre = app.collect("/api/v1/regulations?q=ben%20tre").await;
    assert_eq!(ben_tre.len(), 1);
    let bases = names(ben_tre[0]["legal_bases"].as_array().expect("legal bases"), "number");
    assert_eq!(bases, ["03/2019/NĐ-CP", "77/QĐ-UBND"]);

    let ky_anh = app.collect("/api/v1/units?q=ky%20anh").await;
    assert_eq!(names(&ky_anh, "name"), ["Ban Chỉ huy Quân sự huyện Kỳ Anh", "Công an huyện Kỳ Anh"]);

    let districts = app.collect("/api/v1/areas?level=district").await;
    let mut codes = names(&districts, "code");
    codes.sort();
    assert_eq!(
        codes,
        [
            "004", "017", "018", "260", "261", "262", "281", "325", "326", "447", "456", "457", "464"
        ]
    );
    let provinces = names(&app.collect("/api/v1/areas?level=province").await, "code");
    assert_eq!(provinces, ["01", "27", "33", "42", "44", "45", "83"]);
}

#[actix_web::test]
async fn records_stay_true_to_their_dates() {
    let app = spawn_app_with_demo().await;
    let before = app.collect("/api/v1/units?level=district&force=police&active_on=2025-02-28").await;
    let after = app.collect("/api/v1/units?level=district&force=police&active_on=2025-03-01").await;
    assert_eq!(before.len(), 13, "district police until 1 March 2025");
    assert!(after.is_empty(), "none after");
    assert_eq!(
        app.collect("/api/v1/areas?level=district&active_on=2025-07-01").await.len(),
        0,
        "no districts in the two-tier system"
    );
}

#[actix_web::test]
async fn demo_data_loads_once() {
    let app = spawn_app_with_demo().await;
    let settings = lienket::config::DatabaseSettings {
        database_url: Some(app.database_url.clone()),
        data_dir: std::env::temp_dir(),
        db_max_connections: 1,
        db_acquire_timeout_ms: 5000,
    };
    let db = lienket::db::connect(&settings).await.expect("connect");
    assert!(
        lienket::seed::load_demo_if_empty(&db).await.expect("seed").is_none(),
        "already loaded"
    );
    db.close().await.ok();
    assert_eq!(app.collect("/api/v1/clusters").await.len(), 6);
}

#[actix_web::test]
async fn nodes_starting_together_load_the_demo_once() {
    let app = crate::helpers::spawn_app().await;
    let connect = || {
        let settings = lienket::config::DatabaseSettings {
            database_url: Some(app.database_url.clone()),
            data_dir: std::env::temp_dir(),
            db_max_connections: 2,
            db_acquire_timeout_ms: 30_000,
        };
        async move { lienket::db::connect(&settings).await.expect("connect") }
    };
    let (first, second) = (connect().await, connect().await);
    let (a, b) = tokio::join!(
        lienket::seed::load_demo_if_empty(&first),
        lienket::seed::load_demo_if_empty(&second)
    );
    let loaded = [a.expect("first loader"), b.expect("second loader")];
    assert_eq!(
        loaded.iter().filter(|l| l.is_some()).count(),
        1,
        "exactly one node loads: {loaded:?}"
    );
    assert_eq!(app.collect("/api/v1/clusters").await.len(), 6);
    assert_eq!(app.collect("/api/v1/units?q=gia%20lam").await.len(), 1, "no unit twice");
}

#[actix_web::test]
async fn demo_logins_work_and_see_their_own_clusters() {
    let app = spawn_app_with_demo().await;
    let demo = app.demo.clone().expect("the demo logins");
    assert_eq!(demo.users.len(), 5, "one user per role");
    let mut seen = Vec::new();
    for (username, role, password) in &demo.users {
        let answer = app
            .send(app.anonymous_request(reqwest::Method::POST, "/api/v1/auth/token").form(&[
                ("grant_type", "password"),
                ("username", username),
                ("password", password),
            ]))
            .await;
        assert_eq!(answer.status, 200, "{username}: {answer:?}");
        let token = answer.body["access_token"].as_str().expect("token").to_owned();
        let clusters = app.send(app.request_as(&token, reqwest::Method::GET, "/api/v1/clusters")).await;
        seen.push((
            role.as_ref().to_owned(),
            clusters.status.as_u16(),
            clusters.body["items"].as_array().map_or(0, Vec::len),
        ));
    }
    // The administrator sees all six clusters; the Gia Lâm coordinator the 8-unit cluster; the
    // Lệ Thủy analyst its two border clusters; the officer of Văn Lâm the 8-unit cluster; the
    // auditor has no cluster rights.
    assert_eq!(
        seen,
        [
            ("admin".to_owned(), 200, 6),
            ("coordinator".to_owned(), 200, 1),
            ("officer".to_owned(), 200, 1),
            ("analyst".to_owned(), 200, 2),
            ("auditor".to_owned(), 403, 0),
        ]
    );
    let (client_id, secret) = &demo.client;
    let client = app
        .send(
            app.anonymous_request(reqwest::Method::POST, "/api/v1/auth/token")
                .basic_auth(client_id, Some(secret))
                .form(&[("grant_type", "client_credentials")]),
        )
        .await;
    assert_eq!(client.status, 200, "{client:?}");
    assert_eq!(client.body["scope"], "reference:read clusters:read", "read-only");
}

#[actix_web::test]
async fn illustrative_incidents_cover_every_workflow_state_and_bulletins_their_acknowledgements() {
    let app = spawn_app_with_demo().await;
    let incidents = app.collect("/api/v1/incidents").await;
    let mut states: Vec<String> = names(&incidents, "status");
    states.sort();
    assert_eq!(
        states,
        ["closed", "handling", "reported", "resolved", "unfounded", "verified", "verifying"]
    );
    for incident in &incidents {
        let summary = incident["summary"].as_str().unwrap_or("");
        assert!(summary.ends_with("(minh họa)"), "marked illustrative: {summary}");
        let id = incident["id"].as_str().unwrap_or("");
        let timeline = app.collect(&format!("/api/v1/incidents/{id}/timeline")).await;
        assert_eq!(
            timeline.last().map(|s| s["to_status"].clone()),
            Some(incident["status"].clone()),
            "the timeline leads to the status"
        );
    }
    let bulletins = app.collect("/api/v1/bulletins").await;
    let mut counts: Vec<(u64, u64)> = bulletins
        .iter()
        .map(|b| {
            (
                b["acknowledged_count"].as_u64().unwrap_or(99),
                b["pending_count"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    counts.sort();
    assert_eq!(counts, [(0, 2), (5, 2)]);
}

#[actix_web::test]
async fn le_thuys_named_community_models_are_there_without_invented_figures() {
    let app = spawn_app_with_demo().await;
    let models = app.collect("/api/v1/community-models").await;
    let mut found = names(&models, "name");
    found.sort();
    assert_eq!(found, ["Tổ liên gia tự quản", "Tổ tuần tra nhân dân"]);
    for model in &models {
        assert_eq!(model["sponsoring_unit"]["name"], "Công an huyện Lệ Thủy");
        assert!(model["participant_count"].is_null() && model["established_on"].is_null());
        assert!(model["description"].as_str().unwrap_or("").contains("66 mô hình"));
    }
}

/// The figure credited to the subject under `name`, or 0.
fn figure(figures: &serde_json::Value, name: &str) -> i64 {
    figures
        .as_array()
        .expect("figures")
        .iter()
        .find(|f| f["name"] == name)
        .map_or(0, |f| f["value"].as_i64().expect("a count"))
}

#[actix_web::test]
async fn ky_anhs_2023_review_figures_read_back_through_the_statistics() {
    let app = spawn_app_with_demo().await;
    let clusters = app.collect("/api/v1/clusters?q=ky%20anh").await;
    assert_eq!(clusters.len(), 1);
    let id = clusters[0]["id"].as_str().expect("id");
    let stats = app.get(&format!("/api/v1/clusters/{id}/statistics?period=2023")).await;
    assert_eq!(stats.status, 200, "{stats:?}");
    let campaigns = &stats.body["activities"]["by_kind"][0];
    assert_eq!(campaigns["kind"], "crackdown_campaign");
    assert_eq!(campaigns["count"], 7);
    assert_eq!(figure(&campaigns["figures"], "cases_handled"), 155);
    assert_eq!(figure(&campaigns["figures"], "persons_handled"), 225);
    // The −26.82% year-on-year change is what the review reported; it is kept on the meeting.
    let reviews = app.collect(&format!("/api/v1/meetings?cluster_id={id}&kind=annual_review")).await;
    assert_eq!(reviews.len(), 1);
    let change = reviews[0]["reported_figures"]
        .as_array()
        .expect("figures")
        .iter()
        .find(|f| f["unit"] == "%")
        .expect("the reported change");
    assert_eq!(change["value"], -26.82);
    // Nothing is invented for 2022, so the year-on-year change is not computed from records.
    let compared = app
        .get(&format!("/api/v1/clusters/{id}/statistics?period=2023&compare=previous_year"))
        .await;
    assert_eq!(compared.body["comparison"]["figures"]["activities"]["total"], 0);
    assert_eq!(compared.body["comparison"]["figures"]["incidents"]["total"], 0);
}

#[actix_web::test]
async fn ung_hoas_joint_work_carries_the_figures_of_its_source() {
    let app = spawn_app_with_demo().await;
    let units = app.collect("/api/v1/units?q=cong%20an%20huyen%20ung%20hoa").await;
    let police = units[0]["id"].as_str().expect("id");
    let work = app.collect(&format!("/api/v1/activities?unit_id={police}")).await;
    assert_eq!(work.len(), 7);
    let stats = app.get(&format!("/api/v1/units/{police}/statistics?period=2024")).await;
    let figures = &stats.body["activities"]["figures"];
    assert_eq!(figure(figures, "cases_detected"), 7);
    assert_eq!(figure(figures, "persons_handled"), 16);
    assert_eq!(figure(figures, "sessions_held"), 49);
    assert_eq!(figure(figures, "attendees"), 0, "the training is credited to the military command");
    let military = &app.collect("/api/v1/units?q=ban%20chqs%20huyen%20ung%20hoa").await[0];
    let path = format!("/api/v1/units/{}/statistics?period=2024", military["id"].as_str().expect("id"));
    let figures = app.get(&path).await.body["activities"]["figures"].clone();
    assert_eq!((figure(&figures, "attendees"), figure(&figures, "communes_covered")), (400, 12));
    let drill = app.collect("/api/v1/activities?q=hoa%20nam").await;
    assert_eq!(drill[0]["personnel_total"], 50);
}
