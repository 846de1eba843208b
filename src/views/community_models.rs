//! Community security models.

use chrono::NaiveDate;
use entity::community_models;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::units::UnitSummary;
use super::{Stamp, stamp_of, versioned};
use crate::domain::{CommunityModelKind, CommunityModelStatus, Stored};
use crate::error::ApiResult;

/// A mass-participation security model (mô hình quần chúng tham gia bảo vệ ANTT) that a unit
/// sponsors in an area. Counts people; never names them.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommunityModel {
    #[serde(flatten)]
    pub stamp: Stamp,
    #[schema(example = "Tổ tuần tra nhân dân thôn Tân Định")]
    pub name: String,
    pub kind: CommunityModelKind,
    /// The administrative area it works in.
    pub area_id: Uuid,
    pub sponsoring_unit: UnitSummary,
    /// When it was set up, if known.
    pub established_on: Option<NaiveDate>,
    /// How many people take part, if known.
    #[schema(example = 12)]
    pub participant_count: Option<i32>,
    pub status: CommunityModelStatus,
    pub description: Option<String>,
}

versioned!(CommunityModel);

impl CommunityModel {
    pub fn from_model(m: community_models::Model, sponsoring_unit: UnitSummary) -> ApiResult<Self> {
        Ok(Self {
            stamp: stamp_of!(m),
            kind: CommunityModelKind::from_stored(&m.kind)?,
            status: CommunityModelStatus::from_stored(&m.status)?,
            name: m.name,
            area_id: m.area_id,
            sponsoring_unit,
            established_on: m.established_on,
            participant_count: m.participant_count,
            description: m.description,
        })
    }
}
