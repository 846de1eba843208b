//! Database migrations, portable across SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_reference_data;
mod m20261123_000002_identity_and_audit;
mod m20261123_000003_incident_categories;
mod m20261123_000004_incidents;
mod m20261123_000005_bulletins;
mod m20261123_000006_community_models;
mod m20261123_000007_activities;
mod m20261123_000008_meetings;
mod m20261123_000009_statistics_indexes;

/// Runs every migration in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_reference_data::Migration),
            Box::new(m20261123_000002_identity_and_audit::Migration),
            Box::new(m20261123_000003_incident_categories::Migration),
            Box::new(m20261123_000004_incidents::Migration),
            Box::new(m20261123_000005_bulletins::Migration),
            Box::new(m20261123_000006_community_models::Migration),
            Box::new(m20261123_000007_activities::Migration),
            Box::new(m20261123_000008_meetings::Migration),
            Box::new(m20261123_000009_statistics_indexes::Migration),
        ]
    }
}
