//! Key handlers of §4: each decodes its request, calls one function of
//! the key service ([`crate::service::KeyService`]) and encodes the answer.

use keygate_shared::api::{
    decode_body, BulkDeleteRequest, CreateKeyRequest, CreatedKey, KeyList, ListQuery,
    PatchKeyRequest, RollRequest, MAX_USAGE_DAYS,
};
use keygate_shared::ApiError;

use super::Session;
use crate::app::App;
use crate::http::{HttpRequest, HttpResponse};
use crate::service::Created;
use crate::sql::Db;
use crate::store::Kv;

fn query_pairs(req: &HttpRequest) -> impl Iterator<Item = (&str, &str)> {
    req.query.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

impl<K: Kv, D: Db> App<'_, K, D> {
    fn created(&self, created: &Created) -> HttpResponse {
        HttpResponse::json(
            201,
            &CreatedKey {
                key: created.record.view(self.now),
                token: created.token.expose_secret().to_owned(),
            },
        )
    }

    /// `GET /api/v1/keys`: one page (keyset pagination).
    pub async fn list_keys(
        &self,
        s: &Session,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        let query = ListQuery::from_pairs(query_pairs(req))?;
        let page = self.keys().list(&s.caller, &query).await?;
        Ok(HttpResponse::json(
            200,
            &KeyList {
                keys: page.keys.iter().map(|r| r.view(self.now)).collect(),
                next_cursor: page.next.map(|c| c.encode()),
                total: usize::try_from(page.total).unwrap_or(usize::MAX),
            },
        ))
    }

    /// `GET /api/v1/keys/{id}`.
    pub async fn get_key(&self, s: &Session, id: &str) -> Result<HttpResponse, ApiError> {
        let record = self.keys().get(&s.caller, id).await?;
        Ok(HttpResponse::json(200, &record.view(self.now)))
    }

    /// `POST /api/v1/keys`.
    pub async fn create_key(
        &self,
        s: &Session,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        s.caller.require_write()?;
        let body: CreateKeyRequest = decode_body(&req.body, CreateKeyRequest::FIELDS, &[])?;
        let created = self.keys().create(&s.caller, &body).await?;
        Ok(self.created(&created))
    }

    /// `PATCH /api/v1/keys/{id}`.
    pub async fn patch_key(
        &self,
        s: &Session,
        id: &str,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        s.caller.require_write()?;
        let body: PatchKeyRequest = decode_body(
            &req.body,
            PatchKeyRequest::FIELDS,
            PatchKeyRequest::IMMUTABLE,
        )?;
        let record = self.keys().patch(&s.caller, id, &body).await?;
        Ok(HttpResponse::json(200, &record.view(self.now)))
    }

    /// `DELETE /api/v1/keys/{id}`.
    pub async fn delete_key(&self, s: &Session, id: &str) -> Result<HttpResponse, ApiError> {
        self.keys().delete(&s.caller, id).await?;
        Ok(HttpResponse::no_content())
    }

    /// `POST /api/v1/keys/bulk-delete`.
    pub async fn bulk_delete(
        &self,
        s: &Session,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        s.caller.require_write()?;
        let body: BulkDeleteRequest = decode_body(&req.body, BulkDeleteRequest::FIELDS, &[])?;
        let result = self.keys().bulk_delete(&s.caller, &body).await?;
        Ok(HttpResponse::json(200, &result))
    }

    /// `GET /api/v1/keys/{id}/usage?days=N` (1–90, default 30).
    pub async fn key_usage(
        &self,
        s: &Session,
        id: &str,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        let mut days = 30;
        keygate_shared::api::refuse_repeated(req.query.iter().map(|(k, _)| k.as_str()))?;
        for (k, v) in &req.query {
            match k.as_str() {
                "days" => {
                    days = v
                        .parse::<u32>()
                        .ok()
                        .filter(|d| {
                            (1..=MAX_USAGE_DAYS).contains(d)
                                && v.bytes().all(|b| b.is_ascii_digit())
                        })
                        .ok_or_else(|| {
                            ApiError::invalid(
                                "days",
                                format!("days is a whole number from 1 to {MAX_USAGE_DAYS}."),
                            )
                        })?;
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
        let report = self.keys().usage(&s.caller, id, days).await?;
        Ok(HttpResponse::json(200, &report))
    }

    /// `POST /api/v1/keys/{id}/roll` (an empty body: no grace period).
    pub async fn roll_key(
        &self,
        s: &Session,
        id: &str,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        s.caller.require_write()?;
        let body: RollRequest = if req.body.iter().all(u8::is_ascii_whitespace) {
            RollRequest::default()
        } else {
            decode_body(&req.body, RollRequest::FIELDS, &[])?
        };
        let created = self.keys().roll(&s.caller, id, &body).await?;
        Ok(self.created(&created))
    }
}
