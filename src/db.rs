//! Opening the database (embedded SQLite by default, PostgreSQL by URL), migrating it, and the
//! clock the records are stamped with.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, SubsecRound, Utc};
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::config::DatabaseSettings;

pub mod nodelay;

/// How long a pooled connection may sit unused before it is checked with a round trip on its way
/// out of the pool. Every connection is already checked when it goes back in, so one taken again
/// soon after needs no second check; checking each time made every statement run outside a
/// transaction cost three round trips instead of two. One idle past this (a restarted database,
/// a dropped link) is still found broken before a request uses it.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Opens a connection pool. Creates the data directory when the embedded database is used.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    if settings.is_embedded() {
        std::fs::create_dir_all(&settings.data_dir)
            .map_err(|e| DbErr::Custom(format!("cannot create data directory {}: {e}", settings.data_dir.display())))?;
    }
    let mut options = ConnectOptions::new(settings.url());
    options
        .max_connections(settings.db_max_connections)
        .min_connections(0)
        .acquire_timeout(settings.acquire_timeout())
        .idle_timeout(Duration::from_secs(300))
        .test_before_acquire_if_idle_for(PING_AFTER_IDLE)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                .create_if_missing(true)
        })
        .map_sqlx_postgres_opts(|o| o.application_name("lienket"))
        .map_sqlx_postgres_pool_opts(|pool| pool.after_connect(|conn, _| Box::pin(nodelay::disable_nagle(conn))));
    Database::connect(options).await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// The current time at the precision both databases store (microseconds), so a record reads
/// back exactly as it was written on either.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A moment as fixed-width UTC text (`2025-03-01T08:30:00.000000Z`), which sorts in time order
/// as bytes on both databases: the sort key of time-ordered lists, and the audit chain's form.
pub fn time_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Today's date in Vietnam (UTC+7), the calendar the records' dates are written in.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&VIETNAM).date_naive()
}

/// The day an instant falls on in Vietnam (UTC+07:00).
pub fn vietnam_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&VIETNAM).date_naive()
}

/// Midnight at the start of `day` in Vietnam (UTC+07:00), as a UTC instant.
pub fn start_of_day(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN)
        .and_local_timezone(VIETNAM)
        .single()
        .map_or_else(|| day.and_time(chrono::NaiveTime::MIN).and_utc(), |t| t.with_timezone(&Utc))
}

const VIETNAM: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};
