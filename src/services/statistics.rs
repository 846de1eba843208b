//! Statistics of a cluster or a unit over a period: counts, sums and percentiles computed by
//! the database with aggregate queries, alike on SQLite and PostgreSQL.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use entity::{
    activities, activity_figures, activity_participants, bulletin_recipients, bulletins, cluster_members, clusters, community_models,
    incident_categories, incidents,
};
use futures_util::future::{try_join, try_join4};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, NullOrdering, Order, Query, SelectStatement, WindowStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, JoinType, QueryFilter, QuerySelect, QueryTrait, RelationDef, Select,
    TryGetableMany,
};
use uuid::Uuid;

use super::access::{self, SeenCluster};
use super::common::live;
use super::{activities as activity_service, incidents as incident_service};
use crate::auth::Principal;
use crate::db;
use crate::domain::{
    ActivityKind, ActivityStatus, CommunityModelKind, CommunityModelStatus, ComparisonBasis, FigureName, IncidentStatus, Severity, Stored,
};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::text;
use crate::views::activities::FigureTotal;
use crate::views::incidents::CategoryRef;
use crate::views::statistics::{
    AcknowledgementFigures, ActivityFigures, ActivityStatusCount, CategoryCount, CommunityModelFigures, Comparison, Figures,
    IncidentFigures, KindFigures, ModelKindCount, ModelStatusCount, PeriodView, ReportingTimeliness, SeverityCount, Statistics,
    StatusCount, Subject, changes,
};

/// The longest period statistics cover at once.
const MAX_DAYS: u64 = 3_660;

/// What the statistics are of: a cluster the caller was found to see, or a unit.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Cluster(&'a SeenCluster),
    Unit(Uuid),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    Year,
    Quarter,
    Month,
    Days,
}

/// A run of whole days, both ends included, in Vietnam's time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    span: Span,
}

fn bad_period(field: &str, en: &str, vi: &str) -> ApiError {
    ApiError::bad_field(FieldError::invalid(field, text!(en: "{en}", vi: "{vi}")))
}

impl Period {
    /// A named period: a year (`2023`), a quarter (`2023-Q4`) or a month (`2023-12`).
    pub fn named(text: &str) -> ApiResult<Self> {
        let invalid = || {
            bad_period(
                "period",
                "Write a year (2023), a quarter (2023-Q4) or a month (2023-12).",
                "Hãy ghi năm (2023), quý (2023-Q4) hoặc tháng (2023-12).",
            )
        };
        let year = |s: &str| -> ApiResult<i32> {
            if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            let y: i32 = s.parse().map_err(|_| invalid())?;
            if !(1900..=9998).contains(&y) {
                return Err(invalid());
            }
            Ok(y)
        };
        let start = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(invalid);
        let (from, span, months) = match text.split_once('-') {
            None => (start(year(text)?, 1)?, Span::Year, 12),
            Some((y, q)) if q.len() == 2 && q.starts_with('Q') => {
                let quarter = match q.as_bytes()[1] {
                    b @ b'1'..=b'4' => u32::from(b - b'0'),
                    _ => return Err(invalid()),
                };
                (start(year(y)?, quarter * 3 - 2)?, Span::Quarter, 3)
            }
            Some((y, m)) if m.len() == 2 && m.bytes().all(|b| b.is_ascii_digit()) => {
                let month: u32 = m.parse().map_err(|_| invalid())?;
                if !(1..=12).contains(&month) {
                    return Err(invalid());
                }
                (start(year(y)?, month)?, Span::Month, 1)
            }
            Some(_) => return Err(invalid()),
        };
        let to = from
            .checked_add_months(Months::new(months))
            .and_then(|d| d.pred_opt())
            .ok_or_else(invalid)?;
        Ok(Self { from, to, span })
    }

    /// The days from `from` to `to`, both included.
    /// The days from `from` to `to`, both included. Both are well-formed days, so what is wrong
    /// with them is a rule they break together (a 422).
    pub fn days(from: NaiveDate, to: NaiveDate) -> ApiResult<Self> {
        let broken = |error: FieldError| Err(ApiError::validation(vec![error]));
        if to < from {
            return broken(FieldError::date_order("to", "from"));
        }
        if from.year() < 1900 || to.year() > 9998 {
            return broken(FieldError::invalid(
                "from",
                text!(en: "Years run from 1900 to 9998.", vi: "Năm phải từ 1900 đến 9998."),
            ));
        }
        if (to - from).num_days() >= MAX_DAYS as i64 {
            return broken(FieldError::invalid(
                "to",
                text!(en: "A period covers at most 3660 days.", vi: "Một kỳ thống kê dài tối đa 3660 ngày."),
            ));
        }
        Ok(Self {
            from,
            to,
            span: Span::Days,
        })
    }

    /// The period of the same length just before: the previous year, quarter or month for a
    /// named one, otherwise as many days.
    pub fn previous(&self) -> Self {
        let months = match self.span {
            Span::Year => 12,
            Span::Quarter => 3,
            Span::Month => 1,
            Span::Days => {
                let length = (self.to - self.from).num_days() as u64 + 1;
                let from = self.from - Days::new(length);
                return Self {
                    from,
                    to: self.from.pred_opt().unwrap_or(from),
                    span: Span::Days,
                };
            }
        };
        let from = self.from - Months::new(months);
        Self {
            from,
            to: self.from.pred_opt().unwrap_or(from),
            span: self.span,
        }
    }

    /// The same days a year earlier (29 February becomes the 28th).
    pub fn year_before(&self) -> Self {
        match self.span {
            Span::Days => Self {
                from: self.from - Months::new(12),
                to: self.to - Months::new(12),
                span: Span::Days,
            },
            _ => {
                let from = self.from - Months::new(12);
                let to = (self.to + Days::new(1) - Months::new(12)).pred_opt().unwrap_or(from);
                Self { from, to, span: self.span }
            }
        }
    }

    /// The period as clients wrote it, or would have.
    pub fn label(&self) -> String {
        match self.span {
            Span::Year => format!("{}", self.from.year()),
            Span::Quarter => format!("{}-Q{}", self.from.year(), self.from.month0() / 3 + 1),
            Span::Month => self.from.format("%Y-%m").to_string(),
            Span::Days => format!("{}..{}", self.from, self.to),
        }
    }

    pub fn view(&self) -> PeriodView {
        PeriodView {
            from: self.from,
            to: self.to,
            label: self.label(),
        }
    }

    /// The half-open window of instants: midnight of `from` to midnight after `to`, UTC+07:00.
    fn window(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (db::start_of_day(self.from), db::start_of_day(self.to + Days::new(1)))
    }
}

/// The statistics of `scope` over `period`, with the comparison when asked for.
pub async fn statistics<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    scope: Scope<'_>,
    period: &Period,
    compare: Option<ComparisonBasis>,
) -> ApiResult<Statistics> {
    let figures = figures(db, p, scope, period).await?;
    let comparison = match compare {
        None => None,
        Some(basis) => {
            let other = match basis {
                ComparisonBasis::PreviousPeriod => period.previous(),
                ComparisonBasis::PreviousYear => period.year_before(),
            };
            let before = self::figures(db, p, scope, &other).await?;
            Some(Comparison {
                basis: match basis {
                    ComparisonBasis::PreviousPeriod => "previous_period",
                    ComparisonBasis::PreviousYear => "previous_year",
                },
                period: other.view(),
                changes: changes(&figures, &before),
                figures: before,
            })
        }
    };
    let subject = match scope {
        Scope::Cluster(cluster) => Subject {
            subject_type: "cluster",
            id: cluster.model().id,
        },
        Scope::Unit(id) => Subject { subject_type: "unit", id },
    };
    Ok(Statistics {
        subject,
        period: period.view(),
        figures,
        comparison,
    })
}

async fn figures<C: ConnectionTrait>(db: &C, p: &Principal, scope: Scope<'_>, period: &Period) -> ApiResult<Figures> {
    let window = period.window();
    // The parts are independent: on a pool they run at once, each on its own connection.
    let ((incidents, timeliness), activities, community_models, acknowledgements) = try_join4(
        incident_figures(db, p, scope, window),
        activity_figures(db, p, scope, window),
        community_model_figures(db, scope, period),
        acknowledgement_figures(db, p, scope, window),
    )
    .await?;
    Ok(Figures {
        incidents,
        timeliness,
        activities,
        community_models,
        acknowledgements,
    })
}

type Window = (DateTime<Utc>, DateTime<Utc>);

/// `COUNT(*)`.
fn count_all() -> Expr {
    Expr::cust("COUNT(*)")
}

/// `CAST(SUM(column) AS BIGINT)`: a whole number on both databases (PostgreSQL sums a
/// bigint column as numeric); `NULL` over no rows.
fn sum_of(column: impl sea_orm::sea_query::IntoColumnRef) -> Expr {
    Func::cast_as(Func::sum(Expr::col(column)), Alias::new("BIGINT")).into()
}

/// Stored names turned into their enumeration, in the enumeration's order.
fn in_order<K: Stored + Ord, V>(rows: Vec<(String, V)>) -> ApiResult<Vec<(K, V)>> {
    let mut out = rows
        .into_iter()
        .map(|(k, v)| Ok((K::from_stored(&k)?, v)))
        .collect::<ApiResult<Vec<_>>>()?;
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The period's incidents the caller may see.
fn incidents_of(p: &Principal, scope: Scope<'_>, (start, end): Window) -> Select<incidents::Entity> {
    let select = live::<incidents::Entity>()
        .filter(incidents::Column::OccurredAt.gte(start))
        .filter(incidents::Column::OccurredAt.lt(end));
    match scope {
        Scope::Cluster(cluster) => select.filter(cluster.records(incidents::Column::ClusterId, incidents::Column::Classification)),
        Scope::Unit(id) => select
            .filter(incident_service::visible(p))
            .filter(incidents::Column::ReportingUnitId.eq(id)),
    }
}

/// Adds `n` to the count of `key`.
fn tally<K: Eq + std::hash::Hash>(counts: &mut HashMap<K, i64>, key: K, n: i64) {
    *counts.entry(key).or_insert(0) += n;
}

/// One row over the rows of `rows`: the `aggregates` (over the columns of `rows`), then the
/// median and the 90th percentile of `value` by the nearest-rank method: of the n values that
/// are not null, the one at rank ⌈p·n/100⌉, or `NULL` when there are none. One scan, sorting the
/// values once.
async fn with_percentiles<T, C>(db: &C, mut rows: SelectStatement, value: Expr, aggregates: Vec<Expr>) -> ApiResult<T>
where
    T: TryGetableMany,
    C: ConnectionTrait,
{
    let (v, rank, n) = ("v", "rn", "n");
    rows.expr_as(value.clone(), Alias::new(v));
    let mut statement = Query::select();
    statement.exprs(aggregates);
    if db.get_database_backend() == DbBackend::Postgres {
        // The ordered-set aggregate: `percentile_disc(f)` is the first value whose position
        // reaches f·n, which is the nearest rank; both share one sort.
        let at = |fraction: &str| Expr::cust(format!(r#"percentile_disc({fraction}) WITHIN GROUP (ORDER BY "{v}")"#));
        statement.expr(at("0.5")).expr(at("0.9"));
    } else {
        // Each value's rank and the number of values from window functions; the values at the
        // two ranks picked out.
        let mut order = WindowStatement::new();
        order.order_by_expr_with_nulls(value.clone(), Order::Asc, NullOrdering::Last);
        rows.expr_window_as(Func::cust(Alias::new("ROW_NUMBER")), order, Alias::new(rank))
            .expr_window_as(Func::count(value), WindowStatement::new(), Alias::new(n));
        let at_rank = |p: i64| -> Expr {
            let wanted = Expr::col(Alias::new(n)).mul(p).add(99).div(100);
            let hit = Condition::all()
                .add(Expr::col(Alias::new(v)).is_not_null())
                .add(Expr::col(Alias::new(rank)).eq(wanted));
            Func::max(Expr::case(hit, Expr::col(Alias::new(v)))).into()
        };
        statement.expr(at_rank(50)).expr(at_rank(90));
    }
    statement.from_subquery(rows, Alias::new("counted"));
    // Aggregates without grouping give one row, also over no rows.
    let row = db
        .query_one(&statement)
        .await?
        .ok_or_else(|| ApiError::internal("an aggregate gave no row"))?;
    Ok(row.try_get_many_by_index()?)
}

/// Each combination of status, severity and category among the period's incidents, with how
/// many incidents it has.
type IncidentCounts = (String, String, Uuid, i64);

async fn incident_figures<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    scope: Scope<'_>,
    window: Window,
) -> ApiResult<(IncidentFigures, ReportingTimeliness)> {
    // One scan counts every combination (the breakdowns are sums over it); another, at the same
    // time, sorts the delays for their percentiles and judges each against its cluster's
    // deadline: known already for a cluster, joined for a unit's incidents.
    let counts = incidents_of(p, scope, window)
        .select_only()
        .column(incidents::Column::Status)
        .column(incidents::Column::Severity)
        .column(incidents::Column::CategoryId)
        .column_as(count_all(), "n")
        .group_by(incidents::Column::Status)
        .group_by(incidents::Column::Severity)
        .group_by(incidents::Column::CategoryId)
        .into_tuple::<IncidentCounts>()
        .all(db);
    let delay = Expr::col((incidents::Entity, incidents::Column::ReportingDelaySeconds));
    let delays = incidents_of(p, scope, window).select_only();
    let (delays, deadline) = match scope {
        Scope::Cluster(cluster) => {
            let seconds = cluster.model().reporting_sla_hours.map(|hours| i64::from(hours) * 3600);
            (delays, Expr::val(seconds))
        }
        Scope::Unit(_) => {
            let to_cluster: RelationDef = incidents::Entity::belongs_to(clusters::Entity)
                .from(incidents::Column::ClusterId)
                .to(clusters::Column::Id)
                .into();
            let hours = Expr::col((clusters::Entity, clusters::Column::ReportingSlaHours));
            (delays.join(JoinType::InnerJoin, to_cluster), hours.mul(3600))
        }
    };
    // Judged when the cluster has a deadline, within it when the delay is no longer.
    let within_deadline = Condition::all().add(delay.clone().lte(deadline.clone()));
    let mut rows = delays.into_query();
    rows.expr_as(deadline, Alias::new("deadline"))
        .expr_as(Expr::case(within_deadline, 1).finally(0), Alias::new("within"));
    let judging = vec![
        Func::count(Expr::col(Alias::new("deadline"))).into(),
        Func::sum(Expr::col(Alias::new("within"))).into(),
    ];
    let timing = with_percentiles::<(i64, Option<i64>, Option<i64>, Option<i64>), _>(db, rows, delay, judging);
    let (combinations, (judged, within, median, p90)) = try_join(async { Ok(counts.await?) }, timing).await?;
    let within = within.unwrap_or(0);

    let (mut by_status, mut by_severity, mut by_category) = (HashMap::new(), HashMap::new(), HashMap::new());
    for (status, severity, category, n) in combinations {
        tally(&mut by_status, status, n);
        tally(&mut by_severity, severity, n);
        tally(&mut by_category, category, n);
    }
    let by_status: Vec<(IncidentStatus, i64)> = in_order(by_status.into_iter().collect())?;
    let by_severity: Vec<(Severity, i64)> = in_order(by_severity.into_iter().collect())?;
    let categories: HashMap<Uuid, incident_categories::Model> = incident_categories::Entity::find()
        .filter(incident_categories::Column::Id.is_in(by_category.keys().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut by_category = by_category
        .into_iter()
        .map(|(id, count)| {
            let c = categories.get(&id).ok_or_else(|| ApiError::internal("incident category missing"))?;
            Ok(CategoryCount {
                category: CategoryRef {
                    id,
                    code: c.code.clone(),
                    name: c.name.clone(),
                },
                count,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    by_category.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.category.code.cmp(&b.category.code)));
    let reports: i64 = by_status.iter().map(|(_, n)| n).sum();
    #[allow(clippy::cast_precision_loss)]
    let share = (judged > 0).then(|| (within as f64 / judged as f64 * 10_000.0).round() / 10_000.0);
    let timeliness = ReportingTimeliness {
        reports,
        median_delay_seconds: median,
        p90_delay_seconds: p90,
        judged,
        within_sla: within,
        within_sla_share: share,
    };
    let figures = IncidentFigures {
        total: reports,
        by_category,
        by_status: by_status.into_iter().map(|(status, count)| StatusCount { status, count }).collect(),
        by_severity: by_severity
            .into_iter()
            .map(|(severity, count)| SeverityCount { severity, count })
            .collect(),
    };
    Ok((figures, timeliness))
}

/// The period's activities the caller may see (for a unit: those it took part in).
fn activities_of(p: &Principal, scope: Scope<'_>, (start, end): Window) -> Select<activities::Entity> {
    let select = live::<activities::Entity>()
        .filter(activities::Column::StartsAt.gte(start))
        .filter(activities::Column::StartsAt.lt(end));
    match scope {
        Scope::Cluster(cluster) => select.filter(cluster.records(activities::Column::ClusterId, activities::Column::Classification)),
        Scope::Unit(id) => {
            let taking_part = Query::select()
                .column(activity_participants::Column::ActivityId)
                .from(activity_participants::Entity)
                .and_where(activity_participants::Column::UnitId.eq(id))
                .to_owned();
            select
                .filter(activity_service::visible(p))
                .filter(activities::Column::Id.in_subquery(taking_part))
        }
    }
}

fn participants_of_activity() -> RelationDef {
    activity_participants::Entity::belongs_to(activities::Entity)
        .from(activity_participants::Column::ActivityId)
        .to(activities::Column::Id)
        .into()
}

fn figures_of_activity() -> RelationDef {
    activity_figures::Entity::belongs_to(activities::Entity)
        .from(activity_figures::Column::ActivityId)
        .to(activities::Column::Id)
        .into()
}

async fn activity_figures<C: ConnectionTrait>(db: &C, p: &Principal, scope: Scope<'_>, window: Window) -> ApiResult<ActivityFigures> {
    let all = activities_of(p, scope, window);
    // One scan counts each status and kind together: the statuses are sums over the kinds, the
    // kinds sums over the statuses other than cancelled.
    let combinations: Vec<(String, String, i64)> = all
        .clone()
        .select_only()
        .column(activities::Column::Status)
        .column(activities::Column::Kind)
        .column_as(count_all(), "n")
        .group_by(activities::Column::Status)
        .group_by(activities::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    let (mut by_status, mut counts) = (HashMap::new(), HashMap::new());
    for (status, kind, n) in combinations {
        if status != ActivityStatus::Cancelled.stored() {
            tally(&mut counts, kind, n);
        }
        tally(&mut by_status, status, n);
    }
    let by_status: Vec<(ActivityStatus, i64)> = in_order(by_status.into_iter().collect())?;
    let counts: Vec<(ActivityKind, i64)> = in_order(counts.into_iter().collect())?;
    let held = all.filter(activities::Column::Status.ne(ActivityStatus::Cancelled.stored()));

    let mut personnel_select = held
        .clone()
        .join_rev(JoinType::InnerJoin, participants_of_activity())
        .select_only()
        .column(activities::Column::Kind)
        .column_as(
            sum_of((activity_participants::Entity, activity_participants::Column::Personnel)),
            "n",
        )
        .group_by(activities::Column::Kind);
    let mut figure_select = held
        .join_rev(JoinType::InnerJoin, figures_of_activity())
        .select_only()
        .column(activities::Column::Kind)
        .column(activity_figures::Column::Name)
        .column_as(sum_of((activity_figures::Entity, activity_figures::Column::Value)), "n")
        .group_by(activities::Column::Kind)
        .group_by(activity_figures::Column::Name);
    if let Scope::Unit(id) = scope {
        personnel_select = personnel_select.filter(activity_participants::Column::UnitId.eq(id));
        figure_select = figure_select.filter(activity_figures::Column::UnitId.eq(id));
    }
    let personnel: HashMap<ActivityKind, i64> = in_order(personnel_select.into_tuple::<(String, Option<i64>)>().all(db).await?)?
        .into_iter()
        .map(|(kind, n)| (kind, n.unwrap_or(0)))
        .collect();
    let mut sums: Vec<(ActivityKind, FigureName, i64)> = figure_select
        .into_tuple::<(String, String, Option<i64>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(kind, name, n)| Ok((ActivityKind::from_stored(&kind)?, FigureName::from_stored(&name)?, n.unwrap_or(0))))
        .collect::<ApiResult<_>>()?;
    sums.sort_unstable();

    let by_kind: Vec<KindFigures> = counts
        .into_iter()
        .map(|(kind, count)| KindFigures {
            kind,
            count,
            personnel: personnel.get(&kind).copied().unwrap_or(0),
            figures: sums
                .iter()
                .filter(|(k, _, _)| *k == kind)
                .map(|(_, name, value)| FigureTotal {
                    name: *name,
                    value: *value,
                })
                .collect(),
        })
        .collect();
    let mut totals: Vec<FigureTotal> = Vec::new();
    let mut names: Vec<FigureName> = sums.iter().map(|(_, name, _)| *name).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let value = sums.iter().filter(|(_, n, _)| *n == name).map(|(_, _, v)| v).sum();
        totals.push(FigureTotal { name, value });
    }
    Ok(ActivityFigures {
        total: by_kind.iter().map(|k| k.count).sum(),
        personnel: by_kind.iter().map(|k| k.personnel).sum(),
        by_kind,
        by_status: by_status
            .into_iter()
            .map(|(status, count)| ActivityStatusCount { status, count })
            .collect(),
        figures: totals,
    })
}

async fn community_model_figures<C: ConnectionTrait>(db: &C, scope: Scope<'_>, period: &Period) -> ApiResult<CommunityModelFigures> {
    let mut select = live::<community_models::Entity>().filter(
        Condition::any()
            .add(community_models::Column::EstablishedOn.is_null())
            .add(community_models::Column::EstablishedOn.lte(period.to)),
    );
    select = match scope {
        Scope::Unit(id) => select.filter(community_models::Column::SponsoringUnitId.eq(id)),
        Scope::Cluster(cluster) => {
            let mut members = Query::select();
            members
                .column(cluster_members::Column::UnitId)
                .from(cluster_members::Entity)
                .and_where(cluster_members::Column::ClusterId.eq(cluster.model().id))
                .and_where(cluster_members::Column::DeletedAt.is_null())
                .cond_where(super::common::overlapping(
                    cluster_members::Column::JoinedOn,
                    cluster_members::Column::LeftOn,
                    Some(period.from),
                    period.to.succ_opt(),
                ));
            select.filter(community_models::Column::SponsoringUnitId.in_subquery(members.to_owned()))
        }
    };
    // One scan: the models of each kind and status, and their participants.
    let combinations: Vec<(String, String, i64, Option<i64>)> = select
        .select_only()
        .column(community_models::Column::Kind)
        .column(community_models::Column::Status)
        .column_as(count_all(), "n")
        .column_as(sum_of((community_models::Entity, community_models::Column::ParticipantCount)), "p")
        .group_by(community_models::Column::Kind)
        .group_by(community_models::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let (mut by_kind, mut by_status, mut participants) = (HashMap::new(), HashMap::new(), 0);
    for (kind, status, n, people) in combinations {
        tally(&mut by_kind, kind, n);
        tally(&mut by_status, status, n);
        participants += people.unwrap_or(0);
    }
    let by_kind: Vec<(CommunityModelKind, i64)> = in_order(by_kind.into_iter().collect())?;
    let by_status: Vec<(CommunityModelStatus, i64)> = in_order(by_status.into_iter().collect())?;
    Ok(CommunityModelFigures {
        total: by_kind.iter().map(|(_, n)| n).sum(),
        participants,
        by_kind: by_kind.into_iter().map(|(kind, count)| ModelKindCount { kind, count }).collect(),
        by_status: by_status
            .into_iter()
            .map(|(status, count)| ModelStatusCount { status, count })
            .collect(),
    })
}

async fn acknowledgement_figures<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    scope: Scope<'_>,
    (start, end): Window,
) -> ApiResult<AcknowledgementFigures> {
    let to_bulletin: RelationDef = bulletin_recipients::Entity::belongs_to(bulletins::Entity)
        .from(bulletin_recipients::Column::BulletinId)
        .to(bulletins::Column::Id)
        .into();
    let mut select = bulletin_recipients::Entity::find()
        .join(JoinType::InnerJoin, to_bulletin)
        .filter(bulletins::Column::DeletedAt.is_null())
        .filter(bulletins::Column::SentAt.gte(start))
        .filter(bulletins::Column::SentAt.lt(end));
    let (cluster, classification) = (bulletins::Column::ClusterId, bulletins::Column::Classification);
    select = match scope {
        Scope::Cluster(seen) => select.filter(seen.records(cluster, classification)),
        Scope::Unit(id) => select
            .filter(access::visible_cluster_records(cluster, classification, p))
            .filter(bulletin_recipients::Column::UnitId.eq(id)),
    };
    let acked_late = Condition::all()
        .add(bulletin_recipients::Column::AcknowledgedAt.is_not_null())
        .add(bulletins::Column::AckDueAt.is_not_null())
        .add(
            Expr::col((bulletin_recipients::Entity, bulletin_recipients::Column::AcknowledgedAt))
                .gt(Expr::col((bulletins::Entity, bulletins::Column::AckDueAt))),
        );
    let overdue = Condition::all()
        .add(bulletin_recipients::Column::AcknowledgedAt.is_null())
        .add(bulletins::Column::AckDueAt.lt(db::now()));
    // One scan: the three counts and the latency's percentiles.
    let mut rows = select.select_only().into_query();
    rows.expr_as(
        Expr::col((bulletin_recipients::Entity, bulletin_recipients::Column::AcknowledgedAt)),
        Alias::new("acknowledged_at"),
    )
    .expr_as(
        Expr::case(Condition::any().add(acked_late).add(overdue), 1).finally(0),
        Alias::new("late"),
    );
    let latency = Expr::col((bulletin_recipients::Entity, bulletin_recipients::Column::LatencySeconds));
    let counts = vec![
        count_all(),
        Func::count(Expr::col(Alias::new("acknowledged_at"))).into(),
        Func::sum(Expr::col(Alias::new("late"))).into(),
    ];
    let (expected, acknowledged, late, median, p90): (i64, i64, Option<i64>, Option<i64>, Option<i64>) =
        with_percentiles(db, rows, latency, counts).await?;
    Ok(AcknowledgementFigures {
        expected,
        acknowledged,
        pending: expected - acknowledged,
        late: late.unwrap_or(0),
        median_latency_seconds: median,
        p90_latency_seconds: p90,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn named_periods_cover_whole_years_quarters_and_months() {
        let year = Period::named("2023").unwrap();
        assert_eq!(
            (year.from, year.to, year.label()),
            (day("2023-01-01"), day("2023-12-31"), "2023".to_owned())
        );
        let quarter = Period::named("2023-Q4").unwrap();
        assert_eq!((quarter.from, quarter.to), (day("2023-10-01"), day("2023-12-31")));
        let february = Period::named("2024-02").unwrap();
        assert_eq!((february.from, february.to), (day("2024-02-01"), day("2024-02-29")));
        for bad in [
            "23", "2023-Q5", "2023-Q0", "2023-13", "2023-00", "2023-1", "abcd", "2023-", "1899", "2023-q1", "+202",
        ] {
            assert!(Period::named(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn comparisons_take_the_period_before_or_a_year_earlier() {
        let q1 = Period::named("2024-Q1").unwrap();
        let before = q1.previous();
        assert_eq!(
            (before.from, before.to, before.label()),
            (day("2023-10-01"), day("2023-12-31"), "2023-Q4".to_owned())
        );
        let march = Period::named("2024-03").unwrap();
        assert_eq!(march.previous().to, day("2024-02-29"));
        assert_eq!(march.year_before().label(), "2023-03");
        let leap = Period::named("2024-02").unwrap().year_before();
        assert_eq!((leap.from, leap.to), (day("2023-02-01"), day("2023-02-28")));
        let days = Period::days(day("2024-01-10"), day("2024-01-19")).unwrap();
        let before = days.previous();
        assert_eq!((before.from, before.to), (day("2023-12-31"), day("2024-01-09")));
        assert_eq!(days.year_before().from, day("2023-01-10"));
        assert!(Period::days(day("2024-01-10"), day("2024-01-09")).is_err());
        assert!(Period::days(day("2010-01-01"), day("2024-01-01")).is_err());
    }
}
