//! Reconciliation: makes the KV projections match the D1 rows. Both are
//! walked in token-hash order (a KV list of `h/` with each projection's
//! row version in its metadata, and the `keys` table by hash), so a pass
//! costs one list and one query per 1,000 keys plus the fixes, each of
//! which re-reads its row first ([`Repo::settle`]), so a write landing
//! during the pass is never undone. The cron walks a bounded part of the
//! keys per run and goes on from there in the next
//! ([`Repo::reconcile_step`]); `keygate reconcile` walks them all.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Repo, BY_HASH};
use crate::sql::{int, text, Db, Statement};
use crate::store::{Kv, StoreResult};

/// What a pass found and fixed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reconciled {
    /// Rows looked at.
    pub rows: u64,
    /// Rows with no projection: projection written.
    pub missing_written: u64,
    /// Projections of an older version of their row: rewritten.
    pub stale_rewritten: u64,
    /// Projections with no row: removed.
    pub orphans_removed: u64,
    /// Entries whose fix failed (logged and skipped; the next pass tries
    /// them again).
    pub failed: u64,
    /// Whether the pass stopped at its budget (the next pass goes on).
    pub incomplete: bool,
}

const PAGE: usize = 1000;
/// Failed fixes after which a pass stops (storage is failing, not one key).
const MAX_FAILED: u64 = 10;

/// Which projections with no row a pass removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Orphans {
    /// Every one (`keygate reconcile`, run by an operator).
    All,
    /// Only those this admin plane wrote (with a row version in their
    /// metadata): the cron never removes the entries of a deployment made
    /// before D1 that `keygate migrate-to-d1` has not imported yet.
    Versioned,
}
/// The `cron_state` entry of the cron's pass.
const STATE: &str = "reconcile";

/// Where a bounded pass stopped: the KV list cursor of the next page and
/// the last token hash handled (rows are read from there). No `Debug`: it
/// holds a hash.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Mark {
    kv_cursor: Option<String>,
    last_hash: String,
}

struct Projection {
    hash: String,
    version: Option<i64>,
}

struct RowHead {
    hash: String,
    id: String,
    version: i64,
}

impl<K: Kv, D: Db> Repo<'_, K, D> {
    async fn kv_page(
        &self,
        cursor: &mut Option<String>,
        done: &mut bool,
    ) -> StoreResult<VecDeque<Projection>> {
        let page = self.kv.list(BY_HASH, cursor.as_deref(), PAGE).await?;
        *done = page.cursor.is_none();
        *cursor = page.cursor;
        Ok(page
            .keys
            .into_iter()
            .map(|l| Projection {
                hash: l.name.trim_start_matches(BY_HASH).to_owned(),
                version: l
                    .metadata
                    .as_ref()
                    .and_then(|m| m.get("v"))
                    .and_then(serde_json::Value::as_i64),
            })
            .collect())
    }

    async fn row_page(&self, after: &str) -> StoreResult<VecDeque<RowHead>> {
        let rows = self
            .db
            .query(Statement::new(
                "SELECT hash, id, version FROM keys WHERE hash > ? ORDER BY hash LIMIT ?",
                vec![after.into(), i64::try_from(PAGE).unwrap_or(1000).into()],
            ))
            .await?;
        Ok(rows
            .iter()
            .map(|r| RowHead {
                hash: text(r, "hash").unwrap_or("").to_owned(),
                id: text(r, "id").unwrap_or("").to_owned(),
                version: int(r, "version").unwrap_or(0),
            })
            .collect())
    }

    /// A whole reconciliation pass from the first key, fixing at most
    /// `budget` entries (`keygate reconcile`).
    pub async fn reconcile(&self, now: DateTime<Utc>, budget: u64) -> StoreResult<Reconciled> {
        let (report, _) = self
            .reconcile_from(Mark::default(), now, budget, usize::MAX, Orphans::All)
            .await?;
        Ok(report)
    }

    /// The cron's share of a pass: goes on from where the last run stopped
    /// (kept in D1's `cron_state`), walks at most `pages` pages of 1,000
    /// keys and fixes at most `budget` entries, then records where it
    /// stopped; after the last key the next run starts again from the first.
    pub async fn reconcile_step(
        &self,
        now: DateTime<Utc>,
        budget: u64,
        pages: usize,
    ) -> StoreResult<Reconciled> {
        let saved = self
            .db
            .query(Statement::new(
                "SELECT value FROM cron_state WHERE name = ?",
                vec![STATE.into()],
            ))
            .await?;
        let mark: Mark = saved
            .first()
            .and_then(|r| text(r, "value"))
            .and_then(|v| serde_json::from_str(v).ok())
            .unwrap_or_default();
        let resumed = mark != Mark::default();
        let walked = self
            .reconcile_from(mark, now, budget, pages, Orphans::Versioned)
            .await;
        let (report, stopped) = match walked {
            Ok(done) => done,
            Err(e) => {
                // A list cursor KV no longer takes must not stop every
                // later run: forget it, the next run starts from the first key.
                if resumed {
                    self.save_mark(None).await?;
                }
                return Err(e);
            }
        };
        self.save_mark(stopped.as_ref()).await?;
        Ok(report)
    }

    /// Settles key `id`; a failure is logged, counted and skipped, so one
    /// key that keeps changing (or fails) never stalls the pass for all.
    async fn fix(&self, id: &str, hash: &str, now: DateTime<Utc>, report: &mut Reconciled) -> bool {
        match self.settle(id, hash, now).await {
            Ok(()) => true,
            Err(e) => {
                crate::log::error(&format!("reconcile: key {id} not fixed: {}", e.0));
                report.failed += 1;
                false
            }
        }
    }

    async fn save_mark(&self, mark: Option<&Mark>) -> StoreResult<()> {
        let statement = match mark {
            Some(m) => Statement::new(
                "INSERT INTO cron_state (name, value) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO UPDATE SET value = ?2",
                vec![STATE.into(), super::encode(m)?.into()],
            ),
            None => Statement::new("DELETE FROM cron_state WHERE name = ?", vec![STATE.into()]),
        };
        self.db.execute(statement).await.map(drop)
    }

    /// The pass from `mark`: walks at most `max_pages` KV pages and fixes
    /// at most `budget` entries. Returns where it stopped, or `None` when
    /// it reached the last key.
    async fn reconcile_from(
        &self,
        mark: Mark,
        now: DateTime<Utc>,
        budget: u64,
        max_pages: usize,
        orphans: Orphans,
    ) -> StoreResult<(Reconciled, Option<Mark>)> {
        let mut report = Reconciled::default();
        let (mut kv_cursor, mut kv_done) = (mark.kv_cursor, false);
        let mut projections = VecDeque::new();
        let mut rows = VecDeque::new();
        let (mut last_hash, mut rows_done) = (mark.last_hash.clone(), false);
        // Every row and projection up to this hash is handled.
        let mut handled_to = mark.last_hash;
        // Where the page being walked started: a pass stopped inside it
        // walks it again next time (entries fixed already then match).
        let mut page_start = Mark::default();
        let mut pages = 0;
        loop {
            if projections.is_empty() && !kv_done {
                if pages == max_pages {
                    report.incomplete = true;
                    let next = Mark {
                        kv_cursor,
                        last_hash: handled_to,
                    };
                    return Ok((report, Some(next)));
                }
                page_start = Mark {
                    kv_cursor: kv_cursor.clone(),
                    last_hash: handled_to.clone(),
                };
                projections = self.kv_page(&mut kv_cursor, &mut kv_done).await?;
                pages += 1;
            }
            if rows.is_empty() && !rows_done {
                rows = self.row_page(&last_hash).await?;
                rows_done = rows.len() < PAGE;
            }
            let fixes = report.missing_written + report.stale_rewritten + report.orphans_removed;
            if fixes + report.failed >= budget || report.failed >= MAX_FAILED {
                report.incomplete = !(projections.is_empty() && rows.is_empty());
                let stopped = report.incomplete.then_some(page_start);
                return Ok((report, stopped));
            }
            let p = projections.front();
            let r = rows.front();
            let row_first = match (p, r) {
                (None, None) => return Ok((report, None)),
                (Some(p), Some(r)) if p.hash == r.hash => {
                    report.rows += 1;
                    if p.version != Some(r.version)
                        && self.fix(&r.id, &r.hash, now, &mut report).await
                    {
                        report.stale_rewritten += 1;
                    }
                    if let Some(p) = projections.pop_front() {
                        handled_to = p.hash;
                    }
                    if let Some(r) = rows.pop_front() {
                        last_hash = r.hash;
                    }
                    continue;
                }
                (Some(p), Some(r)) => r.hash < p.hash,
                (None, Some(_)) => true,
                (Some(_), None) => false,
            };
            if row_first {
                let Some(r) = rows.pop_front() else { continue };
                report.rows += 1;
                if self.fix(&r.id, &r.hash, now, &mut report).await {
                    report.missing_written += 1;
                }
                last_hash = r.hash;
            } else {
                let Some(p) = projections.pop_front() else {
                    continue;
                };
                // No row under this hash in the walk: ask again by hash (a
                // key created during the pass has one now).
                match self.entry_by_hash(&p.hash).await? {
                    Some(entry) => {
                        self.fix(&entry.id, &p.hash, now, &mut report).await;
                    }
                    None if orphans == Orphans::Versioned && p.version.is_none() => {}
                    None => {
                        self.kv.delete(&format!("{BY_HASH}{}", p.hash)).await?;
                        report.orphans_removed += 1;
                    }
                }
                handled_to = p.hash;
            }
        }
    }
}
