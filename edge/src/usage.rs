//! Last use and usage per day (§9), counted without a storage write per
//! verification: each isolate counts in memory ([`UsageMeter`]) and writes
//! what it counted to D1 in the background at most once per flush
//! interval (`USAGE_FLUSH_SECONDS`, default 60), after the answer went out
//! (`waitUntil`). What an isolate counted since its last flush is lost if
//! the runtime evicts it first: at most one flush interval of that
//! isolate's verifications (README "Usage").
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

/// Counts of one key on one day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayCounts {
    /// Verifications that passed.
    pub valid: u64,
    /// Refusals by code.
    pub rejected: BTreeMap<&'static str, u64>,
}

/// What one flush writes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageBatch {
    /// Counts by (key id, `YYYY-MM-DD`).
    pub days: BTreeMap<(String, String), DayCounts>,
    /// Last passing verification by key id (Unix ms).
    pub last_used: BTreeMap<String, i64>,
    /// Credits left by key id: (limiter decision counter, remaining).
    pub credits: BTreeMap<String, (u64, u64)>,
    /// `key.credits_exhausted` events.
    pub events: Vec<AuditEvent>,
}

impl UsageBatch {
    /// Whether there is nothing to write.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.days.is_empty() && self.credits.is_empty() && self.events.is_empty()
    }
}

/// Actor of `key.credits_exhausted` events.
pub const LIMITER_ACTOR: &str = "limiter";

/// An isolate's counts since its last flush.
#[derive(Debug, Default)]
pub struct UsageMeter {
    pending: RefCell<UsageBatch>,
    last_flush: Cell<i64>,
}

impl Meter for UsageMeter {
    fn record(&self, fact: &UsageFact<'_>) {
        let mut p = self.pending.borrow_mut();
        let id = fact.record.id.to_string();
        let day = fact.at.format("%Y-%m-%d").to_string();
        let counts = p.days.entry((id.clone(), day)).or_default();
        if fact.code == VerifyCode::Valid {
            counts.valid += 1;
            let ms = fact.at.timestamp_millis();
            let last = p.last_used.entry(id.clone()).or_insert(ms);
            *last = (*last).max(ms);
        } else {
            *counts.rejected.entry(fact.code.as_str()).or_insert(0) += 1;
        }
        if let Some(answer) = fact.limits {
            if let Some(c) = answer.credits {
                let newest = p.credits.get(&id).is_none_or(|(seq, _)| *seq < answer.seq);
                if newest {
                    p.credits.insert(id.clone(), (answer.seq, c.remaining));
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
    /// What was counted since the last flush, if `interval_ms` has passed
    /// since then (or `force`); the meter starts counting afresh.
    pub fn take_due(
        &self,
        now: DateTime<Utc>,
        interval_ms: i64,
        force: bool,
    ) -> Option<UsageBatch> {
        let now = now.timestamp_millis();
        if self.last_flush.get() == 0 {
            // The first verification of an isolate starts its interval.
            self.last_flush.set(now);
        }
        let due = force || now - self.last_flush.get() >= interval_ms;
        if !due || self.pending.borrow().is_empty() {
            return None;
        }
        self.last_flush.set(now);
        Some(std::mem::take(&mut *self.pending.borrow_mut()))
    }

    /// Puts back a batch whose write failed, so the next flush tries it
    /// again (counts add up; the newer credits report wins).
    pub fn restore(&self, batch: UsageBatch) {
        let mut p = self.pending.borrow_mut();
        for (k, c) in batch.days {
            let into = p.days.entry(k).or_default();
            into.valid += c.valid;
            for (code, n) in c.rejected {
                *into.rejected.entry(code).or_insert(0) += n;
            }
        }
        for (k, t) in batch.last_used {
            let last = p.last_used.entry(k).or_insert(t);
            *last = (*last).max(t);
        }
        for (k, (seq, left)) in batch.credits {
            if p.credits.get(&k).is_none_or(|(s, _)| *s < seq) {
                p.credits.insert(k, (seq, left));
            }
        }
        p.events.extend(batch.events);
    }
}

/// Counts kept for tests: every fact's key id and code.
#[derive(Debug, Default)]
pub struct RecordingMeter {
    /// (key id, code) of every verification counted.
    pub seen: RefCell<Vec<(String, VerifyCode)>>,
}

impl Meter for RecordingMeter {
    fn record(&self, fact: &UsageFact<'_>) {
        self.seen
            .borrow_mut()
            .push((fact.record.id.to_string(), fact.code));
    }
}
