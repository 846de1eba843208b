//! A decision of a meeting that a unit is to carry out.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "action_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub meeting_id: Uuid,
    pub cluster_id: Uuid,
    pub title: String,
    pub owner_unit_id: Uuid,
    pub due_on: Option<Date>,
    pub status: String,
    pub closed_at: Option<DateTimeUtc>,
    pub note: Option<String>,
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
