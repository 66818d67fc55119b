//! `GET /api/v1/keys/export.csv`: the filtered list as CSV, never a token
//! or a hash, with spreadsheet formula injection neutralised.

use keygate_shared::api::ListQuery;
use keygate_shared::{ApiError, KeyRecord};

use super::Session;
use crate::app::App;
use crate::http::{HttpRequest, HttpResponse};
use crate::sql::Db;
use crate::store::Kv;

/// Columns, in order (the KeyView's fields).
pub const COLUMNS: [&str; 14] = [
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
        r.created_at.to_rfc3339(),
        r.created_by.clone(),
        r.expires_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        r.hint.clone(),
        r.meta_header(),
    ];
    fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(",")
}

impl<K: Kv, D: Db> App<'_, K, D> {
    /// `GET /api/v1/keys/export.csv` with the list's filters (no paging).
    pub async fn export_csv(
        &self,
        s: &Session,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        let pairs = req
            .query
            .iter()
            .filter(|(k, _)| k != "limit" && k != "cursor")
            .map(|(k, v)| (k.as_str(), v.as_str()));
        let query = ListQuery::from_pairs(pairs)?;
        let mut out = COLUMNS.map(cell).join(",");
        out.push_str("\r\n");
        self.keys()
            .export(&s.caller, &query, &mut |r| {
                out.push_str(&row(r, self.now));
                out.push_str("\r\n");
            })
            .await?;
        Ok(HttpResponse {
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

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
