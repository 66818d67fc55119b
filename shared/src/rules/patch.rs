//! Editing a key (§4): which fields a patch changes, and whether the
//! caller may. Only fields that differ from the key as read are part of
//! the change, so a stale client re-sending old values changes nothing
//! (it never re-enables a key disabled meanwhile by sending `enabled`
//! unchanged from its old copy: see the SPA's edit dialog, which sends
//! only what the user changed). Reach binds a changed allowlist and
//! re-enabling a reserved-role key; a key may only narrow its own
//! allowlist.

use super::caller::Caller;
use super::reach::{self, KeyReach};
use chrono::{DateTime, Utc};

use crate::api::PatchKeyRequest;
use crate::audit::AuditAction;
use crate::error::ApiError;
use crate::model::KeyRecord;
use crate::usage::{self, Credits, RateLimit};
use crate::validation;

/// The fields a patch changes (each `None` when it keeps its value).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyPatch {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New canonical allowlist.
    pub ip_allowlist: Option<Vec<String>>,
    /// New meta.
    pub meta: Option<serde_json::Map<String, serde_json::Value>>,
    /// Activated (`true`) or deactivated.
    pub enabled: Option<bool>,
    /// New rate limit (`Some(None)`: removed).
    pub rate_limit: Option<Option<RateLimit>>,
    /// New credits (`Some(None)`: removed), set at `credits_set_at`.
    pub credits: Option<Option<Credits>>,
    /// When the credits were set (the limiter resets to the newest).
    pub credits_set_at: Option<DateTime<Utc>>,
}

/// The patch `body` makes to `current`, if `caller` may make it.
///
/// # Errors
/// `FORBIDDEN` for a Reader or beyond the caller's reach; `INVALID_FIELD`
/// naming the field for any rule of §2.
pub fn plan(
    caller: &Caller,
    current: &KeyRecord,
    body: &PatchKeyRequest,
    now: DateTime<Utc>,
) -> Result<KeyPatch, ApiError> {
    caller.require_write()?;
    if let Some(Some(r)) = &body.rate_limit {
        usage::check_rate_limit(r)?;
    }
    if let Some(Some(c)) = &body.credits {
        usage::check_credits(c)?;
    }
    // Credits sent are a setting, even when equal to the stored one: the
    // live count goes back to `remaining`. Removing absent ones is nothing.
    let credits = body
        .credits
        .filter(|c| c.is_some() || current.credits.is_some());
    let patch = KeyPatch {
        rate_limit: body.rate_limit.filter(|r| *r != current.rate_limit),
        credits_set_at: credits.map(|_| now),
        credits,
        name: body
            .name
            .as_deref()
            .map(validation::name)
            .transpose()?
            .filter(|n| *n != current.name),
        description: body
            .description
            .as_deref()
            .map(validation::description)
            .transpose()?
            .filter(|d| *d != current.description),
        ip_allowlist: body
            .ip_allowlist
            .as_deref()
            .map(validation::ip_allowlist)
            .transpose()?
            .filter(|l| *l != current.ip_allowlist),
        meta: body
            .meta
            .as_ref()
            .map(validation::meta)
            .transpose()?
            .filter(|m| *m != current.meta),
        enabled: body.enabled.filter(|e| *e != current.enabled),
    };
    if let Some(list) = &patch.ip_allowlist {
        if caller.is_key(&current.id) {
            reach::check_own_allowlist(&current.ip_allowlist, list)?;
        }
    }
    // As with its allowlist, a key does not lift its own limits, nor
    // those of a key spending from the same limiter (a copy it rolled,
    // whose credits would refill its own).
    if caller.shares_limits_with(current) && (patch.rate_limit.is_some() || patch.credits.is_some())
    {
        return Err(ApiError::field(
            crate::error::ErrorCode::Forbidden,
            if patch.rate_limit.is_some() {
                "rate_limit"
            } else {
                "credits"
            },
            "A key may not change the rate limit or credits of itself or of a key spending from the same limits (a copy it was rolled into or from).",
        ));
    }
    let mut after = current.clone();
    patch.apply(&mut after);
    if reach::holds_reserved_role(&after.roles)
        && (patch.ip_allowlist.is_some() || patch.enabled == Some(true))
    {
        reach::check_reserved_key(
            &caller.reach(),
            &KeyReach {
                organization: &after.organization,
                expires_at: after.expires_at,
                ip_allowlist: &after.ip_allowlist,
            },
        )?;
    }
    Ok(patch)
}

impl KeyPatch {
    /// Writes the changed fields into `record` (and nothing else: applied
    /// to a fresh copy, it keeps what others changed meanwhile).
    pub fn apply(&self, record: &mut KeyRecord) {
        // Before the limits change: once limited, the limiter may hold
        // state for the key whatever later edits do.
        if self.rate_limit.is_some() || self.credits.is_some() {
            record.had_limits |= record.is_limited();
        }
        if let Some(n) = &self.name {
            record.name.clone_from(n);
        }
        if let Some(d) = &self.description {
            record.description.clone_from(d);
        }
        if let Some(l) = &self.ip_allowlist {
            record.ip_allowlist.clone_from(l);
        }
        if let Some(m) = &self.meta {
            record.meta.clone_from(m);
        }
        if let Some(e) = self.enabled {
            record.enabled = e;
        }
        if let Some(r) = self.rate_limit {
            record.rate_limit = r;
        }
        if let Some(c) = self.credits {
            record.credits = c;
            // Later than any setting before it, whatever the clocks of the
            // isolates that made them: the limiter follows the newest.
            let after = record
                .credits_set_at
                .map(|t| t + chrono::Duration::milliseconds(1));
            record.credits_set_at = c.and(self.credits_set_at.max(after));
        }
    }

    /// The edited fields other than `enabled`, for the `key.updated`
    /// event (activation has events of its own).
    #[must_use]
    pub fn edited_fields(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("description", self.description.is_some()),
            ("ip_allowlist", self.ip_allowlist.is_some()),
            ("meta", self.meta.is_some()),
            ("rate_limit", self.rate_limit.is_some()),
            ("credits", self.credits.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, changed)| changed.then_some(field))
        .collect()
    }

    /// The audit events the patch of `before` records, in order, with
    /// their details: `key.updated` naming the edited fields (and a
    /// rename's old and new name), then `key.enabled` or `key.disabled`.
    #[must_use]
    pub fn audit_events(
        &self,
        before: &KeyRecord,
    ) -> Vec<(AuditAction, serde_json::Map<String, serde_json::Value>)> {
        let mut out = Vec::new();
        let edited = self.edited_fields();
        if !edited.is_empty() {
            let mut details = serde_json::Map::new();
            details.insert("fields".into(), edited.into());
            if let Some(name) = &self.name {
                details.insert(
                    "renamed".into(),
                    serde_json::json!({ "from": before.name, "to": name }),
                );
            }
            out.push((AuditAction::Updated, details));
        }
        match self.enabled {
            Some(true) => out.push((AuditAction::Enabled, serde_json::Map::new())),
            Some(false) => out.push((AuditAction::Disabled, serde_json::Map::new())),
            None => {}
        }
        out
    }

    /// Whether it changes nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.edited_fields().is_empty() && self.enabled.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::rules::caller::tests::caller;

    fn key() -> KeyRecord {
        let mut r = crate::model::tests::record();
        r.ip_allowlist = vec!["10.0.0.0/8".into()];
        r
    }

    fn k_now() -> DateTime<Utc> {
        crate::model::tests::record().created_at
    }

    fn body(json: serde_json::Value) -> PatchKeyRequest {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn only_what_differs_is_changed() {
        let k = key();
        let p = plan(
            &caller("", true),
            &k,
            &body(serde_json::json!({"name": "ci", "enabled": true, "description": "new"})),
            k_now(),
        )
        .unwrap();
        assert_eq!(p.edited_fields(), ["description"]);
        let events = p.audit_events(&k);
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].0, &events[0].1["fields"]),
            (AuditAction::Updated, &serde_json::json!(["description"]))
        );
        let toggled = KeyPatch {
            enabled: Some(false),
            name: Some("x".into()),
            ..KeyPatch::default()
        };
        let actions: Vec<AuditAction> = toggled
            .audit_events(&k)
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        assert_eq!(actions, [AuditAction::Updated, AuditAction::Disabled]);
        assert_eq!(p.enabled, None, "already enabled");
        let mut after = k.clone();
        p.apply(&mut after);
        assert_eq!(
            (after.name.as_str(), after.description.as_str()),
            ("ci", "new")
        );
        let same = plan(
            &caller("", true),
            &k,
            &body(serde_json::json!({"name": "ci"})),
            k_now(),
        )
        .unwrap();
        assert!(same.is_empty());
    }

    #[test]
    fn limits_sent_are_settings_and_a_key_does_not_lift_its_own() {
        let mut k = key();
        k.credits = Some(crate::usage::Credits {
            remaining: 5,
            refill: None,
        });
        k.credits_set_at = Some(k_now() + chrono::Duration::hours(1));
        let same = body(serde_json::json!({"credits": {"remaining": 5, "refill": null}}));
        let p = plan(&caller("", true), &k, &same, k_now()).unwrap();
        assert!(
            p.credits.is_some(),
            "credits sent equal still reset the count"
        );
        let mut after = k.clone();
        p.apply(&mut after);
        assert!(
            after.credits_set_at > k.credits_set_at,
            "always later than the last setting"
        );
        let clear_absent = body(serde_json::json!({"rate_limit": null}));
        assert!(
            plan(&caller("", true), &k, &clear_absent, k_now())
                .unwrap()
                .is_empty(),
            "removing none is no change"
        );
        let mut own = caller("", true);
        own.key_id = Some(k.id.clone());
        let e = plan(&own, &k, &same, k_now()).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::Forbidden, Some("credits"))
        );
        // Nor through a copy rolled from it, or the original of a copy:
        // they spend from one limiter.
        let mut copy = k.clone();
        copy.id = "key_1111111111111111".parse().unwrap();
        copy.limits_of = Some(k.id.clone());
        let admin = |r: &KeyRecord| Caller {
            can_write: true,
            ..Caller::of_key(r)
        };
        let (original_caller, copy_caller) = (admin(&k), admin(&copy));
        for (who, target) in [(&original_caller, &copy), (&copy_caller, &k)] {
            let e = plan(who, target, &same, k_now()).unwrap_err();
            assert_eq!(
                (e.code, e.field.as_deref()),
                (ErrorCode::Forbidden, Some("credits"))
            );
        }
        let mut other = k.clone();
        other.id = "key_2222222222222222".parse().unwrap();
        assert!(plan(&admin(&other), &copy, &same, k_now()).is_ok());
        let bad = body(serde_json::json!({"rate_limit": {"limit": 0, "period_seconds": 5}}));
        assert_eq!(
            plan(&caller("", true), &k, &bad, k_now())
                .unwrap_err()
                .field
                .as_deref(),
            Some("rate_limit")
        );
    }

    #[test]
    fn a_key_only_narrows_its_own_allowlist() {
        let k = key();
        let mut own = caller("", true);
        own.key_id = Some(k.id.clone());
        let wider = body(serde_json::json!({"ip_allowlist": []}));
        assert_eq!(
            plan(&own, &k, &wider, k_now()).unwrap_err().code,
            ErrorCode::Forbidden
        );
        let narrower = body(serde_json::json!({"ip_allowlist": ["10.1.0.0/16"]}));
        assert!(plan(&own, &k, &narrower, k_now()).is_ok());
        assert!(
            plan(&caller("", true), &k, &wider, k_now()).is_ok(),
            "another admin may widen"
        );
    }

    #[test]
    fn re_enabling_an_admin_key_is_bound_by_reach() {
        let mut k = key();
        k.roles = vec!["keygate:admin".parse().unwrap()];
        k.enabled = false;
        let mut bounded = caller("", true);
        bounded.expires_at = k.expires_at.map(|t| t - chrono::Duration::days(1));
        let enable = body(serde_json::json!({"enabled": true}));
        assert_eq!(
            plan(&bounded, &k, &enable, k_now())
                .unwrap_err()
                .field
                .as_deref(),
            Some("expires_at")
        );
        let disable_name = body(serde_json::json!({"name": "renamed"}));
        assert!(
            plan(&bounded, &k, &disable_name, k_now()).is_ok(),
            "a rename is not bound"
        );
        assert!(
            plan(&caller("", false), &k, &disable_name, k_now()).is_err(),
            "Readers edit nothing"
        );
    }
}
