//! Request and response bodies of the HTTP API (§4, §5), shared by the
//! worker and the SPA, and the strict body decoder the worker uses.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorCode};
use crate::model::{AuditEvent, KeyView, Status};
use crate::usage::{CreditState, Credits, RateLimit, RateState};

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Most ids in one bulk delete.
pub const MAX_BULK_IDS: usize = 1000;
/// Longest roll grace period (7 days).
pub const MAX_GRACE_SECONDS: u32 = 604_800;

/// Tells `null` apart from a missing field: missing = `None`, `null` =
/// `Some(None)`.
fn present_time<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<DateTime<Utc>>>, D::Error> {
    crate::time::deserialize_option(d).map(Some)
}

/// The same for any value (`rate_limit`, `credits`: `null` clears them).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `GET /api/v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Always true when the worker answers.
    pub ok: bool,
    /// The worker's version.
    pub version: String,
}

/// `GET /api/v1/me`: the admin key signed in, or the person signed in
/// through Cloudflare Access (§10); exactly one of the two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// The calling admin key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyView>,
    /// The person, when signed in through Access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<AccessIdentity>,
    /// Whether it may write (holds `keygate:admin`, or the Administrator
    /// role through `ACCESS_ADMINS`).
    pub can_write: bool,
}

/// What `ACCESS_ADMINS` makes a person: Administrator or Reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessRole {
    /// May read and write.
    Admin,
    /// May read.
    Reader,
}

impl AccessRole {
    /// `admin` or `reader`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Reader => "reader",
        }
    }
}

impl std::str::FromStr for AccessRole {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        [Self::Admin, Self::Reader]
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(())
    }
}

/// Who signed in through Cloudflare Access, as `ACCESS_ADMINS` maps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessIdentity {
    /// The email in the Access token (the audit log's actor).
    pub email: String,
    /// `admin` or `reader`.
    pub role: AccessRole,
    /// The root of the subtree they manage.
    pub organization: crate::Organization,
    /// Where signing out goes (the team's Access logout).
    pub logout_url: String,
}

impl Me {
    /// What to call whoever is signed in: the key's name or the email.
    #[must_use]
    pub fn name(&self) -> String {
        match (&self.key, &self.identity) {
            (Some(k), _) => k.name.clone(),
            (None, Some(i)) => i.email.clone(),
            (None, None) => String::new(),
        }
    }

    /// The root of the subtree the caller manages.
    #[must_use]
    pub fn organization(&self) -> String {
        match (&self.key, &self.identity) {
            (Some(k), _) => k.organization.to_string(),
            (None, Some(i)) => i.organization.to_string(),
            (None, None) => String::new(),
        }
    }
}

/// `POST /api/v1/keys`. Every field is optional on the wire so that the
/// decoder can name the one at fault; `name` is required by validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateKeyRequest {
    /// Display name (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Defaults to the caller's organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Key group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// Allowed client addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_allowlist: Option<Vec<String>>,
    /// Absolute expiry; explicit `null` = never expires.
    #[serde(
        default,
        deserialize_with = "present_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<Option<DateTime<Utc>>>,
    /// Relative expiry in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u32>,
    /// Created active unless `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The operator's own data (a JSON object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
    /// Rate limit (§9); `null` = none.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub rate_limit: Option<Option<RateLimit>>,
    /// Credits (§9); `null` = none.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub credits: Option<Option<Credits>>,
}

impl CreateKeyRequest {
    /// Fields the body may have.
    pub const FIELDS: &'static [&'static str] = &[
        "name",
        "description",
        "organization",
        "group",
        "roles",
        "ip_allowlist",
        "expires_at",
        "expires_in_days",
        "enabled",
        "meta",
        "rate_limit",
        "credits",
    ];
}

/// `201` answer of create and roll: the token, shown this once. Its
/// `Debug` leaves the token out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedKey {
    /// The new key.
    pub key: KeyView,
    /// The secret token.
    pub token: String,
}

impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// `PATCH /api/v1/keys/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchKeyRequest {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Activate or deactivate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// New allowlist (replaces the old one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_allowlist: Option<Vec<String>>,
    /// New `meta` (replaces the old one; `{}` clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
    /// New rate limit; `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub rate_limit: Option<Option<RateLimit>>,
    /// New credits (resets the count to `remaining`); `null` removes them.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub credits: Option<Option<Credits>>,
}

impl PatchKeyRequest {
    /// Fields the body may have.
    pub const FIELDS: &'static [&'static str] = &[
        "name",
        "description",
        "enabled",
        "ip_allowlist",
        "meta",
        "rate_limit",
        "credits",
    ];
    /// Fields that exist on a key but never change.
    pub const IMMUTABLE: &'static [&'static str] = &[
        "id",
        "roles",
        "expires_at",
        "organization",
        "group",
        "created_at",
        "created_by",
        "hint",
        "status",
    ];
}

/// `GET /api/v1/keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyList {
    /// This page.
    pub keys: Vec<KeyView>,
    /// Where the next page starts, if any.
    pub next_cursor: Option<String>,
    /// Keys matching the filters, over all pages.
    pub total: usize,
}

/// `POST /api/v1/keys/bulk-delete`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkDeleteRequest {
    /// Key ids (at most 1000).
    #[serde(default)]
    pub ids: Option<Vec<String>>,
}

impl BulkDeleteRequest {
    /// Fields the body may have.
    pub const FIELDS: &'static [&'static str] = &["ids"];
}

/// Answer of a bulk delete.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkDeleteResult {
    /// Ids deleted now.
    pub deleted: Vec<String>,
    /// Ids not found in the caller's subtree.
    pub not_found: Vec<String>,
}

/// `POST /api/v1/keys/{id}/roll`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollRequest {
    /// How long the old token keeps working (0–604800 s; default 0).
    #[serde(default)]
    pub grace_seconds: Option<u32>,
}

impl RollRequest {
    /// Fields the body may have.
    pub const FIELDS: &'static [&'static str] = &["grace_seconds"];
}

/// `GET /api/v1/audit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    /// Newest first.
    pub events: Vec<AuditEvent>,
    /// Where the next page starts, if any.
    pub next_cursor: Option<String>,
}

/// `POST /api/v1/verify`. Its `Debug` leaves the token out.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyRequest {
    /// The token to check.
    #[serde(default)]
    pub token: Option<String>,
    /// The key needs at least one of these.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// The key must belong here or below.
    #[serde(default)]
    pub organization: Option<String>,
    /// The caller's client address, to check the allowlist.
    #[serde(default)]
    pub ip: Option<String>,
    /// What this verification spends of the key's credits (0–1000,
    /// default 1).
    #[serde(default, deserialize_with = "crate::whole::opt_u32")]
    pub cost: Option<u32>,
}

impl std::fmt::Debug for VerifyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyRequest")
            .field("roles", &self.roles)
            .field("organization", &self.organization)
            .field("ip", &self.ip)
            .field("cost", &self.cost)
            .finish_non_exhaustive()
    }
}

impl VerifyRequest {
    /// Fields the body may have.
    pub const FIELDS: &'static [&'static str] = &["token", "roles", "organization", "ip", "cost"];
}

/// Answer of the verify endpoint (always 200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResponse {
    /// `code == "VALID"`.
    pub valid: bool,
    /// A §5 code.
    pub code: String,
    /// The matched key, when the token matched a record.
    pub key: Option<KeyView>,
    /// The key's rate limit after this verification, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateState>,
    /// The key's credits after this verification, when it has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<CreditState>,
}

/// `GET /api/v1/keys/{id}/usage`: verifications per day by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageReport {
    /// Oldest day first, one entry per day (days without use too).
    pub days: Vec<UsageDay>,
}

/// One day of a key's use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageDay {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Verifications that passed.
    pub valid: u64,
    /// Refused verifications by code.
    pub rejected: std::collections::BTreeMap<String, u64>,
}

/// Most days a usage report covers.
pub const MAX_USAGE_DAYS: u32 = 90;

/// Sort orders of the list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortOrder {
    /// By name, A→Z (default).
    #[default]
    Name,
    /// By name, Z→A.
    NameDesc,
    /// Oldest first.
    CreatedAt,
    /// Newest first.
    CreatedAtDesc,
    /// Soonest expiry first (never-expiring last).
    ExpiresAt,
    /// Latest expiry first (never-expiring first).
    ExpiresAtDesc,
    /// Least recently used first (never used first).
    LastUsedAt,
    /// Most recently used first.
    LastUsedAtDesc,
}

impl SortOrder {
    /// All orders with their query names.
    pub const ALL: [(&'static str, Self); 8] = [
        ("name", Self::Name),
        ("-name", Self::NameDesc),
        ("created_at", Self::CreatedAt),
        ("-created_at", Self::CreatedAtDesc),
        ("expires_at", Self::ExpiresAt),
        ("-expires_at", Self::ExpiresAtDesc),
        ("last_used_at", Self::LastUsedAt),
        ("-last_used_at", Self::LastUsedAtDesc),
    ];

    /// The query name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, o)| *o == self)
            .map_or("name", |(n, _)| n)
    }
}

/// Filters, order and page of the key list and CSV export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Case-insensitive text match.
    pub q: Option<String>,
    /// This organization and below.
    pub organization: Option<crate::ids::Organization>,
    /// Only this status.
    pub status: Option<Status>,
    /// Only this group.
    pub group: Option<String>,
    /// Order.
    pub sort: SortOrder,
    /// Page size, 1–1000.
    pub limit: usize,
    /// Where the page starts: a cursor this API handed out (opaque to
    /// clients; the worker decodes it for the sort).
    pub cursor: Option<String>,
    /// Only keys not used for this many days (or never).
    pub unused_days: Option<u32>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            unused_days: None,
            q: None,
            organization: None,
            status: None,
            group: None,
            sort: SortOrder::Name,
            limit: 100,
            cursor: None,
        }
    }
}

impl ListQuery {
    /// Parses decoded query pairs.
    ///
    /// # Errors
    /// `UNKNOWN_FIELD` for a parameter the list does not take,
    /// `INVALID_FIELD` for a value out of range.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ApiError> {
        let mut q = Self::default();
        let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
        refuse_repeated(pairs.iter().map(|(k, _)| *k))?;
        for (k, v) in pairs {
            match k {
                "q" => q.q = Some(v.to_owned()).filter(|s| !s.trim().is_empty()),
                "organization" => {
                    q.organization = Some(crate::validation::organization(v)?);
                }
                "status" => {
                    q.status = Some(match v {
                        "active" => Status::Active,
                        "disabled" => Status::Disabled,
                        "expired" => Status::Expired,
                        _ => {
                            return Err(ApiError::invalid(
                                "status",
                                "status is active, disabled or expired.",
                            ))
                        }
                    });
                }
                "group" => q.group = Some(v.to_owned()),
                "sort" => {
                    q.sort = SortOrder::ALL.iter().find(|(n, _)| *n == v).map(|(_, o)| *o).ok_or_else(|| {
                        ApiError::invalid("sort", "sort is name, -name, created_at, -created_at, expires_at, -expires_at, last_used_at or -last_used_at.")
                    })?;
                }
                "unused_days" => {
                    q.unused_days = Some(
                        v.parse::<u32>()
                            .ok()
                            .filter(|d| {
                                (1..=3650).contains(d) && v.bytes().all(|b| b.is_ascii_digit())
                            })
                            .ok_or_else(|| {
                                ApiError::invalid(
                                    "unused_days",
                                    "unused_days is a whole number from 1 to 3650.",
                                )
                            })?,
                    );
                }
                "limit" => q.limit = parse_limit(v)?,
                "cursor" => {
                    if !looks_like_cursor(v) {
                        return Err(invalid_cursor());
                    }
                    q.cursor = Some(v.to_owned());
                }
                _ => {
                    return Err(ApiError::field(
                        ErrorCode::UnknownField,
                        k,
                        "This query parameter is not known here.",
                    ))
                }
            }
        }
        Ok(q)
    }
}

/// `GET /api/v1/audit`'s parameters (§4), parsed: the worker filters on
/// them and the app builds them, so both speak the same names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events about this key.
    pub key_id: Option<crate::ids::KeyId>,
    /// Only events by this actor (an admin key id, `bootstrap`, `cron`,
    /// `github-secret-scanning`).
    pub actor: Option<String>,
    /// Only this action.
    pub action: Option<crate::audit::AuditAction>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
    /// Page size, 1–1000.
    pub limit: usize,
    /// Older than this event (a cursor this API handed out).
    pub before_seq: Option<i64>,
}

impl Default for AuditQuery {
    fn default() -> Self {
        Self {
            key_id: None,
            actor: None,
            action: None,
            since: None,
            until: None,
            limit: 100,
            before_seq: None,
        }
    }
}

/// Longest `actor` filter (an email is at most 320 characters).
pub const MAX_ACTOR_LEN: usize = 320;

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

impl AuditQuery {
    /// Parses decoded query pairs.
    ///
    /// # Errors
    /// `UNKNOWN_FIELD` for a parameter the audit log does not take,
    /// `INVALID_FIELD` naming the one whose value is wrong.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ApiError> {
        let mut q = Self::default();
        let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
        refuse_repeated(pairs.iter().map(|(k, _)| *k))?;
        for (k, v) in pairs {
            match k {
                "limit" => q.limit = parse_limit(v)?,
                "cursor" => {
                    let seq = v
                        .parse::<i64>()
                        .ok()
                        .filter(|s| *s > 0 && v.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or_else(invalid_cursor)?;
                    q.before_seq = Some(seq);
                }
                "key_id" => {
                    q.key_id = Some(
                        v.parse()
                            .map_err(|_| ApiError::invalid("key_id", "key_id is not a key id."))?,
                    );
                }
                "actor" => {
                    if v.is_empty() || v.len() > MAX_ACTOR_LEN || v.chars().any(char::is_control) {
                        return Err(ApiError::invalid(
                            "actor",
                            "actor is a key id, an email, bootstrap, cron or github-secret-scanning.",
                        ));
                    }
                    q.actor = Some(v.to_owned());
                }
                "action" => {
                    q.action = Some(v.parse().map_err(|_| {
                        let all: Vec<&str> = crate::audit::AuditAction::ALL
                            .iter()
                            .map(|a| a.as_str())
                            .collect();
                        ApiError::invalid("action", format!("action is one of {}.", all.join(", ")))
                    })?);
                }
                "since" => q.since = Some(time_param("since", v)?),
                "until" => q.until = Some(time_param("until", v)?),
                _ => {
                    return Err(ApiError::field(
                        ErrorCode::UnknownField,
                        k,
                        "This query parameter is not known here.",
                    ))
                }
            }
        }
        Ok(q)
    }

    /// The query as `(name, value)` pairs, without defaults: what the app
    /// sends (the cursor is added by the caller).
    #[must_use]
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut out = vec![("limit", self.limit.to_string())];
        if let Some(k) = &self.key_id {
            out.push(("key_id", k.to_string()));
        }
        if let Some(a) = &self.actor {
            out.push(("actor", a.clone()));
        }
        if let Some(a) = self.action {
            out.push(("action", a.as_str().to_owned()));
        }
        if let Some(t) = &self.since {
            out.push(("since", time(t)));
        }
        if let Some(t) = &self.until {
            out.push(("until", time(t)));
        }
        out
    }
}

/// A query parameter given twice is refused (`INVALID_FIELD` naming it)
/// rather than one of the values silently winning.
///
/// # Errors
/// As above.
pub fn refuse_repeated<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<(), ApiError> {
    let mut seen: Vec<&str> = Vec::new();
    for name in names {
        if seen.contains(&name) {
            let message = crate::error::echoable_name(name).map_or_else(
                || "A query parameter is given more than once.".to_owned(),
                |n| format!("`{n}` is given more than once."),
            );
            return Err(ApiError::invalid(name, message));
        }
        seen.push(name);
    }
    Ok(())
}

/// 422 for a cursor this API did not hand out.
#[must_use]
pub fn invalid_cursor() -> ApiError {
    ApiError::invalid("cursor", "cursor is not one this API handed out.")
}

/// Whether `cursor` could be a cursor of this API (URL-safe base64 text,
/// at most 1024 characters): the worker decodes the rest for the sort
/// asked, and refuses anything else with a 422.
#[must_use]
pub fn looks_like_cursor(cursor: &str) -> bool {
    (1..=1024).contains(&cursor.len())
        && cursor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
}

/// A page size of the list and audit endpoints: 1 to 1000.
///
/// # Errors
/// `INVALID_FIELD` on `limit`.
pub fn parse_limit(raw: &str) -> Result<usize, ApiError> {
    raw.parse::<usize>()
        .ok()
        .filter(|n| (1..=1000).contains(n))
        .ok_or_else(|| ApiError::invalid("limit", "limit is a whole number from 1 to 1000."))
}

/// Fields where `null` means something (`expires_at`: never; `group`:
/// none). Anywhere else a `null` is refused rather than read as "absent",
/// so that the OpenAPI document can say exactly what is accepted.
pub const NULLABLE: &[&str] = &["expires_at", "group", "rate_limit", "credits"];

/// Decodes a JSON object body strictly: syntax → `BAD_JSON`; a field in
/// `immutable` → `IMMUTABLE_FIELD`; one not in `allowed` → `UNKNOWN_FIELD`;
/// a value of the wrong type → `INVALID_FIELD` naming that field.
///
/// # Errors
/// As above, and `BODY_TOO_LARGE` over [`MAX_BODY_BYTES`].
pub fn decode_body<T: DeserializeOwned>(
    body: &[u8],
    allowed: &[&str],
    immutable: &[&str],
) -> Result<T, ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            ErrorCode::BodyTooLarge,
            "The request body is larger than 64 KiB.",
        ));
    }
    let value: Value = serde_json::from_slice::<NoDuplicates>(body)
        .map(|v| v.0)
        .map_err(|e| {
            ApiError::new(
                ErrorCode::BadJson,
                format!("The body is not valid JSON ({}).", e.classify_message()),
            )
        })?;
    let Value::Object(map) = value else {
        return Err(ApiError::new(
            ErrorCode::BadJson,
            "The body must be a JSON object.",
        ));
    };
    for (key, v) in &map {
        if immutable.contains(&key.as_str()) {
            return Err(ApiError::field(
                ErrorCode::ImmutableField,
                key,
                format!("`{key}` cannot be changed after creation."),
            ));
        }
        if !allowed.contains(&key.as_str()) {
            return Err(ApiError::field(
                ErrorCode::UnknownField,
                key,
                "This field is not known here.",
            ));
        }
        if v.is_null() && !NULLABLE.contains(&key.as_str()) {
            return Err(ApiError::invalid(
                key,
                format!("`{key}` may be left out but not null."),
            ));
        }
    }
    // Happy path: one typed decode. Only when it fails, each field alone,
    // so that the error names the field at fault.
    match serde_json::from_value(Value::Object(map)) {
        Ok(decoded) => Ok(decoded),
        Err(whole) => {
            // The body parsed a moment ago; parse it again rather than
            // keep a copy of every field on the happy path.
            let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
                return Err(ApiError::new(ErrorCode::BadJson, expected_part(&whole)));
            };
            for (key, v) in fields {
                let mut single = Map::new();
                single.insert(key.clone(), v);
                if let Err(e) = serde_json::from_value::<T>(Value::Object(single)) {
                    return Err(ApiError::invalid(
                        &key,
                        format!("`{key}` has the wrong type: {}.", expected_part(&e)),
                    ));
                }
            }
            Err(ApiError::new(ErrorCode::BadJson, expected_part(&whole)))
        }
    }
}

/// A JSON value in which no object repeats a key: `{"name": "a", "name":
/// "b"}` is refused instead of silently keeping the last one.
struct NoDuplicates(Value);

impl<'de> Deserialize<'de> for NoDuplicates {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicatesVisitor).map(NoDuplicates)
    }
}

struct NoDuplicatesVisitor;

impl<'de> serde::de::Visitor<'de> for NoDuplicatesVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(NoDuplicates(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom("an object repeats a key"));
            }
            let NoDuplicates(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// What serde says a value should have been, in the contract's words
/// rather than Rust's type names ("expected u32" reads "expected a whole
/// number, 0 or more": the field's own rule gives its range); never the
/// value itself, which serde's message quotes before its last "expected "
/// (so a value holding that word is not taken for serde's text).
fn expected_part(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let Some(at) = msg.rfind("expected ") else {
        return "unexpected value".to_owned();
    };
    let what = &msg[at + "expected ".len()..];
    let what = what.split(" at line ").next().unwrap_or(what);
    let plain = match what {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "a sequence" => "a list",
        "a map" => "an object",
        other if other.starts_with("struct ") => "an object",
        other => other,
    };
    format!("expected {plain}")
}

trait ClassifyMessage {
    fn classify_message(&self) -> String;
}

impl ClassifyMessage for serde_json::Error {
    /// Position only: the message of a syntax error may quote the body.
    fn classify_message(&self) -> String {
        format!("line {}, column {}", self.line(), self.column())
    }
}

#[cfg(test)]
mod audit_query_tests {
    use super::*;

    #[test]
    fn parses_what_it_prints_and_refuses_the_rest() {
        let q = AuditQuery::from_pairs([
            ("limit", "5"),
            ("key_id", "key_0123456789abcdef"),
            ("actor", "cron"),
            ("action", "key.rolled"),
            ("since", "2026-01-01T00:00:00Z"),
            ("until", "2026-02-01T00:00:00+01:00"),
        ])
        .unwrap();
        assert_eq!(q.action, Some(crate::audit::AuditAction::Rolled));
        let printed = q.to_pairs();
        let again = AuditQuery::from_pairs(printed.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
        assert_eq!(again, q);
        for (k, v) in [
            ("action", "key.frobbed"),
            ("since", "yesterday"),
            ("cursor", "-1"),
            ("cursor", "+5"),
            ("key_id", "nope"),
            ("actor", ""),
        ] {
            assert_eq!(
                AuditQuery::from_pairs([(k, v)]).unwrap_err().code,
                ErrorCode::InvalidField,
                "{k}={v}"
            );
        }
        assert_eq!(
            AuditQuery::from_pairs([("page", "2")]).unwrap_err().code,
            ErrorCode::UnknownField
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(body: &str) -> Result<CreateKeyRequest, ApiError> {
        decode_body(body.as_bytes(), CreateKeyRequest::FIELDS, &[])
    }

    /// A wrong type is told in the contract's words, naming the field and
    /// never echoing the value or a Rust type name.
    #[test]
    fn a_wrong_type_is_told_in_plain_words() {
        let roll = |body: &str| {
            decode_body::<RollRequest>(body.as_bytes(), RollRequest::FIELDS, &[]).unwrap_err()
        };
        for body in [
            r#"{"grace_seconds": -1}"#,
            r#"{"grace_seconds": "60"}"#,
            // A value that holds serde's own word is still not quoted.
            r#"{"grace_seconds": "x expected kg_secret"}"#,
        ] {
            let e = roll(body);
            assert_eq!(
                (e.code, e.field.as_deref(), e.message.as_str()),
                (
                    ErrorCode::InvalidField,
                    Some("grace_seconds"),
                    "`grace_seconds` has the wrong type: expected a whole number, 0 or more."
                ),
                "{body}"
            );
        }
        let e = create(r#"{"name": "n", "roles": "calls:read"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("roles"));
        assert!(e.message.ends_with("expected a list."), "{}", e.message);
        let e = create(r#"{"name": "n", "expires_in_days": "3650"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("expires_in_days"));
        assert!(
            !e.message.contains("3650") && !e.message.contains("u32"),
            "{}",
            e.message
        );
    }

    #[test]
    fn access_roles_on_the_wire() {
        for role in [AccessRole::Admin, AccessRole::Reader] {
            let wire = serde_json::to_value(role).unwrap();
            assert_eq!(wire, serde_json::json!(role.as_str()));
            assert_eq!(serde_json::from_value::<AccessRole>(wire).unwrap(), role);
        }
    }

    #[test]
    fn decodes_a_full_create() {
        let r = create(r#"{"name":"a","roles":["x"],"expires_at":null,"enabled":false}"#).unwrap();
        assert_eq!(r.name.as_deref(), Some("a"));
        assert_eq!(r.expires_at, Some(None), "null means never");
        assert_eq!(
            create(r#"{"name":"a"}"#).unwrap().expires_at,
            None,
            "missing means default"
        );
        let r = create(r#"{"expires_at":"2030-01-01T00:00:00Z"}"#).unwrap();
        assert!(matches!(r.expires_at, Some(Some(_))));
    }

    #[test]
    fn null_is_refused_where_it_means_nothing() {
        assert!(create(r#"{"name":"a","group":null}"#).is_ok());
        for field in ["name", "description", "roles", "ip_allowlist", "enabled"] {
            let e = create(&format!(r#"{{"{field}":null}}"#)).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidField);
            assert_eq!(e.field.as_deref(), Some(field));
        }
    }

    #[test]
    fn errors_name_the_field() {
        let code = |b: &str| create(b).map(|_| ()).unwrap_err();
        assert_eq!(code("{").code, ErrorCode::BadJson);
        assert_eq!(code("[]").code, ErrorCode::BadJson);
        assert_eq!(code("\u{0}").code, ErrorCode::BadJson);
        let e = code(r#"{"name":"a","colour":1}"#);
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::UnknownField, Some("colour"))
        );
        let e = code(r#"{"name":5}"#);
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidField, Some("name"))
        );
        let e = code(r#"{"expires_in_days":-1}"#);
        assert_eq!(e.field.as_deref(), Some("expires_in_days"));
        let e = code(r#"{"expires_at":"kg_secretsecret"}"#);
        assert_eq!(e.field.as_deref(), Some("expires_at"));
        assert!(!e.message.contains("secretsecret"), "{}", e.message);
        let big = format!(r#"{{"name":"{}"}}"#, "a".repeat(MAX_BODY_BYTES));
        assert_eq!(code(&big).code, ErrorCode::BodyTooLarge);
        assert_eq!(
            code(r#"{"name":"a","name":"b"}"#).code,
            ErrorCode::BadJson,
            "duplicate keys"
        );
        assert_eq!(
            code(r#"{"name":"a","roles":[{"x":1,"x":2}]}"#).code,
            ErrorCode::BadJson,
            "nested duplicates"
        );
        assert_eq!(
            code(r#"{"name":"a","expires_in_days":1.5}"#)
                .field
                .as_deref(),
            Some("expires_in_days")
        );
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(code(&deep).code, ErrorCode::BadJson);
    }

    #[test]
    fn immutable_fields_in_a_patch() {
        let e = decode_body::<PatchKeyRequest>(
            br#"{"roles":["x"]}"#,
            PatchKeyRequest::FIELDS,
            PatchKeyRequest::IMMUTABLE,
        )
        .unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::ImmutableField, Some("roles"))
        );
        assert_eq!(e.status(), 422);
    }

    #[test]
    fn list_query() {
        let q = ListQuery::from_pairs([
            ("q", "ci"),
            ("sort", "-created_at"),
            ("limit", "5"),
            ("cursor", "WzEsImtleV8xIl0"),
        ])
        .unwrap();
        assert_eq!(
            (q.sort, q.limit, q.cursor.as_deref(), q.q.as_deref()),
            (
                SortOrder::CreatedAtDesc,
                5,
                Some("WzEsImtleV8xIl0"),
                Some("ci")
            )
        );
        for (k, v) in [
            ("limit", "0"),
            ("limit", "1001"),
            ("limit", "x"),
            ("sort", "hash"),
            ("status", "on"),
            ("cursor", "a.b"),
            ("organization", "A"),
        ] {
            assert_eq!(
                ListQuery::from_pairs([(k, v)])
                    .unwrap_err()
                    .field
                    .as_deref(),
                Some(k),
                "{k}={v}"
            );
        }
        assert_eq!(
            ListQuery::from_pairs([("page", "2")]).unwrap_err().code,
            ErrorCode::UnknownField
        );
    }
}
