//! Incidents and their timelines.

use chrono::{DateTime, Utc};
use entity::{incident_events, incidents};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::units::UnitSummary;
use super::{Stamp, stamp_of, versioned};
use crate::domain::{Classification, IncidentStatus, Lifecycle, Severity, Stored};
use crate::error::ApiResult;

/// What an incident involved, as counts; a count the report does not state is `null`. Counts of
/// people only, never who they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentCounts {
    /// People involved in the incident (0–1 000 000).
    #[serde(default)]
    #[schema(example = 3, minimum = 0, maximum = 1_000_000)]
    pub persons_involved: Option<i32>,
    /// People injured.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub injured: Option<i32>,
    /// People killed.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub deaths: Option<i32>,
    /// People detained or handled by the authorities.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub detained: Option<i32>,
}

/// The category an incident is classified by.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryRef {
    pub id: Uuid,
    #[schema(example = "drugs")]
    pub code: String,
    #[schema(example = "Ma túy")]
    pub name: String,
}

/// How quickly an incident was reported, judged against its cluster's reporting SLA.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Timeliness {
    /// `reported_at − occurred_at`, in seconds.
    #[schema(example = 5400)]
    pub delay_seconds: i64,
    /// The cluster's reporting SLA in hours, or `null` when it has none.
    #[schema(example = 24)]
    pub sla_hours: Option<i32>,
    /// Whether the delay is within the SLA; `null` when the cluster has no SLA.
    pub within_sla: Option<bool>,
}

/// An incident reported by a member unit within a cluster. Written for sharing: categories,
/// places, times, counts and a summary; never names, ID numbers or addresses of private persons.
#[derive(Debug, Serialize, ToSchema)]
pub struct Incident {
    #[serde(flatten)]
    pub stamp: Stamp,
    /// The cluster the incident was reported in.
    pub cluster_id: Uuid,
    pub category: CategoryRef,
    pub severity: Severity,
    /// Where the incident is in its workflow; change it with `POST /incidents/{id}/transitions`.
    pub status: IncidentStatus,
    /// When the status last changed.
    pub status_changed_at: DateTime<Utc>,
    /// The moves `POST …/transitions` accepts from the current status.
    pub allowed_transitions: Vec<IncidentStatus>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When the reporting unit reported it.
    pub reported_at: DateTime<Utc>,
    pub timeliness: Timeliness,
    pub reporting_unit: UnitSummary,
    /// The administrative area it happened in.
    pub area_id: Option<Uuid>,
    /// Where, in words (a road, a landmark; never a private address).
    #[schema(example = "Đê tả sông Hồng, đoạn qua xã Bát Tràng")]
    pub location: Option<String>,
    #[schema(example = "Phát hiện nhóm đối tượng tụ tập sử dụng trái phép chất ma túy (minh họa).")]
    pub summary: String,
    /// Its own classification; the cluster's classification also applies.
    pub classification: Classification,
    pub counts: IncidentCounts,
}

versioned!(Incident);

impl Incident {
    pub fn from_model(m: incidents::Model, category: CategoryRef, reporting_unit: UnitSummary, sla_hours: Option<i32>) -> ApiResult<Self> {
        let status = IncidentStatus::from_stored(&m.status)?;
        let within_sla = sla_hours.map(|h| m.reporting_delay_seconds <= i64::from(h) * 3600);
        Ok(Self {
            stamp: stamp_of!(m),
            cluster_id: m.cluster_id,
            category,
            severity: Severity::from_stored(&m.severity)?,
            status,
            status_changed_at: m.status_changed_at,
            allowed_transitions: status.next().to_vec(),
            occurred_at: m.occurred_at,
            reported_at: m.reported_at,
            timeliness: Timeliness {
                delay_seconds: m.reporting_delay_seconds,
                sla_hours,
                within_sla,
            },
            reporting_unit,
            area_id: m.area_id,
            location: m.location,
            summary: m.summary,
            classification: Classification::from_stored(&m.classification)?,
            counts: IncidentCounts {
                persons_involved: m.persons_involved,
                injured: m.injured,
                deaths: m.deaths,
                detained: m.detained,
            },
        })
    }
}

/// Who took a step: a user or an agency client, and its unit; `system` for steps the service took.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Actor {
    /// `user`, `client` or `system`.
    #[serde(rename = "type")]
    #[schema(example = "user")]
    pub actor_type: String,
    pub id: Option<Uuid>,
    pub unit_id: Option<Uuid>,
}

/// One step of an incident's workflow.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// The status before the step; `null` for the report that opened the incident.
    pub from_status: Option<IncidentStatus>,
    pub to_status: IncidentStatus,
    /// What the step's author wrote about it.
    #[schema(example = "Đã xác minh tại hiện trường cùng Công an xã.")]
    pub note: Option<String>,
    pub actor: Actor,
}

impl TimelineEntry {
    pub fn from_model(m: incident_events::Model) -> ApiResult<Self> {
        Ok(Self {
            id: m.id,
            at: m.at,
            from_status: m.from_status.as_deref().map(IncidentStatus::from_stored).transpose()?,
            to_status: IncidentStatus::from_stored(&m.to_status)?,
            note: m.note,
            actor: Actor {
                actor_type: m.actor_type,
                id: m.actor_id,
                unit_id: m.actor_unit_id,
            },
        })
    }
}
