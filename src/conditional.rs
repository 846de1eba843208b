//! Conditional requests and single-resource responses: the `ETag`, `If-None-Match` (304) on
//! reads, `If-Match` (412) on writes, `Location` on creation.
//!
//! The entity tag is the record's `version` and a digest of the representation, `"3-9f2c…"`.
//! The digest makes a cached copy stale when something the record shows of other records (a
//! parent unit's name, say) changes; the version is what writes are conditioned on, so
//! `If-Match` accepts the whole tag or just `"3"`.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::{self, ContentType, EntityTag, Header, IfMatch, IfNoneMatch};
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult, FieldError};
use crate::text;

/// A response body that is one stored resource.
pub trait Versioned {
    /// The resource's `version`, the source of its `ETag`.
    fn version(&self) -> i32;
}

/// The serialized representation and its strong entity tag.
fn tagged<T: Serialize + Versioned>(body: &T) -> (Vec<u8>, EntityTag) {
    // Serializing a view (plain data) cannot fail.
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let tag = EntityTag::new_strong(format!("{}-{hex}", body.version()));
    (bytes, tag)
}

fn with_body(mut response: HttpResponseBuilder, tag: EntityTag, bytes: Vec<u8>) -> HttpResponse {
    response
        .insert_header(header::ETag(tag))
        .content_type(ContentType::json())
        .body(bytes)
}

/// `200 OK` with the resource and its `ETag`, or `304 Not Modified` when the caller's
/// `If-None-Match` already names this representation. A malformed `If-None-Match` is a 400, as a
/// malformed `If-Match` is: a cache sending it has lost track of what it holds.
pub fn one<T: Serialize + Versioned>(req: &HttpRequest, body: &T) -> ApiResult<HttpResponse> {
    let (bytes, tag) = tagged(body);
    let not_modified = req.headers().contains_key(header::IF_NONE_MATCH)
        && match IfNoneMatch::parse(req) {
            Ok(IfNoneMatch::Any) => true,
            Ok(IfNoneMatch::Items(tags)) if !tags.is_empty() => tags.iter().any(|t| t.weak_eq(&tag)),
            _ => return Err(malformed("If-None-Match")),
        };
    if not_modified {
        return Ok(HttpResponse::NotModified().insert_header(header::ETag(tag)).finish());
    }
    Ok(with_body(HttpResponse::Ok(), tag, bytes))
}

/// `200 OK` with the resource as just written and its new `ETag`.
pub fn updated<T: Serialize + Versioned>(body: &T) -> HttpResponse {
    let (bytes, tag) = tagged(body);
    with_body(HttpResponse::Ok(), tag, bytes)
}

/// `201 Created` with the new resource, its `Location` and its `ETag`.
pub fn created<T: Serialize + Versioned>(location: String, body: &T) -> HttpResponse {
    let (bytes, tag) = tagged(body);
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, location));
    with_body(response, tag, bytes)
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
    /// Checks the current version; a mismatch is `412 Precondition Failed`. A strong tag names
    /// the version when it is `"<version>"` or starts with `"<version>-"`; weak tags never match.
    pub fn check(&self, current_version: i32) -> ApiResult<()> {
        let exact = current_version.to_string();
        let prefix = format!("{current_version}-");
        let names_current = |t: &EntityTag| !t.weak && (t.tag() == exact || t.tag().starts_with(&prefix));
        match self {
            Precondition::None | Precondition::Any => Ok(()),
            Precondition::Versions(tags) if tags.iter().any(names_current) => Ok(()),
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
    match IfMatch::parse(req) {
        Ok(IfMatch::Any) => Ok(Precondition::Any),
        Ok(IfMatch::Items(tags)) if !tags.is_empty() => Ok(Precondition::Versions(tags)),
        _ => Err(malformed("If-Match")),
    }
}

fn malformed(header: &str) -> ApiError {
    ApiError::bad_field(FieldError::invalid(
        header,
        text!(
            en: "{header} must be `*` or a list of quoted entity tags such as `\"3\"`.",
            vi: "{header} phải là `*` hoặc danh sách thẻ thực thể có dấu ngoặc kép, ví dụ `\"3\"`."
        ),
    ))
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
            (Some("\"3-0a1b2c3d4e5f6071\""), 3, Some(true), "a full tag of the current version"),
            (Some("\"2-0a1b2c3d4e5f6071\""), 3, Some(false), "a full tag of another version"),
            (Some("\"33\""), 3, Some(false), "no prefix confusion"),
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
        let (_, tag) = tagged(&Doc(4));
        assert!(tag.tag().starts_with("4-"), "{tag}");
        let fresh = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, format!("W/\"{}\"", tag.tag())))
            .to_http_request();
        let status = |req: &HttpRequest| one(req, &Doc(4)).map(|r| r.status().as_u16()).map_err(|e| e.code());
        assert_eq!(status(&fresh), Ok(304));
        let version_only = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "\"4\""))
            .to_http_request();
        assert_eq!(status(&version_only), Ok(200), "a read revalidates the whole representation");
        let unquoted = TestRequest::default().insert_header((header::IF_NONE_MATCH, "4")).to_http_request();
        assert_eq!(status(&unquoted), Err("bad_request"), "a malformed tag is refused");
    }
}
