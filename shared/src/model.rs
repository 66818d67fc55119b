//! The key record as stored, and the `KeyView` every API answer shows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::AuditAction;
use crate::ids::{KeyId, Organization, Role};
use crate::token::Token;
use crate::usage::{Credits, RateLimit};

/// Role that makes a key an Administrator of its organization subtree.
pub const ROLE_ADMIN: &str = "keygate:admin";
/// Role that makes a key a Reader of its organization subtree.
pub const ROLE_READER: &str = "keygate:reader";
/// Roles only an Administrator may hand out.
pub const RESERVED_ROLES: [&str; 2] = [ROLE_ADMIN, ROLE_READER];
/// `created_by` of keys made by the bootstrap command.
pub const BOOTSTRAP_ACTOR: &str = "bootstrap";

/// A key's derived state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Enabled and not expired.
    Active,
    /// Deactivated by an administrator or by leak response.
    Disabled,
    /// Past its `expires_at` (this wins over disabled).
    Expired,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 3] = [Self::Active, Self::Disabled, Self::Expired];

    /// The status as written on the wire.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Expired => "expired",
        }
    }
}

impl std::str::FromStr for Status {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or(())
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_false(b: &bool) -> bool {
    !*b
}

/// A key as stored: the view's fields plus the token's SHA-256. Its
/// `Debug` leaves the hash out (below).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// Public id, `key_…`.
    pub id: KeyId,
    /// Display name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Owning organization (`""` = root).
    #[serde(default)]
    pub organization: Organization,
    /// Key group, if any.
    #[serde(default)]
    pub group: Option<String>,
    /// Roles held.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Canonical CIDRs; empty = any address.
    #[serde(default)]
    pub ip_allowlist: Vec<String>,
    /// Activated or deactivated.
    pub enabled: bool,
    /// Creation time.
    #[serde(deserialize_with = "crate::time::deserialize")]
    pub created_at: DateTime<Utc>,
    /// Admin key id that created it, or `bootstrap`.
    pub created_by: String,
    /// The creating admin key's name when it was created, so it still
    /// reads as a name once that key is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_name: Option<String>,
    /// Fixed at creation; `None` = never.
    #[serde(default, deserialize_with = "crate::time::deserialize_option")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Truncated token for display.
    pub hint: String,
    /// Lower-case hex SHA-256 of the token.
    pub hash: String,
    /// Expiry-notice thresholds (days) already delivered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notified_days: Vec<u32>,
    /// The operator's own data (§2 `meta`): a JSON object of at most 2 KiB
    /// whose compact form is a valid header value (see
    /// [`crate::validation::meta`]).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub meta: serde_json::Map<String, serde_json::Value>,
    /// At most this many verifications per period (§9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// Credits that verifications spend (§9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<Credits>,
    /// When `credits` was last set: the limiter resets its count to a
    /// newer setting and never to an older one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::time::deserialize_option"
    )]
    pub credits_set_at: Option<DateTime<Utc>>,
    /// The key whose limiter this one shares: a rolled key keeps its
    /// original's, so a roll neither refills the credits nor doubles the
    /// limits during the grace period (`None`: its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits_of: Option<KeyId>,
    /// The key had limits that an edit removed: its limiter may still hold
    /// state, so deleting the key tells the limiter to forget it as it
    /// does for a limited key (stays set once set; a roll's copy keeps it).
    #[serde(default, skip_serializing_if = "is_false")]
    pub had_limits: bool,
    /// The key a roll replaced this one with (set as the roll shortens
    /// it): a second roll of this key is refused, since its successor
    /// would copy the shortened expiry; the newest key is the one to roll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolled_to: Option<KeyId>,
    /// When the key last passed verification, as reported (to the minute;
    /// kept beside the record in storage, not in it).
    #[serde(skip)]
    pub last_used_at: Option<DateTime<Utc>>,
    /// Credits left as the limiter last reported them (beside the record).
    #[serde(skip)]
    pub credits_left: Option<u64>,
}

/// Every field but `hash`: the token's SHA-256 is the key's address in
/// storage, and a `{:?}` in a log line must not publish it (the hint says
/// which key it is).
impl std::fmt::Debug for KeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("description", &self.description)
            .field("organization", &self.organization)
            .field("group", &self.group)
            .field("roles", &self.roles)
            .field("ip_allowlist", &self.ip_allowlist)
            .field("enabled", &self.enabled)
            .field("created_at", &self.created_at)
            .field("created_by", &self.created_by)
            .field("created_by_name", &self.created_by_name)
            .field("expires_at", &self.expires_at)
            .field("hint", &self.hint)
            .field("notified_days", &self.notified_days)
            .field("meta", &self.meta)
            .field("rate_limit", &self.rate_limit)
            .field("credits", &self.credits)
            .field("credits_set_at", &self.credits_set_at)
            .field("limits_of", &self.limits_of)
            .field("had_limits", &self.had_limits)
            .field("rolled_to", &self.rolled_to)
            .field("last_used_at", &self.last_used_at)
            .field("credits_left", &self.credits_left)
            .finish_non_exhaustive()
    }
}

impl KeyRecord {
    /// The record of a key just minted for `token` under `id`, made at
    /// `created_at` by `created_by`, with nothing else yet: enabled, in the
    /// root organization, without name, roles, allowlist, expiry, metadata
    /// or limits. The rules that make a key from a request
    /// (`rules::create`) and the bootstrap fill in the rest from here, so
    /// a field added to the record has one default, written once.
    #[must_use]
    pub fn minted(id: KeyId, token: &Token, created_at: DateTime<Utc>, created_by: &str) -> Self {
        Self {
            id,
            name: String::new(),
            description: String::new(),
            organization: Organization::root(),
            group: None,
            roles: Vec::new(),
            ip_allowlist: Vec::new(),
            enabled: true,
            created_at,
            created_by: created_by.to_owned(),
            created_by_name: None,
            expires_at: None,
            hint: token.hint(),
            hash: token.lookup_hash().to_hex(),
            notified_days: Vec::new(),
            meta: serde_json::Map::new(),
            rate_limit: None,
            credits: None,
            credits_set_at: None,
            limits_of: None,
            had_limits: false,
            rolled_to: None,
            last_used_at: None,
            credits_left: None,
        }
    }

    /// The derived status at `now`.
    #[must_use]
    pub fn status(&self, now: DateTime<Utc>) -> Status {
        if self.expires_at.is_some_and(|at| at <= now) {
            Status::Expired
        } else if self.enabled {
            Status::Active
        } else {
            Status::Disabled
        }
    }

    /// Whether the key holds `role`.
    #[must_use]
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.as_str() == role)
    }

    /// The public view at `now` (never the hash).
    #[must_use]
    pub fn view(&self, now: DateTime<Utc>) -> KeyView {
        KeyView {
            id: self.id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            organization: self.organization.clone(),
            group: self.group.clone(),
            roles: self.roles.clone(),
            ip_allowlist: self.ip_allowlist.clone(),
            enabled: self.enabled,
            status: self.status(now),
            created_at: self.created_at,
            created_by: self.created_by.clone(),
            created_by_name: self.created_by_name.clone(),
            expires_at: self.expires_at,
            hint: self.hint.clone(),
            meta: self.meta.clone(),
            last_used_at: self.last_used_at,
            rate_limit: self.rate_limit,
            credits: self.credits.map(|c| Credits {
                remaining: self.credits_left.unwrap_or(c.remaining),
                ..c
            }),
            rolled_to: self.rolled_to.clone(),
        }
    }

    /// The name of this key's limiter (its own id, or its original's).
    #[must_use]
    pub fn limiter_name(&self) -> &KeyId {
        self.limits_of.as_ref().unwrap_or(&self.id)
    }

    /// Whether verifications of this key go through its limiter.
    #[must_use]
    pub fn is_limited(&self) -> bool {
        self.rate_limit.is_some() || self.credits.is_some()
    }

    /// Whether this key's limiter may hold state: it is limited now, or
    /// was before an edit removed its limits.
    #[must_use]
    pub fn may_have_limiter_state(&self) -> bool {
        self.is_limited() || self.had_limits
    }

    /// `meta` as the gateway forwards it (`X-Keygate-Meta`): compact JSON,
    /// or empty when there is none.
    #[must_use]
    pub fn meta_header(&self) -> String {
        if self.meta.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&self.meta).unwrap_or_default()
        }
    }
}

/// The JSON shape of a key in every API answer (§2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    /// Public id, `key_…`.
    pub id: KeyId,
    /// Display name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Owning organization (`""` = root).
    pub organization: Organization,
    /// Key group, if any.
    pub group: Option<String>,
    /// Roles held.
    pub roles: Vec<Role>,
    /// Canonical CIDRs; empty = any address.
    pub ip_allowlist: Vec<String>,
    /// Activated or deactivated.
    pub enabled: bool,
    /// Derived state.
    pub status: Status,
    /// Creation time.
    #[serde(deserialize_with = "crate::time::deserialize")]
    pub created_at: DateTime<Utc>,
    /// Admin key id that created it, or `bootstrap`.
    pub created_by: String,
    /// The creating admin key's name, when known.
    #[serde(default)]
    pub created_by_name: Option<String>,
    /// Fixed at creation; `None` = never.
    #[serde(default, deserialize_with = "crate::time::deserialize_option")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Truncated token for display.
    pub hint: String,
    /// The operator's own data (an object; empty when none).
    #[serde(default)]
    pub meta: serde_json::Map<String, serde_json::Value>,
    /// When the key last passed verification (to the minute); null = never.
    #[serde(default, deserialize_with = "crate::time::deserialize_option")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// The rate limit, if any.
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
    /// The credits, if any (`remaining` as last reported).
    #[serde(default)]
    pub credits: Option<Credits>,
    /// Once the key was rolled: its successor, the key to roll from now
    /// on (a rolled key is not rolled again). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolled_to: Option<KeyId>,
}

/// One audit log entry (§4). `details` never holds a token or hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When it happened.
    #[serde(deserialize_with = "crate::time::deserialize")]
    pub at: DateTime<Utc>,
    /// Admin key id, `bootstrap`, `cron`, `limiter` or
    /// `github-secret-scanning`; an admin key's name at the time is kept
    /// in `details.actor_name`.
    pub actor: String,
    /// What happened.
    pub action: AuditAction,
    /// The key concerned.
    pub key_id: KeyId,
    /// What changed, by field name and public value.
    #[serde(default)]
    pub details: serde_json::Value,
}

impl AuditEvent {
    /// An event about `record`. Its organization and name go into
    /// `details` beside the given ones, so audit reads can be scoped to an
    /// organization subtree like keys are, and read after a delete.
    #[must_use]
    pub fn for_key(
        record: &KeyRecord,
        at: DateTime<Utc>,
        actor: &str,
        action: AuditAction,
        mut details: serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        details.insert("organization".into(), record.organization.as_str().into());
        details.insert("name".into(), record.name.clone().into());
        Self {
            at,
            actor: actor.to_owned(),
            action,
            key_id: record.id.clone(),
            details: serde_json::Value::Object(details),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;

    pub(crate) fn record() -> KeyRecord {
        let token = Token::generate(&crate::token::Prefix::default()).unwrap();
        KeyRecord {
            name: "ci".into(),
            organization: "acme".parse().unwrap(),
            roles: vec!["calls:read".parse().unwrap()],
            expires_at: Some(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()),
            hint: "kg_abcd…wxyz".into(),
            hash: "00".repeat(32),
            ..KeyRecord::minted(
                "key_0123456789abcdef".parse().unwrap(),
                &token,
                Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
                BOOTSTRAP_ACTOR,
            )
        }
    }

    #[test]
    fn debug_output_leaves_the_hash_out() {
        let token = Token::generate(&crate::token::Prefix::default()).unwrap();
        let r = KeyRecord {
            name: "ci".into(),
            ..KeyRecord::minted(
                "key_0123456789abcdef".parse().unwrap(),
                &token,
                Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
                BOOTSTRAP_ACTOR,
            )
        };
        let shown = format!("{r:?} {r:#?}");
        assert!(!shown.contains(&r.hash), "{shown}");
        assert!(!shown.contains(token.expose_secret()));
        assert!(shown.contains("key_0123456789abcdef") && shown.contains(&r.hint));
    }

    #[test]
    fn status_is_derived_and_expiry_wins() {
        let mut r = record();
        let before = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let at = r.expires_at.unwrap();
        assert_eq!(r.status(before), Status::Active);
        assert_eq!(r.status(at), Status::Expired, "expires at the instant");
        r.enabled = false;
        assert_eq!(r.status(before), Status::Disabled);
        assert_eq!(r.status(at), Status::Expired);
        r.expires_at = None;
        assert_eq!(r.status(at), Status::Disabled);
    }

    #[test]
    fn status_wire_names_round_trip() {
        for status in Status::ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(status.as_str().parse::<Status>(), Ok(status));
        }
        assert_eq!("Active".parse::<Status>(), Err(()));
    }

    #[test]
    fn all_names_every_status_once_in_order() {
        let listed: Vec<String> = Status::ALL.iter().map(|s| s.as_str().to_owned()).collect();
        assert_eq!(listed, crate::test_support::serde_variant_names::<Status>());
    }

    #[test]
    fn view_hides_the_hash() {
        let r = record();
        let json = serde_json::to_string(&r.view(r.created_at)).unwrap();
        assert!(!json.contains(&r.hash));
        assert!(json.contains(r#""status":"active""#));
    }
}
