//! The incident taxonomy: categories administrators manage, referred to by incidents.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_reference_data::{bookkeeping, index, resource, sort_text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let backend = m.get_database_backend();
        let mut categories = resource(IncidentCategories::Table, IncidentCategories::Id);
        categories
            .col(sort_text(backend, IncidentCategories::Code, Some(64)))
            .col(string_len(IncidentCategories::Name, 200))
            .col(text_null(IncidentCategories::Description))
            .col(boolean(IncidentCategories::Active));
        m.create_table(bookkeeping(backend, &mut categories).to_owned()).await?;
        m.create_index(index("ix_incident_categories_code", IncidentCategories::Table, &["code", "id"]))
            .await?;
        m.create_index(index(
            "ix_incident_categories_sort_key",
            IncidentCategories::Table,
            &["sort_key", "id"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(IncidentCategories::Table).if_exists().to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum IncidentCategories {
    Table,
    Id,
    Code,
    Name,
    Description,
    Active,
}
