//! Who is asking (§4): the administrator behind a request, reduced to what
//! the rules look at. Today an admin key; the same shape serves a company
//! identity signed in through Cloudflare Access (§10), which has a role and
//! an organization but no key of its own.

use chrono::{DateTime, Utc};

use super::reach::Reach;
use crate::error::{ApiError, ErrorCode};
use crate::ids::{KeyId, Organization};
use crate::model::{KeyRecord, ROLE_ADMIN};

/// An authenticated administrator or reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// What audit events and `created_by` name: the admin key's id.
    pub actor: String,
    /// What a person reads for the actor: the admin key's name.
    pub name: String,
    /// The admin key behind the caller, when it is one (a key may only
    /// narrow its own allowlist).
    pub key_id: Option<KeyId>,
    /// The root of the subtree the caller sees and manages.
    pub organization: Organization,
    /// Administrator (`true`) or Reader.
    pub can_write: bool,
    /// The caller's own expiry: no reserved-role key it makes outlives it.
    pub expires_at: Option<DateTime<Utc>>,
    /// The caller's own allowlist (canonical; empty = any address).
    pub ip_allowlist: Vec<String>,
    /// When a person's sign-in ends (their Access token's `exp`): a
    /// streamed export stops there. `None` for a key (its record says).
    pub signed_in_until: Option<DateTime<Utc>>,
    /// The limiter the caller's key spends from (its own id, or its
    /// original's for a rolled copy): a key may not change the limits of
    /// any key sharing it. `None` for a person.
    pub limiter: Option<KeyId>,
}

/// The longest an admin or reader key made by a person signed in through
/// Access may last (their reach's expiry bound).
pub const PERSON_KEY_DAYS: i64 = 90;

impl Caller {
    /// The caller an admin or reader key stands for.
    #[must_use]
    pub fn of_key(record: &KeyRecord) -> Self {
        Self {
            actor: record.id.to_string(),
            name: record.name.clone(),
            key_id: Some(record.id.clone()),
            organization: record.organization.clone(),
            can_write: record.has_role(ROLE_ADMIN),
            expires_at: record.expires_at,
            ip_allowlist: record.ip_allowlist.clone(),
            signed_in_until: None,
            limiter: Some(record.limiter_name().clone()),
        }
    }

    /// The caller a person signed in through Cloudflare Access stands for
    /// (§10): their email is the actor and the name. A person has no key
    /// whose expiry bounds the admin keys they make, and their sign-in
    /// lasts only as long as Access and `ACCESS_ADMINS` say, so those keys
    /// expire within [`PERSON_KEY_DAYS`] of their making (a key must not
    /// outlive its maker's authority by years); no allowlist to pass on.
    #[must_use]
    pub fn of_person(
        email: &str,
        organization: Organization,
        can_write: bool,
        now: DateTime<Utc>,
        signed_in_until: DateTime<Utc>,
    ) -> Self {
        Self {
            actor: email.to_owned(),
            name: email.to_owned(),
            key_id: None,
            organization,
            can_write,
            expires_at: Some(now + chrono::Duration::days(PERSON_KEY_DAYS)),
            ip_allowlist: Vec::new(),
            signed_in_until: Some(signed_in_until),
            limiter: None,
        }
    }

    /// Whether `organization` is in the caller's subtree.
    #[must_use]
    pub fn sees(&self, organization: &Organization) -> bool {
        organization.is_within(&self.organization)
    }

    /// The subtree a list or export covers: the one asked for intersected
    /// with the caller's (the deeper of the two when one holds the other),
    /// or `None` when they do not meet.
    #[must_use]
    pub fn list_subtree<'a>(&'a self, asked: Option<&'a Organization>) -> Option<&'a Organization> {
        match asked {
            None => Some(&self.organization),
            Some(o) if o.is_within(&self.organization) => Some(o),
            Some(o) if self.organization.is_within(o) => Some(&self.organization),
            Some(_) => None,
        }
    }

    /// `FORBIDDEN` unless the caller may write.
    ///
    /// # Errors
    /// `FORBIDDEN` for a Reader.
    pub fn require_write(&self) -> Result<(), ApiError> {
        if self.can_write {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::Forbidden,
                "This key is a Reader; it cannot change keys.",
            ))
        }
    }

    /// The bound of every reserved-role key this caller makes or changes.
    #[must_use]
    pub fn reach(&self) -> Reach<'_> {
        Reach {
            organization: &self.organization,
            expires_at: self.expires_at,
            ip_allowlist: &self.ip_allowlist,
        }
    }

    /// Whether `id` is the caller's own key.
    #[must_use]
    pub fn is_key(&self, id: &KeyId) -> bool {
        self.key_id.as_ref() == Some(id)
    }

    /// Whether `record` spends from the caller's own limiter: the caller's
    /// key itself, its rolled copies, or the original it was rolled from.
    #[must_use]
    pub fn shares_limits_with(&self, record: &KeyRecord) -> bool {
        self.is_key(&record.id) || self.limiter.as_ref() == Some(record.limiter_name())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn caller(organization: &str, can_write: bool) -> Caller {
        Caller {
            actor: "key_0000000000000000".into(),
            name: "test admin".into(),
            key_id: Some("key_0000000000000000".parse().unwrap()),
            organization: organization.parse().unwrap(),
            can_write,
            expires_at: None,
            ip_allowlist: vec![],
            signed_in_until: None,
            limiter: Some("key_0000000000000000".parse().unwrap()),
        }
    }

    fn o(name: &str) -> Organization {
        name.parse().unwrap()
    }

    #[test]
    fn subtree_of_a_list_is_the_intersection() {
        let acme = caller("acme", true);
        let (emea, other, root) = (o("acme/emea"), o("other"), o(""));
        assert_eq!(acme.list_subtree(None), Some(&o("acme")));
        assert_eq!(acme.list_subtree(Some(&emea)), Some(&emea));
        assert_eq!(acme.list_subtree(Some(&root)), Some(&o("acme")));
        assert_eq!(acme.list_subtree(Some(&other)), None);
        assert!(acme.sees(&emea) && !acme.sees(&other) && !acme.sees(&root));
    }

    #[test]
    fn readers_do_not_write() {
        assert!(caller("", true).require_write().is_ok());
        assert_eq!(
            caller("", false).require_write().unwrap_err().code,
            ErrorCode::Forbidden
        );
    }
}
