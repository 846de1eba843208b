//! The database pools' connections.

use std::time::Duration;

use lienket::db::{HeldConnection, Reads, RequestPools};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, Statement};

use crate::helpers::spawn_app;

/// One row of a query on PostgreSQL.
async fn row(db: &DatabaseConnection, sql: &str) -> QueryResult {
    db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
        .unwrap()
}

/// On PostgreSQL over TCP, Nagle's algorithm is off on the pool's sockets: with it on, a
/// statement longer than one TLS record waits about 40 ms for the server's acknowledgement.
async fn assert_sends_without_waiting(db: &DatabaseConnection) {
    let ports = row(db, "SELECT inet_client_port(), inet_server_port()").await;
    let client: Option<i32> = ports.try_get_by_index(0).unwrap();
    let server: Option<i32> = ports.try_get_by_index(1).unwrap();
    // A Unix socket has no ports and no Nagle's algorithm.
    let (Some(client), Some(server)) = (client, server) else {
        return;
    };
    let port = |p: i32| u16::try_from(p).unwrap();
    assert_eq!(
        lienket::db::nodelay::is_set_on_connection(port(client), port(server)).unwrap(),
        Some(true),
        "the connection from port {client} to {server}"
    );
}

#[actix_web::test]
async fn postgres_connections_send_without_waiting_for_acknowledgements() {
    let app = spawn_app().await;
    if app.db.get_database_backend() == DbBackend::Postgres {
        assert_sends_without_waiting(&app.db).await;
    }
}

/// On PostgreSQL each worker gets a pool of its own with the settings of the pool it is made
/// from and an even share of its connections; closing the pools closes them all, and a worker
/// started after that gets a closed pool too.
#[actix_web::test]
async fn workers_get_pools_of_their_own_and_closing_closes_them_all() {
    let app = spawn_app().await;
    // The test pool holds at most five connections: two for each of two workers.
    let pools = RequestPools::new(app.db.clone(), 2);
    let workers = [pools.for_worker().db, pools.for_worker().db];
    for db in &workers {
        db.ping().await.expect("a worker's pool connects on first use");
    }
    if app.db.get_database_backend() == DbBackend::Postgres {
        for db in &workers {
            assert_eq!(db.get_postgres_connection_pool().options().get_max_connections(), 2);
            let name = row(db, "SELECT current_setting('application_name')").await;
            assert_eq!(name.try_get_by_index::<String>(0).unwrap(), "lienket", "the base pool's settings");
            assert_sends_without_waiting(db).await;
        }
        let (open, _) = pools.connections();
        assert!((2..=4).contains(&open), "both workers' connections are counted: {open}");
    }
    pools.close().await;
    for db in workers.iter().chain([&pools.for_worker().db, &app.db]) {
        assert!(db.ping().await.is_err(), "closed");
    }
}

/// The id of the database process serving a read's connection.
async fn backend_pid(reads: &Reads, sql: &str) -> Result<i32, DbErr> {
    HeldConnection::read(reads, async |conn| {
        let row = conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
        Ok(row.expect("one row").try_get_by_index::<i32>(0).unwrap())
    })
    .await
}

/// On PostgreSQL a worker's reads keep the connection they end with for its next read, with no
/// round trip to give it back; one left unused goes back to the pool, and one whose statement
/// failed or whose read was dropped part-way is not kept. Reads hold at most one connection
/// fewer than the pool's most, so the pool always has one for other work; closing gives the
/// kept ones back and refuses reads.
#[actix_web::test]
async fn reads_keep_their_connections_between_them() {
    let app = spawn_app().await;
    if app.db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    // Two connections for each of two workers: the reads of one hold at most one.
    let pools = RequestPools::new(app.db.clone(), 2);
    let worker = pools.for_worker();
    let reads = &worker.reads;
    let first = backend_pid(reads, "SELECT pg_backend_pid()").await.unwrap();
    assert_eq!(reads.kept(), 1, "the connection is kept after the read");
    assert_eq!(
        backend_pid(reads, "SELECT pg_backend_pid()").await.unwrap(),
        first,
        "and used by the next read"
    );

    // While a read holds its connection, other work takes the pool's other one, and a second
    // read waits for the first to end.
    let other = HeldConnection::read(reads, async |_| {
        let other = row(&worker.db, "SELECT pg_backend_pid()").await.try_get_by_index::<i32>(0).unwrap();
        let waiting = tokio::time::timeout(Duration::from_millis(200), backend_pid(reads, "SELECT pg_backend_pid()")).await;
        assert!(
            waiting.is_err(),
            "a second read waits while the first holds the reads' one connection"
        );
        Ok::<_, DbErr>(other)
    })
    .await
    .unwrap();
    assert_ne!(other, first);

    // A failed statement: its connection goes back to the pool instead.
    assert!(backend_pid(reads, "SELECT 1 / 0").await.is_err());
    assert_eq!(reads.kept(), 0, "not kept after a failed statement");
    backend_pid(reads, "SELECT pg_backend_pid()").await.unwrap();
    assert_eq!(reads.kept(), 1);

    // Unused for a while, the kept connection goes back to the pool.
    let (open_before, _) = pools.connections();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(reads.kept(), 0, "an unused connection goes back to the pool");
    let (open, idle) = pools.connections();
    assert_eq!(open, open_before, "and stays open there");
    assert_eq!(usize::try_from(open).unwrap(), idle, "idle in the pool, for any work to take");

    // A read dropped part-way (its client went away) gives its connection back to the pool
    // instead, and the next read still finds a working one.
    backend_pid(reads, "SELECT pg_backend_pid()").await.unwrap();
    assert_eq!(reads.kept(), 1);
    let dropped = tokio::time::timeout(
        Duration::from_millis(200),
        backend_pid(reads, "SELECT pg_backend_pid() FROM pg_sleep(1)"),
    )
    .await;
    assert!(dropped.is_err(), "the read was dropped before it ended");
    assert_eq!(reads.kept(), 0, "not kept after a read dropped part-way");
    backend_pid(reads, "SELECT pg_backend_pid()").await.unwrap();
    assert_eq!(reads.kept(), 1);

    pools.close().await;
    assert_eq!(reads.kept(), 0, "closing gives the kept connections back");
    assert!(backend_pid(reads, "SELECT pg_backend_pid()").await.is_err(), "closed");
}
