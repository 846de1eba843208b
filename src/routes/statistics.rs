//! `/clusters/{id}/statistics` and `/units/{id}/statistics`: counts and sums over a period.

use actix_web::{HttpResponse, get, web};
use entity::units;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::context::RequestContext;
use crate::domain::{ComparisonBasis, Date};
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::extract::StrictQuery;
use crate::services::statistics::{self as service, Period, Scope};
use crate::services::{access, common};
use crate::text;
use crate::views::statistics::Statistics;

/// The period: either `period`, or both `from` and `to` (any other combination is a 422). Days
/// are Vietnam's (UTC+07:00).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatisticsParams {
    /// A year (`2023`), a quarter (`2023-Q4`) or a month (`2023-12`).
    #[param(
        example = "2023",
        pattern = r"^(19[0-9]{2}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])(-Q[1-4]|-0[1-9]|-1[0-2])?$"
    )]
    pub period: Option<String>,
    /// The first day counted (with `to`, instead of `period`).
    pub from: Option<Date>,
    /// The last day counted, included; the period covers at most 3660 days.
    pub to: Option<Date>,
    /// Adds the figures of another period and the percent change of every count.
    pub compare: Option<ComparisonBasis>,
}

impl StatisticsParams {
    fn period(&self) -> ApiResult<Period> {
        match (&self.period, self.from, self.to) {
            (Some(named), None, None) => Period::named(named),
            (None, Some(from), Some(to)) => Period::days(from.into(), to.into()),
            // Each parameter is well-formed; only their combination is wrong.
            _ => Err(ApiError::validation(vec![FieldError::invalid(
                "period",
                text!(
                    en: "Give either `period` or both `from` and `to`.",
                    vi: "Hãy ghi `period`, hoặc cả `from` và `to`."
                ),
            )])),
        }
    }
}

/// Statistics of a cluster
///
/// Incidents that occurred in the period by category, status and severity; how quickly they
/// were reported; the activities that started in it by kind, with people deployed and outcome
/// figures summed; the member units' community models; and how bulletins sent in it were
/// acknowledged. Counts only the records the caller may see. With `compare`, the same for the
/// period before or a year earlier and the percent change of every count.
#[utoipa::path(
    tag = "statistics",
    params(("id" = Uuid, Path, description = "The cluster's id."), StatisticsParams),
    responses(
        (status = 200, description = "The cluster's statistics.", body = Statistics),
        (status = 422, description = "Well-formed parameters that do not go together: `period` with `from` or `to`, only one of `from` and `to`, `to` before `from`, years outside 1900–9998, or more than 3660 days.", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/clusters/{id}/statistics")]
pub async fn get_cluster_statistics(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    params: StrictQuery<StatisticsParams>,
) -> ApiResult<HttpResponse> {
    let principal = ctx.principal()?;
    let period = params.0.period()?;
    let cluster = access::seen_cluster(db.get_ref(), principal, id.into_inner()).await?;
    let stats = service::statistics(db.get_ref(), principal, Scope::Cluster(&cluster), &period, params.0.compare).await?;
    Ok(HttpResponse::Ok().json(stats))
}

/// Statistics of a unit
///
/// As for a cluster, narrowed to the unit: the incidents it reported, the activities it took
/// part in with its own people and the figures credited to it, the community models it
/// sponsors, and its acknowledgements of the bulletins it received — within the clusters the
/// caller may see.
#[utoipa::path(
    tag = "statistics",
    params(("id" = Uuid, Path, description = "The unit's id."), StatisticsParams),
    responses(
        (status = 200, description = "The unit's statistics.", body = Statistics),
        (status = 422, description = "Well-formed parameters that do not go together: `period` with `from` or `to`, only one of `from` and `to`, `to` before `from`, years outside 1900–9998, or more than 3660 days.", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/units/{id}/statistics")]
pub async fn get_unit_statistics(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    params: StrictQuery<StatisticsParams>,
) -> ApiResult<HttpResponse> {
    let principal = ctx.principal()?;
    let period = params.0.period()?;
    let unit = common::find_live::<units::Entity, _>(db.get_ref(), id.into_inner()).await?;
    let stats = service::statistics(db.get_ref(), principal, Scope::Unit(unit.id), &period, params.0.compare).await?;
    Ok(HttpResponse::Ok().json(stats))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_cluster_statistics).service(get_unit_statistics);
}
