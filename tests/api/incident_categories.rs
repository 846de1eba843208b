//! The incident taxonomy.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn every_deployment_starts_with_the_default_taxonomy_once() {
    let app = spawn_app().await;
    let all = app.collect("/api/v1/incident-categories?sort=code").await;
    let codes: Vec<&str> = all.iter().filter_map(|c| c["code"].as_str()).collect();
    assert_eq!(
        codes,
        [
            "cyber",
            "disaster_rescue",
            "drugs",
            "environment",
            "fire_explosion",
            "other",
            "public_order",
            "smuggling_border",
            "theft_property",
            "traffic"
        ]
    );
    assert_eq!(codes.len(), lienket::services::incident_categories::default_count());
    let found = app.collect("/api/v1/incident-categories?q=ma%20tuy").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["code"], "drugs");

    // A deleted default stays deleted: the defaults are written once in a database's life.
    let other = all.iter().find(|c| c["code"] == "other").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.delete(&format!("/api/v1/incident-categories/{other}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(!lienket::services::incident_categories::ensure_defaults(&app.db).await.unwrap());
    assert_eq!(app.collect("/api/v1/incident-categories").await.len(), 9);
}

#[actix_web::test]
async fn categories_are_created_retired_and_checked() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/api/v1/incident-categories",
            &json!({"code": "illegal_fishing", "name": "Khai thác thủy sản trái phép"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.body["active"], true);
    let id = created.id();

    let duplicate = app
        .post("/api/v1/incident-categories", &json!({"code": "illegal_fishing", "name": "Khác"}))
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT, "{duplicate:?}");
    for (body, field) in [
        (json!({"code": "Bad Code", "name": "X"}), "code"),
        (json!({"code": "9lives", "name": "X"}), "code"),
        (json!({"code": "ok_code", "name": " "}), "name"),
    ] {
        let answer = app.post("/api/v1/incident-categories", &body).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer:?}");
        assert!(answer.problem().1.iter().any(|(f, _)| f == field), "{body}: {answer:?}");
    }
    let recode = app
        .patch(&format!("/api/v1/incident-categories/{id}"), &json!({"code": "other_code"}))
        .await;
    assert_eq!(recode.status, StatusCode::BAD_REQUEST, "the code cannot change: {recode:?}");

    let retired = app
        .patch(&format!("/api/v1/incident-categories/{id}"), &json!({"active": false}))
        .await;
    assert_eq!(retired.status, StatusCode::OK, "{retired:?}");
    assert_eq!(retired.body["version"], 2);
    let inactive = app.collect("/api/v1/incident-categories?active=false").await;
    assert_eq!(inactive.len(), 1);
    assert_eq!(inactive[0]["code"], "illegal_fishing");
}
