//! Regulations: their life cycle, who may sign them, what they rest on, and superseding.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use entity::{cluster_members, legal_documents, regulation_legal_bases, regulation_signatories, regulations};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::common::{self, Record, Resource, live};
use super::memberships;
use super::units as unit_service;
use crate::db;
use crate::domain::{LegalDocumentKind, Lifecycle, RegulationStatus, Stored};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::pagination::{PageRequest, fetch_page};
use crate::routes::regulations::{CreateRegulationRequest, LegalBasisInput, RegulationListParams, SignatoryInput, UpdateRegulationRequest};
use crate::search;
use crate::text;
use crate::validation::Validator;
use crate::views::regulations::{LegalBasis, Regulation, Signatory};

/// Most signatories, legal bases, or steps along a chain of superseded regulations.
const MAX_LIST: usize = 100;

/// The writable state of a regulation, with its signatories and legal bases.
#[derive(Debug, Clone, PartialEq)]
pub struct RegulationDraft {
    pub cluster_id: Uuid,
    pub title: String,
    pub number: Option<String>,
    pub signed_on: Option<NaiveDate>,
    pub signed_place: Option<String>,
    pub effective_from: Option<NaiveDate>,
    pub effective_to: Option<NaiveDate>,
    pub status: RegulationStatus,
    pub supersedes_id: Option<Uuid>,
    pub notes: Option<String>,
    pub signatories: Vec<SignatoryInput>,
    pub legal_bases: Vec<LegalBasisInput>,
}

impl RegulationDraft {
    pub fn new(cluster_id: Uuid, r: CreateRegulationRequest) -> Self {
        Self {
            cluster_id,
            title: r.title,
            number: r.number,
            signed_on: r.signed_on.map(Into::into),
            signed_place: r.signed_place,
            effective_from: r.effective_from.map(Into::into),
            effective_to: r.effective_to.map(Into::into),
            status: r.status.unwrap_or(RegulationStatus::Draft),
            supersedes_id: r.supersedes_id,
            notes: r.notes,
            signatories: r.signatories,
            legal_bases: r.legal_bases,
        }
    }
}

impl UpdateRegulationRequest {
    pub fn apply(self, d: &mut RegulationDraft, errors: &mut Vec<FieldError>) {
        self.title.apply_required("title", &mut d.title, errors);
        self.number.apply_to(&mut d.number);
        self.signed_on.map(Into::into).apply_to(&mut d.signed_on);
        self.signed_place.apply_to(&mut d.signed_place);
        self.effective_from.map(Into::into).apply_to(&mut d.effective_from);
        self.effective_to.map(Into::into).apply_to(&mut d.effective_to);
        self.status.apply_required("status", &mut d.status, errors);
        self.supersedes_id.apply_to(&mut d.supersedes_id);
        self.notes.apply_to(&mut d.notes);
        self.signatories.apply_to_list(&mut d.signatories);
        self.legal_bases.apply_to_list(&mut d.legal_bases);
    }
}

impl Resource for regulations::Entity {
    async fn classification<C: ConnectionTrait>(db: &C, m: &regulations::Model) -> ApiResult<Option<String>> {
        super::access::cluster_classification(db, m.cluster_id).await
    }

    type Draft = RegulationDraft;

    async fn draft<C: ConnectionTrait>(db: &C, m: &regulations::Model) -> ApiResult<RegulationDraft> {
        let (mut signatories, mut bases) = children(db, &[m.id]).await?;
        Ok(RegulationDraft {
            cluster_id: m.cluster_id,
            title: m.title.clone(),
            number: m.number.clone(),
            signed_on: m.signed_on,
            signed_place: m.signed_place.clone(),
            effective_from: m.effective_from,
            effective_to: m.effective_to,
            status: RegulationStatus::from_stored(&m.status)?,
            supersedes_id: m.supersedes_id,
            notes: m.notes.clone(),
            signatories: signatories
                .remove(&m.id)
                .unwrap_or_default()
                .into_iter()
                .map(|s| SignatoryInput {
                    unit_id: s.unit_id,
                    signer_role: s.signer_role,
                })
                .collect(),
            legal_bases: bases
                .remove(&m.id)
                .unwrap_or_default()
                .into_iter()
                .map(|b| LegalBasisInput {
                    legal_document_id: b.legal_document_id,
                    note: b.note,
                })
                .collect(),
        })
    }

    async fn validate<C: ConnectionTrait>(db: &C, d: &mut RegulationDraft, current: Option<&regulations::Model>) -> ApiResult<()> {
        memberships::lock_cluster(db, d.cluster_id, current.is_none()).await?;
        let mut v = Validator::new();
        d.title = v.text("title", &d.title, 500);
        d.number = v.opt_text("number", d.number.as_deref(), 100);
        d.signed_place = v.opt_text("signed_place", d.signed_place.as_deref(), 300);
        d.notes = v.opt_text("notes", d.notes.as_deref(), 4000);
        if d.signed_on.is_some_and(|day| day > db::today()) {
            v.push(FieldError::invalid(
                "signed_on",
                text!(en: "A regulation cannot have been signed in the future.", vi: "Quy chế không thể được ký trong tương lai."),
            ));
        }
        if let (Some(signed), Some(from)) = (d.signed_on, d.effective_from)
            && from < signed
        {
            v.push(FieldError::new(
                "effective_from",
                "date_order",
                text!(en: "Must not be before `signed_on`.", vi: "Không được trước ngày ở trường `signed_on`."),
            ));
        }
        v.period(("effective_from", d.effective_from), ("effective_to", d.effective_to));
        if let Some(current) = current {
            RegulationStatus::from_stored(&current.status)?.check_move(d.status, regulations::Entity::NOUN)?;
        }
        if d.status.is_signed() && d.signatories.len() < 2 {
            v.push(FieldError::new(
                "signatories",
                "too_few",
                text!(
                    en: "A signed regulation has at least two signatories.",
                    vi: "Quy chế đã ký phải có ít nhất hai đơn vị ký."
                ),
            ));
        }
        if v.max_items("signatories", d.signatories.len(), MAX_LIST) {
            check_signatories(db, &mut v, d).await?;
        }
        if v.max_items("legal_bases", d.legal_bases.len(), MAX_LIST) {
            check_legal_bases(db, &mut v, d).await?;
        }
        check_supersedes(db, &mut v, d, current.map(|c| c.id)).await?;
        v.finish()
    }

    fn columns(d: &RegulationDraft) -> regulations::ActiveModel {
        let mut searchable = vec![d.title.as_str()];
        searchable.extend(d.number.as_deref());
        searchable.extend(d.notes.as_deref());
        regulations::ActiveModel {
            cluster_id: Set(d.cluster_id),
            title: Set(d.title.clone()),
            number: Set(d.number.clone()),
            signed_on: Set(d.signed_on),
            signed_place: Set(d.signed_place.clone()),
            effective_from: Set(d.effective_from),
            effective_to: Set(d.effective_to),
            status: Set(d.status.stored()),
            supersedes_id: Set(d.supersedes_id),
            notes: Set(d.notes.clone()),
            search_text: Set(search::search_text(searchable)),
            sort_key: Set(search::sort_key(&d.title)),
            ..Default::default()
        }
    }

    async fn after_save<C: ConnectionTrait>(db: &C, id: Uuid, d: &RegulationDraft, current: Option<&regulations::Model>) -> ApiResult<()> {
        write_children(db, id, d).await?;
        let newly_in_force =
            d.status == RegulationStatus::InForce && current.is_none_or(|c| c.status != RegulationStatus::InForce.stored());
        if let (true, Some(old)) = (newly_in_force, d.supersedes_id) {
            supersede(db, old, d.effective_from).await?;
        }
        Ok(())
    }

    async fn check_deletable<C: ConnectionTrait>(db: &C, m: &regulations::Model) -> ApiResult<()> {
        let successors = live::<regulations::Entity>()
            .filter(regulations::Column::SupersedesId.eq(m.id))
            .count(db)
            .await?;
        if successors > 0 {
            return Err(ApiError::conflict(text!(
                en: "Another regulation supersedes this one; change or delete that one first.",
                vi: "Có quy chế khác thay thế quy chế này; hãy sửa hoặc xóa quy chế đó trước."
            )));
        }
        Ok(())
    }
}

/// Each signatory is a live unit that is, was or will be a member of the cluster, at most once.
async fn check_signatories<C: ConnectionTrait>(db: &C, v: &mut Validator, d: &mut RegulationDraft) -> ApiResult<()> {
    let members: HashSet<Uuid> = live::<cluster_members::Entity>()
        .select_only()
        .column(cluster_members::Column::UnitId)
        .filter(cluster_members::Column::ClusterId.eq(d.cluster_id))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut seen = HashSet::new();
    for (i, s) in d.signatories.iter_mut().enumerate() {
        s.signer_role = v.opt_text(&format!("signatories[{i}].signer_role"), s.signer_role.as_deref(), 200);
        let field = format!("signatories[{i}].unit_id");
        if !seen.insert(s.unit_id) {
            v.push(FieldError::new(
                field,
                "duplicate",
                text!(en: "The unit is listed twice.", vi: "Đơn vị được liệt kê hai lần."),
            ));
        } else if !members.contains(&s.unit_id) {
            v.push(FieldError::new(
                field,
                "not_a_member",
                text!(en: "Only units of the cluster sign its regulations.", vi: "Chỉ đơn vị thuộc cụm mới ký quy chế của cụm."),
            ));
        }
    }
    Ok(())
}

/// Each legal basis is a live legal document, cited at most once.
async fn check_legal_bases<C: ConnectionTrait>(db: &C, v: &mut Validator, d: &mut RegulationDraft) -> ApiResult<()> {
    let known = common::live_ids::<legal_documents::Entity, _>(db, d.legal_bases.iter().map(|b| b.legal_document_id)).await?;
    let mut seen = HashSet::new();
    for (i, b) in d.legal_bases.iter_mut().enumerate() {
        b.note = v.opt_text(&format!("legal_bases[{i}].note"), b.note.as_deref(), 500);
        let field = format!("legal_bases[{i}].legal_document_id");
        if !seen.insert(b.legal_document_id) {
            v.push(FieldError::new(
                field,
                "duplicate",
                text!(en: "The document is cited twice.", vi: "Văn bản được viện dẫn hai lần."),
            ));
        } else if !known.contains(&b.legal_document_id) {
            v.push(FieldError::unknown_reference(field, legal_documents::Entity::NOUN));
        }
    }
    Ok(())
}

/// The superseded regulation belongs to the same cluster and is not this one.
async fn check_supersedes<C: ConnectionTrait>(db: &C, v: &mut Validator, d: &RegulationDraft, self_id: Option<Uuid>) -> ApiResult<()> {
    let Some(old_id) = d.supersedes_id else {
        return Ok(());
    };
    if Some(old_id) == self_id {
        v.push(FieldError::invalid(
            "supersedes_id",
            text!(en: "A regulation cannot supersede itself.", vi: "Quy chế không thể thay thế chính nó."),
        ));
        return Ok(());
    }
    // Only a regulation of the same cluster can be superseded; any other id is reported as
    // unknown, so the answer does not tell whether it exists in a cluster the caller cannot see.
    match live::<regulations::Entity>()
        .filter(regulations::Column::Id.eq(old_id))
        .filter(regulations::Column::ClusterId.eq(d.cluster_id))
        .one(db)
        .await?
    {
        None => v.push(FieldError::unknown_reference("supersedes_id", regulations::Entity::NOUN)),
        Some(old) => {
            // Follow what the old one supersedes in turn: the chain must not lead back here.
            let mut next = old.supersedes_id;
            for _ in 0..MAX_LIST {
                let Some(id) = next else { break };
                if Some(id) == self_id {
                    v.push(FieldError::invalid(
                        "supersedes_id",
                        text!(
                            en: "Regulations cannot supersede each other in a circle.",
                            vi: "Các quy chế không thể thay thế lẫn nhau theo vòng tròn."
                        ),
                    ));
                    break;
                }
                next = regulations::Entity::find_by_id(id).one(db).await?.and_then(|r| r.supersedes_id);
            }
        }
    }
    Ok(())
}

/// Replaces the signatory and legal basis rows with the draft's lists.
async fn write_children<C: ConnectionTrait>(db: &C, id: Uuid, d: &RegulationDraft) -> ApiResult<()> {
    regulation_signatories::Entity::delete_many()
        .filter(regulation_signatories::Column::RegulationId.eq(id))
        .exec(db)
        .await?;
    regulation_legal_bases::Entity::delete_many()
        .filter(regulation_legal_bases::Column::RegulationId.eq(id))
        .exec(db)
        .await?;
    let signatories = d
        .signatories
        .iter()
        .zip(0..)
        .map(|(s, position)| regulation_signatories::ActiveModel {
            regulation_id: Set(id),
            position: Set(position),
            unit_id: Set(s.unit_id),
            signer_role: Set(s.signer_role.clone()),
        });
    regulation_signatories::Entity::insert_many(signatories)
        .exec_without_returning(db)
        .await?;
    let bases = d
        .legal_bases
        .iter()
        .zip(0..)
        .map(|(b, position)| regulation_legal_bases::ActiveModel {
            regulation_id: Set(id),
            position: Set(position),
            legal_document_id: Set(b.legal_document_id),
            note: Set(b.note.clone()),
        });
    regulation_legal_bases::Entity::insert_many(bases)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Marks the regulation `old` superseded (if it was signed or in force), ending it on the day
/// its successor takes effect unless it already had an end.
async fn supersede<C: ConnectionTrait>(db: &C, old: Uuid, successor_from: Option<NaiveDate>) -> ApiResult<()> {
    let ending = Condition::any()
        .add(regulations::Column::Status.eq(RegulationStatus::Signed.stored()))
        .add(regulations::Column::Status.eq(RegulationStatus::InForce.stored()));
    regulations::Entity::update_many()
        .col_expr(regulations::Column::Status, Expr::val(RegulationStatus::Superseded.stored()))
        .col_expr(
            regulations::Column::EffectiveTo,
            Expr::col(regulations::Column::EffectiveTo).if_null(Expr::val(successor_from)),
        )
        .col_expr(regulations::Column::Version, Expr::col(regulations::Column::Version).add(1))
        .col_expr(regulations::Column::UpdatedAt, Expr::val(db::now()))
        .filter(regulations::Column::Id.eq(old))
        .filter(regulations::Column::DeletedAt.is_null())
        .filter(ending)
        .exec(db)
        .await?;
    Ok(())
}

/// The child rows of regulations, grouped by regulation, in order.
async fn children<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
) -> ApiResult<(
    HashMap<Uuid, Vec<regulation_signatories::Model>>,
    HashMap<Uuid, Vec<regulation_legal_bases::Model>>,
)> {
    let mut signatories: HashMap<Uuid, Vec<regulation_signatories::Model>> = HashMap::new();
    let mut bases: HashMap<Uuid, Vec<regulation_legal_bases::Model>> = HashMap::new();
    if ids.is_empty() {
        return Ok((signatories, bases));
    }
    for s in regulation_signatories::Entity::find()
        .filter(regulation_signatories::Column::RegulationId.is_in(ids.iter().copied()))
        .order_by_asc(regulation_signatories::Column::Position)
        .all(db)
        .await?
    {
        signatories.entry(s.regulation_id).or_default().push(s);
    }
    for b in regulation_legal_bases::Entity::find()
        .filter(regulation_legal_bases::Column::RegulationId.is_in(ids.iter().copied()))
        .order_by_asc(regulation_legal_bases::Column::Position)
        .all(db)
        .await?
    {
        bases.entry(b.regulation_id).or_default().push(b);
    }
    Ok((signatories, bases))
}

/// Response bodies of regulations, with signatories and legal bases, in a fixed number of queries.
pub async fn views<C: ConnectionTrait>(db: &C, models: Vec<regulations::Model>) -> ApiResult<Vec<Regulation>> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let (mut signatories, mut bases) = children(db, &ids).await?;
    let units = unit_service::summaries(db, signatories.values().flatten().map(|s| s.unit_id)).await?;
    let documents: HashMap<Uuid, legal_documents::Model> = legal_documents::Entity::find()
        .filter(legal_documents::Column::Id.is_in(bases.values().flatten().map(|b| b.legal_document_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|doc| (doc.id, doc))
        .collect();
    models
        .into_iter()
        .map(|m| {
            let signed = signatories
                .remove(&m.id)
                .unwrap_or_default()
                .into_iter()
                .map(|s| {
                    let unit = units
                        .get(&s.unit_id)
                        .cloned()
                        .ok_or_else(|| ApiError::internal(format!("signatory unit {} is missing", s.unit_id)))?;
                    Ok(Signatory {
                        unit_id: s.unit_id,
                        unit,
                        signer_role: s.signer_role,
                    })
                })
                .collect::<ApiResult<Vec<_>>>()?;
            let cited = bases
                .remove(&m.id)
                .unwrap_or_default()
                .into_iter()
                .map(|b| {
                    let doc = documents
                        .get(&b.legal_document_id)
                        .ok_or_else(|| ApiError::internal(format!("legal document {} is missing", b.legal_document_id)))?;
                    Ok(LegalBasis {
                        legal_document_id: b.legal_document_id,
                        number: doc.number.clone(),
                        kind: LegalDocumentKind::from_stored(&doc.kind)?,
                        title: doc.title.clone(),
                        note: b.note,
                    })
                })
                .collect::<ApiResult<Vec<_>>>()?;
            Regulation::from_model(m, signed, cited)
        })
        .collect()
}

pub async fn view<C: ConnectionTrait>(db: &C, model: regulations::Model) -> ApiResult<Regulation> {
    views(db, vec![model])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("regulation view lost"))
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    p: &crate::auth::Principal,
    f: &RegulationListParams,
    page: &PageRequest,
) -> ApiResult<(Vec<Regulation>, Option<String>)> {
    let mut select = live::<regulations::Entity>().filter(super::access::in_visible_clusters(regulations::Column::ClusterId, p));
    if let Some(terms) = search::query_terms(f.q.as_deref())? {
        select = select.filter(search::matches_all(regulations::Column::SearchText, &terms));
    }
    if let Some(cluster_id) = f.cluster_id {
        select = select.filter(regulations::Column::ClusterId.eq(cluster_id));
    }
    if let Some(status) = f.status {
        select = select.filter(regulations::Column::Status.eq(status.stored()));
    }
    if let Some(day) = f.effective_on {
        select = select
            .filter(common::active_on(
                regulations::Column::EffectiveFrom,
                regulations::Column::EffectiveTo,
                day,
            ))
            .filter(regulations::Column::Status.is_in([RegulationStatus::InForce.stored(), RegulationStatus::Superseded.stored()]));
    }
    let (rows, next) = fetch_page(db, select, regulations::Column::Id, f.sort, page).await?;
    Ok((views(db, rows).await?, next))
}
