//! The verification decision (§5) as a pure function of the stored record,
//! the request's facts and the time, plus the gateway's path rules.
//!
//! Checks run in a fixed order and stop at the first failure:
//! shape (before any storage read) → known → expired → disabled → IP →
//! role → organization.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;
use crate::model::KeyRecord;
use crate::token::{Prefix, Token};
use crate::{ip, org, validation};

/// The outcome of verifying one key (§5 codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerifyCode {
    /// The request may pass.
    Valid,
    /// The request carried no key.
    MissingKey,
    /// The key is not a well-formed token.
    MalformedKey,
    /// No key has this token.
    UnknownKey,
    /// The key has expired.
    Expired,
    /// The key is deactivated.
    Disabled,
    /// The client address is not on the key's allowlist.
    IpNotAllowed,
    /// The key holds none of the required roles.
    InsufficientRole,
    /// The key is outside the required organization.
    WrongOrganization,
    /// Over the key's rate limit (§9; decided after every other check).
    RateLimited,
    /// Not enough credits left (§9; decided last).
    UsageExceeded,
}

impl VerifyCode {
    /// The error code for a refusal; `None` for [`VerifyCode::Valid`].
    #[must_use]
    pub fn error_code(self) -> Option<ErrorCode> {
        Some(match self {
            Self::Valid => return None,
            Self::MissingKey => ErrorCode::MissingKey,
            Self::MalformedKey => ErrorCode::MalformedKey,
            Self::UnknownKey => ErrorCode::UnknownKey,
            Self::Expired => ErrorCode::Expired,
            Self::Disabled => ErrorCode::Disabled,
            Self::IpNotAllowed => ErrorCode::IpNotAllowed,
            Self::InsufficientRole => ErrorCode::InsufficientRole,
            Self::WrongOrganization => ErrorCode::WrongOrganization,
            Self::RateLimited => ErrorCode::RateLimited,
            Self::UsageExceeded => ErrorCode::UsageExceeded,
        })
    }

    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        self.error_code().map_or("VALID", ErrorCode::as_str)
    }

    /// A sentence for the caller.
    #[must_use]
    pub fn message(self) -> &'static str {
        match self {
            Self::Valid => "The key is valid.",
            Self::MissingKey => {
                "No API key was sent. Send it as `Authorization: Bearer <key>` or `X-API-Key`."
            }
            Self::MalformedKey => "The API key is not well formed.",
            Self::UnknownKey => "The API key is not known.",
            Self::Expired => "The API key has expired.",
            Self::Disabled => "The API key is deactivated.",
            Self::IpNotAllowed => "The API key may not be used from this address.",
            Self::InsufficientRole => "The API key lacks a role this request needs.",
            Self::WrongOrganization => "The API key belongs to another organization.",
            Self::RateLimited => "The API key is over its rate limit; try again later.",
            Self::UsageExceeded => "The API key has no credits left for this request.",
        }
    }
}

/// What a request requires of its key beyond being valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirement {
    /// The key needs at least one of these (none = no role needed).
    pub roles: Vec<String>,
    /// The key must belong to this organization or below it.
    pub organization: Option<String>,
    /// What a passing request spends of the key's credits (§9; `None` = 1).
    pub cost: Option<u32>,
}

/// The facts of a request that the decision reads.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// The client's address, if known.
    pub client_ip: Option<IpAddr>,
    /// Whether to check the allowlist (the gateway always does; the verify
    /// endpoint only when given an `ip`).
    pub check_ip: bool,
    /// Roles and organization required.
    pub requirement: &'a Requirement,
}

/// First step, before any storage read: is there a key and is it well formed?
///
/// # Errors
/// `MissingKey` or `MalformedKey`.
pub fn check_shape(prefix: &Prefix, presented: Option<&str>) -> Result<Token, VerifyCode> {
    let presented = presented
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(VerifyCode::MissingKey)?;
    Token::parse(prefix, presented).map_err(|_| VerifyCode::MalformedKey)
}

/// The rest of the pipeline, once storage answered with `record` (or none).
#[must_use]
pub fn decide(
    record: Option<&KeyRecord>,
    facts: &RequestFacts<'_>,
    now: DateTime<Utc>,
) -> VerifyCode {
    let Some(record) = record else {
        return VerifyCode::UnknownKey;
    };
    let req = facts.requirement;
    if record.expires_at.is_some_and(|at| at <= now) {
        VerifyCode::Expired
    } else if !record.enabled {
        VerifyCode::Disabled
    } else if facts.check_ip && !ip::allows(&record.ip_allowlist, facts.client_ip) {
        VerifyCode::IpNotAllowed
    } else if !req.roles.is_empty() && !req.roles.iter().any(|r| record.has_role(r)) {
        VerifyCode::InsufficientRole
    } else if req
        .organization
        .as_deref()
        .is_some_and(|o| !org::is_within(&record.organization, o))
    {
        VerifyCode::WrongOrganization
    } else {
        VerifyCode::Valid
    }
}

/// One entry of `GATEWAY_RULES`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayRule {
    /// Path prefix, starting with `/`.
    pub path: String,
    /// HTTP methods the rule applies to (none = all).
    #[serde(default)]
    pub methods: Option<Vec<String>>,
    /// The key needs at least one of these.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The key must belong to this organization or below.
    #[serde(default)]
    pub organization: Option<String>,
    /// What a passing request spends of the key's credits (0–1000; §9).
    #[serde(default)]
    pub cost: Option<u32>,
}

/// The parsed, checked `GATEWAY_RULES`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayRules {
    rules: Vec<(GatewayRule, Requirement)>,
}

impl GatewayRules {
    /// Parses the JSON array of `GATEWAY_RULES` (empty string = no rules).
    ///
    /// # Errors
    /// A sentence naming what is wrong; the caller fails closed with
    /// `CONFIG_INVALID`.
    pub fn parse(json: &str) -> Result<Self, String> {
        if json.trim().is_empty() {
            return Ok(Self::default());
        }
        let rules: Vec<GatewayRule> =
            serde_json::from_str(json).map_err(|e| format!("not a JSON array of rules: {e}"))?;
        let mut checked = Vec::with_capacity(rules.len());
        for (i, mut rule) in rules.into_iter().enumerate() {
            if !rule.path.starts_with('/') {
                return Err(format!("rule {i}: path must start with `/`"));
            }
            // Rules match canonical request paths, so they are canonical too.
            rule.path = crate::path::canonical(&rule.path)
                .map_err(|_| format!("rule {i}: path cannot be canonicalized"))?;
            if let Some(methods) = &mut rule.methods {
                // `[]` would match no method at all: a rule that silently
                // never applies.
                if methods.is_empty() {
                    return Err(format!(
                        "rule {i}: methods is empty (leave it out to cover every method)"
                    ));
                }
                for m in methods.iter_mut() {
                    if m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()) {
                        return Err(format!("rule {i}: `{m}` is not an HTTP method"));
                    }
                    m.make_ascii_uppercase();
                }
            }
            validation::roles(&rule.roles).map_err(|e| format!("rule {i}: {}", e.message))?;
            if rule
                .organization
                .as_deref()
                .is_some_and(|o| !org::is_valid(o))
            {
                return Err(format!(
                    "rule {i}: organization is not a valid organization"
                ));
            }
            if rule.cost.is_some_and(|c| c > crate::usage::MAX_COST) {
                return Err(format!("rule {i}: cost is 0 to {}", crate::usage::MAX_COST));
            }
            let req = Requirement {
                roles: rule.roles.clone(),
                organization: rule.organization.clone(),
                cost: rule.cost,
            };
            checked.push((rule, req));
        }
        Ok(Self { rules: checked })
    }

    /// The requirement of the longest rule path that prefixes the
    /// canonical `path` (see [`crate::path::canonical`]), compared
    /// case-insensitively, whose methods include `method` (a rule naming
    /// `GET` also covers `HEAD`); a rule `/calls/` also covers `/calls`.
    /// At equal length a rule naming methods beats one that does not;
    /// no match = only a valid key is needed.
    #[must_use]
    pub fn requirement_for(&self, method: &str, path: &str) -> Option<&Requirement> {
        self.rules
            .iter()
            .filter(|(r, _)| path_covers(&r.path, path))
            .filter(|(r, _)| {
                r.methods.as_ref().is_none_or(|ms| {
                    ms.iter().any(|m| {
                        m.eq_ignore_ascii_case(method)
                            || (m == "GET" && method.eq_ignore_ascii_case("HEAD"))
                    })
                })
            })
            // Longest prefix; at equal length a rule naming the method wins.
            .max_by_key(|(r, _)| (r.path.len(), r.methods.is_some()))
            .map(|(_, req)| req)
    }
}

/// Whether the rule path `rule` covers the canonical request `path`:
/// a case-insensitive prefix, and `/calls/` also covers `/calls`.
#[must_use]
pub fn path_covers(rule: &str, path: &str) -> bool {
    let prefix = |p: &str| {
        path.len() >= p.len() && path.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
    };
    prefix(rule)
        || (rule.len() > 1
            && rule.ends_with('/')
            && path.len() == rule.len() - 1
            && prefix(&rule[..rule.len() - 1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BOOTSTRAP_ACTOR;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
    }

    fn record() -> KeyRecord {
        let token = crate::Token::generate(&crate::Prefix::default()).unwrap();
        KeyRecord {
            name: "ci".into(),
            organization: "acme/emea".parse().unwrap(),
            roles: vec!["calls:read".parse().unwrap()],
            ip_allowlist: vec!["10.0.0.0/8".into()],
            expires_at: Some(now() + Duration::days(1)),
            ..KeyRecord::minted(
                "key_0123456789abcdef".parse().unwrap(),
                &token,
                now() - Duration::days(1),
                BOOTSTRAP_ACTOR,
            )
        }
    }

    fn facts<'a>(req: &'a Requirement, ip: &str) -> RequestFacts<'a> {
        RequestFacts {
            client_ip: ip.parse().ok(),
            check_ip: true,
            requirement: req,
        }
    }

    #[test]
    fn shape_comes_first() {
        let p = Prefix::default();
        assert_eq!(check_shape(&p, None).err(), Some(VerifyCode::MissingKey));
        assert_eq!(
            check_shape(&p, Some("  ")).err(),
            Some(VerifyCode::MissingKey)
        );
        assert_eq!(
            check_shape(&p, Some("kg_nope")).err(),
            Some(VerifyCode::MalformedKey)
        );
        let t = Token::generate(&p).unwrap();
        assert!(check_shape(&p, Some(t.expose_secret())).is_ok());
    }

    #[test]
    fn every_code_in_order() {
        let none = Requirement::default();
        let r = record();
        assert_eq!(
            decide(None, &facts(&none, "10.0.0.1"), now()),
            VerifyCode::UnknownKey
        );
        assert_eq!(
            decide(Some(&r), &facts(&none, "10.0.0.1"), now()),
            VerifyCode::Valid
        );
        assert_eq!(
            decide(
                Some(&r),
                &facts(&none, "10.0.0.1"),
                now() + Duration::days(1)
            ),
            VerifyCode::Expired
        );
        let mut off = r.clone();
        off.enabled = false;
        assert_eq!(
            decide(Some(&off), &facts(&none, "1.1.1.1"), now()),
            VerifyCode::Disabled
        );
        assert_eq!(
            decide(
                Some(&off),
                &facts(&none, "1.1.1.1"),
                now() + Duration::days(2)
            ),
            VerifyCode::Expired
        );
        assert_eq!(
            decide(Some(&r), &facts(&none, "11.0.0.1"), now()),
            VerifyCode::IpNotAllowed
        );
        let unchecked = RequestFacts {
            client_ip: None,
            check_ip: false,
            requirement: &none,
        };
        assert_eq!(decide(Some(&r), &unchecked, now()), VerifyCode::Valid);
        let write = Requirement {
            roles: vec!["calls:write".into(), "admin".into()],
            organization: None,
            cost: None,
        };
        assert_eq!(
            decide(Some(&r), &facts(&write, "11.0.0.1"), now()),
            VerifyCode::IpNotAllowed,
            "IP before role"
        );
        assert_eq!(
            decide(Some(&r), &facts(&write, "10.0.0.1"), now()),
            VerifyCode::InsufficientRole
        );
        let either = Requirement {
            roles: vec!["calls:write".into(), "calls:read".into()],
            organization: None,
            cost: None,
        };
        assert_eq!(
            decide(Some(&r), &facts(&either, "10.0.0.1"), now()),
            VerifyCode::Valid
        );
        let other = Requirement {
            roles: vec![],
            organization: Some("other".into()),
            cost: None,
        };
        assert_eq!(
            decide(Some(&r), &facts(&other, "10.0.0.1"), now()),
            VerifyCode::WrongOrganization
        );
        let parent = Requirement {
            roles: vec![],
            organization: Some("acme".into()),
            cost: None,
        };
        assert_eq!(
            decide(Some(&r), &facts(&parent, "10.0.0.1"), now()),
            VerifyCode::Valid
        );
        let both = Requirement {
            roles: vec!["x".into()],
            organization: Some("other".into()),
            cost: None,
        };
        assert_eq!(
            decide(Some(&r), &facts(&both, "10.0.0.1"), now()),
            VerifyCode::InsufficientRole,
            "role before org"
        );
    }

    #[test]
    fn codes_map_to_contract_statuses() {
        assert_eq!(VerifyCode::Valid.error_code(), None);
        assert_eq!(VerifyCode::Valid.as_str(), "VALID");
        for (c, s) in [
            (VerifyCode::MissingKey, 401),
            (VerifyCode::MalformedKey, 401),
            (VerifyCode::UnknownKey, 401),
            (VerifyCode::Expired, 401),
            (VerifyCode::Disabled, 401),
            (VerifyCode::IpNotAllowed, 403),
            (VerifyCode::InsufficientRole, 403),
            (VerifyCode::WrongOrganization, 403),
        ] {
            assert_eq!(c.error_code().map(ErrorCode::status), Some(s), "{c:?}");
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::Value::from(c.as_str())
            );
        }
    }

    #[test]
    fn gateway_rules_longest_prefix_with_methods() {
        let rules = GatewayRules::parse(
            r#"[{"path": "/calls/", "roles": ["calls:read"]},
                {"path": "/calls/admin/", "methods": ["post", "DELETE"], "roles": ["calls:admin"], "organization": "acme"},
                {"path": "/", "methods": ["PUT"], "roles": ["writer"]},
                {"path": "/calls/", "methods": ["PATCH"], "roles": ["patcher"]}]"#,
        )
        .unwrap();
        assert_eq!(
            rules.requirement_for("GET", "/calls/x").unwrap().roles,
            ["calls:read"]
        );
        let admin = rules.requirement_for("POST", "/calls/admin/1").unwrap();
        assert_eq!(
            (admin.roles.as_slice(), admin.organization.as_deref()),
            (&["calls:admin".to_owned()][..], Some("acme"))
        );
        assert_eq!(
            rules
                .requirement_for("GET", "/calls/admin/1")
                .unwrap()
                .roles,
            ["calls:read"],
            "method mismatch falls back"
        );
        assert_eq!(
            rules.requirement_for("PUT", "/other").unwrap().roles,
            ["writer"]
        );
        assert!(rules.requirement_for("GET", "/other").is_none());
        assert_eq!(
            rules.requirement_for("PATCH", "/calls/1").unwrap().roles,
            ["patcher"],
            "method-specific wins a tie"
        );
    }

    #[test]
    fn gateway_rules_hold_for_every_spelling() {
        let rules = GatewayRules::parse(
            r#"[{"path": "/calls/", "roles": ["calls:read"]},
                {"path": "/%63alls/admin/", "methods": ["GET"], "roles": ["calls:admin"]}]"#,
        )
        .unwrap();
        for path in ["/calls/x", "/CALLS/x", "/Calls/", "/calls"] {
            assert_eq!(
                rules.requirement_for("GET", path).unwrap().roles,
                ["calls:read"],
                "{path}"
            );
        }
        assert!(rules.requirement_for("GET", "/callsx").is_none());
        assert!(rules.requirement_for("GET", "/call").is_none());
        // The rule path was canonicalized; GET covers HEAD.
        for method in ["GET", "HEAD", "head"] {
            assert_eq!(
                rules
                    .requirement_for(method, "/calls/ADMIN/1")
                    .unwrap()
                    .roles,
                ["calls:admin"],
                "{method}"
            );
        }
        assert_eq!(
            rules
                .requirement_for("POST", "/calls/admin/1")
                .unwrap()
                .roles,
            ["calls:read"]
        );
        assert!(GatewayRules::parse(r#"[{"path": "/a%2fb/"}]"#).is_err());
    }

    #[test]
    fn gateway_rules_reject_bad_config() {
        for bad in [
            "{",
            "{}",
            r#"[{"path": "calls"}]"#,
            r#"[{"path": "/x", "roles": ["bad role"]}]"#,
            r#"[{"path": "/x", "organization": "Acme"}]"#,
            r#"[{"path": "/x", "methods": ["G T"]}]"#,
            r#"[{"path": "/x", "methods": []}]"#,
            r#"[{"path": "/x", "extra": 1}]"#,
        ] {
            assert!(GatewayRules::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(GatewayRules::parse("  ").unwrap(), GatewayRules::default());
    }
}
