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
    ///
    /// A local run that fails because the database was busy (the
    /// `wrangler dev` session beside it holds the same SQLite file and may
    /// be writing) or that fails without a word is tried again, at most
    /// [`LOCAL_TRIES`] times in all, after a growing pause: a file runs as
    /// one transaction, so a failed run changed nothing. A run against
    /// Cloudflare (`--remote`) is never repeated here.
    fn execute_sql(&self, sql: &str) -> StoreResult<Vec<serde_json::Value>> {
        let dir = tempfile::Builder::new()
            .prefix("keygate-d1-")
            .tempdir()
            .map_err(|e| StoreError(format!("cannot make a private temporary folder: {e}")))?;
        let file = dir.path().join("statements.sql");
        write_private_file(&file, sql.as_bytes()).map_err(|e| StoreError(e.to_string()))?;
        let mut tries = 0;
        loop {
            tries += 1;
            match self.execute_file(&file) {
                Err(Failed { cause, transient })
                    if transient && self.target.local && tries < LOCAL_TRIES =>
                {
                    eprintln!("keygate: wrangler d1 execute failed ({cause}); trying again");
                    std::thread::sleep(std::time::Duration::from_millis(250 << tries));
                }
                Err(Failed { cause, .. }) => {
                    return Err(StoreError(format!("wrangler d1 execute failed: {cause}")))
                }
                Ok(stdout) => {
                    let start = stdout
                        .find('[')
                        .ok_or_else(|| StoreError("wrangler printed no JSON".into()))?;
                    return serde_json::from_str(&stdout[start..])
                        .map_err(|e| StoreError(format!("wrangler's answer does not parse: {e}")));
                }
            }
        }
    }

    /// One `wrangler d1 execute --file`: its standard output, or why it
    /// failed.
    fn execute_file(&self, file: &std::path::Path) -> Result<String, Failed> {
        let mut cmd = Command::new(self.target.wrangler_program());
        cmd.args(["d1", "execute", "DB", "--json", "--yes", "--config"])
            .arg(&self.target.config)
            .arg("--file")
            .arg(file)
            .arg(if self.target.local {
                "--local"
            } else {
                "--remote"
            });
        if let Some(dir) = &self.target.persist_to {
            cmd.arg("--persist-to").arg(dir);
        }
        cmd.env("WRANGLER_SEND_METRICS", "false");
        let out = cmd.output().map_err(|e| Failed {
            cause: format!("cannot run wrangler: {e}"),
            transient: false,
        })?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            return Ok(stdout);
        }
        let cause = failure_cause(&String::from_utf8_lossy(&out.stderr), &stdout);
        let transient = cause.as_deref().is_none_or(|c| {
            let c = c.to_ascii_lowercase();
            c.contains("busy") || c.contains("locked")
        });
        Err(Failed {
            cause: cause.unwrap_or_else(|| "no message".into()),
            transient,
        })
    }
}

/// How many times a local `wrangler d1 execute` is run at most.
const LOCAL_TRIES: u32 = 4;

/// A failed `wrangler d1 execute`: why, and whether running it again may
/// succeed (a busy local database, or a failure without a word).
struct Failed {
    cause: String,
    transient: bool,
}

/// Why wrangler failed, in one line: the last line of its standard error,
/// else the `error.text` of the JSON it printed (with `--json`, wrangler
/// reports some failures there and nothing on standard error); `None`
/// when it said nothing. Only wrangler's own words: the SQL (key records,
/// never tokens) is in a file, not in either stream.
fn failure_cause(stderr: &str, stdout: &str) -> Option<String> {
    if let Some(line) = stderr.trim().lines().last() {
        return Some(line.trim().to_owned());
    }
    let json = stdout.find('{').map_or("", |start| &stdout[start..]);
    serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| {
            v.pointer("/error/text")
                .or_else(|| v.pointer("/error/message"))
                .or_else(|| v.get("error"))
                .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
        })
        .map(|text| text.lines().next().unwrap_or_default().trim().to_owned())
        .filter(|text| !text.is_empty())
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

    #[test]
    fn a_failure_says_why_in_one_line() {
        assert_eq!(
            failure_cause(
                "  ▲ a warning\n✘ [ERROR] D1_ERROR: database is locked: SQLITE_BUSY\n",
                ""
            ),
            Some("✘ [ERROR] D1_ERROR: database is locked: SQLITE_BUSY".into())
        );
        // With --json, some failures are only in the JSON on standard output.
        assert_eq!(
            failure_cause(
                "",
                "{\n  \"error\": {\"text\": \"no such table: keys\", \"kind\": \"error\"}\n}"
            ),
            Some("no such table: keys".into())
        );
        assert_eq!(failure_cause(" \n", "[]"), None);
        assert_eq!(failure_cause("", "not JSON"), None);
    }
}
