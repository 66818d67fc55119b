//! Health, OpenAPI, routing, the SPA's assets and configuration errors.

use keygate_e2e::{default_vars, Worker};

#[test]
fn health_answers_without_auth() {
    let w = Worker::shared();
    let r = w.call("GET", "/api/v1/health", &[], None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["ok"], true);
    assert!(r.json()["version"].as_str().is_some_and(|v| !v.is_empty()));
}

#[test]
fn openapi_document_is_served_and_lists_every_route() {
    let w = Worker::shared();
    let r = w.call("GET", "/api/v1/openapi.json", &[], None);
    assert_eq!(r.status, 200);
    // The build's copy among the admin app's files, not a stale one.
    let source = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../edge/openapi.json"),
    )
    .expect("edge/openapi.json");
    assert_eq!(r.body, source);
    assert!(r
        .headers
        .get("content-type")
        .is_some_and(|t| t.starts_with("application/json")));
    // Another spelling of the route gets the same file, not an asset of
    // that spelling's own path.
    let other = w.call("GET", "/api/v1//%6Fpenapi.json?x=1", &[], None);
    assert_eq!((other.status, other.body == source), (200, true));
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/keys",
        "/api/v1/keys/{id}",
        "/api/v1/verify",
        "/api/v1/audit",
        "/api/v1/keys/bulk-delete",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
}

#[test]
fn unknown_routes_and_methods() {
    let w = Worker::shared();
    let r = w.admin("GET", "/api/v1/nothing", None);
    assert_eq!((r.status, r.code().as_str()), (404, "NOT_FOUND"));
    let r = w.call("PUT", "/api/v1/health", &[], Some("{}"));
    assert_eq!((r.status, r.code().as_str()), (405, "METHOD_NOT_ALLOWED"));
    assert_eq!(r.headers.get("allow").map(String::as_str), Some("GET"));
    let r = w.admin("POST", "/api/v1/keys/key_0123456789abcdef", Some("{}"));
    assert_eq!(r.status, 405);
}

#[test]
fn admin_spa_is_served_at_admin() {
    let w = Worker::shared();
    let r = w.call("GET", "/admin/", &[], None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("<title>Keygate admin</title>"),
        "{}",
        r.body
    );
    let wasm_name = r
        .body
        .split('"')
        .find(|s| s.ends_with("_bg.wasm"))
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(!wasm_name.is_empty(), "index names its wasm: {}", r.body);
    let wasm = w.call("GET", &wasm_name, &[], None);
    assert_eq!(wasm.status, 200);
    assert_eq!(
        wasm.headers.get("content-type").map(String::as_str),
        Some("application/wasm")
    );
    let deep = w.call("GET", "/admin/keys/some-route", &[], None);
    assert_eq!(deep.status, 200, "SPA routes fall back to the index");
    assert!(deep.body.contains("Keygate admin"));
    let root = w.call("GET", "/", &[], None);
    assert_eq!(
        (root.status, root.code().as_str()),
        (401, "MISSING_KEY"),
        "outside /api/ and /admin/ is the gateway"
    );
}

/// A value that does not parse fails every request closed, and so does a
/// value of the wrong kind (`[vars]` written as a TOML boolean where a
/// number belongs): never read as unset.
#[test]
fn invalid_configuration_fails_every_request_closed() {
    for (name, var, value, field) in [
        (
            "badconfig",
            "GATEWAY_RULES",
            "[{\"path\": \"no-slash\"}]",
            "GATEWAY_RULES",
        ),
        (
            "badkind",
            "toml:MAX_KEYS_PER_ORG",
            "true",
            "MAX_KEYS_PER_ORG",
        ),
    ] {
        let bad = Worker::start(
            name,
            |port| {
                let mut v = default_vars(port);
                v.retain(|(k, _)| *k != field);
                v.push((var, value.into()));
                v
            },
            false,
        );
        for path in ["/api/v1/health", "/calls/x", "/api/v1/keys"] {
            let r = bad.call("GET", path, &[], None);
            assert_eq!(
                (r.status, r.code().as_str()),
                (500, "CONFIG_INVALID"),
                "{name} {path}: {}",
                r.body
            );
            assert_eq!(r.json()["error"]["field"], field, "{name}");
        }
    }
}

/// `[vars]` written as TOML values rather than strings: `GATEWAY_RULES` as
/// an array of tables and `VERIFY_CACHE_SECONDS` as a number are read as
/// their JSON text, so the rules hold (they once read as none, and every
/// valid key passed every path), and the number parses (a value that
/// did not would answer every request 500, not the 200 below).
#[test]
fn vars_written_as_toml_values_are_read_as_set() {
    use serde_json::json;
    let w = Worker::start(
        "tomlvars",
        |port| {
            let mut v = default_vars(port);
            v.retain(|(k, _)| *k != "GATEWAY_RULES");
            v.push((
                "toml:GATEWAY_RULES",
                r#"[{ path = "/calls/", roles = ["calls:write"] }]"#.into(),
            ));
            v.push(("toml:VERIFY_CACHE_SECONDS", "0".into()));
            v
        },
        true,
    );
    let (_, reader) = w.create_key(&json!({"name": "toml reader", "roles": ["calls:read"]}));
    let (_, writer) = w.create_key(&json!({"name": "toml writer", "roles": ["calls:write"]}));
    let refused = w.call("GET", "/calls/x", &[("x-api-key", &reader)], None);
    assert_eq!(
        (refused.status, refused.code().as_str()),
        (403, "INSUFFICIENT_ROLE"),
        "{}",
        refused.body
    );
    let passed = w.call("GET", "/calls/x", &[("x-api-key", &writer)], None);
    assert_eq!(passed.status, 200, "{}", passed.body);
}

/// No origin and an origin that refuses connections are 502 with their
/// codes; an origin URL the runtime cannot make a request of (port out of
/// range: it passes the configuration's URL check) is the worker's own
/// error, 500, not "unreachable". None is ever a forwarded request.
#[test]
fn origin_missing_unreachable_or_unusable() {
    use serde_json::json;
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for (name, origin, status, code) in [
        ("noorigin", String::new(), 502, "ORIGIN_NOT_CONFIGURED"),
        (
            "deadorigin",
            format!("http://127.0.0.1:{closed_port}"),
            502,
            "ORIGIN_UNREACHABLE",
        ),
        (
            "badoriginurl",
            "http://127.0.0.1:99999".to_owned(),
            500,
            "INTERNAL",
        ),
    ] {
        let w = Worker::start(
            name,
            |port| {
                let mut v = default_vars(port);
                v.retain(|(k, _)| *k != "ORIGIN_URL");
                v.push(("ORIGIN_URL", origin.clone()));
                v
            },
            true,
        );
        let (_, token) = w.create_key(&json!({"name": "502", "organization": "o"}));
        let r = w.call("GET", "/anything", &[("x-api-key", &token)], None);
        assert_eq!(
            (r.status, r.code().as_str()),
            (status, code),
            "{name}: {}",
            r.body
        );
        assert!(!r.body.contains(&token));
    }
}

/// The admin plane answers only a front worker configured as it is: a
/// KEY_PREFIX or ADMIN_HOSTNAME set apart in the two configs fails every
/// admin request closed (its log naming both values), while the front's own
/// verification still answers. A client's own `x-keygate-front` header
/// never reaches the plane: the front overwrites it.
#[test]
fn the_admin_plane_refuses_a_front_configured_apart() {
    for (name, var, value, front_stamp, plane_stamp) in [
        ("apart-prefix", "plane:KEY_PREFIX", "acme", "kg -", "acme -"),
        (
            "apart-host",
            "plane:ADMIN_HOSTNAME",
            "admin.example.com",
            "kg -",
            "kg admin.example.com",
        ),
    ] {
        let w = Worker::start(
            name,
            |port| {
                let mut v = default_vars(port);
                v.push((var, value.into()));
                v
            },
            true,
        );
        for (method, path) in [
            ("GET", "/api/v1/keys"),
            ("GET", "/api/v1/health"),
            ("GET", "/admin/"),
        ] {
            let r = w.admin(method, path, None);
            assert_eq!(
                (r.status, r.code().as_str()),
                (500, "CONFIG_INVALID"),
                "{name} {path}: {}",
                r.body
            );
            assert!(
                !r.body.contains(value),
                "the plane's settings stay in its log: {}",
                r.body
            );
        }
        // The log names both sides' values.
        std::thread::sleep(std::time::Duration::from_millis(500));
        let log = w.log();
        assert!(
            log.lines().any(|l| l.contains("configured apart")
                && l.contains(&format!("\"{front_stamp}\""))
                && l.contains(&format!("\"{plane_stamp}\""))),
            "{name}: {log}"
        );
        // A forged header with the plane's own settings changes nothing.
        let forged = w.call(
            "GET",
            "/api/v1/health",
            &[("x-keygate-front", plane_stamp)],
            None,
        );
        assert_eq!(forged.code(), "CONFIG_INVALID", "{name}: {}", forged.body);
        let verified = w.call("POST", "/api/v1/verify", &[], Some(r#"{"token":"kg_bad"}"#));
        assert_eq!(
            (verified.status, verified.json()["code"].clone()),
            (200, serde_json::json!("MALFORMED_KEY")),
            "{name}: {}",
            verified.body
        );
    }
}

#[test]
fn a_clients_front_header_is_overwritten() {
    let w = Worker::shared();
    let forged = w.call(
        "GET",
        "/api/v1/health",
        &[("x-keygate-front", "evil -")],
        None,
    );
    assert_eq!(forged.status, 200, "{}", forged.body);
}
