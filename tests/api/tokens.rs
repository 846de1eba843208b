//! The token endpoint and the validation of access tokens.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use lienket::auth::keys::{KeySet, generate_pem};
use lienket::auth::tokens::TokenService;
use lienket::domain::{Classification, Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Answer, TestApp, b64, form, login, refresh, spawn_app, spawn_app_with, user_grant};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0)
}

/// A unit and a user of `role` in it; returns the unit id.
async fn user(app: &TestApp, username: &str, role: &str) -> String {
    let unit = app.unit(&format!("Đơn vị của {username}")).await;
    app.create(
        "/api/v1/users",
        json!({"username": username, "display_name": username, "unit_id": unit, "roles": [role], "password": "correct horse battery staple"}),
    )
    .await;
    unit
}

fn assert_unauthorized(answer: &Answer, what: &str) {
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{what}: {answer:?}");
    assert_eq!(answer.body["code"], "unauthorized", "{what}");
    assert!(
        answer.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer")),
        "{what}: {answer:?}"
    );
}

#[actix_web::test]
async fn people_log_in_and_their_refresh_tokens_rotate() {
    let app = spawn_app().await;
    user(&app, "officer.one", "officer").await;

    let first = login(&app, "Officer.One", "correct horse battery staple").await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    assert_eq!(first.header("cache-control"), Some("no-store"));
    assert_eq!(first.body["token_type"], "Bearer");
    assert_eq!(first.body["expires_in"], 900);
    let access = first.body["access_token"].as_str().unwrap().to_owned();
    let header = jsonwebtoken::decode_header(&access).unwrap();
    assert_eq!((header.alg, header.typ.as_deref()), (Algorithm::EdDSA, Some("at+jwt")));
    let jwks = app.send(app.anonymous_request(Method::GET, "/.well-known/jwks.json")).await;
    assert_eq!(jwks.body["keys"][0]["kid"].as_str(), header.kid.as_deref(), "{jwks:?}");
    assert_eq!(jwks.body["keys"][0]["kty"], "OKP");

    let me = app.send(app.request_as(&access, Method::GET, "/api/v1/me")).await;
    assert_eq!(me.status, StatusCode::OK, "{me:?}");
    assert_eq!(me.body["name"], "officer.one");
    assert_eq!(me.body["roles"], json!(["officer"]));

    // The same request as JSON.
    let json_login = app
        .send(app.anonymous_request(Method::POST, "/api/v1/auth/token").json(
            &json!({"grant_type": "password", "username": "officer.one", "password": "correct horse battery staple", "scope": "reference:read"}),
        ))
        .await;
    assert_eq!(json_login.status, StatusCode::OK, "{json_login:?}");
    assert_eq!(json_login.body["scope"], "reference:read");

    let r1 = first.body["refresh_token"].as_str().unwrap().to_owned();
    let second = refresh(&app, &r1).await;
    assert_eq!(second.status, StatusCode::OK, "{second:?}");
    let r2 = second.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2, "rotated");

    // Presenting r1 again: someone holds a copy, so the whole family dies.
    let reused = refresh(&app, &r1).await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST, "{reused:?}");
    assert_eq!(reused.body["error"], "invalid_grant");
    let after = refresh(&app, &r2).await;
    assert_eq!(after.body["error"], "invalid_grant", "the family is dead: {after:?}");

    // Revocation (RFC 7009) ends a fresh login's family too.
    let third = login(&app, "officer.one", "correct horse battery staple").await;
    let r3 = third.body["refresh_token"].as_str().unwrap().to_owned();
    let revoked = form(&app, "/api/v1/auth/revoke", &[("token", &r3)]).await;
    assert_eq!(revoked.status, StatusCode::OK, "{revoked:?}");
    assert_eq!(refresh(&app, &r3).await.body["error"], "invalid_grant", "revoked");
    let junk = form(&app, "/api/v1/auth/revoke", &[("token", "not-a-token")]).await;
    assert_eq!(junk.status, StatusCode::OK, "revocation reveals nothing");
}

#[actix_web::test]
async fn failed_logins_look_alike_and_are_audited() {
    let app = spawn_app().await;
    user(&app, "analyst.one", "analyst").await;
    let wrong = login(&app, "analyst.one", "wrong password entirely").await;
    let unknown = login(&app, "nobody.here", "wrong password entirely").await;
    for answer in [&wrong, &unknown] {
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
        assert_eq!(answer.body["error"], "invalid_grant");
    }
    assert_eq!(wrong.body["detail"], unknown.body["detail"], "no hint whether the account exists");
    let events = app.collect("/api/v1/audit-events?action=login_failed").await;
    assert_eq!(events.len(), 2, "{events:?}");

    // A disabled user cannot log in, even with the right password.
    let users = app.get("/api/v1/users?q=analyst").await;
    let id = users.body["items"][0]["id"].as_str().unwrap().to_owned();
    let disabled = app.patch(&format!("/api/v1/users/{id}"), &json!({"disabled": true})).await;
    assert_eq!(disabled.status, StatusCode::OK, "{disabled:?}");
    assert_eq!(
        login(&app, "analyst.one", "correct horse battery staple").await.body["error"],
        "invalid_grant"
    );

    let unsupported = form(&app, "/api/v1/auth/token", &[("grant_type", "implicit")]).await;
    assert_eq!(unsupported.body["error"], "unsupported_grant_type", "{unsupported:?}");
    let twice = form(
        &app,
        "/api/v1/auth/token",
        &[("grant_type", "password"), ("grant_type", "password")],
    )
    .await;
    assert_eq!(twice.body["error"], "invalid_request", "{twice:?}");
    let short = app
        .post(
            "/api/v1/users",
            &json!({"username": "short.pw", "display_name": "x", "unit_id": Uuid::now_v7(), "roles": ["officer"], "password": "short"}),
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY, "{short:?}");
}

#[actix_web::test]
async fn logins_are_rate_limited_per_account() {
    let app = spawn_app_with(|auth| auth.login_limit_per_account = 3).await;
    for _ in 0..3 {
        assert_eq!(
            login(&app, "someone", "wrong password entirely").await.status,
            StatusCode::BAD_REQUEST
        );
    }
    let limited = login(&app, "someone", "wrong password entirely").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{limited:?}");
    assert_eq!(limited.body["code"], "rate_limited");
    assert!(
        limited
            .header("retry-after")
            .is_some_and(|s| s.parse::<u32>().is_ok_and(|n| n >= 1))
    );
    // Another account from the same address is not blocked by this one.
    assert_eq!(
        login(&app, "someone.else", "wrong password entirely").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[actix_web::test]
async fn agency_clients_use_client_credentials_and_see_only_granted_clusters() {
    let app = spawn_app().await;
    let (a, b, c) = (app.unit("A").await, app.unit("B").await, app.unit("C").await);
    let granted = app.cluster("Granted", "liaison_cluster", &[&a, &b]).await;
    let other = app.cluster("Other", "liaison_cluster", &[&b, &c]).await;

    let admin_scope = app
        .post(
            "/api/v1/clients",
            &json!({"name": "X", "unit_id": a, "scopes": ["principals:manage"]}),
        )
        .await;
    assert_eq!(admin_scope.status, StatusCode::UNPROCESSABLE_ENTITY, "{admin_scope:?}");

    let created = app
        .post(
            "/api/v1/clients",
            &json!({"name": "Cổng dữ liệu", "unit_id": a, "scopes": ["clusters:read", "reference:read"], "cluster_ids": [granted]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let id = created.id();
    let secret = created.body["client_secret"].as_str().unwrap().to_owned();
    let shown = app.get(&format!("/api/v1/clients/{id}")).await;
    assert!(shown.body.get("client_secret").is_none(), "the secret is shown once: {shown:?}");

    let basic = app
        .send(
            app.anonymous_request(Method::POST, "/api/v1/auth/token")
                .basic_auth(&id, Some(&secret))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials"),
        )
        .await;
    assert_eq!(basic.status, StatusCode::OK, "{basic:?}");
    assert!(basic.body.get("refresh_token").is_none());
    let token = basic.body["access_token"].as_str().unwrap().to_owned();

    let clusters = app.send(app.request_as(&token, Method::GET, "/api/v1/clusters")).await;
    let names: Vec<&str> = clusters.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["Granted"]);
    let hidden = app
        .send(app.request_as(&token, Method::GET, &format!("/api/v1/clusters/{other}")))
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{hidden:?}");
    let write = app
        .send(
            app.request_as(&token, Method::POST, "/api/v1/clusters")
                .json(&json!({"name": "N", "kind": "bilateral"})),
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN, "a read-only client cannot write: {write:?}");

    let wrong = form(
        &app,
        "/api/v1/auth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", "lks_wrong"),
        ],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{wrong:?}");
    assert_eq!(wrong.body["error"], "invalid_client");

    let rotated = app.post(&format!("/api/v1/clients/{id}/secret"), &json!(null)).await;
    assert_eq!(rotated.status, StatusCode::OK, "{rotated:?}");
    let new_secret = rotated.body["client_secret"].as_str().unwrap().to_owned();
    let old = form(
        &app,
        "/api/v1/auth/token",
        &[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", &secret)],
    )
    .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "the old secret is dead");
    let new = form(
        &app,
        "/api/v1/auth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &new_secret),
        ],
    )
    .await;
    assert_eq!(new.status, StatusCode::OK, "{new:?}");
}

#[actix_web::test]
async fn forged_stale_and_misused_tokens_get_401() {
    let app = spawn_app().await;
    user(&app, "coordinator.one", "coordinator").await;
    let t = now();
    let base = json!({
        "iss": "lienket", "aud": "lienket-api", "sub": Uuid::now_v7(), "unit_id": Uuid::now_v7(),
        "roles": ["admin"], "clearance": "secret", "scope": "reference:read", "jti": Uuid::now_v7(),
        "iat": t, "nbf": t, "exp": t + 600,
    });
    let sign = |claims: &Value| app.tokens.sign_access_claims(claims).unwrap();
    let app = &app;
    let call = |token: String| async move { app.send(app.request_as(&token, Method::GET, "/api/v1/areas")).await };
    assert_eq!(call(sign(&base)).await.status, StatusCode::OK, "the baseline token is good");

    let with = |field: &str, value: Value| {
        let mut claims = base.clone();
        claims[field] = value;
        claims
    };
    let without = |field: &str| {
        let mut claims = base.clone();
        claims.as_object_mut().unwrap().remove(field);
        claims
    };
    let valid = sign(&base);
    let header = jsonwebtoken::decode_header(&valid).unwrap();
    let kid = header.kid.clone().unwrap();
    let parts: Vec<&str> = valid.split('.').collect();

    let mut cases: Vec<(&str, String)> = vec![
        (
            "expired",
            sign(&{
                let mut c = with("exp", json!(t - 3600));
                c["iat"] = json!(t - 4000);
                c["nbf"] = json!(t - 4000);
                c
            }),
        ),
        ("not yet valid", sign(&with("nbf", json!(t + 3600)))),
        ("issued in the future", sign(&with("iat", json!(t + 3600)))),
        ("wrong iss", sign(&with("iss", json!("someone-else")))),
        ("wrong aud", sign(&with("aud", json!("another-api")))),
        ("exp as a string", sign(&with("exp", json!((t + 600).to_string())))),
        ("missing exp", sign(&without("exp"))),
        ("missing iat", sign(&without("iat"))),
        ("missing iss", sign(&without("iss"))),
        ("missing aud", sign(&without("aud"))),
        ("missing sub", sign(&without("sub"))),
        ("unknown role", sign(&with("roles", json!(["root"])))),
        ("malformed", "not.a.jwt".to_owned()),
        ("no signature", format!("{}.{}.", parts[0], parts[1])),
    ];
    // A tampered payload: the same signature over promoted claims.
    let promoted = with("scope", json!("reference:read reference:write principals:manage"));
    cases.push((
        "tampered payload",
        format!("{}.{}.{}", parts[0], b64(promoted.to_string().as_bytes()), parts[2]),
    ));
    // alg none.
    let none_header = json!({"alg": "none", "typ": "at+jwt", "kid": kid});
    cases.push(("alg none", format!("{}.{}.", b64(none_header.to_string().as_bytes()), parts[1])));
    // HS256 signed with the public key as the secret (algorithm confusion).
    let jwks = app.send(app.anonymous_request(Method::GET, "/.well-known/jwks.json")).await;
    let x = jwks.body["keys"][0]["x"].as_str().unwrap().to_owned();
    let public = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&x).unwrap()
    };
    let mut hs = Header::new(Algorithm::HS256);
    hs.typ = Some("at+jwt".to_owned());
    hs.kid = Some(kid.clone());
    cases.push((
        "HS256 with the public key",
        jsonwebtoken::encode(&hs, &base, &EncodingKey::from_secret(&public)).unwrap(),
    ));
    // A key this service does not trust.
    let stranger = TokenService::new(KeySet::from_signing_pem(&generate_pem().unwrap()).unwrap(), &app.auth);
    cases.push(("unknown kid", stranger.sign_access_claims(&base).unwrap()));
    // A refresh token is not an access token.
    let logged_in = login(app, "coordinator.one", "correct horse battery staple").await;
    cases.push(("a refresh token", logged_in.body["refresh_token"].as_str().unwrap().to_owned()));
    // A user token claiming the integration role, and a client token whose client_id is not its sub.
    cases.push(("user claiming integration", sign(&with("roles", json!(["integration"])))));
    cases.push(("client_id not sub", sign(&with("client_id", json!(Uuid::now_v7())))));

    for (what, token) in cases {
        assert_unauthorized(&call(token).await, what);
    }
    let none = app.send(app.anonymous_request(Method::GET, "/api/v1/areas")).await;
    assert_unauthorized(&none, "no token");
    assert_eq!(none.header("www-authenticate"), Some(r#"Bearer realm="lienket""#));
    let basic = app
        .send(app.anonymous_request(Method::GET, "/api/v1/areas").basic_auth("admin", Some("x")))
        .await;
    assert_unauthorized(&basic, "Basic instead of Bearer");

    // Public operations need no token.
    let live = app.send(app.anonymous_request(Method::GET, "/health/live")).await;
    assert_eq!(live.status, StatusCode::OK);
}

#[actix_web::test]
async fn roles_without_the_right_get_403() {
    let app = spawn_app().await;
    let unit: Uuid = app.unit("U").await.parse().unwrap();
    let auditor = app.token(user_grant(Role::Auditor, unit, Classification::Internal));
    let denied = app
        .send(
            app.request_as(&auditor, Method::POST, "/api/v1/units")
                .json(&json!({"name": "X", "force": "police", "level": "district"})),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{denied:?}");
    assert_eq!(denied.body["code"], "forbidden");
    let events = app.send(app.request_as(&auditor, Method::GET, "/api/v1/audit-events")).await;
    assert_eq!(events.status, StatusCode::OK, "{events:?}");
}

#[actix_web::test]
async fn retired_keys_keep_verifying_while_they_are_configured() {
    let old_pem = generate_pem().unwrap();
    let dir = std::env::temp_dir().join(format!("lienket-keys-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let old_public = dir.join("old.pub.pem");
    std::fs::write(&old_public, lienket::auth::keys::public_pem(&old_pem).unwrap()).unwrap();
    let app = spawn_app_with(|auth| auth.jwt_verification_key_files = vec![old_public.clone()]).await;

    let jwks = app.send(app.anonymous_request(Method::GET, "/.well-known/jwks.json")).await;
    assert_eq!(
        jwks.body["keys"].as_array().unwrap().len(),
        2,
        "the new and the retired key: {jwks:?}"
    );
    let old = TokenService::new(KeySet::from_signing_pem(&old_pem).unwrap(), &app.auth);
    let grant = user_grant(Role::Analyst, Uuid::now_v7(), Classification::Internal);
    let by_old = old.issue_access(grant.clone()).unwrap();
    let answer = app.send(app.request_as(&by_old, Method::GET, "/api/v1/units")).await;
    assert_eq!(answer.status, StatusCode::OK, "a token of the retired key: {answer:?}");
    let stranger = TokenService::new(KeySet::from_signing_pem(&generate_pem().unwrap()).unwrap(), &app.auth);
    let answer = app
        .send(app.request_as(&stranger.issue_access(grant).unwrap(), Method::GET, "/api/v1/units"))
        .await;
    assert_unauthorized(&answer, "an unknown key");
    std::fs::remove_dir_all(&dir).ok();
}

#[actix_web::test]
async fn swagger_ui_password_flow_requests_are_understood() {
    let app = spawn_app().await;
    user(&app, "swagger.user", "analyst").await;
    // Swagger UI sends an empty `scope` and, with no client id configured, Basic credentials
    // for an empty client; the password grant ignores the latter.
    let answer = app
        .send(
            app.anonymous_request(Method::POST, "/api/v1/auth/token")
                .basic_auth("", Some(""))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=password&username=swagger.user&password=correct%20horse%20battery%20staple&scope="),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body["scope"], "reference:read clusters:read");
}

#[actix_web::test]
async fn encoded_paths_do_not_slip_past_authentication() {
    let app = spawn_app().await;
    for (method, path) in [
        (Method::POST, "/api/v1/user%73"),
        (Method::GET, "/api/v1/user%73"),
        (Method::GET, "/api/v1/%61udit-events"),
        (Method::GET, "/api/v1/client%73"),
    ] {
        let answer = app
            .send(app.anonymous_request(method.clone(), path).json(&json!({"username": "x", "display_name": "x", "unit_id": Uuid::now_v7(), "roles": ["admin"], "password": "correct horse battery staple"})))
            .await;
        assert_unauthorized(&answer, &format!("{method} {path}"));
    }
    let as_admin = app.get("/api/v1/user%73").await;
    assert_eq!(as_admin.status, StatusCode::OK, "{as_admin:?}");
    assert!(app.collect("/api/v1/users").await.is_empty(), "nobody was created");
}

#[actix_web::test]
async fn oversized_credentials_are_refused_without_a_server_error() {
    let app = spawn_app().await;
    let long = "x".repeat(1000);
    let user = login(&app, &long, &long).await;
    assert_eq!(user.status, StatusCode::BAD_REQUEST, "{user:?}");
    assert_eq!(user.body["error"], "invalid_grant");
    let client = form(
        &app,
        "/api/v1/auth/token",
        &[("grant_type", "client_credentials"), ("client_id", &long), ("client_secret", &long)],
    )
    .await;
    assert_eq!(client.status, StatusCode::UNAUTHORIZED, "{client:?}");
}

#[actix_web::test]
async fn a_refresh_never_widens_the_scopes_of_the_login() {
    let app = spawn_app().await;
    user(&app, "narrow.user", "coordinator").await;
    let narrowed = form(
        &app,
        "/api/v1/auth/token",
        &[
            ("grant_type", "password"),
            ("username", "narrow.user"),
            ("password", "correct horse battery staple"),
            ("scope", "reference:read"),
        ],
    )
    .await;
    assert_eq!(narrowed.body["scope"], "reference:read", "{narrowed:?}");
    let refreshed = refresh(&app, narrowed.body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{refreshed:?}");
    assert_eq!(refreshed.body["scope"], "reference:read");
    let widened = form(
        &app,
        "/api/v1/auth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refreshed.body["refresh_token"].as_str().unwrap()),
            ("scope", "clusters:write"),
        ],
    )
    .await;
    assert_eq!(widened.body["error"], "invalid_scope", "{widened:?}");
}

#[actix_web::test]
async fn a_replayed_client_registration_does_not_show_the_secret_again() {
    let app = spawn_app().await;
    let unit = app.unit("U").await;
    let body = json!({"name": "Hệ thống", "unit_id": unit, "scopes": ["reference:read"]});
    let send = || {
        app.send(
            app.request(Method::POST, "/api/v1/clients")
                .header("idempotency-key", "register-1")
                .json(&body),
        )
    };
    let first = send().await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    assert!(first.body["client_secret"].is_string());
    let replay = send().await;
    assert_eq!(replay.status, StatusCode::CREATED, "{replay:?}");
    assert_eq!(replay.body["id"], first.body["id"], "the same client");
    assert!(replay.body.get("client_secret").is_none(), "the secret is shown once: {replay:?}");
    let stored: Vec<String> = {
        use sea_orm::{ConnectionTrait, Statement};
        let rows = app
            .db
            .query_all_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT response_body FROM idempotency_keys",
            ))
            .await
            .unwrap();
        rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect()
    };
    let secret = first.body["client_secret"].as_str().unwrap();
    assert!(stored.iter().all(|b| !b.contains(secret)), "the secret is not stored");
}

/// RFC 6749 §3.2: parameters the endpoint does not know are ignored, whatever they hold; the ones
/// it knows are strings (or, in JSON, `null` for not given), each given once.
#[actix_web::test]
async fn unrecognized_parameters_are_ignored() {
    let app = spawn_app().await;
    user(&app, "can.bo.a", "officer").await;
    let json_login = |body: Value| {
        app.send(
            app.anonymous_request(Method::POST, "/api/v1/auth/token")
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
    };
    let ok = json_login(json!({
        "grant_type": "password", "username": "can.bo.a", "password": "correct horse battery staple",
        "scope": null, "extra": {"nested": [1, 2]}, "note": "\u{7}", "flag": true
    }))
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{ok:?}");
    let form_ok = form(
        &app,
        "/api/v1/auth/token",
        &[
            ("grant_type", "password"),
            ("username", "can.bo.a"),
            ("password", "correct horse battery staple"),
            ("x", "1"),
            ("x", "\u{7}"),
        ],
    )
    .await;
    assert_eq!(form_ok.status, StatusCode::OK, "{form_ok:?}");

    for (body, why) in [
        (
            json!({"grant_type": "password", "username": 5, "password": "x"}),
            "a number for a known parameter",
        ),
        (
            json!({"grant_type": "password", "username": "can.bo.a\u{7}", "password": "x"}),
            "a control character",
        ),
    ] {
        let answer = json_login(body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{why}: {answer:?}");
        assert_eq!(answer.body["error"], "invalid_request", "{why}");
    }
    let twice = form(
        &app,
        "/api/v1/auth/token",
        &[("grant_type", "password"), ("username", "a"), ("username", "b"), ("password", "x")],
    )
    .await;
    assert_eq!(twice.body["error"], "invalid_request", "a known parameter given twice: {twice:?}");
}
