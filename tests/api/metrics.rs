//! `/metrics`: Prometheus text for a monitoring client holding `operations:read`, refused to
//! everyone else.

use lienket::domain::{Classification, Role};
use reqwest::Method;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{form, spawn_app, user_grant};

#[actix_web::test]
async fn a_monitoring_client_reads_request_counts_by_operation() {
    let app = spawn_app().await;
    let unit = app.unit("Công an tỉnh").await;
    let cluster = app
        .cluster("Cụm số 1", "liaison_cluster", &[&unit, &app.unit("Bộ đội biên phòng").await])
        .await;
    assert_eq!(app.get(&format!("/api/v1/clusters/{cluster}")).await.status, StatusCode::OK);
    // A path no operation has: counted, but not under its own name.
    assert_eq!(app.get("/api/v1/no-such-thing/123").await.status, StatusCode::NOT_FOUND);

    let created = app
        .post(
            "/api/v1/clients",
            &json!({"name": "Giám sát", "unit_id": unit, "scopes": ["operations:read"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let (id, secret) = (created.id(), created.body["client_secret"].as_str().unwrap().to_owned());
    let issued = form(
        &app,
        "/api/v1/auth/token",
        &[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", &secret)],
    )
    .await;
    assert_eq!(issued.status, StatusCode::OK, "{issued:?}");
    let token = issued.body["access_token"].as_str().unwrap();

    let answer = app
        .client
        .get(format!("{}/metrics", app.address))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        answer.headers()["content-type"].to_str().unwrap(),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = answer.text().await.expect("body");
    assert!(
        text.contains(r#"lienket_http_requests_total{method="GET",operation="get_cluster",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"lienket_http_requests_total{method="GET",operation="none",status="404"} 1"#));
    assert!(text.contains(r#"lienket_http_requests_total{method="POST",operation="issue_token",status="200"} 1"#));
    assert!(text.contains(r#"lienket_http_request_duration_seconds_count{operation="get_cluster"} 1"#));
    assert!(!text.contains("no-such-thing"));
    // The requests before opened connections the pool keeps, so at least one is open.
    let connections = |state: &str| -> i64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!(r#"lienket_db_connections{{state="{state}"}}"#)))
            .unwrap_or_else(|| panic!("no {state} line in {text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(connections("idle") + connections("in_use") >= 1, "{text}");
}

#[actix_web::test]
async fn metrics_need_the_operations_scope() {
    let app = spawn_app().await;
    let anonymous = app.send(app.anonymous_request(Method::GET, "/metrics")).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{anonymous:?}");
    let unit = app.unit("Công an huyện").await;
    for role in [Role::Coordinator, Role::Officer, Role::Analyst, Role::Auditor] {
        let token = app.token(user_grant(role, unit.parse().unwrap(), Classification::Secret));
        let refused = app.send(app.request_as(&token, Method::GET, "/metrics")).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{role:?}: {refused:?}");
    }
    let admin = app.get("/metrics").await;
    assert_eq!(admin.status, StatusCode::OK);
}
