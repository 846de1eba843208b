//! `/users`: the people who call the API. Administrators only.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use entity::users;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audit::AuditContext;
use crate::auth::passwords::{PasswordHasherPool, password_problem};
use crate::conditional::{self, Precondition};
use crate::context::RequestContext;
use crate::domain::{Classification, Role};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::{JsonBody, ListQuery};
use crate::pagination::{Page, PageParams};
use crate::patch::Patch;
use crate::services::{common, users as service};
use crate::sort_order;
use crate::views::principals::User;

sort_order! {
    /// Sort order of users: by login name or by creation; a leading `-` reverses it.
    UserSort for users::Column {
        Username = "username", UsernameDesc = "-username" => Some(users::Column::SortKey),
        CreatedAt = "created_at", CreatedAtDesc = "-created_at" => None,
    }
}

/// Filters of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    /// Words to find in the login or display name, ignoring case and diacritics.
    pub q: Option<String>,
    pub unit_id: Option<Uuid>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    /// Sort order (default `username`).
    #[serde(default)]
    #[param(inline)]
    pub sort: UserSort,
}

/// A new user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// 3–64 characters of `a-z 0-9 . _ -`; stored in lowercase; cannot change later.
    #[schema(example = "officer.vanlam")]
    pub username: String,
    /// At most 200 characters.
    #[schema(example = "Trần Thị Bình")]
    pub display_name: String,
    pub unit_id: Uuid,
    /// At least one; `integration` is for clients only.
    pub roles: Vec<Role>,
    /// Defaults to `internal`.
    #[serde(default)]
    pub clearance: Option<Classification>,
    /// 12–200 characters.
    #[schema(example = "a long passphrase of words", format = Password, min_length = 12, max_length = 200)]
    pub password: String,
}

/// Changes to a user as a JSON Merge Patch. Any change ends the user's sessions (its refresh
/// tokens are revoked).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[serde(default)]
    #[schema(value_type = String)]
    pub display_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Uuid)]
    pub unit_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Vec<Role>)]
    pub roles: Patch<Vec<Role>>,
    #[serde(default)]
    #[schema(value_type = Classification)]
    pub clearance: Patch<Classification>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pub disabled: Patch<bool>,
    /// A new password, 12–200 characters.
    #[serde(default)]
    #[schema(value_type = String, format = Password, min_length = 12, max_length = 200)]
    pub password: Patch<String>,
}

const USER_ID: &str = "The user's id.";

/// Checks and hashes a new password; a field error names `password`.
async fn hash_password(hasher: &PasswordHasherPool, password: String) -> ApiResult<String> {
    if let Some(problem) = password_problem(&password) {
        return Err(ApiError::validation(vec![FieldError::invalid("password", problem)]));
    }
    hasher.hash(password).await
}

/// List users
#[utoipa::path(
    tag = "principals",
    params(PageParams, UserListParams),
    responses((status = 200, description = "One page of users.", body = Page<User>)),
)]
#[get("/users")]
pub async fn list_users(reads: web::Data<crate::db::Reads>, query: ListQuery<UserListParams>) -> ApiResult<HttpResponse> {
    let (items, next) = crate::db::HeldConnection::read(&reads, async |conn| service::list(conn, &query.filter, &query.page).await).await?;
    Ok(query.respond(items, next))
}

/// Read a user
#[utoipa::path(
    tag = "principals",
    params(("id" = Uuid, Path, description = USER_ID)),
    responses((status = 200, description = "The user.", body = User)),
)]
#[get("/users/{id}")]
pub async fn get_user(req: HttpRequest, db: web::Data<DatabaseConnection>, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let model = common::find_live::<users::Entity, _>(db.get_ref(), id.into_inner()).await?;
    conditional::one(&req, &User::from_model(model)?)
}

/// Create a user
#[utoipa::path(
    tag = "principals",
    request_body = CreateUserRequest,
    responses((status = 201, description = "The user was created.", body = User)),
)]
#[post("/users")]
pub async fn create_user(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    hasher: web::Data<PasswordHasherPool>,
    body: JsonBody<CreateUserRequest>,
) -> ApiResult<HttpResponse> {
    let mut request = body.0;
    let password = std::mem::take(&mut request.password);
    let hash = hash_password(&hasher, password).await?;
    let model = common::create::<users::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), service::UserDraft::new(request, hash)).await?;
    let user = User::from_model(model)?;
    Ok(conditional::created(format!("/api/v1/users/{}", user.stamp.id), &user))
}

/// Update a user
#[utoipa::path(
    tag = "principals",
    params(("id" = Uuid, Path, description = USER_ID)),
    request_body(content = UpdateUserRequest, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The user as updated.", body = User)),
)]
#[patch("/users/{id}")]
pub async fn update_user(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    hasher: web::Data<PasswordHasherPool>,
    id: web::Path<Uuid>,
    precondition: Precondition,
    body: JsonBody<UpdateUserRequest>,
) -> ApiResult<HttpResponse> {
    let mut patch = body.0;
    let new_hash = match std::mem::take(&mut patch.password) {
        Patch::Value(password) => Some(hash_password(&hasher, password).await?),
        Patch::Null => return Err(ApiError::validation(vec![FieldError::not_null("password")])),
        Patch::Absent => None,
    };
    let model = common::update::<users::Entity, _, _>(db.get_ref(), &AuditContext::of(&ctx), id.into_inner(), &precondition, |d, e| {
        patch.apply(d, new_hash, e)
    })
    .await?;
    Ok(conditional::updated(&User::from_model(model)?))
}

/// Delete a user
///
/// The user can no longer log in and its sessions end; its audit history stays. The login name
/// stays taken.
#[utoipa::path(
    tag = "principals",
    params(("id" = Uuid, Path, description = USER_ID)),
    responses((status = 204, description = "The user was deleted.")),
)]
#[delete("/users/{id}")]
pub async fn delete_user(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
) -> ApiResult<HttpResponse> {
    common::delete::<users::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), id.into_inner(), &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(get_user)
        .service(create_user)
        .service(update_user)
        .service(delete_user);
}
