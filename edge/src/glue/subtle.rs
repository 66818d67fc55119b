//! The runtime's WebCrypto (`crypto.subtle`) calls Keygate makes: key
//! import and verification for ECDSA (secret scanning) and RSA
//! (Access tokens), and HMAC signing.

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// `crypto.subtle.importKey`.
    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = importKey, catch)]
    pub fn import_key(
        format: &str,
        key_data: &Uint8Array,
        algorithm: &Object,
        extractable: bool,
        usages: &Array,
    ) -> Result<Promise, JsValue>;

    /// `crypto.subtle.verify`.
    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = verify, catch)]
    pub fn subtle_verify(
        algorithm: &Object,
        key: &JsValue,
        signature: &Uint8Array,
        data: &Uint8Array,
    ) -> Result<Promise, JsValue>;
}

/// A WebCrypto algorithm object from string fields.
pub fn algorithm(fields: &[(&str, &str)]) -> Object {
    let object = Object::new();
    for (name, value) in fields {
        // Setting a string on a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &(*name).into(), &(*value).into());
    }
    object
}

/// The SPKI key could not be imported under the algorithm asked for.
pub struct NotAKey;

/// Whether `signature` signs `message` under the SPKI public key `spki`,
/// imported as `import` and checked as `check` (ECDSA and RSA differ only
/// in these two algorithm objects). A signature WebCrypto cannot even read
/// is a bad signature, not an error.
pub async fn verify_spki(
    spki: &[u8],
    import: &Object,
    check: &Object,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, NotAKey> {
    let imported = import_key(
        "spki",
        &Uint8Array::from(spki),
        import,
        false,
        &Array::of1(&"verify".into()),
    );
    let key = match imported {
        Ok(promise) => JsFuture::from(promise).await.map_err(|_| NotAKey)?,
        Err(_) => return Err(NotAKey),
    };
    match subtle_verify(
        check,
        &key,
        &Uint8Array::from(signature),
        &Uint8Array::from(message),
    ) {
        Ok(promise) => Ok(JsFuture::from(promise)
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)),
        Err(_) => Ok(false),
    }
}
