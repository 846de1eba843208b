//! Users, agency clients and the caller's own identity.

use entity::{clients, users};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Stamp, stamp_of, versioned};
use crate::domain::{Classification, Role, Scope, Stored};
use crate::error::{ApiError, ApiResult};

/// A person who calls the API. The password is never shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    #[serde(flatten)]
    pub stamp: Stamp,
    /// The login name: lowercase letters, digits, `.`, `_` and `-`.
    #[schema(example = "coordinator.gialam")]
    pub username: String,
    #[schema(example = "Nguyễn Văn An")]
    pub display_name: String,
    /// The unit the user works for; it decides which clusters the user sees.
    pub unit_id: Uuid,
    pub roles: Vec<Role>,
    /// The highest classification the user may see.
    pub clearance: Classification,
    /// A disabled user cannot obtain tokens.
    pub disabled: bool,
}

versioned!(User);

/// Parses the space-separated words of a stored list.
pub fn parse_words<T: Stored>(words: &str) -> ApiResult<Vec<T>> {
    words.split_whitespace().map(T::from_stored).collect()
}

impl User {
    pub fn from_model(m: users::Model) -> ApiResult<Self> {
        Ok(Self {
            stamp: stamp_of!(m),
            roles: parse_words(&m.roles)?,
            clearance: Classification::from_stored(&m.clearance)?,
            username: m.username,
            display_name: m.display_name,
            unit_id: m.unit_id,
            disabled: m.disabled,
        })
    }
}

/// An agency system that calls the API with the client-credentials grant. Its secret is shown
/// only when it is created or rotated.
#[derive(Debug, Serialize, ToSchema)]
pub struct Client {
    #[serde(flatten)]
    pub stamp: Stamp,
    /// The `client_id` of the client-credentials grant is the `id`.
    #[schema(example = "Hệ thống báo cáo Công an tỉnh Hưng Yên")]
    pub name: String,
    /// The unit operating the system.
    pub unit_id: Uuid,
    /// What the client may do.
    pub scopes: Vec<Scope>,
    /// The clusters whose records the client may see.
    pub cluster_ids: Vec<Uuid>,
    /// The highest classification the client may see.
    pub clearance: Classification,
    pub disabled: bool,
}

versioned!(Client);

impl Client {
    pub fn from_model(m: clients::Model, cluster_ids: Vec<Uuid>) -> ApiResult<Self> {
        Ok(Self {
            stamp: stamp_of!(m),
            scopes: parse_words(&m.scopes)?,
            clearance: Classification::from_stored(&m.clearance)?,
            name: m.name,
            unit_id: m.unit_id,
            cluster_ids,
            disabled: m.disabled,
        })
    }
}

/// A client with its new secret: the only time the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientWithSecret {
    #[serde(flatten)]
    pub client: Client,
    /// The client secret. Store it now: it cannot be shown again, only rotated.
    pub client_secret: String,
}

impl crate::conditional::Versioned for ClientWithSecret {
    fn version(&self) -> i32 {
        self.client.stamp.version
    }
}

/// The caller, as its access token describes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// `user` or `client`.
    #[schema(example = "user")]
    pub kind: String,
    pub id: Uuid,
    pub unit_id: Uuid,
    pub roles: Vec<Role>,
    pub clearance: Classification,
    pub scopes: Vec<Scope>,
    /// The user's login name or the client's name.
    pub name: String,
}

pub fn missing() -> ApiError {
    ApiError::unauthorized("the principal of the token no longer exists", true)
}
