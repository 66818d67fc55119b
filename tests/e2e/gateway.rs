//! The gateway: every credential location, every refusal with its status,
//! rules, and what reaches the loopback origin.

use keygate_e2e::Worker;
use serde_json::{json, Value};

fn echo(r: &keygate_e2e::Reply) -> Value {
    assert_eq!(r.status, 200, "not forwarded: {}", r.body);
    assert_eq!(r.headers.get("x-origin").map(String::as_str), Some("echo"));
    r.json()
}

#[test]
fn forwards_with_identity_and_without_the_credential() {
    let w = Worker::shared();
    let (id, token) = w
        .create_key(&json!({"name": "gw", "organization": "gw/one", "roles": ["calls:read", "x"]}));
    let bearer = format!("Bearer {token}");
    let r = w.call(
        "GET",
        "/calls/list?page=2",
        &[
            ("authorization", &bearer),
            ("x-keygate-key-id", "spoofed"),
            ("x-keygate-roles", "admin"),
            // Spellings a CGI-style origin reads as the same variables.
            ("X_Keygate_Meta", "{\"plan\":\"enterprise\"}"),
            ("x-original-url", "/admin/elsewhere"),
            ("x-other", "kept"),
        ],
        None,
    );
    let e = echo(&r);
    assert_eq!(e["method"], "GET");
    assert_eq!(e["target"], "/calls/list?page=2");
    let h = &e["headers"];
    assert_eq!(h["x-keygate-key-id"], id.as_str());
    assert_eq!(h["x-keygate-organization"], "gw/one");
    assert_eq!(h["x-keygate-roles"], "calls:read,x");
    assert_eq!(h["x-other"], "kept");
    assert!(h.get("authorization").is_none());
    for dropped in ["x_keygate_meta", "x-keygate-meta", "x-original-url"] {
        assert!(
            h.get(dropped).is_none(),
            "{dropped} reached the origin: {h}"
        );
    }
    assert!(
        !r.body.contains(&token),
        "the token never reaches the origin"
    );

    // The other three locations.
    let auth2 = format!("rest_api_key={token}");
    let e = echo(&w.call("GET", "/free", &[("authorization", &auth2)], None));
    assert!(e["headers"].get("authorization").is_none());
    let e = echo(&w.call("GET", "/free", &[("x-api-key", &token)], None));
    assert!(e["headers"].get("x-api-key").is_none());
    let r = w.call(
        "GET",
        &format!("/free/path?a=1&rest_api_key={token}&b=two%20words"),
        &[],
        None,
    );
    let e = echo(&r);
    assert_eq!(e["target"], "/free/path?a=1&b=two%20words");
    assert!(!r.body.contains(&token));

    // A POST body passes through.
    let r = w.call(
        "POST",
        "/free/upload",
        &[("x-api-key", &token)],
        Some(r#"{"hello":"origin"}"#),
    );
    assert_eq!(echo(&r)["body"], r#"{"hello":"origin"}"#);
}

#[test]
fn refusals_have_the_contract_statuses() {
    let w = Worker::shared();
    let (id, token) = w.create_key(&json!({"name": "gw2", "organization": "gw/two", "roles": ["calls:read"], "ip_allowlist": ["10.0.0.0/8"]}));
    let key = |t: &str| {
        vec![
            ("x-api-key".to_owned(), t.to_owned()),
            ("cf-connecting-ip".to_owned(), "10.9.9.9".to_owned()),
        ]
    };
    let send = |method: &str, path: &str, hs: Vec<(String, String)>| {
        let refs: Vec<(&str, &str)> = hs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        w.call(method, path, &refs, None)
    };
    let r = send("GET", "/calls/x", vec![]);
    assert_eq!((r.status, r.code().as_str()), (401, "MISSING_KEY"));
    assert_eq!(
        r.headers.get("www-authenticate").map(String::as_str),
        Some("Bearer")
    );
    let r = send("GET", "/calls/x", key("kg_garbage"));
    assert_eq!((r.status, r.code().as_str()), (401, "MALFORMED_KEY"));
    let unknown = keygate_shared::Token::generate(&keygate_shared::Prefix::default()).unwrap();
    let r = send("GET", "/calls/x", key(unknown.expose_secret()));
    assert_eq!((r.status, r.code().as_str()), (401, "UNKNOWN_KEY"));
    assert_eq!(
        r.headers.get("www-authenticate").map(String::as_str),
        Some("Bearer")
    );

    assert_eq!(send("GET", "/calls/x", key(&token)).status, 200);
    let mut wrong_ip = key(&token);
    wrong_ip[1].1 = "192.0.2.1".into();
    let r = send("GET", "/calls/x", wrong_ip);
    assert_eq!((r.status, r.code().as_str()), (403, "IP_NOT_ALLOWED"));
    let r = send("GET", "/calls/x", vec![("x-api-key".into(), token.clone())]);
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "IP_NOT_ALLOWED"),
        "no client address, allowlisted key refused"
    );
    let r = send("POST", "/calls/x", key(&token));
    assert_eq!((r.status, r.code().as_str()), (403, "INSUFFICIENT_ROLE"));
    let r = send("GET", "/acme-only/x", key(&token));
    assert_eq!((r.status, r.code().as_str()), (403, "WRONG_ORGANIZATION"));

    let r = w.admin(
        "PATCH",
        &format!("/api/v1/keys/{id}"),
        Some(r#"{"enabled": false}"#),
    );
    assert_eq!(r.status, 200);
    let r = send("GET", "/calls/x", key(&token));
    assert_eq!((r.status, r.code().as_str()), (401, "DISABLED"));
    let r = w.admin(
        "POST",
        &format!("/api/v1/keys/{id}/roll"),
        Some(r#"{"grace_seconds": 0}"#),
    );
    assert_eq!(r.status, 201);
    let r = send("GET", "/calls/x", key(&token));
    assert_eq!((r.status, r.code().as_str()), (401, "EXPIRED"));
}

#[test]
fn rules_pick_the_longest_prefix_and_method() {
    let w = Worker::shared();
    let (_, writer) = w.create_key(
        &json!({"name": "writer", "organization": "acme/gw", "roles": ["calls:write"]}),
    );
    let h = [("x-api-key", writer.as_str())];
    assert_eq!(w.call("POST", "/calls/1", &h, Some("{}")).status, 200);
    assert_eq!(
        w.call("GET", "/calls/1", &h, None).status,
        200,
        "calls:write is one of the GET roles"
    );
    assert_eq!(
        w.call("GET", "/acme-only/1", &h, None).status,
        200,
        "acme/gw is below acme"
    );
    assert_eq!(
        w.call("GET", "/anything/else", &h, None).status,
        200,
        "no rule: a valid key is enough"
    );
}
