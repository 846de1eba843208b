//! `/community-models`: the mass-participation security models units sponsor.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use entity::community_models;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audit::AuditContext;
use crate::conditional::{self, Precondition};
use crate::context::RequestContext;
use crate::domain::{CommunityModelKind, CommunityModelStatus, Date};
use crate::error::ApiResult;
use crate::extract::{JsonBody, ListQuery};
use crate::pagination::{Page, PageParams};
use crate::patch::Patch;
use crate::services::{common, community_models as service};
use crate::sort_order;
use crate::views::community_models::CommunityModel;

sort_order! {
    /// Sort order of community models: by name (ignoring case and diacritics) or by creation; a
    /// leading `-` reverses it.
    CommunityModelSort for community_models::Column {
        Name = "name", NameDesc = "-name" => Some(community_models::Column::SortKey),
        CreatedAt = "created_at", CreatedAtDesc = "-created_at" => None,
    }
}

/// Filters of the community model list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CommunityModelListParams {
    /// Words to find in the name or description, ignoring case and diacritics.
    #[param(example = "tuan tra")]
    pub q: Option<String>,
    /// Only models working in this area.
    pub area_id: Option<Uuid>,
    /// Only models this unit sponsors.
    pub sponsoring_unit_id: Option<Uuid>,
    pub kind: Option<CommunityModelKind>,
    pub status: Option<CommunityModelStatus>,
    /// Sort order (default `name`).
    #[serde(default)]
    #[param(inline)]
    pub sort: CommunityModelSort,
}

/// A new community model.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommunityModelRequest {
    /// At most 300 characters.
    #[schema(example = "Tổ tuần tra nhân dân thôn Tân Định")]
    pub name: String,
    pub kind: CommunityModelKind,
    /// The administrative area it works in.
    pub area_id: Uuid,
    /// Defaults to the caller's unit; a user other than an administrator records only its own
    /// unit's models. Cannot change later.
    #[serde(default)]
    pub sponsoring_unit_id: Option<Uuid>,
    /// Not in the future.
    #[serde(default)]
    pub established_on: Option<Date>,
    /// 0–1 000 000.
    #[serde(default)]
    pub participant_count: Option<i32>,
    /// Defaults to `active`.
    #[serde(default)]
    pub status: Option<CommunityModelStatus>,
    /// At most 4000 characters.
    #[serde(default)]
    pub description: Option<String>,
}

/// Changes to a community model as a JSON Merge Patch. The sponsoring unit cannot change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCommunityModelRequest {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = CommunityModelKind)]
    pub kind: Patch<CommunityModelKind>,
    #[serde(default)]
    #[schema(value_type = Uuid)]
    pub area_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<Date>)]
    pub established_on: Patch<Date>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub participant_count: Patch<i32>,
    #[serde(default)]
    #[schema(value_type = CommunityModelStatus)]
    pub status: Patch<CommunityModelStatus>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
}

const MODEL_ID: &str = "The community model's id.";

/// List community models
#[utoipa::path(
    tag = "community-models",
    params(PageParams, CommunityModelListParams),
    responses((status = 200, description = "One page of community models.", body = Page<CommunityModel>)),
)]
#[get("/community-models")]
pub async fn list_community_models(
    reads: web::Data<crate::db::Reads>,
    query: ListQuery<CommunityModelListParams>,
) -> ApiResult<HttpResponse> {
    let (items, next) = crate::db::HeldConnection::read(&reads, async |conn| service::list(conn, &query.filter, &query.page).await).await?;
    Ok(query.respond(items, next))
}

/// Read a community model
#[utoipa::path(
    tag = "community-models",
    params(("id" = Uuid, Path, description = MODEL_ID)),
    responses((status = 200, description = "The community model.", body = CommunityModel)),
)]
#[get("/community-models/{id}")]
pub async fn get_community_model(req: HttpRequest, reads: web::Data<crate::db::Reads>, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let view = crate::db::HeldConnection::read(&reads, async |conn| {
        let model = service::find(conn, id.into_inner()).await?;
        service::view(conn, model).await
    })
    .await?;
    conditional::one(&req, &view)
}

/// Record a community model
#[utoipa::path(
    tag = "community-models",
    request_body = CreateCommunityModelRequest,
    responses((status = 201, description = "The community model was recorded.", body = CommunityModel)),
)]
#[post("/community-models")]
pub async fn create_community_model(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    body: JsonBody<CreateCommunityModelRequest>,
) -> ApiResult<HttpResponse> {
    let principal = ctx.principal()?;
    let draft = service::CommunityModelDraft::new(principal, body.0);
    service::check_sponsor(principal, draft.sponsoring_unit_id)?;
    let model = common::create::<community_models::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), draft).await?;
    let view = service::view(db.get_ref(), model).await?;
    Ok(conditional::created(format!("/api/v1/community-models/{}", view.stamp.id), &view))
}

/// Update a community model
#[utoipa::path(
    tag = "community-models",
    params(("id" = Uuid, Path, description = MODEL_ID)),
    request_body(content = UpdateCommunityModelRequest, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The community model as updated.", body = CommunityModel)),
)]
#[patch("/community-models/{id}")]
pub async fn update_community_model(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
    body: JsonBody<UpdateCommunityModelRequest>,
) -> ApiResult<HttpResponse> {
    let current = service::find(db.get_ref(), id.into_inner()).await?;
    service::check_sponsor(ctx.principal()?, current.sponsoring_unit_id)?;
    let patch = body.0;
    let model =
        common::update::<community_models::Entity, _, _>(db.get_ref(), &AuditContext::of(&ctx), current.id, &precondition, |d, e| {
            patch.apply(d, e)
        })
        .await?;
    Ok(conditional::updated(&service::view(db.get_ref(), model).await?))
}

/// Delete a community model
///
/// For a record made in error; a model that stopped working is `dissolved` instead.
#[utoipa::path(
    tag = "community-models",
    params(("id" = Uuid, Path, description = MODEL_ID)),
    responses((status = 204, description = "The community model was deleted.")),
)]
#[delete("/community-models/{id}")]
pub async fn delete_community_model(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
) -> ApiResult<HttpResponse> {
    let current = service::find(db.get_ref(), id.into_inner()).await?;
    service::check_sponsor(ctx.principal()?, current.sponsoring_unit_id)?;
    common::delete::<community_models::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), current.id, &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_community_models)
        .service(get_community_model)
        .service(create_community_model)
        .service(update_community_model)
        .service(delete_community_model);
}
