//! Token signing and verification keys: one Ed25519 signing key, any number of verification keys
//! (the signing key's own and retired ones still trusted), each named by its RFC 7638 thumbprint.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::AuthSettings;

/// The keys of this deployment.
#[derive(Clone)]
pub struct KeySet {
    signing: EncodingKey,
    signing_kid: String,
    verifying: BTreeMap<String, (DecodingKey, [u8; 32])>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("signing_kid", &self.signing_kid)
            .field("verifying", &self.verifying.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl KeySet {
    /// Loads the configured keys; a deployment without a signing key does not start.
    pub fn from_settings(settings: &AuthSettings) -> Result<Self, String> {
        let pem = match (&settings.jwt_signing_key, &settings.jwt_signing_key_file) {
            (Some(pem), _) if !pem.trim().is_empty() => pem.clone(),
            (_, Some(path)) => std::fs::read_to_string(path).map_err(|e| format!("cannot read the signing key {}: {e}", path.display()))?,
            _ => {
                return Err(
                    "no token signing key: set LIENKET_JWT_SIGNING_KEY_FILE (an Ed25519 private key in PKCS#8 PEM, \
                     e.g. from `openssl genpkey -algorithm ed25519`) or run in demo mode"
                        .to_owned(),
                );
            }
        };
        let mut keys = Self::from_signing_pem(&pem)?;
        for path in &settings.jwt_verification_key_files {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the verification key {}: {e}", path.display()))?;
            let public = VerifyingKey::from_public_key_pem(text.trim())
                .map_err(|e| format!("{} is not an Ed25519 public key in PEM: {e}", path.display()))?;
            keys.trust(public);
        }
        keys.self_test()?;
        Ok(keys)
    }

    /// A key set around one Ed25519 private key in PKCS#8 PEM.
    pub fn from_signing_pem(pem: &str) -> Result<Self, String> {
        let private = SigningKey::from_pkcs8_pem(pem.trim())
            .map_err(|e| format!("the signing key is not an Ed25519 private key in PKCS#8 PEM: {e}"))?;
        let signing = EncodingKey::from_ed_pem(pem.trim().as_bytes()).map_err(|e| format!("unusable signing key: {e}"))?;
        let public = private.verifying_key();
        let mut keys = Self {
            signing,
            signing_kid: thumbprint(&public),
            verifying: BTreeMap::new(),
        };
        keys.trust(public);
        Ok(keys)
    }

    fn trust(&mut self, public: VerifyingKey) {
        let x = public.to_bytes();
        let decoding = DecodingKey::from_ed_der(&x);
        self.verifying.insert(thumbprint(&public), (decoding, x));
    }

    /// Signs and verifies one token, so a broken crypto set-up stops the start instead of the
    /// first login.
    fn self_test(&self) -> Result<(), String> {
        super::tokens::self_test(self)
    }

    pub fn signing(&self) -> (&EncodingKey, &str) {
        (&self.signing, &self.signing_kid)
    }

    /// The verification key named `kid`, if it is trusted.
    pub fn verifying(&self, kid: &str) -> Option<&DecodingKey> {
        self.verifying.get(kid).map(|(key, _)| key)
    }

    /// The public keys as a JSON Web Key Set.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .verifying
            .iter()
            .map(|(kid, (_, x))| {
                json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(x), "kid": kid, "alg": "EdDSA", "use": "sig"})
            })
            .collect();
        json!({ "keys": keys })
    }
}

/// The RFC 7638 thumbprint of an Ed25519 public key, used as its `kid`.
fn thumbprint(public: &VerifyingKey) -> String {
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(public.to_bytes())
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// A new Ed25519 private key in PKCS#8 PEM.
pub fn generate_pem() -> Result<String, String> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
    let key = SigningKey::from_bytes(&seed);
    key.to_pkcs8_pem(LineEnding::LF)
        .map(|pem| pem.to_string())
        .map_err(|e| format!("cannot encode the key: {e}"))
}

/// The public key (SPKI PEM) of an Ed25519 private key in PKCS#8 PEM: what the other nodes, and
/// other systems, need to keep verifying its tokens after it stops signing.
pub fn public_pem(private_pem: &str) -> Result<String, String> {
    use ed25519_dalek::pkcs8::EncodePublicKey;
    let private = SigningKey::from_pkcs8_pem(private_pem.trim()).map_err(|e| format!("not an Ed25519 private key: {e}"))?;
    private
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| format!("cannot encode the public key: {e}"))
}

/// In demo mode without a configured key: the key kept in the data directory, made on first use.
pub fn demo_signing_key(data_dir: &Path) -> Result<String, String> {
    let path = data_dir.join("jwt-signing-key.pem");
    if let Ok(pem) = std::fs::read_to_string(&path) {
        return Ok(pem);
    }
    std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let pem = generate_pem()?;
    write_private(&path, &pem)?;
    tracing::warn!(path = %path.display(), "demo mode: generated a token signing key; configure LIENKET_JWT_SIGNING_KEY_FILE in production");
    Ok(pem)
}

/// Writes a file only its owner may read.
fn write_private(path: &Path, content: &str) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(content.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
