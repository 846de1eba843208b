//! Meetings and their action items: what they hold, who may write them, and when an item is
//! overdue.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{action_items, clusters, meeting_attendees, meeting_figures, meetings, units};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::common::{self, Record, Resource, live};
use super::units as unit_service;
use super::{access, memberships};
use crate::auth::Principal;
use crate::db;
use crate::domain::{ActionItemStatus, Classification, Lifecycle, MeetingKind, Stored};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::pagination::{PageRequest, fetch_page};
use crate::routes::meetings::{
    ActionItemListParams, CreateActionItemRequest, CreateMeetingRequest, MeetingListParams, UpdateActionItemRequest, UpdateMeetingRequest,
};
use crate::search;
use crate::text;
use crate::validation::Validator;
use crate::views::meetings::{ActionItem, Meeting, ReportedFigure};

/// Most attending units or reported figures of one meeting.
const MAX_LIST: usize = 100;

/// The writable state of a meeting, with its attending units and reported figures.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingDraft {
    pub cluster_id: Uuid,
    pub kind: MeetingKind,
    pub title: String,
    pub held_at: DateTime<Utc>,
    pub host_unit_id: Uuid,
    pub attending_unit_ids: Vec<Uuid>,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    pub location: Option<String>,
    pub summary: Option<String>,
    pub classification: Classification,
    pub reported_figures: Vec<ReportedFigure>,
}

impl MeetingDraft {
    /// A new meeting of `cluster`: the host defaults to the caller's unit, the classification to
    /// the cluster's.
    pub fn new(p: &Principal, cluster: &clusters::Model, r: CreateMeetingRequest) -> ApiResult<Self> {
        Ok(Self {
            cluster_id: cluster.id,
            kind: r.kind,
            title: r.title,
            held_at: r.held_at.into(),
            host_unit_id: r.host_unit_id.unwrap_or(p.unit_id),
            attending_unit_ids: r.attending_unit_ids,
            period_from: r.period_from.map(Into::into),
            period_to: r.period_to.map(Into::into),
            location: r.location,
            summary: r.summary,
            classification: match r.classification {
                Some(c) => c,
                None => Classification::from_stored(&cluster.classification)?,
            },
            reported_figures: r.reported_figures,
        })
    }
}

impl UpdateMeetingRequest {
    pub fn apply(self, d: &mut MeetingDraft, errors: &mut Vec<FieldError>) {
        self.kind.apply_required("kind", &mut d.kind, errors);
        self.title.apply_required("title", &mut d.title, errors);
        self.held_at.map(Into::into).apply_required("held_at", &mut d.held_at, errors);
        self.attending_unit_ids.apply_to_list(&mut d.attending_unit_ids);
        self.period_from.map(Into::into).apply_to(&mut d.period_from);
        self.period_to.map(Into::into).apply_to(&mut d.period_to);
        self.location.apply_to(&mut d.location);
        self.summary.apply_to(&mut d.summary);
        self.classification.apply_required("classification", &mut d.classification, errors);
        self.reported_figures.apply_to_list(&mut d.reported_figures);
    }
}

impl Resource for meetings::Entity {
    type Draft = MeetingDraft;

    async fn draft<C: ConnectionTrait>(db: &C, m: &meetings::Model) -> ApiResult<MeetingDraft> {
        let (mut attendees, mut figures) = children(db, &[m.id]).await?;
        Ok(MeetingDraft {
            cluster_id: m.cluster_id,
            kind: MeetingKind::from_stored(&m.kind)?,
            title: m.title.clone(),
            held_at: m.held_at,
            host_unit_id: m.host_unit_id,
            attending_unit_ids: attendees.remove(&m.id).unwrap_or_default(),
            period_from: m.period_from,
            period_to: m.period_to,
            location: m.location.clone(),
            summary: m.summary.clone(),
            classification: Classification::from_stored(&m.classification)?,
            reported_figures: figures.remove(&m.id).unwrap_or_default(),
        })
    }

    async fn validate<C: ConnectionTrait>(db: &C, d: &mut MeetingDraft, current: Option<&meetings::Model>) -> ApiResult<()> {
        let mut v = Validator::new();
        d.title = v.text("title", &d.title, 300);
        d.location = v.opt_text("location", d.location.as_deref(), 500);
        d.summary = v.opt_text("summary", d.summary.as_deref(), 8000);
        if let (Some(from), Some(to)) = (d.period_from, d.period_to)
            && to < from
        {
            v.push(FieldError::date_order("period_to", "period_from"));
        }
        if v.max_items("attending_unit_ids", d.attending_unit_ids.len(), MAX_LIST) {
            d.attending_unit_ids.retain(|id| *id != d.host_unit_id);
            d.attending_unit_ids.insert(0, d.host_unit_id);
            let known = common::live_ids::<units::Entity, _>(db, d.attending_unit_ids.iter().copied()).await?;
            let mut seen = HashSet::new();
            for (i, id) in d.attending_unit_ids.iter().enumerate().skip(1) {
                let field = format!("attending_unit_ids[{}]", i - 1);
                if !seen.insert(*id) {
                    v.push(FieldError::new(
                        field,
                        "duplicate",
                        text!(en: "The unit is listed twice.", vi: "Đơn vị được liệt kê hai lần."),
                    ));
                } else if !known.contains(id) {
                    v.push(FieldError::unknown_reference(field, units::Entity::NOUN));
                }
            }
        }
        if v.max_items("reported_figures", d.reported_figures.len(), MAX_LIST) {
            for (i, f) in d.reported_figures.iter_mut().enumerate() {
                f.name = v.text(&format!("reported_figures[{i}].name"), &f.name, 200);
                f.unit = v.opt_text(&format!("reported_figures[{i}].unit"), f.unit.as_deref(), 32);
                f.note = v.opt_text(&format!("reported_figures[{i}].note"), f.note.as_deref(), 500);
                if !f.value.is_finite() || f.value.abs() > 1e15 {
                    v.push(FieldError::invalid(
                        format!("reported_figures[{i}].value"),
                        text!(en: "Must be a number of at most 15 digits.", vi: "Phải là số có tối đa 15 chữ số."),
                    ));
                }
            }
        }
        if current.is_none_or(|c| c.host_unit_id != d.host_unit_id)
            && !memberships::is_current_member(db, d.cluster_id, d.host_unit_id).await?
        {
            v.push(FieldError::new(
                "host_unit_id",
                "not_a_member",
                text!(
                    en: "The host must be a current member unit of the cluster.",
                    vi: "Đơn vị chủ trì phải đang là thành viên của cụm."
                ),
            ));
        }
        v.finish()
    }

    fn columns(d: &MeetingDraft) -> meetings::ActiveModel {
        let mut searchable = vec![d.title.as_str()];
        searchable.extend(d.location.as_deref());
        searchable.extend(d.summary.as_deref());
        meetings::ActiveModel {
            cluster_id: Set(d.cluster_id),
            kind: Set(d.kind.stored()),
            title: Set(d.title.clone()),
            held_at: Set(d.held_at),
            host_unit_id: Set(d.host_unit_id),
            period_from: Set(d.period_from),
            period_to: Set(d.period_to),
            location: Set(d.location.clone()),
            summary: Set(d.summary.clone()),
            classification: Set(d.classification.stored()),
            search_text: Set(search::search_text(searchable)),
            sort_key: Set(db::time_text(d.held_at)),
            ..Default::default()
        }
    }

    async fn after_save<C: ConnectionTrait>(db: &C, id: Uuid, d: &MeetingDraft, _current: Option<&meetings::Model>) -> ApiResult<()> {
        meeting_attendees::Entity::delete_many()
            .filter(meeting_attendees::Column::MeetingId.eq(id))
            .exec(db)
            .await?;
        meeting_figures::Entity::delete_many()
            .filter(meeting_figures::Column::MeetingId.eq(id))
            .exec(db)
            .await?;
        let attendees = d
            .attending_unit_ids
            .iter()
            .zip(0..)
            .map(|(unit_id, position)| meeting_attendees::ActiveModel {
                meeting_id: Set(id),
                unit_id: Set(*unit_id),
                position: Set(position),
            });
        meeting_attendees::Entity::insert_many(attendees).exec_without_returning(db).await?;
        let figures = d
            .reported_figures
            .iter()
            .zip(0..)
            .map(|(f, position)| meeting_figures::ActiveModel {
                meeting_id: Set(id),
                position: Set(position),
                name: Set(f.name.clone()),
                value: Set(f.value),
                unit: Set(f.unit.clone()),
                note: Set(f.note.clone()),
            });
        meeting_figures::Entity::insert_many(figures).exec_without_returning(db).await?;
        Ok(())
    }

    async fn check_deletable<C: ConnectionTrait>(db: &C, m: &meetings::Model) -> ApiResult<()> {
        let items = live::<action_items::Entity>()
            .filter(action_items::Column::MeetingId.eq(m.id))
            .count(db)
            .await?;
        if items > 0 {
            return Err(ApiError::conflict(text!(
                en: "The meeting has action items; delete or drop those first.",
                vi: "Cuộc họp còn nhiệm vụ; hãy xóa hoặc hủy các nhiệm vụ đó trước."
            )));
        }
        Ok(())
    }

    async fn classification<C: ConnectionTrait>(db: &C, m: &meetings::Model) -> ApiResult<Option<String>> {
        let cluster = access::cluster_classification(db, m.cluster_id).await?;
        Ok(Some(access::stricter(&m.classification, cluster.as_deref())))
    }
}

type Children = (HashMap<Uuid, Vec<Uuid>>, HashMap<Uuid, Vec<ReportedFigure>>);

/// The attending units and reported figures of the given meetings, in their stored order.
async fn children<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> ApiResult<Children> {
    let mut attendees: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let mut figures: HashMap<Uuid, Vec<ReportedFigure>> = HashMap::new();
    if ids.is_empty() {
        return Ok((attendees, figures));
    }
    for a in meeting_attendees::Entity::find()
        .filter(meeting_attendees::Column::MeetingId.is_in(ids.to_vec()))
        .order_by_asc(meeting_attendees::Column::Position)
        .all(db)
        .await?
    {
        attendees.entry(a.meeting_id).or_default().push(a.unit_id);
    }
    for f in meeting_figures::Entity::find()
        .filter(meeting_figures::Column::MeetingId.is_in(ids.to_vec()))
        .order_by_asc(meeting_figures::Column::Position)
        .all(db)
        .await?
    {
        figures.entry(f.meeting_id).or_default().push(ReportedFigure {
            name: f.name,
            value: f.value,
            unit: f.unit,
            note: f.note,
        });
    }
    Ok((attendees, figures))
}

/// Meetings the caller may see: in its clusters, within its clearance.
pub fn visible(p: &Principal) -> Condition {
    access::visible_cluster_records(meetings::Column::ClusterId, meetings::Column::Classification, p)
}

/// A meeting the caller may see, or 404.
pub async fn find_visible<C: ConnectionTrait>(db: &C, p: &Principal, id: Uuid) -> ApiResult<meetings::Model> {
    common::find_live_where::<meetings::Entity, _>(db, id, visible(p)).await
}

pub async fn views<C: ConnectionTrait>(db: &C, models: Vec<meetings::Model>) -> ApiResult<Vec<Meeting>> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let (mut attendees, mut figures) = children(db, &ids).await?;
    let units = unit_service::summaries(
        db,
        attendees.values().flatten().copied().chain(models.iter().map(|m| m.host_unit_id)),
    )
    .await?;
    let unit = |id: &Uuid| units.get(id).cloned().ok_or_else(|| ApiError::internal("meeting unit missing"));
    models
        .into_iter()
        .map(|m| {
            let attending = attendees
                .remove(&m.id)
                .unwrap_or_default()
                .iter()
                .map(unit)
                .collect::<ApiResult<_>>()?;
            let figures = figures.remove(&m.id).unwrap_or_default();
            let host = unit(&m.host_unit_id)?;
            Meeting::from_model(m, host, attending, figures)
        })
        .collect()
}

pub async fn view<C: ConnectionTrait>(db: &C, model: meetings::Model) -> ApiResult<Meeting> {
    views(db, vec![model])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("meeting view lost"))
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    f: &MeetingListParams,
    page: &PageRequest,
) -> ApiResult<(Vec<Meeting>, Option<String>)> {
    let mut select = live::<meetings::Entity>().filter(visible(p));
    if let Some(terms) = search::query_terms(f.q.as_deref())? {
        select = select.filter(search::matches_all(meetings::Column::SearchText, &terms));
    }
    if let Some(id) = f.cluster_id {
        select = select.filter(meetings::Column::ClusterId.eq(id));
    }
    if let Some(id) = f.unit_id {
        let attended = Query::select()
            .column(meeting_attendees::Column::MeetingId)
            .from(meeting_attendees::Entity)
            .and_where(meeting_attendees::Column::UnitId.eq(id))
            .to_owned();
        select = select.filter(meetings::Column::Id.in_subquery(attended));
    }
    if let Some(kind) = f.kind {
        select = select.filter(meetings::Column::Kind.eq(kind.stored()));
    }
    if let Some(from) = f.held_from {
        select = select.filter(meetings::Column::HeldAt.gte(DateTime::<Utc>::from(from)));
    }
    if let Some(to) = f.held_to {
        select = select.filter(meetings::Column::HeldAt.lt(DateTime::<Utc>::from(to)));
    }
    let (rows, next) = fetch_page(db, select, meetings::Column::Id, f.sort, page).await?;
    Ok((views(db, rows).await?, next))
}

/// The writable state of an action item.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionItemDraft {
    pub meeting_id: Uuid,
    pub cluster_id: Uuid,
    pub title: String,
    pub owner_unit_id: Uuid,
    pub due_on: Option<NaiveDate>,
    pub status: ActionItemStatus,
    pub closed_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

impl ActionItemDraft {
    pub fn new(meeting: &meetings::Model, r: CreateActionItemRequest) -> Self {
        Self {
            meeting_id: meeting.id,
            cluster_id: meeting.cluster_id,
            title: r.title,
            owner_unit_id: r.owner_unit_id,
            due_on: r.due_on.map(Into::into),
            status: ActionItemStatus::Open,
            closed_at: None,
            note: r.note,
        }
    }
}

impl UpdateActionItemRequest {
    pub fn apply(self, d: &mut ActionItemDraft, errors: &mut Vec<FieldError>) {
        self.title.apply_required("title", &mut d.title, errors);
        self.due_on.map(Into::into).apply_to(&mut d.due_on);
        self.status.apply_required("status", &mut d.status, errors);
        self.note.apply_to(&mut d.note);
    }
}

impl Resource for action_items::Entity {
    type Draft = ActionItemDraft;

    async fn draft<C: ConnectionTrait>(_db: &C, m: &action_items::Model) -> ApiResult<ActionItemDraft> {
        Ok(ActionItemDraft {
            meeting_id: m.meeting_id,
            cluster_id: m.cluster_id,
            title: m.title.clone(),
            owner_unit_id: m.owner_unit_id,
            due_on: m.due_on,
            status: ActionItemStatus::from_stored(&m.status)?,
            closed_at: m.closed_at,
            note: m.note.clone(),
        })
    }

    async fn validate<C: ConnectionTrait>(db: &C, d: &mut ActionItemDraft, current: Option<&action_items::Model>) -> ApiResult<()> {
        if let Some(current) = current {
            let was = ActionItemStatus::from_stored(&current.status)?;
            was.check_move(d.status, action_items::Entity::NOUN)?;
            if was != d.status {
                d.closed_at = Some(db::now());
            }
        }
        let mut v = Validator::new();
        d.title = v.text("title", &d.title, 500);
        d.note = v.opt_text("note", d.note.as_deref(), 2000);
        if current.is_none() && !memberships::is_current_member(db, d.cluster_id, d.owner_unit_id).await? {
            v.push(FieldError::new(
                "owner_unit_id",
                "not_a_member",
                text!(
                    en: "The owner must be a current member unit of the cluster.",
                    vi: "Đơn vị thực hiện phải đang là thành viên của cụm."
                ),
            ));
        }
        v.finish()
    }

    fn columns(d: &ActionItemDraft) -> action_items::ActiveModel {
        let mut searchable = vec![d.title.as_str()];
        searchable.extend(d.note.as_deref());
        action_items::ActiveModel {
            meeting_id: Set(d.meeting_id),
            cluster_id: Set(d.cluster_id),
            title: Set(d.title.clone()),
            owner_unit_id: Set(d.owner_unit_id),
            due_on: Set(d.due_on),
            status: Set(d.status.stored()),
            closed_at: Set(d.closed_at),
            note: Set(d.note.clone()),
            search_text: Set(search::search_text(searchable)),
            // Items without a due day sort after every dated one.
            sort_key: Set(d.due_on.map_or_else(|| "~".to_owned(), |day| day.to_string())),
            ..Default::default()
        }
    }

    async fn classification<C: ConnectionTrait>(db: &C, m: &action_items::Model) -> ApiResult<Option<String>> {
        let meeting = meetings::Entity::find_by_id(m.meeting_id).one(db).await?;
        let own = meeting.map_or_else(|| Classification::Secret.stored(), |m| m.classification);
        let cluster = access::cluster_classification(db, m.cluster_id).await?;
        Ok(Some(access::stricter(&own, cluster.as_deref())))
    }
}

/// Reads of action items, each under the stricter of its meeting's class and its cluster's: what
/// [`access::audit_reads`] takes.
pub async fn item_reads<C: ConnectionTrait>(db: &C, items: &[ActionItem]) -> ApiResult<Vec<(Uuid, String)>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let classes: HashMap<Uuid, String> = meetings::Entity::find()
        .select_only()
        .column(meetings::Column::Id)
        .column(meetings::Column::Classification)
        .filter(meetings::Column::Id.is_in(items.iter().map(|i| i.meeting_id)))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let secret = Classification::Secret.stored();
    let read = items
        .iter()
        .map(|i| (i.stamp.id, i.cluster_id, classes.get(&i.meeting_id).unwrap_or(&secret).as_str()));
    access::cluster_record_reads(db, read).await
}

/// Action items of meetings the caller may see.
fn visible_items(p: &Principal) -> Condition {
    let meetings = Query::select()
        .column(meetings::Column::Id)
        .from(meetings::Entity)
        .and_where(meetings::Column::DeletedAt.is_null())
        .cond_where(visible(p))
        .to_owned();
    Condition::all().add(action_items::Column::MeetingId.in_subquery(meetings))
}

/// An action item the caller may see, or 404.
pub async fn find_visible_item<C: ConnectionTrait>(db: &C, p: &Principal, id: Uuid) -> ApiResult<action_items::Model> {
    common::find_live_where::<action_items::Entity, _>(db, id, visible_items(p)).await
}

pub async fn item_views<C: ConnectionTrait>(db: &C, models: Vec<action_items::Model>) -> ApiResult<Vec<ActionItem>> {
    let units = unit_service::summaries(db, models.iter().map(|m| m.owner_unit_id)).await?;
    let today = db::today();
    models
        .into_iter()
        .map(|m| {
            let owner = units
                .get(&m.owner_unit_id)
                .cloned()
                .ok_or_else(|| ApiError::internal("action item owner missing"))?;
            ActionItem::from_model(m, owner, today)
        })
        .collect()
}

pub async fn item_view<C: ConnectionTrait>(db: &C, model: action_items::Model) -> ApiResult<ActionItem> {
    item_views(db, vec![model])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("action item view lost"))
}

pub async fn list_items<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    f: &ActionItemListParams,
    page: &PageRequest,
) -> ApiResult<(Vec<ActionItem>, Option<String>)> {
    let mut select = live::<action_items::Entity>().filter(visible_items(p));
    if let Some(terms) = search::query_terms(f.q.as_deref())? {
        select = select.filter(search::matches_all(action_items::Column::SearchText, &terms));
    }
    if let Some(id) = f.owner_unit_id {
        select = select.filter(action_items::Column::OwnerUnitId.eq(id));
    }
    if let Some(id) = f.meeting_id {
        select = select.filter(action_items::Column::MeetingId.eq(id));
    }
    if let Some(id) = f.cluster_id {
        select = select.filter(action_items::Column::ClusterId.eq(id));
    }
    if let Some(status) = f.status {
        select = select.filter(action_items::Column::Status.eq(status.stored()));
    }
    if let Some(overdue) = f.overdue {
        let late = Condition::all()
            .add(action_items::Column::Status.eq(ActionItemStatus::Open.stored()))
            .add(action_items::Column::DueOn.lt(db::today()));
        let not_late = Condition::any()
            .add(action_items::Column::Status.ne(ActionItemStatus::Open.stored()))
            .add(action_items::Column::DueOn.is_null())
            .add(action_items::Column::DueOn.gte(db::today()));
        select = select.filter(if overdue { late } else { not_late });
    }
    let (rows, next) = fetch_page(db, select, action_items::Column::Id, f.sort, page).await?;
    Ok((item_views(db, rows).await?, next))
}
