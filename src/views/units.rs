//! Agency units.

use chrono::NaiveDate;
use entity::units;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Stamp, stamp_of, versioned};
use crate::domain::{Force, Stored, UnitLevel};
use crate::error::ApiResult;

/// An agency unit: a police, military, border guard, militia, civil or mass organisation body at
/// one administrative level. Units change over time: `valid_from`/`valid_to` bound the period
/// the unit existed (half-open: `valid_to` is the first day it no longer did) and `successor_id`
/// names the unit that took over its work.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f80",
    "created_at": "2026-11-22T08:00:00Z",
    "updated_at": "2026-11-22T08:00:00Z",
    "version": 1,
    "name": "Công an huyện Gia Lâm",
    "short_name": null,
    "force": "police",
    "level": "district",
    "parent_id": "0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f81",
    "parent": {"id": "0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f81", "name": "Công an thành phố Hà Nội", "short_name": "CATP Hà Nội"},
    "area_id": "0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f82",
    "valid_from": null,
    "valid_to": "2025-03-01",
    "successor_id": null,
    "contact": {"phone": null, "email": null, "address": null}
}))]
pub struct Unit {
    #[serde(flatten)]
    pub stamp: Stamp,
    /// Full official name.
    pub name: String,
    /// Customary abbreviation, e.g. "CATP Hà Nội".
    pub short_name: Option<String>,
    pub force: Force,
    pub level: UnitLevel,
    /// The unit this one reports to.
    pub parent_id: Option<Uuid>,
    /// The parent unit's name, for display.
    pub parent: Option<UnitRef>,
    /// The administrative area the unit is responsible for.
    pub area_id: Option<Uuid>,
    /// First day the unit existed, if known.
    pub valid_from: Option<NaiveDate>,
    /// First day the unit no longer existed; `null` while it still does.
    pub valid_to: Option<NaiveDate>,
    /// The unit that took over this one's work.
    pub successor_id: Option<Uuid>,
    pub contact: Contact,
}

versioned!(Unit);

/// A unit named inside another record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitRef {
    pub id: Uuid,
    #[schema(example = "Công an thành phố Hà Nội")]
    pub name: String,
    #[schema(example = "CATP Hà Nội")]
    pub short_name: Option<String>,
}

/// A unit as listed among the members or signatories of something, with its parent unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitSummary {
    pub id: Uuid,
    #[schema(example = "Công an huyện Gia Lâm")]
    pub name: String,
    pub short_name: Option<String>,
    pub force: Force,
    pub level: UnitLevel,
    /// The unit this one reports to.
    pub parent: Option<UnitRef>,
}

/// A unit's public contact details (the office, never a person).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    #[schema(example = "069 2196 000")]
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

impl UnitRef {
    pub fn from_model(m: &units::Model) -> Self {
        Self {
            id: m.id,
            name: m.name.clone(),
            short_name: m.short_name.clone(),
        }
    }
}

impl Unit {
    pub fn from_model(m: units::Model, parent: Option<&units::Model>) -> ApiResult<Self> {
        Ok(Self {
            stamp: stamp_of!(m),
            force: Force::from_stored(&m.force)?,
            level: UnitLevel::from_stored(&m.level)?,
            parent: parent.map(UnitRef::from_model),
            contact: Contact {
                phone: m.contact_phone,
                email: m.contact_email,
                address: m.contact_address,
            },
            name: m.name,
            short_name: m.short_name,
            parent_id: m.parent_id,
            area_id: m.area_id,
            valid_from: m.valid_from,
            valid_to: m.valid_to,
            successor_id: m.successor_id,
        })
    }
}
