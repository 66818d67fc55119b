//! Reconciliation: makes the KV projections match the D1 rows. Both are
//! walked in token-hash order (a KV list of `h/` with each projection's
//! row version in its metadata, and the `keys` table by hash), so a pass
//! costs one list and one query per 1,000 keys plus the fixes, each of
//! which re-reads its row first ([`Repo::settle`]), so a write landing
//! during the pass is never undone.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde::Serialize;

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
    /// Whether the pass stopped at its fix budget (the next pass goes on).
    pub incomplete: bool,
}

const PAGE: usize = 1000;

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

    /// One reconciliation pass, fixing at most `budget` entries.
    pub async fn reconcile(&self, now: DateTime<Utc>, budget: u64) -> StoreResult<Reconciled> {
        let mut report = Reconciled::default();
        let (mut kv_cursor, mut kv_done) = (None, false);
        let mut projections = VecDeque::new();
        let mut rows = VecDeque::new();
        let (mut last_hash, mut rows_done) = (String::new(), false);
        loop {
            if projections.is_empty() && !kv_done {
                projections = self.kv_page(&mut kv_cursor, &mut kv_done).await?;
            }
            if rows.is_empty() && !rows_done {
                rows = self.row_page(&last_hash).await?;
                rows_done = rows.len() < PAGE;
            }
            let fixes = report.missing_written + report.stale_rewritten + report.orphans_removed;
            if fixes >= budget {
                report.incomplete = !(projections.is_empty() && rows.is_empty());
                return Ok(report);
            }
            let p = projections.front();
            let r = rows.front();
            let row_first = match (p, r) {
                (None, None) => return Ok(report),
                (Some(p), Some(r)) if p.hash == r.hash => {
                    report.rows += 1;
                    if p.version != Some(r.version) {
                        self.settle(&r.id, &r.hash, now).await?;
                        report.stale_rewritten += 1;
                    }
                    projections.pop_front();
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
                self.settle(&r.id, &r.hash, now).await?;
                report.missing_written += 1;
                last_hash = r.hash;
            } else {
                let Some(p) = projections.pop_front() else {
                    continue;
                };
                // No row under this hash in the walk: ask again by hash (a
                // key created during the pass has one now).
                match self.entry_by_hash(&p.hash).await? {
                    Some(entry) => self.settle(&entry.id, &p.hash, now).await?,
                    None => {
                        self.kv.delete(&format!("{BY_HASH}{}", p.hash)).await?;
                        report.orphans_removed += 1;
                    }
                }
            }
        }
    }
}
