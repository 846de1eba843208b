//! API9:2023 Improper inventory management.
//!
//! The served OpenAPI document is the inventory: `openapi.rs` shows it is the committed one and
//! generated from the code, and the unit tests of `src/auth/permissions.rs` that every
//! documented operation has one permission row. Here the running server is held to it: every
//! documented operation is served; every other method on a documented path is a 405 naming
//! exactly the documented ones; plausible paths that are not documented (old or future
//! versions, admin, debug and metrics pages, configuration files, sub-resources one might
//! guess) do not exist, for callers with and without a token; and the document's security
//! requirements are the ones the server enforces: only the token endpoints, the public keys and
//! the health checks take no token, and every other operation names the scope its permission
//! row requires.

use std::collections::BTreeSet;

use lienket::auth::permissions::{Access, PERMISSIONS};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{operations, served_document};
use crate::helpers::spawn_app;

/// A path with its parameters set to ids that exist nowhere.
fn with_fresh_ids(template: &str) -> String {
    template
        .split('/')
        .map(|s| {
            if s.starts_with('{') {
                Uuid::now_v7().to_string()
            } else {
                s.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[actix_web::test]
async fn every_documented_operation_is_served() {
    let app = spawn_app().await;
    let doc = served_document(&app).await;
    let no_route = app.get("/api/v1/no-such-resource").await;
    assert_eq!(no_route.status, StatusCode::NOT_FOUND);
    let missing_route = no_route.body["detail"].clone();
    for op in operations(&doc) {
        let path = with_fresh_ids(&op.path);
        let mut request = app.request(op.method.clone(), &path);
        if matches!(op.method, Method::PATCH | Method::DELETE) || op.id == "rotate_client_secret" {
            request = request.header("if-match", "\"1\"");
        }
        let answer = app.send(request).await;
        let what = format!("{} {} ({})", op.method, op.path, op.id);
        assert_ne!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{what}: {answer:?}");
        if answer.status == StatusCode::NOT_FOUND {
            assert_ne!(answer.body["detail"], missing_route, "{what} is not routed");
            assert!(op.path.contains('{'), "{what}: only a record can be missing");
        }
    }
    assert!(app.collect("/api/v1/units").await.is_empty(), "no probe wrote anything");
}

#[actix_web::test]
async fn other_methods_on_documented_paths_are_405_naming_the_documented_ones() {
    let app = spawn_app().await;
    let doc = served_document(&app).await;
    let paths = doc["paths"].as_object().unwrap();
    let mut checked = 0;
    for (template, item) in paths {
        let documented: BTreeSet<String> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_ascii_uppercase())
            .chain(item.get("get").map(|_| "HEAD".to_owned()))
            .collect();
        let path = with_fresh_ids(template);
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
            Method::TRACE,
            Method::from_bytes(b"PROPFIND").unwrap(),
        ] {
            if documented.contains(method.as_str()) {
                continue;
            }
            let answer = app.send(app.request(method.clone(), &path)).await;
            assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {template}: {answer:?}");
            let allowed: BTreeSet<String> = answer.header("allow").unwrap_or("").split(", ").map(str::to_owned).collect();
            assert_eq!(allowed, documented, "{method} {template}");
            checked += 1;
        }
    }
    assert_eq!(checked, 294);
}

#[actix_web::test]
async fn plausible_undocumented_paths_do_not_exist() {
    let app = spawn_app().await;
    let id = Uuid::now_v7();
    let paths = [
        "/".to_owned(),
        "/api".to_owned(),
        "/api/v1".to_owned(),
        "/api/v1/".to_owned(),
        "/api/v0/units".to_owned(),
        "/api/v2".to_owned(),
        "/api/v2/units".to_owned(),
        "/api/units".to_owned(),
        "/v1/units".to_owned(),
        "/admin".to_owned(),
        "/api/v1/admin".to_owned(),
        "/debug".to_owned(),
        "/api/v1/debug".to_owned(),
        "/debug/pprof".to_owned(),
        "/api/v1/metrics".to_owned(),
        "/api/v1/internal".to_owned(),
        "/internal/health".to_owned(),
        "/status".to_owned(),
        "/server-status".to_owned(),
        "/actuator".to_owned(),
        "/actuator/env".to_owned(),
        "/.env".to_owned(),
        "/.git/config".to_owned(),
        "/config".to_owned(),
        "/config.json".to_owned(),
        "/data/lienket.db".to_owned(),
        "/data/jwt-signing-key.pem".to_owned(),
        "/health".to_owned(),
        "/api/v1/health/live".to_owned(),
        "/api/v1/metrics".to_owned(),
        "/openapi.json".to_owned(),
        "/api-docs".to_owned(),
        "/api/v1/openapi.json".to_owned(),
        "/swagger.json".to_owned(),
        "/graphql".to_owned(),
        "/api/v1/graphql".to_owned(),
        "/api/v1/batch".to_owned(),
        "/api/v1/export".to_owned(),
        format!("/api/v1/units/{id}/history"),
        format!("/api/v1/users/{id}/password"),
        format!("/api/v1/users/{id}/roles"),
        format!("/api/v1/users/{id}/tokens"),
        format!("/api/v1/clients/{id}/secret/reveal"),
        "/api/v1/auth/login".to_owned(),
        "/api/v1/auth/register".to_owned(),
        "/api/v1/auth/introspect".to_owned(),
        "/api/v1/auth/userinfo".to_owned(),
        "/api/v1/auth/authorize".to_owned(),
        "/oauth/token".to_owned(),
        "/.well-known/openid-configuration".to_owned(),
        "/.well-known/oauth-authorization-server".to_owned(),
    ];
    let token = app.token(crate::helpers::user_grant(
        lienket::domain::Role::Admin,
        Uuid::now_v7(),
        lienket::domain::Classification::Secret,
    ));
    for path in &paths {
        for method in [Method::GET, Method::POST, Method::DELETE] {
            for (who, request) in [
                ("anonymous", app.anonymous_request(method.clone(), path)),
                ("administrator", app.request_as(&token, method.clone(), path)),
            ] {
                let answer = app.send(request.json(&json!({}))).await;
                assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path} ({who}): {answer:?}");
                assert_eq!(answer.problem().0, "not_found", "{method} {path}");
                assert_eq!(answer.body["detail"], "No resource exists at this path.", "{method} {path}");
            }
        }
    }
}

#[actix_web::test]
async fn the_document_declares_what_the_server_enforces() {
    let app = spawn_app().await;
    let doc = served_document(&app).await;
    let mut public = BTreeSet::new();
    for op in operations(&doc) {
        let row = PERMISSIONS
            .iter()
            .find(|p| p.operation == op.id)
            .unwrap_or_else(|| panic!("{} is documented but has no permission row", op.id));
        let expected_scope: Option<Vec<Value>> = match row.access {
            Access::Public => None,
            Access::Authenticated => Some(vec![]),
            Access::Scoped(scope, _) => Some(vec![json!(scope.as_ref())]),
        };
        match (&op.security, &expected_scope) {
            (None, None) => {
                public.insert(op.id.clone());
            }
            (Some(security), Some(scope)) => {
                let expected = json!([
                    {"bearer": []},
                    {"password": scope},
                    {"client_credentials": scope},
                ]);
                assert_eq!(security, &expected, "{}", op.id);
            }
            (declared, _) => panic!("{} declares {declared:?} but its row is {:?}", op.id, row.access),
        }
        // The server agrees: an operation with a requirement refuses a caller without a token,
        // one without lets it through.
        let mut request = app.anonymous_request(op.method.clone(), &with_fresh_ids(&op.path));
        if matches!(op.method, Method::PATCH | Method::DELETE) {
            request = request.header("if-match", "\"1\"");
        }
        let answer = app.send(request).await;
        if op.security.is_some() {
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{} without a token: {answer:?}", op.id);
            assert_eq!(answer.header("www-authenticate"), Some(r#"Bearer realm="lienket""#));
        } else {
            assert_ne!(answer.status, StatusCode::UNAUTHORIZED, "{}: {answer:?}", op.id);
        }
    }
    let public: Vec<&str> = public.iter().map(String::as_str).collect();
    assert_eq!(public, ["get_jwks", "issue_token", "live", "ready", "revoke_token"]);

    // Only the health checks, the metrics and the public keys live outside `/api/v1`.
    let outside: BTreeSet<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|p| !p.starts_with("/api/v1/"))
        .collect();
    assert_eq!(
        outside.into_iter().collect::<Vec<_>>(),
        ["/.well-known/jwks.json", "/health/live", "/health/ready", "/metrics"]
    );
    // Every row of the table is documented.
    let documented: BTreeSet<String> = operations(&doc).into_iter().map(|op| op.id).collect();
    for row in PERMISSIONS {
        assert!(documented.contains(row.operation), "{} is not documented", row.operation);
    }
    // The document points at no server of its own; the schemes' token URL is this service's.
    assert!(doc.get("servers").is_none(), "{:?}", doc.get("servers"));
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["password"]["flows"]["password"]["tokenUrl"], "/api/v1/auth/token");
    assert_eq!(
        schemes["client_credentials"]["flows"]["clientCredentials"]["tokenUrl"],
        "/api/v1/auth/token"
    );
}
