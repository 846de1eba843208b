//! The database pools' connections.

use lienket::db::RequestPools;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement};

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
    let workers = [pools.for_worker(), pools.for_worker()];
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
    for db in workers.iter().chain([&pools.for_worker(), &app.db]) {
        assert!(db.ping().await.is_err(), "closed");
    }
}
