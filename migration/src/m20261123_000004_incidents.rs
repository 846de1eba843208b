//! Incidents reported within clusters, and the timeline of their workflow.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_reference_data::{bookkeeping, index, references, resource};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let backend = m.get_database_backend();
        let mut incidents = resource(Incidents::Table, Incidents::Id);
        incidents
            .col(uuid(Incidents::ClusterId))
            .col(uuid(Incidents::CategoryId))
            .col(string_len(Incidents::Severity, 16))
            .col(string_len(Incidents::Status, 16))
            .col(timestamp_with_time_zone(Incidents::OccurredAt))
            .col(timestamp_with_time_zone(Incidents::ReportedAt))
            .col(big_integer(Incidents::ReportingDelaySeconds))
            .col(uuid(Incidents::ReportingUnitId))
            .col(uuid_null(Incidents::AreaId))
            .col(string_len_null(Incidents::Location, 500))
            .col(text(Incidents::Summary))
            .col(string_len(Incidents::Classification, 16))
            .col(integer_null(Incidents::PersonsInvolved))
            .col(integer_null(Incidents::Injured))
            .col(integer_null(Incidents::Deaths))
            .col(integer_null(Incidents::Detained))
            .col(timestamp_with_time_zone(Incidents::StatusChangedAt))
            .foreign_key(&mut references(Incidents::Table, Incidents::ClusterId, "clusters"))
            .foreign_key(&mut references(Incidents::Table, Incidents::CategoryId, "incident_categories"))
            .foreign_key(&mut references(Incidents::Table, Incidents::ReportingUnitId, "units"))
            .foreign_key(&mut references(Incidents::Table, Incidents::AreaId, "areas"));
        m.create_table(bookkeeping(backend, &mut incidents).to_owned()).await?;
        // `sort_key` holds `occurred_at` as fixed-width text: newest first is the usual order.
        m.create_index(index(
            "ix_incidents_cluster_occurred",
            Incidents::Table,
            &["cluster_id", "sort_key", "id"],
        ))
        .await?;
        m.create_index(index("ix_incidents_sort_key", Incidents::Table, &["sort_key", "id"]))
            .await?;
        m.create_index(index(
            "ix_incidents_reporting_unit",
            Incidents::Table,
            &["reporting_unit_id", "occurred_at"],
        ))
        .await?;
        m.create_index(index("ix_incidents_cluster_time", Incidents::Table, &["cluster_id", "occurred_at"]))
            .await?;

        m.create_table(
            Table::create()
                .table(IncidentEvents::Table)
                .if_not_exists()
                .col(pk_uuid(IncidentEvents::Id))
                .col(uuid(IncidentEvents::IncidentId))
                .col(timestamp_with_time_zone(IncidentEvents::At))
                .col(string_len_null(IncidentEvents::FromStatus, 16))
                .col(string_len(IncidentEvents::ToStatus, 16))
                .col(text_null(IncidentEvents::Note))
                .col(string_len(IncidentEvents::ActorType, 16))
                .col(uuid_null(IncidentEvents::ActorId))
                .col(uuid_null(IncidentEvents::ActorUnitId))
                .foreign_key(
                    ForeignKey::create()
                        .from(IncidentEvents::Table, IncidentEvents::IncidentId)
                        .to(Incidents::Table, Incidents::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_incident_events_incident", IncidentEvents::Table, &["incident_id", "id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(IncidentEvents::Table).if_exists().to_owned())
            .await?;
        m.drop_table(Table::drop().table(Incidents::Table).if_exists().to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
    ClusterId,
    CategoryId,
    Severity,
    Status,
    OccurredAt,
    ReportedAt,
    ReportingDelaySeconds,
    ReportingUnitId,
    AreaId,
    Location,
    Summary,
    Classification,
    PersonsInvolved,
    Injured,
    Deaths,
    Detained,
    StatusChangedAt,
}

#[derive(DeriveIden)]
enum IncidentEvents {
    Table,
    Id,
    IncidentId,
    At,
    FromStatus,
    ToStatus,
    Note,
    ActorType,
    ActorId,
    ActorUnitId,
}
