//! Many clients at once against one worker (its own, limit 5 keys per
//! organization): nothing lost or half-written, list and verification
//! agree afterwards, and the per-organization limit is never exceeded.

use std::collections::BTreeMap;
use std::sync::{Barrier, OnceLock};

use keygate_e2e::{default_vars, Worker};
use serde_json::{json, Value};

fn worker() -> &'static Worker {
    static W: OnceLock<Worker> = OnceLock::new();
    W.get_or_init(|| Worker::start("concurrency", default_vars, true))
}

fn keys_in(w: &Worker, org: &str) -> Vec<Value> {
    let r = w.admin(
        "GET",
        &format!("/api/v1/keys?organization={org}&limit=1000"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["organization"] == org)
        .cloned()
        .collect()
}

fn actions_of(w: &Worker, id: &str) -> Vec<String> {
    let r = w.admin("GET", &format!("/api/v1/audit?key_id={id}&limit=100"), None);
    assert_eq!(r.status, 200, "{}", r.body);
    let mut actions: Vec<String> = r.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    actions.sort();
    actions
}

/// (organization, kept keys, deleted keys), keys as (id, token).
type ClientRun = (String, Vec<(String, String)>, Vec<(String, String)>);

#[test]
fn many_clients_create_edit_and_delete_at_once() {
    let w = worker();
    const CLIENTS: usize = 12;
    let start = Barrier::new(CLIENTS);
    // Each client: 4 keys in its own organization; renames two, deletes
    // one alone and one through bulk delete.
    let results: Vec<ClientRun> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let start = &start;
                s.spawn(move || {
                    let org = format!("load-{i}");
                    start.wait();
                    let keys: Vec<(String, String)> = (0..4)
                        .map(|n| {
                            w.create_key(&json!({"name": format!("k{n}"), "organization": org}))
                        })
                        .collect();
                    for (id, _) in &keys[..2] {
                        let r = w.admin(
                            "PATCH",
                            &format!("/api/v1/keys/{id}"),
                            Some(&json!({"name": format!("renamed {id}")}).to_string()),
                        );
                        assert_eq!(r.status, 200, "{}", r.body);
                    }
                    let r = w.admin("DELETE", &format!("/api/v1/keys/{}", keys[2].0), None);
                    assert_eq!(r.status, 204, "{}", r.body);
                    let r = w.admin(
                        "POST",
                        "/api/v1/keys/bulk-delete",
                        Some(&json!({"ids": [keys[3].0]}).to_string()),
                    );
                    assert_eq!(r.status, 200, "{}", r.body);
                    (org, keys[..2].to_vec(), keys[2..].to_vec())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (org, kept, deleted) in results {
        let listed: BTreeMap<String, String> = keys_in(w, &org)
            .into_iter()
            .map(|k| {
                (
                    k["id"].as_str().unwrap().to_owned(),
                    k["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let expected: BTreeMap<String, String> = kept
            .iter()
            .map(|(id, _)| (id.clone(), format!("renamed {id}")))
            .collect();
        assert_eq!(
            listed, expected,
            "{org}: the list is exactly the survivors, renamed"
        );
        for (id, token) in &kept {
            let v = w.verify(token);
            assert_eq!(v["code"], "VALID");
            assert_eq!(
                v["key"]["name"],
                format!("renamed {id}"),
                "verification sees the edit"
            );
            assert_eq!(actions_of(w, id), ["key.created", "key.updated"]);
        }
        for (id, token) in &deleted {
            assert_eq!(w.verify(token)["code"], "UNKNOWN_KEY");
            assert_eq!(
                w.admin("GET", &format!("/api/v1/keys/{id}"), None).status,
                404
            );
            assert_eq!(actions_of(w, id), ["key.created", "key.deleted"]);
        }
    }
}

#[test]
fn the_organization_limit_holds_under_concurrent_creation() {
    let w = worker();
    const CLIENTS: usize = 10;
    const LIMIT: usize = 5; // MAX_KEYS_PER_ORG of default_vars
    for round in 0..3 {
        let org = format!("race-{round}");
        let start = Barrier::new(CLIENTS);
        let answers: Vec<(u16, String, Option<String>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..CLIENTS)
                .map(|n| {
                    let (start, org) = (&start, &org);
                    s.spawn(move || {
                        let body = json!({"name": format!("racer {n}"), "organization": org});
                        start.wait();
                        let r = w.admin("POST", "/api/v1/keys", Some(&body.to_string()));
                        let token = (r.status == 201)
                            .then(|| r.json()["token"].as_str().unwrap().to_owned());
                        (r.status, r.body.clone(), token)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let won: Vec<&String> = answers.iter().filter_map(|(_, _, t)| t.as_ref()).collect();
        for (status, body, _) in &answers {
            assert!(
                *status == 201 || (*status == 409 && body.contains("KEY_LIMIT_REACHED")),
                "{status} {body}"
            );
        }
        // One D1 statement checks and inserts: exactly as many winners as
        // free places, never more, never fewer.
        assert_eq!(
            won.len(),
            LIMIT,
            "round {round}: {} of {CLIENTS} concurrent creates won",
            won.len()
        );
        assert_eq!(
            keys_in(w, &org).len(),
            won.len(),
            "a 409 left nothing behind"
        );
        for token in &won {
            assert_eq!(w.verify(token)["code"], "VALID");
        }
        // Losing a race never uses up the limit: fill it one by one.
        let mut total = won.len();
        loop {
            let r = w.admin(
                "POST",
                "/api/v1/keys",
                Some(&json!({"name": "filler", "organization": org}).to_string()),
            );
            if r.status == 409 {
                break;
            }
            assert_eq!(r.status, 201, "{}", r.body);
            total += 1;
        }
        assert_eq!(total, LIMIT);
        assert_eq!(keys_in(w, &org).len(), LIMIT);
        println!(
            "round {round}: {} of {CLIENTS} concurrent creates won",
            won.len()
        );
    }
}
