//! The field rules of the key record (§2). Each check returns the value to
//! store (trimmed, canonical) or an `INVALID_FIELD` error naming the field.
//! Error messages never echo the offending value.

use chrono::{DateTime, Datelike, Duration, Utc};

use crate::error::ApiError;
use crate::ids::{Organization, Role};
use crate::ip;

/// Longest name, in characters.
pub const NAME_MAX: usize = 100;
/// Longest description, in characters.
pub const DESCRIPTION_MAX: usize = 500;
/// Most roles on one key.
pub const ROLES_MAX: usize = 32;
/// Longest role or group.
pub const ROLE_MAX_LEN: usize = 64;
/// Expiry when the creator names none.
pub const DEFAULT_EXPIRY_DAYS: u32 = 365;
/// Longest `expires_in_days` accepted (ten years).
pub const MAX_EXPIRY_DAYS: u32 = 3650;

/// A trimmed name of 1–100 characters without control characters.
///
/// # Errors
/// `INVALID_FIELD` on `name`.
pub fn name(raw: &str) -> Result<String, ApiError> {
    let trimmed = raw.trim();
    let len = trimmed.chars().count();
    if len == 0 || len > NAME_MAX {
        return Err(ApiError::invalid(
            "name",
            format!("A name is 1 to {NAME_MAX} characters after trimming spaces."),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "name",
            "A name may not contain control characters.",
        ));
    }
    Ok(trimmed.to_owned())
}

/// A description of at most 500 characters; line breaks and tabs are the
/// only control characters allowed.
///
/// # Errors
/// `INVALID_FIELD` on `description`.
pub fn description(raw: &str) -> Result<String, ApiError> {
    if raw.chars().count() > DESCRIPTION_MAX {
        return Err(ApiError::invalid(
            "description",
            format!("A description is at most {DESCRIPTION_MAX} characters."),
        ));
    }
    if raw
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ApiError::invalid(
            "description",
            "A description may not contain control characters.",
        ));
    }
    Ok(raw.to_owned())
}

/// An organization path (see [`org::is_valid`]).
///
/// # Errors
/// `INVALID_FIELD` on `organization`.
pub fn organization(raw: &str) -> Result<Organization, ApiError> {
    if let Ok(organization) = raw.parse() {
        Ok(organization)
    } else {
        Err(ApiError::invalid(
            "organization",
            "An organization is empty (the root) or up to 8 segments of a-z, 0-9 and '-' (1-32 each) joined by '/'.",
        ))
    }
}

/// A key group: `[A-Za-z0-9 ._-]{1,64}`.
///
/// # Errors
/// `INVALID_FIELD` on `group`.
pub fn group(raw: &str) -> Result<String, ApiError> {
    let ok = (1..=ROLE_MAX_LEN).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'.' | b'_' | b'-'));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::invalid(
            "group",
            "A group is 1-64 characters of letters, digits, space, '.', '_' and '-'.",
        ))
    }
}

/// Whether `role` has the shape `[A-Za-z0-9:._*-]{1,64}`.
#[must_use]
pub fn is_role(role: &str) -> bool {
    (1..=ROLE_MAX_LEN).contains(&role.len())
        && role
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'.' | b'_' | b'*' | b'-'))
}

/// At most 32 distinct roles of the right shape.
///
/// # Errors
/// `INVALID_FIELD` on `roles`.
pub fn roles(roles: &[String]) -> Result<Vec<Role>, ApiError> {
    if roles.len() > ROLES_MAX {
        return Err(ApiError::invalid(
            "roles",
            format!("A key holds at most {ROLES_MAX} roles."),
        ));
    }
    if let Some(i) = roles.iter().position(|r| !is_role(r)) {
        return Err(ApiError::invalid(
            "roles",
            format!(
                "Role {} is not 1-64 characters of letters, digits and ':._*-'.",
                i + 1
            ),
        ));
    }
    if roles
        .iter()
        .enumerate()
        .any(|(i, r)| roles[..i].contains(r))
    {
        return Err(ApiError::invalid(
            "roles",
            "Each role may appear only once.",
        ));
    }
    roles
        .iter()
        .map(|r| r.parse::<Role>())
        .collect::<Result<_, _>>()
        .map_err(|_| ApiError::invalid("roles", "A role is not of the right shape."))
}

/// At most 64 addresses or CIDRs, returned canonical and without duplicates.
///
/// # Errors
/// `INVALID_FIELD` on `ip_allowlist`.
pub fn ip_allowlist(entries: &[String]) -> Result<Vec<String>, ApiError> {
    if entries.len() > ip::MAX_ENTRIES {
        return Err(ApiError::invalid(
            "ip_allowlist",
            format!("An allowlist holds at most {} entries.", ip::MAX_ENTRIES),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let net = ip::parse_entry(e).map_err(|_| {
            ApiError::invalid(
                "ip_allowlist",
                format!("Entry {} is not an IPv4/IPv6 address or CIDR.", i + 1),
            )
        })?;
        let s = net.to_string();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// Largest `meta`, as compact JSON.
pub const META_MAX_BYTES: usize = 2048;

/// A key's `meta`: a JSON object whose compact form is at most 2 KiB and
/// can be sent as a header value (`X-Keygate-Meta`): printable ASCII, so
/// text beyond ASCII is refused rather than mangled on the way.
///
/// # Errors
/// `INVALID_FIELD` on `meta`.
pub fn meta(
    value: &serde_json::Value,
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    let object = meta_object(value)?;
    meta_compact(&serde_json::to_string(object).unwrap_or_default())?;
    Ok(object.clone())
}

/// The object of a `meta` value.
///
/// # Errors
/// `INVALID_FIELD` on `meta` when `value` is not an object.
pub fn meta_object(
    value: &serde_json::Value,
) -> Result<&serde_json::Map<String, serde_json::Value>, ApiError> {
    value
        .as_object()
        .ok_or_else(|| ApiError::invalid("meta", "meta is a JSON object."))
}

/// The rules on `meta`'s compact JSON text (the admin app writes that text
/// itself, without serde_json's writer).
///
/// # Errors
/// `INVALID_FIELD` on `meta`.
pub fn meta_compact(compact: &str) -> Result<(), ApiError> {
    if compact.len() > META_MAX_BYTES {
        return Err(ApiError::invalid(
            "meta",
            format!("meta is at most {META_MAX_BYTES} bytes as compact JSON."),
        ));
    }
    if !compact.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(ApiError::invalid(
            "meta",
            "meta is forwarded as a header (X-Keygate-Meta), so its JSON must be printable ASCII: no text beyond ASCII.",
        ));
    }
    Ok(())
}

/// The expiry of a new key from `expires_at` (explicit `null` = never) or
/// `expires_in_days`; neither = 365 days. At most [`MAX_EXPIRY_DAYS`]
/// after `now`, compared in UTC, and never past the year 9999 in UTC
/// (an offset can push `9999-12-31T23:59:59-23:59` into 10000, which no
/// RFC 3339 reader takes back: a record nobody could read).
///
/// # Errors
/// `INVALID_FIELD` on the field at fault.
pub fn expiry(
    expires_at: Option<Option<DateTime<Utc>>>,
    expires_in_days: Option<u32>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let (field, at) = match (expires_at, expires_in_days) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "expires_in_days",
                "Give either expires_at or expires_in_days, not both.",
            ))
        }
        (Some(None), None) => return Ok(None),
        (Some(Some(at)), None) if at <= now => {
            return Err(ApiError::invalid(
                "expires_at",
                "expires_at is in the past.",
            ))
        }
        (Some(Some(at)), None) => ("expires_at", Some(at)),
        (None, Some(days)) if days == 0 || days > MAX_EXPIRY_DAYS => {
            return Err(ApiError::invalid(
                "expires_in_days",
                format!("expires_in_days is 1 to {MAX_EXPIRY_DAYS}."),
            ))
        }
        (None, days) => (
            "expires_in_days",
            now.checked_add_signed(Duration::days(i64::from(
                days.unwrap_or(DEFAULT_EXPIRY_DAYS),
            ))),
        ),
    };
    match at {
        Some(at)
            if at <= now + Duration::days(i64::from(MAX_EXPIRY_DAYS)) && at.year() <= 9999 =>
        {
            Ok(Some(at))
        }
        _ => Err(ApiError::invalid(
            field,
            format!(
                "An expiry is at most {MAX_EXPIRY_DAYS} days after now and before the year 10000 (in UTC)."
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn names() {
        assert_eq!(name("  ci deploy  ").unwrap(), "ci deploy");
        assert_eq!(name(&"é".repeat(100)).unwrap().chars().count(), 100);
        for bad in ["", "   ", &"a".repeat(101), "a\u{0}b", "tab\there"] {
            assert_eq!(
                name(bad).unwrap_err().field.as_deref(),
                Some("name"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn descriptions() {
        assert!(description("").is_ok());
        assert!(description("line\nline").is_ok());
        assert!(description(&"x".repeat(500)).is_ok());
        assert!(description(&"x".repeat(501)).is_err());
        assert!(description("bell\u{7}").is_err());
    }

    #[test]
    fn groups_and_roles() {
        assert!(group("Team A_1.b-c").is_ok());
        for bad in ["", "a/b", &"a".repeat(65), "ü"] {
            assert!(group(bad).is_err(), "{bad}");
        }
        assert!(roles(&s(&["calls:read", "a.b_c*-D9", "keygate:admin"])).is_ok());
        assert!(roles(&s(&["ok", "ok"])).is_err());
        assert!(roles(&s(&["with space"])).is_err());
        assert!(roles(&s(&[""])).is_err());
        let many: Vec<String> = (0..33).map(|i| format!("r{i}")).collect();
        assert!(roles(&many[..32]).is_ok());
        assert!(roles(&many).is_err());
    }

    #[test]
    fn allowlists_are_canonical() {
        assert_eq!(
            ip_allowlist(&s(&["10.0.0.9/8", "10.0.0.0/8", "::1"])).unwrap(),
            s(&["10.0.0.0/8", "::1/128"])
        );
        let err = ip_allowlist(&s(&["10.0.0.1", "nope"])).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("ip_allowlist"));
        assert!(err.message.contains("Entry 2") && !err.message.contains("nope"));
        let many: Vec<String> = (0..65).map(|i| format!("10.0.0.{i}")).collect();
        assert!(ip_allowlist(&many).is_err());
    }

    #[test]
    fn metas() {
        let ok = serde_json::json!({"customer": "c_42", "plan": "pro", "n": 3, "tags": ["a"], "line": "a\nb"});
        assert_eq!(meta(&ok).unwrap().len(), 5);
        assert!(meta(&serde_json::json!({})).unwrap().is_empty());
        for bad in [
            serde_json::json!([1]),
            serde_json::json!("x"),
            serde_json::json!(null),
            serde_json::json!({"name": "Zoë"}),
            serde_json::json!({"big": "x".repeat(2040)}),
        ] {
            assert_eq!(
                meta(&bad).unwrap_err().field.as_deref(),
                Some("meta"),
                "{bad}"
            );
        }
        // Exactly 2 KiB compact is fine.
        let fits = serde_json::json!({"k": "x".repeat(2048 - r#"{"k":""}"#.len())});
        assert!(meta(&fits).is_ok());
    }

    #[test]
    fn expiries() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(
            expiry(None, None, now).unwrap(),
            Some(now + Duration::days(365))
        );
        assert_eq!(
            expiry(None, Some(7), now).unwrap(),
            Some(now + Duration::days(7))
        );
        assert_eq!(expiry(Some(None), None, now).unwrap(), None);
        assert_eq!(
            expiry(Some(Some(now + Duration::hours(1))), None, now).unwrap(),
            Some(now + Duration::hours(1))
        );
        assert_eq!(
            expiry(Some(Some(now)), None, now)
                .unwrap_err()
                .field
                .as_deref(),
            Some("expires_at")
        );
        assert!(expiry(None, Some(0), now).is_err());
        let max = now + Duration::days(3650);
        assert_eq!(expiry(Some(Some(max)), None, now).unwrap(), Some(max));
        for late in [
            max + Duration::seconds(1),
            crate::time::parse_rfc3339("9999-12-31T23:59:59-23:59").unwrap(),
        ] {
            assert_eq!(
                expiry(Some(Some(late)), None, now)
                    .unwrap_err()
                    .field
                    .as_deref(),
                Some("expires_at")
            );
        }
        assert!(expiry(None, Some(3651), now).is_err());
        assert!(expiry(Some(None), Some(1), now).is_err());
    }
}
