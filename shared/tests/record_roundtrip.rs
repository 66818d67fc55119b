//! What the worker writes, the worker reads: every expiry `validation`
//! accepts (any offset, any time up to the year 9999) survives a record's
//! JSON round trip, and every expiry past the bound is refused before it
//! could be stored.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use keygate_shared::{time::parse_rfc3339, validation, KeyRecord, Prefix, Token};
use proptest::prelude::*;

fn record(created: DateTime<Utc>, expires_at: Option<DateTime<Utc>>) -> KeyRecord {
    let token = Token::generate(&Prefix::default()).unwrap();
    KeyRecord {
        name: "n".into(),
        organization: "acme".parse().unwrap(),
        expires_at,
        ..KeyRecord::minted(
            "key_0123456789abcdef".parse().unwrap(),
            &token,
            created,
            "bootstrap",
        )
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    /// An `expires_at` as a client may spell it (any offset within ±23:59)
    /// is either refused, or stored in a form that reads back equal.
    #[test]
    fn accepted_expiries_read_back(
        now_secs in 0i64..=253_402_300_799, // 1970 .. 9999-12-31T23:59:59Z
        ahead in -86_400i64..=(3651 * 86_400),
        nanos in 0u32..1_000_000_000,
        offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59),
    ) {
        let now = Utc.timestamp_opt(now_secs, 0).unwrap();
        let Some(at) = now.checked_add_signed(Duration::seconds(ahead))
            .and_then(|t| t.checked_add_signed(Duration::nanoseconds(i64::from(nanos)))) else {
            return Ok(());
        };
        let offset = FixedOffset::east_opt(offset_minutes * 60).unwrap();
        // The client's spelling, read by the API's own reader.
        let spelled = at.with_timezone(&offset).to_rfc3339();
        let Some(read) = parse_rfc3339(&spelled) else { return Ok(()); };
        prop_assert_eq!(read, at);
        match validation::expiry(Some(Some(read)), None, now) {
            Ok(stored) => {
                prop_assert!(read > now && read <= now + Duration::days(3650));
                let r = record(now, stored);
                let json = serde_json::to_string(&r).unwrap();
                let back: KeyRecord = serde_json::from_str(&json).unwrap();
                prop_assert_eq!(back, r);
            }
            Err(e) => prop_assert_eq!(e.field.as_deref(), Some("expires_at")),
        }
    }

    /// Creation times and every default expiry read back too.
    #[test]
    fn default_expiries_read_back(now_secs in 0i64..=253_402_300_799, days in 1u32..=3650) {
        let now = Utc.timestamp_opt(now_secs, 0).unwrap();
        if let Ok(stored) = validation::expiry(None, Some(days), now) {
            let r = record(now, stored);
            let back: KeyRecord = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
            prop_assert_eq!(back, r);
        }
    }
}

#[test]
fn the_reported_year_10000_spelling_is_refused() {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let at = parse_rfc3339("9999-12-31T23:59:59-23:59").unwrap();
    assert!(validation::expiry(Some(Some(at)), None, now).is_err());
}
