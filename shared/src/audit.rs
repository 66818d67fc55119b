//! Audit actions (§4): one enum, so the worker that writes and filters
//! events and the app that offers the filter cannot drift apart.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What an audit event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    /// A key was created (also by bootstrap, and the new key of a roll).
    #[serde(rename = "key.created")]
    Created,
    /// Name, description, allowlist or meta changed.
    #[serde(rename = "key.updated")]
    Updated,
    /// Activated.
    #[serde(rename = "key.enabled")]
    Enabled,
    /// Deactivated.
    #[serde(rename = "key.disabled")]
    Disabled,
    /// Deleted.
    #[serde(rename = "key.deleted")]
    Deleted,
    /// Rolled: a new key replaces it after a grace period.
    #[serde(rename = "key.rolled")]
    Rolled,
    /// An expiry notice went out.
    #[serde(rename = "key.expiring")]
    Expiring,
    /// Purged after expiry.
    #[serde(rename = "key.expired")]
    Expired,
    /// Reported leaked and disabled.
    #[serde(rename = "key.leaked")]
    Leaked,
    /// Its credits ran out (once per exhaustion, §9).
    #[serde(rename = "key.credits_exhausted")]
    CreditsExhausted,
}

impl AuditAction {
    /// Every action, in the order the admin app offers them.
    pub const ALL: [AuditAction; 10] = [
        Self::Created,
        Self::Updated,
        Self::Enabled,
        Self::Disabled,
        Self::Deleted,
        Self::Rolled,
        Self::Expiring,
        Self::Expired,
        Self::Leaked,
        Self::CreditsExhausted,
    ];

    /// The action as written on the wire and stored.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "key.created",
            Self::Updated => "key.updated",
            Self::Enabled => "key.enabled",
            Self::Disabled => "key.disabled",
            Self::Deleted => "key.deleted",
            Self::Rolled => "key.rolled",
            Self::Expiring => "key.expiring",
            Self::Expired => "key.expired",
            Self::Leaked => "key.leaked",
            Self::CreditsExhausted => "key.credits_exhausted",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not one of the actions of §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownAction;

impl FromStr for AuditAction {
    type Err = UnknownAction;
    fn from_str(s: &str) -> Result<Self, UnknownAction> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or(UnknownAction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for action in AuditAction::ALL {
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.as_str()));
            assert_eq!(serde_json::from_str::<AuditAction>(&json).unwrap(), action);
            assert_eq!(action.as_str().parse::<AuditAction>(), Ok(action));
        }
        assert_eq!("key.frobbed".parse::<AuditAction>(), Err(UnknownAction));
        assert_eq!("KEY.CREATED".parse::<AuditAction>(), Err(UnknownAction));
    }

    #[test]
    fn all_names_every_action_once_in_order() {
        let listed: Vec<String> = AuditAction::ALL
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect();
        assert_eq!(
            listed,
            crate::test_support::serde_variant_names::<AuditAction>()
        );
    }
}
