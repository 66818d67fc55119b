//! JSON text to a `serde_json::Value` through the browser's own
//! `JSON.parse`, so the SPA carries no JSON parser of its own (serde_json's
//! reader, with its number parsing, was about 9 KB gzip: BENCHMARKS.md
//! "Sizes", issue 17). Natively (the unit tests) serde_json parses.
//!
//! JavaScript numbers are doubles. A whole number within ±(2^53 − 1) reads
//! back as the integer it is (so `1.0` reads as `1`, the same number to
//! JSON); anything else as a double, so an integer beyond that range
//! (which no field of the contract holds, but `meta` may) comes back
//! rounded: [`inexact_integer`] lets the metadata box refuse one rather
//! than send it rounded. A number past the double range (`1e400`) is
//! refused, as serde_json and the worker refuse it.

use serde_json::Value;

/// How deep arrays and objects may nest. Deeper than anything the worker
/// stores (its body reader stops at 128 levels), so that a key's `meta`
/// nested to the limit, three levels down in a list answer, still reads:
/// otherwise one such key would break the keys page of every admin who can
/// see it. The frames are small; the wasm stack holds far more.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
const MAX_DEPTH: usize = 512;

/// The largest whole number a double holds exactly, with every smaller one.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Parses `text`; `None` when it is not JSON or nests too deep.
#[cfg(target_arch = "wasm32")]
pub fn parse(text: &str) -> Option<Value> {
    from_js(&js_sys::JSON::parse(text).ok()?, 0)
}

/// Parses `text`; `None` when it is not JSON or nests too deep.
#[cfg(not(target_arch = "wasm32"))]
pub fn parse(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

#[cfg(target_arch = "wasm32")]
fn from_js(js: &wasm_bindgen::JsValue, depth: usize) -> Option<Value> {
    use wasm_bindgen::JsCast;
    if let Some(s) = js.dyn_ref::<js_sys::JsString>() {
        // A lone surrogate (`"\ud800"`) is valid to `JSON.parse` but not
        // to serde_json or the worker; as Rust text it would become
        // U+FFFD: refused, as the worker refuses it.
        return s.is_valid_utf16().then(|| Value::String(s.into()));
    }
    if let Some(n) = js.as_f64() {
        // `JSON.parse("1e400")` is `Infinity`, which no JSON value holds.
        return n.is_finite().then(|| number(n));
    }
    if let Some(b) = js.as_bool() {
        return Some(Value::Bool(b));
    }
    if js.is_null() {
        return Some(Value::Null);
    }
    if depth >= MAX_DEPTH {
        return None;
    }
    if js_sys::Array::is_array(js) {
        let items: js_sys::Array = js.clone().unchecked_into();
        return items.iter().map(|v| from_js(&v, depth + 1)).collect();
    }
    let object: &js_sys::Object = js.dyn_ref()?;
    let mut map = serde_json::Map::new();
    for entry in js_sys::Object::entries(object).iter() {
        let pair: js_sys::Array = entry.unchecked_into();
        let Value::String(name) = from_js(&pair.get(0), depth)? else {
            return None;
        };
        map.insert(name, from_js(&pair.get(1), depth + 1)?);
    }
    Some(Value::Object(map))
}

/// A JavaScript number as serde_json would have read its shortest text.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER {
        // Exact: the cast cannot round within this range.
        if n >= 0.0 {
            Value::from(n as u64)
        } else {
            Value::from(n as i64)
        }
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

/// Where the JSON string opening at `bytes[start]` (a `"`) ends: the
/// index after its closing quote, escapes included.
fn after_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() && bytes[i] != b'"' {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    i + 1
}

/// Whether `text` (JSON) holds an integer literal beyond ±(2^53 − 1),
/// which a double, and so the browser's parser, rounds. Only literals
/// without a fraction or exponent count: `1e300` is a double on both sides
/// and kept as it is.
pub fn inexact_integer(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = after_string(bytes, i),
            b'0'..=b'9' => {
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                let fraction = matches!(bytes.get(i), Some(b'.' | b'e' | b'E'));
                let digits = &text[start..i];
                // More than 16 digits is past 2^53 whatever they are.
                if !fraction
                    && (digits.len() > 16
                        || digits
                            .parse::<u64>()
                            .is_ok_and(|n| n > 9_007_199_254_740_991))
                {
                    return true;
                }
                // The fraction and exponent digits are not a literal of
                // their own.
                while i < bytes.len()
                    && matches!(bytes[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    false
}

/// How many object members `text` (JSON) spells: its colons outside
/// strings. Compared with [`key_count`] of what it parsed to, a difference
/// means a key given twice in one object, which `JSON.parse` (like
/// serde_json) quietly reads as the last one while the worker refuses the
/// body.
pub fn member_count(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut i, mut count) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i = after_string(bytes, i);
                continue;
            }
            b':' => count += 1,
            _ => {}
        }
        i += 1;
    }
    count
}

/// How many object members `value` holds, at every depth.
pub fn key_count(value: &Value) -> usize {
    match value {
        Value::Object(map) => map.len() + map.values().map(key_count).sum::<usize>(),
        Value::Array(items) => items.iter().map(key_count).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_in_the_safe_range_read_as_integers() {
        assert_eq!(number(3.0), Value::from(3u64));
        assert_eq!(number(-3.0), Value::from(-3i64));
        assert_eq!(number(-0.0), Value::from(0u64));
        assert_eq!(
            number(MAX_SAFE_INTEGER),
            Value::from(9_007_199_254_740_991u64)
        );
        assert_eq!(number(2.5), serde_json::json!(2.5));
        assert!(number(1e300).is_f64());
        assert_eq!(number(f64::NAN), Value::Null);
    }

    #[test]
    fn integer_literals_past_the_safe_range_are_found_outside_strings() {
        assert!(!inexact_integer(r#"{"a": [1, 2.5, -9007199254740991]}"#));
        assert!(inexact_integer(r#"{"a": [{"b": 9007199254740992}]}"#));
        assert!(inexact_integer("[-12345678901234567890123]"));
        assert!(inexact_integer(r#"{"a":"x\"","b":9007199254740993}"#));
        // Doubles stay doubles: a fraction or exponent is not an integer.
        assert!(!inexact_integer(
            "[1e300, 6.02e23, 12345678901234567890.5, 1E+20]"
        ));
        // Digits inside strings, escaped quotes included, are text.
        assert!(!inexact_integer(
            r#"{"id": "12345678901234567890", "q": "\"99999999999999999999"}"#
        ));
        assert!(!inexact_integer(""));
    }

    #[test]
    fn a_key_given_twice_shows_as_a_member_the_parse_dropped() {
        let same = |text: &str| member_count(text) == key_count(&parse(text).expect("JSON"));
        assert!(same(r#"{"a": 1, "b": {"a": 2, "c": [{"a": 3}]}}"#));
        assert!(same(r#"{"a:b": "x:y", "q": "\":", "e": "\\"}"#));
        assert!(same("{}"));
        assert!(!same(r#"{"a": 1, "a": 2}"#));
        assert!(!same(r#"{"x": [{"k": 1, "k": 1}]}"#));
        assert!(!same(r#"{"a": 1, "\u0061": 2}"#), "the same key, escaped");
    }
}
