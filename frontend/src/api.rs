//! The admin API over HTTP, through the types in `keygate-shared`. The
//! admin token lives in `sessionStorage` only (never the URL or
//! `localStorage`), so it is gone when the tab closes.

use gloo_net::http::{Request, RequestBuilder, Response};
use keygate_shared::api::{
    AuditPage, AuditQuery, BulkDeleteRequest, BulkDeleteResult, CreateKeyRequest, CreatedKey,
    KeyList, Me, PatchKeyRequest, RollRequest, UsageReport,
};
use keygate_shared::error::ErrorBody;
use keygate_shared::{ApiError, ErrorCode, KeyView};
use serde::de::DeserializeOwned;

const TOKEN_KEY: &str = "keygate.admin_token";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The signed-in admin token, if any.
pub fn saved_token() -> Option<String> {
    storage()?
        .get_item(TOKEN_KEY)
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
}

/// Keeps the token for this tab.
pub fn save_token(token: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(TOKEN_KEY, token);
    }
}

/// Forgets the token (sign out).
pub fn clear_token() {
    if let Some(s) = storage() {
        let _ = s.remove_item(TOKEN_KEY);
    }
}

/// A failed call: the contract's error, with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// HTTP status (0 = no answer).
    pub status: u16,
    /// The error body.
    pub error: ApiError,
}

impl Failure {
    /// Whether the admin key itself is no longer accepted.
    pub fn is_auth(&self) -> bool {
        self.status == 401
    }

    fn network() -> Self {
        Self {
            status: 0,
            error: ApiError::new(ErrorCode::Unavailable, "The server could not be reached."),
        }
    }
}

async fn failure(resp: Response) -> Failure {
    let status = resp.status();
    let error = match resp.json::<ErrorBody>().await {
        Ok(body) => body.error,
        Err(_) => ApiError::new(
            ErrorCode::Internal,
            format!("The server answered {status}."),
        ),
    };
    Failure { status, error }
}

/// Every call says it comes from the app (§10's guard for Access
/// sign-ins: a cross-site page cannot send this header without the
/// worker's consent) and carries the admin key, when signed in with one;
/// a Cloudflare Access sign-in travels in its cookie.
fn authed(req: RequestBuilder, token: &str) -> RequestBuilder {
    let req = req.header("X-Keygate-Client", "admin");
    if token.is_empty() {
        req
    } else {
        req.header("Authorization", &format!("Bearer {token}"))
    }
}

async fn finish<T: DeserializeOwned>(
    sent: Result<Response, gloo_net::Error>,
) -> Result<T, Failure> {
    let resp = sent.map_err(|_| Failure::network())?;
    if resp.ok() {
        resp.json().await.map_err(|_| Failure {
            status: resp.status(),
            error: ApiError::new(
                ErrorCode::Internal,
                "The server's answer was not understood.",
            ),
        })
    } else {
        Err(failure(resp).await)
    }
}

async fn send_json<B: serde::Serialize, T: DeserializeOwned>(
    req: RequestBuilder,
    body: &B,
) -> Result<T, Failure> {
    match req.json(body) {
        Ok(r) => finish(r.send().await).await,
        Err(_) => Err(Failure::network()),
    }
}

/// `GET /api/v1/keys/{id}/usage?days=N`.
pub async fn usage(token: &str, id: &str, days: u32) -> Result<UsageReport, Failure> {
    let req = Request::get(&format!("/api/v1/keys/{id}/usage")).query([("days", days.to_string())]);
    finish(authed(req, token).send().await).await
}

/// `GET /api/v1/me`.
pub async fn me(token: &str) -> Result<Me, Failure> {
    finish(authed(Request::get("/api/v1/me"), token).send().await).await
}

/// The list/export query string of the UI's filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Text search.
    pub q: String,
    /// Organization (and below).
    pub organization: String,
    /// Status, or empty for all.
    pub status: String,
    /// Sort order name.
    pub sort: String,
    /// Only keys unused for this many days (or never), or empty.
    pub unused_days: String,
}

impl Filters {
    /// As query pairs (empty ones left out).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("q", &self.q),
            ("organization", &self.organization),
            ("status", &self.status),
            ("sort", &self.sort),
            ("unused_days", &self.unused_days),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.trim().to_owned()))
        .collect()
    }
}

/// `GET /api/v1/keys` with filters and a page.
pub async fn list(
    token: &str,
    filters: &Filters,
    cursor: Option<&str>,
) -> Result<KeyList, Failure> {
    let mut pairs = filters.pairs();
    pairs.push(("limit", "100".into()));
    if let Some(c) = cursor {
        pairs.push(("cursor", c.to_owned()));
    }
    let req = Request::get("/api/v1/keys").query(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    finish(authed(req, token).send().await).await
}

/// `GET /api/v1/keys/export.csv` with the filters: the CSV text.
pub async fn export_csv(token: &str, filters: &Filters) -> Result<String, Failure> {
    let pairs = filters.pairs();
    let req =
        Request::get("/api/v1/keys/export.csv").query(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    let resp = authed(req, token)
        .send()
        .await
        .map_err(|_| Failure::network())?;
    if resp.ok() {
        resp.text().await.map_err(|_| Failure::network())
    } else {
        Err(failure(resp).await)
    }
}

/// `POST /api/v1/keys`.
pub async fn create(token: &str, body: &CreateKeyRequest) -> Result<CreatedKey, Failure> {
    send_json(authed(Request::post("/api/v1/keys"), token), body).await
}

/// `PATCH /api/v1/keys/{id}`.
pub async fn patch(token: &str, id: &str, body: &PatchKeyRequest) -> Result<KeyView, Failure> {
    send_json(
        authed(Request::patch(&format!("/api/v1/keys/{id}")), token),
        body,
    )
    .await
}

/// `DELETE /api/v1/keys/{id}`.
pub async fn delete(token: &str, id: &str) -> Result<(), Failure> {
    let resp = authed(Request::delete(&format!("/api/v1/keys/{id}")), token)
        .send()
        .await
        .map_err(|_| Failure::network())?;
    if resp.ok() {
        Ok(())
    } else {
        Err(failure(resp).await)
    }
}

/// `POST /api/v1/keys/bulk-delete`.
pub async fn bulk_delete(token: &str, ids: Vec<String>) -> Result<BulkDeleteResult, Failure> {
    send_json(
        authed(Request::post("/api/v1/keys/bulk-delete"), token),
        &BulkDeleteRequest { ids: Some(ids) },
    )
    .await
}

/// `POST /api/v1/keys/{id}/roll`.
pub async fn roll(token: &str, id: &str, grace_seconds: u32) -> Result<CreatedKey, Failure> {
    let body = RollRequest {
        grace_seconds: Some(grace_seconds),
    };
    send_json(
        authed(Request::post(&format!("/api/v1/keys/{id}/roll")), token),
        &body,
    )
    .await
}

/// `GET /api/v1/audit` with `query` (the worker parses the same type).
pub async fn audit(
    token: &str,
    query: &AuditQuery,
    cursor: Option<&str>,
) -> Result<AuditPage, Failure> {
    let mut pairs = query.to_pairs();
    if let Some(c) = cursor {
        pairs.push(("cursor", c.to_owned()));
    }
    finish(
        authed(Request::get("/api/v1/audit").query(pairs), token)
            .send()
            .await,
    )
    .await
}
