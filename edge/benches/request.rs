//! Keygate's own Rust per verification, natively: what the front worker
//! does once the runtime has handed a request over (the head from the
//! header pairs, `body_limit`, `App::handle_logged` over the read cache
//! and with the usage meter, as `glue::body_wanted` and `glue::fetch` run
//! them), against a baseline doing the JavaScript peer's work in Rust
//! (`bench/peer/worker.js`: parse the body, check the token's shape and
//! checksum, hash it, read and parse the record, decide, write the
//! answer), in the same run, in interleaved rounds, printed as ratios:
//!
//! - malformed: a token that fails its shape (no storage read);
//! - valid: a key whose projection is in the in-memory KV (the read is a
//!   map look-up here, so this is the work around the read), cache off.
//!
//! `cargo bench -p keygate-edge --no-default-features --features gateway
//! --bench request` measures the front worker's build (the admin plane's
//! routes compiled out); with the default features it measures the
//! one-worker build the native tests use. `ROUNDS` and `ITERS` change the
//! length. What these figures mean against the numbers under `wrangler
//! dev`: BENCHMARKS.md, "Where a malformed token's time goes now".

use std::hint::black_box;
use std::time::{Duration, Instant};

use keygate_edge::app::{body_limit, App};
use keygate_edge::cache::{CachedKv, ReadCache};
use keygate_edge::config::Config;
use keygate_edge::http::HttpRequest;
use keygate_edge::repo::Repo;
use keygate_edge::sqlite::SqliteDb;
use keygate_edge::store::MemoryKv;
use keygate_edge::usage::UsageMeter;
use keygate_shared::api::CreateKeyRequest;
use keygate_shared::rules::caller::Caller;
use keygate_shared::rules::create::new_key;
use keygate_shared::{KeyId, KeyRecord, Organization, Prefix, Token};

const URL: &str = "http://127.0.0.1:8787/api/v1/verify";
/// The headers `wrk` sends through `wrangler dev`, as the entry passes
/// them (the length is the malformed body's; nothing reads it but the
/// framing decision, made from the body's real length below).
const HEADERS: &str = r#"[["content-length","24"],["content-type","application/json"],["host","127.0.0.1:8787"],["cf-connecting-ip","127.0.0.1"]]"#;

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

/// The bench's key as `POST /api/v1/keys` makes it (the create rules),
/// for a root admin signed in through Access.
fn record(token: &Token) -> KeyRecord {
    let caller = Caller::of_person(
        "bench@example.com",
        Organization::root(),
        true,
        now(),
        now() + chrono::Duration::hours(1),
    );
    let body = CreateKeyRequest {
        name: Some("bench".into()),
        organization: Some("acme".into()),
        roles: Some(vec!["calls:read".into()]),
        expires_in_days: Some(30),
        ..CreateKeyRequest::default()
    };
    new_key(&caller, &body, now())
        .expect("a valid create")
        .into_record(KeyId::generate().expect("csprng"), token, &caller, now())
}

/// One request through Keygate's Rust, as `glue::body_wanted` and
/// `glue::fetch` run it (the read cache with the cache off, the usage
/// meter); answers the status and the body.
fn keygate(kv: &MemoryKv, db: &SqliteDb, config: &Config, body: &[u8]) -> (u16, Vec<u8>) {
    let length = body.len().to_string();
    let framing = HttpRequest::framing("POST", URL, Some(length), None);
    let limit = body_limit(config, &framing);
    let pairs: Vec<(String, String)> = serde_json::from_str(HEADERS).unwrap_or_default();
    let mut req = HttpRequest::head("POST".into(), URL, pairs);
    if limit.is_some() {
        req.body = body.to_vec();
    }
    let cache = ReadCache::default();
    let cached = CachedKv::new(
        kv,
        &cache,
        now().timestamp_millis(),
        config.verify_cache_seconds,
    );
    let meter = UsageMeter::default();
    let app = App {
        kv: &cached,
        db,
        config,
        now: now(),
        limiter: None,
        meter: Some(&meter),
        certs: None,
    };
    match pollster::block_on(app.handle_logged(&req)).0 {
        keygate_edge::http::Outcome::Respond(r) => (r.status, r.body),
        _ => (0, vec![]),
    }
}

/// The JavaScript peer's work (`bench/peer/worker.js`) in Rust: the
/// body parsed, the token's shape and checksum checked, then (well-formed)
/// its SHA-256, the record looked up by it and parsed, the decision, and
/// the answer written; answers the answer.
fn peer(body: &[u8], records: &std::collections::HashMap<String, String>) -> Vec<u8> {
    use serde_json::{json, Value};
    let answer = |code: &str, key: Value| {
        serde_json::to_vec(&json!({"valid": code == "VALID", "code": code, "key": key}))
            .unwrap_or_default()
    };
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return answer("BAD_JSON", Value::Null);
    };
    let token = value["token"].as_str().unwrap_or_default().trim();
    if token.is_empty() {
        return answer("MISSING_KEY", Value::Null);
    }
    let Ok(token) = Token::parse(&Prefix::default(), token) else {
        return answer("MALFORMED_KEY", Value::Null);
    };
    // SHA-256 in hex, as the peer's `crypto.subtle.digest`.
    let hash = token.lookup_hash().to_hex();
    let Some(record) = records.get(&format!("h/{hash}")) else {
        return answer("UNKNOWN_KEY", Value::Null);
    };
    let mut key: Value = serde_json::from_str(record).unwrap_or_default();
    let code = if key["enabled"].as_bool() == Some(true) {
        "VALID"
    } else {
        "DISABLED"
    };
    if let Some(map) = key.as_object_mut() {
        map.remove("hash");
        map.insert("status".into(), json!("active"));
    }
    answer(code, key)
}

fn time(iters: u32, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed() / iters
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let env = |name: &str, default: u32| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    // `cargo test --all-targets` runs this too, without `--bench`: then
    // once through, as a check that both paths still answer.
    let benching = std::env::args().any(|a| a == "--bench");
    let (rounds, iters) = if benching {
        (env("ROUNDS", 7).max(1), env("ITERS", 20_000).max(1))
    } else {
        (1, 1)
    };
    let (kv, db) = (MemoryKv::default(), SqliteDb::new());
    let token = Token::generate(&Prefix::default()).expect("csprng");
    pollster::block_on(Repo::new(&kv, &db).insert_unlimited(&record(&token), now()))
        .expect("insert the bench key");
    let config = Config {
        verify_cache_seconds: 0,
        ..Config::default()
    };
    // The peer's store: its record under the same key, as the projection
    // holds it.
    let key = format!("h/{}", token.lookup_hash().to_hex());
    let records: std::collections::HashMap<String, String> = [(
        key.clone(),
        pollster::block_on(keygate_edge::store::Kv::get(&kv, &key))
            .ok()
            .flatten()
            .expect("the bench key's projection"),
    )]
    .into();
    let malformed = br#"{"token":"kg_malformed"}"#.to_vec();
    let valid = format!(r#"{{"token":"{}"}}"#, token.expose_secret()).into_bytes();
    let code = |body: &[u8]| {
        let (status, answer) = keygate(&kv, &db, &config, body);
        let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap_or_default();
        (
            status,
            answer["code"].as_str().unwrap_or_default().to_owned(),
        )
    };
    assert_eq!(code(&malformed), (200, "MALFORMED_KEY".to_owned()));
    assert_eq!(code(&valid), (200, "VALID".to_owned()));

    let peer_code = |body: &[u8]| {
        let answer: serde_json::Value =
            serde_json::from_slice(&peer(body, &records)).unwrap_or_default();
        answer["code"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(peer_code(&malformed), "MALFORMED_KEY");
    assert_eq!(peer_code(&valid), "VALID");

    let cases: [(&str, &[u8]); 2] = [("malformed", &malformed), ("valid", &valid)];
    println!("{rounds} rounds of {iters} iterations each, interleaved; medians");
    println!(
        "{:<10} {:>14} {:>14} {:>8}",
        "case", "keygate ns", "peer's ns", "ratio"
    );
    for (name, body) in cases {
        let (mut ours, mut peers, mut ratios) = (vec![], vec![], vec![]);
        for _ in 0..rounds {
            let k = time(iters, || {
                black_box(keygate(&kv, &db, &config, black_box(body)));
            });
            let f = time(iters, || {
                black_box(peer(black_box(body), &records));
            });
            let (k, f) = (k.as_nanos() as f64, f.as_nanos() as f64);
            ours.push(k);
            peers.push(f);
            ratios.push(k / f.max(1.0));
        }
        println!(
            "{name:<10} {:>14.0} {:>14.0} {:>7.1}x",
            median(ours),
            median(peers),
            median(ratios)
        );
    }
}
