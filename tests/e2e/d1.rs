//! The admin plane on D1 under `wrangler dev` (local D1 and KV): audit
//! filters scoped in the query, keyset pages of every sort, `keygate
//! reconcile` repairing KV from D1, `keygate migrate-to-d1` importing a
//! KV-only deployment (twice, same result), and a storage failure that is
//! answered 503 and logged with its cause.

use chrono::{Duration, Utc};
use keygate_cli::wrangler_d1::WranglerD1;
use keygate_cli::wrangler_kv::WranglerKv;
use keygate_e2e::{default_vars, Worker};
use keygate_edge::sql::{Db, Statement};
use keygate_edge::store::{Kv, PutOptions};
use keygate_shared::{KeyRecord, Prefix, Token};
use serde_json::{json, Value};

fn events(page: &Value) -> Vec<Value> {
    page["events"].as_array().cloned().unwrap_or_default()
}

/// Every page of `path` (which ends in a query) as `token`, following
/// `next_cursor`; asserts no page is empty while it still has a cursor.
fn all_pages(w: &Worker, token: &str, path: &str, items: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_owned(),
        };
        let r = w.as_key(token, "GET", &url, None);
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        let j = r.json();
        let page = j[items].as_array().cloned().unwrap_or_default();
        cursor = j["next_cursor"].as_str().map(str::to_owned);
        assert!(
            !page.is_empty() || cursor.is_none(),
            "{url}: an empty page with a cursor"
        );
        out.extend(page);
        if cursor.is_none() {
            return out;
        }
    }
    panic!("{path}: more than 1000 pages");
}

#[test]
fn audit_filters_are_scoped_in_the_query_and_never_page_empty() {
    let w = Worker::start("d1-audit", default_vars, true);
    let (sub_id, sub) = w.create_key(&json!({"name": "scoped admin", "organization": "scoped",
        "roles": ["keygate:admin"], "expires_in_days": 5}));
    // Many events outside the sub-admin's subtree, a few inside, interleaved.
    let mut inside = vec![];
    for i in 0..12 {
        let _ = w.create_key(
            &json!({"name": format!("outside {i}"), "organization": format!("other{i}")}),
        );
        if i % 4 == 0 {
            let (id, _) = w.create_key_as(
                &sub,
                &json!({"name": format!("inside {i}"), "organization": "scoped/team"}),
            );
            inside.push(id);
        }
    }
    let deleted = inside.pop().unwrap();
    assert_eq!(
        w.as_key(&sub, "DELETE", &format!("/api/v1/keys/{deleted}"), None)
            .status,
        204
    );
    let seen = all_pages(&w, &sub, "/api/v1/audit?limit=2", "events");
    // The sub-admin's own creation (root did it, in "scoped"), its 3
    // creates and 1 delete: nothing of the 12 outside.
    assert_eq!(seen.len(), 5, "{seen:#?}");
    assert!(seen.iter().all(|e| e["details"]["organization"]
        .as_str()
        .unwrap()
        .starts_with("scoped")));
    let root_all = all_pages(&w, &w.admin_token, "/api/v1/audit?limit=7", "events");
    assert!(
        root_all.len() >= 18,
        "root sees everything: {}",
        root_all.len()
    );

    // Filters, each on the server: action, actor, key, time range.
    let deletes = all_pages(
        &w,
        &sub,
        "/api/v1/audit?limit=1&action=key.deleted",
        "events",
    );
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0]["key_id"], json!(deleted));
    let by_sub = all_pages(
        &w,
        &sub,
        &format!("/api/v1/audit?limit=1&actor={sub_id}"),
        "events",
    );
    assert_eq!(
        by_sub.len(),
        4,
        "three creates and a delete by the sub-admin"
    );
    let of_key = all_pages(
        &w,
        &sub,
        &format!("/api/v1/audit?limit=5&key_id={deleted}"),
        "events",
    );
    let actions: Vec<&str> = of_key
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["key.deleted", "key.created"]);
    // Someone else's key, named by id: nothing (scoping holds under filters).
    let outside_id = root_all
        .iter()
        .find(|e| e["details"]["organization"] == json!("other3"))
        .map(|e| e["key_id"].as_str().unwrap().to_owned())
        .unwrap();
    let page = w
        .as_key(
            &sub,
            "GET",
            &format!("/api/v1/audit?key_id={outside_id}"),
            None,
        )
        .json();
    assert_eq!(
        (events(&page).len(), &page["next_cursor"]),
        (0, &Value::Null)
    );
    let future =
        (Utc::now() + Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let past = (Utc::now() - Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(
        events(
            &w.as_key(&sub, "GET", &format!("/api/v1/audit?since={future}"), None)
                .json()
        )
        .len(),
        0
    );
    assert_eq!(
        all_pages(
            &w,
            &sub,
            &format!("/api/v1/audit?limit=3&since={past}&until={future}"),
            "events"
        )
        .len(),
        5
    );
    for bad in [
        "action=key.frobbed",
        "since=yesterday",
        "until=2026-13-01T00:00:00Z",
        "cursor=abc",
        "cursor=-4",
        "key_id=nope",
    ] {
        let r = w.as_key(&sub, "GET", &format!("/api/v1/audit?{bad}"), None);
        assert_eq!(
            (r.status, r.code().as_str()),
            (422, "INVALID_FIELD"),
            "{bad}: {}",
            r.body
        );
    }
}

#[test]
fn keyset_pages_of_every_sort_cover_the_list_once() {
    let w = Worker::start("d1-pages", default_vars, true);
    for i in 0..9 {
        // Repeated names and expiries: ties are broken by id.
        let _ = w.create_key(&json!({"name": format!("page {}", i % 3),
            "organization": format!("pages/o{}", i % 2 + i / 5),
            "expires_in_days": 10 + i % 2}));
    }
    for sort in [
        "name",
        "-name",
        "created_at",
        "-created_at",
        "expires_at",
        "-expires_at",
    ] {
        let whole = w
            .admin(
                "GET",
                &format!("/api/v1/keys?organization=pages&sort={sort}&limit=1000"),
                None,
            )
            .json();
        let whole_ids: Vec<Value> = whole["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["id"].clone())
            .collect();
        assert_eq!(whole_ids.len(), 9);
        assert_eq!(whole["total"], json!(9));
        let paged: Vec<Value> = all_pages(
            &w,
            &w.admin_token,
            &format!("/api/v1/keys?organization=pages&sort={sort}&limit=2"),
            "keys",
        )
        .iter()
        .map(|k| k["id"].clone())
        .collect();
        assert_eq!(
            paged, whole_ids,
            "sort {sort}: pages differ from the whole list"
        );
    }
    // A cursor of one sort is refused by another, and a made-up one.
    let first = w
        .admin(
            "GET",
            "/api/v1/keys?organization=pages&sort=name&limit=2",
            None,
        )
        .json();
    let cursor = first["next_cursor"].as_str().unwrap();
    let r = w.admin(
        "GET",
        &format!("/api/v1/keys?sort=created_at&cursor={cursor}"),
        None,
    );
    assert_eq!((r.status, r.code().as_str()), (422, "INVALID_FIELD"));
    let r = w.admin("GET", "/api/v1/keys?cursor=WzEsIm5vcGUiXQ", None);
    assert_eq!((r.status, r.code().as_str()), (422, "INVALID_FIELD"));
}

fn old_layout_record(name: &str) -> (KeyRecord, String) {
    let token = Token::generate(&Prefix::default()).unwrap();
    let record = KeyRecord {
        name: name.into(),
        description: "made before D1".into(),
        organization: "legacy".parse().unwrap(),
        roles: vec!["calls:read".parse().unwrap()],
        expires_at: Some(Utc::now() + Duration::days(30)),
        ..KeyRecord::minted(
            keygate_shared::KeyId::generate().unwrap(),
            &token,
            Utc::now() - Duration::days(3),
            "bootstrap",
        )
    };
    (record, token.expose_secret().to_owned())
}

#[test]
fn reconcile_and_migrate_to_d1_through_the_cli() {
    let w = Worker::start("d1-cli", default_vars, true);
    let target = w.target();
    let (kv, db) = (WranglerKv::new(target.clone()), WranglerD1::new(target));

    // A KV-only deployment's entries, as the previous layout wrote them:
    // k/<id> (metadata = the record), h/<hash> (no version), a/<inverted
    // time> audit events.
    let mut legacy = vec![];
    for (n, name) in ["legacy one", "legacy two", "legacy three"]
        .iter()
        .enumerate()
    {
        let (record, token) = old_layout_record(name);
        keygate_e2e::secrets::issued(&token);
        let json = serde_json::to_string(&record).unwrap();
        let with_meta = PutOptions {
            expiration: None,
            metadata: Some(serde_json::to_value(&record).unwrap()),
        };
        pollster::block_on(kv.put(&format!("k/{}", record.id), &json, with_meta)).unwrap();
        pollster::block_on(kv.put(&format!("h/{}", record.hash), &json, PutOptions::default()))
            .unwrap();
        let event = json!({"at": record.created_at, "actor": "bootstrap", "action": "key.created",
            "key_id": record.id, "details": {"organization": "legacy", "name": name}});
        let inverted = 9_999_999_999_999_i64 - record.created_at.timestamp_millis() - n as i64;
        pollster::block_on(kv.put(
            &format!("a/{inverted:013}legacy{n}"),
            &event.to_string(),
            PutOptions {
                expiration: None,
                metadata: Some(event.clone()),
            },
        ))
        .unwrap();
        legacy.push((record, token));
    }
    // Before the import the list (D1) does not know them.
    let listed = w
        .admin("GET", "/api/v1/keys?organization=legacy", None)
        .json();
    assert_eq!(listed["total"], json!(0));

    let (ok, out) = w.keygate_cli(&["migrate-to-d1"]);
    assert!(ok, "{out}");
    assert!(out.contains("keys: 3 found, 3 imported"), "{out}");
    assert!(out.contains("audit events: 3 found, 3 imported"), "{out}");
    let (ok, again) = w.keygate_cli(&["migrate-to-d1"]);
    assert!(ok, "{again}");
    assert!(
        again.contains("keys: 3 found, 0 imported (3 there already)"),
        "{again}"
    );
    assert!(
        again.contains("audit events: 3 found, 0 imported"),
        "{again}"
    );

    let listed = w
        .admin("GET", "/api/v1/keys?organization=legacy&sort=name", None)
        .json();
    assert_eq!(listed["total"], json!(3));
    let names: Vec<&str> = listed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["legacy one", "legacy three", "legacy two"]);
    let imported = all_pages(
        &w,
        &w.admin_token,
        &format!("/api/v1/audit?limit=10&key_id={}", legacy[0].0.id),
        "events",
    );
    assert_eq!(imported.len(), 1, "imported once, not twice");
    for (record, token) in &legacy {
        assert_eq!(w.verify(token)["code"], json!("VALID"), "{}", record.name);
    }
    // An imported key is administered like any other: disabling it reaches KV.
    let (first, first_token) = &legacy[0];
    let r = w.admin(
        "PATCH",
        &format!("/api/v1/keys/{}", first.id),
        Some(r#"{"enabled": false}"#),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(w.verify(first_token)["code"], json!("DISABLED"));

    // Reconciliation: a lost projection, a stale one and an orphan.
    let (second, second_token) = &legacy[1];
    pollster::block_on(kv.delete(&format!("h/{}", second.hash))).unwrap();
    let (third, third_token) = &legacy[2];
    let mut stale = third.clone();
    stale.enabled = false;
    pollster::block_on(kv.put(
        &format!("h/{}", third.hash),
        &serde_json::to_string(&stale).unwrap(),
        PutOptions {
            expiration: None,
            metadata: Some(json!({"v": 0})),
        },
    ))
    .unwrap();
    let (orphan, orphan_token) = old_layout_record("orphan: no row");
    keygate_e2e::secrets::issued(&orphan_token);
    pollster::block_on(kv.put(
        &format!("h/{}", orphan.hash),
        &serde_json::to_string(&orphan).unwrap(),
        PutOptions::default(),
    ))
    .unwrap();
    // VERIFY_CACHE_SECONDS is on: verify with tokens this isolate has not
    // cached in their current state.
    assert_eq!(
        w.verify(&orphan_token)["code"],
        json!("VALID"),
        "the orphan verifies before"
    );

    let (ok, out) = w.keygate_cli(&["reconcile"]);
    assert!(ok, "{out}");
    let counts = out
        .lines()
        .find(|l| l.starts_with("reconciled"))
        .unwrap_or(&out)
        .to_owned();
    // migrate-to-d1 stamped the legacy projections already: what is left
    // is the lost one, the stale one and the orphan, once each.
    assert!(
        counts.contains("1 projections written, 1 rewritten, 1 orphans removed, 0 failed"),
        "{out}"
    );
    let (ok, clean) = w.keygate_cli(&["reconcile"]);
    assert!(ok, "{clean}");
    assert!(
        clean.contains("0 projections written, 0 rewritten, 0 orphans removed, 0 failed"),
        "{clean}"
    );

    // What verification now reads is D1's state (past the isolate cache:
    // these entries were never read by this worker in this state, or the
    // cache's 10 s have passed in the CLI runs above).
    std::thread::sleep(std::time::Duration::from_secs(11));
    assert_eq!(w.verify(second_token)["code"], json!("VALID"));
    assert_eq!(w.verify(third_token)["code"], json!("VALID"));
    assert_eq!(w.verify(&orphan_token)["code"], json!("UNKNOWN_KEY"));
    let rows = pollster::block_on(db.query(Statement::new(
        "SELECT count(*) AS n FROM keys WHERE organization = 'legacy'",
        vec![],
    )))
    .unwrap();
    assert_eq!(rows[0]["n"], json!(3));
}

#[test]
fn a_storage_failure_is_a_503_logged_with_its_cause() {
    let w = Worker::start("d1-failure", default_vars, true);
    let db = WranglerD1::new(w.target());
    let (id, token) = w.create_key(&json!({"name": "survives", "organization": "fail"}));
    pollster::block_on(db.execute(Statement::new(
        "ALTER TABLE audit RENAME TO audit_away",
        vec![],
    )))
    .unwrap();
    let r = w.admin(
        "PATCH",
        &format!("/api/v1/keys/{id}"),
        Some(r#"{"name": "renamed"}"#),
    );
    let page = w.admin("GET", "/api/v1/audit", None);
    pollster::block_on(db.execute(Statement::new(
        "ALTER TABLE audit_away RENAME TO audit",
        vec![],
    )))
    .unwrap();
    assert_eq!(
        (r.status, r.code().as_str()),
        (503, "UNAVAILABLE"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("stored"),
        "says the change was stored: {}",
        r.body
    );
    assert_eq!((page.status, page.code().as_str()), (503, "UNAVAILABLE"));
    assert!(
        !page.body.contains("audit_away"),
        "the cause stays in the log: {}",
        page.body
    );
    // Verification never touches D1: the key kept verifying meanwhile.
    assert_eq!(w.verify(&token)["code"], json!("VALID"));
    std::thread::sleep(std::time::Duration::from_millis(500));
    let log = w.log();
    let line = log
        .lines()
        .rfind(|l| l.contains("\"route\":\"/api/v1/audit\"") && l.contains("\"status\":503"))
        .unwrap_or_else(|| panic!("no log line for the failed audit page:\n{log}"));
    // wrangler colours error lines: the JSON is between the braces.
    let (start, end) = (line.find('{').unwrap(), line.rfind('}').unwrap());
    let entry: Value =
        serde_json::from_str(&line[start..=end]).unwrap_or_else(|_| panic!("not JSON: {line}"));
    assert_eq!(entry["code"], json!("UNAVAILABLE"));
    assert!(
        entry["cause"].as_str().unwrap().contains("no such table"),
        "{line}"
    );
    assert!(entry["duration_ms"].is_i64(), "{line}");
    assert!(!log.contains(&token), "no token in the log");
    // And a request that went well logs its route and status, no token.
    let ok = log
        .lines()
        .any(|l| l.contains("\"route\":\"/api/v1/keys\"") && l.contains("\"status\":201"));
    assert!(ok, "{log}");
    // The plane logged the failed page under its route, once (the front's
    // line for the 5xx it passed on names only "admin-plane").
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("\"route\":\"/api/v1/audit\"") && l.contains("\"status\":503"))
            .count(),
        1,
        "{log}"
    );
    // A cron run that stops on a storage error fails its invocation (the
    // front's trigger calls the plane by RPC), logged with the cause.
    pollster::block_on(db.execute(Statement::new(
        "ALTER TABLE keys RENAME TO keys_away",
        vec![],
    )))
    .unwrap();
    let cron = w.call("GET", "/__scheduled?cron=0+3+*+*+*", &[], None);
    pollster::block_on(db.execute(Statement::new(
        "ALTER TABLE keys_away RENAME TO keys",
        vec![],
    )))
    .unwrap();
    assert_ne!(
        cron.status, 200,
        "a failed run is no success: {}",
        cron.body
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    let log = w.log();
    let failed = log
        .lines()
        .find(|l| l.contains("the cron failed on the admin plane"))
        .unwrap_or_else(|| panic!("the failed run is not logged:\n{log}"));
    assert!(
        failed.contains("cron stopped") && failed.contains("no such table"),
        "{failed}"
    );
    let ran = w.call("GET", "/__scheduled?cron=0+3+*+*+*", &[], None);
    assert_eq!(
        ran.status, 200,
        "runs again once storage is back: {}",
        ran.body
    );
}

#[test]
fn export_streams_every_page_in_list_order() {
    let w = Worker::start("d1-export", default_vars, true);
    let db = WranglerD1::new(w.target());
    let kv = WranglerKv::new(w.target());
    let repo = keygate_edge::repo::Repo::new(&kv, &db);
    // 2,345 keys straight into D1 (three export pages and a bit).
    let records: Vec<KeyRecord> = (0..2345)
        .map(|n| {
            let (mut r, _) = old_layout_record(&format!("bulk {:04}", (n * 7919) % 2345));
            r.organization = "bulk".parse().unwrap();
            r
        })
        .collect();
    for chunk in records.chunks(400) {
        assert_eq!(
            pollster::block_on(repo.import_keys(chunk)).unwrap(),
            chunk.len() as u64
        );
    }
    let r = w.admin(
        "GET",
        "/api/v1/keys/export.csv?organization=bulk&sort=-name",
        None,
    );
    assert_eq!(r.status, 200, "{}", &r.body[..r.body.len().min(300)]);
    let lines: Vec<&str> = r.body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1 + 2345, "a header and every key, once");
    let exported: Vec<String> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap().trim_matches('"').to_owned())
        .collect();
    let listed: Vec<String> = all_pages(
        &w,
        &w.admin_token,
        "/api/v1/keys?organization=bulk&sort=-name&limit=1000",
        "keys",
    )
    .iter()
    .map(|k| k["id"].as_str().unwrap().to_owned())
    .collect();
    assert_eq!(exported, listed, "the export is the list, in its order");
    for record in &records[..5] {
        assert!(!r.body.contains(&record.hash), "no hash in the export");
    }
}
