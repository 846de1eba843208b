//! One pooled connection held for the statements of one read, and the connections a worker's
//! reads keep between them.
//!
//! Outside a transaction sea-orm takes a connection from the pool for each statement, and sqlx
//! checks every connection with a round trip as it goes back. A transaction holds one connection
//! throughout, but costs two round trips of its own (BEGIN and COMMIT). A [`HeldConnection`]
//! holds one connection without a transaction: each statement runs on it in autocommit, as it
//! would on the pool. Single-record reads and lists run on one.
//!
//! On PostgreSQL a worker's reads also keep the connections they finish with, for the worker's
//! next reads ([`Reads`]), so a read that ended cleanly costs no round trip to give its
//! connection back: only its statements reach the database. The connections stay the pool's
//! (they count towards its most connections); writes and everything else take theirs from the
//! pool as before.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, Weak};
use std::time::Instant;

use async_trait::async_trait;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::{self, Connection, Database, IntoArguments, PgPool, Postgres, Sqlite};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr, Statement, Values,
};
use sea_query_sqlx::SqlxValues;
use tokio::sync::{Mutex, Semaphore, SemaphorePermit};

use super::PING_AFTER_IDLE;

/// How a worker's requests reach the database for reads: its pool, and on PostgreSQL the
/// connections its reads keep.
#[derive(Debug, Clone)]
pub struct Reads {
    db: DatabaseConnection,
    kept: Option<Arc<KeptConnections>>,
}

impl Reads {
    /// Reads on `db`'s pool, keeping up to one connection fewer than the pool's most between
    /// reads on PostgreSQL, so other work always finds a connection in the pool. Keeps none on
    /// SQLite or a pool of one connection.
    pub fn new(db: DatabaseConnection) -> Self {
        let kept = match db.get_database_backend() {
            DbBackend::Postgres => {
                let pool = db.get_postgres_connection_pool().clone();
                let most = usize::try_from(pool.options().get_max_connections()).unwrap_or(usize::MAX);
                (most > 1).then(|| KeptConnections::start(pool, most - 1))
            }
            _ => None,
        };
        Self { db, kept }
    }

    /// The pool reads without kept connections take theirs from.
    pub fn pool(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Gives the kept connections back to the pool and keeps no more.
    pub fn close(&self) {
        if let Some(kept) = &self.kept {
            kept.close();
        }
    }

    /// Connections kept between reads now.
    pub fn kept(&self) -> usize {
        self.kept.as_ref().map_or(0, |kept| kept.idle())
    }
}

/// Connections of a worker's PostgreSQL pool that its reads keep between them.
///
/// Taken out of the pool and never given back while a read may reuse them: a read takes the one
/// used last (its database process is the one most likely still in the CPU's caches), or one
/// from the pool when none is kept, and keeps it when it ends. At most `permits` reads hold one
/// at a time, one fewer than the pool's most, so other work always finds a connection. One kept
/// unused for [`PING_AFTER_IDLE`] goes back to the pool (which checks it on the way), so a
/// quiet worker leaves its pool's connections to the other work.
#[derive(Debug)]
struct KeptConnections {
    pool: PgPool,
    permits: Semaphore,
    idle: std::sync::Mutex<Vec<Kept>>,
    closed: AtomicBool,
}

#[derive(Debug)]
struct Kept {
    conn: PoolConnection<Postgres>,
    since: Instant,
}

/// A connection for one read, and the right to hold it.
struct Lease<'a> {
    conn: PoolConnection<Postgres>,
    _permit: SemaphorePermit<'a>,
}

impl KeptConnections {
    fn start(pool: PgPool, permits: usize) -> Arc<Self> {
        let kept = Arc::new(Self {
            pool,
            permits: Semaphore::new(permits),
            idle: std::sync::Mutex::default(),
            closed: AtomicBool::new(false),
        });
        // Made on a worker's thread, in its runtime; without one (a tool, a test) nothing is kept
        // long enough to matter, and closing gives the rest back.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(give_back_unused(Arc::downgrade(&kept)));
        }
        kept
    }

    /// A connection for a read: a kept one (checked first when unused for a while), or one from
    /// the pool; waits at most the pool's acquire timeout for either.
    async fn lease(&self) -> Result<Lease<'_>, sqlx::Error> {
        let timeout = self.pool.options().get_acquire_timeout();
        tokio::time::timeout(timeout, async {
            let permit = self.permits.acquire().await.map_err(|_| sqlx::Error::PoolClosed)?;
            while let Some(mut kept) = self.take() {
                if kept.since.elapsed() < PING_AFTER_IDLE || kept.conn.ping().await.is_ok() {
                    return Ok(Lease {
                        conn: kept.conn,
                        _permit: permit,
                    });
                }
                kept.conn.close_on_drop();
            }
            let conn = self.pool.acquire().await?;
            Ok(Lease { conn, _permit: permit })
        })
        .await
        .unwrap_or(Err(sqlx::Error::PoolTimedOut))
    }

    fn take(&self) -> Option<Kept> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop()
    }

    /// Keeps the connection of a read that ended with every statement answered and no
    /// transaction open; gives any other back to the pool, which checks it.
    fn keep(&self, lease: Lease<'_>, clean: bool) {
        let Lease { conn, _permit } = lease;
        if clean && !conn.is_in_transaction() && !self.closed.load(Ordering::Acquire) {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            // Checked again under the lock, so none is kept after `close` emptied the list.
            if !self.closed.load(Ordering::Acquire) {
                idle.push(Kept {
                    conn,
                    since: Instant::now(),
                });
            }
        }
    }

    /// Gives back the connections kept unused for [`PING_AFTER_IDLE`] or more.
    fn give_back_unused(&self) {
        let unused: Vec<Kept> = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            // Kept in the order they were last used: the unused ones are at the front.
            let count = idle.iter().take_while(|k| k.since.elapsed() >= PING_AFTER_IDLE).count();
            idle.drain(..count).collect()
        };
        drop(unused);
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.permits.close();
        let all = std::mem::take(&mut *self.idle.lock().unwrap_or_else(PoisonError::into_inner));
        drop(all);
    }

    fn idle(&self) -> usize {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl Drop for KeptConnections {
    /// Outside a runtime the pool cannot take a connection back (that takes a task); there the
    /// kept ones are closed without it.
    fn drop(&mut self) {
        let all = std::mem::take(self.idle.get_mut().unwrap_or_else(PoisonError::into_inner));
        if tokio::runtime::Handle::try_current().is_err() {
            all.into_iter().for_each(|kept| drop(kept.conn.detach()));
        }
    }
}

/// Gives a worker's unused kept connections back to its pool, until the worker's reads are gone.
async fn give_back_unused(kept: Weak<KeptConnections>) {
    let mut ticks = tokio::time::interval(PING_AFTER_IDLE);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match kept.upgrade() {
            Some(kept) if !kept.closed.load(Ordering::Acquire) => kept.give_back_unused(),
            _ => return,
        }
    }
}

/// A connection taken from a pool for one read, implementing sea-orm's [`ConnectionTrait`].
///
/// The statements of a read run one after another; the lock only lets sea-orm's `&self`
/// methods reach the connection. [`HeldConnection::read`] lets it go as soon as the read ends.
/// Each statement is its own transaction: on PostgreSQL, at its default isolation, that is what
/// a transaction's statements see as well; on SQLite a read's statements may each see a
/// different snapshot.
#[derive(Debug)]
pub struct HeldConnection {
    backend: DbBackend,
    conn: Mutex<Held>,
    /// Whether a statement failed: the connection then goes back to the pool to be checked.
    failed: AtomicBool,
}

#[derive(Debug)]
enum Held {
    Postgres(PoolConnection<Postgres>),
    Sqlite(PoolConnection<Sqlite>),
}

impl HeldConnection {
    fn new(backend: DbBackend, held: Held) -> Self {
        Self {
            backend,
            conn: Mutex::new(held),
            failed: AtomicBool::new(false),
        }
    }

    /// Takes a connection from `db`'s pool, waiting at most the pool's acquire timeout.
    async fn acquire(db: &DatabaseConnection) -> Result<Self, DbErr> {
        let backend = db.get_database_backend();
        let held = match backend {
            DbBackend::Postgres => Held::Postgres(db.get_postgres_connection_pool().acquire().await.map_err(acquire_error)?),
            DbBackend::Sqlite => Held::Sqlite(db.get_sqlite_connection_pool().acquire().await.map_err(acquire_error)?),
            other => {
                return Err(DbErr::BackendNotSupported {
                    db: other.as_str(),
                    ctx: "HeldConnection",
                });
            }
        };
        Ok(Self::new(backend, held))
    }

    /// Runs `read` on a connection of `reads` and lets it go as soon as `read` ends, before the
    /// caller goes on (to wait for its audit event, say).
    pub async fn read<T, E>(reads: &Reads, read: impl AsyncFnOnce(&HeldConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DbErr>,
    {
        let Some(kept) = &reads.kept else {
            let conn = Self::acquire(&reads.db).await?;
            return read(&conn).await;
        };
        let Lease { conn, _permit } = kept.lease().await.map_err(acquire_error)?;
        let held = Self::new(DbBackend::Postgres, Held::Postgres(conn));
        // Dropped before it ends (the client went away), the read gives its connection back to
        // the pool, which checks it.
        let out = read(&held).await;
        let clean = !held.failed.load(Ordering::Relaxed);
        if let Held::Postgres(conn) = held.conn.into_inner() {
            kept.keep(Lease { conn, _permit }, clean);
        }
        out
    }

    /// Notes a failed statement.
    fn checked<T>(&self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        if result.is_err() {
            self.failed.store(true, Ordering::Relaxed);
        }
        result
    }
}

/// sea-orm's reading of a failure to take a connection, so callers tell a full or closed pool
/// (503) from other errors the same way whichever path the statement took.
fn acquire_error(e: sqlx::Error) -> DbErr {
    match e {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        other => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(other))),
    }
}

fn exec_error(e: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e)))
}

fn query_error(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}

/// The statement as sqlx runs it, its values bound as sea-orm binds them.
fn query<DB: Database>(stmt: &Statement) -> sqlx::query::Query<'_, DB, SqlxValues>
where
    SqlxValues: IntoArguments<DB>,
{
    let values = stmt.values.clone().unwrap_or_else(|| Values(Vec::new()));
    sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.as_str()), SqlxValues(values))
}

/// Runs `$body` with `$c` bound to the held connection, whichever database it is of.
macro_rules! on_held {
    ($self:ident, $c:ident => $body:expr) => {
        match &mut *$self.conn.lock().await {
            Held::Postgres($c) => $body,
            Held::Sqlite($c) => $body,
        }
    };
}

#[async_trait]
impl ConnectionTrait for HeldConnection {
    fn get_database_backend(&self) -> DbBackend {
        self.backend
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        on_held!(self, c => self.checked(query(&stmt).execute(&mut **c).await).map(ExecResult::from).map_err(exec_error))
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        on_held!(self, c => self.checked(sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut **c).await).map(ExecResult::from).map_err(exec_error))
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        on_held!(self, c => self.checked(query(&stmt).fetch_optional(&mut **c).await).map(|row| row.map(QueryResult::from)).map_err(query_error))
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        on_held!(self, c => self.checked(query(&stmt).fetch_all(&mut **c).await)
            .map(|rows| rows.into_iter().map(QueryResult::from).collect())
            .map_err(query_error))
    }
}
