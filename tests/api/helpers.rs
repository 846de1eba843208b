//! Spawns the real application on a random port over a fresh database, and talks HTTP to it.
//!
//! SQLite by default; PostgreSQL when `TEST_DATABASE_URL` points at a server (each test then
//! creates its own database and drops it afterwards).

use std::net::SocketAddr;
use std::path::PathBuf;

use lienket::auth::keys::{KeySet, generate_pem};
use lienket::auth::tokens::{AccessGrant, TokenService};
use lienket::config::{AuthSettings, DatabaseSettings, DemoMode, ServerSettings};
use lienket::db::RequestPools;
use lienket::domain::{Classification, Role};
use lienket::seed::DemoCredentials;
use lienket::startup::Application;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// A running application with its own database.
pub struct TestApp {
    pub address: String,
    pub database_url: String,
    /// The application's connection pool (shared with it).
    pub db: sea_orm::DatabaseConnection,
    /// The pools the application's requests use (one per worker on PostgreSQL).
    pub pools: RequestPools,
    /// Sends an administrator's token with every request.
    pub client: reqwest::Client,
    /// Sends no token.
    pub anonymous: reqwest::Client,
    /// Signs tokens with the application's own key.
    pub tokens: TokenService,
    /// The application's authentication settings (with its signing key).
    pub auth: AuthSettings,
    /// The demo logins, when the demo data was loaded.
    pub demo: Option<DemoCredentials>,
    server: actix_web::dev::ServerHandle,
    _database: TestDatabase,
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {}", self.body))
            .to_owned()
    }

    /// The problem `code` and the `(field, code)` pairs of its `errors`.
    pub fn problem(&self) -> (&str, Vec<(String, String)>) {
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "not a problem: {self:?}"
        );
        let errors = self.body["errors"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or("").to_owned(),
                            e["code"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        (self.body["code"].as_str().unwrap_or(""), errors)
    }
}

pub async fn spawn_app() -> TestApp {
    spawn(DemoMode::Off, |_| {}).await
}

pub async fn spawn_app_with_demo() -> TestApp {
    spawn(DemoMode::Auto, |_| {}).await
}

/// An application whose authentication settings `adjust` changes first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut AuthSettings)) -> TestApp {
    spawn(DemoMode::Off, |server| adjust(&mut server.auth)).await
}

/// An application whose server settings `adjust` changes first.
pub async fn spawn_app_with_server(adjust: impl FnOnce(&mut ServerSettings)) -> TestApp {
    spawn(DemoMode::Off, adjust).await
}

/// Authentication settings for tests: a fresh key, generous login limits.
fn test_auth() -> AuthSettings {
    AuthSettings {
        jwt_signing_key: Some(generate_pem().expect("generate a key")),
        jwt_issuer: "lienket".to_owned(),
        jwt_audience: "lienket-api".to_owned(),
        access_token_ttl_secs: 900,
        refresh_token_ttl_secs: 3600,
        clock_skew_secs: 5,
        login_limit_per_address: 10_000,
        login_limit_per_account: 10_000,
        ..AuthSettings::for_self_test()
    }
}

/// A grant as a user of `role` in `unit` with `clearance` would get it.
pub fn user_grant(role: Role, unit: Uuid, clearance: Classification) -> AccessGrant {
    AccessGrant {
        sub: Uuid::now_v7(),
        client_id: None,
        unit_id: unit,
        roles: vec![role],
        clearance,
        scopes: lienket::auth::permissions::scopes_for_roles(&[role]),
    }
}

fn bearer_client(token: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token {
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().expect("header value"),
        );
    }
    reqwest::Client::builder()
        .no_proxy()
        .default_headers(headers)
        .build()
        .expect("http client")
}

async fn spawn(demo: DemoMode, adjust: impl FnOnce(&mut ServerSettings)) -> TestApp {
    let database = TestDatabase::create().await;
    let settings = DatabaseSettings {
        database_url: Some(database.url.clone()),
        data_dir: std::env::temp_dir(),
        db_max_connections: 5,
        db_acquire_timeout_ms: 5000,
    };
    let db = lienket::db::connect(&settings).await.expect("connect to the test database");
    let server = ServerSettings {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers: 1,
        max_body_bytes: 64 * 1024,
        body_timeout_secs: 30,
        shutdown_timeout_secs: 1,
        idempotency_ttl_hours: 24,
        demo,
        trusted_proxies: vec![],
        auth: test_auth(),
    };
    let mut server = server;
    adjust(&mut server);
    let auth = server.auth.clone();
    let keys = KeySet::from_settings(&auth).expect("test keys");
    let tokens = TokenService::new(keys, &auth);
    let app = Application::build(db.clone(), server).await.expect("build the application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let demo = app.demo_credentials().cloned();
    let pools = app.pools().clone();
    actix_web::rt::spawn(app.run_until_stopped());
    let admin = tokens
        .issue_access(user_grant(Role::Admin, Uuid::now_v7(), Classification::Secret))
        .expect("admin token");
    TestApp {
        address,
        database_url: database.url.clone(),
        db,
        pools,
        client: bearer_client(Some(&admin)),
        anonymous: bearer_client(None),
        tokens,
        auth,
        demo,
        server: handle,
        _database: database,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command now; nothing needs to wait for it to finish.
        drop(self.server.stop(false));
    }
}

impl TestApp {
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.address))
    }

    /// A request without a token.
    pub fn anonymous_request(&self, method: Method, path: &str) -> RequestBuilder {
        self.anonymous.request(method, format!("{}{path}", self.address))
    }

    /// A request carrying `token`.
    pub fn request_as(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.anonymous.request(method, format!("{}{path}", self.address)).bearer_auth(token)
    }

    /// An access token for `grant`, signed by the application's key.
    pub fn token(&self, grant: AccessGrant) -> String {
        self.tokens.issue_access(grant).expect("sign a token")
    }

    pub async fn send(&self, request: RequestBuilder) -> Answer {
        read(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Answer {
        self.send(
            self.request(Method::PATCH, path)
                .header("content-type", "application/merge-patch+json")
                .body(body.to_string()),
        )
        .await
    }

    /// GET with `token` instead of the administrator's.
    pub async fn get_as(&self, token: &str, path: &str) -> Answer {
        self.send(self.request_as(token, Method::GET, path)).await
    }

    /// POST of a JSON body with `token`.
    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> Answer {
        self.send(self.request_as(token, Method::POST, path).json(body)).await
    }

    /// PATCH of a merge patch with `token`.
    pub async fn patch_as(&self, token: &str, path: &str, body: &Value) -> Answer {
        self.send(
            self.request_as(token, Method::PATCH, path)
                .header("content-type", "application/merge-patch+json")
                .body(body.to_string()),
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// Creates a record and returns its id, failing the test unless it answered 201.
    pub async fn create(&self, path: &str, body: Value) -> String {
        let answer = self.post(path, &body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "POST {path} {body}: {answer:?}");
        answer.id()
    }

    pub async fn province(&self, code: &str, name: &str) -> String {
        self.create("/api/v1/areas", json!({"code": code, "name": name, "level": "province"}))
            .await
    }

    /// The id of the default incident category with `code`.
    pub async fn category(&self, code: &str) -> String {
        let found = self.get(&format!("/api/v1/incident-categories?code={code}")).await;
        found.body["items"][0]["id"].as_str().expect("a default category").to_owned()
    }

    pub async fn unit(&self, name: &str) -> String {
        self.create("/api/v1/units", json!({"name": name, "force": "police", "level": "district"}))
            .await
    }

    /// An active cluster of `kind` with the given member units.
    pub async fn cluster(&self, name: &str, kind: &str, units: &[&str]) -> String {
        let members: Vec<Value> = units.iter().map(|u| json!({"unit_id": u})).collect();
        self.create(
            "/api/v1/clusters",
            json!({"name": name, "kind": kind, "status": "active", "members": members}),
        )
        .await
    }

    /// Every item of a list, following `next_cursor` page by page.
    pub async fn collect(&self, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut next = Some(path.to_owned());
        let mut pages = 0;
        while let Some(url) = next {
            let answer = self.get(&url).await;
            assert_eq!(answer.status, StatusCode::OK, "GET {url}: {answer:?}");
            items.extend(answer.body["items"].as_array().cloned().unwrap_or_default());
            next = answer.body["next_cursor"].as_str().map(|cursor| {
                let separator = if path.contains('?') { '&' } else { '?' };
                format!("{path}{separator}cursor={cursor}")
            });
            pages += 1;
            assert!(pages < 1000, "pagination does not end");
        }
        items
    }
}

async fn read(response: Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("response body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Answer { status, headers, body }
}

/// A database for one test, removed when the test ends.
struct TestDatabase {
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteDir(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    async fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(admin_url) => Self::postgres(admin_url).await,
            None => Self::sqlite(),
        }
    }

    fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("lienket-test-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("create the test database directory");
        let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
        Self {
            url,
            cleanup: Cleanup::SqliteDir(dir),
        }
    }

    async fn postgres(admin_url: String) -> Self {
        use sea_orm::ConnectionTrait;
        let name = format!("lienket_test_{}", Uuid::now_v7().simple());
        let admin = sea_orm::Database::connect(admin_url.as_str())
            .await
            .expect("connect to TEST_DATABASE_URL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create the test database");
        admin.close().await.ok();
        let (base, _) = admin_url.rsplit_once('/').expect("TEST_DATABASE_URL names a database");
        Self {
            url: format!("{base}/{name}"),
            cleanup: Cleanup::Postgres { admin_url, name },
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteDir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime, so the cleanup gets a runtime of its own.
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                    runtime.block_on(async move {
                        use sea_orm::ConnectionTrait;
                        let admin = sea_orm::Database::connect(admin_url.as_str()).await?;
                        admin
                            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                            .await?;
                        admin.close().await
                    })
                })
                .join();
                if !matches!(dropped, Ok(Ok(()))) {
                    eprintln!("could not drop test database {}", self.url);
                }
            }
        }
    }
}

/// POSTs form fields to the token or revocation endpoint without a bearer token.
pub async fn form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Answer {
    form_with(app, path, fields, &[]).await
}

/// Like [`form`], with extra request headers.
pub async fn form_with(app: &TestApp, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Answer {
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let mut request = app
        .anonymous_request(Method::POST, path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.send(request).await
}

/// A password login.
pub async fn login(app: &TestApp, username: &str, password: &str) -> Answer {
    form(
        app,
        "/api/v1/auth/token",
        &[("grant_type", "password"), ("username", username), ("password", password)],
    )
    .await
}

/// A refresh token exchanged for new tokens.
pub async fn refresh(app: &TestApp, token: &str) -> Answer {
    form(
        app,
        "/api/v1/auth/token",
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

/// Unpadded base64url, as JWTs write their parts.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
