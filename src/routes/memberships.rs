//! `/clusters/{id}/members`: which units belong to a cluster, in which role, over which period.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use entity::cluster_members;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audit::AuditContext;
use crate::conditional::{self, Precondition};
use crate::context::RequestContext;
use crate::domain::{Date, MemberRole};
use crate::error::ApiResult;
use crate::extract::{JsonBody, ListQuery};
use crate::pagination::{Page, PageParams};
use crate::patch::Patch;
use crate::services::{access, common, memberships as service};
use crate::sort_order;
use crate::views::clusters::Member;

sort_order! {
    /// Sort order of memberships: by creation; a leading `-` reverses it.
    MemberSort for cluster_members::Column {
        CreatedAt = "created_at", CreatedAtDesc = "-created_at" => None,
    }
}

/// Filters of a cluster's memberships.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MemberListParams {
    /// Only memberships current on this day.
    pub active_on: Option<Date>,
    pub role: Option<MemberRole>,
    /// Sort order (default `created_at`).
    #[serde(default)]
    #[param(inline)]
    pub sort: MemberSort,
}

/// A unit joining a cluster.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMemberRequest {
    pub unit_id: Uuid,
    /// Defaults to `member`. At most one `lead` at any time; the lead may rotate.
    #[serde(default)]
    pub role: Option<MemberRole>,
    /// The day the unit joined, if known.
    #[serde(default)]
    pub joined_on: Option<Date>,
    /// The first day the unit is no longer a member; must be after `joined_on`.
    #[serde(default)]
    pub left_on: Option<Date>,
}

/// Changes to a membership as a JSON Merge Patch. The unit cannot change: end this membership
/// and add another.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberRequest {
    #[serde(default)]
    #[schema(value_type = MemberRole)]
    pub role: Patch<MemberRole>,
    #[serde(default)]
    #[schema(value_type = Option<Date>)]
    pub joined_on: Patch<Date>,
    #[serde(default)]
    #[schema(value_type = Option<Date>)]
    pub left_on: Patch<Date>,
}

const CLUSTER_ID: &str = "The cluster's id.";
const MEMBER_ID: &str = "The membership's id.";

/// List a cluster's members
#[utoipa::path(
    tag = "clusters",
    params(("id" = Uuid, Path, description = CLUSTER_ID), PageParams, MemberListParams),
    responses((status = 200, description = "One page of memberships.", body = Page<Member>)),
)]
#[get("/clusters/{id}/members")]
pub async fn list_members(
    ctx: RequestContext,
    reads: web::Data<crate::db::Reads>,
    id: web::Path<Uuid>,
    query: ListQuery<MemberListParams>,
) -> ApiResult<HttpResponse> {
    let (cluster, items, next) = crate::db::HeldConnection::read(&reads, async |conn| {
        let cluster = access::visible_cluster(conn, ctx.principal()?, id.into_inner()).await?;
        let (items, next) = service::list(conn, cluster.id, &query.filter, &query.page).await?;
        ApiResult::Ok((cluster, items, next))
    })
    .await?;
    access::audit_read::<entity::clusters::Entity>(&ctx, cluster.id, &cluster.classification).await?;
    Ok(query.respond(items, next))
}

/// Read a membership
#[utoipa::path(
    tag = "clusters",
    params(("id" = Uuid, Path, description = CLUSTER_ID), ("member_id" = Uuid, Path, description = MEMBER_ID)),
    responses((status = 200, description = "The membership.", body = Member)),
)]
#[get("/clusters/{id}/members/{member_id}")]
pub async fn get_member(
    req: HttpRequest,
    ctx: RequestContext,
    reads: web::Data<crate::db::Reads>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (cluster_id, member_id) = path.into_inner();
    let (cluster, view) = crate::db::HeldConnection::read(&reads, async |conn| {
        let cluster = access::visible_cluster(conn, ctx.principal()?, cluster_id).await?;
        let member = service::find(conn, cluster_id, member_id).await?;
        ApiResult::Ok((cluster, service::view(conn, member).await?))
    })
    .await?;
    access::audit_read::<cluster_members::Entity>(&ctx, view.stamp.id, &cluster.classification).await?;
    conditional::one(&req, &view)
}

/// Add a member
///
/// The unit joins the cluster. A unit's memberships of one cluster may not overlap in time, nor
/// may two leads'.
#[utoipa::path(
    tag = "clusters",
    params(("id" = Uuid, Path, description = CLUSTER_ID)),
    request_body = CreateMemberRequest,
    responses((status = 201, description = "The membership was created.", body = Member)),
)]
#[post("/clusters/{id}/members")]
pub async fn create_member(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    body: JsonBody<CreateMemberRequest>,
) -> ApiResult<HttpResponse> {
    let cluster = access::managed_cluster(db.get_ref(), ctx.principal()?, id.into_inner()).await?;
    let model =
        common::create::<cluster_members::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), service::MemberDraft::new(cluster.id, body.0))
            .await?;
    let member = service::view(db.get_ref(), model).await?;
    Ok(conditional::created(
        format!("/api/v1/clusters/{}/members/{}", cluster.id, member.stamp.id),
        &member,
    ))
}

/// Update a membership
///
/// Change the role or the period, e.g. record `left_on` when a unit leaves or the lead rotates.
#[utoipa::path(
    tag = "clusters",
    params(("id" = Uuid, Path, description = CLUSTER_ID), ("member_id" = Uuid, Path, description = MEMBER_ID)),
    request_body(content = UpdateMemberRequest, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The membership as updated.", body = Member)),
)]
#[patch("/clusters/{id}/members/{member_id}")]
pub async fn update_member(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    path: web::Path<(Uuid, Uuid)>,
    precondition: Precondition,
    body: JsonBody<UpdateMemberRequest>,
) -> ApiResult<HttpResponse> {
    let (cluster_id, member_id) = path.into_inner();
    access::managed_cluster(db.get_ref(), ctx.principal()?, cluster_id).await?;
    service::find(db.get_ref(), cluster_id, member_id).await?;
    let patch = body.0;
    let model = common::update::<cluster_members::Entity, _, _>(db.get_ref(), &AuditContext::of(&ctx), member_id, &precondition, |d, e| {
        patch.apply(d, e)
    })
    .await?;
    Ok(conditional::updated(&service::view(db.get_ref(), model).await?))
}

/// Remove a membership
///
/// Deletes a membership recorded in error. A unit that left should keep its history: set
/// `left_on` instead.
#[utoipa::path(
    tag = "clusters",
    params(("id" = Uuid, Path, description = CLUSTER_ID), ("member_id" = Uuid, Path, description = MEMBER_ID)),
    responses((status = 204, description = "The membership was deleted.")),
)]
#[delete("/clusters/{id}/members/{member_id}")]
pub async fn delete_member(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    path: web::Path<(Uuid, Uuid)>,
    precondition: Precondition,
) -> ApiResult<HttpResponse> {
    let (cluster_id, member_id) = path.into_inner();
    access::managed_cluster(db.get_ref(), ctx.principal()?, cluster_id).await?;
    service::find(db.get_ref(), cluster_id, member_id).await?;
    common::delete::<cluster_members::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), member_id, &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_members)
        .service(get_member)
        .service(create_member)
        .service(update_member)
        .service(delete_member);
}
