//! The database pool's connections.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::helpers::spawn_app;

/// On PostgreSQL over TCP, Nagle's algorithm is off on the pool's sockets: with it on, a
/// statement longer than one TLS record waits about 40 ms for the server's acknowledgement.
#[actix_web::test]
async fn postgres_connections_send_without_waiting_for_acknowledgements() {
    let app = spawn_app().await;
    if app.db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT inet_client_port(), inet_server_port()",
        ))
        .await
        .unwrap()
        .unwrap();
    let client: Option<i32> = row.try_get_by_index(0).unwrap();
    let server: Option<i32> = row.try_get_by_index(1).unwrap();
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
