//! Demo data: the liaison clusters of the design brief, with the units and areas they involve.
//!
//! The facts live in `demo.json`; where a source does not state a value it is left out. They are
//! written through the same services as API input, so they pass the same validation.

pub mod bench;

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::{
    activities, app_meta, areas, bulletins, clients, clusters, community_models, incident_categories, incidents, legal_documents, meetings,
    regulations, units, users,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set, SqlErr, TransactionTrait};
use serde::Deserialize;
use uuid::Uuid;

use crate::audit::AuditContext;
use crate::auth::passwords::{hash_now, random_secret};
use crate::conditional::Precondition;
use crate::db;
use crate::domain::{
    ActivityKind, ActivityStatus, AreaLevel, Classification, ClusterKind, ClusterStatus, CommunityModelKind, CommunityModelStatus,
    FigureName, Force, IncidentStatus, LegalDocumentKind, MeetingKind, RegulationStatus, Role, Scope, Severity, Stored, UnitLevel,
};
use crate::error::{ApiError, ApiResult};
use crate::routes::clusters::CreateClusterRequest;
use crate::routes::memberships::CreateMemberRequest;
use crate::routes::regulations::{CreateRegulationRequest, LegalBasisInput, SignatoryInput};
use crate::services::activities::ActivityDraft;
use crate::services::areas::AreaDraft;
use crate::services::bulletins::{self as bulletin_service, BulletinDraft};
use crate::services::clients::{ClientDraft, new_secret};
use crate::services::clusters::ClusterDraft;
use crate::services::common::{self, live};
use crate::services::community_models::CommunityModelDraft;
use crate::services::incidents::{self as incident_service, IncidentDraft};
use crate::services::legal_documents::LegalDocumentDraft;
use crate::services::meetings::MeetingDraft;
use crate::services::regulations::RegulationDraft;
use crate::services::units::UnitDraft;
use crate::services::users::UserDraft;
use crate::views::activities::{Figure, ParticipantInput};
use crate::views::incidents::IncidentCounts;
use crate::views::meetings::ReportedFigure;

const DEMO: &str = include_str!("demo.json");
/// The `app_meta` key recording that demo data was loaded.
const MARKER: &str = "demo_data";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Demo {
    areas: Vec<DemoArea>,
    units: Vec<DemoUnit>,
    legal_documents: Vec<DemoDocument>,
    clusters: Vec<DemoCluster>,
    community_models: Vec<DemoCommunityModel>,
}

/// A community model a source names; what it does not state is left out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoCommunityModel {
    name: String,
    kind: CommunityModelKind,
    area: String,
    sponsor: String,
    description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoArea {
    key: String,
    code: String,
    name: String,
    level: AreaLevel,
    parent: Option<String>,
    valid_to: Option<NaiveDate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoUnit {
    key: String,
    name: String,
    short_name: Option<String>,
    force: Force,
    level: UnitLevel,
    parent: Option<String>,
    area: Option<String>,
    valid_to: Option<NaiveDate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoDocument {
    key: String,
    number: String,
    kind: LegalDocumentKind,
    issuer: Option<String>,
    issued_on: Option<NaiveDate>,
    title: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoCluster {
    name: String,
    kind: ClusterKind,
    status: ClusterStatus,
    classification: Classification,
    description: String,
    members: Vec<String>,
    #[serde(default)]
    regulations: Vec<DemoRegulation>,
    #[serde(default)]
    incidents: Vec<DemoIncident>,
    #[serde(default)]
    bulletins: Vec<DemoBulletin>,
    #[serde(default)]
    activities: Vec<DemoActivity>,
    #[serde(default)]
    meetings: Vec<DemoMeeting>,
}

/// A meeting with the figures it reported, as stated.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoMeeting {
    kind: MeetingKind,
    title: String,
    host: String,
    #[serde(default)]
    attending: Vec<String>,
    held_at: DateTime<Utc>,
    period_from: Option<NaiveDate>,
    period_to: Option<NaiveDate>,
    summary: String,
    #[serde(default)]
    reported_figures: Vec<ReportedFigure>,
}

/// A joint activity with the figures its source gives.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoActivity {
    kind: ActivityKind,
    title: String,
    lead: String,
    /// Other participating units, with the people each deployed if the source says.
    #[serde(default)]
    participants: Vec<DemoParticipant>,
    /// People the lead unit deployed, if the source says.
    #[serde(default)]
    personnel: Option<i32>,
    starts_at: DateTime<Utc>,
    #[serde(default)]
    ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    areas: Vec<String>,
    summary: String,
    /// Figures credited to the lead unit.
    #[serde(default)]
    figures: Vec<(FigureName, i64)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoParticipant {
    unit: String,
    #[serde(default)]
    personnel: Option<i32>,
}

/// An illustrative incident (its summary says so), walked along `steps` of its workflow.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoIncident {
    key: String,
    /// The category's code.
    category: String,
    severity: Severity,
    occurred_at: DateTime<Utc>,
    reported_at: DateTime<Utc>,
    reporting_unit: String,
    location: String,
    summary: String,
    #[serde(default)]
    counts: IncidentCounts,
    steps: Vec<DemoStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoStep {
    to: IncidentStatus,
    #[serde(default)]
    note: Option<String>,
}

/// An illustrative bulletin, sent when the demo is loaded, and the units that acknowledged it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoBulletin {
    sender: String,
    /// Left out: every other member.
    #[serde(default)]
    recipients: Option<Vec<String>>,
    incident: Option<String>,
    title: String,
    body: String,
    /// The acknowledgement deadline, in hours after loading.
    #[serde(default)]
    ack_due_hours: Option<i64>,
    acknowledged_by: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoRegulation {
    title: String,
    status: RegulationStatus,
    signed_place: Option<String>,
    notes: String,
    signatories: Vec<String>,
    #[serde(default)]
    legal_bases: Vec<String>,
}

/// Ids of the records created so far, by their key in `demo.json`.
#[derive(Debug, Default)]
struct Keys(HashMap<String, Uuid>);

impl Keys {
    fn get(&self, key: &str) -> ApiResult<Uuid> {
        self.0
            .get(key)
            .copied()
            .ok_or_else(|| ApiError::internal(format!("demo data refers to unknown key {key:?}")))
    }

    fn opt(&self, key: Option<&String>) -> ApiResult<Option<Uuid>> {
        key.map(|k| self.get(k)).transpose()
    }
}

/// Loads the demo data unless it was loaded before or the database already holds reference
/// data or clusters. Returns whether it was loaded. Safe when several nodes start at once.
pub async fn load_demo_if_empty(db: &DatabaseConnection) -> ApiResult<Option<DemoCredentials>> {
    crate::services::incident_categories::ensure_defaults(db).await?;
    let txn = common::begin_write(db).await?;
    if app_meta::Entity::find_by_id(MARKER.to_owned()).one(&txn).await?.is_some() || holds_records(&txn).await? {
        return Ok(None);
    }
    let marker = app_meta::ActiveModel {
        key: Set(MARKER.to_owned()),
        value: Set("loaded".to_owned()),
        updated_at: Set(db::now()),
    };
    match app_meta::Entity::insert(marker).exec_without_returning(&txn).await {
        Ok(_) => {}
        // Another node is loading it right now.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let demo: Demo = serde_json::from_str(DEMO).map_err(|e| ApiError::internal(format!("demo.json is invalid: {e}")))?;
    let (keys, clusters) = load(&txn, demo).await?;
    let credentials = principals(&txn, &keys, &clusters).await?;
    txn.commit().await?;
    tracing::info!("demo data loaded: the 8-unit liaison cluster and five other clusters, one user per role and a read-only client");
    Ok(Some(credentials))
}

/// The generated logins of the demo principals; shown once, at the start that creates them.
#[derive(Debug, Clone)]
pub struct DemoCredentials {
    /// `(username, role, password)` of each demo user.
    pub users: Vec<(String, Role, String)>,
    /// `(client_id, client_secret)` of the read-only integration client.
    pub client: (Uuid, String),
}

impl std::fmt::Display for DemoCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Demo logins (shown once; they exist only in this demo database):")?;
        for (username, role, password) in &self.users {
            writeln!(f, "  {:<13} username={username:<22} password={password}", role.as_ref())?;
        }
        let (id, secret) = &self.client;
        writeln!(f, "  integration   client_id={id} client_secret={secret} (read-only)")
    }
}

/// One user per role in the demo units (`unit key`, `username`, role, clearance), and the
/// read-only integration client of Công an tỉnh Hưng Yên, granted the 8-unit cluster.
const DEMO_USERS: &[(&str, &str, Role, Classification)] = &[
    ("bca", "admin", Role::Admin, Classification::Secret),
    ("cah_gia_lam", "coordinator.gialam", Role::Coordinator, Classification::Confidential),
    ("cah_van_lam", "officer.vanlam", Role::Officer, Classification::Internal),
    ("cah_le_thuy", "analyst.lethuy", Role::Analyst, Classification::Internal),
    ("bca", "auditor", Role::Auditor, Classification::Secret),
];

async fn principals<C: ConnectionTrait + TransactionTrait>(db: &C, keys: &Keys, clusters: &[Uuid]) -> ApiResult<DemoCredentials> {
    let system = AuditContext::system();
    let mut logins = Vec::new();
    for (unit, username, role, clearance) in DEMO_USERS {
        let password = random_secret(12)?;
        let draft = UserDraft {
            username: (*username).to_owned(),
            display_name: format!("Demo {}", role.as_ref()),
            unit_id: keys.get(unit)?,
            roles: vec![*role],
            clearance: *clearance,
            disabled: false,
            password_hash: hash_now(&password)?,
        };
        common::create::<users::Entity, _>(db, &system, draft).await?;
        logins.push(((*username).to_owned(), *role, password));
    }
    let (secret, digest) = new_secret()?;
    let draft = ClientDraft {
        name: "Cổng dữ liệu Công an tỉnh Hưng Yên (chỉ đọc)".to_owned(),
        unit_id: keys.get("ca_hy")?,
        scopes: vec![Scope::ReferenceRead, Scope::ClustersRead],
        cluster_ids: clusters.iter().take(1).copied().collect(),
        clearance: Classification::Internal,
        disabled: false,
        secret_hash: digest,
    };
    let client = common::create::<clients::Entity, _>(db, &system, draft).await?;
    Ok(DemoCredentials {
        users: logins,
        client: (client.id, secret),
    })
}

async fn holds_records<C: ConnectionTrait>(db: &C) -> ApiResult<bool> {
    let areas = live::<areas::Entity>().count(db).await?;
    let units = live::<units::Entity>().count(db).await?;
    let clusters = live::<clusters::Entity>().count(db).await?;
    Ok(areas + units + clusters > 0)
}

/// Writes the demo records; returns their keys and the clusters' ids in file order.
async fn load<C: ConnectionTrait + TransactionTrait>(db: &C, demo: Demo) -> ApiResult<(Keys, Vec<Uuid>)> {
    let mut keys = Keys::default();
    let mut cluster_ids = Vec::new();
    for a in demo.areas {
        let draft = AreaDraft {
            code: a.code,
            name: a.name,
            level: a.level,
            parent_id: keys.opt(a.parent.as_ref())?,
            valid_from: None,
            valid_to: a.valid_to,
            successor_id: None,
        };
        let area = common::create::<areas::Entity, _>(db, &AuditContext::system(), draft).await?;
        keys.0.insert(a.key, area.id);
    }
    for u in demo.units {
        let draft = UnitDraft {
            name: u.name,
            short_name: u.short_name,
            force: u.force,
            level: u.level,
            parent_id: keys.opt(u.parent.as_ref())?,
            area_id: keys.opt(u.area.as_ref())?,
            valid_from: None,
            valid_to: u.valid_to,
            successor_id: None,
            phone: None,
            email: None,
            address: None,
        };
        let unit = common::create::<units::Entity, _>(db, &AuditContext::system(), draft).await?;
        keys.0.insert(u.key, unit.id);
    }
    for d in demo.legal_documents {
        let draft = LegalDocumentDraft {
            number: d.number,
            kind: d.kind,
            issuer: d.issuer,
            issued_on: d.issued_on,
            title: d.title,
        };
        let document = common::create::<legal_documents::Entity, _>(db, &AuditContext::system(), draft).await?;
        keys.0.insert(d.key, document.id);
    }
    for c in demo.clusters {
        let members = c
            .members
            .iter()
            .map(|key| {
                Ok(CreateMemberRequest {
                    unit_id: keys.get(key)?,
                    role: None,
                    joined_on: None,
                    left_on: None,
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let request = CreateClusterRequest {
            name: c.name,
            kind: c.kind,
            status: Some(c.status),
            classification: Some(c.classification),
            established_on: None,
            description: Some(c.description),
            reporting_sla_hours: None,
            briefing_cadence: None,
            members,
        };
        let cluster = common::create::<clusters::Entity, _>(db, &AuditContext::system(), ClusterDraft::from(request)).await?;
        cluster_ids.push(cluster.id);
        for r in c.regulations {
            let request = CreateRegulationRequest {
                title: r.title,
                number: None,
                signed_on: None,
                signed_place: r.signed_place,
                effective_from: None,
                effective_to: None,
                status: Some(r.status),
                supersedes_id: None,
                notes: Some(r.notes),
                signatories: r
                    .signatories
                    .iter()
                    .map(|key| {
                        Ok(SignatoryInput {
                            unit_id: keys.get(key)?,
                            signer_role: None,
                        })
                    })
                    .collect::<ApiResult<_>>()?,
                legal_bases: r
                    .legal_bases
                    .iter()
                    .map(|key| {
                        Ok(LegalBasisInput {
                            legal_document_id: keys.get(key)?,
                            note: None,
                        })
                    })
                    .collect::<ApiResult<_>>()?,
            };
            common::create::<regulations::Entity, _>(db, &AuditContext::system(), RegulationDraft::new(cluster.id, request)).await?;
        }
        for i in c.incidents {
            let key = i.key.clone();
            let id = incident(db, &keys, &cluster, i).await?;
            keys.0.insert(key, id);
        }
        for b in c.bulletins {
            bulletin(db, &keys, &cluster, b).await?;
        }
        for a in c.activities {
            activity(db, &keys, &cluster, a).await?;
        }
        for m in c.meetings {
            let draft = MeetingDraft {
                cluster_id: cluster.id,
                kind: m.kind,
                title: m.title,
                held_at: m.held_at,
                host_unit_id: keys.get(&m.host)?,
                attending_unit_ids: m.attending.iter().map(|k| keys.get(k)).collect::<ApiResult<_>>()?,
                period_from: m.period_from,
                period_to: m.period_to,
                location: None,
                summary: Some(m.summary),
                classification: Classification::from_stored(&cluster.classification)?,
                reported_figures: m.reported_figures,
            };
            common::create::<meetings::Entity, _>(db, &AuditContext::system(), draft).await?;
        }
    }
    for m in demo.community_models {
        let draft = CommunityModelDraft {
            name: m.name,
            kind: m.kind,
            area_id: keys.get(&m.area)?,
            sponsoring_unit_id: keys.get(&m.sponsor)?,
            established_on: None,
            participant_count: None,
            status: CommunityModelStatus::Active,
            description: Some(m.description),
        };
        common::create::<community_models::Entity, _>(db, &AuditContext::system(), draft).await?;
    }
    Ok((keys, cluster_ids))
}

/// Writes a demo incident and takes it along its steps.
async fn incident<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    keys: &Keys,
    cluster: &clusters::Model,
    i: DemoIncident,
) -> ApiResult<Uuid> {
    let category = live::<incident_categories::Entity>()
        .filter(incident_categories::Column::Code.eq(i.category.clone()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::internal(format!("demo incident of unknown category {}", i.category)))?;
    let draft = IncidentDraft {
        cluster_id: cluster.id,
        category_id: category.id,
        severity: i.severity,
        occurred_at: i.occurred_at,
        reported_at: i.reported_at,
        reporting_unit_id: keys.get(&i.reporting_unit)?,
        area_id: None,
        location: Some(i.location),
        summary: i.summary,
        classification: Classification::from_stored(&cluster.classification)?,
        counts: i.counts,
        status: IncidentStatus::Reported,
        status_changed_at: db::now(),
    };
    let system = AuditContext::system();
    let model = common::create::<incidents::Entity, _>(db, &system, draft).await?;
    for step in i.steps {
        incident_service::transition(db, &system, model.id, &Precondition::None, step.to, step.note).await?;
    }
    Ok(model.id)
}

/// Records a demo activity as completed.
async fn activity<C: ConnectionTrait + TransactionTrait>(db: &C, keys: &Keys, cluster: &clusters::Model, a: DemoActivity) -> ApiResult<()> {
    let lead = keys.get(&a.lead)?;
    let mut participants = vec![ParticipantInput {
        unit_id: lead,
        personnel: a.personnel,
    }];
    for p in &a.participants {
        participants.push(ParticipantInput {
            unit_id: keys.get(&p.unit)?,
            personnel: p.personnel,
        });
    }
    let draft = ActivityDraft {
        cluster_id: cluster.id,
        kind: a.kind,
        title: a.title,
        status: ActivityStatus::Completed,
        lead_unit_id: lead,
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        location: None,
        summary: Some(a.summary),
        classification: Classification::from_stored(&cluster.classification)?,
        participants,
        area_ids: a.areas.iter().map(|k| keys.get(k)).collect::<ApiResult<_>>()?,
        figures: a
            .figures
            .into_iter()
            .map(|(name, value)| Figure {
                name,
                value,
                unit_id: Some(lead),
            })
            .collect(),
    };
    common::create::<activities::Entity, _>(db, &AuditContext::system(), draft).await?;
    Ok(())
}

/// Sends a demo bulletin and records its acknowledgements.
async fn bulletin<C: ConnectionTrait + TransactionTrait>(db: &C, keys: &Keys, cluster: &clusters::Model, b: DemoBulletin) -> ApiResult<()> {
    let sent_at = db::now();
    let draft = BulletinDraft {
        cluster_id: cluster.id,
        sender_unit_id: keys.get(&b.sender)?,
        incident_id: keys.opt(b.incident.as_ref())?,
        title: b.title,
        body: b.body,
        classification: Classification::from_stored(&cluster.classification)?,
        sent_at,
        ack_due_at: b.ack_due_hours.map(|h| sent_at + Duration::hours(h)),
        recipients: b
            .recipients
            .unwrap_or_default()
            .iter()
            .map(|k| keys.get(k))
            .collect::<ApiResult<_>>()?,
    };
    let system = AuditContext::system();
    let model = common::create::<bulletins::Entity, _>(db, &system, draft).await?;
    for unit in b.acknowledged_by {
        bulletin_service::acknowledge(db, &system, keys.get(&unit)?, &model, None).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_data_parses_and_refers_to_known_keys() {
        let demo: Demo = serde_json::from_str(DEMO).expect("demo.json parses");
        let mut keys: Vec<&str> = demo.areas.iter().map(|a| a.key.as_str()).collect();
        keys.extend(demo.units.iter().map(|u| u.key.as_str()));
        keys.extend(demo.legal_documents.iter().map(|d| d.key.as_str()));
        let refs = demo
            .units
            .iter()
            .flat_map(|u| u.parent.iter().chain(u.area.iter()))
            .chain(demo.clusters.iter().flat_map(|c| c.members.iter()))
            .chain(
                demo.clusters
                    .iter()
                    .flat_map(|c| c.regulations.iter())
                    .flat_map(|r| r.signatories.iter().chain(r.legal_bases.iter())),
            )
            .chain(demo.clusters.iter().flat_map(|c| c.incidents.iter()).map(|i| &i.reporting_unit))
            .chain(demo.clusters.iter().flat_map(|c| c.activities.iter()).flat_map(|a| {
                std::iter::once(&a.lead)
                    .chain(a.participants.iter().map(|p| &p.unit))
                    .chain(a.areas.iter())
            }))
            .chain(
                demo.clusters
                    .iter()
                    .flat_map(|c| c.meetings.iter())
                    .flat_map(|m| std::iter::once(&m.host).chain(m.attending.iter())),
            )
            .chain(demo.clusters.iter().flat_map(|c| c.bulletins.iter()).flat_map(|b| {
                std::iter::once(&b.sender)
                    .chain(b.recipients.iter().flatten())
                    .chain(b.acknowledged_by.iter())
            }));
        let refs: Vec<&String> = refs
            .chain(demo.community_models.iter().flat_map(|m| [&m.area, &m.sponsor]))
            .collect();
        keys.extend(demo.clusters.iter().flat_map(|c| c.incidents.iter()).map(|i| i.key.as_str()));
        for key in demo
            .clusters
            .iter()
            .flat_map(|c| c.bulletins.iter())
            .filter_map(|b| b.incident.as_ref())
        {
            assert!(keys.contains(&key.as_str()), "unknown incident {key}");
        }
        for key in refs {
            assert!(keys.contains(&key.as_str()), "unknown key {key}");
        }
        let eight = demo
            .clusters
            .iter()
            .find(|c| c.name == "Cụm liên kết đảm bảo ANTT")
            .expect("the 8-unit cluster");
        assert_eq!(eight.members.len(), 8);
        assert_eq!(eight.regulations[0].signatories.len(), 8);
    }
}
