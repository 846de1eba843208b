//! `Idempotency-Key` on POST: the first successful answer to a key is stored and replayed for
//! retries with the same request; the same key with a different request is a 422. Keys are kept
//! in the database, so every node of a cluster of API servers honours them.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpMessage, HttpResponse};
use chrono::Duration;
use chrono::{DateTime, Utc};
use entity::idempotency_keys;
use sea_orm::sea_query::{Expr, Func, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::context::RequestContext;
use crate::db;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::{BodyLimit, read_body};
use crate::text;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Set on a replayed answer.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

pub(crate) const MAX_KEY_LEN: usize = 200;
/// A reservation without an outcome older than this is taken to belong to a request that died
/// (its server was killed, or lost the database), and a retry takes it over. Longer than a write
/// runs (the database acquire timeout bounds the wait for a connection; writes are short
/// transactions). Taking over is safe even from a request that is merely slow: a write commits
/// only while its reservation is still its own (see [`mark_written`]).
const ABANDONED_AFTER_SECS: i64 = 10;
/// How often a retry looks again at a reservation that is still in progress.
const POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);
/// Response headers worth replaying.
const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

/// How long keys are remembered, registered as app data.
#[derive(Debug, Clone, Copy)]
pub struct IdempotencyTtl(pub Duration);

/// The middleware. Requests without the header, and methods other than POST, pass untouched.
pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Only authenticated callers' requests are remembered: token answers are never stored.
    let scope = scope_of(&req);
    if req.method() != Method::POST || !req.headers().contains_key(&IDEMPOTENCY_KEY) || scope.is_none() {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    let prepared = match prepare(&mut req, scope.unwrap_or_default()).await {
        Ok(prepared) => prepared,
        Err(e) => return Ok(req.error_response(e)),
    };
    match reserve(&prepared).await {
        Ok(Reservation::Fresh) => {}
        Ok(Reservation::Replay(stored)) => return Ok(req.into_response(replay(&stored))),
        Err(e) => return Ok(req.error_response(e)),
    }
    req.set_payload(prepared.body.clone().into());
    let reserved = Reserved {
        scope: prepared.scope.clone(),
        key: prepared.key.clone(),
        at: prepared.at,
    };
    let res = RESERVED.scope(reserved, next.call(req)).await?;
    if !res.status().is_success() {
        // A failed request may be fixed and retried under the same key.
        if let Err(e) = release(&prepared).await {
            tracing::warn!(error = %e, "could not release an idempotency key");
        }
        return Ok(res.map_into_boxed_body());
    }
    let (request, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let body = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| ApiError::internal("response body could not be buffered"))?;
    let response = head.set_body(body.clone()).map_into_boxed_body();
    if let Err(e) = remember(&prepared, &response, &body).await {
        // The write itself succeeded; failing the request now would invite a duplicate.
        tracing::warn!(error = %e, "could not store an idempotent response");
    }
    Ok(ServiceResponse::new(request, response))
}

struct Prepared {
    db: DatabaseConnection,
    ttl: Duration,
    /// When this request reserved its key: the reservation's `created_at`, which identifies the
    /// reservation as this request's.
    at: DateTime<Utc>,
    scope: String,
    key: String,
    hash: String,
    body: Bytes,
}

enum Reservation {
    Fresh,
    Replay(idempotency_keys::Model),
}

async fn prepare(req: &mut ServiceRequest, scope: String) -> ApiResult<Prepared> {
    let key = req
        .headers()
        .get(&IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("")
        .to_owned();
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::bad_field(FieldError::invalid(
            "Idempotency-Key",
            text!(
                en: "Use 1 to {MAX_KEY_LEN} visible ASCII characters, e.g. a UUID.",
                vi: "Dùng từ 1 đến {MAX_KEY_LEN} ký tự ASCII hiển thị được, ví dụ một UUID."
            ),
        )));
    }
    let db = req
        .app_data::<Data<DatabaseConnection>>()
        .map(|d| d.get_ref().clone())
        .ok_or_else(|| ApiError::internal("no database"))?;
    let limit = req.app_data::<Data<BodyLimit>>().map_or(1024 * 1024, |l| l.0);
    let ttl = req.app_data::<Data<IdempotencyTtl>>().map_or(Duration::hours(24), |t| t.0);
    let payload = req.take_payload();
    let body = read_body(req.request(), payload, limit).await?;
    let mut hasher = Sha256::new();
    for part in [
        req.method().as_str().as_bytes(),
        req.path().as_bytes(),
        req.query_string().as_bytes(),
        &body,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    let hash = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Prepared {
        db,
        ttl,
        at: db::now(),
        scope,
        key,
        hash,
        body,
    })
}

/// Whose keys these are: each user's and client's keys are their own, so one caller can neither
/// replay nor block another's.
fn scope_of(req: &ServiceRequest) -> Option<String> {
    let extensions = req.extensions();
    let principal = extensions.get::<RequestContext>()?.principal.as_ref()?;
    Some(format!("{}:{}", principal.kind.as_str(), principal.id))
}

/// Reserves the key for this request, or finds the answer to replay. A reservation still in
/// progress is waited for until it completes, is released, or is old enough to be abandoned.
async fn reserve(p: &Prepared) -> ApiResult<Reservation> {
    idempotency_keys::Entity::delete_many()
        .filter(idempotency_keys::Column::CreatedAt.lt(p.at - p.ttl))
        .exec(&p.db)
        .await?;
    loop {
        let pending = idempotency_keys::ActiveModel {
            scope: Set(p.scope.clone()),
            key: Set(p.key.clone()),
            request_hash: Set(p.hash.clone()),
            status: Set(None),
            response_headers: Set(None),
            response_body: Set(None),
            created_at: Set(p.at),
        };
        // A key already taken inserts nothing. Testing for the conflict first, rather than
        // letting the insert fail, spares the database a failed statement (and on PostgreSQL a
        // dead row) on every retry.
        let inserted = idempotency_keys::Entity::insert(pending)
            .on_conflict(
                OnConflict::columns([idempotency_keys::Column::Scope, idempotency_keys::Column::Key])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&p.db)
            .await?;
        if inserted == 1 {
            return Ok(Reservation::Fresh);
        }
        // Found taken; it may be released (by a failed request) before it can be read.
        let Some(existing) = idempotency_keys::Entity::find_by_id((p.scope.clone(), p.key.clone()))
            .one(&p.db)
            .await?
        else {
            continue;
        };
        if existing.request_hash != p.hash {
            return Err(ApiError::IdempotencyKeyReused);
        }
        if existing.status.is_some() {
            return Ok(Reservation::Replay(existing));
        }
        let now = db::now();
        if (now - existing.created_at).num_seconds() < ABANDONED_AFTER_SECS {
            if (now - p.at).num_seconds() >= ABANDONED_AFTER_SECS {
                return Err(in_progress());
            }
            tokio::time::sleep(POLL_INTERVAL).await;
            continue;
        }
        // Take the abandoned reservation over; of several retries racing for it, one wins.
        let taken = idempotency_keys::Entity::update_many()
            .col_expr(idempotency_keys::Column::CreatedAt, Expr::val(p.at))
            .filter(idempotency_keys::Column::Scope.eq(p.scope.clone()))
            .filter(idempotency_keys::Column::Key.eq(p.key.clone()))
            .filter(idempotency_keys::Column::CreatedAt.eq(existing.created_at))
            .filter(idempotency_keys::Column::Status.is_null())
            .exec(&p.db)
            .await?;
        if taken.rows_affected == 1 {
            return Ok(Reservation::Fresh);
        }
    }
}

/// The key a request holds while its handler runs.
#[derive(Debug, Clone)]
struct Reserved {
    scope: String,
    key: String,
    at: DateTime<Utc>,
}

tokio::task_local! {
    static RESERVED: Reserved;
}

/// Records, in the transaction of a write made under an `Idempotency-Key`, that the write
/// happened: until the answer itself is stored, a retry is sent to the written resource with a
/// 303 instead of writing again (the answer is lost if the server dies or the database goes
/// away between the commit and storing it). Fails, and so rolls the write back, when the
/// reservation is no longer this request's: a retry took it over after it was presumed dead.
/// Without a reservation (no key, or not a request), does nothing.
pub(crate) async fn mark_written<C: ConnectionTrait>(db: &C, location: Option<String>) -> ApiResult<()> {
    let Ok(reserved) = RESERVED.try_with(Reserved::clone) else {
        return Ok(());
    };
    // A record without a path of its own (a membership, served under its cluster) gets a 204.
    let (status, headers) = match location {
        Some(location) => (StatusCode::SEE_OTHER, vec![(header::LOCATION.as_str(), location)]),
        None => (StatusCode::NO_CONTENT, Vec::new()),
    };
    let headers = serde_json::to_string(&headers).map_err(ApiError::internal)?;
    let first =
        |column: idempotency_keys::Column, value: sea_orm::Value| -> Expr { Func::coalesce([Expr::col(column), Expr::val(value)]).into() };
    let marked = idempotency_keys::Entity::update_many()
        .col_expr(
            idempotency_keys::Column::Status,
            first(idempotency_keys::Column::Status, i32::from(status.as_u16()).into()),
        )
        .col_expr(
            idempotency_keys::Column::ResponseHeaders,
            first(idempotency_keys::Column::ResponseHeaders, headers.into()),
        )
        .filter(idempotency_keys::Column::Scope.eq(reserved.scope))
        .filter(idempotency_keys::Column::Key.eq(reserved.key))
        .filter(idempotency_keys::Column::CreatedAt.eq(reserved.at))
        .exec(db)
        .await?;
    if marked.rows_affected == 0 {
        return Err(in_progress());
    }
    Ok(())
}

fn in_progress() -> ApiError {
    ApiError::Conflict {
        code: "idempotency_in_progress",
        detail: text!(
            en: "A request with this Idempotency-Key is still being processed; retry shortly.",
            vi: "Một yêu cầu với Idempotency-Key này vẫn đang được xử lý; hãy thử lại sau giây lát."
        ),
        errors: Vec::new(),
    }
}

async fn release(p: &Prepared) -> ApiResult<()> {
    idempotency_keys::Entity::delete_many()
        .filter(idempotency_keys::Column::Scope.eq(p.scope.clone()))
        .filter(idempotency_keys::Column::Key.eq(p.key.clone()))
        .filter(idempotency_keys::Column::Status.is_null())
        .exec(&p.db)
        .await?;
    Ok(())
}

async fn remember(p: &Prepared, response: &HttpResponse, body: &Bytes) -> ApiResult<()> {
    let headers: Vec<(String, String)> = KEPT_HEADERS
        .iter()
        .filter_map(|name| Some((name.as_str().to_owned(), response.headers().get(name)?.to_str().ok()?.to_owned())))
        .collect();
    idempotency_keys::Entity::update_many()
        .set(idempotency_keys::ActiveModel {
            status: Set(Some(i32::from(response.status().as_u16()))),
            response_headers: Set(Some(serde_json::to_string(&headers).map_err(ApiError::internal)?)),
            response_body: Set(Some(stored_body(response, body))),
            ..Default::default()
        })
        .filter(idempotency_keys::Column::Scope.eq(p.scope.clone()))
        .filter(idempotency_keys::Column::Key.eq(p.key.clone()))
        .exec(&p.db)
        .await?;
    Ok(())
}

/// Members of an answer that are shown once and never stored.
const SECRET_MEMBERS: &[&str] = &["client_secret", "access_token", "refresh_token"];

/// The body to keep for replay. An answer marked `no-store` carries a secret: it is kept without
/// its secret members (a replay shows the record; the secret was shown once).
fn stored_body(response: &HttpResponse, body: &Bytes) -> String {
    let no_store = response
        .headers()
        .get(actix_web::http::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-store"));
    if no_store {
        return match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(serde_json::Value::Object(mut members)) => {
                for name in SECRET_MEMBERS {
                    members.remove(*name);
                }
                serde_json::Value::Object(members).to_string()
            }
            _ => String::new(),
        };
    }
    String::from_utf8_lossy(body).into_owned()
}

fn replay(stored: &idempotency_keys::Model) -> HttpResponse {
    let status = stored
        .status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    let headers: Vec<(String, String)> = stored
        .response_headers
        .as_deref()
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.insert_header((name, value));
        }
    }
    response.insert_header((REPLAYED, HeaderValue::from_static("true")));
    response.body(stored.response_body.clone().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    async fn reserved_key(db: &DatabaseConnection, at: DateTime<Utc>) {
        idempotency_keys::Entity::insert(idempotency_keys::ActiveModel {
            scope: Set("user:1".to_owned()),
            key: Set("k".to_owned()),
            request_hash: Set("h".to_owned()),
            status: Set(None),
            response_headers: Set(None),
            response_body: Set(None),
            created_at: Set(at),
        })
        .exec_without_returning(db)
        .await
        .expect("reserve");
    }

    fn holder(at: DateTime<Utc>) -> Reserved {
        Reserved {
            scope: "user:1".to_owned(),
            key: "k".to_owned(),
            at,
        }
    }

    #[actix_web::test]
    async fn a_write_marks_its_own_reservation_and_fails_on_one_taken_over() {
        let db = sea_orm::Database::connect("sqlite::memory:").await.expect("connect");
        db::migrate(&db).await.expect("migrate");
        let at = db::now();
        reserved_key(&db, at).await;

        // Outside a request nothing is marked.
        mark_written(&db, Some("/api/v1/units/1".to_owned())).await.expect("no reservation");
        let row = || async { idempotency_keys::Entity::find().one(&db).await.expect("read").expect("the row") };
        assert_eq!(row().await.status, None);

        // The first write of the request marks it; a second write keeps the first's location.
        RESERVED
            .scope(holder(at), async {
                mark_written(&db, Some("/api/v1/clusters/1".to_owned())).await.expect("mark");
                mark_written(&db, None).await.expect("mark again");
            })
            .await;
        let marked = row().await;
        assert_eq!(marked.status, Some(303));
        assert_eq!(marked.response_headers.as_deref(), Some(r#"[["location","/api/v1/clusters/1"]]"#));

        // A request whose reservation was taken over (its `created_at` is no longer the one it
        // made) cannot write.
        let taken_over = RESERVED.scope(holder(at - Duration::seconds(60)), mark_written(&db, None)).await;
        assert!(taken_over.is_err(), "a write under a reservation taken over fails");
    }
}
