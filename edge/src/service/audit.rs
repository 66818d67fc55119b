//! The audit log service: one page of events, filtered and scoped to the
//! caller's subtree in the query itself, so a page is empty only when
//! nothing is left.

use keygate_shared::api::AuditQuery;
use keygate_shared::rules::caller::Caller;
use keygate_shared::ApiError;

use super::unavailable;
use crate::repo::{AuditFilter, AuditPage, Repo};
use crate::sql::Db;
use crate::store::Kv;

/// The audit service over `repo`.
pub struct AuditService<'a, K: Kv, D: Db> {
    repo: Repo<'a, K, D>,
}

impl<'a, K: Kv, D: Db> AuditService<'a, K, D> {
    /// The service over `repo`.
    pub fn new(repo: Repo<'a, K, D>) -> Self {
        Self { repo }
    }

    /// The page of events `query` asks for, within the caller's subtree.
    pub async fn page(&self, caller: &Caller, query: &AuditQuery) -> Result<AuditPage, ApiError> {
        self.repo
            .audit_page(&AuditFilter {
                subtree: caller.organization.as_str(),
                key_id: query.key_id.as_ref().map(|k| k.as_str()),
                actor: query.actor.as_deref(),
                action: query.action,
                since: query.since,
                until: query.until,
                before_seq: query.before_seq,
                limit: query.limit,
            })
            .await
            .map_err(unavailable)
    }
}
