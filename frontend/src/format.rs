//! Dates and small display helpers.
//!
//! Formatting is written out rather than going through chrono's `format`
//! (strftime machinery: a few KB of wasm for two fixed patterns).

use chrono::{DateTime, Datelike, Timelike, Utc};
use keygate_shared::validation;

/// Now, from the browser's clock.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// `2026-11-22`.
pub fn date(at: &DateTime<Utc>) -> String {
    format!("{:04}-{:02}-{:02}", at.year(), at.month(), at.day())
}

/// `2026-11-22 08:51:11` (UTC).
pub fn date_time(at: &DateTime<Utc>) -> String {
    format!(
        "{} {:02}:{:02}:{:02}",
        date(at),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// The end (23:59:59 UTC) of the day picked in a date input (`2026-11-22`).
pub fn end_of_day(picked: &str) -> Option<DateTime<Utc>> {
    keygate_shared::time::parse_rfc3339(&format!("{}T23:59:59Z", picked.trim()))
}

/// Whole days from now until `at` (negative once past).
pub fn days_left(at: &DateTime<Utc>) -> i64 {
    (*at - now()).num_days()
}

/// "in 12 days", "today", "3 days ago".
pub fn relative(at: &DateTime<Utc>) -> String {
    match days_left(at) {
        0 if *at > now() => "today".into(),
        0 => "expired today".into(),
        1 => "in 1 day".into(),
        n if n > 1 => format!("in {n} days"),
        -1 => "1 day ago".into(),
        n => format!("{} days ago", -n),
    }
}

/// A past moment, such as a last use: "today", "1 day ago", "3 days ago".
pub fn ago(at: &DateTime<Utc>) -> String {
    match (now() - *at).num_days() {
        n if n <= 0 => "today".into(),
        1 => "1 day ago".into(),
        n => format!("{n} days ago"),
    }
}

/// Expiring within the 30-day notice window.
pub fn expires_soon(at: &Option<DateTime<Utc>>) -> bool {
    at.is_some_and(|t| t > now() && days_left(&t) < 30)
}

/// Splits a free-text list (commas, spaces, new lines) into entries.
pub fn split_list(text: &str) -> Vec<String> {
    text.split([',', '\n', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The metadata box's text as a `meta` value: empty is `{}`; otherwise it
/// must be a JSON object that `validation::meta` accepts. `Err` holds the
/// message to show.
pub fn parse_meta(text: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    if text.trim().is_empty() {
        return Ok(serde_json::Map::new());
    }
    let value = crate::json::parse(text)
        .ok_or_else(|| "Metadata is a JSON object, e.g. {\"plan\": \"pro\"}.".to_owned())?;
    if crate::json::inexact_integer(text) {
        return Err(
            "Whole numbers in metadata go up to 9007199254740991 here (beyond that the browser rounds them); write a larger one as a string.".to_owned(),
        );
    }
    if crate::json::member_count(text) != crate::json::key_count(&value) {
        return Err(
            "Metadata names the same key twice in one object; give each key once.".to_owned(),
        );
    }
    let object = validation::meta_object(&value).map_err(|e| e.message)?;
    // Written by `encode`, not serde_json's writer: the same text, except
    // that a float may be spelled otherwise (the browser's shortest form,
    // e.g. `0.000001` for `1e-6`), so a box at the very limit may pass here
    // and be refused by the worker, whose message the dialog then shows.
    validation::meta_compact(&crate::encode::to_string(&value)).map_err(|e| e.message)?;
    Ok(object.clone())
}

/// `meta` as the metadata box shows it (empty when there is none).
#[must_use]
pub fn meta_text(meta: &serde_json::Map<String, serde_json::Value>) -> String {
    if meta.is_empty() {
        String::new()
    } else {
        crate::encode::to_string(&serde_json::Value::Object(meta.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metadata_box_refuses_what_it_would_round_or_the_worker_refuses() {
        assert_eq!(parse_meta("  "), Ok(serde_json::Map::new()));
        let ok = parse_meta(r#"{"plan": "pro", "n": 9007199254740991, "big": "9007199254740993"}"#);
        assert_eq!(ok.unwrap()["n"], 9_007_199_254_740_991u64);
        let rounded = parse_meta(r#"{"n": [9007199254740993]}"#).unwrap_err();
        assert!(rounded.contains("9007199254740991"), "{rounded}");
        // A double stays a double: not refused, not rounded by the check.
        assert!(parse_meta(r#"{"n": 1e20, "m": 6.02e23}"#).is_ok());
        assert!(parse_meta(r#"{"n": 12345678901234567890}"#).is_err());
        assert!(parse_meta("[1]").unwrap_err().contains("object"));
        assert!(parse_meta(r#"{"a": 1, "a": 2}"#)
            .unwrap_err()
            .contains("twice"));
        assert!(parse_meta(r#"{"a": {"b": 1}, "b": {"a": 1}}"#).is_ok());
        assert!(parse_meta("{").unwrap_err().contains("JSON object"));
        assert!(parse_meta(r#"{"name": "café"}"#)
            .unwrap_err()
            .contains("ASCII"));
    }
}
