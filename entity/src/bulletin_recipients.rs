//! A unit a bulletin was sent to, and its acknowledgement.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "bulletin_recipients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub bulletin_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: Uuid,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub latency_seconds: Option<i64>,
    pub acknowledged_by_type: Option<String>,
    pub acknowledged_by_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
