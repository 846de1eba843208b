//! `/incident-categories`: the incident taxonomy, managed by administrators.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use entity::incident_categories;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audit::AuditContext;
use crate::conditional::{self, Precondition};
use crate::context::RequestContext;
use crate::error::ApiResult;
use crate::extract::{JsonBody, ListQuery};
use crate::pagination::{Page, PageParams};
use crate::patch::Patch;
use crate::services::{common, incident_categories as service};
use crate::sort_order;
use crate::views::incident_categories::IncidentCategory;

sort_order! {
    /// Sort order of categories: by name (ignoring case and diacritics), by code, or by
    /// creation; a leading `-` reverses it.
    IncidentCategorySort for incident_categories::Column {
        Name = "name", NameDesc = "-name" => Some(incident_categories::Column::SortKey),
        Code = "code", CodeDesc = "-code" => Some(incident_categories::Column::Code),
        CreatedAt = "created_at", CreatedAtDesc = "-created_at" => None,
    }
}

/// Filters of the category list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IncidentCategoryListParams {
    /// Words to find in the code, name or description, ignoring case and diacritics.
    #[param(example = "ma tuy")]
    pub q: Option<String>,
    /// Only active (or only inactive) categories.
    pub active: Option<bool>,
    /// The category with this code.
    #[param(example = "drugs")]
    pub code: Option<String>,
    /// Sort order (default `name`).
    #[serde(default)]
    #[param(inline)]
    pub sort: IncidentCategorySort,
}

/// A new category.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIncidentCategoryRequest {
    /// 2–64 characters of `a-z 0-9 _`, starting with a letter; unique; cannot change later.
    #[schema(example = "illegal_fishing")]
    pub code: String,
    /// At most 200 characters.
    #[schema(example = "Khai thác thủy sản trái phép")]
    pub name: String,
    /// At most 2000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Defaults to `true`.
    #[serde(default)]
    pub active: Option<bool>,
}

/// Changes to a category as a JSON Merge Patch. The code cannot change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIncidentCategoryRequest {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pub active: Patch<bool>,
}

const CATEGORY_ID: &str = "The category's id.";

/// List incident categories
#[utoipa::path(
    tag = "incident-categories",
    params(PageParams, IncidentCategoryListParams),
    responses((status = 200, description = "One page of categories.", body = Page<IncidentCategory>)),
)]
#[get("/incident-categories")]
pub async fn list_incident_categories(
    reads: web::Data<crate::db::Reads>,
    query: ListQuery<IncidentCategoryListParams>,
) -> ApiResult<HttpResponse> {
    let (items, next) = crate::db::HeldConnection::read(&reads, async |conn| service::list(conn, &query.filter, &query.page).await).await?;
    Ok(query.respond(items, next))
}

/// Read an incident category
#[utoipa::path(
    tag = "incident-categories",
    params(("id" = Uuid, Path, description = CATEGORY_ID)),
    responses((status = 200, description = "The category.", body = IncidentCategory)),
)]
#[get("/incident-categories/{id}")]
pub async fn get_incident_category(req: HttpRequest, db: web::Data<DatabaseConnection>, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let model = common::find_live::<incident_categories::Entity, _>(db.get_ref(), id.into_inner()).await?;
    conditional::one(&req, &IncidentCategory::from_model(model))
}

/// Create an incident category
#[utoipa::path(
    tag = "incident-categories",
    request_body = CreateIncidentCategoryRequest,
    responses((status = 201, description = "The category was created.", body = IncidentCategory)),
)]
#[post("/incident-categories")]
pub async fn create_incident_category(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    body: JsonBody<CreateIncidentCategoryRequest>,
) -> ApiResult<HttpResponse> {
    let model = common::create::<incident_categories::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), body.0.into()).await?;
    let category = IncidentCategory::from_model(model);
    Ok(conditional::created(
        format!("/api/v1/incident-categories/{}", category.stamp.id),
        &category,
    ))
}

/// Update an incident category
///
/// Rename it, describe it, or retire it with `"active": false`.
#[utoipa::path(
    tag = "incident-categories",
    params(("id" = Uuid, Path, description = CATEGORY_ID)),
    request_body(content = UpdateIncidentCategoryRequest, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The category as updated.", body = IncidentCategory)),
)]
#[patch("/incident-categories/{id}")]
pub async fn update_incident_category(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
    body: JsonBody<UpdateIncidentCategoryRequest>,
) -> ApiResult<HttpResponse> {
    let patch = body.0;
    let model = common::update::<incident_categories::Entity, _, _>(
        db.get_ref(),
        &AuditContext::of(&ctx),
        id.into_inner(),
        &precondition,
        |d, e| patch.apply(d, e),
    )
    .await?;
    Ok(conditional::updated(&IncidentCategory::from_model(model)))
}

/// Delete an incident category
///
/// For a category created in error; retire one in use with `"active": false` instead.
#[utoipa::path(
    tag = "incident-categories",
    params(("id" = Uuid, Path, description = CATEGORY_ID)),
    responses((status = 204, description = "The category was deleted.")),
)]
#[delete("/incident-categories/{id}")]
pub async fn delete_incident_category(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
) -> ApiResult<HttpResponse> {
    common::delete::<incident_categories::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), id.into_inner(), &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_incident_categories)
        .service(get_incident_category)
        .service(create_incident_category)
        .service(update_incident_category)
        .service(delete_incident_category);
}
