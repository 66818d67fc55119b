//! Roll and CSV export.

use keygate_e2e::Worker;
use serde_json::json;

#[test]
fn roll_keeps_both_tokens_during_grace() {
    let w = Worker::shared();
    let (id, old) = w.create_key(&json!({"name": "rolling", "organization": "roll", "roles": ["r1"], "group": "g1", "ip_allowlist": ["10.0.0.1"]}));
    let r = w.admin(
        "POST",
        &format!("/api/v1/keys/{id}/roll"),
        Some(r#"{"grace_seconds": 3600}"#),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let j = r.json();
    let new = j["token"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(
        (
            j["key"]["name"].clone(),
            j["key"]["roles"].clone(),
            j["key"]["group"].clone()
        ),
        (json!("rolling"), json!(["r1"]), json!("g1"))
    );
    assert_eq!(j["key"]["ip_allowlist"], json!(["10.0.0.1/32"]));
    for t in [&old, &new] {
        let v = w.verify(t);
        assert_eq!(v["code"], "VALID");
    }
    let old_view = w.admin("GET", &format!("/api/v1/keys/{id}"), None).json();
    let expires = old_view["expires_at"].as_str().unwrap().to_owned();
    assert!(expires.starts_with("20"), "old key now expires: {expires}");
    let audit = w
        .admin("GET", &format!("/api/v1/audit?key_id={id}"), None)
        .json();
    assert_eq!(audit["events"][0]["action"], "key.rolled");
    for bad in [
        r#"{"grace_seconds": 604801}"#,
        r#"{"grace_seconds": -1}"#,
        r#"{"grace": 1}"#,
    ] {
        let r = w.admin("POST", &format!("/api/v1/keys/{id}/roll"), Some(bad));
        assert!(r.status == 422 || r.status == 400, "{bad}: {}", r.body);
    }
}

#[test]
fn export_is_csv_without_secrets_and_with_formula_guard() {
    let w = Worker::shared();
    let (_, token) = w.create_key(&json!({"name": "=HYPERLINK(\"x\")", "organization": "csv", "description": "a, \"quoted\" text"}));
    let r = w.admin("GET", "/api/v1/keys/export.csv?organization=csv", None);
    assert_eq!(r.status, 200);
    assert!(r
        .headers
        .get("content-type")
        .is_some_and(|c| c.starts_with("text/csv")));
    let mut lines = r.body.lines();
    assert_eq!(lines.next(), Some("\"id\",\"name\",\"description\",\"organization\",\"group\",\"roles\",\"ip_allowlist\",\"enabled\",\"status\",\"created_at\",\"created_by\",\"expires_at\",\"hint\",\"meta\",\"last_used_at\",\"rate_limit\",\"rate_limit_period_seconds\",\"credits_remaining\",\"credits_refill\""));
    let row = lines.next().unwrap();
    assert!(row.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{row}");
    assert!(row.contains("\"a, \"\"quoted\"\" text\""), "{row}");
    assert_eq!(lines.next(), None, "only the csv organization");
    assert!(!r.body.contains(&token));
    let hash = keygate_shared::token::LookupHash::of(&token).to_hex();
    assert!(!r.body.contains(&hash));
}

fn seeded(name: &str, created_days_ago: i64, expires_in_hours: i64) -> keygate_shared::KeyRecord {
    use chrono::{Duration, Utc};
    let token = keygate_shared::Token::generate(&keygate_shared::Prefix::default()).unwrap();
    keygate_shared::KeyRecord {
        name: name.into(),
        organization: "cron".parse().unwrap(),
        expires_at: Some(Utc::now() + Duration::hours(expires_in_hours)),
        ..keygate_shared::KeyRecord::minted(
            keygate_shared::KeyId::generate().unwrap(),
            &token,
            Utc::now() - Duration::days(created_days_ago),
            "bootstrap",
        )
    }
}

#[test]
fn cron_sends_expiry_notices_once_and_purges_expired_keys() {
    let expiring = seeded("expiring in 6.5 days", 60, 156);
    let expired = seeded("expired an hour ago", 10, -1);
    let w = Worker::start_seeded(
        "cron",
        keygate_e2e::default_vars,
        true,
        &[expiring.clone(), expired.clone()],
    );
    let trigger = || {
        let r = w.call("GET", "/__scheduled?cron=0+3+*+*+*", &[], None);
        assert_eq!(r.status, 200, "{}", r.body);
    };
    assert_eq!(
        w.admin("GET", &format!("/api/v1/keys/{}", expired.id), None)
            .json()["status"],
        "expired"
    );
    trigger();
    let hooks = w.origin.received_at("/hook");
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!(hooks[0]["method"], "POST");
    let notice: serde_json::Value =
        serde_json::from_str(hooks[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        (notice["event"].clone(), notice["days_left"].clone()),
        (json!("key.expiring"), json!(7))
    );
    assert_eq!(notice["key"]["id"], expiring.id.as_str());
    assert!(notice["key"].get("hash").is_none());
    let events = w
        .admin(
            "GET",
            &format!("/api/v1/audit?key_id={}", expiring.id),
            None,
        )
        .json();
    assert_eq!(events["events"][0]["action"], "key.expiring");
    assert_eq!(events["events"][0]["details"]["days_left"], 7);
    assert_eq!(
        w.admin("GET", &format!("/api/v1/keys/{}", expired.id), None)
            .code(),
        "KEY_NOT_FOUND",
        "purged"
    );
    let gone = w
        .admin("GET", &format!("/api/v1/audit?key_id={}", expired.id), None)
        .json();
    assert_eq!(gone["events"][0]["action"], "key.expired");

    trigger();
    let count = w.origin.received_at("/hook").len();
    assert_eq!(count, 1, "never sent twice");
}

fn report(w: &Worker, body: &str, signature: &str, key_id: &str) -> keygate_e2e::Reply {
    w.call(
        "POST",
        "/api/v1/secret-scanning/github",
        &[
            ("github-public-key-identifier", key_id),
            ("github-public-key-signature", signature),
        ],
        Some(body),
    )
}

#[test]
fn leaked_keys_are_disabled_through_github_secret_scanning() {
    use keygate_e2e::scanning::{sign, KEY_ID};
    let w = Worker::shared();
    let (id, token) = w.create_key(&json!({"name": "leaky", "organization": "leak"}));
    let (other_id, other) = w.create_key(&json!({"name": "not leaked", "organization": "leak"}));
    // The same token found in two places: two entries, one disable.
    let body = json!([
        {"token": token, "type": "keygate_api_key", "url": "https://example.invalid/commit/1", "source": "commit"},
        {"token": "kg_not_ours", "type": "keygate_api_key", "url": "", "source": "content"},
        {"token": token, "type": "keygate_api_key", "url": "https://example.invalid/commit/2", "source": "commit"}
    ])
    .to_string();

    // Tampered: signature of another body; wrong identifier; no signature.
    let tampered = body.replace(&token, &other);
    for (b, sig, kid) in [
        (&tampered, sign(&body), KEY_ID),
        (&body, sign(&body), "decoy"),
        (&body, sign(&body), "nope"),
        (&body, "AAAA".into(), KEY_ID),
    ] {
        let r = report(w, b, &sig, kid);
        assert_eq!(
            (r.status, r.code().as_str()),
            (401, "BAD_SIGNATURE"),
            "{kid}"
        );
    }
    let r = w.call("POST", "/api/v1/secret-scanning/github", &[], Some(&body));
    assert_eq!(r.status, 401);
    for k in [&id, &other_id] {
        assert_eq!(
            w.admin("GET", &format!("/api/v1/keys/{k}"), None).json()["enabled"],
            true,
            "nothing changed"
        );
    }
    let junk = "{not json";
    assert_eq!(report(w, junk, &sign(junk), KEY_ID).code(), "BAD_JSON");

    let r = report(w, &body, &sign(&body), KEY_ID);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json(),
        json!([
            {"token_hash": keygate_shared::LookupHash::of(&token).to_hex(), "token_type": "keygate_api_key", "label": "true_positive"},
            {"token_hash": keygate_shared::LookupHash::of("kg_not_ours").to_hex(), "token_type": "keygate_api_key", "label": "false_positive"},
            {"token_hash": keygate_shared::LookupHash::of(&token).to_hex(), "token_type": "keygate_api_key", "label": "true_positive"}
        ])
    );
    // Sent again (GitHub retries a report that failed): the same verdicts,
    // and the leak on record again, with nothing else written.
    let again = report(w, &body, &sign(&body), KEY_ID);
    assert_eq!((again.status, again.json()), (200, r.json()));
    let v = w.verify(&token);
    assert_eq!(v["code"], "DISABLED");
    let v = w.verify(&other);
    assert_eq!(v["code"], "VALID");
    let events = w.admin("GET", &format!("/api/v1/audit?key_id={id}"), None);
    assert_eq!(events.json()["events"][0]["action"], "key.leaked");
    let leaked_events = events.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "key.leaked")
        .count();
    assert_eq!(
        leaked_events, 2,
        "one event per report, not per entry: {}",
        events.body
    );
    assert_eq!(
        events.json()["events"][0]["actor"],
        "github-secret-scanning"
    );
    assert!(
        !events.body.contains(&token),
        "the audit log never holds the token"
    );
}
