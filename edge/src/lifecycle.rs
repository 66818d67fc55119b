//! The daily cron (§6): expiry notices at 30/14/7/3/1 days and the purge
//! of expired keys.
//!
//! Notice rules:
//! - A threshold counts only if the key was created more than that many
//!   days before its expiry: a key created with 5 days left gets the 3-
//!   and 1-day notices, never the 30/14/7 ones.
//! - When runs were missed and several thresholds are due at once, only
//!   the nearest one is sent and the farther ones are marked done: one
//!   notice, not a burst of stale ones.
//! - A threshold is marked done only after the webhook accepted it (2xx);
//!   a failure is retried on the next run. The `key.expiring` audit event
//!   is written with the mark, so it is recorded once.

use chrono::{DateTime, Duration, Utc};
use keygate_shared::{ApiError, AuditEvent, ErrorCode, KeyRecord, KeyView};
use serde::Serialize;

use crate::repo::Repo;
use crate::store::Kv;

/// Days before expiry at which notices go out.
pub const THRESHOLDS: [u32; 5] = [30, 14, 7, 3, 1];
/// Actor of the cron's audit events.
pub const CRON_ACTOR: &str = "cron";

/// Sends a notice to the webhook.
#[allow(async_fn_in_trait)] // single-threaded, one implementation per target
pub trait Notifier {
    /// POSTs `body` (JSON) to `url`; `Err` unless the answer was 2xx.
    async fn post_json(&self, url: &str, body: &str) -> Result<(), String>;
}

/// The webhook body of an expiry notice.
#[derive(Debug, Serialize)]
pub struct ExpiringNotice<'a> {
    /// Always `key.expiring`.
    pub event: &'static str,
    /// The threshold reached.
    pub days_left: u32,
    /// The key.
    pub key: &'a KeyView,
}

/// The threshold due for `record` at `now`, if any, and the thresholds it
/// settles (it and every farther one not yet done).
#[must_use]
pub fn due_notice(record: &KeyRecord, now: DateTime<Utc>) -> Option<(u32, Vec<u32>)> {
    let expires = record.expires_at?;
    if expires <= now {
        return None;
    }
    let lifetime = expires - record.created_at;
    let eligible =
        |t: u32| lifetime > Duration::days(i64::from(t)) && !record.notified_days.contains(&t);
    let reached: Vec<u32> = THRESHOLDS
        .iter()
        .copied()
        .filter(|&t| expires - now <= Duration::days(i64::from(t)) && eligible(t))
        .collect();
    let nearest = *reached.iter().min()?;
    Some((nearest, reached))
}

/// What a cron run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct CronReport {
    /// Notices delivered (key id, days).
    pub notified: Vec<(String, u32)>,
    /// Notices whose webhook failed (retried next run).
    pub failed: Vec<(String, u32)>,
    /// Expired keys deleted.
    pub purged: Vec<String>,
}

fn event(
    now: DateTime<Utc>,
    action: &str,
    record: &KeyRecord,
    details: serde_json::Map<String, serde_json::Value>,
) -> AuditEvent {
    AuditEvent::for_key(record, now, CRON_ACTOR, action, details)
}

/// One cron run over every key.
///
/// # Errors
/// `UNAVAILABLE` when storage fails (the run stops; the next one resumes).
pub async fn run<K: Kv, N: Notifier>(
    kv: &K,
    notifier: &N,
    webhook: Option<&str>,
    now: DateTime<Utc>,
) -> Result<CronReport, ApiError> {
    let repo = Repo::new(kv);
    let unavailable = |e: crate::store::StoreError| {
        crate::log::error(&format!("cron: storage failed: {}", e.0));
        ApiError::new(ErrorCode::Unavailable, "Key storage is unavailable.")
    };
    let mut report = CronReport::default();
    for record in repo.all().await.map_err(unavailable)? {
        if record.expires_at.is_some_and(|at| at <= now) {
            repo.remove(&record).await.map_err(unavailable)?;
            repo.audit(&event(now, "key.expired", &record, serde_json::Map::new()))
                .await
                .map_err(unavailable)?;
            report.purged.push(record.id);
            continue;
        }
        let Some((days, settles)) = due_notice(&record, now) else {
            continue;
        };
        if let Some(url) = webhook {
            let view = record.view(now);
            let body = serde_json::to_string(&ExpiringNotice {
                event: "key.expiring",
                days_left: days,
                key: &view,
            })
            .map_err(|_| ApiError::new(ErrorCode::Internal, "notice does not encode"))?;
            if notifier.post_json(url, &body).await.is_err() {
                report.failed.push((record.id, days));
                continue;
            }
        }
        // The list above is a snapshot from before the webhook call: write
        // only the notice bookkeeping, over a fresh copy, so a disable,
        // roll or delete made meanwhile is never undone.
        let Some(record) = repo
            .modify(&record.id, &record.hash, now, &|r| {
                for t in &settles {
                    if !r.notified_days.contains(t) {
                        r.notified_days.push(*t);
                    }
                }
            })
            .await
            .map_err(unavailable)?
        else {
            continue;
        };
        let mut details = serde_json::Map::new();
        details.insert("days_left".into(), days.into());
        repo.audit(&event(now, "key.expiring", &record, details))
            .await
            .map_err(unavailable)?;
        report.notified.push((record.id, days));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryKv;
    use chrono::TimeZone;
    use std::cell::RefCell;

    /// Records webhook bodies; fails while `fail` is set.
    #[derive(Default)]
    struct Webhook {
        sent: RefCell<Vec<serde_json::Value>>,
        fail: std::cell::Cell<bool>,
    }

    impl Notifier for Webhook {
        async fn post_json(&self, _url: &str, body: &str) -> Result<(), String> {
            if self.fail.get() {
                return Err("503".into());
            }
            self.sent
                .borrow_mut()
                .push(serde_json::from_str(body).map_err(|e| e.to_string())?);
            Ok(())
        }
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 3, 0, 0).unwrap()
    }

    fn key(created: DateTime<Utc>, lifetime_days: i64) -> KeyRecord {
        KeyRecord {
            id: keygate_shared::token::new_key_id().unwrap(),
            name: "k".into(),
            description: String::new(),
            organization: "acme".into(),
            group: None,
            roles: vec![],
            ip_allowlist: vec![],
            enabled: true,
            created_at: created,
            created_by: "bootstrap".into(),
            expires_at: Some(created + Duration::days(lifetime_days)),
            hint: "kg_x…y".into(),
            hash: format!("{:064}", lifetime_days),
            notified_days: vec![],
            meta: serde_json::Map::new(),
        }
    }

    /// Runs the cron once a day from `t0` for `days` days; returns the
    /// (day, threshold) of every notice delivered.
    fn daily(kv: &MemoryKv, hook: &Webhook, days: i64, skip: &[i64]) -> Vec<(i64, u32)> {
        let mut out = Vec::new();
        for day in 0..days {
            if skip.contains(&day) {
                continue;
            }
            let report = pollster::block_on(run(
                kv,
                hook,
                Some("http://127.0.0.1:9/hook"),
                t0() + Duration::days(day),
            ))
            .unwrap();
            out.extend(report.notified.into_iter().map(|(_, d)| (day, d)));
        }
        out
    }

    #[test]
    fn every_threshold_once() {
        let kv = MemoryKv::default();
        pollster::block_on(Repo::new(&kv).insert(&key(t0() - Duration::days(325), 365), t0()))
            .unwrap();
        let hook = Webhook::default();
        // Expires on day 40: notices on days 10, 26, 33, 37, 39.
        assert_eq!(
            daily(&kv, &hook, 45, &[]),
            [(10, 30), (26, 14), (33, 7), (37, 3), (39, 1)]
        );
        let bodies = hook.sent.borrow();
        assert_eq!(bodies[0]["event"], "key.expiring");
        assert_eq!(bodies[0]["days_left"], 30);
        assert_eq!(bodies[0]["key"]["status"], "active");
        assert!(bodies[0]["key"].get("hash").is_none());
    }

    #[test]
    fn created_inside_a_window_gets_only_the_nearer_notices() {
        let kv = MemoryKv::default();
        pollster::block_on(Repo::new(&kv).insert(&key(t0(), 5), t0())).unwrap();
        let hook = Webhook::default();
        assert_eq!(daily(&kv, &hook, 6, &[]), [(2, 3), (4, 1)]);
    }

    #[test]
    fn missed_days_send_one_notice_not_a_burst() {
        let kv = MemoryKv::default();
        pollster::block_on(Repo::new(&kv).insert(&key(t0() - Duration::days(325), 365), t0()))
            .unwrap();
        let hook = Webhook::default();
        // The cron is down from day 9 to day 34: on day 35 only the 7-day notice goes.
        let skip: Vec<i64> = (9..35).collect();
        assert_eq!(daily(&kv, &hook, 41, &skip), [(35, 7), (37, 3), (39, 1)]);
    }

    #[test]
    fn webhook_failure_is_retried_and_never_sent_twice() {
        let kv = MemoryKv::default();
        pollster::block_on(Repo::new(&kv).insert(&key(t0(), 20), t0())).unwrap();
        let hook = Webhook::default();
        hook.fail.set(true);
        let day6 = t0() + Duration::days(6);
        let r = pollster::block_on(run(&kv, &hook, Some("http://127.0.0.1:9/hook"), day6)).unwrap();
        assert_eq!((r.notified.len(), r.failed.len()), (0, 1));
        hook.fail.set(false);
        let r = pollster::block_on(run(
            &kv,
            &hook,
            Some("http://127.0.0.1:9/hook"),
            day6 + Duration::hours(1),
        ))
        .unwrap();
        assert_eq!(r.notified.len(), 1);
        let r = pollster::block_on(run(
            &kv,
            &hook,
            Some("http://127.0.0.1:9/hook"),
            day6 + Duration::hours(2),
        ))
        .unwrap();
        assert!(r.notified.is_empty(), "not twice");
        assert_eq!(hook.sent.borrow().len(), 1);
        let (events, _) = pollster::block_on(Repo::new(&kv).audit_page(None, None, 100)).unwrap();
        assert_eq!(
            events.iter().filter(|e| e.action == "key.expiring").count(),
            1
        );
    }

    #[test]
    fn expired_keys_are_purged_with_an_event() {
        let kv = MemoryKv::default();
        let k = key(t0(), 2);
        pollster::block_on(Repo::new(&kv).insert(&k, t0())).unwrap();
        let hook = Webhook::default();
        let r = pollster::block_on(run(&kv, &hook, None, t0() + Duration::days(2))).unwrap();
        assert_eq!(r.purged, std::slice::from_ref(&k.id));
        assert!(kv
            .keys()
            .iter()
            .all(|name| !name.starts_with("k/") && !name.starts_with("h/")));
        let (events, _) =
            pollster::block_on(Repo::new(&kv).audit_page(Some(&k.id), None, 10)).unwrap();
        assert_eq!(events[0].action, "key.expired");
    }
}
