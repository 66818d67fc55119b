//! Rolling a key (§4): a new key with the same attributes replaces the
//! old one, which expires after a grace period. The new key is a copy, so
//! a reserved-role one must fit the caller's reach like a created one (no
//! 10-day admin minting a 300-day one). The per-organization limit holds:
//! with no grace the old key ends at once, so the pair takes one place;
//! with a grace period both are unexpired and take a place each, so at the
//! limit a roll needs `grace_seconds: 0` (rolling the new key again within
//! the grace period would otherwise add a live key each time).

use chrono::{DateTime, Duration, Utc};

use super::caller::Caller;
use super::reach::{self, KeyReach};
use crate::api::{RollRequest, MAX_GRACE_SECONDS};
use crate::error::{ApiError, ErrorCode};
use crate::ids::KeyId;
use crate::model::KeyRecord;
use crate::token::Token;

/// The grace period a roll asks for, in seconds (0 when none is given).
///
/// # Errors
/// `INVALID_FIELD` on `grace_seconds` beyond 7 days.
pub fn grace_seconds(body: &RollRequest) -> Result<u32, ApiError> {
    let grace = body.grace_seconds.unwrap_or(0);
    if grace > MAX_GRACE_SECONDS {
        return Err(ApiError::invalid(
            "grace_seconds",
            format!("grace_seconds is 0 to {MAX_GRACE_SECONDS}."),
        ));
    }
    Ok(grace)
}

/// Whether `caller` may roll `old` at `now`.
///
/// # Errors
/// `FORBIDDEN` for a Reader or beyond the caller's reach; `INVALID_FIELD`
/// for an expired key.
pub fn check(caller: &Caller, old: &KeyRecord, now: DateTime<Utc>) -> Result<(), ApiError> {
    caller.require_write()?;
    if old.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "id",
            "An expired key cannot be rolled.",
        ));
    }

    if reach::holds_reserved_role(&old.roles) {
        reach::check_reserved_key(
            &caller.reach(),
            &KeyReach {
                organization: &old.organization,
                expires_at: old.expires_at,
                ip_allowlist: &old.ip_allowlist,
            },
        )?;
    }
    Ok(())
}

/// The new key: `old`'s attributes under a new id and token.
#[must_use]
pub fn successor(
    old: &KeyRecord,
    id: KeyId,
    token: &Token,
    caller: &Caller,
    now: DateTime<Utc>,
) -> KeyRecord {
    KeyRecord {
        id,
        created_at: now,
        created_by: caller.actor.clone(),
        created_by_name: Some(caller.name.clone()),
        hint: token.hint(),
        hash: token.lookup_hash().to_hex(),
        notified_days: vec![],
        // Never used yet (the original's last use is the original's), and
        // not rolled. Credits left as reported are the row's, which a new
        // row has none of yet (the view shows the setting, as a read
        // would, until the shared limiter reports).
        last_used_at: None,
        credits_left: None,
        rolled_to: None,
        // Limits are the original's, not a fresh copy: the new key spends
        // from the same count (a roll never refills credits).
        limits_of: Some(old.limiter_name().clone()),
        ..old.clone()
    }
}

/// The refusal of a second roll of a key rolled already (`rolled_to`):
/// its copy would inherit the grace period's end as its expiry. The
/// successor is the key to roll while it exists; once it is gone, a new
/// key is.
#[must_use]
pub fn rolled_already(successor: &KeyId, successor_exists: bool) -> ApiError {
    let what_now = if successor_exists {
        format!("roll {successor}, its successor, instead (with grace_seconds 0 if nobody holds that key's token yet)")
    } else {
        format!("its successor {successor} is gone, so create a new key instead")
    };
    ApiError::field(
        ErrorCode::InvalidField,
        "id",
        format!("This key was rolled already and ends with its grace period; {what_now}."),
    )
}

/// Whether the old key ends at once (no grace period), so that it does
/// not take a place of the organization's limit beside its successor.
#[must_use]
pub fn replaces_at_once(grace: u32) -> bool {
    grace == 0
}

/// The `409 KEY_LIMIT_REACHED` answer of a roll with a grace period in an
/// organization at its limit.
#[must_use]
pub fn limit_reached(max: u64) -> ApiError {
    ApiError::new(
        ErrorCode::KeyLimitReached,
        format!(
            "This organization already has {max} unexpired keys, its limit: during a grace period the old and the new key would both count. Roll with grace_seconds 0, or free a place first."
        ),
    )
}

/// When the old key stops working: `grace` seconds from `now`.
#[must_use]
pub fn cutoff(now: DateTime<Utc>, grace: u32) -> DateTime<Utc> {
    now + Duration::seconds(i64::from(grace))
}

/// Shortens the old key's life to `cutoff` (never lengthens it) and
/// names its `successor`, unless another roll did so first.
pub fn shorten(old: &mut KeyRecord, cutoff: DateTime<Utc>, successor: &KeyId) {
    if old.rolled_to.is_some() {
        // Another roll got there first (this one read the key before it
        // landed): that one stands, and this one is taken back.
        return;
    }
    old.expires_at = Some(old.expires_at.map_or(cutoff, |at| at.min(cutoff)));
    old.rolled_to = Some(successor.clone());
}

/// Whether the original changed in a way its copy must follow between
/// the roll reading it (`read`) and shortening it (`now_stored`): any
/// field an edit can change (a disable, another allowlist or roles, a
/// limit set, new metadata, a rename).
#[must_use]
pub fn copy_must_follow(read: &KeyRecord, now_stored: &KeyRecord) -> bool {
    now_stored.enabled != read.enabled
        || now_stored.ip_allowlist != read.ip_allowlist
        || now_stored.roles != read.roles
        || now_stored.rate_limit != read.rate_limit
        || now_stored.credits != read.credits
        || now_stored.credits_set_at != read.credits_set_at
        || now_stored.meta != read.meta
        || now_stored.name != read.name
        || now_stored.description != read.description
}

/// Makes the copy follow what changed on the original.
pub fn follow(copy: &mut KeyRecord, original: &KeyRecord) {
    copy.enabled = original.enabled;
    copy.ip_allowlist.clone_from(&original.ip_allowlist);
    copy.roles.clone_from(&original.roles);
    copy.rate_limit = original.rate_limit;
    copy.credits.clone_from(&original.credits);
    copy.credits_set_at = original.credits_set_at;
    copy.meta.clone_from(&original.meta);
    copy.had_limits |= original.had_limits;
    copy.name.clone_from(&original.name);
    copy.description.clone_from(&original.description);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::caller::tests::caller;
    use crate::token::Prefix;

    #[test]
    fn grace_is_at_most_a_week() {
        let g = |s| grace_seconds(&RollRequest { grace_seconds: s });
        assert_eq!(g(None), Ok(0));
        assert_eq!(g(Some(MAX_GRACE_SECONDS)), Ok(MAX_GRACE_SECONDS));
        assert_eq!(
            g(Some(MAX_GRACE_SECONDS + 1)).unwrap_err().field.as_deref(),
            Some("grace_seconds")
        );
    }

    #[test]
    fn the_copy_keeps_attributes_and_the_old_key_only_shortens() {
        let mut old = crate::model::tests::record();
        let now = old.created_at + Duration::days(10);
        old.last_used_at = Some(now - Duration::minutes(1));
        old.credits_left = Some(7);
        let token = Token::generate(&Prefix::default()).unwrap();
        let id: KeyId = "key_1111111111111111".parse().unwrap();
        let new = successor(&old, id.clone(), &token, &caller("", true), now);
        assert_eq!(
            (new.id.clone(), new.roles.clone(), new.expires_at),
            (id, old.roles.clone(), old.expires_at)
        );
        assert_ne!(new.hash, old.hash);
        assert_eq!(
            (new.last_used_at, new.credits_left),
            (None, None),
            "never used; no report of its own yet, as a read of its row"
        );
        assert_eq!(
            new.limiter_name(),
            &old.id,
            "the same limiter as the original"
        );
        let again = successor(
            &new,
            "key_2222222222222222".parse().unwrap(),
            &token,
            &caller("", true),
            now,
        );
        assert_eq!(again.limiter_name(), &old.id, "and after a second roll");
        let mut shortened = old.clone();
        shorten(&mut shortened, cutoff(now, 60), &new.id);
        assert_eq!(shortened.expires_at, Some(now + Duration::seconds(60)));
        assert_eq!(shortened.rolled_to.as_ref(), Some(&new.id));
        let mut late = old.clone();
        shorten(
            &mut late,
            old.expires_at.unwrap() + Duration::days(1),
            &new.id,
        );
        assert_eq!(late.expires_at, old.expires_at, "never lengthened");
        // Rolled once: a second shortening (a roll that lost the race)
        // changes nothing, and the refusal names the successor.
        let mut twice = shortened.clone();
        shorten(
            &mut twice,
            cutoff(now, 5),
            &"key_9999999999999999".parse().unwrap(),
        );
        assert_eq!(twice, shortened, "the first roll stands");
        for exists in [true, false] {
            let again = rolled_already(&new.id, exists);
            assert_eq!(
                (again.code, again.field.as_deref()),
                (ErrorCode::InvalidField, Some("id"))
            );
            assert!(again.message.contains(new.id.as_str()), "{}", again.message);
            assert_eq!(again.message.contains("create a new key"), !exists);
        }
        let next = successor(
            &shortened,
            "key_3333333333333333".parse().unwrap(),
            &token,
            &caller("", true),
            now,
        );
        assert_eq!(next.rolled_to, None, "a successor is not rolled");
        assert_eq!(check(&caller("", true), &new, now), Ok(()));
    }

    /// Every field an edit can change reaches the copy, limits included
    /// (a copy without a limit set on its original would verify
    /// unlimited).
    #[test]
    fn the_copy_follows_every_edit_made_meanwhile() {
        let read = crate::model::tests::record();
        let now = read.created_at + Duration::days(1);
        let token = Token::generate(&Prefix::default()).unwrap();
        let copy = successor(
            &read,
            "key_1111111111111111".parse().unwrap(),
            &token,
            &caller("", true),
            now,
        );
        let edits: [&dyn Fn(&mut KeyRecord); 6] = [
            &|r| r.enabled = false,
            &|r| {
                r.rate_limit = Some(crate::usage::RateLimit {
                    limit: 1,
                    period_seconds: 60,
                })
            },
            &|r| {
                r.credits = Some(crate::usage::Credits {
                    remaining: 1,
                    refill: None,
                });
                r.credits_set_at = Some(now);
                r.had_limits = true;
            },
            &|r| r.roles = vec![],
            &|r| {
                r.meta.insert("plan".into(), "free".into());
            },
            &|r| r.name = "renamed".into(),
        ];
        for (i, edit) in edits.iter().enumerate() {
            let mut stored = read.clone();
            edit(&mut stored);
            assert!(copy_must_follow(&read, &stored), "edit {i}");
            let mut followed = copy.clone();
            follow(&mut followed, &stored);
            let mut expected = copy.clone();
            edit(&mut expected);
            assert_eq!(followed, expected, "edit {i}");
        }
        assert!(!copy_must_follow(&read, &read.clone()));
    }

    #[test]
    fn expired_keys_and_keys_beyond_reach_are_not_rolled() {
        let mut admin = crate::model::tests::record();
        admin.roles = vec!["keygate:admin".parse().unwrap()];
        let now = admin.created_at + Duration::days(1);
        let mut bounded = caller("", true);
        bounded.expires_at = Some(now + Duration::days(1));
        assert_eq!(
            check(&bounded, &admin, now).unwrap_err().field.as_deref(),
            Some("expires_at")
        );
        assert!(check(&caller("", true), &admin, now).is_ok());
        let after = admin.expires_at.unwrap();
        assert_eq!(
            check(&caller("", true), &admin, after)
                .unwrap_err()
                .field
                .as_deref(),
            Some("id")
        );
    }
}
