//! API6:2023 Unrestricted access to sensitive business flows.
//!
//! The flow worth automating against this service is guessing credentials at the token
//! endpoint. `tokens.rs` (`logins_are_rate_limited_per_account`) shows the per-account limit for
//! passwords. Here: the per-address limit across accounts and across every grant and the
//! revocation endpoint; once limited, even the right password is refused; `X-Forwarded-For`
//! from a peer that is not a trusted proxy changes nothing; behind a trusted proxy the address
//! it appends counts, whatever the client wrote before it, and IPv6 clients count by their /64;
//! the per-account limit holds across addresses and however the login name or client id is
//! spelled. The other flows with a business rule (an incident's workflow, one acknowledgement
//! per recipient, idempotent retries) are covered by `incidents.rs`, `bulletins.rs` and
//! `conventions.rs`.

use std::net::IpAddr;

use reqwest::StatusCode;
use serde_json::json;

use super::PASSWORD;
use crate::helpers::{Answer, TestApp, form_with, spawn_app_with_server};

/// The length of the limits' fixed windows: a day, so that no test straddles two windows.
const WINDOW: u32 = 86_400;

fn assert_limited(answer: &Answer, what: &str) {
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS, "{what}: {answer:?}");
    assert_eq!(answer.problem().0, "rate_limited", "{what}");
    let retry = answer.header("retry-after").and_then(|s| s.parse::<u32>().ok());
    assert!(retry.is_some_and(|s| (1..=WINDOW).contains(&s)), "{what}: Retry-After {retry:?}");
}

async fn password_login(app: &TestApp, username: &str, password: &str, forwarded: Option<&str>) -> Answer {
    let headers: Vec<(&str, &str)> = forwarded.map(|f| vec![("x-forwarded-for", f)]).unwrap_or_default();
    form_with(
        app,
        "/api/v1/auth/token",
        &[("grant_type", "password"), ("username", username), ("password", password)],
        &headers,
    )
    .await
}

/// A user who logs in with [`PASSWORD`].
async fn user(app: &TestApp, username: &str) {
    let unit = app.unit(&format!("Đơn vị của {username}")).await;
    app.create(
        "/api/v1/users",
        json!({"username": username, "display_name": username, "unit_id": unit, "roles": ["officer"], "password": PASSWORD}),
    )
    .await;
}

#[actix_web::test]
async fn one_address_is_limited_across_accounts_grants_and_revocation() {
    let app = spawn_app_with_server(|s| {
        s.auth.login_limit_window_secs = WINDOW;
        s.auth.login_limit_per_address = 4;
        s.auth.login_limit_per_account = 1000;
    })
    .await;
    user(&app, "officer.one").await;
    for i in 0..4 {
        let answer = password_login(&app, &format!("guess.{i}"), "wrong password entirely", None).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "attempt {i}: {answer:?}");
    }
    assert_limited(
        &password_login(&app, "guess.5", "wrong password entirely", None).await,
        "a fifth account",
    );
    assert_limited(&password_login(&app, "officer.one", PASSWORD, None).await, "the right password");
    let grants: [&[(&str, &str)]; 3] = [
        &[("grant_type", "client_credentials"), ("client_id", "x"), ("client_secret", "y")],
        &[("grant_type", "refresh_token"), ("refresh_token", "a.b.c")],
        &[("grant_type", "implicit")],
    ];
    for fields in grants {
        let answer = form_with(&app, "/api/v1/auth/token", fields, &[]).await;
        assert_limited(&answer, &format!("{fields:?}"));
    }
    let revoke = form_with(&app, "/api/v1/auth/revoke", &[("token", "a.b.c")], &[]).await;
    assert_limited(&revoke, "revocation");
    // The limit is on the token endpoint only; the API goes on serving tokens already issued.
    assert_eq!(app.get("/api/v1/units").await.status, StatusCode::OK);
}

#[actix_web::test]
async fn forwarded_addresses_from_an_untrusted_peer_are_ignored() {
    let app = spawn_app_with_server(|s| {
        s.auth.login_limit_window_secs = WINDOW;
        s.auth.login_limit_per_address = 3;
        s.auth.login_limit_per_account = 1000;
    })
    .await;
    for i in 0..3 {
        let forwarded = format!("198.51.100.{i}");
        let answer = password_login(&app, &format!("guess.{i}"), "wrong password entirely", Some(&forwarded)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    }
    for forwarded in ["198.51.100.200", "203.0.113.7, 198.51.100.201", "2001:db8::1", "unknown"] {
        let answer = password_login(&app, "guess.next", "wrong password entirely", Some(forwarded)).await;
        assert_limited(&answer, forwarded);
    }
    // The audit trail records the connection's address, not the claimed one.
    let failed = app.collect("/api/v1/audit-events?action=login_failed").await;
    assert!(!failed.is_empty());
    for event in &failed {
        assert_eq!(event["client_addr"], "127.0.0.1", "{event}");
    }
}

#[actix_web::test]
async fn behind_a_trusted_proxy_the_address_it_appends_counts() {
    let app = spawn_app_with_server(|s| {
        s.auth.login_limit_window_secs = WINDOW;
        s.trusted_proxies = vec!["127.0.0.1".parse::<IpAddr>().unwrap()];
        s.auth.login_limit_per_address = 3;
        s.auth.login_limit_per_account = 1000;
    })
    .await;
    // The client writes whatever it likes first; the proxy appends the address it saw.
    for i in 0..3 {
        let forwarded = format!("10.0.0.{i}, 203.0.113.9");
        let answer = password_login(&app, &format!("guess.{i}"), "wrong password entirely", Some(&forwarded)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    }
    let spoofed = password_login(&app, "guess.3", "wrong password entirely", Some("10.0.0.99, 203.0.113.9")).await;
    assert_limited(&spoofed, "the same client with another claimed address");
    let other = password_login(&app, "guess.4", "wrong password entirely", Some("10.0.0.1, 203.0.113.10")).await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST, "another client is not blocked: {other:?}");

    // IPv6 clients count by their /64: a host holds a whole one.
    for i in 1..=3 {
        let forwarded = format!("2001:db8:1:2::{i:x}");
        let answer = password_login(&app, &format!("v6.{i}"), "wrong password entirely", Some(&forwarded)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    }
    let same_network = password_login(&app, "v6.4", "wrong password entirely", Some("2001:db8:1:2:ffff:ffff:ffff:ffff")).await;
    assert_limited(&same_network, "another address of the same /64");
    let next_network = password_login(&app, "v6.5", "wrong password entirely", Some("2001:db8:1:3::1")).await;
    assert_eq!(next_network.status, StatusCode::BAD_REQUEST, "{next_network:?}");
}

#[actix_web::test]
async fn an_account_is_limited_from_any_address_and_under_any_spelling() {
    let app = spawn_app_with_server(|s| {
        s.auth.login_limit_window_secs = WINDOW;
        s.trusted_proxies = vec!["127.0.0.1".parse::<IpAddr>().unwrap()];
        s.auth.login_limit_per_address = 1000;
        s.auth.login_limit_per_account = 3;
    })
    .await;
    user(&app, "officer.two").await;
    for (i, spelling) in ["officer.two", "OFFICER.TWO", " Officer.Two "].iter().enumerate() {
        let forwarded = format!("203.0.113.{i}");
        let answer = password_login(&app, spelling, "wrong password entirely", Some(&forwarded)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{spelling}: {answer:?}");
    }
    let limited = password_login(&app, "officer.two", PASSWORD, Some("203.0.113.50")).await;
    assert_limited(&limited, "the right password from a fresh address");

    let unit = app.unit("Công an tỉnh Hưng Yên").await;
    let client = app
        .post(
            "/api/v1/clients",
            &json!({"name": "Cổng dữ liệu", "unit_id": unit, "scopes": ["reference:read"]}),
        )
        .await;
    let id: uuid::Uuid = client.id().parse().unwrap();
    let secret = client.body["client_secret"].as_str().unwrap().to_owned();
    let spellings = [
        id.hyphenated().to_string(),
        id.hyphenated().to_string().to_uppercase(),
        id.simple().to_string(),
    ];
    for (i, spelling) in spellings.iter().enumerate() {
        let forwarded = format!("198.51.100.{i}");
        let answer = form_with(
            &app,
            "/api/v1/auth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", spelling),
                ("client_secret", "lks_wrong"),
            ],
            &[("x-forwarded-for", &forwarded)],
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{spelling}: {answer:?}");
    }
    let braced = format!("{{{id}}}");
    let limited = form_with(
        &app,
        "/api/v1/auth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &braced),
            ("client_secret", &secret),
        ],
        &[("x-forwarded-for", "198.51.100.50")],
    )
    .await;
    assert_limited(&limited, "the right secret under a fourth spelling");
}
