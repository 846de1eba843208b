//! Incidents: what a report must hold, who may write it, its workflow and its timeline.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::{clusters, incident_categories, incident_events, incidents};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, TransactionSession, TransactionTrait};
use uuid::Uuid;

use super::common::{self, Record, Resource, live};
use super::units as unit_service;
use super::{access, memberships};
use crate::audit::{self, AuditContext};
use crate::auth::Principal;
use crate::conditional::Precondition;
use crate::db;
use crate::domain::{Classification, IncidentStatus, Lifecycle, Severity, Stored};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::pagination::{PageRequest, fetch_page};
use crate::routes::incidents::{CreateIncidentRequest, IncidentListParams, TimelineSort, UpdateIncidentRequest};
use crate::search;
use crate::text;
use crate::validation::Validator;
use crate::views::incidents::{CategoryRef, Incident, IncidentCounts, TimelineEntry};

/// Largest count an incident may state.
const MAX_COUNT: i64 = 1_000_000;
/// How far ahead of the server's clock a report time may be (clocks of reporting systems drift).
const CLOCK_TOLERANCE_MINUTES: i64 = 5;

/// The writable state of an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentDraft {
    pub cluster_id: Uuid,
    pub category_id: Uuid,
    pub severity: Severity,
    pub occurred_at: DateTime<Utc>,
    pub reported_at: DateTime<Utc>,
    pub reporting_unit_id: Uuid,
    pub area_id: Option<Uuid>,
    pub location: Option<String>,
    pub summary: String,
    pub classification: Classification,
    pub counts: IncidentCounts,
    pub status: IncidentStatus,
    pub status_changed_at: DateTime<Utc>,
}

impl IncidentDraft {
    /// A new report in `cluster` by `p`: the reporting unit defaults to the caller's own, the
    /// classification to the cluster's, the report time to now.
    pub fn new(p: &Principal, cluster: &clusters::Model, r: CreateIncidentRequest) -> ApiResult<Self> {
        let now = db::now();
        Ok(Self {
            cluster_id: cluster.id,
            category_id: r.category_id,
            severity: r.severity,
            occurred_at: r.occurred_at.into(),
            reported_at: r.reported_at.map_or(now, Into::into),
            reporting_unit_id: r.reporting_unit_id.unwrap_or(p.unit_id),
            area_id: r.area_id,
            location: r.location,
            summary: r.summary,
            classification: match r.classification {
                Some(c) => c,
                None => Classification::from_stored(&cluster.classification)?,
            },
            counts: r.counts.unwrap_or_default(),
            status: IncidentStatus::Reported,
            status_changed_at: now,
        })
    }
}

impl UpdateIncidentRequest {
    pub fn apply(self, d: &mut IncidentDraft, errors: &mut Vec<FieldError>) {
        self.category_id.apply_required("category_id", &mut d.category_id, errors);
        self.severity.apply_required("severity", &mut d.severity, errors);
        self.occurred_at
            .map(Into::into)
            .apply_required("occurred_at", &mut d.occurred_at, errors);
        self.area_id.apply_to(&mut d.area_id);
        self.location.apply_to(&mut d.location);
        self.summary.apply_required("summary", &mut d.summary, errors);
        self.classification.apply_required("classification", &mut d.classification, errors);
        match self.counts {
            crate::patch::Patch::Absent => {}
            crate::patch::Patch::Null => d.counts = IncidentCounts::default(),
            crate::patch::Patch::Value(counts) => d.counts = counts,
        }
    }
}

impl Resource for incidents::Entity {
    type Draft = IncidentDraft;

    async fn draft<C: ConnectionTrait>(_db: &C, m: &incidents::Model) -> ApiResult<IncidentDraft> {
        Ok(IncidentDraft {
            cluster_id: m.cluster_id,
            category_id: m.category_id,
            severity: Severity::from_stored(&m.severity)?,
            occurred_at: m.occurred_at,
            reported_at: m.reported_at,
            reporting_unit_id: m.reporting_unit_id,
            area_id: m.area_id,
            location: m.location.clone(),
            summary: m.summary.clone(),
            classification: Classification::from_stored(&m.classification)?,
            counts: IncidentCounts {
                persons_involved: m.persons_involved,
                injured: m.injured,
                deaths: m.deaths,
                detained: m.detained,
            },
            status: IncidentStatus::from_stored(&m.status)?,
            status_changed_at: m.status_changed_at,
        })
    }

    async fn validate<C: ConnectionTrait>(db: &C, d: &mut IncidentDraft, current: Option<&incidents::Model>) -> ApiResult<()> {
        if let Some(current) = current
            && current.status == IncidentStatus::Closed.stored()
        {
            return Err(ApiError::conflict(text!(
                en: "The incident is closed; its record can no longer change.",
                vi: "Vụ việc đã đóng; hồ sơ không thể thay đổi nữa."
            )));
        }
        let mut v = Validator::new();
        d.summary = v.text("summary", &d.summary, 4000);
        d.location = v.opt_text("location", d.location.as_deref(), 500);
        let counts = [
            ("counts.persons_involved", d.counts.persons_involved),
            ("counts.injured", d.counts.injured),
            ("counts.deaths", d.counts.deaths),
            ("counts.detained", d.counts.detained),
        ];
        for (field, value) in counts {
            if let Some(n) = value {
                v.range(field, i64::from(n), 0, MAX_COUNT);
            }
        }
        if d.occurred_at > d.reported_at {
            v.push(FieldError::new(
                "occurred_at",
                "date_order",
                text!(en: "Must not be after `reported_at`.", vi: "Không được sau thời điểm ở trường `reported_at`."),
            ));
        }
        if current.is_none() && d.reported_at > db::now() + Duration::minutes(CLOCK_TOLERANCE_MINUTES) {
            v.push(FieldError::invalid(
                "reported_at",
                text!(en: "Must not be in the future.", vi: "Không được ở tương lai."),
            ));
        }
        common::check_reference::<entity::areas::Entity, _>(db, &mut v, "area_id", d.area_id).await?;
        if current.is_none_or(|c| c.category_id != d.category_id) {
            check_category(db, &mut v, d.category_id).await?;
        }
        if current.is_none() {
            check_reporting_unit(db, &mut v, d).await?;
        }
        v.finish()
    }

    fn columns(d: &IncidentDraft) -> incidents::ActiveModel {
        let mut searchable = vec![d.summary.as_str()];
        searchable.extend(d.location.as_deref());
        incidents::ActiveModel {
            cluster_id: Set(d.cluster_id),
            category_id: Set(d.category_id),
            severity: Set(d.severity.stored()),
            status: Set(d.status.stored()),
            occurred_at: Set(d.occurred_at),
            reported_at: Set(d.reported_at),
            reporting_delay_seconds: Set((d.reported_at - d.occurred_at).num_seconds()),
            reporting_unit_id: Set(d.reporting_unit_id),
            area_id: Set(d.area_id),
            location: Set(d.location.clone()),
            summary: Set(d.summary.clone()),
            classification: Set(d.classification.stored()),
            persons_involved: Set(d.counts.persons_involved),
            injured: Set(d.counts.injured),
            deaths: Set(d.counts.deaths),
            detained: Set(d.counts.detained),
            status_changed_at: Set(d.status_changed_at),
            search_text: Set(search::search_text(searchable)),
            sort_key: Set(db::time_text(d.occurred_at)),
            ..Default::default()
        }
    }

    async fn after_create<C: ConnectionTrait>(db: &C, m: &incidents::Model, audit: &AuditContext) -> ApiResult<()> {
        write_step(db, m.id, m.created_at, None, IncidentStatus::Reported, None, audit).await
    }

    async fn classification<C: ConnectionTrait>(db: &C, m: &incidents::Model) -> ApiResult<Option<String>> {
        let cluster = access::cluster_classification(db, m.cluster_id).await?;
        Ok(Some(access::stricter(&m.classification, cluster.as_deref())))
    }
}

/// The category must exist and be in use.
async fn check_category<C: ConnectionTrait>(db: &C, v: &mut Validator, id: Uuid) -> ApiResult<()> {
    match live::<incident_categories::Entity>()
        .filter(incident_categories::Column::Id.eq(id))
        .one(db)
        .await?
    {
        None => v.push(FieldError::unknown_reference("category_id", incident_categories::Entity::NOUN)),
        Some(c) if !c.active => v.push(FieldError::new(
            "category_id",
            "retired",
            text!(en: "The category is retired; choose an active one.", vi: "Loại vụ việc đã ngừng sử dụng; hãy chọn loại khác."),
        )),
        Some(_) => {}
    }
    Ok(())
}

/// The reporting unit must be a member of the cluster today.
async fn check_reporting_unit<C: ConnectionTrait>(db: &C, v: &mut Validator, d: &IncidentDraft) -> ApiResult<()> {
    if !memberships::is_current_member(db, d.cluster_id, d.reporting_unit_id).await? {
        v.push(FieldError::new(
            "reporting_unit_id",
            "not_a_member",
            text!(
                en: "The reporting unit must be a current member of the cluster.",
                vi: "Đơn vị báo cáo phải đang là thành viên của cụm."
            ),
        ));
    }
    Ok(())
}

/// Appends a step to an incident's timeline.
async fn write_step<C: ConnectionTrait>(
    db: &C,
    incident_id: Uuid,
    at: DateTime<Utc>,
    from: Option<IncidentStatus>,
    to: IncidentStatus,
    note: Option<String>,
    audit: &AuditContext,
) -> ApiResult<()> {
    let row = incident_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        incident_id: Set(incident_id),
        at: Set(at),
        from_status: Set(from.map(|s| s.stored())),
        to_status: Set(to.stored()),
        note: Set(note),
        actor_type: Set(audit.actor_type.to_owned()),
        actor_id: Set(audit.actor_id),
        actor_unit_id: Set(audit.actor_unit_id),
    };
    incident_events::Entity::insert(row).exec_without_returning(db).await?;
    Ok(())
}

/// Moves an incident one step along its workflow and records the step on its timeline and in
/// the audit trail. An illegal move is a 409 naming the allowed ones.
pub async fn transition<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    audit: &AuditContext,
    id: Uuid,
    precondition: &Precondition,
    to: IncidentStatus,
    note: Option<String>,
) -> ApiResult<incidents::Model> {
    let mut v = Validator::new();
    let note = v.opt_text("note", note.as_deref(), 2000);
    v.finish()?;
    let txn = common::begin_write(db).await?;
    let current = common::find_for_update::<incidents::Entity, _>(&txn, id).await?;
    precondition.check(current.version)?;
    let from = IncidentStatus::from_stored(&current.status)?;
    from.check_step(to, incidents::Entity::NOUN)?;
    let now = db::now();
    let changes = incidents::ActiveModel {
        status: Set(to.stored()),
        status_changed_at: Set(now),
        ..Default::default()
    };
    common::save_versioned::<incidents::Entity, _, _>(&txn, id, current.version, changes, precondition).await?;
    write_step(&txn, id, now, Some(from), to, note.clone(), audit).await?;
    let model = common::find_live::<incidents::Entity, _>(&txn, id).await?;
    let classification = incidents::Entity::classification(&txn, &model).await?;
    let changes = serde_json::json!({
        "status": {"before": from, "after": to},
        "note": {"after": note},
    });
    audit::record(
        &txn,
        audit,
        common::event::<incidents::Entity>("transition", id, changes).classified(classification),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Incidents the caller may see: in its clusters, within its clearance.
pub fn visible(p: &Principal) -> Condition {
    access::visible_cluster_records(incidents::Column::ClusterId, incidents::Column::Classification, p)
}

/// An incident the caller may see, or 404; one query decides, so an incident that does not
/// exist and one the caller may not see answer alike.
pub async fn find_visible<C: ConnectionTrait>(db: &C, p: &Principal, id: Uuid) -> ApiResult<incidents::Model> {
    common::find_live_where::<incidents::Entity, _>(db, id, visible(p)).await
}

/// Response bodies for incidents, loading their categories, units and clusters' SLAs in three
/// queries.
pub async fn views<C: ConnectionTrait>(db: &C, models: Vec<incidents::Model>) -> ApiResult<Vec<Incident>> {
    let category_ids: Vec<Uuid> = models.iter().map(|m| m.category_id).collect();
    let categories: HashMap<Uuid, CategoryRef> = incident_categories::Entity::find()
        .filter(incident_categories::Column::Id.is_in(category_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| {
            (
                c.id,
                CategoryRef {
                    id: c.id,
                    code: c.code,
                    name: c.name,
                },
            )
        })
        .collect();
    let units = unit_service::summaries(db, models.iter().map(|m| m.reporting_unit_id)).await?;
    let slas = slas(db, models.iter().map(|m| m.cluster_id)).await?;
    models
        .into_iter()
        .map(|m| {
            let category = categories
                .get(&m.category_id)
                .cloned()
                .ok_or_else(|| ApiError::internal("incident category missing"))?;
            let unit = units
                .get(&m.reporting_unit_id)
                .cloned()
                .ok_or_else(|| ApiError::internal("reporting unit missing"))?;
            let sla = slas.get(&m.cluster_id).copied().flatten();
            Incident::from_model(m, category, unit, sla)
        })
        .collect()
}

/// The reporting SLAs (hours) of the given clusters.
async fn slas<C: ConnectionTrait>(db: &C, ids: impl IntoIterator<Item = Uuid>) -> ApiResult<HashMap<Uuid, Option<i32>>> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, Option<i32>)> = clusters::Entity::find()
        .select_only()
        .column(clusters::Column::Id)
        .column(clusters::Column::ReportingSlaHours)
        .filter(clusters::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

pub async fn view<C: ConnectionTrait>(db: &C, model: incidents::Model) -> ApiResult<Incident> {
    views(db, vec![model])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("incident view lost"))
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    f: &IncidentListParams,
    page: &PageRequest,
) -> ApiResult<(Vec<Incident>, Option<String>)> {
    let mut select = live::<incidents::Entity>().filter(visible(p));
    if let Some(terms) = search::query_terms(f.q.as_deref())? {
        select = select.filter(search::matches_all(incidents::Column::SearchText, &terms));
    }
    if let Some(id) = f.cluster_id {
        select = select.filter(incidents::Column::ClusterId.eq(id));
    }
    if let Some(id) = f.reporting_unit_id {
        select = select.filter(incidents::Column::ReportingUnitId.eq(id));
    }
    if let Some(id) = f.area_id {
        select = select.filter(incidents::Column::AreaId.eq(id));
    }
    if let Some(id) = f.category_id {
        select = select.filter(incidents::Column::CategoryId.eq(id));
    }
    if let Some(severity) = f.severity {
        select = select.filter(incidents::Column::Severity.eq(severity.stored()));
    }
    if let Some(status) = f.status {
        select = select.filter(incidents::Column::Status.eq(status.stored()));
    }
    if let Some(from) = f.occurred_from {
        select = select.filter(incidents::Column::OccurredAt.gte(DateTime::<Utc>::from(from)));
    }
    if let Some(to) = f.occurred_to {
        select = select.filter(incidents::Column::OccurredAt.lt(DateTime::<Utc>::from(to)));
    }
    let (rows, next) = fetch_page(db, select, incidents::Column::Id, f.sort, page).await?;
    Ok((views(db, rows).await?, next))
}

/// One page of an incident's timeline.
pub async fn timeline<C: ConnectionTrait>(
    db: &C,
    incident_id: Uuid,
    sort: TimelineSort,
    page: &PageRequest,
) -> ApiResult<(Vec<TimelineEntry>, Option<String>)> {
    let select = incident_events::Entity::find().filter(incident_events::Column::IncidentId.eq(incident_id));
    let (rows, next) = fetch_page(db, select, incident_events::Column::Id, sort, page).await?;
    Ok((rows.into_iter().map(TimelineEntry::from_model).collect::<ApiResult<_>>()?, next))
}
