//! Usage in D1 (§9): what the isolates' meters counted, the keys' last
//! use and the credits their limiters last reported, and the days of one
//! key's use for `GET /api/v1/keys/{id}/usage`.

use super::{audit, Repo};
use crate::sql::{int, text, Db, Statement};
use crate::store::{Kv, StoreResult};
use crate::usage::UsageBatch;

impl<K: Kv, D: Db> Repo<'_, K, D> {
    /// Writes what a meter counted, in one D1 batch (all of it or none,
    /// so a failed write can be tried again whole): counts added per key,
    /// day and code, last use moved forward only, credits left written
    /// only over an older report of the same limiter, and the exhaustion
    /// events.
    pub async fn write_usage(&self, batch: &UsageBatch) -> StoreResult<()> {
        let mut statements = Vec::new();
        for (key_id, usage) in &batch.keys {
            for (day, codes) in &usage.days {
                for (code, n) in codes {
                    statements.push(Statement::new(
                        // Only for a key still there: a late flush for a
                        // deleted key leaves no row behind.
                        "INSERT INTO usage (key_id, day, code, n) \
                         SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM keys WHERE id = ?1) \
                         ON CONFLICT (key_id, day, code) DO UPDATE SET n = n + ?4",
                        vec![
                            key_id.as_str().into(),
                            day.as_str().into(),
                            (*code).into(),
                            i64::try_from(*n).unwrap_or(i64::MAX).into(),
                        ],
                    ));
                }
            }
            if let Some(at) = usage.last_used {
                statements.push(Statement::new(
                    "UPDATE keys SET last_used_at = max(coalesce(last_used_at, 0), ?1) WHERE id = ?2",
                    vec![at.into(), key_id.as_str().into()],
                ));
            }
            if let Some((seq, left)) = usage.credits {
                let seq = i64::try_from(seq).unwrap_or(i64::MAX);
                statements.push(Statement::new(
                    "UPDATE keys SET credits_left = ?1, credits_seq = ?2 \
                     WHERE id = ?3 AND credits_seq < ?2",
                    vec![
                        i64::try_from(left).unwrap_or(i64::MAX).into(),
                        seq.into(),
                        key_id.as_str().into(),
                    ],
                ));
            }
        }
        for event in &batch.events {
            statements.push(audit::insert(event, None)?);
        }
        if statements.is_empty() {
            return Ok(());
        }
        self.db.batch(statements).await.map(drop)
    }

    /// Key `key_id`'s counts from day `from` to day `to` (`YYYY-MM-DD`,
    /// inclusive): (day, code, n), by day.
    pub async fn usage_days(
        &self,
        key_id: &str,
        from: &str,
        to: &str,
    ) -> StoreResult<Vec<(String, String, u64)>> {
        let rows = self
            .db
            .query(Statement::new(
                "SELECT day, code, n FROM usage WHERE key_id = ? AND day >= ? AND day <= ? \
                 ORDER BY day",
                vec![key_id.into(), from.into(), to.into()],
            ))
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some((
                    text(r, "day")?.to_owned(),
                    text(r, "code")?.to_owned(),
                    u64::try_from(int(r, "n")?).ok()?,
                ))
            })
            .collect())
    }

    /// Forgets the credits a limiter last reported for key `id` (its
    /// credits were just set: the view shows the new `remaining` until
    /// the next report).
    pub async fn forget_credits_left(&self, id: &str) -> StoreResult<()> {
        self.db
            .execute(Statement::new(
                "UPDATE keys SET credits_left = NULL WHERE id = ?",
                vec![id.into()],
            ))
            .await
            .map(drop)
    }
}
