//! Verification at the edge: the gateway in front of the origin and the
//! `POST /api/v1/verify` endpoint. Both run the same pipeline:
//! shape check (no storage read) → one KV read by hash → policy decision.

use std::net::IpAddr;

use keygate_shared::api::{decode_body, VerifyRequest, VerifyResponse};
use keygate_shared::policy::{self, RequestFacts, Requirement, VerifyCode};
use keygate_shared::{ApiError, ErrorCode, KeyRecord};

use crate::app::App;
use crate::credential;
use crate::http::{encode_component, Forward, HttpRequest, HttpResponse, Outcome};
use crate::store::{Kv, StoreError};

/// Headers the gateway sets; any a client sends are dropped.
pub const IDENTITY_HEADERS: [&str; 3] = [
    "x-keygate-key-id",
    "x-keygate-organization",
    "x-keygate-roles",
];

/// The client address the edge saw.
#[must_use]
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    req.header("cf-connecting-ip")
        .and_then(|v| v.trim().parse().ok())
}

fn unavailable() -> ApiError {
    ApiError::new(
        ErrorCode::Unavailable,
        "Key storage is unavailable; the request was not let through.",
    )
}

impl<K: Kv> App<'_, K> {
    /// The whole pipeline for one presented credential, shared by the
    /// gateway, the verify endpoint and admin authentication. A storage
    /// failure is an error for the caller to word, never a verdict.
    pub(crate) async fn check(
        &self,
        presented: Option<&str>,
        facts: &RequestFacts<'_>,
    ) -> Result<(VerifyCode, Option<KeyRecord>), StoreError> {
        let token = match policy::check_shape(&self.config.prefix, presented) {
            Ok(t) => t,
            Err(code) => return Ok((code, None)),
        };
        let hash = token.lookup_hash();
        let record = self.repo().by_hash(&hash.to_hex()).await?;
        // Defence in depth: the stored hash must be the one looked up.
        let record = record.filter(|r| hash.matches_hex(&r.hash));
        Ok((policy::decide(record.as_ref(), facts, self.now), record))
    }

    /// `POST /api/v1/verify`: always 200 with the code, unless the request
    /// itself is bad or storage failed.
    pub async fn verify_endpoint(&self, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        let body: VerifyRequest = decode_body(&req.body, VerifyRequest::FIELDS, &[])?;
        let roles = body.roles.unwrap_or_default();
        keygate_shared::validation::roles(&roles)?;
        let organization = body
            .organization
            .map(|o| keygate_shared::validation::organization(&o))
            .transpose()?;
        let ip = match body.ip.as_deref() {
            Some(s) => Some(
                s.trim()
                    .parse::<IpAddr>()
                    .map_err(|_| ApiError::invalid("ip", "ip is not an IPv4 or IPv6 address."))?,
            ),
            None => None,
        };
        let requirement = Requirement {
            roles,
            organization,
        };
        let facts = RequestFacts {
            client_ip: ip,
            check_ip: ip.is_some(),
            requirement: &requirement,
        };
        let (code, record) = self
            .check(body.token.as_deref(), &facts)
            .await
            .map_err(|_| unavailable())?;
        Ok(HttpResponse::json(
            200,
            &VerifyResponse {
                valid: code == VerifyCode::Valid,
                code: code.as_str().to_owned(),
                key: record.map(|r| r.view(self.now)),
            },
        ))
    }

    /// The gateway: refuse with the §5 status, or forward to the origin.
    pub async fn gateway(&self, req: &HttpRequest) -> Outcome {
        let none = Requirement::default();
        let requirement = self
            .config
            .rules
            .requirement_for(&req.method, &req.path)
            .unwrap_or(&none);
        let facts = RequestFacts {
            client_ip: client_ip(req),
            check_ip: true,
            requirement,
        };
        let (code, record) = match self.check(credential::presented(req), &facts).await {
            Ok(r) => r,
            Err(_) => return HttpResponse::error(&unavailable()).into(),
        };
        let (Some(record), VerifyCode::Valid) = (record, code) else {
            let error_code = code.error_code().unwrap_or(ErrorCode::UnknownKey);
            return HttpResponse::error(&ApiError::new(error_code, code.message())).into();
        };
        let Some(origin) = &self.config.origin_url else {
            return HttpResponse::error(&ApiError::new(
                ErrorCode::OriginNotConfigured,
                "The gateway has no ORIGIN_URL configured.",
            ))
            .into();
        };
        Outcome::Forward(forward(req, origin, &record))
    }
}

/// The request as the origin should see it.
fn forward(req: &HttpRequest, origin: &str, record: &KeyRecord) -> Forward {
    let query: Vec<String> = req
        .query
        .iter()
        .filter(|(k, _)| k != credential::QUERY_PARAM)
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect();
    let mut url = format!("{origin}{}", req.path);
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query.join("&"));
    }
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .filter(|(n, _)| {
            n != "authorization"
                && n != "x-api-key"
                && n != "host"
                && !IDENTITY_HEADERS.contains(&n.as_str())
        })
        .cloned()
        .collect();
    headers.push(("x-keygate-key-id".into(), record.id.clone()));
    headers.push(("x-keygate-organization".into(), record.organization.clone()));
    headers.push(("x-keygate-roles".into(), record.roles.join(",")));
    Forward { url, headers }
}
