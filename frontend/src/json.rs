//! JSON text to a `serde_json::Value` through the browser's own
//! `JSON.parse`, so the SPA carries no JSON parser of its own (serde_json's
//! reader, with its number parsing, was about 9 KB gzip: BENCHMARKS.md
//! "Sizes", issue 17). Natively (the unit tests) serde_json parses.
//!
//! JavaScript numbers are doubles. A whole number within ±(2^53 − 1) reads
//! back as the integer it is; anything else as a double, so a whole number
//! beyond that range (which no field of the contract holds) may come back
//! rounded: [`inexact_number`] lets the metadata box refuse one rather
//! than send it rounded.

use serde_json::Value;

/// How deep arrays and objects may nest (serde_json's own limit, which the
/// worker applies to every body it reads).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
const MAX_DEPTH: usize = 128;

/// The largest whole number a double holds exactly, with every smaller one.
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
    if let Some(s) = js.as_string() {
        return Some(Value::String(s));
    }
    if let Some(n) = js.as_f64() {
        return Some(number(n));
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
        map.insert(pair.get(0).as_string()?, from_js(&pair.get(1), depth + 1)?);
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

/// Whether `value` holds a whole number beyond ±(2^53 − 1), which a
/// double, and so this parser, may have rounded.
pub fn inexact_number(value: &Value) -> bool {
    match value {
        Value::Number(n) => n
            .as_f64()
            .is_some_and(|f| f.fract() == 0.0 && f.abs() > MAX_SAFE_INTEGER),
        Value::Array(items) => items.iter().any(inexact_number),
        Value::Object(map) => map.values().any(inexact_number),
        _ => false,
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
    fn whole_numbers_past_the_safe_range_are_found_wherever_they_nest() {
        assert!(!inexact_number(
            &serde_json::json!({"a": [1, 2.5, 9007199254740991i64]})
        ));
        assert!(inexact_number(&serde_json::json!({"a": [{"b": 1e20}]})));
        assert!(inexact_number(&serde_json::json!([-9007199254740992.0])));
    }
}
