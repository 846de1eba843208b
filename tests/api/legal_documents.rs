//! Legal documents.

use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn legal_documents_are_recorded_and_searched() {
    let app = spawn_app().await;
    let decree = app
        .create(
            "/api/v1/legal-documents",
            json!({"number": "03/2019/NĐ-CP", "kind": "decree", "issuer": "Chính phủ", "issued_on": "2019-09-05",
                   "title": "Về phối hợp giữa Bộ Công an và Bộ Quốc phòng"}),
        )
        .await;
    app.create("/api/v1/legal-documents", json!({"number": "77/QĐ-UBND", "kind": "decision"}))
        .await;

    let found = app.collect("/api/v1/legal-documents?q=03%2F2019%2Fnd").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], decree.as_str());
    assert_eq!(
        app.collect("/api/v1/legal-documents?q=quoc%20phong").await.len(),
        1,
        "titles are searched"
    );
    assert_eq!(app.collect("/api/v1/legal-documents?kind=decision").await.len(), 1);
    assert_eq!(
        app.collect("/api/v1/legal-documents?issued_from=2019-01-01&issued_before=2020-01-01")
            .await
            .len(),
        1
    );

    let again = app
        .post(
            "/api/v1/legal-documents",
            &json!({"number": "03/2019/NĐ-CP", "kind": "decree", "issuer": "Chính phủ"}),
        )
        .await;
    assert_eq!(again.status, 409, "one number per issuer");
    let future = app
        .post(
            "/api/v1/legal-documents",
            &json!({"number": "1/2999", "kind": "plan", "issued_on": "2999-01-01"}),
        )
        .await;
    assert_eq!(future.status, 422);

    let cleared = app
        .patch(&format!("/api/v1/legal-documents/{decree}"), &json!({"title": null}))
        .await;
    assert_eq!(cleared.body["title"], serde_json::Value::Null);
}
