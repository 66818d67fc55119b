//! Keygate's storage: D1 is the source of truth for administration, and
//! Workers KV holds one projection per key, read by verification:
//!
//! | store | entry | value |
//! |---|---|---|
//! | D1 `keys` | one row per key (`migrations/`) | indexed columns + the `KeyRecord` JSON |
//! | D1 `audit` | one row per event | indexed columns + the `AuditEvent` JSON |
//! | KV `h/<sha256 hex>` | the projection | the row's `KeyRecord` JSON; KV drops it 7 days after `expires_at` |
//!
//! Order of writes, so that a failure at any step errs safe:
//! - create: the row (one D1 statement that inserts only under the
//!   organization's limit), then the projection: a key verifies only once
//!   its row exists; then the row's version is read again, and settled
//!   (below) if another write reached it meanwhile.
//! - a change that takes power away (disable, earlier expiry, another
//!   allowlist): the projection is removed first (the key fails closed),
//!   then the row is written, then settled (below) from the row.
//! - delete: the projection first, then the row, then the projection
//!   again (a concurrent write's settle may have put it back).
//! - every other write ends by [`Repo::settle`]: the projection is rewritten
//!   from the row and the row's version read again; if another write landed
//!   meanwhile the projection is redone from it. A stale projection written
//!   by a slower concurrent request is therefore repaired by that request
//!   itself, and anything a failure leaves behind by [`Repo::reconcile`]
//!   (the cron, `keygate reconcile`).
//! - rows carry a version; an edit writes only over the version it read
//!   (optimistic concurrency), re-reading and re-applying its change
//!   otherwise, so a revocation, roll or edit made meanwhile is kept.
//! - A stored record that does not decode is logged by id and skipped by
//!   every list; [`Repo::entry_by_id`] still reads its id, organization and
//!   hash columns ([`StoredEntry`]) so it can be deleted.
//! - KV propagates a write or delete to other locations within about 60 s:
//!   a disabled or deleted key may verify there for up to a minute.

use chrono::{DateTime, Duration, Utc};
use keygate_shared::rules::notices::next_notice_at;
use keygate_shared::{AuditAction, AuditEvent, KeyId, KeyRecord, Organization};
use serde::de::DeserializeOwned;

use crate::sql::{int, text, Db, Param, Row, Statement};
use crate::store::{Kv, PutOptions, StoreError, StoreResult, MAX_EXPIRATION};

mod audit;
mod query;
mod reconcile;
mod usage;

pub use audit::{AuditFilter, AuditPage};
pub use query::{Cursor, KeyPage, KeyQuery};
pub use reconcile::Reconciled;

const BY_HASH: &str = "h/";
/// How long after expiry KV itself drops a projection (the cron purges first).
const EXPIRATION_BACKSTOP_DAYS: i64 = 7;
/// KV refuses expirations less than 60 s ahead.
const MIN_EXPIRATION_AHEAD_SECS: i64 = 60;
/// Bound parameters D1 takes in one statement.
pub const MAX_PARAMS: usize = 100;
/// Tries of an edit whose row keeps changing under it.
const MAX_ATTEMPTS: usize = 8;
/// `expiry_key` of a key that never expires: sorts after every date (the
/// latest is in the year 9999) and is exact as a JS number, which D1's
/// bindings pass (2^53).
pub(crate) const NEVER: i64 = 1 << 53;

/// A stored key as read from D1: the record, or what could be read of one
/// that does not decode (written by an older or broken version), enough to
/// scope and delete it. Its `Debug` leaves the hash out, as the record's.
#[derive(Clone, PartialEq)]
pub struct StoredEntry {
    /// The key id.
    pub id: KeyId,
    /// The record, when it decodes.
    pub record: Option<KeyRecord>,
    /// Its organization (`None`: only a root admin sees it).
    pub organization: Option<Organization>,
    /// Its token hash, if it reads as 64 hex digits.
    pub hash: Option<String>,
    /// Its name, if readable.
    pub name: Option<String>,
}

impl std::fmt::Debug for StoredEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredEntry")
            .field("id", &self.id)
            .field("record", &self.record)
            .field("organization", &self.organization)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// `record` with what is reported beside it in its `row` (by usage and
/// the limiter, not written with the record): last use and credits left.
fn with_reports(record: KeyRecord, row: &Row) -> KeyRecord {
    KeyRecord {
        last_used_at: int(row, "last_used_at").and_then(chrono::DateTime::from_timestamp_millis),
        credits_left: int(row, "credits_left").and_then(|n| u64::try_from(n).ok()),
        ..record
    }
}

impl StoredEntry {
    fn from_row(row: &Row) -> Option<Self> {
        // Every writer checks the id's shape; a row without one is not ours.
        let id: KeyId = text(row, "id")?.parse().ok()?;
        let raw = text(row, "record").unwrap_or("");
        let record = serde_json::from_str::<KeyRecord>(raw)
            .ok()
            .filter(|r| r.id == id)
            .map(|r| with_reports(r, row));
        let name = record.as_ref().map(|r| r.name.clone()).or_else(|| {
            serde_json::from_str::<serde_json::Value>(raw)
                .ok()
                .and_then(|v| v.get("name")?.as_str().map(str::to_owned))
        });
        Some(Self {
            id,
            organization: text(row, "organization").and_then(|o| o.parse().ok()),
            hash: text(row, "hash")
                .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                .map(str::to_owned),
            name,
            record,
        })
    }
}

impl StoredEntry {
    /// An audit event about this key, even when its record does not decode
    /// (its organization and name as far as they can be read).
    #[must_use]
    pub fn event(&self, at: DateTime<Utc>, actor: &str, action: AuditAction) -> AuditEvent {
        match &self.record {
            Some(record) => AuditEvent::for_key(record, at, actor, action, serde_json::Map::new()),
            None => AuditEvent {
                at,
                actor: actor.to_owned(),
                action,
                key_id: self.id.clone(),
                details: serde_json::json!({
                    "organization": self.organization.as_ref().map(|o| o.as_str()).unwrap_or_default(),
                    "name": self.name.clone().unwrap_or_default(),
                }),
            },
        }
    }
}

fn decode<T: DeserializeOwned>(raw: &str, what: &str) -> StoreResult<T> {
    serde_json::from_str(raw).map_err(|e| StoreError(format!("stored {what} does not decode: {e}")))
}

fn encode<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError(format!("cannot encode: {e}")))
}

/// The lower-case text `q` searches: the fields §4 names, one per line.
fn search_text(record: &KeyRecord) -> String {
    let mut fields = vec![
        record.name.as_str(),
        record.description.as_str(),
        record.organization.as_str(),
        record.group.as_deref().unwrap_or(""),
        record.created_by.as_str(),
        record.hint.as_str(),
    ];
    fields.extend(record.roles.iter().map(|r| r.as_str()));
    crate::text::lowercase(&fields.join("\n"))
}

/// Whether `after` takes power away from `before`: such a change reaches
/// the projection before the row. A limit set or changed counts (only
/// removing one does not): a stale projection without it would verify
/// unlimited, and whether a new limit is tighter is not worth judging.
fn restricts(before: &KeyRecord, after: &KeyRecord) -> bool {
    let expiry = |r: &KeyRecord| r.expires_at.map_or(NEVER, |t| t.timestamp_millis());
    (before.enabled && !after.enabled)
        || expiry(after) < expiry(before)
        || after.ip_allowlist != before.ip_allowlist
        || after.roles != before.roles
        || (after.rate_limit.is_some() && after.rate_limit != before.rate_limit)
        || (after.credits.is_some()
            && (after.credits != before.credits || after.credits_set_at != before.credits_set_at))
}

/// The column values of `record` at `version`, in [`COLUMNS`] order.
fn columns(record: &KeyRecord, version: i64) -> StoreResult<Vec<Param>> {
    let expires = record.expires_at.map(|t| t.timestamp_millis());
    Ok(vec![
        record.id.as_str().into(),
        record.hash.as_str().into(),
        record.organization.as_str().into(),
        crate::text::lowercase(&record.name).into(),
        record.group.as_deref().into(),
        i64::from(record.enabled).into(),
        record.created_at.timestamp_millis().into(),
        expires.into(),
        expires.unwrap_or(NEVER).into(),
        search_text(record).into(),
        version.into(),
        encode(record)?.into(),
        next_notice_at(record).map(|t| t.timestamp_millis()).into(),
    ])
}

/// The columns [`columns`] fills (never `last_used_at`, which usage reports own).
const COLUMNS: &str = "id, hash, organization, name_key, key_group, enabled, created_at, \
                       expires_at, expiry_key, search, version, record, next_notice_at";
/// How many columns [`COLUMNS`] names.
const COLUMN_COUNT: usize = 13;
/// Columns every read of a whole key selects.
pub(crate) const ENTRY_COLUMNS: &str =
    "id, hash, organization, version, record, last_used_at, credits_left";

/// How a [`Repo::modify_telling`] failed: the storage error, and the
/// record as written when the row was changed before the failure (its
/// projection is then absent or stale until settled or reconciled).
#[derive(Debug)]
pub struct ModifyFailed {
    /// What failed.
    pub error: StoreError,
    /// The row's new record, when it was written.
    pub written: Option<KeyRecord>,
}

impl From<StoreError> for ModifyFailed {
    fn from(error: StoreError) -> Self {
        Self {
            error,
            written: None,
        }
    }
}

/// How a create ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a create under the limit may not have stored anything"]
pub enum Inserted {
    /// The key is stored and verifiable.
    Stored,
    /// The organization already holds this many unexpired keys (the limit).
    LimitReached(u64),
}

/// Key records and audit events on D1, projected to KV.
pub struct Repo<'a, K: Kv, D: Db> {
    kv: &'a K,
    db: &'a D,
}

impl<'a, K: Kv, D: Db> Repo<'a, K, D> {
    /// A repository over `kv` and `db`.
    pub fn new(kv: &'a K, db: &'a D) -> Self {
        Self { kv, db }
    }

    /// The projection whose token has SHA-256 `hash_hex`: one KV read, the
    /// only storage a verification touches.
    pub async fn by_hash(&self, hash_hex: &str) -> StoreResult<Option<KeyRecord>> {
        match self.kv.get(&format!("{BY_HASH}{hash_hex}")).await? {
            Some(raw) => decode(&raw, "key record").map(Some),
            None => Ok(None),
        }
    }

    /// The row of the key whose token hash is `hash_hex` (the source of
    /// truth, for writes such as a leak response).
    pub async fn entry_by_hash(&self, hash_hex: &str) -> StoreResult<Option<StoredEntry>> {
        let rows = self
            .db
            .query(Statement::new(
                format!("SELECT {ENTRY_COLUMNS} FROM keys WHERE hash = ?"),
                vec![hash_hex.into()],
            ))
            .await?;
        Ok(rows.first().and_then(StoredEntry::from_row))
    }

    /// The key stored under id `id`, even when its record does not decode
    /// (so that it can still be deleted): one D1 read.
    pub async fn entry_by_id(&self, id: &str) -> StoreResult<Option<StoredEntry>> {
        let rows = self
            .db
            .query(Statement::new(
                format!("SELECT {ENTRY_COLUMNS} FROM keys WHERE id = ?"),
                vec![id.into()],
            ))
            .await?;
        Ok(rows.first().and_then(StoredEntry::from_row))
    }

    /// The keys stored under `ids` (at most [`MAX_PARAMS`] of them), even
    /// ones whose record does not decode: one D1 read.
    pub async fn entries_by_ids(&self, ids: &[&str]) -> StoreResult<Vec<StoredEntry>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let rows = self
            .db
            .query(Statement::new(
                format!(
                    "SELECT {ENTRY_COLUMNS} FROM keys WHERE id IN ({})",
                    vec!["?"; ids.len()].join(", ")
                ),
                ids.iter().map(|id| (*id).into()).collect(),
            ))
            .await?;
        Ok(rows.iter().filter_map(StoredEntry::from_row).collect())
    }

    /// Those of the limiters `names` that no key uses any more: no key
    /// has that id, and none spends that limiter as a rolled copy
    /// (`limits_of`, index `keys_by_limiter`).
    pub async fn unused_limiters(&self, names: &[&str]) -> StoreResult<Vec<String>> {
        let mut unused = Vec::new();
        for chunk in names.chunks(MAX_PARAMS) {
            let rows = self
                .db
                .query(Statement::new(
                    format!(
                        "WITH names (name) AS (VALUES {}) SELECT names.name FROM names \
                         WHERE NOT EXISTS (SELECT 1 FROM keys WHERE keys.id = names.name) \
                         AND NOT EXISTS (SELECT 1 FROM keys \
                         WHERE json_extract(keys.record, '$.limits_of') = names.name)",
                        vec!["(?)"; chunk.len()].join(", ")
                    ),
                    chunk.iter().map(|n| (*n).into()).collect(),
                ))
                .await?;
            unused.extend(
                rows.iter()
                    .filter_map(|row| text(row, "name").map(str::to_owned)),
            );
        }
        Ok(unused)
    }

    /// Deletes `entries` and appends `events` (a bulk delete): every
    /// projection first, then one D1 batch per [`MAX_PARAMS`] rows that
    /// deletes them and records their events together.
    pub async fn remove_entries(
        &self,
        entries: &[StoredEntry],
        events: &[AuditEvent],
    ) -> StoreResult<()> {
        for hash in entries.iter().filter_map(|e| e.hash.as_deref()) {
            self.kv.delete(&format!("{BY_HASH}{hash}")).await?;
        }
        for (chunk, events) in entries.chunks(MAX_PARAMS).zip(events.chunks(MAX_PARAMS)) {
            let mut statements = vec![Statement::new(
                format!(
                    "DELETE FROM keys WHERE id IN ({})",
                    vec!["?"; chunk.len()].join(", ")
                ),
                chunk.iter().map(|e| e.id.as_str().into()).collect(),
            )];
            for event in events {
                statements.push(audit::insert(event, None)?);
            }
            self.db.batch(statements).await?;
        }
        Ok(())
    }

    fn projection_options(record: &KeyRecord, version: i64, now: DateTime<Utc>) -> PutOptions {
        // Past KV's range (2038) there is no backstop: verification and the
        // cron still refuse and purge the key at `expires_at`.
        let expiration = record.expires_at.and_then(|at| {
            let backstop = (at + Duration::days(EXPIRATION_BACKSTOP_DAYS)).timestamp();
            let at = backstop.max(now.timestamp() + MIN_EXPIRATION_AHEAD_SECS);
            (at <= MAX_EXPIRATION).then_some(at)
        });
        PutOptions {
            expiration,
            // The row version it projects: reconciliation compares it.
            metadata: Some(serde_json::json!({ "v": version })),
        }
    }

    /// Writes the projection of `record` at row `version` (its JSON as
    /// stored in the row).
    async fn project(
        &self,
        record: &KeyRecord,
        json: &str,
        version: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.kv
            .put(
                &format!("{BY_HASH}{}", record.hash),
                json,
                Self::projection_options(record, version, now),
            )
            .await
    }

    /// Stores a new record no limit applies to (a roll's new key, the
    /// bootstrap key, imports in tests): [`Repo::insert`] with no limit.
    pub async fn insert_unlimited(
        &self,
        record: &KeyRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        match self.insert(record, 0, now).await? {
            Inserted::Stored => Ok(()),
            Inserted::LimitReached(_) => Err(StoreError(format!(
                "key {}: the row was not inserted",
                record.id
            ))),
        }
    }

    /// Stores a new record: one D1 statement inserts the row only while its
    /// organization holds fewer than `limit` unexpired keys (`0`: no
    /// limit), then the projection makes it verifiable. If the projection
    /// cannot be written the row is taken back (best effort; reconciliation
    /// finishes either way).
    pub async fn insert(
        &self,
        record: &KeyRecord,
        limit: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<Inserted> {
        self.insert_replacing(record, limit, None, now).await
    }

    /// [`Repo::insert`], where key `replaced` (if any) does not count
    /// against the limit: a roll that ends the old key at once.
    pub async fn insert_replacing(
        &self,
        record: &KeyRecord,
        limit: u32,
        replaced: Option<&KeyId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Inserted> {
        let mut params = columns(record, 1)?;
        params.push(i64::from(limit).into());
        params.push(now.timestamp_millis().into());
        params.push(replaced.map_or("", |id| id.as_str()).into());
        let placeholders = (1..=COLUMN_COUNT)
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        // RETURNING: D1's change count includes the search index's triggers.
        let inserted = self
            .db
            .query(Statement::new(
                format!(
                    "INSERT INTO keys ({COLUMNS}) SELECT {placeholders} \
                     WHERE ?14 = 0 OR (SELECT count(*) FROM keys \
                     WHERE organization = ?3 AND expiry_key > ?15 AND id != ?16) < ?14 \
                     RETURNING id"
                ),
                params,
            ))
            .await?;
        if inserted.is_empty() {
            return Ok(Inserted::LimitReached(u64::from(limit)));
        }
        let json = encode(record)?;
        if let Err(e) = self.project(record, &json, 1, now).await {
            let _ = self
                .db
                .execute(Statement::new(
                    "DELETE FROM keys WHERE id = ?",
                    vec![record.id.as_str().into()],
                ))
                .await;
            return Err(e);
        }
        // The projection is of version 1: if another write (an edit, a
        // delete) reached the row since, project what is there now.
        let settled = async {
            let rows = self
                .db
                .query(Statement::new(
                    "SELECT version FROM keys WHERE id = ?",
                    vec![record.id.as_str().into()],
                ))
                .await?;
            if rows.first().and_then(|r| int(r, "version")) != Some(1) {
                self.settle(&record.id, &record.hash, now).await?;
            }
            StoreResult::Ok(())
        };
        if let Err(e) = settled.await {
            // The key is stored: an error now would lose the token, shown
            // only in this answer. Its projection (version 1) stays: only
            // a write to this new key in the same instant could have made
            // it stale, that write settles the projection itself, and
            // reconciliation rewrites a stale one. Withdrawing it instead
            // would leave the new key dark until reconciliation reached it
            // (hours, at 100,000 keys).
            crate::log::error(&format!(
                "key {} stored; whether a write landed on it meanwhile is unchecked: {}",
                record.id, e.0
            ));
        }
        Ok(Inserted::Stored)
    }

    /// Makes the projection of key `id` match its row, and reads the row's
    /// version again afterwards: when another write landed meanwhile, its
    /// state is projected instead, so a slower concurrent write never
    /// leaves an older state verifiable. No row: the projection is removed.
    pub async fn settle(&self, id: &str, hash: &str, now: DateTime<Utc>) -> StoreResult<()> {
        let version_of = |rows: &[Row]| rows.first().and_then(|r| int(r, "version"));
        let read = || {
            self.db.query(Statement::new(
                "SELECT version, record FROM keys WHERE id = ?",
                vec![id.into()],
            ))
        };
        let mut rows = read().await?;
        for _ in 0..MAX_ATTEMPTS {
            let Some(row) = rows.first() else {
                return self.kv.delete(&format!("{BY_HASH}{hash}")).await;
            };
            let json = text(row, "record").unwrap_or("");
            let Ok(record) = decode::<KeyRecord>(json, "key record") else {
                // A record that does not decode never verifies.
                crate::log::error(&format!(
                    "key {id}: stored record does not decode; not projected"
                ));
                return self.kv.delete(&format!("{BY_HASH}{hash}")).await;
            };
            let version = int(row, "version").unwrap_or(0);
            self.project(&record, json, version, now).await?;
            let again = read().await?;
            if version_of(&again) == version_of(&rows) {
                return Ok(());
            }
            rows = again;
        }
        Err(StoreError(format!(
            "key {id} kept changing while its projection was written"
        )))
    }

    /// Re-reads the row right before writing it and changes only what
    /// `change` sets, writing over the version read (re-reading and
    /// re-applying when another write got there first), so a revocation,
    /// roll or edit made meanwhile is kept. A change that takes power away
    /// reaches the projection first. `None` when the key is gone.
    pub async fn modify(
        &self,
        id: &str,
        hash: &str,
        now: DateTime<Utc>,
        // `dyn`: one copy of this future in the wasm, not one per caller.
        change: &dyn Fn(&mut KeyRecord),
    ) -> StoreResult<Option<KeyRecord>> {
        self.modify_telling(id, hash, now, change)
            .await
            .map_err(|failed| failed.error)
    }

    /// [`Repo::modify`], telling a failure after the row was written (its
    /// projection could not be settled) from one before: a roll whose old
    /// key is already cut short in D1 has happened.
    pub async fn modify_telling(
        &self,
        id: &str,
        hash: &str,
        now: DateTime<Utc>,
        change: &dyn Fn(&mut KeyRecord),
    ) -> Result<Option<KeyRecord>, ModifyFailed> {
        for _ in 0..MAX_ATTEMPTS {
            let rows = self
                .db
                .query(Statement::new(
                    "SELECT version, record, last_used_at, credits_left FROM keys WHERE id = ?",
                    vec![id.into()],
                ))
                .await?;
            let Some(row) = rows.first() else {
                self.kv.delete(&format!("{BY_HASH}{hash}")).await?;
                return Ok(None);
            };
            let version = int(row, "version").unwrap_or(0);
            // With its reports, so that the answer shows them as a read does.
            let before = with_reports(
                decode::<KeyRecord>(text(row, "record").unwrap_or(""), "key record")?,
                row,
            );
            let mut after = before.clone();
            change(&mut after);
            if after == before {
                return Ok(Some(after));
            }
            if restricts(&before, &after) {
                // Fail closed: the projection goes before the row changes,
                // and nothing read before the write is projected (`before`
                // may already be stale: a disable may have landed). Settle
                // projects the row's state once it is written; a request
                // cut short here leaves no projection, which verifies
                // nothing until reconciliation writes it from the row.
                self.kv.delete(&format!("{BY_HASH}{hash}")).await?;
            }
            let mut params = columns(&after, version + 1)?;
            params.push(version.into());
            // RETURNING: D1's change count includes the search index's triggers.
            let updated = self
                .db
                .query(Statement::new(
                    "UPDATE keys SET id = ?1, hash = ?2, organization = ?3, name_key = ?4, \
                     key_group = ?5, enabled = ?6, created_at = ?7, expires_at = ?8, \
                     expiry_key = ?9, search = ?10, version = ?11, record = ?12, \
                     next_notice_at = ?13 WHERE id = ?1 AND version = ?14 RETURNING version",
                    params,
                ))
                .await?;
            if updated.len() == 1 {
                if let Err(error) = self.settle(id, hash, now).await {
                    return Err(ModifyFailed {
                        error,
                        written: Some(after),
                    });
                }
                return Ok(Some(after));
            }
        }
        Err(StoreError(format!("key {id} kept changing while it was written")).into())
    }

    /// Deletes a key (even one whose record does not decode): the
    /// projection first (when its hash is known), then the row, then the
    /// projection again, in case a concurrent write's settle put it back
    /// between the two.
    pub async fn remove_entry(&self, entry: &StoredEntry) -> StoreResult<()> {
        self.delete(&entry.id, entry.hash.as_deref()).await
    }

    /// Deletes `record` as [`Repo::remove_entry`] does.
    pub async fn remove(&self, record: &KeyRecord) -> StoreResult<()> {
        self.delete(&record.id, Some(&record.hash)).await
    }

    async fn delete(&self, id: &str, hash: Option<&str>) -> StoreResult<()> {
        let projection = hash.map(|h| format!("{BY_HASH}{h}"));
        if let Some(key) = &projection {
            self.kv.delete(key).await?;
        }
        self.db
            .execute(Statement::new(
                "DELETE FROM keys WHERE id = ?",
                vec![id.into()],
            ))
            .await?;
        if let Some(key) = &projection {
            self.kv.delete(key).await?;
        }
        Ok(())
    }

    /// Enabled, unexpired keys of exactly `organization`, newest first, at
    /// most `limit` (what `keygate bootstrap` looks through for a root
    /// admin key).
    pub async fn active_in(
        &self,
        organization: &Organization,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<KeyRecord>> {
        let rows = self
            .db
            .query(Statement::new(
                format!(
                    "SELECT {ENTRY_COLUMNS} FROM keys WHERE organization = ? AND enabled = 1 \
                     AND expiry_key > ? ORDER BY created_at DESC, id DESC LIMIT ?"
                ),
                vec![
                    organization.as_str().into(),
                    now.timestamp_millis().into(),
                    i64::try_from(limit).unwrap_or(1000).into(),
                ],
            ))
            .await?;
        Ok(decoded(&rows))
    }

    /// Appends an audit event.
    pub async fn audit(&self, event: &AuditEvent) -> StoreResult<()> {
        self.db.execute(audit::insert(event, None)?).await.map(drop)
    }

    /// Unexpired keys whose next expiry notice is due at `now`, the
    /// longest due first, at most `limit`: an index walk on
    /// `next_notice_at`, whatever the number of keys.
    pub async fn due_for_notice(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<KeyRecord>> {
        let now = now.timestamp_millis();
        let rows = self
            .db
            .query(Statement::new(
                format!(
                    "SELECT {ENTRY_COLUMNS} FROM keys WHERE next_notice_at <= ? AND expiry_key > ? \
                     ORDER BY next_notice_at, id LIMIT ?"
                ),
                vec![
                    now.into(),
                    now.into(),
                    i64::try_from(limit).unwrap_or(1000).into(),
                ],
            ))
            .await?;
        Ok(decoded(&rows))
    }
}

impl<K: Kv, D: Db> Repo<'_, K, D> {
    /// Imports `records` (migration from the KV-only layout): one batch
    /// inserts each row unless its id is there already; projections are
    /// left to reconciliation. How many were new.
    pub async fn import_keys(&self, records: &[KeyRecord]) -> StoreResult<u64> {
        let placeholders = ["?"; COLUMN_COUNT].join(", ");
        let statements = records
            .iter()
            .map(|r| {
                Ok(Statement::new(
                    format!("INSERT OR IGNORE INTO keys ({COLUMNS}) VALUES ({placeholders})"),
                    columns(r, 1)?,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        if statements.is_empty() {
            return Ok(0);
        }
        // Counted by the ids that are new, not by changes (D1's count
        // includes the search index's triggers).
        let ids: Vec<Param> = records.iter().map(|r| r.id.as_str().into()).collect();
        let known = format!(
            "SELECT count(*) AS n FROM keys WHERE id IN ({})",
            vec!["?"; ids.len()].join(", ")
        );
        let count = |rows: Vec<Row>| rows.first().and_then(|r| int(r, "n")).unwrap_or(0);
        let before = count(
            self.db
                .query(Statement::new(known.clone(), ids.clone()))
                .await?,
        );
        self.db.batch(statements).await?;
        let after = count(self.db.query(Statement::new(known, ids)).await?);
        Ok(u64::try_from(after - before).unwrap_or(0))
    }

    /// Imports audit events, each named by the KV key it came from, so
    /// importing twice adds nothing. How many were new.
    pub async fn import_events(&self, events: &[(String, AuditEvent)]) -> StoreResult<u64> {
        let statements = events
            .iter()
            .map(|(name, e)| audit::insert(e, Some(name)))
            .collect::<StoreResult<Vec<_>>>()?;
        if statements.is_empty() {
            return Ok(0);
        }
        Ok(self.db.batch(statements).await?.iter().sum())
    }

    /// Keys whose expiry has passed (even ones whose record does not
    /// decode), oldest expiry first, at most `limit`: what the cron purges.
    pub async fn expired(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<StoredEntry>> {
        let rows = self
            .db
            .query(Statement::new(
                format!(
                    "SELECT {ENTRY_COLUMNS} FROM keys WHERE expiry_key <= ? \
                     ORDER BY expiry_key, id LIMIT ?"
                ),
                vec![
                    now.timestamp_millis().into(),
                    i64::try_from(limit).unwrap_or(1000).into(),
                ],
            ))
            .await?;
        Ok(rows.iter().filter_map(StoredEntry::from_row).collect())
    }
}

/// The records of `rows` that decode; the others are logged by id and
/// skipped, so one bad record never stops a list, an export or the cron.
pub(crate) fn decoded(rows: &[Row]) -> Vec<KeyRecord> {
    rows.iter()
        .filter_map(|row| {
            let entry = StoredEntry::from_row(row)?;
            if entry.record.is_none() {
                crate::log::error(&format!(
                    "skipped stored record {} (does not decode); it can be deleted by id",
                    entry.id
                ));
            }
            entry.record
        })
        .collect()
}
