//! Meetings of clusters and the action items they decide.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{action_items, meetings};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::units::UnitSummary;
use super::{Stamp, stamp_of, versioned};
use crate::domain::{ActionItemStatus, Classification, Lifecycle, MeetingKind, Stored};
use crate::error::ApiResult;

/// A figure a meeting reported, kept as stated (for example the year-on-year change an annual
/// review announced), apart from what the service computes from records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportedFigure {
    /// What the figure measures, in the meeting's words; at most 200 characters.
    #[schema(example = "Tội phạm về trật tự xã hội so với năm 2022")]
    pub name: String,
    #[schema(example = -26.82)]
    pub value: f64,
    /// The unit of the value (`%`, `vụ`, `người`); at most 32 characters.
    #[serde(default)]
    #[schema(example = "%")]
    pub unit: Option<String>,
    /// Where the figure comes from or what it leaves out; at most 500 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// A briefing, review or signing ceremony of a cluster.
#[derive(Debug, Serialize, ToSchema)]
pub struct Meeting {
    #[serde(flatten)]
    pub stamp: Stamp,
    pub cluster_id: Uuid,
    pub kind: MeetingKind,
    #[schema(example = "Hội nghị tổng kết công tác phối hợp năm 2023")]
    pub title: String,
    pub held_at: DateTime<Utc>,
    pub host_unit: UnitSummary,
    /// The units that attended, the host first.
    pub attending_units: Vec<UnitSummary>,
    /// The period the meeting reviewed, both days included, if it reviewed one.
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    pub location: Option<String>,
    pub summary: Option<String>,
    /// Its own classification; the cluster's classification also applies.
    pub classification: Classification,
    /// The figures the meeting reported, as stated.
    pub reported_figures: Vec<ReportedFigure>,
}

versioned!(Meeting);

impl Meeting {
    pub fn from_model(
        m: meetings::Model,
        host_unit: UnitSummary,
        attending_units: Vec<UnitSummary>,
        reported_figures: Vec<ReportedFigure>,
    ) -> ApiResult<Self> {
        Ok(Self {
            stamp: stamp_of!(m),
            cluster_id: m.cluster_id,
            kind: MeetingKind::from_stored(&m.kind)?,
            title: m.title,
            held_at: m.held_at,
            host_unit,
            attending_units,
            period_from: m.period_from,
            period_to: m.period_to,
            location: m.location,
            summary: m.summary,
            classification: Classification::from_stored(&m.classification)?,
            reported_figures,
        })
    }
}

/// A decision of a meeting that a unit is to carry out by a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionItem {
    #[serde(flatten)]
    pub stamp: Stamp,
    pub meeting_id: Uuid,
    pub cluster_id: Uuid,
    #[schema(example = "Tổ chức tuần tra chung tuyến đê giáp ranh hằng tháng")]
    pub title: String,
    pub owner_unit: UnitSummary,
    pub due_on: Option<NaiveDate>,
    pub status: ActionItemStatus,
    /// The statuses a PATCH of `status` may move to from here.
    pub allowed_transitions: Vec<ActionItemStatus>,
    /// Still open after its due day (in Vietnam's calendar).
    pub overdue: bool,
    /// When it was marked done or dropped.
    pub closed_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

versioned!(ActionItem);

impl ActionItem {
    pub fn from_model(m: action_items::Model, owner_unit: UnitSummary, today: NaiveDate) -> ApiResult<Self> {
        let status = ActionItemStatus::from_stored(&m.status)?;
        Ok(Self {
            stamp: stamp_of!(m),
            meeting_id: m.meeting_id,
            cluster_id: m.cluster_id,
            title: m.title,
            owner_unit,
            overdue: status == ActionItemStatus::Open && m.due_on.is_some_and(|d| d < today),
            due_on: m.due_on,
            status,
            allowed_transitions: status.next().to_vec(),
            closed_at: m.closed_at,
            note: m.note,
        })
    }
}
