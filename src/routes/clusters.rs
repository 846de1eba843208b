//! `/clusters`: coordination relationships of two or more units.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use entity::clusters;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::memberships::CreateMemberRequest;
use crate::audit::AuditContext;
use crate::conditional::{self, Precondition};
use crate::context::RequestContext;
use crate::domain::{BriefingCadence, Classification, ClusterKind, ClusterStatus, Date, Stored};
use crate::error::ApiResult;
use crate::extract::{JsonBody, ListQuery, StrictQuery};
use crate::pagination::{Page, PageParams};
use crate::patch::Patch;
use crate::services::{access, clusters as service, common};
use crate::sort_order;
use crate::views::clusters::{Cluster, ClusterSummary};

sort_order! {
    /// Sort order of clusters: by name (ignoring case and diacritics) or by creation; a leading
    /// `-` reverses it.
    ClusterSort for clusters::Column {
        Name = "name", NameDesc = "-name" => Some(clusters::Column::SortKey),
        CreatedAt = "created_at", CreatedAtDesc = "-created_at" => None,
    }
}

/// Filters of the cluster list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClusterListParams {
    /// Words to find, ignoring case and diacritics, in the cluster's name or description or in
    /// the name of one of its member units: "gia lam" finds the clusters Công an huyện Gia Lâm
    /// belongs to.
    #[param(example = "gia lam")]
    pub q: Option<String>,
    pub kind: Option<ClusterKind>,
    pub status: Option<ClusterStatus>,
    pub classification: Option<Classification>,
    /// Only clusters this unit is, was or will be a member of.
    pub unit_id: Option<Uuid>,
    /// Sort order (default `name`).
    #[serde(default)]
    #[param(inline)]
    pub sort: ClusterSort,
}

/// Options of a cluster read.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClusterReadParams {
    /// Show the membership of this day only. Without it, every membership is listed with its
    /// `joined_on` and `left_on`.
    #[param(example = "2024-06-16")]
    pub as_of: Option<Date>,
}

/// A new cluster, optionally with its first members.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClusterRequest {
    /// At most 300 characters.
    #[schema(example = "Cụm liên kết đảm bảo ANTT")]
    pub name: String,
    pub kind: ClusterKind,
    /// Defaults to `forming`. `active` needs at least two current member units (exactly two for
    /// a `bilateral` cluster).
    #[serde(default)]
    pub status: Option<ClusterStatus>,
    /// Defaults to `internal`.
    #[serde(default)]
    pub classification: Option<Classification>,
    #[serde(default)]
    pub established_on: Option<Date>,
    /// At most 4000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Hours within which incidents should be reported, 1–720.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 720)]
    pub reporting_sla_hours: Option<i32>,
    /// How often the cluster holds briefings; the cluster then shows when the next is due.
    #[serde(default)]
    pub briefing_cadence: Option<BriefingCadence>,
    /// The first memberships, created with the cluster.
    #[serde(default)]
    pub members: Vec<CreateMemberRequest>,
}

/// Changes to a cluster as a JSON Merge Patch. Members are changed through
/// `/clusters/{id}/members`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClusterRequest {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = ClusterKind)]
    pub kind: Patch<ClusterKind>,
    /// Moves along forming → active ⇄ suspended, and to dissolved from any of them.
    #[serde(default)]
    #[schema(value_type = ClusterStatus)]
    pub status: Patch<ClusterStatus>,
    #[serde(default)]
    #[schema(value_type = Classification)]
    pub classification: Patch<Classification>,
    #[serde(default)]
    #[schema(value_type = Option<Date>)]
    pub established_on: Patch<Date>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 720)]
    pub reporting_sla_hours: Patch<i32>,
    #[serde(default)]
    #[schema(value_type = Option<BriefingCadence>)]
    pub briefing_cadence: Patch<BriefingCadence>,
}

/// List clusters
#[utoipa::path(
    tag = "clusters",
    params(PageParams, ClusterListParams),
    responses((status = 200, description = "One page of clusters.", body = Page<ClusterSummary>)),
)]
#[get("/clusters")]
pub async fn list_clusters(
    ctx: RequestContext,
    reads: web::Data<crate::db::Reads>,
    query: ListQuery<ClusterListParams>,
) -> ApiResult<HttpResponse> {
    let (items, next) = crate::db::HeldConnection::read(&reads, async |conn| {
        service::list(conn, ctx.principal()?, &query.filter, &query.page).await
    })
    .await?;
    let read = items.iter().map(|c| (c.stamp.id, c.classification.stored()));
    access::audit_reads::<clusters::Entity>(&ctx, read).await?;
    Ok(query.respond(items, next))
}

/// Read a cluster
///
/// The cluster with its member units, each with its parent unit. `as_of` narrows the members to
/// those of one day.
#[utoipa::path(
    tag = "clusters",
    params(("id" = Uuid, Path, description = "The cluster's id."), ClusterReadParams),
    responses((status = 200, description = "The cluster and its members.", body = Cluster)),
)]
#[get("/clusters/{id}")]
pub async fn get_cluster(
    req: HttpRequest,
    ctx: RequestContext,
    reads: web::Data<crate::db::Reads>,
    id: web::Path<Uuid>,
    params: StrictQuery<ClusterReadParams>,
) -> ApiResult<HttpResponse> {
    let (classification, cluster) = crate::db::HeldConnection::read(&reads, async |conn| {
        let model = access::visible_cluster(conn, ctx.principal()?, id.into_inner()).await?;
        let classification = model.classification.clone();
        ApiResult::Ok((classification, service::view(conn, model, params.0.as_of.map(Into::into)).await?))
    })
    .await?;
    access::audit_read::<clusters::Entity>(&ctx, cluster.cluster.stamp.id, &classification).await?;
    conditional::one(&req, &cluster)
}

/// Create a cluster
#[utoipa::path(
    tag = "clusters",
    request_body = CreateClusterRequest,
    responses((status = 201, description = "The cluster was created.", body = Cluster)),
)]
#[post("/clusters")]
pub async fn create_cluster(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    body: JsonBody<CreateClusterRequest>,
) -> ApiResult<HttpResponse> {
    let mut draft = service::ClusterDraft::from(body.0);
    service::check_creator(ctx.principal()?, &mut draft)?;
    let model = common::create::<clusters::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), draft).await?;
    let cluster = service::view(db.get_ref(), model, None).await?;
    Ok(conditional::created(
        format!("/api/v1/clusters/{}", cluster.cluster.stamp.id),
        &cluster,
    ))
}

/// Update a cluster
#[utoipa::path(
    tag = "clusters",
    params(("id" = Uuid, Path, description = "The cluster's id.")),
    request_body(content = UpdateClusterRequest, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The cluster as updated.", body = Cluster)),
)]
#[patch("/clusters/{id}")]
pub async fn update_cluster(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
    body: JsonBody<UpdateClusterRequest>,
) -> ApiResult<HttpResponse> {
    let patch = body.0;
    let principal = ctx.principal()?;
    let id = access::managed_cluster(db.get_ref(), principal, id.into_inner()).await?.id;
    let model = common::update::<clusters::Entity, _, _>(db.get_ref(), &AuditContext::of(&ctx), id, &precondition, |d, e| {
        patch.apply(d, e);
        access::check_classification(principal, d.classification, e);
    })
    .await?;
    Ok(conditional::updated(&service::view(db.get_ref(), model, None).await?))
}

/// Delete a cluster
///
/// The cluster, with its memberships and regulations, leaves lists and reads.
#[utoipa::path(
    tag = "clusters",
    params(("id" = Uuid, Path, description = "The cluster's id.")),
    responses((status = 204, description = "The cluster was deleted.")),
)]
#[delete("/clusters/{id}")]
pub async fn delete_cluster(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
) -> ApiResult<HttpResponse> {
    let id = access::managed_cluster(db.get_ref(), ctx.principal()?, id.into_inner()).await?.id;
    common::delete::<clusters::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), id, &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_clusters)
        .service(get_cluster)
        .service(create_cluster)
        .service(update_cluster)
        .service(delete_cluster);
}
