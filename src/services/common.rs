//! What every stored resource shares: live (not soft-deleted) lookups, reference checks,
//! version-guarded updates and soft deletion.

use std::collections::HashSet;

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, ExprTrait, ModelTrait, QueryFilter, QuerySelect,
    Select, SqliteTransactionMode, Statement, TransactionOptions, TransactionSession, TransactionTrait, Value,
};
use uuid::Uuid;

use crate::audit::{self, AuditContext};
use crate::conditional::Precondition;
use crate::db;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::i18n::Noun;
use crate::text;
use crate::validation::Validator;

/// A table of versioned, soft-deletable resources.
pub trait Record: EntityTrait {
    const NOUN: Noun;
    /// The resource's name in the audit trail.
    const RESOURCE: &'static str;
    /// Where its records are served (`/api/v1/<collection>/{id}`); `None` for records served
    /// under another resource's path.
    const COLLECTION: Option<&'static str>;
    fn id() -> Self::Column;
    fn version() -> Self::Column;
    fn created_at() -> Self::Column;
    fn updated_at() -> Self::Column;
    fn deleted_at() -> Self::Column;
}

macro_rules! record {
    ($module:ident, $collection:expr, $en:literal, $vi:literal) => {
        impl Record for entity::$module::Entity {
            const NOUN: Noun = Noun { en: $en, vi: $vi };
            const RESOURCE: &'static str = stringify!($module);
            const COLLECTION: Option<&'static str> = $collection;
            fn id() -> Self::Column {
                entity::$module::Column::Id
            }
            fn version() -> Self::Column {
                entity::$module::Column::Version
            }
            fn created_at() -> Self::Column {
                entity::$module::Column::CreatedAt
            }
            fn updated_at() -> Self::Column {
                entity::$module::Column::UpdatedAt
            }
            fn deleted_at() -> Self::Column {
                entity::$module::Column::DeletedAt
            }
        }
    };
}

record!(areas, Some("areas"), "area", "khu vực hành chính");
record!(units, Some("units"), "unit", "đơn vị");
record!(legal_documents, Some("legal-documents"), "legal document", "văn bản pháp lý");
record!(clusters, Some("clusters"), "cluster", "cụm liên kết");
record!(cluster_members, None, "membership", "tư cách thành viên");
record!(regulations, Some("regulations"), "regulation", "quy chế");
record!(users, Some("users"), "user", "người dùng");
record!(clients, Some("clients"), "client", "ứng dụng khách");
record!(
    incident_categories,
    Some("incident-categories"),
    "incident category",
    "loại vụ việc"
);
record!(incidents, Some("incidents"), "incident", "vụ việc");
record!(bulletins, Some("bulletins"), "bulletin", "thông báo");
record!(community_models, Some("community-models"), "community model", "mô hình quần chúng");
record!(activities, Some("activities"), "activity", "hoạt động phối hợp");
record!(meetings, Some("meetings"), "meeting", "cuộc họp");
record!(action_items, Some("action-items"), "action item", "nhiệm vụ");

/// A resource written through the API: how its writable state (the draft) is read from a stored
/// record, checked, and written back. The create, update and delete flows below are shared by
/// every resource; each resource only says what is particular to it.
#[allow(async_fn_in_trait)]
pub trait Resource: Record {
    /// The writable fields, as a create request gives them or a merge patch leaves them.
    type Draft: Clone + PartialEq;

    /// The writable state of a stored record.
    async fn draft<C: ConnectionTrait>(db: &C, model: &Self::Model) -> ApiResult<Self::Draft>;

    /// Normalizes and checks a draft; `current` is the stored record when updating.
    async fn validate<C: ConnectionTrait>(db: &C, draft: &mut Self::Draft, current: Option<&Self::Model>) -> ApiResult<()>;

    /// The columns the draft determines (never the id, version or timestamps).
    fn columns(draft: &Self::Draft) -> Self::ActiveModel;

    /// Writes what lives outside the record's own row (child rows, effects on other records).
    async fn after_save<C: ConnectionTrait>(_db: &C, _id: Uuid, _draft: &Self::Draft, _current: Option<&Self::Model>) -> ApiResult<()> {
        Ok(())
    }

    /// Writes what a new record starts with outside its own row, knowing who created it.
    async fn after_create<C: ConnectionTrait>(_db: &C, _model: &Self::Model, _audit: &AuditContext) -> ApiResult<()> {
        Ok(())
    }

    /// Refuses deletion while other live records depend on this one.
    async fn check_deletable<C: ConnectionTrait>(_db: &C, _model: &Self::Model) -> ApiResult<()> {
        Ok(())
    }

    /// The classification that guards this record (its own, or its cluster's); `None` for
    /// records everyone may see.
    async fn classification<C: ConnectionTrait>(_db: &C, _model: &Self::Model) -> ApiResult<Option<String>> {
        Ok(None)
    }

    /// Effects of a deletion on other records.
    async fn after_delete<C: ConnectionTrait>(_db: &C, _model: &Self::Model) -> ApiResult<()> {
        Ok(())
    }
}

/// Begins a write transaction; on SQLite it takes the write lock at once, so concurrent writers
/// queue (up to the busy timeout) instead of failing when they upgrade from reading.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> ApiResult<C::Transaction> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// Creates a record from a draft and returns it as stored.
pub async fn create<E, C>(db: &C, audit: &AuditContext, mut draft: E::Draft) -> ApiResult<E::Model>
where
    E: Resource,
    E::Model: serde::Serialize,
    C: ConnectionTrait + TransactionTrait,
{
    let txn = begin_write(db).await?;
    E::validate(&txn, &mut draft, None).await?;
    let id = Uuid::now_v7();
    E::insert(new_row::<E>(&draft, id, db::now())).exec_without_returning(&txn).await?;
    E::after_save(&txn, id, &draft, None).await?;
    let model = find_live::<E, _>(&txn, id).await?;
    E::after_create(&txn, &model, audit).await?;
    let classification = E::classification(&txn, &model).await?;
    audit::record(
        &txn,
        audit,
        event::<E>("create", id, audit::created(&model)).classified(classification),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// The row of a new record: the draft's columns, its id, version 1 and both timestamps at `at`.
pub fn new_row<E: Resource>(draft: &E::Draft, id: Uuid, at: chrono::DateTime<chrono::Utc>) -> E::ActiveModel {
    let mut row = E::columns(draft);
    row.set(E::id(), id.into());
    row.set(E::created_at(), at.into());
    row.set(E::updated_at(), at.into());
    row.set(E::version(), 1i32.into());
    row.set(E::deleted_at(), Value::ChronoDateTimeUtc(None));
    row
}

/// An audit event about a record of `E`.
pub fn event<E: Record>(action: &'static str, id: Uuid, changes: serde_json::Value) -> audit::Event {
    audit::Event {
        action,
        resource_type: E::RESOURCE,
        resource_id: Some(id),
        collection: E::COLLECTION,
        changes,
        classification: None,
    }
}

/// Applies a merge patch (through `apply`) to a record, re-validates the whole result, and saves
/// it if the caller's precondition and the read version still hold.
pub async fn update<E, C, F>(db: &C, audit: &AuditContext, id: Uuid, precondition: &Precondition, apply: F) -> ApiResult<E::Model>
where
    E: Resource,
    E::Model: serde::Serialize,
    C: ConnectionTrait + TransactionTrait,
    F: FnOnce(&mut E::Draft, &mut Vec<FieldError>),
{
    let txn = begin_write(db).await?;
    let current = find_for_update::<E, _>(&txn, id).await?;
    let version = version_of::<E>(&current)?;
    precondition.check(version)?;
    let stored = E::draft(&txn, &current).await?;
    let mut draft = stored.clone();
    let mut errors = Vec::new();
    apply(&mut draft, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if draft == stored {
        // Nothing changes, so nothing is written and the version stays.
        return Ok(current);
    }
    E::validate(&txn, &mut draft, Some(&current)).await?;
    if draft == stored {
        // Only spelling that validation normalizes away (such as surrounding spaces) differed.
        return Ok(current);
    }
    save_versioned::<E, _, _>(&txn, id, version, E::columns(&draft), precondition).await?;
    E::after_save(&txn, id, &draft, Some(&current)).await?;
    let model = find_live::<E, _>(&txn, id).await?;
    let classification = E::classification(&txn, &model).await?;
    audit::record(
        &txn,
        audit,
        event::<E>("update", id, audit::changed(&current, &model)).classified(classification),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Soft-deletes a record if the caller's precondition holds and nothing live depends on it.
pub async fn delete<E, C>(db: &C, audit: &AuditContext, id: Uuid, precondition: &Precondition) -> ApiResult<E::Model>
where
    E: Resource,
    C: ConnectionTrait + TransactionTrait,
{
    let txn = begin_write(db).await?;
    let current = find_for_update::<E, _>(&txn, id).await?;
    let version = version_of::<E>(&current)?;
    precondition.check(version)?;
    E::check_deletable(&txn, &current).await?;
    soft_delete::<E, _>(&txn, id, version, precondition).await?;
    E::after_delete(&txn, &current).await?;
    let classification = E::classification(&txn, &current).await?;
    audit::record(
        &txn,
        audit,
        event::<E>("delete", id, serde_json::json!({})).classified(classification),
    )
    .await?;
    txn.commit().await?;
    Ok(current)
}

fn version_of<E: Record>(model: &E::Model) -> ApiResult<i32> {
    match model.get(E::version()) {
        Value::Int(Some(v)) => Ok(v),
        other => Err(ApiError::internal(format!("unexpected version value {other:?}"))),
    }
}

/// The records that have not been deleted.
pub fn live<E: Record>() -> Select<E> {
    E::find().filter(E::deleted_at().is_null())
}

/// `SELECT id FROM <table> WHERE deleted_at IS NULL`, for `IN (…)` filters.
pub fn live_ids_query<E: Record>() -> SelectStatement {
    Query::select()
        .column(E::id())
        .from(E::default())
        .and_where(E::deleted_at().is_null())
        .to_owned()
}

/// A live record by id, or 404.
pub async fn find_live<E: Record, C: ConnectionTrait>(db: &C, id: Uuid) -> ApiResult<E::Model> {
    find_live_where::<E, C>(db, id, Condition::all()).await
}

/// A live record by id that also meets `condition` (what the caller may see), or 404: one query
/// decides, so a record that does not exist and one the caller may not see answer alike.
pub async fn find_live_where<E: Record, C: ConnectionTrait>(db: &C, id: Uuid, condition: Condition) -> ApiResult<E::Model> {
    live::<E>()
        .filter(E::id().eq(id))
        .filter(condition)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(E::NOUN))
}

/// A live record by id, locked for the rest of the transaction (on PostgreSQL; SQLite's write
/// transactions already exclude each other), or 404.
pub async fn find_for_update<E: Record, C: ConnectionTrait>(db: &C, id: Uuid) -> ApiResult<E::Model> {
    live::<E>()
        .filter(E::id().eq(id))
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(E::NOUN))
}

/// Which of `ids` name live records. The rows found stay locked against deletion until the
/// transaction ends, so a record cannot be deleted while a reference to it is being written.
pub async fn live_ids<E: Record, C: ConnectionTrait>(db: &C, ids: impl IntoIterator<Item = Uuid>) -> ApiResult<HashSet<Uuid>> {
    let ids: HashSet<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let found: Vec<Uuid> = live::<E>()
        .select_only()
        .column(E::id())
        .filter(E::id().is_in(ids))
        .lock_shared()
        .into_tuple()
        .all(db)
        .await?;
    Ok(found.into_iter().collect())
}

/// Checks that an optional reference names a live record; reports `unknown_reference` otherwise.
pub async fn check_reference<E: Record, C: ConnectionTrait>(db: &C, v: &mut Validator, field: &str, id: Option<Uuid>) -> ApiResult<()> {
    if let Some(id) = id
        && live_ids::<E, C>(db, [id]).await?.is_empty()
    {
        v.push(FieldError::unknown_reference(field, E::NOUN));
    }
    Ok(())
}

/// Writes `changes` to the record if it is still at `read_version`, stamping a new version and
/// `updated_at`. A concurrent change in between is a 412 when the caller sent `If-Match`, a 409
/// otherwise.
pub async fn save_versioned<E, A, C>(db: &C, id: Uuid, read_version: i32, changes: A, precondition: &Precondition) -> ApiResult<()>
where
    E: Record,
    A: ActiveModelTrait<Entity = E>,
    C: ConnectionTrait,
{
    let result = E::update_many()
        .set(changes)
        .col_expr(E::version(), Expr::col(E::version()).add(1))
        .col_expr(E::updated_at(), Expr::val(db::now()))
        .filter(E::id().eq(id))
        .filter(E::version().eq(read_version))
        .filter(E::deleted_at().is_null())
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(concurrent_change(precondition));
    }
    Ok(())
}

/// Marks a record deleted (it leaves lists and reads) if it is still at `read_version`.
pub async fn soft_delete<E: Record, C: ConnectionTrait>(db: &C, id: Uuid, read_version: i32, precondition: &Precondition) -> ApiResult<()> {
    let now = db::now();
    let result = E::update_many()
        .col_expr(E::deleted_at(), Expr::val(now))
        .col_expr(E::updated_at(), Expr::val(now))
        .col_expr(E::version(), Expr::col(E::version()).add(1))
        .filter(E::id().eq(id))
        .filter(E::version().eq(read_version))
        .filter(E::deleted_at().is_null())
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(concurrent_change(precondition));
    }
    Ok(())
}

/// Makes transactions that pass the same `key` run one after another until they end, for rules
/// that no unique index can hold (such as "no two areas with one code at the same time"). On
/// PostgreSQL a transaction-scoped advisory lock; SQLite's write transactions already exclude
/// each other.
pub async fn serialize_on<C: ConnectionTrait>(db: &C, key: &str) -> ApiResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        let lock = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [key.into()],
        );
        db.execute_raw(lock).await?;
    }
    Ok(())
}

/// Soft-deletes every live record matching `condition`, as part of deleting what they belong to.
pub async fn soft_delete_where<E: Record, C: ConnectionTrait>(db: &C, condition: impl sea_orm::sea_query::IntoCondition) -> ApiResult<()> {
    let now = db::now();
    E::update_many()
        .col_expr(E::deleted_at(), Expr::val(now))
        .col_expr(E::updated_at(), Expr::val(now))
        .col_expr(E::version(), Expr::col(E::version()).add(1))
        .filter(condition)
        .filter(E::deleted_at().is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Bumps a record's version because something it shows (such as its member list) changed.
pub async fn touch<E: Record, C: ConnectionTrait>(db: &C, id: Uuid) -> ApiResult<()> {
    E::update_many()
        .col_expr(E::version(), Expr::col(E::version()).add(1))
        .col_expr(E::updated_at(), Expr::val(db::now()))
        .filter(E::id().eq(id))
        .exec(db)
        .await?;
    Ok(())
}

fn concurrent_change(precondition: &Precondition) -> ApiError {
    let detail = text!(
        en: "The resource was changed by another request meanwhile; read it again and retry.",
        vi: "Tài nguyên vừa bị một yêu cầu khác thay đổi; hãy đọc lại và thử lại."
    );
    if precondition.is_given() {
        ApiError::PreconditionFailed { detail }
    } else {
        ApiError::conflict(detail)
    }
}

/// Records valid on `day` under half-open validity `[from, to)`; a missing end is open.
pub fn active_on<C: ColumnTrait>(from: C, to: C, day: impl Into<NaiveDate>) -> Condition {
    let day: NaiveDate = day.into();
    Condition::all()
        .add(Condition::any().add(from.is_null()).add(from.lte(day)))
        .add(Condition::any().add(to.is_null()).add(to.gt(day)))
}

/// Records whose half-open period `[from, to)` overlaps `[start, end)`; missing ends are open.
pub fn overlapping<C: ColumnTrait>(from: C, to: C, start: Option<NaiveDate>, end: Option<NaiveDate>) -> Condition {
    let mut condition = Condition::all();
    if let Some(end) = end {
        condition = condition.add(Condition::any().add(from.is_null()).add(from.lt(end)));
    }
    if let Some(start) = start {
        condition = condition.add(Condition::any().add(to.is_null()).add(to.gt(start)));
    }
    condition
}

/// Whether two half-open periods overlap; missing ends are open.
pub fn periods_overlap(a: (Option<NaiveDate>, Option<NaiveDate>), b: (Option<NaiveDate>, Option<NaiveDate>)) -> bool {
    let starts_before_other_ends = |start: Option<NaiveDate>, other_end: Option<NaiveDate>| match (start, other_end) {
        (Some(s), Some(e)) => s < e,
        _ => true,
    };
    starts_before_other_ends(a.0, b.1) && starts_before_other_ends(b.0, a.1)
}

/// Whether `day` falls in the half-open period `[from, to)`.
pub fn covers(from: Option<NaiveDate>, to: Option<NaiveDate>, day: NaiveDate) -> bool {
    from.is_none_or(|f| f <= day) && to.is_none_or(|t| day < t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<NaiveDate> {
        s.parse().ok()
    }

    #[test]
    fn half_open_periods() {
        let cases = [
            ((None, None), (None, None), true, "open periods overlap"),
            (
                (d("2020-01-01"), d("2021-01-01")),
                (d("2021-01-01"), None),
                false,
                "end is exclusive",
            ),
            ((d("2020-01-01"), d("2021-01-02")), (d("2021-01-01"), None), true, "one shared day"),
            ((None, d("2020-01-01")), (d("2019-06-01"), d("2019-07-01")), true, "open start"),
            ((d("2022-01-01"), None), (None, d("2021-01-01")), false, "disjoint"),
        ];
        for (a, b, expected, why) in cases {
            assert_eq!(periods_overlap(a, b), expected, "{why}");
            assert_eq!(periods_overlap(b, a), expected, "{why} (swapped)");
        }
    }

    #[test]
    fn covers_days() {
        let day = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap_or_default();
        assert!(covers(None, None, day));
        assert!(!covers(None, d("2025-03-01"), day), "valid_to is the first day no longer valid");
        assert!(covers(d("2025-03-01"), None, day));
    }
}
