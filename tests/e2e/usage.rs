//! Usage controls (§9) under `wrangler dev`, with the limiter a real
//! Durable Object: credits and rate limits exact under many concurrent
//! clients, 429s with their headers at the gateway, usage counted by the
//! isolate and flushed to D1, read back by the usage endpoint.

use std::sync::{Barrier, OnceLock};
use std::time::{Duration, Instant};

use keygate_cli::wrangler_kv::WranglerKv;
use keygate_e2e::{default_vars, Worker};
use keygate_edge::store::{Kv, PutOptions};
use keygate_shared::LookupHash;
use serde_json::{json, Value};

fn worker() -> &'static Worker {
    static W: OnceLock<Worker> = OnceLock::new();
    W.get_or_init(|| {
        Worker::start(
            "usage",
            |port| {
                let mut vars = default_vars(port);
                vars.push(("USAGE_FLUSH_SECONDS", "1".into()));
                vars
            },
            true,
        )
    })
}

/// `clients` threads send `each` requests at once (after a barrier) and
/// return every answer's status and body.
fn at_once(
    clients: usize,
    each: usize,
    send: impl Fn() -> (u16, Value) + Sync,
) -> Vec<(u16, Value)> {
    let start = Barrier::new(clients);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                let (start, send) = (&start, &send);
                s.spawn(move || {
                    start.wait();
                    (0..each).map(|_| send()).collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

#[test]
fn credits_are_exact_under_concurrent_verification() {
    let w = worker();
    let (_, token) = w.create_key(&json!({"name": "credits", "organization": "usage-credits",
        "credits": {"remaining": 25, "refill": null}}));
    // Warm the key's object (its first call starts its isolate).
    let warm = w.verify(&token);
    assert_eq!(warm["credits"]["remaining"], 24);
    let body = json!({ "token": token }).to_string();
    let started = Instant::now();
    let answers = at_once(12, 5, || {
        let r = w.call("POST", "/api/v1/verify", &[], Some(&body));
        (r.status, r.json())
    });
    let elapsed = started.elapsed();
    let valid = answers.iter().filter(|(_, b)| b["code"] == "VALID").count();
    let exceeded = answers
        .iter()
        .filter(|(_, b)| b["code"] == "USAGE_EXCEEDED")
        .count();
    println!(
        "credits: 12 clients x 5 verifications at once against 24 credits: {valid} VALID, {exceeded} USAGE_EXCEEDED in {elapsed:?}"
    );
    assert!(answers.iter().all(|(s, _)| *s == 200), "every answer 200");
    assert_eq!((valid, exceeded), (24, 36), "exactly min(N, M) successes");
    let left: Vec<u64> = answers
        .iter()
        .filter(|(_, b)| b["code"] == "VALID")
        .map(|(_, b)| b["credits"]["remaining"].as_u64().unwrap())
        .collect();
    let mut sorted = left.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (0..24).collect::<Vec<u64>>(),
        "each credit spent once"
    );
}

#[test]
fn a_rate_limit_is_exact_at_the_gateway_with_its_headers() {
    let w = worker();
    // A 1-hour window: wait if the next hour boundary is near, so that
    // all requests fall into one window.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if 3600 - secs % 3600 < 30 {
        std::thread::sleep(Duration::from_secs(3600 - secs % 3600 + 1));
    }
    let (_, token) = w.create_key(&json!({"name": "rate", "organization": "usage-rate",
        "rate_limit": {"limit": 20, "period_seconds": 3600}}));
    let started = Instant::now();
    let answers = at_once(10, 5, || {
        let r = w.call("GET", "/calls-free/x", &[("x-api-key", &token)], None);
        let mut body = json!({"status": r.status});
        for h in ["ratelimit", "ratelimit-policy", "retry-after"] {
            body[h] = json!(r.headers.get(h));
        }
        (r.status, body)
    });
    let elapsed = started.elapsed();
    let passed = answers.iter().filter(|(s, _)| *s == 200).count();
    let limited = answers.iter().filter(|(s, _)| *s == 429).count();
    println!("rate limit 20/h: 10 clients x 5 gateway requests at once: {passed} forwarded, {limited} x 429 in {elapsed:?}");
    assert_eq!((passed, limited), (20, 30), "exactly the limit passes");
    for (status, h) in &answers {
        assert_eq!(h["ratelimit-policy"], "\"keygate\";q=20;w=3600", "{h}");
        assert!(
            h["ratelimit"]
                .as_str()
                .unwrap()
                .starts_with("\"keygate\";r="),
            "{h}"
        );
        if *status == 429 {
            let after: u64 = h["retry-after"].as_str().unwrap().parse().unwrap();
            assert!((1..=3600).contains(&after), "{h}");
        }
    }
    let refused = w.call("GET", "/calls-free/x", &[("x-api-key", &token)], None);
    assert_eq!(
        (refused.status, refused.code().as_str()),
        (429, "RATE_LIMITED")
    );
}

#[test]
fn usage_is_counted_flushed_and_reported() {
    let w = worker();
    let (id, token) = w.create_key(&json!({"name": "counted", "organization": "usage-counted",
        "credits": {"remaining": 3, "refill": {"amount": 3, "interval": "daily"}}}));
    let sent = 5;
    for _ in 0..sent {
        let _ = w.verify(&token);
    }
    // Counted in the isolate and written at most once a second
    // (USAGE_FLUSH_SECONDS=1) after a request: wait, then one more.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut pending_seen = None;
    loop {
        std::thread::sleep(Duration::from_millis(1100));
        let _ = w.call("GET", "/api/v1/health", &[], None);
        let _ = w.admin("GET", "/api/v1/me", None);
        let r = w.admin("GET", &format!("/api/v1/keys/{id}/usage?days=2"), None);
        assert_eq!(r.status, 200, "{}", r.body);
        let today = r.json()["days"][1].clone();
        let recorded = today["valid"].as_u64().unwrap()
            + today["rejected"]["USAGE_EXCEEDED"].as_u64().unwrap_or(0);
        pending_seen.get_or_insert(sent - recorded.min(sent));
        if recorded == sent {
            assert_eq!(today["valid"], 3);
            assert_eq!(today["rejected"], json!({"USAGE_EXCEEDED": 2}));
            break;
        }
        assert!(Instant::now() < deadline, "usage never reached D1: {today}");
    }
    println!(
        "usage: {sent} verifications, {} not yet written after the first flush interval",
        pending_seen.unwrap_or(0)
    );
    let key = w.admin("GET", &format!("/api/v1/keys/{id}"), None).json();
    assert!(key["last_used_at"].is_string(), "{key}");
    assert_eq!(
        key["credits"]["remaining"], 0,
        "as the limiter last reported"
    );
    let audit = w
        .admin(
            "GET",
            &format!("/api/v1/audit?key_id={id}&action=key.credits_exhausted"),
            None,
        )
        .json();
    assert_eq!(audit["events"].as_array().unwrap().len(), 1, "{audit}");
    // Filters and sort by last use through the real worker, beside a key
    // never used.
    let (idle, _) = w.create_key(&json!({"name": "idle", "organization": "usage-counted"}));
    let ids = |path: &str| -> Vec<String> {
        w.admin("GET", path, None).json()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids("/api/v1/keys?organization=usage-counted&unused_days=1"),
        std::slice::from_ref(&idle),
        "only the key never used"
    );
    assert_eq!(
        ids("/api/v1/keys?organization=usage-counted&sort=-last_used_at"),
        [id.clone(), idle.clone()],
        "most recently used first"
    );
    assert_eq!(
        ids("/api/v1/keys?organization=usage-counted&sort=last_used_at"),
        [idle.clone(), id.clone()],
        "never used first"
    );
    let csv = w
        .admin(
            "GET",
            "/api/v1/keys/export.csv?organization=usage-counted&sort=-last_used_at",
            None,
        )
        .body;
    let mut lines = csv.lines();
    assert!(
        lines.next().unwrap().ends_with(
            "\"last_used_at\",\"rate_limit\",\"rate_limit_period_seconds\",\"credits_remaining\",\"credits_refill\""
        ),
        "{csv}"
    );
    let row = lines.next().unwrap();
    assert!(
        row.ends_with(",\"\",\"\",\"0\",\"3 daily\""),
        "credits left and refill: {row}"
    );
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert!(row.contains(&format!("\"{today}")), "last use: {row}");
}

/// The name and stored state (JSON) of every limiter object of `w` that
/// holds one: workerd keeps each Durable Object's storage in an SQLite
/// file of its own under the state folder, its name beside it.
fn limiter_states(w: &Worker) -> Vec<(String, Value)> {
    let root = w.target().persist_to.expect("a state folder").join("v3/do");
    let mut states = Vec::new();
    let Ok(classes) = std::fs::read_dir(&root) else {
        return states;
    };
    for class in classes.flatten() {
        if !class.file_name().to_string_lossy().ends_with("-KeyLimiter") {
            continue;
        }
        for file in std::fs::read_dir(class.path())
            .expect("object folder")
            .flatten()
        {
            let path = file.path();
            if path.extension().is_none_or(|e| e != "sqlite") || path.ends_with("metadata.sqlite") {
                continue;
            }
            let db = rusqlite::Connection::open_with_flags(
                &path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .expect("open an object's storage");
            let read = db.query_row(
                "SELECT (SELECT name FROM __miniflare_do_name), value FROM _cf_KV WHERE key = 's'",
                [],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?)),
            );
            let (name, value) = match read {
                Ok(found) => found,
                // Cleared: no state row, or (after deleteAll) no table.
                Err(rusqlite::Error::QueryReturnedNoRows) => continue,
                Err(rusqlite::Error::SqliteFailure(_, Some(m)))
                    if m.starts_with("no such table") =>
                {
                    continue
                }
                Err(e) => panic!("read {}: {e}", path.display()),
            };
            // The value is the string in V8's serialization: its JSON is
            // the bytes from the first '{'.
            let text = String::from_utf8_lossy(&value);
            let json = text.get(text.find('{').unwrap_or(0)..).unwrap_or("");
            states.push((name, serde_json::from_str(json).expect("the state's JSON")));
        }
    }
    states
}

#[test]
fn a_deleted_keys_limiter_refuses_then_clears_its_storage() {
    // A worker of its own, so the only limiter objects are this test's,
    // and a shorter wait before a forgotten limiter clears its storage.
    // It must outlast the steps between the delete and the stale read
    // below: each `wrangler kv` call is a CLI start (~3 s idle, more on a
    // loaded 2-core CI machine; a 4 s wait once let the alarm clear the
    // object before the stale read, which then rightly met an empty one).
    const FORGET_AFTER: Duration = Duration::from_secs(20);
    let w = Worker::start(
        "usage-forget",
        |port| {
            let mut vars = default_vars(port);
            vars.push((
                "LIMITER_FORGET_AFTER_SECONDS",
                FORGET_AFTER.as_secs().to_string(),
            ));
            vars
        },
        true,
    );
    let (id, token) = w.create_key(&json!({"name": "doomed", "organization": "usage-forget",
        "credits": {"remaining": 5, "refill": null}}));
    let (_, unlimited) = w.create_key(&json!({"name": "free", "organization": "usage-forget"}));
    assert_eq!(w.verify(&token)["credits"]["remaining"], 4);
    assert_eq!(w.verify(&unlimited)["code"], "VALID");
    let states = limiter_states(&w);
    assert_eq!(
        states.len(),
        1,
        "one object, for the limited key only: {states:?}"
    );
    assert_eq!(states[0].0, id, "named after its key");
    assert_eq!(states[0].1["credits_remaining"], 4, "{states:?}");
    assert!(states[0].1.get("deleted_at").is_none(), "{states:?}");
    // The key's KV projection as a stale reader would still have it.
    let kv = WranglerKv::new(w.target());
    let projection = format!("h/{}", LookupHash::of(&token).to_hex());
    let stale = pollster::block_on(kv.get(&projection))
        .unwrap()
        .expect("projected");

    let deleted_at = Instant::now();
    let deleted = w.admin("DELETE", &format!("/api/v1/keys/{id}"), None);
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    // A stale copy reaches the object, which refuses it as unknown and
    // counts nothing.
    pollster::block_on(kv.put(&projection, &stale, PutOptions::default())).unwrap();
    let refused = w.verify(&token);
    let window = deleted_at.elapsed();
    assert!(
        window < FORGET_AFTER,
        "the stale read came {window:?} after the delete, past the object's \
         wait of {FORGET_AFTER:?}: this run cannot tell a refusal from a cleared object"
    );
    assert_eq!(refused["code"], "UNKNOWN_KEY", "{refused}");
    assert!(refused["credits"].is_null(), "{refused}");
    assert!(refused["key"].is_null(), "{refused}");
    let marked = limiter_states(&w);
    // Marked before the delete answered, then emptied by its alarm.
    assert_eq!(marked.len(), 1, "{marked:?}");
    assert!(
        marked[0].1["deleted_at"].is_i64(),
        "refusing until cleared: {marked:?}"
    );
    assert_eq!(marked[0].1["credits_remaining"], 4, "{marked:?}");
    let deadline = deleted_at + FORGET_AFTER + Duration::from_secs(30);
    while !limiter_states(&w).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the object never cleared its storage: {:?}",
            limiter_states(&w)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    // Past the wait (which outlasts every cache and KV's propagation on
    // the platform) a copy still around meets an empty object, and the
    // object, cleared while warm, still answers rather than failing.
    let late = w.verify(&token);
    assert_eq!(
        (late["code"].clone(), late["credits"]["remaining"].clone()),
        (json!("VALID"), json!(4)),
        "{late}"
    );
    assert_eq!(w.verify(&unlimited)["code"], "VALID");
}
