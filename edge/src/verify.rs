//! Verification at the edge: the gateway in front of the origin and the
//! `POST /api/v1/verify` endpoint. Both run the same pipeline:
//! shape check (no storage read) → one KV read by hash → policy decision.

use std::net::IpAddr;

use keygate_origin::Forwarded;
use keygate_shared::api::{decode_body, VerifyRequest, VerifyResponse};
use keygate_shared::policy::{self, RequestFacts, Requirement, VerifyCode};
use keygate_shared::{ApiError, ErrorCode, KeyRecord, KeyView};

use crate::app::App;
use crate::credential;
use crate::http::{Forward, HttpRequest, HttpResponse, Outcome};
use crate::sql::Db;
use crate::store::{Kv, StoreError};
use crate::usage::UsageFact;
use keygate_shared::usage::{LimitAnswer, LimitCode, LimitRequest, MAX_COST};

/// The client address the edge saw.
#[must_use]
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    req.header("cf-connecting-ip")
        .and_then(|v| v.trim().parse().ok())
}

/// The 503 of a verification whose lookup failed; logs the cause (an
/// error of the store or a record that does not decode: never the token).
fn unavailable(cause: &crate::store::StoreError) -> ApiError {
    // Logged here: a gateway refusal has no API error to carry it.
    crate::log::error(&format!("verification lookup failed: {}", cause.0));
    ApiError::new(
        ErrorCode::Unavailable,
        "Key storage is unavailable; the request was not let through.",
    )
}

impl<K: Kv, D: Db> App<'_, K, D> {
    /// The whole pipeline for one presented credential, shared by the
    /// gateway and the verify endpoint (admin authentication runs the
    /// same steps on the key's D1 row: `App::check_at_source`). A storage
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

    /// After every check of §5 passed: the key's rate limit, then its
    /// credits (§9), decided by its limiter; a key with neither makes no
    /// call at all. A limiter that cannot be reached is an error (503),
    /// never a pass.
    async fn limit(
        &self,
        record: &KeyRecord,
        cost: u32,
    ) -> Result<Option<LimitAnswer>, StoreError> {
        if !record.is_limited() {
            return Ok(None);
        }
        let Some(limiter) = self.limiter else {
            return Err(StoreError(
                "a limited key and no limiter: the Durable Object binding LIMITER is missing"
                    .into(),
            ));
        };
        let request = LimitRequest {
            rate_limit: record.rate_limit,
            credits: record.credits,
            credits_set_at: record.credits_set_at.map_or(0, |t| t.timestamp_millis()),
            cost,
            now: self.now.timestamp_millis(),
        };
        limiter
            .spend(record.limiter_name().as_str(), &request)
            .await
            .map(Some)
    }

    /// The checks of §5, then the limits of §9, and the verification
    /// counted (last use, usage per day) for a key that matched.
    ///
    /// A limited key with an allowlist spends its limits only from an
    /// allowed address: the verify endpoint without `ip` checks the
    /// allowlist against its own caller's address. With `ip` it checks
    /// the address the caller names, which it cannot tell from the truth
    /// (the endpoint has no caller authentication, §5): through it, a
    /// stolen allowlisted token can still be spent by naming an allowed
    /// address (README, "Allowlisted keys").
    async fn verify_fully(
        &self,
        presented: Option<&str>,
        facts: &RequestFacts<'_>,
        cost: u32,
        caller_ip: Option<IpAddr>,
    ) -> Result<(VerifyCode, Option<KeyRecord>, Option<LimitAnswer>), StoreError> {
        let (mut code, record) = self.check(presented, facts).await?;
        let mut answer = None;
        if let (VerifyCode::Valid, Some(r)) = (code, &record) {
            if r.is_limited() && !r.ip_allowlist.is_empty() && !facts.check_ip {
                let strict = RequestFacts {
                    client_ip: caller_ip,
                    check_ip: true,
                    ..*facts
                };
                code = policy::decide(Some(r), &strict, self.now);
            }
        }
        if let (VerifyCode::Valid, Some(r)) = (code, &record) {
            answer = self.limit(r, cost).await?;
            code = match answer.map(|a| a.code) {
                Some(LimitCode::RateLimited) => VerifyCode::RateLimited,
                Some(LimitCode::UsageExceeded) => VerifyCode::UsageExceeded,
                Some(LimitCode::KeyDeleted) => VerifyCode::UnknownKey,
                _ => VerifyCode::Valid,
            };
        }
        if code == VerifyCode::UnknownKey && answer.is_some() {
            // Deleted, read from a stale copy: answered as any unknown
            // key, with nothing of the record and nothing counted.
            return Ok((code, None, None));
        }
        if let (Some(meter), Some(r)) = (self.meter, &record) {
            meter.record(&UsageFact {
                record: r,
                code,
                limits: answer.as_ref(),
                at: self.now,
            });
        }
        Ok((code, record, answer))
    }

    /// `POST /api/v1/verify`: always 200 with the code, unless the request
    /// itself is bad or storage failed.
    pub async fn verify_endpoint(&self, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        let body: VerifyRequest = decode_body(&req.body, VerifyRequest::FIELDS, &[])?;
        let roles = keygate_shared::validation::roles(&body.roles.unwrap_or_default())?;
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
        let cost = body.cost.unwrap_or(1);
        if cost > MAX_COST {
            return Err(ApiError::invalid(
                "cost",
                format!("cost is 0 to {MAX_COST}."),
            ));
        }
        let requirement = Requirement {
            roles: roles.into_iter().map(String::from).collect(),
            organization: organization.map(String::from),
            cost: None,
        };
        let facts = RequestFacts {
            client_ip: ip,
            check_ip: ip.is_some(),
            requirement: &requirement,
        };
        let (code, record, limits) = self
            .verify_fully(body.token.as_deref(), &facts, cost, client_ip(req))
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(HttpResponse::json(
            200,
            &VerifyResponse {
                valid: code == VerifyCode::Valid,
                code: code.as_str().to_owned(),
                // Admin guidance stays with the admins: a caller holding a
                // rolled (perhaps leaked) token learns no successor's id.
                key: record.map(|r| KeyView {
                    rolled_to: None,
                    ..r.view(self.now)
                }),
                rate_limit: limits.and_then(|a| a.rate_limit),
                credits: limits.and_then(|a| a.credits),
            },
        ))
    }

    /// The gateway: refuse with the §5 status, or forward to the origin.
    /// `path` is the request's canonical path: rules match it and the
    /// origin receives it, so what was checked is what is served.
    pub async fn gateway(&self, req: &HttpRequest, path: &str) -> Outcome {
        let none = Requirement::default();
        let requirement = self
            .config
            .rules
            .requirement_for(&req.method, path)
            .unwrap_or(&none);
        let facts = RequestFacts {
            client_ip: client_ip(req),
            check_ip: true,
            requirement,
        };
        let cost = requirement.cost.unwrap_or(1);
        let (code, record, limits) = match self
            .verify_fully(credential::presented(req), &facts, cost, None)
            .await
        {
            Ok(r) => r,
            Err(e) => return HttpResponse::error(&unavailable(&e)).into(),
        };
        let period = record
            .as_ref()
            .and_then(|r| r.rate_limit)
            .map(|r| r.period_seconds);
        let limit_headers = limits
            .map(|a| rate_limit_headers(&a, period))
            .unwrap_or_default();
        let (Some(record), VerifyCode::Valid) = (record, code) else {
            let error_code = code.error_code().unwrap_or(ErrorCode::UnknownKey);
            let mut refused = HttpResponse::error(&ApiError::new(error_code, code.message()));
            refused.headers.extend(limit_headers);
            return refused.into();
        };
        let Some(origin) = &self.config.origin_url else {
            return HttpResponse::error(&ApiError::new(
                ErrorCode::OriginNotConfigured,
                "The gateway has no ORIGIN_URL configured.",
            ))
            .into();
        };
        // What the origin receives, built once: the forward's URL and
        // identity headers and the signature all come from it.
        let query = forwarded_query(&req.raw_query);
        let roles = keygate_shared::ids::join_roles(&record.roles, ",");
        let meta = record.meta_header();
        let sent = Forwarded {
            method: &req.method,
            path,
            query: &query,
            key_id: &record.id,
            organization: &record.organization,
            roles: &roles,
            meta: &meta,
        };
        let mut fwd = forward(req, &sent, origin);
        fwd.response_headers = limit_headers;
        if let Some(secrets) = &self.config.origin_signing {
            match crate::signing::signature(secrets, self.now.timestamp(), &sent).await {
                Ok(value) => fwd
                    .headers
                    .push((keygate_origin::SIGNATURE_HEADER.into(), value)),
                Err(cause) => {
                    // Never forward unsigned when signing is on.
                    crate::log::error(&format!("signing a forwarded request failed: {cause}"));
                    return HttpResponse::error(&ApiError::new(
                        ErrorCode::Internal,
                        "The request could not be signed for the origin.",
                    ))
                    .into();
                }
            }
        }
        Outcome::Forward(fwd)
    }
}

/// The headers of a limited key's answer (§9): `RateLimit-Policy` and
/// `RateLimit` (IETF httpapi draft, structured fields: quota `q` per
/// window `w` seconds, remaining `r`, reset `t` seconds) for a rate limit,
/// and `Retry-After` on a refusal.
#[must_use]
pub fn rate_limit_headers(
    answer: &LimitAnswer,
    period_seconds: Option<u32>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(r) = answer.rate_limit {
        let window = period_seconds
            .map(|w| format!(";w={w}"))
            .unwrap_or_default();
        out.push((
            "ratelimit-policy".into(),
            format!("\"keygate\";q={}{window}", r.limit),
        ));
        out.push((
            "ratelimit".into(),
            format!("\"keygate\";r={};t={}", r.remaining, r.reset),
        ));
    }
    if answer.code != LimitCode::Allowed {
        if let Some(after) = answer.retry_after {
            out.push(("retry-after".into(), after.to_string()));
        }
    }
    out
}

/// Hop-by-hop headers (RFC 9110 §7.6.1): they concern one connection and
/// are never forwarded; `Connection` may name more.
const HOP_BY_HOP: [&str; 5] = ["connection", "keep-alive", "te", "trailer", "upgrade"];

/// Headers some origins take as the request's method: a rule checked for
/// `POST` must not let a `DELETE` through.
const METHOD_OVERRIDES: [&str; 3] = [
    "x-http-method-override",
    "x-method-override",
    "x-http-method",
];

/// Headers some origins take as the request's path (IIS's URL Rewrite,
/// older Symfony): a rule checked for one path must not serve another.
const PATH_OVERRIDES: [&str; 2] = ["x-original-url", "x-rewrite-url"];

/// The raw query without the `rest_api_key` pairs (compared by decoded
/// name, so `rest%5Fapi%5Fkey` goes too); every other byte as sent.
#[must_use]
pub fn forwarded_query(raw: &str) -> String {
    raw.split('&')
        .filter(|pair| {
            let name = pair.split_once('=').map_or(*pair, |(k, _)| k);
            crate::http::decode_query(name)
                .first()
                .is_none_or(|(k, _)| k != credential::QUERY_PARAM)
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Whether a client header reaches the origin: not the credential, not
/// `Host`, not any `X-Keygate-*` (only the gateway speaks for Keygate),
/// not a hop-by-hop header or one that `Connection` names.
fn forwards_header(name: &str, connection_named: &[String]) -> bool {
    // CGI-style origins (WSGI, Rack, PHP) read `X_Keygate_Meta` and
    // `X-Keygate-Meta` as one variable: the reserved names are matched
    // with `_` read as `-`.
    let name: std::borrow::Cow<'_, str> = if name.contains('_') {
        name.replace('_', "-").into()
    } else {
        name.into()
    };
    let name = name.as_ref();
    !(name == "authorization"
        || name == "x-api-key"
        || name == crate::access::ASSERTION_HEADER
        || name == "host"
        || name.starts_with("x-keygate-")
        || name.starts_with("proxy-")
        || METHOD_OVERRIDES.contains(&name)
        || PATH_OVERRIDES.contains(&name)
        || HOP_BY_HOP.contains(&name)
        || connection_named.iter().any(|n| n == name))
}

/// A `Cookie` value without Cloudflare Access's sign-in (the origin must
/// never hold an admin's token); unchanged when it has none, `None` when
/// nothing else is left.
fn without_access_cookie(value: &str) -> Option<String> {
    if !value.contains(crate::access::COOKIE) {
        return Some(value.to_owned());
    }
    let kept: Vec<&str> = value
        .split(';')
        .map(str::trim)
        .filter(|pair| {
            !pair.is_empty() && pair.split('=').next().map(str::trim) != Some(crate::access::COOKIE)
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join("; "))
}

/// The request as the origin should see it: `sent`'s canonical path and
/// query, the client's headers minus the ones above, plus `sent`'s
/// identity headers.
fn forward(req: &HttpRequest, sent: &Forwarded<'_>, origin: &str) -> Forward {
    let mut url = format!("{origin}{}", sent.path);
    if !sent.query.is_empty() {
        url.push('?');
        url.push_str(sent.query);
    }
    let connection_named: Vec<String> = req
        .headers
        .iter()
        .filter(|(n, _)| n == "connection")
        .flat_map(|(_, v)| v.split(','))
        // Spelled as `forwards_header` compares them (`_` as `-`).
        .map(|n| n.trim().to_ascii_lowercase().replace('_', "-"))
        .filter(|n| !n.is_empty())
        .collect();
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .filter(|(n, _)| forwards_header(n, &connection_named))
        .filter_map(|(n, v)| match n.as_str() {
            "cookie" => without_access_cookie(v).map(|v| (n.clone(), v)),
            _ => Some((n.clone(), v.clone())),
        })
        .collect();
    for (name, value) in [
        (keygate_origin::KEY_ID_HEADER, sent.key_id),
        (keygate_origin::ORGANIZATION_HEADER, sent.organization),
        (keygate_origin::ROLES_HEADER, sent.roles),
    ] {
        headers.push((name.into(), value.into()));
    }
    if !sent.meta.is_empty() {
        headers.push((keygate_origin::META_HEADER.into(), sent.meta.into()));
    }
    Forward {
        url,
        headers,
        response_headers: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_sign_ins_never_reach_the_origin() {
        assert_eq!(
            without_access_cookie("a=1; b=2").as_deref(),
            Some("a=1; b=2")
        );
        assert_eq!(
            without_access_cookie("a=1; CF_Authorization=eyJ; b=2").as_deref(),
            Some("a=1; b=2")
        );
        assert_eq!(without_access_cookie("CF_Authorization=eyJ"), None);
        assert_eq!(
            without_access_cookie("x=CF_Authorization").as_deref(),
            Some("x=CF_Authorization")
        );
        assert!(!forwards_header("cf-access-jwt-assertion", &[]));
    }

    #[test]
    fn the_query_reaches_the_origin_as_sent_minus_the_credential() {
        for (raw, want) in [
            ("a=b+c&flag", "a=b+c&flag"),
            ("a=b+c&rest_api_key=kg_x&flag", "a=b+c&flag"),
            ("rest%5Fapi%5Fkey=kg_x&x=%2f", "x=%2f"),
            ("rest_api_key=1&rest_api_key=2", ""),
            ("rest_api_key", ""),
            ("a=1&&b=%zz", "a=1&&b=%zz"),
            ("", ""),
        ] {
            assert_eq!(forwarded_query(raw), want, "{raw}");
        }
    }

    #[test]
    fn hop_by_hop_and_keygate_headers_stay_behind() {
        let named = vec!["x-secret-hop".to_owned()];
        for name in [
            "x-keygate-key-id",
            "x-keygate-anything",
            "connection",
            "keep-alive",
            "te",
            "trailer",
            "upgrade",
            "proxy-authorization",
            "x-secret-hop",
            "authorization",
            "x-api-key",
            "host",
        ] {
            assert!(!forwards_header(name, &named), "{name}");
        }
        for name in [
            "x-http-method-override",
            "x-method-override",
            "x-http-method",
            "x-original-url",
            "x-rewrite-url",
            // The same names as CGI-style origins read them.
            "x_keygate_meta",
            "x-keygate_key_id",
            "x_http_method_override",
            "x_original_url",
            "x_api_key",
            "x_secret_hop",
        ] {
            assert!(!forwards_header(name, &named), "{name}");
        }
        for name in ["accept", "content-type", "x-keygatex", "x-other"] {
            assert!(forwards_header(name, &named), "{name}");
        }
    }
}
