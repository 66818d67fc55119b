//! The checks behind Keygate's fuzz targets. Each takes the fuzzer's raw
//! bytes and panics when a property fails, so `cargo fuzz` (through
//! `fuzz_targets/`) and the replay test (`tests/replay.rs`, over the saved
//! seeds and regressions) run exactly the same code.
//!
//! Properties, not just "does not panic": a parsed token round-trips and
//! never shows in `Debug`; a `VALID` decision implies every condition holds;
//! a refused API request leaves storage byte-for-byte unchanged and a
//! successful one leaves the two indexes consistent; an allowlist entry
//! allows every address its network contains.

#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is the fuzzer's failure report

mod api;
mod decision;
mod signature;
mod trust;

pub use api::api_bodies;
pub use decision::verify_decision;
pub use signature::origin_signature;
pub use trust::{canonical_path, record_roundtrip};

use std::net::IpAddr;

use keygate_edge::config::Config;
use keygate_shared::policy::{check_shape, GatewayRules};
use keygate_shared::token::LookupHash;
use keygate_shared::{ip, validation, ErrorCode, Prefix, Token};

/// Splits `data` at the first `n - 1` zero bytes into `n` lossy strings.
fn fields(data: &[u8], n: usize) -> Vec<String> {
    let mut parts: Vec<String> = data
        .splitn(n, |b| *b == 0)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    parts.resize(n, String::new());
    parts
}

/// Token parsing: arbitrary text, under the default and a custom prefix.
pub fn token_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for prefix in [
        Prefix::default(),
        "sk_live".parse::<Prefix>().expect("valid prefix"),
    ] {
        if let Ok(token) = Token::parse(&prefix, &text) {
            let secret = token.expose_secret();
            let again = Token::parse(&prefix, secret).expect("a parsed token parses again");
            assert_eq!(again.expose_secret(), secret);
            assert!(LookupHash::of(secret).matches_hex(&token.lookup_hash().to_hex()));
            let shown = format!("{token:?} {token} {}", token.hint());
            assert!(!shown.contains(secret), "Debug/Display/hint show the token");
        }
        // The shape check is the only gate before storage: whatever it
        // accepts must be a token that parses.
        if let Ok(token) = check_shape(&prefix, Some(&text)) {
            assert!(Token::parse(&prefix, token.expose_secret()).is_ok());
        }
    }
    // Well-formed tokens built from the input round-trip; any one-symbol
    // change of one is refused (the checksum catches it).
    let random: String = data
        .iter()
        .map(|b| char::from(keygate_shared::base62::ALPHABET[usize::from(*b) % 62]))
        .take(keygate_shared::token::RANDOM_LEN)
        .collect();
    if random.len() == keygate_shared::token::RANDOM_LEN {
        let prefix = Prefix::default();
        let token = Token::from_random_part(&prefix, &random);
        let secret = token.expose_secret().to_owned();
        assert!(Token::parse(&prefix, &secret).is_ok());
        let at = usize::from(data[0]) % secret.len();
        let mut changed = secret.clone().into_bytes();
        changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(changed).expect("ASCII");
        if changed != secret {
            assert!(Token::parse(&prefix, &changed).is_err(), "{at}");
        }
    }
}

/// IP allowlists: one entry and one address from the input.
pub fn ip_allowlist(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let (addr_bytes, entry) = rest.split_at(rest.len().min(16));
    let mut octets = [0u8; 16];
    octets[..addr_bytes.len()].copy_from_slice(addr_bytes);
    let address = if kind % 2 == 0 {
        IpAddr::from([octets[0], octets[1], octets[2], octets[3]])
    } else {
        IpAddr::from(octets)
    };
    let entry = String::from_utf8_lossy(entry).into_owned();
    let parsed = ip::parse_entry(&entry);
    let stored = validation::ip_allowlist(std::slice::from_ref(&entry));
    assert_eq!(parsed.is_ok(), stored.is_ok(), "parse and validation agree");
    let Ok(net) = parsed else {
        assert!(
            !ip::allows(&[entry], Some(address)),
            "a bad entry allows no one"
        );
        return;
    };
    let stored = stored.expect("valid");
    // The stored form is canonical: it parses to itself.
    assert_eq!(
        validation::ip_allowlist(&stored).expect("canonical form is valid"),
        stored
    );
    assert_eq!(
        ip::allows(&stored, Some(address)),
        expected_match(&entry, address),
        "{entry} → {stored:?} vs {address}"
    );
    assert!(net.contains(&net.network()));
}

/// The allowlist rule written out from the entry as typed: an IPv4 client
/// (also when it arrives IPv4-mapped) matches IPv4 networks and networks
/// inside `::ffff:0:0/96`; an IPv6 client matches IPv6 networks.
fn expected_match(entry: &str, address: IpAddr) -> bool {
    let entry = entry.trim();
    let net = entry
        .parse::<ipnet::IpNet>()
        .or_else(|_| entry.parse::<IpAddr>().map(ipnet::IpNet::from))
        .expect("checked valid");
    let client_v4 = match address {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(v6) => v6.to_ipv4_mapped(),
    };
    match (net, client_v4) {
        (ipnet::IpNet::V4(n), Some(v4)) => n.contains(&v4),
        (ipnet::IpNet::V6(n), Some(v4)) => {
            let mapped_range: ipnet::Ipv6Net = "::ffff:0:0/96".parse().expect("literal");
            mapped_range.contains(&n) && n.contains(&v4.to_ipv6_mapped())
        }
        (ipnet::IpNet::V6(n), None) => matches!(address, IpAddr::V6(a) if n.contains(&a)),
        (ipnet::IpNet::V4(_), None) => false,
    }
}

/// `GATEWAY_RULES` and the other vars, then a rule lookup.
pub fn gateway_config(data: &[u8]) {
    let f = fields(data, 9);
    let names = [
        "KEY_PREFIX",
        "GATEWAY_RULES",
        "MAX_KEYS_PER_ORG",
        "ORIGIN_URL",
        "ADMIN_HOSTNAME",
        "NOTIFY_WEBHOOK_URL",
        "GITHUB_SECRET_SCANNING_KEYS",
    ];
    let var = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .map(|i| f[i].clone())
            .filter(|v| !v.is_empty())
    };
    match Config::from_vars(var) {
        Ok(config) => check_rules(&config.rules, &f[7], &f[8]),
        Err(e) => {
            assert_eq!(e.code, ErrorCode::ConfigInvalid);
            let field = e.field.as_deref().expect("names the variable");
            assert!(names.contains(&field), "{field}");
        }
    }
    if let Ok(rules) = GatewayRules::parse(&f[1]) {
        check_rules(&rules, &f[7], &f[8]);
    }
}

fn check_rules(rules: &GatewayRules, method: &str, path: &str) {
    if let Some(req) = rules.requirement_for(method, path) {
        for role in &req.roles {
            assert!(validation::is_role(role));
        }
        if let Some(org) = &req.organization {
            assert!(keygate_shared::org::is_valid(org));
        }
    }
}
