//! Response bodies, one module per resource, built from database models. Documented field by
//! field: these descriptions are what clients read in the OpenAPI document.

pub mod activities;
pub mod areas;
pub mod bulletins;
pub mod clusters;
pub mod community_models;
pub mod incident_categories;
pub mod incidents;
pub mod legal_documents;
pub mod meetings;
pub mod principals;
pub mod regulations;
pub mod statistics;
pub mod units;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Identity and change tracking, common to every stored resource.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stamp {
    /// Identifier: a time-ordered UUID v7.
    #[schema(example = "0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f80")]
    pub id: Uuid,
    /// When the record was created (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// When the record last changed (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
    /// Starts at 1 and grows by one with every change; the `ETag` is this number in quotes.
    #[schema(example = 1)]
    pub version: i32,
}

macro_rules! stamp_of {
    ($model:expr) => {
        $crate::views::Stamp {
            id: $model.id,
            created_at: $model.created_at,
            updated_at: $model.updated_at,
            version: $model.version,
        }
    };
}
pub(crate) use stamp_of;

macro_rules! versioned {
    ($($view:ty),+ $(,)?) => {
        $(impl $crate::conditional::Versioned for $view {
            fn version(&self) -> i32 {
                $crate::conditional::Versioned::version(&self.stamp)
            }
        })+
    };
}

impl crate::conditional::Versioned for Stamp {
    fn version(&self) -> i32 {
        self.version
    }
}
pub(crate) use versioned;
