//! An incident reported within a cluster.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "incidents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub cluster_id: Uuid,
    pub category_id: Uuid,
    pub severity: String,
    pub status: String,
    pub occurred_at: DateTimeUtc,
    pub reported_at: DateTimeUtc,
    pub reporting_delay_seconds: i64,
    pub reporting_unit_id: Uuid,
    pub area_id: Option<Uuid>,
    pub location: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    pub classification: String,
    pub persons_involved: Option<i32>,
    pub injured: Option<i32>,
    pub deaths: Option<i32>,
    pub detained: Option<i32>,
    pub status_changed_at: DateTimeUtc,
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
