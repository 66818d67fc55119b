//! Platform-neutral requests and responses: the worker glue converts
//! `worker::Request` into [`HttpRequest`] and [`Outcome`] back, so all the
//! logic runs natively in tests.

use keygate_shared::{ApiError, ErrorCode};
use serde::Serialize;

/// An incoming request, headers with lower-case names.
#[derive(Clone, Default)]
pub struct HttpRequest {
    /// Upper-case method.
    pub method: String,
    /// `Host` of the URL.
    pub host: String,
    /// Scheme and authority of the URL, lower-case (`https://a.example`,
    /// `http://127.0.0.1:8787`): what a same-origin `Origin` equals.
    pub origin: String,
    /// Path of the URL as the runtime hands it over (not yet canonical:
    /// see [`keygate_shared::path::canonical`]).
    pub path: String,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// The query string as sent (without `?`): what the gateway forwards.
    pub raw_query: String,
    /// Header pairs, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The body (already limited in size by the glue).
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The head of a request to `url` (as the runtime hands it over), with
    /// `headers`, whose names must be lower-case already (the glue's
    /// `header_pairs` makes them so), and no body yet.
    #[must_use]
    pub fn head(method: String, url: &str, headers: Vec<(String, String)>) -> Self {
        let (host, path, query) = split_url(url);
        Self {
            method,
            host: host.to_ascii_lowercase(),
            origin: origin_of(url),
            path: path.to_owned(),
            query: decode_query(query),
            raw_query: query.to_owned(),
            headers,
            body: Vec::new(),
        }
    }

    /// The part of a head that decides whether and how its body is read
    /// ([`crate::app::body_limit`], [`HttpRequest::declared_length`]): the
    /// method (upper-cased, as the worker reads it), the URL and the two
    /// framing headers. The entry asks with it before the whole head
    /// crosses (`glue::body_wanted`); the test
    /// `the_framing_head_decides_as_the_whole_head` holds that it decides
    /// as the whole head does.
    #[must_use]
    pub fn framing(
        method: &str,
        url: &str,
        content_length: Option<String>,
        transfer_encoding: Option<String>,
    ) -> Self {
        let headers = [
            ("content-length", content_length),
            ("transfer-encoding", transfer_encoding),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_owned(), value?)))
        .collect();
        Self::head(method.to_ascii_uppercase(), url, headers)
    }
}

/// Header names and the query, never values: any of them may be a
/// credential (`Authorization`, `Cookie`, `Cf-Access-Jwt-Assertion`,
/// `X-API-Key`, `rest_api_key`), and `Debug` output ends up in logs.
impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        let query: Vec<&str> = self.query.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("origin", &self.origin)
            .field("path", &self.path)
            .field("query_names", &query)
            .field("header_names", &names)
            .field("body_bytes", &self.body.len())
            .finish()
    }
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

    /// The body length the client declared: `Content-Length` as HTTP
    /// writes it, digits only (`+5` is not one; two values arrive joined,
    /// `5, 5`, and are none), and none beside a `Transfer-Encoding`, whose
    /// framing wins. The worker reads a declared body in one go (the
    /// runtime holds it to that length), any other in chunks against the
    /// limit.
    #[must_use]
    pub fn declared_length(&self) -> Option<u64> {
        if self.header("transfer-encoding").is_some() {
            return None;
        }
        let value = self.header("content-length")?.trim();
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        value.parse().ok()
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
            headers: vec![("cache-control".into(), "no-store".into())],
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

/// §8: headers of the admin app and its assets. Scripts and wasm only
/// from the app's own origin (the build moves trunk's inline loader into
/// a file, see `scripts/build.sh`), no framing, no sniffing, no referrer.
pub const ADMIN_APP_HEADERS: [(&str, &str); 4] = [
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         connect-src 'self'; img-src 'self' data:; font-src 'self'; manifest-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
];

/// A request the gateway lets through, as it should reach the origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// Full origin URL with path and the remaining query.
    pub url: String,
    /// Headers to send: the client's, less the credential, `Host`, every
    /// `X-Keygate-*` and the hop-by-hop headers; plus the identity.
    pub headers: Vec<(String, String)>,
    /// Headers added to the origin's answer (a limited key's `RateLimit`).
    pub response_headers: Vec<(String, String)>,
}

/// What the worker does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Answer directly.
    Respond(HttpResponse),
    /// Answer with `head` (status, headers and the first part of the
    /// body) at once, then stream the rest of a CSV export page by page.
    #[cfg(feature = "admin-plane")]
    Stream(Box<Streamed>),
    /// Send on to the origin.
    Forward(Forward),
    /// Send on, unread, to the admin plane (the front worker alone: see
    /// `App::surface`).
    #[cfg(not(feature = "admin-plane"))]
    ForwardAdmin,
    /// Serve the admin SPA's static files.
    #[cfg(feature = "admin-plane")]
    ServeAdminAsset,
    /// Serve this file among the admin app's (the OpenAPI document).
    #[cfg(feature = "admin-plane")]
    ServeFile(&'static str),
}

/// A response whose body goes on after its first part.
#[cfg(feature = "admin-plane")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streamed {
    /// Status, headers and the body's first part.
    pub head: HttpResponse,
    /// What produces the rest.
    pub rest: crate::admin::CsvRest,
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

/// Scheme and authority of `url`, lower-case, without user info.
#[must_use]
pub fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{authority}").to_ascii_lowercase()
}

/// Host (without port), path and raw query of an absolute URL as the
/// runtime hands it over (parsed by the WHATWG URL parser, which resolves
/// plain and `%2e` dot segments but keeps other escapes; the path is made
/// canonical later, see [`keygate_shared::path::canonical`]). Parsing by hand
/// keeps a general URL parser off the hot path.
#[must_use]
pub fn split_url(url: &str) -> (&str, &str, &str) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let (authority, path_query) = rest
        .find('/')
        .map_or((rest, ""), |i| (&rest[..i], &rest[i..]));
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        host_port.split_inclusive(']').next().unwrap_or(host_port)
    } else {
        host_port.split(':').next().unwrap_or(host_port)
    };
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    (host, if path.is_empty() { "/" } else { path }, query)
}

/// Decodes `application/x-www-form-urlencoded` pairs (`+` is a space;
/// invalid UTF-8 is replaced, never an error), as `URLSearchParams` does.
#[must_use]
pub fn decode_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

fn decode_component(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = match bytes[i] {
            b'%' => bytes
                .get(i + 1)
                .and_then(|h| hex(*h))
                .zip(bytes.get(i + 2).and_then(|l| hex(*l)))
                .map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match (decoded, bytes[i]) {
            (Some(b), _) => {
                out.push(b);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_shows_no_header_or_query_value() {
        let req = HttpRequest {
            method: "GET".into(),
            headers: vec![
                ("authorization".into(), "Bearer kg_secret".into()),
                ("cookie".into(), "CF_Authorization=eyJsecret".into()),
                ("cf-access-jwt-assertion".into(), "eyJsecret".into()),
            ],
            query: vec![("rest_api_key".into(), "kg_secret".into())],
            ..HttpRequest::default()
        };
        let shown = format!("{req:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("cf-access-jwt-assertion"));
    }

    #[test]
    fn a_declared_length_is_digits_alone_without_other_framing() {
        let with = |pairs: &[(&str, &str)]| HttpRequest {
            headers: pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            ..HttpRequest::default()
        };
        assert_eq!(
            with(&[("content-length", "42")]).declared_length(),
            Some(42)
        );
        assert_eq!(
            with(&[("content-length", " 007 ")]).declared_length(),
            Some(7)
        );
        for odd in [
            "+5",
            "-1",
            "5, 5",
            "",
            "0x10",
            "1e3",
            "99999999999999999999",
        ] {
            assert_eq!(
                with(&[("content-length", odd)]).declared_length(),
                None,
                "{odd:?}"
            );
        }
        assert_eq!(
            with(&[("transfer-encoding", "chunked"), ("content-length", "5")]).declared_length(),
            None
        );
        assert_eq!(with(&[]).declared_length(), None);
    }

    #[test]
    fn the_framing_head_decides_as_the_whole_head() {
        use crate::app::body_limit;
        use crate::config::Config;
        let configs = [
            Config::default(),
            Config {
                admin_hostname: Some("keys.acme.com".into()),
                ..Config::default()
            },
        ];
        let urls = [
            "https://Keys.Acme.com/api/v1/keys?x=1",
            "https://keys.acme.com/api/v1/verify",
            "https://api.acme.com/api/v1/verify",
            "http://127.0.0.1:8787/calls/x?rest_api_key=kg_x",
            "http://127.0.0.1:8787/admin/index.html",
            "http://127.0.0.1:8787/api/v1/%2e%2e/keys",
            "http://127.0.0.1:8787/api//v1/verify",
        ];
        let framings = [
            (Some("12"), None),
            (Some("999999999"), None),
            (Some("+5"), None),
            (Some("12"), Some("chunked")),
            (None, Some("chunked")),
            (None, None),
        ];
        let methods = ["POST", "put", "PATCH", "DELETE", "GET", "get", "HEAD"];
        let mut decided = 0;
        for config in &configs {
            for url in urls {
                for method in methods {
                    for (length, encoding) in framings {
                        let mut headers = vec![
                            ("authorization".to_owned(), "Bearer kg_x".to_owned()),
                            ("host".to_owned(), "elsewhere.example".to_owned()),
                        ];
                        headers.extend(length.map(|l| ("content-length".to_owned(), l.to_owned())));
                        headers.extend(
                            encoding.map(|e| ("transfer-encoding".to_owned(), e.to_owned())),
                        );
                        // As the glue builds the whole head: the method
                        // upper-cased (`web::method_of`).
                        let whole = HttpRequest::head(method.to_ascii_uppercase(), url, headers);
                        let framing = HttpRequest::framing(
                            method,
                            url,
                            length.map(str::to_owned),
                            encoding.map(str::to_owned),
                        );
                        let limit = body_limit(config, &whole);
                        assert_eq!(body_limit(config, &framing), limit, "{method} {url}");
                        assert_eq!(framing.declared_length(), whole.declared_length());
                        decided += usize::from(limit.is_some());
                    }
                }
            }
        }
        // Some heads read a body and some do not, so both answers were compared.
        let all = configs.len() * urls.len() * methods.len() * framings.len();
        assert!(decided > 0 && decided < all);
    }

    #[test]
    fn origins_of_urls() {
        assert_eq!(
            origin_of("https://Keys.Acme.com/admin/?x#y"),
            "https://keys.acme.com"
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8787/api/v1/me"),
            "http://127.0.0.1:8787"
        );
        assert_eq!(
            origin_of("https://u:p@keys.acme.com/"),
            "https://keys.acme.com"
        );
        assert_eq!(origin_of("no scheme"), "");
    }

    #[test]
    fn splits_urls_like_the_runtime() {
        assert_eq!(
            split_url("http://127.0.0.1:8787/api/v1/keys?limit=2#frag"),
            ("127.0.0.1", "/api/v1/keys", "limit=2")
        );
        assert_eq!(
            split_url("https://keygate.example"),
            ("keygate.example", "/", "")
        );
        assert_eq!(
            split_url("http://[::1]:8787/a%2Fb?"),
            ("[::1]", "/a%2Fb", "")
        );
        assert_eq!(
            split_url("https://u:p@h.example/x"),
            ("h.example", "/x", "")
        );
    }

    #[test]
    fn decodes_queries_like_url_search_params() {
        assert_eq!(
            decode_query("q=a+b%20c&&empty&k=%E2%82%AC&bad=%zz%4&x=%2"),
            [
                ("q".into(), "a b c".into()),
                ("empty".into(), String::new()),
                ("k".into(), "€".into()),
                ("bad".into(), "%zz%4".into()),
                ("x".into(), "%2".into()),
            ]
        );
        assert_eq!(decode_query("t=%FF")[0].1, "\u{fffd}");
    }
}
