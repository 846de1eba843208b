//! API5:2023 Broken function level authorization.
//!
//! `authorization.rs` (`every_operation_as_every_role_inside_outside_and_above_clearance`) calls
//! every operation of the permission table as every role with the scopes that role holds, and
//! as an agency client granted every scope a client can have. This module derives its requests
//! from the same table and the served OpenAPI document and shows the two halves of each check
//! apart: a role outside an operation's row is refused even when its token carries the scope,
//! a role inside it is refused when its token lacks the scope (a login narrowed with `scope=`),
//! and an agency client gets exactly the operations of the scopes it was granted, never those
//! of principals or the audit trail. Read-only callers cannot write by any method. HEAD,
//! method-override headers, rewritten-URL headers and path spellings reach no operation the
//! caller could not call directly.

use lienket::auth::permissions::{Access, CLIENT_SCOPES, PERMISSIONS};
use lienket::domain::{Role, Scope};
use reqwest::{Method, StatusCode};
use strum::IntoEnumIterator;
use uuid::Uuid;

use super::{Operation, World, client_with_scopes, operations, served_document, user_with_scopes, world};
use crate::helpers::{Answer, TestApp, form, spawn_app};

const USER_ROLES: [Role; 5] = [Role::Admin, Role::Coordinator, Role::Officer, Role::Analyst, Role::Auditor];

/// Calls a documented operation against the world's records in a way that changes nothing once
/// it is let through: no body for a POST (415), a stale `If-Match` for the rest.
async fn call(app: &TestApp, w: &World, token: &str, op: &Operation, method: &Method) -> Answer {
    let mut request = app.request_as(token, method.clone(), &w.fill(&op.path));
    if matches!(*method, Method::PATCH | Method::DELETE) || op.id == "rotate_client_secret" {
        request = request.header("if-match", "\"999\"");
    }
    app.send(request).await
}

fn assert_forbidden(answer: &Answer, what: &str) {
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{what}: {answer:?}");
    if answer.body.is_object() {
        assert_eq!(answer.problem().0, "forbidden", "{what}");
    }
}

/// The documented operations with the permission row of each.
async fn scoped_operations(app: &TestApp) -> Vec<(Operation, Scope, &'static [Role])> {
    let doc = served_document(app).await;
    let mut out = Vec::new();
    for op in operations(&doc) {
        let row = PERMISSIONS
            .iter()
            .find(|p| p.operation == op.id)
            .unwrap_or_else(|| panic!("{} has no permission row", op.id));
        if let Access::Scoped(scope, roles) = row.access {
            out.push((op, scope, roles));
        }
    }
    assert_eq!(out.len(), 84, "every scoped operation of the table is documented");
    out
}

#[actix_web::test]
async fn a_role_outside_the_row_is_refused_even_with_the_scope() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let home: Uuid = w.home.parse().unwrap();
    let everything: Vec<Scope> = Scope::iter().collect();
    let mut refused = 0;
    for (op, _, roles) in scoped_operations(&app).await {
        for role in USER_ROLES.into_iter().filter(|r| !roles.contains(r)) {
            let token = user_with_scopes(&app, role, home, everything.clone());
            let mut methods = vec![op.method.clone()];
            if op.method == Method::GET {
                methods.push(Method::HEAD);
            }
            for method in methods {
                let answer = call(&app, &w, &token, &op, &method).await;
                assert_forbidden(&answer, &format!("{} ({method}) as {role:?} with every scope", op.id));
                refused += 1;
            }
        }
    }
    // Every administrator-only operation was among them, refused to every other role.
    assert!(refused > 150, "{refused} calls");
}

#[actix_web::test]
async fn a_role_inside_the_row_is_refused_without_the_scope() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let home: Uuid = w.home.parse().unwrap();
    for (op, scope, roles) in scoped_operations(&app).await {
        for role in roles.iter().copied() {
            let without: Vec<Scope> = Scope::iter().filter(|s| *s != scope).collect();
            let denied = call(&app, &w, &user_with_scopes(&app, role, home, without), &op, &op.method).await;
            assert_forbidden(&denied, &format!("{} as {role:?} without {scope:?}", op.id));
            // With the scope the same call is let through (and answered for another reason).
            let allowed = call(&app, &w, &user_with_scopes(&app, role, home, vec![scope]), &op, &op.method).await;
            assert!(
                !matches!(allowed.status, StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED),
                "{} as {role:?} with {scope:?}: {allowed:?}",
                op.id
            );
        }
    }

    // A real login narrowed to reading reference data keeps the administrator to that.
    let admin = app
        .create(
            "/api/v1/users",
            serde_json::json!({"username": "narrow.admin", "display_name": "Quản trị", "unit_id": w.home, "roles": ["admin"],
                               "clearance": "secret", "password": super::PASSWORD}),
        )
        .await;
    let narrowed = form(
        &app,
        "/api/v1/auth/token",
        &[
            ("grant_type", "password"),
            ("username", "narrow.admin"),
            ("password", super::PASSWORD),
            ("scope", "reference:read"),
        ],
    )
    .await;
    let token = narrowed.body["access_token"].as_str().unwrap();
    assert_eq!(app.get_as(token, "/api/v1/units").await.status, StatusCode::OK);
    for path in ["/api/v1/users", "/api/v1/clients", "/api/v1/audit-events", "/api/v1/clusters"] {
        assert_forbidden(&app.get_as(token, path).await, path);
    }
    let delete = app
        .send(app.request_as(token, Method::DELETE, &format!("/api/v1/users/{admin}")))
        .await;
    assert_forbidden(&delete, "delete a user");
}

#[actix_web::test]
async fn agency_clients_get_exactly_the_operations_of_their_scopes() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let home: Uuid = w.home.parse().unwrap();
    let mut checked = 0;
    for (op, scope, _) in scoped_operations(&app).await {
        // Every scope a client can be granted but this one.
        let others: Vec<Scope> = CLIENT_SCOPES.iter().copied().filter(|s| *s != scope).collect();
        let denied = call(&app, &w, &client_with_scopes(&app, home, others), &op, &op.method).await;
        assert_forbidden(&denied, &format!("{} as a client without {scope:?}", op.id));
        if CLIENT_SCOPES.contains(&scope) {
            let allowed = call(&app, &w, &client_with_scopes(&app, home, vec![scope]), &op, &op.method).await;
            assert!(
                !matches!(allowed.status, StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED),
                "{} as a client with {scope:?}: {allowed:?}",
                op.id
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 84);

    // Nor can a client be registered with the scopes no client may hold.
    for scope in ["principals:manage", "audit:read"] {
        let answer = app
            .post(
                "/api/v1/clients",
                &serde_json::json!({"name": "Hệ thống", "unit_id": w.home, "scopes": ["reference:read", scope]}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{scope}: {answer:?}");
        let granted = app
            .patch(
                &format!("/api/v1/clients/{}", w.client),
                &serde_json::json!({"scopes": ["reference:read", scope]}),
            )
            .await;
        assert_eq!(granted.status, StatusCode::UNPROCESSABLE_ENTITY, "{scope}: {granted:?}");
    }
}

#[actix_web::test]
async fn read_only_callers_cannot_write_by_any_method() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let home: Uuid = w.home.parse().unwrap();
    let client = form(
        &app,
        "/api/v1/auth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &w.client),
            ("client_secret", &w.client_secret),
        ],
    )
    .await;
    let callers = [
        (
            "analyst",
            user_with_scopes(
                &app,
                Role::Analyst,
                home,
                lienket::auth::permissions::scopes_for_roles(&[Role::Analyst]),
            ),
        ),
        (
            "auditor",
            user_with_scopes(
                &app,
                Role::Auditor,
                home,
                lienket::auth::permissions::scopes_for_roles(&[Role::Auditor]),
            ),
        ),
        (
            "read-only client",
            client.body["access_token"].as_str().expect("a client token").to_owned(),
        ),
    ];
    let doc = served_document(&app).await;
    let writes: Vec<Operation> = operations(&doc)
        .into_iter()
        .filter(|op| op.method != Method::GET && op.security.is_some())
        .collect();
    assert_eq!(writes.len(), 46);
    for (name, token) in &callers {
        for op in &writes {
            assert_forbidden(&call(&app, &w, token, op, &op.method).await, &format!("{} as {name}", op.id));
        }
    }
}

#[actix_web::test]
async fn overrides_rewrites_and_path_spellings_reach_no_other_operation() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let officer = user_with_scopes(
        &app,
        Role::Officer,
        w.home.parse().unwrap(),
        lienket::auth::permissions::scopes_for_roles(&[Role::Officer]),
    );
    let unit = format!("/api/v1/units/{}", w.home);

    // Method-override headers are not honoured: the method is the request's own.
    for header in ["x-http-method-override", "x-http-method", "x-method-override"] {
        let post = app
            .send(app.request_as(&officer, Method::POST, &unit).header(header, "DELETE"))
            .await;
        assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED, "{header}: {post:?}");
        let get = app
            .send(app.request_as(&officer, Method::GET, &unit).header(header, "DELETE"))
            .await;
        assert_eq!(get.status, StatusCode::OK, "{header}: {get:?}");
        let listed = app
            .send(app.request_as(&officer, Method::GET, "/api/v1/users").header(header, "HEAD"))
            .await;
        assert_forbidden(&listed, header);
    }
    assert_eq!(app.get(&unit).await.body["version"], 1, "the unit is untouched");

    // Headers some proxies use to rewrite the path are not.
    for header in ["x-original-url", "x-rewrite-url", "x-forwarded-path", "x-forwarded-prefix"] {
        let users = app
            .send(
                app.request_as(&officer, Method::GET, "/api/v1/users")
                    .header(header, "/api/v1/units"),
            )
            .await;
        assert_forbidden(&users, header);
        let units = app
            .send(
                app.request_as(&officer, Method::GET, "/api/v1/units")
                    .header(header, "/api/v1/users"),
            )
            .await;
        assert_eq!(units.status, StatusCode::OK, "{header}");
        assert!(units.body["items"][0].get("username").is_none(), "{header}: {units:?}");
    }

    // Other spellings of an administrators' path are no path at all.
    for path in [
        "/api/v1/users/",
        "/api/v1/Users",
        "/API/V1/users",
        "/api/v1//users",
        "/api/v1/users;role=admin",
        "/api/v1/users%2F",
        "/api/v1/users%00",
        "/api/v1/users/..",
        "/api/v1/%2e%2e/v1/users",
    ] {
        let answer = app.send(app.request_as(&officer, Method::GET, path)).await;
        match answer.status {
            StatusCode::NOT_FOUND => assert_eq!(answer.problem().0, "not_found", "{path}"),
            // Spellings the client or the router resolve to `/api/v1/users` itself.
            StatusCode::FORBIDDEN => assert_eq!(answer.body["instance"], "/api/v1/users", "{path}: {answer:?}"),
            other => panic!("{path} answered {other}: {answer:?}"),
        }
    }
}
