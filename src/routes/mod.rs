//! HTTP handlers, one module per resource, each with its request types and a `configure` that
//! registers its operations (routes and OpenAPI document alike).

pub mod activities;
pub mod areas;
pub mod audit_events;
pub mod auth;
pub mod bulletins;
pub mod clients;
pub mod clusters;
pub mod community_models;
pub mod health;
pub mod incident_categories;
pub mod incidents;
pub mod legal_documents;
pub mod meetings;
pub mod memberships;
pub mod regulations;
pub mod statistics;
pub mod units;
pub mod users;

use actix_web::web;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, FieldError};
use crate::text;

/// Registers every `/api/v1` operation.
pub fn api(cfg: &mut ServiceConfig) {
    cfg.configure(auth::configure)
        .configure(areas::configure)
        .configure(units::configure)
        .configure(legal_documents::configure)
        .configure(clusters::configure)
        .configure(memberships::configure)
        .configure(regulations::configure)
        .configure(incident_categories::configure)
        .configure(incidents::configure)
        .configure(bulletins::configure)
        .configure(community_models::configure)
        .configure(activities::configure)
        .configure(meetings::configure)
        .configure(statistics::configure)
        .configure(users::configure)
        .configure(clients::configure)
        .configure(audit_events::configure);
}

/// Malformed path parameters (an id that is not a UUID) answer 400 naming the parameter.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, req| {
        let field = req
            .match_info()
            .iter()
            .find(|(_, value)| uuid::Uuid::parse_str(value).is_err())
            .map_or_else(|| "path".to_owned(), |(name, _)| name.to_owned());
        ApiError::bad_field(FieldError::invalid(field, text!(en: "Must be a UUID.", vi: "Phải là một UUID."))).into()
    })
}
