//! Platform-neutral requests and responses: the worker glue converts
//! `worker::Request` into [`HttpRequest`] and [`Outcome`] back, so all the
//! logic runs natively in tests.

use keygate_shared::{ApiError, ErrorCode};
use serde::Serialize;

/// An incoming request, headers with lower-case names.
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    /// Upper-case method.
    pub method: String,
    /// `Host` of the URL.
    pub host: String,
    /// Path of the URL (as the runtime normalised it).
    pub path: String,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Header pairs, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The body (already limited in size by the glue).
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The first header named `name` (lower-case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first query parameter named `name`.
    #[must_use]
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A response to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header pairs.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

const JSON: &str = "application/json; charset=utf-8";

impl HttpResponse {
    /// A JSON body with `status`.
    pub fn json<T: Serialize>(status: u16, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self {
                status,
                headers: vec![
                    ("content-type".into(), JSON.into()),
                    ("cache-control".into(), "no-store".into()),
                ],
                body,
            },
            Err(_) => Self::error(&ApiError::new(
                ErrorCode::Internal,
                "The response could not be encoded.",
            )),
        }
    }

    /// The §3 error body with its status; 401s for keys carry
    /// `WWW-Authenticate: Bearer`.
    #[must_use]
    pub fn error(e: &ApiError) -> Self {
        let mut r = Self {
            status: e.status(),
            headers: vec![
                ("content-type".into(), JSON.into()),
                ("cache-control".into(), "no-store".into()),
            ],
            body: e.to_body().into_bytes(),
        };
        if e.status() == 401 {
            r.headers.push(("www-authenticate".into(), "Bearer".into()));
        }
        r
    }

    /// 204 with no body.
    #[must_use]
    pub fn no_content() -> Self {
        Self {
            status: 204,
            headers: vec![],
            body: vec![],
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// A request the gateway lets through, as it should reach the origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// Full origin URL with path and the remaining query.
    pub url: String,
    /// Headers to send (credential and client `X-Keygate-*` removed,
    /// identity added).
    pub headers: Vec<(String, String)>,
}

/// What the worker does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Answer directly.
    Respond(HttpResponse),
    /// Send on to the origin.
    Forward(Forward),
    /// Serve the admin SPA's static files.
    ServeAdminAsset,
}

impl From<HttpResponse> for Outcome {
    fn from(r: HttpResponse) -> Self {
        Self::Respond(r)
    }
}

impl From<ApiError> for HttpResponse {
    fn from(e: ApiError) -> Self {
        Self::error(&e)
    }
}

/// Percent-encodes a query component (RFC 3986 unreserved kept).
#[must_use]
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
