//! One step of an incident's workflow: its timeline.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "incident_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub incident_id: Uuid,
    pub at: DateTimeUtc,
    pub from_status: Option<String>,
    pub to_status: String,
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub actor_unit_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
