//! The trust issue's two properties, as fuzz targets:
//! - `canonical_path`: the canonicalizer is idempotent and yields one
//!   spelling; every respelling of a canonical path canonicalizes back to
//!   it; and through the whole gateway (`App::handle`), a request whose
//!   canonical path lies under a role rule is never forwarded for a key
//!   without that role, whatever its raw spelling, and a forwarded request
//!   carries exactly its canonical path.
//! - `record_roundtrip`: whatever `expires_at` or `expires_in_days` a
//!   client sends, what the worker stores it reads back: the list, the
//!   export and the cron keep answering.

use chrono::{DateTime, Duration, TimeZone, Utc};
use keygate_edge::app::App;
use keygate_edge::config::Config;
use keygate_edge::http::{HttpRequest, Outcome};
use keygate_edge::lifecycle;
use keygate_edge::repo::Repo;
use keygate_edge::sqlite::SqliteDb;
use keygate_edge::store::MemoryKv;
use keygate_shared::model::ROLE_ADMIN;
use keygate_shared::path::canonical;
use keygate_shared::policy::GatewayRules;
use keygate_shared::{KeyRecord, Prefix, Token};

use crate::fields;

const RULES: &str = r#"[{"path": "/calls/", "roles": ["calls:read"]},
    {"path": "/Reports/Q1/", "methods": ["GET"], "roles": ["reports"]},
    {"path": "/x%20y/", "roles": ["spaced"]}]"#;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
        .single()
        .expect("valid date")
}

fn key(n: u8, roles: &[&str]) -> (String, KeyRecord) {
    let token = Token::from_random_part(&Prefix::default(), &format!("{n:0>32}"));
    let record = KeyRecord {
        name: format!("trust {n}"),
        roles: roles.iter().map(|r| r.parse().unwrap()).collect(),
        expires_at: Some(now() + Duration::days(30)),
        ..KeyRecord::minted(
            format!("key_trust{n:0>11}").parse().unwrap(),
            &token,
            now() - Duration::days(1),
            "bootstrap",
        )
    };
    (token.expose_secret().to_owned(), record)
}

/// Another spelling of the canonical `path`, steered by `choices`:
/// unreserved characters percent-encoded (either hex case), doubled
/// slashes, `.` segments and `name/..` detours.
fn respell(path: &str, choices: &[u8]) -> String {
    let mut out = String::new();
    let mut c = choices.iter().copied().cycle();
    let mut next = || {
        if choices.is_empty() {
            0
        } else {
            c.next().unwrap_or(0)
        }
    };
    let mut chars = path.chars();
    while let Some(ch) = chars.next() {
        let pick = next();
        match ch {
            // An escape stays one, in either hex case.
            '%' => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push('%');
                if pick % 2 == 1 {
                    out.push_str(&hex.to_ascii_lowercase());
                } else {
                    out.push_str(&hex);
                }
            }
            '/' => {
                out.push('/');
                match pick % 5 {
                    1 => out.push('/'),
                    2 => out.push_str("./"),
                    3 => out.push_str("zz/../"),
                    _ => {}
                }
            }
            c if c.is_ascii_alphanumeric() || "-._~".contains(c) => {
                if pick % 3 == 1 {
                    out.push_str(&format!("%{:02X}", u32::from(c)));
                } else if pick % 3 == 2 {
                    out.push_str(&format!("%{:02x}", u32::from(c)));
                } else {
                    out.push(c);
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn under_role_rule(method: &str, canonical_path: &str) -> bool {
    let lower = canonical_path.to_ascii_lowercase();
    let under = |rule: &str| lower.starts_with(rule) || lower == rule.trim_end_matches('/');
    under("/calls/")
        || under("/x%20y/")
        || (under("/reports/q1/") && (method == "GET" || method == "HEAD"))
}

/// See the module documentation.
pub fn canonical_path(data: &[u8]) {
    let f = fields(data, 3);
    let raw = &f[0];
    let method = ["GET", "HEAD", "POST", "DELETE"][f[2].len() % 4];
    let canonical_form = canonical(raw);
    if let Ok(c) = &canonical_form {
        assert_eq!(canonical(c).as_ref(), Ok(c), "idempotent");
        assert!(c.starts_with('/') && !c.contains("//"), "{c}");
        assert!(
            c.split('/').all(|s| s != "." && s != ".."),
            "dot segments left in {c}"
        );
        assert!(!c.contains(['\\', ';', '\0']), "{c}");
        let respelled = respell(c, f[1].as_bytes());
        assert_eq!(canonical(&respelled).as_ref(), Ok(c), "{respelled}");
    }
    if !raw.starts_with('/') {
        return; // the runtime always hands over an absolute path
    }
    // Through the gateway, with a valid key that holds no role.
    let (kv, db) = (MemoryKv::default(), SqliteDb::new());
    let (token, record) = key(1, &[]);
    pollster::block_on(Repo::new(&kv, &db).insert_unlimited(&record, now())).expect("seed");
    let config = Config {
        origin_url: Some("http://127.0.0.1:9".into()),
        rules: GatewayRules::parse(RULES).expect("rules parse"),
        ..Config::default()
    };
    let app = App {
        kv: &kv,
        db: &db,
        config: &config,
        now: now(),
        limiter: None,
        meter: None,
        certs: None,
    };
    let req = HttpRequest {
        method: method.into(),
        host: "127.0.0.1".into(),
        origin: String::new(),
        path: raw.clone(),
        headers: vec![("x-api-key".into(), token)],
        ..HttpRequest::default()
    };
    match pollster::block_on(app.handle(&req)) {
        Outcome::Forward(fwd) => {
            let c = canonical_form.expect("only a canonical path is forwarded");
            assert_eq!(
                fwd.url,
                format!("http://127.0.0.1:9{c}"),
                "forwarded as checked"
            );
            assert!(
                !under_role_rule(method, &c),
                "{method} {raw} reached the origin as {c} without the rule's role"
            );
        }
        Outcome::Respond(r) => {
            if canonical_form.is_err() {
                assert_eq!(r.status, 400, "{raw}");
            }
        }
        // `handle` reads a stream to its end natively.
        Outcome::ServeAdminAsset | Outcome::ServeFile(_) | Outcome::Stream(_) => {}
    }
}

/// See the module documentation.
pub fn record_roundtrip(data: &[u8]) {
    let f = fields(data, 3);
    let (kv, db) = (MemoryKv::default(), SqliteDb::new());
    let (admin, record) = key(2, &[ROLE_ADMIN]);
    pollster::block_on(Repo::new(&kv, &db).insert_unlimited(&record, now())).expect("seed");
    let config = Config::default();
    let app = App {
        kv: &kv,
        db: &db,
        config: &config,
        now: now(),
        limiter: None,
        meter: None,
        certs: None,
    };
    let expiry = match f[1].len() % 3 {
        0 => serde_json::json!({"expires_at": f[0]}),
        1 => serde_json::json!({"expires_in_days": f[0].trim().parse::<i64>().unwrap_or(0)}),
        _ => serde_json::json!({"expires_at": f[0], "organization": f[2]}),
    };
    let mut body = serde_json::json!({"name": "round trip"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), expiry.as_object()) {
        b.extend(e.clone());
    }
    let call = |method: &str, path: &str, body: &str| {
        let req = HttpRequest {
            method: method.into(),
            host: "127.0.0.1".into(),
            origin: String::new(),
            path: path.into(),
            headers: vec![("authorization".into(), format!("Bearer {admin}"))],
            body: body.as_bytes().to_vec(),
            ..HttpRequest::default()
        };
        match pollster::block_on(app.handle(&req)) {
            Outcome::Respond(r) => r,
            other => panic!("{other:?}"),
        }
    };
    let created = call("POST", "/api/v1/keys", &body.to_string());
    assert!(
        [201, 400, 403, 422].contains(&created.status),
        "create answered {}",
        created.status
    );
    // Whatever was stored reads back: every scan keeps working.
    for name in kv.keys().iter().filter(|k| k.starts_with("h/")) {
        let (raw, _) = kv.raw(name).expect("listed");
        serde_json::from_str::<KeyRecord>(&raw).expect("a stored record decodes");
    }
    assert_eq!(call("GET", "/api/v1/keys", "").status, 200);
    assert_eq!(call("GET", "/api/v1/keys/export.csv", "").status, 200);
    struct NoWebhook;
    impl lifecycle::Notifier for NoWebhook {
        async fn post_json(&self, _url: &str, _body: &str) -> Result<(), String> {
            Ok(())
        }
    }
    for later in [0, 400, 4000] {
        pollster::block_on(lifecycle::run(
            &Repo::new(&kv, &db),
            &NoWebhook,
            None,
            None,
            now() + Duration::days(later),
        ))
        .expect("the cron runs");
    }
}
