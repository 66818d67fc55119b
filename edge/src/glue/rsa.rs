//! RS256 verification on the runtime's WebCrypto (`crypto.subtle`).

use js_sys::{Array, Uint8Array};
use wasm_bindgen_futures::JsFuture;

use super::subtle::{algorithm, import_key, subtle_verify};
use crate::rsa::BadKey;

/// Whether `signature` signs `message` (RS256) under the key `spki`.
pub async fn verify(spki: &[u8], message: &[u8], signature: &[u8]) -> Result<bool, BadKey> {
    let rs256 = algorithm(&[("name", "RSASSA-PKCS1-v1_5"), ("hash", "SHA-256")]);
    let import = import_key(
        "spki",
        &Uint8Array::from(spki),
        &rs256,
        false,
        &Array::of1(&"verify".into()),
    );
    let key = match import {
        Ok(promise) => JsFuture::from(promise).await.map_err(|_| BadKey)?,
        Err(_) => return Err(BadKey),
    };
    let checked = subtle_verify(
        &rs256,
        &key,
        &Uint8Array::from(signature),
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
