//! `/legal-documents`: the legal basis of coordination.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use entity::legal_documents;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audit::AuditContext;
use crate::conditional::{self, Precondition};
use crate::context::RequestContext;
use crate::domain::{Date, LegalDocumentKind};
use crate::error::ApiResult;
use crate::extract::{JsonBody, ListQuery};
use crate::pagination::{Page, PageParams};
use crate::patch::Patch;
use crate::services::{common, legal_documents as service};
use crate::sort_order;
use crate::views::legal_documents::LegalDocument;

sort_order! {
    /// Sort order of legal documents: by number (ignoring case and diacritics) or by creation; a
    /// leading `-` reverses it.
    LegalDocumentSort for legal_documents::Column {
        Number = "number", NumberDesc = "-number" => Some(legal_documents::Column::SortKey),
        CreatedAt = "created_at", CreatedAtDesc = "-created_at" => None,
    }
}

/// Filters of the legal document list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LegalDocumentListParams {
    /// Words to find in the number, title or issuer, ignoring case and diacritics.
    #[param(example = "03/2019")]
    pub q: Option<String>,
    /// Only documents of this kind.
    pub kind: Option<LegalDocumentKind>,
    /// Only documents issued on or after this day.
    pub issued_from: Option<Date>,
    /// Only documents issued before this day.
    pub issued_before: Option<Date>,
    /// Sort order (default `number`).
    #[serde(default)]
    #[param(inline)]
    pub sort: LegalDocumentSort,
}

/// A new legal document. Leave out what the source does not state.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLegalDocumentRequest {
    /// The number as printed, at most 100 characters.
    #[schema(example = "03/2019/NĐ-CP")]
    pub number: String,
    pub kind: LegalDocumentKind,
    /// The issuing body, at most 300 characters.
    #[serde(default)]
    #[schema(example = "Chính phủ")]
    pub issuer: Option<String>,
    /// The date of issue; not in the future.
    #[serde(default)]
    #[schema(example = "2019-09-05")]
    pub issued_on: Option<Date>,
    /// The title, at most 1000 characters.
    #[serde(default)]
    pub title: Option<String>,
}

/// Changes to a legal document as a JSON Merge Patch.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLegalDocumentRequest {
    #[serde(default)]
    #[schema(value_type = String)]
    pub number: Patch<String>,
    #[serde(default)]
    #[schema(value_type = LegalDocumentKind)]
    pub kind: Patch<LegalDocumentKind>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub issuer: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Date>)]
    pub issued_on: Patch<Date>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub title: Patch<String>,
}

/// List legal documents
#[utoipa::path(
    tag = "legal-documents",
    params(PageParams, LegalDocumentListParams),
    responses((status = 200, description = "One page of legal documents.", body = Page<LegalDocument>)),
)]
#[get("/legal-documents")]
pub async fn list_legal_documents(
    reads: web::Data<crate::db::Reads>,
    query: ListQuery<LegalDocumentListParams>,
) -> ApiResult<HttpResponse> {
    let (items, next) = crate::db::HeldConnection::read(&reads, async |conn| service::list(conn, &query.filter, &query.page).await).await?;
    Ok(query.respond(items, next))
}

/// Read a legal document
#[utoipa::path(
    tag = "legal-documents",
    params(("id" = Uuid, Path, description = "The legal document's id.")),
    responses((status = 200, description = "The legal document.", body = LegalDocument)),
)]
#[get("/legal-documents/{id}")]
pub async fn get_legal_document(req: HttpRequest, db: web::Data<DatabaseConnection>, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let document = LegalDocument::from_model(common::find_live::<legal_documents::Entity, _>(db.get_ref(), id.into_inner()).await?)?;
    conditional::one(&req, &document)
}

/// Create a legal document
#[utoipa::path(
    tag = "legal-documents",
    request_body = CreateLegalDocumentRequest,
    responses((status = 201, description = "The legal document was created.", body = LegalDocument)),
)]
#[post("/legal-documents")]
pub async fn create_legal_document(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    body: JsonBody<CreateLegalDocumentRequest>,
) -> ApiResult<HttpResponse> {
    let document = LegalDocument::from_model(
        common::create::<legal_documents::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), body.0.into()).await?,
    )?;
    Ok(conditional::created(
        format!("/api/v1/legal-documents/{}", document.stamp.id),
        &document,
    ))
}

/// Update a legal document
#[utoipa::path(
    tag = "legal-documents",
    params(("id" = Uuid, Path, description = "The legal document's id.")),
    request_body(content = UpdateLegalDocumentRequest, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The legal document as updated.", body = LegalDocument)),
)]
#[patch("/legal-documents/{id}")]
pub async fn update_legal_document(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
    body: JsonBody<UpdateLegalDocumentRequest>,
) -> ApiResult<HttpResponse> {
    let patch = body.0;
    let model =
        common::update::<legal_documents::Entity, _, _>(db.get_ref(), &AuditContext::of(&ctx), id.into_inner(), &precondition, |d, e| {
            patch.apply(d, e)
        })
        .await?;
    Ok(conditional::updated(&LegalDocument::from_model(model)?))
}

/// Delete a legal document
///
/// Refused while a regulation cites it.
#[utoipa::path(
    tag = "legal-documents",
    params(("id" = Uuid, Path, description = "The legal document's id.")),
    responses((status = 204, description = "The legal document was deleted.")),
)]
#[delete("/legal-documents/{id}")]
pub async fn delete_legal_document(
    ctx: RequestContext,
    db: web::Data<DatabaseConnection>,
    id: web::Path<Uuid>,
    precondition: Precondition,
) -> ApiResult<HttpResponse> {
    common::delete::<legal_documents::Entity, _>(db.get_ref(), &AuditContext::of(&ctx), id.into_inner(), &precondition).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_legal_documents)
        .service(get_legal_document)
        .service(create_legal_document)
        .service(update_legal_document)
        .service(delete_legal_document);
}
