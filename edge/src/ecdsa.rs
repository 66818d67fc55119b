//! ECDSA P-256 with SHA-256, for secret scanning reports.
//!
//! The inputs are decoded here, the same everywhere (PEM public key to SPKI
//! DER, DER signature to the fixed 64-byte `r‖s` form); the check itself
//! runs on the runtime's WebCrypto at the edge (`glue/ecdsa.rs`) and on
//! RustCrypto's `p256` natively. The worker so carries no software P-256
//! (`p256`, `der`, `primeorder`, `crypto-bigint`: ~25 KB of wasm), and the
//! native build, which the unit tests and fuzzers run, keeps a second,
//! independent implementation to compare against.

use base64::Engine;

/// The configured public key could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadKey;

/// SPKI DER of a `-----BEGIN PUBLIC KEY-----` PEM block.
#[must_use]
pub fn spki_from_pem(pem: &str) -> Option<Vec<u8>> {
    let body = pem
        .trim()
        .strip_prefix("-----BEGIN PUBLIC KEY-----")?
        .strip_suffix("-----END PUBLIC KEY-----")?;
    let base64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(base64)
        .ok()
        .filter(|der| !der.is_empty())
}

/// `r‖s` (32 bytes each, big-endian) of a DER `SEQUENCE { r INTEGER, s
/// INTEGER }`. Only the canonical encoding is accepted: short lengths,
/// minimal positive integers of at most 32 bytes, nothing after.
#[must_use]
pub fn signature_from_der(der: &[u8]) -> Option<[u8; 64]> {
    let (&tag, rest) = der.split_first()?;
    let (&len, rest) = rest.split_first()?;
    if tag != 0x30 || len >= 0x80 || usize::from(len) != rest.len() {
        return None;
    }
    let (r, rest) = integer(rest)?;
    let (s, rest) = integer(rest)?;
    if !rest.is_empty() {
        return None;
    }
    let mut out = [0u8; 64];
    out[32 - r.len()..32].copy_from_slice(r);
    out[64 - s.len()..].copy_from_slice(s);
    Some(out)
}

/// One DER INTEGER's magnitude (leading sign byte removed) and the rest.
fn integer(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&len, rest) = rest.split_first()?;
    let len = usize::from(len);
    if tag != 0x02 || len == 0 || len >= 0x80 || rest.len() < len {
        return None;
    }
    let (value, rest) = rest.split_at(len);
    let negative = value[0] & 0x80 != 0;
    let padded = value.len() > 1 && value[0] == 0 && value[1] & 0x80 == 0;
    if negative || padded {
        return None;
    }
    let magnitude = if value[0] == 0 { &value[1..] } else { value };
    if magnitude.is_empty() || magnitude.len() > 32 {
        return None;
    }
    Some((magnitude, rest))
}

/// Whether `signature` (`r‖s`) signs `message` under the P-256 key `spki`.
///
/// # Errors
/// [`BadKey`] when `spki` is not a P-256 public key.
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::unused_async)] // async to match the WebCrypto version
pub async fn verify(spki: &[u8], message: &[u8], signature: &[u8; 64]) -> Result<bool, BadKey> {
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::{Signature, VerifyingKey};
    use p256::pkcs8::DecodePublicKey;
    let key = VerifyingKey::from_public_key_der(spki).map_err(|_| BadKey)?;
    let Ok(signature) = Signature::from_slice(signature) else {
        return Ok(false);
    };
    Ok(key.verify(message, &signature).is_ok())
}

/// Whether `signature` (`r‖s`) signs `message` under the P-256 key `spki`.
///
/// # Errors
/// [`BadKey`] when `spki` is not a P-256 public key.
#[cfg(target_arch = "wasm32")]
pub async fn verify(spki: &[u8], message: &[u8], signature: &[u8; 64]) -> Result<bool, BadKey> {
    crate::glue::ecdsa::verify(spki, message, signature).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer;
    use p256::ecdsa::{Signature, SigningKey};
    use p256::pkcs8::{EncodePublicKey, LineEnding};
    use proptest::prelude::*;

    fn key(seed: u8) -> SigningKey {
        // Leading 0x01 keeps the scalar below the curve order.
        let mut scalar = [seed; 32];
        scalar[0] = 1;
        SigningKey::from_slice(&scalar).expect("valid scalar")
    }

    #[test]
    fn pem_round_trip_and_verification() {
        let signing = key(7);
        let pem = signing
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("pem");
        let spki = spki_from_pem(&pem).expect("spki");
        let sig: Signature = signing.sign(b"report");
        let raw = signature_from_der(sig.to_der().as_bytes()).expect("der");
        assert_eq!(raw.as_slice(), sig.to_bytes().as_slice());
        let run = |m: &[u8], s: &[u8; 64], k: &[u8]| pollster::block_on(verify(k, m, s));
        assert_eq!(run(b"report", &raw, &spki), Ok(true));
        assert_eq!(run(b"reporT", &raw, &spki), Ok(false));
        let other = spki_from_pem(
            &key(9)
                .verifying_key()
                .to_public_key_pem(LineEnding::LF)
                .expect("pem"),
        )
        .expect("spki");
        assert_eq!(run(b"report", &raw, &other), Ok(false));
        assert_eq!(run(b"report", &raw, b"not a key"), Err(BadKey));
    }

    #[test]
    fn bad_pem_and_der_are_refused() {
        assert_eq!(spki_from_pem("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"), None);
        assert_eq!(
            spki_from_pem("-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----"),
            None
        );
        for der in [
            &b""[..],
            &[0x30, 0x00],
            &[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00], // trailing byte
            &[0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01],       // negative r
            &[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01], // padded r
            &[0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01],       // zero r
            &[0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01],       // not a SEQUENCE
        ] {
            assert_eq!(signature_from_der(der), None, "{der:?}");
        }
        assert!(signature_from_der(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]).is_some());
    }

    proptest! {
        /// The decoder agrees with RustCrypto's: on real signatures, and on
        /// arbitrary bytes (accepting only what `from_der` accepts, with the
        /// same r and s).
        #[test]
        fn der_decoding_matches_p256(msg in proptest::collection::vec(any::<u8>(), 0..64),
                                     seed in 1u8..=255,
                                     noise in proptest::collection::vec(any::<u8>(), 0..80)) {
            let sig: Signature = key(seed).sign(&msg);
            let raw = signature_from_der(sig.to_der().as_bytes());
            prop_assert_eq!(raw.map(|r| r.to_vec()), Some(sig.to_bytes().to_vec()));
            if let Some(ours) = signature_from_der(&noise) {
                if let Ok(theirs) = Signature::from_der(&noise) {
                    prop_assert_eq!(ours.to_vec(), theirs.to_bytes().to_vec());
                }
            }
        }

        /// One changed byte of a real signature: whatever RustCrypto still
        /// accepts, we accept with the same r and s (we may accept more:
        /// r or s out of range, which verification then refuses).
        #[test]
        fn mutated_der_matches_p256(seed in 1u8..=255, at in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let sig: Signature = key(seed).sign(b"report");
            let mut der = sig.to_der().as_bytes().to_vec();
            let i = at.index(der.len());
            der[i] = byte;
            let ours = signature_from_der(&der);
            if let Ok(theirs) = Signature::from_der(&der) {
                prop_assert_eq!(ours.map(|r| r.to_vec()), Some(theirs.to_bytes().to_vec()));
            }
        }
    }
}
