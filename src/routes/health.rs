//! `/health`: liveness and readiness for orchestrators and load balancers; `/metrics` for
//! monitoring.

use actix_web::{HttpResponse, get, web};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::RequestPools;
use crate::error::{ApiError, ApiResult};
use crate::metrics::{self, Metrics};

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the check passes.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness
///
/// Answers while the process serves HTTP; it does not touch the database.
#[utoipa::path(tag = "operations", responses((status = 200, description = "The process is alive.", body = Health)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness
///
/// Answers 200 when the database answers, 503 otherwise, so a load balancer routes around a node
/// that cannot serve requests.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "The service can serve requests.", body = Health),
        (status = 503, description = "The database is unreachable.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/health/ready")]
pub async fn ready(db: web::Data<DatabaseConnection>) -> ApiResult<HttpResponse> {
    db.ping().await.map_err(ApiError::unavailable)?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}

/// Metrics
///
/// Requests answered by operation, method and status, their durations by operation, and the
/// database connections open for requests, in Prometheus's text format. For a monitoring
/// system: an agency client granted `operations:read` (Prometheus fetches its token with the
/// client credentials grant), or an administrator.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The metrics, in Prometheus's text exposition format 0.0.4.", body = String, content_type = "text/plain; version=0.0.4; charset=utf-8")),
)]
#[get("/metrics")]
pub async fn get_metrics(pools: web::Data<RequestPools>, metrics: web::Data<Metrics>) -> ApiResult<HttpResponse> {
    let text = metrics.render(pools.get_ref())?;
    Ok(HttpResponse::Ok().content_type(metrics::CONTENT_TYPE).body(text))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(live).service(ready).service(get_metrics);
}
