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

/// The in-isolate cache (`VERIFY_CACHE_SECONDS`, 10 s here) never hides a
/// change made through this worker: each token is verified first, so its
/// record is cached, then every change must show on the very next call,
/// on the verify endpoint and the gateway alike.
#[test]
fn changes_show_at_once_despite_the_verify_cache() {
    let w = Worker::shared();
    let (id, old) = w.create_key(&json!({"name": "cached", "organization": "verify-cache"}));
    let code = |token: &str| {
        w.verify(token)["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let gateway = |token: &str| {
        let r = w.call("GET", "/free", &[("x-api-key", token)], None);
        (
            r.status,
            if r.status == 200 {
                String::new()
            } else {
                r.code()
            },
        )
    };
    assert_eq!((code(&old), gateway(&old).0), ("VALID".into(), 200));

    let patch = |body: &str| {
        let r = w.admin("PATCH", &format!("/api/v1/keys/{id}"), Some(body));
        assert_eq!(r.status, 200, "{}", r.body);
    };
    patch(r#"{"enabled": false}"#);
    assert_eq!(code(&old), "DISABLED");
    assert_eq!(gateway(&old), (401, "DISABLED".into()));
    patch(r#"{"enabled": true}"#);
    assert_eq!((code(&old), gateway(&old).0), ("VALID".into(), 200));

    let r = w.admin(
        "POST",
        &format!("/api/v1/keys/{id}/roll"),
        Some(r#"{"grace_seconds": 0}"#),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let rolled = r.json();
    let (new_id, new) = (
        rolled["key"]["id"].as_str().unwrap().to_owned(),
        rolled["token"].as_str().unwrap().to_owned(),
    );
    assert_ne!(new_id, id, "a roll makes a new key");
    assert_eq!(code(&old), "EXPIRED");
    assert_eq!(gateway(&old), (401, "EXPIRED".into()));
    assert_eq!((code(&new), gateway(&new).0), ("VALID".into(), 200));

    let r = w.admin("DELETE", &format!("/api/v1/keys/{new_id}"), None);
    assert!(r.status == 200 || r.status == 204, "{}", r.body);
    assert_eq!(code(&new), "UNKNOWN_KEY");
    assert_eq!(gateway(&new), (401, "UNKNOWN_KEY".into()));
}
