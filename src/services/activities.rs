//! Activities: what a record of joint work must hold, who may write it, and how its figures are
//! credited to units.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entity::{activities, activity_areas, activity_figures, activity_participants, areas, clusters, units};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::common::{self, Record, Resource, live};
use super::units as unit_service;
use super::{access, memberships};
use crate::auth::Principal;
use crate::db;
use crate::domain::{ActivityKind, ActivityStatus, Classification, FigureName, Lifecycle, Stored};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::pagination::{PageRequest, fetch_page};
use crate::routes::activities::{ActivityListParams, CreateActivityRequest, UpdateActivityRequest};
use crate::search;
use crate::text;
use crate::validation::Validator;
use crate::views::activities::{Activity, ActivityParts, Figure, Participant, ParticipantInput};

/// Most participants, areas or figures of one activity.
const MAX_LIST: usize = 100;
/// Largest number of people one unit may state it deployed.
const MAX_PERSONNEL: i64 = 1_000_000;
/// Largest value of one figure.
const MAX_FIGURE: i64 = 1_000_000_000;
/// How far ahead of the server's clock a completed activity may be said to have started.
const CLOCK_TOLERANCE_MINUTES: i64 = 5;

/// The writable state of an activity, with its participants, areas and figures.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityDraft {
    pub cluster_id: Uuid,
    pub kind: ActivityKind,
    pub title: String,
    pub status: ActivityStatus,
    pub lead_unit_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub location: Option<String>,
    pub summary: Option<String>,
    pub classification: Classification,
    pub participants: Vec<ParticipantInput>,
    pub area_ids: Vec<Uuid>,
    pub figures: Vec<Figure>,
}

impl ActivityDraft {
    /// A new activity in `cluster` by `p`: the lead defaults to the caller's unit, the
    /// classification to the cluster's, the status to `planned`.
    pub fn new(p: &Principal, cluster: &clusters::Model, r: CreateActivityRequest) -> ApiResult<Self> {
        Ok(Self {
            cluster_id: cluster.id,
            kind: r.kind,
            title: r.title,
            status: r.status.unwrap_or(ActivityStatus::Planned),
            lead_unit_id: r.lead_unit_id.unwrap_or(p.unit_id),
            starts_at: r.starts_at.into(),
            ends_at: r.ends_at.map(Into::into),
            location: r.location,
            summary: r.summary,
            classification: match r.classification {
                Some(c) => c,
                None => Classification::from_stored(&cluster.classification)?,
            },
            participants: r.participants,
            area_ids: r.area_ids,
            figures: r.figures,
        })
    }
}

impl UpdateActivityRequest {
    pub fn apply(self, d: &mut ActivityDraft, errors: &mut Vec<FieldError>) {
        self.kind.apply_required("kind", &mut d.kind, errors);
        self.title.apply_required("title", &mut d.title, errors);
        self.status.apply_required("status", &mut d.status, errors);
        self.starts_at.map(Into::into).apply_required("starts_at", &mut d.starts_at, errors);
        self.ends_at.map(Into::into).apply_to(&mut d.ends_at);
        self.location.apply_to(&mut d.location);
        self.summary.apply_to(&mut d.summary);
        self.classification.apply_required("classification", &mut d.classification, errors);
        self.participants.apply_to_list(&mut d.participants);
        self.area_ids.apply_to_list(&mut d.area_ids);
        self.figures.apply_to_list(&mut d.figures);
    }
}

impl Resource for activities::Entity {
    type Draft = ActivityDraft;

    async fn draft<C: ConnectionTrait>(db: &C, m: &activities::Model) -> ApiResult<ActivityDraft> {
        let mut children = children(db, &[m.id]).await?;
        let (participants, area_ids, figures) = children.remove(&m.id).unwrap_or_default();
        Ok(ActivityDraft {
            cluster_id: m.cluster_id,
            kind: ActivityKind::from_stored(&m.kind)?,
            title: m.title.clone(),
            status: ActivityStatus::from_stored(&m.status)?,
            lead_unit_id: m.lead_unit_id,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            location: m.location.clone(),
            summary: m.summary.clone(),
            classification: Classification::from_stored(&m.classification)?,
            participants,
            area_ids,
            figures,
        })
    }

    async fn validate<C: ConnectionTrait>(db: &C, d: &mut ActivityDraft, current: Option<&activities::Model>) -> ApiResult<()> {
        if let Some(current) = current {
            ActivityStatus::from_stored(&current.status)?.check_move(d.status, activities::Entity::NOUN)?;
        }
        let mut v = Validator::new();
        d.title = v.text("title", &d.title, 300);
        d.location = v.opt_text("location", d.location.as_deref(), 500);
        d.summary = v.opt_text("summary", d.summary.as_deref(), 4000);
        if d.ends_at.is_some_and(|end| end <= d.starts_at) {
            v.push(FieldError::date_order("ends_at", "starts_at"));
        }
        if d.status == ActivityStatus::Completed && d.starts_at > db::now() + Duration::minutes(CLOCK_TOLERANCE_MINUTES) {
            v.push(FieldError::invalid(
                "starts_at",
                text!(
                    en: "A completed activity cannot start in the future.",
                    vi: "Hoạt động đã hoàn thành không thể bắt đầu ở tương lai."
                ),
            ));
        }
        check_participants(db, &mut v, d).await?;
        check_areas(db, &mut v, &d.area_ids).await?;
        check_figures(&mut v, d);
        if current.is_none_or(|c| c.lead_unit_id != d.lead_unit_id)
            && !memberships::is_current_member(db, d.cluster_id, d.lead_unit_id).await?
        {
            v.push(FieldError::new(
                "lead_unit_id",
                "not_a_member",
                text!(
                    en: "The lead unit must be a current member of the cluster.",
                    vi: "Đơn vị chủ trì phải đang là thành viên của cụm."
                ),
            ));
        }
        v.finish()
    }

    fn columns(d: &ActivityDraft) -> activities::ActiveModel {
        let mut searchable = vec![d.title.as_str()];
        searchable.extend(d.location.as_deref());
        searchable.extend(d.summary.as_deref());
        activities::ActiveModel {
            cluster_id: Set(d.cluster_id),
            kind: Set(d.kind.stored()),
            title: Set(d.title.clone()),
            status: Set(d.status.stored()),
            lead_unit_id: Set(d.lead_unit_id),
            starts_at: Set(d.starts_at),
            ends_at: Set(d.ends_at),
            location: Set(d.location.clone()),
            summary: Set(d.summary.clone()),
            classification: Set(d.classification.stored()),
            search_text: Set(search::search_text(searchable)),
            sort_key: Set(db::time_text(d.starts_at)),
            ..Default::default()
        }
    }

    async fn after_save<C: ConnectionTrait>(db: &C, id: Uuid, d: &ActivityDraft, _current: Option<&activities::Model>) -> ApiResult<()> {
        write_children(db, id, d).await
    }

    async fn classification<C: ConnectionTrait>(db: &C, m: &activities::Model) -> ApiResult<Option<String>> {
        let cluster = access::cluster_classification(db, m.cluster_id).await?;
        Ok(Some(access::stricter(&m.classification, cluster.as_deref())))
    }
}

/// Participants are live units, each listed once; the lead is always one of them, first.
async fn check_participants<C: ConnectionTrait>(db: &C, v: &mut Validator, d: &mut ActivityDraft) -> ApiResult<()> {
    if !v.max_items("participants", d.participants.len(), MAX_LIST) {
        return Ok(());
    }
    match d.participants.iter().position(|p| p.unit_id == d.lead_unit_id) {
        Some(0) => {}
        Some(i) => {
            let lead = d.participants.remove(i);
            d.participants.insert(0, lead);
        }
        None => d.participants.insert(
            0,
            ParticipantInput {
                unit_id: d.lead_unit_id,
                personnel: None,
            },
        ),
    }
    let known = common::live_ids::<units::Entity, _>(db, d.participants.iter().map(|p| p.unit_id)).await?;
    let mut seen = HashSet::new();
    for (i, p) in d.participants.iter().enumerate() {
        if let Some(n) = p.personnel {
            v.range(&format!("participants[{i}].personnel"), i64::from(n), 0, MAX_PERSONNEL);
        }
        let field = format!("participants[{i}].unit_id");
        if !seen.insert(p.unit_id) {
            v.push(FieldError::new(
                field,
                "duplicate",
                text!(en: "The unit is listed twice.", vi: "Đơn vị được liệt kê hai lần."),
            ));
        } else if !known.contains(&p.unit_id) && p.unit_id != d.lead_unit_id {
            v.push(FieldError::unknown_reference(field, units::Entity::NOUN));
        }
    }
    Ok(())
}

/// Areas are live, each listed once.
async fn check_areas<C: ConnectionTrait>(db: &C, v: &mut Validator, ids: &[Uuid]) -> ApiResult<()> {
    if !v.max_items("area_ids", ids.len(), MAX_LIST) {
        return Ok(());
    }
    let known = common::live_ids::<areas::Entity, _>(db, ids.iter().copied()).await?;
    let mut seen = HashSet::new();
    for (i, id) in ids.iter().enumerate() {
        let field = format!("area_ids[{i}]");
        if !seen.insert(*id) {
            v.push(FieldError::new(
                field,
                "duplicate",
                text!(en: "The area is listed twice.", vi: "Khu vực được liệt kê hai lần."),
            ));
        } else if !known.contains(id) {
            v.push(FieldError::unknown_reference(field, areas::Entity::NOUN));
        }
    }
    Ok(())
}

/// Figures are named for the activity's kind, credited to a participant (the lead when none is
/// named), once per name and unit, and reported only once the activity is under way.
fn check_figures(v: &mut Validator, d: &mut ActivityDraft) {
    if !v.max_items("figures", d.figures.len(), MAX_LIST) {
        return;
    }
    if d.status == ActivityStatus::Planned && !d.figures.is_empty() {
        v.push(FieldError::new(
            "figures",
            "not_started",
            text!(
                en: "A planned activity has no results yet; report figures once it is under way.",
                vi: "Hoạt động mới ở kế hoạch chưa có kết quả; hãy ghi số liệu khi đã triển khai."
            ),
        ));
        return;
    }
    let allowed = d.kind.figures();
    let participants: HashSet<Uuid> = d.participants.iter().map(|p| p.unit_id).collect();
    let mut seen = HashSet::new();
    for (i, f) in d.figures.iter_mut().enumerate() {
        let unit_id = *f.unit_id.get_or_insert(d.lead_unit_id);
        v.range(&format!("figures[{i}].value"), f.value, 0, MAX_FIGURE);
        if !allowed.contains(&f.name) {
            let kind = d.kind.as_ref();
            let names: Vec<&str> = allowed.iter().map(AsRef::as_ref).collect();
            let names = names.join(", ");
            v.push(FieldError::new(
                format!("figures[{i}].name"),
                "not_for_kind",
                text!(
                    en: "An activity of kind {kind} reports only: {names}.",
                    vi: "Hoạt động loại {kind} chỉ ghi các số liệu: {names}."
                ),
            ));
        } else if !participants.contains(&unit_id) {
            v.push(FieldError::new(
                format!("figures[{i}].unit_id"),
                "not_a_participant",
                text!(
                    en: "A figure is credited only to a participating unit.",
                    vi: "Số liệu chỉ được ghi cho đơn vị tham gia."
                ),
            ));
        } else if !seen.insert((f.name, unit_id)) {
            v.push(FieldError::new(
                format!("figures[{i}]"),
                "duplicate",
                text!(
                    en: "The unit already has this figure; give one value per name and unit.",
                    vi: "Đơn vị đã có số liệu này; mỗi tên và đơn vị chỉ ghi một giá trị."
                ),
            ));
        }
    }
}

/// Replaces the participant, area and figure rows with the draft's lists.
async fn write_children<C: ConnectionTrait>(db: &C, id: Uuid, d: &ActivityDraft) -> ApiResult<()> {
    activity_participants::Entity::delete_many()
        .filter(activity_participants::Column::ActivityId.eq(id))
        .exec(db)
        .await?;
    activity_areas::Entity::delete_many()
        .filter(activity_areas::Column::ActivityId.eq(id))
        .exec(db)
        .await?;
    activity_figures::Entity::delete_many()
        .filter(activity_figures::Column::ActivityId.eq(id))
        .exec(db)
        .await?;
    let participants = d
        .participants
        .iter()
        .zip(0..)
        .map(|(p, position)| activity_participants::ActiveModel {
            activity_id: Set(id),
            unit_id: Set(p.unit_id),
            position: Set(position),
            personnel: Set(p.personnel),
        });
    activity_participants::Entity::insert_many(participants)
        .exec_without_returning(db)
        .await?;
    let areas = d.area_ids.iter().zip(0..).map(|(area_id, position)| activity_areas::ActiveModel {
        activity_id: Set(id),
        area_id: Set(*area_id),
        position: Set(position),
    });
    activity_areas::Entity::insert_many(areas).exec_without_returning(db).await?;
    let figures = d.figures.iter().zip(0..).map(|(f, position)| activity_figures::ActiveModel {
        activity_id: Set(id),
        name: Set(f.name.stored()),
        unit_id: Set(f.unit_id.unwrap_or(d.lead_unit_id)),
        position: Set(position),
        value: Set(f.value),
    });
    activity_figures::Entity::insert_many(figures).exec_without_returning(db).await?;
    Ok(())
}

type Children = (Vec<ParticipantInput>, Vec<Uuid>, Vec<Figure>);

/// The participants, areas and figures of the given activities, in their stored order.
async fn children<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> ApiResult<HashMap<Uuid, Children>> {
    let mut out: HashMap<Uuid, Children> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let participants = activity_participants::Entity::find()
        .filter(activity_participants::Column::ActivityId.is_in(ids.to_vec()))
        .order_by_asc(activity_participants::Column::Position)
        .all(db)
        .await?;
    for p in participants {
        out.entry(p.activity_id).or_default().0.push(ParticipantInput {
            unit_id: p.unit_id,
            personnel: p.personnel,
        });
    }
    let areas = activity_areas::Entity::find()
        .filter(activity_areas::Column::ActivityId.is_in(ids.to_vec()))
        .order_by_asc(activity_areas::Column::Position)
        .all(db)
        .await?;
    for a in areas {
        out.entry(a.activity_id).or_default().1.push(a.area_id);
    }
    let figures = activity_figures::Entity::find()
        .filter(activity_figures::Column::ActivityId.is_in(ids.to_vec()))
        .order_by_asc(activity_figures::Column::Position)
        .all(db)
        .await?;
    for f in figures {
        out.entry(f.activity_id).or_default().2.push(Figure {
            name: FigureName::from_stored(&f.name)?,
            value: f.value,
            unit_id: Some(f.unit_id),
        });
    }
    Ok(out)
}

/// Activities the caller may see: in its clusters, within its clearance.
pub fn visible(p: &Principal) -> Condition {
    access::visible_cluster_records(activities::Column::ClusterId, activities::Column::Classification, p)
}

/// An activity the caller may see, or 404.
pub async fn find_visible<C: ConnectionTrait>(db: &C, p: &Principal, id: Uuid) -> ApiResult<activities::Model> {
    common::find_live_where::<activities::Entity, _>(db, id, visible(p)).await
}

/// Response bodies for activities, loading their children and units in four queries.
pub async fn views<C: ConnectionTrait>(db: &C, models: Vec<activities::Model>) -> ApiResult<Vec<Activity>> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let mut children = children(db, &ids).await?;
    let unit_ids: Vec<Uuid> = children.values().flat_map(|(p, _, _)| p.iter().map(|p| p.unit_id)).collect();
    let units = unit_service::summaries(db, unit_ids.into_iter().chain(models.iter().map(|m| m.lead_unit_id))).await?;
    let unit = |id: Uuid| units.get(&id).cloned().ok_or_else(|| ApiError::internal("activity unit missing"));
    models
        .into_iter()
        .map(|m| {
            let (participants, area_ids, figures) = children.remove(&m.id).unwrap_or_default();
            let participants = participants
                .into_iter()
                .map(|p| {
                    Ok(Participant {
                        unit: unit(p.unit_id)?,
                        personnel: p.personnel,
                    })
                })
                .collect::<ApiResult<Vec<_>>>()?;
            let parts = ActivityParts {
                lead_unit: unit(m.lead_unit_id)?,
                participants,
                area_ids,
                figures,
            };
            Activity::from_model(m, parts)
        })
        .collect()
}

pub async fn view<C: ConnectionTrait>(db: &C, model: activities::Model) -> ApiResult<Activity> {
    views(db, vec![model])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("activity view lost"))
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    f: &ActivityListParams,
    page: &PageRequest,
) -> ApiResult<(Vec<Activity>, Option<String>)> {
    let mut select = live::<activities::Entity>().filter(visible(p));
    if let Some(terms) = search::query_terms(f.q.as_deref())? {
        select = select.filter(search::matches_all(activities::Column::SearchText, &terms));
    }
    if let Some(id) = f.cluster_id {
        select = select.filter(activities::Column::ClusterId.eq(id));
    }
    if let Some(id) = f.unit_id {
        let taking_part = Query::select()
            .column(activity_participants::Column::ActivityId)
            .from(activity_participants::Entity)
            .and_where(activity_participants::Column::UnitId.eq(id))
            .to_owned();
        select = select.filter(activities::Column::Id.in_subquery(taking_part));
    }
    if let Some(id) = f.area_id {
        let in_area = Query::select()
            .column(activity_areas::Column::ActivityId)
            .from(activity_areas::Entity)
            .and_where(activity_areas::Column::AreaId.eq(id))
            .to_owned();
        select = select.filter(activities::Column::Id.in_subquery(in_area));
    }
    if let Some(kind) = f.kind {
        select = select.filter(activities::Column::Kind.eq(kind.stored()));
    }
    if let Some(status) = f.status {
        select = select.filter(activities::Column::Status.eq(status.stored()));
    }
    if let Some(from) = f.starts_from {
        select = select.filter(activities::Column::StartsAt.gte(DateTime::<Utc>::from(from)));
    }
    if let Some(to) = f.starts_to {
        select = select.filter(activities::Column::StartsAt.lt(DateTime::<Utc>::from(to)));
    }
    let (rows, next) = fetch_page(db, select, activities::Column::Id, f.sort, page).await?;
    Ok((views(db, rows).await?, next))
}
