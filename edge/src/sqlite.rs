//! [`Db`] on an in-memory SQLite database with the same migrations as D1,
//! for native tests and tools. It can be told to fail, and counts its
//! statements, like [`crate::store::MemoryKv`].

use std::cell::{Cell, RefCell};

use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{params_from_iter, Connection, ToSql};

use crate::sql::{Db, Param, Row, Statement, MIGRATIONS};
use crate::store::{StoreError, StoreResult};

/// SQLite in memory, migrated.
pub struct SqliteDb {
    conn: RefCell<Connection>,
    /// When set, every operation fails.
    pub failing: Cell<bool>,
    /// When non-zero, the `n`-th operation from now fails, and every one
    /// after it (`failing` is set).
    pub fail_after: Cell<u32>,
    /// Statements run (a batch counts each of its statements).
    pub statements: Cell<u32>,
    /// Calls made (a batch is one): what D1's per-invocation limit of
    /// 1,000 queries counts.
    pub calls: Cell<u32>,
}

impl std::fmt::Debug for SqliteDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteDb")
            .field("statements", &self.statements.get())
            .finish_non_exhaustive()
    }
}

impl Default for SqliteDb {
    fn default() -> Self {
        Self::new()
    }
}

impl ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Self::Null => ToSqlOutput::Owned(Value::Null),
            Self::Int(n) => ToSqlOutput::Owned(Value::Integer(*n)),
            Self::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn sql_err(e: rusqlite::Error) -> StoreError {
    StoreError(format!("sqlite: {e}"))
}

impl SqliteDb {
    /// A new, migrated, empty database.
    ///
    /// # Panics
    /// If the migrations do not apply (a bug in them).
    #[must_use]
    pub fn new() -> Self {
        let conn = Connection::open_in_memory().expect("open in-memory sqlite");
        for (name, sql) in MIGRATIONS {
            conn.execute_batch(sql)
                .unwrap_or_else(|e| panic!("migration {name}: {e}"));
        }
        Self {
            conn: RefCell::new(conn),
            failing: Cell::new(false),
            fail_after: Cell::new(0),
            statements: Cell::new(0),
            calls: Cell::new(0),
        }
    }

    fn tick(&self, n: u32) -> StoreResult<()> {
        match self.fail_after.get() {
            0 => {}
            1 => {
                self.fail_after.set(0);
                self.failing.set(true);
            }
            k => self.fail_after.set(k - 1),
        }
        if self.failing.get() {
            return Err(StoreError("injected D1 failure".into()));
        }
        self.statements.set(self.statements.get() + n);
        self.calls.set(self.calls.get() + 1);
        Ok(())
    }
}

fn rows_of(conn: &Connection, statement: &Statement) -> rusqlite::Result<Vec<Row>> {
    let mut stmt = conn.prepare(&statement.sql)?;
    let names: Vec<String> = stmt
        .column_names()
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut rows = stmt.query(params_from_iter(statement.params.iter()))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut map = Row::new();
        for (i, name) in names.iter().enumerate() {
            let value = match row.get_ref(i)? {
                ValueRef::Null => serde_json::Value::Null,
                ValueRef::Integer(n) => n.into(),
                ValueRef::Real(f) => f.into(),
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    String::from_utf8_lossy(t).into_owned().into()
                }
            };
            map.insert(name.clone(), value);
        }
        out.push(map);
    }
    Ok(out)
}

impl Db for SqliteDb {
    async fn query(&self, statement: Statement) -> StoreResult<Vec<Row>> {
        self.tick(1)?;
        rows_of(&self.conn.borrow(), &statement).map_err(sql_err)
    }

    async fn batch(&self, statements: Vec<Statement>) -> StoreResult<Vec<u64>> {
        self.tick(u32::try_from(statements.len()).unwrap_or(u32::MAX))?;
        let mut conn = self.conn.borrow_mut();
        let tx = conn.transaction().map_err(sql_err)?;
        let mut changes = Vec::with_capacity(statements.len());
        for s in &statements {
            // As D1 counts them: rows changed by triggers too (the search
            // index's), so code that needs the statement's own rows asks
            // with RETURNING, natively as on D1.
            let before = tx.total_changes();
            tx.execute(&s.sql, params_from_iter(s.params.iter()))
                .map_err(sql_err)?;
            changes.push(tx.total_changes() - before);
        }
        tx.commit().map_err(sql_err)?;
        Ok(changes)
    }
}
