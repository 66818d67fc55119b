//! The admin plane on D1 (natively on SQLite, the same SQL): keyset pages
//! of every sort add up to the whole sorted list, audit pages are scoped in
//! the query (never an empty page with a cursor), the limit is exact, and
//! create and delete cost the same number of storage operations whatever
//! the number of keys.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use chrono::{DateTime, Duration, TimeZone, Utc};
use keygate_edge::app::App;
use keygate_edge::config::Config;
use keygate_edge::http::{HttpRequest, Outcome};
use keygate_edge::repo::Repo;
use keygate_edge::sqlite::SqliteDb;
use keygate_edge::store::MemoryKv;
use keygate_shared::model::{KeyRecord, ROLE_ADMIN};
use keygate_shared::{Prefix, Token};
use serde_json::Value;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn record(n: usize, org: &str, roles: &[&str]) -> (KeyRecord, String) {
    let token = Token::generate(&Prefix::default()).unwrap();
    let r = KeyRecord {
        // Repeated names and dates: ties are broken by id.
        name: format!("Key {}", n % 7),
        description: format!("number {n}"),
        organization: org.parse().unwrap(),
        group: Some(format!("g{}", n % 3)),
        roles: roles.iter().map(|r| r.parse().unwrap()).collect(),
        enabled: !n.is_multiple_of(5),
        expires_at: (!n.is_multiple_of(4)).then(|| now() + Duration::days((n % 13) as i64 - 2)),
        ..KeyRecord::minted(
            keygate_shared::KeyId::generate().unwrap(),
            &token,
            now() - Duration::days((n % 11) as i64),
            "bootstrap",
        )
    };
    (r, token.expose_secret().to_owned())
}

struct World {
    kv: MemoryKv,
    db: SqliteDb,
    config: Config,
}

impl World {
    fn new(max_keys_per_org: u32) -> Self {
        Self {
            kv: MemoryKv::default(),
            db: SqliteDb::new(),
            config: Config {
                max_keys_per_org,
                ..Config::default()
            },
        }
    }

    fn insert(&self, r: &KeyRecord) {
        pollster::block_on(Repo::new(&self.kv, &self.db).insert_unlimited(r, now())).unwrap();
    }

    fn admin(&self, org: &str) -> String {
        let (r, token) = record(0, org, &[ROLE_ADMIN]);
        let r = KeyRecord {
            enabled: true,
            expires_at: Some(now() + Duration::days(300)),
            ..r
        };
        self.insert(&r);
        token
    }

    fn call(&self, token: &str, method: &str, path_and_query: &str, body: &str) -> (u16, Value) {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let app = App {
            kv: &self.kv,
            db: &self.db,
            config: &self.config,
            now: now(),
            limiter: None,
            meter: None,
            certs: None,
        };
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
            headers: vec![("authorization".into(), format!("Bearer {token}"))],
            body: body.as_bytes().to_vec(),
        };
        match pollster::block_on(app.handle(&req)) {
            Outcome::Respond(r) => (
                r.status,
                serde_json::from_slice(&r.body).unwrap_or(Value::Null),
            ),
            other => panic!("{other:?}"),
        }
    }

    /// Every page of `query`, following the cursors; the ids in order.
    fn walk(&self, token: &str, query: &str, limit: usize) -> Vec<String> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut q = format!("/api/v1/keys?limit={limit}&{query}");
            if let Some(c) = &cursor {
                q.push_str(&format!("&cursor={c}"));
            }
            let (status, page) = self.call(token, "GET", &q, "");
            assert_eq!(status, 200, "{q}: {page}");
            let keys = page["keys"].as_array().unwrap();
            assert!(
                !keys.is_empty() || ids.is_empty(),
                "an empty page behind a cursor"
            );
            ids.extend(keys.iter().map(|k| k["id"].as_str().unwrap().to_owned()));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return ids,
            }
        }
    }
}

#[test]
fn keyset_pages_of_every_sort_add_up_to_the_sorted_list() {
    let w = World::new(0);
    let root = w.admin("");
    for n in 0..60 {
        let org = ["acme", "acme/emea", "globex", "acme2"][n % 4];
        w.insert(&record(n, org, &[]).0);
    }
    for sort in [
        "name",
        "-name",
        "created_at",
        "-created_at",
        "expires_at",
        "-expires_at",
    ] {
        for filter in [
            "",
            "organization=acme",
            "status=disabled",
            "group=g1",
            "q=NUMBER%201",
        ] {
            let query = format!("sort={sort}&{filter}").replace("%20", " ");
            let whole = w.walk(&root, &query, 1000);
            for limit in [1, 7] {
                assert_eq!(
                    w.walk(&root, &query, limit),
                    whole,
                    "{query}, pages of {limit}"
                );
            }
            let (_, first) = w.call(&root, "GET", &format!("/api/v1/keys?{query}"), "");
            assert_eq!(
                first["total"].as_u64().unwrap() as usize,
                whole.len(),
                "{query}"
            );
        }
    }
    // The organization filter is a subtree, not a prefix: acme2 is not acme's.
    let (_, acme) = w.call(
        &root,
        "GET",
        "/api/v1/keys?organization=acme&limit=1000",
        "",
    );
    for k in acme["keys"].as_array().unwrap() {
        let o = k["organization"].as_str().unwrap();
        assert!(o == "acme" || o.starts_with("acme/"), "{o}");
    }
    assert_eq!(acme["total"], 30);
    // Sorted as the contract says: by name, ties by id.
    let (_, by_name) = w.call(&root, "GET", "/api/v1/keys?sort=name&limit=1000", "");
    let names: Vec<(String, String)> = by_name["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["name"].as_str().unwrap().to_lowercase(),
                k["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    // A made-up cursor is a 422, not a 500.
    for bad in ["x", "WzEsMl0", "bm90IGpzb24"] {
        let (status, body) = w.call(&root, "GET", &format!("/api/v1/keys?cursor={bad}"), "");
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (422, Some("cursor")),
            "{bad}"
        );
    }
}

/// What `q` must find, written out from §4: the keys where one of the
/// named fields contains the text, case-insensitively.
fn contains_text(k: &Value, needle: &str) -> bool {
    let needle = needle.to_lowercase();
    let mut fields: Vec<String> = [
        "name",
        "description",
        "organization",
        "group",
        "created_by",
        "hint",
    ]
    .iter()
    .map(|f| k[*f].as_str().unwrap_or("").to_lowercase())
    .collect();
    fields.extend(
        k["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_lowercase()),
    );
    fields.iter().any(|f| f.contains(&needle))
}

#[test]
fn search_through_the_trigram_index_finds_what_a_scan_finds() {
    let w = World::new(0);
    let root = w.admin("");
    for n in 0..80 {
        let org = ["acme", "acme/emea", "globex"][n % 3];
        let (mut r, _) = record(n, org, &["calls:read", "Billing.Write"][..(n % 2 + 1)]);
        r.name = format!(
            "{} «Straße» {}",
            ["Alpha", "beta", "GAMMA", "delta"][n % 4],
            n
        );
        w.insert(&r);
    }
    let (_, all) = w.call(&root, "GET", "/api/v1/keys?limit=1000", "");
    let all = all["keys"].as_array().unwrap().clone();
    // Short texts scan; three characters and more go through the index.
    for q in [
        "a",
        "ph",
        "alp",
        "ALPHA",
        "gamma 1",
        "number 7",
        "acme/em",
        "billing.w",
        "calls:",
        "straße",
        "«str",
        "bootstrap",
        "kg_",
        "g1",
        "zzz",
        "\"quoted\"",
        "a'b",
        "%",
        "_",
        "e e",
    ] {
        let expected: Vec<&str> = all
            .iter()
            .filter(|k| contains_text(k, q))
            .map(|k| k["id"].as_str().unwrap())
            .collect();
        // (`call` takes decoded query pairs, split at `&` and `=`.)
        let found = w.walk(&root, &format!("q={q}"), 1000);
        assert_eq!(found, expected, "q={q:?}");
    }
}

#[test]
fn audit_pages_are_scoped_in_the_query() {
    let w = World::new(0);
    let root = w.admin("");
    let leaf = w.admin("leaf");
    // Many events elsewhere, a few in the leaf's subtree, interleaved.
    for n in 0..40 {
        let org = if n % 10 == 0 { "leaf/x" } else { "other" };
        let (status, _) = w.call(
            &root,
            "POST",
            "/api/v1/keys",
            &format!(r#"{{"name": "k{n}", "organization": "{org}"}}"#),
        );
        assert_eq!(status, 201);
    }
    let mut cursor: Option<String> = None;
    let mut seen = 0;
    loop {
        let q = cursor
            .as_ref()
            .map_or("/api/v1/audit?limit=1".to_owned(), |c| {
                format!("/api/v1/audit?limit=1&cursor={c}")
            });
        let (status, page) = w.call(&leaf, "GET", &q, "");
        assert_eq!(status, 200);
        let events = page["events"].as_array().unwrap();
        if let Some(c) = page["next_cursor"].as_str() {
            assert_eq!(events.len(), 1, "a page with a cursor is never empty");
            cursor = Some(c.to_owned());
        } else {
            seen += events.len();
            break;
        }
        seen += 1;
        assert_eq!(events[0]["details"]["organization"], "leaf/x");
    }
    assert_eq!(seen, 4, "exactly the leaf subtree's events");
    // Filters: action, actor, key, time range.
    let (_, created) = w.call(
        &root,
        "GET",
        "/api/v1/audit?action=key.created&limit=1000",
        "",
    );
    assert_eq!(created["events"].as_array().unwrap().len(), 40);
    let (_, none) = w.call(&root, "GET", "/api/v1/audit?action=key.deleted", "");
    assert!(none["events"].as_array().unwrap().is_empty() && none["next_cursor"].is_null());
    let (_, after) = w.call(&root, "GET", "/api/v1/audit?since=2026-11-22T12:00:01Z", "");
    assert!(after["events"].as_array().unwrap().is_empty());
    let (_, until) = w.call(
        &root,
        "GET",
        "/api/v1/audit?until=2026-11-22T12:00:01Z&limit=1000",
        "",
    );
    assert_eq!(until["events"].as_array().unwrap().len(), 40);
    for bad in ["action=key.eaten", "since=yesterday", "cursor=-1", "actor="] {
        let (status, _) = w.call(&root, "GET", &format!("/api/v1/audit?{bad}"), "");
        assert_eq!(status, 422, "{bad}");
    }
}

#[test]
fn the_limit_is_checked_in_the_insert() {
    let w = World::new(3);
    let root = w.admin("");
    for n in 0..3 {
        let (status, _) = w.call(
            &root,
            "POST",
            "/api/v1/keys",
            &format!(r#"{{"name": "k{n}", "organization": "full"}}"#),
        );
        assert_eq!(status, 201);
    }
    let (status, body) = w.call(
        &root,
        "POST",
        "/api/v1/keys",
        r#"{"name": "one more", "organization": "full"}"#,
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("KEY_LIMIT_REACHED"))
    );
    // A roll at the limit: with a grace period both keys would count (and
    // rolling the new key again would add one more each time): refused;
    // with none the old key ends at once and the pair takes one place.
    let (_, listed) = w.call(&root, "GET", "/api/v1/keys?organization=full", "");
    let id = listed["keys"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = w.call(
        &root,
        "POST",
        &format!("/api/v1/keys/{id}/roll"),
        r#"{"grace_seconds": 3600}"#,
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("KEY_LIMIT_REACHED")),
        "{body}"
    );
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("grace_seconds 0"));
    let (status, rolled) = w.call(
        &root,
        "POST",
        &format!("/api/v1/keys/{id}/roll"),
        r#"{"grace_seconds": 0}"#,
    );
    assert_eq!(status, 201, "{rolled}");
    let (_, listed) = w.call(
        &root,
        "GET",
        "/api/v1/keys?organization=full&status=active",
        "",
    );
    assert_eq!(listed["total"], 3, "still three live keys");
    // Expired keys do not count; another organization has its own places.
    let (status, _) = w.call(
        &root,
        "POST",
        "/api/v1/keys",
        r#"{"name": "elsewhere", "organization": "full/sub"}"#,
    );
    assert_eq!(status, 201);
}

#[test]
fn create_and_delete_cost_the_same_at_any_size() {
    let mut costs = Vec::new();
    for keys in [10, 1000] {
        let w = World::new(10);
        let root = w.admin("");
        for n in 0..keys {
            w.insert(&record(n, &format!("org{}", n % 50), &[]).0);
        }
        let (kv0, db0) = (w.kv.counts.get(), w.db.statements.get());
        let (status, created) = w.call(
            &root,
            "POST",
            "/api/v1/keys",
            r#"{"name": "measured", "organization": "measured"}"#,
        );
        assert_eq!(status, 201, "{created}");
        let (kv1, db1) = (w.kv.counts.get(), w.db.statements.get());
        let id = created["key"]["id"].as_str().unwrap();
        let (status, _) = w.call(&root, "DELETE", &format!("/api/v1/keys/{id}"), "");
        assert_eq!(status, 204);
        let (kv2, db2) = (w.kv.counts.get(), w.db.statements.get());
        let ops = |a: (u32, u32, u32, u32), b: (u32, u32, u32, u32)| {
            (b.0 - a.0) + (b.1 - a.1) + (b.2 - a.2) + (b.3 - a.3)
        };
        costs.push(((ops(kv0, kv1), db1 - db0), (ops(kv1, kv2), db2 - db1)));
    }
    println!(
        "storage operations (KV, D1): create {:?}, delete {:?}",
        costs[0].0, costs[0].1
    );
    assert_eq!(costs[0], costs[1], "cost grows with the number of keys");
    // As the README's table says: create = auth get + projection put (KV);
    // auth read + insert + version read + audit insert (D1). Delete = auth
    // get + two projection deletes (KV); auth read + read + delete + audit
    // insert (D1).
    assert_eq!(
        costs[0],
        ((2, 4), (3, 4)),
        "the README's table is out of date"
    );
}

#[test]
fn the_crons_reconciliation_goes_on_where_the_last_run_stopped() {
    use keygate_edge::store::{Kv, PutOptions};
    let w = World::new(0);
    let repo = Repo::new(&w.kv, &w.db);
    let mut records = Vec::new();
    for n in 0..2500 {
        let (r, _) = record(n, "bulk", &[]);
        w.insert(&r);
        records.push(r);
    }
    // Spread over the hash order: lost projections, a stale one, orphans.
    for r in &records[..3] {
        pollster::block_on(w.kv.delete(&format!("h/{}", r.hash))).unwrap();
    }
    let stale = &records[3];
    pollster::block_on(w.kv.put(
        &format!("h/{}", stale.hash),
        &serde_json::to_string(stale).unwrap(),
        PutOptions {
            expiration: None,
            metadata: Some(serde_json::json!({"v": 0})),
        },
    ))
    .unwrap();
    // Two orphans this plane wrote (with a row version), and one from the
    // layout before D1 (none), which the cron leaves to migrate-to-d1.
    for n in 0..3 {
        let (orphan, _) = record(10_000 + n, "gone", &[]);
        let metadata = (n < 2).then(|| serde_json::json!({"v": 3}));
        pollster::block_on(w.kv.put(
            &format!("h/{}", orphan.hash),
            &serde_json::to_string(&orphan).unwrap(),
            PutOptions {
                expiration: None,
                metadata,
            },
        ))
        .unwrap();
    }
    // One page (1,000 keys) per run: three runs walk it all, each listing
    // KV once; the fourth starts again from the first key.
    let mut total = (0, 0, 0);
    let mut runs = 0;
    loop {
        let lists_before = w.kv.counts.get().3;
        let r = pollster::block_on(repo.reconcile_step(now(), 100, 1)).unwrap();
        assert!(
            w.kv.counts.get().3 - lists_before <= 1,
            "one KV list per run"
        );
        total = (
            total.0 + r.missing_written,
            total.1 + r.stale_rewritten,
            total.2 + r.orphans_removed,
        );
        runs += 1;
        if !r.incomplete {
            break;
        }
        assert!(runs < 10, "the pass never ends");
    }
    assert_eq!(runs, 3);
    assert_eq!(total, (3, 1, 2), "every fix once");
    // The operator's whole pass removes the unversioned orphan too.
    let again = pollster::block_on(repo.reconcile(now(), u64::MAX)).unwrap();
    assert_eq!(
        (
            again.missing_written,
            again.stale_rewritten,
            again.orphans_removed,
            again.rows
        ),
        (0, 0, 1, 2500),
        "KV matches D1"
    );
    // A fix budget stops inside a page; the next run walks that page again.
    for r in &records[100..105] {
        pollster::block_on(w.kv.delete(&format!("h/{}", r.hash))).unwrap();
    }
    let mut fixed = 0;
    for _ in 0..10 {
        let r = pollster::block_on(repo.reconcile_step(now(), 2, 1)).unwrap();
        fixed += r.missing_written;
        if fixed == 5 && !r.incomplete {
            break;
        }
    }
    assert_eq!(fixed, 5);
}

/// Workers' per-invocation limits on the paid plan: 1,000 D1 queries
/// (a batch is one) and 1,000 KV operations.
const PLATFORM_LIMIT: u32 = 1000;

fn kv_ops(c: (u32, u32, u32, u32)) -> u32 {
    c.0 + c.1 + c.2 + c.3
}

#[test]
fn a_bulk_delete_of_1000_and_a_full_cron_run_stay_within_the_platform_limits() {
    use keygate_edge::lifecycle::{run, Notifier};
    let w = World::new(0);
    let root = w.admin("");
    let mut ids = Vec::new();
    for n in 0..999 {
        let (r, _) = record(n, "bulk", &[]);
        ids.push(r.id.to_string());
        w.insert(&r);
    }
    ids.push("key_0000000000000000".into()); // not there: reported
    let (kv0, db0) = (w.kv.counts.get(), w.db.calls.get());
    let (status, body) = w.call(
        &root,
        "POST",
        "/api/v1/keys/bulk-delete",
        &serde_json::json!({ "ids": ids }).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["deleted"].as_array().unwrap().len(), 999);
    assert_eq!(
        body["not_found"],
        serde_json::json!(["key_0000000000000000"])
    );
    let (kv, d1) = (
        kv_ops(w.kv.counts.get()) - kv_ops(kv0),
        w.db.calls.get() - db0,
    );
    println!("bulk delete of 1,000 ids: {kv} KV operations, {d1} D1 calls");
    assert!(
        kv <= PLATFORM_LIMIT && d1 <= 30,
        "bulk delete: {kv} KV, {d1} D1"
    );

    // A cron run with more than a run's worth of everything to do.
    struct Accepting;
    impl Notifier for Accepting {
        async fn post_json(&self, _: &str, _: &str) -> Result<(), String> {
            Ok(())
        }
    }
    let w = World::new(0);
    let later = now() + Duration::days(400);
    for n in 0..3000 {
        let (mut r, _) = record(n, &format!("org{}", n % 20), &[]);
        r.created_at = now() - Duration::days(30);
        // A third expired by then, a third due for a notice, a third later.
        r.expires_at = Some(match n % 3 {
            0 => later - Duration::days(1),
            1 => later + Duration::days(2),
            _ => later + Duration::days(300),
        });
        w.insert(&r);
    }
    let (kv0, db0) = (w.kv.counts.get(), w.db.calls.get());
    let repo = Repo::new(&w.kv, &w.db);
    let report = pollster::block_on(run(
        &repo,
        &Accepting,
        Some("http://127.0.0.1:9/hook"),
        None,
        later,
    ))
    .unwrap();
    let (kv, d1) = (
        kv_ops(w.kv.counts.get()) - kv_ops(kv0),
        w.db.calls.get() - db0,
    );
    println!(
        "full cron run: {} purged, {} notices, {:?}: {kv} KV operations, {d1} D1 calls",
        report.purged.len(),
        report.notified.len(),
        report.reconciled
    );
    assert!(report.more, "there was more than one run's worth");
    assert_eq!((report.purged.len(), report.notified.len()), (50, 50));
    assert!(
        kv < PLATFORM_LIMIT && d1 < PLATFORM_LIMIT,
        "cron: {kv} KV, {d1} D1"
    );
}

#[test]
fn a_streamed_export_stops_when_its_key_is_revoked_or_storage_fails() {
    let w = World::new(0);
    let (admin, token) = record(0, "", &[ROLE_ADMIN]);
    let admin = KeyRecord {
        enabled: true,
        expires_at: Some(now() + Duration::days(300)),
        ..admin
    };
    w.insert(&admin);
    for n in 0..2100 {
        w.insert(&record(n, "bulk", &[]).0);
    }
    let app = App {
        kv: &w.kv,
        db: &w.db,
        config: &w.config,
        now: now(),
        limiter: None,
        meter: None,
        certs: None,
    };
    let req = HttpRequest {
        method: "GET".into(),
        host: "127.0.0.1".into(),
        origin: String::new(),
        path: "/api/v1/keys/export.csv".into(),
        raw_query: "organization=bulk".into(),
        query: vec![("organization".into(), "bulk".into())],
        headers: vec![("authorization".into(), format!("Bearer {token}"))],
        body: vec![],
    };
    let streamed =
        |app: &App<'_, MemoryKv, SqliteDb>| match pollster::block_on(app.handle_logged(&req)).0 {
            Outcome::Stream(s) => *s,
            other => panic!("2,100 keys are more than one page: {other:?}"),
        };
    // Read to the end, the stream holds every key once.
    let whole = streamed(&app);
    assert_eq!(whole.head.status, 200);
    let rest = pollster::block_on(whole.rest.clone().collect(&app.keys())).unwrap();
    let lines = String::from_utf8_lossy(&whole.head.body).lines().count() + rest.lines().count();
    assert_eq!(lines, 1 + 2100);
    // The caller's key disabled after the first page: no more pages.
    let mut cut = streamed(&app).rest;
    let repo = Repo::new(&w.kv, &w.db);
    pollster::block_on(repo.modify(&admin.id, &admin.hash, now(), &|r| r.enabled = false)).unwrap();
    let e = pollster::block_on(cut.next_chunk(&app.keys())).unwrap_err();
    assert_eq!(e.code, keygate_shared::ErrorCode::Unauthenticated);
    pollster::block_on(repo.modify(&admin.id, &admin.hash, now(), &|r| r.enabled = true)).unwrap();
    // Storage failing after the first page: an error, never a short end.
    let mut broken = streamed(&app).rest;
    w.db.failing.set(true);
    let e = pollster::block_on(broken.next_chunk(&app.keys())).unwrap_err();
    w.db.failing.set(false);
    assert_eq!(e.code, keygate_shared::ErrorCode::Unavailable);
}

#[test]
fn a_persons_export_stops_when_their_access_session_ends() {
    let w = World::new(0);
    let until = now() + Duration::minutes(5);
    let person = keygate_shared::rules::caller::Caller::of_person(
        "ana@acme.com",
        keygate_shared::Organization::root(),
        true,
        now(),
        until,
    );
    let still = |at| {
        let keys = keygate_edge::service::KeyService::new(Repo::new(&w.kv, &w.db), &w.config, at);
        pollster::block_on(keys.caller_still_signs_in(&person)).unwrap()
    };
    assert!(still(now()));
    assert!(still(until - Duration::seconds(1)));
    assert!(!still(until), "no page once the Access token has ended");
}
