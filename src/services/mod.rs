pub mod common;
pub mod areas;
