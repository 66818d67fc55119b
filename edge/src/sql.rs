//! The SQL trait: the few D1 operations the admin plane uses, so the same
//! statements run in workerd on D1 and natively on SQLite
//! ([`crate::sqlite::SqliteDb`]), which is what D1 is.

use crate::store::{StoreError, StoreResult};

/// A bound parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// SQL `NULL`.
    Null,
    /// An integer (times are Unix milliseconds, well inside 2^53).
    Int(i64),
    /// Text.
    Text(String),
}

impl From<&str> for Param {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for Param {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<i64> for Param {
    fn from(n: i64) -> Self {
        Self::Int(n)
    }
}

impl From<Option<i64>> for Param {
    fn from(n: Option<i64>) -> Self {
        n.map_or(Self::Null, Self::Int)
    }
}

impl From<Option<&str>> for Param {
    fn from(s: Option<&str>) -> Self {
        s.map_or(Self::Null, |s| Self::Text(s.to_owned()))
    }
}

/// A statement with its parameters (`?1`, `?2`, … in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The SQL text.
    pub sql: String,
    /// Its parameters.
    pub params: Vec<Param>,
}

impl Statement {
    /// `sql` with `params`.
    pub fn new(sql: impl Into<String>, params: Vec<Param>) -> Self {
        Self {
            sql: sql.into(),
            params,
        }
    }
}

/// A result row: column name to value (integers, text or null).
pub type Row = serde_json::Map<String, serde_json::Value>;

/// Reads column `name` of `row` as text.
#[must_use]
pub fn text<'r>(row: &'r Row, name: &str) -> Option<&'r str> {
    row.get(name).and_then(serde_json::Value::as_str)
}

/// Reads column `name` of `row` as an integer.
#[must_use]
pub fn int(row: &Row, name: &str) -> Option<i64> {
    row.get(name).and_then(|v| {
        v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)) // D1 hands numbers to JS as doubles
    })
}

/// The SQL operations Keygate needs.
#[allow(async_fn_in_trait)] // one single-threaded implementation per target; no Send bound wanted
pub trait Db {
    /// Runs one statement and returns its rows.
    async fn query(&self, statement: Statement) -> StoreResult<Vec<Row>>;
    /// Runs statements as one transaction (a D1 batch): all or none. Returns
    /// how many rows each one changed, counting rows its triggers changed
    /// (as D1 reports them): for a statement's own rows, use `RETURNING`
    /// with [`Db::query`].
    async fn batch(&self, statements: Vec<Statement>) -> StoreResult<Vec<u64>>;
    /// Runs one writing statement; how many rows it changed.
    async fn execute(&self, statement: Statement) -> StoreResult<u64> {
        let changes = self.batch(vec![statement]).await?;
        changes
            .first()
            .copied()
            .ok_or_else(|| StoreError("a batch of one statement returned no result".into()))
    }
}

impl<D: Db> Db for &D {
    async fn query(&self, statement: Statement) -> StoreResult<Vec<Row>> {
        (**self).query(statement).await
    }
    async fn batch(&self, statements: Vec<Statement>) -> StoreResult<Vec<u64>> {
        (**self).batch(statements).await
    }
}

/// The migrations in `migrations/`, in order: applied by `wrangler d1
/// migrations apply` on D1 and by [`crate::sqlite::SqliteDb`] natively.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_keys_and_audit.sql",
        include_str!("../../migrations/0001_keys_and_audit.sql"),
    ),
    (
        "0002_usage.sql",
        include_str!("../../migrations/0002_usage.sql"),
    ),
    (
        "0003_usage_of_deleted_keys.sql",
        include_str!("../../migrations/0003_usage_of_deleted_keys.sql"),
    ),
    (
        "0004_keys_by_limiter.sql",
        include_str!("../../migrations/0004_keys_by_limiter.sql"),
    ),
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_migration_file_is_listed_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<&str> = super::MIGRATIONS.iter().map(|(n, _)| *n).collect();
        assert_eq!(files, listed, "migrations/ and MIGRATIONS differ");
    }
}
