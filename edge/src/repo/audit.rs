//! The audit log in SQL: appended in order, read newest first, filtered
//! and scoped to an organization subtree in the query itself, so a page
//! is empty only when nothing is left.

use chrono::{DateTime, Utc};
use keygate_shared::{AuditAction, AuditEvent};

use super::query::Filter;
use super::{encode, Repo};
use crate::sql::{int, text, Db, Param, Statement};
use crate::store::{Kv, StoreResult};

/// Which events to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter<'f> {
    /// The caller's subtree (`""`: all).
    pub subtree: &'f str,
    /// Only events about this key.
    pub key_id: Option<&'f str>,
    /// Only events by this actor.
    pub actor: Option<&'f str>,
    /// Only this action.
    pub action: Option<AuditAction>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
    /// Older than this event (the cursor).
    pub before_seq: Option<i64>,
    /// Page size.
    pub limit: usize,
}

/// A page of events.
#[derive(Debug, Clone, Default)]
pub struct AuditPage {
    /// Newest first.
    pub events: Vec<AuditEvent>,
    /// The cursor of the next page (an event sequence number), if any.
    pub next: Option<i64>,
}

/// The organization an event is scoped by (kept in its details).
fn organization_of(event: &AuditEvent) -> &str {
    event
        .details
        .get("organization")
        .and_then(|o| o.as_str())
        .unwrap_or("")
}

/// The insert of `event`; `import_id` names the KV entry an imported event
/// came from, so importing twice adds nothing.
pub(crate) fn insert(event: &AuditEvent, import_id: Option<&str>) -> StoreResult<Statement> {
    Ok(Statement::new(
        "INSERT OR IGNORE INTO audit (at, actor, action, key_id, organization, import_id, event) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        vec![
            event.at.timestamp_millis().into(),
            event.actor.as_str().into(),
            event.action.as_str().into(),
            event.key_id.as_str().into(),
            organization_of(event).into(),
            import_id.into(),
            encode(event)?.into(),
        ],
    ))
}

impl<K: Kv, D: Db> Repo<'_, K, D> {
    /// A page of audit events matching `filter`, newest first.
    pub async fn audit_page(&self, filter: &AuditFilter<'_>) -> StoreResult<AuditPage> {
        let mut f = Filter::new();
        f.subtree("organization", filter.subtree);
        if let Some(k) = filter.key_id {
            f.push("key_id = ?", vec![k.into()]);
        }
        if let Some(a) = filter.actor {
            f.push("actor = ?", vec![a.into()]);
        }
        if let Some(a) = filter.action {
            f.push("action = ?", vec![a.as_str().into()]);
        }
        if let Some(t) = filter.since {
            f.push("at >= ?", vec![t.timestamp_millis().into()]);
        }
        if let Some(t) = filter.until {
            f.push("at < ?", vec![t.timestamp_millis().into()]);
        }
        if let Some(s) = filter.before_seq {
            f.push("seq < ?", vec![s.into()]);
        }
        let mut params = f.params();
        params.push(Param::Int(i64::try_from(filter.limit + 1).unwrap_or(1001)));
        let rows = self
            .db
            .query(Statement::new(
                format!(
                    "SELECT seq, event FROM audit{} ORDER BY seq DESC LIMIT ?",
                    f.sql()
                ),
                params,
            ))
            .await?;
        let more = rows.len() > filter.limit;
        let rows = &rows[..rows.len().min(filter.limit)];
        let next = if more {
            rows.last().and_then(|r| int(r, "seq"))
        } else {
            None
        };
        let events = rows
            .iter()
            .filter_map(|r| {
                let parsed = serde_json::from_str::<AuditEvent>(text(r, "event").unwrap_or(""));
                if parsed.is_err() {
                    crate::log::error(&format!(
                        "skipped stored audit event {} (does not decode)",
                        int(r, "seq").unwrap_or(0)
                    ));
                }
                parsed.ok()
            })
            .collect();
        Ok(AuditPage { events, next })
    }
}
