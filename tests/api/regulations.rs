//! Regulations: signatories, legal bases, life cycle and superseding.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

struct Fixture {
    cluster: String,
    units: Vec<String>,
    outsider: String,
    decree: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let mut units = Vec::new();
    for name in [
        "Công an tỉnh Bến Tre",
        "Bộ Chỉ huy Quân sự tỉnh Bến Tre",
        "Bộ Chỉ huy Bộ đội Biên phòng tỉnh Bến Tre",
    ] {
        units.push(app.unit(name).await);
    }
    let outsider = app.unit("Công an huyện Gia Lâm").await;
    let cluster = app
        .cluster("Phối hợp ba lực lượng", "tri_force", &[&units[0], &units[1], &units[2]])
        .await;
    let decree = app
        .create(
            "/api/v1/legal-documents",
            json!({"number": "03/2019/NĐ-CP", "kind": "decree", "issuer": "Chính phủ", "issued_on": "2019-09-05"}),
        )
        .await;
    Fixture {
        cluster,
        units,
        outsider,
        decree,
    }
}

fn signatories(units: &[&String]) -> Value {
    units
        .iter()
        .map(|u| json!({"unit_id": u, "signer_role": "Thủ trưởng đơn vị"}))
        .collect()
}

#[actix_web::test]
async fn a_signed_regulation_lists_its_signatories_and_legal_bases() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let answer = app
        .post(
            &format!("/api/v1/clusters/{}/regulations", f.cluster),
            &json!({"title": "Quy chế phối hợp ba lực lượng", "status": "signed", "signed_on": "2020-03-01", "effective_from": "2020-03-01",
                    "signatories": signatories(&[&f.units[0], &f.units[1], &f.units[2]]),
                    "legal_bases": [{"legal_document_id": f.decree, "note": "Điều 5"}]}),
        )
        .await;
    assert_eq!(answer.status, 201, "{answer:?}");
    assert_eq!(
        answer.header("location"),
        Some(format!("/api/v1/regulations/{}", answer.id()).as_str())
    );
    assert_eq!(answer.body["signatories"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        answer.body["signatories"][1]["unit"]["name"], "Bộ Chỉ huy Quân sự tỉnh Bến Tre",
        "signing order is kept"
    );
    assert_eq!(
        answer.body["legal_bases"],
        json!([{"legal_document_id": f.decree, "number": "03/2019/NĐ-CP", "kind": "decree", "title": null, "note": "Điều 5"}])
    );

    let listed = app.collect(&format!("/api/v1/clusters/{}/regulations", f.cluster)).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["signatories"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        app.delete(&format!("/api/v1/legal-documents/{}", f.decree)).await.status,
        409,
        "a cited document stays"
    );
    assert_eq!(
        app.delete(&format!("/api/v1/units/{}", f.units[0])).await.status,
        409,
        "a signatory stays"
    );
}

#[actix_web::test]
async fn regulations_are_checked() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let path = format!("/api/v1/clusters/{}/regulations", f.cluster);
    let cases = [
        (
            json!({"title": "Q", "status": "signed", "signatories": signatories(&[&f.units[0]])}),
            "signatories",
            "signed needs two signatories",
        ),
        (
            json!({"title": "Q", "signatories": signatories(&[&f.units[0], &f.outsider])}),
            "signatories[1].unit_id",
            "signatories are members",
        ),
        (
            json!({"title": "Q", "signatories": signatories(&[&f.units[0], &f.units[0]])}),
            "signatories[1].unit_id",
            "each unit signs once",
        ),
        (
            json!({"title": "Q", "legal_bases": [{"legal_document_id": f.outsider}]}),
            "legal_bases[0].legal_document_id",
            "bases are legal documents",
        ),
        (
            json!({"title": "Q", "signed_on": "2020-05-01", "effective_from": "2020-04-01"}),
            "effective_from",
            "in effect only after signing",
        ),
        (
            json!({"title": "Q", "effective_from": "2020-05-01", "effective_to": "2020-04-01"}),
            "effective_to",
            "periods in order",
        ),
        (
            json!({"title": "Q", "signed_on": "2999-01-01"}),
            "signed_on",
            "not signed in the future",
        ),
        (
            json!({"title": "Q", "supersedes_id": f.cluster}),
            "supersedes_id",
            "supersedes a regulation",
        ),
        (json!({"title": " "}), "title", "a title"),
    ];
    for (body, field, why) in cases {
        let answer = app.post(&path, &body).await;
        assert_eq!(answer.status, 422, "{why}: {answer:?}");
        assert!(answer.problem().1.iter().any(|(f, _)| f == field), "{why}: {answer:?}");
    }
    assert_eq!(
        app.post(
            "/api/v1/clusters/0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f80/regulations",
            &json!({"title": "Q"})
        )
        .await
        .status,
        404
    );
}

#[actix_web::test]
async fn a_regulation_in_force_supersedes_its_predecessor() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let path = format!("/api/v1/clusters/{}/regulations", f.cluster);
    let all = signatories(&[&f.units[0], &f.units[1], &f.units[2]]);
    let old = app
        .create(
            &path,
            json!({"title": "Quy chế 2020", "status": "in_force", "effective_from": "2020-03-01", "signatories": all}),
        )
        .await;
    let new = app
        .create(&path, json!({"title": "Quy chế 2024", "status": "draft", "supersedes_id": old}))
        .await;

    let illegal = app.patch(&format!("/api/v1/regulations/{old}"), &json!({"status": "draft"})).await;
    assert_eq!(illegal.status, 409);
    assert!(
        illegal.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("superseded, terminated")),
        "{illegal:?}"
    );

    let unsigned = app
        .patch(&format!("/api/v1/regulations/{new}"), &json!({"status": "in_force"}))
        .await;
    assert_eq!(unsigned.status, 422, "in force means signed");
    let in_force = app
        .patch(
            &format!("/api/v1/regulations/{new}"),
            &json!({"status": "in_force", "effective_from": "2024-06-16", "signatories": all}),
        )
        .await;
    assert_eq!(in_force.status, 200, "{in_force:?}");

    let predecessor = app.get(&format!("/api/v1/regulations/{old}")).await;
    assert_eq!(predecessor.body["status"], "superseded");
    assert_eq!(predecessor.body["effective_to"], "2024-06-16");
    assert_eq!(predecessor.body["version"], 2);
    assert_eq!(
        app.delete(&format!("/api/v1/regulations/{old}")).await.status,
        409,
        "its successor refers to it"
    );

    let effective = |day: &str| {
        let app = &app;
        let path = format!("/api/v1/regulations?cluster_id={}&effective_on={day}", f.cluster);
        async move {
            app.collect(&path)
                .await
                .iter()
                .map(|r| r["title"].as_str().unwrap_or("").to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(effective("2022-01-01").await, ["Quy chế 2020"]);
    assert_eq!(effective("2025-01-01").await, ["Quy chế 2024"]);

    let cleared = app
        .patch(
            &format!("/api/v1/regulations/{new}"),
            &json!({"legal_bases": [{"legal_document_id": f.decree}]}),
        )
        .await;
    assert_eq!(cleared.body["legal_bases"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        cleared.body["signatories"].as_array().map(Vec::len),
        Some(3),
        "lists not given stay"
    );
}
