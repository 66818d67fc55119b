//! Whole numbers as JSON clients send them: `108` and also `108.0` (the
//! same number to JSON Schema and to JavaScript), never `108.5` or `-1`.
//! Used with `#[serde(deserialize_with)]` on the request fields of §9.

use serde::{de::Error, Deserialize, Deserializer};

fn whole<'de, D: Deserializer<'de>>(d: D, max: u64) -> Result<u64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    let value = n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= max as f64)
            .map(|f| f as u64)
    });
    value
        .filter(|v| *v <= max)
        .ok_or_else(|| D::Error::custom(format!("expected a whole number from 0 to {max}")))
}

/// A `u32`.
///
/// # Errors
/// Anything but a whole number in range.
pub fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    whole(d, u64::from(u32::MAX)).map(|v| v as u32)
}

/// A `u64`.
///
/// # Errors
/// Anything but a whole number in range.
pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    whole(d, u64::MAX)
}

/// An optional `u32` (absent or `null`: `None`).
///
/// # Errors
/// Anything but a whole number in range or null.
pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "u32")] u32);
    Option::<W>::deserialize(d).map(|o| o.map(|w| w.0))
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::u32")]
        n: u32,
    }

    #[test]
    fn whole_numbers_in_either_spelling() {
        let n = |s: &str| serde_json::from_str::<T>(s).map(|t| t.n).ok();
        assert_eq!(n(r#"{"n": 108}"#), Some(108));
        assert_eq!(n(r#"{"n": 108.0}"#), Some(108));
        assert_eq!(n(r#"{"n": 1e2}"#), Some(100));
        for bad in [
            r#"{"n": 108.5}"#,
            r#"{"n": -1}"#,
            r#"{"n": "5"}"#,
            r#"{"n": 4294967296}"#,
        ] {
            assert_eq!(n(bad), None, "{bad}");
        }
    }
}
