//! Joint activities of clusters: who took part with how many people, where, and the outcome
//! figures each unit is credited with.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_reference_data::{bookkeeping, index, references, resource};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let backend = m.get_database_backend();
        let mut activities = resource(Activities::Table, Activities::Id);
        activities
            .col(uuid(Activities::ClusterId))
            .col(string_len(Activities::Kind, 32))
            .col(string_len(Activities::Title, 300))
            .col(string_len(Activities::Status, 16))
            .col(uuid(Activities::LeadUnitId))
            .col(timestamp_with_time_zone(Activities::StartsAt))
            .col(timestamp_with_time_zone_null(Activities::EndsAt))
            .col(string_len_null(Activities::Location, 500))
            .col(text_null(Activities::Summary))
            .col(string_len(Activities::Classification, 16))
            .foreign_key(&mut references(Activities::Table, Activities::ClusterId, "clusters"))
            .foreign_key(&mut references(Activities::Table, Activities::LeadUnitId, "units"));
        m.create_table(bookkeeping(backend, &mut activities).to_owned()).await?;
        // `sort_key` holds `starts_at` as fixed-width text: the latest first is the usual order.
        m.create_index(index(
            "ix_activities_cluster_starts",
            Activities::Table,
            &["cluster_id", "sort_key", "id"],
        ))
        .await?;
        m.create_index(index("ix_activities_sort_key", Activities::Table, &["sort_key", "id"]))
            .await?;
        m.create_index(index("ix_activities_cluster_time", Activities::Table, &["cluster_id", "starts_at"]))
            .await?;

        m.create_table(
            Table::create()
                .table(ActivityParticipants::Table)
                .if_not_exists()
                .col(uuid(ActivityParticipants::ActivityId))
                .col(uuid(ActivityParticipants::UnitId))
                .col(integer(ActivityParticipants::Position))
                .col(integer_null(ActivityParticipants::Personnel))
                .primary_key(
                    Index::create()
                        .col(ActivityParticipants::ActivityId)
                        .col(ActivityParticipants::UnitId),
                )
                .foreign_key(&mut references(
                    ActivityParticipants::Table,
                    ActivityParticipants::ActivityId,
                    "activities",
                ))
                .foreign_key(&mut references(ActivityParticipants::Table, ActivityParticipants::UnitId, "units"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_activity_participants_unit", ActivityParticipants::Table, &["unit_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(ActivityAreas::Table)
                .if_not_exists()
                .col(uuid(ActivityAreas::ActivityId))
                .col(uuid(ActivityAreas::AreaId))
                .col(integer(ActivityAreas::Position))
                .primary_key(Index::create().col(ActivityAreas::ActivityId).col(ActivityAreas::AreaId))
                .foreign_key(&mut references(ActivityAreas::Table, ActivityAreas::ActivityId, "activities"))
                .foreign_key(&mut references(ActivityAreas::Table, ActivityAreas::AreaId, "areas"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_activity_areas_area", ActivityAreas::Table, &["area_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(ActivityFigures::Table)
                .if_not_exists()
                .col(uuid(ActivityFigures::ActivityId))
                .col(string_len(ActivityFigures::Name, 32))
                .col(uuid(ActivityFigures::UnitId))
                .col(integer(ActivityFigures::Position))
                .col(big_integer(ActivityFigures::Value))
                .primary_key(
                    Index::create()
                        .col(ActivityFigures::ActivityId)
                        .col(ActivityFigures::Name)
                        .col(ActivityFigures::UnitId),
                )
                .foreign_key(&mut references(ActivityFigures::Table, ActivityFigures::ActivityId, "activities"))
                .foreign_key(&mut references(ActivityFigures::Table, ActivityFigures::UnitId, "units"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_activity_figures_unit", ActivityFigures::Table, &["unit_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ActivityFigures::Table.into_iden(),
            ActivityAreas::Table.into_iden(),
            ActivityParticipants::Table.into_iden(),
            Activities::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    ClusterId,
    Kind,
    Title,
    Status,
    LeadUnitId,
    StartsAt,
    EndsAt,
    Location,
    Summary,
    Classification,
}

#[derive(DeriveIden)]
enum ActivityParticipants {
    Table,
    ActivityId,
    UnitId,
    Position,
    Personnel,
}

#[derive(DeriveIden)]
enum ActivityAreas {
    Table,
    ActivityId,
    AreaId,
    Position,
}

#[derive(DeriveIden)]
enum ActivityFigures {
    Table,
    ActivityId,
    Name,
    UnitId,
    Position,
    Value,
}
