//! `GET /api/v1/audit`: the audit log, newest first, filtered and scoped
//! to the caller's organization subtree ([`crate::service::AuditService`]).

use keygate_shared::api::{AuditPage, AuditQuery};
use keygate_shared::ApiError;

use super::Session;
use crate::app::App;
use crate::http::{HttpRequest, HttpResponse};
use crate::sql::Db;
use crate::store::Kv;

impl<K: Kv, D: Db> App<'_, K, D> {
    /// `GET /api/v1/audit?limit&cursor&key_id&actor&action&since&until`.
    pub async fn audit_log(
        &self,
        s: &Session,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        let query =
            AuditQuery::from_pairs(req.query.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        let page = self.audit().page(&s.caller, &query).await?;
        Ok(HttpResponse::json(
            200,
            &AuditPage {
                events: page.events,
                next_cursor: page.next.map(|s| s.to_string()),
            },
        ))
    }
}
