//! The conventions every endpoint follows: errors, request ids, languages, pagination,
//! conditional requests, merge patch, idempotency, soft delete and limits.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

#[actix_web::test]
async fn health_checks_answer() {
    let app = spawn_app().await;
    for path in ["/health/live", "/health/ready"] {
        let answer = app.get(path).await;
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.body, json!({"status": "ok"}), "{path}");
    }
}

#[actix_web::test]
async fn every_answer_carries_a_request_id() {
    let app = spawn_app().await;

    let fresh = app.get("/health/live").await;
    let id = fresh.header("x-request-id").expect("a request id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "generated ids are UUIDs: {id}");

    let echoed = app
        .send(app.request(Method::GET, "/health/live").header("x-request-id", "upstream-42"))
        .await;
    assert_eq!(echoed.header("x-request-id"), Some("upstream-42"), "a caller's safe id is kept");

    let unsafe_id = app
        .send(app.request(Method::GET, "/health/live").header("x-request-id", "a b\"c"))
        .await;
    assert_ne!(unsafe_id.header("x-request-id"), Some("a b\"c"), "an unsafe id is replaced");

    let missing = app.get("/api/v1/areas/0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f80").await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.body["request_id"].as_str(),
        missing.header("x-request-id"),
        "the problem quotes the header"
    );
}

#[actix_web::test]
async fn unknown_paths_are_problems() {
    let app = spawn_app().await;
    for path in ["/nothing", "/api/v1/nothing", "/api/v2/units"] {
        let answer = app.get(path).await;
        assert_eq!(answer.status, 404, "{path}");
        assert_eq!(answer.problem().0, "not_found", "{path}");
        assert_eq!(answer.body["instance"], path);
    }
}

#[actix_web::test]
async fn unsupported_methods_are_405_with_allow() {
    let app = spawn_app().await;
    let cases = [
        (
            Method::PUT,
            "/api/v1/units/0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f80",
            "GET, HEAD, PATCH, DELETE",
        ),
        (Method::DELETE, "/api/v1/units", "GET, HEAD, POST"),
        (Method::POST, "/health/live", "GET, HEAD"),
    ];
    for (method, path, allow) in cases {
        let answer = app.send(app.request(method.clone(), path)).await;
        assert_eq!(answer.status, 405, "{method} {path}");
        assert_eq!(answer.header("allow"), Some(allow), "{method} {path}");
        assert_eq!(answer.problem().0, "method_not_allowed");
    }
}

#[actix_web::test]
async fn head_answers_like_get_without_a_body() {
    let app = spawn_app().await;
    let id = app.unit("Công an huyện Gia Lâm").await;
    for path in ["/api/v1/units".to_owned(), format!("/api/v1/units/{id}"), "/health/live".to_owned()] {
        let get = app.get(&path).await;
        let head = app.send(app.request(Method::HEAD, &path)).await;
        assert_eq!(head.status, 200, "{path}");
        assert_eq!(head.body, Value::Null, "{path}: no body");
        assert_eq!(head.header("etag"), get.header("etag"), "{path}");
    }
}

#[actix_web::test]
async fn stray_query_parameters_are_refused_everywhere() {
    let app = spawn_app().await;
    let id = app.unit("Công an huyện Gia Lâm").await;
    let cases = [
        (Method::GET, format!("/api/v1/units/{id}?as_of=2024-01-01"), "as_of"),
        (Method::DELETE, format!("/api/v1/units/{id}?force=true"), "force"),
        (Method::GET, "/health/ready?verbose=1".to_owned(), "verbose"),
        (Method::GET, "/api/v1/units?code=%00".to_owned(), "code"),
        (Method::GET, "/api/v1/areas?code=%00".to_owned(), "code"),
    ];
    for (method, path, field) in cases {
        let answer = app.send(app.request(method.clone(), &path)).await;
        assert_eq!(answer.status, 400, "{method} {path}: {answer:?}");
        assert_eq!(answer.problem().1[0].0, field, "{method} {path}");
    }
    let body = json!({"name": "X", "force": "police", "level": "district"});
    let post = app.send(app.request(Method::POST, "/api/v1/units?dry_run=1").json(&body)).await;
    assert_eq!(post.status, 400);
    assert_eq!(app.collect("/api/v1/units").await.len(), 1, "the refused POST created nothing");
}

/// Input that used to reach the database: out-of-range dates, NUL and other control characters,
/// duplicate keys; and numbers JSON does not tell apart.
#[actix_web::test]
async fn input_the_databases_cannot_store_is_refused() {
    let app = spawn_app().await;
    let bodies = [
        (
            r#"{"name": "x", "force": "police", "level": "district", "valid_from": "-5000-01-01"}"#,
            400,
            "valid_from",
            "year out of range",
        ),
        (
            r#"{"name": "x", "force": "police", "level": "district", "valid_from": "+12025-01-01"}"#,
            400,
            "valid_from",
            "five-digit year",
        ),
        (
            r#"{"name": "x", "force": "police", "level": "district", "valid_from": "2024-1-5"}"#,
            400,
            "valid_from",
            "not YYYY-MM-DD",
        ),
        (
            r#"{"name": "Gia\u0000Lâm", "force": "police", "level": "district"}"#,
            400,
            "name",
            "NUL in a text",
        ),
        (
            r#"{"name": "x", "force": "police", "level": "district", "contact": {"address": "\u0000"}}"#,
            400,
            "contact.address",
            "NUL deep inside",
        ),
        (
            r#"{"name": "Gia\u0007Lâm", "force": "police", "level": "district"}"#,
            400,
            "name",
            "control character",
        ),
        (
            r#"{"name": "x", "force": "police", "level": "district", "contact": {"address": "a\u009fb"}}"#,
            400,
            "contact.address",
            "C1 control character deep inside",
        ),
        (
            r#"{"name": "x", "name": "y", "force": "police", "level": "district"}"#,
            400,
            "name",
            "a member given twice",
        ),
        (
            r#"{"name": "x", "force": "police", "level": "district", "name": "y", "staff": 1.0}"#,
            400,
            "name",
            "a member given twice beside a number written with a zero fraction",
        ),
    ];
    for (body, status, field, why) in bodies {
        let answer = app
            .send(
                app.request(Method::POST, "/api/v1/units")
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
        assert_eq!(answer.status.as_u16(), status, "{why}: {answer:?}");
        assert!(answer.problem().1.iter().any(|(f, _)| f == field), "{why}: {answer:?}");
    }
    for (query, field) in [
        ("active_on=-5000-01-01", "active_on"),
        ("active_on=%2B12025-01-01", "active_on"),
        ("q=gia%00lam", "q"),
    ] {
        let answer = app.get(&format!("/api/v1/units?{query}")).await;
        assert_eq!(answer.status, 400, "{query}");
        assert_eq!(answer.problem().1[0].0, field, "{query}");
    }
    assert!(app.collect("/api/v1/units").await.is_empty(), "nothing was stored");

    // JSON has one kind of number: `24.0` and `2.4e1` are the integer 24; `24.5` is no integer.
    let a = app.unit("Đồn Biên phòng A").await;
    let b = app.unit("Đồn Biên phòng B").await;
    let members = json!([{"unit_id": a}, {"unit_id": b}]);
    for (hours, status) in [(json!(24.0), 201), (json!(2.4e1), 201), (json!(24.5), 400)] {
        let answer = app
            .post(
                "/api/v1/clusters",
                &json!({"name": format!("Cụm {hours}"), "kind": "bilateral", "members": members, "reporting_sla_hours": hours}),
            )
            .await;
        assert_eq!(answer.status.as_u16(), status, "{hours}: {answer:?}");
        if status == 201 {
            assert_eq!(answer.body["reporting_sla_hours"], 24, "{hours}");
        }
    }

    let json_patch = app
        .send(
            app.request(Method::POST, "/api/v1/units")
                .header("content-type", "application/json-patch+json")
                .body("[]"),
        )
        .await;
    assert_eq!(json_patch.status, 415, "JSON Patch is not JSON Merge Patch");
}

#[actix_web::test]
async fn an_unreachable_database_is_a_quick_503() {
    let app = spawn_app().await;
    app.pools.close().await;
    for path in ["/health/ready", "/api/v1/units", "/api/v1/clusters?q=gia"] {
        let started = std::time::Instant::now();
        let answer = app.get(path).await;
        assert_eq!(answer.status, 503, "{path}: {answer:?}");
        assert_eq!(answer.problem().0, "service_unavailable");
        assert!(answer.header("retry-after").is_some(), "{path}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{path} failed fast");
    }
    assert_eq!(app.get("/health/live").await.status, 200, "the process itself is alive");
}

#[actix_web::test]
async fn problems_speak_vietnamese_on_request() {
    let app = spawn_app().await;
    let request = app
        .request(Method::POST, "/api/v1/areas")
        .header("accept-language", "vi-VN,vi;q=0.9,en;q=0.5")
        .json(&json!({
            "code": "1", "name": " ", "level": "province"
        }));
    let answer = app.send(request).await;
    assert_eq!(answer.status, 422);
    assert_eq!(answer.header("content-language"), Some("vi"));
    assert_eq!(answer.body["title"], "Dữ liệu không hợp lệ");
    let messages: Vec<&str> = answer.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert!(messages.contains(&"Không được để trống."), "{messages:?}");

    let english = app
        .post("/api/v1/areas", &json!({"code": "1", "name": " ", "level": "province"}))
        .await;
    assert_eq!(english.body["title"], "Validation failed");
}

/// Bad input of every kind answers 4xx problem+json naming what was wrong.
#[actix_web::test]
async fn bad_input_is_rejected_precisely() {
    let app = spawn_app().await;
    let province = app.province("01", "Thành phố Hà Nội").await;
    let unit = app.unit("Công an huyện Gia Lâm").await;
    let unit_path = format!("/api/v1/units/{unit}");

    struct Case {
        why: &'static str,
        method: Method,
        path: String,
        content_type: Option<&'static str>,
        body: Option<String>,
        headers: Vec<(&'static str, String)>,
        status: u16,
        code: &'static str,
        field: Option<&'static str>,
    }
    let post = |why, body: &str, status, code, field| Case {
        why,
        method: Method::POST,
        path: "/api/v1/units".into(),
        content_type: Some("application/json"),
        body: Some(body.to_owned()),
        headers: vec![],
        status,
        code,
        field,
    };
    let get = |why, path: String, status, code, field| Case {
        why,
        method: Method::GET,
        path,
        content_type: None,
        body: None,
        headers: vec![],
        status,
        code,
        field,
    };
    let cases = vec![
        post("malformed JSON", r#"{"name": "#, 400, "bad_request", None),
        post("not an object", r#"["name"]"#, 400, "bad_request", None),
        post(
            "wrong type",
            r#"{"name": 7, "force": "police", "level": "district"}"#,
            400,
            "bad_request",
            Some("name"),
        ),
        post(
            "unknown field",
            r#"{"name": "x", "force": "police", "level": "district", "colour": "red"}"#,
            400,
            "bad_request",
            Some("colour"),
        ),
        post(
            "server-owned field",
            r#"{"name": "x", "force": "police", "level": "district", "version": 9}"#,
            400,
            "bad_request",
            Some("version"),
        ),
        post(
            "unknown enum value",
            r#"{"name": "x", "force": "navy", "level": "district"}"#,
            400,
            "bad_request",
            Some("force"),
        ),
        post(
            "missing field",
            r#"{"name": "x", "level": "district"}"#,
            400,
            "bad_request",
            Some("force"),
        ),
        post(
            "impossible date",
            r#"{"name": "x", "force": "police", "level": "district", "valid_from": "2024-02-30"}"#,
            400,
            "bad_request",
            Some("valid_from"),
        ),
        post(
            "dates out of order",
            r#"{"name": "x", "force": "police", "level": "district", "valid_from": "2024-01-02", "valid_to": "2024-01-01"}"#,
            422,
            "validation_failed",
            Some("valid_to"),
        ),
        post(
            "dangling reference",
            r#"{"name": "x", "force": "police", "level": "district", "parent_id": "0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f80"}"#,
            422,
            "validation_failed",
            Some("parent_id"),
        ),
        post(
            "blank name",
            r#"{"name": "   ", "force": "police", "level": "district"}"#,
            422,
            "validation_failed",
            Some("name"),
        ),
        post(
            "bad nested contact",
            r#"{"name": "x", "force": "police", "level": "district", "contact": {"email": "nope"}}"#,
            422,
            "validation_failed",
            Some("contact.email"),
        ),
        Case {
            why: "not JSON at all",
            content_type: Some("text/plain"),
            ..post("", "name=x", 415, "unsupported_media_type", None)
        },
        Case {
            why: "no content type",
            content_type: None,
            ..post("", "{}", 415, "unsupported_media_type", None)
        },
        Case {
            why: "body over the limit",
            body: Some(format!(r#"{{"name": "{}"}}"#, "x".repeat(70 * 1024))),
            ..post("", "", 413, "payload_too_large", None)
        },
        get(
            "id that is not a UUID",
            "/api/v1/units/not-a-uuid".into(),
            400,
            "bad_request",
            Some("id"),
        ),
        get("limit zero", "/api/v1/units?limit=0".into(), 400, "bad_request", Some("limit")),
        get(
            "limit over the maximum",
            "/api/v1/units?limit=501".into(),
            400,
            "bad_request",
            Some("limit"),
        ),
        get(
            "bad cursor",
            "/api/v1/units?cursor=bm9wZQ".into(),
            400,
            "bad_request",
            Some("cursor"),
        ),
        get(
            "unknown parameter",
            "/api/v1/units?colour=red".into(),
            400,
            "bad_request",
            Some("colour"),
        ),
        get(
            "bad enum parameter",
            "/api/v1/units?force=navy".into(),
            400,
            "bad_request",
            Some("force"),
        ),
        get(
            "bad date parameter",
            "/api/v1/units?active_on=yesterday".into(),
            400,
            "bad_request",
            Some("active_on"),
        ),
        get(
            "sort outside the allowlist",
            "/api/v1/units?sort=password".into(),
            400,
            "bad_request",
            Some("sort"),
        ),
        get(
            "search too long",
            format!("/api/v1/units?q={}", "a".repeat(201)),
            400,
            "bad_request",
            Some("q"),
        ),
        get(
            "bad query on a read",
            format!("/api/v1/clusters/{province}?as_of=tomorrow"),
            400,
            "bad_request",
            None,
        ),
        Case {
            why: "malformed If-Match",
            method: Method::PATCH,
            path: unit_path.clone(),
            content_type: Some("application/merge-patch+json"),
            body: Some(r#"{"name": "y"}"#.into()),
            headers: vec![("if-match", "3".into())],
            status: 400,
            code: "bad_request",
            field: Some("If-Match"),
        },
        Case {
            why: "stale If-Match",
            method: Method::PATCH,
            path: unit_path.clone(),
            content_type: Some("application/merge-patch+json"),
            body: Some(r#"{"name": "y"}"#.into()),
            headers: vec![("if-match", "\"7\"".into())],
            status: 412,
            code: "precondition_failed",
            field: None,
        },
        Case {
            why: "bad Idempotency-Key",
            method: Method::POST,
            path: "/api/v1/units".into(),
            content_type: Some("application/json"),
            body: Some(r#"{"name": "x", "force": "police", "level": "district"}"#.into()),
            headers: vec![("idempotency-key", "é".repeat(3))],
            status: 400,
            code: "bad_request",
            field: Some("Idempotency-Key"),
        },
    ];
    for case in cases {
        let mut request = app.request(case.method.clone(), &case.path);
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        if let Some(body) = case.body.clone() {
            request = request.body(body);
        }
        for (name, value) in &case.headers {
            request = request.header(*name, value.as_str());
        }
        let answer = app.send(request).await;
        assert_eq!(answer.status.as_u16(), case.status, "{}: {answer:?}", case.why);
        let (code, errors) = answer.problem();
        assert_eq!(code, case.code, "{}: {answer:?}", case.why);
        if let Some(field) = case.field {
            assert!(
                errors.iter().any(|(f, _)| f == field),
                "{}: errors name {field}: {errors:?}",
                case.why
            );
        }
        assert!(
            answer.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{}: a detail",
            case.why
        );
    }
    let unchanged = app.get(&unit_path).await;
    assert_eq!(
        unchanged.body["name"], "Công an huyện Gia Lâm",
        "no rejected write changed anything"
    );
    assert_eq!(unchanged.body["version"], 1);
}

#[actix_web::test]
async fn all_rule_violations_are_reported_at_once() {
    let app = spawn_app().await;
    let answer = app
        .post(
            "/api/v1/areas",
            &json!({"code": "12", "name": "", "level": "district", "valid_from": "2025-01-01", "valid_to": "2024-01-01"}),
        )
        .await;
    assert_eq!(answer.status, 422);
    let (_, errors) = answer.problem();
    let fields: HashSet<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(fields, HashSet::from(["name", "code", "valid_to", "parent_id"]), "{errors:?}");
}

#[actix_web::test]
async fn reads_carry_etags_and_honour_if_none_match() {
    let app = spawn_app().await;
    let id = app.unit("Công an huyện Đông Anh").await;
    let path = format!("/api/v1/units/{id}");

    let first = app.get(&path).await;
    let tag = first.header("etag").expect("an ETag").to_owned();
    assert!(tag.starts_with("\"1-"), "the version leads the tag: {tag}");

    let again = app
        .send(app.request(Method::GET, &path).header("if-none-match", tag.as_str()))
        .await;
    assert_eq!(again.status, 304);
    assert_eq!(again.header("etag"), Some(tag.as_str()));

    app.patch(&path, &json!({"short_name": "CAH Đông Anh"})).await;
    let changed = app
        .send(app.request(Method::GET, &path).header("if-none-match", tag.as_str()))
        .await;
    assert_eq!(changed.status, 200, "a new version is sent in full");
    assert!(changed.header("etag").is_some_and(|t| t.starts_with("\"2-")));

    for malformed in ["2", "W/2", "\"2", ""] {
        let answer = app.send(app.request(Method::GET, &path).header("if-none-match", malformed)).await;
        assert_eq!(answer.status, 400, "If-None-Match: {malformed}");
        assert_eq!(answer.problem().1[0].0, "If-None-Match");
    }

    // Audit events never change; they are tagged all the same.
    let events = app.get("/api/v1/audit-events?limit=1").await;
    let event = format!("/api/v1/audit-events/{}", events.body["items"][0]["id"].as_str().expect("an event"));
    let first = app.get(&event).await;
    let tag = first.header("etag").expect("an ETag").to_owned();
    let again = app
        .send(app.request(Method::GET, &event).header("if-none-match", tag.as_str()))
        .await;
    assert_eq!(again.status, 304, "{event}");
}

#[actix_web::test]
async fn etags_change_with_what_a_record_shows_of_others() {
    let app = spawn_app().await;
    let parent = app.unit("Công an thành phố Hà Nội").await;
    let child = app
        .create(
            "/api/v1/units",
            json!({"name": "Công an huyện Gia Lâm", "force": "police", "level": "district", "parent_id": parent}),
        )
        .await;
    let path = format!("/api/v1/units/{child}");
    let before = app.get(&path).await.header("etag").expect("an ETag").to_owned();

    app.patch(&format!("/api/v1/units/{parent}"), &json!({"short_name": "CATP Hà Nội"}))
        .await;
    let after = app
        .send(app.request(Method::GET, &path).header("if-none-match", before.as_str()))
        .await;
    assert_eq!(after.status, 200, "the embedded parent changed, so the cached copy is stale");
    assert_eq!(after.body["parent"]["short_name"], "CATP Hà Nội");
    assert_eq!(after.body["version"], 1, "the child itself did not change");

    let write = app
        .send(
            app.request(Method::PATCH, &path)
                .header("content-type", "application/merge-patch+json")
                .header("if-match", before.as_str())
                .body(json!({"short_name": "CAH Gia Lâm"}).to_string()),
        )
        .await;
    assert_eq!(write.status, 200, "writes are conditioned on the record's version");
}

#[actix_web::test]
async fn writes_honour_if_match() {
    let app = spawn_app().await;
    let id = app.unit("Công an huyện Văn Lâm").await;
    let path = format!("/api/v1/units/{id}");
    let patch = |tag: &str, name: &'static str| {
        app.request(Method::PATCH, &path)
            .header("content-type", "application/merge-patch+json")
            .header("if-match", tag)
            .body(json!({"name": name}).to_string())
    };

    let current = app.send(patch("\"1\"", "Công an huyện Văn Lâm (Hưng Yên)")).await;
    assert_eq!(current.status, 200);
    assert_eq!(current.body["version"], 2);
    let tag = current.header("etag").expect("an ETag").to_owned();
    assert!(tag.starts_with("\"2-"));

    let stale = app.send(patch("\"1\"", "Lost update")).await;
    assert_eq!(stale.status, 412);

    let full_tag = app.send(patch(&tag, "Công an huyện Văn Lâm")).await;
    assert_eq!(full_tag.status, 200, "the whole ETag works as well as the bare version");
    let any = app.send(patch("*", "Công an huyện Văn Lâm, Hưng Yên")).await;
    assert_eq!(any.status, 200);

    let stale_delete = app.send(app.request(Method::DELETE, &path).header("if-match", "\"2\"")).await;
    assert_eq!(stale_delete.status, 412);
    assert_eq!(app.get(&path).await.body["name"], "Công an huyện Văn Lâm, Hưng Yên");
    let delete = app.send(app.request(Method::DELETE, &path).header("if-match", "\"4\"")).await;
    assert_eq!(delete.status, 204);
}

#[actix_web::test]
async fn a_patch_that_changes_nothing_writes_nothing() {
    let app = spawn_app().await;
    let id = app.unit("Công an huyện Tiên Du").await;
    let path = format!("/api/v1/units/{id}");
    for patch in [
        json!({}),
        json!({"name": "Công an huyện Tiên Du"}),
        json!({"name": "  Công an huyện Tiên Du "}),
    ] {
        let answer = app.patch(&path, &patch).await;
        assert_eq!(answer.status, 200, "{patch}");
        assert_eq!(answer.body["version"], 1, "{patch}");
    }
}

#[actix_web::test]
async fn patch_is_a_json_merge_patch() {
    let app = spawn_app().await;
    let id = app
        .create(
            "/api/v1/units",
            json!({"name": "Công an huyện Tiên Du", "short_name": "CAH Tiên Du", "force": "police", "level": "district",
                   "contact": {"phone": "0222 3838 000", "email": "cah.tiendu@example.vn"}}),
        )
        .await;
    let path = format!("/api/v1/units/{id}");

    let answer = app.patch(&path, &json!({"short_name": null, "contact": {"email": null}})).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["short_name"], Value::Null, "null clears");
    assert_eq!(answer.body["name"], "Công an huyện Tiên Du", "absent stays");
    assert_eq!(
        answer.body["contact"],
        json!({"phone": "0222 3838 000", "email": null, "address": null}),
        "nested objects merge"
    );

    let required = app.patch(&path, &json!({"name": null})).await;
    assert_eq!(required.status, 422);
    assert_eq!(required.problem().1, vec![("name".to_owned(), "not_nullable".to_owned())]);

    let owned = app.patch(&path, &json!({"id": id, "created_at": "2020-01-01T00:00:00Z"})).await;
    assert_eq!(owned.status, 400);
    assert_eq!(app.get(&path).await.body["version"], 2, "rejected patches change nothing");
}

#[actix_web::test]
async fn idempotency_keys_make_retries_safe() {
    let app = spawn_app().await;
    let body = json!({"name": "Công an huyện Thuận Thành", "force": "police", "level": "district"});
    let post = |key: &'static str, body: &Value| app.request(Method::POST, "/api/v1/units").header("idempotency-key", key).json(body);

    let first = app.send(post("retry-1", &body)).await;
    assert_eq!(first.status, 201);
    let replay = app.send(post("retry-1", &body)).await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body, first.body, "the first answer is replayed");
    assert_eq!(replay.header("location"), first.header("location"));
    assert_eq!(
        app.collect("/api/v1/units?q=thuan%20thanh").await.len(),
        1,
        "no duplicate was created"
    );

    let other = app
        .send(post("retry-1", &json!({"name": "Other", "force": "police", "level": "district"})))
        .await;
    assert_eq!(other.status, 422);
    assert_eq!(other.problem().0, "idempotency_key_reused");

    let invalid = app
        .send(post("retry-2", &json!({"name": "", "force": "police", "level": "district"})))
        .await;
    assert_eq!(invalid.status, 422);
    let fixed = app
        .send(post(
            "retry-2",
            &json!({"name": "Công an huyện Tiên Du", "force": "police", "level": "district"}),
        ))
        .await;
    assert_eq!(fixed.status, 201, "a failed attempt does not use up its key");

    let without_key = app.post("/api/v1/units", &body).await;
    assert_eq!(without_key.status, 201, "without a key every POST creates");
    assert_eq!(app.collect("/api/v1/units?q=thuan%20thanh").await.len(), 2);
}

/// Requests racing with one key: one writes; the others wait for it, then replay its answer or,
/// if they come between its commit and the storing of its answer, are sent to what it wrote
/// (a 303, which the client follows).
#[actix_web::test]
async fn requests_racing_with_one_key_write_once() {
    let app = spawn_app().await;
    let body = json!({"name": "Công an huyện Gia Bình", "force": "police", "level": "district"});
    let answers = futures_util::future::join_all((0..8).map(|_| {
        app.send(
            app.request(Method::POST, "/api/v1/units")
                .header("idempotency-key", "race-1")
                .json(&body),
        )
    }))
    .await;
    let written: Vec<_> = answers
        .iter()
        .filter(|a| a.status == 201 && a.header("idempotent-replayed").is_none())
        .collect();
    assert_eq!(written.len(), 1, "one request writes: {answers:?}");
    let id = written[0].id();
    for answer in &answers {
        assert!(matches!(answer.status.as_u16(), 200 | 201), "{answer:?}");
        assert_eq!(answer.id(), id, "every answer is the one unit written");
    }
    assert_eq!(app.collect("/api/v1/units?q=gia%20binh").await.len(), 1, "no duplicate was created");
}

/// Sets the stored state of an `Idempotency-Key` as a crash would have left it.
async fn leave_key(app: &TestApp, key: &str, status: Option<i32>, headers: Option<String>, age_secs: i64) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
    entity::idempotency_keys::Entity::update_many()
        .set(entity::idempotency_keys::ActiveModel {
            status: Set(status),
            response_headers: Set(headers),
            response_body: Set(None),
            created_at: Set(lienket::db::now() - chrono::Duration::seconds(age_secs)),
            ..Default::default()
        })
        .filter(entity::idempotency_keys::Column::Key.eq(key))
        .exec(&app.db)
        .await
        .expect("update the key");
}

#[actix_web::test]
async fn retries_after_a_crash_neither_block_nor_duplicate() {
    let app = spawn_app().await;
    let body = json!({"name": "Công an huyện Gia Bình", "force": "police", "level": "district"});
    let post = |key: &'static str| {
        app.request(Method::POST, "/api/v1/units")
            .header("idempotency-key", key)
            .json(&body)
    };

    // The write committed, but the server died before storing its answer: the retry is sent to
    // what was written instead of writing again.
    let first = app.send(post("crash-1")).await;
    assert_eq!(first.status, 201);
    let location = first.header("location").expect("location").to_owned();
    leave_key(&app, "crash-1", Some(303), Some(json!([["location", location]]).to_string()), 1).await;
    let retry = app.send(post("crash-1")).await;
    assert_eq!(retry.status, 200, "the 303 leads to the unit");
    assert_eq!(retry.body["id"], first.body["id"]);
    assert_eq!(app.collect("/api/v1/units?q=gia%20binh").await.len(), 1, "not written twice");

    // The request died before writing, and its reservation was left behind: a retry takes it over
    // once it is old enough, instead of being refused.
    let id = first.id();
    assert_eq!(app.delete(&format!("/api/v1/units/{id}")).await.status, 204);
    let second = app.send(post("crash-2")).await;
    assert_eq!(second.status, 201);
    let second_id = second.id();
    assert_eq!(app.delete(&format!("/api/v1/units/{second_id}")).await.status, 204);
    leave_key(&app, "crash-2", None, None, 60).await;
    let retry = app.send(post("crash-2")).await;
    assert_eq!(retry.status, 201, "an abandoned reservation is taken over: {:?}", retry.body);
    assert_eq!(retry.header("idempotent-replayed"), None);
    assert_eq!(app.collect("/api/v1/units?q=gia%20binh").await.len(), 1);
}

async fn units_named(app: &TestApp, names: &[&str]) {
    for name in names {
        app.unit(name).await;
    }
}

#[actix_web::test]
async fn lists_page_through_with_cursors_and_links() {
    let app = spawn_app().await;
    let names = ["Đội 01", "Đội 02", "Đội 03", "Đội 04", "Đội 05", "Đội 06", "Đội 07"];
    units_named(&app, &names).await;

    let first = app.get("/api/v1/units?limit=3").await;
    assert_eq!(first.body["items"].as_array().map(Vec::len), Some(3));
    let cursor = first.body["next_cursor"].as_str().expect("a next cursor");
    let link = first.header("link").expect("a Link header");
    assert_eq!(link, format!("</api/v1/units?limit=3&cursor={cursor}>; rel=\"next\""));

    let all: Vec<String> = app
        .collect("/api/v1/units?limit=2")
        .await
        .iter()
        .map(|u| u["name"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(all, names, "every item once, in name order");

    let reversed: Vec<String> = app
        .collect("/api/v1/units?limit=3&sort=-name")
        .await
        .iter()
        .map(|u| u["name"].as_str().unwrap_or("").to_owned())
        .collect();
    let mut expected: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    expected.reverse();
    assert_eq!(reversed, expected);

    let by_creation = app.collect("/api/v1/units?limit=4&sort=created_at").await;
    assert_eq!(by_creation.len(), 7);

    let last = app.get("/api/v1/units?limit=7").await;
    assert_eq!(last.body["next_cursor"], Value::Null);
    assert!(last.header("link").is_none());

    let elsewhere = app.get(&format!("/api/v1/units?limit=3&q=doi&cursor={cursor}")).await;
    assert_eq!(elsewhere.status, 400, "a cursor belongs to its own filters");
    let other_sort = app.get(&format!("/api/v1/units?limit=3&sort=-name&cursor={cursor}")).await;
    assert_eq!(other_sort.status, 400, "and to its own sort order");
}

#[actix_web::test]
async fn equal_sort_keys_page_by_id() {
    let app = spawn_app().await;
    units_named(
        &app,
        &["Đồn Biên phòng", "Đồn biên phòng", "Don Bien Phong", "Đồn Biên phòng", "Cửa khẩu"],
    )
    .await;
    let created: Vec<String> = app
        .collect("/api/v1/units?sort=created_at")
        .await
        .iter()
        .map(|u| u["id"].as_str().unwrap_or("").to_owned())
        .collect();
    for sort in ["name", "-name"] {
        let ids: Vec<String> = app
            .collect(&format!("/api/v1/units?limit=1&sort={sort}"))
            .await
            .iter()
            .map(|u| u["id"].as_str().unwrap_or("").to_owned())
            .collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 5, "{sort}: every unit once across pages of one: {ids:?}");
        let ties: Vec<&String> = ids.iter().filter(|id| *id != &created[4]).collect();
        let mut expected: Vec<&String> = created[..4].iter().collect();
        if sort == "-name" {
            expected.reverse();
        }
        assert_eq!(ties, expected, "{sort}: equal names come in id order, reversed with the sort");
    }
}

#[actix_web::test]
async fn search_ignores_case_and_diacritics() {
    let app = spawn_app().await;
    units_named(&app, &["Công an huyện Gia Lâm", "Công an huyện Đông Anh", "Công an quận Long Biên"]).await;
    let cases = [
        ("gia%20lam", vec!["Công an huyện Gia Lâm"]),
        ("GIA%20L%C3%82M", vec!["Công an huyện Gia Lâm"]),
        ("dong", vec!["Công an huyện Đông Anh"]),
        ("d", vec!["Công an huyện Đông Anh"]),
        (
            "cong%20an",
            vec!["Công an huyện Đông Anh", "Công an huyện Gia Lâm", "Công an quận Long Biên"],
        ),
        ("quan%20long", vec!["Công an quận Long Biên"]),
        ("hai%20phong", vec![]),
        (
            "%25",
            vec!["Công an huyện Đông Anh", "Công an huyện Gia Lâm", "Công an quận Long Biên"],
        ),
    ];
    for (q, expected) in cases {
        let found: Vec<String> = app
            .collect(&format!("/api/v1/units?q={q}"))
            .await
            .iter()
            .map(|u| u["name"].as_str().unwrap_or("").to_owned())
            .collect();
        assert_eq!(found, expected, "q={q}");
    }
    // Nine words are well-formed text but more than a search takes.
    let many = app.get("/api/v1/units?q=mot+hai+ba+bon+nam+sau+bay+tam+chin").await;
    assert_eq!(many.status, 422, "{many:?}");
    assert_eq!(many.body["errors"][0]["code"], "too_many_terms");
}

#[actix_web::test]
async fn delete_is_soft_and_final() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = spawn_app().await;
    let id = app.unit("Công an huyện Văn Giang").await;
    let path = format!("/api/v1/units/{id}");
    assert_eq!(app.delete(&path).await.status, 204);
    let kept = entity::units::Entity::find()
        .filter(entity::units::Column::Id.eq(uuid::Uuid::parse_str(&id).expect("uuid")))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the row is kept");
    assert!(kept.deleted_at.is_some(), "and marked deleted");
    assert_eq!(kept.version, 2);
    assert_eq!(app.get(&path).await.status, 404);
    assert_eq!(app.delete(&path).await.status, 404);
    assert_eq!(app.patch(&path, &json!({"name": "again"})).await.status, 404);
    assert!(app.collect("/api/v1/units").await.is_empty());
}
