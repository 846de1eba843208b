//! The request context every handler receives: request id and response language (and, as access
//! control grows, the caller), threaded into services so they never reach for globals.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::audit::ReadTrail;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::i18n::Lang;

/// Facts about the current request, set by the request middleware.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The id in the `X-Request-Id` response header and on every log line of this request.
    pub request_id: String,
    /// The negotiated response language.
    pub lang: Lang,
    /// The authenticated caller; `None` on public operations.
    pub principal: Option<Principal>,
    /// The address the connection came from.
    pub client_addr: Option<String>,
    /// Where the request records its reads of classified records.
    pub read_trail: Option<ReadTrail>,
}

impl RequestContext {
    /// The caller of an operation that needs a token (the middleware has authenticated it).
    pub fn principal(&self) -> ApiResult<&Principal> {
        self.principal
            .as_ref()
            .ok_or_else(|| ApiError::unauthorized("no principal on an operation that needs one", false))
    }
}

impl FromRequest for RequestContext {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(req.extensions().get::<RequestContext>().cloned().unwrap_or_default()))
    }
}
