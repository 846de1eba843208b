//! API1:2023 Broken object level authorization.
//!
//! A caller reaches only the records of the clusters it may see, and within them only the records
//! classified at or below its clearance. `authorization.rs`
//! (`every_operation_as_every_role_inside_outside_and_above_clearance`) already shows that every
//! operation answers 404 on another cluster's records by status. This module shows what that
//! status does not: that the answer is indistinguishable from the answer for an id that never
//! existed (status, body, headers), even for conditional requests, so guessed ids leak nothing;
//! that the writes really changed nothing; that a nested path cannot pair a visible cluster with
//! another cluster's record, not even for an administrator; that list filters, searches and unit
//! statistics naming another cluster's records return nothing of them; that a write cannot point
//! at another cluster's records by reference; and that one caller's `Idempotency-Key` never
//! replays another caller's answer. That officers change only their own unit's records inside a
//! shared cluster is shown in `incidents.rs` and `activities.rs`.

use lienket::domain::{Classification, Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Records, World, revealed, world};
use crate::helpers::{TestApp, spawn_app, user_grant};

/// A request against one record: method, path, body, extra headers.
type Probe = (Method, String, Option<Value>, Vec<(&'static str, &'static str)>);

/// Every operation a coordinator may call on a cluster's records (all but deleting the cluster),
/// with bodies that would change something if they were let through. `r` holds the targeted
/// records; `w.home` is the caller's unit.
fn probes(r: &Records, w: &World) -> Vec<Probe> {
    let get = |path: String| (Method::GET, path, None, vec![]);
    let patch = |path: String, body: Value| (Method::PATCH, path, Some(body), vec![]);
    let post = |path: String, body: Value| (Method::POST, path, Some(body), vec![]);
    let delete = |path: String| (Method::DELETE, path, None, vec![]);
    let (c, m) = (&r.cluster, &r.member);
    vec![
        get(format!("/api/v1/clusters/{c}")),
        get(format!("/api/v1/clusters/{c}?as_of=2025-05-01")),
        (Method::GET, format!("/api/v1/clusters/{c}"), None, vec![("if-none-match", "*")]),
        (Method::HEAD, format!("/api/v1/clusters/{c}"), None, vec![]),
        patch(format!("/api/v1/clusters/{c}"), json!({"name": "Đã bị đổi tên"})),
        (
            Method::PATCH,
            format!("/api/v1/clusters/{c}"),
            Some(json!({"reporting_sla_hours": 1})),
            vec![("if-match", "*")],
        ),
        get(format!("/api/v1/clusters/{c}/members")),
        post(format!("/api/v1/clusters/{c}/members"), json!({"unit_id": w.home})),
        get(format!("/api/v1/clusters/{c}/members/{m}")),
        patch(format!("/api/v1/clusters/{c}/members/{m}"), json!({"joined_on": "2020-01-01"})),
        delete(format!("/api/v1/clusters/{c}/members/{m}")),
        get(format!("/api/v1/clusters/{c}/regulations")),
        post(format!("/api/v1/clusters/{c}/regulations"), json!({"title": "Quy chế giả"})),
        get(format!("/api/v1/clusters/{c}/statistics?period=2025")),
        get(format!("/api/v1/regulations/{}", r.regulation)),
        patch(format!("/api/v1/regulations/{}", r.regulation), json!({"notes": "Đã sửa"})),
        delete(format!("/api/v1/regulations/{}", r.regulation)),
        get(format!("/api/v1/incidents/{}", r.incident)),
        (
            Method::GET,
            format!("/api/v1/incidents/{}", r.incident),
            None,
            vec![("if-none-match", "\"1\"")],
        ),
        get(format!("/api/v1/incidents/{}/timeline", r.incident)),
        patch(format!("/api/v1/incidents/{}", r.incident), json!({"summary": "Đã sửa"})),
        (
            Method::DELETE,
            format!("/api/v1/incidents/{}", r.incident),
            None,
            vec![("if-match", "*")],
        ),
        post(format!("/api/v1/incidents/{}/transitions", r.incident), json!({"to": "verifying"})),
        get(format!("/api/v1/bulletins/{}", r.bulletin)),
        delete(format!("/api/v1/bulletins/{}", r.bulletin)),
        post(format!("/api/v1/bulletins/{}/acknowledgements", r.bulletin), json!({})),
        get(format!("/api/v1/activities/{}", r.activity)),
        patch(format!("/api/v1/activities/{}", r.activity), json!({"summary": "Đã sửa"})),
        delete(format!("/api/v1/activities/{}", r.activity)),
        get(format!("/api/v1/meetings/{}", r.meeting)),
        patch(format!("/api/v1/meetings/{}", r.meeting), json!({"summary": "Đã sửa"})),
        delete(format!("/api/v1/meetings/{}", r.meeting)),
        post(
            format!("/api/v1/meetings/{}/action-items", r.meeting),
            json!({"title": "Việc giả", "owner_unit_id": w.home, "due_on": "2025-07-01"}),
        ),
        get(format!("/api/v1/action-items/{}", r.action_item)),
        patch(format!("/api/v1/action-items/{}", r.action_item), json!({"status": "done"})),
    ]
}

/// The same probe with every id of `r` replaced by an id that never existed.
fn with_fresh_ids(probe: &Probe, r: &Records) -> Probe {
    let mut path = probe.1.clone();
    for id in [
        &r.cluster,
        &r.member,
        &r.regulation,
        &r.incident,
        &r.bulletin,
        &r.activity,
        &r.meeting,
        &r.action_item,
    ] {
        path = path.replace(id.as_str(), &Uuid::now_v7().to_string());
    }
    (probe.0.clone(), path, probe.2.clone(), probe.3.clone())
}

/// Sends a probe with `token`, or as the administrator when there is none.
async fn send(app: &TestApp, token: Option<&str>, probe: &Probe) -> crate::helpers::Answer {
    let (method, path, body, headers) = probe;
    let mut request = match token {
        Some(token) => app.request_as(token, method.clone(), path),
        None => app.request(method.clone(), path),
    };
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        let content_type = if *method == Method::PATCH {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        request = request.header("content-type", content_type).body(body.to_string());
    }
    app.send(request).await
}

/// What the administrator reads of every record of `r`.
async fn snapshot(app: &TestApp, r: &Records) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        format!("/api/v1/clusters/{}", r.cluster),
        format!("/api/v1/clusters/{}/members/{}", r.cluster, r.member),
        format!("/api/v1/regulations/{}", r.regulation),
        format!("/api/v1/incidents/{}", r.incident),
        format!("/api/v1/incidents/{}/timeline", r.incident),
        format!("/api/v1/bulletins/{}", r.bulletin),
        format!("/api/v1/activities/{}", r.activity),
        format!("/api/v1/meetings/{}", r.meeting),
        format!("/api/v1/action-items/{}", r.action_item),
        format!("/api/v1/clusters/{}/members", r.cluster),
        format!("/api/v1/clusters/{}/regulations", r.cluster),
        format!("/api/v1/action-items?meeting_id={}", r.meeting),
    ] {
        let answer = app.get(&path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
        out.push(json!({"path": path, "body": answer.body, "etag": answer.header("etag")}));
    }
    out
}

#[actix_web::test]
async fn another_clusters_records_answer_exactly_like_ids_that_never_existed() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let home: Uuid = w.home.parse().unwrap();
    let coordinator = app.token(user_grant(Role::Coordinator, home, Classification::Secret));
    let before = snapshot(&app, &w.theirs).await;

    let mut checked = 0;
    for probe in probes(&w.theirs, &w) {
        let theirs = send(&app, Some(&coordinator), &probe).await;
        let never = send(&app, Some(&coordinator), &with_fresh_ids(&probe, &w.theirs)).await;
        let what = format!("{} {}", probe.0, probe.1);
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{what}: {theirs:?}");
        assert_eq!(revealed(&theirs), revealed(&never), "{what}: the answer tells the record exists");
        checked += 1;
    }
    assert_eq!(checked, 35);
    assert_eq!(snapshot(&app, &w.theirs).await, before, "no refused request changed anything");

    // The same calls against the caller's own cluster go through (they are not refused for
    // another reason).
    let ours = app
        .patch_as(
            &coordinator,
            &format!("/api/v1/incidents/{}", w.ours.incident),
            &json!({"summary": "Đã xác minh sơ bộ"}),
        )
        .await;
    assert_eq!(ours.status, StatusCode::OK, "{ours:?}");
}

#[actix_web::test]
async fn records_above_the_callers_clearance_answer_like_ids_that_never_existed() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // A secret incident, with its timeline, in a cluster the caller belongs to.
    let secret = app
        .create(
            "/api/v1/incidents",
            json!({"cluster_id": w.ours.cluster, "category_id": w.category, "severity": "critical", "classification": "secret",
                   "occurred_at": "2025-05-20T01:00:00+07:00", "reporting_unit_id": w.home, "summary": "Tin báo mật"}),
        )
        .await;
    let secret_bulletin = app
        .create(
            "/api/v1/bulletins",
            json!({"cluster_id": w.ours.cluster, "sender_unit_id": w.peer, "title": "Chỉ thị mật", "body": "Nội dung mật", "classification": "secret"}),
        )
        .await;
    let home: Uuid = w.home.parse().unwrap();
    let coordinator = app.token(user_grant(Role::Coordinator, home, Classification::Confidential));
    let probes: Vec<Probe> = vec![
        (Method::GET, format!("/api/v1/incidents/{secret}"), None, vec![]),
        (
            Method::GET,
            format!("/api/v1/incidents/{secret}"),
            None,
            vec![("if-none-match", "*")],
        ),
        (Method::GET, format!("/api/v1/incidents/{secret}/timeline"), None, vec![]),
        (
            Method::PATCH,
            format!("/api/v1/incidents/{secret}"),
            Some(json!({"classification": "internal"})),
            vec![],
        ),
        (
            Method::POST,
            format!("/api/v1/incidents/{secret}/transitions"),
            Some(json!({"to": "verifying"})),
            vec![],
        ),
        (Method::DELETE, format!("/api/v1/incidents/{secret}"), None, vec![]),
        (Method::GET, format!("/api/v1/bulletins/{secret_bulletin}"), None, vec![]),
        (
            Method::POST,
            format!("/api/v1/bulletins/{secret_bulletin}/acknowledgements"),
            Some(json!({"note": "Đã nhận"})),
            vec![],
        ),
    ];
    for probe in &probes {
        let hidden = send(&app, Some(&coordinator), probe).await;
        let fresh = Uuid::now_v7().to_string();
        let never = send(
            &app,
            Some(&coordinator),
            &(
                probe.0.clone(),
                probe.1.replace(&secret, &fresh).replace(&secret_bulletin, &fresh),
                probe.2.clone(),
                probe.3.clone(),
            ),
        )
        .await;
        let what = format!("{} {}", probe.0, probe.1);
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{what}: {hidden:?}");
        assert_eq!(revealed(&hidden), revealed(&never), "{what}");
    }
    let read = app.get(&format!("/api/v1/incidents/{secret}")).await;
    assert_eq!(
        (
            read.body["classification"].as_str(),
            read.body["status"].as_str(),
            read.body["version"].as_i64()
        ),
        (Some("secret"), Some("reported"), Some(1)),
        "the secret incident is untouched: {read:?}"
    );
    let listed = app
        .get_as(&coordinator, &format!("/api/v1/incidents?cluster_id={}", w.ours.cluster))
        .await;
    let ids: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(ids, [w.ours.incident.as_str()], "the list leaves the secret incident out");
}

#[actix_web::test]
async fn nested_paths_pair_a_record_with_its_own_cluster_only() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let home: Uuid = w.home.parse().unwrap();
    let coordinator = app.token(user_grant(Role::Coordinator, home, Classification::Secret));
    let (ours, theirs_member) = (&w.ours.cluster, &w.theirs.member);
    let fresh = Uuid::now_v7();
    // The caller may see and manage `ours`; the membership belongs to `theirs`. Not even an
    // administrator, who sees both, reaches it through the wrong cluster.
    for (name, token) in [("coordinator", Some(coordinator.as_str())), ("administrator", None)] {
        for (method, body) in [
            (Method::GET, None),
            (Method::PATCH, Some(json!({"role": "observer"}))),
            (Method::DELETE, None),
        ] {
            let probe = |member: &str| -> Probe {
                (
                    method.clone(),
                    format!("/api/v1/clusters/{ours}/members/{member}"),
                    body.clone(),
                    vec![],
                )
            };
            let crossed = send(&app, token, &probe(theirs_member)).await;
            let never = send(&app, token, &probe(&fresh.to_string())).await;
            assert_eq!(crossed.status, StatusCode::NOT_FOUND, "{name} {method}: {crossed:?}");
            assert_eq!(revealed(&crossed), revealed(&never), "{name} {method}");
        }
    }
    let member = app
        .get(&format!("/api/v1/clusters/{}/members/{theirs_member}", w.theirs.cluster))
        .await;
    assert_eq!(
        (member.body["role"].as_str(), member.body["version"].as_i64()),
        (Some("lead"), Some(1)),
        "{member:?}"
    );
}

#[actix_web::test]
async fn lists_searches_and_statistics_naming_another_cluster_show_nothing_of_it() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let home: Uuid = w.home.parse().unwrap();
    let officer = app.token(user_grant(Role::Officer, home, Classification::Secret));
    let (theirs, fresh) = (&w.theirs.cluster, Uuid::now_v7());
    let empty = json!({"items": [], "next_cursor": null});
    let filters = [
        format!("/api/v1/incidents?cluster_id={theirs}"),
        format!("/api/v1/incidents?reporting_unit_id={}", w.far),
        "/api/v1/incidents?q=le%20thuy".to_owned(),
        format!("/api/v1/bulletins?cluster_id={theirs}"),
        format!("/api/v1/bulletins?sender_unit_id={}", w.far),
        format!("/api/v1/activities?cluster_id={theirs}"),
        format!("/api/v1/activities?unit_id={}", w.far),
        format!("/api/v1/meetings?cluster_id={theirs}"),
        format!("/api/v1/meetings?unit_id={}", w.far),
        format!("/api/v1/action-items?cluster_id={theirs}"),
        format!("/api/v1/action-items?meeting_id={}", w.theirs.meeting),
        format!("/api/v1/action-items?owner_unit_id={}", w.far),
        format!("/api/v1/regulations?cluster_id={theirs}"),
        "/api/v1/regulations?q=le%20thuy".to_owned(),
        format!("/api/v1/clusters?unit_id={}", w.far),
        "/api/v1/clusters?q=le%20thuy".to_owned(),
    ];
    for path in &filters {
        let answer = app.get_as(&officer, path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
        assert_eq!(answer.body, empty, "{path}");
        assert_eq!(answer.header("link"), None, "{path}");
        // The same filter with an id that never existed answers the same.
        let never = path
            .replace(theirs.as_str(), &fresh.to_string())
            .replace(w.theirs.meeting.as_str(), &fresh.to_string());
        assert_eq!(app.get_as(&officer, &never).await.body, empty, "{never}");
        // The administrator, who sees every cluster, finds something: the filters do match.
        let all = app.get(path).await;
        assert!(
            !all.body["items"].as_array().unwrap().is_empty(),
            "{path} finds the other cluster's record for an administrator: {all:?}"
        );
    }

    // A unit's statistics count only what the caller may see of it.
    let path = format!("/api/v1/units/{}/statistics?period=2025", w.far);
    let hidden = app.get_as(&officer, &path).await;
    assert_eq!(hidden.status, StatusCode::OK, "{hidden:?}");
    assert_eq!(hidden.body["incidents"]["total"], 0, "{hidden:?}");
    let all = app.get(&path).await;
    assert_eq!(all.body["incidents"]["total"], 1, "{all:?}");
}

#[actix_web::test]
async fn writes_cannot_point_at_another_clusters_records() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let home: Uuid = w.home.parse().unwrap();
    let coordinator = app.token(user_grant(Role::Coordinator, home, Classification::Secret));
    let fresh = Uuid::now_v7().to_string();

    // (method, path, body with the other cluster's id, the field named in the answer)
    let attempts = [
        (
            Method::POST,
            "/api/v1/incidents".to_owned(),
            json!({"cluster_id": w.theirs.cluster, "category_id": w.category, "severity": "low",
                   "occurred_at": "2025-05-21T10:00:00+07:00", "summary": "Ghi vào cụm khác"}),
            "cluster_id",
        ),
        (
            Method::POST,
            "/api/v1/bulletins".to_owned(),
            json!({"cluster_id": w.ours.cluster, "incident_id": w.theirs.incident, "title": "Về vụ việc của cụm khác", "body": "Nội dung"}),
            "incident_id",
        ),
        (
            Method::PATCH,
            format!("/api/v1/regulations/{}", w.ours.regulation),
            json!({"supersedes_id": w.theirs.regulation}),
            "supersedes_id",
        ),
        (
            Method::POST,
            "/api/v1/meetings".to_owned(),
            json!({"cluster_id": w.theirs.cluster, "kind": "briefing", "title": "Giao ban", "host_unit_id": w.home,
                   "held_at": "2025-05-22T08:00:00+07:00"}),
            "cluster_id",
        ),
        (
            Method::POST,
            "/api/v1/activities".to_owned(),
            json!({"cluster_id": w.theirs.cluster, "kind": "patrol", "title": "Tuần tra", "lead_unit_id": w.home,
                   "starts_at": "2025-05-22T19:00:00+07:00"}),
            "cluster_id",
        ),
    ];
    for (method, path, body, field) in attempts {
        let send = |body: Value| {
            let request = app.request_as(&coordinator, method.clone(), &path);
            let request = if method == Method::PATCH {
                request.header("content-type", "application/merge-patch+json")
            } else {
                request.header("content-type", "application/json")
            };
            app.send(request.body(body.to_string()))
        };
        let theirs = send(body.clone()).await;
        assert_eq!(theirs.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {theirs:?}");
        assert_eq!(
            theirs.problem().1,
            [(field.to_owned(), "unknown_reference".to_owned())],
            "{path}: {theirs:?}"
        );
        let mut never = body.clone();
        never[field] = json!(fresh);
        assert_eq!(revealed(&theirs), revealed(&send(never).await), "{path}");
    }
    let theirs_incidents = app.collect(&format!("/api/v1/incidents?cluster_id={}", w.theirs.cluster)).await;
    assert_eq!(theirs_incidents.len(), 1, "nothing was written into the other cluster");
    assert_eq!(app.collect("/api/v1/bulletins").await.len(), 2);
}

#[actix_web::test]
async fn an_idempotency_key_replays_only_its_own_callers_answer() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let ours = app.token(user_grant(Role::Coordinator, w.home.parse().unwrap(), Classification::Secret));
    let theirs = app.token(user_grant(Role::Coordinator, w.far.parse().unwrap(), Classification::Secret));
    let body = json!({"cluster_id": w.ours.cluster, "category_id": w.category, "severity": "medium",
                      "occurred_at": "2025-05-23T21:00:00+07:00", "summary": "Tin báo khẩn"});
    let post = |token: &str, body: &Value| {
        app.request_as(token, Method::POST, "/api/v1/incidents")
            .header("idempotency-key", "incident-2025-05-23")
            .json(body)
    };
    let first = app.send(post(&ours, &body)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");

    // Another caller with the same key and body gets its own answer, not a replay of the first.
    let replayed = app.send(post(&theirs, &body)).await;
    assert_eq!(replayed.status, StatusCode::UNPROCESSABLE_ENTITY, "{replayed:?}");
    assert_eq!(replayed.header("idempotent-replayed"), None);
    assert_eq!(replayed.problem().1, [("cluster_id".to_owned(), "unknown_reference".to_owned())]);
    assert!(!replayed.body.to_string().contains(&first.id()), "{replayed:?}");
    // Nor is it blocked from using the key for its own work.
    let mut own = body.clone();
    own["cluster_id"] = json!(w.theirs.cluster);
    let created = app.send(post(&theirs, &own)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_ne!(created.id(), first.id());
    // The first caller's retry still replays its own answer.
    let retry = app.send(post(&ours, &body)).await;
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.id(), first.id());
}
