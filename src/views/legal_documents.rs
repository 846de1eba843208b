//! Legal documents.

use chrono::NaiveDate;
use entity::legal_documents;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Stamp, stamp_of, versioned};
use crate::domain::{LegalDocumentKind, Stored};
use crate::error::ApiResult;

/// A legal document coordination rests on: a law, decree, decision and so on. Fields a source
/// does not state are `null`, never guessed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f80",
    "created_at": "2026-11-22T08:00:00Z",
    "updated_at": "2026-11-22T08:00:00Z",
    "version": 1,
    "number": "03/2019/NĐ-CP",
    "kind": "decree",
    "issuer": "Chính phủ",
    "issued_on": "2019-09-05",
    "title": "Về phối hợp giữa Bộ Công an và Bộ Quốc phòng trong thực hiện nhiệm vụ bảo vệ an ninh quốc gia, bảo đảm trật tự, an toàn xã hội, đấu tranh phòng, chống tội phạm và nhiệm vụ quốc phòng"
}))]
pub struct LegalDocument {
    #[serde(flatten)]
    pub stamp: Stamp,
    /// The document's number as printed, e.g. "03/2019/NĐ-CP".
    pub number: String,
    pub kind: LegalDocumentKind,
    /// The issuing body, e.g. "Chính phủ", "UBND tỉnh Bến Tre".
    pub issuer: Option<String>,
    /// The date of issue.
    pub issued_on: Option<NaiveDate>,
    /// The document's title (its subject line).
    pub title: Option<String>,
}

versioned!(LegalDocument);

impl LegalDocument {
    pub fn from_model(m: legal_documents::Model) -> ApiResult<Self> {
        Ok(Self {
            stamp: stamp_of!(m),
            kind: LegalDocumentKind::from_stored(&m.kind)?,
            number: m.number,
            issuer: m.issuer,
            issued_on: m.issued_on,
            title: m.title,
        })
    }
}
