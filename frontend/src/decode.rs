//! The worker's answers read by hand from one parsed `serde_json::Value`.
//!
//! serde's derived `Deserialize` generates a visitor per type (field-name
//! matching, a state machine per struct, its own error texts); in the SPA
//! those came to 48 KB of wasm before compression (BENCHMARKS.md "Sizes",
//! issue 17). The app only ever reads answers of its own worker, so one
//! generic `Value` parse ([`crate::json`]) plus these readers does the
//! same job. They follow
//! the derives' rules, and the tests below check that both read the same
//! JSON to the same values: unknown fields are ignored, an `Option` may be
//! absent or `null`, a field with a default may be absent, anything else of
//! the wrong type or missing is a [`Mismatch`].

use std::str::FromStr;

use chrono::{DateTime, Utc};
use keygate_shared::api::{
    AccessIdentity, AuditPage, BulkDeleteResult, CreatedKey, KeyList, Me, UsageDay, UsageReport,
};
use keygate_shared::error::ErrorBody;
use keygate_shared::time::parse_rfc3339;
use keygate_shared::usage::{Credits, RateLimit, Refill};
use keygate_shared::{ApiError, AuditEvent, KeyView};
use serde_json::{Map, Value};

/// The answer is not of the expected shape: the field at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch(pub &'static str);

/// A type read from an answer.
pub trait FromJson: Sized {
    /// Reads `value`, taking what it needs from it.
    ///
    /// # Errors
    /// The first field of the wrong type, or missing.
    fn from_json(value: Value) -> Result<Self, Mismatch>;
}

/// Parses `text` as JSON and reads it as `T`.
///
/// # Errors
/// Not JSON, or not a `T`.
pub fn from_str<T: FromJson>(text: &str) -> Result<T, Mismatch> {
    T::from_json(crate::json::parse(text).ok_or(Mismatch("(body)"))?)
}

/// The fields of one JSON object, taken out by name.
struct Obj(Map<String, Value>);

impl Obj {
    fn new(value: Value) -> Result<Self, Mismatch> {
        match value {
            Value::Object(map) => Ok(Self(map)),
            _ => Err(Mismatch("(object)")),
        }
    }

    /// The field, or `Null` when absent. Taken out in place (left `Null`)
    /// rather than removed: the map's removal code (rebalancing) would
    /// otherwise be in the app for this alone. So each field is read once:
    /// a second read sees `Null` (and [`Obj::map`] would then refuse it).
    fn take(&mut self, name: &str) -> Value {
        self.0.get_mut(name).map(Value::take).unwrap_or(Value::Null)
    }

    fn opt_str(&mut self, name: &'static str) -> Result<Option<String>, Mismatch> {
        match self.take(name) {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            _ => Err(Mismatch(name)),
        }
    }

    fn str(&mut self, name: &'static str) -> Result<String, Mismatch> {
        self.opt_str(name)?.ok_or(Mismatch(name))
    }

    /// A string field read through `FromStr` (ids, enums by wire name).
    fn parsed<T: FromStr>(&mut self, name: &'static str) -> Result<T, Mismatch> {
        self.str(name)?.parse().map_err(|_| Mismatch(name))
    }

    /// [`Obj::parsed`] of a field that may be absent or null.
    fn opt_parsed<T: FromStr>(&mut self, name: &'static str) -> Result<Option<T>, Mismatch> {
        self.opt_str(name)?
            .map(|s| s.parse().map_err(|_| Mismatch(name)))
            .transpose()
    }

    fn u64(&mut self, name: &'static str) -> Result<u64, Mismatch> {
        self.take(name).as_u64().ok_or(Mismatch(name))
    }

    fn u32(&mut self, name: &'static str) -> Result<u32, Mismatch> {
        u32::try_from(self.u64(name)?).map_err(|_| Mismatch(name))
    }

    fn bool(&mut self, name: &'static str) -> Result<bool, Mismatch> {
        self.take(name).as_bool().ok_or(Mismatch(name))
    }

    fn opt_time(&mut self, name: &'static str) -> Result<Option<DateTime<Utc>>, Mismatch> {
        self.opt_str(name)?
            .map(|s| parse_rfc3339(&s).ok_or(Mismatch(name)))
            .transpose()
    }

    fn time(&mut self, name: &'static str) -> Result<DateTime<Utc>, Mismatch> {
        self.opt_time(name)?.ok_or(Mismatch(name))
    }

    fn opt<T: FromJson>(&mut self, name: &'static str) -> Result<Option<T>, Mismatch> {
        match self.take(name) {
            Value::Null => Ok(None),
            v => T::from_json(v).map(Some),
        }
    }

    fn one<T: FromJson>(&mut self, name: &'static str) -> Result<T, Mismatch> {
        self.opt(name)?.ok_or(Mismatch(name))
    }

    fn array(&mut self, name: &'static str) -> Result<Vec<Value>, Mismatch> {
        match self.take(name) {
            Value::Array(items) => Ok(items),
            _ => Err(Mismatch(name)),
        }
    }

    fn list<T: FromJson>(&mut self, name: &'static str) -> Result<Vec<T>, Mismatch> {
        self.array(name)?.into_iter().map(T::from_json).collect()
    }

    /// A list of strings, each read through `FromStr`.
    fn strings<T: FromStr>(&mut self, name: &'static str) -> Result<Vec<T>, Mismatch> {
        self.array(name)?
            .into_iter()
            .map(|v| match v {
                Value::String(s) => s.parse().map_err(|_| Mismatch(name)),
                _ => Err(Mismatch(name)),
            })
            .collect()
    }

    /// An object field that defaults to empty.
    fn map(&mut self, name: &'static str) -> Result<Map<String, Value>, Mismatch> {
        match self.0.get_mut(name).map(Value::take) {
            None => Ok(Map::new()),
            Some(Value::Object(map)) => Ok(map),
            Some(_) => Err(Mismatch(name)),
        }
    }
}

impl FromJson for KeyView {
    fn from_json(value: Value) -> Result<Self, Mismatch> {
        let mut o = Obj::new(value)?;
        Ok(Self {
            id: o.parsed("id")?,
            name: o.str("name")?,
            description: o.str("description")?,
            organization: o.parsed("organization")?,
            group: o.opt_str("group")?,
            roles: o.strings("roles")?,
            ip_allowlist: o.strings("ip_allowlist")?,
            enabled: o.bool("enabled")?,
            status: o.parsed("status")?,
            created_at: o.time("created_at")?,
            created_by: o.str("created_by")?,
            created_by_name: o.opt_str("created_by_name")?,
            expires_at: o.opt_time("expires_at")?,
            hint: o.str("hint")?,
            meta: o.map("meta")?,
            last_used_at: o.opt_time("last_used_at")?,
            rate_limit: o.opt("rate_limit")?,
            credits: o.opt("credits")?,
            rolled_to: o.opt_parsed("rolled_to")?,
        })
    }
}

impl FromJson for RateLimit {
    fn from_json(value: Value) -> Result<Self, Mismatch> {
        let mut o = Obj::new(value)?;
        Ok(Self {
            limit: o.u32("limit")?,
            period_seconds: o.u32("period_seconds")?,
        })
    }
}

impl FromJson for Credits {
    fn from_json(value: Value) -> Result<Self, Mismatch> {
        let mut o = Obj::new(value)?;
        Ok(Self {
            remaining: o.u64("remaining")?,
            refill: o.opt("refill")?,
        })
    }
}

impl FromJson for Refill {
    fn from_json(value: Value) -> Result<Self, Mismatch> {
        let mut o = Obj::new(value)?;
        Ok(Self {
            amount: o.u64("amount")?,
            interval: o.parsed("interval")?,
        })
    }
}

impl FromJson for CreatedKey {
    fn from_json(value: Value) -> Result<Self, Mismatch> {
        let mut o = Obj::new(value)?;
        Ok(Self {
            key: o.one("key")?,
            token: o.str("token")?,
        })
    }
}

impl FromJson for KeyList {
    fn from_json(value: Value) -> Result<Self, Mismatch> {
        let mut o = Obj::new(value)?;
        Ok(Self {
            keys: o.list("keys")?,
            next_cursor: o.opt_str("next_cursor")?,
            total: usize::try_from(o.u64("total")?).map_err(|_| Mismatch("total"))?,
        })
    }
}

impl FromJson for BulkDeleteResult {
    fn from_json(value: Value) -> Result<Self, Mismatch> {
        let mut o = Obj::new(value)?;
        Ok(Self {
            deleted: o.strings("deleted")?,
            not_found: o.strings("not_found")?,
        })
    }
}

impl FromJson for AuditEvent {
    fn from_json(value: Value) -> Result<Self, Mismatch> {
        let mut o = Obj::new(value)?;
        Ok(Self {
            at: o.time("at")?,
            actor: o.str("actor")?,
            action: o.parsed("action")?,
            key_id: o.parsed("key_id")?,
            details: o.take("details"),
        })
    }
}

impl FromJson for AuditPage {
    fn from_json(value: Value) -> Result<Self, Mismatch> {
        let mut o = Obj::new(value)?;
        Ok(Self {
            events: o.list("events")?,
            next_cursor: o.opt_str("next_cursor")?,
        })
    }
}

impl FromJson for UsageDay {
    fn from_json(value: Value) -> Result<Self, Mismatch> {
        let mut o = Obj::new(value)?;
        let date = o.str("date")?;
        let valid = o.u64("valid")?;
        let Value::Object(rejected) = o.take("rejected") else {
            return Err(Mismatch("rejected"));
        };
        // Inserted one by one rather than collected: collecting into a map
        // sorts first, with a sort of its own in the wasm.
        let mut day = Self {
            date,
            valid,
            rejected: std::collections::BTreeMap::new(),
        };
        for (code, n) in rejected {
            day.rejected
                .insert(code, n.as_u64().ok_or(Mismatch("rejected"))?);
        }
        Ok(day)
    }
}

impl FromJson for UsageReport {
    fn from_json(value: Value) -> Result<Self, Mismatch> {
        Ok(Self {
            days: Obj::new(value)?.list("days")?,
        })
    }
}

impl FromJson for AccessIdentity {
    fn from_json(value: Value) -> Result<Self, Mismatch> {
        let mut o = Obj::new(value)?;
        Ok(Self {
            email: o.str("email")?,
            role: o.parsed("role")?,
            organization: o.parsed("organization")?,
            logout_url: o.str("logout_url")?,
        })
    }
}

impl FromJson for Me {
    fn from_json(value: Value) -> Result<Self, Mismatch> {
        let mut o = Obj::new(value)?;
        Ok(Self {
            key: o.opt("key")?,
            identity: o.opt("identity")?,
            can_write: o.bool("can_write")?,
        })
    }
}

impl FromJson for ApiError {
    fn from_json(value: Value) -> Result<Self, Mismatch> {
        let mut o = Obj::new(value)?;
        let mut error = ApiError::new(o.parsed("code")?, o.str("message")?);
        error.field = o.opt_str("field")?;
        Ok(error)
    }
}

impl FromJson for ErrorBody {
    fn from_json(value: Value) -> Result<Self, Mismatch> {
        Ok(Self {
            error: Obj::new(value)?.one("error")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use std::fmt::Debug;

    /// Reads `json` both ways and asserts they agree; returns the value.
    fn agree<T: FromJson + DeserializeOwned + PartialEq + Debug>(json: &str) -> Option<T> {
        let by_hand = from_str::<T>(json).ok();
        let by_serde = serde_json::from_str::<T>(json).ok();
        assert_eq!(by_hand, by_serde, "hand and serde disagree on {json}");
        by_hand
    }

    const KEY: &str = r#"{"id":"key_0123456789abcdef","name":"ci","description":"d",
        "organization":"acme/eu","group":"g","roles":["calls:read","keygate:admin"],
        "ip_allowlist":["10.0.0.0/8"],"enabled":true,"status":"active",
        "created_at":"2026-01-01T00:00:00Z","created_by":"bootstrap",
        "created_by_name":"boot","expires_at":"2027-01-01T00:00:00.5+01:00",
        "hint":"kg_abcd…wxyz","meta":{"plan":"pro","n":[1,2.5,null]},
        "last_used_at":null,"rate_limit":{"limit":10,"period_seconds":60},
        "credits":{"remaining":5,"refill":{"amount":100,"interval":"monthly"}},
        "rolled_to":"key_fedcba9876543210","something_newer":1}"#;

    /// `KEY` with `field` set to `value` (`None`: removed).
    fn key_with(field: &str, value: Option<&str>) -> String {
        let mut v: Value = serde_json::from_str(KEY).unwrap();
        let map = v.as_object_mut().unwrap();
        match value {
            Some(text) => map.insert(field.into(), serde_json::from_str(text).unwrap()),
            None => map.remove(field),
        };
        v.to_string()
    }

    #[test]
    fn a_full_key_reads_the_same_both_ways() {
        let key = agree::<KeyView>(KEY).expect("reads");
        assert_eq!(key.roles.len(), 2);
        assert_eq!(key.meta["n"][1], 2.5);
        assert_eq!(key.credits.unwrap().refill.unwrap().amount, 100);
        assert_eq!(
            key.rolled_to.as_ref().map(|id| id.as_str()),
            Some("key_fedcba9876543210")
        );
        assert_eq!(
            key.expires_at.unwrap().to_rfc3339(),
            "2026-12-31T23:00:00.500+00:00"
        );
    }

    #[test]
    fn absent_optional_and_defaulted_fields_read_the_same_both_ways() {
        for field in [
            "group",
            "created_by_name",
            "expires_at",
            "meta",
            "last_used_at",
            "rate_limit",
            "credits",
            "rolled_to",
        ] {
            assert!(
                agree::<KeyView>(&key_with(field, None)).is_some(),
                "{field}"
            );
        }
        for field in ["group", "expires_at", "rate_limit", "credits", "rolled_to"] {
            assert!(
                agree::<KeyView>(&key_with(field, Some("null"))).is_some(),
                "{field}"
            );
        }
        let no_refill = key_with("credits", Some(r#"{"remaining":0}"#));
        assert_eq!(
            agree::<KeyView>(&no_refill)
                .unwrap()
                .credits
                .unwrap()
                .refill,
            None
        );
    }

    #[test]
    fn missing_or_mistyped_fields_are_refused_both_ways() {
        for field in [
            "id",
            "name",
            "description",
            "organization",
            "roles",
            "ip_allowlist",
            "enabled",
            "status",
            "created_at",
            "created_by",
            "hint",
        ] {
            assert_eq!(agree::<KeyView>(&key_with(field, None)), None, "{field}");
        }
        for (field, value) in [
            ("id", r#""key_short""#),
            ("name", "7"),
            ("organization", r#""Not An Org""#),
            ("roles", r#""calls:read""#),
            ("roles", "[1]"),
            ("enabled", r#""true""#),
            ("status", r#""Active""#),
            ("created_at", r#""yesterday""#),
            ("expires_at", r#""2026-13-01T00:00:00Z""#),
            ("meta", "[]"),
            ("meta", "null"),
            ("rate_limit", r#"{"limit":-1,"period_seconds":60}"#),
            ("rate_limit", r#"{"limit":4294967296,"period_seconds":60}"#),
            ("credits", r#"{"remaining":"5"}"#),
            ("rolled_to", "5"),
            ("rolled_to", r#""key_short""#),
            (
                "credits",
                r#"{"remaining":1,"refill":{"amount":1,"interval":"weekly"}}"#,
            ),
        ] {
            assert_eq!(
                agree::<KeyView>(&key_with(field, Some(value))),
                None,
                "{field}: {value}"
            );
        }
        assert_eq!(agree::<KeyView>("[]"), None);
        assert_eq!(agree::<KeyView>("not json"), None);
    }

    #[test]
    fn every_answer_type_reads_the_same_both_ways() {
        let created = format!(r#"{{"key":{KEY},"token":"kg_secret"}}"#);
        assert_eq!(agree::<CreatedKey>(&created).unwrap().token, "kg_secret");
        let list = format!(r#"{{"keys":[{KEY},{KEY}],"next_cursor":"c1","total":2}}"#);
        assert_eq!(agree::<KeyList>(&list).unwrap().keys.len(), 2);
        assert!(agree::<KeyList>(r#"{"keys":[],"next_cursor":null,"total":0}"#).is_some());
        assert!(agree::<BulkDeleteResult>(r#"{"deleted":["a"],"not_found":[]}"#).is_some());
        let audit = r#"{"events":[{"at":"2026-01-01T00:00:00Z","actor":"ops@example.com",
            "action":"key.rolled","key_id":"key_0123456789abcdef",
            "details":{"grace_seconds":3600}},{"at":"2026-01-01T00:00:00Z","actor":"cron",
            "action":"key.expired","key_id":"key_0123456789abcdef"}],"next_cursor":null}"#;
        let page = agree::<AuditPage>(audit).unwrap();
        assert_eq!(page.events[1].details, Value::Null);
        let usage = r#"{"days":[{"date":"2026-01-01","valid":3,"rejected":{"EXPIRED":2}}]}"#;
        assert_eq!(
            agree::<UsageReport>(usage).unwrap().days[0].rejected["EXPIRED"],
            2
        );
        assert_eq!(
            agree::<UsageReport>(r#"{"days":[{"date":"d","valid":1,"rejected":{"X":-1}}]}"#),
            None
        );
        let me = r#"{"identity":{"email":"a@b.c","role":"reader","organization":"acme",
            "logout_url":"https://t/cdn-cgi/access/logout"},"can_write":false}"#;
        assert!(agree::<Me>(me).unwrap().identity.is_some());
        assert!(agree::<Me>(&format!(r#"{{"key":{KEY},"can_write":true}}"#)).is_some());
        assert_eq!(
            agree::<Me>(
                r#"{"identity":{"email":"a","role":"owner","organization":"","logout_url":""},"can_write":true}"#
            ),
            None
        );
    }

    #[test]
    fn every_error_code_reads_the_same_both_ways() {
        for code in keygate_shared::ErrorCode::ALL {
            let body = ApiError::invalid("name", "m").to_body();
            let body = body.replace("INVALID_FIELD", code.as_str());
            let read = agree::<ErrorBody>(&body).expect("reads");
            assert_eq!(read.error.code, code);
            assert_eq!(read.error.field.as_deref(), Some("name"));
        }
        assert_eq!(
            agree::<ErrorBody>(r#"{"error":{"code":"NOPE","message":"m"}}"#),
            None
        );
        assert!(agree::<ErrorBody>(r#"{"error":{"code":"INTERNAL","message":"m"}}"#).is_some());
    }
}
