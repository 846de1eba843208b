//! Opening the database (embedded SQLite by default, PostgreSQL by URL), migrating it, and the
//! clock the records are stamped with.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, SubsecRound, Utc};
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr, SqlxPostgresConnector};

use crate::config::DatabaseSettings;

mod held;
pub mod nodelay;

pub use held::{HeldConnection, Reads};

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

/// The connection pools requests run on.
///
/// On PostgreSQL each HTTP worker gets a pool of its own, and its reads keep connections of
/// that pool between them ([`Reads`]). A worker is a thread with its own event loop, and a
/// connection's socket wakes the loop of the thread that opened it: with one pool for all, a
/// connection opened by one thread and used by another costs a wake-up of both threads for
/// every answer from the database. A worker's pool opens its connections on first
/// use, on that worker's thread, with the settings of the pool it is made from, whose most
/// connections are split evenly among the workers (rounded down, at least one each). The pool
/// it is made from stays with start-up work and the writer of read events. SQLite's connections
/// each run on a thread of their own, so there every worker shares the one pool.
#[derive(Debug, Clone)]
pub struct RequestPools {
    base: DatabaseConnection,
    per_worker: u32,
    opened: Arc<Mutex<Opened>>,
}

/// The workers' pools made so far, and whether [`RequestPools::close`] was called.
#[derive(Debug, Default)]
struct Opened {
    pools: Vec<Reads>,
    closed: bool,
}

/// One worker's way to the database: its pool, and its reads on that pool.
#[derive(Debug, Clone)]
pub struct WorkerPool {
    pub db: DatabaseConnection,
    pub reads: Reads,
}

impl RequestPools {
    /// Pools for `workers` workers, made from `base`.
    pub fn new(base: DatabaseConnection, workers: usize) -> Self {
        let workers = u32::try_from(workers).unwrap_or(u32::MAX).max(1);
        let most = match base.get_database_backend() {
            DbBackend::Postgres => base.get_postgres_connection_pool().options().get_max_connections(),
            _ => 1,
        };
        Self {
            base,
            per_worker: (most / workers).max(1),
            opened: Arc::default(),
        }
    }

    /// The pool of the worker calling this (made on each worker's start, on its thread). Once
    /// the pools are closed, the closed pool they are made from.
    pub fn for_worker(&self) -> WorkerPool {
        let mut opened = self.opened.lock().unwrap_or_else(PoisonError::into_inner);
        if self.base.get_database_backend() != DbBackend::Postgres || opened.closed {
            let reads = Reads::new(self.base.clone());
            if opened.closed {
                reads.close();
            }
            return WorkerPool {
                db: self.base.clone(),
                reads,
            };
        }
        let base = self.base.get_postgres_connection_pool();
        let pool = base
            .options()
            .clone()
            .max_connections(self.per_worker)
            .connect_lazy_with(base.connect_options().as_ref().clone());
        let db = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
        let reads = Reads::new(db.clone());
        opened.pools.push(reads.clone());
        WorkerPool { db, reads }
    }

    /// Closes every pool requests use, and the one they are made from: requests then answer 503.
    pub async fn close(&self) {
        let opened = {
            let mut opened = self.opened.lock().unwrap_or_else(PoisonError::into_inner);
            opened.closed = true;
            opened.pools.clone()
        };
        for reads in &opened {
            reads.close();
        }
        for db in opened.iter().map(Reads::pool).chain(std::iter::once(&self.base)) {
            // Closing a pool only fails for pools without one to close (mocks, proxies).
            let _ = db.close_by_ref().await;
        }
    }

    /// Open connections of the requests' pools, in all and idle (in a pool or kept by reads).
    pub fn connections(&self) -> (u32, usize) {
        let opened = self.opened.lock().unwrap_or_else(PoisonError::into_inner);
        if opened.pools.is_empty() {
            return pool_connections(&self.base);
        }
        opened
            .pools
            .iter()
            .map(|reads| {
                let (size, idle) = pool_connections(reads.pool());
                (size, idle + reads.kept())
            })
            .fold((0, 0), |(size, idle), (s, i)| (size + s, idle + i))
    }
}

fn pool_connections(db: &DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    }
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
