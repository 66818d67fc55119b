//! RS256 (RSASSA-PKCS1-v1_5 with SHA-256), for Cloudflare Access tokens
//! (§10).
//!
//! As for ECDSA (`ecdsa.rs`): the key is prepared here, the same
//! everywhere (a JWK's `n` and `e` to SPKI DER), and checked on the
//! runtime's WebCrypto at the edge (`glue/rsa.rs`) and on RustCrypto's
//! `rsa` natively, so the worker carries no big-number code and the
//! native tests compare against an independent implementation.

/// The public key could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadKey;

/// Smallest modulus accepted (2048 bits, as Access uses).
pub const MIN_MODULUS_BYTES: usize = 256;
/// Largest modulus accepted (4096 bits).
pub const MAX_MODULUS_BYTES: usize = 512;

/// SPKI DER of the RSA public key with big-endian modulus `n` and
/// exponent `e` (leading zero bytes allowed), or `None` for a key
/// outside 2048–4096 bits or an exponent that is not an odd number of
/// at most 32 bits above 1.
#[must_use]
pub fn spki_from_parts(n: &[u8], e: &[u8]) -> Option<Vec<u8>> {
    let n = strip_zeros(n);
    let e = strip_zeros(e);
    let exponent_ok = !e.is_empty()
        && e.len() <= 4
        && e.last().is_some_and(|b| b & 1 == 1)
        && !(e.len() == 1 && e[0] == 1);
    if !(MIN_MODULUS_BYTES..=MAX_MODULUS_BYTES).contains(&n.len()) || !exponent_ok {
        return None;
    }
    let rsa_public_key = der(0x30, &[integer(n), integer(e)].concat());
    // BIT STRING: no unused bits, then the key.
    let bit_string = der(0x03, &[&[0u8][..], &rsa_public_key].concat());
    // AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }.
    let algorithm = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    Some(der(0x30, &[&algorithm[..], &bit_string].concat()))
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// A DER INTEGER of a positive magnitude without leading zeros.
fn integer(magnitude: &[u8]) -> Vec<u8> {
    if magnitude.first().is_some_and(|b| b & 0x80 != 0) {
        der(0x02, &[&[0u8][..], magnitude].concat())
    } else {
        der(0x02, magnitude)
    }
}

/// Tag, DER length (short or long form), contents.
fn der(tag: u8, contents: &[u8]) -> Vec<u8> {
    let len = contents.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or_default());
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | u8::try_from(bytes.len()).unwrap_or_default());
        out.extend(bytes);
    }
    out.extend_from_slice(contents);
    out
}

/// Whether `signature` signs `message` (RS256) under the key `spki`.
///
/// # Errors
/// [`BadKey`] when `spki` is not an RSA public key.
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::unused_async)] // async to match the WebCrypto version
pub async fn verify(spki: &[u8], message: &[u8], signature: &[u8]) -> Result<bool, BadKey> {
    use rsa::pkcs8::DecodePublicKey;
    use sha2::{Digest, Sha256};
    let key = rsa::RsaPublicKey::from_public_key_der(spki).map_err(|_| BadKey)?;
    let digest = Sha256::digest(message);
    Ok(key
        .verify(rsa::Pkcs1v15Sign::new::<Sha256>(), &digest, signature)
        .is_ok())
}

/// Whether `signature` signs `message` (RS256) under the key `spki`.
///
/// # Errors
/// [`BadKey`] when `spki` is not an RSA public key.
#[cfg(target_arch = "wasm32")]
pub async fn verify(spki: &[u8], message: &[u8], signature: &[u8]) -> Result<bool, BadKey> {
    crate::glue::rsa::verify(spki, message, signature).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::EncodePublicKey;
    use rsa::traits::PublicKeyParts;

    #[test]
    fn spki_matches_rustcrypto_and_signatures_verify() {
        let private = crate::access::test_keys::private(0);
        let public = private.to_public_key();
        let ours = spki_from_parts(&public.n().to_bytes_be(), &public.e().to_bytes_be())
            .expect("a 2048-bit key");
        let theirs = public.to_public_key_der().expect("der");
        assert_eq!(ours, theirs.as_bytes());
        let signature = crate::access::test_keys::sign(&private, b"header.claims");
        let run = |m: &[u8], s: &[u8], k: &[u8]| pollster::block_on(verify(k, m, s));
        assert_eq!(run(b"header.claims", &signature, &ours), Ok(true));
        assert_eq!(run(b"header.claimz", &signature, &ours), Ok(false));
        assert_eq!(run(b"header.claims", &signature[1..], &ours), Ok(false));
        assert_eq!(run(b"header.claims", &signature, b"no key"), Err(BadKey));
        // Leading zeros of the JWK's big-endian numbers change nothing.
        let padded = [&[0u8, 0][..], &public.n().to_bytes_be()].concat();
        assert_eq!(
            spki_from_parts(&padded, &[0, 1, 0, 1]).as_deref(),
            Some(theirs.as_bytes())
        );
    }

    #[test]
    fn weak_or_odd_keys_are_refused() {
        let n = vec![0xc5u8; 256];
        assert!(spki_from_parts(&n, &[1, 0, 1]).is_some());
        assert_eq!(
            spki_from_parts(&n[..255], &[1, 0, 1]),
            None,
            "under 2048 bits"
        );
        assert_eq!(spki_from_parts(&vec![0xc5; 513], &[1, 0, 1]), None);
        assert_eq!(spki_from_parts(&n, &[1]), None, "e = 1");
        assert_eq!(spki_from_parts(&n, &[1, 0, 0]), None, "even e");
        assert_eq!(spki_from_parts(&n, &[]), None);
        assert_eq!(
            spki_from_parts(&n, &[1, 0, 0, 0, 1]),
            None,
            "e over 32 bits"
        );
    }
}
