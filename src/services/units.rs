//! Agency units: validation of the hierarchy (no cycles), references and contact details.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use entity::{areas, cluster_members, regulation_signatories, regulations, units};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::common::{self, Record, Resource, live};
use crate::domain::{Force, Stored, UnitLevel};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::pagination::{PageRequest, fetch_page};
use crate::patch::Patch;
use crate::routes::units::{CreateUnitRequest, UnitListParams, UpdateUnitRequest};
use crate::search;
use crate::text;
use crate::validation::Validator;
use crate::views::units::{Unit, UnitRef, UnitSummary};

/// Deepest hierarchy walked when looking for cycles; real hierarchies have four levels.
const MAX_DEPTH: usize = 32;

/// The writable state of a unit.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitDraft {
    pub name: String,
    pub short_name: Option<String>,
    pub force: Force,
    pub level: UnitLevel,
    pub parent_id: Option<Uuid>,
    pub area_id: Option<Uuid>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub successor_id: Option<Uuid>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

impl From<CreateUnitRequest> for UnitDraft {
    fn from(r: CreateUnitRequest) -> Self {
        let contact = r.contact.unwrap_or_default();
        Self {
            name: r.name,
            short_name: r.short_name,
            force: r.force,
            level: r.level,
            parent_id: r.parent_id,
            area_id: r.area_id,
            valid_from: r.valid_from.map(Into::into),
            valid_to: r.valid_to.map(Into::into),
            successor_id: r.successor_id,
            phone: contact.phone,
            email: contact.email,
            address: contact.address,
        }
    }
}

impl UpdateUnitRequest {
    pub fn apply(self, d: &mut UnitDraft, errors: &mut Vec<FieldError>) {
        self.name.apply_required("name", &mut d.name, errors);
        self.short_name.apply_to(&mut d.short_name);
        self.force.apply_required("force", &mut d.force, errors);
        self.level.apply_required("level", &mut d.level, errors);
        self.parent_id.apply_to(&mut d.parent_id);
        self.area_id.apply_to(&mut d.area_id);
        self.valid_from.map(Into::into).apply_to(&mut d.valid_from);
        self.valid_to.map(Into::into).apply_to(&mut d.valid_to);
        self.successor_id.apply_to(&mut d.successor_id);
        match self.contact {
            Patch::Absent => {}
            Patch::Null => (d.phone, d.email, d.address) = (None, None, None),
            Patch::Value(contact) => {
                contact.phone.apply_to(&mut d.phone);
                contact.email.apply_to(&mut d.email);
                contact.address.apply_to(&mut d.address);
            }
        }
    }
}

impl Resource for units::Entity {
    type Draft = UnitDraft;

    async fn draft<C: ConnectionTrait>(_db: &C, m: &units::Model) -> ApiResult<UnitDraft> {
        Ok(UnitDraft {
            name: m.name.clone(),
            short_name: m.short_name.clone(),
            force: Force::from_stored(&m.force)?,
            level: UnitLevel::from_stored(&m.level)?,
            parent_id: m.parent_id,
            area_id: m.area_id,
            valid_from: m.valid_from,
            valid_to: m.valid_to,
            successor_id: m.successor_id,
            phone: m.contact_phone.clone(),
            email: m.contact_email.clone(),
            address: m.contact_address.clone(),
        })
    }

    async fn validate<C: ConnectionTrait>(db: &C, d: &mut UnitDraft, current: Option<&units::Model>) -> ApiResult<()> {
        let mut v = Validator::new();
        let self_id = current.map(|c| c.id);
        d.name = v.text("name", &d.name, 300);
        d.short_name = v.opt_text("short_name", d.short_name.as_deref(), 100);
        d.phone = v.opt_text("contact.phone", d.phone.as_deref(), 50);
        if let Some(phone) = &d.phone
            && !phone.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            v.push(FieldError::invalid(
                "contact.phone",
                text!(en: "Use digits, spaces and + - ( ) . only.", vi: "Chỉ dùng chữ số, dấu cách và + - ( ) ."),
            ));
        }
        d.email = v.opt_text("contact.email", d.email.as_deref(), 254);
        if let Some(email) = &d.email
            && !looks_like_email(email)
        {
            v.push(FieldError::invalid(
                "contact.email",
                text!(en: "Not an e-mail address.", vi: "Không phải địa chỉ thư điện tử."),
            ));
        }
        d.address = v.opt_text("contact.address", d.address.as_deref(), 500);
        v.period(("valid_from", d.valid_from), ("valid_to", d.valid_to));
        common::check_reference::<areas::Entity, _>(db, &mut v, "area_id", d.area_id).await?;
        check_parent(db, &mut v, d.parent_id, self_id).await?;
        if d.successor_id.is_some() && d.successor_id == self_id {
            v.push(FieldError::invalid(
                "successor_id",
                text!(en: "A unit cannot succeed itself.", vi: "Đơn vị không thể kế thừa chính nó."),
            ));
        } else {
            common::check_reference::<units::Entity, _>(db, &mut v, "successor_id", d.successor_id).await?;
        }
        v.finish()
    }

    fn columns(d: &UnitDraft) -> units::ActiveModel {
        let mut searchable = vec![d.name.as_str()];
        searchable.extend(d.short_name.as_deref());
        units::ActiveModel {
            name: Set(d.name.clone()),
            short_name: Set(d.short_name.clone()),
            force: Set(d.force.stored()),
            level: Set(d.level.stored()),
            parent_id: Set(d.parent_id),
            area_id: Set(d.area_id),
            valid_from: Set(d.valid_from),
            valid_to: Set(d.valid_to),
            successor_id: Set(d.successor_id),
            contact_phone: Set(d.phone.clone()),
            contact_email: Set(d.email.clone()),
            contact_address: Set(d.address.clone()),
            search_text: Set(search::search_text(searchable)),
            sort_key: Set(search::sort_key(&d.name)),
            ..Default::default()
        }
    }

    async fn check_deletable<C: ConnectionTrait>(db: &C, m: &units::Model) -> ApiResult<()> {
        let children = live::<units::Entity>()
            .filter(
                Condition::any()
                    .add(units::Column::ParentId.eq(m.id))
                    .add(units::Column::SuccessorId.eq(m.id)),
            )
            .count(db)
            .await?;
        let memberships = live::<cluster_members::Entity>()
            .filter(cluster_members::Column::UnitId.eq(m.id))
            .count(db)
            .await?;
        let signed = regulation_signatories::Entity::find()
            .filter(regulation_signatories::Column::UnitId.eq(m.id))
            .filter(regulation_signatories::Column::RegulationId.in_subquery(common::live_ids_query::<regulations::Entity>()))
            .count(db)
            .await?;
        if children + memberships + signed > 0 {
            return Err(ApiError::conflict(text!(
                en: "The unit has {children} child or successor units, {memberships} cluster memberships and {signed} signed regulations; \
                     records about it must stay true, so set its `valid_to` instead of deleting it.",
                vi: "Đơn vị có {children} đơn vị trực thuộc hoặc kế thừa, {memberships} tư cách thành viên cụm và {signed} quy chế đã ký; \
                     để hồ sơ liên quan luôn đúng, hãy đặt `valid_to` thay vì xóa đơn vị."
            )));
        }
        Ok(())
    }
}

fn looks_like_email(email: &str) -> bool {
    let mut parts = email.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains(char::is_whitespace)
        }
        _ => false,
    }
}

/// The parent must exist and must not be the unit itself or one of its descendants.
async fn check_parent<C: ConnectionTrait>(db: &C, v: &mut Validator, parent_id: Option<Uuid>, self_id: Option<Uuid>) -> ApiResult<()> {
    let Some(parent_id) = parent_id else {
        return Ok(());
    };
    let mut next = Some(parent_id);
    for depth in 0..MAX_DEPTH {
        let Some(id) = next else {
            return Ok(());
        };
        if Some(id) == self_id {
            v.push(FieldError::invalid(
                "parent_id",
                text!(
                    en: "The unit would report to itself through its own descendants.",
                    vi: "Đơn vị sẽ trực thuộc chính nó thông qua các đơn vị cấp dưới."
                ),
            ));
            return Ok(());
        }
        let found: Option<Option<Uuid>> = live::<units::Entity>()
            .select_only()
            .column(units::Column::ParentId)
            .filter(units::Column::Id.eq(id))
            .into_tuple()
            .one(db)
            .await?;
        match found {
            Some(grandparent) => next = grandparent,
            None if depth == 0 => {
                v.push(FieldError::unknown_reference("parent_id", units::Entity::NOUN));
                return Ok(());
            }
            None => return Ok(()),
        }
    }
    v.push(FieldError::invalid(
        "parent_id",
        text!(en: "The hierarchy above this parent is too deep.", vi: "Cây cấp trên của đơn vị này quá sâu."),
    ));
    Ok(())
}

/// Loads units by id for showing inside other records. Deleted units are included: a record
/// that names one keeps showing what it named.
pub async fn load<C: ConnectionTrait>(db: &C, ids: impl IntoIterator<Item = Uuid>) -> ApiResult<HashMap<Uuid, units::Model>> {
    let ids: HashSet<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = units::Entity::find().filter(units::Column::Id.is_in(ids)).all(db).await?;
    Ok(rows.into_iter().map(|u| (u.id, u)).collect())
}

/// The columns of a unit its summary shows: id, name, short name, force, level and parent.
type SummaryRow = (Uuid, String, Option<String>, String, String, Option<Uuid>);

/// Summaries (with parents) of the given units, in two queries of only the columns a summary
/// shows. Deleted units are included, as in [`load`].
pub async fn summaries<C: ConnectionTrait>(db: &C, ids: impl IntoIterator<Item = Uuid>) -> ApiResult<HashMap<Uuid, UnitSummary>> {
    use units::Column;
    let ids: HashSet<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<SummaryRow> = units::Entity::find()
        .select_only()
        .columns([
            Column::Id,
            Column::Name,
            Column::ShortName,
            Column::Force,
            Column::Level,
            Column::ParentId,
        ])
        .filter(Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    let parent_ids: HashSet<Uuid> = rows.iter().filter_map(|row| row.5).collect();
    let parents: HashMap<Uuid, UnitRef> = if parent_ids.is_empty() {
        HashMap::new()
    } else {
        units::Entity::find()
            .select_only()
            .columns([Column::Id, Column::Name, Column::ShortName])
            .filter(Column::Id.is_in(parent_ids))
            .into_tuple::<(Uuid, String, Option<String>)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(id, name, short_name)| (id, UnitRef { id, name, short_name }))
            .collect()
    };
    rows.into_iter()
        .map(|(id, name, short_name, force, level, parent_id)| {
            let summary = UnitSummary {
                id,
                name,
                short_name,
                force: Force::from_stored(&force)?,
                level: UnitLevel::from_stored(&level)?,
                parent: parent_id.and_then(|p| parents.get(&p).cloned()),
            };
            Ok((id, summary))
        })
        .collect()
}

async fn views<C: ConnectionTrait>(db: &C, models: Vec<units::Model>) -> ApiResult<Vec<Unit>> {
    let parents = load(db, models.iter().filter_map(|u| u.parent_id)).await?;
    models
        .into_iter()
        .map(|m| {
            let parent = m.parent_id.and_then(|p| parents.get(&p));
            Unit::from_model(m, parent)
        })
        .collect()
}

/// The response body of one unit.
pub async fn view<C: ConnectionTrait>(db: &C, model: units::Model) -> ApiResult<Unit> {
    let mut list = views(db, vec![model]).await?;
    list.pop().ok_or_else(|| ApiError::internal("unit view lost"))
}

pub async fn list<C: ConnectionTrait>(db: &C, f: &UnitListParams, page: &PageRequest) -> ApiResult<(Vec<Unit>, Option<String>)> {
    let mut select = live::<units::Entity>();
    if let Some(terms) = search::query_terms(f.q.as_deref())? {
        select = select.filter(search::matches_all(units::Column::SearchText, &terms));
    }
    if let Some(force) = f.force {
        select = select.filter(units::Column::Force.eq(force.stored()));
    }
    if let Some(level) = f.level {
        select = select.filter(units::Column::Level.eq(level.stored()));
    }
    if let Some(parent_id) = f.parent_id {
        select = select.filter(units::Column::ParentId.eq(parent_id));
    }
    if let Some(area_id) = f.area_id {
        select = select.filter(units::Column::AreaId.eq(area_id));
    }
    if let Some(day) = f.active_on {
        select = select.filter(common::active_on(units::Column::ValidFrom, units::Column::ValidTo, day));
    }
    let (rows, next) = fetch_page(db, select, units::Column::Id, f.sort, page).await?;
    Ok((views(db, rows).await?, next))
}

pub async fn get<C: ConnectionTrait>(db: &C, id: Uuid) -> ApiResult<Unit> {
    view(db, common::find_live::<units::Entity, _>(db, id).await?).await
}

#[cfg(test)]
mod tests {
    use super::looks_like_email;

    #[test]
    fn recognises_email_addresses() {
        let cases = [
            ("conganhuyen@hanoi.gov.vn", true),
            ("a@b.vn", true),
            ("no-at-sign.vn", false),
            ("two@@signs.vn", false),
            ("a@localhost", false),
            ("a b@c.vn", false),
            ("@c.vn", false),
        ];
        for (email, expected) in cases {
            assert_eq!(looks_like_email(email), expected, "{email}");
        }
    }
}
