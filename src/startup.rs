//! Builds the application: the actix app with its middleware and routes (shared by the server,
//! the tests and the OpenAPI dump) and the HTTP server around it.

use std::net::TcpListener;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::ContentType;
use actix_web::{App, HttpResponse, HttpServer, guard, middleware, web};
use sea_orm::DatabaseConnection;
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::audit::ReadTrail;
use crate::auth::keys::KeySet;
use crate::auth::passwords::PasswordHasherPool;
use crate::auth::rate_limit::LoginLimits;
use crate::auth::tokens::TokenService;
use crate::config::{AuthSettings, DemoMode, ServerSettings};
use crate::db::RequestPools;
use crate::extract::{BodyLimit, BodyTimeout};
use crate::idempotency::{self, IdempotencyTtl};
use crate::metrics::Metrics;
use crate::middleware::{RouteTable, TrustedProxies};
use crate::openapi::{self, ApiDoc};
use crate::seed::DemoCredentials;
use crate::{db, routes};

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api-docs/openapi.json";
/// Where Swagger UI is served.
pub const SWAGGER_PATH: &str = "/swagger-ui/";

/// The complete OpenAPI document, generated from the registered routes.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(scope::scope("/api/v1").configure(routes::api))
        .configure(routes::health::configure)
        .configure(routes::auth::configure_well_known)
        .split_for_parts();
    openapi::add_conventions(&mut api);
    api
}

/// The OpenAPI document as the app uses it, made once and shared by every worker: its JSON as
/// served, and the table of its operations the router checks requests against.
#[derive(Debug, Clone)]
pub struct ApiDocument {
    json: web::Data<OpenApiJson>,
    routes: web::Data<RouteTable>,
}

#[derive(Debug)]
struct OpenApiJson(web::Bytes);

impl ApiDocument {
    pub fn new(api: &utoipa::openapi::OpenApi) -> Result<Self, String> {
        let json = serde_json::to_vec(api).map_err(|e| format!("cannot serialize the OpenAPI document: {e}"))?;
        Ok(Self {
            json: web::Data::new(OpenApiJson(json.into())),
            routes: web::Data::new(RouteTable::from_openapi(api)),
        })
    }
}

async fn serve_openapi(json: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok().content_type(ContentType::json()).body(json.0.clone())
}

/// What authentication needs at run time: the token service, the password hasher and the login
/// limits.
#[derive(Debug, Clone)]
pub struct AuthState {
    pub tokens: TokenService,
    pub hasher: PasswordHasherPool,
    pub limits: LoginLimits,
}

impl AuthState {
    /// Loads the keys (and checks them by signing one token) and sets up hashing.
    pub fn from_settings(settings: &AuthSettings) -> Result<Self, String> {
        let keys = KeySet::from_settings(settings)?;
        Ok(Self {
            tokens: TokenService::new(keys, settings),
            hasher: PasswordHasherPool::new(settings.password_hash_concurrency).map_err(|e| e.to_string())?,
            limits: LoginLimits::from(settings),
        })
    }
}

/// Request limits the app enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub body_bytes: usize,
    pub body_timeout: std::time::Duration,
    pub idempotency_ttl: chrono::Duration,
}

impl From<&ServerSettings> for Limits {
    fn from(settings: &ServerSettings) -> Self {
        Self {
            body_bytes: usize::try_from(settings.max_body_bytes).unwrap_or(usize::MAX),
            body_timeout: std::time::Duration::from_secs(settings.body_timeout_secs),
            idempotency_ttl: chrono::Duration::hours(settings.idempotency_ttl_hours.into()),
        }
    }
}

/// The actix application: routes, Swagger UI, shared state and middleware.
pub fn build_app(
    pools: RequestPools,
    limits: Limits,
    auth: AuthState,
    proxies: TrustedProxies,
    document: ApiDocument,
    metrics: web::Data<Metrics>,
    read_trail: web::Data<ReadTrail>,
) -> App<
    impl ServiceFactory<ServiceRequest, Config = (), Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error, InitError = ()>,
> {
    let (app, _) = App::new()
        .into_utoipa_app()
        .app_data(web::Data::new(BodyLimit(limits.body_bytes)))
        .app_data(web::Data::new(BodyTimeout(limits.body_timeout)))
        .app_data(web::Data::new(IdempotencyTtl(limits.idempotency_ttl)))
        .app_data(web::Data::new(auth.tokens))
        .app_data(web::Data::new(auth.hasher))
        .app_data(web::Data::new(auth.limits))
        .app_data(web::Data::new(proxies))
        .app_data(metrics)
        .app_data(read_trail)
        .app_data(routes::path_config())
        .service(scope::scope("/api/v1").configure(routes::api))
        .configure(routes::health::configure)
        .configure(routes::auth::configure_well_known)
        .split_for_parts();
    // Swagger UI only points at the document, which is served from the bytes made at start.
    // Called on each worker's thread: the worker's pool is its own.
    let worker = pools.for_worker();
    app.app_data(web::Data::new(worker.db))
        .app_data(web::Data::new(worker.reads))
        .app_data(web::Data::new(pools))
        .app_data(document.routes)
        .app_data(document.json)
        .service(web::resource(OPENAPI_PATH).guard(guard::Get()).to(serve_openapi))
        .service(SwaggerUi::new("/swagger-ui/{_:.*}").config(SwaggerConfig::new([OPENAPI_PATH])))
        .service(web::redirect("/swagger-ui", SWAGGER_PATH))
        .default_service(web::to(crate::middleware::no_route))
        .wrap(middleware::from_fn(idempotency::idempotency))
        .wrap(middleware::from_fn(crate::middleware::request_context))
}

/// Waits for SIGTERM or SIGINT (Ctrl-C); both stop the server gracefully. (Left to actix, SIGINT
/// would stop it at once.)
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            },
            _ => {
                let _ = tokio::signal::ctrl_c().await;
                "Ctrl-C"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// A running server and the port it listens on.
pub struct Application {
    server: Server,
    port: u16,
    pools: RequestPools,
    demo_credentials: Option<DemoCredentials>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").field("port", &self.port).finish_non_exhaustive()
    }
}

impl Application {
    /// Opens and migrates the database, loads demo data if configured, and binds the listener.
    pub async fn build(db: DatabaseConnection, settings: ServerSettings) -> Result<Self, String> {
        let auth = AuthState::from_settings(&settings.auth)?;
        db::migrate(&db).await.map_err(|e| format!("cannot migrate the database: {e}"))?;
        crate::services::incident_categories::ensure_defaults(&db)
            .await
            .map_err(|e| format!("cannot write the default incident categories: {e}"))?;
        let demo_credentials = if settings.demo == DemoMode::Auto {
            crate::seed::load_demo_if_empty(&db)
                .await
                .map_err(|e| format!("cannot load the demo data: {e}"))?
        } else {
            None
        };
        let listener = TcpListener::bind(settings.bind).map_err(|e| format!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let document = ApiDocument::new(&openapi_document())?;
        let metrics = web::Data::new(Metrics::new()?);
        let read_trail = web::Data::new(ReadTrail::start(db.clone()));
        let workers = if settings.workers == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            settings.workers
        };
        let pools = RequestPools::new(db.clone(), workers);
        let shutdown_timeout = settings.shutdown_timeout_secs;
        let limits = Limits::from(&settings);
        let proxies = TrustedProxies(settings.trusted_proxies.clone());
        let app_pools = pools.clone();
        let server = HttpServer::new(move || {
            build_app(
                app_pools.clone(),
                limits,
                auth.clone(),
                proxies.clone(),
                document.clone(),
                metrics.clone(),
                read_trail.clone(),
            )
        })
        .workers(workers)
        .shutdown_timeout(shutdown_timeout)
        .disable_signals()
        .listen(listener)
        .map_err(|e| format!("cannot start the HTTP server: {e}"))?
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            let signal = shutdown_signal().await;
            tracing::info!(signal, "stopping: no new connections; in-flight requests may finish");
            handle.stop(true).await;
        });
        Ok(Self {
            server,
            port,
            pools,
            demo_credentials,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The database pools the requests use.
    pub fn pools(&self) -> &RequestPools {
        &self.pools
    }

    /// The demo logins, when this start created them.
    pub fn demo_credentials(&self) -> Option<&DemoCredentials> {
        self.demo_credentials.as_ref()
    }

    /// A handle to stop the server from elsewhere.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or SIGINT, then lets in-flight requests finish within the grace period.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
