//! Demo data.

use sea_orm::DatabaseConnection;

use crate::error::ApiResult;

pub async fn load_demo_if_empty(_db: &DatabaseConnection) -> ApiResult<bool> {
    Ok(false)
}
