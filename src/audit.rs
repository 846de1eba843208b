//! The audit trail: an append-only, hash-chained record of every write and of every read of a
//! confidential or secret record. A write's events are written in the same transaction as the
//! write; reads are recorded through the `ReadTrail`, before their answer is sent.
//!
//! Each event's `hash` is SHA-256 over its own fields and the previous event's hash, so changing,
//! removing or reordering a stored event breaks the chain at that point; `lienket audit verify`
//! walks it.

use entity::audit_events;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::auth::Principal;
use crate::context::RequestContext;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::services::common::{begin_write, serialize_on};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Fields never copied into the trail: secrets, and bookkeeping every change touches.
const UNRECORDED: &[&str] = &[
    "password_hash",
    "secret_hash",
    "search_text",
    "sort_key",
    "updated_at",
    "version",
    "deleted_at",
];

/// Who did it, from where, in which request.
#[derive(Debug, Clone, Default)]
pub struct AuditContext {
    pub actor_type: &'static str,
    pub actor_id: Option<Uuid>,
    pub actor_unit_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
}

impl AuditContext {
    /// The command line or the service itself (demo data, bootstrapping).
    pub fn system() -> Self {
        Self {
            actor_type: "system",
            ..Self::default()
        }
    }

    pub fn of(ctx: &RequestContext) -> Self {
        let mut audit = match &ctx.principal {
            Some(p) => Self::principal(p),
            None => Self {
                actor_type: "anonymous",
                ..Self::default()
            },
        };
        audit.request_id = Some(ctx.request_id.clone());
        audit.client_addr = ctx.client_addr.clone();
        audit
    }

    /// The same request, attributed to a principal it has just authenticated (a login).
    pub fn acting_as(mut self, actor_type: &'static str, id: Uuid, unit: Uuid) -> Self {
        self.actor_type = actor_type;
        self.actor_id = Some(id);
        self.actor_unit_id = Some(unit);
        self
    }

    fn principal(p: &Principal) -> Self {
        Self {
            actor_type: p.kind.as_str(),
            actor_id: Some(p.id),
            actor_unit_id: Some(p.unit_id),
            ..Self::default()
        }
    }
}

/// What happened to which record.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: &'static str,
    pub resource_type: &'static str,
    pub resource_id: Option<Uuid>,
    /// The collection the record is served in (`/api/v1/<collection>/{id}`), if it has a path
    /// of its own.
    pub collection: Option<&'static str>,
    pub changes: Value,
    /// The classification of the record or of its cluster; readers cleared below it see the
    /// event without its changes.
    pub classification: Option<String>,
}

impl Event {
    pub fn classified(mut self, classification: Option<String>) -> Self {
        self.classification = classification;
        self
    }
}

/// The recorded fields of a new record: `{"field": {"after": value}}`.
pub fn created(model: &impl Serialize) -> Value {
    diff(&Value::Null, &serde_json::to_value(model).unwrap_or(Value::Null))
}

/// The fields that differ between two states: `{"field": {"before": …, "after": …}}`.
pub fn changed(before: &impl Serialize, after: &impl Serialize) -> Value {
    diff(
        &serde_json::to_value(before).unwrap_or(Value::Null),
        &serde_json::to_value(after).unwrap_or(Value::Null),
    )
}

fn diff(before: &Value, after: &Value) -> Value {
    let empty = Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut out = Map::new();
    for (field, value) in a {
        if UNRECORDED.contains(&field.as_str()) {
            continue;
        }
        match b.get(field) {
            Some(old) if old == value => {}
            Some(old) => {
                out.insert(field.clone(), json!({"before": old, "after": value}));
            }
            None => {
                out.insert(field.clone(), json!({"after": value}));
            }
        }
    }
    Value::Object(out)
}

/// The hash of an event: SHA-256 over its fields, in a fixed order, and the previous hash.
pub fn hash_of(e: &audit_events::Model) -> String {
    let canonical = json!([
        e.seq,
        e.id,
        db::time_text(e.occurred_at),
        e.actor_type,
        e.actor_id,
        e.actor_unit_id,
        e.action,
        e.resource_type,
        e.resource_id,
        e.classification,
        e.changes,
        e.request_id,
        e.client_addr,
        e.prev_hash,
    ]);
    Sha256::digest(canonical.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Appends an event. Call inside the transaction of the change it records; on PostgreSQL the
/// chain's tail stays locked until that transaction ends, so events chain in commit order.
pub async fn record<C: ConnectionTrait>(db: &C, ctx: &AuditContext, event: Event) -> ApiResult<()> {
    record_all(db, ctx, vec![event]).await
}

/// Rows of one multi-row insert: 15 columns each, well within both databases' limit on bound
/// parameters.
const INSERT_BATCH: usize = 500;

/// Appends events in order, as `record` would one by one, with one lock of the chain's tail, one
/// read of it and one insert per `INSERT_BATCH` events (a list answer holding many classified
/// records).
pub async fn record_all<C: ConnectionTrait>(db: &C, ctx: &AuditContext, events: Vec<Event>) -> ApiResult<()> {
    append(db, events.into_iter().map(|event| (ctx, event)).collect()).await
}

/// Appends events, each with the context of the request it belongs to, in the order given.
async fn append<C: ConnectionTrait>(db: &C, events: Vec<(&AuditContext, Event)>) -> ApiResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    serialize_on(db, "audit_events").await?;
    let last: Option<(i64, String)> = audit_events::Entity::find()
        .select_only()
        .column(audit_events::Column::Seq)
        .column(audit_events::Column::Hash)
        .order_by_desc(audit_events::Column::Seq)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    let (mut seq, mut prev_hash) = last.unwrap_or((0, GENESIS.to_owned()));
    let mut rows = Vec::with_capacity(events.len());
    let mut written = Vec::new();
    for (ctx, event) in events {
        seq += 1;
        let mut model = audit_events::Model {
            seq,
            id: Uuid::now_v7(),
            occurred_at: db::now(),
            actor_type: ctx.actor_type.to_owned(),
            actor_id: ctx.actor_id,
            actor_unit_id: ctx.actor_unit_id,
            action: event.action.to_owned(),
            resource_type: event.resource_type.to_owned(),
            resource_id: event.resource_id,
            classification: event.classification,
            changes: event.changes.to_string(),
            request_id: ctx.request_id.clone(),
            client_addr: ctx.client_addr.clone(),
            prev_hash,
            hash: String::new(),
        };
        model.hash = hash_of(&model);
        prev_hash = model.hash.clone();
        if event.action != "read" {
            written.push(
                event
                    .collection
                    .zip(event.resource_id)
                    .map(|(collection, id)| format!("{}/{collection}/{id}", crate::openapi::API_ROOT)),
            );
        }
        rows.push(row_of(model));
    }
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<_> = rows.by_ref().take(INSERT_BATCH).collect();
        audit_events::Entity::insert_many(batch).exec_without_returning(db).await?;
    }
    for location in written {
        crate::idempotency::mark_written(db, location).await?;
    }
    Ok(())
}

/// About how many events one transaction of the `ReadTrail` records: it takes queued requests
/// until their reads reach this, or a single request's reads if they are more. Each number of
/// rows is an insert statement of its own, prepared and kept on every pooled connection; batches
/// of up to 500 events were no faster and held about 12 MiB more under load.
const READS_PER_COMMIT: usize = 100;

/// How many requests may wait for the `ReadTrail`'s writer before the next waits to queue.
const QUEUED_REQUESTS: usize = 256;

/// One request's reads, waiting to be recorded, and where to say whether they were.
struct PendingReads {
    ctx: AuditContext,
    events: Vec<Event>,
    done: oneshot::Sender<ApiResult<()>>,
}

/// Records the reads of confidential and secret records.
///
/// A read changes nothing it could be committed with, so the reads of concurrent requests share
/// a transaction: one writer appends, in one transaction (one lock of the chain's tail, one read
/// of it, one insert), the reads of every request that arrived while it was committing the ones
/// before. Appends are serialized by the chain anyway; sharing them keeps that lock from
/// bounding how many audited reads the service answers. Each request still waits until its
/// reads are committed, and fails if they are not; reads queued by a request whose caller has
/// gone meanwhile are recorded all the same.
#[derive(Debug, Clone)]
pub struct ReadTrail {
    queue: mpsc::Sender<PendingReads>,
}

impl ReadTrail {
    /// Starts the writer on the current runtime; it stops once every handle is dropped.
    pub fn start(db: DatabaseConnection) -> Self {
        let (queue, pending) = mpsc::channel(QUEUED_REQUESTS);
        actix_web::rt::spawn(write_reads(db, pending));
        Self { queue }
    }

    /// Records one request's reads; returns once they are committed.
    pub async fn record(&self, ctx: AuditContext, events: Vec<Event>) -> ApiResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let stopped = || ApiError::unavailable("the audit trail's writer has stopped");
        let (done, outcome) = oneshot::channel();
        self.queue.send(PendingReads { ctx, events, done }).await.map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

/// The `ReadTrail`'s writer: takes what is queued, up to about `READS_PER_COMMIT` events,
/// commits it and answers each request with the outcome.
async fn write_reads(db: DatabaseConnection, mut queue: mpsc::Receiver<PendingReads>) {
    while let Some(first) = queue.recv().await {
        let mut events = first.events.len();
        let mut batch = vec![first];
        while events < READS_PER_COMMIT
            && let Ok(next) = queue.try_recv()
        {
            events += next.events.len();
            batch.push(next);
        }
        let outcome = commit_reads(&db, &mut batch).await;
        if let Err(e) = &outcome {
            tracing::warn!(requests = batch.len(), error = %e, "could not record reads");
        }
        for pending in batch {
            let _ = pending.done.send(outcome.clone());
        }
    }
}

async fn commit_reads(db: &DatabaseConnection, batch: &mut [PendingReads]) -> ApiResult<()> {
    let events = batch
        .iter_mut()
        .flat_map(|PendingReads { ctx, events, .. }| {
            let ctx: &AuditContext = ctx;
            std::mem::take(events).into_iter().map(move |e| (ctx, e))
        })
        .collect();
    let txn = begin_write(db).await?;
    append(&txn, events).await?;
    txn.commit().await?;
    Ok(())
}

fn row_of(m: audit_events::Model) -> audit_events::ActiveModel {
    audit_events::ActiveModel {
        seq: Set(m.seq),
        id: Set(m.id),
        occurred_at: Set(m.occurred_at),
        actor_type: Set(m.actor_type),
        actor_id: Set(m.actor_id),
        actor_unit_id: Set(m.actor_unit_id),
        action: Set(m.action),
        resource_type: Set(m.resource_type),
        resource_id: Set(m.resource_id),
        classification: Set(m.classification),
        changes: Set(m.changes),
        request_id: Set(m.request_id),
        client_addr: Set(m.client_addr),
        prev_hash: Set(m.prev_hash),
        hash: Set(m.hash),
    }
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every event links to the one before and hashes to its stored hash.
    Intact { events: u64 },
    /// The first event that does not.
    Broken { seq: i64, reason: String },
}

/// Walks the whole chain in order, a page at a time.
pub async fn verify<C: ConnectionTrait>(db: &C) -> ApiResult<Verdict> {
    let mut expected_prev = GENESIS.to_owned();
    let mut expected_seq = 1i64;
    let mut count = 0u64;
    loop {
        let page = audit_events::Entity::find()
            .filter(audit_events::Column::Seq.gte(expected_seq))
            .order_by_asc(audit_events::Column::Seq)
            .limit(1000)
            .all(db)
            .await?;
        if page.is_empty() {
            return Ok(Verdict::Intact { events: count });
        }
        for event in page {
            if event.seq != expected_seq {
                return Ok(Verdict::Broken {
                    seq: expected_seq,
                    reason: format!("event {expected_seq} is missing"),
                });
            }
            if event.prev_hash != expected_prev {
                return Ok(Verdict::Broken {
                    seq: event.seq,
                    reason: "it does not link to the event before it".to_owned(),
                });
            }
            if hash_of(&event) != event.hash {
                return Ok(Verdict::Broken {
                    seq: event.seq,
                    reason: "its content does not match its hash".to_owned(),
                });
            }
            expected_prev = event.hash;
            expected_seq += 1;
            count += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_name_changed_fields_only() {
        let before = json!({"name": "A", "version": 1, "kind": "x", "password_hash": "h"});
        let after = json!({"name": "B", "version": 2, "kind": "x", "password_hash": "h2"});
        assert_eq!(changed(&before, &after), json!({"name": {"before": "A", "after": "B"}}));
        assert_eq!(created(&json!({"name": "A", "sort_key": "a"})), json!({"name": {"after": "A"}}));
    }
}
