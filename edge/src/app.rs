//! The request router: which requests are the admin surface, which are
//! the gateway (§5), and which handler answers.

use chrono::{DateTime, Utc};
#[cfg(feature = "admin-plane")]
use keygate_shared::api::Health;
use keygate_shared::api::MAX_BODY_BYTES;
use keygate_shared::path::canonical;
use keygate_shared::{ApiError, ErrorCode};

use crate::config::Config;
#[cfg(feature = "admin-plane")]
use crate::http::Streamed;
use crate::http::{HttpRequest, HttpResponse, Outcome};
use crate::limiter::Limiter;
use crate::repo::Repo;
use crate::sql::Db;
use crate::store::Kv;
use crate::usage::Meter;

/// Everything a request is handled with.
pub struct App<'a, K: Kv, D: Db> {
    /// The verification store (projections).
    pub kv: &'a K,
    /// The administration store (source of truth).
    pub db: &'a D,
    /// The configuration.
    pub config: &'a Config,
    /// The time of the request.
    pub now: DateTime<Utc>,
    /// The rate-limit and credits objects (§9); `None`: a limited key
    /// cannot be verified (503), an unlimited one is unaffected.
    pub limiter: Option<&'a dyn Limiter>,
    /// Where verifications are counted (last use, usage per day).
    pub meter: Option<&'a dyn Meter>,
    /// Fetches the Access team's signing keys (§10); `None`: an Access
    /// token cannot be checked (503), admin keys are unaffected.
    pub certs: Option<&'a dyn crate::access::CertSource>,
}

/// What one request did, for its structured log line (never a token or a
/// hash: a route template, a status, an error code and a storage cause).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLog {
    /// The route template, or `gateway`, `admin-asset`, `bad-path`, `unknown`.
    pub route: &'static str,
    /// The method.
    pub method: String,
    /// The status answered (0: forwarded or served as an asset).
    pub status: u16,
    /// The error code, for an API error.
    pub code: Option<&'static str>,
    /// Why, for a storage failure.
    pub cause: Option<String>,
}

impl RequestLog {
    /// The JSON line, with the request's duration.
    #[must_use]
    pub fn line(&self, duration_ms: i64) -> String {
        serde_json::json!({
            "route": self.route,
            "method": self.method,
            "status": self.status,
            "code": self.code,
            "duration_ms": duration_ms,
            "cause": self.cause,
        })
        .to_string()
    }
}

/// The worker's version, as `/api/v1/health` reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Which part of the worker answers a request.
enum Surface {
    /// The gateway in front of the origin.
    #[cfg(feature = "gateway")]
    Gateway,
    /// The admin app's static files.
    AdminAsset,
    /// The admin API (`/api/v1/…`).
    Api,
}

/// The secret-scanning endpoint takes reports as large as GitHub sends
/// (up to 1,000 matches with their URLs); every other body is 64 KiB.
pub const SECRET_SCANNING_BODY_BYTES: usize = 2 * 1024 * 1024;

fn body_limit_of(path: &str) -> usize {
    if path.trim_end_matches('/') == "/api/v1/secret-scanning/github" {
        SECRET_SCANNING_BODY_BYTES
    } else {
        MAX_BODY_BYTES
    }
}

/// 413 `BODY_TOO_LARGE` for a body over `limit` bytes.
#[must_use]
pub fn body_too_large(limit: usize) -> ApiError {
    let message = if limit == MAX_BODY_BYTES {
        "The request body is larger than 64 KiB."
    } else {
        "The report is larger than 2 MiB."
    };
    ApiError::new(ErrorCode::BodyTooLarge, message)
}

fn bad_path() -> ApiError {
    ApiError::new(
        ErrorCode::BadPath,
        keygate_shared::path::BadPath.to_string(),
    )
}

/// What an API route does: the router dispatches on it, so a route in
/// [`ROUTES`] without a handler does not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /api/v1/health`.
    Health,
    /// `GET /api/v1/openapi.json`.
    OpenApi,
    /// `POST /api/v1/verify`.
    Verify,
    /// `GET /api/v1/me`.
    Me,
    /// `GET /api/v1/keys`.
    ListKeys,
    /// `POST /api/v1/keys`.
    CreateKey,
    /// `GET /api/v1/keys/export.csv`.
    ExportCsv,
    /// `POST /api/v1/keys/bulk-delete`.
    BulkDelete,
    /// `GET /api/v1/keys/{id}`.
    GetKey,
    /// `PATCH /api/v1/keys/{id}`.
    PatchKey,
    /// `DELETE /api/v1/keys/{id}`.
    DeleteKey,
    /// `POST /api/v1/keys/{id}/roll`.
    RollKey,
    /// `GET /api/v1/keys/{id}/usage`.
    KeyUsage,
    /// `GET /api/v1/audit`.
    Audit,
    /// `POST /api/v1/secret-scanning/github`.
    SecretScanning,
}

/// The one route table: method, path template (`{id}` = a key id) and
/// what it does. The router and the OpenAPI check both read it.
pub const ROUTES: &[(&str, &str, Route)] = &[
    ("GET", "/api/v1/health", Route::Health),
    ("GET", "/api/v1/openapi.json", Route::OpenApi),
    ("POST", "/api/v1/verify", Route::Verify),
    ("GET", "/api/v1/me", Route::Me),
    ("GET", "/api/v1/keys", Route::ListKeys),
    ("POST", "/api/v1/keys", Route::CreateKey),
    ("GET", "/api/v1/keys/export.csv", Route::ExportCsv),
    ("POST", "/api/v1/keys/bulk-delete", Route::BulkDelete),
    ("GET", "/api/v1/keys/{id}", Route::GetKey),
    ("PATCH", "/api/v1/keys/{id}", Route::PatchKey),
    ("DELETE", "/api/v1/keys/{id}", Route::DeleteKey),
    ("POST", "/api/v1/keys/{id}/roll", Route::RollKey),
    ("GET", "/api/v1/keys/{id}/usage", Route::KeyUsage),
    ("GET", "/api/v1/audit", Route::Audit),
    (
        "POST",
        "/api/v1/secret-scanning/github",
        Route::SecretScanning,
    ),
];

/// The route template `path` matches, with the `{id}` segment if any.
fn match_route(path: &str) -> Option<(&'static str, Option<&str>)> {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    ROUTES.iter().map(|(_, t, _)| *t).find_map(|template| {
        let mut id = None;
        let mut t = template.split('/');
        let mut p = path.split('/');
        loop {
            match (t.next(), p.next()) {
                (None, None) => return Some((template, id)),
                (Some("{id}"), Some(seg))
                    if !seg.is_empty() && !["export.csv", "bulk-delete"].contains(&seg) =>
                {
                    id = Some(seg);
                }
                (Some(a), Some(b)) if a == b => {}
                _ => return None,
            }
        }
    })
}

/// Which part of the worker answers `req`, from its host and its
/// canonical `path` (§5): decided before any body is read.
/// The admin plane alone (`admin-plane` without `gateway`) is reached
/// only through the front worker's `ADMIN` binding, which sends it
/// admin-surface requests only: there, every request is the admin's.
fn surface(config: &Config, req: &HttpRequest, path: &str) -> Surface {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    #[cfg(feature = "gateway")]
    {
        let admin_host = match &config.admin_hostname {
            Some(host) => req.host.eq_ignore_ascii_case(host),
            None => under("/api") || under("/admin"),
        };
        if !admin_host {
            return Surface::Gateway;
        }
    }
    #[cfg(not(feature = "gateway"))]
    let _ = (config, req);
    if under("/admin") {
        Surface::AdminAsset
    } else {
        Surface::Api
    }
}

/// How many body bytes the worker reads for `req` (the glue reads no
/// more, refusing the request past it). Only admin API bodies are read:
/// `None` for the gateway (its body streams to the origin untouched),
/// the admin app's files, `GET`/`HEAD` and paths that are not canonical.
/// The front worker alone reads only the verify endpoint's body: the
/// rest of the admin API's streams on to the admin plane untouched.
#[must_use]
pub fn body_limit(config: &Config, req: &HttpRequest) -> Option<usize> {
    let path = canonical(&req.path).ok()?;
    if matches!(req.method.as_str(), "GET" | "HEAD")
        || !matches!(surface(config, req, &path), Surface::Api)
        || (!cfg!(feature = "admin-plane") && !is_verify_route(&path))
    {
        return None;
    }
    Some(body_limit_of(&path))
}

impl<'a, K: Kv, D: Db> App<'a, K, D> {
    /// The key and audit repository.
    #[must_use]
    pub fn repo(&self) -> Repo<'a, K, D> {
        Repo::new(self.kv, self.db)
    }

    /// Which part of the worker answers `req` ([`surface`]).
    fn surface(&self, req: &HttpRequest, path: &str) -> Surface {
        surface(self.config, req, path)
    }

    /// How many body bytes the worker reads for `req` ([`body_limit`]).
    #[must_use]
    pub fn body_limit(&self, req: &HttpRequest) -> Option<usize> {
        body_limit(self.config, req)
    }

    /// Handles one request.
    /// A streamed answer is read to its end here (natively, where there
    /// is no stream to write to); the worker streams it instead.
    pub async fn handle(&self, req: &HttpRequest) -> Outcome {
        match self.handle_logged(req).await.0 {
            #[cfg(feature = "admin-plane")]
            Outcome::Stream(streamed) => {
                let Streamed { mut head, rest } = *streamed;
                match rest.collect(&self.keys()).await {
                    Ok(more) => {
                        head.body.extend_from_slice(more.as_bytes());
                        head.into()
                    }
                    Err(e) => HttpResponse::error(&e).into(),
                }
            }
            other => other,
        }
    }

    /// Handles one request and says what happened, for its log line.
    pub async fn handle_logged(&self, req: &HttpRequest) -> (Outcome, RequestLog) {
        let mut log = RequestLog {
            route: "bad-path",
            method: req.method.clone(),
            status: 400,
            code: None,
            cause: None,
        };
        let Ok(path) = canonical(&req.path) else {
            log.code = Some(ErrorCode::BadPath.as_str());
            return (HttpResponse::error(&bad_path()).into(), log);
        };
        let outcome = match self.surface(req, &path) {
            #[cfg(feature = "gateway")]
            Surface::Gateway => {
                log.route = "gateway";
                self.gateway(req, &path).await
            }
            #[cfg(not(feature = "admin-plane"))]
            Surface::Api => {
                log.route = match_route(&path).map_or("unknown", |(t, _)| t);
                let answer = match resolve(&req.method, &path) {
                    Ok((Route::Verify, _)) => self.verify_endpoint(req).await,
                    Ok(_) => {
                        (log.route, log.status) = ("admin-plane", 0);
                        return (Outcome::ForwardAdmin, log);
                    }
                    Err(answer) => answer,
                };
                match answer {
                    Ok(r) => r.into(),
                    Err(e) => {
                        log.code = Some(e.code.as_str());
                        log.cause.clone_from(&e.cause);
                        HttpResponse::error(&e).into()
                    }
                }
            }
            // The admin app's files are read, never written.
            #[cfg(not(feature = "admin-plane"))]
            Surface::AdminAsset if !matches!(req.method.as_str(), "GET" | "HEAD") => {
                log.route = "admin-asset";
                log.code = Some(ErrorCode::MethodNotAllowed.as_str());
                HttpResponse::error(&ApiError::new(
                    ErrorCode::MethodNotAllowed,
                    "The admin app's files take GET, HEAD.",
                ))
                .with_header("allow", "GET, HEAD")
                .into()
            }
            #[cfg(not(feature = "admin-plane"))]
            Surface::AdminAsset => {
                log.route = "admin-plane";
                Outcome::ForwardAdmin
            }
            #[cfg(feature = "admin-plane")]
            Surface::AdminAsset => {
                log.route = "admin-asset";
                Outcome::ServeAdminAsset
            }
            #[cfg(feature = "admin-plane")]
            Surface::Api => {
                log.route = match_route(&path).map_or("unknown", |(t, _)| t);
                match self.api(req, &path).await {
                    Ok(outcome) => outcome,
                    Err(e) => {
                        log.code = Some(e.code.as_str());
                        log.cause.clone_from(&e.cause);
                        HttpResponse::error(&e).into()
                    }
                }
            }
        };
        log.status = match &outcome {
            Outcome::Respond(r) => r.status,
            #[cfg(feature = "admin-plane")]
            Outcome::Stream(s) => s.head.status,
            _ => 0,
        };
        (outcome, log)
    }

    #[cfg(feature = "admin-plane")]
    async fn api(&self, req: &HttpRequest, path: &str) -> Result<Outcome, ApiError> {
        let (route, id) = match resolve(&req.method, path) {
            Ok(found) => found,
            Err(Ok(answer)) => return Ok(answer.into()),
            Err(Err(e)) => return Err(e),
        };
        let limit = body_limit_of(path);
        if req.body.len() > limit {
            return Err(body_too_large(limit));
        }
        let id = id.unwrap_or_default();
        let session = match route {
            Route::Health => {
                return Ok(HttpResponse::json(
                    200,
                    &Health {
                        ok: true,
                        version: VERSION.into(),
                    },
                )
                .into())
            }
            // A file among the admin app's (crate::openapi).
            Route::OpenApi => return Ok(Outcome::ServeFile("/api/v1/openapi.json")),
            Route::Verify => return self.verify_endpoint(req).await.map(Into::into),
            Route::SecretScanning => return self.secret_scanning(req).await.map(Into::into),
            _ => self.authenticate(req).await?,
        };
        if session.identity.is_some() {
            crate::access::check_same_origin_write(req)?;
        }
        let s = &session;
        let answer = match route {
            Route::Me => Ok(self.me(s)),
            Route::ListKeys => self.list_keys(s, req).await,
            Route::CreateKey => self.create_key(s, req).await,
            Route::ExportCsv => return self.export_csv(s, req).await,
            Route::BulkDelete => self.bulk_delete(s, req).await,
            Route::GetKey => self.get_key(s, id).await,
            Route::PatchKey => self.patch_key(s, id, req).await,
            Route::DeleteKey => self.delete_key(s, id).await,
            Route::RollKey => self.roll_key(s, id, req).await,
            Route::KeyUsage => self.key_usage(s, id, req).await,
            Route::Audit => self.audit_log(s, req).await,
            Route::Health | Route::OpenApi | Route::Verify | Route::SecretScanning => {
                unreachable_route()
            }
        };
        answer.map(Into::into)
    }
}

/// The route `method` and the canonical `path` ask for, with the `{id}`
/// segment if any; else the answer: 404 `NOT_FOUND` for no such route,
/// 405 `METHOD_NOT_ALLOWED` (with `Allow`) for a method it does not take.
/// The front worker answers these itself, so only a route's own methods
/// are passed on (a `TRACE` could not be: the runtime's `fetch` refuses it).
fn resolve<'p>(
    method: &str,
    path: &'p str,
) -> Result<(Route, Option<&'p str>), Result<HttpResponse, ApiError>> {
    let Some((template, id)) = match_route(path) else {
        return Err(Err(ApiError::new(
            ErrorCode::NotFound,
            "There is no such API route.",
        )));
    };
    if let Some(route) = ROUTES
        .iter()
        .find(|(m, t, _)| *t == template && *m == method)
        .map(|(_, _, r)| *r)
    {
        return Ok((route, id));
    }
    let allowed: Vec<&str> = ROUTES
        .iter()
        .filter(|(_, t, _)| *t == template)
        .map(|(m, _, _)| *m)
        .collect();
    Err(Ok(HttpResponse::error(&ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("This route takes {}.", allowed.join(", ")),
    ))
    .with_header("allow", &allowed.join(", "))))
}

/// Whether the canonical `path` is the verify endpoint's (the one API
/// route the front worker answers itself).
fn is_verify_route(path: &str) -> bool {
    path.strip_suffix('/').unwrap_or(path) == "/api/v1/verify"
}

/// Routes answered before authentication never reach the second match.
#[cfg(feature = "admin-plane")]
fn unreachable_route() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::NotFound,
        "There is no such API route.",
    ))
}

#[cfg(all(test, feature = "admin-plane"))]
mod tests {
    use super::match_route;

    #[test]
    fn routes() {
        assert_eq!(match_route("/api/v1/keys"), Some(("/api/v1/keys", None)));
        assert_eq!(match_route("/api/v1/keys/"), Some(("/api/v1/keys", None)));
        assert_eq!(
            match_route("/api/v1/keys/key_x"),
            Some(("/api/v1/keys/{id}", Some("key_x")))
        );
        assert_eq!(
            match_route("/api/v1/keys/export.csv"),
            Some(("/api/v1/keys/export.csv", None))
        );
        assert_eq!(
            match_route("/api/v1/keys/key_x/roll"),
            Some(("/api/v1/keys/{id}/roll", Some("key_x")))
        );
        assert_eq!(match_route("/api/v1/keys//roll"), None);
        assert_eq!(match_route("/api/v1/nope"), None);
        assert_eq!(match_route("/api/v2/keys"), None);
    }
}
