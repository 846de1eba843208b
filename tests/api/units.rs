//! Units: hierarchy without cycles, children, validity over time.

use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn units_show_their_parent_and_children() {
    let app = spawn_app().await;
    let city = app
        .create(
            "/api/v1/units",
            json!({"name": "Công an thành phố Hà Nội", "short_name": "CATP Hà Nội", "force": "police", "level": "province"}),
        )
        .await;
    let district = app
        .create(
            "/api/v1/units",
            json!({"name": "Công an huyện Gia Lâm", "force": "police", "level": "district", "parent_id": city, "valid_to": "2025-03-01"}),
        )
        .await;
    app.create(
        "/api/v1/units",
        json!({"name": "Công an quận Long Biên", "force": "police", "level": "district", "parent_id": city}),
    )
    .await;

    let read = app.get(&format!("/api/v1/units/{district}")).await;
    assert_eq!(
        read.body["parent"],
        json!({"id": city, "name": "Công an thành phố Hà Nội", "short_name": "CATP Hà Nội"})
    );

    let children = app.collect(&format!("/api/v1/units/{city}/children")).await;
    let names: Vec<&str> = children.iter().filter_map(|u| u["name"].as_str()).collect();
    assert_eq!(names, ["Công an huyện Gia Lâm", "Công an quận Long Biên"]);
    let current = app.collect(&format!("/api/v1/units/{city}/children?active_on=2025-06-01")).await;
    assert_eq!(current.len(), 1, "Gia Lâm district police ended on 2025-03-01");
    assert_eq!(
        app.get("/api/v1/units/0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f80/children").await.status,
        404
    );

    assert_eq!(
        app.collect(&format!("/api/v1/units?parent_id={city}&active_on=2024-12-31"))
            .await
            .len(),
        2
    );
    assert_eq!(
        app.delete(&format!("/api/v1/units/{city}")).await.status,
        409,
        "a unit with children stays"
    );
}

#[actix_web::test]
async fn hierarchies_have_no_cycles() {
    let app = spawn_app().await;
    let top = app.unit("Cấp 1").await;
    let middle = app
        .create(
            "/api/v1/units",
            json!({"name": "Cấp 2", "force": "police", "level": "district", "parent_id": top}),
        )
        .await;
    let bottom = app
        .create(
            "/api/v1/units",
            json!({"name": "Cấp 3", "force": "police", "level": "commune", "parent_id": middle}),
        )
        .await;

    for (unit, parent, why) in [(&top, &bottom, "through descendants"), (&top, &top, "directly")] {
        let answer = app.patch(&format!("/api/v1/units/{unit}"), &json!({"parent_id": parent})).await;
        assert_eq!(answer.status, 422, "{why}: {answer:?}");
        assert_eq!(answer.problem().1[0].0, "parent_id");
    }
    let successor = app.patch(&format!("/api/v1/units/{top}"), &json!({"successor_id": top})).await;
    assert_eq!(successor.status, 422);
    let moved = app.patch(&format!("/api/v1/units/{bottom}"), &json!({"parent_id": top})).await;
    assert_eq!(moved.status, 200);
}

#[actix_web::test]
async fn a_unit_named_as_a_successor_stays() {
    let app = spawn_app().await;
    let successor = app.unit("Công an xã Bát Tràng").await;
    let dissolved = app
        .create("/api/v1/units", json!({"name": "Công an huyện Gia Lâm", "force": "police", "level": "district", "valid_to": "2025-03-01", "successor_id": successor}))
        .await;
    assert_eq!(app.delete(&format!("/api/v1/units/{successor}")).await.status, 409);
    assert_eq!(
        app.patch(&format!("/api/v1/units/{dissolved}"), &json!({"successor_id": null}))
            .await
            .status,
        200
    );
    assert_eq!(app.delete(&format!("/api/v1/units/{successor}")).await.status, 204);
}

#[actix_web::test]
async fn units_filter_by_force_level_and_area() {
    let app = spawn_app().await;
    let area = app.province("83", "Tỉnh Bến Tre").await;
    for (name, force) in [
        ("Công an tỉnh Bến Tre", "police"),
        ("Bộ Chỉ huy Quân sự tỉnh Bến Tre", "military"),
        ("Bộ Chỉ huy Bộ đội Biên phòng tỉnh Bến Tre", "border_guard"),
    ] {
        app.create(
            "/api/v1/units",
            json!({"name": name, "force": force, "level": "province", "area_id": area}),
        )
        .await;
    }
    app.unit("Công an huyện Gia Lâm").await;
    assert_eq!(app.collect(&format!("/api/v1/units?area_id={area}")).await.len(), 3);
    assert_eq!(app.collect("/api/v1/units?force=border_guard").await.len(), 1);
    assert_eq!(app.collect("/api/v1/units?level=district").await.len(), 1);
    assert_eq!(app.collect("/api/v1/units?force=police&level=province").await.len(), 1);
}
