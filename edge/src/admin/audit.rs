//! `GET /api/v1/audit`: the audit log, newest first, scoped to the
//! caller's organization subtree.

use chrono::{DateTime, Utc};
use keygate_shared::api::AuditPage;
use keygate_shared::model::AUDIT_ACTIONS;
use keygate_shared::ApiError;

use super::{unavailable, Caller};
use crate::app::App;
use crate::http::{HttpRequest, HttpResponse};
use crate::repo::AuditFilter;
use crate::sql::Db;
use crate::store::Kv;

fn time_param(name: &str, v: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::invalid(
                name,
                format!("{name} is a date-time like 2026-01-31T12:00:00Z."),
            )
        })
}

impl<K: Kv, D: Db> App<'_, K, D> {
    /// `GET /api/v1/audit?limit&cursor&key_id&actor&action&since&until`:
    /// filtered and scoped to the caller's subtree in the query itself.
    pub async fn audit_log(
        &self,
        caller: &Caller,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        let mut filter = AuditFilter {
            subtree: &caller.record.organization,
            limit: 100,
            ..AuditFilter::default()
        };
        keygate_shared::api::refuse_repeated(req.query.iter().map(|(k, _)| k.as_str()))?;
        for (k, v) in &req.query {
            match k.as_str() {
                "limit" => filter.limit = keygate_shared::api::parse_limit(v)?,
                "cursor" => {
                    let seq = v
                        .parse::<i64>()
                        .ok()
                        .filter(|s| *s > 0 && v.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or_else(keygate_shared::api::invalid_cursor)?;
                    filter.before_seq = Some(seq);
                }
                "key_id" => {
                    if !keygate_shared::token::is_key_id(v) {
                        return Err(ApiError::invalid("key_id", "key_id is not a key id."));
                    }
                    filter.key_id = Some(v.as_str());
                }
                "actor" => {
                    if v.is_empty() || v.len() > 320 || v.chars().any(char::is_control) {
                        return Err(ApiError::invalid(
                            "actor",
                            "actor is a key id, an email, bootstrap, cron or github-secret-scanning.",
                        ));
                    }
                    filter.actor = Some(v.as_str());
                }
                "action" => {
                    if !AUDIT_ACTIONS.contains(&v.as_str()) {
                        return Err(ApiError::invalid(
                            "action",
                            format!("action is one of {}.", AUDIT_ACTIONS.join(", ")),
                        ));
                    }
                    filter.action = Some(v.as_str());
                }
                "since" => filter.since = Some(time_param("since", v)?),
                "until" => filter.until = Some(time_param("until", v)?),
                other => {
                    return Err(ApiError::field(
                        keygate_shared::ErrorCode::UnknownField,
                        other,
                        "This query parameter is not known here.",
                    ))
                }
            }
        }
        let page = self.repo().audit_page(&filter).await.map_err(unavailable)?;
        Ok(HttpResponse::json(
            200,
            &AuditPage {
                events: page.events,
                next_cursor: page.next.map(|s| s.to_string()),
            },
        ))
    }
}
