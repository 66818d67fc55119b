//! A P-256 key pair made for this test run, standing in for GitHub's
//! secret scanning signing key.

use std::sync::OnceLock;

use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};

/// Identifier of the test key in the keys document.
pub const KEY_ID: &str = "keygate-test-key-1";

fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::random(&mut rand_core::OsRng))
}

/// GitHub's `{"public_keys": [...]}` document with the test key (and a
/// decoy that signs nothing).
#[must_use]
pub fn keys_document() -> String {
    let pem = key()
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("pem");
    let decoy = SigningKey::random(&mut rand_core::OsRng)
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("pem");
    serde_json::json!({"public_keys": [
        {"key_identifier": "decoy", "key": decoy, "is_current": false},
        {"key_identifier": KEY_ID, "key": pem, "is_current": true}
    ]})
    .to_string()
}

/// Base64 DER signature of `body` with the test key.
#[must_use]
pub fn sign(body: &str) -> String {
    let sig: Signature = key().sign(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sig.to_der().as_bytes())
}
