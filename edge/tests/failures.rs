//! A storage failure injected at every step of every write, in KV and in
//! D1: no state it leaves lets a revoked key verify, a 503 says "nothing
//! was changed" only when nothing was, and one reconciliation pass makes
//! KV match D1 again.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use chrono::{DateTime, Duration, TimeZone, Utc};
use keygate_edge::app::App;
use keygate_edge::config::Config;
use keygate_edge::http::{HttpRequest, Outcome};
use keygate_edge::repo::{Reconciled, Repo};
use keygate_edge::sql::{int, text, Db, Statement};
use keygate_edge::sqlite::SqliteDb;
use keygate_edge::store::MemoryKv;
use keygate_shared::model::{KeyRecord, ROLE_ADMIN};
use keygate_shared::{Prefix, Token};
use serde_json::Value;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
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

struct World {
    kv: MemoryKv,
    db: SqliteDb,
    config: Config,
    admin: String,
    target: KeyRecord,
    target_token: String,
}

/// Everything stored: KV entries and every row of both tables.
type Snapshot = (Vec<(String, String)>, Vec<(String, i64, String)>, i64);

impl World {
    fn new() -> Self {
        let (kv, db) = (MemoryKv::default(), SqliteDb::new());
        let repo = Repo::new(&kv, &db);
        let admin = Token::generate(&Prefix::default()).unwrap();
        pollster::block_on(repo.insert_unlimited(&record(&admin, "", &[ROLE_ADMIN]), now()))
            .unwrap();
        let token = Token::generate(&Prefix::default()).unwrap();
        let target = record(&token, "acme", &[]);
        pollster::block_on(repo.insert_unlimited(&target, now())).unwrap();
        Self {
            kv,
            db,
            config: Config {
                max_keys_per_org: 5,
                ..Config::default()
            },
            admin: admin.expose_secret().to_owned(),
            target,
            target_token: token.expose_secret().to_owned(),
        }
    }

    fn handle(&self, req: &HttpRequest) -> (u16, Value) {
        let app = App {
            kv: &self.kv,
            db: &self.db,
            config: &self.config,
            now: now(),
            limiter: None,
            meter: None,
            certs: None,
        };
        match pollster::block_on(app.handle(req)) {
            Outcome::Respond(r) => (
                r.status,
                serde_json::from_slice(&r.body).unwrap_or(Value::Null),
            ),
            other => panic!("expected a response, got {other:?}"),
        }
    }

    fn admin(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        self.handle(&HttpRequest {
            method: method.into(),
            host: "127.0.0.1".into(),
            origin: String::new(),
            path: path.into(),
            headers: vec![("authorization".into(), format!("Bearer {}", self.admin))],
            body: body.as_bytes().to_vec(),
            ..HttpRequest::default()
        })
    }

    fn verify_code(&self, token: &str) -> String {
        let (_, body) = self.handle(&HttpRequest {
            method: "POST".into(),
            host: "127.0.0.1".into(),
            origin: String::new(),
            path: "/api/v1/verify".into(),
            body: serde_json::json!({ "token": token })
                .to_string()
                .into_bytes(),
            ..HttpRequest::default()
        });
        body["code"].as_str().unwrap_or("").to_owned()
    }

    fn snapshot(&self) -> Snapshot {
        let kv = self
            .kv
            .keys()
            .into_iter()
            .map(|k| (k.clone(), self.kv.raw(&k).unwrap().0))
            .collect();
        let rows = pollster::block_on(self.db.query(Statement::new(
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
        .collect();
        let events = pollster::block_on(
            self.db
                .query(Statement::new("SELECT count(*) AS n FROM audit", vec![])),
        )
        .unwrap();
        (kv, rows, int(&events[0], "n").unwrap())
    }

    /// The target's row, if any.
    fn target_row(&self) -> Option<KeyRecord> {
        pollster::block_on(Repo::new(&self.kv, &self.db).entry_by_id(&self.target.id))
            .unwrap()
            .and_then(|e| e.record)
    }

    fn clear_failures(&self) {
        self.kv.failing.set(false);
        self.kv.fail_after.set(0);
        self.db.failing.set(false);
        self.db.fail_after.set(0);
    }

    /// KV holds exactly one projection per row, equal to its record.
    fn assert_consistent(&self, what: &str) {
        let (kv, rows, _) = self.snapshot();
        let projections: Vec<(String, String)> = kv
            .into_iter()
            .filter(|(k, _)| k.starts_with("h/"))
            .collect();
        let mut expected: Vec<(String, String)> = rows
            .iter()
            .map(|(_, _, json)| {
                let r: KeyRecord = serde_json::from_str(json).unwrap();
                (format!("h/{}", r.hash), json.clone())
            })
            .collect();
        expected.sort();
        assert_eq!(projections, expected, "{what}: KV does not match D1");
    }
}

const WRITES: [(&str, &str, &str); 8] = [
    ("POST", "/api/v1/keys", r#"{"name": "new"}"#),
    (
        "PATCH",
        "/api/v1/keys/{id}",
        r#"{"rate_limit": {"limit": 10, "period_seconds": 60}}"#,
    ),
    (
        "PATCH",
        "/api/v1/keys/{id}",
        r#"{"credits": {"remaining": 5}}"#,
    ),
    ("PATCH", "/api/v1/keys/{id}", r#"{"enabled": false}"#),
    (
        "PATCH",
        "/api/v1/keys/{id}",
        r#"{"name": "renamed", "ip_allowlist": ["10.0.0.0/8"]}"#,
    ),
    ("POST", "/api/v1/keys/{id}/roll", r#"{"grace_seconds": 60}"#),
    ("DELETE", "/api/v1/keys/{id}", ""),
    ("POST", "/api/v1/keys/bulk-delete", r#"{"ids": ["{id}"]}"#),
];

#[test]
fn every_failure_of_every_write_errs_safe_and_reconciles() {
    let mut partial_seen = 0;
    let mut repaired = Reconciled::default();
    for (method, path, body) in WRITES {
        for store in ["kv", "d1"] {
            let mut succeeded = false;
            for fail_at in 1..30 {
                let w = World::new();
                let before = w.snapshot();
                let path = path.replace("{id}", &w.target.id);
                let body = body.replace("{id}", &w.target.id);
                match store {
                    "kv" => w.kv.fail_after.set(fail_at),
                    _ => w.db.fail_after.set(fail_at),
                }
                let (status, answer) = w.admin(method, &path, &body);
                let failed = w.kv.failing.get() || w.db.failing.get();
                w.clear_failures();
                let what = format!("{method} {path} {body}, {store} failing at op {fail_at}");
                if status != 503 {
                    assert!(status < 300, "{what}: {answer}");
                    if failed {
                        // Only a create or roll answers a failure after its
                        // key was stored, to keep the token (see
                        // `a_stored_key_is_answered_with_its_token`); its
                        // projection waits for reconciliation.
                        assert!(answer["token"].is_string(), "{what}: {answer}");
                        pollster::block_on(Repo::new(&w.kv, &w.db).reconcile(now(), 1000)).unwrap();
                    }
                    w.assert_consistent(&what);
                    succeeded = true;
                    break;
                }
                let after = w.snapshot();
                let says_nothing = answer["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("nothing was changed");
                if before != after {
                    assert!(
                        !says_nothing,
                        "{what}: changed storage but said nothing changed"
                    );
                    partial_seen += 1;
                }
                // The source of truth decides: a key whose row is disabled
                // or gone never verifies, whatever KV was left holding.
                let code = w.verify_code(&w.target_token);
                match w.target_row() {
                    Some(r) if r.enabled => {
                        // Nor does a limit set in the row go missing from
                        // what verifies: no projection looser than its row.
                        if let Some(raw) = w.kv.raw(&format!("h/{}", r.hash)) {
                            let projected: KeyRecord = serde_json::from_str(&raw.0).unwrap();
                            assert!(
                                r.rate_limit.is_none() || projected.rate_limit == r.rate_limit,
                                "{what}: the projection lost the row's rate limit"
                            );
                            assert!(
                                r.credits.is_none() || projected.credits == r.credits,
                                "{what}: the projection lost the row's credits"
                            );
                        }
                    }
                    _ => assert_ne!(code, "VALID", "{what}: a revoked key verifies"),
                }
                let report =
                    pollster::block_on(Repo::new(&w.kv, &w.db).reconcile(now(), 1000)).unwrap();
                repaired.missing_written += report.missing_written;
                repaired.stale_rewritten += report.stale_rewritten;
                repaired.orphans_removed += report.orphans_removed;
                w.assert_consistent(&format!("{what}, after reconciliation"));
            }
            // Past its last storage step the write goes through: every
            // step of it had its failure injected above.
            assert!(
                succeeded,
                "{method} {path}: never succeeded with {store} failing late"
            );
        }
    }
    assert!(partial_seen > 0, "no failure landed mid-write");
    println!(
        "failure injection: {partial_seen} partial writes; reconciliation wrote {} missing, \
         rewrote {} stale, removed {} orphan projections",
        repaired.missing_written, repaired.stale_rewritten, repaired.orphans_removed
    );
    assert!(
        repaired.missing_written + repaired.stale_rewritten + repaired.orphans_removed > 0,
        "reconciliation never had anything to repair"
    );
}

/// A create or roll that stored its key answers with its token, whatever
/// fails after that (the audit event, the check for a write that landed
/// meanwhile): the token is shown only once, and a roll with no grace
/// period has already ended the old key. After reconciliation every token
/// answered verifies; a roll answered 503 has not cut the old key short.
#[test]
fn a_stored_key_is_answered_with_its_token() {
    let mut answered_after_failure = 0;
    for (path, body) in [
        ("/api/v1/keys", r#"{"name": "new"}"#),
        ("/api/v1/keys/{id}/roll", r#"{"grace_seconds": 0}"#),
    ] {
        for store in ["kv", "d1"] {
            for fail_at in 1..30 {
                let w = World::new();
                let path = path.replace("{id}", &w.target.id);
                match store {
                    "kv" => w.kv.fail_after.set(fail_at),
                    _ => w.db.fail_after.set(fail_at),
                }
                let (status, answer) = w.admin("POST", &path, body);
                let failed = w.kv.failing.get() || w.db.failing.get();
                w.clear_failures();
                let what = format!("POST {path}, {store} failing at op {fail_at}");
                pollster::block_on(Repo::new(&w.kv, &w.db).reconcile(now(), 1000)).unwrap();
                match status {
                    201 => {
                        let token = answer["token"].as_str().expect("a token");
                        assert_eq!(w.verify_code(token), "VALID", "{what}");
                        if failed {
                            answered_after_failure += 1;
                        }
                    }
                    503 if path.ends_with("/roll") => {
                        let row = w.target_row().expect("the old key is kept");
                        assert_eq!(
                            row.expires_at, w.target.expires_at,
                            "{what}: a 503 roll cut the old key short: {answer}"
                        );
                    }
                    503 => {}
                    other => panic!("{what}: {other} {answer}"),
                }
            }
        }
    }
    assert!(
        answered_after_failure > 0,
        "no failure came after a key was stored"
    );
}
