//! Passwords (Argon2id, hashed off the async threads, a bounded number at a time) and the random
//! secrets of agency clients and demo users.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult};

/// Argon2id with 19 MiB of memory, 2 passes and 1 lane (the OWASP baseline).
fn argon2() -> ApiResult<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| ApiError::internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// How long a login waits for a free hashing slot before the answer is 503.
const QUEUE_WAIT: Duration = Duration::from_secs(10);

/// Computes password hashes on the blocking pool, at most `permits` at once, so a flood of
/// logins queues instead of taking all memory.
#[derive(Debug, Clone)]
pub struct PasswordHasherPool {
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when the account does not exist, so the
    /// answer takes as long as for a real account.
    decoy: Arc<String>,
}

impl PasswordHasherPool {
    pub fn new(concurrency: usize) -> ApiResult<Self> {
        let concurrency = if concurrency == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            concurrency
        };
        let decoy = hash_now(&random_secret(16)?)?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            decoy: Arc::new(decoy),
        })
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
        let permit = tokio::time::timeout(QUEUE_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| ApiError::unavailable("password hashing is saturated"))?
            .map_err(|_| ApiError::unavailable("password hashing is closed"))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| ApiError::internal(format!("password hashing task: {e}")))?
    }

    /// The PHC string of a new password.
    pub async fn hash(&self, password: String) -> ApiResult<String> {
        self.run(move || hash_now(&password)).await
    }

    /// Whether `password` matches `stored`; with no stored hash, a decoy is checked so timing
    /// does not tell whether the account exists.
    pub async fn verify(&self, password: String, stored: Option<String>) -> ApiResult<bool> {
        let exists = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.decoy.as_ref().clone());
        let matched = self.run(move || verify_now(&password, &hash)).await?;
        Ok(exists && matched)
    }
}

/// Hashes a password on the current thread (for the command line and the pool).
pub fn hash_now(password: &str) -> ApiResult<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::internal(format!("salt: {e}")))?;
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("hashing: {e}")))
}

fn verify_now(password: &str, stored: &str) -> ApiResult<bool> {
    let parsed = PasswordHash::new(stored).map_err(|e| ApiError::internal(format!("stored password hash: {e}")))?;
    // The parameters stored with the hash are used, so stronger future settings keep old hashes valid.
    Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// `bytes` random bytes, base64url-encoded.
pub fn random_secret(bytes: usize) -> ApiResult<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(buffer))
}

/// The stored form of a client secret: it is random and long, so SHA-256 is enough.
pub fn secret_digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two digests in time independent of where they differ.
pub fn digests_match(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The rules a new password must meet.
pub fn password_problem(password: &str) -> Option<crate::i18n::Text> {
    let length = password.chars().count();
    if length < 12 {
        Some(crate::text!(en: "Must be at least 12 characters long.", vi: "Phải dài ít nhất 12 ký tự."))
    } else if length > 200 {
        Some(crate::text!(en: "Must be at most 200 characters long.", vi: "Không được dài quá 200 ký tự."))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_now("correct horse battery").unwrap();
        let b = hash_now("correct horse battery").unwrap();
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert!(verify_now("correct horse battery", &a).unwrap());
        assert!(!verify_now("wrong horse battery", &a).unwrap());
    }

    #[test]
    fn digests_compare() {
        let d = secret_digest("s3cret");
        assert!(digests_match(&d, &secret_digest("s3cret")));
        assert!(!digests_match(&d, &secret_digest("s3cret!")));
    }
}
