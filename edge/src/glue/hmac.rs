//! HMAC-SHA256 on the runtime's WebCrypto (`crypto.subtle`), for the
//! signed identity of forwarded requests (§5).

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::subtle::{algorithm, import_key};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = sign, catch)]
    fn subtle_sign(algorithm: &str, key: &JsValue, data: &Uint8Array) -> Result<Promise, JsValue>;
}

thread_local! {
    /// The imported signing key of this isolate, with the secret it was
    /// imported from, so a request pays for one `sign`, not an import too.
    static KEY: std::cell::RefCell<Option<(Vec<u8>, JsValue)>> = const { std::cell::RefCell::new(None) };
}

fn failed(e: JsValue) -> String {
    super::js_error_message(&e).unwrap_or_else(|| "WebCrypto failed".to_owned())
}

async fn key_for(secret: &[u8]) -> Result<JsValue, String> {
    if let Some(key) = KEY.with(|k| {
        k.borrow()
            .as_ref()
            .filter(|(s, _)| s == secret)
            .map(|(_, key)| key.clone())
    }) {
        return Ok(key);
    }
    let promise = import_key(
        "raw",
        &Uint8Array::from(secret),
        &algorithm(&[("name", "HMAC"), ("hash", "SHA-256")]),
        false,
        &Array::of1(&"sign".into()),
    )
    .map_err(failed)?;
    let key = JsFuture::from(promise).await.map_err(failed)?;
    KEY.with(|k| *k.borrow_mut() = Some((secret.to_vec(), key.clone())));
    Ok(key)
}

/// HMAC-SHA256 of `message` under `secret`, lower-case hex.
pub async fn sign_hex(secret: &[u8], message: &str) -> Result<String, String> {
    let key = key_for(secret).await?;
    let promise =
        subtle_sign("HMAC", &key, &Uint8Array::from(message.as_bytes())).map_err(failed)?;
    let mac = Uint8Array::new(&JsFuture::from(promise).await.map_err(failed)?).to_vec();
    Ok(mac.iter().map(|b| format!("{b:02x}")).collect())
}
