//! Creating a key (§4): what a create request becomes, or why it is
//! refused. Field rules, defaults (the caller's organization, 365 days,
//! capped by the caller's expiry for reserved-role keys) and reach; the
//! per-organization limit is held by storage (see [`super::limits`]).

use chrono::{DateTime, Utc};

use super::caller::Caller;
use super::reach::{self, KeyReach};
use crate::api::CreateKeyRequest;
use crate::error::{ApiError, ErrorCode};
use crate::ids::{KeyId, Organization, Role};
use crate::model::KeyRecord;
use crate::token::Token;
use crate::usage::{self, Credits, RateLimit};
use crate::validation;

/// A create request that passed every rule: a key but for its id and token.
#[derive(Debug, Clone, PartialEq)]
pub struct NewKey {
    /// Trimmed name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Organization, inside the caller's subtree.
    pub organization: Organization,
    /// Group.
    pub group: Option<String>,
    /// Roles.
    pub roles: Vec<Role>,
    /// Canonical allowlist.
    pub ip_allowlist: Vec<String>,
    /// Created active?
    pub enabled: bool,
    /// Expiry (defaults applied).
    pub expires_at: Option<DateTime<Utc>>,
    /// The operator's data.
    pub meta: serde_json::Map<String, serde_json::Value>,
    /// Rate limit (§9).
    pub rate_limit: Option<RateLimit>,
    /// Credits (§9).
    pub credits: Option<Credits>,
}

/// Checks `body` from `caller` at `now`.
///
/// # Errors
/// `FORBIDDEN` for a Reader, an organization outside the caller's subtree
/// or a reserved-role key beyond the caller's reach; `INVALID_FIELD`
/// naming the field for any rule of §2.
pub fn new_key(
    caller: &Caller,
    body: &CreateKeyRequest,
    now: DateTime<Utc>,
) -> Result<NewKey, ApiError> {
    caller.require_write()?;
    let name = validation::name(body.name.as_deref().unwrap_or(""))?;
    let description = validation::description(body.description.as_deref().unwrap_or(""))?;
    let organization = match &body.organization {
        Some(o) => validation::organization(o)?,
        None => caller.organization.clone(),
    };
    if !caller.sees(&organization) {
        return Err(ApiError::field(
            ErrorCode::Forbidden,
            "organization",
            "You may only create keys in your own organization or below it.",
        ));
    }
    let group = body.group.as_deref().map(validation::group).transpose()?;
    let roles = validation::roles(body.roles.as_deref().unwrap_or_default())?;
    let ip_allowlist = validation::ip_allowlist(body.ip_allowlist.as_deref().unwrap_or_default())?;
    let meta = body
        .meta
        .as_ref()
        .map(validation::meta)
        .transpose()?
        .unwrap_or_default();
    // A reserved-role key stays inside the caller's reach; its omitted
    // expiry defaults to the earlier of 365 days and the caller's own, so
    // the first create an operator tries with the bootstrap key succeeds.
    let rate_limit = body.rate_limit.flatten();
    if let Some(r) = &rate_limit {
        usage::check_rate_limit(r)?;
    }
    let credits = body.credits.flatten();
    if let Some(c) = &credits {
        usage::check_credits(c)?;
    }
    let reserved = reach::holds_reserved_role(&roles);
    let expires_at = if body.expires_at.is_none() && body.expires_in_days.is_none() {
        reach::default_expiry(reserved, &caller.reach(), now)
    } else {
        validation::expiry(body.expires_at, body.expires_in_days, now)?
    };
    if reserved {
        reach::check_reserved_key(
            &caller.reach(),
            &KeyReach {
                organization: &organization,
                expires_at,
                ip_allowlist: &ip_allowlist,
            },
        )?;
    }
    Ok(NewKey {
        name,
        description,
        organization,
        group,
        roles,
        ip_allowlist,
        enabled: body.enabled.unwrap_or(true),
        expires_at,
        meta,
        rate_limit,
        credits,
    })
}

impl NewKey {
    /// The record of this key under `id` and `token`, made by `caller`.
    #[must_use]
    pub fn into_record(
        self,
        id: KeyId,
        token: &Token,
        caller: &Caller,
        now: DateTime<Utc>,
    ) -> KeyRecord {
        KeyRecord {
            name: self.name,
            description: self.description,
            organization: self.organization,
            group: self.group,
            roles: self.roles,
            ip_allowlist: self.ip_allowlist,
            enabled: self.enabled,
            created_by_name: Some(caller.name.clone()),
            expires_at: self.expires_at,
            meta: self.meta,
            rate_limit: self.rate_limit,
            credits_set_at: self.credits.map(|_| now),
            credits: self.credits,
            ..KeyRecord::minted(id, token, now, &caller.actor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::caller::tests::caller;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
    }

    fn body(json: serde_json::Value) -> CreateKeyRequest {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn defaults_are_the_callers_organization_and_365_days() {
        let k = new_key(
            &caller("acme", true),
            &body(serde_json::json!({"name": " ci "})),
            now(),
        )
        .unwrap();
        assert_eq!(k.name, "ci");
        assert_eq!(k.organization.as_str(), "acme");
        assert_eq!(k.expires_at, Some(now() + Duration::days(365)));
        assert!(k.enabled && k.roles.is_empty() && k.meta.is_empty());
    }

    #[test]
    fn refusals_name_their_field() {
        let acme = caller("acme", true);
        let field = |j| new_key(&acme, &body(j), now()).unwrap_err();
        let e = field(serde_json::json!({"name": "x", "organization": "other"}));
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::Forbidden, Some("organization"))
        );
        let e = field(serde_json::json!({"name": ""}));
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidField, Some("name"))
        );
        let e = field(serde_json::json!({"name": "x", "roles": ["a", "a"]}));
        assert_eq!(e.field.as_deref(), Some("roles"));
        let e = new_key(
            &caller("acme", false),
            &body(serde_json::json!({"name": "x"})),
            now(),
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden, "a Reader creates nothing");
    }

    #[test]
    fn a_bounded_caller_caps_reserved_keys() {
        let mut bounded = caller("acme", true);
        bounded.expires_at = Some(now() + Duration::days(10));
        let admin = serde_json::json!({"name": "x", "roles": ["keygate:admin"]});
        let k = new_key(&bounded, &body(admin), now()).unwrap();
        assert_eq!(k.expires_at, bounded.expires_at, "the default is capped");
        let longer =
            serde_json::json!({"name": "x", "roles": ["keygate:admin"], "expires_in_days": 30});
        let e = new_key(&bounded, &body(longer), now()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("expires_at"));
        let plain = serde_json::json!({"name": "x", "expires_in_days": 30});
        assert!(
            new_key(&bounded, &body(plain), now()).is_ok(),
            "plain keys are not bound"
        );
    }
}
