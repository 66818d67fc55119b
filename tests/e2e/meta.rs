//! `meta` (§2, §5): the operator's own data on a key, set on create and
//! patch, returned by verify, forwarded (signed) as `X-Keygate-Meta`, in
//! the CSV; refused when it is no object, over 2 KiB or not sendable as a
//! header value.

use keygate_e2e::Worker;
use serde_json::json;

#[test]
fn meta_is_stored_returned_forwarded_and_exported() {
    let w = Worker::shared();
    let (id, token) = w.create_key(&json!({"name": "with meta", "organization": "meta", "meta": {"customer": "c_42", "plan": "pro", "seats": 5}}));
    let v = w.verify(&token);
    assert_eq!(
        v["key"]["meta"],
        json!({"customer": "c_42", "plan": "pro", "seats": 5})
    );
    // Forwarded as compact JSON; the origin checked the signature over it.
    let r = w.call("GET", "/free/meta", &[("x-api-key", &token)], None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["headers"]["x-keygate-meta"],
        r#"{"customer":"c_42","plan":"pro","seats":5}"#
    );
    // Patch replaces it; {} clears it, and then no header is sent.
    let r = w.admin(
        "PATCH",
        &format!("/api/v1/keys/{id}"),
        Some(r#"{"meta": {"plan": "enterprise"}}"#),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["meta"], json!({"plan": "enterprise"}));
    let audit = w
        .admin("GET", &format!("/api/v1/audit?key_id={id}"), None)
        .json();
    assert_eq!(audit["events"][0]["details"]["fields"], json!(["meta"]));
    let csv = w.admin("GET", "/api/v1/keys/export.csv?organization=meta", None);
    assert!(
        csv.body.contains(r#""{""plan"":""enterprise""}""#),
        "{}",
        csv.body
    );
    let r = w.admin(
        "PATCH",
        &format!("/api/v1/keys/{id}"),
        Some(r#"{"meta": {}}"#),
    );
    assert_eq!(r.json()["meta"], json!({}));
    let r = w.call("GET", "/free/meta", &[("x-api-key", &token)], None);
    assert!(r.json()["headers"].get("x-keygate-meta").is_none());
    // A rolled key keeps it.
    let r = w.admin(
        "PATCH",
        &format!("/api/v1/keys/{id}"),
        Some(r#"{"meta": {"k": "v"}}"#),
    );
    assert_eq!(r.status, 200);
    let rolled = w.admin("POST", &format!("/api/v1/keys/{id}/roll"), Some("{}"));
    assert_eq!(rolled.json()["key"]["meta"], json!({"k": "v"}));
    keygate_e2e::secrets::issued(rolled.json()["token"].as_str().unwrap());
}

#[test]
fn bad_meta_is_refused_and_nothing_is_stored() {
    let w = Worker::shared();
    let (id, _) =
        w.create_key(&json!({"name": "meta target", "organization": "meta-bad", "meta": {"a": 1}}));
    for meta in [
        json!([1]),
        json!("text"),
        json!(null),
        json!({"name": "Zoë"}),
        json!({"big": "x".repeat(2100)}),
    ] {
        let r = w.admin(
            "POST",
            "/api/v1/keys",
            Some(&json!({"name": "bad", "organization": "meta-bad", "meta": meta}).to_string()),
        );
        assert_eq!(
            (r.status, r.code()),
            (422, "INVALID_FIELD".into()),
            "{meta}: {}",
            r.body
        );
        assert_eq!(r.json()["error"]["field"], "meta");
        let r = w.admin(
            "PATCH",
            &format!("/api/v1/keys/{id}"),
            Some(&json!({"meta": meta}).to_string()),
        );
        assert_eq!(r.status, 422, "{meta}");
    }
    let list = w
        .admin("GET", "/api/v1/keys?organization=meta-bad", None)
        .json();
    assert_eq!(list["total"], 1, "no bad key stored");
    assert_eq!(list["keys"][0]["meta"], json!({"a": 1}), "unchanged");
}
