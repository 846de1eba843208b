//! Joint activities of clusters.

use chrono::{DateTime, Utc};
use entity::activities;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::units::UnitSummary;
use super::{Stamp, stamp_of, versioned};
use crate::domain::{ActivityKind, ActivityStatus, Classification, FigureName, Lifecycle, Stored};
use crate::error::ApiResult;

/// A unit taking part in an activity, as a request gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantInput {
    pub unit_id: Uuid,
    /// How many of its people it deployed (0–1 000 000), if known.
    #[serde(default)]
    #[schema(example = 25, minimum = 0, maximum = 1_000_000)]
    pub personnel: Option<i32>,
}

/// An outcome figure: a named count credited to one participating unit, so that roll-ups by
/// unit, cluster or province count a joint result once. The names an activity may report depend
/// on its kind: `patrol` and `crackdown_campaign` take `cases_detected`, `cases_handled`,
/// `persons_handled` and `violations_recorded`; `event_security` takes `cases_detected` and
/// `violations_recorded`; `drill` takes `sessions_held` and `communes_covered`; `training` and
/// `outreach` take `sessions_held` and `attendees`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    pub name: FigureName,
    /// The count (0–1 000 000 000).
    #[schema(example = 7, minimum = 0, maximum = 1_000_000_000)]
    pub value: i64,
    /// The participating unit credited with it; defaults to the lead unit. Split a joint result
    /// between units by giving one figure of the same name per unit.
    #[serde(default)]
    pub unit_id: Option<Uuid>,
}

/// A participating unit with the people it deployed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Participant {
    pub unit: UnitSummary,
    /// How many of its people it deployed, if known.
    #[schema(example = 25)]
    pub personnel: Option<i32>,
}

/// A figure summed over the units credited with it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FigureTotal {
    pub name: FigureName,
    #[schema(example = 7)]
    pub value: i64,
}

/// Joint work of a cluster's units: a patrol, a drill, the security of an event, a training
/// course, an outreach session or a crackdown campaign. Counts people and results; never names
/// private persons.
#[derive(Debug, Serialize, ToSchema)]
pub struct Activity {
    #[serde(flatten)]
    pub stamp: Stamp,
    pub cluster_id: Uuid,
    pub kind: ActivityKind,
    #[schema(example = "Tuần tra kiểm soát tuyến đê giáp ranh")]
    pub title: String,
    pub status: ActivityStatus,
    /// The statuses a PATCH of `status` may move to from here.
    pub allowed_transitions: Vec<ActivityStatus>,
    /// The unit that leads it.
    pub lead_unit: UnitSummary,
    /// Every participating unit, the lead first.
    pub participants: Vec<Participant>,
    /// The people deployed by all participants, counting those that state a number.
    #[schema(example = 50)]
    pub personnel_total: i64,
    pub starts_at: DateTime<Utc>,
    /// When it ended or is planned to end, if known.
    pub ends_at: Option<DateTime<Utc>>,
    /// The administrative areas it covered.
    pub area_ids: Vec<Uuid>,
    /// Where, in words.
    #[schema(example = "Tuyến đê tả sông Hồng")]
    pub location: Option<String>,
    pub summary: Option<String>,
    /// Its own classification; the cluster's classification also applies.
    pub classification: Classification,
    /// Outcome figures, each credited to one unit.
    pub figures: Vec<Figure>,
    /// The figures summed over units, one per name.
    pub figure_totals: Vec<FigureTotal>,
}

versioned!(Activity);

/// What an activity's view is built from besides its own row.
#[derive(Debug)]
pub struct ActivityParts {
    pub lead_unit: UnitSummary,
    pub participants: Vec<Participant>,
    pub area_ids: Vec<Uuid>,
    pub figures: Vec<Figure>,
}

impl Activity {
    pub fn from_model(m: activities::Model, parts: ActivityParts) -> ApiResult<Self> {
        let status = ActivityStatus::from_stored(&m.status)?;
        let personnel_total = parts.participants.iter().filter_map(|p| p.personnel).map(i64::from).sum();
        let mut figure_totals: Vec<FigureTotal> = Vec::new();
        for f in &parts.figures {
            match figure_totals.iter_mut().find(|t| t.name == f.name) {
                Some(total) => total.value += f.value,
                None => figure_totals.push(FigureTotal {
                    name: f.name,
                    value: f.value,
                }),
            }
        }
        Ok(Self {
            stamp: stamp_of!(m),
            cluster_id: m.cluster_id,
            kind: ActivityKind::from_stored(&m.kind)?,
            title: m.title,
            status,
            allowed_transitions: status.next().to_vec(),
            lead_unit: parts.lead_unit,
            participants: parts.participants,
            personnel_total,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            area_ids: parts.area_ids,
            location: m.location,
            summary: m.summary,
            classification: Classification::from_stored(&m.classification)?,
            figures: parts.figures,
            figure_totals,
        })
    }
}
