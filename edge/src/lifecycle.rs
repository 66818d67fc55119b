//! The cron (§6, hourly): the purge of expired keys, expiry notices at
//! 30/14/7/3/1 days, and a share of the reconciliation of KV with D1.
//!
//! Which notice is due when is `keygate_shared::rules::notices`. Here:
//! - A threshold is marked done only after the webhook accepted it (2xx);
//!   a failure is retried on the next run. The `key.expiring` audit event
//!   is written with the mark, so it is recorded once.

use chrono::{DateTime, Utc};
use keygate_shared::{ApiError, AuditAction, AuditEvent, ErrorCode, KeyId, KeyRecord, KeyView};
use serde::Serialize;

use crate::limiter::Limiter;
use crate::repo::Repo;
use crate::sql::Db;
use crate::store::Kv;

pub use keygate_shared::rules::notices::{due_notice, THRESHOLDS};
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

/// What a cron run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct CronReport {
    /// Notices delivered (key id, days).
    pub notified: Vec<(KeyId, u32)>,
    /// Notices whose webhook failed (retried next run).
    pub failed: Vec<(KeyId, u32)>,
    /// Expired keys deleted.
    pub purged: Vec<KeyId>,
    /// What the reconciliation step found and fixed (`None`: it failed).
    pub reconciled: Option<crate::repo::Reconciled>,
    /// Whether this run stopped at a budget (the next run goes on).
    pub more: bool,
}

/// Keys one run purges, and keys it sends notices for, at most: with the
/// reconciliation pass this keeps a run within one invocation's storage
/// operations (README "Cron at scale"); the next hourly run goes on.
pub const PER_RUN: usize = 50;
/// Pages of 1,000 keys one run's reconciliation walks (the next run goes
/// on from there): 100,000 keys are all looked at every 10 hours.
pub const RECONCILE_PAGES_PER_RUN: usize = 10;

fn event(
    now: DateTime<Utc>,
    action: AuditAction,
    record: &KeyRecord,
    details: serde_json::Map<String, serde_json::Value>,
) -> AuditEvent {
    AuditEvent::for_key(record, now, CRON_ACTOR, action, details)
}

/// A storage failure stops the run (the next one resumes); the cause is
/// logged by the caller (the cron's entry point).
fn unavailable(e: crate::store::StoreError) -> ApiError {
    crate::service::unavailable_after_write(e)
}

/// One cron run: purges keys past their expiry, sends the notices that
/// are due (each selecting only such keys, on an index), then walks a
/// bounded share of the reconciliation pass.
///
/// # Errors
/// `UNAVAILABLE` when storage fails (the run stops; the next one resumes).
pub async fn run<K: Kv, D: Db, N: Notifier>(
    repo: &Repo<'_, K, D>,
    notifier: &N,
    webhook: Option<&str>,
    limiter: Option<&dyn Limiter>,
    now: DateTime<Utc>,
) -> Result<CronReport, ApiError> {
    let mut report = CronReport::default();
    let expired = repo.expired(now, PER_RUN + 1).await.map_err(unavailable)?;
    report.more = expired.len() > PER_RUN;
    // Keys removed before a storage failure still have their limiters
    // forgotten: the failure stops the run, not the cleanup of what it did
    // (the key it failed on too, if its row went: D1 decides).
    let mut tried = 0;
    let mut failure = None;
    for entry in expired.iter().take(PER_RUN) {
        tried += 1;
        let purged = async {
            repo.remove_entry(entry).await?;
            repo.audit(&entry.event(now, CRON_ACTOR, AuditAction::Expired))
                .await
        };
        if let Err(e) = purged.await {
            failure = Some(e);
            break;
        }
        report.purged.push(entry.id.clone());
    }
    let purged = expired.get(..tried).unwrap_or_default();
    crate::service::forget_limiters(repo, limiter, purged).await;
    if let Some(e) = failure {
        return Err(unavailable(e));
    }
    // Only keys whose next notice is due (an index walk on next_notice_at).
    let due = repo
        .due_for_notice(now, PER_RUN + 1)
        .await
        .map_err(unavailable)?;
    report.more |= due.len() > PER_RUN;
    for record in due.iter().take(PER_RUN) {
        let Some((days, settles)) = due_notice(record, now) else {
            continue;
        };
        notice(
            repo,
            notifier,
            webhook,
            now,
            record,
            days,
            &settles,
            &mut report,
        )
        .await?;
    }
    // Then a bounded share of the reconciliation pass; its failure is
    // logged and the run's own work stands.
    match repo
        .reconcile_step(now, PER_RUN as u64, RECONCILE_PAGES_PER_RUN)
        .await
    {
        Ok(r) => {
            report.more |= r.incomplete;
            report.reconciled = Some(r);
        }
        Err(e) => crate::log::error(&format!("cron: reconciliation stopped: {}", e.0)),
    }
    Ok(report)
}

/// Sends one notice and marks it done.
#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename them
async fn notice<K: Kv, D: Db, N: Notifier>(
    repo: &Repo<'_, K, D>,
    notifier: &N,
    webhook: Option<&str>,
    now: DateTime<Utc>,
    record: &KeyRecord,
    days: u32,
    settles: &[u32],
    report: &mut CronReport,
) -> Result<(), ApiError> {
    if let Some(url) = webhook {
        let view = record.view(now);
        let body = serde_json::to_string(&ExpiringNotice {
            event: "key.expiring",
            days_left: days,
            key: &view,
        })
        .map_err(|_| ApiError::new(ErrorCode::Internal, "notice does not encode"))?;
        if notifier.post_json(url, &body).await.is_err() {
            report.failed.push((record.id.clone(), days));
            return Ok(());
        }
    }
    // The page is a snapshot from before the webhook call: write only the
    // notice bookkeeping, over a fresh copy, so a disable, roll or delete
    // made meanwhile is never undone.
    let Some(record) = repo
        .modify(&record.id, &record.hash, now, &|r| {
            for t in settles {
                if !r.notified_days.contains(t) {
                    r.notified_days.push(*t);
                }
            }
        })
        .await
        .map_err(unavailable)?
    else {
        return Ok(());
    };
    let mut details = serde_json::Map::new();
    details.insert("days_left".into(), days.into());
    repo.audit(&event(now, AuditAction::Expiring, &record, details))
        .await
        .map_err(unavailable)?;
    report.notified.push((record.id, days));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::AuditFilter;
    use crate::sqlite::SqliteDb;
    use crate::store::MemoryKv;
    use chrono::Duration;
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
        let token = keygate_shared::Token::generate(&keygate_shared::Prefix::default()).unwrap();
        KeyRecord {
            name: "k".into(),
            organization: "acme".parse().unwrap(),
            expires_at: Some(created + Duration::days(lifetime_days)),
            ..KeyRecord::minted(
                keygate_shared::KeyId::generate().unwrap(),
                &token,
                created,
                "bootstrap",
            )
        }
    }

    /// Runs the cron once a day from `t0` for `days` days; returns the
    /// (day, threshold) of every notice delivered.
    fn daily(
        repo: &Repo<'_, MemoryKv, SqliteDb>,
        hook: &Webhook,
        days: i64,
        skip: &[i64],
    ) -> Vec<(i64, u32)> {
        let mut out = Vec::new();
        for day in 0..days {
            if skip.contains(&day) {
                continue;
            }
            let report = pollster::block_on(run(
                repo,
                hook,
                Some("http://127.0.0.1:9/hook"),
                None,
                t0() + Duration::days(day),
            ))
            .unwrap();
            out.extend(report.notified.into_iter().map(|(_, d)| (day, d)));
        }
        out
    }

    #[test]
    fn every_threshold_once() {
        let (kv, db) = (MemoryKv::default(), SqliteDb::new());
        let repo = Repo::new(&kv, &db);
        pollster::block_on(repo.insert_unlimited(&key(t0() - Duration::days(325), 365), t0()))
            .unwrap();
        let hook = Webhook::default();
        // Expires on day 40: notices on days 10, 26, 33, 37, 39.
        assert_eq!(
            daily(&repo, &hook, 45, &[]),
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
        let (kv, db) = (MemoryKv::default(), SqliteDb::new());
        let repo = Repo::new(&kv, &db);
        pollster::block_on(repo.insert_unlimited(&key(t0(), 5), t0())).unwrap();
        let hook = Webhook::default();
        assert_eq!(daily(&repo, &hook, 6, &[]), [(2, 3), (4, 1)]);
    }

    #[test]
    fn missed_days_send_one_notice_not_a_burst() {
        let (kv, db) = (MemoryKv::default(), SqliteDb::new());
        let repo = Repo::new(&kv, &db);
        pollster::block_on(repo.insert_unlimited(&key(t0() - Duration::days(325), 365), t0()))
            .unwrap();
        let hook = Webhook::default();
        // The cron is down from day 9 to day 34: on day 35 only the 7-day notice goes.
        let skip: Vec<i64> = (9..35).collect();
        assert_eq!(daily(&repo, &hook, 41, &skip), [(35, 7), (37, 3), (39, 1)]);
    }

    #[test]
    fn webhook_failure_is_retried_and_never_sent_twice() {
        let (kv, db) = (MemoryKv::default(), SqliteDb::new());
        let repo = Repo::new(&kv, &db);
        pollster::block_on(repo.insert_unlimited(&key(t0(), 20), t0())).unwrap();
        let hook = Webhook::default();
        hook.fail.set(true);
        let day6 = t0() + Duration::days(6);
        let r = pollster::block_on(run(
            &repo,
            &hook,
            Some("http://127.0.0.1:9/hook"),
            None,
            day6,
        ))
        .unwrap();
        assert_eq!((r.notified.len(), r.failed.len()), (0, 1));
        hook.fail.set(false);
        let r = pollster::block_on(run(
            &repo,
            &hook,
            Some("http://127.0.0.1:9/hook"),
            None,
            day6 + Duration::hours(1),
        ))
        .unwrap();
        assert_eq!(r.notified.len(), 1);
        let r = pollster::block_on(run(
            &repo,
            &hook,
            Some("http://127.0.0.1:9/hook"),
            None,
            day6 + Duration::hours(2),
        ))
        .unwrap();
        assert!(r.notified.is_empty(), "not twice");
        assert_eq!(hook.sent.borrow().len(), 1);
        let events = pollster::block_on(repo.audit_page(&AuditFilter {
            limit: 100,
            ..AuditFilter::default()
        }))
        .unwrap()
        .events;
        assert_eq!(
            events
                .iter()
                .filter(|e| e.action == AuditAction::Expiring)
                .count(),
            1
        );
    }

    #[test]
    fn expired_keys_are_purged_with_an_event() {
        let (kv, db) = (MemoryKv::default(), SqliteDb::new());
        let repo = Repo::new(&kv, &db);
        let k = key(t0(), 2);
        pollster::block_on(repo.insert_unlimited(&k, t0())).unwrap();
        let hook = Webhook::default();
        let r =
            pollster::block_on(run(&repo, &hook, None, None, t0() + Duration::days(2))).unwrap();
        assert_eq!(r.purged, std::slice::from_ref(&k.id));
        assert!(kv.keys().iter().all(|name| !name.starts_with("h/")));
        assert_eq!(pollster::block_on(repo.entry_by_id(&k.id)).unwrap(), None);
        let events = pollster::block_on(repo.audit_page(&AuditFilter {
            key_id: Some(&k.id),
            limit: 10,
            ..AuditFilter::default()
        }))
        .unwrap()
        .events;
        assert_eq!(events[0].action, AuditAction::Expired);
    }
}
