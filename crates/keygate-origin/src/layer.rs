//! A tower [`Layer`](tower_layer::Layer) that lets only genuine forwards
//! of the gateway through: an axum origin adds one line,
//!
//! ```
//! use axum::{routing::get, Router};
//! use keygate_origin::{KeygateLayer, Secrets};
//!
//! let secrets = Secrets::parse("a-secret-of-at-least-32-characters!!").unwrap();
//! let app: Router = Router::new()
//!     .route("/calls/list", get(|| async { "ok" }))
//!     .layer(KeygateLayer::new(secrets));
//! ```
//!
//! A request whose signature is missing, malformed, expired or wrong gets
//! 401 with the [`Error`](crate::Error) as text, and never reaches the
//! inner service; a verified one carries a [`VerifiedIdentity`] in its
//! extensions.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{HeaderMap, Request, Response, StatusCode};

use crate::{
    verify, Error, Forwarded, Secrets, KEY_ID_HEADER, META_HEADER, ORGANIZATION_HEADER,
    ROLES_HEADER, SIGNATURE_HEADER,
};

/// The identity of a verified request, as the gateway stated it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    /// `X-Keygate-Key-Id`.
    pub key_id: String,
    /// `X-Keygate-Organization`.
    pub organization: String,
    /// `X-Keygate-Roles`, split at commas.
    pub roles: Vec<String>,
    /// `X-Keygate-Meta`, when sent.
    pub meta: Option<String>,
}

/// Wraps a service with the check (see the module documentation).
#[derive(Clone, Debug)]
pub struct KeygateLayer {
    secrets: Secrets,
    clock: fn() -> i64,
}

fn system_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl KeygateLayer {
    /// The check with `secrets` and the system clock.
    #[must_use]
    pub fn new(secrets: Secrets) -> Self {
        Self {
            secrets,
            clock: system_clock,
        }
    }

    /// The check with another clock (Unix seconds), for tests.
    #[must_use]
    pub fn with_clock(secrets: Secrets, clock: fn() -> i64) -> Self {
        Self { secrets, clock }
    }
}

impl<S> tower_layer::Layer<S> for KeygateLayer {
    type Service = KeygateService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        KeygateService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`KeygateLayer`] makes.
#[derive(Clone, Debug)]
pub struct KeygateService<S> {
    inner: S,
    layer: KeygateLayer,
}

/// The one value of `name`, if sent: `Err` when it is repeated or not
/// visible ASCII.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, Error> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Error::RepeatedHeader);
    }
    first.to_str().map(Some).map_err(|_| Error::RepeatedHeader)
}

/// Checks `req` against `secrets` at `now`: the identity, or why not.
///
/// # Errors
/// The [`Error`] of [`verify`], or [`Error::RepeatedHeader`].
pub fn check<B>(secrets: &Secrets, req: &Request<B>, now: i64) -> Result<VerifiedIdentity, Error> {
    let h = req.headers();
    let meta = header(h, META_HEADER)?;
    let get = |name| header(h, name).map(Option::unwrap_or_default);
    let forwarded = Forwarded {
        method: req.method().as_str(),
        path: req.uri().path(),
        query: req.uri().query().unwrap_or(""),
        key_id: get(KEY_ID_HEADER)?,
        organization: get(ORGANIZATION_HEADER)?,
        roles: get(ROLES_HEADER)?,
        meta: meta.unwrap_or_default(),
    };
    verify(secrets, header(h, SIGNATURE_HEADER)?, &forwarded, now)?;
    Ok(VerifiedIdentity {
        key_id: forwarded.key_id.to_owned(),
        organization: forwarded.organization.to_owned(),
        roles: forwarded
            .roles
            .split(',')
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect(),
        meta: meta.map(str::to_owned),
    })
}

impl<S, B, RB> tower_service::Service<Request<B>> for KeygateService<S>
where
    S: tower_service::Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
    RB: From<String> + Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        match check(&self.layer.secrets, &req, (self.layer.clock)()) {
            Ok(identity) => {
                req.extensions_mut().insert(identity);
                Box::pin(self.inner.call(req))
            }
            Err(e) => {
                let mut resp = Response::new(RB::from(format!("{e}\n")));
                *resp.status_mut() = StatusCode::UNAUTHORIZED;
                Box::pin(std::future::ready(Ok(resp)))
            }
        }
    }
}
