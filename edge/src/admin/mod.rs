//! The admin API (§4): authentication and scope, then one module per
//! resource.

mod audit;
mod export;
mod keys;

use keygate_shared::api::Me;
use keygate_shared::model::{ROLE_ADMIN, ROLE_READER};
use keygate_shared::policy::{RequestFacts, Requirement, VerifyCode};
use keygate_shared::{org, ApiError, AuditEvent, ErrorCode, KeyRecord};

use crate::app::App;
use crate::credential;
use crate::http::{HttpRequest, HttpResponse};
use crate::repo::StoredEntry;
use crate::sql::Db;
use crate::store::{Kv, StoreError};
use crate::verify::client_ip;

/// The authenticated admin key behind a request.
pub struct Caller {
    /// Its record.
    pub record: KeyRecord,
    /// Whether it holds `keygate:admin` (Readers hold `keygate:reader`).
    pub can_write: bool,
}

impl Caller {
    /// Whether `organization` is in the caller's subtree.
    #[must_use]
    pub fn sees(&self, organization: &str) -> bool {
        org::is_within(organization, &self.record.organization)
    }

    /// The bound of every reserved-role key this caller makes or changes.
    #[must_use]
    pub fn reach(&self) -> keygate_shared::rules::reach::Reach<'_> {
        keygate_shared::rules::reach::Reach {
            organization: &self.record.organization,
            expires_at: self.record.expires_at,
            ip_allowlist: &self.record.ip_allowlist,
        }
    }

    /// `FORBIDDEN` unless the caller may write.
    pub fn require_write(&self) -> Result<(), ApiError> {
        if self.can_write {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::Forbidden,
                "This key is a Reader; it cannot change keys.",
            ))
        }
    }
}

fn unauthenticated(why: &str) -> ApiError {
    ApiError::new(
        ErrorCode::Unauthenticated,
        format!("An admin key is needed: {why}"),
    )
}

/// The 503 for a storage failure before anything was written, carrying
/// the cause into the request's log line (never a token: store errors
/// carry keys by id only).
pub(crate) fn unavailable(cause: StoreError) -> ApiError {
    ApiError::new(
        ErrorCode::Unavailable,
        "Key storage is unavailable; nothing was changed.",
    )
    .with_cause(format!("storage failed, nothing changed: {}", cause.0))
}

/// The 503 for a storage failure once a write was attempted: the change
/// may be partly stored, and the answer says so.
pub(crate) fn unavailable_after_write(cause: StoreError) -> ApiError {
    partly_stored().with_cause(format!("storage failed during a write: {}", cause.0))
}

/// The answer of [`unavailable_after_write`], for a failure already logged.
pub(crate) fn partly_stored() -> ApiError {
    ApiError::new(
        ErrorCode::Unavailable,
        "Key storage failed part-way; the change may be partly stored. Check the key before trying again.",
    )
}

pub(crate) fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::KeyNotFound,
        "No key with this id exists in your organization.",
    )
}

impl<K: Kv, D: Db> App<'_, K, D> {
    /// The admin key of `Authorization: Bearer`, valid and holding an admin
    /// or reader role, checked like any key (expiry, enabled, allowlist).
    pub async fn authenticate(&self, req: &HttpRequest) -> Result<Caller, ApiError> {
        let requirement = Requirement {
            roles: vec![ROLE_ADMIN.into(), ROLE_READER.into()],
            organization: None,
        };
        let facts = RequestFacts {
            client_ip: client_ip(req),
            check_ip: true,
            requirement: &requirement,
        };
        let verdict = self
            .check(credential::bearer(req), &facts)
            .await
            .map_err(|e| {
                ApiError::new(ErrorCode::Unavailable, "Key storage is unavailable.")
                    .with_cause(format!("storage failed during admin sign-in: {}", e.0))
            })?;
        match verdict {
            (VerifyCode::Valid, Some(record)) => {
                let can_write = record.has_role(ROLE_ADMIN);
                Ok(Caller { record, can_write })
            }
            (VerifyCode::InsufficientRole, _) => Err(ApiError::new(
                ErrorCode::Forbidden,
                "This key is valid but holds neither keygate:admin nor keygate:reader.",
            )),
            (VerifyCode::MissingKey | VerifyCode::MalformedKey, _) => {
                Err(unauthenticated("send `Authorization: Bearer <admin key>`."))
            }
            (code, _) => Err(unauthenticated(code.message())),
        }
    }

    /// `GET /api/v1/me`.
    pub fn me(&self, caller: &Caller) -> HttpResponse {
        HttpResponse::json(
            200,
            &Me {
                key: caller.record.view(self.now),
                can_write: caller.can_write,
            },
        )
    }

    /// A key by id in the caller's subtree, or `KEY_NOT_FOUND`.
    pub(crate) async fn visible_key(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<KeyRecord, ApiError> {
        self.visible_entry(caller, id).await?.record.ok_or_else(|| {
            ApiError::new(
                ErrorCode::Internal,
                "The stored record of this key cannot be read; it can still be deleted.",
            )
        })
    }

    /// The stored entry by id in the caller's subtree, even one that does
    /// not decode (an entry whose organization cannot be read is seen by
    /// root callers only), or `KEY_NOT_FOUND`.
    pub(crate) async fn visible_entry(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<StoredEntry, ApiError> {
        if !keygate_shared::token::is_key_id(id) {
            return Err(not_found());
        }
        match self.repo().entry_by_id(id).await.map_err(unavailable)? {
            // An unreadable organization counts as the root's.
            Some(e) if caller.sees(e.organization.as_deref().unwrap_or("")) => Ok(e),
            _ => Err(not_found()),
        }
    }

    /// Records an audit event for `record`; its organization goes into
    /// `details` so that audit reads can be scoped like keys.
    pub(crate) async fn record_event(
        &self,
        actor: &str,
        action: &str,
        record: &KeyRecord,
        details: serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), ApiError> {
        let event = AuditEvent::for_key(record, self.now, actor, action, details);
        self.write_event(&event).await
    }

    /// Writes an audit event after a change was stored.
    pub(crate) async fn write_event(&self, event: &AuditEvent) -> Result<(), ApiError> {
        self.repo().audit(event).await.map_err(|e| {
            ApiError::new(
                ErrorCode::Unavailable,
                "The change was stored but its audit event could not be written.",
            )
            .with_cause(format!("audit write failed after a change: {}", e.0))
        })
    }
}
