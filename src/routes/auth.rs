//! OAuth 2.0 token endpoint (RFC 6749: password, client credentials and refresh token grants),
//! revocation (RFC 7009), the public keys (`/.well-known/jwks.json`) and `/me`.

use std::collections::HashMap;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use entity::{clients, refresh_tokens, users};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audit::{self, AuditContext};
use crate::auth::passwords::{PasswordHasherPool, digests_match, secret_digest};
use crate::auth::permissions::scopes_for_roles;
use crate::auth::rate_limit::{self, LoginLimits};
use crate::auth::tokens::{AccessGrant, TokenService};
use crate::context::RequestContext;
use crate::domain::{Classification, Role, Scope, Stored};
use crate::error::{ApiError, ApiResult};
use crate::extract::read_body;
use crate::services::common::{self, live};
use crate::text;
use crate::views::principals::{Me, missing, parse_words};

/// Largest token request body.
const MAX_BODY: usize = 8 * 1024;

/// A token request (RFC 6749 §4.3, §4.4, §6), as a form or a JSON object.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// `password`, `client_credentials` or `refresh_token`.
    #[schema(example = "password")]
    pub grant_type: String,
    /// `password` grant: the login name.
    pub username: Option<String>,
    /// `password` grant: the password.
    #[schema(format = Password)]
    pub password: Option<String>,
    /// `refresh_token` grant: the refresh token.
    pub refresh_token: Option<String>,
    /// `client_credentials` grant (or HTTP Basic): the client's id.
    pub client_id: Option<String>,
    /// `client_credentials` grant (or HTTP Basic): the client's secret.
    #[schema(format = Password)]
    pub client_secret: Option<String>,
    /// Space-separated scopes to narrow the token to; by default all the caller holds.
    pub scope: Option<String>,
}

/// A token answer (RFC 6749 §5.1).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// The access token: a JWT signed with EdDSA.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
    /// A new refresh token (`password` and `refresh_token` grants). Each can be used once: using
    /// it again revokes every token rotated from the same login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The scopes the access token carries.
    #[schema(example = "reference:read clusters:read")]
    pub scope: String,
}

/// A revocation request (RFC 7009).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RevokeRequest {
    /// The refresh token to revoke, with every token rotated from the same login.
    #[schema(min_length = 1)]
    pub token: String,
    /// `refresh_token` or `access_token` (a hint; access tokens expire on their own).
    pub token_type_hint: Option<String>,
}

/// The parameters the token and revocation endpoints read; others are ignored (RFC 6749 §3.2).
const PARAMETERS: &[&str] = &[
    "grant_type",
    "username",
    "password",
    "scope",
    "client_id",
    "client_secret",
    "refresh_token",
    "token",
    "token_type_hint",
];

/// Reads the parameters of a form or JSON body into a string map. Unrecognized parameters are
/// ignored; a recognized one given twice, not a string, or holding a control character is an
/// error (RFC 6749 §3.2). In JSON, `null` is a parameter not given.
fn parameters(req: &HttpRequest, body: &[u8]) -> ApiResult<HashMap<String, String>> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let pairs: Vec<(String, String)> = match content_type.as_str() {
        "application/x-www-form-urlencoded" => form_urlencoded::parse(body).into_owned().collect(),
        "application/json" => {
            let map: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(body).map_err(|_| invalid_request("The body is not a JSON object."))?;
            map.into_iter()
                .filter(|(k, v)| !v.is_null() && PARAMETERS.contains(&k.as_str()))
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => Ok((k, s)),
                    _ => Err(invalid_request("Every parameter must be a string or null.")),
                })
                .collect::<ApiResult<_>>()?
        }
        _ => {
            return Err(ApiError::UnsupportedMediaType {
                detail: text!(
                    en: "Send the parameters as application/x-www-form-urlencoded or application/json.",
                    vi: "Hãy gửi tham số dạng application/x-www-form-urlencoded hoặc application/json."
                ),
            });
        }
    };
    let mut map = HashMap::new();
    for (key, value) in pairs.into_iter().filter(|(k, _)| PARAMETERS.contains(&k.as_str())) {
        if value.chars().any(char::is_control) {
            return Err(invalid_request("Parameters must not contain control characters."));
        }
        if map.insert(key.clone(), value).is_some() {
            return Err(invalid_request("A parameter was given more than once."));
        }
    }
    Ok(map)
}

fn invalid_request(en: &'static str) -> ApiError {
    ApiError::oauth_request("invalid_request", crate::i18n::Text::new(en, en))
}

fn required<'a>(params: &'a HashMap<String, String>, name: &str) -> ApiResult<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::oauth_request("invalid_request", text!(en: "`{name}` is required.", vi: "Thiếu tham số `{name}`.")))
}

/// The scopes of the token: all `held`, or the requested subset of them.
fn narrow(held: Vec<Scope>, requested: Option<&String>) -> ApiResult<Vec<Scope>> {
    let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
        return Ok(held);
    };
    let mut scopes = Vec::new();
    for word in requested.split_whitespace() {
        match word.parse::<Scope>() {
            Ok(scope) if held.contains(&scope) => scopes.push(scope),
            _ => {
                return Err(ApiError::oauth_request(
                    "invalid_scope",
                    text!(en: "The scope `{word}` is unknown or not held.", vi: "Phạm vi `{word}` không tồn tại hoặc không được cấp."),
                ));
            }
        }
    }
    scopes.sort();
    scopes.dedup();
    Ok(scopes)
}

fn token_response(body: &TokenResponse) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")))
        .json(body)
}

/// Client credentials from HTTP Basic (RFC 6749 §2.3.1) or, failing that, the body.
fn client_credentials(req: &HttpRequest, params: &HashMap<String, String>) -> ApiResult<(String, String)> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| ApiError::invalid_client())?;
        let (scheme, encoded) = value.split_once(' ').ok_or_else(ApiError::invalid_client)?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(ApiError::invalid_client());
        }
        let decoded = STANDARD.decode(encoded.trim()).map_err(|_| ApiError::invalid_client())?;
        let decoded = String::from_utf8(decoded).map_err(|_| ApiError::invalid_client())?;
        let (id, secret) = decoded.split_once(':').ok_or_else(ApiError::invalid_client)?;
        let unescape = |s: &str| {
            form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        return Ok((unescape(id), unescape(secret)));
    }
    Ok((
        required(params, "client_id")?.to_owned(),
        required(params, "client_secret")?.to_owned(),
    ))
}

/// The shared state the token endpoint needs.
struct Issuer<'a> {
    db: &'a DatabaseConnection,
    tokens: &'a TokenService,
    limits: LoginLimits,
    audit: AuditContext,
}

impl Issuer<'_> {
    async fn limit(&self, key: String, limit: u32) -> ApiResult<()> {
        rate_limit::hit(self.db, &key, limit, self.limits.window_secs).await
    }

    async fn record(
        &self,
        action: &'static str,
        resource_type: &'static str,
        id: Option<Uuid>,
        changes: serde_json::Value,
    ) -> ApiResult<()> {
        let txn = common::begin_write(self.db).await?;
        let event = audit::Event {
            action,
            resource_type,
            resource_id: id,
            collection: None,
            changes,
            classification: None,
        };
        audit::record(&txn, &self.audit, event).await?;
        txn.commit().await?;
        Ok(())
    }

    /// What a user's token may carry: the scopes of its current roles, within `ceiling` (the
    /// scopes granted at login, when refreshing), narrowed to `requested`.
    fn user_grant(user: &users::Model, ceiling: Option<&str>, requested: Option<&String>) -> ApiResult<AccessGrant> {
        let roles: Vec<Role> = parse_words(&user.roles)?;
        let mut held = scopes_for_roles(&roles);
        if let Some(ceiling) = ceiling {
            let granted: Vec<Scope> = parse_words(ceiling)?;
            held.retain(|s| granted.contains(s));
        }
        Ok(AccessGrant {
            sub: user.id,
            client_id: None,
            unit_id: user.unit_id,
            scopes: narrow(held, requested)?,
            roles,
            clearance: Classification::from_stored(&user.clearance)?,
        })
    }

    /// Issues an access token and a refresh token of `family` for a user; stores the refresh token.
    async fn for_user<C: sea_orm::ConnectionTrait>(
        &self,
        db: &C,
        user: &users::Model,
        family: Uuid,
        ceiling: Option<&str>,
        requested: Option<&String>,
    ) -> ApiResult<TokenResponse> {
        let grant = Self::user_grant(user, ceiling, requested)?;
        let scope = grant.scopes.iter().map(Stored::stored).collect::<Vec<_>>().join(" ");
        let access_token = self.tokens.issue_access(grant).map_err(ApiError::internal)?;
        let (refresh_token, claims) = self.tokens.issue_refresh(user.id, family).map_err(ApiError::internal)?;
        let row = refresh_tokens::ActiveModel {
            id: Set(claims.jti),
            family_id: Set(family),
            user_id: Set(user.id),
            issued_at: Set(crate::db::now()),
            expires_at: Set(chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_default()),
            used_at: Set(None),
            revoked_at: Set(None),
            scope: Set(scope.clone()),
        };
        refresh_tokens::Entity::insert(row).exec_without_returning(db).await?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: self.tokens.access_ttl_secs,
            refresh_token: Some(refresh_token),
            scope,
        })
    }

    async fn password(&self, hasher: &PasswordHasherPool, params: &HashMap<String, String>) -> ApiResult<TokenResponse> {
        let username = required(params, "username")?.trim().to_lowercase();
        let password = required(params, "password")?.to_owned();
        self.limit(format!("account:user:{username}"), self.limits.per_account).await?;
        if username.chars().count() > 64 || password.chars().count() > 1024 {
            // No such account can exist; answered like any other failed login.
            return Err(ApiError::invalid_grant());
        }
        let user = live::<users::Entity>()
            .filter(users::Column::Username.eq(username.clone()))
            .one(self.db)
            .await?;
        let usable = user.as_ref().filter(|u| !u.disabled);
        let matched = hasher.verify(password, usable.map(|u| u.password_hash.clone())).await?;
        let Some(user) = usable.filter(|_| matched) else {
            self.record(
                "login_failed",
                "users",
                user.map(|u| u.id),
                serde_json::json!({"username": username}),
            )
            .await?;
            return Err(ApiError::invalid_grant());
        };
        let txn = common::begin_write(self.db).await?;
        let response = self.for_user(&txn, user, Uuid::now_v7(), None, params.get("scope")).await?;
        let event = common::event::<users::Entity>("login", user.id, serde_json::json!({}));
        audit::record(&txn, &self.audit.clone().acting_as("user", user.id, user.unit_id), event).await?;
        txn.commit().await?;
        Ok(response)
    }

    async fn client(&self, req: &HttpRequest, params: &HashMap<String, String>) -> ApiResult<TokenResponse> {
        let (client_id, secret) = client_credentials(req, params)?;
        // One counter per client, however its id is spelled.
        let parsed = Uuid::parse_str(&client_id).ok();
        let account = parsed.map_or_else(|| client_id.clone(), |id| id.to_string());
        self.limit(format!("account:client:{account}"), self.limits.per_account).await?;
        let digest = secret_digest(&secret);
        let client = match parsed {
            Some(id) => live::<clients::Entity>().filter(clients::Column::Id.eq(id)).one(self.db).await?,
            None => None,
        };
        let Some(client) = client.filter(|c| !c.disabled && digests_match(&c.secret_hash, &digest)) else {
            let shown: String = client_id.chars().take(64).collect();
            self.record("login_failed", "clients", parsed, serde_json::json!({"client_id": shown}))
                .await?;
            return Err(ApiError::invalid_client());
        };
        let granted: Vec<Scope> = parse_words(&client.scopes)?;
        let scopes = narrow(granted, params.get("scope"))?;
        let scope = scopes.iter().map(Stored::stored).collect::<Vec<_>>().join(" ");
        let grant = AccessGrant {
            sub: client.id,
            client_id: Some(client.id),
            unit_id: client.unit_id,
            roles: vec![Role::Integration],
            clearance: Classification::from_stored(&client.clearance)?,
            scopes,
        };
        let access_token = self.tokens.issue_access(grant).map_err(ApiError::internal)?;
        let txn = common::begin_write(self.db).await?;
        let event = common::event::<clients::Entity>("login", client.id, serde_json::json!({}));
        audit::record(&txn, &self.audit.clone().acting_as("client", client.id, client.unit_id), event).await?;
        txn.commit().await?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: self.tokens.access_ttl_secs,
            refresh_token: None,
            scope,
        })
    }

    async fn refresh(&self, params: &HashMap<String, String>) -> ApiResult<TokenResponse> {
        let token = required(params, "refresh_token")?;
        let claims = self.tokens.verify_refresh(token).map_err(|e| {
            tracing::info!(cause = %e.0, "refresh token refused");
            ApiError::invalid_grant()
        })?;
        let txn = common::begin_write(self.db).await?;
        let row = refresh_tokens::Entity::find_by_id(claims.jti)
            .lock_exclusive()
            .one(&txn)
            .await?
            .filter(|r| r.family_id == claims.fam && r.user_id == claims.sub)
            .ok_or_else(ApiError::invalid_grant)?;
        if row.revoked_at.is_some() || row.expires_at <= crate::db::now() {
            return Err(ApiError::invalid_grant());
        }
        if row.used_at.is_some() {
            // A used token presented again: someone holds a copy. End the whole family.
            revoke_family(&txn, row.family_id).await?;
            let event =
                common::event::<users::Entity>("refresh_token_reused", row.user_id, serde_json::json!({"family_id": row.family_id}));
            audit::record(&txn, &self.audit, event).await?;
            txn.commit().await?;
            return Err(ApiError::invalid_grant());
        }
        let user = live::<users::Entity>()
            .filter(users::Column::Id.eq(row.user_id))
            .one(&txn)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(ApiError::invalid_grant)?;
        refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::UsedAt, Expr::val(crate::db::now()))
            .filter(refresh_tokens::Column::Id.eq(row.id))
            .exec(&txn)
            .await?;
        let response = self
            .for_user(&txn, &user, row.family_id, Some(&row.scope), params.get("scope"))
            .await?;
        txn.commit().await?;
        Ok(response)
    }
}

/// Forgets refresh tokens that expired a day ago: a replay of one fails on its `exp` anyway.
async fn prune_refresh_tokens<C: sea_orm::ConnectionTrait>(db: &C) -> ApiResult<()> {
    refresh_tokens::Entity::delete_many()
        .filter(refresh_tokens::Column::ExpiresAt.lt(crate::db::now() - chrono::Duration::days(1)))
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every token of a refresh-token family; returns how many were still usable.
async fn revoke_family<C: sea_orm::ConnectionTrait>(db: &C, family: Uuid) -> ApiResult<u64> {
    let result = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::val(crate::db::now()))
        .filter(refresh_tokens::Column::FamilyId.eq(family))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Obtain an access token
///
/// OAuth 2.0 token endpoint. `grant_type=password` (with `username`, `password`) for people;
/// `client_credentials` (with `client_id`, `client_secret`, or HTTP Basic) for agency systems;
/// `refresh_token` to exchange a refresh token for new tokens. Parameters come as a form or as a
/// JSON object. Errors carry the RFC 6749 `error` and `error_description` beside the problem
/// fields; wrong credentials never say whether the account exists. Rate limited per client
/// address and per account (429 with `Retry-After`).
#[utoipa::path(
    tag = "auth",
    request_body(content(
        (TokenRequest = "application/x-www-form-urlencoded"),
        (TokenRequest = "application/json"),
    )),
    responses(
        (status = 200, description = "The tokens.", body = TokenResponse),
        (status = 400, description = "`invalid_request`, `invalid_grant`, `unsupported_grant_type` or `invalid_scope`.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_client`: the client id or secret is wrong.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is neither a form nor JSON.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; retry after `Retry-After` seconds.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/auth/token")]
pub async fn issue_token(
    req: HttpRequest,
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    tokens: web::Data<TokenService>,
    hasher: web::Data<PasswordHasherPool>,
    limits: web::Data<LoginLimits>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let issuer = Issuer {
        db: db.get_ref(),
        tokens: tokens.get_ref(),
        limits: *limits.get_ref(),
        audit: AuditContext::of(&ctx),
    };
    rate_limit::prune(db.get_ref(), 2 * 86_400).await?;
    prune_refresh_tokens(db.get_ref()).await?;
    issuer
        .limit(rate_limit::address_key(ctx.client_addr.as_deref()), issuer.limits.per_address)
        .await?;
    let params = parameters(&req, &read_body(&req, payload.into_inner(), MAX_BODY).await?)?;
    let response = match required(&params, "grant_type")? {
        "password" => issuer.password(&hasher, &params).await?,
        "client_credentials" => issuer.client(&req, &params).await?,
        "refresh_token" => issuer.refresh(&params).await?,
        other => {
            return Err(ApiError::oauth_request(
                "unsupported_grant_type",
                text!(
                    en: "The grant type `{other}` is not supported; use password, client_credentials or refresh_token.",
                    vi: "Không hỗ trợ grant_type `{other}`; hãy dùng password, client_credentials hoặc refresh_token."
                ),
            ));
        }
    };
    Ok(token_response(&response))
}

/// Revoke a refresh token
///
/// RFC 7009. Revokes the refresh token and every token rotated from the same login. Answers 200
/// whether or not the token was valid, so the answer reveals nothing. Access tokens cannot be
/// revoked: they expire within minutes.
#[utoipa::path(
    tag = "auth",
    request_body(content(
        (RevokeRequest = "application/x-www-form-urlencoded"),
        (RevokeRequest = "application/json"),
    )),
    responses(
        (status = 200, description = "The token is no longer usable (or never was)."),
        (status = 400, description = "`invalid_request`: no `token`.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this address; retry after `Retry-After` seconds.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is neither a form nor JSON.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/auth/revoke")]
pub async fn revoke_token(
    req: HttpRequest,
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    tokens: web::Data<TokenService>,
    limits: web::Data<LoginLimits>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let key = rate_limit::address_key(ctx.client_addr.as_deref());
    rate_limit::hit(db.get_ref(), &key, limits.per_address, limits.window_secs).await?;
    let params = parameters(&req, &read_body(&req, payload.into_inner(), MAX_BODY).await?)?;
    let token = required(&params, "token")?;
    if let Ok(claims) = tokens.verify_refresh(token) {
        let txn = common::begin_write(db.get_ref()).await?;
        // Only a revocation that ended something is recorded.
        if revoke_family(&txn, claims.fam).await? > 0 {
            let event = common::event::<users::Entity>("sessions_revoked", claims.sub, serde_json::json!({"family_id": claims.fam}));
            audit::record(&txn, &AuditContext::of(&ctx), event).await?;
        }
        txn.commit().await?;
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .finish())
}

/// Token verification keys
///
/// The public keys that verify access tokens, as a JSON Web Key Set (RFC 7517), so other systems
/// can verify tokens offline. During a key rotation it lists the old and the new key.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, description = "The JSON Web Key Set.", body = Object, content_type = "application/json")),
)]
#[get("/.well-known/jwks.json")]
pub async fn get_jwks(tokens: web::Data<TokenService>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300")))
        .json(tokens.keys().jwks())
}

/// Who am I
///
/// The caller as its access token describes it, with the user's login name or the client's name.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, description = "The caller.", body = Me)),
)]
#[get("/me")]
pub async fn get_me(ctx: RequestContext, db: web::Data<DatabaseConnection>) -> ApiResult<HttpResponse> {
    let p = ctx.principal()?;
    let name = match p.kind {
        crate::auth::PrincipalKind::User => {
            live::<users::Entity>()
                .filter(users::Column::Id.eq(p.id))
                .one(db.get_ref())
                .await?
                .ok_or_else(missing)?
                .username
        }
        crate::auth::PrincipalKind::Client => {
            live::<clients::Entity>()
                .filter(clients::Column::Id.eq(p.id))
                .one(db.get_ref())
                .await?
                .ok_or_else(missing)?
                .name
        }
    };
    Ok(HttpResponse::Ok().json(Me {
        kind: p.kind.as_str().to_owned(),
        id: p.id,
        unit_id: p.unit_id,
        roles: p.roles.clone(),
        clearance: p.clearance,
        scopes: p.scopes.clone(),
        name,
    }))
}

/// Registers the `/api/v1` operations of this module.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(issue_token).service(revoke_token).service(get_me);
}

/// Registers the well-known keys outside `/api/v1`.
pub fn configure_well_known(cfg: &mut ServiceConfig) {
    cfg.service(get_jwks);
}
