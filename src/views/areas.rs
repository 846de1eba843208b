//! Administrative areas.

use chrono::NaiveDate;
use entity::areas;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Stamp, stamp_of, versioned};
use crate::domain::{AreaLevel, Stored};
use crate::error::ApiResult;

/// An administrative area (province, district or commune) with its official GSO code. Areas
/// change over time: `valid_from`/`valid_to` bound the period the area existed in this form
/// (half-open: `valid_to` is the first day it no longer did) and `successor_id` names what
/// replaced it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f80",
    "created_at": "2026-11-22T08:00:00Z",
    "updated_at": "2026-11-22T08:00:00Z",
    "version": 1,
    "code": "018",
    "name": "Huyện Gia Lâm",
    "level": "district",
    "parent_id": "0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f81",
    "valid_from": null,
    "valid_to": "2025-07-01",
    "successor_id": null
}))]
pub struct Area {
    #[serde(flatten)]
    pub stamp: Stamp,
    /// Official GSO code: 2 digits for a province, 3 for a district, 5 for a commune.
    pub code: String,
    /// Official name, including its type ("Huyện Gia Lâm", "Thành phố Hà Nội").
    pub name: String,
    pub level: AreaLevel,
    /// The area this one lies in; `null` for a province.
    pub parent_id: Option<Uuid>,
    /// First day the area existed in this form, if known.
    pub valid_from: Option<NaiveDate>,
    /// First day the area no longer existed in this form; `null` while it still does.
    pub valid_to: Option<NaiveDate>,
    /// The area that replaced this one, if any.
    pub successor_id: Option<Uuid>,
}

versioned!(Area);

impl Area {
    pub fn from_model(m: areas::Model) -> ApiResult<Self> {
        Ok(Self {
            stamp: stamp_of!(m),
            level: AreaLevel::from_stored(&m.level)?,
            code: m.code,
            name: m.name,
            parent_id: m.parent_id,
            valid_from: m.valid_from,
            valid_to: m.valid_to,
            successor_id: m.successor_id,
        })
    }
}
