//! Community security models: mass-participation groups units sponsor in an area.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_reference_data::{bookkeeping, index, resource};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let backend = m.get_database_backend();
        let mut models = resource(CommunityModels::Table, CommunityModels::Id);
        models
            .col(string_len(CommunityModels::Name, 300))
            .col(string_len(CommunityModels::Kind, 32))
            .col(uuid(CommunityModels::AreaId))
            .col(uuid(CommunityModels::SponsoringUnitId))
            .col(date_null(CommunityModels::EstablishedOn))
            .col(integer_null(CommunityModels::ParticipantCount))
            .col(string_len(CommunityModels::Status, 16))
            .col(text_null(CommunityModels::Description))
            .foreign_key(
                ForeignKey::create()
                    .from(CommunityModels::Table, CommunityModels::AreaId)
                    .to(Alias::new("areas"), Alias::new("id")),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(CommunityModels::Table, CommunityModels::SponsoringUnitId)
                    .to(Alias::new("units"), Alias::new("id")),
            );
        m.create_table(bookkeeping(backend, &mut models).to_owned()).await?;
        m.create_index(index("ix_community_models_sort_key", CommunityModels::Table, &["sort_key", "id"]))
            .await?;
        m.create_index(index("ix_community_models_unit", CommunityModels::Table, &["sponsoring_unit_id"]))
            .await?;
        m.create_index(index("ix_community_models_area", CommunityModels::Table, &["area_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CommunityModels::Table).if_exists().to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CommunityModels {
    Table,
    Id,
    Name,
    Kind,
    AreaId,
    SponsoringUnitId,
    EstablishedOn,
    ParticipantCount,
    Status,
    Description,
}
