//! RFC 3339 timestamps read by a small parser of our own.
//!
//! chrono's `Deserialize` for `DateTime<Utc>` goes through its general
//! format machinery (`parse_internal`, `Parsed`, `scan`: ~15 KB of wasm in
//! both the worker and the SPA) for the one format the contract uses. Times
//! are still `chrono::DateTime<Utc>`, and are still written by chrono.
//!
//! Accepted: `YYYY-MM-DD`, `T` (or `t` or a space, as RFC 3339 §5.6 allows),
//! `hh:mm:ss`, an optional fraction (digits past nanoseconds are ignored),
//! then `Z`, `z` or `±hh:mm`. Leap seconds (`:60`) are refused.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Deserializer};

/// Parses one RFC 3339 date-time; `None` when it is not one.
#[must_use]
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let number = |from: usize, to: usize| -> Option<u32> {
        let digits = b.get(from..to)?;
        digits.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let at = |i: usize, expected: &[u8]| b.get(i).is_some_and(|c| expected.contains(c));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
        return None;
    }
    let year = i32::try_from(number(0, 4)?).ok()?;
    let (month, day) = (number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    let mut i = 19;
    let mut nanos = 0u32;
    if at(i, b".") {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        let read = i - start;
        if read == 0 {
            return None;
        }
        for _ in read..9 {
            nanos *= 10;
        }
    }
    let offset_seconds = match &b[i..] {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (number(i + 1, i + 3)?, number(i + 4, i + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = i64::from(h * 3600 + m * 60);
            if *sign == b'-' {
                -seconds
            } else {
                seconds
            }
        }
        _ => return None,
    };
    let local =
        NaiveDate::from_ymd_opt(year, month, day)?.and_hms_nano_opt(hour, minute, second, nanos)?;
    let utc = local.checked_sub_signed(TimeDelta::seconds(offset_seconds))?;
    Some(utc.and_utc())
}

/// A `DateTime<Utc>` that deserializes through [`parse_rfc3339`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339(pub DateTime<Utc>);

impl<'de> Deserialize<'de> for Rfc3339 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse_rfc3339(&s)
            .map(Rfc3339)
            .ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 date-time"))
    }
}

/// `deserialize_with` for a `DateTime<Utc>` field.
///
/// # Errors
/// When the value is not an RFC 3339 string.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    Rfc3339::deserialize(d).map(|t| t.0)
}

/// `deserialize_with` for an `Option<DateTime<Utc>>` field (`null` = none).
///
/// # Errors
/// When the value is neither null nor an RFC 3339 string.
pub fn deserialize_option<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<Rfc3339>::deserialize(d).map(|t| t.map(|t| t.0))
}

#[cfg(test)]
mod tests {
    use super::parse_rfc3339;
    use chrono::{DateTime, FixedOffset, Utc};
    use proptest::prelude::*;

    fn chrono_parse(s: &str) -> Option<DateTime<Utc>> {
        s.parse::<DateTime<FixedOffset>>()
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    #[test]
    fn reads_the_forms_in_use() {
        for s in [
            "2026-11-23T08:51:11Z",
            "2026-11-23T08:51:11.123Z",
            "2026-11-23T08:51:11.123456789Z",
            "2026-11-23T09:51:11+01:00",
            "2026-11-23t08:51:11z",
            "2026-11-23 03:21:11-05:30",
            "2024-02-29T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(s), chrono_parse(s), "{s}");
            assert!(parse_rfc3339(s).is_some(), "{s}");
        }
        for s in [
            "",
            "2026-11-23",
            "2026-11-23T08:51:11",
            "2026-11-23T08:51Z",
            "2026-11-23T08:51:11.Z",
            "2026-02-30T00:00:00Z",
            "2026-11-23T24:00:00Z",
            "2026-11-23T08:51:60Z",
            "2026-11-23T08:51:11+24:00",
            "2026-11-23T08:51:11+0100",
            "+2026-11-23T08:51:11Z",
            "2026-11-23T08:51:11Z ",
            "２０２６-11-23T08:51:11Z",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
    }

    proptest! {
        /// Every well-formed date-time reads as chrono reads it.
        #[test]
        fn agrees_with_chrono(y in 0u32..=9999, mo in 1u32..=12, d in 1u32..=31,
                              h in 0u32..=23, mi in 0u32..=59, s in 0u32..=59,
                              frac in proptest::option::of("[0-9]{1,12}"),
                              off in proptest::option::of((any::<bool>(), 0u32..=23, 0u32..=59))) {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            let off = off.map_or("Z".to_owned(), |(neg, oh, om)| {
                format!("{}{oh:02}:{om:02}", if neg { '-' } else { '+' })
            });
            let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{off}");
            prop_assert_eq!(parse_rfc3339(&text), chrono_parse(&text), "{}", text);
        }

        /// Arbitrary text never panics, and what we accept chrono accepts
        /// the same way.
        #[test]
        fn accepts_nothing_chrono_would_not(text in "[0-9Tt:. zZ+-]{0,40}|\\PC{0,40}") {
            if let Some(ours) = parse_rfc3339(&text) {
                prop_assert_eq!(Some(ours), chrono_parse(&text), "{}", text);
            }
        }
    }
}
