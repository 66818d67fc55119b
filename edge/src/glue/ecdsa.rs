//! ECDSA P-256 / SHA-256 verification on the runtime's WebCrypto
//! (`crypto.subtle`), so the worker carries no software P-256.

use super::subtle::{algorithm, verify_spki};
use crate::ecdsa::BadKey;

/// Whether `signature` (`r‖s`) signs `message` under the P-256 key `spki`.
pub async fn verify(spki: &[u8], message: &[u8], signature: &[u8; 64]) -> Result<bool, BadKey> {
    verify_spki(
        spki,
        &algorithm(&[("name", "ECDSA"), ("namedCurve", "P-256")]),
        &algorithm(&[("name", "ECDSA"), ("hash", "SHA-256")]),
        message,
        signature,
    )
    .await
    .map_err(|_| BadKey)
}
