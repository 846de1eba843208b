//! Legal documents: validation and the references regulations hold to them.

use chrono::NaiveDate;
use entity::{legal_documents, regulation_legal_bases, regulations};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::common::{self, Resource, live};
use crate::db;
use crate::domain::{LegalDocumentKind, Stored};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::pagination::{PageRequest, fetch_page};
use crate::routes::legal_documents::{CreateLegalDocumentRequest, LegalDocumentListParams, UpdateLegalDocumentRequest};
use crate::search;
use crate::text;
use crate::validation::Validator;
use crate::views::legal_documents::LegalDocument;

/// The writable state of a legal document.
#[derive(Debug, Clone, PartialEq)]
pub struct LegalDocumentDraft {
    pub number: String,
    pub kind: LegalDocumentKind,
    pub issuer: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub title: Option<String>,
}

impl From<CreateLegalDocumentRequest> for LegalDocumentDraft {
    fn from(r: CreateLegalDocumentRequest) -> Self {
        Self {
            number: r.number,
            kind: r.kind,
            issuer: r.issuer,
            issued_on: r.issued_on.map(Into::into),
            title: r.title,
        }
    }
}

impl UpdateLegalDocumentRequest {
    pub fn apply(self, d: &mut LegalDocumentDraft, errors: &mut Vec<FieldError>) {
        self.number.apply_required("number", &mut d.number, errors);
        self.kind.apply_required("kind", &mut d.kind, errors);
        self.issuer.apply_to(&mut d.issuer);
        self.issued_on.map(Into::into).apply_to(&mut d.issued_on);
        self.title.apply_to(&mut d.title);
    }
}

impl Resource for legal_documents::Entity {
    type Draft = LegalDocumentDraft;

    async fn draft<C: ConnectionTrait>(_db: &C, m: &legal_documents::Model) -> ApiResult<LegalDocumentDraft> {
        Ok(LegalDocumentDraft {
            number: m.number.clone(),
            kind: LegalDocumentKind::from_stored(&m.kind)?,
            issuer: m.issuer.clone(),
            issued_on: m.issued_on,
            title: m.title.clone(),
        })
    }

    async fn validate<C: ConnectionTrait>(db: &C, d: &mut LegalDocumentDraft, current: Option<&legal_documents::Model>) -> ApiResult<()> {
        let mut v = Validator::new();
        d.number = v.text("number", &d.number, 100);
        d.issuer = v.opt_text("issuer", d.issuer.as_deref(), 300);
        d.title = v.opt_text("title", d.title.as_deref(), 1000);
        if d.issued_on.is_some_and(|day| day > db::today()) {
            v.push(FieldError::invalid(
                "issued_on",
                text!(en: "A document cannot have been issued in the future.", vi: "Văn bản không thể được ban hành trong tương lai."),
            ));
        }
        v.finish()?;

        common::serialize_on(db, &format!("legal_documents:{}", d.number)).await?;
        let mut same = live::<legal_documents::Entity>().filter(legal_documents::Column::Number.eq(d.number.clone()));
        same = match &d.issuer {
            Some(issuer) => same.filter(legal_documents::Column::Issuer.eq(issuer.clone())),
            None => same.filter(legal_documents::Column::Issuer.is_null()),
        };
        if let Some(current) = current {
            same = same.filter(legal_documents::Column::Id.ne(current.id));
        }
        if same.count(db).await? > 0 {
            let number = d.number.clone();
            return Err(ApiError::conflict_on(
                "number",
                text!(
                    en: "A legal document numbered {number} from the same issuer already exists.",
                    vi: "Đã có văn bản số {number} của cùng cơ quan ban hành."
                ),
            ));
        }
        Ok(())
    }

    fn columns(d: &LegalDocumentDraft) -> legal_documents::ActiveModel {
        let mut searchable = vec![d.number.as_str()];
        searchable.extend(d.title.as_deref());
        searchable.extend(d.issuer.as_deref());
        legal_documents::ActiveModel {
            number: Set(d.number.clone()),
            kind: Set(d.kind.stored()),
            issuer: Set(d.issuer.clone()),
            issued_on: Set(d.issued_on),
            title: Set(d.title.clone()),
            search_text: Set(search::search_text(searchable)),
            sort_key: Set(search::sort_key(&d.number)),
            ..Default::default()
        }
    }

    async fn check_deletable<C: ConnectionTrait>(db: &C, m: &legal_documents::Model) -> ApiResult<()> {
        let citing = regulation_legal_bases::Entity::find()
            .filter(regulation_legal_bases::Column::LegalDocumentId.eq(m.id))
            .filter(regulation_legal_bases::Column::RegulationId.in_subquery(common::live_ids_query::<regulations::Entity>()))
            .count(db)
            .await?;
        if citing > 0 {
            return Err(ApiError::conflict(text!(
                en: "{citing} regulations cite this document; remove it from their legal bases first.",
                vi: "Có {citing} quy chế viện dẫn văn bản này; hãy gỡ văn bản khỏi căn cứ pháp lý của các quy chế đó trước."
            )));
        }
        Ok(())
    }
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    f: &LegalDocumentListParams,
    page: &PageRequest,
) -> ApiResult<(Vec<LegalDocument>, Option<String>)> {
    let mut select = live::<legal_documents::Entity>();
    if let Some(terms) = search::query_terms(f.q.as_deref())? {
        select = select.filter(search::matches_all(legal_documents::Column::SearchText, &terms));
    }
    if let Some(kind) = f.kind {
        select = select.filter(legal_documents::Column::Kind.eq(kind.stored()));
    }
    if let Some(day) = f.issued_from {
        select = select.filter(legal_documents::Column::IssuedOn.gte(day));
    }
    if let Some(day) = f.issued_before {
        select = select.filter(legal_documents::Column::IssuedOn.lt(day));
    }
    let (rows, next) = fetch_page(db, select, legal_documents::Column::Id, f.sort, page).await?;
    let items = rows.into_iter().map(LegalDocument::from_model).collect::<ApiResult<_>>()?;
    Ok((items, next))
}
