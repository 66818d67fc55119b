//! The error body of the contract (§3):
//! `{"error": {"code", "message", "field"?}}` with a matching HTTP status.

use serde::{Deserialize, Serialize};

/// Every error code the API answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The body is not JSON (400).
    BadJson,
    /// The body has a field this endpoint does not take (400).
    UnknownField,
    /// A field breaks a rule of the key record (422).
    InvalidField,
    /// An edit names a field that never changes (422).
    ImmutableField,
    /// The body is over 64 KiB (413).
    BodyTooLarge,
    /// No such route (404).
    NotFound,
    /// The request path cannot be canonicalized safely (400, §5).
    BadPath,
    /// The route exists, the method does not (405).
    MethodNotAllowed,
    /// Storage failed; nothing was decided (503).
    Unavailable,
    /// No or no valid admin token (401).
    Unauthenticated,
    /// The caller may not do this (403).
    Forbidden,
    /// No such key in the caller's subtree (404).
    KeyNotFound,
    /// The organization already holds `MAX_KEYS_PER_ORG` keys (409).
    KeyLimitReached,
    /// A configuration variable does not parse (500).
    ConfigInvalid,
    /// The gateway has no `ORIGIN_URL` (502).
    OriginNotConfigured,
    /// The origin could not be reached (502).
    OriginUnreachable,
    /// A secret-scanning request is not signed by a known key (401).
    BadSignature,
    /// Something failed that should not have (500); details are logged, not sent.
    Internal,
    /// Verification: no key in the request (401).
    MissingKey,
    /// Verification: the token is not well formed (401).
    MalformedKey,
    /// Verification: no key has this token (401).
    UnknownKey,
    /// Verification: the key has expired (401).
    Expired,
    /// Verification: the key is deactivated (401).
    Disabled,
    /// Verification: the client address is not on the allowlist (403).
    IpNotAllowed,
    /// Verification: the key has none of the required roles (403).
    InsufficientRole,
    /// Verification: the key is outside the required organization (403).
    WrongOrganization,
    /// Verification: over the key's rate limit (429, §9).
    RateLimited,
    /// Verification: not enough credits left (429, §9).
    UsageExceeded,
}

impl ErrorCode {
    /// Every code, in the order of §3.
    pub const ALL: [ErrorCode; 28] = {
        use ErrorCode as E;
        [
            E::BadJson,
            E::UnknownField,
            E::InvalidField,
            E::ImmutableField,
            E::BodyTooLarge,
            E::NotFound,
            E::BadPath,
            E::MethodNotAllowed,
            E::Unavailable,
            E::Unauthenticated,
            E::Forbidden,
            E::KeyNotFound,
            E::KeyLimitReached,
            E::ConfigInvalid,
            E::OriginNotConfigured,
            E::OriginUnreachable,
            E::BadSignature,
            E::Internal,
            E::MissingKey,
            E::MalformedKey,
            E::UnknownKey,
            E::Expired,
            E::Disabled,
            E::IpNotAllowed,
            E::InsufficientRole,
            E::WrongOrganization,
            E::RateLimited,
            E::UsageExceeded,
        ]
    };

    /// The HTTP status that goes with the code.
    #[must_use]
    pub fn status(self) -> u16 {
        use ErrorCode as E;
        match self {
            E::BadJson | E::BadPath => 400,
            E::InvalidField | E::ImmutableField => 422,
            E::UnknownField => 400,
            E::BodyTooLarge => 413,
            E::NotFound | E::KeyNotFound => 404,
            E::MethodNotAllowed => 405,
            E::Unavailable => 503,
            E::Unauthenticated | E::BadSignature => 401,
            E::MissingKey | E::MalformedKey | E::UnknownKey | E::Expired | E::Disabled => 401,
            E::Forbidden | E::IpNotAllowed | E::InsufficientRole | E::WrongOrganization => 403,
            E::KeyLimitReached => 409,
            E::RateLimited | E::UsageExceeded => 429,
            E::ConfigInvalid | E::Internal => 500,
            E::OriginNotConfigured | E::OriginUnreachable => 502,
        }
    }

    /// The code as it appears on the wire.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        use ErrorCode as E;
        match self {
            E::BadJson => "BAD_JSON",
            E::UnknownField => "UNKNOWN_FIELD",
            E::InvalidField => "INVALID_FIELD",
            E::ImmutableField => "IMMUTABLE_FIELD",
            E::BodyTooLarge => "BODY_TOO_LARGE",
            E::NotFound => "NOT_FOUND",
            E::BadPath => "BAD_PATH",
            E::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            E::Unavailable => "UNAVAILABLE",
            E::Unauthenticated => "UNAUTHENTICATED",
            E::Forbidden => "FORBIDDEN",
            E::KeyNotFound => "KEY_NOT_FOUND",
            E::KeyLimitReached => "KEY_LIMIT_REACHED",
            E::ConfigInvalid => "CONFIG_INVALID",
            E::OriginNotConfigured => "ORIGIN_NOT_CONFIGURED",
            E::OriginUnreachable => "ORIGIN_UNREACHABLE",
            E::BadSignature => "BAD_SIGNATURE",
            E::Internal => "INTERNAL",
            E::MissingKey => "MISSING_KEY",
            E::MalformedKey => "MALFORMED_KEY",
            E::UnknownKey => "UNKNOWN_KEY",
            E::Expired => "EXPIRED",
            E::Disabled => "DISABLED",
            E::IpNotAllowed => "IP_NOT_ALLOWED",
            E::InsufficientRole => "INSUFFICIENT_ROLE",
            E::WrongOrganization => "WRONG_ORGANIZATION",
            E::RateLimited => "RATE_LIMITED",
            E::UsageExceeded => "USAGE_EXCEEDED",
        }
    }
}

/// Not one of the codes of §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownCode;

impl std::str::FromStr for ErrorCode {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(UnknownCode)
    }
}

/// One API error: what went wrong, for a person, and which field if one.
/// Messages never quote secrets: handlers build them from fixed text and
/// field names only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ApiError {
    /// What kind of error.
    pub code: ErrorCode,
    /// A sentence for a person.
    pub message: String,
    /// The one request field at fault, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Why, for the operator's log (a storage error's text); never sent to
    /// the client and never holding a token.
    #[serde(skip)]
    pub cause: Option<String>,
}

/// `name` if it may be repeated back in an error: at most 32 characters of
/// `a-z A-Z 0-9 _ . -`. Every field, parameter and variable name of the
/// API fits; no token does (the shortest is 40 characters). Found by
/// fuzzing: an unknown query parameter named like a token was echoed.
#[must_use]
pub fn echoable_name(name: &str) -> Option<&str> {
    ((1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')))
    .then_some(name)
}

impl ApiError {
    /// An error not tied to one field.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            cause: None,
        }
    }

    /// The same error with `cause` for the log.
    #[must_use]
    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// An error about one field. A name that could not be one of ours
    /// (see [`echoable_name`]) is left out: clients put tokens where names
    /// go (`?kg_…`, `{"kg_…": 1}`), and errors must never repeat a secret.
    pub fn field(code: ErrorCode, field: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: echoable_name(field).map(str::to_owned),
            cause: None,
        }
    }

    /// Shorthand for `INVALID_FIELD` on `field`.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::field(ErrorCode::InvalidField, field, message)
    }

    /// The HTTP status of this error.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The JSON body `{"error": {...}}`.
    #[must_use]
    pub fn to_body(&self) -> String {
        serde_json::to_string(&ErrorBody {
            error: self.clone(),
        })
        .unwrap_or_default()
    }
}

/// The wire envelope of an [`ApiError`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error itself.
    pub error: ApiError,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_be_tokens_are_never_echoed() {
        assert_eq!(echoable_name("ip_allowlist"), Some("ip_allowlist"));
        assert_eq!(
            echoable_name("kg_0000000000000000000000000000000434JrRZ"),
            None
        );
        assert_eq!(echoable_name("a b"), None);
        let e = ApiError::field(
            ErrorCode::UnknownField,
            "kg_0000000000000000000000000000000434JrRZ",
            "x",
        );
        assert_eq!(e.field, None);
    }

    #[test]
    fn wire_form_matches_the_contract() {
        let e = ApiError::invalid("name", "A name is 1-100 characters.");
        assert_eq!(
            e.to_body(),
            r#"{"error":{"code":"INVALID_FIELD","message":"A name is 1-100 characters.","field":"name"}}"#
        );
        assert_eq!(e.status(), 422);
        let e = ApiError::new(ErrorCode::KeyLimitReached, "full");
        assert!(!e.to_body().contains("field"));
        assert_eq!(e.status(), 409);
    }

    #[test]
    fn as_str_agrees_with_serde() {
        for c in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(c).expect("ser"),
                serde_json::Value::from(c.as_str())
            );
            assert_eq!(c.as_str().parse::<ErrorCode>(), Ok(c));
        }
        assert_eq!("bad_json".parse::<ErrorCode>(), Err(UnknownCode));
    }

    #[test]
    fn all_names_every_code_once_in_order() {
        let listed: Vec<String> = ErrorCode::ALL
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect();
        assert_eq!(
            listed,
            crate::test_support::serde_variant_names::<ErrorCode>()
        );
    }
}
