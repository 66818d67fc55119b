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
        let v = w
            .call(
                "POST",
                "/api/v1/verify",
                &[],
                Some(&json!({"token": t}).to_string()),
            )
            .json();
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
    assert_eq!(lines.next(), Some("id,name,description,organization,group,roles,ip_allowlist,enabled,status,created_at,created_by,expires_at,hint"));
    let row = lines.next().unwrap();
    assert!(row.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{row}");
    assert!(row.contains("\"a, \"\"quoted\"\" text\""), "{row}");
    assert_eq!(lines.next(), None, "only the csv organization");
    assert!(!r.body.contains(&token));
    let hash = keygate_shared::token::LookupHash::of(&token).to_hex();
    assert!(!r.body.contains(&hash));
}
