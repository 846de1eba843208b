//! Access and refresh tokens: EdDSA-signed JWTs with a `kid`, told apart by their header `typ`.
//!
//! Validation is strict on purpose: the algorithm is pinned, `exp`, `iat`, `iss`, `aud` and
//! `sub` are required, `nbf` is checked when present, `iat` may not lie in the future, the `kid`
//! must name a trusted key and the `typ` must be the one expected. jsonwebtoken checks neither
//! `nbf`, `iss` nor `typ` unless told, so each is asked for here.
//!
//! An access token is sent with every request, so the service remembers the ones it has verified
//! (by the SHA-256 of their text, not the text itself). A token seen again skips the signature
//! check and the parsing; its times are checked on every use. Only tokens that passed every check
//! are remembered, the keys are fixed for the life of the process, and access tokens are never
//! revoked before they expire, so a remembered token is accepted exactly when verifying it again
//! would accept it.

use std::sync::Arc;

use jsonwebtoken::{Algorithm, Header, Validation};
use quick_cache::sync::Cache;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::keys::KeySet;
use crate::config::AuthSettings;
use crate::domain::{Classification, Role, Scope};

/// Header `typ` of access tokens (RFC 9068).
pub const ACCESS_TYP: &str = "at+jwt";
/// Header `typ` of refresh tokens.
pub const REFRESH_TYP: &str = "rt+jwt";

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user's or client's id.
    pub sub: Uuid,
    /// Set for agency systems: the client's id (RFC 9068).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<Uuid>,
    pub unit_id: Uuid,
    pub roles: Vec<Role>,
    pub clearance: Classification,
    /// Space-separated scopes.
    pub scope: String,
    pub jti: Uuid,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

/// The claims of a refresh token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshClaims {
    pub iss: String,
    pub aud: String,
    pub sub: Uuid,
    pub jti: Uuid,
    /// The family: every token rotated from one login.
    pub fam: Uuid,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

/// Why a token was refused; logged, never shown to the caller in detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected(pub String);

/// How many verified access tokens are remembered (about 3 MB at most). When the cache is full,
/// tokens seldom used again make way first.
const REMEMBERED_TOKENS: usize = 10_000;

/// Verified access tokens by the SHA-256 of their text.
type Verified = Cache<[u8; 32], Arc<AccessClaims>>;

/// Issues and verifies this deployment's tokens.
#[derive(Clone)]
pub struct TokenService {
    keys: KeySet,
    pub issuer: String,
    pub audience: String,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    skew_secs: u64,
    verified: Arc<Verified>,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("keys", &self.keys)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("remembered_tokens", &self.verified.len())
            .finish_non_exhaustive()
    }
}

impl TokenService {
    pub fn new(keys: KeySet, settings: &AuthSettings) -> Self {
        Self {
            keys,
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            access_ttl_secs: settings.access_token_ttl_secs.into(),
            refresh_ttl_secs: settings.refresh_token_ttl_secs.into(),
            skew_secs: settings.clock_skew_secs.into(),
            verified: Arc::new(Cache::new(REMEMBERED_TOKENS)),
        }
    }

    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, String> {
        let (key, kid) = self.keys.signing();
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(typ.to_owned());
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, key).map_err(|e| format!("cannot sign a token: {e}"))
    }

    /// Signs an access token with the given claims (`iss`, `aud`, times and `jti` are filled in).
    pub fn issue_access(&self, principal: AccessGrant) -> Result<String, String> {
        let now = chrono::Utc::now().timestamp();
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: principal.sub,
            client_id: principal.client_id,
            unit_id: principal.unit_id,
            roles: principal.roles,
            clearance: principal.clearance,
            scope: principal.scopes.iter().map(AsRef::as_ref).collect::<Vec<&str>>().join(" "),
            jti: Uuid::now_v7(),
            iat: now,
            nbf: now,
            exp: now + self.access_ttl_secs,
        };
        self.sign(ACCESS_TYP, &claims)
    }

    /// Signs any claims as an access token; for tools and tests that need unusual tokens.
    pub fn sign_access_claims<T: Serialize>(&self, claims: &T) -> Result<String, String> {
        self.sign(ACCESS_TYP, claims)
    }

    /// Signs a refresh token of `family`; returns it with its id and expiry.
    pub fn issue_refresh(&self, user: Uuid, family: Uuid) -> Result<(String, RefreshClaims), String> {
        let now = chrono::Utc::now().timestamp();
        let claims = RefreshClaims {
            iss: self.issuer.clone(),
            aud: self.issuer.clone(),
            sub: user,
            jti: Uuid::now_v7(),
            fam: family,
            iat: now,
            nbf: now,
            exp: now + self.refresh_ttl_secs,
        };
        Ok((self.sign(REFRESH_TYP, &claims)?, claims))
    }

    fn validation(&self, audience: &str) -> Validation {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[audience]);
        validation.leeway = self.skew_secs;
        validation
    }

    /// Checks a token's header, signature and claims, its times included.
    fn verify<T: for<'de> Deserialize<'de>>(&self, token: &str, typ: &str, audience: &str) -> Result<T, Rejected> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| Rejected(format!("malformed header: {e}")))?;
        if header.alg != Algorithm::EdDSA {
            return Err(Rejected(format!("algorithm {:?} is not accepted", header.alg)));
        }
        if header.typ.as_deref() != Some(typ) {
            return Err(Rejected(format!("token type {:?} where {typ} is expected", header.typ)));
        }
        if header.crit.is_some() {
            return Err(Rejected("critical header extensions are not understood".to_owned()));
        }
        let kid = header.kid.ok_or_else(|| Rejected("no kid".to_owned()))?;
        let key = self.keys.verifying(&kid).ok_or_else(|| Rejected(format!("unknown kid {kid:?}")))?;
        let data =
            jsonwebtoken::decode::<T>(token, key, &self.validation(audience)).map_err(|e| Rejected(format!("invalid token: {e}")))?;
        Ok(data.claims)
    }

    /// Checks a token's times against the clock, allowing the configured skew: not expired, not
    /// used before `nbf`, not issued in the future. (jsonwebtoken checks the first two as well
    /// when it verifies a token; a remembered token is checked here alone.)
    fn check_times(&self, iat: i64, nbf: i64, exp: i64) -> Result<(), Rejected> {
        let now = chrono::Utc::now().timestamp();
        let skew = i64::try_from(self.skew_secs).unwrap_or(i64::MAX);
        if exp < now.saturating_sub(skew) {
            return Err(Rejected("expired".to_owned()));
        }
        if nbf > now.saturating_add(skew) {
            return Err(Rejected("not valid yet".to_owned()));
        }
        if iat > now.saturating_add(skew) {
            return Err(Rejected("issued in the future".to_owned()));
        }
        Ok(())
    }

    /// Verifies an access token, or finds it among those verified before; either way checks its
    /// times.
    pub fn verify_access(&self, token: &str) -> Result<Arc<AccessClaims>, Rejected> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(claims) = self.verified.get(&digest) {
            if let Err(rejected) = self.check_times(claims.iat, claims.nbf, claims.exp) {
                self.verified.remove(&digest);
                return Err(rejected);
            }
            return Ok(claims);
        }
        let claims = Arc::new(self.verify::<AccessClaims>(token, ACCESS_TYP, &self.audience)?);
        self.check_times(claims.iat, claims.nbf, claims.exp)?;
        self.verified.insert(digest, Arc::clone(&claims));
        Ok(claims)
    }

    /// Verifies a refresh token's signature and times (whether it is still usable is the
    /// database's to say).
    pub fn verify_refresh(&self, token: &str) -> Result<RefreshClaims, Rejected> {
        let claims = self.verify::<RefreshClaims>(token, REFRESH_TYP, &self.issuer)?;
        self.check_times(claims.iat, claims.nbf, claims.exp)?;
        Ok(claims)
    }
}

/// What an access token says about its holder.
#[derive(Debug, Clone)]
pub struct AccessGrant {
    pub sub: Uuid,
    pub client_id: Option<Uuid>,
    pub unit_id: Uuid,
    pub roles: Vec<Role>,
    pub clearance: Classification,
    pub scopes: Vec<Scope>,
}

/// Signs and verifies one token with the configured keys.
pub(super) fn self_test(keys: &KeySet) -> Result<(), String> {
    let settings = AuthSettings::for_self_test();
    let service = TokenService::new(keys.clone(), &settings);
    let token = service.issue_access(AccessGrant {
        sub: Uuid::nil(),
        client_id: None,
        unit_id: Uuid::nil(),
        roles: vec![],
        clearance: Classification::Public,
        scopes: vec![],
    })?;
    service
        .verify_access(&token)
        .map(|_| ())
        .map_err(|e| format!("token self-test failed: {}", e.0))
}
