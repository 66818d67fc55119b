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
use crate::store::Kv;
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

pub(crate) fn unavailable() -> ApiError {
    ApiError::new(
        ErrorCode::Unavailable,
        "Key storage is unavailable; nothing was changed.",
    )
}

pub(crate) fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::KeyNotFound,
        "No key with this id exists in your organization.",
    )
}

impl<K: Kv> App<'_, K> {
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
            .map_err(|_| ApiError::new(ErrorCode::Unavailable, "Key storage is unavailable."))?;
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
        if !keygate_shared::token::is_key_id(id) {
            return Err(not_found());
        }
        match self.repo().by_id(id).await.map_err(|_| unavailable())? {
            Some(r) if caller.sees(&r.organization) => Ok(r),
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
        self.repo().audit(&event).await.map_err(|_| {
            ApiError::new(
                ErrorCode::Unavailable,
                "The change was stored but its audit event could not be written.",
            )
        })
    }
}
