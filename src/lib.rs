//! Liên Kết: the system of record for cross-border coordination between police, military
//! commands and border guards.

/// Command-line administration.
pub mod admin;
/// The audit trail.
pub mod audit;
/// Authentication and authorization.
pub mod auth;
/// The command line.
pub mod cli;
/// Conditional requests (`ETag`, `If-Match`, `If-None-Match`) and single-resource responses.
pub mod conditional;
/// Settings from the environment and an optional file.
pub mod config;
/// The per-request context handed to every handler and service.
pub mod context;
/// Database connection, migrations and the clock.
pub mod db;
/// Domain enumerations.
pub mod domain;
/// The API error type and its problem+json rendering.
pub mod error;
/// Strict JSON body and list query extractors.
pub mod extract;
/// Response languages.
pub mod i18n;
/// `Idempotency-Key` handling for POST.
pub mod idempotency;
/// Request and connection metrics in Prometheus's text format.
pub mod metrics;
/// Request id, logging and error rendering middleware.
pub mod middleware;
/// The OpenAPI document.
pub mod openapi;
/// Keyset pagination.
pub mod pagination;
/// JSON Merge Patch fields.
pub mod patch;
/// HTTP handlers and request types, one module per resource.
pub mod routes;
/// Diacritic-insensitive search.
pub mod search;
/// Demo data.
pub mod seed;
/// Queries and transactions, one module per resource.
pub mod services;
/// Application and server construction.
pub mod startup;
/// Logging set-up.
pub mod telemetry;
/// Collecting validation errors.
pub mod validation;
/// Response bodies, one module per resource.
pub mod views;
