//! Conditional requests and single-resource responses: `ETag` from the record's `version`,
//! `If-None-Match` (304) on reads, `If-Match` (412) on writes, `Location` on creation.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::{self, EntityTag, Header, IfMatch, IfNoneMatch};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::text;

/// A response body that is one stored resource.
pub trait Versioned {
    /// The resource's `version`, the source of its `ETag`.
    fn version(&self) -> i32;
}

/// The strong entity tag of a version: `"<version>"`.
pub fn etag(version: i32) -> EntityTag {
    EntityTag::new_strong(version.to_string())
}

/// `200 OK` with the resource and its `ETag`, or `304 Not Modified` when the caller's
/// `If-None-Match` already names this version.
pub fn one<T: Serialize + Versioned>(req: &HttpRequest, body: &T) -> HttpResponse {
    let tag = etag(body.version());
    let not_modified = req.headers().contains_key(header::IF_NONE_MATCH)
        && match IfNoneMatch::parse(req) {
            Ok(IfNoneMatch::Any) => true,
            Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&tag)),
            Err(_) => false,
        };
    if not_modified {
        return HttpResponse::NotModified().insert_header(header::ETag(tag)).finish();
    }
    HttpResponse::Ok().insert_header(header::ETag(tag)).json(body)
}

/// `200 OK` with the resource as just written and its new `ETag`.
pub fn updated<T: Serialize + Versioned>(body: &T) -> HttpResponse {
    HttpResponse::Ok().insert_header(header::ETag(etag(body.version()))).json(body)
}

/// `201 Created` with the new resource, its `Location` and its `ETag`.
pub fn created<T: Serialize + Versioned>(location: String, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header(header::ETag(etag(body.version())))
        .json(body)
}

/// The caller's `If-Match` precondition for a write.
#[derive(Debug, Clone, Default)]
pub enum Precondition {
    /// No `If-Match`: the write applies to whatever version is current.
    #[default]
    None,
    /// `If-Match: *`: the resource must exist.
    Any,
    /// The resource's current version must be one of these.
    Versions(Vec<EntityTag>),
}

impl Precondition {
    /// Checks the current version; a mismatch is `412 Precondition Failed`.
    pub fn check(&self, current_version: i32) -> ApiResult<()> {
        let current = etag(current_version);
        match self {
            Precondition::None | Precondition::Any => Ok(()),
            Precondition::Versions(tags) if tags.iter().any(|t| t.strong_eq(&current)) => Ok(()),
            Precondition::Versions(_) => Err(ApiError::PreconditionFailed {
                detail: text!(
                    en: "The resource has changed since you read it (it is now at version {current_version}); read it again and retry.",
                    vi: "Tài nguyên đã thay đổi kể từ lần bạn đọc (hiện ở phiên bản {current_version}); hãy đọc lại và thử lại."
                ),
            }),
        }
    }

    pub fn is_given(&self) -> bool {
        !matches!(self, Precondition::None)
    }
}

impl FromRequest for Precondition {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_if_match(req))
    }
}

fn parse_if_match(req: &HttpRequest) -> ApiResult<Precondition> {
    if !req.headers().contains_key(header::IF_MATCH) {
        return Ok(Precondition::None);
    }
    let malformed = || {
        ApiError::bad_field(FieldError::invalid(
            "If-Match",
            text!(
                en: "If-Match must be `*` or a list of quoted entity tags such as `\"3\"`.",
                vi: "If-Match phải là `*` hoặc danh sách thẻ thực thể có dấu ngoặc kép, ví dụ `\"3\"`."
            ),
        ))
    };
    match IfMatch::parse(req) {
        Ok(IfMatch::Any) => Ok(Precondition::Any),
        Ok(IfMatch::Items(tags)) if !tags.is_empty() => Ok(Precondition::Versions(tags)),
        _ => Err(malformed()),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn precondition(value: Option<&str>) -> ApiResult<Precondition> {
        let mut req = TestRequest::default();
        if let Some(value) = value {
            req = req.insert_header((header::IF_MATCH, value));
        }
        parse_if_match(&req.to_http_request())
    }

    #[test]
    fn if_match_compares_strongly() {
        let cases = [
            (None, 3, Some(true), "no header"),
            (Some("*"), 3, Some(true), "any"),
            (Some("\"3\""), 3, Some(true), "current version"),
            (Some("\"2\", \"3\""), 3, Some(true), "one of a list"),
            (Some("\"2\""), 3, Some(false), "stale version"),
            (Some("W/\"3\""), 3, Some(false), "weak tags never match If-Match"),
            (Some("3"), 3, None, "unquoted tag is malformed"),
        ];
        for (header, version, expected, why) in cases {
            let got = precondition(header).map(|p| p.check(version).is_ok()).ok();
            assert_eq!(got, expected, "{why}");
        }
    }

    struct Doc(i32);
    impl Versioned for Doc {
        fn version(&self) -> i32 {
            self.0
        }
    }
    impl Serialize for Doc {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_i32(self.0)
        }
    }

    #[test]
    fn if_none_match_gives_not_modified() {
        let fresh = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "W/\"4\""))
            .to_http_request();
        assert_eq!(one(&fresh, &Doc(4)).status(), 304);
        let stale = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "\"3\""))
            .to_http_request();
        assert_eq!(one(&stale, &Doc(4)).status(), 200);
    }
}
