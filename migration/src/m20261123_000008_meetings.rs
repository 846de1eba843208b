//! Meetings of clusters (briefings, reviews, signing ceremonies) with the units that attended,
//! the figures they reported, and the action items they decided; a cluster's briefing cadence.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_reference_data::{bookkeeping, index, references, resource};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let backend = m.get_database_backend();
        let mut meetings = resource(Meetings::Table, Meetings::Id);
        meetings
            .col(uuid(Meetings::ClusterId))
            .col(string_len(Meetings::Kind, 32))
            .col(string_len(Meetings::Title, 300))
            .col(timestamp_with_time_zone(Meetings::HeldAt))
            .col(uuid(Meetings::HostUnitId))
            .col(date_null(Meetings::PeriodFrom))
            .col(date_null(Meetings::PeriodTo))
            .col(string_len_null(Meetings::Location, 500))
            .col(text_null(Meetings::Summary))
            .col(string_len(Meetings::Classification, 16))
            .foreign_key(&mut references(Meetings::Table, Meetings::ClusterId, "clusters"))
            .foreign_key(&mut references(Meetings::Table, Meetings::HostUnitId, "units"));
        m.create_table(bookkeeping(backend, &mut meetings).to_owned()).await?;
        // `sort_key` holds `held_at` as fixed-width text.
        m.create_index(index(
            "ix_meetings_cluster_held",
            Meetings::Table,
            &["cluster_id", "sort_key", "id"],
        ))
        .await?;
        m.create_index(index("ix_meetings_sort_key", Meetings::Table, &["sort_key", "id"]))
            .await?;
        m.create_index(index(
            "ix_meetings_cluster_kind",
            Meetings::Table,
            &["cluster_id", "kind", "held_at"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(MeetingAttendees::Table)
                .if_not_exists()
                .col(uuid(MeetingAttendees::MeetingId))
                .col(uuid(MeetingAttendees::UnitId))
                .col(integer(MeetingAttendees::Position))
                .primary_key(Index::create().col(MeetingAttendees::MeetingId).col(MeetingAttendees::UnitId))
                .foreign_key(&mut references(MeetingAttendees::Table, MeetingAttendees::MeetingId, "meetings"))
                .foreign_key(&mut references(MeetingAttendees::Table, MeetingAttendees::UnitId, "units"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_meeting_attendees_unit", MeetingAttendees::Table, &["unit_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(MeetingFigures::Table)
                .if_not_exists()
                .col(uuid(MeetingFigures::MeetingId))
                .col(integer(MeetingFigures::Position))
                .col(string_len(MeetingFigures::Name, 200))
                .col(double(MeetingFigures::Value))
                .col(string_len_null(MeetingFigures::Unit, 32))
                .col(string_len_null(MeetingFigures::Note, 500))
                .primary_key(Index::create().col(MeetingFigures::MeetingId).col(MeetingFigures::Position))
                .foreign_key(&mut references(MeetingFigures::Table, MeetingFigures::MeetingId, "meetings"))
                .to_owned(),
        )
        .await?;

        let mut items = resource(ActionItems::Table, ActionItems::Id);
        items
            .col(uuid(ActionItems::MeetingId))
            .col(uuid(ActionItems::ClusterId))
            .col(string_len(ActionItems::Title, 500))
            .col(uuid(ActionItems::OwnerUnitId))
            .col(date_null(ActionItems::DueOn))
            .col(string_len(ActionItems::Status, 16))
            .col(timestamp_with_time_zone_null(ActionItems::ClosedAt))
            .col(string_len_null(ActionItems::Note, 2000))
            .foreign_key(&mut references(ActionItems::Table, ActionItems::MeetingId, "meetings"))
            .foreign_key(&mut references(ActionItems::Table, ActionItems::ClusterId, "clusters"))
            .foreign_key(&mut references(ActionItems::Table, ActionItems::OwnerUnitId, "units"));
        m.create_table(bookkeeping(backend, &mut items).to_owned()).await?;
        // `sort_key` holds `due_on` (items without a date last).
        m.create_index(index("ix_action_items_sort_key", ActionItems::Table, &["sort_key", "id"]))
            .await?;
        m.create_index(index(
            "ix_action_items_owner",
            ActionItems::Table,
            &["owner_unit_id", "status", "due_on"],
        ))
        .await?;
        m.create_index(index("ix_action_items_meeting", ActionItems::Table, &["meeting_id"]))
            .await?;

        m.alter_table(
            Table::alter()
                .table(Clusters::Table)
                .add_column(string_len_null(Clusters::BriefingCadence, 16))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Clusters::Table)
                .drop_column(Clusters::BriefingCadence)
                .to_owned(),
        )
        .await?;
        for table in [
            ActionItems::Table.into_iden(),
            MeetingFigures::Table.into_iden(),
            MeetingAttendees::Table.into_iden(),
            Meetings::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Meetings {
    Table,
    Id,
    ClusterId,
    Kind,
    Title,
    HeldAt,
    HostUnitId,
    PeriodFrom,
    PeriodTo,
    Location,
    Summary,
    Classification,
}

#[derive(DeriveIden)]
enum MeetingAttendees {
    Table,
    MeetingId,
    UnitId,
    Position,
}

#[derive(DeriveIden)]
enum MeetingFigures {
    Table,
    MeetingId,
    Position,
    Name,
    Value,
    Unit,
    Note,
}

#[derive(DeriveIden)]
enum ActionItems {
    Table,
    Id,
    MeetingId,
    ClusterId,
    Title,
    OwnerUnitId,
    DueOn,
    Status,
    ClosedAt,
    Note,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    BriefingCadence,
}
