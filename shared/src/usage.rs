//! Usage controls (§9): a key's rate limit and credits, and the decision
//! that spends them. [`LimiterState::decide`] is a pure function of the
//! state, the key's limits, the request's cost and the time; the worker
//! runs it inside one Durable Object per limited key, which sees every
//! verification of that key in turn, so the counts hold globally and
//! exactly (N simultaneous verifications against `remaining: M` give
//! exactly `min(N, M)` successes).
//!
//! - Rate limit: at most `limit` verifications that would otherwise be
//!   `VALID` per fixed window of `period_seconds`, the windows aligned on
//!   multiples of the period since the Unix epoch (a 60 s limit resets at
//!   every whole minute). Exact within a window; across a window boundary
//!   up to `2 × limit` can pass in one period's length, as with any fixed
//!   window.
//! - Credits: each verification that passed everything else spends its
//!   cost; with less left than the cost it is `USAGE_EXCEEDED`. A refill
//!   sets `remaining` to `amount` at 00:00 UTC (daily) or on the 1st of the
//!   month (monthly). An administrator setting `credits` resets the count
//!   (the record's `credits_set_at` moves on; the object follows the
//!   newest one it has seen, so a stale copy of the record cannot undo it).

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Largest `rate_limit.limit`.
pub const MAX_RATE_LIMIT: u32 = 1_000_000;
/// Longest `rate_limit.period_seconds` (a day).
pub const MAX_PERIOD_SECONDS: u32 = 86_400;
/// Largest `credits.remaining` and `refill.amount`.
pub const MAX_CREDITS: u64 = 1_000_000_000_000;
/// Largest `cost` of one verification.
pub const MAX_COST: u32 = 1000;

/// `rate_limit` of a key (§2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Verifications per period, 1–1,000,000.
    #[serde(deserialize_with = "crate::whole::u32")]
    pub limit: u32,
    /// The period, 1–86,400 seconds.
    #[serde(deserialize_with = "crate::whole::u32")]
    pub period_seconds: u32,
}

/// How often credits refill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    /// At 00:00 UTC every day.
    Daily,
    /// At 00:00 UTC on the 1st of every month.
    Monthly,
}

impl Interval {
    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Monthly => "monthly",
        }
    }
}

impl std::str::FromStr for Interval {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "daily" => Ok(Self::Daily),
            "monthly" => Ok(Self::Monthly),
            _ => Err(()),
        }
    }
}

/// A credits refill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refill {
    /// What `remaining` is set to.
    #[serde(deserialize_with = "crate::whole::u64")]
    pub amount: u64,
    /// When.
    pub interval: Interval,
}

/// `credits` of a key (§2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credits {
    /// Credits left (as set; the limiter holds the live count).
    #[serde(deserialize_with = "crate::whole::u64")]
    pub remaining: u64,
    /// Refill, if any.
    #[serde(default)]
    pub refill: Option<Refill>,
}

/// Checks a `rate_limit` value.
///
/// # Errors
/// `INVALID_FIELD` on `rate_limit`.
pub fn check_rate_limit(r: &RateLimit) -> Result<(), ApiError> {
    if (1..=MAX_RATE_LIMIT).contains(&r.limit)
        && (1..=MAX_PERIOD_SECONDS).contains(&r.period_seconds)
    {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "rate_limit",
            format!(
                "rate_limit is {{\"limit\": 1 to {MAX_RATE_LIMIT}, \"period_seconds\": 1 to {MAX_PERIOD_SECONDS}}}."
            ),
        ))
    }
}

/// Checks a `credits` value.
///
/// # Errors
/// `INVALID_FIELD` on `credits`.
pub fn check_credits(c: &Credits) -> Result<(), ApiError> {
    let ok = c.remaining <= MAX_CREDITS && c.refill.is_none_or(|r| r.amount <= MAX_CREDITS);
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "credits",
            format!("credits.remaining and refill.amount are 0 to {MAX_CREDITS}."),
        ))
    }
}

/// What one verification asks of a key's limiter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitRequest {
    /// The key's rate limit, if any.
    pub rate_limit: Option<RateLimit>,
    /// The key's credits, if any.
    pub credits: Option<Credits>,
    /// When the credits were last set (Unix ms): a newer one resets them.
    pub credits_set_at: i64,
    /// What this verification costs (0–1000).
    pub cost: u32,
    /// Now (Unix ms).
    pub now: i64,
}

/// The verdict of the limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LimitCode {
    /// Within every limit (spent).
    Allowed,
    /// Over the rate limit.
    RateLimited,
    /// Not enough credits.
    UsageExceeded,
    /// Every key of this limiter was deleted ([`LimiterState::forget`]):
    /// a verification that still finds one (a stale cache or KV copy) is
    /// refused as unknown, never given the credits afresh.
    KeyDeleted,
}

/// The rate limit's state after a verification (§9 `rate_limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateState {
    /// The limit per period.
    pub limit: u32,
    /// Left in this window.
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset: u64,
}

/// The credits' state after a verification (§9 `credits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditState {
    /// Credits left.
    pub remaining: u64,
}

/// What the limiter answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitAnswer {
    /// The verdict.
    pub code: LimitCode,
    /// The rate limit's state, when the key has one.
    pub rate_limit: Option<RateState>,
    /// The credits' state, when the key has them.
    pub credits: Option<CreditState>,
    /// Seconds until a refused verification may pass (`Retry-After`);
    /// none for credits that never refill.
    pub retry_after: Option<u64>,
    /// Whether this verification exhausted the credits (first refusal
    /// since the last refill or reset: the `key.credits_exhausted` event).
    pub newly_exhausted: bool,
    /// The limiter's decision counter: reports of the credits' state are
    /// ordered by it.
    pub seq: u64,
}

/// The state one key's limiter keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimiterState {
    /// Start of the current rate window (Unix ms).
    pub window_start: i64,
    /// Verifications counted in it.
    pub window_count: u32,
    /// Credits left (`None`: not yet seen a key with credits).
    pub credits_remaining: Option<u64>,
    /// The `credits_set_at` these credits follow.
    pub credits_set_at: i64,
    /// The refill boundary last applied (Unix ms).
    pub refilled_at: i64,
    /// Whether the exhaustion was reported since the last refill or reset.
    pub exhausted: bool,
    /// Decisions made.
    pub seq: u64,
    /// When every key of this limiter was deleted (Unix ms): from then on
    /// it refuses everything, until its storage is cleared
    /// ([`FORGET_AFTER_MS`] later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
}

/// How long a deleted key's limiter keeps refusing before its storage is
/// cleared: well past the longest a deleted key can still be read
/// somewhere (the in-isolate cache, at most 300 s, and Workers KV's
/// propagation, about 60 s), so no stale reader can start it afresh.
pub const FORGET_AFTER_MS: i64 = 60 * 60 * 1000;

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// The last refill boundary at or before `now` (Unix ms).
#[must_use]
pub fn last_refill(interval: Interval, now: i64) -> i64 {
    let t = at(now);
    let day = t.date_naive();
    let start = match interval {
        Interval::Daily => day,
        Interval::Monthly => day.with_day(1).unwrap_or(day),
    };
    start
        .and_hms_opt(0, 0, 0)
        .map_or(now, |d| d.and_utc().timestamp_millis())
}

/// The next refill boundary after `now` (Unix ms).
#[must_use]
pub fn next_refill(interval: Interval, now: i64) -> i64 {
    let last = at(last_refill(interval, now));
    let next = match interval {
        Interval::Daily => last + Duration::days(1),
        Interval::Monthly => {
            let (y, m) = if last.month() == 12 {
                (last.year() + 1, 1)
            } else {
                (last.year(), last.month() + 1)
            };
            Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0)
                .single()
                .unwrap_or(last + Duration::days(31))
        }
    };
    next.timestamp_millis()
}

fn seconds_until(from: i64, to: i64) -> u64 {
    u64::try_from((to - from + 999) / 1000).unwrap_or(0)
}

impl LimiterState {
    /// Marks the limiter's keys deleted at `now` (the first time counts):
    /// it refuses from then on.
    pub fn forget(&mut self, now: i64) {
        self.deleted_at.get_or_insert(now);
    }

    /// Decides one verification and updates the state.
    pub fn decide(&mut self, req: &LimitRequest) -> LimitAnswer {
        self.seq += 1;
        let mut answer = LimitAnswer {
            code: LimitCode::Allowed,
            rate_limit: None,
            credits: None,
            retry_after: None,
            newly_exhausted: false,
            seq: self.seq,
        };
        if self.deleted_at.is_some() {
            answer.code = LimitCode::KeyDeleted;
            return answer;
        }
        if let Some(rate) = req.rate_limit {
            let period = i64::from(rate.period_seconds.max(1)) * 1000;
            // Windows only move forward: a verification stamped before a
            // boundary that arrives after one stamped past it counts in
            // the newer window, never resets it.
            let window = (req.now - req.now.rem_euclid(period)).max(self.window_start);
            if window > self.window_start {
                self.window_start = window;
                self.window_count = 0;
            }
            let end = window + period;
            if self.window_count >= rate.limit {
                answer.code = LimitCode::RateLimited;
                answer.retry_after = Some(seconds_until(req.now, end).max(1));
            } else {
                self.window_count += 1;
            }
            answer.rate_limit = Some(RateState {
                limit: rate.limit,
                remaining: rate.limit.saturating_sub(self.window_count),
                reset: seconds_until(req.now, end),
            });
        }
        if let Some(credits) = req.credits {
            // A newer setting by an administrator resets the count.
            if self.credits_remaining.is_none() || req.credits_set_at > self.credits_set_at {
                self.credits_remaining = Some(credits.remaining);
                self.credits_set_at = req.credits_set_at;
                self.exhausted = false;
                self.refilled_at = credits
                    .refill
                    .map_or(0, |r| last_refill(r.interval, req.credits_set_at.max(0)));
            }
            if let Some(refill) = credits.refill {
                let boundary = last_refill(refill.interval, req.now);
                if boundary > self.refilled_at {
                    self.credits_remaining = Some(refill.amount);
                    self.refilled_at = boundary;
                    self.exhausted = false;
                }
            }
            let remaining = self.credits_remaining.unwrap_or(0);
            let cost = u64::from(req.cost);
            if answer.code == LimitCode::Allowed {
                // At 0 nothing passes, whatever the cost (§9).
                if remaining < cost || remaining == 0 {
                    answer.code = LimitCode::UsageExceeded;
                    answer.retry_after = credits
                        .refill
                        .map(|r| seconds_until(req.now, next_refill(r.interval, req.now)).max(1));
                    answer.newly_exhausted = !self.exhausted;
                    self.exhausted = true;
                } else {
                    self.credits_remaining = Some(remaining - cost);
                }
            }
            answer.credits = Some(CreditState {
                remaining: self.credits_remaining.unwrap_or(0),
            });
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> i64 {
        Utc.with_ymd_and_hms(y, m, d, h, min, s)
            .unwrap()
            .timestamp_millis()
    }

    fn req(rate: Option<RateLimit>, credits: Option<Credits>, now: i64) -> LimitRequest {
        LimitRequest {
            rate_limit: rate,
            credits,
            credits_set_at: 1,
            cost: 1,
            now,
        }
    }

    #[test]
    fn a_rate_limit_is_exact_within_its_window_and_resets_on_the_next() {
        let rate = Some(RateLimit {
            limit: 3,
            period_seconds: 60,
        });
        let mut s = LimiterState::default();
        let t = ms(2026, 12, 1, 10, 0, 10);
        let codes: Vec<LimitCode> = (0..5).map(|_| s.decide(&req(rate, None, t)).code).collect();
        assert_eq!(
            codes,
            [
                LimitCode::Allowed,
                LimitCode::Allowed,
                LimitCode::Allowed,
                LimitCode::RateLimited,
                LimitCode::RateLimited
            ]
        );
        let refused = s.decide(&req(rate, None, t));
        assert_eq!(refused.retry_after, Some(50), "until the whole minute");
        assert_eq!(
            refused.rate_limit,
            Some(RateState {
                limit: 3,
                remaining: 0,
                reset: 50
            })
        );
        let next = s.decide(&req(rate, None, ms(2026, 12, 1, 10, 1, 0)));
        assert_eq!(
            (next.code, next.rate_limit.unwrap().remaining),
            (LimitCode::Allowed, 2)
        );
    }

    #[test]
    fn credits_are_spent_by_cost_and_refused_once_short() {
        let credits = Some(Credits {
            remaining: 5,
            refill: None,
        });
        let mut s = LimiterState::default();
        let t = ms(2026, 12, 1, 10, 0, 0);
        let mut r = req(None, credits, t);
        r.cost = 2;
        let a = s.decide(&r);
        assert_eq!(
            (a.code, a.credits.unwrap().remaining),
            (LimitCode::Allowed, 3)
        );
        let b = s.decide(&r);
        assert_eq!(
            (b.code, b.credits.unwrap().remaining),
            (LimitCode::Allowed, 1)
        );
        let c = s.decide(&r);
        assert_eq!(
            (c.code, c.retry_after, c.newly_exhausted),
            (LimitCode::UsageExceeded, None, true)
        );
        let d = s.decide(&r);
        assert!(!d.newly_exhausted, "reported once per exhaustion");
        r.cost = 0;
        assert_eq!(
            s.decide(&r).code,
            LimitCode::Allowed,
            "a cost of 0 passes while credits are left"
        );
        r.cost = 1;
        assert_eq!(
            s.decide(&r).code,
            LimitCode::Allowed,
            "one left for a cost of 1"
        );
        r.cost = 0;
        assert_eq!(
            s.decide(&r).code,
            LimitCode::UsageExceeded,
            "at 0 nothing passes, whatever the cost"
        );
    }

    #[test]
    fn a_rate_limited_verification_spends_no_credits() {
        let rate = Some(RateLimit {
            limit: 1,
            period_seconds: 10,
        });
        let credits = Some(Credits {
            remaining: 10,
            refill: None,
        });
        let mut s = LimiterState::default();
        let t = ms(2026, 12, 1, 10, 0, 0);
        assert_eq!(
            s.decide(&req(rate, credits, t)).credits.unwrap().remaining,
            9
        );
        let limited = s.decide(&req(rate, credits, t));
        assert_eq!(limited.code, LimitCode::RateLimited);
        assert_eq!(limited.credits.unwrap().remaining, 9);
    }

    #[test]
    fn refills_daily_at_midnight_and_monthly_on_the_first() {
        let daily = Some(Credits {
            remaining: 1,
            refill: Some(Refill {
                amount: 3,
                interval: Interval::Daily,
            }),
        });
        let mut s = LimiterState::default();
        let mut r = req(None, daily, ms(2026, 12, 1, 23, 59, 0));
        r.credits_set_at = ms(2026, 12, 1, 12, 0, 0);
        assert_eq!(s.decide(&r).code, LimitCode::Allowed);
        let short = s.decide(&r);
        assert_eq!(short.code, LimitCode::UsageExceeded);
        assert_eq!(short.retry_after, Some(60), "until 00:00 UTC");
        r.now = ms(2026, 12, 2, 0, 0, 0);
        let refilled = s.decide(&r);
        assert_eq!(
            (refilled.code, refilled.credits.unwrap().remaining),
            (LimitCode::Allowed, 2)
        );
        assert_eq!(
            next_refill(Interval::Monthly, ms(2026, 12, 15, 8, 0, 0)),
            ms(2027, 1, 1, 0, 0, 0)
        );
        assert_eq!(
            last_refill(Interval::Monthly, ms(2026, 12, 15, 8, 0, 0)),
            ms(2026, 12, 1, 0, 0, 0)
        );
        assert_eq!(
            next_refill(Interval::Daily, ms(2026, 2, 28, 8, 0, 0)),
            ms(2026, 3, 1, 0, 0, 0)
        );
    }

    #[test]
    fn a_newer_setting_resets_and_a_stale_one_does_not() {
        let credits = |n| {
            Some(Credits {
                remaining: n,
                refill: None,
            })
        };
        let mut s = LimiterState::default();
        let t = ms(2026, 12, 1, 10, 0, 0);
        let mut r = req(None, credits(1), t);
        r.credits_set_at = 100;
        assert_eq!(s.decide(&r).code, LimitCode::Allowed);
        assert_eq!(s.decide(&r).code, LimitCode::UsageExceeded);
        // An administrator set 10 (newer); a stale copy of the old record
        // arriving later does not bring the old count back.
        let mut newer = req(None, credits(10), t);
        newer.credits_set_at = 200;
        assert_eq!(s.decide(&newer).credits.unwrap().remaining, 9);
        let mut stale = req(None, credits(1), t);
        stale.credits_set_at = 100;
        assert_eq!(s.decide(&stale).credits.unwrap().remaining, 8);
    }

    #[test]
    fn n_verifications_against_m_credits_give_min_n_m() {
        for (n, m) in [(10u64, 3u64), (3, 10), (7, 7), (1, 0)] {
            let mut s = LimiterState::default();
            let credits = Some(Credits {
                remaining: m,
                refill: None,
            });
            let ok = (0..n)
                .filter(|_| s.decide(&req(None, credits, 1)).code == LimitCode::Allowed)
                .count() as u64;
            assert_eq!(ok, n.min(m));
        }
    }

    #[test]
    fn a_forgotten_limiter_refuses_even_a_newer_setting_and_counts_nothing() {
        let credits = |remaining| {
            Some(Credits {
                remaining,
                refill: None,
            })
        };
        let t = ms(2026, 12, 1, 10, 0, 0);
        let mut s = LimiterState::default();
        assert_eq!(
            s.decide(&req(None, credits(0), t)).code,
            LimitCode::UsageExceeded
        );
        s.forget(t);
        s.forget(t + 5);
        assert_eq!(s.deleted_at, Some(t), "the first deletion counts");
        // A stale copy of the record, even one with fresh credits, does not
        // start the limiter afresh.
        let mut fresh = req(None, credits(10), t + 1);
        fresh.credits_set_at = t + 1;
        let answer = s.decide(&fresh);
        assert_eq!(answer.code, LimitCode::KeyDeleted);
        assert_eq!(answer.credits, None);
        assert_eq!(s.credits_remaining, Some(0));
        let rated = req(
            Some(RateLimit {
                limit: 5,
                period_seconds: 60,
            }),
            None,
            t + 2,
        );
        assert_eq!(s.decide(&rated).code, LimitCode::KeyDeleted);
        assert_eq!(s.window_count, 0);
        // The mark survives the object's storage round trip.
        let stored: LimiterState =
            serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(stored, s);
        let old: LimiterState = serde_json::from_str(r#"{"window_start":0,"window_count":0,"credits_remaining":null,"credits_set_at":0,"refilled_at":0,"exhausted":false,"seq":0}"#).unwrap();
        assert_eq!(
            old.deleted_at, None,
            "state stored before the mark existed still reads"
        );
    }
}
