//! API8:2023 Security misconfiguration.
//!
//! What every answer carries, whatever produced it (a handler, the request middleware, the
//! router's fallback, a token endpoint, Swagger UI, a database failure): `X-Content-Type-Options:
//! nosniff`, no framing by other sites (`X-Frame-Options: DENY`, `Content-Security-Policy:
//! frame-ancestors 'none'`), an `X-Request-Id`, a `Cache-Control` that keeps shared caches out (`private,
//! no-cache` on API answers, `no-store` on anything holding a token or secret), and no `Server`
//! or `X-Powered-By` banner. No cross-origin grant is configured, so a preflight or a request
//! from a foreign origin gets no `Access-Control-*` header. Errors are problem documents that
//! name no file, query, table, library or stack frame, even for a 500. Outside demo mode
//! nothing has a default credential or key.
//!
//! The service speaks plain HTTP behind the TLS-terminating proxy, so
//! `Strict-Transport-Security` is the proxy's to send. API answers are `private, no-cache`: a
//! client may keep them but must revalidate (with the `ETag`); answers holding a token or a
//! secret are `no-store`.

use lienket::auth::keys::generate_pem;
use lienket::config::AuthSettings;
use lienket::domain::{Classification, Role};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use super::world;
use crate::helpers::{Answer, login, spawn_app, spawn_app_with, user_grant};

/// Words that would show how the service is built, in any case.
const INTERNALS: [&str; 15] = [
    "panicked",
    "backtrace",
    "src/",
    ".rs:",
    "::",
    "sqlx",
    "sea_orm",
    "sea-orm",
    "sqlite",
    "postgres",
    "no such table",
    "dberr",
    "actix",
    "tokio",
    "serde",
];

/// SQL, as databases quote it back (seen through JSON, which escapes the quotes).
const SQL: [&str; 6] = ["SELECT ", "INSERT INTO", "DELETE FROM", "UPDATE \\\"", " WHERE ", "relation \\\""];

/// The members a problem document may have.
const PROBLEM_MEMBERS: [&str; 10] = [
    "type",
    "title",
    "status",
    "detail",
    "code",
    "errors",
    "request_id",
    "instance",
    "error",
    "error_description",
];

fn assert_protective_headers(answer: &Answer, cache: &str, what: &str) {
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"), "{what}: {answer:?}");
    assert_eq!(answer.header("x-frame-options"), Some("DENY"), "{what}: {answer:?}");
    assert_eq!(
        answer.header("content-security-policy"),
        Some("frame-ancestors 'none'"),
        "{what}: {answer:?}"
    );
    assert!(answer.header("x-request-id").is_some(), "{what}: a request id");
    assert_eq!(answer.header("cache-control"), Some(cache), "{what}");
    assert_eq!(answer.header("server"), None, "{what}: no Server banner");
    assert_eq!(answer.header("x-powered-by"), None, "{what}");
    for (name, _) in &answer.headers {
        assert!(!name.as_str().starts_with("access-control-"), "{what}: {name}");
    }
}

fn assert_no_internals(answer: &Answer, what: &str) {
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json"),
        "{what}: {answer:?}"
    );
    let members = answer.body.as_object().expect("a problem object");
    for name in members.keys() {
        assert!(PROBLEM_MEMBERS.contains(&name.as_str()), "{what}: member {name}");
    }
    let code = answer.body["code"].as_str().unwrap();
    assert_eq!(answer.body["type"], format!("urn:lienket:problem:{code}"), "{what}");
    assert_eq!(answer.body["status"], answer.status.as_u16(), "{what}");
    let text = answer.body.to_string();
    for word in INTERNALS {
        assert!(!text.to_ascii_lowercase().contains(word), "{what} shows {word:?}: {}", answer.body);
    }
    for word in SQL {
        assert!(!text.contains(word), "{what} shows {word:?}: {}", answer.body);
    }
}

#[actix_web::test]
async fn every_answer_carries_the_protective_headers() {
    let app = spawn_app_with(|auth| {
        auth.login_limit_per_account = 1;
        auth.login_limit_window_secs = 86_400;
    })
    .await;
    let w = world(&app).await;
    let unit = format!("/api/v1/units/{}", w.home);
    let etag = app.get(&unit).await.header("etag").unwrap().to_owned();
    let officer = app.token(user_grant(Role::Officer, w.home.parse().unwrap(), Classification::Internal));
    let private = "private, no-cache";
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        ("a list", app.request(Method::GET, "/api/v1/units"), 200, private),
        ("a record", app.request(Method::GET, &unit), 200, private),
        ("HEAD", app.request(Method::HEAD, &unit), 200, private),
        (
            "not modified",
            app.request(Method::GET, &unit).header("if-none-match", etag.as_str()),
            304,
            private,
        ),
        (
            "created",
            app.request(Method::POST, "/api/v1/units")
                .json(&json!({"name": "Công an xã Bát Tràng", "force": "police", "level": "commune"})),
            201,
            private,
        ),
        (
            "deleted",
            app.request(Method::DELETE, &format!("/api/v1/community-models/{}", w.community_model)),
            204,
            private,
        ),
        (
            "bad JSON",
            app.request(Method::POST, "/api/v1/units")
                .header("content-type", "application/json")
                .body("{"),
            400,
            private,
        ),
        ("no token", app.anonymous_request(Method::GET, "/api/v1/units"), 401, private),
        ("forbidden", app.request_as(&officer, Method::GET, "/api/v1/users"), 403, private),
        ("no such path", app.request(Method::GET, "/api/v1/nothing"), 404, private),
        (
            "no such record",
            app.request(Method::GET, &format!("/api/v1/units/{}", Uuid::now_v7())),
            404,
            private,
        ),
        ("no such method", app.request(Method::PUT, "/api/v1/units"), 405, private),
        (
            "stale If-Match",
            app.request(Method::DELETE, &unit).header("if-match", "\"9\""),
            412,
            private,
        ),
        (
            "too large",
            app.request(Method::POST, "/api/v1/units")
                .header("content-type", "application/json")
                .body(format!(r#"{{"name": "{}"}}"#, "x".repeat(70_000))),
            413,
            private,
        ),
        (
            "not JSON",
            app.request(Method::POST, "/api/v1/units")
                .header("content-type", "text/plain")
                .body("name"),
            415,
            private,
        ),
        (
            "a broken rule",
            app.request(Method::POST, "/api/v1/units")
                .json(&json!({"name": " ", "force": "police", "level": "commune"})),
            422,
            private,
        ),
        (
            "a failed login",
            app.anonymous_request(Method::POST, "/api/v1/auth/token").form(&[
                ("grant_type", "password"),
                ("username", "someone"),
                ("password", "wrong password"),
            ]),
            400,
            "no-store",
        ),
        (
            "a limited login",
            app.anonymous_request(Method::POST, "/api/v1/auth/token").form(&[
                ("grant_type", "password"),
                ("username", "someone"),
                ("password", "wrong password"),
            ]),
            429,
            private,
        ),
        (
            "a login",
            app.anonymous_request(Method::POST, "/api/v1/auth/token").form(&[
                ("grant_type", "password"),
                ("username", w.user_name.as_str()),
                ("password", super::PASSWORD),
            ]),
            200,
            "no-store",
        ),
        (
            "a client registered",
            app.request(Method::POST, "/api/v1/clients")
                .json(&json!({"name": "Hệ thống", "unit_id": w.home, "scopes": ["reference:read"]})),
            201,
            "no-store",
        ),
        ("health", app.anonymous_request(Method::GET, "/health/ready"), 200, private),
        (
            "keys",
            app.anonymous_request(Method::GET, "/.well-known/jwks.json"),
            200,
            "public, max-age=300",
        ),
        (
            "the document",
            app.anonymous_request(Method::GET, "/api-docs/openapi.json"),
            200,
            private,
        ),
        ("Swagger UI", app.anonymous_request(Method::GET, "/swagger-ui/"), 200, private),
        ("TRACE", app.anonymous_request(Method::TRACE, "/api/v1/units"), 405, private),
    ];
    for (what, request, status, cache) in cases {
        let answer = app.send(request).await;
        assert_eq!(answer.status.as_u16(), status, "{what}: {answer:?}");
        assert_protective_headers(&answer, cache, what);
        if status >= 400 {
            assert_no_internals(&answer, what);
        }
    }
    // A failure of the database itself: the table the list reads is gone.
    {
        use sea_orm::ConnectionTrait;
        app.db
            .execute_unprepared("ALTER TABLE legal_documents RENAME TO legal_documents_elsewhere")
            .await
            .unwrap();
    }
    let failed = app.get("/api/v1/legal-documents").await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR, "{failed:?}");
    assert_protective_headers(&failed, private, "a database error");
    assert_no_internals(&failed, "a database error");
}

#[actix_web::test]
async fn foreign_origins_get_no_cross_origin_grant() {
    let app = spawn_app().await;
    let token = app.token(user_grant(Role::Admin, Uuid::now_v7(), Classification::Secret));
    for origin in ["https://evil.example", "null", "http://127.0.0.1:8080", "http://localhost"] {
        for path in ["/api/v1/units", "/api/v1/auth/token", "/api/v1/me", "/.well-known/jwks.json"] {
            let preflight = app
                .send(
                    app.anonymous_request(Method::OPTIONS, path)
                        .header("origin", origin)
                        .header("access-control-request-method", "POST")
                        .header("access-control-request-headers", "authorization, content-type"),
                )
                .await;
            assert_eq!(preflight.status, StatusCode::METHOD_NOT_ALLOWED, "{origin} {path}: {preflight:?}");
            assert_protective_headers(&preflight, "private, no-cache", &format!("preflight {origin} {path}"));
            let simple = app.send(app.request_as(&token, Method::GET, path).header("origin", origin)).await;
            assert_protective_headers(&simple, simple.header("cache-control").unwrap_or(""), &format!("{origin} {path}"));
            assert_eq!(simple.header("vary"), None, "{origin} {path}");
        }
    }
}

#[actix_web::test]
async fn error_answers_reveal_no_internals() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        (
            "an id that is not a UUID",
            app.request(Method::GET, "/api/v1/units/1%27%20OR%20%271%27=%271"),
        ),
        (
            "SQL in a sort",
            app.request(Method::GET, "/api/v1/units?sort=name%3B%20DROP%20TABLE%20units"),
        ),
        (
            "a wrong type",
            app.request(Method::POST, "/api/v1/units")
                .json(&json!({"name": 7, "force": "police", "level": "district"})),
        ),
        (
            "an unknown value",
            app.request(Method::POST, "/api/v1/units")
                .json(&json!({"name": "x", "force": "navy", "level": "district"})),
        ),
        (
            "truncated JSON",
            app.request(Method::POST, "/api/v1/units")
                .header("content-type", "application/json")
                .body(r#"{"name": "x", "force"#),
        ),
        (
            "invalid UTF-8",
            app.request(Method::POST, "/api/v1/units")
                .header("content-type", "application/json")
                .body(vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}']),
        ),
        (
            "a duplicate",
            app.request(Method::POST, "/api/v1/areas")
                .json(&json!({"code": "01", "name": "Trùng mã", "level": "province"})),
        ),
        (
            "a dependent record",
            app.request(Method::DELETE, &format!("/api/v1/units/{}", w.home)),
        ),
        (
            "an illegal move",
            app.request(Method::POST, &format!("/api/v1/incidents/{}/transitions", w.ours.incident))
                .json(&json!({"to": "closed"})),
        ),
        (
            "a garbage token",
            app.anonymous_request(Method::GET, "/api/v1/units")
                .bearer_auth("eyJhbGciOiJub25lIn0.e30.x"),
        ),
        (
            "a token request of the wrong kind",
            app.anonymous_request(Method::POST, "/api/v1/auth/token")
                .header("content-type", "application/xml")
                .body("<grant/>"),
        ),
        (
            "an unknown grant",
            app.anonymous_request(Method::POST, "/api/v1/auth/token")
                .form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")]),
        ),
        ("a stray parameter", app.request(Method::GET, "/health/ready?debug=true")),
    ];
    for (what, request) in cases {
        let answer = app.send(request).await;
        assert!(answer.status.is_client_error(), "{what}: {answer:?}");
        assert_no_internals(&answer, what);
        assert!(answer.body["request_id"].is_string(), "{what}");
    }
    // SQL in a search is only text to look for.
    let search = app.get("/api/v1/units?q=%27%3B%20DROP%20TABLE%20units%3B--").await;
    assert_eq!(search.status, StatusCode::OK, "{search:?}");
    assert_eq!(search.body["items"], json!([]));
    // Vietnamese texts are no more telling.
    {
        use sea_orm::ConnectionTrait;
        app.db.execute_unprepared("DROP TABLE community_models").await.unwrap();
    }
    for lang in ["en", "vi"] {
        let answer = app
            .send(
                app.request(Method::GET, &format!("/api/v1/community-models/{}", w.community_model))
                    .header("accept-language", lang),
            )
            .await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR, "{answer:?}");
        assert_no_internals(&answer, lang);
        assert_eq!(answer.body["errors"], json!([]), "{lang}");
    }
    assert_eq!(app.collect("/api/v1/units").await.len(), 4, "the units table is intact");
}

/// A nested member of the wrong type is answered with the field, the type received and the
/// type expected ("expected an object"), never the name of the server's own type it is read
/// into.
#[actix_web::test]
async fn malformed_nested_members_do_not_name_internal_types() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let cases = [
        (
            "/api/v1/units",
            json!({"name": "x", "force": "police", "level": "district", "contact": "x"}),
        ),
        (
            "/api/v1/incidents",
            json!({"cluster_id": w.ours.cluster, "category_id": w.category, "severity": "low", "occurred_at": "2025-05-10T22:00:00Z",
                   "summary": "x", "counts": 4}),
        ),
        ("/api/v1/clusters", json!({"name": "x", "kind": "bilateral", "members": ["x"]})),
    ];
    let mut leaks = Vec::new();
    for (path, body) in cases {
        let answer = app.post(path, &body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}: {answer:?}");
        let text = answer.body.to_string();
        if text.contains("expected struct") || text.contains("expected enum") {
            leaks.push(format!("{path}: {}", answer.body["detail"]));
        }
    }
    assert!(leaks.is_empty(), "errors name internal types:\n{}", leaks.join("\n"));
}

#[actix_web::test]
async fn nothing_has_a_default_credential_or_key_outside_demo_mode() {
    let app = spawn_app().await;
    assert!(app.demo.is_none());
    assert!(app.collect("/api/v1/users").await.is_empty(), "no user exists");
    assert!(app.collect("/api/v1/clients").await.is_empty(), "no client exists");
    for username in ["admin", "auditor", "coordinator.gialam", "officer.vanlam", "analyst.lethuy", "root"] {
        for password in ["admin", "password", "", username] {
            let answer = login(&app, username, password).await;
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{username}/{password}: {answer:?}");
        }
    }
    // Without a configured signing key the service does not start.
    let refused = lienket::startup::AuthState::from_settings(&AuthSettings::for_self_test());
    let error = refused.expect_err("no key, no start");
    assert!(error.contains("LIENKET_JWT_SIGNING_KEY"), "{error}");
    let keyed = AuthSettings {
        jwt_signing_key: Some(generate_pem().unwrap()),
        ..AuthSettings::for_self_test()
    };
    assert!(lienket::startup::AuthState::from_settings(&keyed).is_ok());
}
