//! One entry of the append-only, hash-chained audit trail.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub actor_unit_id: Option<Uuid>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<Uuid>,
    /// The classification of the record (or of its cluster), when it has one.
    pub classification: Option<String>,
    /// JSON object of the changed fields.
    #[sea_orm(column_type = "Text")]
    pub changes: String,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
