//! API4:2023 Unrestricted resource consumption.
//!
//! Every input is bounded before the work it causes: request bodies (413, whether the size is
//! declared, chunked, sent to the token endpoint or through the idempotency store), page sizes
//! (`limit` above 500 is a 400, never clamped, on every list of the document), cursors (over
//! 4096 bytes, malformed, or taken from another list or other filters: 400), JSON nesting and
//! long texts (4xx, never 500), arrays (one `too_many` error, not one error per item),
//! statistics periods (at most 3660 days) and caller-chosen keys. `conventions.rs` shows one
//! oversized body, one `limit=501`, one bad cursor and an overlong `q` on `/units`.
//!
//! Slow clients: the server answers 408 to a client that stalls while sending its request head
//! (actix's client request timeout, five seconds by default) or its body (`body_timeout_secs`,
//! `LIENKET_BODY_TIMEOUT_SECS`), and closes the connection.

use std::time::Duration;

use lienket::domain::{Classification, Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{operations, raw_exchange, served_document, world};
use crate::helpers::{Answer, spawn_app, spawn_app_with_server, user_grant};

fn assert_too_large(answer: &Answer, what: &str) {
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{what}: {answer:?}");
    assert_eq!(answer.problem().0, "payload_too_large", "{what}");
}

/// The status line of a raw HTTP answer.
fn status_line(raw: &str) -> &str {
    raw.lines().next().unwrap_or("")
}

#[actix_web::test]
async fn bodies_over_the_limit_get_413_however_they_arrive() {
    let app = spawn_app().await;
    let limit = 64 * 1024;
    let name = "x".repeat(limit);
    let unit = json!({"name": name, "force": "police", "level": "district"});
    let admin = app.token(crate::helpers::user_grant(
        lienket::domain::Role::Admin,
        Uuid::now_v7(),
        lienket::domain::Classification::Secret,
    ));

    // A declared length over the limit is refused before the body is read.
    let head = format!(
        "POST /api/v1/units HTTP/1.1\r\nHost: lienket\r\nAuthorization: Bearer {admin}\r\n\
         Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{{\"name\": \""
    );
    let (raw, closed) = raw_exchange(&app, head.as_bytes(), Duration::from_secs(10)).await;
    assert_eq!(status_line(&raw), "HTTP/1.1 413 Payload Too Large", "{raw}");
    assert!(raw.contains("application/problem+json"), "{raw}");
    assert!(closed, "the connection is closed rather than the rest awaited");

    // A chunked body, whose size nobody declared, is cut off once it passes the limit.
    let body = unit.to_string();
    let mut chunked = format!(
        "POST /api/v1/units HTTP/1.1\r\nHost: lienket\r\nAuthorization: Bearer {admin}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    for piece in body.as_bytes().chunks(8192) {
        chunked.push_str(&format!("{:x}\r\n{}\r\n", piece.len(), String::from_utf8_lossy(piece)));
    }
    chunked.push_str("0\r\n\r\n");
    let (raw, _) = raw_exchange(&app, chunked.as_bytes(), Duration::from_secs(10)).await;
    assert_eq!(status_line(&raw), "HTTP/1.1 413 Payload Too Large", "{raw}");

    // Through the idempotency store, and as a merge patch.
    let keyed = app
        .send(
            app.request(Method::POST, "/api/v1/units")
                .header("idempotency-key", "big-1")
                .json(&unit),
        )
        .await;
    assert_too_large(&keyed, "with an Idempotency-Key");
    let id = app.unit("Công an huyện Gia Lâm").await;
    let patched = app.patch(&format!("/api/v1/units/{id}"), &json!({"short_name": name})).await;
    assert_too_large(&patched, "a merge patch");

    // The token and revocation endpoints take 8 KiB, well under the general limit.
    for path in ["/api/v1/auth/token", "/api/v1/auth/revoke"] {
        for size in [9 * 1024, 300 * 1024] {
            let answer = app
                .send(
                    app.anonymous_request(Method::POST, path)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(format!("grant_type=password&username=a&password={}", "p".repeat(size))),
                )
                .await;
            assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{path} {size}: {answer:?}");
            assert_eq!(answer.header("content-type"), Some("application/problem+json"));
        }
    }
    let units = app.collect("/api/v1/units").await;
    assert_eq!(units.len(), 1, "nothing oversized was stored");
    assert_eq!(units[0]["short_name"], Value::Null);
}

#[actix_web::test]
async fn every_list_refuses_a_page_larger_than_500() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let doc = served_document(&app).await;
    let mut lists = 0;
    for op in operations(&doc) {
        let takes_limit = doc["paths"][&op.path][op.method.as_str().to_ascii_lowercase()]["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["name"] == "limit"));
        if !takes_limit {
            continue;
        }
        lists += 1;
        let path = w.fill(&op.path);
        let full = app.get(&format!("{path}?limit=500")).await;
        assert_eq!(full.status, StatusCode::OK, "{path}: {full:?}");
        for limit in ["501", "100000", "0", "-1", "1.5", "1e3", "99999999999999999999", ""] {
            let answer = app.get(&format!("{path}?limit={limit}")).await;
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}?limit={limit}: {answer:?}");
            assert_eq!(
                answer.problem().1,
                [("limit".to_owned(), "out_of_range".to_owned())],
                "{path}?limit={limit}"
            );
        }
    }
    assert_eq!(lists, 19);
}

#[actix_web::test]
async fn cursors_are_bounded_and_tied_to_their_list() {
    use base64::Engine;
    let b64 = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text.as_bytes());
    let app = spawn_app().await;
    world(&app).await;
    let first = app.get("/api/v1/units?limit=1").await;
    let cursor = first.body["next_cursor"].as_str().expect("a next page").to_owned();
    let second = app.get(&format!("/api/v1/units?limit=1&cursor={cursor}")).await;
    assert_eq!(second.status, StatusCode::OK, "the genuine cursor works: {second:?}");

    let cases = [
        ("longer than 4096 bytes", format!("/api/v1/units?cursor={}", "A".repeat(4097))),
        ("60 000 bytes", format!("/api/v1/units?cursor={}", "A".repeat(60_000))),
        ("not base64", "/api/v1/units?cursor=!!!!".to_owned()),
        ("base64 of text", format!("/api/v1/units?cursor={}", b64("page two, please"))),
        ("base64 of another JSON", format!("/api/v1/units?cursor={}", b64(r#"{"page": 2}"#))),
        (
            "a cursor of the right shape for no list",
            format!(
                "/api/v1/units?cursor={}",
                b64(&json!({"s": "name", "k": "a", "i": Uuid::now_v7(), "f": "AAAAAAAAAAAA"}).to_string())
            ),
        ),
        ("another list's cursor", format!("/api/v1/areas?cursor={cursor}")),
        ("other filters", format!("/api/v1/units?level=district&cursor={cursor}")),
        ("another sort order", format!("/api/v1/units?sort=-name&cursor={cursor}")),
    ];
    for (what, path) in cases {
        let answer = app.get(&path).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{what}: {answer:?}");
        assert_eq!(answer.problem().1, [("cursor".to_owned(), "invalid_value".to_owned())], "{what}");
    }
}

#[actix_web::test]
async fn deep_nesting_and_long_texts_are_refused_without_a_server_error() {
    let app = spawn_app().await;
    let id = app.unit("Công an huyện Gia Lâm").await;
    let arrays = format!(r#"{{"name": {}1{}}}"#, "[".repeat(10_000), "]".repeat(10_000));
    let objects = format!(r#"{{"contact": {}1{}}}"#, r#"{"a": "#.repeat(5_000), "}".repeat(5_000));
    let cases = [
        (Method::POST, "/api/v1/units".to_owned(), "application/json", arrays.clone()),
        (Method::POST, "/api/v1/units".to_owned(), "application/json", objects.clone()),
        (
            Method::PATCH,
            format!("/api/v1/units/{id}"),
            "application/merge-patch+json",
            objects.clone(),
        ),
    ];
    for (method, path, content_type, body) in cases {
        let answer = app
            .send(app.request(method.clone(), &path).header("content-type", content_type).body(body))
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{method} {path}: {answer:?}");
        assert_eq!(answer.problem(), ("bad_request", vec![]), "{method} {path}");
    }
    let token = app
        .send(
            app.anonymous_request(Method::POST, "/api/v1/auth/token")
                .header("content-type", "application/json")
                .body(format!(r#"{{"grant_type": {}"password"{}}}"#, "[".repeat(3_000), "]".repeat(3_000))),
        )
        .await;
    assert_eq!(token.status, StatusCode::BAD_REQUEST, "{token:?}");
    assert_eq!(token.body["error"], "invalid_request");

    // A text far over its field's length is a rule broken, named as such.
    let long = app
        .post(
            "/api/v1/units",
            &json!({"name": "x".repeat(60_000), "force": "police", "level": "district"}),
        )
        .await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY, "{long:?}");
    assert_eq!(long.problem().1, [("name".to_owned(), "too_long".to_owned())]);
    assert_eq!(app.collect("/api/v1/units").await.len(), 1, "nothing was created");
}

#[actix_web::test]
async fn huge_arrays_get_one_error_not_one_per_item() {
    // The production body limit (1 MiB), so the arrays can be as long as a client can send.
    let app = spawn_app_with_server(|s| s.max_body_bytes = 1_048_576).await;
    let w = world(&app).await;
    let ids = |n: usize| -> Vec<Value> { (0..n).map(|_| json!(Uuid::now_v7())).collect() };
    let units = |n: usize| -> Vec<Value> { (0..n).map(|_| json!({"unit_id": Uuid::now_v7()})).collect() };
    let cases = [
        (
            Method::POST,
            "/api/v1/clusters".to_owned(),
            json!({"name": "Cụm khổng lồ", "kind": "liaison_cluster", "members": units(12_000)}),
            "members",
        ),
        (
            Method::POST,
            "/api/v1/bulletins".to_owned(),
            json!({"cluster_id": w.ours.cluster, "sender_unit_id": w.home, "title": "Gửi tất cả", "body": "Nội dung",
                   "recipient_unit_ids": ids(20_000)}),
            "recipient_unit_ids",
        ),
        (
            Method::PATCH,
            format!("/api/v1/meetings/{}", w.ours.meeting),
            json!({"attending_unit_ids": ids(20_000)}),
            "attending_unit_ids",
        ),
        (
            Method::PATCH,
            format!("/api/v1/activities/{}", w.ours.activity),
            json!({"participants": units(12_000)}),
            "participants",
        ),
        (
            Method::PATCH,
            format!("/api/v1/activities/{}", w.ours.activity),
            json!({"area_ids": ids(20_000)}),
            "area_ids",
        ),
        (
            Method::PATCH,
            format!("/api/v1/regulations/{}", w.ours.regulation),
            json!({"legal_bases": (0..12_000).map(|_| json!({"legal_document_id": Uuid::now_v7()})).collect::<Vec<_>>()}),
            "legal_bases",
        ),
        (
            Method::POST,
            "/api/v1/clients".to_owned(),
            json!({"name": "Hệ thống", "unit_id": w.home, "scopes": ["clusters:read"], "cluster_ids": ids(20_000)}),
            "cluster_ids",
        ),
    ];
    for (method, path, body, field) in cases {
        let size = body.to_string().len();
        assert!(size > 500_000, "{path}: a body of {size} bytes");
        let request = app.request(method.clone(), &path);
        let request = if method == Method::PATCH {
            request.header("content-type", "application/merge-patch+json")
        } else {
            request.header("content-type", "application/json")
        };
        let answer = app.send(request.body(body.to_string())).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{method} {path}: {answer:?}");
        assert_eq!(answer.problem().1, [(field.to_owned(), "too_many".to_owned())], "{method} {path}");
        assert!(answer.body.to_string().len() < 2048, "{path}: a short answer");
    }
}

#[actix_web::test]
async fn statistics_periods_are_bounded() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let from = chrono::NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
    let longest = from + chrono::Days::new(3659);
    for base in [
        format!("/api/v1/clusters/{}/statistics", w.ours.cluster),
        format!("/api/v1/units/{}/statistics", w.home),
    ] {
        let ok = app.get(&format!("{base}?from={from}&to={longest}&compare=previous_period")).await;
        assert_eq!(ok.status, StatusCode::OK, "3660 days: {ok:?}");
        for (query, field) in [
            (format!("from={from}&to={}", longest + chrono::Days::new(1)), "to"),
            ("from=1900-01-01&to=9998-12-31".to_owned(), "to"),
            ("from=0001-01-01&to=0001-12-31".to_owned(), "from"),
        ] {
            let answer = app.get(&format!("{base}?{query}")).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{base}?{query}: {answer:?}");
            assert_eq!(
                answer.problem().1,
                [(field.to_owned(), "invalid_value".to_owned())],
                "{base}?{query}"
            );
        }
    }
}

#[actix_web::test]
async fn keys_chosen_by_callers_are_bounded() {
    let app = spawn_app().await;
    let body = json!({"name": "Công an huyện Tiên Du", "force": "police", "level": "district"});
    let post = |key: String| {
        app.request(Method::POST, "/api/v1/units")
            .header("idempotency-key", key)
            .json(&body)
    };
    let long = app.send(post("k".repeat(201))).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST, "{long:?}");
    assert_eq!(long.problem().1[0].0, "Idempotency-Key");
    assert_eq!(app.send(post("k".repeat(200))).await.status, StatusCode::CREATED);

    let id = |value: String| app.send(app.request(Method::GET, "/health/live").header("x-request-id", value));
    let kept = "r".repeat(64);
    assert_eq!(id(kept.clone()).await.header("x-request-id"), Some(kept.as_str()));
    let replaced = id("r".repeat(65)).await;
    let generated = replaced.header("x-request-id").unwrap();
    assert!(Uuid::parse_str(generated).is_ok(), "an overlong id is replaced: {generated}");
}

#[actix_web::test]
async fn a_client_that_stalls_its_request_head_is_cut_off() {
    let app = spawn_app().await;
    let (raw, closed) = raw_exchange(&app, b"GET /api/v1/units HTTP/1.1\r\nHost: lienket\r\n", Duration::from_secs(15)).await;
    assert!(closed, "the connection was closed: {raw}");
    assert_eq!(status_line(&raw), "HTTP/1.1 408 Request Timeout", "{raw}");
}

/// A client that sends its head and then stalls the body is cut off once `body_timeout_secs`
/// have passed: 408, with the connection closed. That holds for the token endpoint (which needs
/// no token), for JSON bodies, and for bodies the idempotency store reads first.
#[actix_web::test]
async fn a_client_that_stalls_its_body_is_cut_off() {
    let app = spawn_app_with_server(|s| s.body_timeout_secs = 2).await;
    let admin = app.token(user_grant(Role::Admin, Uuid::now_v7(), Classification::Secret));
    let token_request = b"POST /api/v1/auth/token HTTP/1.1\r\nHost: lienket\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 100\r\n\r\ngrant_type=pass"
        .to_vec();
    let json_request = |extra: &str| {
        format!(
            "POST /api/v1/units HTTP/1.1\r\nHost: lienket\r\nAuthorization: Bearer {admin}\r\n{extra}\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\": \"Công an"
        )
        .into_bytes()
    };
    let started = std::time::Instant::now();
    let wait = Duration::from_secs(15);
    let answers = futures_util::future::join_all([
        raw_exchange(&app, &token_request, wait),
        raw_exchange(&app, &json_request(""), wait),
        raw_exchange(&app, &json_request("Idempotency-Key: stalled-1\r\n"), wait),
    ])
    .await;
    for ((raw, closed), what) in answers.into_iter().zip(["token endpoint", "JSON body", "JSON body with a key"]) {
        assert!(closed, "{what}: the server still waits for the body after fifteen seconds");
        assert_eq!(status_line(&raw), "HTTP/1.1 408 Request Timeout", "{what}: {raw}");
    }
    assert!(started.elapsed() >= Duration::from_secs(2), "cut off no earlier than the setting");
    assert!(app.collect("/api/v1/units").await.is_empty(), "nothing was stored");
}
