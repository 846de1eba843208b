//! Database entities: one module per table, plain data with no behaviour.

pub mod app_meta;
pub mod areas;
pub mod cluster_members;
pub mod clusters;
pub mod idempotency_keys;
pub mod legal_documents;
pub mod regulation_legal_bases;
pub mod regulation_signatories;
pub mod regulations;
pub mod units;
