//! Who is calling and what they may do: tokens, keys, passwords, the permission table, login
//! rate limits, and the caller (`Principal`) every request after authentication carries.

pub mod keys;
pub mod passwords;
pub mod permissions;
pub mod rate_limit;
pub mod tokens;

use uuid::Uuid;

use crate::domain::{Classification, Role, Scope};

/// Whether the caller is a person or an agency system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    Client,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Client => "client",
        }
    }
}

/// The authenticated caller, from a verified access token.
#[derive(Debug, Clone)]
pub struct Principal {
    pub kind: PrincipalKind,
    pub id: Uuid,
    pub unit_id: Uuid,
    pub roles: Vec<Role>,
    pub clearance: Classification,
    pub scopes: Vec<Scope>,
}

impl Principal {
    pub fn from_claims(claims: &tokens::AccessClaims) -> Result<Self, String> {
        let scopes = claims
            .scope
            .split_whitespace()
            .map(|s| s.parse::<Scope>().map_err(|_| format!("unknown scope {s:?}")))
            .collect::<Result<Vec<_>, _>>()?;
        let kind = match claims.client_id {
            Some(client) if client == claims.sub && claims.roles == [Role::Integration] => PrincipalKind::Client,
            Some(_) => return Err("client_id does not match sub".to_owned()),
            None if claims.roles.contains(&Role::Integration) => return Err("a user token with the integration role".to_owned()),
            None => PrincipalKind::User,
        };
        Ok(Self {
            kind,
            id: claims.sub,
            unit_id: claims.unit_id,
            roles: claims.roles.clone(),
            clearance: claims.clearance,
            scopes,
        })
    }

    pub fn is_admin(&self) -> bool {
        self.kind == PrincipalKind::User && self.roles.contains(&Role::Admin)
    }

    /// Whether the caller may see a record of this classification.
    pub fn cleared_for(&self, classification: Classification) -> bool {
        classification <= self.clearance
    }

    /// The classifications the caller may see.
    pub fn visible_classifications(&self) -> Vec<String> {
        use crate::domain::Stored;
        use strum::IntoEnumIterator;
        Classification::iter()
            .filter(|c| self.cleared_for(*c))
            .map(|c| c.stored())
            .collect()
    }
}
