//! A meeting of a cluster: a briefing, a review or a signing ceremony.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "meetings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub cluster_id: Uuid,
    pub kind: String,
    pub title: String,
    pub held_at: DateTimeUtc,
    pub host_unit_id: Uuid,
    pub period_from: Option<Date>,
    pub period_to: Option<Date>,
    pub location: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub summary: Option<String>,
    pub classification: String,
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
