//! Key endpoints: list, create, get, edit, delete, bulk delete, roll.

use chrono::Duration;
use keygate_shared::api::{
    decode_body, BulkDeleteRequest, BulkDeleteResult, CreateKeyRequest, CreatedKey, KeyList,
    ListQuery, PatchKeyRequest, RollRequest, SortOrder, MAX_BULK_IDS, MAX_GRACE_SECONDS,
};
use keygate_shared::rules::reach::{self, KeyReach};
use keygate_shared::{org, token, validation, ApiError, ErrorCode, KeyRecord, Token};
use serde_json::{json, Map};

use super::{unavailable, unavailable_after_write, Caller};
use crate::app::App;
use crate::http::{HttpRequest, HttpResponse};
use crate::repo::StoredEntry;
use crate::store::Kv;

fn query_pairs(req: &HttpRequest) -> impl Iterator<Item = (&str, &str)> {
    req.query.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// Whether `record` matches the text query (already lower-case).
fn matches_text(record: &KeyRecord, needle: &str) -> bool {
    let hay = [
        record.name.as_str(),
        record.description.as_str(),
        record.organization.as_str(),
        record.group.as_deref().unwrap_or(""),
        record.created_by.as_str(),
        record.hint.as_str(),
    ];
    hay.iter().any(|h| h.to_lowercase().contains(needle))
        || record
            .roles
            .iter()
            .any(|r| r.to_lowercase().contains(needle))
}

fn sort(records: &mut [KeyRecord], order: SortOrder) {
    let by_name = |a: &KeyRecord, b: &KeyRecord| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then_with(|| a.id.cmp(&b.id))
    };
    // Never-expiring keys sort as the latest expiry.
    let expiry = |r: &KeyRecord| r.expires_at.map_or(i64::MAX, |t| t.timestamp_millis());
    match order {
        SortOrder::Name => records.sort_by(by_name),
        SortOrder::NameDesc => records.sort_by(|a, b| by_name(b, a)),
        SortOrder::CreatedAt => records.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.id.cmp(&b.id))
        }),
        SortOrder::CreatedAtDesc => records.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| b.id.cmp(&a.id))
        }),
        SortOrder::ExpiresAt => {
            records.sort_by(|a, b| expiry(a).cmp(&expiry(b)).then_with(|| a.id.cmp(&b.id)))
        }
        SortOrder::ExpiresAtDesc => {
            records.sort_by(|a, b| expiry(b).cmp(&expiry(a)).then_with(|| b.id.cmp(&a.id)))
        }
    }
}

impl<K: Kv> App<'_, K> {
    /// The caller's keys after the query's filters, in the query's order.
    pub(crate) async fn filtered_keys(
        &self,
        caller: &Caller,
        query: &ListQuery,
    ) -> Result<Vec<KeyRecord>, ApiError> {
        let needle = query.q.as_ref().map(|q| q.trim().to_lowercase());
        let mut records: Vec<KeyRecord> = self
            .repo()
            .all()
            .await
            .map_err(unavailable)?
            .into_iter()
            .filter(|r| caller.sees(&r.organization))
            .filter(|r| {
                query
                    .organization
                    .as_deref()
                    .is_none_or(|o| org::is_within(&r.organization, o))
            })
            .filter(|r| query.status.is_none_or(|s| r.status(self.now) == s))
            .filter(|r| {
                query
                    .group
                    .as_deref()
                    .is_none_or(|g| r.group.as_deref() == Some(g))
            })
            .filter(|r| needle.as_deref().is_none_or(|n| matches_text(r, n)))
            .collect();
        sort(&mut records, query.sort);
        Ok(records)
    }

    /// `GET /api/v1/keys`.
    pub async fn list_keys(
        &self,
        caller: &Caller,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        let query = ListQuery::from_pairs(query_pairs(req))?;
        let records = self.filtered_keys(caller, &query).await?;
        let total = records.len();
        let end = query.offset.saturating_add(query.limit).min(total);
        let keys = records
            .get(query.offset.min(total)..end)
            .unwrap_or_default()
            .iter()
            .map(|r| r.view(self.now))
            .collect();
        let next_cursor = (end < total).then(|| end.to_string());
        Ok(HttpResponse::json(
            200,
            &KeyList {
                keys,
                next_cursor,
                total,
            },
        ))
    }

    /// `GET /api/v1/keys/{id}`.
    pub async fn get_key(&self, caller: &Caller, id: &str) -> Result<HttpResponse, ApiError> {
        let record = self.visible_key(caller, id).await?;
        Ok(HttpResponse::json(200, &record.view(self.now)))
    }

    /// `POST /api/v1/keys`.
    pub async fn create_key(
        &self,
        caller: &Caller,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        caller.require_write()?;
        let body: CreateKeyRequest = decode_body(&req.body, CreateKeyRequest::FIELDS, &[])?;
        let name = validation::name(body.name.as_deref().unwrap_or(""))?;
        let description = validation::description(body.description.as_deref().unwrap_or(""))?;
        let organization = match body.organization {
            Some(o) => validation::organization(&o)?,
            None => caller.record.organization.clone(),
        };
        if !caller.sees(&organization) {
            return Err(ApiError::field(
                ErrorCode::Forbidden,
                "organization",
                "You may only create keys in your own organization or below it.",
            ));
        }
        let group = body.group.as_deref().map(validation::group).transpose()?;
        let roles = body.roles.unwrap_or_default();
        validation::roles(&roles)?;
        let ip_allowlist = validation::ip_allowlist(&body.ip_allowlist.unwrap_or_default())?;
        let meta = body
            .meta
            .as_ref()
            .map(validation::meta)
            .transpose()?
            .unwrap_or_default();
        // Reach (§4): a key with a reserved role stays inside the caller's
        // reach; its omitted expiry defaults to the earlier of 365 days and
        // the caller's own expiry, so the first create an operator tries
        // with the bootstrap key succeeds.
        let reserved = reach::holds_reserved_role(&roles);
        let expires_at = if body.expires_at.is_none() && body.expires_in_days.is_none() {
            reach::default_expiry(reserved, &caller.reach(), self.now)
        } else {
            validation::expiry(body.expires_at, body.expires_in_days, self.now)?
        };
        if reserved {
            reach::check_reserved_key(
                &caller.reach(),
                &KeyReach {
                    organization: &organization,
                    expires_at,
                    ip_allowlist: &ip_allowlist,
                },
            )?;
        }
        self.check_org_limit(&organization).await?;
        let (token, id) = self.new_token_and_id()?;
        let record = KeyRecord {
            id,
            name,
            description,
            organization,
            group,
            roles,
            ip_allowlist,
            enabled: body.enabled.unwrap_or(true),
            created_at: self.now,
            created_by: caller.record.id.clone(),
            expires_at,
            hint: token.hint(),
            hash: token.lookup_hash().to_hex(),
            notified_days: vec![],
            meta,
        };
        self.repo()
            .insert(&record, self.now)
            .await
            .map_err(unavailable_after_write)?;
        self.undo_if_over_limit(&record).await?;
        self.record_event(&caller.record.id, "key.created", &record, Map::new())
            .await?;
        Ok(HttpResponse::json(
            201,
            &CreatedKey {
                key: record.view(self.now),
                token: token.expose_secret().to_owned(),
            },
        ))
    }

    /// A fresh token and key id (create and roll).
    fn new_token_and_id(&self) -> Result<(Token, String), ApiError> {
        let no_randomness = |_| ApiError::new(ErrorCode::Internal, "No randomness available.");
        let token = Token::generate(&self.config.prefix).map_err(no_randomness)?;
        let id = token::new_key_id().map_err(no_randomness)?;
        Ok((token, id))
    }

    /// Deletes every entry of a stored key (even one whose record does
    /// not decode) and records `key.deleted`.
    async fn remove_key(&self, caller: &Caller, entry: &StoredEntry) -> Result<(), ApiError> {
        self.repo()
            .remove_entry(entry)
            .await
            .map_err(unavailable_after_write)?;
        match &entry.record {
            Some(record) => {
                self.record_event(&caller.record.id, "key.deleted", record, Map::new())
                    .await
            }
            None => {
                let mut details = Map::new();
                details.insert(
                    "organization".into(),
                    json!(entry.organization.clone().unwrap_or_default()),
                );
                details.insert("name".into(), json!(entry.name.clone().unwrap_or_default()));
                let event = keygate_shared::AuditEvent {
                    at: self.now,
                    actor: caller.record.id.clone(),
                    action: "key.deleted".into(),
                    key_id: entry.id.clone(),
                    details: serde_json::Value::Object(details),
                };
                self.write_event(&event).await
            }
        }
    }

    /// Unexpired keys stored in exactly `organization`.
    async fn live_keys_in(&self, organization: &str) -> Result<usize, ApiError> {
        let all = self.repo().all().await.map_err(unavailable)?;
        Ok(live_count(&all, organization, self.now))
    }

    /// `KEY_LIMIT_REACHED` when `organization` already holds the maximum
    /// of unexpired keys (that exact organization).
    async fn check_org_limit(&self, organization: &str) -> Result<(), ApiError> {
        let max = self.config.max_keys_per_org as usize;
        if max == 0 {
            return Ok(());
        }
        let live = self.live_keys_in(organization).await?;
        if live >= max {
            return Err(limit_reached(live, max));
        }
        Ok(())
    }

    /// KV has no transactions, so two creates can both pass
    /// [`Self::check_org_limit`]. Counting again after the write closes that
    /// race wherever KV lists its own writes (one location; local dev):
    /// a create that finds the organization over the limit takes its own
    /// key back and answers 409, so concurrent creates may both lose but
    /// never both win. Across Cloudflare locations KV propagates in up to
    /// ~60 s, which bounds what this can see (README: "Limits").
    async fn undo_if_over_limit(&self, record: &KeyRecord) -> Result<(), ApiError> {
        let max = self.config.max_keys_per_org as usize;
        if max == 0 {
            return Ok(());
        }
        let all = self.repo().all().await.map_err(unavailable_after_write)?;
        let live = live_count(&all, &record.organization, self.now);
        if live > max {
            self.repo()
                .remove(record)
                .await
                .map_err(unavailable_after_write)?;
            return Err(limit_reached(live - 1, max));
        }
        Ok(())
    }

    /// `PATCH /api/v1/keys/{id}`: only the fields sent change, written
    /// over a fresh copy of the record (a revocation or roll made
    /// meanwhile is kept); the reach rules bind a changed allowlist and
    /// re-enabling a reserved-role key.
    pub async fn patch_key(
        &self,
        caller: &Caller,
        id: &str,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        caller.require_write()?;
        let body: PatchKeyRequest = decode_body(
            &req.body,
            PatchKeyRequest::FIELDS,
            PatchKeyRequest::IMMUTABLE,
        )?;
        let current = self.visible_key(caller, id).await?;
        let name = body
            .name
            .as_deref()
            .map(validation::name)
            .transpose()?
            .filter(|n| *n != current.name);
        let description = body
            .description
            .as_deref()
            .map(validation::description)
            .transpose()?
            .filter(|d| *d != current.description);
        let allowlist = body
            .ip_allowlist
            .as_deref()
            .map(validation::ip_allowlist)
            .transpose()?
            .filter(|l| *l != current.ip_allowlist);
        let meta = body
            .meta
            .as_ref()
            .map(validation::meta)
            .transpose()?
            .filter(|m| *m != current.meta);
        let toggled = body.enabled.filter(|e| *e != current.enabled);
        let change = |r: &mut KeyRecord| {
            if let Some(n) = &name {
                r.name.clone_from(n);
            }
            if let Some(d) = &description {
                r.description.clone_from(d);
            }
            if let Some(l) = &allowlist {
                r.ip_allowlist.clone_from(l);
            }
            if let Some(m) = &meta {
                r.meta.clone_from(m);
            }
            if let Some(e) = toggled {
                r.enabled = e;
            }
        };
        let mut after = current.clone();
        change(&mut after);
        if let Some(list) = &allowlist {
            if current.id == caller.record.id {
                reach::check_own_allowlist(&current.ip_allowlist, list)?;
            }
        }
        if reach::holds_reserved_role(&after.roles)
            && (allowlist.is_some() || toggled == Some(true))
        {
            reach::check_reserved_key(
                &caller.reach(),
                &KeyReach {
                    organization: &after.organization,
                    expires_at: after.expires_at,
                    ip_allowlist: &after.ip_allowlist,
                },
            )?;
        }
        let mut changed = Vec::new();
        for (field, is) in [
            ("name", name.is_some()),
            ("description", description.is_some()),
            ("ip_allowlist", allowlist.is_some()),
            ("meta", meta.is_some()),
        ] {
            if is {
                changed.push(field);
            }
        }
        if changed.is_empty() && toggled.is_none() {
            return Ok(HttpResponse::json(200, &current.view(self.now)));
        }
        let record = self
            .repo()
            .modify(&current.id, &current.hash, self.now, &change)
            .await
            .map_err(unavailable_after_write)?
            .ok_or_else(super::not_found)?;
        if !changed.is_empty() {
            let mut details = Map::new();
            details.insert("fields".into(), json!(changed));
            self.record_event(&caller.record.id, "key.updated", &record, details)
                .await?;
        }
        if let Some(e) = toggled {
            let action = if e { "key.enabled" } else { "key.disabled" };
            self.record_event(&caller.record.id, action, &record, Map::new())
                .await?;
        }
        Ok(HttpResponse::json(200, &record.view(self.now)))
    }

    /// `DELETE /api/v1/keys/{id}`.
    pub async fn delete_key(&self, caller: &Caller, id: &str) -> Result<HttpResponse, ApiError> {
        caller.require_write()?;
        let entry = self.visible_entry(caller, id).await?;
        self.remove_key(caller, &entry).await?;
        Ok(HttpResponse::no_content())
    }

    /// `POST /api/v1/keys/bulk-delete`.
    pub async fn bulk_delete(
        &self,
        caller: &Caller,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        caller.require_write()?;
        let body: BulkDeleteRequest = decode_body(&req.body, BulkDeleteRequest::FIELDS, &[])?;
        let ids = body
            .ids
            .ok_or_else(|| ApiError::invalid("ids", "ids is a list of key ids."))?;
        if ids.is_empty() || ids.len() > MAX_BULK_IDS {
            return Err(ApiError::invalid(
                "ids",
                format!("ids holds 1 to {MAX_BULK_IDS} key ids."),
            ));
        }
        let mut result = BulkDeleteResult::default();
        for (i, id) in ids.iter().enumerate() {
            if ids[..i].contains(id) {
                continue;
            }
            match self.visible_entry(caller, id).await {
                Ok(entry) => {
                    self.remove_key(caller, &entry).await?;
                    result.deleted.push(id.clone());
                }
                Err(e) if e.code == ErrorCode::KeyNotFound => result.not_found.push(id.clone()),
                // Keys deleted before the failure stay deleted: say so.
                Err(e) if e.code == ErrorCode::Unavailable && !result.deleted.is_empty() => {
                    return Err(super::partly_stored())
                }
                Err(e) => return Err(e),
            }
        }
        Ok(HttpResponse::json(200, &result))
    }

    /// `POST /api/v1/keys/{id}/roll`: a new key with the same attributes;
    /// the old one expires after the grace period.
    pub async fn roll_key(
        &self,
        caller: &Caller,
        id: &str,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        caller.require_write()?;
        let body: RollRequest = if req.body.iter().all(u8::is_ascii_whitespace) {
            RollRequest::default()
        } else {
            decode_body(&req.body, RollRequest::FIELDS, &[])?
        };
        let grace = body.grace_seconds.unwrap_or(0);
        if grace > MAX_GRACE_SECONDS {
            return Err(ApiError::invalid(
                "grace_seconds",
                format!("grace_seconds is 0 to {MAX_GRACE_SECONDS}."),
            ));
        }
        let old = self.visible_key(caller, id).await?;
        if old.expires_at.is_some_and(|at| at <= self.now) {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                "id",
                "An expired key cannot be rolled.",
            ));
        }
        // The new key is a copy: a reserved-role one must fit the caller's
        // reach like a created one (no 10-day admin minting a 300-day one).
        if reach::holds_reserved_role(&old.roles) {
            reach::check_reserved_key(
                &caller.reach(),
                &KeyReach {
                    organization: &old.organization,
                    expires_at: old.expires_at,
                    ip_allowlist: &old.ip_allowlist,
                },
            )?;
        }
        let (token, id) = self.new_token_and_id()?;
        let new = KeyRecord {
            id,
            created_at: self.now,
            created_by: caller.record.id.clone(),
            hint: token.hint(),
            hash: token.lookup_hash().to_hex(),
            notified_days: vec![],
            ..old.clone()
        };
        self.repo()
            .insert(&new, self.now)
            .await
            .map_err(unavailable_after_write)?;
        let cutoff = self.now + Duration::seconds(i64::from(grace));
        let shortened = self
            .repo()
            .modify(&old.id, &old.hash, self.now, &|r| {
                r.expires_at = Some(r.expires_at.map_or(cutoff, |at| at.min(cutoff)));
            })
            .await
            .map_err(unavailable_after_write)?;
        let Some(fresh) = shortened else {
            // Deleted meanwhile: the copy of a deleted key goes too.
            self.repo()
                .remove(&new)
                .await
                .map_err(unavailable_after_write)?;
            return Err(super::not_found());
        };
        // An edit or revocation that reached the original after it was
        // read (a disable, a narrower allowlist) reaches the copy too.
        let edited_meanwhile = fresh.enabled != old.enabled
            || fresh.ip_allowlist != old.ip_allowlist
            || fresh.name != old.name
            || fresh.description != old.description;
        let mut new = new;
        if edited_meanwhile {
            new = self
                .repo()
                .modify(&new.id, &new.hash, self.now, &|r| {
                    r.enabled = fresh.enabled;
                    r.ip_allowlist.clone_from(&fresh.ip_allowlist);
                    r.name.clone_from(&fresh.name);
                    r.description.clone_from(&fresh.description);
                })
                .await
                .map_err(unavailable_after_write)?
                .ok_or_else(super::not_found)?;
        }
        let old = fresh;
        let mut details = Map::new();
        details.insert("new_key_id".into(), json!(new.id));
        details.insert("grace_seconds".into(), json!(grace));
        self.record_event(&caller.record.id, "key.rolled", &old, details)
            .await?;
        Ok(HttpResponse::json(
            201,
            &CreatedKey {
                key: new.view(self.now),
                token: token.expose_secret().to_owned(),
            },
        ))
    }
}

/// Unexpired keys among `records` in exactly `organization`.
fn live_count(
    records: &[KeyRecord],
    organization: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> usize {
    records
        .iter()
        .filter(|r| r.organization == organization && r.expires_at.is_none_or(|at| at > now))
        .count()
}

fn limit_reached(live: usize, max: usize) -> ApiError {
    ApiError::new(
        ErrorCode::KeyLimitReached,
        format!("This organization already has {live} unexpired keys; the limit is {max}."),
    )
}
