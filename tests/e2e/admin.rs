//! The admin API of §4: auth, scope, create, list, get, edit, delete,
//! bulk delete, the per-organization limit and the audit log.

use keygate_e2e::Worker;
use serde_json::json;

#[test]
fn me_and_authentication() {
    let w = Worker::shared();
    let me = w.admin("GET", "/api/v1/me", None);
    assert_eq!(me.status, 200);
    assert_eq!(
        (
            me.json()["can_write"].clone(),
            me.json()["key"]["organization"].clone()
        ),
        (json!(true), json!(""))
    );
    let r = w.call("GET", "/api/v1/me", &[], None);
    assert_eq!((r.status, r.code().as_str()), (401, "UNAUTHENTICATED"));
    assert_eq!(
        r.headers.get("www-authenticate").map(String::as_str),
        Some("Bearer")
    );
    assert_eq!(
        w.as_key("kg_nope", "GET", "/api/v1/me", None).code(),
        "UNAUTHENTICATED"
    );
    let unknown = keygate_shared::Token::generate(&keygate_shared::Prefix::default()).unwrap();
    assert_eq!(
        w.as_key(unknown.expose_secret(), "GET", "/api/v1/keys", None)
            .status,
        401
    );
    let (_, plain) = w.create_key(&json!({"name": "not an admin", "organization": "auth"}));
    let r = w.as_key(&plain, "GET", "/api/v1/keys", None);
    assert_eq!((r.status, r.code().as_str()), (403, "FORBIDDEN"));
    let (id, admin) = w.create_key(&json!({"name": "auth admin", "organization": "auth", "roles": ["keygate:admin"], "expires_in_days": 5}));
    assert_eq!(w.as_key(&admin, "GET", "/api/v1/me", None).status, 200);
    assert_eq!(
        w.admin("DELETE", &format!("/api/v1/keys/{id}"), None)
            .status,
        204
    );
    let r = w.as_key(&admin, "GET", "/api/v1/me", None);
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "UNAUTHENTICATED"),
        "a deleted admin key stops working"
    );
}

#[test]
fn create_defaults_and_validation() {
    let w = Worker::shared();
    let r = w.admin(
        "POST",
        "/api/v1/keys",
        Some(r#"{"name": "  defaults  ", "organization": "create"}"#),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let j = r.json();
    let token = j["token"].as_str().unwrap();
    assert!(token.starts_with("kg_") && token.len() == 41);
    let k = &j["key"];
    assert_eq!(
        (k["name"].clone(), k["status"].clone(), k["enabled"].clone()),
        (json!("defaults"), json!("active"), json!(true))
    );
    assert_eq!(
        (
            k["roles"].clone(),
            k["ip_allowlist"].clone(),
            k["group"].clone()
        ),
        (json!([]), json!([]), json!(null))
    );
    assert!(k["id"].as_str().unwrap().starts_with("key_"));
    assert_eq!(
        k["hint"].as_str().unwrap(),
        format!("kg_{}…{}", &token[3..7], &token[token.len() - 4..])
    );
    assert!(
        k.get("hash").is_none()
            && !r
                .body
                .contains(&keygate_shared::token::LookupHash::of(token).to_hex())
    );
    let created = k["created_at"].as_str().unwrap()[..4]
        .parse::<i32>()
        .unwrap();
    let expires = k["expires_at"].as_str().unwrap()[..4]
        .parse::<i32>()
        .unwrap();
    assert_eq!(expires, created + 1, "365 days by default");
    let never = w.admin("POST", "/api/v1/keys", Some(r#"{"name": "never", "organization": "create", "expires_at": null, "enabled": false}"#)).json();
    assert_eq!(
        (
            never["key"]["expires_at"].clone(),
            never["key"]["status"].clone()
        ),
        (json!(null), json!("disabled"))
    );

    for (body, status, code, field) in [
        ("{", 400, "BAD_JSON", None),
        ("[1]", 400, "BAD_JSON", None),
        (r#"{"name": "x", "name": "y"}"#, 400, "BAD_JSON", None),
        (
            r#"{"name": "x", "hash": "y"}"#,
            400,
            "UNKNOWN_FIELD",
            Some("hash"),
        ),
        (
            r#"{"organization": "create"}"#,
            422,
            "INVALID_FIELD",
            Some("name"),
        ),
        (r#"{"name": ""}"#, 422, "INVALID_FIELD", Some("name")),
        (r#"{"name": 7}"#, 422, "INVALID_FIELD", Some("name")),
        (
            r#"{"name": "x", "organization": "Bad Org"}"#,
            422,
            "INVALID_FIELD",
            Some("organization"),
        ),
        (
            r#"{"name": "x", "organization": "create", "group": "a/b"}"#,
            422,
            "INVALID_FIELD",
            Some("group"),
        ),
        (
            r#"{"name": "x", "organization": "create", "roles": ["a", "a"]}"#,
            422,
            "INVALID_FIELD",
            Some("roles"),
        ),
        (
            r#"{"name": "x", "organization": "create", "ip_allowlist": ["10.0.0.0/33"]}"#,
            422,
            "INVALID_FIELD",
            Some("ip_allowlist"),
        ),
        (
            r#"{"name": "x", "organization": "create", "expires_at": "2001-01-01T00:00:00Z"}"#,
            422,
            "INVALID_FIELD",
            Some("expires_at"),
        ),
        (
            r#"{"name": "x", "organization": "create", "expires_in_days": 0}"#,
            422,
            "INVALID_FIELD",
            Some("expires_in_days"),
        ),
        (
            r#"{"name": "x", "organization": "create", "description": 5}"#,
            422,
            "INVALID_FIELD",
            Some("description"),
        ),
    ] {
        let r = w.admin("POST", "/api/v1/keys", Some(body));
        assert_eq!(
            (r.status, r.code().as_str()),
            (status, code),
            "{body}: {}",
            r.body
        );
        assert_eq!(r.json()["error"]["field"].as_str(), field, "{body}");
        assert!(!r.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .is_empty());
    }
}

#[test]
fn subtree_scope_and_reserved_roles() {
    let w = Worker::shared();
    let (_, acme_admin) = w.create_key(&json!({"name": "scope admin", "organization": "scope", "roles": ["keygate:admin"], "expires_in_days": 10}));
    let (other_id, _) =
        w.create_key(&json!({"name": "other's key", "organization": "scope-other"}));
    let (child_id, _) = w.create_key_as(
        &acme_admin,
        &json!({"name": "child", "organization": "scope/emea"}),
    );
    let (own_id, _) = w.create_key_as(&acme_admin, &json!({"name": "own"}));
    assert_eq!(
        w.admin("GET", &format!("/api/v1/keys/{own_id}"), None)
            .json()["organization"],
        "scope",
        "defaults to the caller's"
    );

    let r = w.as_key(
        &acme_admin,
        "GET",
        &format!("/api/v1/keys/{other_id}"),
        None,
    );
    assert_eq!((r.status, r.code().as_str()), (404, "KEY_NOT_FOUND"));
    for (method, path, body) in [
        (
            "PATCH",
            format!("/api/v1/keys/{other_id}"),
            Some(r#"{"name": "hijack"}"#),
        ),
        ("DELETE", format!("/api/v1/keys/{other_id}"), None),
        ("POST", format!("/api/v1/keys/{other_id}/roll"), Some("{}")),
    ] {
        assert_eq!(
            w.as_key(&acme_admin, method, &path, body).code(),
            "KEY_NOT_FOUND",
            "{method} {path}"
        );
    }
    let list = w
        .as_key(&acme_admin, "GET", "/api/v1/keys?limit=1000", None)
        .json();
    let orgs: Vec<String> = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["organization"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        orgs.iter().all(|o| o == "scope" || o.starts_with("scope/")),
        "{orgs:?}"
    );
    assert!(list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["id"] == child_id.as_str()));

    let r = w.as_key(
        &acme_admin,
        "POST",
        "/api/v1/keys",
        Some(r#"{"name": "escape", "organization": "scope-other"}"#),
    );
    assert_eq!((r.status, r.code().as_str()), (403, "FORBIDDEN"));
    let r = w.as_key(
        &acme_admin,
        "POST",
        "/api/v1/keys",
        Some(r#"{"name": "root", "organization": ""}"#),
    );
    assert_eq!((r.status, r.code().as_str()), (403, "FORBIDDEN"));
    let r = w.as_key(
        &acme_admin,
        "POST",
        "/api/v1/keys",
        Some(r#"{"name": "forever admin", "roles": ["keygate:admin"], "expires_at": null}"#),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "FORBIDDEN"),
        "an admin key may not outlive its creator"
    );
    let r = w.as_key(&acme_admin, "POST", "/api/v1/keys", Some(r#"{"name": "sub reader", "organization": "scope/emea", "roles": ["keygate:reader"], "expires_in_days": 5}"#));
    assert_eq!(r.status, 201, "{}", r.body);

    // The reader sees, but cannot write.
    let reader = r.json()["token"].as_str().unwrap().to_owned();
    let me = w.as_key(&reader, "GET", "/api/v1/me", None).json();
    assert_eq!(me["can_write"], false);
    assert_eq!(
        w.as_key(&reader, "GET", &format!("/api/v1/keys/{child_id}"), None)
            .status,
        200
    );
    assert_eq!(w.as_key(&reader, "GET", "/api/v1/audit", None).status, 200);
    for (method, path, body) in [
        (
            "POST",
            "/api/v1/keys".to_owned(),
            Some(r#"{"name": "nope"}"#),
        ),
        (
            "PATCH",
            format!("/api/v1/keys/{child_id}"),
            Some(r#"{"name": "nope"}"#),
        ),
        ("DELETE", format!("/api/v1/keys/{child_id}"), None),
        (
            "POST",
            "/api/v1/keys/bulk-delete".to_owned(),
            Some(r#"{"ids": ["x"]}"#),
        ),
        ("POST", format!("/api/v1/keys/{child_id}/roll"), Some("{}")),
    ] {
        let r = w.as_key(&reader, method, &path, body);
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "FORBIDDEN"),
            "{method} {path}"
        );
    }
    assert_eq!(
        w.admin("GET", &format!("/api/v1/keys/{child_id}"), None)
            .json()["name"],
        "child",
        "nothing changed"
    );
}

/// The names `GET /api/v1/keys?organization={org}&{q}` lists, in order.
fn listed_names(w: &Worker, org: &str, q: &str) -> Vec<String> {
    let r = w.admin("GET", &format!("/api/v1/keys?organization={org}&{q}"), None);
    assert_eq!(r.status, 200, "{q}: {}", r.body);
    r.json()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn list_search_filter_sort_and_page() {
    let w = Worker::shared();
    for (name, org, group) in [
        ("Bravo", "list/a", "blue"),
        ("alpha", "list", "red"),
        ("Charlie", "list/b", "blue"),
    ] {
        let _ = w.create_key(&json!({"name": name, "organization": org, "group": group, "description": format!("{name} desc")}));
    }
    let names = |q: &str| listed_names(w, "list", q);
    assert_eq!(
        names(""),
        ["alpha", "Bravo", "Charlie"],
        "by name, case-insensitively"
    );
    assert_eq!(names("sort=-name"), ["Charlie", "Bravo", "alpha"]);
    assert_eq!(names("sort=created_at"), ["Bravo", "alpha", "Charlie"]);
    assert_eq!(names("sort=-created_at"), ["Charlie", "alpha", "Bravo"]);
    assert_eq!(names("group=blue"), ["Bravo", "Charlie"]);
    assert_eq!(names("q=CHAR"), ["Charlie"]);
    assert_eq!(names("q=list%2Fa"), ["Bravo"], "q matches the organization");
    assert_eq!(names("q=red"), ["alpha"], "q matches the group");
    assert_eq!(names("status=disabled"), Vec::<String>::new());
    let r = w
        .admin("GET", "/api/v1/keys?organization=list/b", None)
        .json();
    assert_eq!(r["total"], 1);
    let p1 = w
        .admin("GET", "/api/v1/keys?organization=list&limit=2", None)
        .json();
    assert_eq!(
        (p1["keys"].as_array().unwrap().len(), p1["total"].clone()),
        (2, json!(3))
    );
    let cursor = p1["next_cursor"].as_str().unwrap().to_owned();
    let p2 = w
        .admin(
            "GET",
            &format!("/api/v1/keys?organization=list&limit=2&cursor={cursor}"),
            None,
        )
        .json();
    assert_eq!(p2["keys"][0]["name"], "Charlie");
    assert_eq!(p2["next_cursor"], json!(null));
    for (q, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("sort=hash", "sort"),
        ("status=on", "status"),
        ("cursor=x", "cursor"),
    ] {
        let r = w.admin("GET", &format!("/api/v1/keys?{q}"), None);
        assert_eq!(
            (r.status, r.json()["error"]["field"].as_str()),
            (422, Some(field)),
            "{q}"
        );
    }
    assert_eq!(
        w.admin("GET", "/api/v1/keys?page=2", None).code(),
        "UNKNOWN_FIELD"
    );
}

/// Search and name order fold case beyond ASCII, the same in the worker
/// (the runtime's lower case) as natively (Rust's).
#[test]
fn search_and_name_order_fold_unicode_case() {
    let w = Worker::shared();
    for name in ["ölig", "Zebra", "ÄRGER über Σ"] {
        let _ = w.create_key(&json!({"name": name, "organization": "unicode"}));
    }
    let names = |q: &str| listed_names(w, "unicode", q);
    // By the lower-cased name's bytes: "zebra" < "ärger…" < "ölig".
    assert_eq!(names(""), ["Zebra", "ÄRGER über Σ", "ölig"]);
    // Three letters or more go through the trigram index, fewer through
    // instr() on the stored lower-case text.
    assert_eq!(names("q=%C3%A4rger"), ["ÄRGER über Σ"], "ärger");
    assert_eq!(names("q=%C3%9CBER"), ["ÄRGER über Σ"], "ÜBER");
    assert_eq!(names("q=%C3%96l"), ["ölig"], "Öl");
    assert_eq!(names("q=%CF%83"), ["ÄRGER über Σ"], "σ");
}

#[test]
fn edit_delete_and_bulk_delete() {
    let w = Worker::shared();
    let (id, _) =
        w.create_key(&json!({"name": "editable", "organization": "edit", "roles": ["r"]}));
    let path = format!("/api/v1/keys/{id}");
    let r = w.admin(
        "PATCH",
        &path,
        Some(r#"{"name": "renamed", "description": "new", "ip_allowlist": ["192.0.2.7/24"]}"#),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.json()["name"].clone(), r.json()["ip_allowlist"].clone()),
        (json!("renamed"), json!(["192.0.2.0/24"]))
    );
    for field in ["roles", "expires_at", "organization", "group"] {
        let r = w.admin("PATCH", &path, Some(&format!(r#"{{"{field}": null}}"#)));
        assert_eq!(
            (
                r.status,
                r.code().as_str(),
                r.json()["error"]["field"].as_str()
            ),
            (422, "IMMUTABLE_FIELD", Some(field))
        );
    }
    assert_eq!(
        w.admin("PATCH", &path, Some(r#"{"name": ""}"#)).code(),
        "INVALID_FIELD"
    );
    assert_eq!(
        w.admin("PATCH", &path, Some(r#"{"colour": "red"}"#)).code(),
        "UNKNOWN_FIELD"
    );
    assert_eq!(
        w.admin("GET", &path, None).json()["name"],
        "renamed",
        "failed edits change nothing"
    );
    let off = w
        .admin("PATCH", &path, Some(r#"{"enabled": false}"#))
        .json();
    assert_eq!(off["status"], "disabled");
    let on = w.admin("PATCH", &path, Some(r#"{"enabled": true}"#)).json();
    assert_eq!(on["status"], "active");

    let events = w
        .admin("GET", &format!("/api/v1/audit?key_id={id}"), None)
        .json();
    let actions: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["key.enabled", "key.disabled", "key.updated", "key.created"],
        "newest first"
    );
    assert_eq!(
        events["events"][2]["details"]["fields"],
        json!(["name", "description", "ip_allowlist"])
    );

    assert_eq!(w.admin("DELETE", &path, None).status, 204);
    assert_eq!(w.admin("GET", &path, None).code(), "KEY_NOT_FOUND");
    assert_eq!(w.admin("DELETE", &path, None).code(), "KEY_NOT_FOUND");
    assert_eq!(
        w.admin("GET", "/api/v1/keys/not-an-id", None).code(),
        "KEY_NOT_FOUND"
    );

    let (a, ta) = w.create_key(&json!({"name": "bulk a", "organization": "bulk"}));
    let (b, _) = w.create_key(&json!({"name": "bulk b", "organization": "bulk"}));
    let body = json!({"ids": [a, b, a, "key_0000000000000000", "junk"]}).to_string();
    let r = w.admin("POST", "/api/v1/keys/bulk-delete", Some(&body));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"deleted": [a, b], "not_found": ["key_0000000000000000", "junk"]})
    );
    assert_eq!(
        w.admin("GET", "/api/v1/keys?organization=bulk", None)
            .json()["total"],
        0
    );
    let v = w.verify(&ta);
    assert_eq!(v["code"], "UNKNOWN_KEY", "a deleted key no longer verifies");
    for bad in [r#"{"ids": []}"#, r#"{"ids": "x"}"#, r#"{}"#] {
        assert_eq!(
            w.admin("POST", "/api/v1/keys/bulk-delete", Some(bad))
                .status,
            422,
            "{bad}"
        );
    }
    let many = json!({"ids": vec!["key_0000000000000000"; 1001]}).to_string();
    assert_eq!(
        w.admin("POST", "/api/v1/keys/bulk-delete", Some(&many))
            .code(),
        "INVALID_FIELD"
    );
}

#[test]
fn per_organization_limit() {
    let w = Worker::shared();
    for i in 0..5 {
        let _ = w.create_key(&json!({"name": format!("limited {i}"), "organization": "limit"}));
    }
    let r = w.admin(
        "POST",
        "/api/v1/keys",
        Some(r#"{"name": "one too many", "organization": "limit"}"#),
    );
    assert_eq!((r.status, r.code().as_str()), (409, "KEY_LIMIT_REACHED"));
    let r = w.admin(
        "POST",
        "/api/v1/keys",
        Some(r#"{"name": "child org counts apart", "organization": "limit/sub"}"#),
    );
    assert_eq!(r.status, 201);
}

#[test]
fn audit_log_pages_newest_first() {
    let w = Worker::shared();
    let (id, token) = w.create_key(&json!({"name": "audited", "organization": "audit"}));
    let page = w.admin("GET", "/api/v1/audit?limit=1", None);
    assert_eq!(page.status, 200);
    let j = page.json();
    assert_eq!(j["events"].as_array().unwrap().len(), 1);
    assert!(j["next_cursor"].is_string());
    let mine = w
        .admin("GET", &format!("/api/v1/audit?key_id={id}"), None)
        .json();
    let e = &mine["events"][0];
    assert_eq!(
        (e["action"].clone(), e["key_id"].clone()),
        (json!("key.created"), json!(id))
    );
    assert!(e["actor"].as_str().unwrap().starts_with("key_"));
    let all = w.admin("GET", "/api/v1/audit?limit=1000", None).body;
    assert!(!all.contains(&token), "no token in the audit log");
    assert_eq!(
        w.admin("GET", "/api/v1/audit?limit=0", None).code(),
        "INVALID_FIELD"
    );
    assert_eq!(
        w.admin("GET", "/api/v1/audit?key_id=nope", None).code(),
        "INVALID_FIELD"
    );
}
