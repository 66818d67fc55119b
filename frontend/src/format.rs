//! Dates and small display helpers.

use chrono::{DateTime, Utc};

/// Now, from the browser's clock.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// `2026-11-22`.
pub fn date(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
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
