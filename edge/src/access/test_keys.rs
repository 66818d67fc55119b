//! RSA keys and Access tokens made by the tests themselves (generated once
//! per test run; nothing here is a real team's key).

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest, Sha256};

/// Test key `i` (0 or 1), 2048 bits.
pub fn private(i: usize) -> RsaPrivateKey {
    static KEYS: OnceLock<Vec<RsaPrivateKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        (0..2)
            .map(|_| RsaPrivateKey::new(&mut rand_core::OsRng, 2048).expect("rsa key"))
            .collect()
    })[i]
        .clone()
}

/// RS256 signature of `message`.
pub fn sign(key: &RsaPrivateKey, message: &[u8]) -> Vec<u8> {
    key.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message))
        .expect("sign")
}

/// A JWK set with the public halves of `keys` (`kid`, key).
pub fn certs(keys: &[(&str, &RsaPrivateKey)]) -> String {
    let keys: Vec<serde_json::Value> = keys
        .iter()
        .map(|(kid, k)| {
            serde_json::json!({
                "kid": kid, "kty": "RSA", "alg": "RS256", "use": "sig",
                "n": URL_SAFE_NO_PAD.encode(k.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(k.e().to_bytes_be()),
            })
        })
        .collect();
    serde_json::json!({ "keys": keys }).to_string()
}

/// A token with `header` and `claims`, signed by `key`.
pub fn token(
    key: &RsaPrivateKey,
    header: &serde_json::Value,
    claims: &serde_json::Value,
) -> String {
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = URL_SAFE_NO_PAD.encode(sign(key, signed.as_bytes()));
    format!("{signed}.{signature}")
}
