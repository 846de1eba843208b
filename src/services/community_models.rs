//! Community security models: validation, who may write them, and lists.

use chrono::NaiveDate;
use entity::{areas, community_models, units};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, Set};
use uuid::Uuid;

use super::common::{self, Record, Resource, live};
use super::units as unit_service;
use crate::auth::{Principal, PrincipalKind};
use crate::db;
use crate::domain::{CommunityModelKind, CommunityModelStatus, Stored};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::pagination::{PageRequest, fetch_page};
use crate::routes::community_models::{CommunityModelListParams, CreateCommunityModelRequest, UpdateCommunityModelRequest};
use crate::search;
use crate::text;
use crate::validation::Validator;
use crate::views::community_models::CommunityModel;

/// Largest participant count a model may state.
const MAX_PARTICIPANTS: i64 = 1_000_000;

/// The writable state of a community model.
#[derive(Debug, Clone, PartialEq)]
pub struct CommunityModelDraft {
    pub name: String,
    pub kind: CommunityModelKind,
    pub area_id: Uuid,
    pub sponsoring_unit_id: Uuid,
    pub established_on: Option<NaiveDate>,
    pub participant_count: Option<i32>,
    pub status: CommunityModelStatus,
    pub description: Option<String>,
}

impl CommunityModelDraft {
    /// A new model; the sponsoring unit defaults to the caller's.
    pub fn new(p: &Principal, r: CreateCommunityModelRequest) -> Self {
        Self {
            name: r.name,
            kind: r.kind,
            area_id: r.area_id,
            sponsoring_unit_id: r.sponsoring_unit_id.unwrap_or(p.unit_id),
            established_on: r.established_on.map(Into::into),
            participant_count: r.participant_count,
            status: r.status.unwrap_or(CommunityModelStatus::Active),
            description: r.description,
        }
    }
}

impl UpdateCommunityModelRequest {
    pub fn apply(self, d: &mut CommunityModelDraft, errors: &mut Vec<FieldError>) {
        self.name.apply_required("name", &mut d.name, errors);
        self.kind.apply_required("kind", &mut d.kind, errors);
        self.area_id.apply_required("area_id", &mut d.area_id, errors);
        self.established_on.map(Into::into).apply_to(&mut d.established_on);
        self.participant_count.apply_to(&mut d.participant_count);
        self.status.apply_required("status", &mut d.status, errors);
        self.description.apply_to(&mut d.description);
    }
}

/// Refuses (403) a user who is not an administrator writing another unit's model: units record
/// the models they sponsor. Agency clients write for any unit, as their scope allows.
pub fn check_sponsor(p: &Principal, unit_id: Uuid) -> ApiResult<()> {
    if p.is_admin() || p.kind == PrincipalKind::Client || p.unit_id == unit_id {
        return Ok(());
    }
    Err(ApiError::forbidden(text!(
        en: "Units record only the community models they sponsor.",
        vi: "Đơn vị chỉ ghi nhận các mô hình do mình bảo trợ."
    )))
}

impl Resource for community_models::Entity {
    type Draft = CommunityModelDraft;

    async fn draft<C: ConnectionTrait>(_db: &C, m: &community_models::Model) -> ApiResult<CommunityModelDraft> {
        Ok(CommunityModelDraft {
            name: m.name.clone(),
            kind: CommunityModelKind::from_stored(&m.kind)?,
            area_id: m.area_id,
            sponsoring_unit_id: m.sponsoring_unit_id,
            established_on: m.established_on,
            participant_count: m.participant_count,
            status: CommunityModelStatus::from_stored(&m.status)?,
            description: m.description.clone(),
        })
    }

    async fn validate<C: ConnectionTrait>(db: &C, d: &mut CommunityModelDraft, current: Option<&community_models::Model>) -> ApiResult<()> {
        let mut v = Validator::new();
        d.name = v.text("name", &d.name, 300);
        d.description = v.opt_text("description", d.description.as_deref(), 4000);
        if let Some(n) = d.participant_count {
            v.range("participant_count", i64::from(n), 0, MAX_PARTICIPANTS);
        }
        if d.established_on.is_some_and(|day| day > db::today()) {
            v.push(FieldError::invalid(
                "established_on",
                text!(en: "Must not be in the future.", vi: "Không được ở tương lai."),
            ));
        }
        if current.is_none_or(|c| c.area_id != d.area_id) {
            common::check_reference::<areas::Entity, _>(db, &mut v, "area_id", Some(d.area_id)).await?;
        }
        if current.is_none() {
            common::check_reference::<units::Entity, _>(db, &mut v, "sponsoring_unit_id", Some(d.sponsoring_unit_id)).await?;
        }
        v.finish()
    }

    fn columns(d: &CommunityModelDraft) -> community_models::ActiveModel {
        let mut searchable = vec![d.name.as_str()];
        searchable.extend(d.description.as_deref());
        community_models::ActiveModel {
            name: Set(d.name.clone()),
            kind: Set(d.kind.stored()),
            area_id: Set(d.area_id),
            sponsoring_unit_id: Set(d.sponsoring_unit_id),
            established_on: Set(d.established_on),
            participant_count: Set(d.participant_count),
            status: Set(d.status.stored()),
            description: Set(d.description.clone()),
            search_text: Set(search::search_text(searchable)),
            sort_key: Set(search::sort_key(&d.name)),
            ..Default::default()
        }
    }
}

/// Response bodies, with their sponsoring units loaded in two queries.
pub async fn views<C: ConnectionTrait>(db: &C, models: Vec<community_models::Model>) -> ApiResult<Vec<CommunityModel>> {
    let units = unit_service::summaries(db, models.iter().map(|m| m.sponsoring_unit_id)).await?;
    models
        .into_iter()
        .map(|m| {
            let unit = units
                .get(&m.sponsoring_unit_id)
                .cloned()
                .ok_or_else(|| ApiError::internal("sponsoring unit missing"))?;
            CommunityModel::from_model(m, unit)
        })
        .collect()
}

pub async fn view<C: ConnectionTrait>(db: &C, model: community_models::Model) -> ApiResult<CommunityModel> {
    views(db, vec![model])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("community model view lost"))
}

pub async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> ApiResult<community_models::Model> {
    live::<community_models::Entity>()
        .filter(community_models::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(community_models::Entity::NOUN))
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    f: &CommunityModelListParams,
    page: &PageRequest,
) -> ApiResult<(Vec<CommunityModel>, Option<String>)> {
    let mut select = live::<community_models::Entity>();
    if let Some(terms) = search::query_terms(f.q.as_deref())? {
        select = select.filter(search::matches_all(community_models::Column::SearchText, &terms));
    }
    if let Some(id) = f.area_id {
        select = select.filter(community_models::Column::AreaId.eq(id));
    }
    if let Some(id) = f.sponsoring_unit_id {
        select = select.filter(community_models::Column::SponsoringUnitId.eq(id));
    }
    if let Some(kind) = f.kind {
        select = select.filter(community_models::Column::Kind.eq(kind.stored()));
    }
    if let Some(status) = f.status {
        select = select.filter(community_models::Column::Status.eq(status.stored()));
    }
    let (rows, next) = fetch_page(db, select, community_models::Column::Id, f.sort, page).await?;
    Ok((views(db, rows).await?, next))
}
