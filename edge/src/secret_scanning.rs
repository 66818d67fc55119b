//! Leak response (§6): GitHub's secret scanning partner endpoint. A
//! signed report of leaked tokens disables every matching key at once.
//!
//! The signature (`Github-Public-Key-Signature`: base64 DER ECDSA P-256
//! SHA-256 over the raw body) is checked with the key named by
//! `Github-Public-Key-Identifier` from `GITHUB_SECRET_SCANNING_KEYS`
//! before the body is even parsed.

use base64::Engine;
use keygate_shared::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::Map;

use crate::app::App;
use crate::http::{HttpRequest, HttpResponse};
use crate::sql::Db;
use crate::store::Kv;

/// Actor of `key.leaked` audit events.
pub const ACTOR: &str = "github-secret-scanning";
/// Most tokens one report may carry.
pub const MAX_REPORTED: usize = 1000;

#[derive(Deserialize)]
struct KeysDocument {
    public_keys: Vec<PublicKeyEntry>,
}

#[derive(Deserialize)]
struct PublicKeyEntry {
    key_identifier: String,
    key: String,
}

/// One reported match. Its `Debug` leaves the leaked token out.
#[derive(Deserialize)]
pub struct Reported {
    /// The leaked string.
    pub token: String,
    /// The pattern's type name.
    #[serde(rename = "type", default)]
    pub token_type: String,
    /// Where it was found.
    #[serde(default)]
    pub url: String,
    /// What kind of place.
    #[serde(default)]
    pub source: String,
}

impl std::fmt::Debug for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reported")
            .field("token_type", &self.token_type)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// One answer entry.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Verdict {
    /// SHA-256 (hex) of the reported string: GitHub accepts `token_hash`
    /// in place of `token_raw`, and answering with the hash keeps raw
    /// tokens out of every response Keygate sends.
    pub token_hash: String,
    /// The reported type, echoed.
    pub token_type: String,
    /// `true_positive` when it is one of our keys.
    pub label: String,
}

fn bad_signature(why: &str) -> ApiError {
    ApiError::new(
        ErrorCode::BadSignature,
        format!("The secret scanning report is not signed by a known key: {why}"),
    )
}

/// Checks the signature of `body` against the configured keys.
///
/// # Errors
/// `BAD_SIGNATURE` (401) when anything is missing, unknown or wrong;
/// `CONFIG_INVALID` when the keys document does not parse.
pub async fn check_signature(
    keys_document: Option<&str>,
    req: &HttpRequest,
) -> Result<(), ApiError> {
    let document = keys_document
        .ok_or_else(|| bad_signature("no keys are configured (GITHUB_SECRET_SCANNING_KEYS)."))?;
    let doc: KeysDocument = serde_json::from_str(document).map_err(|_| {
        ApiError::field(
            ErrorCode::ConfigInvalid,
            "GITHUB_SECRET_SCANNING_KEYS",
            "GITHUB_SECRET_SCANNING_KEYS is not a public_keys document.",
        )
    })?;
    let id = req
        .header("github-public-key-identifier")
        .ok_or_else(|| bad_signature("no Github-Public-Key-Identifier."))?;
    let sig = req
        .header("github-public-key-signature")
        .ok_or_else(|| bad_signature("no Github-Public-Key-Signature."))?;
    let entry = doc
        .public_keys
        .iter()
        .find(|k| k.key_identifier == id)
        .ok_or_else(|| bad_signature("unknown key identifier."))?;
    let key = crate::ecdsa::spki_from_pem(&entry.key)
        .ok_or_else(|| bad_signature("the configured key does not parse."))?;
    let der = base64::engine::general_purpose::STANDARD
        .decode(sig.trim())
        .map_err(|_| bad_signature("the signature is not base64."))?;
    let signature = crate::ecdsa::signature_from_der(&der)
        .ok_or_else(|| bad_signature("the signature is not DER."))?;
    match crate::ecdsa::verify(&key, &req.body, &signature).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(bad_signature("the signature does not match the body.")),
        Err(_) => Err(bad_signature("the configured key does not parse.")),
    }
}

impl<K: Kv, D: Db> App<'_, K, D> {
    /// `POST /api/v1/secret-scanning/github`.
    pub async fn secret_scanning(&self, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        check_signature(self.config.github_secret_scanning_keys.as_deref(), req).await?;
        let reported: Vec<Reported> = serde_json::from_slice(&req.body).map_err(|_| {
            ApiError::new(
                ErrorCode::BadJson,
                "The body is not a JSON array of {token, type, url, source}.",
            )
        })?;
        if reported.len() > MAX_REPORTED {
            return Err(ApiError::new(
                ErrorCode::InvalidField,
                format!("At most {MAX_REPORTED} tokens per report."),
            ));
        }
        let mut verdicts = Vec::with_capacity(reported.len());
        let mut disabled_any = false;
        // GitHub sends one entry per place a token was found: each token
        // is looked up once per report, so repeats cost no storage calls.
        let mut seen: std::collections::HashMap<String, &'static str> =
            std::collections::HashMap::new();
        for r in reported {
            let token_hash = keygate_shared::LookupHash::of(&r.token).to_hex();
            if let Some(label) = seen.get(&token_hash) {
                verdicts.push(Verdict {
                    token_hash,
                    token_type: r.token_type,
                    label: (*label).into(),
                });
                continue;
            }
            let mut label = "false_positive";
            if let Ok(token) = keygate_shared::Token::parse(&self.config.prefix, r.token.trim()) {
                let mut details = Map::new();
                details.insert("url".into(), r.url.clone().into());
                details.insert("source".into(), r.source.clone().into());
                match self
                    .keys()
                    .disable_leaked(&token.lookup_hash(), ACTOR, details)
                    .await
                {
                    Ok(true) => {
                        label = "true_positive";
                        disabled_any = true;
                    }
                    Ok(false) => {}
                    // Keys disabled before the failure stay disabled: say so.
                    Err(e) if e.code == ErrorCode::Unavailable && disabled_any => {
                        return Err(crate::service::partly_stored(e.cause.unwrap_or_default()))
                    }
                    Err(e) => return Err(e),
                }
            }
            seen.insert(token_hash.clone(), label);
            verdicts.push(Verdict {
                token_hash,
                token_type: r.token_type,
                label: label.into(),
            });
        }
        Ok(HttpResponse::json(200, &verdicts))
    }
}
