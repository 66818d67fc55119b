//! Expiry notices (§6): at 30, 14, 7, 3 and 1 days before a key expires.
//!
//! - A threshold counts only if the key was created more than that many
//!   days before its expiry: a key created with 5 days left gets the 3-
//!   and 1-day notices, never the 30/14/7 ones.
//! - When runs were missed and several thresholds are due at once, only
//!   the nearest one is sent and the farther ones are marked done: one
//!   notice, not a burst of stale ones.
//! - [`next_notice_at`] is when the next notice becomes due, stored with
//!   the key so the cron selects only keys that are due (an index walk,
//!   whatever the number of keys).

use chrono::{DateTime, Duration, Utc};

use crate::model::KeyRecord;

/// Days before expiry at which notices go out.
pub const THRESHOLDS: [u32; 5] = [30, 14, 7, 3, 1];

fn eligible(record: &KeyRecord, expires: DateTime<Utc>, t: u32) -> bool {
    expires - record.created_at > Duration::days(i64::from(t)) && !record.notified_days.contains(&t)
}

/// The threshold due for `record` at `now`, if any, and the thresholds it
/// settles (it and every farther one not yet done).
#[must_use]
pub fn due_notice(record: &KeyRecord, now: DateTime<Utc>) -> Option<(u32, Vec<u32>)> {
    let expires = record.expires_at?;
    if expires <= now {
        return None;
    }
    let reached: Vec<u32> = THRESHOLDS
        .iter()
        .copied()
        .filter(|&t| expires - now <= Duration::days(i64::from(t)) && eligible(record, expires, t))
        .collect();
    let nearest = *reached.iter().min()?;
    Some((nearest, reached))
}

/// When `record`'s next notice becomes due (the farthest threshold not
/// yet sent), or `None` when no notice is left to send.
#[must_use]
pub fn next_notice_at(record: &KeyRecord) -> Option<DateTime<Utc>> {
    let expires = record.expires_at?;
    THRESHOLDS
        .iter()
        .copied()
        .filter(|&t| eligible(record, expires, t))
        .max()
        .map(|t| expires - Duration::days(i64::from(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_notice_is_the_farthest_unsent_threshold_and_due_from_then() {
        let mut r = crate::model::tests::record();
        let expires = r.expires_at.unwrap();
        // Created a year before expiry: every threshold counts.
        assert_eq!(next_notice_at(&r), Some(expires - Duration::days(30)));
        let at = next_notice_at(&r).unwrap();
        assert_eq!(
            due_notice(&r, at - Duration::seconds(1)),
            None,
            "not before"
        );
        assert_eq!(due_notice(&r, at), Some((30, vec![30])));
        r.notified_days = vec![30];
        assert_eq!(next_notice_at(&r), Some(expires - Duration::days(14)));
        // Missed runs: at 2 days left the 3-day notice settles 14, 7 and 3.
        let late = expires - Duration::days(2);
        assert_eq!(due_notice(&r, late), Some((3, vec![14, 7, 3])));
        r.notified_days = vec![30, 14, 7, 3, 1];
        assert_eq!(next_notice_at(&r), None);
        // A key created with 5 days left never gets the 30/14/7 ones.
        let mut short = crate::model::tests::record();
        short.created_at = expires - Duration::days(5);
        assert_eq!(next_notice_at(&short), Some(expires - Duration::days(3)));
        // One that never expires gets none.
        short.expires_at = None;
        assert_eq!(next_notice_at(&short), None);
    }
}
