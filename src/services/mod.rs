pub mod areas;
pub mod clusters;
pub mod common;
pub mod legal_documents;
pub mod memberships;
pub mod regulations;
pub mod units;
