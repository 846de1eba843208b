//! What a caller may see and manage: the clusters its unit is or was a member of (for an agency
//! client, the clusters it was granted; for an administrator, all), and only records classified
//! at or below its clearance. What it may not see is reported as not existing.

use entity::{client_clusters, cluster_members, clusters};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use super::common::{self, Record, live};
use crate::auth::{Principal, PrincipalKind};
use crate::domain::{Classification, ClusterStatus, Stored};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::text;

/// `SELECT id FROM clusters` the caller may see, for `IN (…)` filters.
pub fn visible_clusters(p: &Principal) -> SelectStatement {
    let mut query = Query::select()
        .column(clusters::Column::Id)
        .from(clusters::Entity)
        .and_where(clusters::Column::DeletedAt.is_null())
        .and_where(clusters::Column::Classification.is_in(p.visible_classifications()))
        .to_owned();
    match p.kind {
        PrincipalKind::User if p.is_admin() => {}
        PrincipalKind::User => {
            let memberships = Query::select()
                .column(cluster_members::Column::ClusterId)
                .from(cluster_members::Entity)
                .and_where(cluster_members::Column::DeletedAt.is_null())
                .and_where(cluster_members::Column::UnitId.eq(p.unit_id))
                .to_owned();
            query.and_where(clusters::Column::Id.in_subquery(memberships));
        }
        PrincipalKind::Client => {
            let grants = Query::select()
                .column(client_clusters::Column::ClusterId)
                .from(client_clusters::Entity)
                .and_where(client_clusters::Column::ClientId.eq(p.id))
                .to_owned();
            query.and_where(clusters::Column::Id.in_subquery(grants));
        }
    }
    query
}

/// A cluster the caller may see, or 404.
pub async fn visible_cluster<C: ConnectionTrait>(db: &C, p: &Principal, id: Uuid) -> ApiResult<clusters::Model> {
    live::<clusters::Entity>()
        .filter(clusters::Column::Id.eq(id))
        .filter(clusters::Column::Id.in_subquery(visible_clusters(p)))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(clusters::Entity::NOUN))
}

/// A cluster found visible to a caller, with that caller's clearance. Only [`seen_cluster`]
/// makes one, so holding it proves the check was made: records filtered to this cluster need no
/// second test of their cluster.
#[derive(Debug, Clone)]
pub struct SeenCluster {
    cluster: clusters::Model,
    classifications: Vec<String>,
}

impl SeenCluster {
    pub fn model(&self) -> &clusters::Model {
        &self.cluster
    }

    /// Records of this cluster classified within the clearance of the caller who saw it: for
    /// this cluster, the records [`visible_cluster_records`] keeps, without its subquery.
    pub fn records(&self, cluster: impl ColumnTrait, classification: impl ColumnTrait) -> Condition {
        Condition::all()
            .add(cluster.eq(self.cluster.id))
            .add(classification.is_in(self.classifications.iter().map(String::as_str)))
    }
}

/// A cluster the caller may see, or 404, as [`SeenCluster`].
pub async fn seen_cluster<C: ConnectionTrait>(db: &C, p: &Principal, id: Uuid) -> ApiResult<SeenCluster> {
    let cluster = visible_cluster(db, p, id).await?;
    Ok(SeenCluster {
        cluster,
        classifications: p.visible_classifications(),
    })
}

/// Refuses (403) changes to a visible cluster by a caller who does not manage it: an
/// administrator manages every cluster, an agency client those it was granted, any other user
/// those its unit is a member of today.
pub async fn check_manages<C: ConnectionTrait>(db: &C, p: &Principal, cluster: &clusters::Model) -> ApiResult<()> {
    if p.is_admin() || p.kind == PrincipalKind::Client {
        return Ok(());
    }
    if !super::memberships::is_current_member(db, cluster.id, p.unit_id).await? {
        return Err(ApiError::forbidden(text!(
            en: "Only users of the cluster's current member units may change it or its records.",
            vi: "Chỉ người dùng của đơn vị đang là thành viên cụm mới được thay đổi cụm hoặc hồ sơ của cụm."
        )));
    }
    Ok(())
}

/// Refuses (403) an officer's change to a record another unit wrote: officers record their own
/// unit's work, coordinators and administrators any work of the clusters they manage.
pub fn check_own_unit(p: &Principal, unit_id: Uuid) -> ApiResult<()> {
    use crate::domain::Role;
    let broader = p.kind == PrincipalKind::Client || p.roles.iter().any(|r| matches!(r, Role::Admin | Role::Coordinator));
    if broader || p.unit_id == unit_id {
        return Ok(());
    }
    Err(ApiError::forbidden(text!(
        en: "Officers change only the records of their own unit.",
        vi: "Cán bộ nghiệp vụ chỉ được thay đổi hồ sơ của đơn vị mình."
    )))
}

/// Refuses a change to a record of a cluster unless the caller's unit is a current member (or it
/// is an administrator or a granted client) and, for an officer, the record is its own unit's
/// (`unit_id`; `None` when any member's coordinator may change it).
pub async fn check_record_writer<C: ConnectionTrait>(db: &C, p: &Principal, cluster_id: Uuid, unit_id: Option<Uuid>) -> ApiResult<()> {
    let cluster = common::find_live::<clusters::Entity, _>(db, cluster_id).await?;
    check_manages(db, p, &cluster).await?;
    match unit_id {
        Some(unit) => check_own_unit(p, unit),
        None => Ok(()),
    }
}

/// A cluster the caller may see and manage: 404 when it may not see it, 403 when it may not
/// manage it.
pub async fn managed_cluster<C: ConnectionTrait>(db: &C, p: &Principal, id: Uuid) -> ApiResult<clusters::Model> {
    let cluster = visible_cluster(db, p, id).await?;
    check_manages(db, p, &cluster).await?;
    Ok(cluster)
}

/// The cluster a new record is written into, by a caller who must manage it: one it cannot see is
/// reported like one that does not exist (422 on `cluster_id`), one it does not manage is a 403.
pub async fn cluster_for_new_record<C: ConnectionTrait>(db: &C, p: &Principal, id: Uuid) -> ApiResult<clusters::Model> {
    let cluster = visible_cluster(db, p, id).await.map_err(|e| match e {
        ApiError::NotFound { .. } => ApiError::validation(vec![FieldError::unknown_reference("cluster_id", clusters::Entity::NOUN)]),
        other => other,
    })?;
    check_manages(db, p, &cluster).await?;
    if ClusterStatus::from_stored(&cluster.status)? == ClusterStatus::Dissolved {
        return Err(ApiError::conflict(text!(
            en: "The cluster is dissolved; it takes no new records.",
            vi: "Cụm đã giải thể; không thể ghi nhận hồ sơ mới."
        )));
    }
    Ok(cluster)
}

/// Checks what a caller puts into a new record of a cluster: an officer writes only for its own
/// unit (403), and nobody classifies above its clearance (422).
pub fn check_new_record(p: &Principal, unit_id: Uuid, classification: Classification) -> ApiResult<()> {
    check_own_unit(p, unit_id)?;
    let mut errors = Vec::new();
    check_classification(p, classification, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(())
}

/// The stricter of a record's own classification and its cluster's.
pub fn stricter(own: &str, cluster: Option<&str>) -> String {
    let rank = |c: &str| Classification::from_stored(c).unwrap_or(Classification::Secret);
    match cluster {
        Some(cluster) if rank(cluster) > rank(own) => cluster.to_owned(),
        _ => own.to_owned(),
    }
}

/// Reads of records of clusters, given as `(id, cluster id, own classification)`, each under the
/// stricter of its own and its cluster's class: what [`audit_reads`] takes. A read in a
/// transaction finds these in it and records them once it has committed.
pub async fn cluster_record_reads<'a, C: ConnectionTrait>(
    db: &C,
    read: impl IntoIterator<Item = (Uuid, Uuid, &'a str)>,
) -> ApiResult<Vec<(Uuid, String)>> {
    let read: Vec<(Uuid, Uuid, &str)> = read.into_iter().collect();
    let classes = classifications(db, read.iter().map(|(_, cluster, _)| *cluster)).await?;
    Ok(read
        .into_iter()
        .map(|(id, cluster, own)| (id, stricter(own, classes.get(&cluster).map(String::as_str))))
        .collect())
}

/// A record of a cluster as its reads are audited: `(id, cluster id, own classification)`.
pub trait ClusterRecord {
    fn audit_key(&self) -> (Uuid, Uuid, &str);
}

macro_rules! cluster_record {
    ($($view:ty),*) => {$(
        impl ClusterRecord for $view {
            fn audit_key(&self) -> (Uuid, Uuid, &str) {
                (self.stamp.id, self.cluster_id, self.classification.as_ref())
            }
        }
    )*};
}

cluster_record!(
    crate::views::activities::Activity,
    crate::views::bulletins::Bulletin,
    crate::views::incidents::Incident,
    crate::views::meetings::Meeting
);

/// [`cluster_record_reads`] of records read as views.
pub async fn view_reads<C: ConnectionTrait>(db: &C, views: &[impl ClusterRecord]) -> ApiResult<Vec<(Uuid, String)>> {
    cluster_record_reads(db, views.iter().map(ClusterRecord::audit_key)).await
}

/// One page of records of clusters, listed by `list` on one held connection; the reads that
/// are audited are recorded once the connection is back in the pool.
pub async fn audited_page<E: Record, V: ClusterRecord>(
    reads: &crate::db::Reads,
    ctx: &crate::context::RequestContext,
    list: impl AsyncFnOnce(&crate::db::HeldConnection) -> ApiResult<(Vec<V>, Option<String>)>,
) -> ApiResult<(Vec<V>, Option<String>)> {
    fn items<V>(page: &(Vec<V>, Option<String>)) -> &[V] {
        &page.0
    }
    audited::<E, _, V>(reads, ctx, list, items).await
}

/// One record of a cluster, found by `find` on one held connection; its read, if audited, is
/// recorded once the connection is back in the pool.
pub async fn audited_one<E: Record, V: ClusterRecord>(
    reads: &crate::db::Reads,
    ctx: &crate::context::RequestContext,
    find: impl AsyncFnOnce(&crate::db::HeldConnection) -> ApiResult<V>,
) -> ApiResult<V> {
    audited::<E, _, V>(reads, ctx, find, std::slice::from_ref).await
}

/// Runs `read` on one held connection, finds there what the reads of its `records` record,
/// returns the connection and records them (waiting for the audit trail without holding a
/// connection the trail's writer may need).
async fn audited<E: Record, T, V: ClusterRecord>(
    reads: &crate::db::Reads,
    ctx: &crate::context::RequestContext,
    read: impl AsyncFnOnce(&crate::db::HeldConnection) -> ApiResult<T>,
    records: impl Fn(&T) -> &[V],
) -> ApiResult<T> {
    let (out, reads) = crate::db::HeldConnection::read(reads, async |conn| {
        let out = read(conn).await?;
        let reads = view_reads(conn, records(&out)).await?;
        ApiResult::Ok((out, reads))
    })
    .await?;
    audit_reads::<E>(ctx, reads).await?;
    Ok(out)
}

/// Records the reads of those records of clusters, given as `(id, cluster id, own
/// classification)`, that are confidential or secret by their own or their cluster's class.
pub async fn audit_cluster_record_reads<'a, E: Record, C: ConnectionTrait>(
    db: &C,
    ctx: &crate::context::RequestContext,
    read: impl IntoIterator<Item = (Uuid, Uuid, &'a str)>,
) -> ApiResult<()> {
    audit_reads::<E>(ctx, cluster_record_reads(db, read).await?).await
}

/// Refuses a classification above the caller's clearance: it could not see what it wrote.
pub fn check_classification(p: &Principal, classification: Classification, errors: &mut Vec<FieldError>) {
    if !p.cleared_for(classification) {
        let clearance = p.clearance.stored();
        errors.push(FieldError::new(
            "classification",
            "above_clearance",
            text!(
                en: "Must not be above your clearance ({clearance}).",
                vi: "Không được cao hơn cấp độ mật được phép của bạn ({clearance})."
            ),
        ));
    }
}

/// Whether reading a record of this classification leaves an audit event.
pub fn read_is_audited(classification: &str) -> bool {
    Classification::from_stored(classification).is_ok_and(|c| c >= Classification::Confidential)
}

/// Records of clusters the caller may see, classified within its clearance.
pub fn visible_cluster_records(cluster: impl ColumnTrait, classification: impl ColumnTrait, p: &Principal) -> Condition {
    in_visible_clusters(cluster, p).add(classification.is_in(p.visible_classifications()))
}

/// Clusters the caller may see, as a filter on a column holding cluster ids.
pub fn in_visible_clusters(column: impl ColumnTrait, p: &Principal) -> Condition {
    Condition::all().add(column.in_subquery(visible_clusters(p)))
}

/// Records the read of a confidential or secret record in the audit trail.
pub async fn audit_read<E: Record>(ctx: &crate::context::RequestContext, id: Uuid, classification: &str) -> ApiResult<()> {
    audit_reads::<E>(ctx, [(id, classification.to_owned())]).await
}

/// Records the reads of those records that are confidential or secret (a list answer holding
/// several of them), through the request's `ReadTrail`; returns once they are committed.
pub async fn audit_reads<E: Record>(ctx: &crate::context::RequestContext, read: impl IntoIterator<Item = (Uuid, String)>) -> ApiResult<()> {
    let events: Vec<_> = read
        .into_iter()
        .filter(|(_, c)| read_is_audited(c))
        .map(|(id, classification)| {
            let changes = serde_json::json!({ "classification": classification });
            common::event::<E>("read", id, changes).classified(Some(classification))
        })
        .collect();
    if events.is_empty() {
        return Ok(());
    }
    let trail = ctx
        .read_trail
        .as_ref()
        .ok_or_else(|| crate::error::ApiError::internal("a request without the read trail"))?;
    trail.record(crate::audit::AuditContext::of(ctx), events).await
}

/// The classification of one cluster (deleted or not), for the audit trail.
pub async fn cluster_classification<C: ConnectionTrait>(db: &C, id: Uuid) -> ApiResult<Option<String>> {
    Ok(classifications(db, [id]).await?.remove(&id))
}

/// The classifications of the given clusters.
pub async fn classifications<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> ApiResult<std::collections::HashMap<Uuid, String>> {
    use sea_orm::{EntityTrait, QuerySelect};
    let ids: Vec<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let rows: Vec<(Uuid, String)> = clusters::Entity::find()
        .select_only()
        .column(clusters::Column::Id)
        .column(clusters::Column::Classification)
        .filter(clusters::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}
