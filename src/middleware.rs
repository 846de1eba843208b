//! The outermost request middleware: assigns the request id, negotiates the language, logs the
//! request, turns every error (including panics and framework rejections) into problem+json.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{HttpMessage, HttpResponse};
use futures_util::FutureExt;
use tracing::Instrument;

use crate::audit::ReadTrail;
use crate::auth::Principal;
use crate::auth::permissions::{self, Access};
use crate::auth::tokens::TokenService;
use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult, FieldError, PROBLEM_JSON};
use crate::i18n::Lang;
use crate::metrics::{Metrics, NO_OPERATION};
use crate::text;

/// Header carrying the request id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Assigns the request id and language, logs the request, and renders all errors as problem+json.
pub async fn request_context(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id = incoming_request_id(&req).unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let lang = Lang::negotiate(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let client_addr = client_address(&req);
    req.extensions_mut().insert(RequestContext {
        request_id: request_id.clone(),
        lang,
        principal: None,
        client_addr,
        read_trail: req.app_data::<Data<ReadTrail>>().map(|trail| trail.get_ref().clone()),
    });

    let span = tracing::info_span!("request", request_id = %request_id);
    let method = req.method().clone();
    let path = req.path().to_owned();
    let started = Instant::now();
    // HEAD is answered like GET, without the body.
    let head = method == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
    }

    // The documented operation the request is for: what it is checked against, and what metrics
    // count it under. The path is the one the router matches (percent-escapes of ordinary
    // characters decoded), so `/api/v1/user%73` is looked up as the `/api/v1/users` it will be
    // routed to.
    let table = req.app_data::<Data<RouteTable>>().cloned();
    let found = table
        .as_deref()
        .and_then(|table| table.operation(req.match_info().as_str(), req.method()));
    let operation = found.map(|(id, _)| id);
    let metrics = req.app_data::<Data<Metrics>>().cloned();
    let precheck = admit(&req, found);
    if let Ok(Some(principal)) = &precheck
        && let Some(ctx) = req.extensions_mut().get_mut::<RequestContext>()
    {
        ctx.principal = Some(principal.clone());
    }
    let failure = match precheck {
        Err(e) => Ok(req.into_response(span.in_scope(|| finish_error(&e, lang, &request_id, &path)))),
        Ok(_) => match AssertUnwindSafe(next.call(req)).catch_unwind().instrument(span.clone()).await {
            Ok(Ok(res)) => Ok(res.map_body(|_, body| body.boxed())),
            Ok(Err(err)) => Err(err
                .as_error::<ApiError>()
                .cloned()
                .unwrap_or_else(|| ApiError::Status(err.as_response_error().status_code()))),
            Err(panic) => Err(ApiError::internal(format!("panic: {}", panic_message(&panic)))),
        },
    };
    let log = |status: StatusCode| {
        let elapsed = started.elapsed();
        let elapsed_ms = (elapsed.as_secs_f64() * 1_000_000.0).round() / 1000.0;
        span.in_scope(|| tracing::info!(%method, %path, status = status.as_u16(), elapsed_ms, "request"));
        if let Some(metrics) = &metrics {
            metrics.observe(operation.unwrap_or(NO_OPERATION), &method, status, elapsed);
        }
    };
    let mut response = match failure {
        Ok(response) => response,
        // The request went with the failed call, so this answer leaves through actix's error
        // path; `Rendered` carries the finished problem response there unchanged.
        Err(api_error) => {
            let rendered = span.in_scope(|| Rendered::new(&api_error, lang, &request_id, &path));
            log(rendered.status);
            return Err(rendered.into());
        }
    };
    if response.status().is_client_error() || response.status().is_server_error() {
        let (request, plain) = response.into_parts();
        let rendered = span.in_scope(|| render_problem(plain, lang, &request_id, &path));
        response = ServiceResponse::new(request, rendered);
    }

    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID, value);
    }
    for (name, value) in PROTECTIVE_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    }

    log(response.status());
    if head {
        response = response.map_body(|_, _| BoxBody::new(()));
    }
    Ok(response)
}

/// The trusted reverse proxies, registered as app data.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<std::net::IpAddr>);

/// The caller's address: the connection's peer, or, when the peer is a trusted proxy, the last
/// address in `X-Forwarded-For` that is not a trusted proxy (what a proxy appends cannot be
/// forged by the client; what comes before it can).
fn client_address(req: &ServiceRequest) -> Option<String> {
    let peer = req.peer_addr()?.ip();
    let trusted = req.app_data::<Data<TrustedProxies>>().map(|t| t.0.as_slice()).unwrap_or(&[]);
    if !trusted.contains(&peer) {
        return Some(peer.to_string());
    }
    let forwarded: Vec<std::net::IpAddr> = req
        .headers()
        .get_all(HeaderName::from_static("x-forwarded-for"))
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    let client = forwarded.into_iter().rev().find(|a| !trusted.contains(a)).unwrap_or(peer);
    Some(client.to_string())
}

/// Accepts a caller's `X-Request-Id` when it is a short token of safe characters, so ids can be
/// followed across systems without letting callers inject text into the logs.
fn incoming_request_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(REQUEST_ID)?.to_str().ok()?;
    let ok = !value.is_empty() && value.len() <= 64 && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    ok.then(|| value.to_owned())
}

/// Re-renders error responses as problem+json in the negotiated language with the request id.
fn render_problem(response: HttpResponse, lang: Lang, request_id: &str, path: &str) -> HttpResponse {
    let status = response.status();
    let api_error = match response.error().and_then(|e| e.as_error::<ApiError>()) {
        Some(api_error) => api_error.clone(),
        None if is_problem(&response) => return response,
        None => ApiError::Status(status),
    };
    let mut rendered = finish_error(&api_error, lang, request_id, path);
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH && !rendered.headers().contains_key(name) {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rendered
}

/// Authenticates and authorizes the request against the permission table of its operation
/// (`found`: the operation's id and query parameters, when the path and method are documented),
/// and checks its query parameters; returns the caller when the operation needs one.
fn admit(req: &ServiceRequest, found: Option<(&str, &[String])>) -> ApiResult<Option<Principal>> {
    let Some((operation, query)) = found else {
        return Ok(None);
    };
    let Some(permission) = permissions::lookup(operation) else {
        return Err(ApiError::internal(format!(
            "operation {operation} has no row in the permission table"
        )));
    };
    let principal = if permission.access == Access::Public {
        None
    } else {
        let tokens = req
            .app_data::<Data<TokenService>>()
            .ok_or_else(|| ApiError::internal("no token service configured"))?;
        let token = bearer_token(req)?;
        let claims = tokens.verify_access(token).map_err(|e| ApiError::unauthorized(e.0, true))?;
        let principal = Principal::from_claims(&claims).map_err(|e| ApiError::unauthorized(e, true))?;
        permissions::authorize(permission, &principal)?;
        Some(principal)
    };
    check_query(query, req.query_string())?;
    Ok(principal)
}

/// The token of the one `Authorization: Bearer …` header.
fn bearer_token(req: &ServiceRequest) -> ApiResult<&str> {
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let (Some(value), None) = (values.next(), values.next()) else {
        let given = req.headers().contains_key(header::AUTHORIZATION);
        return Err(ApiError::unauthorized("no single Authorization header", given));
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("Authorization is not text", true))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::unauthorized("Authorization has no scheme", true))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::unauthorized(format!("scheme {scheme:?} is not Bearer"), true));
    }
    let shaped =
        !token.is_empty() && token.len() <= 8192 && token.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !shaped {
        return Err(ApiError::unauthorized("the bearer token is not a JWT", true));
    }
    Ok(token)
}

fn finish_error(error: &ApiError, lang: Lang, request_id: &str, path: &str) -> HttpResponse {
    match error {
        ApiError::Unauthorized { cause, .. } => tracing::info!(%cause, "token refused"),
        ApiError::Internal { cause } => tracing::error!(%cause, "internal error"),
        ApiError::Unavailable { cause, .. } => tracing::warn!(%cause, "dependency unavailable"),
        _ => {}
    }
    error.to_response(lang, Some(request_id), Some(path))
}

fn is_problem(response: &HttpResponse) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(PROBLEM_JSON.as_bytes()))
}

/// A finished problem response travelling as an error.
#[derive(Debug)]
struct Rendered {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: actix_web::web::Bytes,
}

/// Headers every answer carries: browsers neither guess content types nor show a page of the
/// service (Swagger UI) inside another site's frame.
const PROTECTIVE_HEADERS: [(HeaderName, &str); 3] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
];

impl Rendered {
    fn new(error: &ApiError, lang: Lang, request_id: &str, path: &str) -> Self {
        let response = finish_error(error, lang, request_id, path);
        let status = response.status();
        let mut headers: Vec<(HeaderName, HeaderValue)> = response.headers().iter().map(|(n, v)| (n.clone(), v.clone())).collect();
        if let Ok(value) = HeaderValue::from_str(request_id) {
            headers.push((REQUEST_ID, value));
        }
        headers.extend(PROTECTIVE_HEADERS.map(|(name, value)| (name, HeaderValue::from_static(value))));
        let body = match response.into_body().try_into_bytes() {
            Ok(bytes) => bytes,
            Err(_) => actix_web::web::Bytes::new(),
        };
        Self { status, headers, body }
    }
}

impl std::fmt::Display for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)
    }
}

impl actix_web::ResponseError for Rendered {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        for (name, value) in &self.headers {
            response.insert_header((name.clone(), value.clone()));
        }
        response.body(self.body.clone())
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

/// The documented operations: each path template with its methods and the query parameters
/// each method takes. Built from the generated OpenAPI document, so it follows the routes; it
/// tells "no such path" (404) from "no such method here" (405) and rejects stray parameters.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
}

#[derive(Debug, Clone)]
struct Route {
    /// Literal segments, or `None` for a `{parameter}`.
    segments: Vec<Option<String>>,
    /// Methods with their operation id and the names of their query parameters.
    operations: Vec<(Method, String, Vec<String>)>,
}

impl RouteTable {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::path::ParameterIn;
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(|s| (!s.starts_with('{')).then(|| s.to_owned())).collect();
                let operations = [
                    (Method::GET, &item.get),
                    (Method::POST, &item.post),
                    (Method::PUT, &item.put),
                    (Method::PATCH, &item.patch),
                    (Method::DELETE, &item.delete),
                ]
                .into_iter()
                .filter_map(|(method, op)| {
                    let query = op
                        .as_ref()?
                        .parameters
                        .iter()
                        .flatten()
                        .filter_map(|p| match p {
                            RefOr::T(p) if p.parameter_in == ParameterIn::Query => Some(p.name.clone()),
                            _ => None,
                        })
                        .collect();
                    Some((method, op.as_ref()?.operation_id.clone().unwrap_or_default(), query))
                })
                .collect();
                Route { segments, operations }
            })
            .collect();
        Self { routes }
    }

    fn route(&self, path: &str) -> Option<&Route> {
        let segments: Vec<&str> = path.split('/').collect();
        self.routes.iter().find(|route| {
            route.segments.len() == segments.len()
                && route
                    .segments
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t.as_deref().map_or(!s.is_empty(), |t| t == *s))
        })
    }

    /// The methods a documented path template matching `path` supports (HEAD wherever GET is).
    fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let route = self.route(path)?;
        let mut methods: Vec<String> = route.operations.iter().map(|(m, _, _)| m.to_string()).collect();
        if route.operations.iter().any(|(m, _, _)| *m == Method::GET) {
            methods.insert(1, Method::HEAD.to_string());
        }
        Some(methods)
    }

    /// The operation id and query parameter names of a documented operation.
    fn operation(&self, path: &str, method: &Method) -> Option<(&str, &[String])> {
        self.route(path)?
            .operations
            .iter()
            .find(|(m, _, _)| m == method)
            .map(|(_, id, query)| (id.as_str(), query.as_slice()))
    }
}

/// Refuses query parameters the operation does not take, and values holding control characters,
/// naming the parameter.
fn check_query(known: &[String], query: &str) -> ApiResult<()> {
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if !known.iter().any(|k| *k == name) {
            let expected = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
            return Err(ApiError::bad_field(FieldError::new(
                name.into_owned(),
                "unknown_field",
                text!(
                    en: "This operation takes no such parameter; it takes: {expected}.",
                    vi: "Thao tác này không có tham số này; các tham số hợp lệ: {expected}."
                ),
            )));
        }
        if value.chars().any(char::is_control) {
            return Err(ApiError::bad_field(FieldError::invalid(
                name.into_owned(),
                text!(en: "Must not contain control characters.", vi: "Không được chứa ký tự điều khiển."),
            )));
        }
    }
    Ok(())
}

/// The fallback for requests no route matches: 405 when the path exists with other methods,
/// 404 otherwise.
pub async fn no_route(req: actix_web::HttpRequest, table: Option<actix_web::web::Data<RouteTable>>) -> Result<HttpResponse, ApiError> {
    match table.as_ref().and_then(|t| t.allowed(req.match_info().as_str())) {
        Some(allowed) => Err(ApiError::MethodNotAllowed { allowed }),
        None => Err(ApiError::Status(StatusCode::NOT_FOUND)),
    }
}
