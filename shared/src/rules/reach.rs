//! Reach (§4): no admin creates more power than it holds.
//!
//! A key holding a reserved role (`keygate:admin`, `keygate:reader`) that a
//! caller creates, rolls, or edits (allowlist changed, or enabled again):
//! - lies in the caller's organization subtree;
//! - expires no later than the caller's own key (a caller that never
//!   expires sets no bound); an omitted expiry defaults to the earlier of
//!   365 days and the caller's expiry;
//! - if the caller has an IP allowlist, has a non-empty allowlist whose
//!   every entry lies inside one of the caller's.
//!
//! And no key may widen its own allowlist.
//!
//! Breaking a rule is 403 `FORBIDDEN` naming the field.

use chrono::{DateTime, Duration, Utc};

use crate::error::{ApiError, ErrorCode};
use crate::ids::{Organization, Role};
use crate::ip;
use crate::validation::DEFAULT_EXPIRY_DAYS;

/// What the caller holds: the bound of every reserved-role key it makes.
#[derive(Debug, Clone, Copy)]
pub struct Reach<'a> {
    /// The caller's organization (its subtree is its reach).
    pub organization: &'a Organization,
    /// The caller's expiry (`None` = never).
    pub expires_at: Option<DateTime<Utc>>,
    /// The caller's canonical allowlist (empty = any address).
    pub ip_allowlist: &'a [String],
}

/// The attributes of a key that reach is about.
#[derive(Debug, Clone, Copy)]
pub struct KeyReach<'a> {
    /// Its organization.
    pub organization: &'a Organization,
    /// Its expiry (`None` = never).
    pub expires_at: Option<DateTime<Utc>>,
    /// Its canonical allowlist.
    pub ip_allowlist: &'a [String],
}

/// Whether `roles` holds a reserved role.
#[must_use]
pub fn holds_reserved_role(roles: &[Role]) -> bool {
    roles.iter().any(Role::is_reserved)
}

/// The expiry of a new key whose creator named none: 365 days, and for a
/// reserved-role key no later than the caller's own expiry.
#[must_use]
pub fn default_expiry(
    reserved: bool,
    caller: &Reach<'_>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let default = now + Duration::days(i64::from(DEFAULT_EXPIRY_DAYS));
    match caller.expires_at {
        Some(limit) if reserved => Some(default.min(limit)),
        _ => Some(default),
    }
}

fn forbidden(field: &str, message: &str) -> ApiError {
    ApiError::field(ErrorCode::Forbidden, field, message)
}

/// Whether every entry of `inner` lies inside some entry of `outer`.
/// Entries that do not parse are never inside anything.
#[must_use]
pub fn allowlist_within(inner: &[String], outer: &[String]) -> bool {
    let outer: Vec<ipnet::IpNet> = outer
        .iter()
        .filter_map(|e| ip::parse_entry(e).ok())
        .collect();
    inner
        .iter()
        .all(|e| ip::parse_entry(e).is_ok_and(|net| outer.iter().any(|o| o.contains(&net))))
}

/// Checks a reserved-role key against the caller's reach.
///
/// # Errors
/// `FORBIDDEN` naming `organization`, `expires_at` or `ip_allowlist`.
pub fn check_reserved_key(caller: &Reach<'_>, key: &KeyReach<'_>) -> Result<(), ApiError> {
    if !key.organization.is_within(caller.organization) {
        return Err(forbidden(
            "organization",
            "An admin or reader key must lie in your own organization or below it.",
        ));
    }
    if let Some(limit) = caller.expires_at {
        if key.expires_at.is_none_or(|at| at > limit) {
            return Err(forbidden(
                "expires_at",
                "An admin or reader key may not outlive the key that makes or changes it (or, made by a person signed in through Cloudflare Access, last more than 90 days).",
            ));
        }
    }
    if !caller.ip_allowlist.is_empty()
        && (key.ip_allowlist.is_empty() || !allowlist_within(key.ip_allowlist, caller.ip_allowlist))
    {
        return Err(forbidden(
            "ip_allowlist",
            "Your key has an IP allowlist: an admin or reader key you make or change needs one inside yours.",
        ));
    }
    Ok(())
}

/// A key editing its own allowlist may only narrow it.
///
/// # Errors
/// `FORBIDDEN` on `ip_allowlist`.
pub fn check_own_allowlist(old: &[String], new: &[String]) -> Result<(), ApiError> {
    if old.is_empty() || (!new.is_empty() && allowlist_within(new, old)) {
        Ok(())
    } else {
        Err(forbidden(
            "ip_allowlist",
            "A key may not widen its own IP allowlist.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    fn o(name: &str) -> Organization {
        name.parse().unwrap()
    }

    #[test]
    fn default_expiry_is_capped_for_reserved_keys_only() {
        let in_10 = now() + Duration::days(10);
        let acme = o("acme");
        let caller = Reach {
            organization: &acme,
            expires_at: Some(in_10),
            ip_allowlist: &[],
        };
        assert_eq!(default_expiry(true, &caller, now()), Some(in_10));
        assert_eq!(
            default_expiry(false, &caller, now()),
            Some(now() + Duration::days(365))
        );
        let never = Reach {
            expires_at: None,
            ..caller
        };
        assert_eq!(
            default_expiry(true, &never, now()),
            Some(now() + Duration::days(365))
        );
        // A caller expiring after the default: the default stands.
        let long = Reach {
            expires_at: Some(now() + Duration::days(400)),
            ..caller
        };
        assert_eq!(
            default_expiry(true, &long, now()),
            Some(now() + Duration::days(365))
        );
    }

    #[test]
    fn reserved_keys_stay_inside_the_callers_reach() {
        let allow = s(&["10.0.0.0/8"]);
        let (acme, emea, other) = (o("acme"), o("acme/emea"), o("other"));
        let caller = Reach {
            organization: &acme,
            expires_at: Some(now() + Duration::days(10)),
            ip_allowlist: &allow,
        };
        let inside = s(&["10.1.0.0/16", "10.2.3.4/32"]);
        let ok = KeyReach {
            organization: &emea,
            expires_at: Some(now() + Duration::days(10)),
            ip_allowlist: &inside,
        };
        assert!(check_reserved_key(&caller, &ok).is_ok());
        let field = |k: KeyReach<'_>| check_reserved_key(&caller, &k).unwrap_err().field;
        assert_eq!(
            field(KeyReach {
                organization: &other,
                ..ok
            })
            .as_deref(),
            Some("organization")
        );
        for later in [None, Some(now() + Duration::days(11))] {
            assert_eq!(
                field(KeyReach {
                    expires_at: later,
                    ..ok
                })
                .as_deref(),
                Some("expires_at")
            );
        }
        let wider = s(&["0.0.0.0/0"]);
        let v6 = s(&["::/0"]);
        for bad in [&[][..], &wider[..], &v6[..]] {
            assert_eq!(
                field(KeyReach {
                    ip_allowlist: bad,
                    ..ok
                })
                .as_deref(),
                Some("ip_allowlist")
            );
        }
        // A caller without bounds sets none.
        let (root_org, x) = (o(""), o("x"));
        let root = Reach {
            organization: &root_org,
            expires_at: None,
            ip_allowlist: &[],
        };
        assert!(check_reserved_key(
            &root,
            &KeyReach {
                organization: &x,
                expires_at: None,
                ip_allowlist: &[]
            }
        )
        .is_ok());
    }

    #[test]
    fn own_allowlist_only_narrows() {
        let old = s(&["10.0.0.0/8"]);
        assert!(check_own_allowlist(&old, &s(&["10.1.0.0/16"])).is_ok());
        assert!(check_own_allowlist(&old, &old).is_ok());
        assert!(
            check_own_allowlist(&old, &[]).is_err(),
            "removing = widening"
        );
        assert!(check_own_allowlist(&old, &s(&["11.0.0.0/8"])).is_err());
        assert!(check_own_allowlist(&[], &[]).is_ok());
        assert!(check_own_allowlist(&[], &old).is_ok());
    }
}
