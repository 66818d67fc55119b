//! Signed identity (§5): with `ORIGIN_SIGNING_SECRET` set, every forwarded
//! request carries `X-Keygate-Signature: t=<unix seconds>,v1=<hex
//! HMAC-SHA256>` over what the origin receives, so an origin that can be
//! reached without the gateway tells a forward from a forgery. The format
//! and the origin's check live in the `keygate-origin` crate; the worker
//! computes the HMAC with WebCrypto.

use keygate_origin::{header_value, string_to_sign, Forwarded, Secrets};

/// The `X-Keygate-Signature` value for `f` at `t` (Unix seconds), signed
/// with the first secret.
///
/// # Errors
/// The runtime's crypto failed (the request must not be forwarded).
pub async fn signature(secrets: &Secrets, t: i64, f: &Forwarded<'_>) -> Result<String, String> {
    let message = string_to_sign(t, f);
    let mac = mac_hex(secrets.signing_key(), &message).await?;
    Ok(header_value(t, &mac))
}

#[cfg(target_arch = "wasm32")]
async fn mac_hex(secret: &[u8], message: &str) -> Result<String, String> {
    crate::glue::hmac::sign_hex(secret, message).await
}

/// Natively (tests): the crate's own HMAC, the check origins run.
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::unused_async)] // the same signature as the WebCrypto one
async fn mac_hex(secret: &[u8], message: &str) -> Result<String, String> {
    Ok(keygate_origin::mac_hex(secret, message))
}
