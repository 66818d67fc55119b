//! The per-organization limit (§4): at most `MAX_KEYS_PER_ORG` unexpired
//! keys in one organization (that exact one, not its subtree; 0 = none).
//! Storage holds it exactly: the worker's create and roll insert in one
//! statement that counts the organization's unexpired keys (what
//! [`takes_a_place`] says) and inserts only under the limit. It binds a
//! create and a roll (see [`super::roll::replaces_at_once`]); the
//! bootstrap key and imports are not held to it.

use chrono::{DateTime, Utc};

use crate::error::{ApiError, ErrorCode};
use crate::model::{KeyRecord, Status};

/// Whether `record` takes one of its organization's places at `now`.
#[must_use]
pub fn takes_a_place(record: &KeyRecord, now: DateTime<Utc>) -> bool {
    record.status(now) != Status::Expired
}

/// The `409 KEY_LIMIT_REACHED` answer.
#[must_use]
pub fn reached(max: u64) -> ApiError {
    ApiError::new(
        ErrorCode::KeyLimitReached,
        format!("This organization already has {max} unexpired keys, its limit."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_keys_free_their_place() {
        let r = crate::model::tests::record();
        assert!(takes_a_place(&r, r.created_at));
        assert!(takes_a_place(
            &KeyRecord {
                enabled: false,
                ..r.clone()
            },
            r.created_at
        ));
        assert!(!takes_a_place(&r, r.expires_at.unwrap()));
        assert_eq!(reached(5).code, ErrorCode::KeyLimitReached);
    }
}
