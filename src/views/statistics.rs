//! Statistics of a cluster or a unit over a period.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{ActivityKind, ActivityStatus, CommunityModelKind, CommunityModelStatus, IncidentStatus, Severity};
use crate::views::activities::FigureTotal;
use crate::views::incidents::CategoryRef;

/// The days a figure covers, both ends included, in Vietnam's time (UTC+07:00).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The period as asked for: `2023`, `2023-Q4`, `2023-12`, or `from..to`.
    #[schema(example = "2023")]
    pub label: String,
}

/// What the statistics are of.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Subject {
    /// `cluster` or `unit`.
    #[serde(rename = "type")]
    #[schema(example = "cluster")]
    pub subject_type: &'static str,
    pub id: Uuid,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryCount {
    pub category: CategoryRef,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusCount {
    pub status: IncidentStatus,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeverityCount {
    pub severity: Severity,
    pub count: i64,
}

/// Incidents that occurred in the period.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct IncidentFigures {
    pub total: i64,
    pub by_category: Vec<CategoryCount>,
    pub by_status: Vec<StatusCount>,
    pub by_severity: Vec<SeverityCount>,
}

/// How quickly the period's incidents were reported (`reported_at − occurred_at`). Percentiles
/// are nearest-rank: the median of n delays is the ⌈n/2⌉-th smallest, the 90th percentile the
/// ⌈0.9·n⌉-th; `null` when there were no reports.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ReportingTimeliness {
    pub reports: i64,
    #[schema(example = 5400)]
    pub median_delay_seconds: Option<i64>,
    pub p90_delay_seconds: Option<i64>,
    /// Reports made in clusters that set a reporting SLA.
    pub judged: i64,
    /// Of those, the reports within the SLA.
    pub within_sla: i64,
    /// `within_sla ÷ judged`, from 0 to 1; `null` when no report could be judged.
    #[schema(example = 0.75)]
    pub within_sla_share: Option<f64>,
}

/// The activities of one kind.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindFigures {
    pub kind: ActivityKind,
    pub count: i64,
    /// People deployed (counting participants that stated a number).
    pub personnel: i64,
    /// Outcome figures summed, each counted once for the unit credited with it.
    pub figures: Vec<FigureTotal>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityStatusCount {
    pub status: ActivityStatus,
    pub count: i64,
}

/// Activities that started in the period. Totals leave out cancelled ones. For a unit, only the
/// activities it took part in, only its own people, and only the figures credited to it.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ActivityFigures {
    pub total: i64,
    pub personnel: i64,
    pub by_kind: Vec<KindFigures>,
    /// Every status, cancelled included.
    pub by_status: Vec<ActivityStatusCount>,
    /// Outcome figures summed over every kind.
    pub figures: Vec<FigureTotal>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelKindCount {
    pub kind: CommunityModelKind,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelStatusCount {
    pub status: CommunityModelStatus,
    pub count: i64,
}

/// Community models sponsored by the unit (for a cluster: by the units that were its members in
/// the period) and set up by the period's end or on an unknown date. Status as it is now.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct CommunityModelFigures {
    pub total: i64,
    /// People taking part, counting the models that state a number.
    pub participants: i64,
    pub by_kind: Vec<ModelKindCount>,
    pub by_status: Vec<ModelStatusCount>,
}

/// Acknowledgements of the bulletins sent in the period (for a unit: the bulletins it
/// received). Latency percentiles are nearest-rank, as for timeliness.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct AcknowledgementFigures {
    /// Recipient units, summed over bulletins.
    pub expected: i64,
    pub acknowledged: i64,
    pub pending: i64,
    /// Acknowledged after the deadline, or still pending once it has passed.
    pub late: i64,
    pub median_latency_seconds: Option<i64>,
    pub p90_latency_seconds: Option<i64>,
}

/// Everything counted for one period.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Figures {
    pub incidents: IncidentFigures,
    pub timeliness: ReportingTimeliness,
    pub activities: ActivityFigures,
    pub community_models: CommunityModelFigures,
    pub acknowledgements: AcknowledgementFigures,
}

/// One figure in both periods.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Change {
    /// A dotted path into the figures: `incidents.total`, `incidents.by_category.drugs`,
    /// `activities.total`, `activities.personnel`, `activities.by_kind.patrol`,
    /// `activities.figures.cases_handled`.
    #[schema(example = "incidents.by_category.public_order")]
    pub metric: String,
    #[schema(example = 30)]
    pub current: i64,
    #[schema(example = 41)]
    pub previous: i64,
    /// `(current − previous) ÷ previous × 100`, rounded to two decimals; `null` when the
    /// previous figure is 0.
    #[schema(example = -26.83)]
    pub percent_change: Option<f64>,
}

/// The same figures for the period compared with, and the change of each count.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Comparison {
    /// `previous_period` or `previous_year`.
    #[schema(example = "previous_year")]
    pub basis: &'static str,
    pub period: PeriodView,
    pub figures: Figures,
    pub changes: Vec<Change>,
}

/// Counts and sums over a period, computed from the records the caller may see.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Statistics {
    pub subject: Subject,
    pub period: PeriodView,
    #[serde(flatten)]
    pub figures: Figures,
    /// Present when `compare` was asked for.
    pub comparison: Option<Comparison>,
}

impl Figures {
    /// The counts compared between periods, by metric name.
    pub fn counts(&self) -> Vec<(String, i64)> {
        let mut out = vec![("incidents.total".to_owned(), self.incidents.total)];
        out.extend(
            self.incidents
                .by_category
                .iter()
                .map(|c| (format!("incidents.by_category.{}", c.category.code), c.count)),
        );
        out.push(("activities.total".to_owned(), self.activities.total));
        out.push(("activities.personnel".to_owned(), self.activities.personnel));
        out.extend(
            self.activities
                .by_kind
                .iter()
                .map(|k| (format!("activities.by_kind.{}", k.kind.as_ref()), k.count)),
        );
        out.extend(
            self.activities
                .figures
                .iter()
                .map(|f| (format!("activities.figures.{}", f.name.as_ref()), f.value)),
        );
        out
    }
}

/// The change of every count between two periods; a count missing from one period is 0 there.
pub fn changes(current: &Figures, previous: &Figures) -> Vec<Change> {
    let now = current.counts();
    let before = previous.counts();
    let mut metrics: Vec<String> = now.iter().map(|(m, _)| m.clone()).collect();
    for (m, _) in &before {
        if !metrics.contains(m) {
            metrics.push(m.clone());
        }
    }
    let value = |list: &[(String, i64)], m: &str| list.iter().find(|(k, _)| k == m).map_or(0, |(_, v)| *v);
    metrics
        .into_iter()
        .map(|metric| {
            let (current, previous) = (value(&now, &metric), value(&before, &metric));
            Change {
                percent_change: percent_change(current, previous),
                metric,
                current,
                previous,
            }
        })
        .collect()
}

/// `(current − previous) ÷ previous × 100`, rounded to two decimals.
pub fn percent_change(current: i64, previous: i64) -> Option<f64> {
    if previous == 0 {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let change = (current - previous) as f64 / previous as f64 * 100.0;
    Some((change * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_change_is_rounded_and_undefined_from_zero() {
        assert_eq!(percent_change(30, 41), Some(-26.83));
        assert_eq!(percent_change(150, 100), Some(50.0));
        assert_eq!(percent_change(1, 3), Some(-66.67));
        assert_eq!(percent_change(5, 0), None);
        assert_eq!(percent_change(0, 0), None);
    }
}
