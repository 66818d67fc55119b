//! Newtypes for the identifiers the worker and the app pass around: a key
//! id, an organization and a role. Each is checked once, where it enters
//! (a path segment, a request body, a stored record), and then travels as
//! its type, so a role cannot be passed where an organization is expected
//! and nothing unchecked reaches storage.
//!
//! ```
//! use keygate_shared::ids::{KeyId, Organization, Role};
//!
//! let id: KeyId = "key_0123456789abcdef".parse().unwrap();
//! assert_eq!(id.as_str(), "key_0123456789abcdef");
//! assert!("key_short".parse::<KeyId>().is_err());
//!
//! let emea: Organization = "acme/emea".parse().unwrap();
//! assert!(emea.is_within(&"acme".parse().unwrap()));
//! assert!(emea.is_within(&Organization::root()));
//! assert!("Acme".parse::<Organization>().is_err());
//!
//! let admin: Role = "keygate:admin".parse().unwrap();
//! assert!(admin.is_reserved());
//! // Serialized as plain strings; deserializing checks the shape.
//! assert_eq!(serde_json::to_string(&admin).unwrap(), r#""keygate:admin""#);
//! assert!(serde_json::from_str::<Role>(r#""no spaces""#).is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// A string that is not a valid identifier of the named kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidId(pub &'static str);

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a valid {}", self.0)
    }
}

impl std::error::Error for InvalidId {}

macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $check:path, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The text, owned.
            #[must_use]
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                if $check(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(InvalidId($what))
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                if $check(&s) {
                    Ok(Self(s))
                } else {
                    Err(InvalidId($what))
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Self::try_from(String::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

checked_string!(
    /// A key's public id: `key_` and 16 base62 characters.
    KeyId,
    crate::token::is_key_id,
    "key id"
);

checked_string!(
    /// An organization: `""` (the root) or up to 8 segments of
    /// `[a-z0-9-]{1,32}` joined by `/`.
    Organization,
    crate::org::is_valid,
    "organization"
);

checked_string!(
    /// A role: 1–64 characters of letters, digits and `:._*-`.
    Role,
    crate::validation::is_role,
    "role"
);

impl KeyId {
    /// A new random key id.
    ///
    /// # Errors
    /// When the platform has no randomness.
    pub fn generate() -> Result<Self, crate::base62::RandomUnavailable> {
        crate::token::new_key_id().map(Self)
    }
}

impl Organization {
    /// The root organization, `""`, above every other.
    #[must_use]
    pub fn root() -> Self {
        Self(String::new())
    }

    /// Whether this is the root.
    #[must_use]
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether this organization is `ancestor` itself or lies below it.
    #[must_use]
    pub fn is_within(&self, ancestor: &Organization) -> bool {
        crate::org::is_within(&self.0, &ancestor.0)
    }
}

impl Default for Organization {
    fn default() -> Self {
        Self::root()
    }
}

impl Role {
    /// `keygate:admin`: an Administrator of its organization subtree.
    #[must_use]
    pub fn admin() -> Self {
        Self(crate::model::ROLE_ADMIN.to_owned())
    }

    /// `keygate:reader`: a Reader of its organization subtree.
    #[must_use]
    pub fn reader() -> Self {
        Self(crate::model::ROLE_READER.to_owned())
    }

    /// Whether only an Administrator may hand this role out
    /// (`keygate:admin`, `keygate:reader`).
    #[must_use]
    pub fn is_reserved(&self) -> bool {
        crate::model::RESERVED_ROLES.contains(&self.0.as_str())
    }
}

/// `roles` joined by `separator` (the gateway's `X-Keygate-Roles` with
/// `,`, the CSV with ` `, the app with `, `).
#[must_use]
pub fn join_roles(roles: &[Role], separator: &str) -> String {
    roles
        .iter()
        .map(Role::as_str)
        .collect::<Vec<_>>()
        .join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_checks_its_shape() {
        assert!("key_0123456789abcdeF".parse::<KeyId>().is_ok());
        for bad in ["", "key_", "key_0123456789abcde!", "kex_0123456789abcdef"] {
            assert_eq!(bad.parse::<KeyId>(), Err(InvalidId("key id")), "{bad:?}");
        }
        assert!(Organization::root().is_root());
        for bad in ["/", "acme/", "ACME", "a//b"] {
            assert!(bad.parse::<Organization>().is_err(), "{bad:?}");
        }
        assert!("calls:read".parse::<Role>().is_ok());
        assert!(" calls".parse::<Role>().is_err());
        assert!(!"calls:read".parse::<Role>().unwrap().is_reserved());
    }

    #[test]
    fn subtrees() {
        let acme: Organization = "acme".parse().unwrap();
        let emea: Organization = "acme/emea".parse().unwrap();
        let acmex: Organization = "acmex".parse().unwrap();
        assert!(emea.is_within(&acme));
        assert!(acme.is_within(&acme));
        assert!(!acme.is_within(&emea));
        assert!(!acmex.is_within(&acme));
    }

    #[test]
    fn serde_is_the_plain_string_and_checks_on_the_way_in() {
        let id: KeyId = serde_json::from_str(r#""key_0123456789abcdef""#).unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            r#""key_0123456789abcdef""#
        );
        assert!(serde_json::from_str::<KeyId>(r#""key_x""#).is_err());
        assert!(serde_json::from_str::<Organization>(r#""a/""#).is_err());
    }
}
