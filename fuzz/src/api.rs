//! Whole requests through the worker's logic (`App::handle`) over the
//! in-memory KV: the input picks a caller and a route and supplies body,
//! query, id and header values.

use chrono::{DateTime, Duration, TimeZone, Utc};
use keygate_edge::app::App;
use keygate_edge::config::Config;
use keygate_edge::http::{HttpRequest, Outcome};
use keygate_edge::repo::Repo;
use keygate_edge::sql::{text, Db, Statement};
use keygate_edge::sqlite::SqliteDb;
use keygate_edge::store::MemoryKv;
use keygate_shared::model::{ROLE_ADMIN, ROLE_READER};
use keygate_shared::{KeyRecord, Prefix, Token};
use serde_json::Value;

use crate::fields;

const MAX_KEYS_PER_ORG: usize = 3;

/// A public key nobody holds the private half of: signatures never verify.
const KEYS_DOCUMENT: &str = r#"{"public_keys":[{"key_identifier":"k1","is_current":true,"key":"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEDpzj6JTbO/oMog6o6/Y3Qhx8Un5/\nnf+WmYGvSqDRP3w2jKTNh2ZlVgvpeEPAY11/BIE4cNX+/PIl55JkUvQ0Qw==\n-----END PUBLIC KEY-----\n"}]}"#;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
        .single()
        .expect("valid date")
}

/// A fixture key: its token and record.
struct Fixture {
    token: String,
    record: KeyRecord,
}

fn fixture(n: usize, org: &str, roles: &[&str]) -> Fixture {
    let random = format!("{n:0>32}");
    let token = Token::from_random_part(&Prefix::default(), &random);
    let record = KeyRecord {
        name: format!("fixture {n}"),
        organization: org.parse().unwrap(),
        roles: roles.iter().map(|r| r.parse().unwrap()).collect(),
        expires_at: Some(now() + Duration::days(30)),
        ..KeyRecord::minted(
            format!("key_fixture{n:0>9}").parse().unwrap(),
            &token,
            now() - Duration::days(1),
            "bootstrap",
        )
    };
    Fixture {
        token: token.expose_secret().to_owned(),
        record,
    }
}

fn fixtures() -> Vec<Fixture> {
    vec![
        fixture(1, "", &[ROLE_ADMIN]),
        fixture(2, "acme", &[ROLE_ADMIN]),
        fixture(3, "acme", &[ROLE_READER]),
        fixture(4, "acme/emea", &["calls:read"]),
        fixture(5, "globex", &["calls:write"]),
    ]
}

/// Every key row's record JSON, by id.
fn rows(db: &SqliteDb) -> Vec<(String, String)> {
    pollster::block_on(db.query(Statement::new(
        "SELECT id, record FROM keys ORDER BY id",
        vec![],
    )))
    .expect("read rows")
    .iter()
    .map(|r| {
        (
            text(r, "id").unwrap_or("").to_owned(),
            text(r, "record").unwrap_or("").to_owned(),
        )
    })
    .collect()
}

/// Every stored entry with its value and expiration, and every row.
type Snapshot = (Vec<(String, String, Option<i64>)>, Vec<(String, String)>);

fn snapshot(kv: &MemoryKv, db: &SqliteDb) -> Snapshot {
    let entries = kv
        .keys()
        .into_iter()
        .filter_map(|k| kv.raw(&k).map(|(v, o)| (k, v, o.expiration)))
        .collect();
    (entries, rows(db))
}

/// Every row has exactly its projection and every projection a row;
/// after a create, no organization holds more unexpired keys than its
/// limit (a roll replaces a key and may overlap it during the grace
/// period).
fn check_indexes(kv: &MemoryKv, db: &SqliteDb, created: bool) {
    let mut per_org = std::collections::HashMap::<String, usize>::new();
    let rows = rows(db);
    for (id, json) in &rows {
        let record: KeyRecord = serde_json::from_str(json).expect("stored record decodes");
        assert_eq!(&record.id, id);
        let (projection, _) = kv
            .raw(&format!("h/{}", record.hash))
            .expect("a row without its projection");
        assert_eq!(&projection, json, "projection and row differ");
        if record.expires_at.is_none_or(|at| at > now()) {
            *per_org.entry(record.organization.to_string()).or_default() += 1;
        }
    }
    let projections = kv.keys().iter().filter(|k| k.starts_with("h/")).count();
    assert_eq!(projections, rows.len(), "a projection without a row");
    if created {
        for (org, n) in per_org {
            assert!(n <= MAX_KEYS_PER_ORG, "{org} holds {n} unexpired keys");
        }
    }
}

const STATUSES: [u16; 11] = [200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 422];

/// Sends one request built from `data` and checks the answer and storage.
pub fn api_bodies(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let f = fields(rest, 4);
    let (body, extra, header, raw_id) = (&f[0], &f[1], &f[2], &f[3]);
    let (kv, db) = (MemoryKv::default(), SqliteDb::new());
    let keys = fixtures();
    for k in &keys {
        pollster::block_on(Repo::new(&kv, &db).insert_unlimited(&k.record, now())).expect("seed");
    }
    let config = Config {
        max_keys_per_org: MAX_KEYS_PER_ORG as u32,
        origin_url: Some("http://127.0.0.1:9".into()),
        github_secret_scanning_keys: Some(KEYS_DOCUMENT.into()),
        ..Config::default()
    };
    // Caller: one of the fixtures (all roles and subtrees), none, or the input.
    let caller = match pick % 7 {
        n @ 0..=4 => Some(keys[usize::from(n)].token.clone()),
        5 => None,
        _ => Some(header.clone()),
    };
    let id = match (pick / 7) % 3 {
        0 => keys[usize::from(pick / 21) % keys.len()]
            .record
            .id
            .to_string(),
        _ => raw_id.clone(),
    };
    let (method, path) = match (pick >> 4) % 11 {
        0 => ("POST", "/api/v1/keys".to_owned()),
        1 => ("PATCH", format!("/api/v1/keys/{id}")),
        2 => ("DELETE", format!("/api/v1/keys/{id}")),
        3 => ("POST", "/api/v1/keys/bulk-delete".to_owned()),
        4 => ("POST", format!("/api/v1/keys/{id}/roll")),
        5 => ("POST", "/api/v1/verify".to_owned()),
        6 => ("GET", "/api/v1/keys".to_owned()),
        7 => ("GET", "/api/v1/audit".to_owned()),
        8 => ("GET", "/api/v1/keys/export.csv".to_owned()),
        9 => ("POST", "/api/v1/secret-scanning/github".to_owned()),
        _ => ("PUT", format!("/api/v1/{extra}")),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(token) = &caller {
        headers.push(("authorization".into(), format!("Bearer {token}")));
    }
    headers.push(("github-public-key-identifier".into(), "k1".into()));
    headers.push(("github-public-key-signature".into(), header.clone()));
    headers.push(("cf-connecting-ip".into(), extra.clone()));
    let req = HttpRequest {
        method: method.into(),
        host: "keygate.test".into(),
        origin: "https://keygate.test".into(),
        path,
        raw_query: extra.clone(),
        query: extra
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect(),
        headers,
        body: body.as_bytes().to_vec(),
    };
    let before = snapshot(&kv, &db);
    let app = App {
        kv: &kv,
        db: &db,
        config: &config,
        now: now(),
        limiter: None,
        meter: None,
        certs: None,
    };
    let Outcome::Respond(resp) = pollster::block_on(app.handle(&req)) else {
        panic!("an /api/ request is answered by the API");
    };
    assert!(STATUSES.contains(&resp.status), "status {}", resp.status);
    let text = String::from_utf8(resp.body.clone()).expect("UTF-8 answer");
    for k in &keys {
        assert!(!text.contains(&k.token), "a token in an answer");
        assert!(!text.contains(&k.record.hash), "a hash in an answer");
    }
    if resp.status >= 400 {
        let v: Value = serde_json::from_str(&text).expect("error bodies are JSON");
        assert!(v["error"]["code"].as_str().is_some_and(|c| !c.is_empty()));
        assert!(v["error"]["message"].is_string());
        assert_eq!(
            snapshot(&kv, &db),
            before,
            "a refused request changed storage"
        );
    }
    if method == "GET" || path_is_read_only(&req.path) {
        assert_eq!(snapshot(&kv, &db), before, "a read changed storage");
    }
    check_indexes(&kv, &db, resp.status == 201 && req.path == "/api/v1/keys");
}

fn path_is_read_only(path: &str) -> bool {
    path == "/api/v1/verify"
}
