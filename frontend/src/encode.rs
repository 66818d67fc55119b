//! Request bodies written by hand as JSON text.
//!
//! The mirror of [`crate::decode`]: serde's derived `Serialize` plus
//! serde_json's writer (its float formatter, an `io::Write` layer with
//! std's I/O error texts) were about 8 KB of the SPA's wasm for four small
//! bodies (BENCHMARKS.md "Sizes", issue 17). The tests below check that
//! every body reads back to the same JSON value as serde's writes.

use chrono::{DateTime, SecondsFormat, Utc};
use keygate_shared::api::{BulkDeleteRequest, CreateKeyRequest, PatchKeyRequest, RollRequest};
use keygate_shared::usage::{Credits, RateLimit};
use serde_json::{Map, Number, Value};

/// A request body.
pub trait ToJson {
    /// The body as a JSON value.
    fn to_json(&self) -> Value;
}

/// JSON text of `value`, spelled as serde_json's compact writer spells it
/// (a float may be spelled otherwise, e.g. `1e+300`, with the same value).
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write(&mut out, value);
    out
}

fn write(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => number(out, n),
        Value::String(s) => string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (n, (name, item)) in map.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                string(out, name);
                out.push(':');
                write(out, item);
            }
            out.push('}');
        }
    }
}

fn number(out: &mut String, n: &Number) {
    if let Some(u) = n.as_u64() {
        out.push_str(&u.to_string());
    } else if let Some(i) = n.as_i64() {
        out.push_str(&i.to_string());
    } else {
        out.push_str(&float(n.as_f64().unwrap_or_default()));
    }
}

/// The shortest text that reads back as `f` (a `Value` holds no NaN or
/// infinity): the browser's own formatter, so the wasm carries none.
#[cfg(target_arch = "wasm32")]
fn float(f: f64) -> String {
    js_sys::JSON::stringify(&wasm_bindgen::JsValue::from_f64(f))
        .map(String::from)
        .unwrap_or_else(|_| "null".to_owned())
}

#[cfg(not(target_arch = "wasm32"))]
fn float(f: f64) -> String {
    Number::from_f64(f).map_or_else(|| "null".to_owned(), |n| n.to_string())
}

/// A JSON string: `"` and `\` escaped, control characters as serde_json
/// writes them, everything else (non-ASCII included) as it is.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let b = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Collects the fields that are present, as `skip_serializing_if` does.
#[derive(Default)]
struct Fields(Map<String, Value>);

impl Fields {
    fn put(&mut self, name: &str, value: Option<Value>) {
        if let Some(value) = value {
            self.0.insert(name.to_owned(), value);
        }
    }

    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

fn text(s: &Option<String>) -> Option<Value> {
    s.clone().map(Value::String)
}

fn list(items: &Option<Vec<String>>) -> Option<Value> {
    items
        .as_ref()
        .map(|v| Value::Array(v.iter().cloned().map(Value::String).collect()))
}

/// `Some(None)` is an explicit `null`, `None` an absent field.
fn nullable<T>(v: &Option<Option<T>>, f: impl Fn(&T) -> Value) -> Option<Value> {
    v.as_ref()
        .map(|inner| inner.as_ref().map_or(Value::Null, f))
}

fn time(t: &DateTime<Utc>) -> Value {
    // What chrono's `Serialize` writes.
    Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

impl ToJson for RateLimit {
    fn to_json(&self) -> Value {
        let mut f = Fields::default();
        f.put("limit", Some(self.limit.into()));
        f.put("period_seconds", Some(self.period_seconds.into()));
        f.done()
    }
}

impl ToJson for Credits {
    fn to_json(&self) -> Value {
        let mut f = Fields::default();
        f.put("remaining", Some(self.remaining.into()));
        let refill = self.refill.map_or(Value::Null, |r| {
            let mut g = Fields::default();
            g.put("amount", Some(r.amount.into()));
            g.put("interval", Some(r.interval.as_str().into()));
            g.done()
        });
        f.put("refill", Some(refill));
        f.done()
    }
}

impl ToJson for CreateKeyRequest {
    fn to_json(&self) -> Value {
        let mut f = Fields::default();
        f.put("name", text(&self.name));
        f.put("description", text(&self.description));
        f.put("organization", text(&self.organization));
        f.put("group", text(&self.group));
        f.put("roles", list(&self.roles));
        f.put("ip_allowlist", list(&self.ip_allowlist));
        f.put("expires_at", nullable(&self.expires_at, time));
        f.put("expires_in_days", self.expires_in_days.map(Value::from));
        f.put("enabled", self.enabled.map(Value::Bool));
        f.put("meta", self.meta.clone());
        f.put("rate_limit", nullable(&self.rate_limit, RateLimit::to_json));
        f.put("credits", nullable(&self.credits, Credits::to_json));
        f.done()
    }
}

impl ToJson for PatchKeyRequest {
    fn to_json(&self) -> Value {
        let mut f = Fields::default();
        f.put("name", text(&self.name));
        f.put("description", text(&self.description));
        f.put("enabled", self.enabled.map(Value::Bool));
        f.put("ip_allowlist", list(&self.ip_allowlist));
        f.put("meta", self.meta.clone());
        f.put("rate_limit", nullable(&self.rate_limit, RateLimit::to_json));
        f.put("credits", nullable(&self.credits, Credits::to_json));
        f.done()
    }
}

impl ToJson for RollRequest {
    fn to_json(&self) -> Value {
        let mut f = Fields::default();
        // serde writes an absent `Option` without skip as `null`.
        f.put(
            "grace_seconds",
            Some(self.grace_seconds.map_or(Value::Null, Value::from)),
        );
        f.done()
    }
}

impl ToJson for BulkDeleteRequest {
    fn to_json(&self) -> Value {
        let mut f = Fields::default();
        f.put("ids", Some(list(&self.ids).unwrap_or(Value::Null)));
        f.done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keygate_shared::usage::{Interval, Refill};
    use serde::Serialize;

    /// Writes `body` both ways and asserts both texts read back the same.
    fn agree<T: ToJson + Serialize>(body: &T) -> String {
        let by_hand = to_string(&body.to_json());
        let by_serde = serde_json::to_string(body).unwrap();
        let a: Value = serde_json::from_str(&by_hand).expect("valid JSON");
        let b: Value = serde_json::from_str(&by_serde).unwrap();
        assert_eq!(a, b, "{by_hand} vs {by_serde}");
        by_hand
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let tricky = "q\"b\\s\n\r\t\u{08}\u{0c}\u{01}\u{1f}\u{7f} café 🔑";
        let v = Value::String(tricky.to_owned());
        assert_eq!(to_string(&v), serde_json::to_string(&v).unwrap());
    }

    #[test]
    fn values_are_written_as_serde_json_writes_them() {
        let v = serde_json::json!({"a": [1, -2, 18446744073709551615u64, null, true, false, {}],
            "b": {"c": "d"}, "e": 2.5, "f": 1e300});
        let back: Value = serde_json::from_str(&to_string(&v)).unwrap();
        assert_eq!(back, v);
        assert_eq!(
            to_string(&serde_json::json!([1, "x", null])),
            r#"[1,"x",null]"#
        );
    }

    #[test]
    fn every_body_writes_the_same_json_as_serde() {
        let full = CreateKeyRequest {
            name: Some("ci \"deploy\"".into()),
            description: Some("d\nx".into()),
            organization: Some("acme/eu".into()),
            group: Some("g".into()),
            roles: Some(vec!["calls:read".into()]),
            ip_allowlist: Some(vec![]),
            expires_at: Some(Some(
                keygate_shared::time::parse_rfc3339("2027-01-01T23:59:59Z").unwrap(),
            )),
            expires_in_days: Some(30),
            enabled: Some(false),
            meta: Some(serde_json::json!({"plan": "pro", "n": [1, 2.5]})),
            rate_limit: Some(Some(RateLimit {
                limit: 10,
                period_seconds: 60,
            })),
            credits: Some(Some(Credits {
                remaining: u64::MAX,
                refill: Some(Refill {
                    amount: 100,
                    interval: Interval::Monthly,
                }),
            })),
        };
        let text = agree(&full);
        assert!(
            text.contains(r#""expires_at":"2027-01-01T23:59:59Z""#),
            "{text}"
        );
        assert!(text.contains("18446744073709551615"), "exact: {text}");
        assert_eq!(agree(&CreateKeyRequest::default()), "{}");
        let nulls = CreateKeyRequest {
            expires_at: Some(None),
            rate_limit: Some(None),
            credits: Some(Some(Credits {
                remaining: 5,
                refill: None,
            })),
            ..CreateKeyRequest::default()
        };
        assert!(agree(&nulls).contains(r#""expires_at":null"#));
        let patch = PatchKeyRequest {
            name: Some("n".into()),
            enabled: Some(true),
            meta: Some(serde_json::json!({})),
            credits: Some(None),
            ..PatchKeyRequest::default()
        };
        assert!(agree(&patch).contains(r#""credits":null"#));
        assert_eq!(agree(&PatchKeyRequest::default()), "{}");
        agree(&RollRequest {
            grace_seconds: Some(3600),
        });
        agree(&RollRequest::default());
        agree(&BulkDeleteRequest {
            ids: Some(vec!["key_a".into(), "key_b".into()]),
        });
    }
}
