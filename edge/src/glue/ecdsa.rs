//! ECDSA P-256 / SHA-256 verification on the runtime's WebCrypto
//! (`crypto.subtle`), so the worker carries no software P-256.

use js_sys::{Array, Uint8Array};
use wasm_bindgen_futures::JsFuture;

use super::subtle::{algorithm, import_key, subtle_verify};
use crate::ecdsa::BadKey;

/// Whether `signature` (`r‖s`) signs `message` under the P-256 key `spki`.
pub async fn verify(spki: &[u8], message: &[u8], signature: &[u8; 64]) -> Result<bool, BadKey> {
    let import = import_key(
        "spki",
        &Uint8Array::from(spki),
        &algorithm(&[("name", "ECDSA"), ("namedCurve", "P-256")]),
        false,
        &Array::of1(&"verify".into()),
    );
    let key = match import {
        Ok(promise) => JsFuture::from(promise).await.map_err(|_| BadKey)?,
        Err(_) => return Err(BadKey),
    };
    let checked = subtle_verify(
        &algorithm(&[("name", "ECDSA"), ("hash", "SHA-256")]),
        &key,
        &Uint8Array::from(signature.as_slice()),
        &Uint8Array::from(message),
    );
    match checked {
        Ok(promise) => Ok(JsFuture::from(promise)
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)),
        Err(_) => Ok(false),
    }
}
