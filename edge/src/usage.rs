//! Last use and usage per day (§9), counted without a storage write per
//! verification: each isolate counts in memory ([`UsageMeter`]) and writes
//! what it counted to D1 in the background (`waitUntil`): at once after
//! an idle spell, then at most once per flush interval
//! (`USAGE_FLUSH_SECONDS`, default 60), and a trailing write at most 20 s
//! after the last count, so a quiet isolate's counts do not wait for more
//! traffic. What an isolate counted and had not written yet is lost if
//! the runtime evicts it first: the verifications of at most one flush
//! interval (and at most 20 s after its last request), README "Usage".
//!
//! The limiter's answers travel with the counts: the credits left (the
//! newest answer by the limiter's decision counter wins, whatever order
//! isolates report in) and the one `key.credits_exhausted` event per
//! exhaustion.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use keygate_shared::policy::VerifyCode;
use keygate_shared::usage::LimitAnswer;
use keygate_shared::{AuditAction, AuditEvent, KeyRecord};

/// One verification of a known key, as the meter sees it.
#[derive(Debug, Clone)]
pub struct UsageFact<'a> {
    /// The key.
    pub record: &'a KeyRecord,
    /// The outcome.
    pub code: VerifyCode,
    /// The limiter's answer, for a limited key that reached it.
    pub limits: Option<&'a LimitAnswer>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Where verifications are counted.
pub trait Meter {
    /// Counts one verification.
    fn record(&self, fact: &UsageFact<'_>);
}

/// What an isolate counted of one key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyUsage {
    /// Verifications by day (`YYYY-MM-DD`) and code (`VALID` or a refusal).
    pub days: BTreeMap<String, BTreeMap<&'static str, u64>>,
    /// Its last passing verification (Unix ms).
    pub last_used: Option<i64>,
    /// Credits left as the limiter last answered: (decision counter, left).
    pub credits: Option<(u64, u64)>,
}

impl KeyUsage {
    fn merge(&mut self, other: KeyUsage) {
        for (day, codes) in other.days {
            let into = self.days.entry(day).or_default();
            for (code, n) in codes {
                *into.entry(code).or_insert(0) += n;
            }
        }
        self.last_used = self.last_used.max(other.last_used);
        if other
            .credits
            .is_some_and(|(seq, _)| self.credits.is_none_or(|(s, _)| s < seq))
        {
            self.credits = other.credits;
        }
    }
}

/// What one flush writes (one D1 batch: all of it, or none).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageBatch {
    /// By key id.
    pub keys: BTreeMap<String, KeyUsage>,
    /// `key.credits_exhausted` events.
    pub events: Vec<AuditEvent>,
}

impl UsageBatch {
    /// Whether there is nothing to write.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.events.is_empty()
    }
}

/// The UTC day of `at` as `YYYY-MM-DD`, the key of usage by day. Written
/// by `NaiveDate`'s `Display` rather than `format("%Y-%m-%d")`, which
/// parses its format string on every call (this runs per verification)
/// and links chrono's strftime machinery into the worker.
#[must_use]
pub fn day_key(date: chrono::NaiveDate) -> String {
    date.to_string()
}

/// Actor of `key.credits_exhausted` events.
pub const LIMITER_ACTOR: &str = "limiter";
/// Keys one flush writes at most (the rest wait for the next): one D1
/// batch of a few hundred statements.
pub const KEYS_PER_FLUSH: usize = 200;
/// Keys an isolate counts at most between flushes; verifications of more
/// are not counted (and said so in the log at the next flush).
pub const MAX_PENDING_KEYS: usize = 10_000;

/// An isolate's counts since its last flush.
#[derive(Debug, Default)]
pub struct UsageMeter {
    pending: RefCell<UsageBatch>,
    last_flush: Cell<i64>,
    /// Verifications not counted because [`MAX_PENDING_KEYS`] was reached.
    pub dropped: Cell<u64>,
    /// Whether a trailing flush is already on its way.
    pub trailing: Cell<bool>,
}

impl Meter for UsageMeter {
    fn record(&self, fact: &UsageFact<'_>) {
        let mut p = self.pending.borrow_mut();
        let id = fact.record.id.to_string();
        if !p.keys.contains_key(&id) && p.keys.len() >= MAX_PENDING_KEYS {
            self.dropped.set(self.dropped.get() + 1);
            return;
        }
        let usage = p.keys.entry(id).or_default();
        let day = day_key(fact.at.date_naive());
        *usage
            .days
            .entry(day)
            .or_default()
            .entry(fact.code.as_str())
            .or_insert(0) += 1;
        if fact.code == VerifyCode::Valid {
            usage.last_used = usage.last_used.max(Some(fact.at.timestamp_millis()));
        }
        if let Some(answer) = fact.limits {
            if let Some(c) = answer.credits {
                if usage.credits.is_none_or(|(seq, _)| seq < answer.seq) {
                    usage.credits = Some((answer.seq, c.remaining));
                }
            }
            if answer.newly_exhausted {
                p.events.push(AuditEvent::for_key(
                    fact.record,
                    fact.at,
                    LIMITER_ACTOR,
                    AuditAction::CreditsExhausted,
                    serde_json::Map::new(),
                ));
            }
        }
    }
}

impl UsageMeter {
    /// Whether anything is counted and not yet written.
    #[must_use]
    pub fn has_pending(&self) -> bool {
        !self.pending.borrow().is_empty()
    }

    /// Up to [`KEYS_PER_FLUSH`] keys' counts, if `interval_ms` has passed
    /// since the last flush (or `force`); what is taken is no longer
    /// pending.
    pub fn take_due(
        &self,
        now: DateTime<Utc>,
        interval_ms: i64,
        force: bool,
    ) -> Option<UsageBatch> {
        let now = now.timestamp_millis();
        let due = force || now - self.last_flush.get() >= interval_ms;
        if !due || !self.has_pending() {
            return None;
        }
        self.last_flush.set(now);
        let mut p = self.pending.borrow_mut();
        let rest = match p.keys.keys().nth(KEYS_PER_FLUSH) {
            Some(first_left) => {
                let first_left = first_left.clone();
                p.keys.split_off(&first_left)
            }
            None => BTreeMap::new(),
        };
        let keys = std::mem::replace(&mut p.keys, rest);
        let events = std::mem::take(&mut p.events);
        Some(UsageBatch { keys, events })
    }

    /// Puts back a batch whose write failed (a D1 batch is all or none),
    /// so the next flush tries it again: counts add up, the newer credits
    /// report wins.
    pub fn restore(&self, batch: UsageBatch) {
        let mut p = self.pending.borrow_mut();
        for (id, usage) in batch.keys {
            p.keys.entry(id).or_default().merge(usage);
        }
        p.events.extend(batch.events);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn day_keys_are_what_strftime_writes() {
        let mut d = chrono::NaiveDate::from_ymd_opt(1969, 12, 25).unwrap();
        let end = chrono::NaiveDate::from_ymd_opt(2101, 1, 5).unwrap();
        while d < end {
            assert_eq!(day_key(d), d.format("%Y-%m-%d").to_string());
            d += chrono::Duration::days(1);
        }
        for (y, m, day) in [(0, 1, 1), (9999, 12, 31), (10000, 1, 1), (-1, 6, 30)] {
            let d = chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
            assert_eq!(day_key(d), d.format("%Y-%m-%d").to_string(), "{d:?}");
        }
    }

    fn record(n: u8) -> KeyRecord {
        let mut r: KeyRecord = serde_json::from_value(serde_json::json!({
            "id": format!("key_{:016}", n), "name": "k", "organization": "", "enabled": true,
            "created_at": "2026-01-01T00:00:00Z", "created_by": "bootstrap", "hint": "kg_x…y",
            "hash": "00".repeat(32)
        }))
        .unwrap();
        r.name = format!("k{n}");
        r
    }

    fn at(s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, s).unwrap()
    }

    #[test]
    fn first_count_flushes_at_once_then_once_per_interval() {
        let m = UsageMeter::default();
        let k = record(1);
        let fact = |code, s| UsageFact {
            record: &k,
            code,
            limits: None,
            at: at(s),
        };
        m.record(&fact(VerifyCode::Valid, 0));
        let first = m
            .take_due(at(0), 60_000, false)
            .expect("an idle isolate writes at once");
        assert_eq!(
            first.keys["key_0000000000000001"].days["2026-12-01"]["VALID"],
            1
        );
        m.record(&fact(VerifyCode::Disabled, 10));
        assert!(
            m.take_due(at(10), 60_000, false).is_none(),
            "not twice within the interval"
        );
        assert!(m.has_pending());
        let trailing = m.take_due(at(20), 60_000, true).unwrap();
        assert_eq!(
            trailing.keys["key_0000000000000001"].days["2026-12-01"]["DISABLED"],
            1
        );
        assert_eq!(
            trailing.keys["key_0000000000000001"].last_used, None,
            "only valid ones are a use"
        );
        assert!(!m.has_pending());
    }

    #[test]
    fn a_failed_write_is_put_back_and_adds_up() {
        let m = UsageMeter::default();
        let k = record(2);
        m.record(&UsageFact {
            record: &k,
            code: VerifyCode::Valid,
            limits: None,
            at: at(0),
        });
        let batch = m.take_due(at(0), 0, true).unwrap();
        m.record(&UsageFact {
            record: &k,
            code: VerifyCode::Valid,
            limits: None,
            at: at(5),
        });
        m.restore(batch);
        let again = m.take_due(at(6), 0, true).unwrap();
        let usage = &again.keys["key_0000000000000002"];
        assert_eq!(usage.days["2026-12-01"]["VALID"], 2);
        assert_eq!(usage.last_used, Some(at(5).timestamp_millis()));
    }

    #[test]
    fn a_flush_takes_at_most_its_share_of_keys() {
        let m = UsageMeter::default();
        let keys: Vec<KeyRecord> = (0..3).map(record).collect();
        let many: Vec<KeyRecord> = (0..KEYS_PER_FLUSH + 5)
            .map(|n| {
                let mut r = keys[n % 3].clone();
                r.id = format!("key_{:016}", 1000 + n).parse().unwrap();
                r
            })
            .collect();
        for r in &many {
            m.record(&UsageFact {
                record: r,
                code: VerifyCode::Valid,
                limits: None,
                at: at(0),
            });
        }
        assert_eq!(
            m.take_due(at(0), 0, true).unwrap().keys.len(),
            KEYS_PER_FLUSH
        );
        assert_eq!(m.take_due(at(1), 0, true).unwrap().keys.len(), 5);
    }
}
