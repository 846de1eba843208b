//! A bulletin one unit sends to its cluster or to chosen member units.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "bulletins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub cluster_id: Uuid,
    pub sender_unit_id: Uuid,
    pub incident_id: Option<Uuid>,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub classification: String,
    pub sent_at: DateTimeUtc,
    pub ack_due_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub search_text: String,
    pub sort_key: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
