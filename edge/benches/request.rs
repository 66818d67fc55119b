//! The front worker's own work per verification, natively: what Keygate's
//! Rust costs on the paths of issue 19 once the runtime has handed the
//! request over, against the least any verifier does on the same path
//! (measured in the same run, in interleaved rounds, printed as ratios):
//!
//! - malformed: the head built from the header pairs, `body_limit`, then
//!   `App::handle_logged` refusing the token (no storage read), against
//!   parsing the body's JSON alone;
//! - valid (cache off): the same with a key whose projection is in the
//!   in-memory KV (its read is a map look-up here, so this is the work
//!   around the read), against the body's JSON plus the token's SHA-256.
//!
//! `cargo bench -p keygate-edge --bench request` (bench profile). Set
//! `ROUNDS` and `ITERS` to change the length. What these figures mean
//! against the numbers under `wrangler dev`: BENCHMARKS.md, "Issue 19".

use std::hint::black_box;
use std::time::{Duration, Instant};

use keygate_edge::app::{body_limit, App};
use keygate_edge::config::Config;
use keygate_edge::http::HttpRequest;
use keygate_edge::repo::Repo;
use keygate_edge::sqlite::SqliteDb;
use keygate_edge::store::MemoryKv;
use keygate_shared::model::KeyRecord;
use keygate_shared::{Prefix, Token};
use sha2::Digest;

const URL: &str = "http://127.0.0.1:8787/api/v1/verify";
/// The headers `wrk` sends through `wrangler dev`, as the entry passes them.
const HEADERS: &str = r#"[["content-length","24"],["content-type","application/json"],["host","127.0.0.1:8787"],["cf-connecting-ip","127.0.0.1"]]"#;

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

fn record(token: &Token) -> KeyRecord {
    KeyRecord {
        id: keygate_shared::KeyId::generate().expect("csprng"),
        name: "bench".into(),
        description: String::new(),
        organization: "acme".parse().expect("organization"),
        group: None,
        roles: vec!["calls:read".parse().expect("role")],
        ip_allowlist: vec![],
        enabled: true,
        created_at: now(),
        created_by: "bootstrap".into(),
        expires_at: Some(now() + chrono::Duration::days(30)),
        hint: token.hint(),
        hash: token.lookup_hash().to_hex(),
        notified_days: vec![],
        meta: serde_json::Map::new(),
        rate_limit: None,
        credits: None,
        credits_set_at: None,
        last_used_at: None,
        credits_left: None,
        limits_of: None,
        had_limits: false,
        created_by_name: None,
    }
}

/// One request through Keygate's Rust, as `glue::body_wanted` and
/// `glue::fetch` run it; answers the status and the body.
fn keygate(kv: &MemoryKv, db: &SqliteDb, config: &Config, body: &[u8]) -> (u16, Vec<u8>) {
    let length = body.len().to_string();
    let framing = HttpRequest::framing("POST", URL, Some(length), None);
    let limit = body_limit(config, &framing);
    let pairs: Vec<(String, String)> = serde_json::from_str(HEADERS).unwrap_or_default();
    let mut req = HttpRequest::head("POST".into(), URL, pairs);
    if limit.is_some() {
        req.body = body.to_vec();
    }
    let app = App {
        kv,
        db,
        config,
        now: now(),
        limiter: None,
        meter: None,
        certs: None,
    };
    match pollster::block_on(app.handle_logged(&req)).0 {
        keygate_edge::http::Outcome::Respond(r) => (r.status, r.body),
        _ => (0, vec![]),
    }
}

/// The least a verifier does with the same body: parse it, and for a
/// well-formed token hash it.
fn floor(body: &[u8], hash: bool) -> usize {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let token = value["token"].as_str().unwrap_or_default();
    if hash {
        sha2::Sha256::digest(token.as_bytes()).len()
    } else {
        token.len()
    }
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

    let cases: [(&str, &[u8], bool); 2] =
        [("malformed", &malformed, false), ("valid", &valid, true)];
    println!("{rounds} rounds of {iters} iterations each, interleaved; medians");
    println!(
        "{:<10} {:>14} {:>14} {:>8}",
        "case", "keygate ns", "floor ns", "ratio"
    );
    for (name, body, hash) in cases {
        let (mut ours, mut least, mut ratios) = (vec![], vec![], vec![]);
        for _ in 0..rounds {
            let k = time(iters, || {
                black_box(keygate(&kv, &db, &config, black_box(body)));
            });
            let f = time(iters, || {
                black_box(floor(black_box(body), hash));
            });
            let (k, f) = (k.as_nanos() as f64, f.as_nanos() as f64);
            ours.push(k);
            least.push(f);
            ratios.push(k / f.max(1.0));
        }
        println!(
            "{name:<10} {:>14.0} {:>14.0} {:>7.1}x",
            median(ours),
            median(least),
            median(ratios)
        );
    }
}
