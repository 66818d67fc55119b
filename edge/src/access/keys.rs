//! The team's signing keys (`<team>/cdn-cgi/access/certs`), kept per
//! isolate: fetched on first use, again after an hour, and on a token
//! whose `kid` is unknown (key rotation), but never more than once per
//! [`MIN_REFRESH_SECONDS`], so a flood of tokens with made-up key ids
//! cannot make the worker fetch on every request.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::jwt::Refusal;

/// How long fetched keys are used before they are fetched again.
pub const KEYS_TTL_SECONDS: i64 = 3600;
/// Least time between two fetches, whatever the tokens say.
pub const MIN_REFRESH_SECONDS: i64 = 30;
/// Largest certificate document read.
pub const MAX_CERTS_BYTES: usize = 64 * 1024;
/// Most keys kept from one document.
pub const MAX_KEYS: usize = 16;

/// A boxed future of a fetched document (the trait is used as `dyn`).
pub type CertsFuture<'a> = Pin<Box<dyn Future<Output = Result<String, String>> + 'a>>;

/// Fetches the certificate document (an HTTP GET in the worker).
pub trait CertSource {
    /// The body of a 2xx answer from `url`, or why there is none.
    fn get<'a>(&'a self, url: &'a str) -> CertsFuture<'a>;
}

/// Why no key was found, with the fetch failure to log, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    /// What the request is answered.
    pub refusal: Refusal,
    /// The fetch failure (a cause for the log; no token in it).
    pub cause: Option<String>,
}

#[derive(Default)]
struct Cache {
    url: String,
    /// `kid` and SPKI DER.
    keys: Vec<(String, Vec<u8>)>,
    fetched_at: Option<DateTime<Utc>>,
    attempted_at: Option<DateTime<Utc>>,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kid: Option<String>,
    kty: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

/// The RS256 signing keys of a certificate document (`kid`, SPKI DER).
/// Entries that are not RSA signing keys of 2048–4096 bits are skipped.
///
/// # Errors
/// Why the document has no usable key.
pub fn parse_certs(doc: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    if doc.len() > MAX_CERTS_BYTES {
        return Err("the certificate document is over 64 KiB".into());
    }
    let jwks: Jwks = serde_json::from_str(doc)
        .map_err(|_| "the certificate document is not a JWK set".to_owned())?;
    let usable = |k: &Jwk| {
        k.kty.as_deref() == Some("RSA")
            && k.alg.as_deref().is_none_or(|a| a == "RS256")
            && k.usage.as_deref().is_none_or(|u| u == "sig")
    };
    let keys: Vec<(String, Vec<u8>)> = jwks
        .keys
        .iter()
        .filter(|k| usable(k))
        .filter_map(|k| {
            let n = URL_SAFE_NO_PAD.decode(k.n.as_deref()?).ok()?;
            let e = URL_SAFE_NO_PAD.decode(k.e.as_deref()?).ok()?;
            let kid = k.kid.clone().filter(|kid| !kid.is_empty())?;
            Some((kid, crate::rsa::spki_from_parts(&n, &e)?))
        })
        .take(MAX_KEYS)
        .collect();
    if keys.is_empty() {
        return Err("the certificate document has no RS256 key".into());
    }
    Ok(keys)
}

fn lookup(cache: &Cache, url: &str, kid: &str) -> Option<Vec<u8>> {
    (cache.url == url)
        .then(|| {
            cache
                .keys
                .iter()
                .find(|(k, _)| k == kid)
                .map(|(_, der)| der.clone())
        })
        .flatten()
}

/// The key `kid` of the team whose keys are at `url`, fetching them
/// through `source` when the rules above allow.
///
/// # Errors
/// [`Refusal::UnknownKey`], or [`Refusal::Unavailable`] when no key could
/// ever be fetched.
pub async fn key_for(
    kid: &str,
    url: &str,
    source: Option<&dyn CertSource>,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, KeyError> {
    let (known, fresh, may_fetch) = CACHE.with_borrow_mut(|c| {
        if c.url != url {
            *c = Cache {
                url: url.to_owned(),
                ..Cache::default()
            };
        }
        let fresh = c
            .fetched_at
            .is_some_and(|at| (now - at).num_seconds() < KEYS_TTL_SECONDS);
        let may_fetch = c
            .attempted_at
            .is_none_or(|at| (now - at).num_seconds() >= MIN_REFRESH_SECONDS);
        (lookup(c, url, kid), fresh, may_fetch)
    });
    if let (Some(der), true) = (&known, fresh) {
        return Ok(der.clone());
    }
    let mut cause = None;
    if may_fetch {
        CACHE.with_borrow_mut(|c| c.attempted_at = Some(now));
        let fetched = match source {
            Some(s) => s.get(url).await.and_then(|doc| parse_certs(&doc)),
            None => Err("no way to fetch from this worker".to_owned()),
        };
        match fetched {
            Ok(keys) => CACHE.with_borrow_mut(|c| {
                if c.url == url {
                    c.keys = keys;
                    c.fetched_at = Some(now);
                }
            }),
            // Stale keys stay in use (Access overlaps old and new keys).
            Err(e) => cause = Some(format!("Access signing keys from {url}: {e}")),
        }
    }
    CACHE.with_borrow(|c| match lookup(c, url, kid) {
        Some(der) => Ok(der),
        None if c.keys.is_empty() => Err(KeyError {
            refusal: Refusal::Unavailable,
            cause: cause.clone().or_else(|| {
                Some(format!(
                    "Access signing keys from {url}: the last fetch failed"
                ))
            }),
        }),
        None => Err(KeyError {
            refusal: Refusal::UnknownKey,
            cause,
        }),
    })
}

/// Forgets the kept keys (tests start each case from nothing).
pub fn forget() {
    CACHE.with_borrow_mut(|c| *c = Cache::default());
}
