//! Fault tests: real processes (the `lienket` binary, a private PostgreSQL, nginx) failing
//! under load. They stop databases and kill servers, need PostgreSQL's server binaries and nginx,
//! and so are ignored by a plain `cargo test`; `.ci/run` runs them with
//! `cargo test --test faults -- --ignored --test-threads 1`.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed expectation is a failed test

mod support;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Nginx, Postgres, Reporter, Scratch, Service, client};
use uuid::Uuid;

/// What one request of the load got.
#[derive(Debug, Clone)]
struct Outcome {
    marker: String,
    /// `None` when no answer came (connection refused or cut).
    status: Option<u16>,
    problem_json: bool,
    id: Option<String>,
    started: Instant,
    took: Duration,
}

/// Clients reporting incidents, each with its own `Idempotency-Key`, and reading the cluster,
/// until stopped.
struct Load {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<Vec<Outcome>>>,
}

impl Load {
    fn start(base: &str, reporter: &Reporter, run: &str, clients: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = (0..clients)
            .map(|n| {
                let (stop, base, reporter, run) = (stop.clone(), base.to_owned(), reporter.clone(), run.to_owned());
                tokio::spawn(async move {
                    let http = client();
                    let mut outcomes = Vec::new();
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        i += 1;
                        let marker = format!("{run}-{n}-{i}");
                        let started = Instant::now();
                        let answer = if i % 2 == 0 {
                            report(&http, &base, &reporter, &marker).await
                        } else {
                            http.get(format!("{base}/api/v1/clusters/{}", reporter.cluster))
                                .bearer_auth(&reporter.coordinator)
                                .send()
                                .await
                        };
                        let mut outcome = Outcome {
                            marker: if i % 2 == 0 { marker } else { String::new() },
                            status: None,
                            problem_json: false,
                            id: None,
                            started,
                            took: Duration::ZERO,
                        };
                        if let Ok(response) = answer {
                            outcome.status = Some(response.status().as_u16());
                            outcome.problem_json = response
                                .headers()
                                .get("content-type")
                                .is_some_and(|v| v == "application/problem+json");
                            let body: Value = response.json().await.unwrap_or(Value::Null);
                            outcome.id = body["id"].as_str().map(str::to_owned);
                        }
                        outcome.took = started.elapsed();
                        if outcome.status.is_none_or(|s| s >= 500) {
                            // Clients back off a little after a failure.
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        outcomes.push(outcome);
                    }
                    outcomes
                })
            })
            .collect();
        Self { stop, tasks }
    }

    async fn finish(self) -> Vec<Outcome> {
        self.stop.store(true, Ordering::Relaxed);
        let mut all = Vec::new();
        for task in self.tasks {
            all.extend(task.await.expect("load task"));
        }
        all
    }
}

/// Reports the incident `marker`, with `marker` as its `Idempotency-Key`.
async fn report(http: &reqwest::Client, base: &str, reporter: &Reporter, marker: &str) -> reqwest::Result<reqwest::Response> {
    http.post(format!("{base}/api/v1/incidents"))
        .bearer_auth(&reporter.officer)
        .header("Idempotency-Key", marker)
        .json(&reporter.incident(marker))
        .send()
        .await
}

/// Retries every report that was not acknowledged with its own key until it is, then checks that
/// each report exists exactly once and that acknowledged ones kept their id; replays a few
/// acknowledged ones too. Returns how many reports were retried.
async fn settle(base: &str, reporter: &Reporter, run: &str, outcomes: &[Outcome]) -> usize {
    let http = client();
    let reports: Vec<&Outcome> = outcomes.iter().filter(|o| !o.marker.is_empty()).collect();
    let mut ids: HashMap<String, String> = HashMap::new();
    for outcome in reports.iter().filter(|o| o.status == Some(201)) {
        ids.insert(outcome.marker.clone(), outcome.id.clone().expect("a created incident has an id"));
    }
    // Retried at once, as clients would: a retry may wait for a reservation its dead original
    // left behind.
    let retries = reports.iter().filter(|o| o.status != Some(201)).map(|outcome| {
        let http = http.clone();
        async move {
            let response = report(&http, base, reporter, &outcome.marker).await.expect("retry");
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            // 200: the report had been written but its answer lost; the 303 led to it.
            assert!(
                status == 201 || status == 200,
                "retrying {} with its key: {status} {body}",
                outcome.marker
            );
            (outcome.marker.clone(), body["id"].as_str().expect("id").to_owned())
        }
    });
    let retried = futures_util::future::join_all(retries).await;
    let retried_count = retried.len();
    ids.extend(retried);
    for outcome in reports.iter().filter(|o| o.status == Some(201)).take(5) {
        let response = report(&http, base, reporter, &outcome.marker).await.expect("replay");
        assert_eq!(response.status(), 201);
        assert_eq!(
            response.headers().get("idempotent-replayed").map(|v| v.as_bytes()),
            Some(&b"true"[..])
        );
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["id"].as_str(), outcome.id.as_deref(), "a replay answers the first report");
    }
    let stored = reporter.reported(base, run).await;
    for (marker, id) in &ids {
        assert_eq!(
            stored.get(marker),
            Some(&vec![id.clone()]),
            "report {marker} must be stored exactly once, as {id}"
        );
    }
    assert_eq!(stored.len(), ids.len(), "no report the clients did not send is stored");
    retried_count
}

fn summary(outcomes: &[Outcome]) -> String {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for o in outcomes {
        *counts
            .entry(o.status.map_or("no answer".to_owned(), |s| s.to_string()))
            .or_default() += 1;
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort();
    format!("{counts:?}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "stops and starts a private PostgreSQL; run by .ci/run"]
async fn database_stopped_and_restarted_under_load() {
    let dir = Scratch::new("outage");
    let pg = Postgres::start();
    let service = Service::start(
        &dir,
        "lienket",
        &[("DATABASE_URL", pg.url()), ("LIENKET_DB_ACQUIRE_TIMEOUT_MS", "1000".to_owned())],
    )
    .await;
    let reporter = Reporter::of(&service).await;
    let run = format!("o{}", Uuid::now_v7().simple());
    let load = Load::start(&service.base, &reporter, &run, 4);

    tokio::time::sleep(Duration::from_secs(1)).await;
    pg.stop();
    let down = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let ready = client().get(format!("{}/health/ready", service.base)).send().await.expect("ready");
    assert_eq!(ready.status(), 503, "not ready while the database is down");
    // Taken before the restart: the service may reconnect before `pg_ctl` has returned.
    let up = Instant::now();
    pg.resume();
    let recovery = service.wait_until(Duration::from_secs(30), |s| s == 200, "/health/ready").await;
    let recovered = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let outcomes = load.finish().await;
    eprintln!(
        "outage of {:?}, ready again {recovery:?} after the restart; answers: {}",
        up - down,
        summary(&outcomes)
    );

    let during: Vec<&Outcome> = outcomes.iter().filter(|o| o.started > down && o.started + o.took < up).collect();
    assert!(
        !during.is_empty() && during.iter().all(|o| o.status == Some(503)),
        "every request during the outage gets 503"
    );
    for o in &outcomes {
        assert!(matches!(o.status, Some(200 | 201 | 503)), "unexpected answer {o:?}");
        assert!(o.status != Some(503) || o.problem_json, "a 503 is problem+json: {o:?}");
        assert!(o.took < Duration::from_secs(3), "no request hangs past the acquire timeout: {o:?}");
    }
    let after: Vec<&Outcome> = outcomes.iter().filter(|o| o.started > recovered).collect();
    assert!(
        !after.is_empty() && after.iter().all(|o| matches!(o.status, Some(200 | 201))),
        "recovered by itself"
    );

    let retried = settle(&service.base, &reporter, &run, &outcomes).await;
    eprintln!("{retried} unacknowledged reports retried with their keys; none lost, none doubled");
}

/// Starts a POST over a raw connection and sends half of its body.
fn begin_slow_post(port: u16, token: &str, body: &Value) -> (TcpStream, Vec<u8>) {
    let body = serde_json::to_vec(body).expect("json");
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let head = format!(
        "POST /api/v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let half = body.len() / 2;
    stream.write_all(head.as_bytes()).expect("write head");
    stream.write_all(&body[..half]).expect("write half the body");
    (stream, body[half..].to_vec())
}

/// Sends the rest and reads the status code of the answer.
fn finish_slow_post((mut stream, rest): (TcpStream, Vec<u8>)) -> u16 {
    stream.write_all(&rest).expect("write the rest");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read the answer");
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "sends signals to a server process; run by .ci/run"]
async fn sigterm_lets_requests_in_flight_finish_and_refuses_new_ones() {
    let dir = Scratch::new("sigterm");
    let mut service = Service::start(&dir, "lienket", &[("LIENKET_SHUTDOWN_TIMEOUT_SECS", "10".to_owned())]).await;
    let reporter = Reporter::of(&service).await;
    let run = format!("t{}", Uuid::now_v7().simple());
    let in_flight: Vec<_> = (0..4)
        .map(|i| begin_slow_post(service.port, &reporter.officer, &reporter.incident(&format!("{run}-{i}"))))
        .collect();
    let load = Load::start(&service.base, &reporter, &run, 2);
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Taken before the signal: the server may act on it before `kill` has returned.
    let signalled = Instant::now();
    service.signal("TERM");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let outcomes = load.finish().await;
    let refused = match TcpStream::connect(("127.0.0.1", service.port)) {
        Err(_) => true,
        Ok(mut stream) => {
            // Accepted by the kernel, but nothing serves it: no answer comes.
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = stream.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
            let mut buf = [0u8; 16];
            !matches!(stream.read(&mut buf), Ok(n) if n > 0)
        }
    };
    assert!(refused, "a new connection after SIGTERM is not served");
    let statuses: Vec<u16> = tokio::task::spawn_blocking(move || in_flight.into_iter().map(finish_slow_post).collect())
        .await
        .expect("slow posts");
    assert_eq!(statuses, vec![201; 4], "requests in flight at SIGTERM complete");
    let status = tokio::task::spawn_blocking(move || {
        let status = service.wait_exit(Duration::from_secs(12));
        (status, service)
    })
    .await
    .expect("wait");
    let exited = signalled.elapsed();
    let (status, service) = status;
    assert!(
        status.is_some_and(|s| s.success()),
        "exits cleanly within the grace period; log:\n{}",
        service.log_text()
    );
    eprintln!("exited {exited:?} after SIGTERM; load before it: {}", summary(&outcomes));
    assert!(
        outcomes
            .iter()
            .filter(|o| o.started + o.took < signalled)
            .all(|o| matches!(o.status, Some(200 | 201))),
        "requests answered before the signal succeeded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "kills a server behind nginx; run by .ci/run"]
async fn one_of_two_instances_killed_behind_nginx_fails_no_request() {
    let dir = Scratch::new("failover");
    let pg = Postgres::start();
    let env = [("DATABASE_URL", pg.url())];
    // The second instance finds the demo data loaded, and shares the first's signing key.
    let first = Service::start(&dir, "first", &env).await;
    let second = Service::start(&dir, "second", &env).await;
    let nginx = Nginx::start(&dir, &[first.port, second.port]).await;
    // Tokens are signed with the shared key, so the first's are good on both.
    let reporter = Reporter::of(&first).await;
    let run = format!("f{}", Uuid::now_v7().simple());
    let load = Load::start(&nginx.base, &reporter, &run, 4);

    tokio::time::sleep(Duration::from_secs(1)).await;
    first.signal("KILL");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let outcomes = load.finish().await;
    eprintln!("answers through nginx with one instance killed: {}", summary(&outcomes));
    for o in &outcomes {
        assert!(matches!(o.status, Some(200 | 201)), "a client saw a failed request: {o:?}");
    }
    settle(&nginx.base, &reporter, &run, &outcomes).await;
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "holds locks in a private PostgreSQL; run by .ci/run"]
async fn exhausted_pool_answers_503_fast() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let dir = Scratch::new("pool");
    let pg = Postgres::start();
    let service = Service::start(
        &dir,
        "lienket",
        &[
            ("DATABASE_URL", pg.url()),
            ("LIENKET_DB_MAX_CONNECTIONS", "2".to_owned()),
            ("LIENKET_DB_ACQUIRE_TIMEOUT_MS", "500".to_owned()),
        ],
    )
    .await;
    let reporter = Reporter::of(&service).await;
    // Queries on incidents wait behind this lock, each holding a pooled connection.
    let db = sea_orm::Database::connect(pg.url()).await.expect("connect");
    let lock = db.begin().await.expect("begin");
    lock.execute_unprepared("LOCK TABLE incidents IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    let list = format!("{}/api/v1/incidents?cluster_id={}", service.base, reporter.cluster);
    let slow: Vec<_> = (0..2)
        .map(|_| {
            let request = client().get(&list).bearer_auth(&reporter.coordinator);
            tokio::spawn(async move { request.send().await.map(|r| r.status().as_u16()) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let cluster = format!("{}/api/v1/clusters/{}", service.base, reporter.cluster);
    for _ in 0..5 {
        let started = Instant::now();
        let response = client()
            .get(&cluster)
            .bearer_auth(&reporter.coordinator)
            .send()
            .await
            .expect("answer");
        let took = started.elapsed();
        assert_eq!(response.status(), 503);
        assert!(response.headers().contains_key("retry-after"));
        assert_eq!(
            response.headers().get("content-type").map(|v| v.as_bytes()),
            Some(&b"application/problem+json"[..])
        );
        assert!(took < Duration::from_secs(2), "503 after {took:?}, not a hang");
    }
    lock.commit().await.expect("release the lock");
    for request in slow {
        assert_eq!(request.await.expect("task").expect("answer"), 200, "the waiting queries finish");
    }
    let response = client()
        .get(&cluster)
        .bearer_auth(&reporter.coordinator)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200, "served again once connections are free");
}

/// Peak and current resident memory of a process, in KiB.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Posts `size` bytes of JSON at once from `clients` connections and returns the statuses (or
/// `None` where the server cut the upload off).
async fn post_bodies(base: &str, token: &str, size: usize, clients: usize) -> Vec<Option<u16>> {
    let body = format!("{{\"summary\": \"{}\"}}", "x".repeat(size - 15));
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let request = client()
                .post(format!("{base}/api/v1/incidents"))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body.clone());
            tokio::spawn(async move { request.send().await.ok().map(|r| r.status().as_u16()) })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("upload"));
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "measures a server process's memory; run by .ci/run"]
async fn large_bodies_cost_bounded_memory() {
    let dir = Scratch::new("memory");
    let service = Service::start(&dir, "lienket", &[]).await;
    let reporter = Reporter::of(&service).await;
    let pid = service.pid();
    let (_, baseline) = memory(pid);
    let mut figures = Vec::new();
    for (size, label) in [(1 << 20, "1 MiB"), (10 << 20, "10 MiB")] {
        for _ in 0..5 {
            let statuses = post_bodies(&service.base, &reporter.officer, size, 8).await;
            assert!(
                statuses.iter().all(|s| s.is_none_or(|s| (400..500).contains(&s))),
                "a body at or over the 1 MiB limit is refused: {statuses:?}"
            );
        }
        let (peak, _) = memory(pid);
        figures.push(format!("{label}: peak {} KiB over the idle {baseline} KiB", peak - baseline));
        // 40 uploads, 8 at a time: at most the limit is held per upload, never the whole body.
        assert!(
            peak - baseline < 32 * 1024,
            "{label} bodies: peak RSS grew by {} KiB",
            peak - baseline
        );
    }
    let ready = client().get(format!("{}/health/ready", service.base)).send().await.expect("ready");
    assert_eq!(ready.status(), 200);
    eprintln!("memory for 40 uploads of each size, 8 at once: {}", figures.join("; "));
}
