//! Principals (users and agency clients), refresh tokens, the audit trail and the counters of
//! the login rate limits.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_reference_data::{bookkeeping, index, resource};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let backend = m.get_database_backend();
        let mut users = resource(Users::Table, Users::Id);
        users
            .col(string_len(Users::Username, 64))
            .col(string_len(Users::DisplayName, 200))
            .col(uuid(Users::UnitId))
            .col(string_len(Users::Roles, 200))
            .col(string_len(Users::Clearance, 16))
            .col(string_len(Users::PasswordHash, 200))
            .col(boolean(Users::Disabled))
            .foreign_key(ForeignKey::create().from(Users::Table, Users::UnitId).to(Units::Table, Units::Id));
        m.create_table(bookkeeping(backend, &mut users).to_owned()).await?;
        m.create_index(index("ux_users_username", Users::Table, &["username"]).unique().to_owned())
            .await?;
        m.create_index(index("ix_users_sort_key", Users::Table, &["sort_key", "id"]))
            .await?;

        let mut clients = resource(Clients::Table, Clients::Id);
        clients
            .col(string_len(Clients::Name, 200))
            .col(uuid(Clients::UnitId))
            .col(string_len(Clients::Scopes, 500))
            .col(string_len(Clients::Clearance, 16))
            .col(string_len(Clients::SecretHash, 64))
            .col(boolean(Clients::Disabled))
            .foreign_key(
                ForeignKey::create()
                    .from(Clients::Table, Clients::UnitId)
                    .to(Units::Table, Units::Id),
            );
        m.create_table(bookkeeping(backend, &mut clients).to_owned()).await?;
        m.create_index(index("ix_clients_sort_key", Clients::Table, &["sort_key", "id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(ClientClusters::Table)
                .if_not_exists()
                .col(uuid(ClientClusters::ClientId))
                .col(uuid(ClientClusters::ClusterId))
                .primary_key(Index::create().col(ClientClusters::ClientId).col(ClientClusters::ClusterId))
                .foreign_key(
                    ForeignKey::create()
                        .from(ClientClusters::Table, ClientClusters::ClientId)
                        .to(Clients::Table, Clients::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ClientClusters::Table, ClientClusters::ClusterId)
                        .to(Clusters::Table, Clusters::Id),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .if_not_exists()
                .col(pk_uuid(RefreshTokens::Id))
                .col(uuid(RefreshTokens::FamilyId))
                .col(uuid(RefreshTokens::UserId))
                .col(timestamp_with_time_zone(RefreshTokens::IssuedAt))
                .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::RevokedAt))
                .col(string_len(RefreshTokens::Scope, 500))
                .foreign_key(
                    ForeignKey::create()
                        .from(RefreshTokens::Table, RefreshTokens::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_refresh_tokens_family", RefreshTokens::Table, &["family_id"]))
            .await?;
        m.create_index(index("ix_refresh_tokens_user", RefreshTokens::Table, &["user_id"]))
            .await?;
        m.create_index(index("ix_refresh_tokens_expires", RefreshTokens::Table, &["expires_at"]))
            .await?;

        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .if_not_exists()
                .col(big_integer(AuditEvents::Seq).primary_key())
                .col(uuid_uniq(AuditEvents::Id))
                .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                .col(string_len(AuditEvents::ActorType, 16))
                .col(uuid_null(AuditEvents::ActorId))
                .col(uuid_null(AuditEvents::ActorUnitId))
                .col(string_len(AuditEvents::Action, 32))
                .col(string_len(AuditEvents::ResourceType, 32))
                .col(uuid_null(AuditEvents::ResourceId))
                .col(string_len_null(AuditEvents::Classification, 16))
                .col(text(AuditEvents::Changes))
                .col(string_len_null(AuditEvents::RequestId, 64))
                .col(string_len_null(AuditEvents::ClientAddr, 64))
                .col(string_len(AuditEvents::PrevHash, 64))
                .col(string_len(AuditEvents::Hash, 64))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_audit_events_resource", AuditEvents::Table, &["resource_id", "seq"]))
            .await?;
        m.create_index(index("ix_audit_events_actor", AuditEvents::Table, &["actor_id", "seq"]))
            .await?;

        m.create_table(
            Table::create()
                .table(RateLimits::Table)
                .if_not_exists()
                .col(string_len(RateLimits::Key, 300).primary_key())
                .col(big_integer(RateLimits::WindowStart))
                .col(integer(RateLimits::Count))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_rate_limits_window", RateLimits::Table, &["window_start"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RateLimits::Table.into_iden(),
            AuditEvents::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            ClientClusters::Table.into_iden(),
            Clients::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Units {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    UnitId,
    Roles,
    Clearance,
    PasswordHash,
    Disabled,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    Name,
    UnitId,
    Scopes,
    Clearance,
    SecretHash,
    Disabled,
}

#[derive(DeriveIden)]
enum ClientClusters {
    Table,
    ClientId,
    ClusterId,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    FamilyId,
    UserId,
    IssuedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    Scope,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Seq,
    Id,
    OccurredAt,
    ActorType,
    ActorId,
    ActorUnitId,
    Action,
    ResourceType,
    ResourceId,
    Classification,
    Changes,
    RequestId,
    ClientAddr,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum RateLimits {
    Table,
    Key,
    WindowStart,
    Count,
}
