//! `ApiError`, the one error type of the API, and its RFC 9457 `application/problem+json` form.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::{Lang, Noun, Text};
use crate::text;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Shorthand for results of handlers and services.
pub type ApiResult<T> = Result<T, ApiError>;

/// One problem with one input field (a body member, a query parameter or a header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: Text,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: Text) -> Self {
        Self {
            field: field.into(),
            code,
            message,
        }
    }

    pub fn required(field: impl Into<String>) -> Self {
        Self::new(
            field,
            "required",
            text!(en: "This field is required.", vi: "Trường này là bắt buộc."),
        )
    }

    pub fn blank(field: impl Into<String>) -> Self {
        Self::new(field, "blank", text!(en: "Must not be blank.", vi: "Không được để trống."))
    }

    pub fn too_long(field: impl Into<String>, max: usize) -> Self {
        Self::new(
            field,
            "too_long",
            text!(en: "Must be at most {max} characters long.", vi: "Không được dài quá {max} ký tự."),
        )
    }

    pub fn out_of_range(field: impl Into<String>, min: i64, max: i64) -> Self {
        Self::new(
            field,
            "out_of_range",
            text!(en: "Must be between {min} and {max}.", vi: "Phải nằm trong khoảng từ {min} đến {max}."),
        )
    }

    pub fn not_null(field: impl Into<String>) -> Self {
        Self::new(field, "not_nullable", text!(en: "Must not be null.", vi: "Không được để null."))
    }

    pub fn invalid(field: impl Into<String>, message: Text) -> Self {
        Self::new(field, "invalid_value", message)
    }

    /// A date that must not come before another field's date.
    pub fn date_order(field: impl Into<String>, earlier_field: &str) -> Self {
        Self::new(
            field,
            "date_order",
            text!(
                en: "Must be later than `{earlier_field}`.",
                vi: "Phải sau ngày ở trường `{earlier_field}`."
            ),
        )
    }

    /// A reference to a record that does not exist (or is not visible).
    pub fn unknown_reference(field: impl Into<String>, resource: Noun) -> Self {
        let Noun { en, vi } = resource;
        Self::new(
            field,
            "unknown_reference",
            text!(en: "No such {en} exists.", vi: "Không tồn tại {vi} này."),
        )
    }
}

/// Every way a request can fail. Handlers and services return it; it renders as problem+json.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The request is not well-formed: not JSON, wrong types, unknown fields, bad parameters.
    #[error("bad request: {detail}")]
    BadRequest { detail: Text, errors: Vec<FieldError> },
    /// Well-formed input that breaks a rule.
    #[error("validation failed: {errors:?}")]
    Validation { errors: Vec<FieldError> },
    #[error("not found: {detail}")]
    NotFound { detail: Text },
    /// The path exists but not with this method; `allowed` lists the methods it has.
    #[error("method not allowed")]
    MethodNotAllowed { allowed: Vec<String> },
    #[error("conflict: {detail}")]
    Conflict {
        code: &'static str,
        detail: Text,
        errors: Vec<FieldError>,
    },
    #[error("precondition failed: {detail}")]
    PreconditionFailed { detail: Text },
    #[error("payload too large (limit {limit} bytes)")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type: {detail}")]
    UnsupportedMediaType { detail: Text },
    /// The same `Idempotency-Key` was sent earlier with a different request.
    #[error("idempotency key reused with a different request")]
    IdempotencyKeyReused,
    /// A dependency (the database) is unreachable or saturated; the client should retry later.
    #[error("service unavailable: {cause}")]
    Unavailable { cause: String, retry_after_secs: u32 },
    /// No usable credentials: no token, or one that fails validation (the cause is logged only).
    #[error("unauthorized: {cause}")]
    Unauthorized { cause: String, token_given: bool },
    /// The caller's role or scopes do not allow the action.
    #[error("forbidden: {detail}")]
    Forbidden { detail: Text },
    /// Too many attempts; retry after the given seconds.
    #[error("rate limited")]
    RateLimited { retry_after_secs: u32 },
    /// An OAuth 2.0 token endpoint error (RFC 6749 §5.2): `error` is the RFC's error code.
    #[error("oauth error {error}")]
    OAuth {
        status: StatusCode,
        error: &'static str,
        detail: Text,
    },
    /// A bug or an unexpected failure; the cause is logged, never shown.
    #[error("internal error: {cause}")]
    Internal { cause: String },
    /// An error produced outside the API's own code (the framework), known only by its status.
    #[error("http error {0}")]
    Status(StatusCode),
}

impl ApiError {
    pub fn bad_request(detail: Text) -> Self {
        ApiError::BadRequest {
            detail,
            errors: Vec::new(),
        }
    }

    pub fn bad_field(error: FieldError) -> Self {
        ApiError::BadRequest {
            detail: error.message.clone(),
            errors: vec![error],
        }
    }

    pub fn not_found(resource: Noun) -> Self {
        let Noun { en, vi } = resource;
        ApiError::NotFound {
            detail: text!(en: "The {en} does not exist.", vi: "Không tìm thấy {vi}."),
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        ApiError::Validation { errors }
    }

    pub fn conflict(detail: Text) -> Self {
        ApiError::Conflict {
            code: "conflict",
            detail,
            errors: Vec::new(),
        }
    }

    pub fn conflict_on(field: impl Into<String>, detail: Text) -> Self {
        let error = FieldError::new(field, "conflict", detail.clone());
        ApiError::Conflict {
            code: "conflict",
            detail,
            errors: vec![error],
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal { cause: cause.to_string() }
    }

    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        ApiError::Unavailable {
            cause: cause.to_string(),
            retry_after_secs: 5,
        }
    }

    /// A bad or missing bearer token.
    pub fn unauthorized(cause: impl std::fmt::Display, token_given: bool) -> Self {
        ApiError::Unauthorized {
            cause: cause.to_string(),
            token_given,
        }
    }

    pub fn forbidden(detail: Text) -> Self {
        ApiError::Forbidden { detail }
    }

    /// An RFC 6749 `invalid_grant`: the credentials or refresh token are not valid, without
    /// saying which part.
    pub fn invalid_grant() -> Self {
        ApiError::OAuth {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_grant",
            detail: text!(
                en: "The credentials or the refresh token are not valid.",
                vi: "Thông tin đăng nhập hoặc refresh token không hợp lệ."
            ),
        }
    }

    /// An RFC 6749 `invalid_client`: the client id or secret is wrong.
    pub fn invalid_client() -> Self {
        ApiError::OAuth {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            detail: text!(
                en: "Client authentication failed.",
                vi: "Xác thực ứng dụng khách thất bại."
            ),
        }
    }

    /// An RFC 6749 request error such as `invalid_request` or `unsupported_grant_type`.
    pub fn oauth_request(error: &'static str, detail: Text) -> Self {
        ApiError::OAuth {
            status: StatusCode::BAD_REQUEST,
            error,
            detail,
        }
    }

    /// The stable machine-readable word for this error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::Validation { .. } => "validation_failed",
            ApiError::NotFound { .. } => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Conflict { code, .. } => code,
            ApiError::PreconditionFailed { .. } => "precondition_failed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType { .. } => "unsupported_media_type",
            ApiError::IdempotencyKeyReused => "idempotency_key_reused",
            ApiError::Unavailable { .. } => "service_unavailable",
            ApiError::Unauthorized { .. } => "unauthorized",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::OAuth { error, .. } => error,
            ApiError::Internal { .. } => "internal_error",
            ApiError::Status(status) => code_for_status(*status),
        }
    }

    fn detail(&self) -> Text {
        match self {
            ApiError::BadRequest { detail, .. }
            | ApiError::NotFound { detail }
            | ApiError::Conflict { detail, .. }
            | ApiError::PreconditionFailed { detail }
            | ApiError::Forbidden { detail }
            | ApiError::OAuth { detail, .. }
            | ApiError::UnsupportedMediaType { detail } => detail.clone(),
            ApiError::Unauthorized { token_given: false, .. } => text!(
                en: "This operation needs an access token: send `Authorization: Bearer <token>` (get one from /api/v1/auth/token).",
                vi: "Thao tác này cần access token: gửi `Authorization: Bearer <token>` (lấy tại /api/v1/auth/token)."
            ),
            ApiError::Unauthorized { token_given: true, .. } => text!(
                en: "The access token is not valid (malformed, expired, not yet valid, or not issued for this service).",
                vi: "Access token không hợp lệ (sai định dạng, hết hạn, chưa có hiệu lực hoặc không cấp cho dịch vụ này)."
            ),
            ApiError::RateLimited { retry_after_secs } => text!(
                en: "Too many attempts; retry in {retry_after_secs} seconds.",
                vi: "Quá nhiều lần thử; hãy thử lại sau {retry_after_secs} giây."
            ),
            ApiError::Validation { errors } => match errors.as_slice() {
                [only] => Text::new(
                    format!("The field `{}` is invalid: {}", only.field, only.message.en),
                    format!("Trường `{}` không hợp lệ: {}", only.field, only.message.vi),
                ),
                _ => Text::new(
                    format!("{} fields are invalid; see `errors`.", errors.len()),
                    format!("{} trường không hợp lệ; xem `errors`.", errors.len()),
                ),
            },
            ApiError::MethodNotAllowed { allowed } => {
                let allowed = allowed.join(", ");
                text!(
                    en: "This path does not support this method; it supports {allowed}.",
                    vi: "Đường dẫn này không hỗ trợ phương thức này; các phương thức được hỗ trợ: {allowed}."
                )
            }
            ApiError::PayloadTooLarge { limit } => text!(
                en: "The request body exceeds the limit of {limit} bytes.",
                vi: "Nội dung yêu cầu vượt quá giới hạn {limit} byte."
            ),
            ApiError::IdempotencyKeyReused => text!(
                en: "This Idempotency-Key was already used with a different request; use a new key.",
                vi: "Idempotency-Key này đã được dùng cho một yêu cầu khác; hãy dùng khóa mới."
            ),
            ApiError::Unavailable { retry_after_secs, .. } => text!(
                en: "The service is temporarily unavailable; retry in {retry_after_secs} seconds.",
                vi: "Dịch vụ tạm thời không sẵn sàng; hãy thử lại sau {retry_after_secs} giây."
            ),
            ApiError::Internal { .. } => text!(
                en: "An unexpected error occurred; it has been logged.",
                vi: "Đã xảy ra lỗi ngoài dự kiến; lỗi đã được ghi lại."
            ),
            ApiError::Status(status) => generic_detail(*status),
        }
    }

    fn errors(&self) -> &[FieldError] {
        match self {
            ApiError::BadRequest { errors, .. } | ApiError::Validation { errors } | ApiError::Conflict { errors, .. } => errors,
            _ => &[],
        }
    }

    /// Builds the problem document in `lang`, stamped with the request id and path.
    pub fn problem(&self, lang: Lang, request_id: Option<&str>, instance: Option<&str>) -> Problem {
        let status = self.status_code();
        let code = self.code();
        Problem {
            problem_type: format!("urn:lienket:problem:{code}"),
            title: title(status).get(lang).to_owned(),
            status: status.as_u16(),
            detail: self.detail().get(lang).to_owned(),
            code: code.to_owned(),
            errors: self
                .errors()
                .iter()
                .map(|e| ProblemFieldError {
                    field: e.field.clone(),
                    code: e.code.to_owned(),
                    message: e.message.get(lang).to_owned(),
                })
                .collect(),
            request_id: request_id.map(str::to_owned),
            instance: instance.map(str::to_owned),
            error: match self {
                ApiError::OAuth { error, .. } => Some((*error).to_owned()),
                _ => None,
            },
            error_description: match self {
                ApiError::OAuth { detail, .. } => Some(detail.get(lang).to_owned()),
                _ => None,
            },
        }
    }

    /// The complete HTTP response for this error in `lang`.
    pub fn to_response(&self, lang: Lang, request_id: Option<&str>, instance: Option<&str>) -> HttpResponse {
        let problem = self.problem(lang, request_id, instance);
        let mut builder = HttpResponse::build(self.status_code());
        builder.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        builder.insert_header((header::CONTENT_LANGUAGE, if lang == Lang::Vi { "vi" } else { "en" }));
        match self {
            ApiError::Unavailable { retry_after_secs, .. } | ApiError::RateLimited { retry_after_secs } => {
                builder.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Unauthorized { token_given, .. } => {
                let challenge = if *token_given {
                    r#"Bearer realm="lienket", error="invalid_token""#
                } else {
                    r#"Bearer realm="lienket""#
                };
                builder.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            ApiError::OAuth { status, .. } if *status == StatusCode::UNAUTHORIZED => {
                builder.insert_header((header::WWW_AUTHENTICATE, r#"Basic realm="lienket""#));
                builder.insert_header((header::CACHE_CONTROL, "no-store"));
            }
            ApiError::OAuth { .. } => {
                builder.insert_header((header::CACHE_CONTROL, "no-store"));
            }
            ApiError::MethodNotAllowed { allowed } => {
                builder.insert_header((header::ALLOW, allowed.join(", ")));
            }
            // The rest of a body that came too slowly is not read: the connection cannot go on.
            ApiError::Status(StatusCode::REQUEST_TIMEOUT) => {
                builder.force_close();
            }
            _ => {}
        }
        match serde_json::to_vec(&problem) {
            Ok(body) => builder.body(body),
            Err(_) => builder.finish(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Validation { .. } | ApiError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::OAuth { status, .. } => *status,
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Status(status) => *status,
        }
    }

    /// English rendering; the problem middleware re-renders it in the caller's language with the
    /// request id, so this form is only seen if that middleware is bypassed.
    fn error_response(&self) -> HttpResponse {
        self.to_response(Lang::En, None, None)
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        if is_unavailable(&err) {
            return ApiError::unavailable(&err);
        }
        if sql_state(&err).is_some_and(|state| state == "40001" || state == "40P01") {
            return ApiError::conflict(text!(
                en: "The request collided with a concurrent change; retry it.",
                vi: "Yêu cầu trùng với một thay đổi đồng thời; hãy thử lại."
            ));
        }
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => ApiError::conflict(text!(
                en: "The request conflicts with an existing record.",
                vi: "Yêu cầu xung đột với một bản ghi đã có."
            )),
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => ApiError::conflict(text!(
                en: "The request refers to, or is referred to by, another record in a way that is not allowed.",
                vi: "Yêu cầu tham chiếu tới (hoặc bị tham chiếu bởi) bản ghi khác theo cách không được phép."
            )),
            _ => ApiError::internal(err),
        }
    }
}

/// The database's own error code: SQLSTATE on PostgreSQL, the (extended) result code on SQLite.
fn sql_state(err: &DbErr) -> Option<String> {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            e.as_database_error().and_then(|db| db.code()).map(|code| code.into_owned())
        }
        _ => None,
    }
}

/// Whether a database error means "the database cannot serve right now" (unreachable, pool
/// exhausted, locked, short of resources, shutting down) rather than a bug; such requests are
/// worth retrying.
fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as E;
    let transport = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(
                e.as_ref(),
                E::Io(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed | E::Tls(_)
            )
        }
        _ => false,
    };
    // SQLite: BUSY and LOCKED with their extended codes. PostgreSQL: class 08 (connection
    // exception), 53 (insufficient resources), 57 (operator intervention, e.g. shutdown).
    transport
        || sql_state(err).is_some_and(|code| {
            matches!(code.as_str(), "5" | "6" | "261" | "262" | "517") || ["08", "53", "57"].iter().any(|class| code.starts_with(class))
        })
}

/// The RFC 9457 problem document of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:lienket:problem:validation_failed",
    "title": "Validation failed",
    "status": 422,
    "detail": "The field `valid_to` is invalid: Must be later than `valid_from`.",
    "code": "validation_failed",
    "errors": [{"field": "valid_to", "code": "date_order", "message": "Must be later than `valid_from`."}],
    "request_id": "0193a5b2-6c1e-7d4f-9a12-3b4c5d6e7f80",
    "instance": "/api/v1/units"
}))]
pub struct Problem {
    /// URI identifying the kind of problem: `urn:lienket:problem:` followed by `code`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the kind of problem, in the negotiated language.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, in the negotiated language.
    pub detail: String,
    /// Stable machine word for the problem, e.g. `validation_failed`, `not_found`, `conflict`,
    /// `precondition_failed`, `bad_request`, `payload_too_large`, `service_unavailable`.
    pub code: String,
    /// One entry per offending input field; empty when the problem is not about fields.
    pub errors: Vec<ProblemFieldError>,
    /// The request id, also sent as the `X-Request-Id` header; quote it when reporting a problem.
    pub request_id: Option<String>,
    /// The path of the request that failed.
    pub instance: Option<String>,
    /// Token endpoint errors only: the RFC 6749 error code (`invalid_request`, `invalid_client`,
    /// `invalid_grant`, `unsupported_grant_type`, `invalid_scope`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Token endpoint errors only: the RFC 6749 error description (the same as `detail`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// A problem with one input field.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemFieldError {
    /// The field: a body member path (`members[0].unit_id`), a query parameter or a header name.
    #[schema(example = "valid_to")]
    pub field: String,
    /// Stable machine word: `required`, `blank`, `too_long`, `out_of_range`, `invalid_type`,
    /// `invalid_value`, `invalid_choice`, `unknown_field`, `read_only`, `not_nullable`,
    /// `date_order`, `unknown_reference`, `conflict`, ...
    #[schema(example = "date_order")]
    pub code: String,
    /// Human-readable explanation in the negotiated language.
    #[schema(example = "Must be later than `valid_from`.")]
    pub message: String,
}

fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        408 => "request_timeout",
        409 => "conflict",
        411 => "length_required",
        412 => "precondition_failed",
        413 => "payload_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        422 => "validation_failed",
        429 => "rate_limited",
        431 => "request_header_fields_too_large",
        503 => "service_unavailable",
        504 => "gateway_timeout",
        s if s >= 500 => "internal_error",
        _ => "bad_request",
    }
}

fn title(status: StatusCode) -> Text {
    let (en, vi) = match status.as_u16() {
        400 => ("Bad request", "Yêu cầu không hợp lệ"),
        401 => ("Unauthorized", "Chưa xác thực"),
        403 => ("Forbidden", "Không có quyền"),
        404 => ("Not found", "Không tìm thấy"),
        405 => ("Method not allowed", "Phương thức không được hỗ trợ"),
        406 => ("Not acceptable", "Không thể đáp ứng định dạng yêu cầu"),
        408 => ("Request timeout", "Hết thời gian chờ yêu cầu"),
        409 => ("Conflict", "Xung đột dữ liệu"),
        411 => ("Length required", "Thiếu độ dài nội dung"),
        412 => ("Precondition failed", "Điều kiện tiên quyết không thỏa mãn"),
        413 => ("Payload too large", "Nội dung quá lớn"),
        414 => ("URI too long", "Đường dẫn quá dài"),
        415 => ("Unsupported media type", "Kiểu nội dung không được hỗ trợ"),
        422 => ("Validation failed", "Dữ liệu không hợp lệ"),
        429 => ("Too many requests", "Quá nhiều yêu cầu"),
        431 => ("Request header fields too large", "Tiêu đề yêu cầu quá lớn"),
        503 => ("Service unavailable", "Dịch vụ tạm thời không sẵn sàng"),
        504 => ("Gateway timeout", "Hết thời gian chờ cổng"),
        s if s >= 500 => ("Internal server error", "Lỗi máy chủ"),
        _ => ("Request failed", "Yêu cầu thất bại"),
    };
    Text::new(en, vi)
}

fn generic_detail(status: StatusCode) -> Text {
    match status.as_u16() {
        404 => text!(
            en: "No resource exists at this path.",
            vi: "Không có tài nguyên nào tại đường dẫn này."
        ),
        s if s >= 500 => text!(
            en: "An unexpected error occurred; it has been logged.",
            vi: "Đã xảy ra lỗi ngoài dự kiến; lỗi đã được ghi lại."
        ),
        _ => title(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_problem_in_both_languages() {
        let err = ApiError::validation(vec![FieldError::required("name")]);
        let en = err.problem(Lang::En, Some("rid"), Some("/api/v1/units"));
        assert_eq!(en.status, 422);
        assert_eq!(en.code, "validation_failed");
        assert_eq!(en.problem_type, "urn:lienket:problem:validation_failed");
        assert_eq!(en.errors[0].field, "name");
        assert_eq!(en.errors[0].message, "This field is required.");
        assert_eq!(en.request_id.as_deref(), Some("rid"));
        let vi = err.problem(Lang::Vi, None, None);
        assert_eq!(vi.title, "Dữ liệu không hợp lệ");
        assert_eq!(vi.errors[0].message, "Trường này là bắt buộc.");
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = ApiError::internal("secret table xyz exploded");
        let problem = err.problem(Lang::En, None, None);
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("xyz"));
    }
}
