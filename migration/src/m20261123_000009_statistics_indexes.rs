//! Indexes that answer a cluster's or a unit's statistics from the index alone: each holds every
//! column the aggregates filter, group or sum on, so counting a busy cluster's year reads index
//! pages in order instead of one table page per record. The incident and activity ones replace
//! the narrower `(cluster_id, time)` indexes they extend.

use sea_orm_migration::prelude::*;

use crate::m20261122_000001_reference_data::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(name, table, columns, the index it replaces)`.
const INDEXES: &[(&str, &str, &[&str], Option<&str>)] = &[
    (
        "ix_incidents_cluster_figures",
        "incidents",
        &[
            "cluster_id",
            "occurred_at",
            "deleted_at",
            "classification",
            "status",
            "severity",
            "category_id",
            "reporting_delay_seconds",
            "reporting_unit_id",
        ],
        Some("ix_incidents_cluster_time"),
    ),
    (
        "ix_bulletins_cluster_figures",
        "bulletins",
        &["cluster_id", "sent_at", "deleted_at", "classification", "id", "ack_due_at"],
        None,
    ),
    (
        "ix_bulletin_recipients_figures",
        "bulletin_recipients",
        &["bulletin_id", "unit_id", "acknowledged_at", "latency_seconds"],
        None,
    ),
    (
        "ix_activities_cluster_figures",
        "activities",
        &[
            "cluster_id",
            "starts_at",
            "deleted_at",
            "classification",
            "status",
            "kind",
            "id",
            "lead_unit_id",
        ],
        Some("ix_activities_cluster_time"),
    ),
    (
        "ix_activity_participants_figures",
        "activity_participants",
        &["activity_id", "unit_id", "personnel"],
        None,
    ),
    (
        "ix_activity_figures_figures",
        "activity_figures",
        &["activity_id", "name", "unit_id", "value"],
        None,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, columns, replaces) in INDEXES {
            m.create_index(index(name, Alias::new(*table), columns)).await?;
            if let Some(old) = replaces {
                m.drop_index(Index::drop().name(*old).table(Alias::new(*table)).if_exists().to_owned())
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, columns, replaces) in INDEXES {
            if let Some(old) = replaces {
                m.create_index(index(old, Alias::new(*table), &columns[..2])).await?;
            }
            m.drop_index(Index::drop().name(*name).table(Alias::new(*table)).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
