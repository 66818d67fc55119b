//! The admin API over HTTP, through the types in `keygate-shared`. The
//! admin token lives in `sessionStorage` only (never the URL or
//! `localStorage`), so it is gone when the tab closes.

use keygate_shared::api::{
    AuditPage, AuditQuery, BulkDeleteRequest, BulkDeleteResult, CreateKeyRequest, CreatedKey,
    KeyList, Me, PatchKeyRequest, RollRequest, UsageReport,
};
use keygate_shared::error::ErrorBody;
use keygate_shared::{ApiError, ErrorCode, KeyView};

use crate::decode::{self, FromJson};
use crate::encode::ToJson;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

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

/// What came back: the status and the body's text. Every call goes
/// through the one non-generic [`send`], so the app holds one fetch future
/// instead of one per answer type (gloo-net's builder was inlined into
/// each call's future: measured in BENCHMARKS.md "Sizes").
struct Answer {
    status: u16,
    ok: bool,
    text: String,
}

/// Sends one request. Every call says it comes from the app (§10's guard
/// for Access sign-ins: a cross-site page cannot send this header without
/// the worker's consent) and carries the admin key, when signed in with
/// one; a Cloudflare Access sign-in travels in its cookie.
async fn send(
    token: &str,
    method: &str,
    url: &str,
    json_body: Option<String>,
) -> Result<Answer, Failure> {
    let headers = web_sys::Headers::new().map_err(|_| Failure::network())?;
    let mut set = headers.set("X-Keygate-Client", "admin");
    if !token.is_empty() {
        set = set.and_then(|()| headers.set("Authorization", &format!("Bearer {token}")));
    }
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(body) = json_body {
        set = set.and_then(|()| headers.set("Content-Type", "application/json"));
        init.set_body(&JsValue::from_str(&body));
    }
    set.map_err(|_| Failure::network())?;
    init.set_headers(&headers);
    let window = web_sys::window().ok_or_else(Failure::network)?;
    let resp: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .and_then(JsCast::dyn_into)
        .map_err(|_| Failure::network())?;
    let text = match resp.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .map_err(|_| Failure::network())?,
        Err(_) => return Err(Failure::network()),
    };
    Ok(Answer {
        status: resp.status(),
        ok: resp.ok(),
        text: text.as_string().unwrap_or_default(),
    })
}

/// A refused call's error: the contract's body, or a sentence when the
/// body is not one (a proxy's page, say).
fn failure(answer: &Answer) -> Failure {
    let status = answer.status;
    let error = match decode::from_str::<ErrorBody>(&answer.text) {
        Ok(body) => body.error,
        Err(_) => ApiError::new(
            ErrorCode::Internal,
            format!("The server answered {status}."),
        ),
    };
    Failure { status, error }
}

/// The answer as `T`, or the failure it reports.
fn parse<T: FromJson>(answer: &Answer) -> Result<T, Failure> {
    if !answer.ok {
        return Err(failure(answer));
    }
    decode::from_str(&answer.text).map_err(|_| Failure {
        status: answer.status,
        error: ApiError::new(
            ErrorCode::Internal,
            "The server's answer was not understood.",
        ),
    })
}

/// Succeeds on a 2xx answer, whatever its body.
fn accepted(answer: Answer) -> Result<Answer, Failure> {
    if answer.ok {
        Ok(answer)
    } else {
        Err(failure(&answer))
    }
}

async fn get<T: FromJson>(token: &str, url: &str) -> Result<T, Failure> {
    parse(&send(token, "GET", url, None).await?)
}

async fn send_json<B: ToJson, T: FromJson>(
    token: &str,
    method: &str,
    url: &str,
    body: &B,
) -> Result<T, Failure> {
    let json = crate::encode::to_string(&body.to_json());
    parse(&send(token, method, url, Some(json)).await?)
}

/// `path` with the pairs as its query string, each part encoded.
fn with_query(path: &str, pairs: &[(&str, String)]) -> String {
    let mut url = path.to_owned();
    for (n, (name, value)) in pairs.iter().enumerate() {
        url.push(if n == 0 { '?' } else { '&' });
        url.push_str(&String::from(js_sys::encode_uri_component(name)));
        url.push('=');
        url.push_str(&String::from(js_sys::encode_uri_component(value)));
    }
    url
}

/// `GET /api/v1/keys/{id}/usage?days=N`.
pub async fn usage(token: &str, id: &str, days: u32) -> Result<UsageReport, Failure> {
    let url = with_query(
        &format!("/api/v1/keys/{id}/usage"),
        &[("days", days.to_string())],
    );
    get(token, &url).await
}

/// `GET /api/v1/me`.
pub async fn me(token: &str) -> Result<Me, Failure> {
    get(token, "/api/v1/me").await
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
    let url = with_query("/api/v1/keys", &pairs);
    get(token, &url).await
}

/// `GET /api/v1/keys/export.csv` with the filters: the CSV text.
pub async fn export_csv(token: &str, filters: &Filters) -> Result<String, Failure> {
    let pairs = filters.pairs();
    let url = with_query("/api/v1/keys/export.csv", &pairs);
    Ok(accepted(send(token, "GET", &url, None).await?)?.text)
}

/// `POST /api/v1/keys`.
pub async fn create(token: &str, body: &CreateKeyRequest) -> Result<CreatedKey, Failure> {
    send_json(token, "POST", "/api/v1/keys", body).await
}

/// `PATCH /api/v1/keys/{id}`.
pub async fn patch(token: &str, id: &str, body: &PatchKeyRequest) -> Result<KeyView, Failure> {
    send_json(token, "PATCH", &format!("/api/v1/keys/{id}"), body).await
}

/// `DELETE /api/v1/keys/{id}`.
pub async fn delete(token: &str, id: &str) -> Result<(), Failure> {
    accepted(send(token, "DELETE", &format!("/api/v1/keys/{id}"), None).await?).map(|_| ())
}

/// `POST /api/v1/keys/bulk-delete`.
pub async fn bulk_delete(token: &str, ids: Vec<String>) -> Result<BulkDeleteResult, Failure> {
    send_json(
        token,
        "POST",
        "/api/v1/keys/bulk-delete",
        &BulkDeleteRequest { ids: Some(ids) },
    )
    .await
}

/// `POST /api/v1/keys/{id}/roll`.
pub async fn roll(token: &str, id: &str, grace_seconds: u32) -> Result<CreatedKey, Failure> {
    let body = RollRequest {
        grace_seconds: Some(grace_seconds),
    };
    send_json(token, "POST", &format!("/api/v1/keys/{id}/roll"), &body).await
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
    let url = with_query("/api/v1/audit", &pairs);
    get(token, &url).await
}
