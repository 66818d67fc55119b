//! Usage controls natively (§9): the limiter's verdicts through the verify
//! endpoint and the gateway (codes, statuses, headers, answer objects),
//! no limiter call and no D1 call for a key without limits, a limiter
//! that cannot be reached is a 503, credits reset by an edit, usage and
//! last use written by the meter's flush and read back by the usage
//! endpoint, the list's sort and filter by last use.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use chrono::{DateTime, Duration, TimeZone, Utc};
use keygate_edge::app::App;
use keygate_edge::config::Config;
use keygate_edge::http::{HttpRequest, Outcome};
use keygate_edge::limiter::MemoryLimiter;
use keygate_edge::repo::Repo;
use keygate_edge::sql::{Db, Statement};
use keygate_edge::sqlite::SqliteDb;
use keygate_edge::store::{Kv, MemoryKv};
use keygate_edge::usage::UsageMeter;
use keygate_shared::model::{KeyRecord, ROLE_ADMIN};
use keygate_shared::policy::GatewayRules;
use keygate_shared::usage::{Credits, Interval, RateLimit, Refill};
use keygate_shared::{AuditAction, KeyId, Prefix, Token};
use serde_json::{json, Value};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 30).unwrap()
}

fn record(token: &Token, roles: &[&str]) -> KeyRecord {
    KeyRecord {
        name: "limited".into(),
        organization: "acme".parse().unwrap(),
        roles: roles.iter().map(|r| r.parse().unwrap()).collect(),
        expires_at: Some(now() + Duration::days(30)),
        ..KeyRecord::minted(
            KeyId::generate().unwrap(),
            token,
            now() - Duration::days(1),
            "bootstrap",
        )
    }
}

struct World {
    kv: MemoryKv,
    db: SqliteDb,
    limiter: MemoryLimiter,
    meter: UsageMeter,
    config: Config,
    admin: String,
    with_limiter: bool,
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl World {
    fn new() -> Self {
        let w = Self {
            kv: MemoryKv::default(),
            db: SqliteDb::new(),
            limiter: MemoryLimiter::default(),
            meter: UsageMeter::default(),
            config: Config {
                origin_url: Some("http://127.0.0.1:9".into()),
                rules: GatewayRules::parse(r#"[{"path": "/heavy/", "cost": 5}]"#).unwrap(),
                ..Config::default()
            },
            admin: String::new(),
            with_limiter: true,
        };
        let token = Token::generate(&Prefix::default()).unwrap();
        let mut admin = record(&token, &[ROLE_ADMIN]);
        admin.organization = "".parse().unwrap();
        w.insert(&admin);
        Self {
            admin: token.expose_secret().to_owned(),
            ..w
        }
    }

    fn insert(&self, r: &KeyRecord) {
        pollster::block_on(Repo::new(&self.kv, &self.db).insert_unlimited(r, now())).unwrap();
    }

    /// A key with `rate_limit` and `credits`; its token.
    fn key(&self, rate_limit: Option<RateLimit>, credits: Option<Credits>) -> (KeyRecord, String) {
        let token = Token::generate(&Prefix::default()).unwrap();
        let mut r = record(&token, &[]);
        r.rate_limit = rate_limit;
        r.credits = credits;
        r.credits_set_at = credits.map(|_| now() - Duration::hours(1));
        self.insert(&r);
        (r, token.expose_secret().to_owned())
    }

    fn send_at(
        &self,
        at: DateTime<Utc>,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Outcome {
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
            now: at,
            limiter: self.with_limiter.then_some(&self.limiter as _),
            meter: Some(&self.meter),
            certs: None,
        };
        pollster::block_on(app.handle(&req))
    }

    fn answer(outcome: Outcome) -> Answer {
        match outcome {
            Outcome::Respond(r) => Answer {
                status: r.status,
                body: serde_json::from_slice(&r.body).unwrap_or(Value::Null),
                headers: r.headers,
            },
            Outcome::Forward(f) => Answer {
                status: 0,
                headers: f.response_headers,
                body: Value::Null,
            },
            other => panic!("{other:?}"),
        }
    }

    fn verify_at(&self, at: DateTime<Utc>, token: &str, cost: Option<u32>) -> Answer {
        let mut body = json!({ "token": token });
        if let Some(c) = cost {
            body["cost"] = json!(c);
        }
        Self::answer(self.send_at(at, "POST", "/api/v1/verify", &[], &body.to_string()))
    }

    fn verify(&self, token: &str) -> Answer {
        self.verify_at(now(), token, None)
    }

    fn gateway(&self, path: &str, token: &str) -> Answer {
        Self::answer(self.send_at(now(), "GET", path, &[("x-api-key", token)], ""))
    }

    fn admin(&self, method: &str, path: &str, body: &str) -> Answer {
        let auth = format!("Bearer {}", self.admin);
        Self::answer(self.send_at(now(), method, path, &[("authorization", &auth)], body))
    }

    fn flush(&self) {
        let batch = self
            .meter
            .take_due(now(), 0, true)
            .expect("something counted");
        pollster::block_on(Repo::new(&self.kv, &self.db).write_usage(&batch)).unwrap();
    }
}

#[test]
fn a_key_without_limits_makes_no_limiter_or_d1_call() {
    let w = World::new();
    let (_, token) = w.key(None, None);
    let (kv0, d1_0) = (w.kv.counts.get(), w.db.calls.get());
    let a = w.verify(&token);
    assert_eq!(a.body["code"], "VALID");
    assert!(a.body.get("rate_limit").is_none() && a.body.get("credits").is_none());
    let kv1 = w.kv.counts.get();
    assert_eq!(
        (kv1.0 - kv0.0, kv1.1 - kv0.1, kv1.2 - kv0.2, kv1.3 - kv0.3),
        (1, 0, 0, 0),
        "one KV get"
    );
    assert_eq!(
        w.db.calls.get() - d1_0,
        0,
        "no D1 call on the verification path"
    );
    assert_eq!(w.limiter.calls.get(), 0, "no limiter call");
    // Through the gateway too, with no RateLimit headers.
    let g = w.gateway("/anything", &token);
    assert_eq!(g.status, 0, "forwarded");
    assert!(g.headers.is_empty());
    assert_eq!(w.limiter.calls.get(), 0);
}

#[test]
fn credits_are_spent_exactly_and_refused_with_429_and_retry_after() {
    let w = World::new();
    let credits = Credits {
        remaining: 3,
        refill: Some(Refill {
            amount: 10,
            interval: Interval::Daily,
        }),
    };
    let (key, token) = w.key(None, Some(credits));
    let codes: Vec<Value> = (0..5)
        .map(|_| w.verify(&token).body["code"].clone())
        .collect();
    assert_eq!(
        codes,
        [
            "VALID",
            "VALID",
            "VALID",
            "USAGE_EXCEEDED",
            "USAGE_EXCEEDED"
        ]
    );
    assert_eq!(w.limiter.calls.get(), 5);
    let a = w.verify(&token);
    assert_eq!(
        (
            a.body["valid"].clone(),
            a.body["credits"]["remaining"].clone()
        ),
        (json!(false), json!(0))
    );
    let g = w.gateway("/anything", &token);
    assert_eq!(g.status, 429);
    assert_eq!(g.body["error"]["code"], "USAGE_EXCEEDED");
    // Refilled at 00:00 UTC: 11 h 59 min 30 s from now.
    assert_eq!(g.header("retry-after"), Some("43170"));
    // The day after, refilled to 10; a cost of 4 spends 4.
    let tomorrow = now() + Duration::days(1);
    let b = w.verify_at(tomorrow, &token, Some(4));
    assert_eq!(
        (
            b.body["code"].clone(),
            b.body["credits"]["remaining"].clone()
        ),
        (json!("VALID"), json!(6))
    );
    let c = w.verify_at(tomorrow, &token, Some(1001));
    assert_eq!(
        (c.status, c.body["error"]["field"].clone()),
        (422, json!("cost"))
    );
    // An administrator sets credits again: the count restarts there.
    let patched = w.admin(
        "PATCH",
        &format!("/api/v1/keys/{}", key.id),
        &json!({"credits": {"remaining": 2, "refill": null}}).to_string(),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["credits"]["remaining"], 2);
    let codes: Vec<Value> = (0..3)
        .map(|_| w.verify(&token).body["code"].clone())
        .collect();
    assert_eq!(codes, ["VALID", "VALID", "USAGE_EXCEEDED"]);
}

#[test]
fn a_rate_limit_refuses_past_its_limit_with_ratelimit_headers() {
    let w = World::new();
    let (_, token) = w.key(
        Some(RateLimit {
            limit: 2,
            period_seconds: 60,
        }),
        None,
    );
    let first = w.gateway("/anything", &token);
    assert_eq!(first.status, 0, "forwarded");
    assert_eq!(
        first.header("ratelimit-policy"),
        Some("\"keygate\";q=2;w=60")
    );
    assert_eq!(first.header("ratelimit"), Some("\"keygate\";r=1;t=30"));
    let second = w.verify(&token);
    assert_eq!(
        second.body["rate_limit"],
        json!({"limit": 2, "remaining": 0, "reset": 30})
    );
    let third = w.gateway("/anything", &token);
    assert_eq!(
        (third.status, third.body["error"]["code"].clone()),
        (429, json!("RATE_LIMITED"))
    );
    assert_eq!(third.header("retry-after"), Some("30"));
    assert_eq!(third.header("ratelimit"), Some("\"keygate\";r=0;t=30"));
    // A rule's cost is what the gateway spends.
    let (_, metered) = w.key(
        None,
        Some(Credits {
            remaining: 7,
            refill: None,
        }),
    );
    assert_eq!(w.gateway("/heavy/x", &metered).status, 0);
    assert_eq!(
        w.verify_at(now(), &metered, Some(0)).body["credits"]["remaining"],
        2
    );
    assert_eq!(
        w.gateway("/heavy/x", &metered).status,
        429,
        "2 left, the rule costs 5"
    );
}

#[test]
fn a_limiter_that_cannot_be_reached_never_lets_a_limited_key_pass() {
    let mut w = World::new();
    let (_, limited) = w.key(
        None,
        Some(Credits {
            remaining: 100,
            refill: None,
        }),
    );
    let (_, plain) = w.key(None, None);
    w.limiter.failing.set(true);
    let a = w.verify(&limited);
    assert_eq!(
        (a.status, a.body["error"]["code"].clone()),
        (503, json!("UNAVAILABLE"))
    );
    assert_eq!(w.gateway("/anything", &limited).status, 503);
    assert_eq!(
        w.verify(&plain).body["code"],
        "VALID",
        "keys without limits are unaffected"
    );
    // No limiter bound at all: the same.
    w.limiter.failing.set(false);
    w.with_limiter = false;
    assert_eq!(w.verify(&limited).status, 503);
    assert_eq!(w.verify(&plain).body["code"], "VALID");
}

#[test]
fn usage_and_last_use_are_counted_flushed_and_reported() {
    let w = World::new();
    let (key, token) = w.key(
        None,
        Some(Credits {
            remaining: 2,
            refill: None,
        }),
    );
    let (idle, _) = w.key(None, None);
    for _ in 0..4 {
        let _ = w.verify(&token);
    }
    w.flush();
    let usage = w.admin("GET", &format!("/api/v1/keys/{}/usage?days=7", key.id), "");
    assert_eq!(usage.status, 200, "{}", usage.body);
    let days = usage.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(
        days[6],
        json!({"date": "2026-12-01", "valid": 2, "rejected": {"USAGE_EXCEEDED": 2}})
    );
    assert_eq!(days[0]["date"], "2026-11-25");
    assert_eq!(days[0]["valid"], 0);
    // Last use and credits left, as reported, in the key's view.
    let got = w.admin("GET", &format!("/api/v1/keys/{}", key.id), "");
    assert_eq!(got.body["credits"]["remaining"], 0);
    assert!(got.body["last_used_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-12-01T12:00:30"));
    // One key.credits_exhausted event, not one per refusal.
    let audit = w.admin(
        "GET",
        &format!(
            "/api/v1/audit?key_id={}&action=key.credits_exhausted",
            key.id
        ),
        "",
    );
    assert_eq!(audit.body["events"].as_array().unwrap().len(), 1);
    assert_eq!(
        audit.body["events"][0]["action"],
        AuditAction::CreditsExhausted.as_str()
    );
    // Sorted and filtered by last use: never used first, "unused for 7
    // days" is the idle key (and the admin key) only.
    let sorted = w.admin(
        "GET",
        "/api/v1/keys?organization=acme&sort=-last_used_at",
        "",
    );
    assert_eq!(sorted.body["keys"][0]["id"], json!(key.id));
    let unused = w.admin("GET", "/api/v1/keys?organization=acme&unused_days=7", "");
    let ids: Vec<&str> = unused.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [idle.id.as_str()]);
    for bad in ["days=0", "days=91", "days=x", "weeks=2"] {
        let r = w.admin("GET", &format!("/api/v1/keys/{}/usage?{bad}", key.id), "");
        assert!(matches!(r.status, 400 | 422), "{bad}: {}", r.status);
    }
    // A flush written twice adds up (counts are increments).
    let _ = w.verify(&token);
    w.flush();
    let again = w.admin("GET", &format!("/api/v1/keys/{}/usage?days=1", key.id), "");
    assert_eq!(again.body["days"][0]["rejected"]["USAGE_EXCEEDED"], 3);
    // A deleted key's usage goes with it, and a late flush (counted
    // before the delete, written after) leaves no row behind.
    let usage_rows = |id: &str| {
        let rows = pollster::block_on(w.db.query(Statement::new(
            "SELECT count(*) AS n FROM usage WHERE key_id = ?",
            vec![id.into()],
        )))
        .unwrap();
        keygate_edge::sql::int(&rows[0], "n").unwrap_or(-1)
    };
    assert!(usage_rows(key.id.as_str()) > 0);
    let _ = w.verify(&token);
    assert_eq!(
        w.admin("DELETE", &format!("/api/v1/keys/{}", key.id), "")
            .status,
        204
    );
    assert_eq!(usage_rows(key.id.as_str()), 0, "deleted with the key");
    w.flush();
    assert_eq!(
        usage_rows(key.id.as_str()),
        0,
        "a late flush writes nothing for it"
    );
}

#[test]
fn limits_are_validated_on_create_and_patch() {
    let w = World::new();
    for bad in [
        json!({"name": "x", "organization": "acme", "rate_limit": {"limit": 0, "period_seconds": 60}}),
        json!({"name": "x", "organization": "acme", "rate_limit": {"limit": 5, "period_seconds": 86401}}),
        json!({"name": "x", "organization": "acme", "rate_limit": {"limit": 5}}),
        json!({"name": "x", "organization": "acme", "credits": {"remaining": -1}}),
        json!({"name": "x", "organization": "acme", "credits": {"remaining": 1000000000001u64}}),
        json!({"name": "x", "organization": "acme", "credits": {"remaining": 1, "refill": {"amount": 1, "interval": "hourly"}}}),
    ] {
        let r = w.admin("POST", "/api/v1/keys", &bad.to_string());
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
    }
    let made = w.admin(
        "POST",
        "/api/v1/keys",
        &json!({"name": "metered", "organization": "acme",
            "rate_limit": {"limit": 10, "period_seconds": 60},
            "credits": {"remaining": 50, "refill": {"amount": 50, "interval": "monthly"}}})
        .to_string(),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.body["key"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        made.body["key"]["rate_limit"],
        json!({"limit": 10, "period_seconds": 60})
    );
    let cleared = w.admin(
        "PATCH",
        &format!("/api/v1/keys/{id}"),
        r#"{"rate_limit": null}"#,
    );
    assert_eq!(cleared.body["rate_limit"], Value::Null);
    assert_eq!(cleared.body["credits"]["remaining"], 50, "untouched");
    let audit = w.admin(
        "GET",
        &format!("/api/v1/audit?key_id={id}&action=key.updated"),
        "",
    );
    assert_eq!(
        audit.body["events"][0]["details"]["fields"],
        json!(["rate_limit"])
    );
}

/// The projection verification reads for `r` (a stale copy, as another
/// isolate's cache or KV's propagation may still hold after a delete).
fn projection(w: &World, r: &KeyRecord) -> String {
    pollster::block_on(w.kv.get(&format!("h/{}", r.hash)))
        .unwrap()
        .expect("projected")
}

fn put_back(w: &World, r: &KeyRecord, projection: &str) {
    pollster::block_on(w.kv.put(
        &format!("h/{}", r.hash),
        projection,
        keygate_edge::store::PutOptions::default(),
    ))
    .unwrap();
}

#[test]
fn deleting_a_limited_key_makes_its_limiter_refuse_a_stale_copy() {
    let w = World::new();
    let spent = Credits {
        remaining: 1,
        refill: None,
    };
    let (key, token) = w.key(None, Some(spent));
    assert_eq!(w.verify(&token).body["code"], "VALID");
    assert_eq!(w.verify(&token).body["code"], "USAGE_EXCEEDED");
    let stale = projection(&w, &key);
    let deleted = w.admin("DELETE", &format!("/api/v1/keys/{}", key.id), "");
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(*w.limiter.forgotten.borrow(), [key.id.as_str()]);
    // A copy of the record read before the delete: the limiter refuses it
    // as unknown, with nothing of the key, rather than starting afresh.
    put_back(&w, &key, &stale);
    let calls = w.limiter.calls.get();
    let a = w.verify(&token);
    assert_eq!(w.limiter.calls.get(), calls + 1);
    assert_eq!(
        (
            a.body["code"].clone(),
            a.body["key"].clone(),
            a.body["credits"].clone()
        ),
        (json!("UNKNOWN_KEY"), Value::Null, Value::Null)
    );
    let g = w.gateway("/anything", &token);
    assert_eq!(
        (g.status, g.body["error"]["code"].clone()),
        (401, json!("UNKNOWN_KEY"))
    );
}

#[test]
fn a_limiter_is_forgotten_only_when_no_key_spends_it_and_never_for_unlimited_keys() {
    let w = World::new();
    let (plain, _) = w.key(None, None);
    let deleted = w.admin("DELETE", &format!("/api/v1/keys/{}", plain.id), "");
    assert_eq!(deleted.status, 204);
    assert!(
        w.limiter.forgotten.borrow().is_empty(),
        "an unlimited key has no limiter"
    );
    assert_eq!(w.limiter.calls.get(), 0);

    let credits = Credits {
        remaining: 10,
        refill: None,
    };
    let (original, token) = w.key(None, Some(credits));
    assert_eq!(w.verify(&token).body["code"], "VALID");
    let rolled = w.admin(
        "POST",
        &format!("/api/v1/keys/{}/roll", original.id),
        &json!({"grace_seconds": 3600}).to_string(),
    );
    assert_eq!(rolled.status, 201, "{}", rolled.body);
    let copy_id = rolled.body["key"]["id"].as_str().unwrap().to_owned();
    let copy_token = rolled.body["token"].as_str().unwrap().to_owned();
    // The original goes; the copy still spends the original's limiter.
    let gone = w.admin("DELETE", &format!("/api/v1/keys/{}", original.id), "");
    assert_eq!(gone.status, 204);
    assert!(
        w.limiter.forgotten.borrow().is_empty(),
        "the copy still spends it"
    );
    let a = w.verify(&copy_token);
    assert_eq!(
        (
            a.body["code"].clone(),
            a.body["credits"]["remaining"].clone()
        ),
        (json!("VALID"), json!(8))
    );
    // Then the copy, with another limited key, in one bulk delete.
    let (other, _) = w.key(None, Some(credits));
    let bulk = w.admin(
        "POST",
        "/api/v1/keys/bulk-delete",
        &json!({"ids": [copy_id, other.id.as_str()]}).to_string(),
    );
    assert_eq!(bulk.status, 200, "{}", bulk.body);
    let mut forgotten = w.limiter.forgotten.borrow().clone();
    forgotten.sort();
    let mut expected = vec![
        original.id.as_str().to_owned(),
        other.id.as_str().to_owned(),
    ];
    expected.sort();
    assert_eq!(forgotten, expected);
}

#[test]
fn a_key_whose_limits_an_edit_removed_still_has_its_limiter_forgotten() {
    let w = World::new();
    let rate = RateLimit {
        limit: 5,
        period_seconds: 60,
    };
    let (key, token) = w.key(Some(rate), None);
    assert_eq!(w.verify(&token).body["code"], "VALID");
    // Renamed: its limits untouched, nothing to note.
    let renamed = w.admin(
        "PATCH",
        &format!("/api/v1/keys/{}", key.id),
        &json!({"name": "renamed"}).to_string(),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    // The limits go; the limiter keeps the window it counted.
    let unlimited = w.admin(
        "PATCH",
        &format!("/api/v1/keys/{}", key.id),
        &json!({"rate_limit": null}).to_string(),
    );
    assert_eq!(unlimited.status, 200, "{}", unlimited.body);
    assert_eq!(unlimited.body["rate_limit"], Value::Null);
    let calls = w.limiter.calls.get();
    assert_eq!(w.verify(&token).body["code"], "VALID");
    assert_eq!(
        w.limiter.calls.get(),
        calls,
        "no limiter call once unlimited"
    );
    assert!(w.limiter.has_state(key.id.as_str()));
    let deleted = w.admin("DELETE", &format!("/api/v1/keys/{}", key.id), "");
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(*w.limiter.forgotten.borrow(), [key.id.as_str()]);
    // A key that never had limits, edited and deleted: still no call.
    let (plain, _) = w.key(None, None);
    let edited = w.admin(
        "PATCH",
        &format!("/api/v1/keys/{}", plain.id),
        &json!({"credits": null, "rate_limit": null}).to_string(),
    );
    assert_eq!(edited.status, 200, "{}", edited.body);
    let gone = w.admin("DELETE", &format!("/api/v1/keys/{}", plain.id), "");
    assert_eq!(gone.status, 204);
    assert_eq!(w.limiter.forgotten.borrow().len(), 1);
}

#[test]
fn a_limiter_that_cannot_forget_leaves_the_delete_standing() {
    let w = World::new();
    let credits = Credits {
        remaining: 10,
        refill: None,
    };
    let (key, token) = w.key(None, Some(credits));
    assert_eq!(w.verify(&token).body["code"], "VALID");
    let stale = projection(&w, &key);
    w.limiter.failing.set(true);
    let deleted = w.admin("DELETE", &format!("/api/v1/keys/{}", key.id), "");
    assert_eq!(deleted.status, 204, "the key is gone either way");
    w.limiter.failing.set(false);
    assert!(w.limiter.forgotten.borrow().is_empty());
    assert_eq!(w.verify(&token).body["code"], "UNKNOWN_KEY");
    let audit = w.admin("GET", &format!("/api/v1/audit?key_id={}", key.id), "");
    assert_eq!(
        audit.body["events"][0]["action"], "key.deleted",
        "{}",
        audit.body
    );
    // Not told, the object still counts: a stale copy spends what is left
    // and no more (the cost of a failed forget is its storage).
    put_back(&w, &key, &stale);
    let a = w.verify(&token);
    assert_eq!(
        (
            a.body["code"].clone(),
            a.body["credits"]["remaining"].clone()
        ),
        (json!("VALID"), json!(8))
    );
}

/// A webhook that takes every notice (the cron tests).
struct Accepting;
impl keygate_edge::lifecycle::Notifier for Accepting {
    async fn post_json(&self, _: &str, _: &str) -> Result<(), String> {
        Ok(())
    }
}

#[test]
fn the_cron_purge_forgets_the_limiters_of_expired_keys() {
    let w = World::new();
    let token = Token::generate(&Prefix::default()).unwrap();
    let mut r = record(&token, &[]);
    r.credits = Some(Credits {
        remaining: 5,
        refill: None,
    });
    r.credits_set_at = Some(now() - Duration::hours(2));
    r.expires_at = Some(now() - Duration::hours(1));
    w.insert(&r);
    let repo = Repo::new(&w.kv, &w.db);
    let report = pollster::block_on(keygate_edge::lifecycle::run(
        &repo,
        &Accepting,
        None,
        Some(&w.limiter),
        now(),
    ))
    .unwrap();
    assert_eq!(report.purged, [r.id.clone()]);
    assert_eq!(*w.limiter.forgotten.borrow(), [r.id.as_str()]);
}

#[test]
fn a_cron_purge_stopped_by_a_storage_failure_still_forgets_what_it_removed() {
    let w = World::new();
    let mut ids = Vec::new();
    for hours in [3, 1] {
        let token = Token::generate(&Prefix::default()).unwrap();
        let mut r = record(&token, &[]);
        r.credits = Some(Credits {
            remaining: 5,
            refill: None,
        });
        r.credits_set_at = Some(now() - Duration::hours(4));
        r.expires_at = Some(now() - Duration::hours(hours));
        w.insert(&r);
        ids.push(r.id.as_str().to_owned());
    }
    // The first key's removal deletes its KV projection twice (before and
    // after the row); the third KV call, the second key's, fails.
    w.kv.fail_after.set(3);
    let repo = Repo::new(&w.kv, &w.db);
    let run = pollster::block_on(keygate_edge::lifecycle::run(
        &repo,
        &Accepting,
        None,
        Some(&w.limiter),
        now(),
    ));
    assert!(run.is_err(), "a KV failure stops the run");
    let forgotten = w.limiter.forgotten.borrow().clone();
    assert_eq!(forgotten.len(), 1, "{forgotten:?}");
    assert!(ids.contains(&forgotten[0]));
    // The one forgotten is the one whose row is gone; the other key stays.
    let left =
        pollster::block_on(repo.entries_by_ids(&[ids[0].as_str(), ids[1].as_str()])).unwrap();
    assert_eq!(left.len(), 1);
    assert_ne!(left[0].id.as_str(), forgotten[0]);
}

#[test]
fn a_bulk_delete_of_many_limited_keys_forgets_every_limiter_once() {
    let w = World::new();
    let credits = Credits {
        remaining: 3,
        refill: None,
    };
    // Past one D1 query's 100 names and many rounds of calls at once.
    let mut ids: Vec<String> = (0..105)
        .map(|_| w.key(None, Some(credits)).0.id.as_str().to_owned())
        .collect();
    let mut body_ids = ids.clone();
    body_ids.push(ids[0].clone());
    let bulk = w.admin(
        "POST",
        "/api/v1/keys/bulk-delete",
        &json!({ "ids": body_ids }).to_string(),
    );
    assert_eq!(bulk.status, 200, "{}", bulk.body);
    let mut forgotten = w.limiter.forgotten.borrow().clone();
    forgotten.sort();
    ids.sort();
    assert_eq!(forgotten, ids);
}
