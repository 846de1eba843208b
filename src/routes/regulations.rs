//! `/regulations` and `/clusters/{id}/regulations`: the coordination regulations clusters sign.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use entity::{clusters, regulations};
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audit::AuditContext;
use crate::conditional::{self, Precondition};
use crate::context::RequestContext;
use crate::domain::{Date, RegulationStatus};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, ListQuery};
use crate::pagination::{Page, PageParams};
use crate::patch::Patch;
use crate::services::common::Record;
use crate::services::{access, common, regulations as service};
use crate::sort_order;
use crate::views::regulations::Regulation;

sort_order! {
    /// Sort order of regulations: by title (ignoring case and diacritics) or by creation; a
    /// leading `-` reverses it.
    RegulationSort for regulations::Column {
        CreatedAt = "created_at", CreatedAtDesc = "-created_at" => None,
        Title = "title", TitleDesc = "-title" => Some(regulations::Column::SortKey),
    }
}

/// Filters of the regulation list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegulationListParams {
    /// Words to find in the title, number or notes, ignoring case and diacritics.
    pub q: Option<String>,
    /// Only regulations of this cluster.
    pub cluster_id: Option<Uuid>,
    pub status: Option<RegulationStatus>,
    /// Only regulations in force on this day (between `effective_from` and `effective_to`, with
    /// status `in_force` or `superseded`).
    pub effective_on: Option<Date>,
    /// Sort order (default `created_at`).
    #[serde(default)]
    #[param(inline)]
    pub sort: RegulationSort,
}

/// Filters of a cluster's regulations.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClusterRegulationListParams {
    /// Words to find in the title, number or notes, ignoring case and diacritics.
    pub q: Option<String>,
    pub status: Option<RegulationStatus>,
    /// Only regulations in force on this day.
    pub effective_on: Option<Date>,
    /// Sort order (default `created_at`).
    #[serde(default)]
    #[param(inline)]
    pub sort: RegulationSort,
}

/// A unit signing a regulation.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatoryInput {
    /// A unit that is, was or will be a member of the cluster.
    pub unit_id: Uuid,
    /// The signer's public role, at most 200 characters, e.g. "Trưởng Công an huyện".
    #[serde(default)]
    pub signer_role: Option<String>,
}

/// A legal document a regulation rests on.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegalBasisInput {
    pub legal_document_id: Uuid,
    /// Which part is relied on, at most 500 characters, e.g. "Điều 5".
    #[serde(default)]
    pub note: Option<String>,
}

/// A new regulation of a cluster. Leave out what the source does not state.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRegulationRequest {
    /// At most 500 characters.
    #[schema(example = "Quy chế phối hợp đảm bảo an ninh, trật tự")]
    pub title: String,
    /// At most 100 characters.
    #[serde(default)]
    pub number: Option<String>,
    /// The signing day, when the full date is known; not in the future.
    #[serde(default)]
    pub signed_on: Option<Date>,
    /// At most 300 characters.
    #[serde(default)]
    pub signed_place: Option<String>,
    /// Not before `signed_on`.
    #[serde(default)]
    pub effective_from: Option<Date>,
    /// After `effective_from`.
    #[serde(default)]
    pub effective_to: Option<Date>,
    /// Defaults to `draft`. From `signed` on, at least two signatories are needed.
    #[serde(default)]
    pub status: Option<RegulationStatus>,
    /// A regulation of the same cluster that this one replaces.
    #[serde(default)]
    pub supersedes_id: Option<Uuid>,
    /// At most 4000 characters.
    #[serde(default)]
    pub notes: Option<String>,
    /// The signing units, in signing order, each at most once.
    #[serde(default)]
    pub signatories: Vec<SignatoryInput>,
    /// The legal documents it rests on, in citing order, each at most once.
    #[serde(default)]
    pub legal_bases: Vec<LegalBasisInput>,
}

/// Changes to a regulation as a JSON Merge Patch; `signatories` and `legal_bases` are replaced
/// whole when given.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRegulationRequest {
    #[serde(default)]
    #[schema(value_type = String)]
    pub title: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub number: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Date>)]
    pub signed_on: Patch<Date>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub signed_place: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Date>)]
    pub effective_from: Patch<Date>,
    #[serde(default)]
    #[schema(value_type = Option<Date>)]
    pub effective_to: Patch<Date>,
    /// Moves along draft → signed → in_force → superseded, or to terminated.
    #[serde(default)]
    #[schema(value_type = RegulationStatus)]
    pub status: Patch<RegulationStatus>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub supersedes_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub notes: Patch<String>,
    /// Replaces the signatories; `null` removes them all.
    #[serde(default)]
    #[schema(value_type = Option<Vec<SignatoryInput>>)]
    pub signatories: Patch<Vec<SignatoryInput>>,
    /// Replaces the legal bases; `null` removes them all.
    #[serde(default)]
    #[schema(value_type = Option<Vec<LegalBasisInput>>)]
    pub legal_bases: Patch<Vec<LegalBasisInput>>,
}

const REGULATION_ID: &str = "The regulation's id.";

/// List regulations
#[utoipa::path(
    tag = "regulations",
    params(PageParams, RegulationListParams),
    responses((status = 200, description = "One page of regulations.", body = Page<Regulation>)),
)]
#[get("/regulations")]
pub async fn list_regulations(
    ctx: RequestContext,
    reads: web::Data<crate::db::Reads>,
    query: ListQuery<RegulationListParams>,
) -> ApiResult<HttpResponse> {
    let (items, next, classes) = crate::db::HeldConnection::read(&reads, async |conn| {
        let (items, next) = service::list(conn, ctx.principal()?, &query.filter, &query.page).await?;
        let classes = access::classifications(conn, items.iter().map(|r| r.cluster_id)).await?;
        ApiResult::Ok((items, next, classes))
    })
    .await?;
    let read = items
        .iter()
        .map(|r| (r.stamp.id, classes.get(&r.cluster_id).cloned().unwrap_or_default()));
    access::audit_reads::<regulations::Entity>(&ctx, read).await?;
    Ok(query.respond(items, next))
}

/// List a cluster's regulations
#[utoipa::path(
    tag = "regulations",
    params(("id" = Uuid, Path, description = "The cluster's id."), PageParams, ClusterRegulationListParams),
    responses((status = 200, description = "One page of the cluster's regulations.", body = Page<Regulation>)),
)]
#[get("/clusters/{id}/regulations")]
pub async fn list_cluster_regulations(
    ctx: RequestContext,
    reads: web::Data<crate::db::Reads>,
    id: web::Path<Uuid>,
    query: ListQuery<ClusterRegulationListParams>,
) -> ApiResult<HttpResponse> {
    let principal = ctx.principal()?;
    let (cluster, items, next) = crate::db::HeldConnection::read(&reads, async |conn| {
        let cluster = access::visible_cluster(conn, principal, id.into_inner()).await?;
        let f = &query.filter;
        let filter = RegulationListParams {
            q: f.q.clone(),
            cluster_id: Some(cluster.id),
            status: f.status,
            effective_on: f.effective_on,
            sort: f.sort,
        };
        let (items, next) = service::list(conn, principal, &filter, &query.page).await?;
        ApiResult::Ok((cluster, items, next))
    })
    .await?;
    let read = items.iter().map(|r| (r.stamp.id, cluster.classification.clone()));
    access::audit_reads::<regulations::Entity>(&ctx, read).await?;
    Ok(query.respond(items, next))
}

/// Read a regulation
#[utoipa::path(
    tag = "regulations",
    params(("id" = Uuid, Path, description = REGULATION_ID)),
    responses((status = 200, description = "The regulation with its signatories and legal bases.", body = Regulation)),
)]
#[get("/regulations/{id}")]
pub async fn get_regulation(
    req: HttpRequest,
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (model, cluster) = visible(db.get_ref(), &ctx, id.into_inner()).await?;
    access::audit_read::<regulations::Entity>(&ctx, model.id, &cluster.classification).await?;
    conditional::one(&req, &service::view(db.get_ref(), model).await?)
}

/// A regulation whose cluster the caller may see, with that cluster; 404 otherwise.
async fn visible(db: &DatabaseConnection, ctx: &RequestContext, id: Uuid) -> ApiResult<(regulations::Model, clusters::Model)> {
    let principal = ctx.principal()?;
    // One query decides: a regulation that does not exist and one in a cluster the caller
    // cannot see are the same 404, in the same time.
    let model = common::live::<regulations::Entity>()
        .filter(regulations::Column::Id.eq(id))
        .filter(access::in_visible_clusters(regulations::Column::ClusterId, principal))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(regulations::Entity::NOUN))?;
    // Visible through its regulation, so the cluster is read without checking that again.
    let cluster = common::find_live::<clusters::Entity, _>(db, model.cluster_id).await?;
    Ok((model, cluster))
}

/// A regulation the caller may change: 404 when it may not see it, 403 when it does not manage
/// its cluster.
async fn managed(db: &DatabaseConnection, ctx: &RequestContext, id: Uuid) -> ApiResult<regulations::Model> {
    let (model, cluster) = visible(db, ctx, id).await?;
    access::check_manages(db, ctx.principal()?, &cluster).await?;
    Ok(model)
}

/// Record a regulation of a cluster
#[utoipa::path(
    tag = "regulations",
    params(("id" = Uuid, Path, description = "The cluster's id.")),
    request_body = CreateRegulationRequest,
    responses((status = 201, description = "The regulation was recorded.", body = Regulation)),
)]
#[post("/clusters/{id}/regulations")]
pub async fn create_regulation(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    body: JsonBody<CreateRegulationRequest>,
) -> ApiResult<HttpResponse> {
    let cluster = access::managed_cluster(db.get_ref(), ctx.principal()?, id.into_inner()).await?;
    let model = common::create::<regulations::Entity, _>(
        db.get_ref(),
        &AuditContext::of(&ctx),
        service::RegulationDraft::new(cluster.id, body.0),
    )
    .await?;
    let regulation = service::view(db.get_ref(), model).await?;
    Ok(conditional::created(
        format!("/api/v1/regulations/{}", regulation.stamp.id),
        &regulation,
    ))
}

/// Update a regulation
#[utoipa::path(
    tag = "regulations",
    params(("id" = Uuid, Path, description = REGULATION_ID)),
    request_body(content = UpdateRegulationRequest, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The regulation as updated.", body = Regulation)),
)]
#[patch("/regulations/{id}")]
pub async fn update_regulation(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
    body: JsonBody<UpdateRegulationRequest>,
) -> ApiResult<HttpResponse> {
    let patch = body.0;
    let id = managed(db.get_ref(), &ctx, id.into_inner()).await?.id;
    let model =
        common::update::<regulations::Entity, _, _>(db.get_ref(), &AuditContext::of(&ctx), id, &precondition, |d, e| patch.apply(d, e))
            .await?;
    Ok(conditional::updated(&service::view(db.get_ref(), model).await?))
}

/// Delete a regulation
///
/// Deletes a regulation recorded in error; one that ended should be `terminated` or
/// `superseded` instead. Refused while another regulation supersedes it.
#[utoipa::path(
    tag = "regulations",
    params(("id" = Uuid, Path, description = REGULATION_ID)),
    responses((status = 204, description = "The regulation was deleted.")),
)]
#[delete("/regulations/{id}")]
pub async fn delete_regulation(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
) -> ApiResult<HttpResponse> {
    let id = managed(db.get_ref(), &ctx, id.into_inner()).await?.id;
    common::delete::<regulations::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), id, &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_regulations)
        .service(list_cluster_regulations)
        .service(get_regulation)
        .service(create_regulation)
        .service(update_regulation)
        .service(delete_regulation);
}
