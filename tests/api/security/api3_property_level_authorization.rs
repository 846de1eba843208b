//! API3:2023 Broken object property level authorization.
//!
//! Writes: `authorization.rs` (`mass_assignment_is_refused_and_changes_nothing`) refuses
//! server-owned fields in a PATCH of a cluster, and `conventions.rs` in a POST and a PATCH of a
//! unit. Here every POST and PATCH of the OpenAPI document is tried with every server-owned
//! field, against real records, and nothing may change; records cannot be moved to another
//! cluster or unit, or their workflow skipped, by naming a property no operation takes; and
//! credentials cannot be written as stored values (a password hash, a chosen client secret).
//!
//! Reads: no answer of any list, read, write, login or audit event carries a password, a
//! password hash, a client secret (except once, when a client is registered or its secret
//! rotated) or a stored column the API does not publish; nor can a list be sorted or filtered
//! by them.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{PASSWORD, World, operations, served_document, world};
use crate::helpers::{TestApp, login, spawn_app, spawn_app_with_demo};

/// Every field the server owns, as the API documents them.
const SERVER_OWNED: [&str; 7] = [
    "id",
    "version",
    "created_at",
    "updated_at",
    "deleted_at",
    "created_by",
    "updated_by",
];

/// What the administrator reads of every record of the world.
async fn everything(app: &TestApp, w: &World) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let doc = served_document(app).await;
    for op in operations(&doc) {
        if op.method != Method::GET || !op.path.contains('{') || op.path.ends_with("/statistics") {
            continue;
        }
        let path = w.fill(&op.path);
        let answer = app.get(&path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
        out.push((path, answer.body));
    }
    for list in [
        "/api/v1/units",
        "/api/v1/clusters",
        "/api/v1/users",
        "/api/v1/clients",
        "/api/v1/incidents",
    ] {
        out.push((list.to_owned(), json!(app.collect(list).await)));
    }
    out
}

#[actix_web::test]
async fn server_owned_fields_are_refused_on_every_write_and_change_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let doc = served_document(&app).await;
    let before = everything(&app, &w).await;
    let owned: serde_json::Map<String, Value> = SERVER_OWNED
        .iter()
        .map(|f| {
            let value = match *f {
                "version" => json!(99),
                "created_at" | "updated_at" | "deleted_at" => json!("2020-01-01T00:00:00Z"),
                "created_by" | "updated_by" => json!(w.far),
                _ => json!(w.theirs.incident),
            };
            ((*f).to_owned(), value)
        })
        .collect();
    let mut checked = BTreeSet::new();
    for op in operations(&doc) {
        // The OAuth endpoints take forms, not resources; a secret rotation takes no body.
        let skipped = matches!(op.id.as_str(), "issue_token" | "revoke_token" | "rotate_client_secret");
        if !matches!(op.method, Method::POST | Method::PATCH) || skipped {
            continue;
        }
        let path = w.fill(&op.path);
        let content_type = if op.method == Method::PATCH {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        // All of them at once, then each beside an otherwise harmless body.
        let mut bodies = vec![Value::Object(owned.clone())];
        if op.method == Method::PATCH {
            bodies.extend(owned.iter().map(|(k, v)| {
                let mut one = serde_json::Map::new();
                one.insert(k.clone(), v.clone());
                Value::Object(one)
            }));
        }
        for body in bodies {
            let answer = app
                .send(
                    app.request(op.method.clone(), &path)
                        .header("content-type", content_type)
                        .body(body.to_string()),
                )
                .await;
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{} {body}: {answer:?}", op.id);
            let (code, errors) = answer.problem();
            assert_eq!(code, "bad_request", "{}", op.id);
            let mut fields: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
            fields.sort();
            let mut named: Vec<String> = errors
                .iter()
                .map(|(field, code)| {
                    assert_eq!(code, "read_only", "{} {field}", op.id);
                    field.clone()
                })
                .collect();
            named.sort();
            assert_eq!(named, fields, "{}: every server-owned field is named", op.id);
        }
        checked.insert(op.id);
    }
    assert_eq!(checked.len(), 31, "{checked:?}");
    assert_eq!(everything(&app, &w).await, before, "no refused write changed anything");
}

#[actix_web::test]
async fn records_cannot_be_moved_or_their_workflow_skipped_by_naming_a_property() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let before = everything(&app, &w).await;
    let incident = format!("/api/v1/incidents/{}", w.ours.incident);
    let attempts = [
        (incident.clone(), json!({"cluster_id": w.theirs.cluster}), "cluster_id"),
        (incident.clone(), json!({"reporting_unit_id": w.peer}), "reporting_unit_id"),
        (incident.clone(), json!({"status": "closed"}), "status"),
        (incident.clone(), json!({"timeline": []}), "timeline"),
        (incident.clone(), json!({"timeliness": {"within_sla": true}}), "timeliness"),
        (
            format!("/api/v1/activities/{}", w.ours.activity),
            json!({"cluster_id": w.theirs.cluster}),
            "cluster_id",
        ),
        (
            format!("/api/v1/activities/{}", w.ours.activity),
            json!({"lead_unit_id": w.peer}),
            "lead_unit_id",
        ),
        (
            format!("/api/v1/meetings/{}", w.ours.meeting),
            json!({"cluster_id": w.theirs.cluster}),
            "cluster_id",
        ),
        (
            format!("/api/v1/meetings/{}", w.ours.meeting),
            json!({"host_unit_id": w.peer}),
            "host_unit_id",
        ),
        (
            format!("/api/v1/action-items/{}", w.ours.action_item),
            json!({"owner_unit_id": w.peer}),
            "owner_unit_id",
        ),
        (
            format!("/api/v1/action-items/{}", w.ours.action_item),
            json!({"meeting_id": w.theirs.meeting}),
            "meeting_id",
        ),
        (
            format!("/api/v1/regulations/{}", w.ours.regulation),
            json!({"cluster_id": w.theirs.cluster}),
            "cluster_id",
        ),
        (
            format!("/api/v1/clusters/{}/members/{}", w.ours.cluster, w.ours.member),
            json!({"unit_id": w.far}),
            "unit_id",
        ),
        (
            format!("/api/v1/clusters/{}", w.ours.cluster),
            json!({"members": [{"unit_id": w.far}]}),
            "members",
        ),
        (
            format!("/api/v1/users/{}", w.user),
            json!({"password_hash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"}),
            "password_hash",
        ),
        (format!("/api/v1/users/{}", w.user), json!({"username": "admin"}), "username"),
        (
            format!("/api/v1/clients/{}", w.client),
            json!({"client_secret": "lks_chosen_by_the_caller"}),
            "client_secret",
        ),
        (format!("/api/v1/clients/{}", w.client), json!({"secret_hash": "00"}), "secret_hash"),
    ];
    for (path, body, field) in attempts {
        let answer = app.patch(&path, &body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path} {body}: {answer:?}");
        assert_eq!(
            answer.problem().1,
            [(field.to_owned(), "unknown_field".to_owned())],
            "{path} {body}"
        );
    }
    // Nor can a credential be chosen as its stored form at creation.
    let creations = [
        (
            "/api/v1/users",
            json!({"username": "hash.holder", "display_name": "x", "unit_id": w.home, "roles": ["officer"],
                   "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"}),
            "password_hash",
        ),
        (
            "/api/v1/clients",
            json!({"name": "Hệ thống", "unit_id": w.home, "scopes": ["reference:read"], "client_secret": "lks_chosen"}),
            "client_secret",
        ),
        (
            "/api/v1/bulletins",
            json!({"cluster_id": w.ours.cluster, "title": "Tin", "body": "Nội dung", "acknowledgements": [{"unit_id": w.peer}]}),
            "acknowledgements",
        ),
    ];
    for (path, body, field) in creations {
        let answer = app.post(path, &body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}: {answer:?}");
        assert!(
            answer.problem().1.contains(&(field.to_owned(), "unknown_field".to_owned())),
            "{path}: {answer:?}"
        );
    }
    assert_eq!(everything(&app, &w).await, before, "nothing changed");
}

#[actix_web::test]
async fn lists_cannot_be_sorted_or_filtered_by_credentials_or_internal_columns() {
    let app = spawn_app().await;
    world(&app).await;
    for list in ["/api/v1/users", "/api/v1/clients"] {
        for column in [
            "password",
            "password_hash",
            "secret_hash",
            "client_secret",
            "search_text",
            "sort_key",
            "deleted_at",
        ] {
            for query in [format!("sort={column}"), format!("sort=-{column}")] {
                let answer = app.get(&format!("{list}?{query}")).await;
                assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{list}?{query}: {answer:?}");
                assert_eq!(answer.problem().1[0].0, "sort", "{list}?{query}");
            }
            let answer = app.get(&format!("{list}?{column}=x")).await;
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{list}?{column}: {answer:?}");
            assert_eq!(
                answer.problem().1,
                [(column.to_owned(), "unknown_field".to_owned())],
                "{list}?{column}"
            );
        }
    }
}

/// Every member name anywhere in `value`, with its path.
fn keys(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(members) => {
            for (key, item) in members {
                out.push((path.to_owned(), key.clone()));
                keys(item, &format!("{path}.{key}"), out);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| keys(item, &format!("{path}[]"), out)),
        _ => {}
    }
}

/// A member name that would carry a credential or a column the API does not publish. The audit
/// trail's `hash` and `prev_hash` chain its events and are published on purpose.
fn forbidden(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("password")
        || key.contains("secret")
        || (key.contains("hash") && key != "hash" && key != "prev_hash")
        || matches!(key.as_str(), "search_text" | "sort_key" | "deleted_at" | "family_id" | "salt")
}

#[actix_web::test]
async fn no_answer_carries_credentials_or_internal_columns() {
    let app = spawn_app_with_demo().await;
    let demo = app.demo.clone().expect("demo logins");
    let unit = app.get("/api/v1/units?limit=1").await.body["items"][0]["id"].clone();
    let mut answers: Vec<(String, Value)> = Vec::new();

    // Writes that hold credentials: a user created, its password changed, a client registered
    // and its secret rotated.
    let user = app
        .post(
            "/api/v1/users",
            &json!({"username": "new.officer", "display_name": "Cán bộ mới", "unit_id": unit, "roles": ["officer"], "password": PASSWORD}),
        )
        .await;
    assert_eq!(user.status, StatusCode::CREATED, "{user:?}");
    let changed = app
        .patch(
            &format!("/api/v1/users/{}", user.id()),
            &json!({"password": "another long passphrase"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    let client = app
        .post(
            "/api/v1/clients",
            &json!({"name": "Hệ thống báo cáo", "unit_id": unit, "scopes": ["reference:read"]}),
        )
        .await;
    let rotated = app
        .send(
            app.request(Method::POST, &format!("/api/v1/clients/{}/secret", client.id()))
                .header("if-match", "\"1\""),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{rotated:?}");
    let mut secrets = vec![
        client.body["client_secret"].as_str().unwrap().to_owned(),
        rotated.body["client_secret"].as_str().unwrap().to_owned(),
        demo.client.1.clone(),
    ];
    // Only these two answers show a secret, and only as `client_secret` at the top.
    for (what, answer) in [("registration", &client), ("rotation", &rotated)] {
        let mut found = Vec::new();
        keys(&answer.body, "", &mut found);
        let shown: Vec<&(String, String)> = found.iter().filter(|(_, k)| forbidden(k)).collect();
        assert_eq!(shown, [&(String::new(), "client_secret".to_owned())], "{what}");
        assert_eq!(answer.header("cache-control"), Some("no-store"), "{what}");
    }
    answers.push(("POST /users".into(), user.body.clone()));
    answers.push(("PATCH /users".into(), changed.body.clone()));

    // Every list of the document, whole, and every user and client one by one.
    let doc = super::served_document(&app).await;
    for op in operations(&doc) {
        if op.method == Method::GET && op.path.starts_with("/api/v1/") && !op.path.contains('{') && op.id != "get_me" {
            answers.push((op.path.clone(), json!(app.collect(&op.path).await)));
        }
    }
    for list in ["users", "clients"] {
        for item in app.collect(&format!("/api/v1/{list}")).await {
            let path = format!("/api/v1/{list}/{}", item["id"].as_str().unwrap());
            answers.push((path.clone(), app.get(&path).await.body));
        }
    }
    // What people and systems see of themselves, and what logging in answers.
    for (username, _, password) in &demo.users {
        let session = login(&app, username, password).await;
        assert_eq!(session.status, StatusCode::OK, "{username}");
        let token = session.body["access_token"].as_str().unwrap();
        answers.push((format!("/me as {username}"), app.get_as(token, "/api/v1/me").await.body));
        answers.push((format!("login of {username}"), session.body.clone()));
        secrets.push(password.clone());
    }
    let client_login = crate::helpers::form(
        &app,
        "/api/v1/auth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &demo.client.0.to_string()),
            ("client_secret", &demo.client.1),
        ],
    )
    .await;
    let token = client_login.body["access_token"].as_str().unwrap();
    answers.push(("/me as the client".into(), app.get_as(token, "/api/v1/me").await.body));
    answers.push(("client login".into(), client_login.body.clone()));

    // The stored hashes, which must not appear anywhere either.
    use sea_orm::EntityTrait;
    for user in entity::users::Entity::find().all(&app.db).await.unwrap() {
        secrets.push(user.password_hash);
    }
    for client in entity::clients::Entity::find().all(&app.db).await.unwrap() {
        secrets.push(client.secret_hash);
    }
    secrets.push(PASSWORD.to_owned());
    secrets.push("another long passphrase".to_owned());

    let audit = answers
        .iter()
        .find(|(path, _)| path == "/api/v1/audit-events")
        .map(|(_, events)| events.as_array().unwrap().len())
        .unwrap_or(0);
    assert!(audit > 10, "the audit trail is among the answers ({audit} events)");
    for (what, body) in &answers {
        let mut found = Vec::new();
        keys(body, "", &mut found);
        let bad: Vec<&(String, String)> = found.iter().filter(|(_, k)| forbidden(k)).collect();
        assert!(bad.is_empty(), "{what} carries {bad:?}");
        let text = body.to_string();
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{what} shows a credential");
        }
    }
}
