//! Everything Keygate's worker and admin app agree on, with no I/O: the
//! token format, the key model, field validation, the verification policy
//! and the HTTP API's bodies and errors.
//!
//! # Quickstart
//!
//! ```
//! use keygate_shared::policy::{self, RequestFacts, Requirement, VerifyCode};
//! use keygate_shared::token::{Prefix, Token};
//!
//! let prefix = Prefix::default(); // "kg"
//! let token = Token::generate(&prefix).expect("CSPRNG");
//! // Store only this (lower-case hex SHA-256) and the hint:
//! let stored_hash = token.lookup_hash().to_hex();
//! assert_eq!(stored_hash.len(), 64);
//! assert!(!format!("{token:?}").contains(token.expose_secret()));
//!
//! // At the edge: shape first (no storage read for junk)…
//! assert_eq!(policy::check_shape(&prefix, Some("kg_junk")).unwrap_err(), VerifyCode::MalformedKey);
//! let parsed = policy::check_shape(&prefix, Some(token.expose_secret())).unwrap();
//! // …then one lookup by hash, then the decision.
//! assert!(parsed.lookup_hash().matches_hex(&stored_hash));
//! let none = Requirement::default();
//! let facts = RequestFacts { client_ip: None, check_ip: false, requirement: &none };
//! let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
//! assert_eq!(policy::decide(None, &facts, now), VerifyCode::UnknownKey);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod audit;
pub mod base62;
pub mod crc32;
pub mod error;
pub mod ids;
pub mod ip;
pub mod model;
pub mod org;
pub mod path;
pub mod policy;
pub mod rules;
pub mod time;
pub mod token;
pub mod usage;
pub mod validation;
pub mod whole;

pub use audit::AuditAction;
pub use error::{ApiError, ErrorCode};
pub use ids::{KeyId, Organization, Role};
pub use model::{AuditEvent, KeyRecord, KeyView, Status};
pub use token::{LookupHash, Prefix, Token};

#[cfg(test)]
pub(crate) mod test_support {
    /// The wire names of every variant of `T`, as serde's derive lists them
    /// in its "unknown variant" message. The compiler does not check that
    /// a hand-written `ALL` list names every variant; this does, because
    /// the derive's list is generated from the enum itself.
    pub fn serde_variant_names<T: serde::de::DeserializeOwned + std::fmt::Debug>() -> Vec<String> {
        let message = serde_json::from_str::<T>("\"(no such variant)\"")
            .expect_err("not a variant")
            .to_string();
        let list = message
            .split_once("expected one of ")
            .map(|(_, rest)| rest)
            .expect("serde names the variants");
        list.split(", ")
            .map(|name| {
                let name = name.split(" at line").next().unwrap_or(name);
                name.trim_matches('`').to_owned()
            })
            .collect()
    }
}
