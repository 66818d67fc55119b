//! An in-isolate cache of verification lookups (`h/<sha256>` reads), so a
//! hot key is verified without a KV round trip. Entries live
//! `VERIFY_CACHE_SECONDS` (default 10, 0 = off). Every write or delete this
//! isolate makes through [`CachedKv`] evicts the entry at once, so a
//! delete, disable or roll is seen immediately by the isolate that made it;
//! and the front worker, whose admin requests the admin plane answers in
//! an isolate of its own, empties its cache whenever it has passed on a
//! request that may change keys ([`ReadCache::clear`]), so a change made
//! through it shows there at once too. Other isolates see it when their
//! entry expires, on top of KV's own propagation delay (README: "Storage
//! layout").

use std::cell::RefCell;
use std::collections::HashMap;

use crate::store::{Kv, ListPage, PutOptions, StoreResult};

/// Most entries kept. A full cache drops its absences first: anyone can
/// make well-formed unknown tokens (the checksum is public), and a flood
/// of them must not push the hot keys out. Only when keys that exist
/// fill more than half of it does it start over (cheap, and bounded).
pub const MAX_ENTRIES: usize = 10_000;

/// Only verification lookups are cached.
const CACHED_PREFIX: &str = "h/";

/// The cached values of one isolate: KV key → (value or absence, expiry
/// in Unix milliseconds).
#[derive(Debug, Default)]
pub struct ReadCache {
    entries: RefCell<HashMap<String, (Option<String>, i64)>>,
    /// Bumped by every eviction: a read that started before a write to
    /// any key may not put what it read into the cache (it may be the
    /// value the write replaced).
    generation: std::cell::Cell<u64>,
}

impl ReadCache {
    fn get(&self, key: &str, now_ms: i64) -> Option<Option<String>> {
        let entries = self.entries.borrow();
        let (value, until) = entries.get(key)?;
        (now_ms < *until).then(|| value.clone())
    }

    fn put(&self, key: &str, value: Option<String>, until_ms: i64) {
        let mut entries = self.entries.borrow_mut();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (value, _)| value.is_some());
            // Half left free at least: the sweep runs once per
            // MAX_ENTRIES / 2 inserts at most.
            if entries.len() > MAX_ENTRIES / 2 {
                entries.clear();
            }
        }
        entries.insert(key.to_owned(), (value, until_ms));
    }

    fn evict(&self, key: &str) {
        self.generation.set(self.generation.get().wrapping_add(1));
        self.entries.borrow_mut().remove(key);
    }

    /// Forgets every entry (and, as an eviction does, keeps reads that
    /// started before from filling the cache): the front worker's answer
    /// to a change the admin plane made, which names no keys.
    pub fn clear(&self) {
        self.generation.set(self.generation.get().wrapping_add(1));
        self.entries.borrow_mut().clear();
    }

    /// Entries held (for tests).
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    /// Whether nothing is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A [`Kv`] that answers `h/` reads from a [`ReadCache`] while fresh.
pub struct CachedKv<'a, K: Kv> {
    inner: K,
    cache: &'a ReadCache,
    now_ms: i64,
    ttl_ms: i64,
}

impl<'a, K: Kv> CachedKv<'a, K> {
    /// Wraps `inner`; `ttl_seconds == 0` turns the cache off.
    pub fn new(inner: K, cache: &'a ReadCache, now_ms: i64, ttl_seconds: u32) -> Self {
        Self {
            inner,
            cache,
            now_ms,
            ttl_ms: i64::from(ttl_seconds) * 1000,
        }
    }

    fn caches(&self, key: &str) -> bool {
        self.ttl_ms > 0 && key.starts_with(CACHED_PREFIX)
    }
}

impl<K: Kv> Kv for CachedKv<'_, K> {
    async fn get(&self, key: &str) -> StoreResult<Option<String>> {
        if !self.caches(key) {
            return self.inner.get(key).await;
        }
        if let Some(hit) = self.cache.get(key, self.now_ms) {
            return Ok(hit);
        }
        // Failures are not cached: the next request asks KV again.
        let started = self.cache.generation.get();
        let value = self.inner.get(key).await?;
        // A write or delete while this read was in flight may have
        // replaced what it read: answer it, but do not keep it.
        if self.cache.generation.get() == started {
            self.cache
                .put(key, value.clone(), self.now_ms + self.ttl_ms);
        }
        Ok(value)
    }

    async fn get_fresh(&self, key: &str) -> StoreResult<Option<String>> {
        self.inner.get_fresh(key).await
    }

    async fn pause(&self) {
        self.inner.pause().await;
    }

    async fn put(&self, key: &str, value: &str, options: PutOptions) -> StoreResult<()> {
        self.cache.evict(key);
        let result = self.inner.put(key, value, options).await;
        self.cache.evict(key);
        result
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.cache.evict(key);
        let result = self.inner.delete(key).await;
        self.cache.evict(key);
        result
    }

    async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<ListPage> {
        self.inner.list(prefix, cursor, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryKv;

    fn gets(kv: &MemoryKv) -> u32 {
        kv.counts.get().0
    }

    #[test]
    fn hits_while_fresh_then_asks_again() {
        let cache = ReadCache::default();
        let kv = MemoryKv::default();
        pollster::block_on(async {
            kv.put("h/a", "1", PutOptions::default()).await.unwrap();
            let at = |ms| CachedKv::new(&kv, &cache, ms, 10);
            assert_eq!(at(0).get("h/a").await.unwrap().as_deref(), Some("1"));
            assert_eq!(at(9_999).get("h/a").await.unwrap().as_deref(), Some("1"));
            assert_eq!(gets(&kv), 1, "second read from the cache");
            assert_eq!(at(10_000).get("h/a").await.unwrap().as_deref(), Some("1"));
            assert_eq!(gets(&kv), 2, "expired entry read again");
            // Absence is cached too (a flood of unknown tokens).
            assert_eq!(at(0).get("h/none").await.unwrap(), None);
            assert_eq!(at(1).get("h/none").await.unwrap(), None);
            assert_eq!(gets(&kv), 3);
            // Other keys are never cached.
            at(0).get("k/x").await.unwrap();
            at(0).get("k/x").await.unwrap();
            assert_eq!(gets(&kv), 5);
        });
    }

    #[test]
    fn writes_and_deletes_evict_at_once() {
        let cache = ReadCache::default();
        let kv = MemoryKv::default();
        pollster::block_on(async {
            let c = CachedKv::new(&kv, &cache, 0, 10);
            c.put("h/a", "old", PutOptions::default()).await.unwrap();
            assert_eq!(c.get("h/a").await.unwrap().as_deref(), Some("old"));
            c.put("h/a", "new", PutOptions::default()).await.unwrap();
            assert_eq!(c.get("h/a").await.unwrap().as_deref(), Some("new"));
            c.delete("h/a").await.unwrap();
            assert_eq!(c.get("h/a").await.unwrap(), None);
        });
    }

    /// A change made elsewhere (the admin plane) shows after a clear.
    #[test]
    fn clear_forgets_every_entry() {
        let cache = ReadCache::default();
        let kv = MemoryKv::default();
        pollster::block_on(async {
            kv.put("h/a", "old", PutOptions::default()).await.unwrap();
            let c = CachedKv::new(&kv, &cache, 0, 10);
            assert_eq!(c.get("h/a").await.unwrap().as_deref(), Some("old"));
            kv.put("h/a", "new", PutOptions::default()).await.unwrap();
            assert_eq!(c.get("h/a").await.unwrap().as_deref(), Some("old"));
            cache.clear();
            assert!(cache.is_empty());
            assert_eq!(c.get("h/a").await.unwrap().as_deref(), Some("new"));
        });
    }

    /// A flood of unknown tokens churns only the cached absences.
    #[test]
    fn a_flood_of_unknown_keys_leaves_the_hot_keys_cached() {
        let cache = ReadCache::default();
        let kv = MemoryKv::default();
        pollster::block_on(async {
            kv.put("h/hot", "1", PutOptions::default()).await.unwrap();
            let c = CachedKv::new(&kv, &cache, 0, 10);
            c.get("h/hot").await.unwrap();
            for i in 0..3 * MAX_ENTRIES {
                c.get(&format!("h/unknown{i}")).await.unwrap();
            }
            assert!(cache.len() <= MAX_ENTRIES);
            let before = gets(&kv);
            assert_eq!(c.get("h/hot").await.unwrap().as_deref(), Some("1"));
            assert_eq!(gets(&kv), before, "the hot key is still cached");
        });
        // Keys that exist past half the cache: it starts over.
        let cache = ReadCache::default();
        for i in 0..MAX_ENTRIES {
            cache.put(&format!("h/k{i}"), Some("1".into()), 10);
        }
        cache.put("h/one-more", None, 10);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn failures_are_not_cached_and_zero_ttl_is_off() {
        let cache = ReadCache::default();
        let kv = MemoryKv::default();
        pollster::block_on(async {
            kv.failing.set(true);
            assert!(CachedKv::new(&kv, &cache, 0, 10).get("h/a").await.is_err());
            assert!(cache.is_empty());
            kv.failing.set(false);
            let off = CachedKv::new(&kv, &cache, 0, 0);
            off.get("h/a").await.unwrap();
            assert!(cache.is_empty());
        });
    }
}
