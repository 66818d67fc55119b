//! The [`Db`] trait over `wrangler d1 execute`, so operator commands read
//! and write the same tables the worker does, locally (`--local`, the
//! database `wrangler dev` uses) or on Cloudflare. wrangler takes no bound
//! parameters: each is written into the SQL as a literal ([`inline`]), and
//! the SQL goes through a private temporary file, never the command line.

use std::process::Command;

use keygate_edge::sql::{Db, Param, Row, Statement};
use keygate_edge::store::{StoreError, StoreResult};

use crate::wrangler_kv::{write_private_file, Target};

/// D1 through the wrangler CLI.
pub struct WranglerD1 {
    target: Target,
}

/// `param` as an SQL literal: integers as digits, text single-quoted with
/// quotes doubled (SQLite's only escape), `NULL`.
fn literal(param: &Param) -> String {
    match param {
        Param::Null => "NULL".into(),
        Param::Int(n) => n.to_string(),
        Param::Text(s) => format!("'{}'", s.replace('\'', "''")),
    }
}

/// `statement` with its `?` and `?N` placeholders replaced by literals
/// (placeholders inside quoted SQL text are left alone).
///
/// # Errors
/// A placeholder without a parameter.
pub fn inline(statement: &Statement) -> StoreResult<String> {
    let mut out = String::with_capacity(statement.sql.len());
    let mut chars = statement.sql.chars().peekable();
    let (mut quoted, mut next) = (false, 0usize);
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c != '?' || quoted {
            out.push(c);
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
            digits.push(d);
            chars.next();
        }
        // `?N` is parameter N; a bare `?` is the one after the largest so far.
        let index = if digits.is_empty() {
            next + 1
        } else {
            digits.parse::<usize>().unwrap_or(0)
        };
        next = next.max(index);
        let param = index
            .checked_sub(1)
            .and_then(|i| statement.params.get(i))
            .ok_or_else(|| StoreError(format!("no parameter {index} for the statement")))?;
        out.push_str(&literal(param));
    }
    Ok(out)
}

impl WranglerD1 {
    /// D1 of `target` (binding `DB` of its config).
    #[must_use]
    pub fn new(target: Target) -> Self {
        Self { target }
    }

    /// Runs `sql` (one or more statements) and returns wrangler's JSON
    /// answer: one result per statement.
    fn execute_sql(&self, sql: &str) -> StoreResult<Vec<serde_json::Value>> {
        let dir = tempfile::Builder::new()
            .prefix("keygate-d1-")
            .tempdir()
            .map_err(|e| StoreError(format!("cannot make a private temporary folder: {e}")))?;
        let file = dir.path().join("statements.sql");
        write_private_file(&file, sql.as_bytes()).map_err(|e| StoreError(e.to_string()))?;
        let mut cmd = Command::new(self.target.wrangler_program());
        cmd.args(["d1", "execute", "DB", "--json", "--yes", "--config"])
            .arg(&self.target.config)
            .arg("--file")
            .arg(&file)
            .arg(if self.target.local {
                "--local"
            } else {
                "--remote"
            });
        if let Some(dir) = &self.target.persist_to {
            cmd.arg("--persist-to").arg(dir);
        }
        cmd.env("WRANGLER_SEND_METRICS", "false");
        let out = cmd
            .output()
            .map_err(|e| StoreError(format!("cannot run wrangler: {e}")))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(StoreError(format!(
                "wrangler d1 execute failed: {}",
                String::from_utf8_lossy(&out.stderr)
                    .trim()
                    .lines()
                    .last()
                    .unwrap_or("no message")
            )));
        }
        let start = stdout
            .find('[')
            .ok_or_else(|| StoreError("wrangler printed no JSON".into()))?;
        serde_json::from_str(&stdout[start..])
            .map_err(|e| StoreError(format!("wrangler's answer does not parse: {e}")))
    }
}

impl Db for WranglerD1 {
    async fn query(&self, statement: Statement) -> StoreResult<Vec<Row>> {
        let results = self.execute_sql(&inline(&statement)?)?;
        let rows = results
            .first()
            .and_then(|r| r.get("results"))
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .filter_map(|r| r.as_object().cloned())
            .collect())
    }

    async fn batch(&self, statements: Vec<Statement>) -> StoreResult<Vec<u64>> {
        // wrangler's answer to a file carries no change counts: each
        // statement is followed by `SELECT changes()`, whose row says how
        // many rows it changed. A file runs as one transaction (a failing
        // statement undoes the ones before it).
        let mut sql = String::new();
        for s in &statements {
            sql.push_str(&inline(s)?);
            sql.push_str(";\nSELECT changes() AS changes;\n");
        }
        let results = self.execute_sql(&sql)?;
        let counts: Vec<u64> = results
            .iter()
            .skip(1)
            .step_by(2)
            .map(|r| {
                r.get("results")
                    .and_then(|rows| rows.get(0))
                    .and_then(|row| row.get("changes"))
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0)
            })
            .collect();
        if counts.len() != statements.len() {
            return Err(StoreError(format!(
                "wrangler answered {} results for {} statements",
                results.len(),
                statements.len()
            )));
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_literals() {
        let s = Statement::new(
            "SELECT ?1, ?, '?' , ?3 WHERE x = ?2",
            vec![Param::Int(-5), Param::Text("it's".into()), Param::Null],
        );
        assert_eq!(
            inline(&s).unwrap(),
            "SELECT -5, 'it''s', '?' , NULL WHERE x = 'it''s'"
        );
        let missing = Statement::new("SELECT ?4", vec![]);
        assert!(inline(&missing).is_err());
    }
}
