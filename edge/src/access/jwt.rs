//! The Access token (a JWT, RS256): split, decoded and its claims checked.
//! The signature is checked by the caller with the team's key for `kid`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Longest token read (Access tokens are about 1 KiB; more is not one).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Clock difference allowed between Access and the worker for `exp` and
/// `nbf`, in seconds.
pub const CLOCK_SKEW_SECONDS: i64 = 30;

/// Why a token is refused (each a 401 but for [`Refusal::Unavailable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not three base64url parts of JSON, or too long.
    Malformed,
    /// `alg` is not `RS256`, or no `kid`.
    Algorithm,
    /// `exp` has passed.
    Expired,
    /// `nbf` is still ahead.
    NotYetValid,
    /// `aud` does not name this application.
    Audience,
    /// `iss` is not the configured team.
    Issuer,
    /// No signing key of the team has this `kid`.
    UnknownKey,
    /// The signature does not verify.
    Signature,
    /// The team's signing keys could not be fetched (503).
    Unavailable,
}

impl Refusal {
    /// What the 401 says (never the token or its claims).
    #[must_use]
    pub fn message(self) -> &'static str {
        match self {
            Self::Malformed => "the Access token is not a JWT.",
            Self::Algorithm => "the Access token is not signed with RS256 and a key id.",
            Self::Expired => "the Access token has expired; sign in again.",
            Self::NotYetValid => "the Access token is not valid yet.",
            Self::Audience => "the Access token is for another application.",
            Self::Issuer => "the Access token is from another team.",
            Self::UnknownKey => "the Access token is signed with a key the team does not have.",
            Self::Signature => "the Access token's signature does not verify.",
            Self::Unavailable => "the team's signing keys cannot be fetched.",
        }
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

/// The claims Keygate reads.
#[derive(Deserialize)]
pub struct Claims {
    /// One string or a list (read as a value: an untagged enum would
    /// bring serde's buffering code into the worker, ~10 KB).
    aud: serde_json::Value,
    iss: String,
    exp: i64,
    nbf: Option<i64>,
    /// The person's email (absent for service tokens).
    pub email: Option<String>,
}

/// A token split and decoded, its signature not yet checked.
pub struct Jwt<'a> {
    /// The signing key's id.
    pub kid: String,
    /// What the signature covers: `header.payload` as sent.
    pub signed: &'a [u8],
    /// The signature.
    pub signature: Vec<u8>,
    /// The claims.
    pub claims: Claims,
}

fn part<T: for<'de> Deserialize<'de>>(b64: &str) -> Result<T, Refusal> {
    let bytes = URL_SAFE_NO_PAD
        .decode(b64)
        .map_err(|_| Refusal::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| Refusal::Malformed)
}

/// Splits and decodes `token` (strict base64url without padding).
///
/// # Errors
/// [`Refusal::Malformed`] or [`Refusal::Algorithm`].
pub fn parse(token: &str) -> Result<Jwt<'_>, Refusal> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Refusal::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::Malformed);
    };
    let header: Header = part(header)?;
    let kid = match (header.alg.as_str(), header.kid) {
        ("RS256", Some(kid)) if !kid.is_empty() => kid,
        _ => return Err(Refusal::Algorithm),
    };
    let claims: Claims = part(payload)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| Refusal::Malformed)?;
    let signed_len = token.len() - signature_len(token);
    Ok(Jwt {
        kid,
        signed: &token.as_bytes()[..signed_len],
        signature,
        claims,
    })
}

/// Length of `.signature` at the end of `token`.
fn signature_len(token: &str) -> usize {
    token.rfind('.').map_or(0, |i| token.len() - i)
}

impl Claims {
    /// When the token ends (`exp`).
    #[must_use]
    pub fn expires_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.exp, 0).unwrap_or_default()
    }

    /// Checks issuer, audience and validity period at `now`.
    ///
    /// # Errors
    /// The first claim that does not hold.
    pub fn check(&self, issuer: &str, audience: &str, now: DateTime<Utc>) -> Result<(), Refusal> {
        let now = now.timestamp();
        if self.iss != issuer {
            return Err(Refusal::Issuer);
        }
        let for_us = match &self.aud {
            serde_json::Value::String(a) => a == audience,
            serde_json::Value::Array(list) => list.iter().any(|a| a.as_str() == Some(audience)),
            _ => false,
        };
        if !for_us {
            return Err(Refusal::Audience);
        }
        if self.exp <= now - CLOCK_SKEW_SECONDS {
            return Err(Refusal::Expired);
        }
        if self.nbf.is_some_and(|nbf| nbf > now + CLOCK_SKEW_SECONDS) {
            return Err(Refusal::NotYetValid);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(v: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    fn token(header: &serde_json::Value, claims: &serde_json::Value) -> String {
        format!(
            "{}.{}.{}",
            b64(header),
            b64(claims),
            URL_SAFE_NO_PAD.encode([1u8, 2, 3])
        )
    }

    fn claims(extra: serde_json::Value) -> serde_json::Value {
        let mut c = json!({"aud": ["aud-1"], "iss": "https://t.example", "exp": 2_000, "nbf": 1_000, "email": "a@x.com"});
        if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                c.insert(k.clone(), v.clone());
            }
        }
        c
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap_or_default()
    }

    #[test]
    fn parses_a_token_and_what_it_signs() {
        let t = token(
            &json!({"alg": "RS256", "kid": "k1", "typ": "JWT"}),
            &claims(json!({})),
        );
        let jwt = parse(&t).expect("parses");
        assert_eq!(jwt.kid, "k1");
        assert_eq!(jwt.signature, vec![1, 2, 3]);
        assert_eq!(
            jwt.signed,
            t.rsplit_once('.')
                .map(|(s, _)| s)
                .unwrap_or_default()
                .as_bytes()
        );
        assert_eq!(jwt.claims.email.as_deref(), Some("a@x.com"));
    }

    #[test]
    fn refuses_what_is_not_an_rs256_jwt() {
        let good = claims(json!({}));
        for (t, why) in [
            ("".to_owned(), Refusal::Malformed),
            ("a.b".to_owned(), Refusal::Malformed),
            (
                format!("{}.x", token(&json!({"alg": "RS256", "kid": "k"}), &good)),
                Refusal::Malformed,
            ),
            (
                token(&json!({"alg": "none", "kid": "k"}), &good),
                Refusal::Algorithm,
            ),
            (
                token(&json!({"alg": "HS256", "kid": "k"}), &good),
                Refusal::Algorithm,
            ),
            (
                token(&json!({"alg": "rs256", "kid": "k"}), &good),
                Refusal::Algorithm,
            ),
            (token(&json!({"alg": "RS256"}), &good), Refusal::Algorithm),
            (
                token(&json!({"alg": "RS256", "kid": ""}), &good),
                Refusal::Algorithm,
            ),
            (
                token(&json!({"alg": "RS256", "kid": "k"}), &json!({"iss": "x"})),
                Refusal::Malformed,
            ),
            (
                token(
                    &json!({"alg": "RS256", "kid": "k"}),
                    &claims(json!({"exp": 1.5})),
                ),
                Refusal::Malformed,
            ),
            ("x".repeat(MAX_TOKEN_BYTES + 1), Refusal::Malformed),
        ] {
            assert_eq!(parse(&t).err(), Some(why), "{t:.60}");
        }
        // Padding and the standard alphabet are not base64url-no-pad.
        let t = token(&json!({"alg": "RS256", "kid": "k"}), &good);
        let padded = t.replacen('.', "=.", 1);
        assert_eq!(parse(&padded).err(), Some(Refusal::Malformed));
    }

    #[test]
    fn claims_are_checked_at_now() {
        let check = |c: serde_json::Value, now: i64| {
            let t = token(&json!({"alg": "RS256", "kid": "k"}), &c);
            parse(&t)
                .expect("parses")
                .claims
                .check("https://t.example", "aud-1", at(now))
        };
        assert_eq!(check(claims(json!({})), 1_500), Ok(()));
        assert_eq!(check(claims(json!({"aud": "aud-1"})), 1_500), Ok(()));
        assert_eq!(check(claims(json!({"aud": ["x", "aud-1"]})), 1_500), Ok(()));
        assert_eq!(
            check(claims(json!({"aud": "aud-2"})), 1_500),
            Err(Refusal::Audience)
        );
        assert_eq!(
            check(claims(json!({"aud": []})), 1_500),
            Err(Refusal::Audience)
        );
        assert_eq!(
            check(claims(json!({"iss": "https://t.example/"})), 1_500),
            Err(Refusal::Issuer)
        );
        assert_eq!(
            check(claims(json!({"iss": "https://other.example"})), 1_500),
            Err(Refusal::Issuer)
        );
        // exp and nbf, with the allowed skew on each side.
        assert_eq!(
            check(claims(json!({})), 2_000 + CLOCK_SKEW_SECONDS - 1),
            Ok(())
        );
        assert_eq!(
            check(claims(json!({})), 2_000 + CLOCK_SKEW_SECONDS),
            Err(Refusal::Expired)
        );
        assert_eq!(check(claims(json!({})), 1_000 - CLOCK_SKEW_SECONDS), Ok(()));
        assert_eq!(
            check(claims(json!({})), 1_000 - CLOCK_SKEW_SECONDS - 1),
            Err(Refusal::NotYetValid)
        );
        assert_eq!(check(claims(json!({"nbf": null})), 1), Ok(()));
    }
}
