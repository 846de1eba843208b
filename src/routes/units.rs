//! `/units`: agency units, their hierarchy and their validity over time.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use entity::units;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audit::AuditContext;
use crate::conditional::{self, Precondition};
use crate::context::RequestContext;
use crate::domain::{Date, Force, UnitLevel};
use crate::error::ApiResult;
use crate::extract::{JsonBody, ListQuery};
use crate::pagination::{Page, PageParams};
use crate::patch::Patch;
use crate::services::{common, units as service};
use crate::sort_order;
use crate::views::units::Unit;

sort_order! {
    /// Sort order of units: by name (ignoring case and diacritics) or by creation; a leading `-`
    /// reverses it.
    UnitSort for units::Column {
        Name = "name", NameDesc = "-name" => Some(units::Column::SortKey),
        CreatedAt = "created_at", CreatedAtDesc = "-created_at" => None,
    }
}

/// Filters of the unit list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnitListParams {
    /// Words to find in the name or short name, ignoring case and diacritics ("gia lam" finds
    /// "Công an huyện Gia Lâm").
    #[param(example = "gia lam")]
    pub q: Option<String>,
    /// Only units of this force.
    pub force: Option<Force>,
    /// Only units at this level.
    pub level: Option<UnitLevel>,
    /// Only units reporting directly to this unit.
    pub parent_id: Option<Uuid>,
    /// Only units responsible for this area.
    pub area_id: Option<Uuid>,
    /// Only units that existed on this day.
    pub active_on: Option<Date>,
    /// Sort order (default `name`).
    #[serde(default)]
    #[param(inline)]
    pub sort: UnitSort,
}

/// Filters of a unit's children.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnitChildrenParams {
    /// Only children that existed on this day.
    pub active_on: Option<Date>,
    /// Sort order (default `name`).
    #[serde(default)]
    #[param(inline)]
    pub sort: UnitSort,
}

/// A unit's public contact details: the office's, never a person's.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// Office telephone: digits, spaces and `+ - ( ) .`, at most 50 characters.
    #[serde(default)]
    #[schema(example = "069 2196 000")]
    pub phone: Option<String>,
    /// Office e-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Office postal address, at most 500 characters.
    #[serde(default)]
    pub address: Option<String>,
}

/// A new unit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnitRequest {
    /// Full official name, at most 300 characters.
    #[schema(example = "Công an huyện Gia Lâm")]
    pub name: String,
    /// Customary abbreviation, at most 100 characters.
    #[serde(default)]
    pub short_name: Option<String>,
    pub force: Force,
    pub level: UnitLevel,
    /// The unit this one reports to; must not create a cycle.
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    /// The administrative area the unit is responsible for.
    #[serde(default)]
    pub area_id: Option<Uuid>,
    /// First day the unit existed, if known.
    #[serde(default)]
    pub valid_from: Option<Date>,
    /// First day the unit no longer existed; must be after `valid_from`.
    #[serde(default)]
    pub valid_to: Option<Date>,
    /// The unit that took over this one's work.
    #[serde(default)]
    pub successor_id: Option<Uuid>,
    #[serde(default)]
    pub contact: Option<ContactInput>,
}

/// Changes to a unit's contact details, merged member by member.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub phone: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub email: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub address: Patch<String>,
}

/// Changes to a unit as a JSON Merge Patch: members left out stay as they are, `null` clears.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUnitRequest {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub short_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Force)]
    pub force: Patch<Force>,
    #[serde(default)]
    #[schema(value_type = UnitLevel)]
    pub level: Patch<UnitLevel>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub area_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<Date>)]
    pub valid_from: Patch<Date>,
    #[serde(default)]
    #[schema(value_type = Option<Date>)]
    pub valid_to: Patch<Date>,
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub successor_id: Patch<Uuid>,
    /// Merged member by member; `null` clears all contact details.
    #[serde(default)]
    #[schema(value_type = Option<ContactPatch>)]
    pub contact: Patch<ContactPatch>,
}

/// List units
///
/// Units matching the filters, one page at a time. `active_on` answers "which units existed on
/// that day", so records about the past stay true after reorganisations.
#[utoipa::path(
    tag = "units",
    params(PageParams, UnitListParams),
    responses((status = 200, description = "One page of units.", body = Page<Unit>)),
)]
#[get("/units")]
pub async fn list_units(reads: web::Data<crate::db::Reads>, query: ListQuery<UnitListParams>) -> ApiResult<HttpResponse> {
    let (items, next) = crate::db::HeldConnection::read(&reads, async |conn| service::list(conn, &query.filter, &query.page).await).await?;
    Ok(query.respond(items, next))
}

/// Read a unit
#[utoipa::path(
    tag = "units",
    params(("id" = Uuid, Path, description = "The unit's id.")),
    responses((status = 200, description = "The unit, with its parent.", body = Unit)),
)]
#[get("/units/{id}")]
pub async fn get_unit(req: HttpRequest, db: web::Data<DatabaseConnection>, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let unit = service::get(db.get_ref(), id.into_inner()).await?;
    conditional::one(&req, &unit)
}

/// List a unit's children
///
/// The units reporting directly to this one.
#[utoipa::path(
    tag = "units",
    params(("id" = Uuid, Path, description = "The parent unit's id."), PageParams, UnitChildrenParams),
    responses((status = 200, description = "One page of child units.", body = Page<Unit>)),
)]
#[get("/units/{id}/children")]
pub async fn list_unit_children(
    reads: web::Data<crate::db::Reads>,
    id: web::Path<Uuid>,
    query: ListQuery<UnitChildrenParams>,
) -> ApiResult<HttpResponse> {
    let (items, next) = crate::db::HeldConnection::read(&reads, async |conn| {
        let parent = common::find_live::<units::Entity, _>(conn, id.into_inner()).await?;
        let filter = UnitListParams {
            parent_id: Some(parent.id),
            active_on: query.filter.active_on,
            sort: query.filter.sort,
            ..Default::default()
        };
        service::list(conn, &filter, &query.page).await
    })
    .await?;
    Ok(query.respond(items, next))
}

/// Create a unit
#[utoipa::path(
    tag = "units",
    request_body = CreateUnitRequest,
    responses((status = 201, description = "The unit was created.", body = Unit)),
)]
#[post("/units")]
pub async fn create_unit(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    body: JsonBody<CreateUnitRequest>,
) -> ApiResult<HttpResponse> {
    let model = common::create::<units::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), body.0.into()).await?;
    let unit = service::view(db.get_ref(), model).await?;
    Ok(conditional::created(format!("/api/v1/units/{}", unit.stamp.id), &unit))
}

/// Update a unit
#[utoipa::path(
    tag = "units",
    params(("id" = Uuid, Path, description = "The unit's id.")),
    request_body(content = UpdateUnitRequest, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The unit as updated.", body = Unit)),
)]
#[patch("/units/{id}")]
pub async fn update_unit(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
    body: JsonBody<UpdateUnitRequest>,
) -> ApiResult<HttpResponse> {
    let patch = body.0;
    let model = common::update::<units::Entity, _, _>(db.get_ref(), &AuditContext::of(&ctx), id.into_inner(), &precondition, |d, e| {
        patch.apply(d, e)
    })
    .await?;
    Ok(conditional::updated(&service::view(db.get_ref(), model).await?))
}

/// Delete a unit
///
/// The unit leaves lists and reads. Refused while units report to it or it belongs to a cluster
/// or signed a regulation: end those first, or record its `valid_to` instead.
#[utoipa::path(
    tag = "units",
    params(("id" = Uuid, Path, description = "The unit's id.")),
    responses((status = 204, description = "The unit was deleted.")),
)]
#[delete("/units/{id}")]
pub async fn delete_unit(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
) -> ApiResult<HttpResponse> {
    common::delete::<units::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), id.into_inner(), &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_units)
        .service(get_unit)
        .service(list_unit_children)
        .service(create_unit)
        .service(update_unit)
        .service(delete_unit);
}
