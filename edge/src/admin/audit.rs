//! `GET /api/v1/audit`: the audit log, newest first, scoped to the
//! caller's organization subtree.

use keygate_shared::api::AuditPage;
use keygate_shared::ApiError;

use super::{unavailable, Caller};
use crate::app::App;
use crate::http::{HttpRequest, HttpResponse};
use crate::store::Kv;

impl<K: Kv> App<'_, K> {
    /// `GET /api/v1/audit?limit&cursor&key_id`.
    pub async fn audit_log(
        &self,
        caller: &Caller,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        let mut limit = 100;
        let mut cursor = None;
        let mut key_id = None;
        keygate_shared::api::refuse_repeated(req.query.iter().map(|(k, _)| k.as_str()))?;
        for (k, v) in &req.query {
            match k.as_str() {
                "limit" => limit = keygate_shared::api::parse_limit(v)?,
                "cursor" => {
                    if !keygate_shared::api::is_kv_cursor(v) {
                        return Err(ApiError::invalid(
                            "cursor",
                            "cursor is not one this API handed out.",
                        ));
                    }
                    cursor = Some(v.as_str());
                }
                "key_id" => {
                    if !keygate_shared::token::is_key_id(v) {
                        return Err(ApiError::invalid("key_id", "key_id is not a key id."));
                    }
                    key_id = Some(v.as_str());
                }
                other => {
                    return Err(ApiError::field(
                        keygate_shared::ErrorCode::UnknownField,
                        other,
                        "This query parameter is not known here.",
                    ))
                }
            }
        }
        let (events, next_cursor) = self
            .repo()
            .audit_page(key_id, cursor, limit)
            .await
            .map_err(unavailable)?;
        let events = events
            .into_iter()
            .filter(|e| {
                caller.sees(
                    e.details
                        .get("organization")
                        .and_then(|o| o.as_str())
                        .unwrap_or(""),
                )
            })
            .collect();
        Ok(HttpResponse::json(
            200,
            &AuditPage {
                events,
                next_cursor,
            },
        ))
    }
}
