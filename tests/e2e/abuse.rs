//! Abuse, end to end on a worker of its own: hostile bodies, headers,
//! paths, spoofed identity, forged-looking tokens and writes by callers
//! without the right. Each gets the contract's error and storage is the
//! same afterwards (every key and audit event, and the fixture tokens still
//! verify).

use std::sync::{Mutex, OnceLock};

use keygate_e2e::{default_vars, Worker};
use keygate_shared::{Prefix, Token};
use serde_json::{json, Value};

struct World {
    worker: Worker,
    /// A Reader in `acme`.
    reader: String,
    /// An admin of `acme/emea` only.
    sub_admin: String,
    /// Keys the others try to harm: `acme`'s and `globex`'s.
    acme: (String, String),
    globex: (String, String),
    /// One test at a time: each compares storage before and after.
    lock: Mutex<()>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let worker = Worker::start("abuse", default_vars, true);
        let (_, reader) = worker.create_key(
            &json!({"name": "reader", "organization": "acme", "roles": ["keygate:reader"], "expires_in_days": 7}),
        );
        let (_, sub_admin) = worker.create_key(
            &json!({"name": "emea admin", "organization": "acme/emea", "roles": ["keygate:admin"], "expires_in_days": 7}),
        );
        let acme = worker.create_key(&json!({"name": "acme key", "organization": "acme", "roles": ["calls:read"]}));
        let globex = worker.create_key(&json!({"name": "globex key", "organization": "globex"}));
        World {
            worker,
            reader,
            sub_admin,
            acme,
            globex,
            lock: Mutex::new(()),
        }
    })
}

/// Runs `attack`, then checks that nothing was stored or changed.
fn unchanged(w: &World, attack: impl FnOnce()) {
    let _one = w
        .lock
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let before = w.worker.snapshot();
    attack();
    assert_eq!(w.worker.snapshot(), before, "storage changed");
    for (_, token) in [&w.acme, &w.globex] {
        assert_eq!(w.worker.verify(token)["code"], "VALID");
    }
}

fn code(body: &str) -> String {
    // The raw client may see a chunked body: find the JSON object in it.
    let start = body.find('{').unwrap_or(0);
    let end = body.rfind('}').map_or(body.len(), |e| e + 1);
    serde_json::from_str::<Value>(&body[start..end]).map_or_else(
        |_| String::new(),
        |v| {
            v["error"]["code"]
                .as_str()
                .or(v["code"].as_str())
                .unwrap_or_default()
                .to_owned()
        },
    )
}

#[test]
fn hostile_bodies_get_their_error() {
    let w = world();
    let auth = format!("Authorization: Bearer {}", w.worker.admin_token);
    unchanged(w, || {
        let post = |body: &[u8]| {
            w.worker.raw(
                &format!("POST /api/v1/keys HTTP/1.1\r\n{auth}\r\nContent-Type: application/json"),
                body,
            )
        };
        // Over 64 KiB.
        let big = format!(r#"{{"name":"{}"}}"#, "a".repeat(70 * 1024));
        let (status, body) = post(big.as_bytes());
        assert_eq!((status, code(&body)), (413, "BODY_TOO_LARGE".into()));
        // Nested far deeper than any body needs.
        let deep = format!(
            r#"{{"name":"x","roles":{}{}}}"#,
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let (status, body) = post(deep.as_bytes());
        assert_eq!((status, code(&body)), (400, "BAD_JSON".into()), "{body}");
        // Invalid UTF-8 inside a string.
        let (status, body) = post(b"{\"name\":\"\xff\xfe\"}");
        assert_eq!((status, code(&body)), (400, "BAD_JSON".into()));
        // A repeated key.
        let (status, body) = post(br#"{"name":"a","roles":["x"],"name":"b"}"#);
        assert_eq!((status, code(&body)), (400, "BAD_JSON".into()));
        // Not an object; empty; a NUL byte.
        for bad in [&b"[]"[..], b"", b"\"name\"", b"{\"name\":\"a\0\"}"] {
            let (status, _) = post(bad);
            assert!((400..500).contains(&status), "{bad:?} → {status}");
        }
        // Fields the key does not have, and null where null means nothing.
        let (status, body) = post(br#"{"name":"a","hash":"00"}"#);
        assert_eq!((status, code(&body)), (400, "UNKNOWN_FIELD".into()));
        let (status, body) = post(br#"{"name":null}"#);
        assert_eq!((status, code(&body)), (422, "INVALID_FIELD".into()));
    });
}

#[test]
fn huge_headers_and_bad_paging_are_refused() {
    let w = world();
    unchanged(w, || {
        let huge = format!("Bearer kg_{}", "A".repeat(60 * 1024));
        let r = w
            .worker
            .call("GET", "/api/v1/keys", &[("authorization", &huge)], None);
        assert_eq!((r.status, r.code()), (401, "UNAUTHENTICATED".into()));
        let r = w
            .worker
            .call("GET", "/calls/x", &[("x-api-key", &huge[7..])], None);
        assert_eq!((r.status, r.code()), (401, "MALFORMED_KEY".into()));
        for query in [
            "limit=100000000000000000000000",
            "limit=-1",
            "limit=0",
            "limit=1e3",
            "cursor=..%2F..%2Fk%2F",
            "cursor=%00",
            "cursor=a&cursor=b",
            "sort=hash",
            "status=deleted",
            "organization=..%2Fglobex",
            "nope=1",
        ] {
            let r = w
                .worker
                .admin("GET", &format!("/api/v1/keys?{query}"), None);
            assert!(
                matches!(r.status, 400 | 422),
                "{query}: {} {}",
                r.status,
                r.body
            );
            let r = w
                .worker
                .admin("GET", &format!("/api/v1/audit?{query}"), None);
            assert!(matches!(r.status, 400 | 422), "{query}: {}", r.status);
        }
    });
}

#[test]
fn path_tricks_never_skip_auth() {
    let w = world();
    unchanged(w, || {
        // Without a credential: every path is canonicalized first (§5),
        // so dot segments and doubled slashes land on the admin API and
        // need a key; encoded slashes cannot be made canonical (400).
        for (path, status, expected) in [
            ("/api/v1/keys/../keys", 401, "UNAUTHENTICATED"),
            ("/api/v1/%2e%2e/v1/keys", 401, "UNAUTHENTICATED"),
            ("/admin/../api/v1/keys", 401, "UNAUTHENTICATED"),
            ("/api/v1/keys/", 401, "UNAUTHENTICATED"),
            ("/api/v1/keys%2fexport.csv", 400, "BAD_PATH"),
            ("/calls/..%2f..%2fapi/v1/keys", 400, "BAD_PATH"),
            ("//api/v1/keys", 401, "UNAUTHENTICATED"),
            ("/%61pi/v1/keys", 401, "UNAUTHENTICATED"),
            ("/API/v1/keys", 401, "MISSING_KEY"),
            ("/api%2fv1/keys", 400, "BAD_PATH"),
        ] {
            for method in ["GET", "POST"] {
                let (got, body) = w.worker.raw(&format!("{method} {path} HTTP/1.1"), b"{}");
                assert_eq!(
                    (got, code(&body)),
                    (status, expected.into()),
                    "{method} {path}"
                );
            }
        }
        // With the admin key, the tricks still only reach real routes.
        let auth = format!("Authorization: Bearer {}", w.worker.admin_token);
        let (got, body) = w.worker.raw(
            &format!("GET /api/v1/keys%2fexport.csv HTTP/1.1\r\n{auth}"),
            b"",
        );
        assert_eq!((got, code(&body)), (400, "BAD_PATH".into()));
        let (got, body) = w.worker.raw(
            &format!("DELETE /api/v1/keys/{}%2f.. HTTP/1.1\r\n{auth}", w.acme.0),
            b"",
        );
        assert_eq!((got, code(&body)), (400, "BAD_PATH".into()));
        let (got, body) = w.worker.raw(
            &format!("DELETE /api/v1/keys/{};x HTTP/1.1\r\n{auth}", w.acme.0),
            b"",
        );
        assert_eq!((got, code(&body)), (400, "BAD_PATH".into()));
        // A method nobody declared is 405, not a GET in disguise.
        let (got, body) = w
            .worker
            .raw(&format!("QUERY /api/v1/keys HTTP/1.1\r\n{auth}"), b"");
        assert_eq!((got, code(&body)), (405, "METHOD_NOT_ALLOWED".into()));
    });
}

#[test]
fn spoofed_identity_and_client_address_do_not_pass() {
    let w = world();
    let (_, token) = {
        let _one = w
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        w.worker.create_key(&json!({"name": "net", "organization": "netco", "roles": ["calls:read"], "ip_allowlist": ["10.0.0.0/8"]}))
    };
    unchanged(w, || {
        let key = token.as_str();
        // Forwarding headers other than CF-Connecting-IP mean nothing.
        for header in [
            "x-forwarded-for",
            "x-real-ip",
            "true-client-ip",
            "forwarded",
        ] {
            let r = w.worker.call(
                "GET",
                "/calls/x",
                &[("x-api-key", key), (header, "10.0.0.1")],
                None,
            );
            assert_eq!(r.code(), "IP_NOT_ALLOWED", "{header}");
        }
        // Two addresses in one CF-Connecting-IP, or garbage: refused.
        for value in [
            "10.0.0.1, 10.0.0.2",
            "10.0.0.1\t",
            "10.0.0.1/8",
            "localhost",
            "",
        ] {
            let r = w.worker.call(
                "GET",
                "/calls/x",
                &[("x-api-key", key), ("cf-connecting-ip", value)],
                None,
            );
            if value.trim() == "10.0.0.1" {
                assert_eq!(r.status, 200, "{value:?}");
            } else {
                assert_eq!(r.code(), "IP_NOT_ALLOWED", "{value:?}");
            }
        }
        // Identity headers a client sends never reach the origin, in any case.
        let r = w.worker.call(
            "GET",
            "/calls/x",
            &[
                ("x-api-key", key),
                ("cf-connecting-ip", "10.1.2.3"),
                ("X-KEYGATE-ROLES", "keygate:admin"),
                ("x-keygate-key-id", "key_forged"),
                ("X-Keygate-Organization", ""),
            ],
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let echo: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(echo["headers"]["x-keygate-roles"], "calls:read");
        assert_eq!(echo["headers"]["x-keygate-organization"], "netco");
        assert!(!r.body.contains("key_forged") && !r.body.contains("keygate:admin"));
        // …and the origin, checking with keygate-origin, tells the
        // gateway's identity from the same headers typed by hand.
        let secrets = keygate_origin::Secrets::parse(keygate_e2e::SIGNING_SECRET).unwrap();
        let now = chrono::Utc::now().timestamp();
        let h = |n: &str| echo["headers"][n].as_str().unwrap_or("").to_owned();
        let (id, org, roles, sig) = (
            h("x-keygate-key-id"),
            h("x-keygate-organization"),
            h("x-keygate-roles"),
            h("x-keygate-signature"),
        );
        let genuine = keygate_origin::Forwarded {
            method: "GET",
            path: "/calls/x",
            query: "",
            key_id: &id,
            organization: &org,
            roles: &roles,
            meta: "",
        };
        assert_eq!(
            keygate_origin::verify(&secrets, Some(&sig), &genuine, now),
            Ok(())
        );
        let typed = keygate_origin::Forwarded {
            roles: "keygate:admin",
            key_id: "key_forged",
            organization: "",
            ..genuine
        };
        assert_eq!(
            keygate_origin::verify(&secrets, Some(&sig), &typed, now),
            Err(keygate_origin::Error::BadSignature)
        );
        assert_eq!(
            keygate_origin::verify(&secrets, None, &typed, now),
            Err(keygate_origin::Error::Missing)
        );
        // A method the worker crate does not know reaches the origin as sent.
        let r = w.worker.call(
            "PURGE",
            "/calls/cache",
            &[("x-api-key", key), ("cf-connecting-ip", "10.1.2.3")],
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            serde_json::from_str::<Value>(&r.body).unwrap()["method"],
            "PURGE"
        );
        // The right checksum is no key: unknown everywhere, no storage change.
        let forged = Token::generate(&Prefix::default()).unwrap();
        let forged = forged.expose_secret();
        assert_eq!(w.worker.verify(forged)["code"], "UNKNOWN_KEY");
        let r = w
            .worker
            .call("GET", "/calls/x", &[("x-api-key", forged)], None);
        assert_eq!((r.status, r.code()), (401, "UNKNOWN_KEY".into()));
        let r = w.worker.as_key(forged, "GET", "/api/v1/me", None);
        assert_eq!((r.status, r.code()), (401, "UNAUTHENTICATED".into()));
    });
}

#[test]
fn callers_without_the_right_change_nothing() {
    let w = world();
    let (acme_id, globex_id) = (w.acme.0.as_str(), w.globex.0.as_str());
    let create = |org: &str| json!({"name": "intruder", "organization": org}).to_string();
    unchanged(w, || {
        // A Reader may write nothing, not even in its own organization.
        for (method, path, body) in [
            ("POST", "/api/v1/keys".to_owned(), Some(create("acme"))),
            (
                "PATCH",
                format!("/api/v1/keys/{acme_id}"),
                Some(r#"{"enabled":false}"#.to_owned()),
            ),
            ("DELETE", format!("/api/v1/keys/{acme_id}"), None),
            (
                "POST",
                format!("/api/v1/keys/{acme_id}/roll"),
                Some("{}".to_owned()),
            ),
            (
                "POST",
                "/api/v1/keys/bulk-delete".to_owned(),
                Some(json!({"ids": [acme_id]}).to_string()),
            ),
        ] {
            let r = w.worker.as_key(&w.reader, method, &path, body.as_deref());
            assert_eq!(
                (r.status, r.code()),
                (403, "FORBIDDEN".into()),
                "reader {method} {path}"
            );
        }
        // An admin of acme/emea sees neither acme nor globex.
        for id in [acme_id, globex_id] {
            for (method, path, body) in [
                ("GET", format!("/api/v1/keys/{id}"), None),
                (
                    "PATCH",
                    format!("/api/v1/keys/{id}"),
                    Some(r#"{"name":"mine"}"#.to_owned()),
                ),
                ("DELETE", format!("/api/v1/keys/{id}"), None),
                (
                    "POST",
                    format!("/api/v1/keys/{id}/roll"),
                    Some(r#"{"grace_seconds":60}"#.to_owned()),
                ),
            ] {
                let r = w
                    .worker
                    .as_key(&w.sub_admin, method, &path, body.as_deref());
                assert_eq!(
                    (r.status, r.code()),
                    (404, "KEY_NOT_FOUND".into()),
                    "{method} {path}"
                );
            }
        }
        let r = w.worker.as_key(
            &w.sub_admin,
            "POST",
            "/api/v1/keys/bulk-delete",
            Some(&json!({"ids": [acme_id, globex_id]}).to_string()),
        );
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["deleted"], json!([]));
        for org in ["acme", "globex", ""] {
            let r = w
                .worker
                .as_key(&w.sub_admin, "POST", "/api/v1/keys", Some(&create(org)));
            assert_eq!(
                (r.status, r.code()),
                (403, "FORBIDDEN".into()),
                "create in {org:?}"
            );
        }
        // Nor can it mint a key with more reach than its own.
        let r = w.worker.as_key(
            &w.sub_admin,
            "POST",
            "/api/v1/keys",
            Some(&json!({"name": "x", "organization": "acme/emea", "roles": ["keygate:admin"], "expires_in_days": 3650}).to_string()),
        );
        assert_eq!(r.status, 403, "{}", r.body);
    });
}
