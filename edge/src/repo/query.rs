//! The key list in SQL: filters of §4, every sort with keyset pagination
//! (an index walk from the cursor, whatever the page), and the total.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use keygate_shared::api::SortOrder;
use keygate_shared::{KeyId, KeyRecord, Status};

use super::{decoded, Repo, ENTRY_COLUMNS};
use crate::sql::{int, text, Db, Param, Row, Statement};
use crate::store::{Kv, StoreResult};

/// Where a page starts: the sort value and id of the last key before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The sort column's value.
    pub value: Param,
    /// The id (ties).
    pub id: KeyId,
}

impl Cursor {
    /// The opaque text handed to clients.
    #[must_use]
    pub fn encode(&self) -> String {
        let value = match &self.value {
            Param::Int(n) => serde_json::Value::from(*n),
            Param::Text(s) => serde_json::Value::from(s.as_str()),
            Param::Null => serde_json::Value::Null,
        };
        URL_SAFE_NO_PAD.encode(serde_json::json!([value, self.id]).to_string())
    }

    /// A cursor this API handed out for `sort`, or `None`.
    #[must_use]
    pub fn decode(raw: &str, sort: SortOrder) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let (value, id): (serde_json::Value, String) = serde_json::from_slice(&bytes).ok()?;
        let value = match (sort_column(sort).0, value) {
            ("name_key", serde_json::Value::String(s)) => Param::Text(s),
            ("created_at" | "expiry_key" | LAST_USE, v) => Param::Int(v.as_i64()?),
            _ => return None,
        };
        Some(Self {
            value,
            id: id.parse().ok()?,
        })
    }
}

/// The filters, order and page of a key list.
#[derive(Debug, Clone)]
pub struct KeyQuery<'q> {
    /// Only this organization subtree (`""`: all); `None`: nothing at all
    /// (the caller's and the asked-for subtree do not meet).
    pub subtree: Option<&'q str>,
    /// Only this status at `now`.
    pub status: Option<Status>,
    /// Only this group.
    pub group: Option<&'q str>,
    /// Case-insensitive text (already trimmed).
    pub q: Option<&'q str>,
    /// Order.
    pub sort: SortOrder,
    /// After this key.
    pub after: Option<Cursor>,
    /// Page size.
    pub limit: usize,
    /// Time of the request (status).
    pub now: DateTime<Utc>,
    /// Whether to count the matches (the list's `total`; not for export).
    pub count: bool,
    /// Only keys not used since this time (or never).
    pub unused_since: Option<DateTime<Utc>>,
}

/// One page of keys.
#[derive(Debug, Clone, Default)]
pub struct KeyPage {
    /// The keys.
    pub keys: Vec<KeyRecord>,
    /// Where the next page starts; `None` at the end.
    pub next: Option<Cursor>,
    /// How many keys match the filters in all.
    pub total: u64,
}

/// Last use as a sort key: never used sorts as 0 (first, oldest).
const LAST_USE: &str = "coalesce(last_used_at, 0)";

fn sort_column(sort: SortOrder) -> (&'static str, bool) {
    match sort {
        SortOrder::Name => ("name_key", false),
        SortOrder::NameDesc => ("name_key", true),
        SortOrder::CreatedAt => ("created_at", false),
        SortOrder::CreatedAtDesc => ("created_at", true),
        SortOrder::ExpiresAt => ("expiry_key", false),
        SortOrder::ExpiresAtDesc => ("expiry_key", true),
        SortOrder::LastUsedAt => (LAST_USE, false),
        SortOrder::LastUsedAtDesc => (LAST_USE, true),
    }
}

/// The `WHERE` clause of the filters and its parameters (`?` in order).
pub(crate) struct Filter {
    clauses: Vec<String>,
    params: Vec<Param>,
}

impl Filter {
    pub(crate) fn new() -> Self {
        Self {
            clauses: vec![],
            params: vec![],
        }
    }

    pub(crate) fn push(&mut self, clause: impl Into<String>, params: Vec<Param>) {
        self.clauses.push(clause.into());
        self.params.extend(params);
    }

    /// Only `subtree` and below (prefix range: index-friendly, no `LIKE`
    /// wildcards to escape). `column` is a constant of ours.
    pub(crate) fn subtree(&mut self, column: &str, subtree: &str) {
        if subtree.is_empty() {
            return;
        }
        // Every descendant starts with "<org>/", and '0' follows '/'.
        self.push(
            format!("({column} = ? OR ({column} >= ? AND {column} < ?))"),
            vec![
                subtree.into(),
                format!("{subtree}/").into(),
                format!("{subtree}0").into(),
            ],
        );
    }

    pub(crate) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    pub(crate) fn params(&self) -> Vec<Param> {
        self.params.clone()
    }
}

fn status_clause(filter: &mut Filter, status: Status, now: i64) {
    match status {
        Status::Expired => filter.push("expiry_key <= ?", vec![now.into()]),
        Status::Active => filter.push("expiry_key > ? AND enabled = 1", vec![now.into()]),
        Status::Disabled => filter.push("expiry_key > ? AND enabled = 0", vec![now.into()]),
    }
}

impl<K: Kv, D: Db> Repo<'_, K, D> {
    /// One page of keys matching `query`, and the total: two indexed
    /// queries whatever the page.
    pub async fn page(&self, query: &KeyQuery<'_>) -> StoreResult<KeyPage> {
        let Some(subtree) = query.subtree else {
            return Ok(KeyPage::default());
        };
        let mut filter = Filter::new();
        filter.subtree("organization", subtree);
        if let Some(s) = query.status {
            status_clause(&mut filter, s, query.now.timestamp_millis());
        }
        if let Some(g) = query.group {
            filter.push("key_group = ?", vec![g.into()]);
        }
        if let Some(t) = query.unused_since {
            filter.push(format!("{LAST_USE} < ?"), vec![t.timestamp_millis().into()]);
        }
        if let Some(q) = query.q.filter(|q| !q.is_empty()) {
            let needle = crate::text::lowercase(q);
            if needle.chars().count() >= 3 {
                // Through the trigram index (keys_search): the keys that
                // contain the text, as one FTS5 phrase (quotes doubled).
                filter.push(
                    "rowid IN (SELECT rowid FROM keys_search WHERE keys_search MATCH ?)",
                    vec![format!("\"{}\"", needle.replace('"', "\"\"")).into()],
                );
            } else {
                filter.push("instr(search, ?) > 0", vec![needle.into()]);
            }
        }
        let total = if !query.count {
            0
        } else {
            self.db
                .query(Statement::new(
                    format!("SELECT count(*) AS n FROM keys{}", filter.sql()),
                    filter.params(),
                ))
                .await?
                .first()
                .and_then(|r| int(r, "n"))
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0)
        };
        let (column, descending) = sort_column(query.sort);
        if let Some(after) = &query.after {
            let op = if descending { "<" } else { ">" };
            filter.push(
                format!("({column}, id) {op} (?, ?)"),
                vec![after.value.clone(), after.id.as_str().into()],
            );
        }
        let direction = if descending { "DESC" } else { "ASC" };
        let mut params = filter.params();
        // One more than asked: whether a next page exists, without a
        // cursor to an empty page.
        params.push(i64::try_from(query.limit + 1).unwrap_or(1001).into());
        let rows = self
            .db
            .query(Statement::new(
                format!(
                    "SELECT {ENTRY_COLUMNS}, {column} AS sort_value FROM keys{} \
                     ORDER BY {column} {direction}, id {direction} LIMIT ?",
                    filter.sql()
                ),
                params,
            ))
            .await?;
        let more = rows.len() > query.limit;
        let rows = &rows[..rows.len().min(query.limit)];
        let next = more
            .then(|| rows.last().and_then(|r| cursor_of(r, column)))
            .flatten();
        Ok(KeyPage {
            keys: decoded(rows),
            next,
            total,
        })
    }
}

fn cursor_of(row: &Row, column: &str) -> Option<Cursor> {
    let value = if column == "name_key" {
        Param::Text(text(row, "sort_value").unwrap_or("").to_owned())
    } else {
        Param::Int(int(row, "sort_value").unwrap_or(0))
    };
    Some(Cursor {
        value,
        id: text(row, "id")?.parse().ok()?,
    })
}
