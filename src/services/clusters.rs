//! Clusters: their status life cycle, the member count an active cluster needs, search over
//! member units, and the member list of a given day.

use chrono::NaiveDate;
use entity::{client_clusters, cluster_members, clusters, meetings, regulations, units};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::access;
use super::common::{self, Record, Resource, live};
use super::memberships::{self, MemberDraft};
use crate::auth::{Principal, PrincipalKind};
use crate::db;
use crate::domain::{BriefingCadence, Classification, ClusterKind, ClusterStatus, Lifecycle, MeetingKind, MemberRole, Stored};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::pagination::{PageRequest, fetch_page};
use crate::routes::clusters::{ClusterListParams, CreateClusterRequest, UpdateClusterRequest};
use crate::search;
use crate::text;
use crate::validation::Validator;
use crate::views::clusters::{BriefingSchedule, Cluster, ClusterSummary};

/// Most memberships a cluster may be created with; more are added one by one.
const MAX_MEMBERS: usize = 100;

/// The writable state of a cluster; `members` only when it is created.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterDraft {
    pub name: String,
    pub kind: ClusterKind,
    pub status: ClusterStatus,
    pub classification: Classification,
    pub established_on: Option<NaiveDate>,
    pub description: Option<String>,
    pub reporting_sla_hours: Option<i32>,
    pub briefing_cadence: Option<BriefingCadence>,
    pub members: Vec<MemberDraft>,
    /// The agency client that creates the cluster, and is granted it; only when it is created.
    pub grant_to_client: Option<Uuid>,
}

impl From<CreateClusterRequest> for ClusterDraft {
    fn from(r: CreateClusterRequest) -> Self {
        Self {
            name: r.name,
            kind: r.kind,
            status: r.status.unwrap_or(ClusterStatus::Forming),
            classification: r.classification.unwrap_or(Classification::Internal),
            established_on: r.established_on.map(Into::into),
            description: r.description,
            reporting_sla_hours: r.reporting_sla_hours,
            briefing_cadence: r.briefing_cadence,
            // The cluster id is not known until it is stored.
            members: r.members.into_iter().map(|m| MemberDraft::new(Uuid::nil(), m)).collect(),
            grant_to_client: None,
        }
    }
}

impl UpdateClusterRequest {
    pub fn apply(self, d: &mut ClusterDraft, errors: &mut Vec<FieldError>) {
        self.name.apply_required("name", &mut d.name, errors);
        self.kind.apply_required("kind", &mut d.kind, errors);
        self.status.apply_required("status", &mut d.status, errors);
        self.classification.apply_required("classification", &mut d.classification, errors);
        self.established_on.map(Into::into).apply_to(&mut d.established_on);
        self.description.apply_to(&mut d.description);
        self.reporting_sla_hours.apply_to(&mut d.reporting_sla_hours);
        self.briefing_cadence.apply_to(&mut d.briefing_cadence);
    }
}

impl Resource for clusters::Entity {
    type Draft = ClusterDraft;

    async fn classification<C: ConnectionTrait>(_db: &C, m: &clusters::Model) -> ApiResult<Option<String>> {
        Ok(Some(m.classification.clone()))
    }

    async fn draft<C: ConnectionTrait>(_db: &C, m: &clusters::Model) -> ApiResult<ClusterDraft> {
        Ok(ClusterDraft {
            name: m.name.clone(),
            kind: ClusterKind::from_stored(&m.kind)?,
            status: ClusterStatus::from_stored(&m.status)?,
            classification: Classification::from_stored(&m.classification)?,
            established_on: m.established_on,
            description: m.description.clone(),
            reporting_sla_hours: m.reporting_sla_hours,
            briefing_cadence: m.briefing_cadence.as_deref().map(BriefingCadence::from_stored).transpose()?,
            members: Vec::new(),
            grant_to_client: None,
        })
    }

    async fn validate<C: ConnectionTrait>(db: &C, d: &mut ClusterDraft, current: Option<&clusters::Model>) -> ApiResult<()> {
        let mut v = Validator::new();
        d.name = v.text("name", &d.name, 300);
        d.description = v.opt_text("description", d.description.as_deref(), 4000);
        if let Some(hours) = d.reporting_sla_hours {
            v.range("reporting_sla_hours", hours.into(), 1, 720);
        }
        if d.established_on.is_some_and(|day| day > db::today()) {
            v.push(FieldError::invalid(
                "established_on",
                text!(en: "A cluster cannot have been established in the future.", vi: "Cụm không thể được thành lập trong tương lai."),
            ));
        }
        // The member count is checked when a cluster starts being active (or changes kind while
        // active); an active cluster whose members have since left can still be renamed.
        let members = match current {
            None if v.max_items("members", d.members.len(), MAX_MEMBERS) => {
                memberships::check_new(db, &mut v, &d.members).await?;
                Some(d.members.clone())
            }
            None => None,
            Some(current) => {
                ClusterStatus::from_stored(&current.status)?.check_move(d.status, clusters::Entity::NOUN)?;
                let was = (
                    ClusterStatus::from_stored(&current.status)?,
                    ClusterKind::from_stored(&current.kind)?,
                );
                if was != (d.status, d.kind) {
                    Some(memberships::stored(db, current.id, None).await?)
                } else {
                    None
                }
            }
        };
        let count = members.map(|m| memberships::member_units_on(&m, db::today()));
        if let Some(problem) = count.and_then(|count| memberships::member_count_problem(d.kind, d.status, count)) {
            v.push(FieldError::new("status", "member_count", problem));
        }
        v.finish()
    }

    fn columns(d: &ClusterDraft) -> clusters::ActiveModel {
        let mut searchable = vec![d.name.as_str()];
        searchable.extend(d.description.as_deref());
        clusters::ActiveModel {
            name: Set(d.name.clone()),
            kind: Set(d.kind.stored()),
            status: Set(d.status.stored()),
            classification: Set(d.classification.stored()),
            established_on: Set(d.established_on),
            description: Set(d.description.clone()),
            reporting_sla_hours: Set(d.reporting_sla_hours),
            briefing_cadence: Set(d.briefing_cadence.map(|c| c.stored())),
            search_text: Set(search::search_text(searchable)),
            sort_key: Set(search::sort_key(&d.name)),
            ..Default::default()
        }
    }

    async fn after_save<C: ConnectionTrait>(db: &C, id: Uuid, d: &ClusterDraft, current: Option<&clusters::Model>) -> ApiResult<()> {
        if current.is_some() {
            return Ok(());
        }
        if let Some(client_id) = d.grant_to_client {
            let grant = client_clusters::ActiveModel {
                client_id: Set(client_id),
                cluster_id: Set(id),
            };
            client_clusters::Entity::insert(grant).exec_without_returning(db).await?;
        }
        if d.members.is_empty() {
            return Ok(());
        }
        let now = db::now();
        let rows = d.members.iter().map(|m| {
            let mut row = <cluster_members::Entity as Resource>::columns(&MemberDraft {
                cluster_id: id,
                ..m.clone()
            });
            row.id = Set(Uuid::now_v7());
            row.created_at = Set(now);
            row.updated_at = Set(now);
            row.version = Set(1);
            row.deleted_at = Set(None);
            row
        });
        cluster_members::Entity::insert_many(rows).exec_without_returning(db).await?;
        Ok(())
    }

    /// A deleted cluster takes its memberships and regulations with it.
    async fn after_delete<C: ConnectionTrait>(db: &C, m: &clusters::Model) -> ApiResult<()> {
        common::soft_delete_where::<cluster_members::Entity, _>(db, cluster_members::Column::ClusterId.eq(m.id)).await?;
        common::soft_delete_where::<regulations::Entity, _>(db, regulations::Column::ClusterId.eq(m.id)).await
    }
}

/// Where a role comes in a member list: the lead first, then members, then observers.
fn role_rank(role: MemberRole) -> u8 {
    match role {
        MemberRole::Lead => 0,
        MemberRole::Member => 1,
        MemberRole::Observer => 2,
    }
}

/// The response body of one cluster with its members (of `as_of`, or all of them).
pub async fn view<C: ConnectionTrait>(db: &C, model: clusters::Model, as_of: Option<NaiveDate>) -> ApiResult<Cluster> {
    let mut select = live::<cluster_members::Entity>().filter(cluster_members::Column::ClusterId.eq(model.id));
    if let Some(day) = as_of {
        select = select.filter(common::active_on(
            cluster_members::Column::JoinedOn,
            cluster_members::Column::LeftOn,
            day,
        ));
    }
    let mut members = memberships::views(db, select.all(db).await?).await?;
    members.sort_by_cached_key(|m| (role_rank(m.role), search::fold(&m.unit.name), m.joined_on, m.stamp.id));
    let briefing = briefing_schedule(db, &model).await?;
    Ok(Cluster {
        cluster: ClusterSummary::from_model(model)?,
        as_of,
        members,
        briefing,
    })
}

/// When the cluster's next briefing is due: one cadence after the last one held (before the
/// first, after the cluster was established or recorded).
async fn briefing_schedule<C: ConnectionTrait>(db: &C, cluster: &clusters::Model) -> ApiResult<Option<BriefingSchedule>> {
    let Some(cadence) = cluster.briefing_cadence.as_deref().map(BriefingCadence::from_stored).transpose()? else {
        return Ok(None);
    };
    let last_held_at: Option<chrono::DateTime<chrono::Utc>> = live::<meetings::Entity>()
        .select_only()
        .column(meetings::Column::HeldAt)
        .filter(meetings::Column::ClusterId.eq(cluster.id))
        .filter(meetings::Column::Kind.eq(MeetingKind::Briefing.stored()))
        .filter(meetings::Column::HeldAt.lte(db::now()))
        .order_by_desc(meetings::Column::HeldAt)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    let since = match last_held_at {
        Some(at) => db::vietnam_date(at),
        None => cluster.established_on.unwrap_or_else(|| db::vietnam_date(cluster.created_at)),
    };
    let next_due_on = since + chrono::Months::new(cadence.months());
    Ok(Some(BriefingSchedule {
        cadence,
        last_held_at,
        next_due_on,
        overdue: next_due_on < db::today(),
    }))
}

/// Checks what only the creator can get wrong: a classification above its clearance, and (for a
/// user other than an administrator) a cluster its own unit is not a member of, which it could
/// not see once created. An agency client is granted the cluster it creates.
pub fn check_creator(p: &Principal, d: &mut ClusterDraft) -> ApiResult<()> {
    let mut errors = Vec::new();
    access::check_classification(p, d.classification, &mut errors);
    match p.kind {
        PrincipalKind::Client => d.grant_to_client = Some(p.id),
        PrincipalKind::User if p.is_admin() => {}
        PrincipalKind::User => {
            if !d.members.iter().any(|m| m.unit_id == p.unit_id) {
                errors.push(FieldError::new(
                    "members",
                    "own_unit_missing",
                    text!(
                        en: "Must include your own unit: you could not see the cluster otherwise.",
                        vi: "Phải có đơn vị của bạn: nếu không bạn sẽ không xem được cụm."
                    ),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    f: &ClusterListParams,
    page: &PageRequest,
) -> ApiResult<(Vec<ClusterSummary>, Option<String>)> {
    let mut select = live::<clusters::Entity>().filter(access::in_visible_clusters(clusters::Column::Id, p));
    if let Some(terms) = search::query_terms(f.q.as_deref())? {
        let matching_units = Query::select()
            .column(units::Column::Id)
            .from(units::Entity)
            .and_where(units::Column::DeletedAt.is_null())
            .cond_where(search::matches_all(units::Column::SearchText, &terms))
            .to_owned();
        let with_matching_member = Query::select()
            .column(cluster_members::Column::ClusterId)
            .from(cluster_members::Entity)
            .and_where(cluster_members::Column::DeletedAt.is_null())
            .and_where(cluster_members::Column::UnitId.in_subquery(matching_units))
            .to_owned();
        select = select.filter(
            Condition::any()
                .add(search::matches_all(clusters::Column::SearchText, &terms))
                .add(clusters::Column::Id.in_subquery(with_matching_member)),
        );
    }
    if let Some(kind) = f.kind {
        select = select.filter(clusters::Column::Kind.eq(kind.stored()));
    }
    if let Some(status) = f.status {
        select = select.filter(clusters::Column::Status.eq(status.stored()));
    }
    if let Some(classification) = f.classification {
        select = select.filter(clusters::Column::Classification.eq(classification.stored()));
    }
    if let Some(unit_id) = f.unit_id {
        let memberships = Query::select()
            .column(cluster_members::Column::ClusterId)
            .from(cluster_members::Entity)
            .and_where(cluster_members::Column::DeletedAt.is_null())
            .and_where(cluster_members::Column::UnitId.eq(unit_id))
            .to_owned();
        select = select.filter(clusters::Column::Id.in_subquery(memberships));
    }
    let (rows, next) = fetch_page(db, select, clusters::Column::Id, f.sort, page).await?;
    let items = rows.into_iter().map(ClusterSummary::from_model).collect::<ApiResult<_>>()?;
    Ok((items, next))
}
