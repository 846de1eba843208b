//! Reference data (areas, units, legal documents), clusters with their memberships and
//! regulations, and the bookkeeping tables of the API conventions.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Columns every stored resource carries.
pub(crate) fn resource(table: impl IntoIden, id: impl IntoIden + 'static) -> TableCreateStatement {
    Table::create().table(table).if_not_exists().col(pk_uuid(id)).to_owned()
}

/// A text column that sorts by bytes on every database: PostgreSQL would otherwise sort by the
/// server's locale while SQLite sorts by bytes, and keyset pages must follow one order.
pub(crate) fn sort_text(backend: DbBackend, column: impl IntoIden, len: Option<u32>) -> ColumnDef {
    let mut def = match len {
        Some(n) => string_len(column, n),
        None => text(column),
    };
    if backend == DbBackend::Postgres {
        def.extra("COLLATE \"C\"");
    }
    def
}

/// Search and sort columns, timestamps, version and the soft-delete mark.
pub(crate) fn bookkeeping(backend: DbBackend, t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(text(Common::SearchText))
        .col(sort_text(backend, Common::SortKey, Some(1000)))
        .col(timestamp_with_time_zone(Common::CreatedAt))
        .col(timestamp_with_time_zone(Common::UpdatedAt))
        .col(integer(Common::Version))
        .col(timestamp_with_time_zone_null(Common::DeletedAt))
}

/// A foreign key from `table.from` to the `id` of table `to`.
pub(crate) fn references(table: impl IntoIden + 'static, from: impl IntoIden + 'static, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, from)
        .to(Alias::new(to), Alias::new("id"))
        .to_owned()
}

pub(crate) fn index(name: &str, table: impl IntoIden, cols: &[&'static str]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table).if_not_exists();
    for col in cols {
        idx.col(Alias::new(*col));
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let backend = m.get_database_backend();
        let mut areas = resource(Areas::Table, Areas::Id);
        areas
            .col(sort_text(backend, Areas::Code, Some(16)))
            .col(string_len(Areas::Name, 200))
            .col(string_len(Areas::Level, 16))
            .col(uuid_null(Areas::ParentId))
            .col(date_null(Areas::ValidFrom))
            .col(date_null(Areas::ValidTo))
            .col(uuid_null(Areas::SuccessorId))
            .foreign_key(ForeignKey::create().from(Areas::Table, Areas::ParentId).to(Areas::Table, Areas::Id))
            .foreign_key(
                ForeignKey::create()
                    .from(Areas::Table, Areas::SuccessorId)
                    .to(Areas::Table, Areas::Id),
            );
        m.create_table(bookkeeping(backend, &mut areas).to_owned()).await?;
        m.create_index(index("ix_areas_code", Areas::Table, &["code", "id"])).await?;
        m.create_index(index("ix_areas_parent", Areas::Table, &["parent_id"])).await?;
        m.create_index(index("ix_areas_sort_key", Areas::Table, &["sort_key", "id"]))
            .await?;

        let mut units = resource(Units::Table, Units::Id);
        units
            .col(string_len(Units::Name, 300))
            .col(string_len_null(Units::ShortName, 100))
            .col(string_len(Units::Force, 32))
            .col(string_len(Units::Level, 16))
            .col(uuid_null(Units::ParentId))
            .col(uuid_null(Units::AreaId))
            .col(date_null(Units::ValidFrom))
            .col(date_null(Units::ValidTo))
            .col(uuid_null(Units::SuccessorId))
            .col(string_len_null(Units::ContactPhone, 50))
            .col(string_len_null(Units::ContactEmail, 254))
            .col(string_len_null(Units::ContactAddress, 500))
            .foreign_key(ForeignKey::create().from(Units::Table, Units::ParentId).to(Units::Table, Units::Id))
            .foreign_key(ForeignKey::create().from(Units::Table, Units::AreaId).to(Areas::Table, Areas::Id))
            .foreign_key(
                ForeignKey::create()
                    .from(Units::Table, Units::SuccessorId)
                    .to(Units::Table, Units::Id),
            );
        m.create_table(bookkeeping(backend, &mut units).to_owned()).await?;
        m.create_index(index("ix_units_parent", Units::Table, &["parent_id"])).await?;
        m.create_index(index("ix_units_area", Units::Table, &["area_id"])).await?;
        m.create_index(index("ix_units_sort_key", Units::Table, &["sort_key", "id"]))
            .await?;

        let mut docs = resource(LegalDocuments::Table, LegalDocuments::Id);
        docs.col(string_len(LegalDocuments::Number, 100))
            .col(string_len(LegalDocuments::Kind, 32))
            .col(string_len_null(LegalDocuments::Issuer, 300))
            .col(date_null(LegalDocuments::IssuedOn))
            .col(string_len_null(LegalDocuments::Title, 1000));
        m.create_table(bookkeeping(backend, &mut docs).to_owned()).await?;
        m.create_index(index("ix_legal_documents_sort_key", LegalDocuments::Table, &["sort_key", "id"]))
            .await?;

        let mut clusters = resource(Clusters::Table, Clusters::Id);
        clusters
            .col(string_len(Clusters::Name, 300))
            .col(string_len(Clusters::Kind, 32))
            .col(string_len(Clusters::Status, 16))
            .col(string_len(Clusters::Classification, 16))
            .col(date_null(Clusters::EstablishedOn))
            .col(text_null(Clusters::Description))
            .col(integer_null(Clusters::ReportingSlaHours));
        m.create_table(bookkeeping(backend, &mut clusters).to_owned()).await?;
        m.create_index(index("ix_clusters_sort_key", Clusters::Table, &["sort_key", "id"]))
            .await?;

        m.create_table(
            resource(ClusterMembers::Table, ClusterMembers::Id)
                .col(uuid(ClusterMembers::ClusterId))
                .col(uuid(ClusterMembers::UnitId))
                .col(string_len(ClusterMembers::Role, 16))
                .col(date_null(ClusterMembers::JoinedOn))
                .col(date_null(ClusterMembers::LeftOn))
                .col(timestamp_with_time_zone(Common::CreatedAt))
                .col(timestamp_with_time_zone(Common::UpdatedAt))
                .col(integer(Common::Version))
                .col(timestamp_with_time_zone_null(Common::DeletedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ClusterMembers::Table, ClusterMembers::ClusterId)
                        .to(Clusters::Table, Clusters::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ClusterMembers::Table, ClusterMembers::UnitId)
                        .to(Units::Table, Units::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_cluster_members_cluster",
            ClusterMembers::Table,
            &["cluster_id", "unit_id"],
        ))
        .await?;
        m.create_index(index("ix_cluster_members_unit", ClusterMembers::Table, &["unit_id"]))
            .await?;

        let mut regulations = resource(Regulations::Table, Regulations::Id);
        regulations
            .col(uuid(Regulations::ClusterId))
            .col(string_len(Regulations::Title, 500))
            .col(string_len_null(Regulations::Number, 100))
            .col(date_null(Regulations::SignedOn))
            .col(string_len_null(Regulations::SignedPlace, 300))
            .col(date_null(Regulations::EffectiveFrom))
            .col(date_null(Regulations::EffectiveTo))
            .col(string_len(Regulations::Status, 16))
            .col(uuid_null(Regulations::SupersedesId))
            .col(text_null(Regulations::Notes))
            .foreign_key(
                ForeignKey::create()
                    .from(Regulations::Table, Regulations::ClusterId)
                    .to(Clusters::Table, Clusters::Id),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(Regulations::Table, Regulations::SupersedesId)
                    .to(Regulations::Table, Regulations::Id),
            );
        m.create_table(bookkeeping(backend, &mut regulations).to_owned()).await?;
        m.create_index(index("ix_regulations_cluster", Regulations::Table, &["cluster_id"]))
            .await?;
        m.create_index(index("ix_regulations_sort_key", Regulations::Table, &["sort_key", "id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(RegulationSignatories::Table)
                .if_not_exists()
                .col(uuid(RegulationSignatories::RegulationId))
                .col(integer(RegulationSignatories::Position))
                .col(uuid(RegulationSignatories::UnitId))
                .col(string_len_null(RegulationSignatories::SignerRole, 200))
                .primary_key(
                    Index::create()
                        .col(RegulationSignatories::RegulationId)
                        .col(RegulationSignatories::Position),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(RegulationSignatories::Table, RegulationSignatories::RegulationId)
                        .to(Regulations::Table, Regulations::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(RegulationSignatories::Table, RegulationSignatories::UnitId)
                        .to(Units::Table, Units::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_regulation_signatories_unit", RegulationSignatories::Table, &["unit_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(RegulationLegalBases::Table)
                .if_not_exists()
                .col(uuid(RegulationLegalBases::RegulationId))
                .col(integer(RegulationLegalBases::Position))
                .col(uuid(RegulationLegalBases::LegalDocumentId))
                .col(string_len_null(RegulationLegalBases::Note, 500))
                .primary_key(
                    Index::create()
                        .col(RegulationLegalBases::RegulationId)
                        .col(RegulationLegalBases::Position),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(RegulationLegalBases::Table, RegulationLegalBases::RegulationId)
                        .to(Regulations::Table, Regulations::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(RegulationLegalBases::Table, RegulationLegalBases::LegalDocumentId)
                        .to(LegalDocuments::Table, LegalDocuments::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_regulation_legal_bases_document",
            RegulationLegalBases::Table,
            &["legal_document_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .if_not_exists()
                .col(string_len(IdempotencyKeys::Scope, 200))
                .col(string_len(IdempotencyKeys::Key, 200))
                .col(string_len(IdempotencyKeys::RequestHash, 64))
                .col(integer_null(IdempotencyKeys::Status))
                .col(text_null(IdempotencyKeys::ResponseHeaders))
                .col(text_null(IdempotencyKeys::ResponseBody))
                .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                .primary_key(Index::create().col(IdempotencyKeys::Scope).col(IdempotencyKeys::Key))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_idempotency_keys_created", IdempotencyKeys::Table, &["created_at"]))
            .await?;

        m.create_table(
            Table::create()
                .table(AppMeta::Table)
                .if_not_exists()
                .col(string_len(AppMeta::Key, 100).primary_key())
                .col(text(AppMeta::Value))
                .col(timestamp_with_time_zone(AppMeta::UpdatedAt))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AppMeta::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            RegulationLegalBases::Table.into_iden(),
            RegulationSignatories::Table.into_iden(),
            Regulations::Table.into_iden(),
            ClusterMembers::Table.into_iden(),
            Clusters::Table.into_iden(),
            LegalDocuments::Table.into_iden(),
            Units::Table.into_iden(),
            Areas::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Common {
    SearchText,
    SortKey,
    CreatedAt,
    UpdatedAt,
    Version,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Areas {
    Table,
    Id,
    Code,
    Name,
    Level,
    ParentId,
    ValidFrom,
    ValidTo,
    SuccessorId,
}

#[derive(DeriveIden)]
enum Units {
    Table,
    Id,
    Name,
    ShortName,
    Force,
    Level,
    ParentId,
    AreaId,
    ValidFrom,
    ValidTo,
    SuccessorId,
    ContactPhone,
    ContactEmail,
    ContactAddress,
}

#[derive(DeriveIden)]
enum LegalDocuments {
    Table,
    Id,
    Number,
    Kind,
    Issuer,
    IssuedOn,
    Title,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
    Name,
    Kind,
    Status,
    Classification,
    EstablishedOn,
    Description,
    ReportingSlaHours,
}

#[derive(DeriveIden)]
enum ClusterMembers {
    Table,
    Id,
    ClusterId,
    UnitId,
    Role,
    JoinedOn,
    LeftOn,
}

#[derive(DeriveIden)]
enum Regulations {
    Table,
    Id,
    ClusterId,
    Title,
    Number,
    SignedOn,
    SignedPlace,
    EffectiveFrom,
    EffectiveTo,
    Status,
    SupersedesId,
    Notes,
}

#[derive(DeriveIden)]
enum RegulationSignatories {
    Table,
    RegulationId,
    Position,
    UnitId,
    SignerRole,
}

#[derive(DeriveIden)]
enum RegulationLegalBases {
    Table,
    RegulationId,
    Position,
    LegalDocumentId,
    Note,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Scope,
    Key,
    RequestHash,
    Status,
    ResponseHeaders,
    ResponseBody,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AppMeta {
    Table,
    Key,
    Value,
    UpdatedAt,
}
