//! The services between HTTP and storage: the rules of
//! [`keygate_shared::rules`] applied over the stores ([`Repo`]), with no
//! HTTP in sight. The admin handlers (`admin/`) decode a request, call one
//! service function and encode its answer; the cron and the leak response
//! write keys through the same functions.
//!
//! Storage errors become the 503 answer in one place ([`unavailable`],
//! [`unavailable_after_write`]), which carries the cause into the
//! request's log line (never a token: store errors name keys by id only).

mod audit;
mod keys;

pub use audit::AuditService;
pub use keys::{forget_limiters, Created, KeyService};

use keygate_shared::{ApiError, ErrorCode};

use crate::store::StoreError;

/// The 503 for a storage failure before anything was written.
#[must_use]
pub fn unavailable(cause: StoreError) -> ApiError {
    ApiError::new(
        ErrorCode::Unavailable,
        "Key storage is unavailable; nothing was changed.",
    )
    .with_cause(format!("storage failed, nothing changed: {}", cause.0))
}

/// The 503 for a storage failure once a write was attempted: the change
/// may be partly stored, and the answer says so.
#[must_use]
pub fn unavailable_after_write(cause: StoreError) -> ApiError {
    partly_stored(format!("storage failed during a write: {}", cause.0))
}

/// The 503 of a request that had stored some of its changes (a bulk
/// delete, a leak report) when a later one failed with `cause`.
#[must_use]
pub fn partly_stored(cause: impl Into<String>) -> ApiError {
    ApiError::new(
        ErrorCode::Unavailable,
        "Key storage failed part-way; the change may be partly stored. Check the key before trying again.",
    )
    .with_cause(cause)
}

/// `KEY_NOT_FOUND`: no such key, or one outside the caller's subtree.
#[must_use]
pub fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::KeyNotFound,
        "No key with this id exists in your organization.",
    )
}
