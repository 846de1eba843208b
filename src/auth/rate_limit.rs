//! Fixed-window counters for the token endpoint, kept in the database so every node of a
//! deployment counts the same attempts.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::config::AuthSettings;
use crate::error::{ApiError, ApiResult};

/// The login limits of a deployment.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_address: u32,
    pub per_account: u32,
    pub window_secs: u32,
}

impl From<&AuthSettings> for LoginLimits {
    fn from(s: &AuthSettings) -> Self {
        Self {
            per_address: s.login_limit_per_address,
            per_account: s.login_limit_per_account,
            window_secs: s.login_limit_window_secs,
        }
    }
}

/// The counter key of a client address. IPv6 addresses count by their /64 network: one host
/// commonly holds a whole /64, and could otherwise take a fresh counter per address.
pub fn address_key(addr: Option<&str>) -> String {
    match addr.and_then(|a| a.parse::<std::net::IpAddr>().ok()) {
        Some(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("address:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(ip) => format!("address:{ip}"),
        None => "address:unknown".to_owned(),
    }
}

/// Counts one attempt under `key` (stored as its digest, so any length fits); a 429 once the
/// window's count is above `limit`.
pub async fn hit<C: ConnectionTrait>(db: &C, key: &str, limit: u32, window_secs: u32) -> ApiResult<()> {
    let key = crate::auth::passwords::secret_digest(key);
    let now = chrono::Utc::now().timestamp();
    let window = i64::from(window_secs.max(1));
    let window_start = now - now.rem_euclid(window);
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               count = CASE WHEN rate_limits.window_start = EXCLUDED.window_start THEN rate_limits.count + 1 ELSE 1 END, \
               window_start = EXCLUDED.window_start \
             RETURNING count"
        }
        _ => {
            "INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               count = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.count + 1 ELSE 1 END, \
               window_start = excluded.window_start \
             RETURNING count"
        }
    };
    let statement = Statement::from_sql_and_values(db.get_database_backend(), sql, [key.as_str().into(), window_start.into()]);
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| ApiError::internal("the rate limit counter returned no row"))?;
    let count: i32 = row.try_get_by_index(0)?;
    if u32::try_from(count).unwrap_or(u32::MAX) > limit {
        let retry_after_secs = u32::try_from(window_start + window - now).unwrap_or(1).max(1);
        return Err(ApiError::RateLimited { retry_after_secs });
    }
    Ok(())
}

/// Removes counters of windows long past.
pub async fn prune<C: ConnectionTrait>(db: &C, older_than_secs: i64) -> ApiResult<()> {
    let cutoff = chrono::Utc::now().timestamp() - older_than_secs;
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => "DELETE FROM rate_limits WHERE window_start < $1",
        _ => "DELETE FROM rate_limits WHERE window_start < ?",
    };
    db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, [cutoff.into()]))
        .await?;
    Ok(())
}
