//! Community models: recorded by the units that sponsor them, read by everyone.

use lienket::domain::{Classification, Role};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{spawn_app, user_grant};

#[actix_web::test]
async fn a_unit_records_its_models_and_only_its_own() {
    let app = spawn_app().await;
    let area = app.province("44", "Tỉnh Quảng Bình").await;
    let le_thuy = app.unit("Công an huyện Lệ Thủy").await;
    let quang_ninh = app.unit("Công an huyện Quảng Ninh").await;
    let token = |role, unit: &str| app.token(user_grant(role, unit.parse().unwrap(), Classification::Internal));
    let officer = token(Role::Officer, &le_thuy);
    let neighbour = token(Role::Coordinator, &quang_ninh);
    let analyst = token(Role::Analyst, &quang_ninh);

    let created = app
        .post_as(
            &officer,
            "/api/v1/community-models",
            &json!({"name": "Tổ liên gia tự quản thôn Tân Định", "kind": "self_managed_households", "area_id": area,
                    "established_on": "2020-05-01", "participant_count": 24}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(
        created.body["sponsoring_unit"]["id"],
        le_thuy.as_str(),
        "the caller's unit by default"
    );
    assert_eq!(created.body["status"], "active");
    let path = format!("/api/v1/community-models/{}", created.id());

    // Everyone reads; another unit neither records in its name nor changes it.
    assert_eq!(app.get_as(&analyst, &path).await.status, StatusCode::OK);
    let found = app
        .get_as(&analyst, "/api/v1/community-models?q=lien%20gia&kind=self_managed_households")
        .await;
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1, "{found:?}");
    let foreign = app
        .post_as(
            &neighbour,
            "/api/v1/community-models",
            &json!({"name": "Tổ tuần tra", "kind": "peoples_patrol", "area_id": area, "sponsoring_unit_id": le_thuy}),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN, "{foreign:?}");
    let edit = app.patch_as(&neighbour, &path, &json!({"participant_count": 1})).await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.post_as(&analyst, "/api/v1/community-models", &json!({})).await.status,
        StatusCode::FORBIDDEN
    );

    // Its own unit updates it, and dissolves it when it stops.
    let edit = app
        .patch_as(&officer, &path, &json!({"participant_count": 30, "status": "dissolved"}))
        .await;
    assert_eq!(edit.status, StatusCode::OK, "{edit:?}");
    assert_eq!(edit.body["participant_count"], 30);
    let active = app.get_as(&analyst, "/api/v1/community-models?status=active").await;
    assert_eq!(active.body["items"], json!([]));
    let deleted = app.send(app.request_as(&officer, Method::DELETE, &path)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get_as(&analyst, &path).await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn bad_models_are_refused_with_every_reason() {
    let app = spawn_app().await;
    let answer = app
        .post(
            "/api/v1/community-models",
            &json!({"name": " ", "kind": "peoples_patrol", "area_id": uuid::Uuid::now_v7(), "sponsoring_unit_id": uuid::Uuid::now_v7(),
                    "established_on": "2999-01-01", "participant_count": -3}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{answer:?}");
    let (_, mut errors) = answer.problem();
    errors.sort();
    let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        ["area_id", "established_on", "name", "participant_count", "sponsoring_unit_id"]
    );
    let answer = app
        .post(
            "/api/v1/community-models",
            &json!({"name": "X", "kind": "militia", "area_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "unknown kind");
}
