//! The API, driven over HTTP against a fresh database per test.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod helpers;

mod activities;
mod areas;
mod audit;
mod authorization;
mod bench_data;
mod bulletins;
mod clusters;
mod community_models;
mod conventions;
mod demo;
mod incident_categories;
mod incidents;
mod legal_documents;
mod meetings;
mod metrics;
mod openapi;
mod pool;
mod regulations;
mod security;
mod statistics;
mod tokens;
mod units;
