//! `/areas`: administrative areas with their official GSO codes.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use entity::areas;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audit::AuditContext;
use crate::conditional::{self, Precondition};
use crate::context::RequestContext;
use crate::domain::{AreaLevel, Date};
use crate::error::ApiResult;
use crate::extract::{JsonBody, ListQuery};
use crate::pagination::{Page, PageParams};
use crate::patch::Patch;
use crate::services::{areas as service, common};
use crate::sort_order;
use crate::views::areas::Area;

sort_order! {
    /// Sort order of areas: by GSO code, by name (ignoring case and diacritics), or by creation;
    /// a leading `-` reverses it.
    AreaSort for areas::Column {
        Code = "code", CodeDesc = "-code" => Some(areas::Column::Code),
        Name = "name", NameDesc = "-name" => Some(areas::Column::SortKey),
        CreatedAt = "created_at", CreatedAtDesc = "-created_at" => None,
    }
}

/// Filters of the area list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AreaListParams {
    /// Words to find in the name or code, ignoring case and diacritics ("gia lam" finds "Gia Lâm").
    #[param(example = "gia lam")]
    pub q: Option<String>,
    /// Only areas of this level.
    pub level: Option<AreaLevel>,
    /// Only areas lying directly in this area.
    pub parent_id: Option<Uuid>,
    /// Only areas with this GSO code.
    #[param(example = "018")]
    pub code: Option<String>,
    /// Only areas that existed in this form on this day.
    pub active_on: Option<Date>,
    /// Sort order (default `code`).
    #[serde(default)]
    #[param(inline)]
    pub sort: AreaSort,
}

/// A new administrative area.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAreaRequest {
    /// Official GSO code: 2 digits for a province, 3 for a district, 5 for a commune.
    #[schema(example = "018")]
    pub code: String,
    /// Official name including its type, at most 200 characters.
    #[schema(example = "Huyện Gia Lâm")]
    pub name: String,
    pub level: AreaLevel,
    /// The area this one lies in: required for districts and communes, absent for provinces.
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    /// First day the area existed in this form, if known.
    #[serde(default)]
    pub valid_from: Option<Date>,
    /// First day it no longer existed in this form; must be after `valid_from`.
    #[serde(default)]
    #[schema(example = "2025-07-01")]
    pub valid_to: Option<Date>,
    /// The area that replaced this one.
    #[serde(default)]
    pub successor_id: Option<Uuid>,
}

/// Changes to an area as a JSON Merge Patch: members left out stay as they are, `null` clears.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAreaRequest {
    #[serde(default)]
    #[schema(value_type = String)]
    pub code: Patch<String>,
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = AreaLevel)]
    pub level: Patch<AreaLevel>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<Date>)]
    pub valid_from: Patch<Date>,
    #[serde(default)]
    #[schema(value_type = Option<Date>)]
    pub valid_to: Patch<Date>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub successor_id: Patch<Uuid>,
}

/// List areas
///
/// Areas matching the filters, one page at a time.
#[utoipa::path(
    tag = "areas",
    params(PageParams, AreaListParams),
    responses((status = 200, description = "One page of areas.", body = Page<Area>)),
)]
#[get("/areas")]
pub async fn list_areas(reads: web::Data<crate::db::Reads>, query: ListQuery<AreaListParams>) -> ApiResult<HttpResponse> {
    let (items, next) = crate::db::HeldConnection::read(&reads, async |conn| service::list(conn, &query.filter, &query.page).await).await?;
    Ok(query.respond(items, next))
}

/// Read an area
#[utoipa::path(
    tag = "areas",
    params(("id" = Uuid, Path, description = "The area's id.")),
    responses((status = 200, description = "The area.", body = Area)),
)]
#[get("/areas/{id}")]
pub async fn get_area(req: HttpRequest, db: web::Data<DatabaseConnection>, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let area = service::get(db.get_ref(), id.into_inner()).await?;
    conditional::one(&req, &area)
}

/// Create an area
///
/// Areas are reference data, normally imported; this adds one by hand.
#[utoipa::path(
    tag = "areas",
    request_body = CreateAreaRequest,
    responses((status = 201, description = "The area was created.", body = Area)),
)]
#[post("/areas")]
pub async fn create_area(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    body: JsonBody<CreateAreaRequest>,
) -> ApiResult<HttpResponse> {
    let area = Area::from_model(common::create::<areas::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), body.0.into()).await?)?;
    Ok(conditional::created(format!("/api/v1/areas/{}", area.stamp.id), &area))
}

/// Update an area
#[utoipa::path(
    tag = "areas",
    params(("id" = Uuid, Path, description = "The area's id.")),
    request_body(content = UpdateAreaRequest, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The area as updated.", body = Area)),
)]
#[patch("/areas/{id}")]
pub async fn update_area(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
    body: JsonBody<UpdateAreaRequest>,
) -> ApiResult<HttpResponse> {
    let patch = body.0;
    let model = common::update::<areas::Entity, _, _>(db.get_ref(), &AuditContext::of(&ctx), id.into_inner(), &precondition, |d, e| {
        patch.apply(d, e)
    })
    .await?;
    Ok(conditional::updated(&Area::from_model(model)?))
}

/// Delete an area
///
/// The area leaves lists and reads. Refused while areas or units still lie in it.
#[utoipa::path(
    tag = "areas",
    params(("id" = Uuid, Path, description = "The area's id.")),
    responses((status = 204, description = "The area was deleted.")),
)]
#[delete("/areas/{id}")]
pub async fn delete_area(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
) -> ApiResult<HttpResponse> {
    common::delete::<areas::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), id.into_inner(), &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_areas)
        .service(get_area)
        .service(create_area)
        .service(update_area)
        .service(delete_area);
}
