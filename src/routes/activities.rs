//! `/activities`: joint work of clusters' units, with who took part and what came of it.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use entity::activities;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audit::AuditContext;
use crate::conditional::{self, Precondition};
use crate::context::RequestContext;
use crate::domain::{ActivityKind, ActivityStatus, Classification, Timestamp};
use crate::error::ApiResult;
use crate::extract::{JsonBody, ListQuery};
use crate::pagination::{Page, PageParams};
use crate::patch::Patch;
use crate::services::common;
use crate::services::{access, activities as service};
use crate::sort_order;
use crate::views::activities::{Activity, Figure, ParticipantInput};

sort_order! {
    reversed
    /// Sort order of activities: by when they start (latest first by default) or by when they
    /// were recorded; a leading `-` means latest first.
    ActivitySort for activities::Column {
        StartsAt = "starts_at", StartsAtDesc = "-starts_at" => Some(activities::Column::SortKey),
        CreatedAt = "created_at", CreatedAtDesc = "-created_at" => None,
    }
}

/// Filters of the activity list. Times are RFC 3339; in a query string write the offset as `Z`
/// or encode `+` as `%2B`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityListParams {
    /// Words to find in the title, location or summary, ignoring case and diacritics.
    #[param(example = "tuan tra")]
    pub q: Option<String>,
    /// Only activities of this cluster.
    pub cluster_id: Option<Uuid>,
    /// Only activities this unit led or took part in.
    pub unit_id: Option<Uuid>,
    /// Only activities covering this area.
    pub area_id: Option<Uuid>,
    pub kind: Option<ActivityKind>,
    pub status: Option<ActivityStatus>,
    /// Only activities starting at or after this time.
    #[param(value_type = Option<Timestamp>)]
    pub starts_from: Option<Timestamp>,
    /// Only activities starting before this time.
    #[param(value_type = Option<Timestamp>)]
    pub starts_to: Option<Timestamp>,
    /// Sort order (default `-starts_at`, latest first).
    #[serde(default)]
    #[param(inline)]
    pub sort: ActivitySort,
}

/// A new activity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateActivityRequest {
    /// The cluster whose work it is; the lead unit must be a current member.
    pub cluster_id: Uuid,
    pub kind: ActivityKind,
    /// At most 300 characters.
    #[schema(example = "Tuần tra kiểm soát tuyến đê giáp ranh")]
    pub title: String,
    /// Defaults to `planned`. An activity recorded after the fact may start as `completed`.
    #[serde(default)]
    pub status: Option<ActivityStatus>,
    /// Defaults to the caller's unit. Officers record only activities their own unit leads.
    #[serde(default)]
    pub lead_unit_id: Option<Uuid>,
    #[schema(value_type = Timestamp, example = "2025-03-01T19:00:00+07:00")]
    pub starts_at: Timestamp,
    /// Later than `starts_at`.
    #[serde(default)]
    #[schema(value_type = Option<Timestamp>, example = "2025-03-01T23:00:00+07:00")]
    pub ends_at: Option<Timestamp>,
    /// The participating units with the people each deployed; the lead is added when missing.
    /// Units outside the cluster (supporting forces) may take part.
    #[serde(default)]
    pub participants: Vec<ParticipantInput>,
    /// The administrative areas it covers.
    #[serde(default)]
    pub area_ids: Vec<Uuid>,
    /// Where, in words; at most 500 characters.
    #[serde(default)]
    #[schema(example = "Tuyến đê tả sông Hồng")]
    pub location: Option<String>,
    /// What was done, at most 4000 characters; no names of private persons.
    #[serde(default)]
    pub summary: Option<String>,
    /// Defaults to the cluster's classification; not above the caller's clearance.
    #[serde(default)]
    pub classification: Option<Classification>,
    /// Outcome figures, named for the kind; only once the activity is under way.
    #[serde(default)]
    pub figures: Vec<Figure>,
}

/// Changes to an activity as a JSON Merge Patch. Lists are replaced whole. The cluster and lead
/// unit stay as recorded; `status` moves planned → in_progress → completed, or to cancelled.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateActivityRequest {
    #[serde(default)]
    #[schema(value_type = ActivityKind)]
    pub kind: Patch<ActivityKind>,
    #[serde(default)]
    #[schema(value_type = String)]
    pub title: Patch<String>,
    #[serde(default)]
    #[schema(value_type = ActivityStatus)]
    pub status: Patch<ActivityStatus>,
    #[serde(default)]
    #[schema(value_type = Timestamp)]
    pub starts_at: Patch<Timestamp>,
    #[serde(default)]
    #[schema(value_type = Option<Timestamp>)]
    pub ends_at: Patch<Timestamp>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<ParticipantInput>>)]
    pub participants: Patch<Vec<ParticipantInput>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<Uuid>>)]
    pub area_ids: Patch<Vec<Uuid>>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub location: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub summary: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Classification)]
    pub classification: Patch<Classification>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<Figure>>)]
    pub figures: Patch<Vec<Figure>>,
}

const ACTIVITY_ID: &str = "The activity's id.";

/// List activities
///
/// Activities of the clusters the caller may see, within its clearance.
#[utoipa::path(
    tag = "activities",
    params(PageParams, ActivityListParams),
    responses((status = 200, description = "One page of activities.", body = Page<Activity>)),
)]
#[get("/activities")]
pub async fn list_activities(
    ctx: RequestContext,
    reads: web::Data<crate::db::Reads>,
    query: ListQuery<ActivityListParams>,
) -> ApiResult<HttpResponse> {
    let (items, next) = access::audited_page::<activities::Entity, _>(&reads, &ctx, async |conn| {
        service::list(conn, ctx.principal()?, &query.filter, &query.page).await
    })
    .await?;
    Ok(query.respond(items, next))
}

/// Read an activity
#[utoipa::path(
    tag = "activities",
    params(("id" = Uuid, Path, description = ACTIVITY_ID)),
    responses((status = 200, description = "The activity.", body = Activity)),
)]
#[get("/activities/{id}")]
pub async fn get_activity(
    req: HttpRequest,
    ctx: RequestContext,
    reads: web::Data<crate::db::Reads>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let activity = access::audited_one::<activities::Entity, _>(&reads, &ctx, async |conn| {
        let model = service::find_visible(conn, ctx.principal()?, id.into_inner()).await?;
        service::view(conn, model).await
    })
    .await?;
    conditional::one(&req, &activity)
}

/// An activity the caller may change: 404 when it may not see it, 403 when its unit is not a
/// current member of the cluster or (for an officer) another unit leads it.
async fn managed(db: &DatabaseConnection, ctx: &RequestContext, id: Uuid) -> ApiResult<activities::Model> {
    let principal = ctx.principal()?;
    let model = service::find_visible(db, principal, id).await?;
    access::check_record_writer(db, principal, model.cluster_id, Some(model.lead_unit_id)).await?;
    Ok(model)
}

/// Record an activity
#[utoipa::path(
    tag = "activities",
    request_body = CreateActivityRequest,
    responses((status = 201, description = "The activity was recorded.", body = Activity)),
)]
#[post("/activities")]
pub async fn create_activity(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    body: JsonBody<CreateActivityRequest>,
) -> ApiResult<HttpResponse> {
    let principal = ctx.principal()?;
    let request = body.0;
    let cluster = access::cluster_for_new_record(db.get_ref(), principal, request.cluster_id).await?;
    let draft = service::ActivityDraft::new(principal, &cluster, request)?;
    access::check_new_record(principal, draft.lead_unit_id, draft.classification)?;
    let model = common::create::<activities::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), draft).await?;
    let activity = service::view(db.get_ref(), model).await?;
    Ok(conditional::created(format!("/api/v1/activities/{}", activity.stamp.id), &activity))
}

/// Update an activity
///
/// Also moves its status: planned → in_progress → completed, or to cancelled; any other move is
/// a 409 naming the allowed ones.
#[utoipa::path(
    tag = "activities",
    params(("id" = Uuid, Path, description = ACTIVITY_ID)),
    request_body(content = UpdateActivityRequest, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The activity as updated.", body = Activity)),
)]
#[patch("/activities/{id}")]
pub async fn update_activity(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
    body: JsonBody<UpdateActivityRequest>,
) -> ApiResult<HttpResponse> {
    let patch = body.0;
    let principal = ctx.principal()?;
    let id = managed(db.get_ref(), &ctx, id.into_inner()).await?.id;
    let model = common::update::<activities::Entity, _, _>(db.get_ref(), &AuditContext::of(&ctx), id, &precondition, |d, e| {
        patch.apply(d, e);
        access::check_classification(principal, d.classification, e);
    })
    .await?;
    Ok(conditional::updated(&service::view(db.get_ref(), model).await?))
}

/// Delete an activity
///
/// For a record made in error; an activity that did not take place is `cancelled` instead.
#[utoipa::path(
    tag = "activities",
    params(("id" = Uuid, Path, description = ACTIVITY_ID)),
    responses((status = 204, description = "The activity was deleted.")),
)]
#[delete("/activities/{id}")]
pub async fn delete_activity(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
) -> ApiResult<HttpResponse> {
    let id = managed(db.get_ref(), &ctx, id.into_inner()).await?.id;
    common::delete::<activities::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), id, &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_activities)
        .service(get_activity)
        .service(create_activity)
        .service(update_activity)
        .service(delete_activity);
}
