//! `/clients`: agency systems that call the API with their own credentials. Administrators only.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use entity::clients;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audit::AuditContext;
use crate::conditional::{self, Precondition};
use crate::context::RequestContext;
use crate::domain::{Classification, Scope};
use crate::error::ApiResult;
use crate::extract::{JsonBody, ListQuery};
use crate::pagination::{Page, PageParams};
use crate::patch::Patch;
use crate::services::{clients as service, common};
use crate::sort_order;
use crate::views::principals::{Client, ClientWithSecret};

sort_order! {
    /// Sort order of clients: by name or by creation; a leading `-` reverses it.
    ClientSort for clients::Column {
        Name = "name", NameDesc = "-name" => Some(clients::Column::SortKey),
        CreatedAt = "created_at", CreatedAtDesc = "-created_at" => None,
    }
}

/// Filters of the client list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClientListParams {
    /// Words to find in the name, ignoring case and diacritics.
    pub q: Option<String>,
    pub unit_id: Option<Uuid>,
    /// Sort order (default `name`).
    #[serde(default)]
    #[param(inline)]
    pub sort: ClientSort,
}

/// A new agency client. Its secret is generated and shown once, in the answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClientRequest {
    /// At most 200 characters.
    #[schema(example = "Hệ thống báo cáo Công an tỉnh Hưng Yên")]
    pub name: String,
    /// The unit operating the system.
    pub unit_id: Uuid,
    /// At least one of `reference:read`, `reference:write`, `clusters:read`, `clusters:write`.
    pub scopes: Vec<Scope>,
    /// The clusters whose records the client may see (at most 500).
    #[serde(default)]
    pub cluster_ids: Vec<Uuid>,
    /// Defaults to `internal`.
    #[serde(default)]
    pub clearance: Option<Classification>,
}

/// Changes to a client as a JSON Merge Patch. The secret changes through
/// `POST /clients/{id}/secret`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClientRequest {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Uuid)]
    pub unit_id: Patch<Uuid>,
    #[serde(default)]
    #[schema(value_type = Vec<Scope>)]
    pub scopes: Patch<Vec<Scope>>,
    #[serde(default)]
    #[schema(value_type = Vec<Uuid>)]
    pub cluster_ids: Patch<Vec<Uuid>>,
    #[serde(default)]
    #[schema(value_type = Classification)]
    pub clearance: Patch<Classification>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pub disabled: Patch<bool>,
}

const CLIENT_ID: &str = "The client's id (its `client_id`).";

/// A response holding a secret: never cached.
fn secret_response(mut response: HttpResponse) -> HttpResponse {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

/// List agency clients
#[utoipa::path(
    tag = "principals",
    params(PageParams, ClientListParams),
    responses((status = 200, description = "One page of clients.", body = Page<Client>)),
)]
#[get("/clients")]
pub async fn list_clients(reads: web::Data<crate::db::Reads>, query: ListQuery<ClientListParams>) -> ApiResult<HttpResponse> {
    let (items, next) = crate::db::HeldConnection::read(&reads, async |conn| service::list(conn, &query.filter, &query.page).await).await?;
    Ok(query.respond(items, next))
}

/// Read an agency client
#[utoipa::path(
    tag = "principals",
    params(("id" = Uuid, Path, description = CLIENT_ID)),
    responses((status = 200, description = "The client, without its secret.", body = Client)),
)]
#[get("/clients/{id}")]
pub async fn get_client(req: HttpRequest, reads: web::Data<crate::db::Reads>, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let view = crate::db::HeldConnection::read(&reads, async |conn| {
        let model = common::find_live::<clients::Entity, _>(conn, id.into_inner()).await?;
        service::view(conn, model).await
    })
    .await?;
    conditional::one(&req, &view)
}

/// Register an agency client
///
/// The answer holds the client secret; it is shown this once.
#[utoipa::path(
    tag = "principals",
    request_body = CreateClientRequest,
    responses((status = 201, description = "The client was registered; store its secret now.", body = ClientWithSecret)),
)]
#[post("/clients")]
pub async fn create_client(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    body: JsonBody<CreateClientRequest>,
) -> ApiResult<HttpResponse> {
    let (secret, digest) = service::new_secret()?;
    let model =
        common::create::<clients::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), service::ClientDraft::new(body.0, digest)).await?;
    let client = ClientWithSecret {
        client: service::view(db.get_ref(), model).await?,
        client_secret: secret,
    };
    Ok(secret_response(conditional::created(
        format!("/api/v1/clients/{}", client.client.stamp.id),
        &client,
    )))
}

/// Rotate an agency client's secret
///
/// A new secret replaces the old one at once; the answer shows it this once. Access tokens
/// already issued stay valid until they expire.
#[utoipa::path(
    tag = "principals",
    params(("id" = Uuid, Path, description = CLIENT_ID)),
    responses((status = 200, description = "The client with its new secret.", body = ClientWithSecret)),
)]
#[post("/clients/{id}/secret")]
pub async fn rotate_client_secret(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
) -> ApiResult<HttpResponse> {
    let (secret, digest) = service::new_secret()?;
    let model = common::update::<clients::Entity, _, _>(db.get_ref(), &AuditContext::of(&ctx), id.into_inner(), &precondition, |d, _| {
        d.secret_hash = digest
    })
    .await?;
    let client = ClientWithSecret {
        client: service::view(db.get_ref(), model).await?,
        client_secret: secret,
    };
    Ok(secret_response(conditional::updated(&client)))
}

/// Update an agency client
#[utoipa::path(
    tag = "principals",
    params(("id" = Uuid, Path, description = CLIENT_ID)),
    request_body(content = UpdateClientRequest, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The client as updated.", body = Client)),
)]
#[patch("/clients/{id}")]
pub async fn update_client(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
    body: JsonBody<UpdateClientRequest>,
) -> ApiResult<HttpResponse> {
    let patch = body.0;
    let model = common::update::<clients::Entity, _, _>(db.get_ref(), &AuditContext::of(&ctx), id.into_inner(), &precondition, |d, e| {
        patch.apply(d, e)
    })
    .await?;
    Ok(conditional::updated(&service::view(db.get_ref(), model).await?))
}

/// Delete an agency client
///
/// The client can no longer obtain tokens; tokens already issued expire on their own.
#[utoipa::path(
    tag = "principals",
    params(("id" = Uuid, Path, description = CLIENT_ID)),
    responses((status = 204, description = "The client was deleted.")),
)]
#[delete("/clients/{id}")]
pub async fn delete_client(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
) -> ApiResult<HttpResponse> {
    common::delete::<clients::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), id.into_inner(), &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_clients)
        .service(get_client)
        .service(create_client)
        .service(rotate_client_secret)
        .service(update_client)
        .service(delete_client);
}
