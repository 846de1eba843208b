//! `/bulletins`: information units exchange within their clusters, and acknowledgements.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use entity::bulletins;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audit::AuditContext;
use crate::conditional::{self, Precondition};
use crate::context::RequestContext;
use crate::domain::{Classification, Timestamp};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::{JsonBody, ListQuery};
use crate::pagination::{Page, PageParams};
use crate::services::common::{self, Record};
use crate::services::{access, bulletins as service, incidents as incident_service};
use crate::sort_order;
use crate::views::bulletins::Bulletin;

sort_order! {
    reversed
    /// Sort order of bulletins: by when they were sent; `-sent_at` (the default) is newest first.
    BulletinSort for bulletins::Column {
        SentAt = "sent_at", SentAtDesc = "-sent_at" => Some(bulletins::Column::SortKey),
    }
}

/// Filters of the bulletin list. Times are RFC 3339; in a query string write the offset as `Z`
/// or encode `+` as `%2B`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BulletinListParams {
    /// Words to find in the title or body, ignoring case and diacritics.
    pub q: Option<String>,
    /// Only bulletins of this cluster.
    pub cluster_id: Option<Uuid>,
    /// Only bulletins this unit sent.
    pub sender_unit_id: Option<Uuid>,
    /// Only bulletins about this incident.
    pub incident_id: Option<Uuid>,
    /// Only bulletins sent to the caller's unit.
    pub inbox: Option<bool>,
    /// Only bulletins still waiting for an acknowledgement: the caller's unit's with
    /// `inbox=true`, any recipient's otherwise.
    pub unacknowledged: Option<bool>,
    /// Only bulletins sent at or after this time.
    #[param(value_type = Option<Timestamp>)]
    pub sent_from: Option<Timestamp>,
    /// Only bulletins sent before this time.
    #[param(value_type = Option<Timestamp>)]
    pub sent_to: Option<Timestamp>,
    /// Sort order (default `-sent_at`, newest first).
    #[serde(default)]
    #[param(inline)]
    pub sort: BulletinSort,
}

/// A bulletin to send.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBulletinRequest {
    /// The cluster it is sent in.
    pub cluster_id: Uuid,
    /// Defaults to the caller's unit, which must be a current member. Officers send only for
    /// their own unit.
    #[serde(default)]
    pub sender_unit_id: Option<Uuid>,
    /// The recipient units, current members other than the sender, each once (at most 500);
    /// left out, every other current member receives it.
    #[serde(default)]
    pub recipient_unit_ids: Option<Vec<Uuid>>,
    /// An incident of the same cluster the bulletin is about.
    #[serde(default)]
    pub incident_id: Option<Uuid>,
    /// At most 300 characters.
    #[schema(example = "Thông báo phương thức, thủ đoạn mới của tội phạm ma túy")]
    pub title: String,
    /// At most 10 000 characters, written for sharing.
    #[schema(example = "Đề nghị các đơn vị tăng cường tuần tra khu vực giáp ranh.")]
    pub body: String,
    /// Defaults to the cluster's classification; not above the caller's clearance.
    #[serde(default)]
    pub classification: Option<Classification>,
    /// The deadline for acknowledging; after now.
    #[serde(default)]
    #[schema(value_type = Option<Timestamp>)]
    pub ack_due_at: Option<Timestamp>,
}

/// An acknowledgement by the caller's unit.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeRequest {
    /// At most 2000 characters.
    #[serde(default)]
    #[schema(example = "Đã nhận, đã phổ biến tới các tổ tuần tra.")]
    pub note: Option<String>,
}

const BULLETIN_ID: &str = "The bulletin's id.";

/// List bulletins
///
/// Bulletins the caller's unit sent or received (administrators: all; agency clients: those of
/// their granted clusters), within its clearance. `inbox=true&unacknowledged=true` is the
/// caller's unit's to-do list.
#[utoipa::path(
    tag = "bulletins",
    params(PageParams, BulletinListParams),
    responses((status = 200, description = "One page of bulletins.", body = Page<Bulletin>)),
)]
#[get("/bulletins")]
pub async fn list_bulletins(
    ctx: RequestContext,
    reads: web::Data<crate::db::Reads>,
    query: ListQuery<BulletinListParams>,
) -> ApiResult<HttpResponse> {
    let (items, next) = access::audited_page::<bulletins::Entity, _>(&reads, &ctx, async |conn| {
        service::list(conn, ctx.principal()?, &query.filter, &query.page).await
    })
    .await?;
    Ok(query.respond(items, next))
}

/// Read a bulletin
///
/// With every recipient unit and its acknowledgement, so the sender sees who has and has not
/// acknowledged.
#[utoipa::path(
    tag = "bulletins",
    params(("id" = Uuid, Path, description = BULLETIN_ID)),
    responses((status = 200, description = "The bulletin.", body = Bulletin)),
)]
#[get("/bulletins/{id}")]
pub async fn get_bulletin(
    req: HttpRequest,
    ctx: RequestContext,
    reads: web::Data<crate::db::Reads>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let bulletin = access::audited_one::<bulletins::Entity, _>(&reads, &ctx, async |conn| {
        let model = service::find_visible(conn, ctx.principal()?, id.into_inner()).await?;
        service::view(conn, model).await
    })
    .await?;
    conditional::one(&req, &bulletin)
}

/// Send a bulletin
#[utoipa::path(
    tag = "bulletins",
    request_body = CreateBulletinRequest,
    responses((status = 201, description = "The bulletin was sent.", body = Bulletin)),
)]
#[post("/bulletins")]
pub async fn create_bulletin(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    body: JsonBody<CreateBulletinRequest>,
) -> ApiResult<HttpResponse> {
    let principal = ctx.principal()?;
    let request = body.0;
    let cluster = access::cluster_for_new_record(db.get_ref(), principal, request.cluster_id).await?;
    // An incident the caller cannot see is reported like one that does not exist.
    if let Some(incident) = request.incident_id
        && incident_service::find_visible(db.get_ref(), principal, incident).await.is_err()
    {
        let unknown = FieldError::unknown_reference("incident_id", entity::incidents::Entity::NOUN);
        return Err(ApiError::validation(vec![unknown]));
    }
    let draft = service::BulletinDraft::new(principal, &cluster, request)?;
    access::check_new_record(principal, draft.sender_unit_id, draft.classification)?;
    let model = common::create::<bulletins::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), draft).await?;
    let bulletin = service::view(db.get_ref(), model).await?;
    Ok(conditional::created(format!("/api/v1/bulletins/{}", bulletin.stamp.id), &bulletin))
}

/// Withdraw a bulletin
///
/// For a bulletin sent in error: the sending unit (an officer of it, or a coordinator of a
/// member unit) withdraws it, and it leaves every recipient's list.
#[utoipa::path(
    tag = "bulletins",
    params(("id" = Uuid, Path, description = BULLETIN_ID)),
    responses((status = 204, description = "The bulletin was withdrawn.")),
)]
#[delete("/bulletins/{id}")]
pub async fn delete_bulletin(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
) -> ApiResult<HttpResponse> {
    let principal = ctx.principal()?;
    let model = service::find_visible(db.get_ref(), principal, id.into_inner()).await?;
    access::check_record_writer(db.get_ref(), principal, model.cluster_id, Some(model.sender_unit_id)).await?;
    common::delete::<bulletins::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), model.id, &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Acknowledge a bulletin
///
/// Records that the caller's unit received the bulletin. Only a recipient unit acknowledges
/// (403 otherwise), and only once (409 the second time); an acknowledgement after `ack_due_at`
/// is flagged `late`.
#[utoipa::path(
    tag = "bulletins",
    params(("id" = Uuid, Path, description = BULLETIN_ID)),
    request_body = AcknowledgeRequest,
    responses((status = 200, description = "The bulletin with the acknowledgement.", body = Bulletin)),
)]
#[post("/bulletins/{id}/acknowledgements")]
pub async fn acknowledge_bulletin(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    body: JsonBody<AcknowledgeRequest>,
) -> ApiResult<HttpResponse> {
    let principal = ctx.principal()?;
    let model = service::find_visible(db.get_ref(), principal, id.into_inner()).await?;
    service::acknowledge(db.get_ref(), &AuditContext::of(&ctx), principal.unit_id, &model, body.0.note).await?;
    let model = common::find_live::<bulletins::Entity, _>(db.get_ref(), model.id).await?;
    Ok(conditional::updated(&service::view(db.get_ref(), model).await?))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_bulletins)
        .service(get_bulletin)
        .service(create_bulletin)
        .service(delete_bulletin)
        .service(acknowledge_bulletin);
}
