//! Clusters and their memberships.

use chrono::NaiveDate;
use entity::{cluster_members, clusters};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::units::UnitSummary;
use super::{Stamp, stamp_of, versioned};
use crate::domain::{BriefingCadence, Classification, ClusterKind, ClusterStatus, MemberRole, Stored};
use crate::error::ApiResult;

/// A coordination relationship of two or more units, as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterSummary {
    #[serde(flatten)]
    pub stamp: Stamp,
    #[schema(example = "Cụm liên kết đảm bảo ANTT")]
    pub name: String,
    pub kind: ClusterKind,
    pub status: ClusterStatus,
    pub classification: Classification,
    /// The day the cluster was established, if known.
    pub established_on: Option<NaiveDate>,
    /// What the cluster covers and why, in a few sentences.
    pub description: Option<String>,
    /// Hours within which an incident in the cluster's area should be reported; `null` when the
    /// cluster has not set one.
    #[schema(example = 24)]
    pub reporting_sla_hours: Option<i32>,
    /// How often the cluster holds briefings, if it set a cadence.
    pub briefing_cadence: Option<BriefingCadence>,
}

/// A coordination relationship of two or more units, with its members.
#[derive(Debug, Serialize, ToSchema)]
pub struct Cluster {
    #[serde(flatten)]
    pub cluster: ClusterSummary,
    /// The day the member list describes, when `as_of` was given; `null` means the list holds
    /// every membership, past, present and future.
    pub as_of: Option<NaiveDate>,
    /// The memberships: the lead first, then members and observers, each by unit name.
    pub members: Vec<Member>,
    /// When briefings are due, for a cluster with a `briefing_cadence`; `null` otherwise.
    pub briefing: Option<BriefingSchedule>,
}

/// Where a cluster stands with its briefings.
#[derive(Debug, Serialize, ToSchema)]
pub struct BriefingSchedule {
    pub cadence: BriefingCadence,
    /// When the last briefing was held; `null` before the first.
    pub last_held_at: Option<chrono::DateTime<chrono::Utc>>,
    /// One cadence after the last briefing (or after the cluster was established or recorded,
    /// before the first), in Vietnam's calendar.
    pub next_due_on: NaiveDate,
    /// Whether `next_due_on` has passed without a briefing.
    pub overdue: bool,
}

/// A unit's membership of a cluster over a period (half-open: `left_on` is the first day it was
/// no longer a member).
#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    #[serde(flatten)]
    pub stamp: Stamp,
    pub cluster_id: Uuid,
    pub unit_id: Uuid,
    /// The member unit, with its parent unit.
    pub unit: UnitSummary,
    pub role: MemberRole,
    /// The day the unit joined, if known.
    pub joined_on: Option<NaiveDate>,
    /// The first day the unit was no longer a member; `null` while it still is.
    pub left_on: Option<NaiveDate>,
}

versioned!(ClusterSummary, Member);

impl crate::conditional::Versioned for Cluster {
    fn version(&self) -> i32 {
        self.cluster.stamp.version
    }
}

impl ClusterSummary {
    pub fn from_model(m: clusters::Model) -> ApiResult<Self> {
        Ok(Self {
            stamp: stamp_of!(m),
            kind: ClusterKind::from_stored(&m.kind)?,
            status: ClusterStatus::from_stored(&m.status)?,
            classification: Classification::from_stored(&m.classification)?,
            name: m.name,
            established_on: m.established_on,
            description: m.description,
            reporting_sla_hours: m.reporting_sla_hours,
            briefing_cadence: m.briefing_cadence.as_deref().map(BriefingCadence::from_stored).transpose()?,
        })
    }
}

impl Member {
    pub fn from_model(m: cluster_members::Model, unit: UnitSummary) -> ApiResult<Self> {
        Ok(Self {
            stamp: stamp_of!(m),
            role: MemberRole::from_stored(&m.role)?,
            cluster_id: m.cluster_id,
            unit_id: m.unit_id,
            unit,
            joined_on: m.joined_on,
            left_on: m.left_on,
        })
    }
}
