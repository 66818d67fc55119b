//! Replays every saved input (`fuzz/seeds/<target>/` and the crashes the
//! fuzzer once found, `fuzz/regressions/<target>/`) through the same checks
//! `cargo fuzz` runs, on stable, as part of `cargo test`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                panic!("{} fails its check", path.display());
            }
            n += 1;
        }
    }
    assert!(n > 0, "no saved inputs for {target}");
}

#[test]
fn token_parse() {
    replay("token_parse", keygate_fuzz::token_parse);
}

#[test]
fn verify_decision() {
    replay("verify_decision", keygate_fuzz::verify_decision);
}

#[test]
fn api_bodies() {
    replay("api_bodies", keygate_fuzz::api_bodies);
}

#[test]
fn ip_allowlist() {
    replay("ip_allowlist", keygate_fuzz::ip_allowlist);
}

#[test]
fn gateway_config() {
    replay("gateway_config", keygate_fuzz::gateway_config);
}

#[test]
fn canonical_path() {
    replay("canonical_path", keygate_fuzz::canonical_path);
}

#[test]
fn origin_signature() {
    replay("origin_signature", keygate_fuzz::origin_signature);
}

#[test]
fn record_roundtrip() {
    replay("record_roundtrip", keygate_fuzz::record_roundtrip);
}
