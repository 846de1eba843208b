//! `/audit-events`: the audit trail, read-only. No operation changes or deletes an event.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use entity::audit_events;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Principal;
use crate::conditional::{self, Versioned};
use crate::context::RequestContext;
use crate::domain::Classification;
use crate::error::{ApiError, ApiResult};
use crate::extract::ListQuery;
use crate::i18n::Noun;
use crate::pagination::{Page, PageParams, fetch_page};
use crate::sort_order;

sort_order! {
    /// Sort order of events: oldest first, or newest first with `-occurred_at`.
    AuditSort for audit_events::Column {
        OccurredAt = "occurred_at", OccurredAtDesc = "-occurred_at" => None,
    }
}

/// Filters of the audit trail.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditListParams {
    /// Only events of this user or client.
    pub actor_id: Option<Uuid>,
    /// Only events about this record.
    pub resource_id: Option<Uuid>,
    /// Only events about this kind of record, e.g. `clusters`, `users`.
    #[param(example = "clusters")]
    pub resource_type: Option<String>,
    /// Only this action: `create`, `update`, `delete`, `read`, `login`, `login_failed`,
    /// `refresh_token_reused`, `sessions_revoked`.
    #[param(example = "update")]
    pub action: Option<String>,
    /// Only events at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Only events before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// Sort order (default `occurred_at`).
    #[serde(default)]
    #[param(inline)]
    pub sort: AuditSort,
}

/// One audit event.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    /// Position in the chain, from 1.
    pub seq: i64,
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// `user`, `client`, `anonymous` (failed logins) or `system`.
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub actor_unit_id: Option<Uuid>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<Uuid>,
    /// The classification of the record or of its cluster, when it has one.
    pub classification: Option<Classification>,
    /// The changed fields: `{"field": {"before": …, "after": …}}`; `null` when the record is
    /// classified above the reader's clearance.
    #[schema(value_type = Option<Object>)]
    pub changes: serde_json::Value,
    /// Whether `changes` was withheld because of the reader's clearance.
    pub redacted: bool,
    pub request_id: Option<String>,
    /// The address the request came from.
    pub client_addr: Option<String>,
    /// The previous event's `hash`.
    pub prev_hash: String,
    /// SHA-256 over this event's fields and `prev_hash`.
    pub hash: String,
}

/// An event is never changed once written: every event is at its first version, and its `ETag`
/// differs between readers only where `changes` is withheld.
impl Versioned for AuditEvent {
    fn version(&self) -> i32 {
        1
    }
}

impl AuditEvent {
    /// The event as `reader` may see it: the changes of a record above its clearance withheld.
    fn for_reader(m: audit_events::Model, reader: &Principal) -> Self {
        let classification = m.classification.as_deref().and_then(|c| c.parse::<Classification>().ok());
        let redacted = classification.is_some_and(|c| !reader.cleared_for(c));
        Self {
            classification,
            redacted,
            changes: if redacted {
                serde_json::Value::Null
            } else {
                serde_json::from_str(&m.changes).unwrap_or(serde_json::Value::Null)
            },
            seq: m.seq,
            id: m.id,
            occurred_at: m.occurred_at,
            actor_type: m.actor_type,
            actor_id: m.actor_id,
            actor_unit_id: m.actor_unit_id,
            action: m.action,
            resource_type: m.resource_type,
            resource_id: m.resource_id,
            request_id: m.request_id,
            client_addr: m.client_addr,
            prev_hash: m.prev_hash,
            hash: m.hash,
        }
    }
}

/// List audit events
#[utoipa::path(
    tag = "audit",
    params(PageParams, AuditListParams),
    responses((status = 200, description = "One page of events.", body = Page<AuditEvent>)),
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    query: ListQuery<AuditListParams>,
) -> ApiResult<HttpResponse> {
    let reader = ctx.principal()?;
    let f = &query.filter;
    let mut select = audit_events::Entity::find();
    if let Some(id) = f.actor_id {
        select = select.filter(audit_events::Column::ActorId.eq(id));
    }
    if let Some(id) = f.resource_id {
        select = select.filter(audit_events::Column::ResourceId.eq(id));
    }
    if let Some(kind) = &f.resource_type {
        select = select.filter(audit_events::Column::ResourceType.eq(kind.clone()));
    }
    if let Some(action) = &f.action {
        select = select.filter(audit_events::Column::Action.eq(action.clone()));
    }
    if let Some(since) = f.since {
        select = select.filter(audit_events::Column::OccurredAt.gte(since));
    }
    if let Some(until) = f.until {
        select = select.filter(audit_events::Column::OccurredAt.lt(until));
    }
    let (rows, next) = fetch_page(db.get_ref(), select, audit_events::Column::Id, f.sort, &query.page).await?;
    let items: Vec<AuditEvent> = rows.into_iter().map(|m| AuditEvent::for_reader(m, reader)).collect();
    Ok(query.respond(items, next))
}

/// Read an audit event
#[utoipa::path(
    tag = "audit",
    params(("id" = Uuid, Path, description = "The event's id.")),
    responses((status = 200, description = "The event.", body = AuditEvent)),
)]
#[get("/audit-events/{id}")]
pub async fn get_audit_event(
    req: HttpRequest,
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let event = audit_events::Entity::find()
        .filter(audit_events::Column::Id.eq(id.into_inner()))
        .one(db.get_ref())
        .await?
        .ok_or_else(|| {
            ApiError::not_found(Noun {
                en: "audit event",
                vi: "sự kiện nhật ký",
            })
        })?;
    conditional::one(&req, &AuditEvent::for_reader(event, ctx.principal()?))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_audit_events).service(get_audit_event);
}
