//! Database entities: one module per table, plain data with no behaviour.

pub mod activities;
pub mod activity_areas;
pub mod activity_figures;
pub mod activity_participants;
pub mod app_meta;
pub mod areas;
pub mod audit_events;
pub mod bulletin_recipients;
pub mod bulletins;
pub mod client_clusters;
pub mod clients;
pub mod cluster_members;
pub mod clusters;
pub mod community_models;
pub mod idempotency_keys;
pub mod incident_categories;
pub mod incident_events;
pub mod incidents;
pub mod legal_documents;
pub mod rate_limits;
pub mod refresh_tokens;
pub mod regulation_legal_bases;
pub mod regulation_signatories;
pub mod regulations;
pub mod units;
pub mod users;
