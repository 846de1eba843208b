//! The audit trail: what is recorded, by whom, and that tampering is detected.

use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// A bilateral cluster of two units with the given classification; returns its id.
async fn classified_cluster(app: &TestApp, name: &str, classification: &str, [a, b]: [&str; 2]) -> String {
    app.post(
        "/api/v1/clusters",
        &json!({"name": name, "kind": "bilateral", "classification": classification, "members": [{"unit_id": a}, {"unit_id": b}]}),
    )
    .await
    .id()
}

#[actix_web::test]
async fn writes_and_classified_reads_are_recorded_and_the_chain_verifies() {
    let app = spawn_app().await;
    let a = app.unit("Công an huyện A").await;
    let b = app.unit("Công an huyện B").await;
    let cluster = classified_cluster(&app, "Cụm mật", "confidential", [&a, &b]).await;
    let renamed = app
        .patch(&format!("/api/v1/clusters/{cluster}"), &json!({"name": "Cụm mật mới"}))
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    let read = app.get(&format!("/api/v1/clusters/{cluster}")).await;
    assert_eq!(read.status, StatusCode::OK);

    let events = app.collect(&format!("/api/v1/audit-events?resource_id={cluster}")).await;
    let actions: Vec<&str> = events.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["create", "update", "read"], "{events:?}");
    assert_eq!(events[0]["changes"]["name"]["after"], "Cụm mật");
    assert_eq!(events[1]["changes"], json!({"name": {"before": "Cụm mật", "after": "Cụm mật mới"}}));
    assert_eq!(events[1]["request_id"].as_str(), renamed.header("x-request-id"));
    assert_eq!(events[1]["actor_type"], "user");
    assert!(events[1]["actor_id"].is_string());
    assert_eq!(events[2]["changes"]["classification"], "confidential");
    assert_eq!(events[1]["prev_hash"], events[0]["hash"], "consecutive events chain");

    // A list holding several classified records leaves one event per record, chained in one
    // write.
    let second = classified_cluster(&app, "Cụm mật thứ hai", "secret", [&a, &b]).await;
    let listed = app.get("/api/v1/clusters").await;
    let list_request = listed.header("x-request-id").expect("a request id").to_owned();
    let mut list_reads: Vec<Value> = app
        .collect("/api/v1/audit-events?action=read")
        .await
        .into_iter()
        .filter(|e| e["request_id"].as_str() == Some(list_request.as_str()))
        .collect();
    list_reads.sort_by_key(|e| e["seq"].as_i64());
    let mut read_ids: Vec<&str> = list_reads.iter().filter_map(|e| e["resource_id"].as_str()).collect();
    read_ids.sort_unstable();
    let mut expected = vec![cluster.as_str(), second.as_str()];
    expected.sort_unstable();
    assert_eq!(read_ids, expected, "{list_reads:?}");
    assert_eq!(list_reads[1]["prev_hash"], list_reads[0]["hash"], "the list's events chain");

    // Reading a public record leaves no event.
    app.get(&format!("/api/v1/units/{a}")).await;
    assert!(
        app.collect(&format!("/api/v1/audit-events?resource_id={a}&action=read"))
            .await
            .is_empty()
    );

    // The trail cannot be changed through the API.
    let id = events[0]["id"].as_str().unwrap();
    for method in [Method::PATCH, Method::DELETE, Method::PUT] {
        let answer = app.send(app.request(method.clone(), &format!("/api/v1/audit-events/{id}"))).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }

    let total = app.collect("/api/v1/audit-events").await.len();
    assert_eq!(lienket::admin::verify_audit(&app.db).await, Ok(u64::try_from(total).unwrap()));

    // Altering one event in the database breaks the chain at that event.
    app.db
        .execute_unprepared("UPDATE audit_events SET action = 'read' WHERE seq = 3")
        .await
        .unwrap();
    let broken = lienket::admin::verify_audit(&app.db).await.unwrap_err();
    assert!(broken.contains("event 3"), "{broken}");
    app.db
        .execute_unprepared("UPDATE audit_events SET action = 'create' WHERE seq = 3")
        .await
        .unwrap();
    assert!(lienket::admin::verify_audit(&app.db).await.is_ok(), "restored");
    app.db.execute_unprepared("DELETE FROM audit_events WHERE seq = 2").await.unwrap();
    let gap = lienket::admin::verify_audit(&app.db).await.unwrap_err();
    assert!(gap.contains("event 2"), "{gap}");
}

#[actix_web::test]
async fn readers_below_a_records_classification_see_the_event_without_its_changes() {
    use lienket::domain::{Classification, Role};
    let app = spawn_app().await;
    let a = app.unit("Công an huyện A").await;
    let b = app.unit("Công an huyện B").await;
    let cluster = app
        .create(
            "/api/v1/clusters",
            json!({"name": "Tên mật", "kind": "bilateral", "classification": "secret", "members": [{"unit_id": a}, {"unit_id": b}]}),
        )
        .await;
    let auditor = app.token(crate::helpers::user_grant(
        Role::Auditor,
        a.parse().unwrap(),
        Classification::Internal,
    ));
    let answer = app
        .send(app.request_as(&auditor, Method::GET, &format!("/api/v1/audit-events?resource_id={cluster}")))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let event = &answer.body["items"][0];
    assert_eq!(event["action"], "create");
    assert_eq!(event["classification"], "secret");
    assert_eq!(event["redacted"], true);
    assert!(event["changes"].is_null(), "{event}");
    assert!(!answer.body.to_string().contains("Tên mật"));
    // A reader cleared for it sees the changes.
    let cleared = app.get(&format!("/api/v1/audit-events?resource_id={cluster}")).await;
    assert_eq!(cleared.body["items"][0]["changes"]["name"]["after"], "Tên mật");
}

#[actix_web::test]
async fn the_client_address_comes_from_trusted_proxies_only() {
    let direct = spawn_app().await;
    let forged = direct
        .send(
            direct
                .request(Method::POST, "/api/v1/units")
                .header("x-forwarded-for", "203.0.113.7")
                .json(&json!({"name": "A", "force": "police", "level": "district"})),
        )
        .await;
    let events = direct.collect(&format!("/api/v1/audit-events?resource_id={}", forged.id())).await;
    assert_eq!(
        events[0]["client_addr"], "127.0.0.1",
        "an untrusted peer cannot claim another address"
    );

    let proxied = crate::helpers::spawn_app_with_server(|s| s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let answer = proxied
        .send(
            proxied
                .request(Method::POST, "/api/v1/units")
                .header("x-forwarded-for", "198.51.100.1, 203.0.113.7")
                .json(&json!({"name": "B", "force": "police", "level": "district"})),
        )
        .await;
    let events = proxied.collect(&format!("/api/v1/audit-events?resource_id={}", answer.id())).await;
    assert_eq!(events[0]["client_addr"], "203.0.113.7", "the address the trusted proxy saw");
}

#[actix_web::test]
async fn concurrent_classified_reads_are_each_recorded_once_and_the_chain_verifies() {
    let app = spawn_app().await;
    let a = app.unit("Công an huyện A").await;
    let b = app.unit("Công an huyện B").await;
    let cluster = classified_cluster(&app, "Cụm mật", "confidential", [&a, &b]).await;
    let category = app.category("drugs").await;
    let incident = app
        .create(
            "/api/v1/incidents",
            json!({"cluster_id": cluster, "category_id": category, "severity": "medium", "occurred_at": "2025-03-01T21:30:00+07:00",
                   "reporting_unit_id": a, "summary": "Vụ việc trong cụm mật"}),
        )
        .await;
    // More concurrent reads of each kind than the pool has connections: a read that held its
    // connection while its event was written would leave the writer none.
    for (id, path) in [
        (&cluster, format!("/api/v1/clusters/{cluster}")),
        (&incident, format!("/api/v1/incidents/{incident}")),
    ] {
        let reads = futures_util::future::join_all((0..24).map(|_| app.get(&path))).await;
        let mut request_ids: Vec<&str> = reads
            .iter()
            .map(|r| {
                assert_eq!(r.status, StatusCode::OK, "{path}: {r:?}");
                r.header("x-request-id").expect("a request id")
            })
            .collect();
        request_ids.sort_unstable();

        let events = app.collect(&format!("/api/v1/audit-events?resource_id={id}&action=read")).await;
        let mut recorded: Vec<&str> = events.iter().filter_map(|e| e["request_id"].as_str()).collect();
        recorded.sort_unstable();
        assert_eq!(recorded, request_ids, "{path}: one event per read, each with its own request");
    }
    let total = app.collect("/api/v1/audit-events").await.len();
    assert_eq!(lienket::admin::verify_audit(&app.db).await, Ok(u64::try_from(total).unwrap()));
}

#[actix_web::test]
async fn reads_queued_together_are_committed_together_each_with_its_own_context() {
    use lienket::audit::{AuditContext, Event, ReadTrail};
    let app = spawn_app().await;
    let before = app.collect("/api/v1/audit-events").await.len();
    let trail = ReadTrail::start(app.db.clone());
    let record = |n: usize| {
        let ctx = AuditContext {
            actor_type: "user",
            request_id: Some(format!("request-{n}")),
            ..AuditContext::system()
        };
        let events = (0..n % 3 + 1)
            .map(|_| Event {
                action: "read",
                resource_type: "cluster",
                resource_id: Some(uuid::Uuid::now_v7()),
                collection: None,
                changes: json!({"classification": "secret"}),
                classification: Some("secret".to_owned()),
            })
            .collect();
        trail.record(ctx, events)
    };
    // Queued before the writer first runs, they are taken in one transaction.
    let outcomes = futures_util::future::join_all((0..10).map(record)).await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");

    let events = app.collect("/api/v1/audit-events?action=read").await;
    for n in 0..10 {
        let of_request = events
            .iter()
            .filter(|e| e["request_id"].as_str() == Some(format!("request-{n}").as_str()))
            .count();
        assert_eq!(of_request, n % 3 + 1, "request {n}");
    }
    let total = app.collect("/api/v1/audit-events").await.len();
    assert_eq!(total, before + (0..10).map(|n| n % 3 + 1).sum::<usize>());
    assert_eq!(lienket::admin::verify_audit(&app.db).await, Ok(u64::try_from(total).unwrap()));

    // On PostgreSQL the rows a transaction wrote share its id (`xmin`): one for all ten requests.
    if app.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        let row = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT COUNT(DISTINCT xmin::text) AS n FROM audit_events WHERE request_id LIKE 'request-%'",
            ))
            .await
            .unwrap()
            .expect("a row");
        assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1, "one transaction");
    }
}
