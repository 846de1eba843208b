//! Passwords (Argon2id, hashed off the async threads, a bounded number at a time, in memory
//! allocated once) and the random secrets of agency clients and demo users.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult};

/// Argon2id with 19 MiB of memory, 2 passes and 1 lane (the OWASP baseline).
fn params() -> ApiResult<Params> {
    Params::new(19 * 1024, 2, 1, None).map_err(|e| ApiError::internal(format!("argon2 parameters: {e}")))
}

/// How long a login waits for a free hashing slot before the answer is 503.
const QUEUE_WAIT: Duration = Duration::from_secs(10);

/// Computes password hashes on the blocking pool, at most `permits` at once, each in one of
/// `permits` working memories allocated at start. A flood of logins queues instead of taking
/// memory: hashing never holds more than `permits` × 19 MiB, and never asks the allocator again
/// (freed 19 MiB blocks would otherwise stay with the allocator's per-thread arenas).
#[derive(Debug, Clone)]
pub struct PasswordHasherPool {
    permits: Arc<Semaphore>,
    memories: Arc<Mutex<Vec<Vec<Block>>>>,
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
        let blocks = params()?.block_count();
        let memories = (0..concurrency).map(|_| vec![Block::default(); blocks]).collect();
        let decoy = hash_now(&random_secret(16)?)?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            memories: Arc::new(Mutex::new(memories)),
            decoy: Arc::new(decoy),
        })
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce(&mut [Block]) -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
        let permit = tokio::time::timeout(QUEUE_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| ApiError::unavailable("password hashing is saturated"))?
            .map_err(|_| ApiError::unavailable("password hashing is closed"))?;
        let memories = self.memories.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            // A permit guarantees a free memory; one is made only if that ever fails to hold.
            let taken = memories.lock().ok().and_then(|mut m| m.pop());
            let mut memory = match taken {
                Some(memory) => memory,
                None => vec![Block::default(); params()?.block_count()],
            };
            let result = work(&mut memory);
            if let Ok(mut m) = memories.lock() {
                m.push(memory);
            }
            result
        })
        .await
        .map_err(|e| ApiError::internal(format!("password hashing task: {e}")))?
    }

    /// The PHC string of a new password.
    pub async fn hash(&self, password: String) -> ApiResult<String> {
        self.run(move |memory| hash_with(&password, memory)).await
    }

    /// Whether `password` matches `stored`; with no stored hash, a decoy is checked so timing
    /// does not tell whether the account exists.
    pub async fn verify(&self, password: String, stored: Option<String>) -> ApiResult<bool> {
        let exists = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.decoy.as_ref().clone());
        let matched = self.run(move |memory| verify_with(&password, &hash, memory)).await?;
        Ok(exists && matched)
    }
}

/// Hashes a password on the current thread (for the command line and the demo users).
pub fn hash_now(password: &str) -> ApiResult<String> {
    let mut memory = vec![Block::default(); params()?.block_count()];
    hash_with(password, &mut memory)
}

fn crypto(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("password hashing: {e}"))
}

fn hash_with(password: &str, memory: &mut [Block]) -> ApiResult<String> {
    let mut raw_salt = [0u8; 16];
    getrandom::fill(&mut raw_salt).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&raw_salt).map_err(crypto)?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params()?);
    let mut out = [0u8; 32];
    argon2
        .hash_password_into_with_memory(password.as_bytes(), &raw_salt, &mut out, &mut *memory)
        .map_err(crypto)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: argon2.params().try_into().map_err(crypto)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(crypto)?),
    };
    Ok(phc.to_string())
}

/// Checks a password against a stored PHC string, with the parameters stored in it (so hashes
/// made with other settings stay valid); a stored hash wanting more memory than `memory` gets
/// its own.
fn verify_with(password: &str, stored: &str, memory: &mut [Block]) -> ApiResult<bool> {
    let parsed = PasswordHash::new(stored).map_err(|e| ApiError::internal(format!("stored password hash: {e}")))?;
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(crypto)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(crypto)?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).map_err(crypto)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(ApiError::internal("stored password hash has no salt or output"));
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    let mut own;
    let memory = if memory.len() >= params.block_count() {
        memory
    } else {
        own = vec![Block::default(); params.block_count()];
        own.as_mut_slice()
    };
    let mut salt_buffer = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buffer).map_err(crypto)?;
    argon2
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, memory)
        .map_err(crypto)?;
    // `Output` compares in constant time.
    Ok(Output::new(&out).map_err(crypto)? == expected)
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
    fn our_hashes_verify_with_the_reference_implementation() {
        use argon2::password_hash::PasswordVerifier;
        let ours = hash_now("correct horse battery").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"correct horse battery", &parsed).is_ok());
    }

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_now("correct horse battery").unwrap();
        let b = hash_now("correct horse battery").unwrap();
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        let mut memory = vec![Block::default(); params().unwrap().block_count()];
        assert!(verify_with("correct horse battery", &a, &mut memory).unwrap());
        assert!(!verify_with("wrong horse battery", &a, &mut memory).unwrap());
    }

    #[test]
    fn hashes_of_the_reference_implementation_verify() {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let reference = Argon2::default().hash_password(b"hunter2 hunter2", &salt).unwrap().to_string();
        let mut memory = vec![Block::default(); params().unwrap().block_count()];
        assert!(verify_with("hunter2 hunter2", &reference, &mut memory).unwrap());
        assert!(!verify_with("hunter3 hunter3", &reference, &mut memory).unwrap());
    }

    #[test]
    fn digests_compare() {
        let d = secret_digest("s3cret");
        assert!(digests_match(&d, &secret_digest("s3cret")));
        assert!(!digests_match(&d, &secret_digest("s3cret!")));
    }
}
