//! Keygate's layout on KV. Every key record is stored twice, so that the
//! hot path (verification) is one read by token hash and admin reads are
//! one read by id:
//!
//! | KV key | value | metadata | expiration |
//! |---|---|---|---|
//! | `h/<sha256 hex>` | `KeyRecord` JSON | — | `expires_at` + 7 days |
//! | `k/<key id>` | `KeyRecord` JSON | the same JSON when ≤ 1024 bytes | `expires_at` + 7 days |
//! | `a/<13-digit inverted ms><6 random>` | `AuditEvent` JSON | the same when ≤ 1024 bytes | none |
//! | `ak/<key id>/<inverted ms><random>` | `AuditEvent` JSON | idem | none |
//!
//! - Listing keys lists `k/` (1 KV list per 1000 keys) and reads a record
//!   only when its metadata did not fit.
//! - Inverted timestamps make a plain `list` return audit events newest first.
//! - The KV expiration is a backstop a week after expiry: verification
//!   refuses an expired key at once from `expires_at`, and the daily cron
//!   purges it with a `key.expired` audit event before KV would drop it.
//!   KV takes expirations only up to 2038-01-19 (32-bit seconds): a key
//!   whose backstop would fall later (expiry after 2038-01-12) has none,
//!   only the refusal and the purge.
//! - Write order keeps a failure on the safe side: create writes `k/` then
//!   `h/` (a key is never verifiable without being listed) and removes
//!   `k/` again if `h/` fails; delete and every edit touch `h/` first, so
//!   revocation happens before bookkeeping.
//! - Edits go through [`Repo::modify`]: each entry is re-read past the
//!   isolate's cache and only the caller's fields change, so a revocation,
//!   roll or delete made meanwhile is kept; within an isolate, edits and
//!   deletes of keys take turns (`WriteTurn`).
//! - A stored record that does not decode is skipped (and logged by id) by
//!   every scan; [`Repo::entry_by_id`] still reads what it can of it
//!   ([`StoredEntry`]) so it can be deleted.
//! - Consistency: KV has no transactions and propagates writes and deletes
//!   to other locations within about 60 s (negative lookups are cached
//!   too). A deleted or disabled key may still verify for up to a minute in
//!   other locations; within the location that made the change it is
//!   immediate.

use chrono::{DateTime, Duration, Utc};
use keygate_shared::{AuditEvent, KeyRecord};
use serde::de::DeserializeOwned;

use crate::store::{Kv, PutOptions, StoreError, StoreResult, MAX_EXPIRATION};

const BY_HASH: &str = "h/";
const BY_ID: &str = "k/";
const AUDIT: &str = "a/";
const AUDIT_BY_KEY: &str = "ak/";
/// Largest metadata KV keeps with a key.
const METADATA_MAX: usize = 1024;
/// How long after expiry KV itself drops a record (the cron purges first).
const EXPIRATION_BACKSTOP_DAYS: i64 = 7;
/// KV refuses expirations less than 60 s ahead.
const MIN_EXPIRATION_AHEAD_SECS: i64 = 60;

/// A `k/` entry as stored: the record, or what could be read of one that
/// does not decode (written by an older or broken version), enough to
/// scope and delete it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntry {
    /// The key id.
    pub id: String,
    /// The record, when it decodes.
    pub record: Option<KeyRecord>,
    /// Its organization, if readable (`None`: only a root admin sees it).
    pub organization: Option<String>,
    /// Its token hash, if readable as 64 hex digits.
    pub hash: Option<String>,
    /// Its name, if readable.
    pub name: Option<String>,
}

impl StoredEntry {
    fn read(id: &str, raw: &str) -> Self {
        if let Ok(record) = serde_json::from_str::<KeyRecord>(raw) {
            return Self {
                id: id.to_owned(),
                organization: Some(record.organization.clone()),
                hash: Some(record.hash.clone()),
                name: Some(record.name.clone()),
                record: Some(record),
            };
        }
        let value: serde_json::Value = serde_json::from_str(raw).unwrap_or_default();
        let text = |field: &str| value.get(field).and_then(|v| v.as_str()).map(str::to_owned);
        Self {
            id: id.to_owned(),
            record: None,
            organization: text("organization").filter(|o| keygate_shared::org::is_valid(o)),
            hash: text("hash")
                .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())),
            name: text("name"),
        }
    }
}

thread_local! {
    /// Whether a read-modify-write or delete of a key is under way in this
    /// isolate.
    static WRITING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Held while this isolate re-reads and rewrites (or deletes) a key: an
/// isolate serves requests concurrently, and without it a write could
/// read a key, let a revocation land, then write the old state back. KV
/// offers no transaction across isolates; within one, writes of keys take
/// turns (they are rare: the admin plane, the cron, leak reports). A
/// waiter sleeps on a short timer of its own and asks again.
struct WriteTurn;

impl WriteTurn {
    async fn take<K: Kv>(kv: &K) -> Self {
        while WRITING.with(|w| w.replace(true)) {
            kv.pause().await;
        }
        Self
    }
}

impl Drop for WriteTurn {
    fn drop(&mut self) {
        WRITING.with(|w| w.set(false));
    }
}

/// Key records and audit events on a [`Kv`].
pub struct Repo<'a, K: Kv> {
    kv: &'a K,
}

fn decode<T: DeserializeOwned>(raw: &str, what: &str) -> StoreResult<T> {
    serde_json::from_str(raw).map_err(|e| StoreError(format!("stored {what} does not decode: {e}")))
}

fn encode<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError(format!("cannot encode: {e}")))
}

/// Metadata for `json` if it fits KV's limit.
fn metadata_for(json: &str) -> Option<serde_json::Value> {
    (json.len() <= METADATA_MAX)
        .then(|| serde_json::from_str(json).ok())
        .flatten()
}

impl<'a, K: Kv> Repo<'a, K> {
    /// A repository over `kv`.
    pub fn new(kv: &'a K) -> Self {
        Self { kv }
    }

    /// The record whose token has SHA-256 `hash_hex`: one KV read.
    pub async fn by_hash(&self, hash_hex: &str) -> StoreResult<Option<KeyRecord>> {
        match self.kv.get(&format!("{BY_HASH}{hash_hex}")).await? {
            Some(raw) => decode(&raw, "key record").map(Some),
            None => Ok(None),
        }
    }

    /// Like [`Self::by_hash`], from storage itself (never a cache).
    pub async fn by_hash_fresh(&self, hash_hex: &str) -> StoreResult<Option<KeyRecord>> {
        match self.kv.get_fresh(&format!("{BY_HASH}{hash_hex}")).await? {
            Some(raw) => decode(&raw, "key record").map(Some),
            None => Ok(None),
        }
    }

    fn options(
        record: &KeyRecord,
        json: &str,
        with_metadata: bool,
        now: DateTime<Utc>,
    ) -> PutOptions {
        // Past KV's range (2038) there is no backstop: verification and the
        // cron still refuse and purge the key at `expires_at`.
        let expiration = record.expires_at.and_then(|at| {
            let backstop = (at + Duration::days(EXPIRATION_BACKSTOP_DAYS)).timestamp();
            let at = backstop.max(now.timestamp() + MIN_EXPIRATION_AHEAD_SECS);
            (at <= MAX_EXPIRATION).then_some(at)
        });
        PutOptions {
            expiration,
            metadata: if with_metadata {
                metadata_for(json)
            } else {
                None
            },
        }
    }

    /// Stores a new record: `k/` first, then `h/`; undoes `k/` if `h/` fails.
    pub async fn insert(&self, record: &KeyRecord, now: DateTime<Utc>) -> StoreResult<()> {
        let json = encode(record)?;
        let id_key = format!("{BY_ID}{}", record.id);
        self.kv
            .put(&id_key, &json, Self::options(record, &json, true, now))
            .await?;
        if let Err(e) = self
            .kv
            .put(
                &format!("{BY_HASH}{}", record.hash),
                &json,
                Self::options(record, &json, false, now),
            )
            .await
        {
            // Best effort: a listed key that cannot verify is harmless, but tidy up.
            let _ = self.kv.delete(&id_key).await;
            return Err(e);
        }
        Ok(())
    }

    /// Deletes every entry of a record: `h/` first.
    pub async fn remove(&self, record: &KeyRecord) -> StoreResult<()> {
        self.delete_entries(&record.id, Some(&record.hash)).await
    }

    /// The entry stored under id `id`, even when it does not decode as a
    /// record (so that it can still be deleted): one KV read.
    pub async fn entry_by_id(&self, id: &str) -> StoreResult<Option<StoredEntry>> {
        Ok(self
            .kv
            .get_fresh(&format!("{BY_ID}{id}"))
            .await?
            .map(|raw| StoredEntry::read(id, &raw)))
    }

    /// Re-reads the record from storage (never a cache) right before
    /// writing it, and changes only what `change` sets: `h/` first, then
    /// `k/`, each read and written back with no wait in between, so a
    /// revocation, roll or edit made meanwhile is kept, not overwritten
    /// with an older copy. `None` when the key is gone (deleted
    /// meanwhile): nothing is written, and an `h/` entry this call may
    /// have put back is deleted again.
    pub async fn modify(
        &self,
        id: &str,
        hash: &str,
        now: DateTime<Utc>,
        // `dyn`: one copy of this future in the wasm, not one per caller.
        change: &dyn Fn(&mut KeyRecord),
    ) -> StoreResult<Option<KeyRecord>> {
        let _turn = WriteTurn::take(self.kv).await;
        let hash_key = format!("{BY_HASH}{hash}");
        let Some(raw) = self.kv.get_fresh(&hash_key).await? else {
            return Ok(None);
        };
        let mut by_hash: KeyRecord = decode(&raw, "key record")?;
        change(&mut by_hash);
        let json = encode(&by_hash)?;
        self.kv
            .put(&hash_key, &json, Self::options(&by_hash, &json, false, now))
            .await?;
        let id_key = format!("{BY_ID}{id}");
        let Some(raw) = self.kv.get_fresh(&id_key).await? else {
            // Deleted after `h/` was read: the put above may have brought
            // `h/` back; a delete removes `h/` before `k/`, so remove it.
            self.kv.delete(&hash_key).await?;
            return Ok(None);
        };
        let mut by_id: KeyRecord = decode(&raw, "key record")?;
        change(&mut by_id);
        let json = encode(&by_id)?;
        self.kv
            .put(&id_key, &json, Self::options(&by_id, &json, true, now))
            .await?;
        Ok(Some(by_id))
    }

    /// Deletes a stored entry that may not decode: `h/` (when its hash
    /// could be read) first, then `k/`.
    pub async fn remove_entry(&self, entry: &StoredEntry) -> StoreResult<()> {
        self.delete_entries(&entry.id, entry.hash.as_deref()).await
    }

    /// Deletes `h/<hash>` (when known) then `k/<id>`, in this isolate's
    /// write turn.
    async fn delete_entries(&self, id: &str, hash: Option<&str>) -> StoreResult<()> {
        let _turn = WriteTurn::take(self.kv).await;
        if let Some(hash) = hash {
            self.kv.delete(&format!("{BY_HASH}{hash}")).await?;
        }
        self.kv.delete(&format!("{BY_ID}{id}")).await
    }

    /// Every record, from list metadata where it fits. A stored record
    /// that does not decode is logged (its id only) and skipped: one bad
    /// record never stops a list, an export, a create or the cron.
    pub async fn all(&self) -> StoreResult<Vec<KeyRecord>> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.kv.list(BY_ID, cursor.as_deref(), 1000).await?;
            for listed in page.keys {
                let from_meta = listed
                    .metadata
                    .and_then(|m| serde_json::from_value::<KeyRecord>(m).ok());
                match from_meta {
                    Some(r) => out.push(r),
                    None => {
                        if let Some(raw) = self.kv.get(&listed.name).await? {
                            match serde_json::from_str::<KeyRecord>(&raw) {
                                Ok(r) => out.push(r),
                                Err(e) => crate::log::error(&format!(
                                    "skipped stored record {} (does not decode: {e}); it can be deleted by id",
                                    listed.name.trim_start_matches(BY_ID)
                                )),
                            }
                        }
                    }
                }
            }
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    /// Appends an audit event (global log and per-key log).
    pub async fn audit(&self, event: &AuditEvent) -> StoreResult<()> {
        let json = encode(event)?;
        let inverted = 9_999_999_999_999_i64
            .saturating_sub(event.at.timestamp_millis())
            .max(0);
        let suffix =
            keygate_shared::base62::random_string(6).map_err(|e| StoreError(e.to_string()))?;
        let options = PutOptions {
            expiration: None,
            metadata: metadata_for(&json),
        };
        self.kv
            .put(
                &format!("{AUDIT}{inverted:013}{suffix}"),
                &json,
                options.clone(),
            )
            .await?;
        self.kv
            .put(
                &format!("{AUDIT_BY_KEY}{}/{inverted:013}{suffix}", event.key_id),
                &json,
                options,
            )
            .await
    }

    /// A page of audit events, newest first, optionally of one key.
    pub async fn audit_page(
        &self,
        key_id: Option<&str>,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<(Vec<AuditEvent>, Option<String>)> {
        let prefix = key_id.map_or_else(|| AUDIT.to_owned(), |id| format!("{AUDIT_BY_KEY}{id}/"));
        let page = self.kv.list(&prefix, cursor, limit).await?;
        let mut events = Vec::with_capacity(page.keys.len());
        for listed in page.keys {
            match listed
                .metadata
                .and_then(|m| serde_json::from_value::<AuditEvent>(m).ok())
            {
                Some(e) => events.push(e),
                None => {
                    if let Some(raw) = self.kv.get(&listed.name).await? {
                        match serde_json::from_str::<AuditEvent>(&raw) {
                            Ok(e) => events.push(e),
                            Err(e) => crate::log::error(&format!(
                                "skipped stored audit event {} (does not decode: {e})",
                                listed.name
                            )),
                        }
                    }
                }
            }
        }
        Ok((events, page.cursor))
    }
}
