//! `keygate migrate-to-d1`: imports a deployment made before D1 (records
//! under `k/<id>`, audit events under `a/<inverted time>` in KV) into the
//! D1 tables, idempotently: rows are inserted only when their id is new,
//! events only when the KV entry they came from was not imported before.
//! The `h/` projections stay as they are (same JSON); reconciliation then
//! stamps them with their row version. The old `k/`, `a/` and `ak/`
//! entries are no longer read and can be deleted once checked.

use keygate_edge::repo::Repo;
use keygate_edge::sql::Db;
use keygate_edge::store::Kv;
use keygate_shared::{AuditEvent, KeyRecord};
use serde::de::DeserializeOwned;

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// Key records found in KV.
    pub keys_found: u64,
    /// Rows inserted (the rest were there already).
    pub keys_imported: u64,
    /// Audit events found in KV.
    pub events_found: u64,
    /// Events inserted.
    pub events_imported: u64,
    /// Entries that did not decode (left in KV, named on stderr).
    pub skipped: Vec<String>,
}

/// Rows per D1 batch.
const BATCH: usize = 200;

/// Every entry under `prefix` that decodes as `T` (from list metadata
/// when it fits, else read), with its KV key.
async fn entries<K: Kv, T: DeserializeOwned>(
    kv: &K,
    prefix: &str,
    skipped: &mut Vec<String>,
) -> Result<Vec<(String, T)>, String> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = kv
            .list(prefix, cursor.as_deref(), 1000)
            .await
            .map_err(|e| e.0)?;
        for listed in page.keys {
            let from_meta = listed
                .metadata
                .and_then(|m| serde_json::from_value::<T>(m).ok());
            let value = match from_meta {
                Some(v) => Some(v),
                None => kv
                    .get(&listed.name)
                    .await
                    .map_err(|e| e.0)?
                    .and_then(|raw| serde_json::from_str::<T>(&raw).ok()),
            };
            match value {
                Some(v) => out.push((listed.name, v)),
                None => skipped.push(listed.name),
            }
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Imports the KV-only layout's records and events into D1.
///
/// # Errors
/// A sentence saying which storage failed.
pub async fn migrate_to_d1<K: Kv, D: Db>(kv: &K, db: &D) -> Result<Migrated, String> {
    let repo = Repo::new(kv, db);
    let mut report = Migrated::default();
    let keys: Vec<(String, KeyRecord)> = entries(kv, "k/", &mut report.skipped).await?;
    report.keys_found = keys.len() as u64;
    let records: Vec<KeyRecord> = keys.into_iter().map(|(_, r)| r).collect();
    for chunk in records.chunks(BATCH) {
        report.keys_imported += repo.import_keys(chunk).await.map_err(|e| e.0)?;
    }
    let mut events: Vec<(String, AuditEvent)> = entries(kv, "a/", &mut report.skipped).await?;
    report.events_found = events.len() as u64;
    // `a/` lists newest first (inverted time); insert oldest first so the
    // table's order is the log's.
    events.reverse();
    for chunk in events.chunks(BATCH) {
        report.events_imported += repo.import_events(chunk).await.map_err(|e| e.0)?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};
    use keygate_edge::repo::AuditFilter;
    use keygate_edge::sqlite::SqliteDb;
    use keygate_edge::store::{MemoryKv, PutOptions};

    fn record(n: u32) -> KeyRecord {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let token = keygate_shared::Token::generate(&keygate_shared::Prefix::default()).unwrap();
        KeyRecord {
            name: format!("key {n}"),
            description: "d".repeat(if n == 0 { 1500 } else { 1 }),
            organization: "acme".parse().unwrap(),
            expires_at: Some(t + Duration::days(365)),
            ..KeyRecord::minted(
                keygate_shared::KeyId::generate().unwrap(),
                &token,
                t,
                "bootstrap",
            )
        }
    }

    /// The layout of the last KV-only version: `k/` and `h/` per key
    /// (list metadata when ≤ 1024 bytes), `a/` and `ak/` per event.
    fn seed_kv_layout(kv: &MemoryKv) -> Vec<KeyRecord> {
        let records: Vec<KeyRecord> = (0..3).map(record).collect();
        for (i, r) in records.iter().enumerate() {
            let json = serde_json::to_string(r).unwrap();
            let meta = (json.len() <= 1024).then(|| serde_json::from_str(&json).unwrap());
            let put = |k: String, m| {
                pollster::block_on(kv.put(
                    &k,
                    &json,
                    PutOptions {
                        expiration: None,
                        metadata: m,
                    },
                ))
                .unwrap()
            };
            put(format!("k/{}", r.id), meta);
            put(format!("h/{}", r.hash), None);
            let event = AuditEvent::for_key(
                r,
                r.created_at + Duration::minutes(i as i64),
                "bootstrap",
                keygate_shared::AuditAction::Created,
                serde_json::Map::new(),
            );
            let inverted = 9_999_999_999_999_i64 - event.at.timestamp_millis();
            let ejson = serde_json::to_string(&event).unwrap();
            for k in [
                format!("a/{inverted:013}abcdef"),
                format!("ak/{}/{inverted:013}abcdef", r.id),
            ] {
                pollster::block_on(kv.put(&k, &ejson, PutOptions::default())).unwrap();
            }
        }
        pollster::block_on(kv.put("k/key_broken", "{not json", PutOptions::default())).unwrap();
        records
    }

    #[test]
    fn imports_once_and_twice_changes_nothing() {
        let (kv, db) = (MemoryKv::default(), SqliteDb::new());
        let records = seed_kv_layout(&kv);
        let first = pollster::block_on(migrate_to_d1(&kv, &db)).unwrap();
        assert_eq!(
            (
                first.keys_found,
                first.keys_imported,
                first.events_found,
                first.events_imported
            ),
            (3, 3, 3, 3)
        );
        assert_eq!(first.skipped, ["k/key_broken"]);
        let second = pollster::block_on(migrate_to_d1(&kv, &db)).unwrap();
        assert_eq!(
            (second.keys_imported, second.events_imported),
            (0, 0),
            "idempotent"
        );
        let repo = Repo::new(&kv, &db);
        for r in &records {
            let row = pollster::block_on(repo.entry_by_id(&r.id))
                .unwrap()
                .unwrap();
            assert_eq!(row.record.as_ref(), Some(r), "the large one too");
        }
        let page = pollster::block_on(repo.audit_page(&AuditFilter {
            limit: 10,
            ..AuditFilter::default()
        }))
        .unwrap();
        let ids: Vec<&str> = page.events.iter().map(|e| e.key_id.as_str()).collect();
        let newest_first: Vec<&str> = records.iter().rev().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, newest_first, "the log keeps its order");
        // Reconciliation stamps the old projections with their row version.
        let fixed = pollster::block_on(repo.reconcile(Utc::now(), 100)).unwrap();
        assert_eq!((fixed.stale_rewritten, fixed.orphans_removed), (3, 0));
        let again = pollster::block_on(repo.reconcile(Utc::now(), 100)).unwrap();
        assert_eq!(again.stale_rewritten + again.missing_written, 0);
    }
}
