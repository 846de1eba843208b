//! Coordination regulations.

use chrono::NaiveDate;
use entity::regulations;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::units::UnitSummary;
use super::{Stamp, stamp_of, versioned};
use crate::domain::{LegalDocumentKind, RegulationStatus, Stored};
use crate::error::ApiResult;

/// A coordination regulation (quy chế phối hợp) signed by units of a cluster. Fields a source
/// does not state are `null`; `notes` says what is known beyond them (e.g. a day and month
/// without a year).
#[derive(Debug, Serialize, ToSchema)]
pub struct Regulation {
    #[serde(flatten)]
    pub stamp: Stamp,
    pub cluster_id: Uuid,
    #[schema(
        example = "Quy chế phối hợp đảm bảo an ninh, trật tự giữa Công an các huyện, quận, thị xã thuộc Hà Nội, Hưng Yên và Bắc Ninh"
    )]
    pub title: String,
    /// The regulation's number, if it has one.
    pub number: Option<String>,
    /// The day it was signed, when the full date is known.
    pub signed_on: Option<NaiveDate>,
    /// Where it was signed.
    #[schema(example = "Trụ sở Công an huyện Gia Lâm")]
    pub signed_place: Option<String>,
    /// First day it applies.
    pub effective_from: Option<NaiveDate>,
    /// First day it no longer applies.
    pub effective_to: Option<NaiveDate>,
    pub status: RegulationStatus,
    /// The regulation this one replaces; it becomes `superseded` when this one comes into force.
    pub supersedes_id: Option<Uuid>,
    /// What is known that the fields cannot hold.
    #[schema(example = "Ký ngày 16 tháng 6; nguồn không nêu năm.")]
    pub notes: Option<String>,
    /// The signing units, in signing order.
    pub signatories: Vec<Signatory>,
    /// The legal documents the regulation rests on, in citing order.
    pub legal_bases: Vec<LegalBasis>,
}

versioned!(Regulation);

/// A unit that signed a regulation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Signatory {
    pub unit_id: Uuid,
    pub unit: UnitSummary,
    /// The signer's public role (never a private person's details), e.g. "Trưởng Công an huyện".
    pub signer_role: Option<String>,
}

/// A legal document a regulation rests on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LegalBasis {
    pub legal_document_id: Uuid,
    #[schema(example = "03/2019/NĐ-CP")]
    pub number: String,
    pub kind: LegalDocumentKind,
    pub title: Option<String>,
    /// Which part is relied on, e.g. "Điều 5".
    pub note: Option<String>,
}

impl Regulation {
    pub fn from_model(m: regulations::Model, signatories: Vec<Signatory>, legal_bases: Vec<LegalBasis>) -> ApiResult<Self> {
        Ok(Self {
            stamp: stamp_of!(m),
            status: RegulationStatus::from_stored(&m.status)?,
            cluster_id: m.cluster_id,
            title: m.title,
            number: m.number,
            signed_on: m.signed_on,
            signed_place: m.signed_place,
            effective_from: m.effective_from,
            effective_to: m.effective_to,
            supersedes_id: m.supersedes_id,
            notes: m.notes,
            signatories,
            legal_bases,
        })
    }
}
