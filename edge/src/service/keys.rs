//! The key service: get, list, export, create, patch, delete, bulk delete,
//! roll and the leak response, each one rule of
//! [`keygate_shared::rules`] and the storage calls it needs.

use chrono::{DateTime, Utc};
use keygate_shared::api::{
    invalid_cursor, BulkDeleteRequest, BulkDeleteResult, CreateKeyRequest, ListQuery,
    PatchKeyRequest, RollRequest, UsageDay, UsageReport,
};
use keygate_shared::rules::caller::Caller;
use keygate_shared::rules::{create, delete, limits, patch, roll};

use keygate_shared::{
    ApiError, AuditAction, AuditEvent, ErrorCode, KeyId, KeyRecord, LookupHash, Token,
};
use serde_json::{json, Map, Value};

use super::{not_found, unavailable, unavailable_after_write};
use crate::config::Config;
use crate::limiter::Limiter;
use crate::repo::{Cursor, Inserted, KeyPage, KeyQuery, Repo, StoredEntry, MAX_PARAMS};
use crate::sql::Db;
use crate::store::Kv;

/// A key just made (create or roll): its record and its token, shown once.
pub struct Created {
    /// The stored record.
    pub record: KeyRecord,
    /// The secret.
    pub token: Token,
}

/// `event` with the name of the admin who acted (`details.actor_name`).
fn by(mut event: AuditEvent, caller: &Caller) -> AuditEvent {
    if let Some(details) = event.details.as_object_mut() {
        details.insert("actor_name".into(), caller.name.clone().into());
    }
    event
}

/// Keys read per query while exporting.
const EXPORT_PAGE: usize = 1000;

/// The key service over `repo`, for one request at `now`.
pub struct KeyService<'a, K: Kv, D: Db> {
    repo: Repo<'a, K, D>,
    config: &'a Config,
    now: DateTime<Utc>,
    limiter: Option<&'a dyn Limiter>,
}

impl<'a, K: Kv, D: Db> KeyService<'a, K, D> {
    /// The service over `repo` with `config`, at `now`.
    pub fn new(repo: Repo<'a, K, D>, config: &'a Config, now: DateTime<Utc>) -> Self {
        Self {
            repo,
            config,
            now,
            limiter: None,
        }
    }

    /// The same, telling `limiter` when the last key of one of its
    /// limiters is deleted.
    #[must_use]
    pub fn with_limiter(mut self, limiter: Option<&'a dyn Limiter>) -> Self {
        self.limiter = limiter;
        self
    }

    /// The stored entry of key `id` in the caller's subtree, even one
    /// whose record does not decode (an entry whose organization cannot
    /// be read is seen by root callers only), or `KEY_NOT_FOUND`.
    pub async fn entry(&self, caller: &Caller, id: &str) -> Result<StoredEntry, ApiError> {
        if !keygate_shared::token::is_key_id(id) {
            return Err(not_found());
        }
        match self.repo.entry_by_id(id).await.map_err(unavailable)? {
            // An unreadable organization counts as the root's.
            Some(e)
                if e.organization
                    .as_ref()
                    .map_or(caller.organization.is_root(), |o| caller.sees(o)) =>
            {
                Ok(e)
            }
            _ => Err(not_found()),
        }
    }

    /// Key `id` in the caller's subtree.
    ///
    /// # Errors
    /// `KEY_NOT_FOUND`; `INTERNAL` for a record that does not decode.
    pub async fn get(&self, caller: &Caller, id: &str) -> Result<KeyRecord, ApiError> {
        self.entry(caller, id).await?.record.ok_or_else(|| {
            ApiError::new(
                ErrorCode::Internal,
                "The stored record of this key cannot be read; it can still be deleted.",
            )
        })
    }

    fn key_query<'q>(
        &self,
        caller: &'q Caller,
        query: &'q ListQuery,
        after: Option<Cursor>,
        limit: usize,
    ) -> KeyQuery<'q> {
        KeyQuery {
            subtree: caller
                .list_subtree(query.organization.as_ref())
                .map(|o| o.as_str()),
            status: query.status,
            group: query.group.as_deref(),
            q: query.q.as_deref().map(str::trim),
            sort: query.sort,
            after,
            limit,
            now: self.now,
            count: true,
            unused_since: query
                .unused_days
                .map(|d| self.now - chrono::Duration::days(i64::from(d))),
        }
    }

    /// One page of the caller's keys matching `query` (keyset paging).
    ///
    /// # Errors
    /// `INVALID_FIELD` on a cursor this API did not hand out for the sort.
    pub async fn list(&self, caller: &Caller, query: &ListQuery) -> Result<KeyPage, ApiError> {
        let after = match query.cursor.as_deref() {
            Some(c) => Some(Cursor::decode(c, query.sort).ok_or_else(invalid_cursor)?),
            None => None,
        };
        self.repo
            .page(&self.key_query(caller, query, after, query.limit))
            .await
            .map_err(unavailable)
    }

    /// Whether the admin key behind `caller` still signs in (in D1: not
    /// deleted, disabled or expired, and still holding an admin or reader
    /// role): a long-running export checks it before every page.
    pub async fn caller_still_signs_in(&self, caller: &Caller) -> Result<bool, ApiError> {
        let Some(id) = &caller.key_id else {
            // A person: until their Access token ends.
            return Ok(caller.signed_in_until.is_none_or(|until| self.now < until));
        };
        let entry = self.repo.entry_by_id(id).await.map_err(unavailable)?;
        Ok(entry.and_then(|e| e.record).is_some_and(|r| {
            r.status(self.now) == keygate_shared::Status::Active
                && (r.has_role(keygate_shared::model::ROLE_ADMIN)
                    || r.has_role(keygate_shared::model::ROLE_READER))
        }))
    }

    /// One export page (1,000 keys) of the caller's keys matching
    /// `query`, in the query's order, from `after`.
    pub async fn export_page(
        &self,
        caller: &Caller,
        query: &ListQuery,
        after: Option<Cursor>,
    ) -> Result<KeyPage, ApiError> {
        self.repo
            .page(&KeyQuery {
                count: false,
                ..self.key_query(caller, query, after, EXPORT_PAGE)
            })
            .await
            .map_err(unavailable)
    }

    /// A fresh token and key id (create and roll).
    fn new_token_and_id(&self) -> Result<(Token, KeyId), ApiError> {
        let no_randomness = |_| ApiError::new(ErrorCode::Internal, "No randomness available.");
        let token = Token::generate(&self.config.prefix).map_err(no_randomness)?;
        let id = KeyId::generate().map_err(no_randomness)?;
        Ok((token, id))
    }

    /// Creates a key (`rules::create`), held to the organization's limit
    /// in the insert itself: N concurrent creates for M free places give
    /// exactly M winners.
    pub async fn create(
        &self,
        caller: &Caller,
        body: &CreateKeyRequest,
    ) -> Result<Created, ApiError> {
        let new = create::new_key(caller, body, self.now)?;
        let (token, id) = self.new_token_and_id()?;
        let record = new.into_record(id, &token, caller, self.now);
        match self
            .repo
            .insert(&record, self.config.max_keys_per_org, self.now)
            .await
            .map_err(unavailable_after_write)?
        {
            Inserted::Stored => {}
            Inserted::LimitReached(max) => return Err(limits::reached(max)),
        }
        self.record_keeping_token(caller, AuditAction::Created, &record, Map::new())
            .await;
        Ok(Created { record, token })
    }

    /// Edits key `id` (`rules::patch`): only the fields that change are
    /// written, over a fresh copy of the record, so a revocation or roll
    /// made meanwhile is kept.
    pub async fn patch(
        &self,
        caller: &Caller,
        id: &str,
        body: &PatchKeyRequest,
    ) -> Result<KeyRecord, ApiError> {
        let current = self.get(caller, id).await?;
        let change = patch::plan(caller, &current, body, self.now)?;
        if change.is_empty() {
            return Ok(current);
        }
        let mut record = self
            .repo
            .modify(&current.id, &current.hash, self.now, &|r| change.apply(r))
            .await
            .map_err(unavailable_after_write)?
            .ok_or_else(not_found)?;
        if change.credits.is_some() {
            // The limiter resets to the new setting on its next decision;
            // the view shows the setting until then.
            self.repo
                .forget_credits_left(&record.id)
                .await
                .map_err(unavailable_after_write)?;
            record.credits_left = None;
        }
        for (action, details) in change.audit_events(&current) {
            self.record(caller, action, &record, details).await?;
        }
        Ok(record)
    }

    /// Key `id`'s verifications per day by outcome, for the last `days`
    /// days (today included), oldest first, every day present.
    pub async fn usage(
        &self,
        caller: &Caller,
        id: &str,
        days: u32,
    ) -> Result<UsageReport, ApiError> {
        let record = self.get(caller, id).await?;
        let today = self.now.date_naive();
        let first = today - chrono::Duration::days(i64::from(days.saturating_sub(1)));
        let fmt = crate::usage::day_key;
        let rows = self
            .repo
            .usage_days(record.id.as_str(), &fmt(first), &fmt(today))
            .await
            .map_err(unavailable)?;
        let mut report = UsageReport::default();
        let mut day = first;
        while day <= today {
            let date = fmt(day);
            let mut entry = UsageDay {
                date: date.clone(),
                ..UsageDay::default()
            };
            for (_, code, n) in rows.iter().filter(|(d, _, _)| *d == date) {
                if code == "VALID" {
                    entry.valid += n;
                } else {
                    *entry.rejected.entry(code.clone()).or_insert(0) += n;
                }
            }
            report.days.push(entry);
            day += chrono::Duration::days(1);
        }
        Ok(report)
    }

    /// Deletes key `id`, even one whose record does not decode.
    pub async fn delete(&self, caller: &Caller, id: &str) -> Result<(), ApiError> {
        caller.require_write()?;
        let entry = self.entry(caller, id).await?;
        self.remove(caller, &entry).await
    }

    /// Deletes up to 1,000 keys (`rules::delete`); ids it cannot find in
    /// the caller's subtree are reported, not refused. Read 100 ids per
    /// query and deleted with their events in one D1 batch per 100 keys,
    /// so a request stays within the platform's per-invocation limits
    /// (each key still needs its own KV delete).
    pub async fn bulk_delete(
        &self,
        caller: &Caller,
        body: &BulkDeleteRequest,
    ) -> Result<BulkDeleteResult, ApiError> {
        caller.require_write()?;
        let ids = delete::bulk_ids(body)?;
        let shaped: Vec<&str> = ids
            .iter()
            .map(String::as_str)
            .filter(|id| keygate_shared::token::is_key_id(id))
            .collect();
        let mut found = Vec::new();
        for chunk in shaped.chunks(MAX_PARAMS) {
            found.extend(self.repo.entries_by_ids(chunk).await.map_err(unavailable)?);
        }
        let mut result = BulkDeleteResult::default();
        let mut doomed = Vec::new();
        for id in ids {
            match found.iter().find(|e| e.id == id) {
                Some(e) if delete::may_delete(caller, e.organization.as_ref()) => {
                    doomed.push(e.clone());
                    result.deleted.push(id);
                }
                _ => result.not_found.push(id),
            }
        }
        let events: Vec<AuditEvent> = doomed
            .iter()
            .map(|e| {
                by(
                    e.event(self.now, &caller.actor, AuditAction::Deleted),
                    caller,
                )
            })
            .collect();
        let removed = self.repo.remove_entries(&doomed, &events).await;
        // Also after a failure part-way: the limiters of whichever keys
        // are gone (D1 says which) are forgotten, the others kept.
        forget_limiters(&self.repo, self.limiter, &doomed).await;
        removed.map_err(unavailable_after_write)?;
        Ok(result)
    }

    /// Deletes `entry` and records `key.deleted` (its organization and
    /// name, as far as they can be read, go into the event).
    async fn remove(&self, caller: &Caller, entry: &StoredEntry) -> Result<(), ApiError> {
        let removed = self.repo.remove_entry(entry).await;
        let recorded = match removed {
            Ok(()) => {
                self.write_event(&by(
                    entry.event(self.now, &caller.actor, AuditAction::Deleted),
                    caller,
                ))
                .await
            }
            Err(e) => Err(unavailable_after_write(e)),
        };
        // Whether or not the removal finished (its last KV delete may fail
        // after the row is gone): forgotten only if D1 no longer has it.
        forget_limiters(&self.repo, self.limiter, std::slice::from_ref(entry)).await;
        recorded
    }

    /// Rolls key `id` (`rules::roll`): a new key with the same attributes;
    /// the old one expires after the grace period. A revocation or edit
    /// that reaches the original while the roll runs reaches the copy too;
    /// a delete takes the copy with it.
    pub async fn roll(
        &self,
        caller: &Caller,
        id: &str,
        body: &RollRequest,
    ) -> Result<Created, ApiError> {
        caller.require_write()?;
        let grace = roll::grace_seconds(body)?;
        let old = self.get(caller, id).await?;
        roll::check(caller, &old, self.now)?;
        if let Some(successor) = &old.rolled_to {
            let exists = self
                .repo
                .entry_by_id(successor.as_str())
                .await
                .map_err(unavailable)?
                .is_some();
            return Err(roll::rolled_already(successor, exists));
        }
        let (token, id) = self.new_token_and_id()?;
        let mut new = roll::successor(&old, id, &token, caller, self.now);
        let replaced = roll::replaces_at_once(grace).then_some(&old.id);
        match self
            .repo
            .insert_replacing(&new, self.config.max_keys_per_org, replaced, self.now)
            .await
            .map_err(unavailable_after_write)?
        {
            Inserted::Stored => {}
            Inserted::LimitReached(max) => return Err(roll::limit_reached(max)),
        }
        let cutoff = roll::cutoff(self.now, grace);
        let shortened = match self
            .repo
            .modify_telling(&old.id, &old.hash, self.now, &|r| {
                roll::shorten(r, cutoff, &new.id)
            })
            .await
        {
            Ok(shortened) => shortened,
            Err(failed) => {
                // Cut short in D1 (the settle after it failed), or perhaps
                // so with only the update's answer lost: the roll has
                // happened, and only this answer can give the new token.
                // Reconciliation settles the old projection.
                let cut_short = match failed.written {
                    Some(fresh) => Some(fresh),
                    None => self
                        .repo
                        .entry_by_id(&old.id)
                        .await
                        .ok()
                        .flatten()
                        .and_then(|e| e.record)
                        .filter(|r| r.expires_at.is_some_and(|t| t <= cutoff)),
                };
                if cut_short.is_none() {
                    // Not cut short: the shortening withdrew the old
                    // projection first, so put back what the row says, and
                    // take the unused new key back (both best effort); the
                    // client goes on with the old token.
                    if let Err(e) = self.repo.settle(&old.id, &old.hash, self.now).await {
                        crate::log::error(&format!(
                            "roll of key {}: its projection waits for reconciliation: {}",
                            old.id, e.0
                        ));
                    }
                    self.take_back(&old, &new).await;
                    return Err(unavailable_after_write(failed.error));
                }
                crate::log::error(&format!(
                    "roll of key {}: the old key is cut short, its projection not settled: {}",
                    old.id, failed.error.0
                ));
                cut_short
            }
        };
        let Some(fresh) = shortened else {
            self.repo
                .remove(&new)
                .await
                .map_err(unavailable_after_write)?;
            // The original was deleted meanwhile; its delete may have seen
            // this copy and kept the limiter they share: forget it now.
            forget_limiters_of(&self.repo, self.limiter, std::iter::once(&new)).await;
            return Err(not_found());
        };
        if let Some(winner) = fresh.rolled_to.as_ref().filter(|w| **w != new.id) {
            // Another roll of the same key landed first: it stands, and
            // this copy never served anyone.
            self.take_back(&old, &new).await;
            return Err(roll::rolled_already(winner, true));
        }
        if roll::copy_must_follow(&old, &fresh) {
            // An edit reached the original while the roll ran (perhaps a
            // revocation): a copy that cannot follow it must not live on.
            match self
                .repo
                .modify(&new.id, &new.hash, self.now, &|r| roll::follow(r, &fresh))
                .await
            {
                Ok(Some(followed)) => new = followed,
                Ok(None) => return Err(not_found()),
                Err(e) => {
                    self.take_back(&old, &new).await;
                    return Err(unavailable_after_write(e));
                }
            }
        }
        let mut details = Map::new();
        details.insert("new_key_id".into(), json!(new.id));
        details.insert("grace_seconds".into(), json!(grace));
        self.record_keeping_token(caller, AuditAction::Rolled, &fresh, details)
            .await;
        Ok(Created { record: new, token })
    }

    /// Disables the key whose token hashes to `hash`, if it is ours, and
    /// records `key.leaked` by `actor` with `details`. Looked up in D1
    /// (the source of truth, never a cache), and only `enabled` is
    /// written, over a fresh copy: the response always ends with the key
    /// disabled and changes nothing else.
    pub async fn disable_leaked(
        &self,
        hash: &LookupHash,
        actor: &str,
        details: Map<String, Value>,
    ) -> Result<bool, ApiError> {
        let found = self
            .repo
            .entry_by_hash(&hash.to_hex())
            .await
            .map_err(unavailable)?;
        let Some(record) = found
            .and_then(|e| e.record)
            .filter(|rec| hash.matches_hex(&rec.hash))
        else {
            return Ok(false);
        };
        // Already disabled (by an admin, or by this report sent before):
        // nothing to write but the event, so that the leak is on record
        // (a retry after a failed event write writes it then).
        let record = if record.enabled {
            let disabled = self
                .repo
                .modify(&record.id, &record.hash, self.now, &|r| r.enabled = false)
                .await
                .map_err(unavailable_after_write)?;
            // Deleted meanwhile: nothing left to disable, still ours.
            disabled.unwrap_or(record)
        } else {
            record
        };
        let event = AuditEvent::for_key(&record, self.now, actor, AuditAction::Leaked, details);
        self.write_event(&event).await?;
        Ok(true)
    }

    /// Records an audit event about `record` after a change was stored,
    /// by `caller` (its name kept in the event, so it still reads as a
    /// name once that key is gone).
    async fn record(
        &self,
        caller: &Caller,
        action: AuditAction,
        record: &KeyRecord,
        details: Map<String, Value>,
    ) -> Result<(), ApiError> {
        let event = by(
            AuditEvent::for_key(record, self.now, &caller.actor, action, details),
            caller,
        );
        self.write_event(&event).await
    }

    /// Removes a roll's new key that is not to be used, logging a failure
    /// (the key then stays until deleted; nobody holds its token).
    async fn take_back(&self, old: &KeyRecord, new: &KeyRecord) {
        if let Err(e) = self.repo.remove(new).await {
            crate::log::error(&format!(
                "roll of key {}: its unused new key {} stays until deleted: {}",
                old.id, new.id, e.0
            ));
        }
    }

    /// [`Self::record`] after a create or roll has stored a key whose
    /// token only this answer carries: a failed audit write is logged with
    /// its cause, and the answer still gives the token. A 503 would leave
    /// an active key nobody holds, and a roll with no grace period would
    /// lock its client out (the old key already ends now).
    async fn record_keeping_token(
        &self,
        caller: &Caller,
        action: AuditAction,
        record: &KeyRecord,
        details: Map<String, Value>,
    ) {
        if let Err(e) = self.record(caller, action, record, details).await {
            crate::log::error(&format!(
                "{} of key {} stored, its audit event not written: {}",
                action.as_str(),
                record.id,
                e.cause.unwrap_or_default()
            ));
        }
    }

    async fn write_event(&self, event: &AuditEvent) -> Result<(), ApiError> {
        self.repo.audit(event).await.map_err(|e| {
            ApiError::new(
                ErrorCode::Unavailable,
                "The change was stored but its audit event could not be written.",
            )
            .with_cause(format!("audit write failed after a change: {}", e.0))
        })
    }
}

/// After `deleted` were deleted (or a deletion was tried and may have
/// failed part-way): tells the limiter of each that had limits, once no
/// key in D1 uses it any more (a rolled copy spends its original's), to
/// forget, so its Durable Object refuses any stale copy of the key and
/// then clears its storage. Keys that never had limits cost nothing here. A failure
/// is logged and the deletion stands: the object then keeps its counts
/// (still refusing what they refused), which costs only its storage.
pub async fn forget_limiters<K: Kv, D: Db>(
    repo: &Repo<'_, K, D>,
    limiter: Option<&dyn Limiter>,
    deleted: &[StoredEntry],
) {
    let records = deleted.iter().filter_map(|e| e.record.as_ref());
    forget_limiters_of(repo, limiter, records).await;
}

/// [`forget_limiters`] for the records of deleted keys.
async fn forget_limiters_of<'r, K: Kv, D: Db>(
    repo: &Repo<'_, K, D>,
    limiter: Option<&dyn Limiter>,
    deleted: impl Iterator<Item = &'r KeyRecord>,
) {
    let mut names: Vec<&str> = deleted
        .filter(|r| r.may_have_limiter_state())
        .map(|r| r.limiter_name().as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return;
    }
    let Some(limiter) = limiter else {
        crate::log::error("limiters of deleted keys not cleared: the binding LIMITER is missing");
        return;
    };
    let unused = match repo.unused_limiters(&names).await {
        Ok(unused) => unused,
        Err(e) => {
            crate::log::error(&format!(
                "limiters of deleted keys not cleared: storage failed: {}",
                e.0
            ));
            return;
        }
    };
    // A few at a time (a bulk delete may name 1,000), not one after another.
    for names in unused.chunks(FORGET_AT_ONCE) {
        let calls = names.iter().map(|name| limiter.forget(name)).collect();
        for result in join_all(calls).await {
            if let Err(e) = result {
                crate::log::error(&format!(
                    "limiter not cleared after its keys were deleted: {}",
                    e.0
                ));
            }
        }
    }
}

/// Limiter calls in flight at once while forgetting: the runtime runs six
/// subrequests of an invocation at a time and queues the rest.
const FORGET_AT_ONCE: usize = 6;

/// Polls `futures` together until each is done; their results in order.
async fn join_all<T>(
    futures: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = T> + '_>>>,
) -> Vec<T> {
    let mut pending: Vec<_> = futures.into_iter().map(Some).collect();
    let mut done: Vec<Option<T>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (slot, out) in pending.iter_mut().zip(done.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => {
                        *out = Some(value);
                        *slot = None;
                    }
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    done.into_iter().flatten().collect()
}
