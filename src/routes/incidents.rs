//! `/incidents`: incidents member units report to their clusters, their workflow and timeline.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use entity::{incident_events, incidents};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audit::AuditContext;
use crate::conditional::{self, Precondition};
use crate::context::RequestContext;
use crate::domain::{Classification, IncidentStatus, Severity, Timestamp};
use crate::error::ApiResult;
use crate::extract::{JsonBody, ListQuery};
use crate::pagination::{Page, PageParams};
use crate::patch::Patch;
use crate::services::common;
use crate::services::{access, incidents as service};
use crate::sort_order;
use crate::views::incidents::{Incident, IncidentCounts, TimelineEntry};

sort_order! {
    reversed
    /// Sort order of incidents: by when they occurred (newest first by default) or by when they
    /// were recorded; a leading `-` means newest first.
    IncidentSort for incidents::Column {
        OccurredAt = "occurred_at", OccurredAtDesc = "-occurred_at" => Some(incidents::Column::SortKey),
        CreatedAt = "created_at", CreatedAtDesc = "-created_at" => None,
    }
}

sort_order! {
    /// Order of a timeline: oldest step first, or newest first with `-at`.
    TimelineSort for incident_events::Column {
        At = "at", AtDesc = "-at" => None,
    }
}

/// Filters of the incident list. Times are RFC 3339; in a query string write the offset as `Z`
/// or encode `+` as `%2B`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IncidentListParams {
    /// Words to find in the summary or location, ignoring case and diacritics.
    #[param(example = "ma tuy")]
    pub q: Option<String>,
    /// Only incidents of this cluster.
    pub cluster_id: Option<Uuid>,
    /// Only incidents this unit reported.
    pub reporting_unit_id: Option<Uuid>,
    /// Only incidents in this area.
    pub area_id: Option<Uuid>,
    /// Only incidents of this category.
    pub category_id: Option<Uuid>,
    pub severity: Option<Severity>,
    pub status: Option<IncidentStatus>,
    /// Only incidents that occurred at or after this time.
    #[param(value_type = Option<Timestamp>)]
    pub occurred_from: Option<Timestamp>,
    /// Only incidents that occurred before this time.
    #[param(value_type = Option<Timestamp>)]
    pub occurred_to: Option<Timestamp>,
    /// Sort order (default `-occurred_at`, newest first).
    #[serde(default)]
    #[param(inline)]
    pub sort: IncidentSort,
}

/// A new incident report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIncidentRequest {
    /// The cluster it is reported to; the reporting unit must be a current member.
    pub cluster_id: Uuid,
    /// An active category of `/incident-categories`.
    pub category_id: Uuid,
    pub severity: Severity,
    /// When it happened; not after `reported_at`.
    #[schema(value_type = Timestamp, example = "2025-03-01T21:30:00+07:00")]
    pub occurred_at: Timestamp,
    /// When the unit reported it; defaults to now, and cannot be in the future.
    #[serde(default)]
    #[schema(value_type = Option<Timestamp>)]
    pub reported_at: Option<Timestamp>,
    /// Defaults to the caller's unit. Officers report only for their own unit; coordinators,
    /// administrators and agency clients for any current member unit.
    #[serde(default)]
    pub reporting_unit_id: Option<Uuid>,
    /// The administrative area it happened in.
    #[serde(default)]
    pub area_id: Option<Uuid>,
    /// Where, in words; at most 500 characters; never a private address.
    #[serde(default)]
    #[schema(example = "Đê tả sông Hồng, đoạn qua xã Bát Tràng")]
    pub location: Option<String>,
    /// What happened, written for sharing: at most 4000 characters, no names or ID numbers of
    /// private persons.
    #[schema(example = "Phát hiện nhóm đối tượng tụ tập sử dụng trái phép chất ma túy.")]
    pub summary: String,
    /// Defaults to the cluster's classification; not above the caller's clearance.
    #[serde(default)]
    pub classification: Option<Classification>,
    #[serde(default)]
    pub counts: Option<IncidentCounts>,
}

/// Changes to an incident as a JSON Merge Patch. The cluster, reporting unit and report time
/// stay as reported; the status moves through `POST …/transitions`; a closed incident cannot
/// change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIncidentRequest {
    #[serde(default)]
    #[schema(value_type = Uuid)]
    pub category_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Severity)]
    pub severity: Patch<Severity>,
    /// Not after `reported_at`; the reporting delay is computed again.
    #[serde(default)]
    #[schema(value_type = Timestamp)]
    pub occurred_at: Patch<Timestamp>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub area_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub location: Patch<String>,
    #[serde(default)]
    #[schema(value_type = String)]
    pub summary: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Classification)]
    pub classification: Patch<Classification>,
    /// Replaces the counts whole; `null` clears them.
    #[serde(default)]
    #[schema(value_type = Option<IncidentCounts>)]
    pub counts: Patch<IncidentCounts>,
}

/// One step along the workflow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// The status to move to: one of the incident's `allowed_transitions`.
    #[schema(example = "verifying")]
    pub to: IncidentStatus,
    /// What was done or found, at most 2000 characters; kept on the timeline.
    #[serde(default)]
    #[schema(example = "Đã cử tổ công tác xác minh tại hiện trường.")]
    pub note: Option<String>,
}

/// Filters of a timeline.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineParams {
    /// Order (default `at`, oldest first).
    #[serde(default)]
    #[param(inline)]
    pub sort: TimelineSort,
}

const INCIDENT_ID: &str = "The incident's id.";

/// List incidents
///
/// Incidents of the clusters the caller may see, within its clearance.
#[utoipa::path(
    tag = "incidents",
    params(PageParams, IncidentListParams),
    responses((status = 200, description = "One page of incidents.", body = Page<Incident>)),
)]
#[get("/incidents")]
pub async fn list_incidents(
    ctx: RequestContext,
    reads: web::Data<crate::db::Reads>,
    query: ListQuery<IncidentListParams>,
) -> ApiResult<HttpResponse> {
    let (items, next) = access::audited_page::<incidents::Entity, _>(&reads, &ctx, async |conn| {
        service::list(conn, ctx.principal()?, &query.filter, &query.page).await
    })
    .await?;
    Ok(query.respond(items, next))
}

/// Read an incident
#[utoipa::path(
    tag = "incidents",
    params(("id" = Uuid, Path, description = INCIDENT_ID)),
    responses((status = 200, description = "The incident.", body = Incident)),
)]
#[get("/incidents/{id}")]
pub async fn get_incident(
    req: HttpRequest,
    ctx: RequestContext,
    reads: web::Data<crate::db::Reads>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let incident = access::audited_one::<incidents::Entity, _>(&reads, &ctx, async |conn| {
        let model = service::find_visible(conn, ctx.principal()?, id.into_inner()).await?;
        service::view(conn, model).await
    })
    .await?;
    conditional::one(&req, &incident)
}

/// An incident the caller may change: 404 when it may not see it, 403 when its unit is not a
/// current member of the cluster or (for an officer) another unit reported it.
async fn managed(db: &DatabaseConnection, ctx: &RequestContext, id: Uuid) -> ApiResult<incidents::Model> {
    let principal = ctx.principal()?;
    let model = service::find_visible(db, principal, id).await?;
    access::check_record_writer(db, principal, model.cluster_id, Some(model.reporting_unit_id)).await?;
    Ok(model)
}

/// Report an incident
///
/// Starts in status `reported`, which opens its timeline.
#[utoipa::path(
    tag = "incidents",
    request_body = CreateIncidentRequest,
    responses((status = 201, description = "The incident was recorded.", body = Incident)),
)]
#[post("/incidents")]
pub async fn create_incident(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    body: JsonBody<CreateIncidentRequest>,
) -> ApiResult<HttpResponse> {
    let principal = ctx.principal()?;
    let request = body.0;
    let cluster = access::cluster_for_new_record(db.get_ref(), principal, request.cluster_id).await?;
    let draft = service::IncidentDraft::new(principal, &cluster, request)?;
    access::check_new_record(principal, draft.reporting_unit_id, draft.classification)?;
    let model = common::create::<incidents::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), draft).await?;
    let incident = service::view(db.get_ref(), model).await?;
    Ok(conditional::created(format!("/api/v1/incidents/{}", incident.stamp.id), &incident))
}

/// Update an incident
#[utoipa::path(
    tag = "incidents",
    params(("id" = Uuid, Path, description = INCIDENT_ID)),
    request_body(content = UpdateIncidentRequest, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The incident as updated.", body = Incident)),
)]
#[patch("/incidents/{id}")]
pub async fn update_incident(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
    body: JsonBody<UpdateIncidentRequest>,
) -> ApiResult<HttpResponse> {
    let patch = body.0;
    let principal = ctx.principal()?;
    let id = managed(db.get_ref(), &ctx, id.into_inner()).await?.id;
    let model = common::update::<incidents::Entity, _, _>(db.get_ref(), &AuditContext::of(&ctx), id, &precondition, |d, e| {
        patch.apply(d, e);
        access::check_classification(principal, d.classification, e);
    })
    .await?;
    Ok(conditional::updated(&service::view(db.get_ref(), model).await?))
}

/// Delete an incident
///
/// For a report made in error; an incident that turned out baseless is moved to `unfounded`
/// and `closed` instead, so its timeline stays.
#[utoipa::path(
    tag = "incidents",
    params(("id" = Uuid, Path, description = INCIDENT_ID)),
    responses((status = 204, description = "The incident was deleted.")),
)]
#[delete("/incidents/{id}")]
pub async fn delete_incident(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
) -> ApiResult<HttpResponse> {
    let id = managed(db.get_ref(), &ctx, id.into_inner()).await?.id;
    common::delete::<incidents::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), id, &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Move an incident along its workflow
///
/// reported → verifying → verified or unfounded; verified → handling → resolved; unfounded and
/// resolved → closed. Any other move is a 409 naming the allowed ones. Each step is kept on the
/// timeline with who took it, when, and its note. Honours `If-Match`.
#[utoipa::path(
    tag = "incidents",
    params(("id" = Uuid, Path, description = INCIDENT_ID)),
    request_body = TransitionRequest,
    responses((status = 200, description = "The incident in its new status.", body = Incident)),
)]
#[post("/incidents/{id}/transitions")]
pub async fn transition_incident(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
    body: JsonBody<TransitionRequest>,
) -> ApiResult<HttpResponse> {
    let id = managed(db.get_ref(), &ctx, id.into_inner()).await?.id;
    let TransitionRequest { to, note } = body.0;
    let model = service::transition(db.get_ref(), &AuditContext::of(&ctx), id, &precondition, to, note).await?;
    Ok(conditional::updated(&service::view(db.get_ref(), model).await?))
}

/// Read an incident's timeline
///
/// Every step of its workflow, from the report on: who took it, when, and the note.
#[utoipa::path(
    tag = "incidents",
    params(("id" = Uuid, Path, description = INCIDENT_ID), PageParams, TimelineParams),
    responses((status = 200, description = "One page of the timeline.", body = Page<TimelineEntry>)),
)]
#[get("/incidents/{id}/timeline")]
pub async fn get_incident_timeline(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    query: ListQuery<TimelineParams>,
) -> ApiResult<HttpResponse> {
    let model = service::find_visible(db.get_ref(), ctx.principal()?, id.into_inner()).await?;
    let read = [(model.id, model.cluster_id, model.classification.as_str())];
    access::audit_cluster_record_reads::<incidents::Entity, _>(db.get_ref(), &ctx, read).await?;
    let (items, next) = service::timeline(db.get_ref(), model.id, query.filter.sort, &query.page).await?;
    Ok(query.respond(items, next))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_incidents)
        .service(get_incident)
        .service(create_incident)
        .service(update_incident)
        .service(delete_incident)
        .service(transition_incident)
        .service(get_incident_timeline);
}
