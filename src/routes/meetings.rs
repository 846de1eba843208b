//! `/meetings` and `/action-items`: briefings and reviews of clusters, the figures they
//! reported, and the decisions units are to carry out.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use entity::{action_items, meetings};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audit::AuditContext;
use crate::conditional::{self, Precondition};
use crate::context::RequestContext;
use crate::domain::{ActionItemStatus, Classification, Date, MeetingKind, Timestamp};
use crate::error::ApiResult;
use crate::extract::{JsonBody, ListQuery};
use crate::pagination::{Page, PageParams};
use crate::patch::Patch;
use crate::services::common;
use crate::services::{access, meetings as service};
use crate::sort_order;
use crate::views::meetings::{ActionItem, Meeting, ReportedFigure};

sort_order! {
    reversed
    /// Sort order of meetings: by when they were held (latest first by default) or by when they
    /// were recorded; a leading `-` means latest first.
    MeetingSort for meetings::Column {
        HeldAt = "held_at", HeldAtDesc = "-held_at" => Some(meetings::Column::SortKey),
        CreatedAt = "created_at", CreatedAtDesc = "-created_at" => None,
    }
}

sort_order! {
    /// Sort order of action items: by due day (soonest first by default; items without one
    /// last) or by when they were recorded.
    ActionItemSort for action_items::Column {
        DueOn = "due_on", DueOnDesc = "-due_on" => Some(action_items::Column::SortKey),
        CreatedAt = "created_at", CreatedAtDesc = "-created_at" => None,
    }
}

/// Filters of the meeting list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MeetingListParams {
    /// Words to find in the title, location or summary, ignoring case and diacritics.
    #[param(example = "tong ket")]
    pub q: Option<String>,
    pub cluster_id: Option<Uuid>,
    /// Only meetings this unit hosted or attended.
    pub unit_id: Option<Uuid>,
    pub kind: Option<MeetingKind>,
    /// Only meetings held at or after this time.
    #[param(value_type = Option<Timestamp>)]
    pub held_from: Option<Timestamp>,
    /// Only meetings held before this time.
    #[param(value_type = Option<Timestamp>)]
    pub held_to: Option<Timestamp>,
    /// Sort order (default `-held_at`, latest first).
    #[serde(default)]
    #[param(inline)]
    pub sort: MeetingSort,
}

/// A new meeting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMeetingRequest {
    /// The cluster that meets; the host must be a current member.
    pub cluster_id: Uuid,
    pub kind: MeetingKind,
    /// At most 300 characters.
    #[schema(example = "Hội nghị tổng kết công tác phối hợp năm 2023")]
    pub title: String,
    #[schema(value_type = Timestamp, example = "2024-01-12T08:00:00+07:00")]
    pub held_at: Timestamp,
    /// Defaults to the caller's unit.
    #[serde(default)]
    pub host_unit_id: Option<Uuid>,
    /// The other units that attended (the host is always listed).
    #[serde(default)]
    pub attending_unit_ids: Vec<Uuid>,
    /// The first day of the period the meeting reviewed.
    #[serde(default)]
    pub period_from: Option<Date>,
    /// The last day of that period, included.
    #[serde(default)]
    pub period_to: Option<Date>,
    #[serde(default)]
    pub location: Option<String>,
    /// What was reviewed and decided, at most 8000 characters.
    #[serde(default)]
    pub summary: Option<String>,
    /// Defaults to the cluster's classification; not above the caller's clearance.
    #[serde(default)]
    pub classification: Option<Classification>,
    /// The figures the meeting reported, as stated.
    #[serde(default)]
    pub reported_figures: Vec<ReportedFigure>,
}

/// Changes to a meeting as a JSON Merge Patch; lists are replaced whole. The cluster and host
/// stay as recorded.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeetingRequest {
    #[serde(default)]
    #[schema(value_type = MeetingKind)]
    pub kind: Patch<MeetingKind>,
    #[serde(default)]
    #[schema(value_type = String)]
    pub title: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Timestamp)]
    pub held_at: Patch<Timestamp>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<Uuid>>)]
    pub attending_unit_ids: Patch<Vec<Uuid>>,
    #[serde(default)]
    #[schema(value_type = Option<Date>)]
    pub period_from: Patch<Date>,
    #[serde(default)]
    #[schema(value_type = Option<Date>)]
    pub period_to: Patch<Date>,
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
    #[schema(value_type = Option<Vec<ReportedFigure>>)]
    pub reported_figures: Patch<Vec<ReportedFigure>>,
}

/// A decision of the meeting for a unit to carry out.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateActionItemRequest {
    /// At most 500 characters.
    #[schema(example = "Tổ chức tuần tra chung tuyến đê giáp ranh hằng tháng")]
    pub title: String,
    /// A current member unit of the meeting's cluster.
    pub owner_unit_id: Uuid,
    #[serde(default)]
    pub due_on: Option<Date>,
    /// At most 2000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// Changes to an action item as a JSON Merge Patch: `status` moves open → done or dropped.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateActionItemRequest {
    #[serde(default)]
    #[schema(value_type = String)]
    pub title: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Date>)]
    pub due_on: Patch<Date>,
    #[serde(default)]
    #[schema(value_type = ActionItemStatus)]
    pub status: Patch<ActionItemStatus>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub note: Patch<String>,
}

/// Filters of the action item list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActionItemListParams {
    /// Words to find in the title or note.
    pub q: Option<String>,
    /// Only the items this unit is to carry out.
    pub owner_unit_id: Option<Uuid>,
    pub meeting_id: Option<Uuid>,
    pub cluster_id: Option<Uuid>,
    pub status: Option<ActionItemStatus>,
    /// `true`: only open items past their due day; `false`: only the others.
    pub overdue: Option<bool>,
    /// Sort order (default `due_on`, soonest first).
    #[serde(default)]
    #[param(inline)]
    pub sort: ActionItemSort,
}

const MEETING_ID: &str = "The meeting's id.";
const ITEM_ID: &str = "The action item's id.";

/// List meetings
#[utoipa::path(
    tag = "meetings",
    params(PageParams, MeetingListParams),
    responses((status = 200, description = "One page of meetings.", body = Page<Meeting>)),
)]
#[get("/meetings")]
pub async fn list_meetings(
    ctx: RequestContext,
    reads: web::Data<crate::db::Reads>,
    query: ListQuery<MeetingListParams>,
) -> ApiResult<HttpResponse> {
    let (items, next) = access::audited_page::<meetings::Entity, _>(&reads, &ctx, async |conn| {
        service::list(conn, ctx.principal()?, &query.filter, &query.page).await
    })
    .await?;
    Ok(query.respond(items, next))
}

/// Read a meeting
#[utoipa::path(
    tag = "meetings",
    params(("id" = Uuid, Path, description = MEETING_ID)),
    responses((status = 200, description = "The meeting.", body = Meeting)),
)]
#[get("/meetings/{id}")]
pub async fn get_meeting(
    req: HttpRequest,
    ctx: RequestContext,
    reads: web::Data<crate::db::Reads>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let meeting = access::audited_one::<meetings::Entity, _>(&reads, &ctx, async |conn| {
        let model = service::find_visible(conn, ctx.principal()?, id.into_inner()).await?;
        service::view(conn, model).await
    })
    .await?;
    conditional::one(&req, &meeting)
}

/// A meeting the caller may change: 404 when it may not see it, 403 when its unit is not a
/// current member of the cluster.
async fn managed(db: &DatabaseConnection, ctx: &RequestContext, id: Uuid) -> ApiResult<meetings::Model> {
    let principal = ctx.principal()?;
    let model = service::find_visible(db, principal, id).await?;
    access::check_record_writer(db, principal, model.cluster_id, None).await?;
    Ok(model)
}

/// Record a meeting
#[utoipa::path(
    tag = "meetings",
    request_body = CreateMeetingRequest,
    responses((status = 201, description = "The meeting was recorded.", body = Meeting)),
)]
#[post("/meetings")]
pub async fn create_meeting(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    body: JsonBody<CreateMeetingRequest>,
) -> ApiResult<HttpResponse> {
    let principal = ctx.principal()?;
    let request = body.0;
    let cluster = access::cluster_for_new_record(db.get_ref(), principal, request.cluster_id).await?;
    let draft = service::MeetingDraft::new(principal, &cluster, request)?;
    access::check_new_record(principal, draft.host_unit_id, draft.classification)?;
    let model = common::create::<meetings::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), draft).await?;
    let meeting = service::view(db.get_ref(), model).await?;
    Ok(conditional::created(format!("/api/v1/meetings/{}", meeting.stamp.id), &meeting))
}

/// Update a meeting
#[utoipa::path(
    tag = "meetings",
    params(("id" = Uuid, Path, description = MEETING_ID)),
    request_body(content = UpdateMeetingRequest, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The meeting as updated.", body = Meeting)),
)]
#[patch("/meetings/{id}")]
pub async fn update_meeting(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
    body: JsonBody<UpdateMeetingRequest>,
) -> ApiResult<HttpResponse> {
    let patch = body.0;
    let principal = ctx.principal()?;
    let id = managed(db.get_ref(), &ctx, id.into_inner()).await?.id;
    let model = common::update::<meetings::Entity, _, _>(db.get_ref(), &AuditContext::of(&ctx), id, &precondition, |d, e| {
        patch.apply(d, e);
        access::check_classification(principal, d.classification, e);
    })
    .await?;
    Ok(conditional::updated(&service::view(db.get_ref(), model).await?))
}

/// Delete a meeting
///
/// Only a meeting without action items; a `409` otherwise.
#[utoipa::path(
    tag = "meetings",
    params(("id" = Uuid, Path, description = MEETING_ID)),
    responses((status = 204, description = "The meeting was deleted.")),
)]
#[delete("/meetings/{id}")]
pub async fn delete_meeting(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
) -> ApiResult<HttpResponse> {
    let id = managed(db.get_ref(), &ctx, id.into_inner()).await?.id;
    common::delete::<meetings::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), id, &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Record an action item of a meeting
#[utoipa::path(
    tag = "meetings",
    params(("id" = Uuid, Path, description = MEETING_ID)),
    request_body = CreateActionItemRequest,
    responses((status = 201, description = "The action item was recorded.", body = ActionItem)),
)]
#[post("/meetings/{id}/action-items")]
pub async fn create_action_item(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    body: JsonBody<CreateActionItemRequest>,
) -> ApiResult<HttpResponse> {
    let meeting = managed(db.get_ref(), &ctx, id.into_inner()).await?;
    let draft = service::ActionItemDraft::new(&meeting, body.0);
    let model = common::create::<action_items::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), draft).await?;
    let item = service::item_view(db.get_ref(), model).await?;
    Ok(conditional::created(format!("/api/v1/action-items/{}", item.stamp.id), &item))
}

/// List action items
///
/// The decisions of the meetings the caller may see, across meetings: `owner_unit_id=…&
/// status=open&overdue=true` is a unit's list of what is late.
#[utoipa::path(
    tag = "meetings",
    params(PageParams, ActionItemListParams),
    responses((status = 200, description = "One page of action items.", body = Page<ActionItem>)),
)]
#[get("/action-items")]
pub async fn list_action_items(
    ctx: RequestContext,
    reads: web::Data<crate::db::Reads>,
    query: ListQuery<ActionItemListParams>,
) -> ApiResult<HttpResponse> {
    let (items, next, read) = crate::db::HeldConnection::read(&reads, async |conn| {
        let (items, next) = service::list_items(conn, ctx.principal()?, &query.filter, &query.page).await?;
        let read = service::item_reads(conn, &items).await?;
        ApiResult::Ok((items, next, read))
    })
    .await?;
    access::audit_reads::<action_items::Entity>(&ctx, read).await?;
    Ok(query.respond(items, next))
}

/// Read an action item
#[utoipa::path(
    tag = "meetings",
    params(("id" = Uuid, Path, description = ITEM_ID)),
    responses((status = 200, description = "The action item.", body = ActionItem)),
)]
#[get("/action-items/{id}")]
pub async fn get_action_item(
    req: HttpRequest,
    ctx: RequestContext,
    reads: web::Data<crate::db::Reads>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (item, read) = crate::db::HeldConnection::read(&reads, async |conn| {
        let model = service::find_visible_item(conn, ctx.principal()?, id.into_inner()).await?;
        let item = service::item_view(conn, model).await?;
        let read = service::item_reads(conn, std::slice::from_ref(&item)).await?;
        ApiResult::Ok((item, read))
    })
    .await?;
    access::audit_reads::<action_items::Entity>(&ctx, read).await?;
    conditional::one(&req, &item)
}

/// Update an action item
///
/// Marks it `done` or `dropped` (final), moves its due day, or adds a note. Officers change only
/// their own unit's items.
#[utoipa::path(
    tag = "meetings",
    params(("id" = Uuid, Path, description = ITEM_ID)),
    request_body(content = UpdateActionItemRequest, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The action item as updated.", body = ActionItem)),
)]
#[patch("/action-items/{id}")]
pub async fn update_action_item(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
    body: JsonBody<UpdateActionItemRequest>,
) -> ApiResult<HttpResponse> {
    let principal = ctx.principal()?;
    let item = service::find_visible_item(db.get_ref(), principal, id.into_inner()).await?;
    access::check_record_writer(db.get_ref(), principal, item.cluster_id, Some(item.owner_unit_id)).await?;
    let patch = body.0;
    let model = common::update::<action_items::Entity, _, _>(db.get_ref(), &AuditContext::of(&ctx), item.id, &precondition, |d, e| {
        patch.apply(d, e)
    })
    .await?;
    Ok(conditional::updated(&service::item_view(db.get_ref(), model).await?))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_meetings)
        .service(get_meeting)
        .service(create_meeting)
        .service(update_meeting)
        .service(delete_meeting)
        .service(create_action_item)
        .service(list_action_items)
        .service(get_action_item)
        .service(update_action_item);
}
