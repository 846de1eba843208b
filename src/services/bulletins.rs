//! Bulletins: who sends them to whom, who sees them, and acknowledgements.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{bulletin_recipients, bulletins, cluster_members, clusters};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, TransactionSession, TransactionTrait};
use uuid::Uuid;

use super::common::{self, Record, Resource, live};
use super::units as unit_service;
use super::{access, memberships};
use crate::audit::{self, AuditContext};
use crate::auth::{Principal, PrincipalKind};
use crate::db;
use crate::domain::{Classification, Stored};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::pagination::{PageRequest, fetch_page};
use crate::routes::bulletins::{BulletinListParams, CreateBulletinRequest};
use crate::search;
use crate::text;
use crate::validation::Validator;
use crate::views::bulletins::{Bulletin, Recipient};

/// Most recipient units one bulletin names.
const MAX_RECIPIENTS: usize = 500;

/// A bulletin as it is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct BulletinDraft {
    pub cluster_id: Uuid,
    pub sender_unit_id: Uuid,
    pub incident_id: Option<Uuid>,
    pub title: String,
    pub body: String,
    pub classification: Classification,
    pub sent_at: DateTime<Utc>,
    pub ack_due_at: Option<DateTime<Utc>>,
    /// The recipient units; empty means every current member but the sender.
    pub recipients: Vec<Uuid>,
}

impl BulletinDraft {
    /// A bulletin `p` sends in `cluster`: from the caller's unit unless it names another, with
    /// the cluster's classification unless it names one.
    pub fn new(p: &Principal, cluster: &clusters::Model, r: CreateBulletinRequest) -> ApiResult<Self> {
        Ok(Self {
            cluster_id: cluster.id,
            sender_unit_id: r.sender_unit_id.unwrap_or(p.unit_id),
            incident_id: r.incident_id,
            title: r.title,
            body: r.body,
            classification: match r.classification {
                Some(c) => c,
                None => Classification::from_stored(&cluster.classification)?,
            },
            sent_at: db::now(),
            ack_due_at: r.ack_due_at.map(Into::into),
            recipients: r.recipient_unit_ids.unwrap_or_default(),
        })
    }
}

impl Resource for bulletins::Entity {
    type Draft = BulletinDraft;

    async fn draft<C: ConnectionTrait>(db: &C, m: &bulletins::Model) -> ApiResult<BulletinDraft> {
        let recipients = bulletin_recipients::Entity::find()
            .select_only()
            .column(bulletin_recipients::Column::UnitId)
            .filter(bulletin_recipients::Column::BulletinId.eq(m.id))
            .into_tuple()
            .all(db)
            .await?;
        Ok(BulletinDraft {
            cluster_id: m.cluster_id,
            sender_unit_id: m.sender_unit_id,
            incident_id: m.incident_id,
            title: m.title.clone(),
            body: m.body.clone(),
            classification: Classification::from_stored(&m.classification)?,
            sent_at: m.sent_at,
            ack_due_at: m.ack_due_at,
            recipients,
        })
    }

    async fn validate<C: ConnectionTrait>(db: &C, d: &mut BulletinDraft, _current: Option<&bulletins::Model>) -> ApiResult<()> {
        let mut v = Validator::new();
        d.title = v.text("title", &d.title, 300);
        d.body = v.text("body", &d.body, 10_000);
        if d.ack_due_at.is_some_and(|due| due <= d.sent_at) {
            v.push(FieldError::invalid(
                "ack_due_at",
                text!(en: "Must be after the bulletin is sent (now).", vi: "Phải sau thời điểm gửi thông báo (bây giờ)."),
            ));
        }
        let members: HashSet<Uuid> = memberships::current(d.cluster_id)
            .select_only()
            .column(cluster_members::Column::UnitId)
            .into_tuple::<Uuid>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        if !members.contains(&d.sender_unit_id) {
            v.push(FieldError::new(
                "sender_unit_id",
                "not_a_member",
                text!(
                    en: "The sending unit must be a current member of the cluster.",
                    vi: "Đơn vị gửi phải đang là thành viên của cụm."
                ),
            ));
        }
        if d.recipients.is_empty() {
            let mut everyone: Vec<Uuid> = members.iter().copied().filter(|u| *u != d.sender_unit_id).collect();
            everyone.sort();
            d.recipients = everyone;
        } else if v.max_items("recipient_unit_ids", d.recipients.len(), MAX_RECIPIENTS) {
            let mut seen = HashSet::new();
            for (i, unit) in d.recipients.iter().enumerate() {
                let field = format!("recipient_unit_ids[{i}]");
                if !seen.insert(*unit) {
                    v.push(FieldError::new(
                        field,
                        "duplicate",
                        text!(en: "The unit is listed twice.", vi: "Đơn vị được liệt kê hai lần."),
                    ));
                } else if *unit == d.sender_unit_id {
                    v.push(FieldError::invalid(
                        field,
                        text!(en: "The sender does not send to itself.", vi: "Đơn vị gửi không gửi cho chính mình."),
                    ));
                } else if !members.contains(unit) {
                    v.push(FieldError::new(
                        field,
                        "not_a_member",
                        text!(
                            en: "Bulletins go only to current members of the cluster.",
                            vi: "Thông báo chỉ gửi tới đơn vị đang là thành viên của cụm."
                        ),
                    ));
                }
            }
        }
        if d.recipients.is_empty() && !v.has_errors() {
            v.push(FieldError::new(
                "recipient_unit_ids",
                "no_recipients",
                text!(en: "The cluster has no other member to send to.", vi: "Cụm không có thành viên nào khác để gửi."),
            ));
        }
        if let Some(incident_id) = d.incident_id {
            let found = live::<entity::incidents::Entity>()
                .filter(entity::incidents::Column::Id.eq(incident_id))
                .filter(entity::incidents::Column::ClusterId.eq(d.cluster_id))
                .one(db)
                .await?;
            if found.is_none() {
                v.push(FieldError::unknown_reference("incident_id", entity::incidents::Entity::NOUN));
            }
        }
        v.finish()
    }

    fn columns(d: &BulletinDraft) -> bulletins::ActiveModel {
        bulletins::ActiveModel {
            cluster_id: Set(d.cluster_id),
            sender_unit_id: Set(d.sender_unit_id),
            incident_id: Set(d.incident_id),
            title: Set(d.title.clone()),
            body: Set(d.body.clone()),
            classification: Set(d.classification.stored()),
            sent_at: Set(d.sent_at),
            ack_due_at: Set(d.ack_due_at),
            search_text: Set(search::search_text([d.title.as_str(), d.body.as_str()])),
            sort_key: Set(db::time_text(d.sent_at)),
            ..Default::default()
        }
    }

    async fn after_save<C: ConnectionTrait>(db: &C, id: Uuid, d: &BulletinDraft, current: Option<&bulletins::Model>) -> ApiResult<()> {
        if current.is_some() {
            return Ok(());
        }
        let rows = d.recipients.iter().map(|unit| bulletin_recipients::ActiveModel {
            bulletin_id: Set(id),
            unit_id: Set(*unit),
            acknowledged_at: Set(None),
            latency_seconds: Set(None),
            acknowledged_by_type: Set(None),
            acknowledged_by_id: Set(None),
            note: Set(None),
        });
        bulletin_recipients::Entity::insert_many(rows).exec_without_returning(db).await?;
        Ok(())
    }

    async fn classification<C: ConnectionTrait>(db: &C, m: &bulletins::Model) -> ApiResult<Option<String>> {
        let cluster = access::cluster_classification(db, m.cluster_id).await?;
        Ok(Some(access::stricter(&m.classification, cluster.as_deref())))
    }
}

/// Bulletins the caller may see: in its clusters and within its clearance; a user other than
/// an administrator sees those its unit sent or received.
pub fn visible(p: &Principal) -> Condition {
    let mut condition = access::visible_cluster_records(bulletins::Column::ClusterId, bulletins::Column::Classification, p);
    if p.kind == PrincipalKind::User && !p.is_admin() {
        condition = condition.add(
            Condition::any()
                .add(bulletins::Column::SenderUnitId.eq(p.unit_id))
                .add(bulletins::Column::Id.in_subquery(received_by(p.unit_id, false))),
        );
    }
    condition
}

/// `SELECT bulletin_id FROM bulletin_recipients WHERE unit_id = …` (only unacknowledged ones
/// when `pending`).
fn received_by(unit_id: Uuid, pending: bool) -> sea_orm::sea_query::SelectStatement {
    let mut query = Query::select()
        .column(bulletin_recipients::Column::BulletinId)
        .from(bulletin_recipients::Entity)
        .and_where(bulletin_recipients::Column::UnitId.eq(unit_id))
        .to_owned();
    if pending {
        query.and_where(bulletin_recipients::Column::AcknowledgedAt.is_null());
    }
    query
}

/// A bulletin the caller may see, or 404.
pub async fn find_visible<C: ConnectionTrait>(db: &C, p: &Principal, id: Uuid) -> ApiResult<bulletins::Model> {
    common::find_live_where::<bulletins::Entity, _>(db, id, visible(p)).await
}

/// Response bodies, with the recipients and units of every bulletin loaded in three queries.
pub async fn views<C: ConnectionTrait>(db: &C, models: Vec<bulletins::Model>) -> ApiResult<Vec<Bulletin>> {
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let rows = if ids.is_empty() {
        Vec::new()
    } else {
        bulletin_recipients::Entity::find()
            .filter(bulletin_recipients::Column::BulletinId.is_in(ids))
            .all(db)
            .await?
    };
    let unit_ids = models.iter().map(|m| m.sender_unit_id).chain(rows.iter().map(|r| r.unit_id));
    let units = unit_service::summaries(db, unit_ids).await?;
    let unit = |id: &Uuid| units.get(id).cloned().ok_or_else(|| ApiError::internal("bulletin unit missing"));
    let mut by_bulletin: HashMap<Uuid, Vec<bulletin_recipients::Model>> = HashMap::new();
    for row in rows {
        by_bulletin.entry(row.bulletin_id).or_default().push(row);
    }
    let now = db::now();
    models
        .into_iter()
        .map(|m| {
            let mut recipients = by_bulletin
                .remove(&m.id)
                .unwrap_or_default()
                .into_iter()
                .map(|r| {
                    let summary = unit(&r.unit_id)?;
                    Ok(Recipient::from_model(r, summary, m.ack_due_at, now))
                })
                .collect::<ApiResult<Vec<_>>>()?;
            recipients.sort_by_cached_key(|r| search::sort_key(&r.unit.name));
            let sender = unit(&m.sender_unit_id)?;
            Bulletin::from_model(m, sender, recipients)
        })
        .collect()
}

pub async fn view<C: ConnectionTrait>(db: &C, model: bulletins::Model) -> ApiResult<Bulletin> {
    views(db, vec![model])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("bulletin view lost"))
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    f: &BulletinListParams,
    page: &PageRequest,
) -> ApiResult<(Vec<Bulletin>, Option<String>)> {
    let mut select = live::<bulletins::Entity>().filter(visible(p));
    if let Some(terms) = search::query_terms(f.q.as_deref())? {
        select = select.filter(search::matches_all(bulletins::Column::SearchText, &terms));
    }
    if let Some(id) = f.cluster_id {
        select = select.filter(bulletins::Column::ClusterId.eq(id));
    }
    if let Some(id) = f.sender_unit_id {
        select = select.filter(bulletins::Column::SenderUnitId.eq(id));
    }
    if let Some(id) = f.incident_id {
        select = select.filter(bulletins::Column::IncidentId.eq(id));
    }
    let pending = f.unacknowledged == Some(true);
    if f.inbox == Some(true) {
        select = select.filter(bulletins::Column::Id.in_subquery(received_by(p.unit_id, pending)));
    } else if pending {
        let any_pending = Query::select()
            .column(bulletin_recipients::Column::BulletinId)
            .from(bulletin_recipients::Entity)
            .and_where(bulletin_recipients::Column::AcknowledgedAt.is_null())
            .to_owned();
        select = select.filter(bulletins::Column::Id.in_subquery(any_pending));
    }
    if let Some(from) = f.sent_from {
        select = select.filter(bulletins::Column::SentAt.gte(DateTime::<Utc>::from(from)));
    }
    if let Some(to) = f.sent_to {
        select = select.filter(bulletins::Column::SentAt.lt(DateTime::<Utc>::from(to)));
    }
    let (rows, next) = fetch_page(db, select, bulletins::Column::Id, f.sort, page).await?;
    Ok((views(db, rows).await?, next))
}

/// Records a unit's acknowledgement of a bulletin: only a recipient unit (403 otherwise), only
/// once (409 the second time).
pub async fn acknowledge<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    audit: &AuditContext,
    unit_id: Uuid,
    bulletin: &bulletins::Model,
    note: Option<String>,
) -> ApiResult<()> {
    let mut v = Validator::new();
    let note = v.opt_text("note", note.as_deref(), 2000);
    v.finish()?;
    let txn = common::begin_write(db).await?;
    let row = bulletin_recipients::Entity::find()
        .filter(bulletin_recipients::Column::BulletinId.eq(bulletin.id))
        .filter(bulletin_recipients::Column::UnitId.eq(unit_id))
        .lock_exclusive()
        .one(&txn)
        .await?;
    let Some(row) = row else {
        return Err(ApiError::forbidden(text!(
            en: "Only the bulletin's recipient units acknowledge it; yours is not one of them.",
            vi: "Chỉ đơn vị nhận thông báo mới xác nhận đã nhận; đơn vị của bạn không thuộc danh sách nhận."
        )));
    };
    if let Some(at) = row.acknowledged_at {
        let at = at.to_rfc3339();
        return Err(ApiError::conflict(text!(
            en: "Your unit already acknowledged this bulletin at {at}.",
            vi: "Đơn vị của bạn đã xác nhận thông báo này lúc {at}."
        )));
    }
    let now = db::now();
    let latency = (now - bulletin.sent_at).num_seconds();
    bulletin_recipients::Entity::update_many()
        .col_expr(bulletin_recipients::Column::AcknowledgedAt, Expr::val(now))
        .col_expr(bulletin_recipients::Column::LatencySeconds, Expr::val(latency))
        .col_expr(bulletin_recipients::Column::AcknowledgedByType, Expr::val(audit.actor_type))
        .col_expr(bulletin_recipients::Column::AcknowledgedById, Expr::val(audit.actor_id))
        .col_expr(bulletin_recipients::Column::Note, Expr::val(note.clone()))
        .filter(bulletin_recipients::Column::BulletinId.eq(bulletin.id))
        .filter(bulletin_recipients::Column::UnitId.eq(unit_id))
        .exec(&txn)
        .await?;
    // The bulletin shows its acknowledgements, so its version moves on.
    common::touch::<bulletins::Entity, _>(&txn, bulletin.id).await?;
    let classification = bulletins::Entity::classification(&txn, bulletin).await?;
    let late = bulletin.ack_due_at.is_some_and(|due| now > due);
    let changes = serde_json::json!({
        "unit_id": {"after": unit_id},
        "acknowledged_at": {"after": now},
        "late": {"after": late},
        "note": {"after": note},
    });
    audit::record(
        &txn,
        audit,
        common::event::<bulletins::Entity>("acknowledge", bulletin.id, changes).classified(classification),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
