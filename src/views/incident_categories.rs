//! Incident categories.

use entity::incident_categories;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Stamp, stamp_of, versioned};

/// A category of the incident taxonomy. Incidents refer to it by `id`; `code` is the stable
/// machine word for it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f80",
    "created_at": "2026-11-22T08:00:00Z",
    "updated_at": "2026-11-22T08:00:00Z",
    "version": 1,
    "code": "drugs",
    "name": "Ma túy",
    "description": "Tội phạm và vi phạm về ma túy.",
    "active": true
}))]
pub struct IncidentCategory {
    #[serde(flatten)]
    pub stamp: Stamp,
    /// Lower-case letters, digits and `_`; cannot change.
    pub code: String,
    /// The category's name, at most 200 characters.
    pub name: String,
    pub description: Option<String>,
    /// An inactive category stays on the incidents that have it but takes no new ones.
    pub active: bool,
}

versioned!(IncidentCategory);

impl IncidentCategory {
    pub fn from_model(m: incident_categories::Model) -> Self {
        Self {
            stamp: stamp_of!(m),
            code: m.code,
            name: m.name,
            description: m.description,
            active: m.active,
        }
    }
}
