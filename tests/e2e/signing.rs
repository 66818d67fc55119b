//! Signed identity (§5) end to end: every forwarded request in the suite
//! reaches an origin that checks its signature with the `keygate-origin`
//! crate and the README's Python check (see `tests/src/origin.rs`); here,
//! forgeries, replays, tampering and rotation, and the README's Node.js
//! check over recorded requests.

use keygate_e2e::origin::Origin;
use keygate_e2e::{default_vars, repo_root, Worker, SIGNING_SECRET};
use serde_json::{json, Value};

/// Sends `method target` with `headers` straight to an origin, bypassing
/// the gateway: (status, body).
fn to_origin(port: u16, method: &str, target: &str, headers: &[(String, String)]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut req =
        format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn identity_headers(case: &Value) -> Vec<(String, String)> {
    case["headers"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.starts_with("x-keygate-"))
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

/// A signed request the gateway forwarded, as the origin checked it.
fn one_forward(w: &Worker, target: &str) -> Value {
    let (_, token) = w
        .create_key(&json!({"name": "signed", "organization": "signing", "roles": ["calls:read"]}));
    let r = w.call("GET", target, &[("x-api-key", &token)], None);
    assert_eq!(r.status, 200, "{}", r.body);
    let path = target.split_once('?').map_or(target, |(p, _)| p).to_owned();
    let signed = w.origin.signed.lock().unwrap();
    signed
        .iter()
        .rev()
        .find(|c| c["path"] == path.as_str())
        .cloned()
        .expect("the origin checked the forward")
}

#[test]
fn forgeries_replays_and_tampering_are_refused() {
    let w = Worker::shared();
    let case = one_forward(w, "/calls/signed?a=1&b=two");
    assert!(case["headers"]["x-keygate-signature"]
        .as_str()
        .unwrap()
        .starts_with("t="));
    // Identity headers typed by hand, straight to the origin.
    let forged = vec![
        (
            "x-keygate-key-id".to_owned(),
            "key_rootAdmin0000000".to_owned(),
        ),
        ("x-keygate-organization".to_owned(), String::new()),
        ("x-keygate-roles".to_owned(), "keygate:admin".to_owned()),
    ];
    let (status, body) = to_origin(w.origin.port, "GET", "/calls/signed", &forged);
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("no X-Keygate-Signature"), "{body}");
    // A real signature on another path, query, method or identity.
    let genuine = identity_headers(&case);
    for (method, target, change) in [
        ("GET", "/calls/other?a=1&b=two", None),
        ("GET", "/calls/signed?a=1&b=three", None),
        ("DELETE", "/calls/signed?a=1&b=two", None),
        (
            "GET",
            "/calls/signed?a=1&b=two",
            Some(("x-keygate-roles", "calls:read,calls:write")),
        ),
        (
            "GET",
            "/calls/signed?a=1&b=two",
            Some(("x-keygate-organization", "other")),
        ),
    ] {
        let mut headers = genuine.clone();
        if let Some((name, value)) = change {
            headers.retain(|(k, _)| k != name);
            headers.push((name.to_owned(), value.to_owned()));
        }
        let (status, body) = to_origin(w.origin.port, method, target, &headers);
        assert_eq!(status, 401, "{method} {target} {change:?}: {body}");
        assert!(body.contains("does not match"), "{body}");
    }
    // The genuine request replayed at once passes (the 300 s window);
    // replayed at an origin whose clock is 301 s later, refused.
    let replay = Origin::start();
    replay.accept(SIGNING_SECRET);
    let (status, _) = to_origin(replay.port, "GET", "/calls/signed?a=1&b=two", &genuine);
    assert_eq!(status, 200);
    replay.shift_clock(301);
    let (status, body) = to_origin(replay.port, "GET", "/calls/signed?a=1&b=two", &genuine);
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("300 s"), "{body}");
    // A client's own X-Keygate-Signature never reaches the origin.
    let (_, token) = w.create_key(&json!({"name": "spoofer", "organization": "signing"}));
    let r = w.call(
        "GET",
        "/free/spoof",
        &[("x-api-key", &token), ("x-keygate-signature", "t=1,v1=00")],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["repeated"],
        json!([]),
        "one signature, the gateway's"
    );
    assert_ne!(r.json()["headers"]["x-keygate-signature"], "t=1,v1=00");
}

/// Rotation: the worker holds `NEW OLD` and signs with `NEW`; an origin
/// that knows only `OLD` refuses, one with both or `NEW` alone accepts.
#[test]
fn rotation_signs_with_the_first_secret() {
    const NEW: &str = "rotation-new-secret-0123456789abcdefgh";
    const OLD: &str = "rotation-old-secret-0123456789abcdefgh";
    let vars = |port| {
        let mut v = default_vars(port);
        v.retain(|(k, _)| *k != "ORIGIN_SIGNING_SECRET");
        v.push(("ORIGIN_SIGNING_SECRET", format!("{NEW} {OLD}")));
        v
    };
    let w = Worker::start("rotation", vars, true);
    let (_, token) = w.create_key(&json!({"name": "rotating", "organization": "rotation"}));
    for (origin_knows, status) in [
        (OLD.to_owned(), 401),
        (format!("{OLD} {NEW}"), 200),
        (NEW.to_owned(), 200),
    ] {
        w.origin.accept(&origin_knows);
        let r = w.call("GET", "/free/rotation", &[("x-api-key", &token)], None);
        assert_eq!(
            r.status,
            status,
            "origin knows {}: {}",
            origin_knows.len(),
            r.body
        );
        if status == 401 {
            assert!(r.body.contains("origin_refused"), "{}", r.body);
        }
    }
}

/// The README's Node.js check agrees on every request the suite's origin
/// verified, and refuses tampered copies.
#[test]
fn readme_node_check_agrees_on_recorded_requests() {
    let w = Worker::shared();
    for target in ["/calls/node?x=%2f&y=a+b", "/free/node", "/free/node?only"] {
        one_forward(w, target);
    }
    let recorded: Vec<Value> = w.origin.signed.lock().unwrap().clone();
    assert!(recorded.len() >= 3);
    let dir = repo_root().join("target/e2e/node-signing");
    std::fs::create_dir_all(&dir).unwrap();
    let snippet = dir.join("keygate-verify.mjs");
    std::fs::write(
        &snippet,
        keygate_e2e::snippets::readme_block(
            "// keygate-verify.mjs: the origin-side check of X-Keygate-Signature",
        ),
    )
    .unwrap();
    let cases = dir.join("cases.json");
    std::fs::write(&cases, Value::from(recorded).to_string()).unwrap();
    keygate_e2e::run_node_test(
        "tests/origin/verify.test.mjs",
        &[
            ("SNIPPET", snippet.as_os_str()),
            ("CASES", cases.as_os_str()),
        ],
    );
}
