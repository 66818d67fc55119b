//! The storage trait: the few Workers KV operations Keygate uses, so the
//! worker's logic runs natively over [`MemoryKv`] and in workerd over KV.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

/// Storage did not answer; the caller fails closed with `UNAVAILABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

/// Result of a storage operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Options of a write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutOptions {
    /// Unix seconds after which KV drops the entry by itself, at most
    /// [`MAX_EXPIRATION`].
    pub expiration: Option<i64>,
    /// Up to 1024 bytes of JSON returned by `list`.
    pub metadata: Option<serde_json::Value>,
}

/// Latest expiration KV takes: workerd reads it as a 32-bit integer
/// (2038-01-19); a later one fails the write ("Value out of range").
pub const MAX_EXPIRATION: i64 = i32::MAX as i64;

/// One entry of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// The KV key.
    pub name: String,
    /// Its metadata, if it has any.
    pub metadata: Option<serde_json::Value>,
}

/// One page of a listing, in key order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListPage {
    /// Entries of this page.
    pub keys: Vec<Listed>,
    /// Where the next page starts; `None` at the end.
    pub cursor: Option<String>,
}

/// The KV operations Keygate needs.
#[allow(async_fn_in_trait)] // one single-threaded implementation per target; no Send bound wanted
pub trait Kv {
    /// Reads a value.
    async fn get(&self, key: &str) -> StoreResult<Option<String>>;
    /// Reads a value past this isolate's cache (KV's own edge cache may
    /// still answer): what a write path reads right before it writes.
    async fn get_fresh(&self, key: &str) -> StoreResult<Option<String>> {
        self.get(key).await
    }
    /// Waits a moment before asking again (for a write turn held by
    /// another request). The runtime cancels a request that waits on
    /// nothing of its own, so the worker sleeps on a timer; natively this
    /// yields once.
    async fn pause(&self) {
        let mut yielded = false;
        std::future::poll_fn(|cx| {
            if yielded {
                std::task::Poll::Ready(())
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await;
    }
    /// Writes a value.
    async fn put(&self, key: &str, value: &str, options: PutOptions) -> StoreResult<()>;
    /// Deletes a key (no error if absent).
    async fn delete(&self, key: &str) -> StoreResult<()>;
    /// Lists keys with `prefix`, at most `limit` (≤ 1000), from `cursor`.
    async fn list(&self, prefix: &str, cursor: Option<&str>, limit: usize)
        -> StoreResult<ListPage>;
}

impl<K: Kv> Kv for &K {
    async fn get(&self, key: &str) -> StoreResult<Option<String>> {
        (**self).get(key).await
    }
    async fn get_fresh(&self, key: &str) -> StoreResult<Option<String>> {
        (**self).get_fresh(key).await
    }
    async fn pause(&self) {
        (**self).pause().await;
    }
    async fn put(&self, key: &str, value: &str, options: PutOptions) -> StoreResult<()> {
        (**self).put(key, value, options).await
    }
    async fn delete(&self, key: &str) -> StoreResult<()> {
        (**self).delete(key).await
    }
    async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<ListPage> {
        (**self).list(prefix, cursor, limit).await
    }
}

/// In-memory KV with the same ordering and paging as Workers KV, for
/// native tests. It can be told to fail, to test that failures close.
#[derive(Debug, Default)]
pub struct MemoryKv {
    entries: RefCell<BTreeMap<String, (String, PutOptions)>>,
    /// When set, every operation fails.
    pub failing: Cell<bool>,
    /// When non-zero, the `n`-th operation from now fails, and every one
    /// after it (`failing` is set): a failure injected part-way through a
    /// request.
    pub fail_after: Cell<u32>,
    /// Operations performed, by kind: (get, put, delete, list).
    pub counts: Cell<(u32, u32, u32, u32)>,
}

impl MemoryKv {
    fn check(&self) -> StoreResult<()> {
        match self.fail_after.get() {
            0 => {}
            1 => self.failing.set(true),
            n => self.fail_after.set(n - 1),
        }
        if self.failing.get() {
            Err(StoreError("injected storage failure".into()))
        } else {
            Ok(())
        }
    }

    fn count(&self, f: impl FnOnce(&mut (u32, u32, u32, u32))) {
        let mut c = self.counts.get();
        f(&mut c);
        self.counts.set(c);
    }

    /// Every key now stored (for tests).
    #[must_use]
    pub fn keys(&self) -> Vec<String> {
        self.entries.borrow().keys().cloned().collect()
    }

    /// The raw value and options of a key (for tests).
    #[must_use]
    pub fn raw(&self, key: &str) -> Option<(String, PutOptions)> {
        self.entries.borrow().get(key).cloned()
    }
}

impl Kv for MemoryKv {
    async fn get(&self, key: &str) -> StoreResult<Option<String>> {
        self.count(|c| c.0 += 1);
        self.check()?;
        Ok(self.entries.borrow().get(key).map(|(v, _)| v.clone()))
    }

    async fn put(&self, key: &str, value: &str, options: PutOptions) -> StoreResult<()> {
        self.count(|c| c.1 += 1);
        self.check()?;
        if options.expiration.is_some_and(|at| at > MAX_EXPIRATION) {
            return Err(StoreError("Value out of range (expiration)".to_owned()));
        }
        self.entries
            .borrow_mut()
            .insert(key.to_owned(), (value.to_owned(), options));
        Ok(())
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.count(|c| c.2 += 1);
        self.check()?;
        self.entries.borrow_mut().remove(key);
        Ok(())
    }

    async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<ListPage> {
        self.count(|c| c.3 += 1);
        self.check()?;
        let entries = self.entries.borrow();
        let start = cursor.unwrap_or(prefix);
        let mut keys: Vec<Listed> = entries
            .range(start.to_owned()..)
            .filter(|(k, _)| cursor.is_none_or(|c| k.as_str() > c))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit + 1)
            .map(|(k, (_, o))| Listed {
                name: k.clone(),
                metadata: o.metadata.clone(),
            })
            .collect();
        let cursor = (keys.len() > limit).then(|| {
            keys.truncate(limit);
            keys.last().map(|l| l.name.clone()).unwrap_or_default()
        });
        Ok(ListPage { keys, cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_in_order_with_pages() {
        let kv = MemoryKv::default();
        pollster::block_on(async {
            for k in ["a/3", "a/1", "b/1", "a/2"] {
                kv.put(k, "v", PutOptions::default()).await.unwrap();
            }
            let p1 = kv.list("a/", None, 2).await.unwrap();
            assert_eq!(
                p1.keys.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
                ["a/1", "a/2"]
            );
            let p2 = kv.list("a/", p1.cursor.as_deref(), 2).await.unwrap();
            assert_eq!(
                p2.keys.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
                ["a/3"]
            );
            assert_eq!(p2.cursor, None);
            kv.failing.set(true);
            assert!(kv.get("a/1").await.is_err());
        });
    }
}
