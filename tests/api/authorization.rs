//! Every operation of the permission table, called as every role, against records inside and
//! outside the caller's clusters and above its clearance, with the exact status each must get.
//! The operations come from the table itself: an operation without a request below fails here.

use lienket::auth::permissions::{Access, PERMISSIONS, Permission};
use lienket::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app};

const PASSWORD: &str = "correct horse battery staple";

/// Where a cluster-scoped operation points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A cluster the caller's unit belongs to, within its clearance.
    Inside,
    /// A cluster the caller's unit does not belong to.
    Outside,
    /// A cluster the caller's unit belongs to, classified above its clearance.
    AboveClearance,
}

/// The records one target consists of.
#[derive(Debug, Clone)]
struct Records {
    cluster: String,
    member: String,
    regulation: String,
    incident: String,
    bulletin: String,
    activity: String,
    meeting: String,
    action_item: String,
}

struct World {
    inside: Records,
    outside: Records,
    above: Records,
    unit: String,
    /// A unit of the outside cluster only.
    stranger: String,
    area: String,
    document: String,
    user: String,
    client: String,
    event: String,
    category: String,
    /// A community model the callers' unit sponsors.
    community_model: String,
}

struct Caller {
    name: &'static str,
    role: Role,
    token: String,
}

async fn token(app: &TestApp, fields: &[(&str, &str)]) -> String {
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let answer = app
        .send(
            app.anonymous_request(Method::POST, "/api/v1/auth/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{fields:?}: {answer:?}");
    answer.body["access_token"].as_str().unwrap().to_owned()
}

async fn records(app: &TestApp, name: &str, units: &[&str], classification: &str) -> Records {
    let members: Vec<Value> = units.iter().map(|u| json!({"unit_id": u})).collect();
    let cluster = app
        .create(
            "/api/v1/clusters",
            json!({"name": name, "kind": "liaison_cluster", "status": "active", "classification": classification, "members": members}),
        )
        .await;
    let listed = app.get(&format!("/api/v1/clusters/{cluster}/members")).await;
    let member = listed.body["items"][0]["id"].as_str().unwrap().to_owned();
    let regulation = app
        .create(
            &format!("/api/v1/clusters/{cluster}/regulations"),
            json!({"title": format!("Quy chế {name}")}),
        )
        .await;
    let category = app.category("drugs").await;
    let incident = app
        .create(
            "/api/v1/incidents",
            json!({"cluster_id": cluster, "category_id": category, "severity": "medium", "occurred_at": "2025-03-01T21:30:00+07:00",
                   "reporting_unit_id": units[0], "summary": format!("Vụ việc {name}")}),
        )
        .await;
    // Sent by the first unit (the callers' own), so the callers are not its recipients.
    let bulletin = app
        .create(
            "/api/v1/bulletins",
            json!({"cluster_id": cluster, "sender_unit_id": units[0], "title": format!("Thông báo {name}"), "body": "Nội dung"}),
        )
        .await;
    let activity = app
        .create(
            "/api/v1/activities",
            json!({"cluster_id": cluster, "kind": "patrol", "title": format!("Tuần tra {name}"), "lead_unit_id": units[0],
                   "starts_at": "2025-03-01T19:00:00+07:00"}),
        )
        .await;
    let meeting = app
        .create(
            "/api/v1/meetings",
            json!({"cluster_id": cluster, "kind": "briefing", "title": format!("Giao ban {name}"), "host_unit_id": units[0],
                   "held_at": "2025-03-01T08:00:00+07:00"}),
        )
        .await;
    let action_item = app
        .create(
            &format!("/api/v1/meetings/{meeting}/action-items"),
            json!({"title": "Tuần tra chung", "owner_unit_id": units[0], "due_on": "2025-04-01"}),
        )
        .await;
    Records {
        cluster,
        member,
        regulation,
        incident,
        bulletin,
        activity,
        meeting,
        action_item,
    }
}

async fn world(app: &TestApp) -> (World, Vec<Caller>) {
    let home = app.unit("Công an huyện Nhà").await;
    let peer = app.unit("Công an huyện Bạn").await;
    let far1 = app.unit("Công an huyện Xa Một").await;
    let far2 = app.unit("Công an huyện Xa Hai").await;
    let inside = records(app, "Trong", &[&home, &peer], "internal").await;
    let outside = records(app, "Ngoài", &[&far1, &far2], "internal").await;
    let above = records(app, "Mật", &[&home, &peer], "secret").await;
    let area = app.province("99", "Tỉnh Thử").await;
    let document = app
        .create("/api/v1/legal-documents", json!({"number": "1/2020/NĐ-CP", "kind": "decree"}))
        .await;

    let mut callers = Vec::new();
    for (name, role) in [
        ("admin", Role::Admin),
        ("coordinator", Role::Coordinator),
        ("officer", Role::Officer),
        ("analyst", Role::Analyst),
        ("auditor", Role::Auditor),
    ] {
        let username = format!("{name}.home");
        app.create(
            "/api/v1/users",
            json!({"username": username, "display_name": name, "unit_id": home, "roles": [name], "clearance": "internal", "password": PASSWORD}),
        )
        .await;
        let token = token(app, &[("grant_type", "password"), ("username", &username), ("password", PASSWORD)]).await;
        callers.push(Caller { name, role, token });
    }
    let client = app
        .post(
            "/api/v1/clients",
            &json!({"name": "Hệ thống tích hợp", "unit_id": home, "clearance": "internal", "cluster_ids": [inside.cluster, above.cluster],
                    "scopes": ["reference:read", "reference:write", "clusters:read", "clusters:write", "records:write", "operations:read"]}),
        )
        .await;
    assert_eq!(client.status, StatusCode::CREATED, "{client:?}");
    let client_id = client.id();
    let secret = client.body["client_secret"].as_str().unwrap().to_owned();
    let token = token(
        app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ],
    )
    .await;
    callers.push(Caller {
        name: "integration",
        role: Role::Integration,
        token,
    });
    let users = app.get("/api/v1/users?q=officer").await;
    let user = users.body["items"][0]["id"].as_str().unwrap().to_owned();
    let events = app.get("/api/v1/audit-events?limit=1").await;
    let event = events.body["items"][0]["id"].as_str().unwrap().to_owned();
    let category = app.category("drugs").await;
    let community_model = app
        .create(
            "/api/v1/community-models",
            json!({"name": "Tổ tuần tra nhân dân", "kind": "peoples_patrol", "area_id": area, "sponsoring_unit_id": home}),
        )
        .await;
    let world = World {
        inside,
        outside,
        above,
        unit: home,
        stranger: far1,
        area,
        document,
        user,
        client: client_id,
        event,
        category,
        community_model,
    };
    (world, callers)
}

/// Whether the operation works on one cluster's records.
fn cluster_scoped(operation: &str) -> bool {
    matches!(
        operation,
        "get_cluster"
            | "update_cluster"
            | "delete_cluster"
            | "list_members"
            | "create_member"
            | "get_member"
            | "update_member"
            | "delete_member"
            | "list_cluster_regulations"
            | "create_regulation"
            | "get_regulation"
            | "update_regulation"
            | "delete_regulation"
            | "get_incident"
            | "get_incident_timeline"
            | "update_incident"
            | "delete_incident"
            | "transition_incident"
            | "get_bulletin"
            | "delete_bulletin"
            | "acknowledge_bulletin"
            | "get_activity"
            | "get_cluster_statistics"
            | "get_meeting"
            | "update_meeting"
            | "delete_meeting"
            | "create_action_item"
            | "get_action_item"
            | "update_action_item"
            | "update_activity"
            | "delete_activity"
    )
}

/// The request that exercises an operation without changing the shared records: writes carry a
/// stale `If-Match` (412 once authorized) or a body that fails validation (422 once authorized).
/// Returns the request and the status an authorized caller gets.
fn request(w: &World, operation: &str, r: &Records) -> (Method, String, Option<Value>, u16) {
    let (c, m, g, i, b) = (&r.cluster, &r.member, &r.regulation, &r.incident, &r.bulletin);
    let nowhere = Uuid::now_v7();
    match operation {
        "live" => (Method::GET, "/health/live".into(), None, 200),
        "ready" => (Method::GET, "/health/ready".into(), None, 200),
        "get_metrics" => (Method::GET, "/metrics".into(), None, 200),
        "get_jwks" => (Method::GET, "/.well-known/jwks.json".into(), None, 200),
        "issue_token" => (
            Method::POST,
            "/api/v1/auth/token".into(),
            Some(json!({"grant_type": "password", "username": "nobody", "password": "nothing"})),
            400,
        ),
        "revoke_token" => (
            Method::POST,
            "/api/v1/auth/revoke".into(),
            Some(json!({"token": "not-a-token"})),
            200,
        ),
        "get_me" => (Method::GET, "/api/v1/me".into(), None, 200),
        "list_areas" => (Method::GET, "/api/v1/areas".into(), None, 200),
        "get_area" => (Method::GET, format!("/api/v1/areas/{}", w.area), None, 200),
        "create_area" => (
            Method::POST,
            "/api/v1/areas".into(),
            Some(json!({"code": "", "name": "", "level": "province"})),
            422,
        ),
        "update_area" => (Method::PATCH, format!("/api/v1/areas/{}", w.area), Some(json!({})), 412),
        "delete_area" => (Method::DELETE, format!("/api/v1/areas/{}", w.area), None, 412),
        "list_units" => (Method::GET, "/api/v1/units".into(), None, 200),
        "get_unit" => (Method::GET, format!("/api/v1/units/{}", w.unit), None, 200),
        "list_unit_children" => (Method::GET, format!("/api/v1/units/{}/children", w.unit), None, 200),
        "create_unit" => (
            Method::POST,
            "/api/v1/units".into(),
            Some(json!({"name": "", "force": "police", "level": "district"})),
            422,
        ),
        "update_unit" => (Method::PATCH, format!("/api/v1/units/{}", w.unit), Some(json!({})), 412),
        "delete_unit" => (Method::DELETE, format!("/api/v1/units/{}", w.unit), None, 412),
        "list_legal_documents" => (Method::GET, "/api/v1/legal-documents".into(), None, 200),
        "get_legal_document" => (Method::GET, format!("/api/v1/legal-documents/{}", w.document), None, 200),
        "create_legal_document" => (
            Method::POST,
            "/api/v1/legal-documents".into(),
            Some(json!({"number": "", "kind": "law"})),
            422,
        ),
        "update_legal_document" => (
            Method::PATCH,
            format!("/api/v1/legal-documents/{}", w.document),
            Some(json!({})),
            412,
        ),
        "delete_legal_document" => (Method::DELETE, format!("/api/v1/legal-documents/{}", w.document), None, 412),
        "list_clusters" => (Method::GET, "/api/v1/clusters".into(), None, 200),
        "get_cluster" => (Method::GET, format!("/api/v1/clusters/{c}"), None, 200),
        "create_cluster" => (
            Method::POST,
            "/api/v1/clusters".into(),
            Some(json!({"name": "", "kind": "bilateral"})),
            422,
        ),
        "update_cluster" => (Method::PATCH, format!("/api/v1/clusters/{c}"), Some(json!({})), 412),
        "delete_cluster" => (Method::DELETE, format!("/api/v1/clusters/{c}"), None, 412),
        "list_members" => (Method::GET, format!("/api/v1/clusters/{c}/members"), None, 200),
        "create_member" => (
            Method::POST,
            format!("/api/v1/clusters/{c}/members"),
            Some(json!({"unit_id": nowhere})),
            422,
        ),
        "get_member" => (Method::GET, format!("/api/v1/clusters/{c}/members/{m}"), None, 200),
        "update_member" => (Method::PATCH, format!("/api/v1/clusters/{c}/members/{m}"), Some(json!({})), 412),
        "delete_member" => (Method::DELETE, format!("/api/v1/clusters/{c}/members/{m}"), None, 412),
        "list_regulations" => (Method::GET, "/api/v1/regulations".into(), None, 200),
        "list_cluster_regulations" => (Method::GET, format!("/api/v1/clusters/{c}/regulations"), None, 200),
        "get_regulation" => (Method::GET, format!("/api/v1/regulations/{g}"), None, 200),
        "create_regulation" => (
            Method::POST,
            format!("/api/v1/clusters/{c}/regulations"),
            Some(json!({"title": ""})),
            422,
        ),
        "update_regulation" => (Method::PATCH, format!("/api/v1/regulations/{g}"), Some(json!({})), 412),
        "delete_regulation" => (Method::DELETE, format!("/api/v1/regulations/{g}"), None, 412),
        "list_incidents" => (Method::GET, "/api/v1/incidents".into(), None, 200),
        "get_incident" => (Method::GET, format!("/api/v1/incidents/{i}"), None, 200),
        "get_incident_timeline" => (Method::GET, format!("/api/v1/incidents/{i}/timeline"), None, 200),
        // Refused by validation after every access check (a blank summary).
        "create_incident" => (
            Method::POST,
            "/api/v1/incidents".into(),
            Some(
                json!({"cluster_id": c, "category_id": w.category, "severity": "low", "occurred_at": "2025-03-01T00:00:00Z", "summary": ""}),
            ),
            422,
        ),
        "update_incident" => (Method::PATCH, format!("/api/v1/incidents/{i}"), Some(json!({})), 412),
        "delete_incident" => (Method::DELETE, format!("/api/v1/incidents/{i}"), None, 412),
        // A move the workflow refuses: reported cannot go straight to closed.
        "transition_incident" => (
            Method::POST,
            format!("/api/v1/incidents/{i}/transitions"),
            Some(json!({"to": "closed"})),
            409,
        ),
        "list_bulletins" => (Method::GET, "/api/v1/bulletins".into(), None, 200),
        "get_bulletin" => (Method::GET, format!("/api/v1/bulletins/{b}"), None, 200),
        "create_bulletin" => (
            Method::POST,
            "/api/v1/bulletins".into(),
            Some(json!({"cluster_id": c, "title": "", "body": "Nội dung"})),
            422,
        ),
        "delete_bulletin" => (Method::DELETE, format!("/api/v1/bulletins/{b}"), None, 412),
        // The callers' unit sent it, so it is not among the recipients that acknowledge.
        "acknowledge_bulletin" => (
            Method::POST,
            format!("/api/v1/bulletins/{b}/acknowledgements"),
            Some(json!({})),
            403,
        ),
        "list_activities" => (Method::GET, "/api/v1/activities".into(), None, 200),
        "get_activity" => (Method::GET, format!("/api/v1/activities/{}", r.activity), None, 200),
        "create_activity" => (
            Method::POST,
            "/api/v1/activities".into(),
            Some(json!({"cluster_id": c, "kind": "patrol", "title": "", "starts_at": "2025-03-01T19:00:00Z"})),
            422,
        ),
        "update_activity" => (Method::PATCH, format!("/api/v1/activities/{}", r.activity), Some(json!({})), 412),
        "delete_activity" => (Method::DELETE, format!("/api/v1/activities/{}", r.activity), None, 412),
        "list_meetings" => (Method::GET, "/api/v1/meetings".into(), None, 200),
        "get_meeting" => (Method::GET, format!("/api/v1/meetings/{}", r.meeting), None, 200),
        "create_meeting" => (
            Method::POST,
            "/api/v1/meetings".into(),
            Some(json!({"cluster_id": c, "kind": "briefing", "title": "", "held_at": "2025-03-01T08:00:00Z"})),
            422,
        ),
        "update_meeting" => (Method::PATCH, format!("/api/v1/meetings/{}", r.meeting), Some(json!({})), 412),
        "delete_meeting" => (Method::DELETE, format!("/api/v1/meetings/{}", r.meeting), None, 412),
        "create_action_item" => (
            Method::POST,
            format!("/api/v1/meetings/{}/action-items", r.meeting),
            Some(json!({"title": "", "owner_unit_id": w.unit})),
            422,
        ),
        "list_action_items" => (Method::GET, "/api/v1/action-items".into(), None, 200),
        "get_action_item" => (Method::GET, format!("/api/v1/action-items/{}", r.action_item), None, 200),
        "update_action_item" => (
            Method::PATCH,
            format!("/api/v1/action-items/{}", r.action_item),
            Some(json!({})),
            412,
        ),
        "get_cluster_statistics" => (Method::GET, format!("/api/v1/clusters/{c}/statistics?period=2025"), None, 200),
        "get_unit_statistics" => (Method::GET, format!("/api/v1/units/{}/statistics?period=2025", w.unit), None, 200),
        "list_community_models" => (Method::GET, "/api/v1/community-models".into(), None, 200),
        "get_community_model" => (Method::GET, format!("/api/v1/community-models/{}", w.community_model), None, 200),
        "create_community_model" => (
            Method::POST,
            "/api/v1/community-models".into(),
            Some(json!({"name": "", "kind": "other", "area_id": w.area})),
            422,
        ),
        "update_community_model" => (
            Method::PATCH,
            format!("/api/v1/community-models/{}", w.community_model),
            Some(json!({})),
            412,
        ),
        "delete_community_model" => (Method::DELETE, format!("/api/v1/community-models/{}", w.community_model), None, 412),
        "list_incident_categories" => (Method::GET, "/api/v1/incident-categories".into(), None, 200),
        "get_incident_category" => (Method::GET, format!("/api/v1/incident-categories/{}", w.category), None, 200),
        "create_incident_category" => (
            Method::POST,
            "/api/v1/incident-categories".into(),
            Some(json!({"code": "", "name": ""})),
            422,
        ),
        "update_incident_category" => (
            Method::PATCH,
            format!("/api/v1/incident-categories/{}", w.category),
            Some(json!({})),
            412,
        ),
        "delete_incident_category" => (Method::DELETE, format!("/api/v1/incident-categories/{}", w.category), None, 412),
        "list_users" => (Method::GET, "/api/v1/users".into(), None, 200),
        "get_user" => (Method::GET, format!("/api/v1/users/{}", w.user), None, 200),
        "create_user" => (
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"username": "", "display_name": "", "unit_id": w.unit, "roles": ["officer"], "password": "short"})),
            422,
        ),
        "update_user" => (Method::PATCH, format!("/api/v1/users/{}", w.user), Some(json!({})), 412),
        "delete_user" => (Method::DELETE, format!("/api/v1/users/{}", w.user), None, 412),
        "list_clients" => (Method::GET, "/api/v1/clients".into(), None, 200),
        "get_client" => (Method::GET, format!("/api/v1/clients/{}", w.client), None, 200),
        "create_client" => (
            Method::POST,
            "/api/v1/clients".into(),
            Some(json!({"name": "", "unit_id": w.unit, "scopes": ["reference:read"]})),
            422,
        ),
        "update_client" => (Method::PATCH, format!("/api/v1/clients/{}", w.client), Some(json!({})), 412),
        "delete_client" => (Method::DELETE, format!("/api/v1/clients/{}", w.client), None, 412),
        "rotate_client_secret" => (Method::POST, format!("/api/v1/clients/{}/secret", w.client), None, 412),
        "list_audit_events" => (Method::GET, "/api/v1/audit-events".into(), None, 200),
        "get_audit_event" => (Method::GET, format!("/api/v1/audit-events/{}", w.event), None, 200),
        other => panic!("operation {other} has a permission row but no request in the authorization suite; add one"),
    }
}

/// The status the table and the visibility rules give `caller` for `operation` on `target`.
fn expected(permission: &Permission, caller: &Caller, target: Option<Target>, authorized: u16) -> u16 {
    let allowed = match permission.access {
        Access::Public | Access::Authenticated => true,
        // The integration client was granted every scope a client can have.
        Access::Scoped(scope, roles) => match caller.role {
            Role::Integration => lienket::auth::permissions::CLIENT_SCOPES.contains(&scope),
            role => roles.contains(&role),
        },
    };
    if !allowed {
        return 403;
    }
    match target {
        None | Some(Target::Inside) => authorized,
        // Administrators see every cluster; the client was granted only the inside ones.
        Some(Target::Outside) if caller.role == Role::Admin => authorized,
        Some(Target::Outside) | Some(Target::AboveClearance) => 404,
    }
}

#[actix_web::test]
async fn every_operation_as_every_role_inside_outside_and_above_clearance() {
    let app = spawn_app().await;
    let (w, callers) = world(&app).await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for permission in PERMISSIONS {
        let targets: Vec<Option<Target>> = if cluster_scoped(permission.operation) {
            vec![Some(Target::Inside), Some(Target::Outside), Some(Target::AboveClearance)]
        } else {
            vec![None]
        };
        for target in targets {
            let records = match target {
                Some(Target::Outside) => &w.outside,
                Some(Target::AboveClearance) => &w.above,
                _ => &w.inside,
            };
            let (method, path, body, authorized) = request(&w, permission.operation, records);
            for caller in &callers {
                let mut builder = app.request_as(&caller.token, method.clone(), &path);
                if matches!(method, Method::PATCH | Method::DELETE) || permission.operation == "rotate_client_secret" {
                    builder = builder.header("if-match", "\"999\"");
                }
                if let Some(body) = &body {
                    builder = if method == Method::PATCH {
                        builder
                            .header("content-type", "application/merge-patch+json")
                            .body(body.to_string())
                    } else {
                        builder.json(body)
                    };
                }
                let answer = app.send(builder).await;
                let want = expected(permission, caller, target, authorized);
                checked += 1;
                if answer.status.as_u16() != want {
                    failures.push(format!(
                        "{} {method} {path} as {} ({target:?}): want {want}, got {} {}",
                        permission.operation, caller.name, answer.status, answer.body
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} calls answered wrongly:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 300, "{checked} calls");

    // Lists hold only what the caller may see.
    for caller in &callers {
        if caller.role == Role::Auditor {
            continue;
        }
        let clusters = app.send(app.request_as(&caller.token, Method::GET, "/api/v1/clusters")).await;
        let mut ids: Vec<&str> = clusters.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["id"].as_str())
            .collect();
        ids.sort_unstable();
        let mut want = vec![w.inside.cluster.as_str()];
        if caller.role == Role::Admin {
            want.push(w.outside.cluster.as_str());
        }
        want.sort_unstable();
        assert_eq!(ids, want, "clusters {} sees", caller.name);
        let regulations = app.send(app.request_as(&caller.token, Method::GET, "/api/v1/regulations")).await;
        assert_eq!(
            regulations.body["items"].as_array().unwrap().len(),
            want.len(),
            "regulations {} sees",
            caller.name
        );
        for list in ["incidents", "bulletins", "activities", "meetings", "action-items"] {
            let answer = app
                .send(app.request_as(&caller.token, Method::GET, &format!("/api/v1/{list}")))
                .await;
            assert_eq!(
                answer.body["items"].as_array().unwrap().len(),
                want.len(),
                "{list} {} sees",
                caller.name
            );
        }
    }
}

#[actix_web::test]
async fn mass_assignment_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let (w, callers) = world(&app).await;
    let coordinator = callers.iter().find(|c| c.role == Role::Coordinator).unwrap();
    let as_coordinator = |method: Method, path: String| app.request_as(&coordinator.token, method, &path);
    let cluster_path = format!("/api/v1/clusters/{}", w.inside.cluster);
    let before = app.send(as_coordinator(Method::GET, cluster_path.clone())).await;
    assert_eq!(before.status, StatusCode::OK);

    let attempts: Vec<(&str, Value, u16)> = vec![
        ("id", json!({"id": Uuid::now_v7()}), 400),
        ("version", json!({"version": 99}), 400),
        ("created_by", json!({"created_by": Uuid::now_v7()}), 400),
        ("created_at", json!({"created_at": "2020-01-01T00:00:00Z"}), 400),
        ("classification above clearance", json!({"classification": "secret"}), 422),
    ];
    for (what, body, status) in attempts {
        let answer = app
            .send(
                as_coordinator(Method::PATCH, cluster_path.clone())
                    .header("content-type", "application/merge-patch+json")
                    .body(body.to_string()),
            )
            .await;
        assert_eq!(answer.status.as_u16(), status, "{what}: {answer:?}");
    }
    let after = app.send(as_coordinator(Method::GET, cluster_path.clone())).await;
    assert_eq!(before.body, after.body, "nothing changed");

    // A cluster without the creator's own unit, or above its clearance, is refused.
    let peerless = app
        .send(
            as_coordinator(Method::POST, "/api/v1/clusters".into())
                .json(&json!({"name": "Không có đơn vị mình", "kind": "liaison_cluster", "members": [{"unit_id": w.stranger}]})),
        )
        .await;
    assert_eq!(peerless.status, StatusCode::UNPROCESSABLE_ENTITY, "{peerless:?}");
    assert_eq!(
        peerless.problem().1,
        [("members".to_owned(), "own_unit_missing".to_owned())],
        "{peerless:?}"
    );
    let secret = app
        .send(
            as_coordinator(Method::POST, "/api/v1/clusters".into())
                .json(&json!({"name": "Mật", "kind": "liaison_cluster", "classification": "secret", "members": [{"unit_id": w.unit}]})),
        )
        .await;
    assert!(
        secret
            .problem()
            .1
            .contains(&("classification".to_owned(), "above_clearance".to_owned())),
        "{secret:?}"
    );
    // Another cluster's records cannot be reached by naming them.
    let foreign = app
        .send(as_coordinator(Method::POST, format!("/api/v1/clusters/{}/members", w.outside.cluster)).json(&json!({"unit_id": w.unit})))
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{foreign:?}");
    let count = app.collect("/api/v1/clusters").await.len();
    assert_eq!(count, 3, "no cluster was created");
    // What the coordinator may do, it can.
    let own = app
        .send(
            as_coordinator(Method::POST, "/api/v1/clusters".into())
                .json(&json!({"name": "Cụm mới", "kind": "liaison_cluster", "members": [{"unit_id": w.unit}]})),
        )
        .await;
    assert_eq!(own.status, StatusCode::CREATED, "{own:?}");
}
