//! Checks Keygate's signed identity headers at the origin.
//!
//! Keygate's gateway forwards a request to your origin with
//! `X-Keygate-Key-Id`, `X-Keygate-Organization` and `X-Keygate-Roles`
//! (and `X-Keygate-Meta` once keys carry metadata). An origin that can be reached without the
//! gateway cannot trust those headers alone: anyone can type them. With
//! `ORIGIN_SIGNING_SECRET` set, the gateway also sends
//!
//! ```text
//! X-Keygate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//! ```
//!
//! over `t`, the method, the path, the query and the identity headers
//! ([`string_to_sign`]). This crate checks it: constant-time comparison,
//! a 300-second window ([`WINDOW_SECONDS`]), two secrets during rotation.
//! The path and query are the request target **as received** (not
//! decoded), split at the first `?`. With the `tower` feature,
//! `KeygateLayer` does it all for an axum or other tower origin (put it
//! on the outermost router: a nested router sees a stripped path).
//!
//! Depend on it from this repository, e.g.
//! `keygate-origin = { git = "…", features = ["tower"] }`.
//!
//! # Quickstart
//!
//! ```
//! use keygate_origin::{Forwarded, Secrets, verify, sign};
//!
//! // The same value as the worker's ORIGIN_SIGNING_SECRET.
//! let secrets = Secrets::parse("a-secret-of-at-least-32-characters!!").unwrap();
//! let request = Forwarded {
//!     method: "GET",
//!     path: "/calls/list",
//!     query: "page=2",
//!     key_id: "key_0123456789abcdef",
//!     organization: "acme",
//!     roles: "calls:read",
//!     meta: "",
//! };
//! // What the gateway sent (here made by the crate itself):
//! let header = sign(&secrets, 1_800_000_000, &request);
//! assert!(verify(&secrets, Some(&header), &request, 1_800_000_100).is_ok());
//! // Replayed six minutes later:
//! assert_eq!(
//!     verify(&secrets, Some(&header), &request, 1_800_000_400),
//!     Err(keygate_origin::Error::Expired)
//! );
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

#[cfg(feature = "tower")]
pub mod layer;
#[cfg(feature = "tower")]
pub use layer::{KeygateLayer, KeygateService, VerifiedIdentity};

/// The header the gateway signs with (names compare case-insensitively;
/// these constants are lower-case).
pub const SIGNATURE_HEADER: &str = "x-keygate-signature";
/// The key id the gateway forwards.
pub const KEY_ID_HEADER: &str = "x-keygate-key-id";
/// The key's organization.
pub const ORGANIZATION_HEADER: &str = "x-keygate-organization";
/// The key's roles, comma-joined.
pub const ROLES_HEADER: &str = "x-keygate-roles";
/// The key's metadata, compact JSON (when it has any).
pub const META_HEADER: &str = "x-keygate-meta";
/// How far a signature's `t` may lie from the origin's clock, either way.
pub const WINDOW_SECONDS: i64 = 300;
/// Shortest secret accepted.
pub const MIN_SECRET_LEN: usize = 32;

/// Why a request is not a genuine forward of the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// No `X-Keygate-Signature` header.
    Missing,
    /// The header is not `t=<unix seconds>,v1=<64 lower-case hex digits>`.
    Malformed,
    /// An identity header (or the signature) is repeated, or not visible
    /// ASCII (`KeygateLayer` only): a second `X-Keygate-Roles` beside a
    /// signed one must not reach a handler that reads the last value.
    RepeatedHeader,
    /// `t` lies more than [`WINDOW_SECONDS`] from now (a replay, or a
    /// clock far off).
    Expired,
    /// The signature does not match this request under any secret.
    BadSignature,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Missing => "the request carries no X-Keygate-Signature",
            Self::Malformed => "X-Keygate-Signature is not t=<seconds>,v1=<lower-case hex>",
            Self::RepeatedHeader => "an X-Keygate-* header is repeated or not ASCII",
            Self::Expired => "X-Keygate-Signature is outside the 300 s window",
            Self::BadSignature => "X-Keygate-Signature does not match the request",
        })
    }
}

impl std::error::Error for Error {}

/// `ORIGIN_SIGNING_SECRET` does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub &'static str);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ConfigError {}

/// One or two signing secrets: the first signs, either verifies (so a
/// secret can be rotated without a moment when origins refuse).
#[derive(Clone)]
pub struct Secrets {
    keys: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} redacted)", self.keys.len())
    }
}

impl Secrets {
    /// Parses the value of `ORIGIN_SIGNING_SECRET`: one secret, or two
    /// separated by white space (the first signs), each at least 32
    /// printable ASCII characters.
    ///
    /// ```
    /// use keygate_origin::Secrets;
    /// assert!(Secrets::parse("new-secret-0123456789abcdef0123456 old-secret-0123456789abcdef0123456").is_ok());
    /// assert!(Secrets::parse("short").is_err());
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] saying what is wrong (never quoting a secret).
    pub fn parse(config: &str) -> Result<Self, ConfigError> {
        let keys: Vec<Vec<u8>> = config
            .split_ascii_whitespace()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        if keys.is_empty() || keys.len() > 2 {
            return Err(ConfigError(
                "it holds one secret, or two separated by a space during rotation",
            ));
        }
        if keys
            .iter()
            .any(|k| k.len() < MIN_SECRET_LEN || !k.iter().all(u8::is_ascii_graphic))
        {
            return Err(ConfigError(
                "each secret is at least 32 printable ASCII characters",
            ));
        }
        Ok(Self { keys })
    }

    /// The secret that signs (the first).
    #[must_use]
    pub fn signing_key(&self) -> &[u8] {
        &self.keys[0]
    }
}

/// What the gateway signs of a forwarded request, exactly as the origin
/// receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forwarded<'a> {
    /// The method, as sent (upper-case).
    pub method: &'a str,
    /// The path, without the query (the gateway forwards its canonical form).
    pub path: &'a str,
    /// The raw query string without `?` (empty when there is none).
    pub query: &'a str,
    /// `X-Keygate-Key-Id`.
    pub key_id: &'a str,
    /// `X-Keygate-Organization`.
    pub organization: &'a str,
    /// `X-Keygate-Roles` (comma-joined, as sent).
    pub roles: &'a str,
    /// `X-Keygate-Meta`, or empty when absent.
    pub meta: &'a str,
}

/// The signed string:
/// `<t>\n<METHOD>\n<path>\n<query>\n<key id>\n<organization>\n<roles>\n<meta>`.
#[must_use]
pub fn string_to_sign(t: i64, f: &Forwarded<'_>) -> String {
    format!(
        "{t}\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
        f.method, f.path, f.query, f.key_id, f.organization, f.roles, f.meta
    )
}

fn mac(key: &[u8], message: &str) -> [u8; 32] {
    // HMAC takes keys of any length: this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    m.update(message.as_bytes());
    m.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Lower-case hex only: one spelling per signature, so a cache of seen
/// signatures (against replays inside the window) cannot be dodged by
/// changing the case of a digit.
fn unhex(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks(2).enumerate() {
        out[i] = digit(pair[0])? * 16 + digit(pair[1])?;
    }
    Some(out)
}

/// HMAC-SHA256 of `message` under `key`, lower-case hex.
#[must_use]
pub fn mac_hex(key: &[u8], message: &str) -> String {
    hex(&mac(key, message))
}

/// The header value for `f` at time `t`, signed with the first secret
/// (what the gateway sends; also handy in an origin's own tests).
#[must_use]
pub fn sign(secrets: &Secrets, t: i64, f: &Forwarded<'_>) -> String {
    header_value(t, &hex(&mac(secrets.signing_key(), &string_to_sign(t, f))))
}

/// `t=<t>,v1=<mac_hex>`.
#[must_use]
pub fn header_value(t: i64, mac_hex: &str) -> String {
    format!("t={t},v1={mac_hex}")
}

/// Reads `t=<digits>,v1=<64 hex>`.
/// Strictly: no spaces, no leading zero, so each signature has exactly
/// one spelling.
fn parse_header(header: &str) -> Option<(i64, [u8; 32])> {
    let (t, v1) = header.split_once(',')?;
    let t = t.strip_prefix("t=")?;
    if t.is_empty()
        || t.len() > 12
        || !t.bytes().all(|b| b.is_ascii_digit())
        || (t.len() > 1 && t.starts_with('0'))
    {
        return None;
    }
    Some((t.parse().ok()?, unhex(v1.strip_prefix("v1=")?)?))
}

/// Checks that `header` (the request's `X-Keygate-Signature`) signs `f`,
/// within [`WINDOW_SECONDS`] of `now` (Unix seconds), under one of
/// `secrets`. Every secret is compared in constant time.
///
/// # Errors
/// [`Error`]: missing, malformed, expired or a bad signature.
pub fn verify(
    secrets: &Secrets,
    header: Option<&str>,
    f: &Forwarded<'_>,
    now: i64,
) -> Result<(), Error> {
    let header = header.ok_or(Error::Missing)?;
    let (t, given) = parse_header(header).ok_or(Error::Malformed)?;
    if now.abs_diff(t) > WINDOW_SECONDS.unsigned_abs() {
        return Err(Error::Expired);
    }
    let message = string_to_sign(t, f);
    let mut ok = subtle::Choice::from(0);
    for key in &secrets.keys {
        ok |= mac(key, &message).ct_eq(&given);
    }
    if bool::from(ok) {
        Ok(())
    } else {
        Err(Error::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "secret-a-0123456789abcdef0123456789";
    const B: &str = "secret-b-0123456789abcdef0123456789";

    fn req() -> Forwarded<'static> {
        Forwarded {
            method: "POST",
            path: "/calls/1",
            query: "a=b+c&flag",
            key_id: "key_0123456789abcdef",
            organization: "acme/emea",
            roles: "calls:read,calls:write",
            meta: r#"{"plan":"pro"}"#,
        }
    }

    #[test]
    fn known_answer() {
        // Computed with Python: hmac.new(A, msg, sha256).hexdigest().
        let secrets = Secrets::parse(A).unwrap();
        let header = sign(&secrets, 1_800_000_000, &req());
        assert_eq!(
            string_to_sign(1_800_000_000, &req()),
            "1800000000\nPOST\n/calls/1\na=b+c&flag\nkey_0123456789abcdef\nacme/emea\ncalls:read,calls:write\n{\"plan\":\"pro\"}"
        );
        assert_eq!(
            header,
            "t=1800000000,v1=23711982e326fbaecf71621df69e27e7cadd6e8463ff5358c2c01b3392234585"
        );
    }

    #[test]
    fn every_error_kind() {
        let s = Secrets::parse(A).unwrap();
        let h = sign(&s, 1000, &req());
        assert_eq!(verify(&s, Some(&h), &req(), 1000), Ok(()));
        assert_eq!(verify(&s, Some(&h), &req(), 1300), Ok(()));
        assert_eq!(verify(&s, Some(&h), &req(), 700), Ok(()));
        assert_eq!(verify(&s, None, &req(), 1000), Err(Error::Missing));
        let upper = format!("t=1000,v1={}", h["t=1000,v1=".len()..].to_ascii_uppercase());
        let padded = h.replace("t=1000", "t=01000");
        let spaced = format!(" {h} ");
        for bad in [
            &upper,
            &padded,
            &spaced,
            "",
            "t=1000",
            "v1=00",
            "t=x,v1=00",
            "t=1000,v1=zz",
            "t=-5,v1=00",
            &h[..h.len() - 1],
        ] {
            assert_eq!(
                verify(&s, Some(bad), &req(), 1000),
                Err(Error::Malformed),
                "{bad}"
            );
        }
        assert_eq!(verify(&s, Some(&h), &req(), 1301), Err(Error::Expired));
        assert_eq!(verify(&s, Some(&h), &req(), 699), Err(Error::Expired));
        let other = Forwarded {
            path: "/calls/2",
            ..req()
        };
        assert_eq!(verify(&s, Some(&h), &other, 1000), Err(Error::BadSignature));
        let forged = h.replace("t=1000", "t=1001");
        assert_eq!(
            verify(&s, Some(&forged), &req(), 1000),
            Err(Error::BadSignature)
        );
    }

    #[test]
    fn rotation() {
        let new_old = Secrets::parse(&format!("{B} {A}")).unwrap();
        let only_a = Secrets::parse(A).unwrap();
        let only_b = Secrets::parse(B).unwrap();
        // The gateway signs with the first secret (B).
        let h = sign(&new_old, 1000, &req());
        assert_eq!(verify(&only_b, Some(&h), &req(), 1000), Ok(()));
        assert_eq!(verify(&new_old, Some(&h), &req(), 1000), Ok(()));
        assert_eq!(
            verify(&only_a, Some(&h), &req(), 1000),
            Err(Error::BadSignature)
        );
        // An origin holding both accepts the old secret's signatures too.
        assert_eq!(
            verify(&new_old, Some(&sign(&only_a, 1000, &req())), &req(), 1000),
            Ok(())
        );
    }

    #[test]
    fn secrets_parse_strictly_and_never_print() {
        for bad in [
            "",
            "   ",
            "short",
            &format!("{A} {B} {A}"),
            &format!("{A}\u{e9}"),
        ] {
            assert!(Secrets::parse(bad).is_err(), "{bad:?}");
        }
        let s = Secrets::parse(&format!(" {A}\t{B} ")).unwrap();
        assert_eq!(s.keys.len(), 2);
        assert!(!format!("{s:?}").contains("secret-a"));
    }

    proptest::proptest! {
        #[test]
        fn any_change_of_a_field_fails(i in 0usize..7, extra in "[ -~]{1,8}") {
            let s = Secrets::parse(A).unwrap();
            let h = sign(&s, 1000, &req());
            let mut parts = [req().method.to_owned(), req().path.to_owned(), req().query.to_owned(), req().key_id.to_owned(), req().organization.to_owned(), req().roles.to_owned(), req().meta.to_owned()];
            parts[i].push_str(&extra);
            let f = Forwarded { method: &parts[0], path: &parts[1], query: &parts[2], key_id: &parts[3], organization: &parts[4], roles: &parts[5], meta: &parts[6] };
            proptest::prop_assert_eq!(verify(&s, Some(&h), &f, 1000), Err(Error::BadSignature));
        }

        #[test]
        fn arbitrary_headers_never_panic(header in "\\PC{0,100}") {
            let s = Secrets::parse(A).unwrap();
            let _ = verify(&s, Some(&header), &req(), 1000);
        }
    }
}
