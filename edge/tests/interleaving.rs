//! Revocations are never undone (issue: trust holes, item 5). Each test
//! pauses one operation at a chosen storage call, runs another to the end
//! meanwhile, then lets the first finish, over the in-memory store: the
//! interleavings a real isolate (or two isolates) can produce at their
//! awaits, made deterministic, with gates on KV and on D1. Every path that
//! writes a key re-reads its row and writes only over the version it read,
//! and re-projects after, so the second operation's effect survives.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use base64::Engine;
use chrono::{DateTime, Duration, TimeZone, Utc};
use keygate_edge::app::App;
use keygate_edge::cache::{CachedKv, ReadCache};
use keygate_edge::config::Config;
use keygate_edge::http::{HttpRequest, Outcome};
use keygate_edge::lifecycle::{self, Notifier};
use keygate_edge::limiter::MemoryLimiter;
use keygate_edge::repo::Repo;
use keygate_edge::sql::{Db, Row, Statement};
use keygate_edge::sqlite::SqliteDb;
use keygate_edge::store::{Kv, ListPage, MemoryKv, PutOptions, StoreResult};
use keygate_shared::model::{KeyRecord, ROLE_ADMIN};
use keygate_shared::{Prefix, Token};
use p256::ecdsa::signature::Signer;
use p256::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::Value;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

/// A one-shot pause point: the first wait after [`Gate::arm`] is pending
/// until [`Gate::release`].
#[derive(Default)]
struct Gate {
    armed: RefCell<Option<(&'static str, String)>>,
    paused: Cell<bool>,
    released: Cell<bool>,
}

impl Gate {
    fn arm(&self, op: &'static str, key_prefix: &str) {
        *self.armed.borrow_mut() = Some((op, key_prefix.to_owned()));
    }

    async fn pass(&self, op: &str, key: &str) {
        let hit = matches!(&*self.armed.borrow(), Some((o, p)) if *o == op && key.starts_with(p.as_str()));
        if hit {
            self.armed.take();
            self.paused.set(true);
            std::future::poll_fn(|_| {
                if self.released.get() {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
            .await;
        }
    }
}

/// The in-memory store with a gate in front of every operation.
struct GatedKv<'a> {
    inner: &'a MemoryKv,
    gate: Gate,
}

/// Reads pause after reading (the answer is in flight), writes before
/// writing (the request is in flight).
impl Kv for GatedKv<'_> {
    async fn get(&self, key: &str) -> StoreResult<Option<String>> {
        let value = self.inner.get(key).await;
        self.gate.pass("get", key).await;
        value
    }
    async fn get_fresh(&self, key: &str) -> StoreResult<Option<String>> {
        let value = self.inner.get_fresh(key).await;
        self.gate.pass("get_fresh", key).await;
        value
    }
    async fn put(&self, key: &str, value: &str, options: PutOptions) -> StoreResult<()> {
        self.gate.pass("put", key).await;
        self.inner.put(key, value, options).await
    }
    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.gate.pass("delete", key).await;
        self.inner.delete(key).await
    }
    async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<ListPage> {
        self.gate.pass("list", prefix).await;
        self.inner.list(prefix, cursor, limit).await
    }
}

/// The in-memory D1 with a gate in front of every statement: a read
/// pauses after reading, a write (a batch, or an INSERT/UPDATE/DELETE
/// sent as a query for its RETURNING rows) before writing, both as
/// "batch"; the gate matches on the start of the (first) statement's SQL.
struct GatedDb<'a> {
    inner: &'a SqliteDb,
    gate: Gate,
}

impl Db for GatedDb<'_> {
    async fn query(&self, statement: Statement) -> StoreResult<Vec<Row>> {
        let sql = statement.sql.clone();
        if ["INSERT", "UPDATE", "DELETE"]
            .iter()
            .any(|w| sql.starts_with(w))
        {
            self.gate.pass("batch", &sql).await;
            return self.inner.query(statement).await;
        }
        let rows = self.inner.query(statement).await;
        self.gate.pass("query", &sql).await;
        rows
    }
    async fn batch(&self, statements: Vec<Statement>) -> StoreResult<Vec<u64>> {
        let sql = statements
            .first()
            .map(|s| s.sql.clone())
            .unwrap_or_default();
        self.gate.pass("batch", &sql).await;
        self.inner.batch(statements).await
    }
}

/// Runs `first` until it waits at `gate`; then `second` as far as it
/// goes (to the end, or until it waits for `first`, e.g. for its turn to
/// write); then both, alternately, to the end.
fn interleave<A: Future, B: Future>(gate: &Gate, first: A, second: B) -> (A::Output, B::Output) {
    let mut first = pin!(first);
    let mut second = pin!(second);
    let mut cx = Context::from_waker(Waker::noop());
    let mut a = None;
    let mut b = None;
    assert!(
        first.as_mut().poll(&mut cx).is_pending(),
        "first op never reached the gate"
    );
    assert!(
        gate.paused.get(),
        "first op is pending elsewhere than at the gate"
    );
    for _ in 0..1000 {
        if let Poll::Ready(out) = second.as_mut().poll(&mut cx) {
            b = Some(out);
            break;
        }
    }
    gate.released.set(true);
    for _ in 0..100_000 {
        if a.is_none() {
            if let Poll::Ready(out) = first.as_mut().poll(&mut cx) {
                a = Some(out);
            }
        }
        if b.is_none() {
            if let Poll::Ready(out) = second.as_mut().poll(&mut cx) {
                b = Some(out);
            }
        }
        if let (Some(_), Some(_)) = (&a, &b) {
            break;
        }
    }
    (
        a.expect("first op finished"),
        b.expect("second op finished"),
    )
}

struct World {
    kv: MemoryKv,
    db: SqliteDb,
    config: Config,
    admin: String,
    signer: p256::ecdsa::SigningKey,
}

fn record(token: &Token, org: &str, roles: &[&str], expires_in_days: i64) -> KeyRecord {
    KeyRecord {
        name: "fixture".into(),
        organization: org.parse().unwrap(),
        roles: roles.iter().map(|r| r.parse().unwrap()).collect(),
        expires_at: Some(now() + Duration::days(expires_in_days)),
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
        let admin = Token::generate(&Prefix::default()).unwrap();
        pollster::block_on(
            Repo::new(&kv, &db).insert_unlimited(&record(&admin, "", &[ROLE_ADMIN], 365), now()),
        )
        .unwrap();
        let signer = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let pem = signer
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        let doc = serde_json::json!({"public_keys": [{"key_identifier": "k1", "key": pem, "is_current": true}]});
        let config = Config {
            origin_url: Some("http://127.0.0.1:9".into()),
            github_secret_scanning_keys: Some(doc.to_string()),
            ..Config::default()
        };
        Self {
            kv,
            db,
            config,
            admin: admin.expose_secret().to_owned(),
            signer,
        }
    }

    /// A key in `acme` expiring in `days` days; returns (record, token).
    fn key(&self, days: i64) -> (KeyRecord, String) {
        let token = Token::generate(&Prefix::default()).unwrap();
        let r = record(&token, "acme", &["calls:read"], days);
        pollster::block_on(Repo::new(&self.kv, &self.db).insert_unlimited(&r, now())).unwrap();
        (r, token.expose_secret().to_owned())
    }

    fn admin_req(&self, method: &str, path: &str, body: &str) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            host: "127.0.0.1".into(),
            origin: String::new(),
            path: path.into(),
            headers: vec![("authorization".into(), format!("Bearer {}", self.admin))],
            body: body.as_bytes().to_vec(),
            ..HttpRequest::default()
        }
    }

    fn leak_req(&self, token: &str) -> HttpRequest {
        let body = serde_json::json!([{"token": token, "type": "kg_token", "url": "https://example.invalid/x", "source": "content"}]).to_string();
        let sig: p256::ecdsa::Signature = self.signer.sign(body.as_bytes());
        let sig = base64::engine::general_purpose::STANDARD.encode(sig.to_der().as_bytes());
        HttpRequest {
            method: "POST".into(),
            host: "127.0.0.1".into(),
            origin: String::new(),
            path: "/api/v1/secret-scanning/github".into(),
            headers: vec![
                ("github-public-key-identifier".into(), "k1".into()),
                ("github-public-key-signature".into(), sig),
            ],
            body: body.into_bytes(),
            ..HttpRequest::default()
        }
    }

    /// The ids of every key row, sorted.
    fn row_ids(&self) -> Vec<String> {
        let rows = pollster::block_on(
            self.db
                .query(Statement::new("SELECT id FROM keys ORDER BY id", vec![])),
        )
        .unwrap();
        rows.iter()
            .map(|r| keygate_edge::sql::text(r, "id").unwrap().to_owned())
            .collect()
    }

    /// Key `r`'s projection (KV) and row (D1), decoded.
    fn stored(&self, r: &KeyRecord) -> (Option<KeyRecord>, Option<KeyRecord>) {
        let projection = self
            .kv
            .raw(&format!("h/{}", r.hash))
            .map(|(v, _)| serde_json::from_str(&v).unwrap());
        let row = pollster::block_on(Repo::new(&self.kv, &self.db).entry_by_id(&r.id))
            .unwrap()
            .map(|e| e.record.unwrap());
        (projection, row)
    }
}

/// `POST /api/v1/verify` of `token`.
fn verify_req(token: &str) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        host: "127.0.0.1".into(),
        origin: String::new(),
        path: "/api/v1/verify".into(),
        body: serde_json::json!({ "token": token })
            .to_string()
            .into_bytes(),
        ..HttpRequest::default()
    }
}

fn app<'a, K: Kv, D: Db>(kv: &'a K, db: &'a D, config: &'a Config) -> App<'a, K, D> {
    App {
        kv,
        db,
        config,
        now: now(),
        limiter: None,
        meter: None,
        certs: None,
    }
}

fn status(o: &Outcome) -> u16 {
    match o {
        Outcome::Respond(r) => r.status,
        other => panic!("expected a response, got {other:?}"),
    }
}

fn body(o: &Outcome) -> Value {
    match o {
        Outcome::Respond(r) => serde_json::from_slice(&r.body).unwrap_or(Value::Null),
        other => panic!("expected a response, got {other:?}"),
    }
}

/// Delivers notices, pausing at the first one.
struct PausingWebhook(Gate);

impl Notifier for PausingWebhook {
    async fn post_json(&self, url: &str, _body: &str) -> Result<(), String> {
        self.0.pass("post", url).await;
        Ok(())
    }
}

/// The cron's key list is a snapshot; its webhook call takes a while.
/// A disable, a roll or a delete made meanwhile stays made.
#[test]
fn cron_notices_never_undo_a_disable_roll_or_delete() {
    for change in ["disable", "roll", "delete"] {
        let w = World::new();
        // Created 100 days ago, 6 days left: due for its 7-day notice.
        let token = Token::generate(&Prefix::default()).unwrap();
        let mut key = record(&token, "acme", &["calls:read"], 6);
        key.created_at = now() - Duration::days(100);
        let repo = Repo::new(&w.kv, &w.db);
        pollster::block_on(repo.insert_unlimited(&key, now())).unwrap();
        let hook = PausingWebhook(Gate::default());
        hook.0.arm("post", "");
        let cron = lifecycle::run(&repo, &hook, Some("http://127.0.0.1:9/hook"), None, now());
        let a = app(&w.kv, &w.db, &w.config);
        let (path, method, body) = match change {
            "disable" => (
                format!("/api/v1/keys/{}", key.id),
                "PATCH",
                r#"{"enabled": false}"#,
            ),
            "roll" => (
                format!("/api/v1/keys/{}/roll", key.id),
                "POST",
                r#"{"grace_seconds": 60}"#,
            ),
            _ => (format!("/api/v1/keys/{}", key.id), "DELETE", ""),
        };
        let req = w.admin_req(method, &path, body);
        let (report, answer) = interleave(&hook.0, cron, a.handle(&req));
        assert!(status(&answer) < 300, "{change}: {:?}", body_of(&answer));
        let report = report.unwrap();
        let (by_hash, by_id) = w.stored(&key);
        match change {
            "disable" => {
                for r in [by_hash.unwrap(), by_id.unwrap()] {
                    assert!(!r.enabled, "disable undone by the cron");
                    assert_eq!(r.notified_days, [30, 14, 7], "bookkeeping still written");
                }
            }
            "roll" => {
                for r in [by_hash.unwrap(), by_id.unwrap()] {
                    assert_eq!(
                        r.expires_at,
                        Some(now() + Duration::seconds(60)),
                        "roll undone by the cron"
                    );
                }
            }
            _ => {
                assert_eq!((by_hash, by_id), (None, None), "deleted key brought back");
                assert!(
                    report.notified.is_empty(),
                    "no notice recorded for a deleted key"
                );
            }
        }
    }
}

fn body_of(o: &Outcome) -> String {
    body(o).to_string()
}

/// An edit read the key before a leak report disabled it, and writes
/// after: the key ends disabled, with the edit applied.
#[test]
fn a_leak_response_always_ends_with_the_key_disabled() {
    let w = World::new();
    let (key, token) = w.key(30);
    let gated = GatedDb {
        inner: &w.db,
        gate: Gate::default(),
    };
    // The edit has read the row and waits for the answer; the leak report
    // arrives meanwhile.
    gated.gate.arm("query", "SELECT version, record");
    let edit = w.admin_req(
        "PATCH",
        &format!("/api/v1/keys/{}", key.id),
        r#"{"name": "renamed", "ip_allowlist": ["10.0.0.0/8"]}"#,
    );
    let leak = w.leak_req(&token);
    let edit_app = app(&w.kv, &gated, &w.config);
    let leak_app = app(&w.kv, &w.db, &w.config);
    let (edited, leaked) = interleave(&gated.gate, edit_app.handle(&edit), leak_app.handle(&leak));
    assert_eq!(status(&leaked), 200);
    assert_eq!(body(&leaked)[0]["label"], "true_positive");
    assert_eq!(status(&edited), 200, "{}", body_of(&edited));
    let (by_hash, by_id) = w.stored(&key);
    for r in [by_hash.unwrap(), by_id.unwrap()] {
        assert!(!r.enabled, "leak response undone");
        assert_eq!(
            (r.name.as_str(), r.ip_allowlist.as_slice()),
            ("renamed", &["10.0.0.0/8".to_owned()][..])
        );
    }
    // The other way round: the leak response has looked the key up and
    // waits; an edit runs meanwhile; the leak then disables over it.
    let (key, token) = w.key(30);
    let gated = GatedDb {
        inner: &w.db,
        gate: Gate::default(),
    };
    gated.gate.arm("query", "SELECT version, record");
    let leak_app = app(&w.kv, &gated, &w.config);
    let edit = w.admin_req(
        "PATCH",
        &format!("/api/v1/keys/{}", key.id),
        r#"{"description": "d"}"#,
    );
    let edit_app = app(&w.kv, &w.db, &w.config);
    let (leaked, edited) = interleave(
        &gated.gate,
        leak_app.handle(&w.leak_req(&token)),
        edit_app.handle(&edit),
    );
    assert_eq!((status(&leaked), status(&edited)), (200, 200));
    let (by_hash, by_id) = w.stored(&key);
    for r in [by_hash.unwrap(), by_id.unwrap()] {
        assert!(!r.enabled);
        assert_eq!(r.description, "d");
    }
}

/// A stale isolate cache (it verified the key before another isolate
/// rolled it) never feeds a write: the leak response reads storage.
#[test]
fn a_stale_cache_never_feeds_a_write() {
    let w = World::new();
    let (key, token) = w.key(300);
    let cache = ReadCache::default();
    let cached = CachedKv::new(&w.kv, &cache, now().timestamp_millis(), 60);
    let verify = verify_req(&token);
    assert_eq!(
        body(&pollster::block_on(
            app(&cached, &w.db, &w.config).handle(&verify)
        ))["code"],
        "VALID"
    );
    // Another isolate (no shared cache) rolls the key with 60 s of grace.
    let roll = w.admin_req(
        "POST",
        &format!("/api/v1/keys/{}/roll", key.id),
        r#"{"grace_seconds": 60}"#,
    );
    assert_eq!(
        status(&pollster::block_on(
            app(&w.kv, &w.db, &w.config).handle(&roll)
        )),
        201
    );
    // This isolate, cache still fresh, gets the leak report.
    let leaked = pollster::block_on(app(&cached, &w.db, &w.config).handle(&w.leak_req(&token)));
    assert_eq!(status(&leaked), 200);
    let (by_hash, by_id) = w.stored(&key);
    for r in [by_hash.unwrap(), by_id.unwrap()] {
        assert!(!r.enabled);
        assert_eq!(
            r.expires_at,
            Some(now() + Duration::seconds(60)),
            "the roll's expiry was overwritten"
        );
    }
    // The write evicted this isolate's entry: it verifies as stored.
    assert_eq!(
        body(&pollster::block_on(
            app(&cached, &w.db, &w.config).handle(&verify)
        ))["code"],
        "DISABLED"
    );
}

/// A read of `h/` in flight while this isolate writes the key must not
/// put the old value back into the cache.
#[test]
fn a_read_in_flight_during_a_write_is_not_cached() {
    let w = World::new();
    let (key, token) = w.key(30);
    let gated = GatedKv {
        inner: &w.kv,
        gate: Gate::default(),
    };
    let cache = ReadCache::default();
    let cached = CachedKv::new(&gated, &cache, now().timestamp_millis(), 60);
    let verify = verify_req(&token);
    gated.gate.arm("get", "h/");
    let a = app(&cached, &w.db, &w.config);
    let disable = w.admin_req(
        "PATCH",
        &format!("/api/v1/keys/{}", key.id),
        r#"{"enabled": false}"#,
    );
    let (verified, disabled) = interleave(&gated.gate, a.handle(&verify), a.handle(&disable));
    assert_eq!(status(&disabled), 200);
    // The read began before the disable: it may answer VALID once…
    assert_eq!(body(&verified)["code"], "VALID");
    // …but the next verification in this isolate sees the disable.
    assert_eq!(
        body(&pollster::block_on(a.handle(&verify)))["code"],
        "DISABLED"
    );
}

/// A delete while an edit is half-way (it has written `h/`, not yet
/// `k/`), or while a roll has not yet stored its copy: the key is gone
/// afterwards, with no verifiable trace and no copy.
#[test]
fn a_deleted_key_is_never_brought_back() {
    let w = World::new();
    let (key, token) = w.key(30);
    let gated = GatedKv {
        inner: &w.kv,
        gate: Gate::default(),
    };
    // The edit has committed its row and is about to write the projection.
    gated.gate.arm("put", "h/");
    let edit = w.admin_req(
        "PATCH",
        &format!("/api/v1/keys/{}", key.id),
        r#"{"name": "late"}"#,
    );
    let delete = w.admin_req("DELETE", &format!("/api/v1/keys/{}", key.id), "");
    let other = app(&w.kv, &w.db, &w.config);
    let (edited, deleted) = interleave(
        &gated.gate,
        app(&gated, &w.db, &w.config).handle(&edit),
        other.handle(&delete),
    );
    assert_eq!(
        (status(&edited), status(&deleted)),
        (200, 204),
        "{}",
        body_of(&edited)
    );
    assert_eq!(
        w.stored(&key),
        (None, None),
        "the edit brought the key back"
    );
    let verify = verify_req(&token);
    assert_eq!(
        body(&pollster::block_on(other.handle(&verify)))["code"],
        "UNKNOWN_KEY"
    );

    // Roll: about to store the copy when the original is deleted.
    let (key, _) = w.key(30);
    let gated = GatedDb {
        inner: &w.db,
        gate: Gate::default(),
    };
    gated.gate.arm("batch", "INSERT INTO keys");
    let roll = w.admin_req("POST", &format!("/api/v1/keys/{}/roll", key.id), "{}");
    let delete = w.admin_req("DELETE", &format!("/api/v1/keys/{}", key.id), "");
    let keys_before: Vec<String> =
        w.kv.keys()
            .into_iter()
            .filter(|k| !k.contains(&key.hash))
            .collect();
    let rows_before = w.row_ids();
    let (rolled, deleted) = interleave(
        &gated.gate,
        app(&w.kv, &gated, &w.config).handle(&roll),
        other.handle(&delete),
    );
    assert_eq!(
        (status(&rolled), status(&deleted)),
        (404, 204),
        "{}",
        body_of(&rolled)
    );
    assert_eq!(w.kv.keys(), keys_before, "no projection of a copy is left");
    let mut rows_after = w.row_ids();
    rows_after.push(key.id.to_string());
    rows_after.sort();
    assert_eq!(rows_after, rows_before, "no row of a copy is left");
}

/// A limited key deleted while a roll of it runs: the delete sees the
/// copy (which spends the original's limiter) and keeps the limiter; the
/// roll then finds the original gone, removes its copy, and has the
/// limiter forgotten itself. Otherwise the limiter would keep its counts
/// and its storage forever.
#[test]
fn a_roll_that_loses_to_a_delete_has_the_shared_limiter_forgotten() {
    let w = World::new();
    let token = Token::generate(&Prefix::default()).unwrap();
    let mut key = record(&token, "acme", &["calls:read"], 30);
    key.rate_limit = Some(keygate_shared::usage::RateLimit {
        limit: 5,
        period_seconds: 60,
    });
    pollster::block_on(Repo::new(&w.kv, &w.db).insert_unlimited(&key, now())).unwrap();
    let limiter = MemoryLimiter::default();
    let gated = GatedDb {
        inner: &w.db,
        gate: Gate::default(),
    };
    // The copy is stored; the roll is about to shorten the original.
    gated.gate.arm("batch", "UPDATE keys");
    let roll = w.admin_req(
        "POST",
        &format!("/api/v1/keys/{}/roll", key.id),
        r#"{"grace_seconds": 600}"#,
    );
    let delete = w.admin_req("DELETE", &format!("/api/v1/keys/{}", key.id), "");
    let mut rolling = app(&w.kv, &gated, &w.config);
    rolling.limiter = Some(&limiter);
    let mut other = app(&w.kv, &w.db, &w.config);
    other.limiter = Some(&limiter);
    let before = w.row_ids();
    let (rolled, deleted) = interleave(&gated.gate, rolling.handle(&roll), other.handle(&delete));
    assert_eq!(
        (status(&rolled), status(&deleted)),
        (404, 204),
        "{}",
        body_of(&rolled)
    );
    let mut after = w.row_ids();
    after.push(key.id.to_string());
    after.sort();
    assert_eq!(after, before, "no row of the copy is left");
    assert_eq!(
        *limiter.forgotten.borrow(),
        [key.id.as_str()],
        "the shared limiter is forgotten once, by the roll"
    );
}

/// A disable or narrower allowlist that reaches the original while a roll
/// is storing its copy reaches the copy too.
#[test]
fn a_roll_copies_what_was_revoked_meanwhile() {
    let w = World::new();
    let (key, _) = w.key(30);
    let gated = GatedDb {
        inner: &w.db,
        gate: Gate::default(),
    };
    // The roll has built its copy and is about to store it.
    gated.gate.arm("batch", "INSERT INTO keys");
    let roll = w.admin_req(
        "POST",
        &format!("/api/v1/keys/{}/roll", key.id),
        r#"{"grace_seconds": 600}"#,
    );
    let revoke = w.admin_req(
        "PATCH",
        &format!("/api/v1/keys/{}", key.id),
        r#"{"enabled": false, "ip_allowlist": ["10.0.0.0/8"]}"#,
    );
    let other = app(&w.kv, &w.db, &w.config);
    let (rolled, revoked) = interleave(
        &gated.gate,
        app(&w.kv, &gated, &w.config).handle(&roll),
        other.handle(&revoke),
    );
    assert_eq!(
        (status(&rolled), status(&revoked)),
        (201, 200),
        "{}",
        body_of(&rolled)
    );
    let new_id = body(&rolled)["key"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body(&rolled)["key"]["status"], "disabled");
    let copy = pollster::block_on(Repo::new(&w.kv, &w.db).entry_by_id(&new_id))
        .unwrap()
        .unwrap()
        .record
        .unwrap();
    let by_hash: KeyRecord =
        serde_json::from_str(&w.kv.raw(&format!("h/{}", copy.hash)).unwrap().0).unwrap();
    for r in [copy, by_hash] {
        assert!(!r.enabled, "the copy escaped the revocation");
        assert_eq!(r.ip_allowlist, ["10.0.0.0/8"]);
    }
}

/// Two rolls of one key at once: the first to shorten the original wins,
/// the other takes its copy back and names the winner's, so a key is
/// never rolled twice (whose second copy would inherit the grace
/// period's end as its expiry).
#[test]
fn of_two_rolls_at_once_one_stands() {
    let w = World::new();
    let (key, _) = w.key(30);
    let gated = GatedDb {
        inner: &w.db,
        gate: Gate::default(),
    };
    // The first roll has read the original and is about to store its copy.
    gated.gate.arm("batch", "INSERT INTO keys");
    let roll = w.admin_req(
        "POST",
        &format!("/api/v1/keys/{}/roll", key.id),
        r#"{"grace_seconds": 600}"#,
    );
    let before = w.row_ids();
    let other = app(&w.kv, &w.db, &w.config);
    let (first, second) = interleave(
        &gated.gate,
        app(&w.kv, &gated, &w.config).handle(&roll),
        other.handle(&roll),
    );
    assert_eq!(
        (status(&first), status(&second)),
        (422, 201),
        "{}",
        body_of(&first)
    );
    let winner = body(&second)["key"]["id"].as_str().unwrap().to_owned();
    assert!(
        body_of(&first).contains(&winner),
        "the refusal names the copy that stands: {}",
        body_of(&first)
    );
    let mut expected = before;
    expected.push(winner.clone());
    expected.sort();
    assert_eq!(w.row_ids(), expected, "only the winner's copy is stored");
    let original = pollster::block_on(Repo::new(&w.kv, &w.db).entry_by_id(key.id.as_str()))
        .unwrap()
        .unwrap()
        .record
        .unwrap();
    assert_eq!(original.rolled_to.map(|id| id.to_string()), Some(winner));
    assert_eq!(original.expires_at, Some(now() + Duration::seconds(600)));
}
