//! `GET /api/v1/keys/export.csv`: the filtered list as CSV, never a token
//! or a hash, with spreadsheet formula injection neutralised.

use chrono::{DateTime, Utc};
use keygate_shared::api::ListQuery;
use keygate_shared::rules::caller::Caller;
use keygate_shared::{ApiError, KeyRecord};

use super::Session;
use crate::app::App;
use crate::http::{HttpRequest, HttpResponse, Outcome, Streamed};
use crate::repo::Cursor;
use crate::service::KeyService;
use crate::sql::Db;
use crate::store::Kv;

/// Columns, in order: the KeyView's fields (but `created_by_name` and
/// `rolled_to`), with `rate_limit` as its
/// limit and period and `credits` as what is left and the refill.
pub const COLUMNS: [&str; 19] = [
    "id",
    "name",
    "description",
    "organization",
    "group",
    "roles",
    "ip_allowlist",
    "enabled",
    "status",
    "created_at",
    "created_by",
    "expires_at",
    "hint",
    "meta",
    "last_used_at",
    "rate_limit",
    "rate_limit_period_seconds",
    "credits_remaining",
    "credits_refill",
];

/// One CSV cell, always quoted (RFC 4180), so no separator of any locale
/// (`,` or `;`) splits it; a leading `=`, `+`, `-`, `@`, tab or CR also
/// gets a `'`, so no spreadsheet reads it as a formula.
#[must_use]
pub fn cell(raw: &str) -> String {
    let guard = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        "'"
    } else {
        ""
    };
    format!("\"{guard}{}\"", raw.replace('"', "\"\""))
}

/// A date as the JSON answers write it (`Z`, sub-seconds only when there
/// are some), so a CSV cell and the API agree to the character.
fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn row(r: &KeyRecord, now: chrono::DateTime<chrono::Utc>) -> String {
    let fields = [
        r.id.to_string(),
        r.name.clone(),
        r.description.clone(),
        r.organization.to_string(),
        r.group.clone().unwrap_or_default(),
        keygate_shared::ids::join_roles(&r.roles, " "),
        r.ip_allowlist.join(" "),
        r.enabled.to_string(),
        r.status(now).as_str().to_owned(),
        timestamp(&r.created_at),
        r.created_by.clone(),
        r.expires_at.as_ref().map(timestamp).unwrap_or_default(),
        r.hint.clone(),
        r.meta_header(),
        r.last_used_at.as_ref().map(timestamp).unwrap_or_default(),
        r.rate_limit
            .map(|l| l.limit.to_string())
            .unwrap_or_default(),
        r.rate_limit
            .map(|l| l.period_seconds.to_string())
            .unwrap_or_default(),
        r.view(now)
            .credits
            .map(|c| c.remaining.to_string())
            .unwrap_or_default(),
        r.credits
            .and_then(|c| c.refill)
            .map(|f| format!("{} {}", f.amount, f.interval.as_str()))
            .unwrap_or_default(),
    ];
    fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(",")
}

/// The rest of a CSV export after its first page: one page of rows per
/// [`CsvRest::next_chunk`], read when the client is ready for it, so a
/// large export is never held whole (in wasm or in JS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRest {
    caller: Caller,
    query: ListQuery,
    after: Option<Cursor>,
    now: DateTime<Utc>,
}

impl CsvRest {
    /// The next page of rows as CSV text; `None` once every row is out.
    ///
    /// # Errors
    /// `UNAVAILABLE` when storage fails, `UNAUTHENTICATED` once the
    /// caller's key no longer signs in (the stream is then aborted: the
    /// status is already sent, so a cut download must not look whole).
    pub async fn next_chunk<K: Kv, D: Db>(
        &mut self,
        keys: &KeyService<'_, K, D>,
    ) -> Result<Option<String>, ApiError> {
        let Some(after) = self.after.take() else {
            return Ok(None);
        };
        // A slow reader may take long: a key revoked meanwhile gets no more.
        if !keys.caller_still_signs_in(&self.caller).await? {
            return Err(ApiError::new(
                keygate_shared::ErrorCode::Unauthenticated,
                "The sign-in of this export no longer holds (its admin key was revoked, or its Access session ended).",
            )
            .with_cause("export stopped: its caller no longer signs in"));
        }
        let page = keys
            .export_page(&self.caller, &self.query, Some(after))
            .await?;
        self.after = page.next;
        Ok(Some(rows(&page.keys, self.now)))
    }

    /// Every remaining row (native callers and tests, which have no
    /// stream to write to).
    ///
    /// # Errors
    /// As [`CsvRest::next_chunk`].
    pub async fn collect<K: Kv, D: Db>(
        mut self,
        keys: &KeyService<'_, K, D>,
    ) -> Result<String, ApiError> {
        let mut out = String::new();
        while let Some(chunk) = self.next_chunk(keys).await? {
            out.push_str(&chunk);
        }
        Ok(out)
    }
}

fn rows(records: &[KeyRecord], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    for r in records {
        out.push_str(&row(r, now));
        out.push_str("\r\n");
    }
    out
}

impl<K: Kv, D: Db> App<'_, K, D> {
    /// `GET /api/v1/keys/export.csv` with the list's filters (no paging):
    /// the header and the first page of rows are answered at once (a
    /// storage failure there is a 503), the rest is streamed.
    pub async fn export_csv(&self, s: &Session, req: &HttpRequest) -> Result<Outcome, ApiError> {
        let pairs = req
            .query
            .iter()
            .filter(|(k, _)| k != "limit" && k != "cursor")
            .map(|(k, v)| (k.as_str(), v.as_str()));
        let query = ListQuery::from_pairs(pairs)?;
        let first = self.keys().export_page(&s.caller, &query, None).await?;
        let mut out = COLUMNS.map(cell).join(",");
        out.push_str("\r\n");
        out.push_str(&rows(&first.keys, self.now));
        let head = HttpResponse {
            status: 200,
            headers: vec![
                ("content-type".into(), "text/csv; charset=utf-8".into()),
                (
                    "content-disposition".into(),
                    "attachment; filename=\"keygate-keys.csv\"".into(),
                ),
                ("cache-control".into(), "no-store".into()),
            ],
            body: out.into_bytes(),
        };
        Ok(match first.next {
            None => head.into(),
            Some(after) => Outcome::Stream(Box::new(Streamed {
                head,
                rest: CsvRest {
                    caller: s.caller.clone(),
                    query,
                    after: Some(after),
                    now: self.now,
                },
            })),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{cell, timestamp};

    /// The CSV's dates are the JSON answers' to the character.
    #[test]
    fn dates_read_as_in_the_json_answers() {
        for t in [
            chrono::DateTime::from_timestamp_millis(1_800_000_000_123).unwrap(),
            chrono::DateTime::from_timestamp_millis(1_800_000_000_000).unwrap(),
        ] {
            let json = serde_json::to_value(t).unwrap();
            assert_eq!(json.as_str(), Some(timestamp(&t).as_str()));
            assert!(timestamp(&t).ends_with('Z'), "{}", timestamp(&t));
        }
    }

    #[test]
    fn formula_injection_and_quoting() {
        assert_eq!(cell("plain"), "\"plain\"");
        assert_eq!(cell(""), "\"\"");
        assert_eq!(cell("=1+1"), "\"'=1+1\"");
        assert_eq!(cell("+x"), "\"'+x\"");
        assert_eq!(cell("-x"), "\"'-x\"");
        assert_eq!(cell("@x"), "\"'@x\"");
        assert_eq!(cell("\tx"), "\"'\tx\"");
        assert_eq!(cell("\rx"), "\"'\rx\"");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("x;=HYPERLINK(A1)"), "\"x;=HYPERLINK(A1)\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
