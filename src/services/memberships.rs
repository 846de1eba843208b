//! Cluster memberships: periods that do not overlap for one unit, one lead at a time, and the
//! member count an active cluster needs.

use chrono::NaiveDate;
use entity::{cluster_members, clusters, regulation_signatories, regulations, units};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

use super::common::{self, Resource, live};
use super::units as unit_service;
use crate::db;
use crate::domain::{ClusterKind, ClusterStatus, MemberRole, Stored};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::i18n::Text;
use crate::pagination::{PageRequest, fetch_page};
use crate::routes::memberships::{CreateMemberRequest, MemberListParams, UpdateMemberRequest};
use crate::text;
use crate::validation::Validator;
use crate::views::clusters::Member;

/// The writable state of a membership.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberDraft {
    pub cluster_id: Uuid,
    pub unit_id: Uuid,
    pub role: MemberRole,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
}

impl MemberDraft {
    pub fn new(cluster_id: Uuid, r: CreateMemberRequest) -> Self {
        Self {
            cluster_id,
            unit_id: r.unit_id,
            role: r.role.unwrap_or(MemberRole::Member),
            joined_on: r.joined_on.map(Into::into),
            left_on: r.left_on.map(Into::into),
        }
    }

    fn period(&self) -> (Option<NaiveDate>, Option<NaiveDate>) {
        (self.joined_on, self.left_on)
    }

    fn of(m: &cluster_members::Model) -> ApiResult<Self> {
        Ok(Self {
            cluster_id: m.cluster_id,
            unit_id: m.unit_id,
            role: MemberRole::from_stored(&m.role)?,
            joined_on: m.joined_on,
            left_on: m.left_on,
        })
    }
}

impl UpdateMemberRequest {
    pub fn apply(self, d: &mut MemberDraft, errors: &mut Vec<FieldError>) {
        self.role.apply_required("role", &mut d.role, errors);
        self.joined_on.map(Into::into).apply_to(&mut d.joined_on);
        self.left_on.map(Into::into).apply_to(&mut d.left_on);
    }
}

/// Checks the memberships of a new cluster: their periods, their units, and that no unit's
/// memberships overlap and no two leads overlap. Errors name `members[i].…`.
pub async fn check_new<C: ConnectionTrait>(db: &C, v: &mut Validator, members: &[MemberDraft]) -> ApiResult<()> {
    let known = common::live_ids::<units::Entity, _>(db, members.iter().map(|m| m.unit_id)).await?;
    for (i, m) in members.iter().enumerate() {
        v.period(
            (&format!("members[{i}].joined_on"), m.joined_on),
            (&format!("members[{i}].left_on"), m.left_on),
        );
        if !known.contains(&m.unit_id) {
            v.push(FieldError::unknown_reference(
                format!("members[{i}].unit_id"),
                <units::Entity as common::Record>::NOUN,
            ));
        }
        for (j, earlier) in members[..i].iter().enumerate() {
            if let Some(message) = clash(earlier, m) {
                v.push(FieldError::new(format!("members[{i}]"), "overlap", message.with_other(j)));
            }
        }
    }
    Ok(())
}

/// Why two memberships of one cluster cannot both stand, if they cannot.
fn clash(a: &MemberDraft, b: &MemberDraft) -> Option<Clash> {
    if !common::periods_overlap(a.period(), b.period()) {
        return None;
    }
    if a.unit_id == b.unit_id {
        Some(Clash::SameUnit)
    } else if a.role == MemberRole::Lead && b.role == MemberRole::Lead {
        Some(Clash::TwoLeads)
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy)]
enum Clash {
    SameUnit,
    TwoLeads,
}

impl Clash {
    fn with_other(self, other: usize) -> Text {
        match self {
            Clash::SameUnit => text!(
                en: "The unit's membership overlaps in time with members[{other}] for the same unit.",
                vi: "Tư cách thành viên của đơn vị trùng thời gian với members[{other}] của cùng đơn vị."
            ),
            Clash::TwoLeads => text!(
                en: "Two leads at once: this lead's period overlaps with the lead members[{other}].",
                vi: "Hai đơn vị chủ trì cùng lúc: thời gian chủ trì trùng với members[{other}]."
            ),
        }
    }

    fn stored(self) -> Text {
        match self {
            Clash::SameUnit => text!(
                en: "The unit already has a membership of this cluster during an overlapping period.",
                vi: "Đơn vị đã là thành viên của cụm trong khoảng thời gian trùng lặp."
            ),
            Clash::TwoLeads => text!(
                en: "The cluster already has a lead during an overlapping period; end that lead's membership first.",
                vi: "Cụm đã có đơn vị chủ trì trong khoảng thời gian trùng lặp; hãy kết thúc vai trò chủ trì đó trước."
            ),
        }
    }
}

/// How many distinct units are members (not observers) on `day`.
pub fn member_units_on<'a>(members: impl IntoIterator<Item = &'a MemberDraft>, day: NaiveDate) -> usize {
    let mut units: Vec<Uuid> = members
        .into_iter()
        .filter(|m| m.role != MemberRole::Observer && common::covers(m.joined_on, m.left_on, day))
        .map(|m| m.unit_id)
        .collect();
    units.sort_unstable();
    units.dedup();
    units.len()
}

/// The member count an active cluster of this kind needs, as an error text when `count` falls short.
pub fn member_count_problem(kind: ClusterKind, status: ClusterStatus, count: usize) -> Option<Text> {
    if status != ClusterStatus::Active {
        return None;
    }
    match kind {
        ClusterKind::Bilateral if count != 2 => Some(text!(
            en: "An active bilateral cluster has exactly two member units today; it would have {count}.",
            vi: "Cụm song phương đang hoạt động phải có đúng hai đơn vị thành viên tại ngày hôm nay; số đơn vị sẽ là {count}."
        )),
        _ if count < 2 => Some(text!(
            en: "An active cluster has at least two member units today; it would have {count}.",
            vi: "Cụm đang hoạt động phải có ít nhất hai đơn vị thành viên tại ngày hôm nay; số đơn vị sẽ là {count}."
        )),
        _ => None,
    }
}

/// The memberships of a cluster in force today.
pub fn current(cluster_id: Uuid) -> sea_orm::Select<cluster_members::Entity> {
    live::<cluster_members::Entity>()
        .filter(cluster_members::Column::ClusterId.eq(cluster_id))
        .filter(common::active_on(
            cluster_members::Column::JoinedOn,
            cluster_members::Column::LeftOn,
            db::today(),
        ))
}

/// Whether the unit is a member of the cluster today.
pub async fn is_current_member<C: ConnectionTrait>(db: &C, cluster_id: Uuid, unit_id: Uuid) -> ApiResult<bool> {
    use sea_orm::PaginatorTrait;
    let found = current(cluster_id)
        .filter(cluster_members::Column::UnitId.eq(unit_id))
        .count(db)
        .await?;
    Ok(found > 0)
}

/// The live memberships of a cluster, as drafts, except `skip`.
pub async fn stored<C: ConnectionTrait>(db: &C, cluster_id: Uuid, skip: Option<Uuid>) -> ApiResult<Vec<MemberDraft>> {
    let mut select = live::<cluster_members::Entity>().filter(cluster_members::Column::ClusterId.eq(cluster_id));
    if let Some(id) = skip {
        select = select.filter(cluster_members::Column::Id.ne(id));
    }
    select.all(db).await?.iter().map(MemberDraft::of).collect()
}

/// Refuses a change to a cluster's memberships that would leave an active cluster short of members.
fn check_cluster_stays_valid(cluster: &clusters::Model, members: &[MemberDraft]) -> ApiResult<()> {
    let kind = ClusterKind::from_stored(&cluster.kind)?;
    let status = ClusterStatus::from_stored(&cluster.status)?;
    match member_count_problem(kind, status, member_units_on(members, db::today())) {
        Some(problem) => Err(ApiError::conflict(problem)),
        None => Ok(()),
    }
}

/// The cluster a change to memberships or regulations concerns, locked so that such changes to
/// one cluster happen one after another; a dissolved cluster takes no new ones.
pub async fn lock_cluster<C: ConnectionTrait>(db: &C, cluster_id: Uuid, adding: bool) -> ApiResult<clusters::Model> {
    let cluster = common::find_for_update::<clusters::Entity, _>(db, cluster_id).await?;
    if adding && ClusterStatus::from_stored(&cluster.status)? == ClusterStatus::Dissolved {
        return Err(ApiError::conflict(text!(
            en: "The cluster is dissolved; it takes no new members or regulations.",
            vi: "Cụm đã giải thể; không thể thêm thành viên hoặc quy chế mới."
        )));
    }
    Ok(cluster)
}

impl Resource for cluster_members::Entity {
    async fn classification<C: ConnectionTrait>(db: &C, m: &cluster_members::Model) -> ApiResult<Option<String>> {
        super::access::cluster_classification(db, m.cluster_id).await
    }

    type Draft = MemberDraft;

    async fn draft<C: ConnectionTrait>(_db: &C, m: &cluster_members::Model) -> ApiResult<MemberDraft> {
        MemberDraft::of(m)
    }

    async fn validate<C: ConnectionTrait>(db: &C, d: &mut MemberDraft, current: Option<&cluster_members::Model>) -> ApiResult<()> {
        let mut v = Validator::new();
        v.period(("joined_on", d.joined_on), ("left_on", d.left_on));
        common::check_reference::<units::Entity, _>(db, &mut v, "unit_id", Some(d.unit_id)).await?;
        v.finish()?;
        let cluster = lock_cluster(db, d.cluster_id, current.is_none()).await?;
        let mut others = stored(db, d.cluster_id, current.map(|c| c.id)).await?;
        if let Some(problem) = others.iter().find_map(|other| clash(other, d)) {
            return Err(ApiError::conflict(problem.stored()));
        }
        others.push(d.clone());
        check_cluster_stays_valid(&cluster, &others)
    }

    fn columns(d: &MemberDraft) -> cluster_members::ActiveModel {
        cluster_members::ActiveModel {
            cluster_id: Set(d.cluster_id),
            unit_id: Set(d.unit_id),
            role: Set(d.role.stored()),
            joined_on: Set(d.joined_on),
            left_on: Set(d.left_on),
            ..Default::default()
        }
    }

    async fn after_save<C: ConnectionTrait>(
        db: &C,
        _id: Uuid,
        d: &MemberDraft,
        _current: Option<&cluster_members::Model>,
    ) -> ApiResult<()> {
        common::touch::<clusters::Entity, _>(db, d.cluster_id).await
    }

    async fn check_deletable<C: ConnectionTrait>(db: &C, m: &cluster_members::Model) -> ApiResult<()> {
        let cluster = lock_cluster(db, m.cluster_id, false).await?;
        let remaining = stored(db, m.cluster_id, Some(m.id)).await?;
        let still_member = remaining.iter().any(|r| r.unit_id == m.unit_id);
        if !still_member && signed_in_cluster(db, m.cluster_id, m.unit_id).await? {
            return Err(ApiError::conflict(text!(
                en: "The unit signed regulations of this cluster, so its membership is part of their record; set `left_on` instead.",
                vi: "Đơn vị đã ký quy chế của cụm nên tư cách thành viên là một phần hồ sơ của quy chế; hãy đặt `left_on` thay vì xóa."
            )));
        }
        check_cluster_stays_valid(&cluster, &remaining)
    }

    async fn after_delete<C: ConnectionTrait>(db: &C, m: &cluster_members::Model) -> ApiResult<()> {
        common::touch::<clusters::Entity, _>(db, m.cluster_id).await
    }
}

/// Whether the unit signed a live regulation of the cluster.
async fn signed_in_cluster<C: ConnectionTrait>(db: &C, cluster_id: Uuid, unit_id: Uuid) -> ApiResult<bool> {
    let regulations_of_cluster = Query::select()
        .column(regulations::Column::Id)
        .from(regulations::Entity)
        .and_where(regulations::Column::ClusterId.eq(cluster_id))
        .and_where(regulations::Column::DeletedAt.is_null())
        .to_owned();
    let signed = regulation_signatories::Entity::find()
        .filter(regulation_signatories::Column::UnitId.eq(unit_id))
        .filter(regulation_signatories::Column::RegulationId.in_subquery(regulations_of_cluster))
        .count(db)
        .await?;
    Ok(signed > 0)
}

/// A live membership of the given cluster, or 404.
pub async fn find<C: ConnectionTrait>(db: &C, cluster_id: Uuid, member_id: Uuid) -> ApiResult<cluster_members::Model> {
    common::find_live::<clusters::Entity, _>(db, cluster_id).await?;
    let member = common::find_live::<cluster_members::Entity, _>(db, member_id).await?;
    if member.cluster_id != cluster_id {
        return Err(ApiError::not_found(<cluster_members::Entity as common::Record>::NOUN));
    }
    Ok(member)
}

/// Response bodies of memberships, with their units, in two queries.
pub async fn views<C: ConnectionTrait>(db: &C, models: Vec<cluster_members::Model>) -> ApiResult<Vec<Member>> {
    let summaries = unit_service::summaries(db, models.iter().map(|m| m.unit_id)).await?;
    models
        .into_iter()
        .map(|m| {
            let unit = summaries
                .get(&m.unit_id)
                .cloned()
                .ok_or_else(|| ApiError::internal(format!("member unit {} is missing", m.unit_id)))?;
            Member::from_model(m, unit)
        })
        .collect()
}

pub async fn view<C: ConnectionTrait>(db: &C, model: cluster_members::Model) -> ApiResult<Member> {
    views(db, vec![model])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("membership view lost"))
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    cluster_id: Uuid,
    f: &MemberListParams,
    page: &PageRequest,
) -> ApiResult<(Vec<Member>, Option<String>)> {
    let mut select = live::<cluster_members::Entity>().filter(cluster_members::Column::ClusterId.eq(cluster_id));
    if let Some(day) = f.active_on {
        select = select.filter(common::active_on(
            cluster_members::Column::JoinedOn,
            cluster_members::Column::LeftOn,
            day,
        ));
    }
    if let Some(role) = f.role {
        select = select.filter(cluster_members::Column::Role.eq(role.stored()));
    }
    let (rows, next) = fetch_page(db, select, cluster_members::Column::Id, f.sort, page).await?;
    Ok((views(db, rows).await?, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(unit: u128, role: MemberRole, from: Option<&str>, to: Option<&str>) -> MemberDraft {
        MemberDraft {
            cluster_id: Uuid::nil(),
            unit_id: Uuid::from_u128(unit),
            role,
            joined_on: from.and_then(|d| d.parse().ok()),
            left_on: to.and_then(|d| d.parse().ok()),
        }
    }

    #[test]
    fn counts_distinct_member_units_of_a_day() {
        let day = "2024-06-16".parse().unwrap_or_default();
        let members = [
            member(1, MemberRole::Lead, None, None),
            member(2, MemberRole::Member, Some("2020-01-01"), None),
            member(3, MemberRole::Observer, None, None),
            member(4, MemberRole::Member, None, Some("2024-06-16")),
            member(5, MemberRole::Member, Some("2024-06-17"), None),
        ];
        assert_eq!(member_units_on(&members, day), 2, "observers, past and future members do not count");
    }

    #[test]
    fn member_count_rules() {
        use ClusterKind::*;
        use ClusterStatus::*;
        let cases = [
            (LiaisonCluster, Active, 1, false),
            (LiaisonCluster, Active, 2, true),
            (LiaisonCluster, Forming, 0, true),
            (Bilateral, Active, 2, true),
            (Bilateral, Active, 3, false),
            (TriForce, Active, 3, true),
        ];
        for (kind, status, count, ok) in cases {
            assert_eq!(
                member_count_problem(kind, status, count).is_none(),
                ok,
                "{kind:?} {status:?} with {count}"
            );
        }
    }

    #[test]
    fn clashes() {
        let a = member(1, MemberRole::Lead, None, Some("2024-01-01"));
        let b = member(1, MemberRole::Member, Some("2024-01-01"), None);
        assert!(clash(&a, &b).is_none(), "the same unit may rejoin after leaving");
        let c = member(2, MemberRole::Lead, Some("2023-06-01"), None);
        assert!(matches!(clash(&a, &c), Some(Clash::TwoLeads)));
        let d = member(1, MemberRole::Observer, Some("2023-06-01"), None);
        assert!(matches!(clash(&a, &d), Some(Clash::SameUnit)));
    }
}
