//! Bulletins units send to their clusters, and each recipient unit's acknowledgement.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_reference_data::{bookkeeping, index, references, resource};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let backend = m.get_database_backend();
        let mut bulletins = resource(Bulletins::Table, Bulletins::Id);
        bulletins
            .col(uuid(Bulletins::ClusterId))
            .col(uuid(Bulletins::SenderUnitId))
            .col(uuid_null(Bulletins::IncidentId))
            .col(string_len(Bulletins::Title, 300))
            .col(text(Bulletins::Body))
            .col(string_len(Bulletins::Classification, 16))
            .col(timestamp_with_time_zone(Bulletins::SentAt))
            .col(timestamp_with_time_zone_null(Bulletins::AckDueAt))
            .foreign_key(&mut references(Bulletins::Table, Bulletins::ClusterId, "clusters"))
            .foreign_key(&mut references(Bulletins::Table, Bulletins::SenderUnitId, "units"))
            .foreign_key(&mut references(Bulletins::Table, Bulletins::IncidentId, "incidents"));
        m.create_table(bookkeeping(backend, &mut bulletins).to_owned()).await?;
        // `sort_key` holds `sent_at` as fixed-width text.
        m.create_index(index(
            "ix_bulletins_cluster_sent",
            Bulletins::Table,
            &["cluster_id", "sort_key", "id"],
        ))
        .await?;
        m.create_index(index("ix_bulletins_sort_key", Bulletins::Table, &["sort_key", "id"]))
            .await?;
        m.create_index(index("ix_bulletins_sender", Bulletins::Table, &["sender_unit_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(BulletinRecipients::Table)
                .if_not_exists()
                .col(uuid(BulletinRecipients::BulletinId))
                .col(uuid(BulletinRecipients::UnitId))
                .col(timestamp_with_time_zone_null(BulletinRecipients::AcknowledgedAt))
                .col(big_integer_null(BulletinRecipients::LatencySeconds))
                .col(string_len_null(BulletinRecipients::AcknowledgedByType, 16))
                .col(uuid_null(BulletinRecipients::AcknowledgedById))
                .col(text_null(BulletinRecipients::Note))
                .primary_key(Index::create().col(BulletinRecipients::BulletinId).col(BulletinRecipients::UnitId))
                .foreign_key(&mut references(
                    BulletinRecipients::Table,
                    BulletinRecipients::BulletinId,
                    "bulletins",
                ))
                .foreign_key(&mut references(BulletinRecipients::Table, BulletinRecipients::UnitId, "units"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_bulletin_recipients_unit",
            BulletinRecipients::Table,
            &["unit_id", "acknowledged_at"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(BulletinRecipients::Table).if_exists().to_owned())
            .await?;
        m.drop_table(Table::drop().table(Bulletins::Table).if_exists().to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Bulletins {
    Table,
    Id,
    ClusterId,
    SenderUnitId,
    IncidentId,
    Title,
    Body,
    Classification,
    SentAt,
    AckDueAt,
}

#[derive(DeriveIden)]
enum BulletinRecipients {
    Table,
    BulletinId,
    UnitId,
    AcknowledgedAt,
    LatencySeconds,
    AcknowledgedByType,
    AcknowledgedById,
    Note,
}
