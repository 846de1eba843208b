//! The load-test data set: it loads into an empty database only, the same seed gives the same
//! records, and the API serves them like any others.

use lienket::seed::bench;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn the_same_seed_loads_the_same_records_which_the_api_serves() {
    let first = spawn_app().await;
    let second = spawn_app().await;
    let a = bench::load(&first.db, 0.002, 7).await.expect("first load");
    let b = bench::load(&second.db, 0.002, 7).await.expect("second load");
    assert_eq!(a.busiest_cluster.id, b.busiest_cluster.id);
    assert_eq!(a.busiest_cluster.incidents, b.busiest_cluster.incidents);
    assert_eq!(a.counts.incidents, 2_000);
    assert_eq!(a.counts.clusters, 4);
    assert_eq!(a.counts.activities, 400);
    assert_eq!(a.counts.bulletins, 600);
    // Every incident has its report on its timeline, and some moved on.
    assert!(a.counts.incident_events > a.counts.incidents);
    // Skewed: the busiest of four clusters holds well over a quarter.
    assert!(a.busiest_cluster.incidents > 2_000 / 4, "{}", a.busiest_cluster.incidents);

    // Only into an empty database.
    assert!(bench::load(&first.db, 0.002, 7).await.is_err());
    assert!(bench::load(&first.db, 0.0, 8).await.is_err());

    let cluster = a.busiest_cluster.id;
    let read = first.get(&format!("/api/v1/clusters/{cluster}")).await;
    assert_eq!(read.status, 200, "{}", read.body);
    let members = read.body["members"].as_array().map_or(0, Vec::len);
    assert!((2..=12).contains(&members), "{members}");
    let listed = first.collect(&format!("/api/v1/incidents?cluster_id={cluster}&limit=500")).await;
    assert_eq!(listed.len(), a.busiest_cluster.incidents);
    let year = a.busiest_cluster.year;
    let stats = first.get(&format!("/api/v1/clusters/{cluster}/statistics?period={year}")).await;
    assert_eq!(stats.status, 200, "{}", stats.body);
    assert_eq!(
        stats.body["incidents"]["total"].as_i64(),
        Some(a.busiest_cluster.incidents_in_year as i64),
        "{}",
        stats.body
    );
}
