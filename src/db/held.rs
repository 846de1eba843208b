//! One pooled connection held for the statements of one read.
//!
//! Outside a transaction sea-orm takes a connection from the pool for each statement, and sqlx
//! checks every connection with a round trip as it goes back. A transaction holds one connection
//! throughout, but costs two round trips of its own (BEGIN and COMMIT). A [`HeldConnection`]
//! holds one connection without a transaction: each statement runs on it in autocommit, as it
//! would on the pool, and the connection is checked once, when it is released. Single-record
//! reads and lists run on one.

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::{self, Database, IntoArguments, Postgres, Sqlite};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr, Statement, Values,
};
use sea_query_sqlx::SqlxValues;
use tokio::sync::Mutex;

/// A connection taken from a pool for one read, implementing sea-orm's [`ConnectionTrait`].
///
/// The statements of a read run one after another; the lock only lets sea-orm's `&self`
/// methods reach the connection. [`HeldConnection::read`] returns it to the pool as soon as the
/// read ends. Each statement is its own transaction: on PostgreSQL, at its default
/// isolation, that is what a transaction's statements see as well; on SQLite a read's statements
/// may each see a different snapshot.
#[derive(Debug)]
pub struct HeldConnection {
    backend: DbBackend,
    conn: Mutex<Held>,
}

#[derive(Debug)]
enum Held {
    Postgres(PoolConnection<Postgres>),
    Sqlite(PoolConnection<Sqlite>),
}

impl HeldConnection {
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
        Ok(Self {
            backend,
            conn: Mutex::new(held),
        })
    }

    /// Runs `read` on a connection taken from `db`'s pool and returns it as soon as `read` ends,
    /// before the caller goes on (to wait for its audit event, say).
    pub async fn read<T, E>(db: &DatabaseConnection, read: impl AsyncFnOnce(&HeldConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DbErr>,
    {
        let conn = Self::acquire(db).await?;
        read(&conn).await
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
        on_held!(self, c => query(&stmt).execute(&mut **c).await.map(ExecResult::from).map_err(exec_error))
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        on_held!(self, c => sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut **c).await.map(ExecResult::from).map_err(exec_error))
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        on_held!(self, c => query(&stmt).fetch_optional(&mut **c).await.map(|row| row.map(QueryResult::from)).map_err(query_error))
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        on_held!(self, c => query(&stmt)
            .fetch_all(&mut **c)
            .await
            .map(|rows| rows.into_iter().map(QueryResult::from).collect())
            .map_err(query_error))
    }
}
