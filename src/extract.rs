//! Request extractors that turn every malformed input into a precise problem+json answer:
//! JSON bodies (`JsonBody`) and list queries (`ListQuery`).

use std::future::{Ready, ready};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::i18n::{Text, capitalize};
use crate::pagination::{Page, PageRequest};
use crate::text;

/// Fields the server owns; a client that sends them is told so instead of being ignored.
const SERVER_OWNED: &[&str] = &[
    "id",
    "version",
    "created_at",
    "updated_at",
    "deleted_at",
    "created_by",
    "updated_by",
];

/// Request body size limit, registered as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// How long a request body may take to arrive, registered as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

/// Reads a whole request body of at most `limit` bytes. A longer one is a 413; one that has not
/// arrived within the configured `BodyTimeout` (a slow or stalled client) is a 408, and the
/// connection is closed, as what is left of the body will not be read.
pub async fn read_body(req: &HttpRequest, mut payload: Payload, limit: usize) -> ApiResult<Bytes> {
    let timeout = req.app_data::<web::Data<BodyTimeout>>().map_or(Duration::from_secs(30), |t| t.0);
    let read = async move {
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| {
                ApiError::bad_request(text!(
                    en: "The request body could not be read: {e}.",
                    vi: "Không đọc được nội dung yêu cầu: {e}."
                ))
            })?;
            if body.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    actix_web::rt::time::timeout(timeout, read)
        .await
        .map_err(|_| ApiError::Status(StatusCode::REQUEST_TIMEOUT))?
}

/// A JSON object body (`application/json` or any `application/*+json`, such as
/// `application/merge-patch+json`), size-limited and deserialized strictly.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<web::Data<BodyLimit>>().map_or(1024 * 1024, |l| l.0);
        let checked = check_content_type(req).and_then(|()| check_declared_length(req, limit));
        let payload = payload.take();
        let req = req.clone();
        Box::pin(async move {
            checked?;
            let body = read_body(&req, payload, limit).await?;
            parse_json_object(&body).map(JsonBody)
        })
    }
}

fn check_content_type(req: &HttpRequest) -> ApiResult<()> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence == "application/json" || essence == "application/merge-patch+json" {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType {
            detail: text!(
                en: "Send the body as JSON with `Content-Type: application/json` (or `application/merge-patch+json` for PATCH).",
                vi: "Hãy gửi nội dung dạng JSON với `Content-Type: application/json` (hoặc `application/merge-patch+json` cho PATCH)."
            ),
        })
    }
}

fn check_declared_length(req: &HttpRequest, limit: usize) -> ApiResult<()> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(length) if length > limit as u64 => Err(ApiError::PayloadTooLarge { limit }),
        _ => Ok(()),
    }
}

/// Parses a JSON object strictly: valid JSON, an object at the top, no control characters in
/// text but tab and line breaks (no database stores NUL; no field means the others), no
/// server-owned members, no member given twice, and the shape of `T` (which should deny unknown
/// fields). Every failure is a 400 naming the field.
pub fn parse_json_object<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(text!(
            en: "The request body is not valid JSON: {e}.",
            vi: "Nội dung yêu cầu không phải JSON hợp lệ: {e}."
        ))
    })?;
    let Some(object) = value.as_object() else {
        return Err(ApiError::bad_request(text!(
            en: "The request body must be a JSON object.",
            vi: "Nội dung yêu cầu phải là một đối tượng JSON."
        )));
    };
    let read_only: Vec<FieldError> = SERVER_OWNED
        .iter()
        .filter(|f| object.contains_key(**f))
        .map(|f| {
            FieldError::new(
                *f,
                "read_only",
                text!(en: "This field is set by the server and cannot be written.", vi: "Trường này do máy chủ đặt và không thể ghi."),
            )
        })
        .collect();
    if !read_only.is_empty() {
        return Err(ApiError::BadRequest {
            detail: text!(
                en: "The body sets fields that only the server may set.",
                vi: "Nội dung yêu cầu đặt các trường chỉ máy chủ được đặt."
            ),
            errors: read_only,
        });
    }
    if let Some(field) = find_control(&value, String::new()) {
        return Err(ApiError::bad_field(FieldError::invalid(
            field,
            text!(
                en: "Text must not contain control characters other than tab and line breaks.",
                vi: "Văn bản không được chứa ký tự điều khiển, trừ ký tự tab và xuống dòng."
            ),
        )));
    }
    // JSON has one kind of number, so `3.0` is the integer 3. Rewriting such numbers means typing
    // from the parsed value, which keeps only the last of a repeated member: repeats are looked
    // for in the text first.
    let rewritten;
    let typed_from = if integral_numbers_to_integers(&mut value) {
        deserialize::<NoRepeats>(body)?;
        rewritten = serde_json::to_vec(&value).map_err(ApiError::internal)?;
        rewritten.as_slice()
    } else {
        body
    };
    // Typed from the bytes rather than from `value`, so a member given twice is caught.
    deserialize(typed_from)
}

fn deserialize<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let error = serde_field_error(&e.path().to_string(), &e.inner().to_string());
        ApiError::BadRequest {
            detail: body_detail(&error),
            errors: vec![error],
        }
    })
}

/// Whether a character may appear in text: no control characters but tab, line feed and
/// carriage return (what the OpenAPI document's `TEXT_PATTERN` says).
pub fn is_allowed_in_text(c: char) -> bool {
    !c.is_control() || matches!(c, '\t' | '\n' | '\r')
}

/// The path of the first string (or member name) holding a character text may not hold.
fn find_control(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    let at = |path: &str| if path.is_empty() { "body".to_owned() } else { path.to_owned() };
    let bad = |s: &str| !s.chars().all(is_allowed_in_text);
    match value {
        Value::String(s) if bad(s) => Some(at(&path)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| find_control(item, format!("{path}[{i}]"))),
        Value::Object(members) => members.iter().find_map(|(key, item)| {
            let path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            if bad(key) { Some(at(&path)) } else { find_control(item, path) }
        }),
        _ => None,
    }
}

/// Turns numbers written with a zero fraction (`3.0`, `1e2`) into integers; whether any was.
fn integral_numbers_to_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(n) => match n.as_f64() {
            // Within ±2^53 every integer is exact as a float, so nothing is rounded.
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => {
                #[allow(clippy::cast_possible_truncation)]
                let integer = f as i64;
                *value = Value::from(integer);
                true
            }
            _ => false,
        },
        // Every item is rewritten, so no short-circuiting `any`.
        Value::Array(items) => {
            items
                .iter_mut()
                .map(integral_numbers_to_integers)
                .filter(|changed| *changed)
                .count()
                > 0
        }
        Value::Object(members) => {
            members
                .values_mut()
                .map(integral_numbers_to_integers)
                .filter(|changed| *changed)
                .count()
                > 0
        }
        _ => false,
    }
}

/// Any JSON, refused when an object gives one of its members twice.
struct NoRepeats;

impl<'de> serde::Deserialize<'de> for NoRepeats {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NoRepeatsVisitor)
    }
}

struct NoRepeatsVisitor;

impl<'de> serde::de::Visitor<'de> for NoRepeatsVisitor {
    type Value = NoRepeats;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<NoRepeats, E> {
        Ok(NoRepeats)
    }

    fn visit_i64<E>(self, _: i64) -> Result<NoRepeats, E> {
        Ok(NoRepeats)
    }

    fn visit_u64<E>(self, _: u64) -> Result<NoRepeats, E> {
        Ok(NoRepeats)
    }

    fn visit_f64<E>(self, _: f64) -> Result<NoRepeats, E> {
        Ok(NoRepeats)
    }

    fn visit_str<E>(self, _: &str) -> Result<NoRepeats, E> {
        Ok(NoRepeats)
    }

    fn visit_unit<E>(self) -> Result<NoRepeats, E> {
        Ok(NoRepeats)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<NoRepeats, A::Error> {
        while seq.next_element::<NoRepeats>()?.is_some() {}
        Ok(NoRepeats)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<NoRepeats, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format_args!("duplicate field `{key}`")));
            }
            map.next_value::<NoRepeats>()?;
        }
        Ok(NoRepeats)
    }
}

fn body_detail(error: &FieldError) -> Text {
    Text::new(
        format!("The field `{}` is malformed: {}", error.field, error.message.en),
        format!("Trường `{}` sai định dạng: {}", error.field, error.message.vi),
    )
}

/// serde's message with the names of the server's own types left out: "expected struct
/// ContactInput" reads "expected an object".
fn without_type_names(message: &str) -> String {
    const NAMED: &[(&str, &str)] = &[
        ("expected tuple struct ", "expected an array"),
        ("expected unit struct ", "expected null"),
        ("expected struct ", "expected an object"),
        ("expected enum ", "expected one of the allowed values"),
    ];
    let mut out = message.to_owned();
    for (prefix, plain) in NAMED {
        while let Some(at) = out.find(prefix) {
            let name_start = at + prefix.len();
            let name_len = out[name_start..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(out.len() - name_start);
            out.replace_range(at..name_start + name_len, plain);
        }
    }
    out
}

/// Turns a serde error at `path` into a field error with a stable code.
fn serde_field_error(path: &str, message: &str) -> FieldError {
    let message = &without_type_names(message);
    let path = if path == "." || path.is_empty() { "" } else { path };
    let join = |name: &str| {
        if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let quoted = |m: &str| m.split('`').nth(1).map(str::to_owned);
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = quoted(rest).map_or_else(|| path.to_owned(), |name| join(&name));
        return FieldError::required(field);
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        let field = quoted(rest).map_or_else(|| path.to_owned(), |name| join(&name));
        return FieldError::new(
            field,
            "duplicate",
            text!(en: "The member is given more than once.", vi: "Trường được đưa ra nhiều lần."),
        );
    }
    let field = if path.is_empty() { "body".to_owned() } else { path.to_owned() };
    // serde's messages are precise but English-only; the Vietnamese text carries them as detail.
    let (code, vi) = if message.starts_with("unknown field") {
        ("unknown_field", "Trường không được hỗ trợ")
    } else if message.starts_with("unknown variant") {
        ("invalid_choice", "Giá trị không nằm trong danh sách cho phép")
    } else if message.starts_with("invalid type") {
        ("invalid_type", "Sai kiểu dữ liệu")
    } else if message.starts_with("duplicate field") {
        ("duplicate", "Trường bị lặp lại")
    } else {
        ("invalid_value", "Giá trị không hợp lệ")
    };
    let en = capitalize(message);
    FieldError::new(field, code, Text::new(format!("{en}."), format!("{vi} ({message}).")))
}

/// A list request: filters `F` (a struct that denies unknown fields) plus `limit` and `cursor`.
#[derive(Debug)]
pub struct ListQuery<F> {
    pub filter: F,
    pub page: PageRequest,
    path: String,
    filters: Vec<(String, String)>,
}

impl<F: DeserializeOwned> FromRequest for ListQuery<F> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::parse(req.path(), req.query_string()))
    }
}

impl<F: DeserializeOwned> ListQuery<F> {
    fn parse(path: &str, query: &str) -> ApiResult<Self> {
        let mut limit = None;
        let mut cursor = None;
        let mut filters = Vec::new();
        for (name, value) in form_urlencoded::parse(query.as_bytes()).into_owned() {
            let slot = match name.as_str() {
                "limit" => &mut limit,
                "cursor" => &mut cursor,
                _ => {
                    filters.push((name, value));
                    continue;
                }
            };
            if slot.replace(value).is_some() {
                return Err(duplicate_parameter(&name));
            }
        }
        let page = PageRequest::new(path, limit.as_deref(), cursor.as_deref(), &filters)?;
        let filter = parse_pairs(&filters)?;
        Ok(Self {
            filter,
            page,
            path: path.to_owned(),
            filters,
        })
    }
}

/// Deserializes query parameters strictly into `F`; errors name the parameter.
fn parse_pairs<F: DeserializeOwned>(pairs: &[(String, String)]) -> ApiResult<F> {
    let encoded = encode_pairs(pairs);
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let message = e.inner().to_string();
        let field = e.path().to_string();
        let error = if field == "." || field.is_empty() {
            query_error_without_path(&message)
        } else {
            serde_field_error(&field, &message)
        };
        ApiError::BadRequest {
            detail: query_detail(&error),
            errors: vec![error],
        }
    })
}

/// The query parameters of a single-resource operation, deserialized strictly into `F`.
#[derive(Debug)]
pub struct StrictQuery<F>(pub F);

impl<F: DeserializeOwned> FromRequest for StrictQuery<F> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
        ready(parse_pairs(&pairs).map(StrictQuery))
    }
}

impl<F> ListQuery<F> {
    /// The `200 OK` answer for one page, with a `Link: <…>; rel="next"` header when there is more.
    pub fn respond<T: Serialize>(&self, items: Vec<T>, next_cursor: Option<String>) -> HttpResponse {
        let mut response = HttpResponse::Ok();
        if let Some(cursor) = &next_cursor {
            let mut pairs = self.filters.clone();
            pairs.push(("limit".to_owned(), self.page.limit.to_string()));
            pairs.push(("cursor".to_owned(), cursor.clone()));
            response.insert_header((header::LINK, format!("<{}?{}>; rel=\"next\"", self.path, encode_pairs(&pairs))));
        }
        response.json(Page { items, next_cursor })
    }
}

fn encode_pairs(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

fn duplicate_parameter(name: &str) -> ApiError {
    ApiError::bad_field(FieldError::new(
        name,
        "duplicate",
        text!(en: "The parameter is given more than once.", vi: "Tham số được truyền nhiều lần."),
    ))
}

/// serde_urlencoded reports unknown and duplicate parameters without a path; recover the name.
fn query_error_without_path(message: &str) -> FieldError {
    let name = message.split('`').nth(1).unwrap_or("query").to_owned();
    if message.starts_with("duplicate field") {
        return FieldError::new(
            name,
            "duplicate",
            text!(en: "The parameter is given more than once.", vi: "Tham số được truyền nhiều lần."),
        );
    }
    if message.starts_with("unknown field") {
        let expected = message.split("expected ").nth(1).unwrap_or("none").to_owned();
        return FieldError::new(
            name,
            "unknown_field",
            text!(
                en: "This list has no such parameter; expected {expected}.",
                vi: "Danh sách này không có tham số này; tham số hợp lệ: {expected}."
            ),
        );
    }
    serde_field_error("", message)
}

fn query_detail(error: &FieldError) -> Text {
    Text::new(
        format!("The query parameter `{}` is invalid: {}", error.field, error.message.en),
        format!("Tham số truy vấn `{}` không hợp lệ: {}", error.field, error.message.vi),
    )
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[allow(dead_code)]
        name: String,
        #[allow(dead_code)]
        count: Option<i32>,
        #[allow(dead_code)]
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[allow(dead_code)]
        on: chrono::NaiveDate,
    }

    fn body_error(json: &str) -> (u16, Vec<(String, &'static str)>) {
        match parse_json_object::<Body>(json.as_bytes()) {
            Ok(_) => (200, vec![]),
            Err(ApiError::BadRequest { errors, .. }) => (400, errors.into_iter().map(|e| (e.field, e.code)).collect()),
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }

    /// A body, the field errors it should produce (none: only the status is checked), and why.
    type BodyCase<'a> = (&'a str, Vec<(String, &'a str)>, &'a str);

    #[test]
    fn errors_do_not_name_the_servers_types() {
        assert_eq!(
            without_type_names("invalid type: string \"x\", expected struct ContactInput at line 1"),
            "invalid type: string \"x\", expected an object at line 1"
        );
        assert_eq!(without_type_names("expected enum Severity"), "expected one of the allowed values");
        assert_eq!(
            without_type_names("invalid length 1, expected tuple struct Pair"),
            "invalid length 1, expected an array"
        );
        assert_eq!(without_type_names("missing field `name`"), "missing field `name`");
    }

    #[test]
    fn body_errors_name_their_field() {
        let s = |v: &str| v.to_owned();
        let cases: Vec<BodyCase> = vec![
            (r#"{"name": "x"}"#, vec![], "valid body"),
            (
                r#"{"name": "x\ty\r\n", "count": 3.0}"#,
                vec![],
                "valid body: tab, line breaks, an integral number",
            ),
            (
                r#"{"name": "x", "count": -2e1}"#,
                vec![],
                "valid body: an integral number in exponent form",
            ),
            (
                r#"{"name": "x", "count": 3.5}"#,
                vec![(s("count"), "invalid_type")],
                "a fraction for an integer",
            ),
            (
                r#"{"name": "x", "count": 1.0, "name": "y"}"#,
                vec![(s("name"), "duplicate")],
                "a repeated member beside an integral number",
            ),
            (r#"{"name": "a\u0007b"}"#, vec![(s("name"), "invalid_value")], "a control character"),
            (
                r#"{"name": "a", "inner": {"\u0085": 1}}"#,
                vec![(s("inner.\u{85}"), "invalid_value")],
                "a control character in a name",
            ),
            (r#"{"#, vec![], "not JSON"),
            (r#"[1]"#, vec![], "not an object"),
            (r#"{"count": 1}"#, vec![(s("name"), "required")], "missing field"),
            (
                r#"{"name": "x", "colour": 1}"#,
                vec![(s("colour"), "unknown_field")],
                "unknown field",
            ),
            (r#"{"name": 5}"#, vec![(s("name"), "invalid_type")], "wrong type"),
            (
                r#"{"name": "x", "inner": {"on": "2024-02-30"}}"#,
                vec![(s("inner.on"), "invalid_value")],
                "impossible date",
            ),
            (
                r#"{"name": "x", "inner": {}}"#,
                vec![(s("inner.on"), "required")],
                "nested missing field",
            ),
            (
                r#"{"name": "x", "id": "1", "version": 3}"#,
                vec![(s("id"), "read_only"), (s("version"), "read_only")],
                "server-owned",
            ),
        ];
        for (json, expected, why) in cases {
            let (status, errors) = body_error(json);
            if why.starts_with("valid body") {
                assert_eq!(status, 200, "{why}");
            } else {
                assert_eq!(status, 400, "{why}");
                if !expected.is_empty() {
                    assert_eq!(errors, expected, "{why}");
                }
            }
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Filter {
        q: Option<String>,
        level: Option<crate::domain::AreaLevel>,
    }

    fn query_error(query: &str) -> Option<(String, &'static str)> {
        match ListQuery::<Filter>::parse("/api/v1/areas", query) {
            Ok(_) => None,
            Err(ApiError::BadRequest { errors, .. }) => errors.into_iter().next().map(|e| (e.field, e.code)),
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }

    #[test]
    fn query_errors_name_their_parameter() {
        let cases = [
            ("q=gia+lam&level=district&limit=10", None, "valid query"),
            ("level=planet", Some(("level", "invalid_choice")), "bad enum"),
            ("colour=red", Some(("colour", "unknown_field")), "unknown parameter"),
            ("q=a&q=b", Some(("q", "duplicate")), "repeated filter"),
            ("limit=1&limit=2", Some(("limit", "duplicate")), "repeated limit"),
            ("limit=501", Some(("limit", "out_of_range")), "limit above max"),
            ("cursor=abc", Some(("cursor", "invalid_value")), "bad cursor"),
        ];
        for (query, expected, why) in cases {
            let got = query_error(query);
            assert_eq!(got.as_ref().map(|(f, c)| (f.as_str(), *c)), expected, "{why}");
        }
    }

    #[test]
    fn list_query_keeps_filters() {
        let list = ListQuery::<Filter>::parse("/api/v1/areas", "q=Gia%20L%C3%A2m&limit=2").expect("valid");
        assert_eq!(list.filter.q.as_deref(), Some("Gia Lâm"));
        assert_eq!(list.page.limit, 2);
        assert!(list.filter.level.is_none());
    }
}
