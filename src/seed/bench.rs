//! A national-scale data set for load tests, generated from a seed.
//!
//! At scale 1 it holds about 10 000 units in the real hierarchy (province commands, district
//! police and military commands, commune police), 2 000 liaison clusters of 2–12 members,
//! 1 000 000 incidents over five years, 200 000 activities and 300 000 bulletins with their
//! acknowledgements. Work is skewed as it is in the field: a cluster's share of the incidents,
//! bulletins and activities falls with its rank (Zipf, exponent 1), so a few clusters are busy and
//! most are quiet. The same seed and scale give the same records, ids included.
//!
//! Records go in as multi-row inserts, a few thousand values a statement, in one transaction:
//! a failed load leaves nothing behind. Rows are built from drafts through each resource's own
//! column mapping, so search text and sort keys are what the API would have stored. What this
//! skips is validation (the generator only makes valid records) and the audit trail (a bulk load
//! is not an action of anyone's). An incident's timeline holds its report and, when it has moved
//! on, one step to its current status.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use entity::{
    activity_areas, activity_figures, activity_participants, app_meta, areas, bulletin_recipients, bulletins, clusters,
    incident_categories, incident_events, incidents, users,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, Iterable, QueryFilter, Set, TransactionTrait};
use serde::Serialize;
use uuid::Uuid;

use crate::audit::AuditContext;
use crate::auth::passwords::{hash_now, random_secret};
use crate::domain::{
    ActivityKind, ActivityStatus, AreaLevel, BriefingCadence, Classification, ClusterKind, ClusterStatus, Force, IncidentStatus,
    MemberRole, Role, Scope, Severity, Stored, UnitLevel,
};
use crate::error::{ApiError, ApiResult};
use crate::services::activities::ActivityDraft;
use crate::services::areas::AreaDraft;
use crate::services::bulletins::BulletinDraft;
use crate::services::clients::{ClientDraft, new_secret};
use crate::services::clusters::ClusterDraft;
use crate::services::common::{self, live};
use crate::services::incidents::IncidentDraft;
use crate::services::memberships::MemberDraft;
use crate::services::units::UnitDraft;
use crate::services::users::UserDraft;
use crate::views::activities::{Figure, ParticipantInput};
use crate::views::incidents::IncidentCounts;

/// The `app_meta` key recording that the data set was loaded.
const MARKER: &str = "bench_data";
/// Values bound per insert statement; below SQLite's 32 766 and PostgreSQL's 65 535.
const VALUES_PER_STATEMENT: usize = 30_000;
/// District groups (two district commands and their communes) per province.
const DISTRICTS_PER_PROVINCE: usize = 11;
/// Commune police stations per district.
const COMMUNES_PER_DISTRICT: usize = 12;
/// Years of incidents, bulletins and activities, ending at [`end`].
const YEARS: i64 = 5;

/// Record counts at scale 1.
const UNITS: f64 = 10_000.0;
const CLUSTERS: f64 = 2_000.0;
const INCIDENTS: f64 = 1_000_000.0;
const ACTIVITIES: f64 = 200_000.0;
const BULLETINS: f64 = 300_000.0;

/// Syllables of generated place names.
const SYLLABLES: &[&str] = &[
    "An", "Bình", "Cát", "Đông", "Hòa", "Hưng", "Lạc", "Long", "Minh", "Phú", "Quang", "Sơn", "Tân", "Thạch", "Thanh", "Thuận", "Tiên",
    "Trung", "Vĩnh", "Xuân", "Yên", "Hải", "Nam", "Bắc", "Kỳ", "Đức", "Lâm", "Phước", "Gia", "Mỹ", "Ninh", "Hà",
];
/// One of the syllables: a word many unit names hold, for `q` searches.
const SEARCH_TERM: &str = "Hòa";
/// How incidents came to light, for their summaries.
const SOURCES: &[&str] = &[
    "phát hiện khi tuần tra",
    "nhân dân trình báo",
    "đơn vị bạn thông báo",
    "phát hiện qua camera giám sát",
    "phát hiện khi kiểm tra hành chính",
];

/// What was generated, and whom to call as: printed as JSON for the load harness.
#[derive(Debug, Serialize)]
pub struct BenchSummary {
    pub seed: u64,
    pub scale: f64,
    pub counts: Counts,
    /// The cluster with the most incidents, and its busiest year.
    pub busiest_cluster: BusiestCluster,
    /// A unit name word that many units share, for `q` searches.
    pub search_term: String,
    /// Generated logins (passwords are random; shown this once).
    pub users: Vec<BenchUser>,
    /// An agency client granted the busiest cluster, with `clusters:read` and `records:write`.
    pub client: BenchClient,
}

#[derive(Debug, Default, Serialize)]
pub struct Counts {
    pub areas: usize,
    pub units: usize,
    pub clusters: usize,
    pub memberships: usize,
    pub incidents: usize,
    pub incident_events: usize,
    pub bulletins: usize,
    pub bulletin_recipients: usize,
    pub activities: usize,
    pub activity_participants: usize,
}

#[derive(Debug, Serialize)]
pub struct BusiestCluster {
    pub id: Uuid,
    pub name: String,
    pub incidents: usize,
    pub year: i32,
    pub incidents_in_year: usize,
    /// A member unit; the generated officer and coordinator belong to it.
    pub unit_id: Uuid,
    pub category_id: Uuid,
}

#[derive(Debug, Serialize)]
pub struct BenchUser {
    pub username: String,
    pub role: Role,
    pub password: String,
}

#[derive(Debug, Serialize)]
pub struct BenchClient {
    pub client_id: Uuid,
    pub client_secret: String,
}

/// SplitMix64: small, fast and the same on every platform, which is all a data generator needs.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn bits(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.bits() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n).
    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }

    /// Uniform in [low, high].
    fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.below(usize::try_from(high - low + 1).unwrap_or(1)) as i64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One of `choices`, each with its weight.
    fn weighted<T: Copy>(&mut self, choices: &[(T, f64)]) -> T {
        let total: f64 = choices.iter().map(|(_, w)| w).sum();
        let mut x = self.unit() * total;
        for (choice, weight) in choices {
            if x < *weight {
                return *choice;
            }
            x -= weight;
        }
        choices[choices.len() - 1].0
    }

    /// Log-uniform in [low, high]: as many values per decade, as delays are.
    fn log_uniform(&mut self, low: f64, high: f64) -> f64 {
        (low.ln() + self.unit() * (high.ln() - low.ln())).exp()
    }

    /// A time-ordered id (UUIDv7) for a record made at `at`.
    fn id(&mut self, at: DateTime<Utc>) -> Uuid {
        let mut bytes = [0u8; 10];
        bytes[..8].copy_from_slice(&self.bits().to_le_bytes());
        bytes[8..].copy_from_slice(&self.bits().to_le_bytes()[..2]);
        let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
        uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid()
    }

    /// A place name of two syllables.
    fn place(&mut self) -> String {
        format!("{} {}", self.pick(SYLLABLES), self.pick(SYLLABLES))
    }
}

/// Picks indexes with fixed weights by binary search over their running sums.
#[derive(Debug)]
struct Weights(Vec<f64>);

impl Weights {
    fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut total = 0.0;
        Self(
            weights
                .into_iter()
                .map(|w| {
                    total += w;
                    total
                })
                .collect(),
        )
    }

    fn pick(&self, rng: &mut Rng) -> usize {
        let total = self.0.last().copied().unwrap_or(0.0);
        let x = rng.unit() * total;
        self.0.partition_point(|c| *c <= x).min(self.0.len() - 1)
    }
}

/// The last moment of generated history; fixed so the same seed gives the same data any day.
fn end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().unwrap_or_default()
}

fn start() -> DateTime<Utc> {
    end() - Duration::days(365 * YEARS)
}

/// A uniformly random moment in [from, to).
fn moment(rng: &mut Rng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let span = (to - from).num_seconds().max(1);
    from + Duration::seconds((rng.unit() * span as f64) as i64)
}

fn scaled(count: f64, scale: f64, least: usize) -> usize {
    ((count * scale).round() as usize).max(least)
}

/// Rows waiting to be written, flushed as multi-row inserts.
struct Batch<A: ActiveModelTrait> {
    rows: Vec<A>,
    per_statement: usize,
    written: usize,
}

impl<A: ActiveModelTrait + Send> Batch<A> {
    fn new() -> Self {
        let columns = <A::Entity as EntityTrait>::Column::iter().count().max(1);
        Self {
            rows: Vec::new(),
            per_statement: VALUES_PER_STATEMENT / columns,
            written: 0,
        }
    }

    /// Adds a row, writing the waiting ones once a statement's worth has gathered; says whether
    /// it wrote them (rows that refer to them may then follow).
    async fn push<C: sea_orm::ConnectionTrait>(&mut self, db: &C, row: A) -> ApiResult<bool> {
        self.rows.push(row);
        if self.rows.len() < self.per_statement {
            return Ok(false);
        }
        self.flush(db).await?;
        Ok(true)
    }

    /// Writes the waiting rows, as many statements as they need.
    async fn flush<C: sea_orm::ConnectionTrait>(&mut self, db: &C) -> ApiResult<()> {
        self.written += self.rows.len();
        let mut rows = std::mem::take(&mut self.rows).into_iter();
        loop {
            let statement: Vec<A> = rows.by_ref().take(self.per_statement).collect();
            if statement.is_empty() {
                return Ok(());
            }
            <A::Entity as EntityTrait>::insert_many(statement)
                .exec_without_returning(db)
                .await?;
        }
    }
}

/// A generated unit: where it works, for choosing cluster members and incident areas.
#[derive(Debug, Clone, Copy)]
struct GenUnit {
    id: Uuid,
    area_id: Uuid,
}

/// A generated cluster with its member units.
#[derive(Debug)]
struct GenCluster {
    id: Uuid,
    name: String,
    members: Vec<GenUnit>,
    sla_hours: i64,
    /// Incident ids by report time, for bulletins that follow up on one.
    incidents: Vec<Uuid>,
}

/// Loads the data set into an empty database (after migration) and says what it holds.
pub async fn load(db: &DatabaseConnection, scale: f64, seed: u64) -> ApiResult<BenchSummary> {
    if scale.is_nan() || scale <= 0.0 || scale > 10.0 {
        return Err(ApiError::internal("the scale must be above 0 and at most 10"));
    }
    crate::services::incident_categories::ensure_defaults(db).await?;
    let txn = common::begin_write(db).await?;
    if super::holds_records(&txn).await? {
        return Err(ApiError::internal(
            "the database already holds records; load the bench data set into an empty one",
        ));
    }
    app_meta::Entity::insert(app_meta::ActiveModel {
        key: Set(MARKER.to_owned()),
        value: Set(format!("seed {seed}, scale {scale}")),
        updated_at: Set(crate::db::now()),
    })
    .exec_without_returning(&txn)
    .await?;
    let mut rng = Rng(seed);
    let mut counts = Counts::default();
    let (provinces, area_names) = hierarchy(&txn, &mut rng, scale, &mut counts).await?;
    let mut clusters = clusters(&txn, &mut rng, scale, &provinces, &mut counts).await?;
    let categories: Vec<(Uuid, String)> = live::<incident_categories::Entity>()
        .filter(incident_categories::Column::Active.eq(true))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    if categories.is_empty() {
        return Err(ApiError::internal("no incident categories to file incidents under"));
    }
    // Zipf over a shuffled order, so the busiest cluster is not simply the first one made.
    let mut ranks: Vec<usize> = (1..=clusters.len()).collect();
    for i in (1..ranks.len()).rev() {
        ranks.swap(i, rng.below(i + 1));
    }
    let load_of = Weights::new(ranks.iter().map(|r| 1.0 / *r as f64));
    let by_year = incidents(
        &txn,
        &mut rng,
        scale,
        &mut clusters,
        &load_of,
        &categories,
        &area_names,
        &mut counts,
    )
    .await?;
    bulletins(&txn, &mut rng, scale, &clusters, &load_of, &mut counts).await?;
    activities(&txn, &mut rng, scale, &clusters, &load_of, &area_names, &mut counts).await?;

    let busiest = ranks.iter().position(|r| *r == 1).unwrap_or(0);
    let (year, in_year) = by_year[busiest]
        .iter()
        .max_by_key(|(year, n)| (**n, -**year))
        .map_or((end().year(), 0), |(y, n)| (*y, *n));
    let cluster = &clusters[busiest];
    let unit = cluster.members[0];
    let (users, client) = principals(&txn, cluster.id, unit.id, provinces[0].commands[0].id).await?;
    txn.commit().await?;
    Ok(BenchSummary {
        seed,
        scale,
        counts,
        busiest_cluster: BusiestCluster {
            id: cluster.id,
            name: cluster.name.clone(),
            incidents: cluster.incidents.len(),
            year,
            incidents_in_year: in_year,
            unit_id: unit.id,
            category_id: categories[0].0,
        },
        search_term: SEARCH_TERM.to_owned(),
        users,
        client,
    })
}

/// Generated province: its units at province level and its district groups.
#[derive(Debug)]
struct Province {
    name: String,
    border: bool,
    commands: Vec<GenUnit>,
    districts: Vec<District>,
}

#[derive(Debug)]
struct District {
    name: String,
    /// District police, district military command, then the commune police stations.
    units: Vec<GenUnit>,
}

/// Areas and units: each province has its police, military command and (on the border) border
/// guard command; each district its police and military command; each commune its police.
/// Returns the provinces and the name of every area.
async fn hierarchy<C: sea_orm::ConnectionTrait>(
    db: &C,
    rng: &mut Rng,
    scale: f64,
    counts: &mut Counts,
) -> ApiResult<(Vec<Province>, HashMap<Uuid, String>)> {
    let per_district = 2 + COMMUNES_PER_DISTRICT;
    let districts_total = scaled(UNITS, scale, 2 * per_district) / per_district;
    let province_count = districts_total.div_ceil(DISTRICTS_PER_PROVINCE);
    let founded = NaiveDate::from_ymd_opt(2008, 8, 1);
    let at = start() - Duration::days(365 * 3);
    let mut area_rows = Batch::<areas::ActiveModel>::new();
    let mut unit_rows = Batch::<entity::units::ActiveModel>::new();
    let mut provinces = Vec::new();
    let mut area_names = HashMap::new();
    let mut district_code = 0;
    let mut commune_code = 0;
    let mut area = |rng: &mut Rng, code: String, name: String, level: AreaLevel, parent: Option<Uuid>| {
        let id = rng.id(at);
        area_names.insert(id, name.clone());
        let draft = AreaDraft {
            code,
            name,
            level,
            parent_id: parent,
            valid_from: None,
            valid_to: None,
            successor_id: None,
        };
        (id, common::new_row::<areas::Entity>(&draft, id, at))
    };
    let unit = |rng: &mut Rng, name: String, force: Force, level: UnitLevel, parent: Option<Uuid>, area_id: Uuid| {
        let id = rng.id(at);
        let draft = UnitDraft {
            name,
            short_name: None,
            force,
            level,
            parent_id: parent,
            area_id: Some(area_id),
            valid_from: founded,
            valid_to: None,
            successor_id: None,
            phone: None,
            email: None,
            address: None,
        };
        (GenUnit { id, area_id }, common::new_row::<entity::units::Entity>(&draft, id, at))
    };
    for p in 0..province_count {
        let name = rng.place();
        let border = p % 3 == 0;
        let (province_area, row) = area(rng, format!("{:02}", p + 1), format!("Tỉnh {name}"), AreaLevel::Province, None);
        area_rows.rows.push(row);
        let mut commands = Vec::new();
        let mut forces = vec![(Force::Police, "Công an tỉnh"), (Force::Military, "Bộ Chỉ huy Quân sự tỉnh")];
        if border {
            forces.push((Force::BorderGuard, "Bộ Chỉ huy Bộ đội Biên phòng tỉnh"));
        }
        for (force, title) in forces {
            let (u, row) = unit(rng, format!("{title} {name}"), force, UnitLevel::Province, None, province_area);
            unit_rows.rows.push(row);
            commands.push(u);
        }
        let mut districts = Vec::new();
        let in_province = DISTRICTS_PER_PROVINCE.min(districts_total - p * DISTRICTS_PER_PROVINCE);
        for _ in 0..in_province {
            district_code += 1;
            let district_name = rng.place();
            let (district_area, row) = area(
                rng,
                format!("{district_code:03}"),
                format!("Huyện {district_name}"),
                AreaLevel::District,
                Some(province_area),
            );
            area_rows.rows.push(row);
            let (police, row) = unit(
                rng,
                format!("Công an huyện {district_name}"),
                Force::Police,
                UnitLevel::District,
                Some(commands[0].id),
                district_area,
            );
            unit_rows.rows.push(row);
            let (military, row) = unit(
                rng,
                format!("Ban Chỉ huy Quân sự huyện {district_name}"),
                Force::Military,
                UnitLevel::District,
                Some(commands[1].id),
                district_area,
            );
            unit_rows.rows.push(row);
            let mut units = vec![police, military];
            for _ in 0..COMMUNES_PER_DISTRICT {
                commune_code += 1;
                let commune_name = rng.place();
                let (commune_area, row) = area(
                    rng,
                    format!("{commune_code:05}"),
                    format!("Xã {commune_name}"),
                    AreaLevel::Commune,
                    Some(district_area),
                );
                area_rows.rows.push(row);
                let (u, row) = unit(
                    rng,
                    format!("Công an xã {commune_name}"),
                    Force::Police,
                    UnitLevel::Commune,
                    Some(police.id),
                    commune_area,
                );
                unit_rows.rows.push(row);
                units.push(u);
            }
            districts.push(District {
                name: district_name,
                units,
            });
        }
        provinces.push(Province {
            name,
            border,
            commands,
            districts,
        });
    }
    // Written at the end, areas before the units that refer to them.
    area_rows.flush(db).await?;
    unit_rows.flush(db).await?;
    counts.areas = area_rows.written;
    counts.units = unit_rows.written;
    Ok((provinces, area_names))
}

/// Clusters of 2–12 units of one province: the units of two neighbouring districts and the
/// province's commands. Most are small.
async fn clusters<C: sea_orm::ConnectionTrait>(
    db: &C,
    rng: &mut Rng,
    scale: f64,
    provinces: &[Province],
    counts: &mut Counts,
) -> ApiResult<Vec<GenCluster>> {
    let count = scaled(CLUSTERS, scale, 2);
    let mut cluster_rows = Batch::<clusters::ActiveModel>::new();
    let mut member_rows = Batch::<entity::cluster_members::ActiveModel>::new();
    let mut generated = Vec::with_capacity(count);
    for n in 0..count {
        let province = &provinces[n % provinces.len()];
        let d = rng.below(province.districts.len());
        let first = &province.districts[d];
        let neighbour = (d + 1) % province.districts.len();
        let second = &province.districts[neighbour];
        let mut pool: Vec<GenUnit> = first.units.iter().chain(&province.commands).copied().collect();
        if neighbour != d {
            pool.extend(second.units.iter().copied());
        }
        let size = (2 + (10.0 * rng.unit() * rng.unit()) as usize).min(pool.len());
        for i in 0..size {
            let j = i + rng.below(pool.len() - i);
            pool.swap(i, j);
        }
        let members: Vec<GenUnit> = pool[..size].to_vec();
        let established = NaiveDate::from_ymd_opt(
            2015 + rng.between(0, 5) as i32,
            1 + rng.between(0, 11) as u32,
            1 + rng.between(0, 27) as u32,
        );
        let kind = if province.border && rng.chance(0.4) {
            ClusterKind::BorderCluster
        } else if size == 2 {
            ClusterKind::Bilateral
        } else {
            rng.weighted(&[
                (ClusterKind::LiaisonCluster, 0.7),
                (ClusterKind::ChainCluster, 0.2),
                (ClusterKind::TriForce, 0.1),
            ])
        };
        let name = if neighbour == d || size == 2 {
            format!("Cụm liên kết {} số {}", first.name, n + 1)
        } else {
            format!("Cụm liên kết {} – {} số {}", first.name, second.name, n + 1)
        };
        let sla_hours = *rng.pick(&[12, 24, 24, 48]);
        let at = established.and_then(|d| d.and_hms_opt(8, 0, 0)).map_or_else(start, |t| t.and_utc());
        let id = rng.id(at);
        let draft = ClusterDraft {
            name: name.clone(),
            kind,
            status: if rng.chance(0.03) {
                ClusterStatus::Suspended
            } else {
                ClusterStatus::Active
            },
            classification: rng.weighted(&[
                (Classification::Internal, 0.85),
                (Classification::Confidential, 0.1),
                (Classification::Public, 0.05),
            ]),
            established_on: established,
            description: Some(format!(
                "Phối hợp bảo đảm an ninh trật tự địa bàn giáp ranh, tỉnh {}.",
                province.name
            )),
            reporting_sla_hours: Some(sla_hours as i32),
            briefing_cadence: Some(if rng.chance(0.7) {
                BriefingCadence::Monthly
            } else {
                BriefingCadence::Quarterly
            }),
            members: Vec::new(),
            grant_to_client: None,
        };
        cluster_rows.rows.push(common::new_row::<clusters::Entity>(&draft, id, at));
        for (i, m) in members.iter().enumerate() {
            let role = match i {
                0 => MemberRole::Lead,
                _ if rng.chance(0.1) => MemberRole::Observer,
                _ => MemberRole::Member,
            };
            let member = MemberDraft {
                cluster_id: id,
                unit_id: m.id,
                role,
                joined_on: established,
                left_on: None,
            };
            let member_id = rng.id(at);
            member_rows
                .rows
                .push(common::new_row::<entity::cluster_members::Entity>(&member, member_id, at));
        }
        generated.push(GenCluster {
            id,
            name,
            members,
            sla_hours,
            incidents: Vec::new(),
        });
    }
    // Written at the end, clusters before the members that refer to them.
    cluster_rows.flush(db).await?;
    member_rows.flush(db).await?;
    counts.clusters = cluster_rows.written;
    counts.memberships = member_rows.written;
    Ok(generated)
}

/// Incidents with their timelines; returns each cluster's incident count per year.
#[allow(clippy::too_many_arguments)]
async fn incidents<C: sea_orm::ConnectionTrait>(
    db: &C,
    rng: &mut Rng,
    scale: f64,
    clusters: &mut [GenCluster],
    load_of: &Weights,
    categories: &[(Uuid, String)],
    area_names: &HashMap<Uuid, String>,
    counts: &mut Counts,
) -> ApiResult<Vec<HashMap<i32, usize>>> {
    let count = scaled(INCIDENTS, scale, 10);
    let mut rows = Batch::<incidents::ActiveModel>::new();
    let mut steps = Batch::<incident_events::ActiveModel>::new();
    let mut by_year = vec![HashMap::new(); clusters.len()];
    for _ in 0..count {
        let c = load_of.pick(rng);
        let cluster = &mut clusters[c];
        let unit = *rng.pick(&cluster.members);
        let (category_id, category) = rng.pick(categories);
        let occurred_at = moment(rng, start(), end());
        // Most are reported within the cluster's deadline; a tail comes days late.
        let delay = rng.log_uniform(300.0, cluster.sla_hours as f64 * 3600.0 * 3.0) as i64;
        let reported_at = (occurred_at + Duration::seconds(delay)).min(end());
        let age = end() - reported_at;
        let status = if age > Duration::days(30) {
            rng.weighted(&[
                (IncidentStatus::Closed, 0.6),
                (IncidentStatus::Resolved, 0.15),
                (IncidentStatus::Unfounded, 0.1),
                (IncidentStatus::Handling, 0.08),
                (IncidentStatus::Verified, 0.04),
                (IncidentStatus::Verifying, 0.03),
            ])
        } else {
            rng.weighted(&[
                (IncidentStatus::Reported, 0.4),
                (IncidentStatus::Verifying, 0.25),
                (IncidentStatus::Verified, 0.1),
                (IncidentStatus::Handling, 0.2),
                (IncidentStatus::Resolved, 0.05),
            ])
        };
        let status_changed_at = if status == IncidentStatus::Reported {
            reported_at
        } else {
            (reported_at + Duration::seconds(rng.between(3600, 20 * 86_400))).min(end())
        };
        let area = area_names.get(&unit.area_id).map_or("", String::as_str);
        let involved = rng.between(1, 6) as i32;
        let draft = IncidentDraft {
            cluster_id: cluster.id,
            category_id: *category_id,
            severity: rng.weighted(&[
                (Severity::Low, 0.5),
                (Severity::Medium, 0.3),
                (Severity::High, 0.15),
                (Severity::Critical, 0.05),
            ]),
            occurred_at,
            reported_at,
            reporting_unit_id: unit.id,
            area_id: Some(unit.area_id),
            location: None,
            summary: format!("{category} tại {area}, {}.", rng.pick(SOURCES)),
            classification: rng.weighted(&[
                (Classification::Internal, 0.9),
                (Classification::Confidential, 0.08),
                (Classification::Secret, 0.02),
            ]),
            counts: IncidentCounts {
                persons_involved: Some(involved),
                injured: rng.chance(0.1).then(|| rng.between(1, 3) as i32),
                deaths: None,
                detained: rng.chance(0.3).then(|| rng.between(0, i64::from(involved)) as i32),
            },
            status,
            status_changed_at,
        };
        let id = rng.id(reported_at);
        let mut row = common::new_row::<incidents::Entity>(&draft, id, reported_at);
        let step = |rng: &mut Rng, at: DateTime<Utc>, from: Option<IncidentStatus>, to: IncidentStatus| incident_events::ActiveModel {
            id: Set(rng.id(at)),
            incident_id: Set(id),
            at: Set(at),
            from_status: Set(from.map(|s| s.stored())),
            to_status: Set(to.stored()),
            note: Set(None),
            actor_type: Set("system".to_owned()),
            actor_id: Set(None),
            actor_unit_id: Set(Some(unit.id)),
        };
        let first = step(rng, reported_at, None, IncidentStatus::Reported);
        let moved = (status != IncidentStatus::Reported).then(|| step(rng, status_changed_at, Some(IncidentStatus::Reported), status));
        if moved.is_some() {
            row.updated_at = Set(status_changed_at);
            row.version = Set(2);
        }
        if rows.push(db, row).await? {
            steps.flush(db).await?;
        }
        steps.rows.push(first);
        steps.rows.extend(moved);
        *by_year[c].entry(crate::db::vietnam_date(occurred_at).year()).or_insert(0) += 1;
        cluster.incidents.push(id);
    }
    rows.flush(db).await?;
    steps.flush(db).await?;
    counts.incidents = rows.written;
    counts.incident_events = steps.written;
    Ok(by_year)
}

/// Bulletins to every other member, most acknowledged; some follow up on an incident.
async fn bulletins<C: sea_orm::ConnectionTrait>(
    db: &C,
    rng: &mut Rng,
    scale: f64,
    clusters: &[GenCluster],
    load_of: &Weights,
    counts: &mut Counts,
) -> ApiResult<()> {
    let count = scaled(BULLETINS, scale, 5);
    let mut rows = Batch::<bulletins::ActiveModel>::new();
    let mut recipients = Batch::<bulletin_recipients::ActiveModel>::new();
    for _ in 0..count {
        let cluster = &clusters[load_of.pick(rng)];
        let sender = rng.below(cluster.members.len());
        let sent_at = moment(rng, start(), end());
        let incident_id = (!cluster.incidents.is_empty() && rng.chance(0.3)).then(|| *rng.pick(&cluster.incidents));
        let ack_due_at = rng.chance(0.7).then(|| sent_at + Duration::hours(24));
        let draft = BulletinDraft {
            cluster_id: cluster.id,
            sender_unit_id: cluster.members[sender].id,
            incident_id,
            title: if incident_id.is_some() {
                "Thông báo phối hợp xử lý vụ việc".to_owned()
            } else {
                "Thông báo tình hình an ninh trật tự trên địa bàn".to_owned()
            },
            body: "Đề nghị các đơn vị trong cụm nắm tình hình, phối hợp theo dõi và báo cáo kết quả.".to_owned(),
            classification: Classification::Internal,
            sent_at,
            ack_due_at,
            recipients: Vec::new(),
        };
        let id = rng.id(sent_at);
        if rows.push(db, common::new_row::<bulletins::Entity>(&draft, id, sent_at)).await? {
            recipients.flush(db).await?;
        }
        for (i, unit) in cluster.members.iter().enumerate() {
            if i == sender {
                continue;
            }
            let latency = (rng.chance(0.85)).then(|| rng.log_uniform(60.0, 3.0 * 86_400.0) as i64);
            let acknowledged_at = latency.map(|l| sent_at + Duration::seconds(l)).filter(|t| *t <= end());
            recipients.rows.push(bulletin_recipients::ActiveModel {
                bulletin_id: Set(id),
                unit_id: Set(unit.id),
                acknowledged_at: Set(acknowledged_at),
                latency_seconds: Set(acknowledged_at.and(latency)),
                acknowledged_by_type: Set(acknowledged_at.map(|_| "system".to_owned())),
                acknowledged_by_id: Set(None),
                note: Set(None),
            });
        }
    }
    rows.flush(db).await?;
    recipients.flush(db).await?;
    counts.bulletins = rows.written;
    counts.bulletin_recipients = recipients.written;
    Ok(())
}

/// Joint activities led by a member, with up to three other members taking part; completed ones
/// carry figures credited to the lead.
async fn activities<C: sea_orm::ConnectionTrait>(
    db: &C,
    rng: &mut Rng,
    scale: f64,
    clusters: &[GenCluster],
    load_of: &Weights,
    area_names: &HashMap<Uuid, String>,
    counts: &mut Counts,
) -> ApiResult<()> {
    let count = scaled(ACTIVITIES, scale, 5);
    let mut rows = Batch::<entity::activities::ActiveModel>::new();
    let mut participants = Batch::<activity_participants::ActiveModel>::new();
    let mut places = Batch::<activity_areas::ActiveModel>::new();
    let mut figures = Batch::<activity_figures::ActiveModel>::new();
    for _ in 0..count {
        let cluster = &clusters[load_of.pick(rng)];
        let lead = *rng.pick(&cluster.members);
        let kind = rng.weighted(&[
            (ActivityKind::Patrol, 0.45),
            (ActivityKind::Outreach, 0.15),
            (ActivityKind::Training, 0.1),
            (ActivityKind::Drill, 0.1),
            (ActivityKind::EventSecurity, 0.1),
            (ActivityKind::CrackdownCampaign, 0.1),
        ]);
        let starts_at = moment(rng, start(), end() + Duration::days(60));
        let status = if starts_at > end() {
            ActivityStatus::Planned
        } else if rng.chance(0.08) {
            ActivityStatus::Cancelled
        } else {
            ActivityStatus::Completed
        };
        let mut taking_part = vec![ParticipantInput {
            unit_id: lead.id,
            personnel: Some(rng.between(5, 60) as i32),
        }];
        for _ in 0..rng.below(4) {
            let unit = rng.pick(&cluster.members).id;
            if taking_part.iter().all(|p| p.unit_id != unit) {
                taking_part.push(ParticipantInput {
                    unit_id: unit,
                    personnel: Some(rng.between(3, 40) as i32),
                });
            }
        }
        let outcome: Vec<Figure> = if status == ActivityStatus::Completed {
            let names = kind.figures();
            let first = rng.below(names.len());
            let mut chosen = vec![names[first]];
            if names.len() > 1 && rng.chance(0.5) {
                chosen.push(names[(first + 1) % names.len()]);
            }
            chosen
                .into_iter()
                .map(|name| Figure {
                    name,
                    value: rng.between(1, 50),
                    unit_id: None,
                })
                .collect()
        } else {
            Vec::new()
        };
        let area = area_names.get(&lead.area_id).map_or("", String::as_str);
        let draft = ActivityDraft {
            cluster_id: cluster.id,
            kind,
            title: format!("{} {area}", kind_title(kind)),
            status,
            lead_unit_id: lead.id,
            starts_at,
            ends_at: Some(starts_at + Duration::hours(rng.between(2, 72))),
            location: None,
            summary: None,
            classification: Classification::Internal,
            participants: taking_part,
            area_ids: vec![lead.area_id],
            figures: outcome,
        };
        let at = starts_at.min(end()) - Duration::days(7);
        let id = rng.id(at);
        if rows.push(db, common::new_row::<entity::activities::Entity>(&draft, id, at)).await? {
            participants.flush(db).await?;
            places.flush(db).await?;
            figures.flush(db).await?;
        }
        for (p, position) in draft.participants.iter().zip(0..) {
            participants.rows.push(activity_participants::ActiveModel {
                activity_id: Set(id),
                unit_id: Set(p.unit_id),
                position: Set(position),
                personnel: Set(p.personnel),
            });
        }
        places.rows.push(activity_areas::ActiveModel {
            activity_id: Set(id),
            area_id: Set(lead.area_id),
            position: Set(0),
        });
        for (f, position) in draft.figures.iter().zip(0..) {
            figures.rows.push(activity_figures::ActiveModel {
                activity_id: Set(id),
                name: Set(f.name.stored()),
                unit_id: Set(lead.id),
                position: Set(position),
                value: Set(f.value),
            });
        }
    }
    rows.flush(db).await?;
    participants.flush(db).await?;
    places.flush(db).await?;
    figures.flush(db).await?;
    counts.activities = rows.written;
    counts.activity_participants = participants.written;
    Ok(())
}

fn kind_title(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Patrol => "Tuần tra liên kết",
        ActivityKind::Drill => "Diễn tập phương án",
        ActivityKind::EventSecurity => "Bảo vệ sự kiện",
        ActivityKind::Training => "Tập huấn nghiệp vụ",
        ActivityKind::Outreach => "Tuyên truyền",
        ActivityKind::CrackdownCampaign => "Đợt cao điểm tấn công trấn áp tội phạm",
    }
}

/// The users and the client to call as, written through the services like any other.
async fn principals<C: sea_orm::ConnectionTrait + TransactionTrait>(
    db: &C,
    cluster_id: Uuid,
    unit_id: Uuid,
    admin_unit: Uuid,
) -> ApiResult<(Vec<BenchUser>, BenchClient)> {
    let system = AuditContext::system();
    let mut generated = Vec::new();
    let logins = [
        ("bench.admin", Role::Admin, admin_unit, Classification::Secret),
        ("bench.coordinator", Role::Coordinator, unit_id, Classification::Confidential),
        ("bench.officer", Role::Officer, unit_id, Classification::Confidential),
        ("bench.analyst", Role::Analyst, unit_id, Classification::Secret),
    ];
    for (username, role, unit, clearance) in logins {
        let password = random_secret(18)?;
        let draft = UserDraft {
            username: username.to_owned(),
            display_name: username.to_owned(),
            unit_id: unit,
            roles: vec![role],
            clearance,
            disabled: false,
            password_hash: hash_now(&password)?,
        };
        common::create::<users::Entity, _>(db, &system, draft).await?;
        generated.push(BenchUser {
            username: username.to_owned(),
            role,
            password,
        });
    }
    let (secret, digest) = new_secret()?;
    let client = ClientDraft {
        name: "Hệ thống tích hợp (tải thử)".to_owned(),
        unit_id,
        scopes: vec![Scope::ClustersRead, Scope::RecordsWrite],
        cluster_ids: vec![cluster_id],
        clearance: Classification::Internal,
        disabled: false,
        secret_hash: digest,
    };
    let client = common::create::<entity::clients::Entity, _>(db, &system, client).await?;
    Ok((
        generated,
        BenchClient {
            client_id: client.id,
            client_secret: secret,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_numbers() {
        let draw = |seed| {
            let mut rng = Rng(seed);
            (0..5).map(|_| rng.bits()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }

    #[test]
    fn weights_pick_in_proportion() {
        let mut rng = Rng(1);
        let weights = Weights::new([1.0, 0.0, 3.0]);
        let mut seen = [0usize; 3];
        for _ in 0..40_000 {
            seen[weights.pick(&mut rng)] += 1;
        }
        assert_eq!(seen[1], 0);
        let share = seen[2] as f64 / 40_000.0;
        assert!((0.73..0.77).contains(&share), "{share}");
    }

    #[test]
    fn ids_are_ordered_by_time() {
        let mut rng = Rng(3);
        let early = rng.id(start());
        let late = rng.id(end());
        assert!(early < late);
        assert_eq!(early.get_version_num(), 7);
    }
}
