//! Bulletins and their acknowledgements.

use chrono::{DateTime, Utc};
use entity::{bulletin_recipients, bulletins};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::units::UnitSummary;
use super::{Stamp, stamp_of, versioned};
use crate::domain::{Classification, Stored};
use crate::error::ApiResult;

/// A unit a bulletin was sent to, and whether it has acknowledged it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recipient {
    pub unit: UnitSummary,
    /// When the unit acknowledged the bulletin; `null` while it has not.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// `acknowledged_at − sent_at`, in seconds.
    #[schema(example = 1800)]
    pub latency_seconds: Option<i64>,
    /// Acknowledged after the deadline, or not yet acknowledged when the deadline has passed.
    pub late: bool,
    /// What the unit wrote when acknowledging.
    pub note: Option<String>,
}

impl Recipient {
    pub fn from_model(m: bulletin_recipients::Model, unit: UnitSummary, due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        let late = match (due, m.acknowledged_at) {
            (Some(due), Some(at)) => at > due,
            (Some(due), None) => now > due,
            (None, _) => false,
        };
        Self {
            unit,
            acknowledged_at: m.acknowledged_at,
            latency_seconds: m.latency_seconds,
            late,
            note: m.note,
        }
    }
}

/// A bulletin: information one member unit sends to its cluster, or to chosen member units,
/// which each recipient unit acknowledges once.
#[derive(Debug, Serialize, ToSchema)]
pub struct Bulletin {
    #[serde(flatten)]
    pub stamp: Stamp,
    pub cluster_id: Uuid,
    pub sender_unit: UnitSummary,
    /// The incident the bulletin is about, if any.
    pub incident_id: Option<Uuid>,
    #[schema(example = "Thông báo phương thức, thủ đoạn mới của tội phạm ma túy")]
    pub title: String,
    #[schema(example = "Đề nghị các đơn vị tăng cường tuần tra khu vực giáp ranh (minh họa).")]
    pub body: String,
    pub classification: Classification,
    pub sent_at: DateTime<Utc>,
    /// The deadline for acknowledging, if any.
    pub ack_due_at: Option<DateTime<Utc>>,
    /// The recipient units, each with its acknowledgement.
    pub recipients: Vec<Recipient>,
    /// How many recipients have acknowledged.
    pub acknowledged_count: usize,
    /// How many have not.
    pub pending_count: usize,
}

versioned!(Bulletin);

impl Bulletin {
    pub fn from_model(m: bulletins::Model, sender_unit: UnitSummary, recipients: Vec<Recipient>) -> ApiResult<Self> {
        let acknowledged_count = recipients.iter().filter(|r| r.acknowledged_at.is_some()).count();
        Ok(Self {
            stamp: stamp_of!(m),
            cluster_id: m.cluster_id,
            sender_unit,
            incident_id: m.incident_id,
            title: m.title,
            body: m.body,
            classification: Classification::from_stored(&m.classification)?,
            sent_at: m.sent_at,
            ack_due_at: m.ack_due_at,
            pending_count: recipients.len() - acknowledged_count,
            acknowledged_count,
            recipients,
        })
    }
}
