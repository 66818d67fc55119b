//! RS256 verification on the runtime's WebCrypto (`crypto.subtle`).

use super::subtle::{algorithm, verify_spki};
use crate::rsa::BadKey;

/// Whether `signature` signs `message` (RS256) under the key `spki`.
pub async fn verify(spki: &[u8], message: &[u8], signature: &[u8]) -> Result<bool, BadKey> {
    let rs256 = algorithm(&[("name", "RSASSA-PKCS1-v1_5"), ("hash", "SHA-256")]);
    verify_spki(spki, &rs256, &rs256, message, signature)
        .await
        .map_err(|_| BadKey)
}
