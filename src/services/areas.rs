//! Administrative areas: validation against the GSO coding rules, hierarchy and validity.

use chrono::NaiveDate;
use entity::{areas, units};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

use super::common::{self, Record, Resource, live};
use crate::domain::{AreaLevel, Stored};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::pagination::{PageRequest, fetch_page};
use crate::routes::areas::{AreaListParams, CreateAreaRequest, UpdateAreaRequest};
use crate::search;
use crate::text;
use crate::validation::Validator;
use crate::views::areas::Area;

/// The writable state of an area.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaDraft {
    pub code: String,
    pub name: String,
    pub level: AreaLevel,
    pub parent_id: Option<Uuid>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub successor_id: Option<Uuid>,
}

impl From<CreateAreaRequest> for AreaDraft {
    fn from(r: CreateAreaRequest) -> Self {
        Self {
            code: r.code,
            name: r.name,
            level: r.level,
            parent_id: r.parent_id,
            valid_from: r.valid_from.map(Into::into),
            valid_to: r.valid_to.map(Into::into),
            successor_id: r.successor_id,
        }
    }
}

impl UpdateAreaRequest {
    pub fn apply(self, d: &mut AreaDraft, errors: &mut Vec<FieldError>) {
        self.code.apply_required("code", &mut d.code, errors);
        self.name.apply_required("name", &mut d.name, errors);
        self.level.apply_required("level", &mut d.level, errors);
        self.parent_id.apply_to(&mut d.parent_id);
        self.valid_from.map(Into::into).apply_to(&mut d.valid_from);
        self.valid_to.map(Into::into).apply_to(&mut d.valid_to);
        self.successor_id.apply_to(&mut d.successor_id);
    }
}

/// Digits an official code has at each level.
fn code_length(level: AreaLevel) -> usize {
    match level {
        AreaLevel::Province => 2,
        AreaLevel::District => 3,
        AreaLevel::Commune => 5,
    }
}

impl Resource for areas::Entity {
    type Draft = AreaDraft;

    async fn draft<C: ConnectionTrait>(_db: &C, m: &areas::Model) -> ApiResult<AreaDraft> {
        Ok(AreaDraft {
            code: m.code.clone(),
            name: m.name.clone(),
            level: AreaLevel::from_stored(&m.level)?,
            parent_id: m.parent_id,
            valid_from: m.valid_from,
            valid_to: m.valid_to,
            successor_id: m.successor_id,
        })
    }

    async fn validate<C: ConnectionTrait>(db: &C, d: &mut AreaDraft, current: Option<&areas::Model>) -> ApiResult<()> {
        let mut v = Validator::new();
        let self_id = current.map(|c| c.id);
        d.name = v.text("name", &d.name, 200);
        d.code = d.code.trim().to_owned();
        let digits = code_length(d.level);
        if d.code.len() != digits || !d.code.bytes().all(|b| b.is_ascii_digit()) {
            let level = d.level.as_ref().to_owned();
            v.push(FieldError::invalid(
                "code",
                text!(
                    en: "A {level} code is exactly {digits} digits (GSO coding).",
                    vi: "Mã cấp {level} gồm đúng {digits} chữ số (theo mã GSO)."
                ),
            ));
        }
        v.period(("valid_from", d.valid_from), ("valid_to", d.valid_to));
        check_parent(db, &mut v, d.level, d.parent_id).await?;
        if d.successor_id.is_some() && d.successor_id == self_id {
            v.push(FieldError::invalid(
                "successor_id",
                text!(en: "An area cannot succeed itself.", vi: "Khu vực không thể kế thừa chính nó."),
            ));
        } else {
            common::check_reference::<areas::Entity, _>(db, &mut v, "successor_id", d.successor_id).await?;
        }
        if let Some(current) = current
            && current.level != d.level.stored()
            && live::<areas::Entity>()
                .filter(areas::Column::ParentId.eq(current.id))
                .count(db)
                .await?
                > 0
        {
            v.push(FieldError::invalid(
                "level",
                text!(
                    en: "The level cannot change while other areas lie in this one.",
                    vi: "Không thể đổi cấp khi còn khu vực khác trực thuộc khu vực này."
                ),
            ));
        }
        v.finish()?;

        common::serialize_on(db, &format!("areas:{}:{}", d.level.as_ref(), d.code)).await?;
        let mut clash = live::<areas::Entity>()
            .filter(areas::Column::Level.eq(d.level.stored()))
            .filter(areas::Column::Code.eq(d.code.clone()))
            .filter(common::overlapping(
                areas::Column::ValidFrom,
                areas::Column::ValidTo,
                d.valid_from,
                d.valid_to,
            ));
        if let Some(id) = self_id {
            clash = clash.filter(areas::Column::Id.ne(id));
        }
        if clash.count(db).await? > 0 {
            let code = d.code.clone();
            return Err(ApiError::conflict_on(
                "code",
                text!(
                    en: "Another area of this level has code {code} during an overlapping period.",
                    vi: "Đã có khu vực cùng cấp mang mã {code} trong khoảng thời gian trùng lặp."
                ),
            ));
        }
        Ok(())
    }

    fn columns(d: &AreaDraft) -> areas::ActiveModel {
        areas::ActiveModel {
            code: Set(d.code.clone()),
            name: Set(d.name.clone()),
            level: Set(d.level.stored()),
            parent_id: Set(d.parent_id),
            valid_from: Set(d.valid_from),
            valid_to: Set(d.valid_to),
            successor_id: Set(d.successor_id),
            search_text: Set(search::search_text([d.name.as_str(), d.code.as_str()])),
            sort_key: Set(search::sort_key(&d.name)),
            ..Default::default()
        }
    }

    async fn check_deletable<C: ConnectionTrait>(db: &C, m: &areas::Model) -> ApiResult<()> {
        let children = live::<areas::Entity>()
            .filter(
                Condition::any()
                    .add(areas::Column::ParentId.eq(m.id))
                    .add(areas::Column::SuccessorId.eq(m.id)),
            )
            .count(db)
            .await?;
        let units = live::<units::Entity>().filter(units::Column::AreaId.eq(m.id)).count(db).await?;
        if children + units > 0 {
            return Err(ApiError::conflict(text!(
                en: "The area still has {children} areas under it or succeeding it and {units} units in it; move or delete them first.",
                vi: "Khu vực còn {children} khu vực trực thuộc hoặc kế thừa và {units} đơn vị; hãy chuyển hoặc xóa chúng trước."
            )));
        }
        Ok(())
    }
}

async fn check_parent<C: ConnectionTrait>(db: &C, v: &mut Validator, level: AreaLevel, parent_id: Option<Uuid>) -> ApiResult<()> {
    let allowed = level.allowed_parents();
    let Some(parent_id) = parent_id else {
        if !allowed.is_empty() {
            v.push(FieldError::required("parent_id"));
        }
        return Ok(());
    };
    if allowed.is_empty() {
        v.push(FieldError::invalid(
            "parent_id",
            text!(en: "A province has no parent area.", vi: "Tỉnh/thành phố không có khu vực cấp trên."),
        ));
        return Ok(());
    }
    let Some(parent) = live::<areas::Entity>().filter(areas::Column::Id.eq(parent_id)).one(db).await? else {
        v.push(FieldError::unknown_reference("parent_id", areas::Entity::NOUN));
        return Ok(());
    };
    let parent_level = AreaLevel::from_stored(&parent.level)?;
    if !allowed.contains(&parent_level) {
        let (level, parent_level) = (level.as_ref().to_owned(), parent_level.as_ref().to_owned());
        v.push(FieldError::invalid(
            "parent_id",
            text!(
                en: "A {level} cannot lie directly in a {parent_level}.",
                vi: "Khu vực cấp {level} không thể trực thuộc trực tiếp khu vực cấp {parent_level}."
            ),
        ));
    }
    Ok(())
}

pub async fn list<C: ConnectionTrait>(db: &C, f: &AreaListParams, page: &PageRequest) -> ApiResult<(Vec<Area>, Option<String>)> {
    let mut select = live::<areas::Entity>();
    if let Some(terms) = search::query_terms(f.q.as_deref())? {
        select = select.filter(search::matches_all(areas::Column::SearchText, &terms));
    }
    if let Some(level) = f.level {
        select = select.filter(areas::Column::Level.eq(level.stored()));
    }
    if let Some(parent_id) = f.parent_id {
        select = select.filter(areas::Column::ParentId.eq(parent_id));
    }
    if let Some(code) = &f.code {
        select = select.filter(areas::Column::Code.eq(code.trim()));
    }
    if let Some(day) = f.active_on {
        select = select.filter(common::active_on(areas::Column::ValidFrom, areas::Column::ValidTo, day));
    }
    let (rows, next) = fetch_page(db, select, areas::Column::Id, f.sort, page).await?;
    let items = rows.into_iter().map(Area::from_model).collect::<ApiResult<_>>()?;
    Ok((items, next))
}

pub async fn get<C: ConnectionTrait>(db: &C, id: Uuid) -> ApiResult<Area> {
    Area::from_model(common::find_live::<areas::Entity, _>(db, id).await?)
}
