//! The worker's logic natively, over the in-memory KV: request in,
//! outcome out, with an injected clock and a store that can fail.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use chrono::{DateTime, Duration, TimeZone, Utc};
use keygate_edge::app::App;
use keygate_edge::config::Config;
use keygate_edge::http::{HttpRequest, Outcome};
use keygate_edge::repo::Repo;
use keygate_edge::sqlite::SqliteDb;
use keygate_edge::store::MemoryKv;
use keygate_shared::model::{KeyRecord, ROLE_ADMIN};
use keygate_shared::{Prefix, Token};
use serde_json::{json, Value};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

struct World {
    kv: MemoryKv,
    db: SqliteDb,
    config: Config,
    admin: String,
}

fn record(token: &Token, org: &str, roles: &[&str]) -> KeyRecord {
    KeyRecord {
        name: "fixture".into(),
        organization: org.parse().unwrap(),
        roles: roles.iter().map(|r| r.parse().unwrap()).collect(),
        expires_at: Some(now() + Duration::days(30)),
        ..KeyRecord::minted(
            keygate_shared::KeyId::generate().unwrap(),
            token,
            now() - Duration::days(1),
            "bootstrap",
        )
    }
}

impl World {
    fn new() -> Self {
        let (kv, db) = (MemoryKv::default(), SqliteDb::new());
        let token = Token::generate(&Prefix::default()).unwrap();
        pollster::block_on(
            Repo::new(&kv, &db).insert_unlimited(&record(&token, "", &[ROLE_ADMIN]), now()),
        )
        .unwrap();
        let config = Config {
            origin_url: Some("http://127.0.0.1:9".into()),
            max_keys_per_org: 3,
            ..Config::default()
        };
        Self {
            kv,
            db,
            config,
            admin: token.expose_secret().to_owned(),
        }
    }

    /// Every key row: (id, version, record JSON), by id.
    fn rows(&self) -> Vec<(String, i64, String)> {
        use keygate_edge::sql::{int, text, Db, Statement};
        pollster::block_on(self.db.query(Statement::new(
            "SELECT id, version, record FROM keys ORDER BY id",
            vec![],
        )))
        .unwrap()
        .iter()
        .map(|r| {
            (
                text(r, "id").unwrap().to_owned(),
                int(r, "version").unwrap(),
                text(r, "record").unwrap().to_owned(),
            )
        })
        .collect()
    }

    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Outcome {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let req = HttpRequest {
            method: method.into(),
            host: "127.0.0.1".into(),
            origin: String::new(),
            path: path.into(),
            raw_query: query.into(),
            query: query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (k.to_owned(), v.to_owned())
                })
                .collect(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
        };
        let app = App {
            kv: &self.kv,
            db: &self.db,
            config: &self.config,
            now: now(),
            limiter: None,
            meter: None,
            certs: None,
        };
        pollster::block_on(app.handle(&req))
    }

    fn admin(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let auth = format!("Bearer {}", self.admin);
        match self.send(method, path, &[("authorization", &auth)], body) {
            Outcome::Respond(r) => (
                r.status,
                serde_json::from_slice(&r.body).unwrap_or(Value::Null),
            ),
            other => panic!("expected a response, got {other:?}"),
        }
    }
}

fn status_code(o: &Outcome) -> (u16, String) {
    match o {
        Outcome::Respond(r) => {
            let v: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            (
                r.status,
                v["error"]["code"].as_str().unwrap_or_default().to_owned(),
            )
        }
        other => panic!("expected a response, got {other:?}"),
    }
}

#[test]
fn malformed_tokens_never_touch_storage() {
    let w = World::new();
    let before = w.kv.counts.get();
    for bad in [
        "kg_short",
        "Bearer nothing",
        "xx_2mQd9XwP1rLk7TzA0bVcYe4uNf8sHj3G3x2hOL",
        "kg_2mQd9XwP1rLk7TzA0bVcYe4uNf8sHj3G3x2hOM",
    ] {
        let o = w.send("GET", "/calls", &[("x-api-key", bad)], "");
        assert_eq!(status_code(&o), (401, "MALFORMED_KEY".into()), "{bad}");
        let o = w.send(
            "POST",
            "/api/v1/verify",
            &[],
            &json!({"token": bad}).to_string(),
        );
        let Outcome::Respond(r) = o else { panic!() };
        assert_eq!(
            serde_json::from_slice::<Value>(&r.body).unwrap()["code"],
            "MALFORMED_KEY"
        );
    }
    assert_eq!(w.kv.counts.get(), before, "no KV operation at all");
}

#[test]
fn valid_verification_is_one_read() {
    let w = World::new();
    let (_, created) = w.admin("POST", "/api/v1/keys", r#"{"name": "one read"}"#);
    let token = created["token"].as_str().unwrap().to_owned();
    let before = w.kv.counts.get();
    let o = w.send("GET", "/x", &[("x-api-key", &token)], "");
    assert!(matches!(o, Outcome::Forward(_)), "{o:?}");
    let after = w.kv.counts.get();
    assert_eq!(
        (
            after.0 - before.0,
            after.1 - before.1,
            after.2 - before.2,
            after.3 - before.3
        ),
        (1, 0, 0, 0)
    );
}

#[test]
fn storage_failure_is_503_and_never_a_pass() {
    let w = World::new();
    let (_, created) = w.admin("POST", "/api/v1/keys", r#"{"name": "fail"}"#);
    let token = created["token"].as_str().unwrap().to_owned();
    w.kv.failing.set(true);
    let o = w.send("GET", "/x", &[("x-api-key", &token)], "");
    assert_eq!(status_code(&o), (503, "UNAVAILABLE".into()));
    let o = w.send(
        "POST",
        "/api/v1/verify",
        &[],
        &json!({"token": token}).to_string(),
    );
    assert_eq!(status_code(&o), (503, "UNAVAILABLE".into()));
    // Admin sign-in reads the projection, then the row: either store
    // down, no admin call passes it.
    for (kv_down, db_down) in [(true, false), (false, true)] {
        w.kv.failing.set(kv_down);
        w.db.failing.set(db_down);
        for (m, p, b) in [
            ("GET", "/api/v1/keys", ""),
            ("POST", "/api/v1/keys", r#"{"name":"x"}"#),
            ("GET", "/api/v1/me", ""),
        ] {
            let (status, body) = w.admin(m, p, b);
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (503, Some("UNAVAILABLE")),
                "{m} {p}, KV down {kv_down}"
            );
        }
    }
}

/// Admin sign-in reads the key's D1 row, not its KV projection: a copy in
/// another location (or an isolate's read cache) may lag a revocation by
/// a minute, and a revoked admin key must not use that minute to mint
/// admin keys that outlive it.
#[test]
fn a_revoked_admin_key_is_refused_though_its_projection_lags() {
    use keygate_edge::store::{Kv, PutOptions};
    let w = World::new();
    for revoke in ["disable", "delete", "narrow"] {
        let (_, created) = w.admin(
            "POST",
            "/api/v1/keys",
            r#"{"name": "deputy", "roles": ["keygate:admin"]}"#,
        );
        let deputy = created["token"].as_str().unwrap().to_owned();
        let id = created["key"]["id"].as_str().unwrap().to_owned();
        let projection = format!(
            "h/{}",
            keygate_shared::token::LookupHash::of(&deputy).to_hex()
        );
        let (stale, _) = w.kv.raw(&projection).unwrap();
        let as_deputy = |method: &str, path: &str, body: &str| {
            status_code(&w.send(
                method,
                path,
                &[("authorization", &format!("Bearer {deputy}"))],
                body,
            ))
        };
        assert_eq!(as_deputy("GET", "/api/v1/me", "").0, 200, "{revoke}");
        let path = format!("/api/v1/keys/{id}");
        let status = match revoke {
            "disable" => w.admin("PATCH", &path, r#"{"enabled": false}"#).0,
            "delete" => w.admin("DELETE", &path, "").0,
            _ => {
                w.admin("PATCH", &path, r#"{"ip_allowlist": ["192.0.2.0/24"]}"#)
                    .0
            }
        };
        assert!(matches!(status, 200 | 204), "{revoke}: {status}");
        // The copy another location still holds: the key as it was.
        pollster::block_on(w.kv.put(&projection, &stale, PutOptions::default())).unwrap();
        let mint = r#"{"name": "minted", "roles": ["keygate:admin"]}"#;
        // (Narrowed: the test's requests name no client address, which no
        // allowlist admits.)
        let refused = (401, "UNAUTHENTICATED".to_owned());
        assert_eq!(as_deputy("POST", "/api/v1/keys", mint), refused, "{revoke}");
        assert_eq!(as_deputy("GET", "/api/v1/me", ""), refused, "{revoke}");
    }
}

/// Last use lives beside the record (the usage reports write it): an
/// edit's answer shows it as a read does, and a roll's new key has none.
/// A key rolled once is not rolled again; its successor is.
#[test]
fn last_use_reads_alike_in_every_answer() {
    use keygate_edge::sql::{Db, Statement};
    let w = World::new();
    let (_, created) = w.admin("POST", "/api/v1/keys", r#"{"name": "used"}"#);
    let id = created["key"]["id"].as_str().unwrap().to_owned();
    let used = now() - Duration::minutes(3);
    pollster::block_on(w.db.query(Statement::new(
        "UPDATE keys SET last_used_at = ? WHERE id = ?",
        vec![used.timestamp_millis().into(), id.as_str().into()],
    )))
    .unwrap();
    let path = format!("/api/v1/keys/{id}");
    let (_, read) = w.admin("GET", &path, "");
    assert!(read["last_used_at"].is_string(), "{read}");
    let (status, edited) = w.admin("PATCH", &path, r#"{"name": "renamed"}"#);
    assert_eq!(status, 200);
    assert_eq!(edited["last_used_at"], read["last_used_at"], "{edited}");
    let (status, rolled) = w.admin("POST", &format!("{path}/roll"), r#"{"grace_seconds": 60}"#);
    assert_eq!(status, 201);
    assert_eq!(rolled["key"]["last_used_at"], Value::Null, "{rolled}");
    assert_eq!(
        w.admin("GET", &path, "").1["last_used_at"],
        read["last_used_at"]
    );
    // The original, in its grace period, is not rolled again (its copy
    // would inherit the grace period's end as its expiry); its successor is.
    let (status, again) = w.admin("POST", &format!("{path}/roll"), r#"{"grace_seconds": 60}"#);
    let successor = rolled["key"]["id"].as_str().unwrap();
    assert_eq!(w.admin("GET", &path, "").1["rolled_to"], successor);
    assert!(rolled["key"].get("rolled_to").is_none(), "{rolled}");
    // The verify endpoint's view keeps it to the admins: a holder of the
    // old (perhaps leaked) token learns no successor's id.
    let Outcome::Respond(verified) = w.send(
        "POST",
        "/api/v1/verify",
        &[],
        &json!({"token": created["token"]}).to_string(),
    ) else {
        panic!("expected a response")
    };
    let verified: Value = serde_json::from_slice(&verified.body).unwrap();
    assert_eq!(verified["code"], "VALID", "{verified}");
    assert!(verified["key"].get("rolled_to").is_none(), "{verified}");
    assert_eq!(
        (
            status,
            again["error"]["code"].as_str(),
            again["error"]["field"].as_str()
        ),
        (422, Some("INVALID_FIELD"), Some("id")),
        "{again}"
    );
    assert!(
        again["error"]["message"]
            .as_str()
            .unwrap()
            .contains(successor),
        "{again}"
    );
    let (status, next) = w.admin("POST", &format!("/api/v1/keys/{successor}/roll"), "{}");
    assert_eq!(status, 201, "{next}");
    assert_eq!(
        next["key"]["expires_at"], rolled["key"]["expires_at"],
        "the expiry goes on"
    );
    // Once the successor is gone, the refusal says to make a new key.
    let (status, _) = w.admin("DELETE", &format!("/api/v1/keys/{successor}"), "");
    assert_eq!(status, 204);
    let (status, gone) = w.admin("POST", &format!("{path}/roll"), "{}");
    assert_eq!(status, 422, "{gone}");
    assert!(
        gone["error"]["message"]
            .as_str()
            .unwrap()
            .contains("create a new key"),
        "{gone}"
    );
}

/// The admin API says what is wrong with the credential it got: none, a
/// header it does not read, or a malformed key.
#[test]
fn admin_sign_in_refusals_say_why() {
    let w = World::new();
    let message = |headers: &[(&str, &str)]| match w.send("GET", "/api/v1/me", headers, "") {
        Outcome::Respond(r) => {
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            (r.status, v["error"]["message"].as_str().unwrap().to_owned())
        }
        other => panic!("expected a response, got {other:?}"),
    };
    let none = message(&[]);
    assert_eq!(none.0, 401);
    assert!(none.1.contains("reads no other header"), "{}", none.1);
    assert_eq!(message(&[("x-api-key", &w.admin)]), none);
    let (status, malformed) = message(&[("authorization", "Bearer kg_wrong")]);
    assert_eq!(status, 401);
    assert_eq!(
        malformed,
        "An admin key is needed. The API key is not well formed."
    );
}

#[test]
fn a_failed_create_leaves_nothing_half_written() {
    let w = World::new();
    let (keys_before, rows_before) = (w.kv.keys(), w.rows());
    let (status, _) = w.admin("POST", "/api/v1/keys", r#"{"name": "x", "roles": ["a a"]}"#);
    assert_eq!(status, 422);
    assert_eq!(w.kv.keys(), keys_before, "a rejected create writes nothing");
    assert_eq!(w.rows(), rows_before, "nor a row");
}

#[test]
fn record_layout_and_kv_expiration() {
    let w = World::new();
    let (_, created) = w.admin(
        "POST",
        "/api/v1/keys",
        r#"{"name": "layout", "expires_in_days": 10}"#,
    );
    let id = created["key"]["id"].as_str().unwrap();
    let hash = keygate_shared::token::LookupHash::of(created["token"].as_str().unwrap()).to_hex();
    let (by_hash, options) = w.kv.raw(&format!("h/{hash}")).unwrap();
    let row = w.rows().into_iter().find(|r| r.0 == id).unwrap();
    assert_eq!(row.2, by_hash, "the projection is the row's record");
    assert!(
        w.kv.keys().iter().all(|k| k.starts_with("h/")),
        "KV holds projections only"
    );
    assert_eq!(
        options.metadata,
        Some(json!({"v": row.1})),
        "the row version it projects"
    );
    assert_eq!(
        options.expiration,
        Some((now() + Duration::days(17)).timestamp()),
        "expiry + 7 days backstop"
    );
    assert!(
        !by_hash.contains(created["token"].as_str().unwrap()),
        "never the token itself"
    );
    let (status, _) = w.admin("DELETE", &format!("/api/v1/keys/{id}"), "");
    assert_eq!(status, 204);
    assert!(w.kv.raw(&format!("h/{hash}")).is_none());
    assert!(w.rows().iter().all(|r| r.0 != id));
}

/// workerd takes a KV expiration only up to 2038-01-19 (32-bit): a key that
/// expires later (possible from 2028 on, with the 3650-day bound) is stored
/// without the backstop instead of failing with 503 (found by schemathesis
/// with `expires_at` in the year 3320, which is now refused outright).
#[test]
fn expiry_past_kv_range_is_stored_without_backstop() {
    let w = World::new();
    let (status, refused) = w.admin(
        "POST",
        "/api/v1/keys",
        r#"{"name": "far", "expires_at": "3320-04-20T11:23:03+06:47"}"#,
    );
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["field"], "expires_at");
    let (status, _) = w.admin(
        "POST",
        "/api/v1/keys",
        r#"{"name": "edge", "expires_at": "2036-11-19T12:00:00Z"}"#,
    );
    assert_eq!(status, 201, "the last expiry 3650 days ahead");
    let later = Utc.with_ymd_and_hms(2031, 1, 1, 0, 0, 0).unwrap();
    let token = Token::generate(&Prefix::default()).unwrap();
    let mut far = record(&token, "acme", &[]);
    far.expires_at = Some(later + Duration::days(3650));
    pollster::block_on(Repo::new(&w.kv, &w.db).insert_unlimited(&far, later)).unwrap();
    let (_, options) = w.kv.raw(&format!("h/{}", far.hash)).unwrap();
    assert_eq!(options.expiration, None);
}

#[test]
fn admin_hostname_splits_admin_and_gateway() {
    let mut w = World::new();
    w.config.admin_hostname = Some("keys.example.com".into());
    // On another host, even /api/ paths are the gateway.
    let o = w.send("GET", "/api/v1/health", &[], "");
    assert_eq!(status_code(&o), (401, "MISSING_KEY".into()));
    let req_on_admin_host = |path: &str| {
        let req = HttpRequest {
            method: "GET".into(),
            host: "keys.example.com".into(),
            origin: String::new(),
            path: path.into(),
            ..HttpRequest::default()
        };
        let app = App {
            kv: &w.kv,
            db: &w.db,
            config: &w.config,
            now: now(),
            limiter: None,
            meter: None,
            certs: None,
        };
        pollster::block_on(app.handle(&req))
    };
    assert!(matches!(req_on_admin_host("/api/v1/health"), Outcome::Respond(r) if r.status == 200));
    assert_eq!(req_on_admin_host("/admin/"), Outcome::ServeAdminAsset);
}

#[test]
fn origin_not_configured() {
    let mut w = World::new();
    let (_, created) = w.admin("POST", "/api/v1/keys", r#"{"name": "no origin"}"#);
    w.config.origin_url = None;
    let o = w.send(
        "GET",
        "/x",
        &[("x-api-key", created["token"].as_str().unwrap())],
        "",
    );
    assert_eq!(status_code(&o), (502, "ORIGIN_NOT_CONFIGURED".into()));
}

#[test]
fn list_reads_records_without_metadata() {
    let w = World::new();
    let long = "d".repeat(500);
    let (status, _) = w.admin("POST", "/api/v1/keys", &json!({"name": "big", "description": long, "roles": (0..20).map(|i| format!("role-number-{i}")).collect::<Vec<_>>()}).to_string());
    assert_eq!(status, 201);
    let (_, list) = w.admin("GET", "/api/v1/keys?q=big", "");
    assert_eq!(list["keys"][0]["description"].as_str().unwrap().len(), 500);
}

/// With `ORIGIN_SIGNING_SECRET` set, a forward carries a signature over
/// exactly what the origin receives; the client's own is dropped.
#[test]
fn forwards_are_signed_over_what_the_origin_receives() {
    let mut w = World::new();
    let secrets = keygate_origin::Secrets::parse("a-secret-of-at-least-32-characters!!").unwrap();
    w.config.origin_signing = Some(secrets.clone());
    let token = Token::generate(&Prefix::default()).unwrap();
    let mut r = record(&token, "acme", &["calls:read", "x"]);
    r.meta = json!({"plan": "pro", "customer": 42})
        .as_object()
        .unwrap()
        .clone();
    pollster::block_on(Repo::new(&w.kv, &w.db).insert_unlimited(&r, now())).unwrap();
    let key = token.expose_secret().to_owned();
    let o = w.send(
        "POST",
        "/%63alls//list?a=b+c&rest_api_key=x&flag",
        &[
            ("x-api-key", &key),
            ("x-keygate-signature", "t=1,v1=forged"),
        ],
        "",
    );
    let Outcome::Forward(f) = o else {
        panic!("not forwarded: {o:?}")
    };
    assert_eq!(f.url, "http://127.0.0.1:9/calls/list?a=b+c&flag");
    let sigs: Vec<&str> = f
        .headers
        .iter()
        .filter(|(n, _)| n == "x-keygate-signature")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(sigs.len(), 1, "exactly the gateway's own");
    let signed = keygate_origin::Forwarded {
        method: "POST",
        path: "/calls/list",
        query: "a=b+c&flag",
        key_id: &r.id,
        organization: "acme",
        roles: "calls:read,x",
        meta: r#"{"customer":42,"plan":"pro"}"#,
    };
    let meta: Vec<&str> = f
        .headers
        .iter()
        .filter(|(n, _)| n == "x-keygate-meta")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(meta, [signed.meta], "compact JSON, once");
    let t = now().timestamp();
    assert_eq!(
        keygate_origin::verify(&secrets, Some(sigs[0]), &signed, t),
        Ok(())
    );
    let other_path = keygate_origin::Forwarded {
        path: "/calls/other",
        ..signed
    };
    assert!(keygate_origin::verify(&secrets, Some(sigs[0]), &other_path, t).is_err());
}
