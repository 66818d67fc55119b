//! `POST /api/v1/verify`: every code of §5.

use keygate_e2e::Worker;
use serde_json::json;

/// The verify endpoint with a full body (the harness's `verify` sends only a token).
fn verify(w: &Worker, body: serde_json::Value) -> serde_json::Value {
    let r = w.call("POST", "/api/v1/verify", &[], Some(&body.to_string()));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

#[test]
fn every_code() {
    let w = Worker::shared();
    let (id, token) = w.create_key(&json!({
        "name": "verify me", "organization": "verify/emea", "roles": ["calls:read"], "ip_allowlist": ["10.0.0.0/8", "2001:db8::/32"]
    }));
    let ok = verify(w, json!({"token": token}));
    assert_eq!(
        (ok["valid"].clone(), ok["code"].clone()),
        (json!(true), json!("VALID"))
    );
    assert_eq!(ok["key"]["id"], id.as_str());
    assert!(ok["key"].get("hash").is_none());

    assert_eq!(verify(w, json!({}))["code"], "MISSING_KEY");
    let malformed = verify(w, json!({"token": "kg_notatoken"}));
    assert_eq!(
        (malformed["code"].clone(), malformed["key"].clone()),
        (json!("MALFORMED_KEY"), json!(null))
    );
    let mut flipped = token.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    assert_eq!(
        verify(w, json!({"token": String::from_utf8(flipped).unwrap()}))["code"],
        "MALFORMED_KEY"
    );
    let unknown = keygate_shared::Token::generate(&keygate_shared::Prefix::default()).unwrap();
    assert_eq!(
        verify(w, json!({"token": unknown.expose_secret()}))["code"],
        "UNKNOWN_KEY"
    );

    assert_eq!(
        verify(w, json!({"token": token, "ip": "10.1.2.3"}))["code"],
        "VALID"
    );
    assert_eq!(
        verify(w, json!({"token": token, "ip": "2001:db8::7"}))["code"],
        "VALID"
    );
    assert_eq!(
        verify(w, json!({"token": token, "ip": "192.0.2.1"}))["code"],
        "IP_NOT_ALLOWED"
    );
    assert_eq!(
        verify(
            w,
            json!({"token": token, "roles": ["calls:write", "calls:read"]})
        )["code"],
        "VALID"
    );
    assert_eq!(
        verify(w, json!({"token": token, "roles": ["calls:write"]}))["code"],
        "INSUFFICIENT_ROLE"
    );
    assert_eq!(
        verify(w, json!({"token": token, "organization": "verify"}))["code"],
        "VALID"
    );
    assert_eq!(
        verify(w, json!({"token": token, "organization": "other"}))["code"],
        "WRONG_ORGANIZATION"
    );

    let r = w.admin(
        "PATCH",
        &format!("/api/v1/keys/{id}"),
        Some(r#"{"enabled": false}"#),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let disabled = verify(w, json!({"token": token}));
    assert_eq!(
        (disabled["code"].clone(), disabled["key"]["status"].clone()),
        (json!("DISABLED"), json!("disabled"))
    );
}

#[test]
fn expired_keys_fail_at_once() {
    let w = Worker::shared();
    // Roll with no grace expires the old token now.
    let (id, old) = w.create_key(&json!({"name": "to expire", "organization": "verify-exp"}));
    let r = w.admin(
        "POST",
        &format!("/api/v1/keys/{id}/roll"),
        Some(r#"{"grace_seconds": 0}"#),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(verify(w, json!({"token": old}))["code"], "EXPIRED");
}

#[test]
fn bad_verify_requests_are_clear_errors() {
    let w = Worker::shared();
    for (body, status, code) in [
        ("not json", 400, "BAD_JSON"),
        (r#"{"token": "x", "extra": 1}"#, 400, "UNKNOWN_FIELD"),
        (r#"{"token": 5}"#, 422, "INVALID_FIELD"),
        (r#"{"token": "x", "ip": "999.1.1.1"}"#, 422, "INVALID_FIELD"),
        (
            r#"{"token": "x", "roles": ["bad role"]}"#,
            422,
            "INVALID_FIELD",
        ),
    ] {
        let r = w.call("POST", "/api/v1/verify", &[], Some(body));
        assert_eq!((r.status, r.code().as_str()), (status, code), "{body}");
    }
    let big = format!(r#"{{"token": "{}"}}"#, "a".repeat(70_000));
    let r = w.call("POST", "/api/v1/verify", &[], Some(&big));
    assert_eq!((r.status, r.code().as_str()), (413, "BODY_TOO_LARGE"));
}
