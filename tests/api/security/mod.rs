//! The API held against the OWASP API Security Top 10 (2023), one module per risk that applies.
//!
//! | risk | module |
//! |---|---|
//! | API1 broken object level authorization | `api1_object_level_authorization` |
//! | API2 broken authentication | `api2_authentication` |
//! | API3 broken object property level authorization | `api3_property_level_authorization` |
//! | API4 unrestricted resource consumption | `api4_resource_consumption` |
//! | API5 broken function level authorization | `api5_function_level_authorization` |
//! | API6 unrestricted access to sensitive business flows | `api6_sensitive_business_flows` |
//! | API8 security misconfiguration | `api8_security_misconfiguration` |
//! | API9 improper inventory management | `api9_inventory` |
//!
//! Two risks do not apply, and have no module:
//!
//! - **API7 server-side request forgery.** The service never fetches a URL, host or file a
//!   client names. Its only outbound connection is to its own database, whose URL comes from
//!   the operator's configuration. No HTTP client is among its dependencies (`reqwest` serves
//!   the tests only); nothing under `src/` connects anywhere but through the database pool, nor
//!   starts a process; and access tokens are verified against the keys configured at start, so
//!   a `jku` or embedded `jwk` header is never followed (API2 shows such tokens refused).
//! - **API10 unsafe consumption of APIs.** The service calls no third-party API. Agency systems
//!   call it; it consumes nothing from them but their requests, which every module here treats
//!   as hostile input.
//!
//! The wider suite already proves much of this, and these modules do not repeat it:
//! `authorization.rs` calls every operation of the permission table as every role, inside and
//! outside the caller's clusters and above its clearance
//! (`every_operation_as_every_role_inside_outside_and_above_clearance`), and refuses mass
//! assignment on clusters (`mass_assignment_is_refused_and_changes_nothing`); `tokens.rs`
//! refuses forged, stale and misused tokens (`forged_stale_and_misused_tokens_get_401`), rotates
//! refresh tokens and limits logins per account; `conventions.rs` refuses bad input of every
//! kind. Each module names what it builds on.

use lienket::auth::tokens::AccessGrant;
use lienket::domain::{Classification, Role, Scope};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Answer, TestApp};

mod api1_object_level_authorization;
mod api2_authentication;
mod api3_property_level_authorization;
mod api4_resource_consumption;
mod api5_function_level_authorization;
mod api6_sensitive_business_flows;
mod api8_security_misconfiguration;
mod api9_inventory;

/// A password good enough for every user the tests create.
pub const PASSWORD: &str = "correct horse battery staple";

/// The records of one cluster.
#[derive(Debug, Clone)]
pub struct Records {
    pub cluster: String,
    pub member: String,
    pub regulation: String,
    pub incident: String,
    pub bulletin: String,
    pub activity: String,
    pub meeting: String,
    pub action_item: String,
}

/// Two clusters that share no unit, each with one record of every kind, and one record of every
/// other kind the API holds.
#[derive(Debug, Clone)]
pub struct World {
    /// The cluster of `home` and `peer`.
    pub ours: Records,
    /// The cluster of `far` and a unit of its own.
    pub theirs: Records,
    pub home: String,
    pub peer: String,
    pub far: String,
    pub area: String,
    pub document: String,
    pub category: String,
    pub community_model: String,
    /// A user of `home` (an officer who logs in with [`PASSWORD`]).
    pub user: String,
    pub user_name: String,
    /// An agency client of `home` granted `ours`, read-only.
    pub client: String,
    pub client_secret: String,
    pub event: String,
}

async fn records(app: &TestApp, name: &str, lead: &str, other: &str, category: &str) -> Records {
    let cluster = app
        .create(
            "/api/v1/clusters",
            json!({"name": format!("Cụm {name}"), "kind": "liaison_cluster", "status": "active", "classification": "internal",
                   "members": [{"unit_id": lead, "role": "lead"}, {"unit_id": other}]}),
        )
        .await;
    let members = app.get(&format!("/api/v1/clusters/{cluster}/members")).await;
    let member = members.body["items"][0]["id"].as_str().expect("a member").to_owned();
    let regulation = app
        .create(
            &format!("/api/v1/clusters/{cluster}/regulations"),
            json!({"title": format!("Quy chế phối hợp {name}")}),
        )
        .await;
    let incident = app
        .create(
            "/api/v1/incidents",
            json!({"cluster_id": cluster, "category_id": category, "severity": "high", "occurred_at": "2025-05-10T22:00:00+07:00",
                   "reporting_unit_id": lead, "summary": format!("Tụ tập đua xe trái phép {name}")}),
        )
        .await;
    let bulletin = app
        .create(
            "/api/v1/bulletins",
            json!({"cluster_id": cluster, "sender_unit_id": lead, "title": format!("Thông báo {name}"), "body": "Đề nghị phối hợp tuần tra."}),
        )
        .await;
    let activity = app
        .create(
            "/api/v1/activities",
            json!({"cluster_id": cluster, "kind": "patrol", "title": format!("Tuần tra chung {name}"), "lead_unit_id": lead,
                   "starts_at": "2025-05-11T19:00:00+07:00"}),
        )
        .await;
    let meeting = app
        .create(
            "/api/v1/meetings",
            json!({"cluster_id": cluster, "kind": "briefing", "title": format!("Giao ban {name}"), "host_unit_id": lead,
                   "held_at": "2025-05-12T08:00:00+07:00"}),
        )
        .await;
    let action_item = app
        .create(
            &format!("/api/v1/meetings/{meeting}/action-items"),
            json!({"title": "Lập tổ tuần tra chung", "owner_unit_id": lead, "due_on": "2025-06-01"}),
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

/// Builds the [`World`] as the administrator.
pub async fn world(app: &TestApp) -> World {
    let home = app.unit("Công an huyện Gia Lâm").await;
    let peer = app.unit("Công an huyện Văn Lâm").await;
    let far = app.unit("Công an huyện Lệ Thủy").await;
    let far2 = app.unit("Công an huyện Vĩnh Linh").await;
    let category = app.category("drugs").await;
    let ours = records(app, "Gia Lâm", &home, &peer, &category).await;
    let theirs = records(app, "Lệ Thủy", &far, &far2, &category).await;
    let area = app.province("01", "Thành phố Hà Nội").await;
    let document = app
        .create(
            "/api/v1/legal-documents",
            json!({"number": "03/2019/NĐ-CP", "kind": "decree", "title": "Phối hợp giữa Bộ Công an và Bộ Quốc phòng"}),
        )
        .await;
    let community_model = app
        .create(
            "/api/v1/community-models",
            json!({"name": "Tổ tuần tra nhân dân", "kind": "peoples_patrol", "area_id": area, "sponsoring_unit_id": home}),
        )
        .await;
    let user_name = "officer.gialam".to_owned();
    let user = app
        .create(
            "/api/v1/users",
            json!({"username": user_name, "display_name": "Nguyễn Văn An", "unit_id": home, "roles": ["officer"], "password": PASSWORD}),
        )
        .await;
    let client = app
        .post(
            "/api/v1/clients",
            &json!({"name": "Cổng dữ liệu Gia Lâm", "unit_id": home, "scopes": ["reference:read", "clusters:read"], "cluster_ids": [ours.cluster]}),
        )
        .await;
    assert_eq!(client.status, StatusCode::CREATED, "{client:?}");
    let client_secret = client.body["client_secret"].as_str().expect("a secret").to_owned();
    let events = app.get("/api/v1/audit-events?limit=1").await;
    let event = events.body["items"][0]["id"].as_str().expect("an audit event").to_owned();
    World {
        ours,
        theirs,
        home,
        peer,
        far,
        area,
        document,
        category,
        community_model,
        user,
        user_name,
        client: client.id(),
        client_secret,
        event,
    }
}

impl World {
    /// A documented path template with its parameters set to this world's records (of `ours`).
    pub fn fill(&self, template: &str) -> String {
        let segments: Vec<&str> = template.split('/').collect();
        let mut out = Vec::with_capacity(segments.len());
        for (i, segment) in segments.iter().enumerate() {
            let value = match *segment {
                "{member_id}" => self.ours.member.as_str(),
                s if s.starts_with('{') => match segments[i - 1] {
                    "clusters" => self.ours.cluster.as_str(),
                    "regulations" => self.ours.regulation.as_str(),
                    "incidents" => self.ours.incident.as_str(),
                    "bulletins" => self.ours.bulletin.as_str(),
                    "activities" => self.ours.activity.as_str(),
                    "meetings" => self.ours.meeting.as_str(),
                    "action-items" => self.ours.action_item.as_str(),
                    "areas" => self.area.as_str(),
                    "units" => self.home.as_str(),
                    "legal-documents" => self.document.as_str(),
                    "incident-categories" => self.category.as_str(),
                    "community-models" => self.community_model.as_str(),
                    "users" => self.user.as_str(),
                    "clients" => self.client.as_str(),
                    "audit-events" => self.event.as_str(),
                    other => panic!("no record for the parameter after {other} in {template}"),
                },
                s => s,
            };
            out.push(value);
        }
        out.join("/")
    }
}

/// One operation of the OpenAPI document.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: Method,
    pub path: String,
    pub id: String,
    pub security: Option<Value>,
}

/// The operations of a served OpenAPI document.
pub fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("an HTTP method");
            out.push(Operation {
                method,
                path: path.clone(),
                id: op["operationId"].as_str().expect("an operation id").to_owned(),
                security: op.get("security").cloned(),
            });
        }
    }
    assert_eq!(out.len(), 90, "the document lists {} operations", out.len());
    out
}

/// The OpenAPI document the application serves.
pub async fn served_document(app: &TestApp) -> Value {
    let doc = app.send(app.anonymous_request(Method::GET, "/api-docs/openapi.json")).await;
    assert_eq!(doc.status, StatusCode::OK, "{doc:?}");
    doc.body
}

/// A problem without what differs between any two answers (its request id and its path), so two
/// answers can be compared for what they reveal.
pub fn revealed(answer: &Answer) -> Value {
    let mut body = answer.body.clone();
    if let Some(object) = body.as_object_mut() {
        object.remove("request_id");
        object.remove("instance");
    }
    json!({
        "status": answer.status.as_u16(),
        "content_type": answer.header("content-type"),
        "etag": answer.header("etag"),
        "www_authenticate": answer.header("www-authenticate"),
        "body": body,
    })
}

/// A token for a user of `role` in `unit` whose token carries exactly `scopes`.
pub fn user_with_scopes(app: &TestApp, role: Role, unit: Uuid, scopes: Vec<Scope>) -> String {
    app.token(AccessGrant {
        sub: Uuid::now_v7(),
        client_id: None,
        unit_id: unit,
        roles: vec![role],
        clearance: Classification::Secret,
        scopes,
    })
}

/// A token for an agency client of `unit` granted exactly `scopes`.
pub fn client_with_scopes(app: &TestApp, unit: Uuid, scopes: Vec<Scope>) -> String {
    let id = Uuid::now_v7();
    app.token(AccessGrant {
        sub: id,
        client_id: Some(id),
        unit_id: unit,
        roles: vec![Role::Integration],
        clearance: Classification::Secret,
        scopes,
    })
}

/// Writes `bytes` on a fresh connection and reads until the server closes it or `wait` passes.
/// Returns what was read and whether the server closed the connection in time.
pub async fn raw_exchange(app: &TestApp, bytes: &[u8], wait: std::time::Duration) -> (String, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    let mut read = Vec::new();
    let closed = matches!(
        tokio::time::timeout(wait, stream.read_to_end(&mut read)).await,
        Ok(Ok(_)) | Ok(Err(_))
    );
    (String::from_utf8_lossy(&read).into_owned(), closed)
}
