//! The per-organization limit (§4): at most `MAX_KEYS_PER_ORG` unexpired
//! keys in one organization (that exact one, not its subtree; 0 = none).
//! Storage holds it exactly (the worker's create is one statement that
//! inserts only under the limit); what is decided here is which writes it
//! binds: a create does, a roll does not (the old key only lives out its
//! grace period), nor do the bootstrap key and imports.

use chrono::{DateTime, Utc};

use crate::error::{ApiError, ErrorCode};
use crate::model::{KeyRecord, Status};

/// The limit a create is held to (`0`: none).
#[must_use]
pub fn for_create(max_keys_per_org: u32) -> u32 {
    max_keys_per_org
}

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
