//! The admin API (§4): authentication and scope, then one module per
//! resource.

mod audit;
mod export;
mod keys;

pub use export::{CsvRest, COLUMNS};

use keygate_shared::api::{AccessIdentity, Me};
use keygate_shared::model::{ROLE_ADMIN, ROLE_READER};
use keygate_shared::policy::{self, RequestFacts, Requirement, VerifyCode};
use keygate_shared::rules::caller::Caller;
use keygate_shared::{ApiError, ErrorCode, KeyRecord};

use crate::app::App;
use crate::credential;
use crate::http::{HttpRequest, HttpResponse};
use crate::repo::StoredEntry;
use crate::service::{AuditService, KeyService};
use crate::sql::Db;
use crate::store::{Kv, StoreError};
use crate::verify::client_ip;

/// An authenticated request: the admin key or the person behind it and
/// the caller it stands for (what the rules look at).
pub struct Session {
    /// The admin or reader key's record (`/api/v1/me`), for a key.
    pub record: Option<KeyRecord>,
    /// The person, when signed in through Cloudflare Access.
    pub identity: Option<crate::access::Identity>,
    /// The caller.
    pub caller: Caller,
}

fn unauthenticated(why: &str) -> ApiError {
    ApiError::new(
        ErrorCode::Unauthenticated,
        format!("An admin key is needed. {why}"),
    )
}

impl<K: Kv, D: Db> App<'_, K, D> {
    /// Who is calling: the admin key of `Authorization: Bearer` when there
    /// is one, else the Access token when Access is configured (§10).
    pub async fn authenticate(&self, req: &HttpRequest) -> Result<Session, ApiError> {
        if req.header("authorization").is_none() {
            if let Some(access) = &self.config.access {
                let presented =
                    crate::access::presented(req).map_err(crate::access::unauthenticated)?;
                if let Some(token) = presented {
                    return self.person(access, token).await;
                }
            }
        }
        self.admin_key(req).await
    }

    /// The person an Access token names, with the role `ACCESS_ADMINS`
    /// gives them.
    async fn person(
        &self,
        access: &crate::access::AccessConfig,
        token: &str,
    ) -> Result<Session, ApiError> {
        let identity = crate::access::identify(access, self.certs, token, self.now).await?;
        let can_write = identity.grant.role == crate::access::AccessRole::Admin;
        Ok(Session {
            caller: Caller::of_person(
                &identity.email,
                identity.grant.organization.clone(),
                can_write,
                self.now,
                identity.signed_in_until,
            ),
            record: None,
            identity: Some(identity),
        })
    }

    /// The admin key of `Authorization: Bearer`, valid and holding an admin
    /// or reader role, checked like any key (expiry, enabled, allowlist).
    async fn admin_key(&self, req: &HttpRequest) -> Result<Session, ApiError> {
        let requirement = Requirement {
            roles: vec![ROLE_ADMIN.into(), ROLE_READER.into()],
            organization: None,
            cost: None,
        };
        let facts = RequestFacts {
            client_ip: client_ip(req),
            check_ip: true,
            requirement: &requirement,
        };
        let verdict = self
            .check_at_source(credential::bearer(req), &facts)
            .await
            .map_err(|e| {
                ApiError::new(ErrorCode::Unavailable, "Key storage is unavailable.")
                    .with_cause(format!("storage failed during admin sign-in: {}", e.0))
            })?;
        match verdict {
            (VerifyCode::Valid, Some(record)) => Ok(Session {
                caller: Caller::of_key(&record),
                record: Some(record),
                identity: None,
            }),
            (VerifyCode::InsufficientRole, _) => Err(ApiError::new(
                ErrorCode::Forbidden,
                "This key is valid but holds neither keygate:admin nor keygate:reader.",
            )),
            (VerifyCode::MissingKey, _) if self.config.access.is_some() => Err(unauthenticated(
                "Send `Authorization: Bearer <admin key>`, or sign in through Cloudflare Access.",
            )),
            // The admin API reads no `X-API-Key`: saying so beats "not sent".
            (VerifyCode::MissingKey, _) => Err(unauthenticated(
                "Send it as `Authorization: Bearer <admin key>` (the admin API reads no other header).",
            )),
            (code, _) => Err(unauthenticated(code.message())),
        }
    }

    /// [`App::check`], then, for a key its KV projection says is a valid
    /// admin or reader key, the same decision on the key's D1 row, the
    /// source of truth: a projection elsewhere (and this isolate's read
    /// cache) may lag a disable, delete, narrower allowlist or earlier
    /// expiry by up to a minute (README, "Consistency"), which
    /// verification accepts but a write must not: a revoked admin key
    /// could otherwise create admin keys that outlive its revocation, for
    /// instance while racing a leak report. Refusals need no D1 read, so
    /// made-up tokens cost the one database nothing (a lagging projection
    /// can only refuse a key too early, which errs safe). A row whose
    /// record does not decode is a storage error (503, cause logged),
    /// never a pass.
    async fn check_at_source(
        &self,
        presented: Option<&str>,
        facts: &RequestFacts<'_>,
    ) -> Result<(VerifyCode, Option<KeyRecord>), StoreError> {
        let projected = self.check(presented, facts).await?;
        // A valid projection carries the hash the token was looked up by.
        let hash = match &projected {
            (VerifyCode::Valid, Some(record)) => record.hash.clone(),
            _ => return Ok(projected),
        };
        let record = match self.repo().entry_by_hash(&hash).await? {
            None => None,
            Some(StoredEntry {
                record: Some(record),
                ..
            }) => Some(record),
            Some(entry) => {
                return Err(StoreError(format!(
                    "the record of key {} does not decode",
                    entry.id
                )))
            }
        };
        // Defence in depth, as in verification: the row's record must
        // carry the hash it was found by.
        let record = record.filter(|r| r.hash == hash);
        Ok((policy::decide(record.as_ref(), facts, self.now), record))
    }

    /// `GET /api/v1/me`.
    pub fn me(&self, s: &Session) -> HttpResponse {
        HttpResponse::json(
            200,
            &Me {
                key: s.record.as_ref().map(|r| r.view(self.now)),
                identity: s.identity.as_ref().map(|i| AccessIdentity {
                    email: i.email.clone(),
                    role: i.grant.role,
                    organization: i.grant.organization.clone(),
                    logout_url: self
                        .config
                        .access
                        .as_ref()
                        .map(|a| a.logout_url())
                        .unwrap_or_default(),
                }),
                can_write: s.caller.can_write,
            },
        )
    }

    /// The key service for this request.
    #[must_use]
    pub fn keys(&self) -> KeyService<'_, K, D> {
        KeyService::new(self.repo(), self.config, self.now).with_limiter(self.limiter)
    }

    /// The audit service for this request.
    #[must_use]
    pub fn audit(&self) -> AuditService<'_, K, D> {
        AuditService::new(self.repo())
    }
}
