//! The token format of the contract (§1): `<prefix>_<32 base62><6 base62 CRC-32>`.
//!
//! Only the SHA-256 of a token is ever stored ([`LookupHash`]); the token
//! itself lives in a [`Token`], whose `Debug` and `Display` never show it.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::base62::{self, RandomUnavailable};

/// Length of the random part of a token.
pub const RANDOM_LEN: usize = 32;
/// Length of the base62 CRC-32 checksum that follows it.
pub const CHECKSUM_LEN: usize = 6;
/// Length of the random part of a key id (`key_` + 16 symbols).
pub const KEY_ID_RANDOM_LEN: usize = 16;

/// A deployment's token prefix (`KEY_PREFIX`), shape
/// `[a-z][a-z0-9]{1,9}(_[a-z0-9]{1,10})?`.
///
/// ```
/// use keygate_shared::token::Prefix;
/// assert!("acme_live".parse::<Prefix>().is_ok());
/// assert!("Acme".parse::<Prefix>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Prefix(String);

/// A prefix that does not have the contract's shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a prefix is a lower-case letter, then 1-9 lower-case letters or digits, optionally `_` and 1-10 more")]
pub struct InvalidPrefix;

impl Prefix {
    /// The prefix as written in tokens.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Prefix {
    fn default() -> Self {
        Self("kg".to_owned())
    }
}

impl FromStr for Prefix {
    type Err = InvalidPrefix;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (head, tail) = match s.split_once('_') {
            Some((h, t)) => (h, Some(t)),
            None => (s, None),
        };
        let lower_alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let head_ok = (2..=10).contains(&head.len())
            && head.as_bytes()[0].is_ascii_lowercase()
            && head.bytes().all(lower_alnum);
        let tail_ok =
            tail.is_none_or(|t| (1..=10).contains(&t.len()) && t.bytes().all(lower_alnum));
        if head_ok && tail_ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidPrefix)
        }
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A string that is not a well-formed token for this deployment
/// (`MALFORMED_KEY`). It carries no part of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the key is not a well-formed Keygate token")]
pub struct MalformedToken;

/// A secret API token. `Debug` and `Display` print only its [`hint`](Token::hint).
#[derive(Clone)]
pub struct Token {
    secret: String,
    /// Byte offset of the random part (after `<prefix>_`).
    body_start: usize,
}

impl Token {
    /// Draws a fresh token for `prefix` from the OS CSPRNG.
    ///
    /// # Errors
    /// [`RandomUnavailable`] when the platform has no working CSPRNG.
    pub fn generate(prefix: &Prefix) -> Result<Self, RandomUnavailable> {
        let random = base62::random_string(RANDOM_LEN)?;
        Ok(Self::from_random_part(prefix, &random))
    }

    /// Builds the token whose random part is `random` (32 base62 symbols);
    /// used by [`Token::generate`] and by known-answer tests.
    ///
    /// # Panics
    /// Never for a 32-symbol base62 `random`; the caller guarantees that.
    #[must_use]
    pub fn from_random_part(prefix: &Prefix, random: &str) -> Self {
        debug_assert!(random.len() == RANDOM_LEN && random.bytes().all(base62::is_base62));
        let secret = format!("{prefix}_{random}{}", checksum(random));
        Self {
            secret,
            body_start: prefix.as_str().len() + 1,
        }
    }

    /// Checks that `candidate` is a token of `prefix`: the prefix ends at the
    /// last `_`, then 38 base62 symbols whose last 6 are the CRC-32 of the
    /// first 32. Needs no storage; never panics.
    ///
    /// # Errors
    /// [`MalformedToken`] for any other string.
    pub fn parse(prefix: &Prefix, candidate: &str) -> Result<Self, MalformedToken> {
        let (head, body) = candidate.rsplit_once('_').ok_or(MalformedToken)?;
        if head != prefix.as_str()
            || body.len() != RANDOM_LEN + CHECKSUM_LEN
            || !body.bytes().all(base62::is_base62)
        {
            return Err(MalformedToken);
        }
        let (random, check) = body.split_at(RANDOM_LEN);
        if !bool::from(checksum(random).as_bytes().ct_eq(check.as_bytes())) {
            return Err(MalformedToken);
        }
        Ok(Self {
            secret: candidate.to_owned(),
            body_start: head.len() + 1,
        })
    }

    /// The secret itself: only for handing it to its owner once, or to a client.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.secret
    }

    /// The storage lookup key: SHA-256 of the whole token.
    #[must_use]
    pub fn lookup_hash(&self) -> LookupHash {
        LookupHash::of(&self.secret)
    }

    /// What lists show instead of the token: `<prefix>_` + first 4 random
    /// symbols + `…` + last 4 symbols.
    #[must_use]
    pub fn hint(&self) -> String {
        let s = &self.secret;
        format!(
            "{}{}…{}",
            &s[..self.body_start],
            &s[self.body_start..self.body_start + 4],
            &s[s.len() - 4..]
        )
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({})", self.hint())
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hint())
    }
}

/// CRC-32 (zlib/IEEE) of the random part, as 6 base62 symbols.
#[must_use]
pub fn checksum(random: &str) -> String {
    base62::encode_padded(
        u64::from(crate::crc32::hash(random.as_bytes())),
        CHECKSUM_LEN,
    )
}

/// SHA-256 of a token: the only form in which a token is stored.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LookupHash([u8; 32]);

impl LookupHash {
    /// Hashes `token` (any string: used for lookups of well-formed tokens).
    #[must_use]
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    /// Lower-case hex, as stored.
    #[must_use]
    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(64);
        for b in self.0 {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
        out
    }

    /// Constant-time comparison with a stored hex hash.
    #[must_use]
    pub fn matches_hex(&self, stored: &str) -> bool {
        bool::from(self.to_hex().as_bytes().ct_eq(stored.as_bytes()))
    }
}

impl fmt::Debug for LookupHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LookupHash({}…)", &self.to_hex()[..8])
    }
}

/// A fresh public key id: `key_` + 16 base62 symbols.
///
/// # Errors
/// [`RandomUnavailable`] when the platform has no working CSPRNG.
pub fn new_key_id() -> Result<String, RandomUnavailable> {
    Ok(format!("key_{}", base62::random_string(KEY_ID_RANDOM_LEN)?))
}

/// Whether `id` has the shape of a key id (checked before any storage read).
#[must_use]
pub fn is_key_id(id: &str) -> bool {
    id.strip_prefix("key_")
        .is_some_and(|r| r.len() == KEY_ID_RANDOM_LEN && r.bytes().all(base62::is_base62))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kg() -> Prefix {
        Prefix::default()
    }

    const KNOWN: [(&str, u32, &str, &str); 3] = [
        (
            "0123456789ABCDEFGHIJKLMNOPQRSTUV",
            1_546_885_699,
            "1ggZdL",
            "e9316edd04792370ab7003cf56f3f2d7bcdc2936a0fde8f9f081f6f549998b4c",
        ),
        (
            "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
            4_139_362_634,
            "4W8LJS",
            "6710121a1d758495d1de513d31e4128fb2d8b0d3f3ac502fe0a71daf9d341adf",
        ),
        (
            "2mQd9XwP1rLk7TzA0bVcYe4uNf8sHj3G",
            3_620_845_777,
            "3x2hOL",
            "ac90041f55622dc2645fce930cc66abded5816f79793b6d8ceb1c13c11fcfc0a",
        ),
    ];

    #[test]
    fn known_answers_of_the_contract() {
        for (random, crc, check, sha) in KNOWN {
            assert_eq!(crate::crc32::hash(random.as_bytes()), crc);
            assert_eq!(checksum(random), check);
            let token = Token::from_random_part(&kg(), random);
            assert_eq!(token.expose_secret(), format!("kg_{random}{check}"));
            assert_eq!(token.lookup_hash().to_hex(), sha);
            assert!(token.lookup_hash().matches_hex(sha));
            assert!(Token::parse(&kg(), token.expose_secret()).is_ok());
        }
    }

    #[test]
    fn hint_is_truncated_in_the_middle() {
        let t = Token::from_random_part(&kg(), KNOWN[2].0);
        assert_eq!(t.hint(), "kg_2mQd…2hOL");
        let p: Prefix = "acme_live".parse().expect("prefix");
        let t = Token::from_random_part(&p, KNOWN[2].0);
        assert_eq!(t.hint(), "acme_live_2mQd…2hOL");
        assert!(Token::parse(&p, t.expose_secret()).is_ok());
    }

    #[test]
    fn debug_and_display_never_show_the_secret() {
        let t = Token::generate(&kg()).expect("csprng");
        let secret = t.expose_secret().to_owned();
        for shown in [
            format!("{t:?}"),
            format!("{t}"),
            format!("{:?}", t.lookup_hash()),
        ] {
            assert!(!shown.contains(&secret[3..20]), "{shown}");
        }
    }

    #[test]
    fn rejects_wrong_shapes() {
        let good = Token::from_random_part(&kg(), KNOWN[2].0)
            .expose_secret()
            .to_owned();
        let bad = [
            String::new(),
            "kg_".into(),
            good.replace("kg_", "kx_"),
            good.replace("kg_", "KG_"),
            good.replace("kg_", ""),
            format!("{good}a"),
            good[..good.len() - 1].to_owned(),
            good.replacen('2', "-", 1),
            format!("x{good}"),
            good.replace("3x2hOL", "3x2hOM"),
            format!("kg_{}é{}", &KNOWN[2].0[..31], "3x2hOL"),
        ];
        for b in bad {
            assert_eq!(Token::parse(&kg(), &b).err(), Some(MalformedToken), "{b}");
        }
    }

    #[test]
    fn prefix_shapes() {
        for ok in ["kg", "acme_live", "a1", "abcdefghij", "ab_0123456789"] {
            assert!(ok.parse::<Prefix>().is_ok(), "{ok}");
        }
        for bad in [
            "",
            "k",
            "1g",
            "abcdefghijk",
            "kg_",
            "kg_abcdefghijk",
            "kg__x",
            "kg_a_b",
            "Kg",
            "kg-x",
        ] {
            assert!(bad.parse::<Prefix>().is_err(), "{bad}");
        }
    }

    #[test]
    fn key_ids() {
        let id = new_key_id().expect("csprng");
        assert!(is_key_id(&id), "{id}");
        assert!(!is_key_id("key_short"));
        assert!(!is_key_id("kex_0123456789abcdef"));
        assert!(!is_key_id("key_0123456789abcde/"));
    }
}
