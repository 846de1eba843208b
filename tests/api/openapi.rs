//! The committed OpenAPI document is the one the code generates and serves.

use serde_json::Value;

use crate::helpers::spawn_app;

fn committed() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json")).expect("openapi/openapi.json exists");
    serde_json::from_str(&text).expect("openapi/openapi.json is JSON")
}

#[test]
fn committed_document_matches_the_code() {
    let generated = serde_json::to_value(lienket::startup::openapi_document()).expect("document serializes");
    assert!(
        generated == committed(),
        "openapi/openapi.json is out of date; regenerate it with `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[actix_web::test]
async fn served_document_is_the_committed_one() {
    let app = spawn_app().await;
    let served = app.get("/api-docs/openapi.json").await;
    assert_eq!(served.status, 200);
    assert_eq!(served.body, committed());
    assert_eq!(served.body["openapi"], "3.1.0");
    assert_eq!(served.header("content-type"), Some("application/json"));
}

#[actix_web::test]
async fn swagger_ui_is_served() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(format!("{}/swagger-ui/", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("body").contains("swagger-ui"));
    // The UI loads the document from where it is served.
    let initializer = app
        .client
        .get(format!("{}/swagger-ui/swagger-initializer.js", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(initializer.status(), 200);
    assert!(initializer.text().await.expect("body").contains("\"/api-docs/openapi.json\""));
    let redirect = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("{}/swagger-ui", app.address))
        .send()
        .await
        .expect("request");
    assert!(redirect.status().is_redirection());
}

#[test]
fn every_operation_is_documented_with_its_errors() {
    let doc = committed();
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/api/v1/")) {
        for (method, op) in item.as_object().expect("path item") {
            let where_ = format!("{method} {path}");
            assert!(op["summary"].is_string(), "{where_} has a summary");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{where_} has a tag");
            let responses = op["responses"].as_object().expect("responses");
            for status in ["500", "503"] {
                assert!(responses.contains_key(status), "{where_} documents {status}");
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{where_} documents 404");
            }
        }
    }
}

/// Every `$ref` names something the document holds.
#[test]
fn every_reference_resolves() {
    fn walk(doc: &Value, node: &Value, at: &str) {
        match node {
            Value::Object(members) => {
                if let Some(Value::String(target)) = members.get("$ref") {
                    let pointer = target.strip_prefix('#').expect("a local reference");
                    assert!(doc.pointer(pointer).is_some(), "{at} refers to {target}, which does not exist");
                }
                for (key, value) in members {
                    walk(doc, value, &format!("{at}/{key}"));
                }
            }
            Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| walk(doc, v, &format!("{at}/{i}"))),
            _ => {}
        }
    }
    let doc = committed();
    walk(&doc, &doc, "");
}
