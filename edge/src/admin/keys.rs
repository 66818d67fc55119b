//! Key endpoints: list, create, get, edit, delete, bulk delete, roll.

use chrono::Duration;
use keygate_shared::api::{
    decode_body, invalid_cursor, BulkDeleteRequest, BulkDeleteResult, CreateKeyRequest, CreatedKey,
    KeyList, ListQuery, PatchKeyRequest, RollRequest, MAX_BULK_IDS, MAX_GRACE_SECONDS,
};
use keygate_shared::rules::reach::{self, KeyReach};
use keygate_shared::{org, token, validation, ApiError, ErrorCode, KeyRecord, Token};
use serde_json::{json, Map};

use super::{unavailable, unavailable_after_write, Caller};
use crate::app::App;
use crate::http::{HttpRequest, HttpResponse};
use crate::repo::{Cursor, Inserted, KeyQuery, StoredEntry};
use crate::sql::Db;
use crate::store::Kv;

fn query_pairs(req: &HttpRequest) -> impl Iterator<Item = (&str, &str)> {
    req.query.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

impl<K: Kv, D: Db> App<'_, K, D> {
    /// The storage query of the caller's list `query` from `after`.
    pub(crate) fn key_query<'q>(
        &self,
        caller: &'q Caller,
        query: &'q ListQuery,
        after: Option<Cursor>,
        limit: usize,
    ) -> KeyQuery<'q> {
        // The asked-for subtree intersected with the caller's: the deeper
        // of the two when one holds the other, else nothing.
        let own = caller.record.organization.as_str();
        let subtree = match query.organization.as_deref() {
            None => Some(own),
            Some(o) if org::is_within(o, own) => Some(o),
            Some(o) if org::is_within(own, o) => Some(own),
            Some(_) => None,
        };
        KeyQuery {
            subtree,
            status: query.status,
            group: query.group.as_deref(),
            q: query.q.as_deref().map(str::trim),
            sort: query.sort,
            after,
            limit,
            now: self.now,
            count: true,
        }
    }

    /// `GET /api/v1/keys`: one page in SQL (keyset pagination).
    pub async fn list_keys(
        &self,
        caller: &Caller,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        let query = ListQuery::from_pairs(query_pairs(req))?;
        let after = match query.cursor.as_deref() {
            Some(c) => Some(Cursor::decode(c, query.sort).ok_or_else(invalid_cursor)?),
            None => None,
        };
        let page = self
            .repo()
            .page(&self.key_query(caller, &query, after, query.limit))
            .await
            .map_err(unavailable)?;
        Ok(HttpResponse::json(
            200,
            &KeyList {
                keys: page.keys.iter().map(|r| r.view(self.now)).collect(),
                next_cursor: page.next.map(|c| c.encode()),
                total: usize::try_from(page.total).unwrap_or(usize::MAX),
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
        // One D1 batch inserts only under the limit: N concurrent creates
        // for M free places give exactly M winners.
        let inserted = self
            .repo()
            .insert(&record, self.config.max_keys_per_org, self.now)
            .await
            .map_err(unavailable_after_write)?;
        if let Inserted::LimitReached(max) = inserted {
            return Err(limit_reached(max));
        }
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
        // A roll replaces a key: no limit (both live only for the grace).
        self.repo()
            .insert_unlimited(&new, self.now)
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

fn limit_reached(max: u64) -> ApiError {
    ApiError::new(
        ErrorCode::KeyLimitReached,
        format!("This organization already has {max} unexpired keys, its limit."),
    )
}
