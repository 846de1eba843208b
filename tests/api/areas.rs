//! Areas: GSO codes, hierarchy and validity over time.

use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn areas_follow_the_gso_hierarchy() {
    let app = spawn_app().await;
    let hanoi = app.province("01", "Thành phố Hà Nội").await;
    let gia_lam = app
        .create(
            "/api/v1/areas",
            json!({"code": "018", "name": "Huyện Gia Lâm", "level": "district", "parent_id": hanoi, "valid_to": "2025-07-01"}),
        )
        .await;
    let commune_in_district = json!({"code": "00565", "name": "Xã Bát Tràng", "level": "commune", "parent_id": gia_lam});
    assert_eq!(app.post("/api/v1/areas", &commune_in_district).await.status, 201);
    let commune_in_province =
        json!({"code": "00001", "name": "Phường Ba Đình", "level": "commune", "parent_id": hanoi, "valid_from": "2025-07-01"});
    assert_eq!(
        app.post("/api/v1/areas", &commune_in_province).await.status,
        201,
        "two-tier communes sit under provinces"
    );

    let cases = [
        (
            json!({"code": "1", "name": "X", "level": "province"}),
            "code",
            "codes have the level's length",
        ),
        (json!({"code": "0A", "name": "X", "level": "province"}), "code", "codes are digits"),
        (
            json!({"code": "99", "name": "X", "level": "province", "parent_id": hanoi}),
            "parent_id",
            "provinces have no parent",
        ),
        (
            json!({"code": "999", "name": "X", "level": "district"}),
            "parent_id",
            "districts need a parent",
        ),
        (
            json!({"code": "999", "name": "X", "level": "district", "parent_id": gia_lam}),
            "parent_id",
            "a district is not inside a district",
        ),
        (
            json!({"code": "998", "name": "X", "level": "district", "parent_id": hanoi, "successor_id": "0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f80"}),
            "successor_id",
            "the successor exists",
        ),
    ];
    for (body, field, why) in cases {
        let answer = app.post("/api/v1/areas", &body).await;
        assert_eq!(answer.status, 422, "{why}: {answer:?}");
        assert!(answer.problem().1.iter().any(|(f, _)| f == field), "{why}: {answer:?}");
    }

    let duplicate = app
        .post("/api/v1/areas", &json!({"code": "01", "name": "Hà Nội", "level": "province"}))
        .await;
    assert_eq!(duplicate.status, 409);
    let successor_period = app
        .post(
            "/api/v1/areas",
            &json!({"code": "018", "name": "Gia Lâm (mới)", "level": "district", "parent_id": hanoi, "valid_from": "2025-07-01"}),
        )
        .await;
    assert_eq!(successor_period.status, 201, "a code may be reused once the old area has ended");
}

#[actix_web::test]
async fn areas_are_listed_by_day_level_and_parent() {
    let app = spawn_app().await;
    let hanoi = app.province("01", "Thành phố Hà Nội").await;
    app.province("27", "Tỉnh Bắc Ninh").await;
    app.create(
        "/api/v1/areas",
        json!({"code": "018", "name": "Huyện Gia Lâm", "level": "district", "parent_id": hanoi, "valid_to": "2025-07-01"}),
    )
    .await;
    app.create(
        "/api/v1/areas",
        json!({"code": "017", "name": "Huyện Đông Anh", "level": "district", "parent_id": hanoi, "valid_to": "2025-07-01"}),
    )
    .await;

    let codes = |items: Vec<serde_json::Value>| {
        items
            .iter()
            .map(|a| a["code"].as_str().unwrap_or("").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        codes(app.collect("/api/v1/areas").await),
        ["01", "017", "018", "27"],
        "sorted by code"
    );
    assert_eq!(
        codes(app.collect(&format!("/api/v1/areas?parent_id={hanoi}")).await),
        ["017", "018"]
    );
    assert_eq!(codes(app.collect("/api/v1/areas?level=province").await), ["01", "27"]);
    assert_eq!(
        codes(app.collect("/api/v1/areas?active_on=2025-06-30&level=district").await),
        ["017", "018"]
    );
    assert!(
        codes(app.collect("/api/v1/areas?active_on=2025-07-01&level=district").await).is_empty(),
        "valid_to is exclusive"
    );
    assert_eq!(codes(app.collect("/api/v1/areas?q=gia%20lam").await), ["018"]);
    assert_eq!(codes(app.collect("/api/v1/areas?code=27").await), ["27"]);
    assert_eq!(
        codes(app.collect("/api/v1/areas?sort=-name").await),
        ["27", "01", "018", "017"],
        "by folded name, descending"
    );
}

#[actix_web::test]
async fn an_area_with_areas_in_it_keeps_its_level() {
    let app = spawn_app().await;
    let hanoi = app.province("01", "Thành phố Hà Nội").await;
    app.create(
        "/api/v1/areas",
        json!({"code": "018", "name": "Huyện Gia Lâm", "level": "district", "parent_id": hanoi}),
    )
    .await;
    let answer = app
        .patch(
            &format!("/api/v1/areas/{hanoi}"),
            &json!({"level": "district", "code": "999", "parent_id": hanoi}),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(answer.problem().1.iter().any(|(f, _)| f == "level"), "{answer:?}");
}

#[actix_web::test]
async fn areas_in_use_cannot_be_deleted() {
    let app = spawn_app().await;
    let hanoi = app.province("01", "Thành phố Hà Nội").await;
    let district = app
        .create(
            "/api/v1/areas",
            json!({"code": "018", "name": "Huyện Gia Lâm", "level": "district", "parent_id": hanoi}),
        )
        .await;
    assert_eq!(app.delete(&format!("/api/v1/areas/{hanoi}")).await.status, 409, "it has a district");
    let unit = app
        .create(
            "/api/v1/units",
            json!({"name": "Công an huyện Gia Lâm", "force": "police", "level": "district", "area_id": district}),
        )
        .await;
    assert_eq!(
        app.delete(&format!("/api/v1/areas/{district}")).await.status,
        409,
        "a unit covers it"
    );
    assert_eq!(app.delete(&format!("/api/v1/units/{unit}")).await.status, 204);
    assert_eq!(app.delete(&format!("/api/v1/areas/{district}")).await.status, 204);
    assert_eq!(app.delete(&format!("/api/v1/areas/{hanoi}")).await.status, 204);
}
