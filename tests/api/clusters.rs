//! Clusters and their memberships.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn units(app: &TestApp, names: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for name in names {
        ids.push(app.unit(name).await);
    }
    ids
}

fn member_units(cluster: &Value) -> Vec<String> {
    let mut names: Vec<String> = cluster["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["unit"]["name"].as_str().unwrap_or("").to_owned())
        .collect();
    names.sort();
    names
}

#[actix_web::test]
async fn a_cluster_is_created_with_its_members() {
    let app = spawn_app().await;
    let ids = units(&app, &["A", "B", "C"]).await;
    let answer = app
        .post(
            "/api/v1/clusters",
            &json!({"name": "Cụm liên kết thử", "kind": "liaison_cluster", "status": "active", "reporting_sla_hours": 24,
                    "members": [{"unit_id": ids[0], "role": "lead"}, {"unit_id": ids[1]}, {"unit_id": ids[2], "role": "observer", "joined_on": "2024-01-01"}]}),
        )
        .await;
    assert_eq!(answer.status, 201, "{answer:?}");
    assert_eq!(
        answer.header("location"),
        Some(format!("/api/v1/clusters/{}", answer.id()).as_str())
    );
    assert_eq!(answer.body["classification"], "internal", "defaults to internal");
    let roles: Vec<&str> = answer.body["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["role"].as_str())
        .collect();
    assert_eq!(roles, ["lead", "member", "observer"], "the lead first");
    assert_eq!(answer.body["members"][0]["unit"]["force"], "police");
}

#[actix_web::test]
async fn an_active_cluster_needs_its_members() {
    let app = spawn_app().await;
    let ids = units(&app, &["A", "B", "C"]).await;
    let with = |kind: &str, status: &str, members: &[&String]| json!({"name": "X", "kind": kind, "status": status, "members": members.iter().map(|u| json!({"unit_id": u})).collect::<Vec<_>>()});
    let cases = [
        (with("liaison_cluster", "active", &[&ids[0]]), 422, "one unit is not a cluster"),
        (
            with("liaison_cluster", "forming", &[&ids[0]]),
            201,
            "a forming cluster may be incomplete",
        ),
        (
            with("bilateral", "active", &[&ids[0], &ids[1], &ids[2]]),
            422,
            "a bilateral cluster has two units",
        ),
        (with("bilateral", "active", &[&ids[0], &ids[1]]), 201, "exactly two"),
        (with("tri_force", "active", &[&ids[0], &ids[1], &ids[2]]), 201, "three forces"),
        (
            json!({"name": "X", "kind": "liaison_cluster", "members": [{"unit_id": ids[0]}, {"unit_id": ids[0]}]}),
            422,
            "a unit twice at once",
        ),
        (
            json!({"name": "X", "kind": "liaison_cluster", "members": [{"unit_id": ids[0], "role": "lead"}, {"unit_id": ids[1], "role": "lead"}]}),
            422,
            "two leads at once",
        ),
        (
            json!({"name": "X", "kind": "liaison_cluster", "members": [
                {"unit_id": ids[0], "role": "lead", "left_on": "2024-01-01"}, {"unit_id": ids[1], "role": "lead", "joined_on": "2024-01-01"}]}),
            201,
            "the lead rotates",
        ),
        (
            json!({"name": "X", "kind": "liaison_cluster", "members": [{"unit_id": "0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f80"}]}),
            422,
            "unknown unit",
        ),
        (
            json!({"name": "X", "kind": "liaison_cluster", "reporting_sla_hours": 0}),
            422,
            "SLA in hours, at least one",
        ),
    ];
    for (body, status, why) in cases {
        let answer = app.post("/api/v1/clusters", &body).await;
        assert_eq!(answer.status, status, "{why}: {answer:?}");
    }
}

#[actix_web::test]
async fn memberships_change_over_time() {
    let app = spawn_app().await;
    let ids = units(&app, &["A", "B", "C"]).await;
    let cluster = app.cluster("Cụm", "liaison_cluster", &[&ids[0], &ids[1]]).await;
    let members = format!("/api/v1/clusters/{cluster}/members");
    let version = |answer: &crate::helpers::Answer| answer.body["version"].as_i64().unwrap_or(0);
    let before = version(&app.get(&format!("/api/v1/clusters/{cluster}")).await);

    let joined = app
        .post(&members, &json!({"unit_id": ids[2], "role": "lead", "joined_on": "2024-06-16"}))
        .await;
    assert_eq!(joined.status, 201, "{joined:?}");
    let membership = joined.id();
    assert_eq!(joined.header("location"), Some(format!("{members}/{membership}").as_str()));
    assert_eq!(
        version(&app.get(&format!("/api/v1/clusters/{cluster}")).await),
        before + 1,
        "the cluster's representation changed"
    );

    let again = app.post(&members, &json!({"unit_id": ids[2], "joined_on": "2025-01-01"})).await;
    assert_eq!(again.status, 409, "overlapping membership of one unit");
    let already = app.post(&members, &json!({"unit_id": ids[0], "role": "observer"})).await;
    assert_eq!(already.status, 409, "A is already a member");
    let newcomer = app.unit("D").await;
    let second_lead = app
        .post(&members, &json!({"unit_id": newcomer, "role": "lead", "joined_on": "2025-01-01"}))
        .await;
    assert_eq!(second_lead.status, 409, "C leads already");
    assert!(
        second_lead.body["detail"].as_str().is_some_and(|d| d.contains("lead")),
        "{second_lead:?}"
    );

    let left = app
        .patch(&format!("{members}/{membership}"), &json!({"left_on": "2025-03-01"}))
        .await;
    assert_eq!(left.status, 200, "{left:?}");

    let on = |day: &str| format!("/api/v1/clusters/{cluster}?as_of={day}");
    assert_eq!(member_units(&app.get(&on("2024-01-01")).await.body), ["A", "B"]);
    assert_eq!(member_units(&app.get(&on("2024-06-16")).await.body), ["A", "B", "C"]);
    assert_eq!(member_units(&app.get(&on("2025-03-01")).await.body), ["A", "B"]);
    let everything = app.get(&format!("/api/v1/clusters/{cluster}")).await;
    assert_eq!(member_units(&everything.body), ["A", "B", "C"], "without as_of, every membership");
    assert_eq!(everything.body["as_of"], Value::Null);
    assert_eq!(app.collect(&format!("{members}?active_on=2025-06-01")).await.len(), 2);
    assert_eq!(app.collect(&format!("{members}?role=lead")).await.len(), 1);

    let bad = app
        .patch(&format!("{members}/{membership}"), &json!({"left_on": "2024-01-01"}))
        .await;
    assert_eq!(bad.status, 422, "left before joining");
    let foreign = app.cluster("Other", "liaison_cluster", &[&ids[0], &ids[1]]).await;
    assert_eq!(
        app.get(&format!("/api/v1/clusters/{foreign}/members/{membership}")).await.status,
        404,
        "memberships live under their cluster"
    );
}

#[actix_web::test]
async fn an_active_cluster_keeps_two_members() {
    let app = spawn_app().await;
    let ids = units(&app, &["A", "B"]).await;
    let cluster = app.cluster("Cụm", "liaison_cluster", &[&ids[0], &ids[1]]).await;
    let members = app.collect(&format!("/api/v1/clusters/{cluster}/members")).await;
    let first = members[0]["id"].as_str().expect("id");
    let path = format!("/api/v1/clusters/{cluster}/members/{first}");

    assert_eq!(app.delete(&path).await.status, 409, "removing would leave one member");
    assert_eq!(
        app.patch(&path, &json!({"left_on": "2020-01-01"})).await.status,
        409,
        "so would ending it"
    );
    assert_eq!(
        app.patch(&path, &json!({"role": "observer"})).await.status,
        409,
        "observers do not count"
    );

    let suspended = app
        .patch(&format!("/api/v1/clusters/{cluster}"), &json!({"status": "suspended"}))
        .await;
    assert_eq!(suspended.status, 200);
    assert_eq!(app.delete(&path).await.status, 204, "a suspended cluster may shrink");
    let reactivate = app
        .patch(&format!("/api/v1/clusters/{cluster}"), &json!({"status": "active"}))
        .await;
    assert_eq!(reactivate.status, 422, "but not become active with one member");
    assert_eq!(reactivate.problem().1[0], ("status".to_owned(), "member_count".to_owned()));
}

#[actix_web::test]
async fn cluster_status_follows_its_life_cycle() {
    let app = spawn_app().await;
    let ids = units(&app, &["A", "B"]).await;
    let cluster = app.cluster("Cụm", "liaison_cluster", &[&ids[0], &ids[1]]).await;
    let path = format!("/api/v1/clusters/{cluster}");
    let back = app.patch(&path, &json!({"status": "forming"})).await;
    assert_eq!(back.status, 409);
    assert!(
        back.body["detail"].as_str().is_some_and(|d| d.contains("suspended, dissolved")),
        "names the allowed moves: {back:?}"
    );
    assert_eq!(app.patch(&path, &json!({"status": "dissolved"})).await.status, 200);
    assert_eq!(
        app.patch(&path, &json!({"status": "active"})).await.status,
        409,
        "dissolved is final"
    );
}

#[actix_web::test]
async fn clusters_are_found_through_their_member_units() {
    let app = spawn_app().await;
    let ids = units(
        &app,
        &[
            "Công an huyện Gia Lâm",
            "Công an quận Long Biên",
            "Công an huyện Lệ Thủy",
            "Công an huyện Vĩnh Linh",
        ],
    )
    .await;
    let gia_lam = app
        .cluster("Cụm liên kết đảm bảo ANTT", "liaison_cluster", &[&ids[0], &ids[1]])
        .await;
    let chain = app
        .create(
            "/api/v1/clusters",
            json!({"name": "Cụm giáp ranh Lệ Thủy – Vĩnh Linh", "kind": "chain_cluster", "classification": "public",
                   "description": "Xí nghiệp I, Công ty Lâm nghiệp Bến Hải", "members": [{"unit_id": ids[2]}, {"unit_id": ids[3]}]}),
        )
        .await;
    let find = |q: &str| {
        let app = &app;
        let path = format!("/api/v1/clusters?q={q}");
        async move {
            app.collect(&path)
                .await
                .iter()
                .map(|c| c["id"].as_str().unwrap_or("").to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        find("gia%20lam").await,
        vec![gia_lam],
        "through a member's name, not 'giáp ranh … lâm nghiệp'"
    );
    assert_eq!(find("giap%20ranh").await, vec![chain.clone()], "through the cluster's own name");
    assert_eq!(find("ben%20hai").await, vec![chain.clone()], "through its description");
    assert_eq!(app.collect(&format!("/api/v1/clusters?unit_id={}", ids[1])).await.len(), 1);
    assert_eq!(
        app.collect("/api/v1/clusters?kind=chain_cluster&classification=public").await.len(),
        1
    );
    assert_eq!(app.collect("/api/v1/clusters?status=active").await.len(), 1);
    assert_eq!(app.delete(&format!("/api/v1/clusters/{chain}")).await.status, 204);
    assert_eq!(
        app.get(&format!("/api/v1/clusters/{chain}/members")).await.status,
        404,
        "its memberships went with it"
    );
}

#[actix_web::test]
async fn malformed_ids_are_named() {
    let app = spawn_app().await;
    let ids = units(&app, &["A", "B"]).await;
    let cluster = app.cluster("Cụm", "liaison_cluster", &[&ids[0], &ids[1]]).await;
    let answer = app.get(&format!("/api/v1/clusters/{cluster}/members/not-a-uuid")).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.problem().1, vec![("member_id".to_owned(), "invalid_value".to_owned())]);
}
