//! Sign-in through Cloudflare Access (§10) under `wrangler dev`: the test's
//! loopback origin stands in for the team (its `/cdn-cgi/access/certs`
//! serves keys the test made; tokens are minted here with them), and the
//! worker fetches and checks them with WebCrypto.

use std::sync::OnceLock;

use keygate_e2e::{default_vars, repo_root, secrets, Worker};
use keygate_edge::access::test_keys::{certs, private, token};
use serde_json::{json, Value};

const AUD: &str = "e2e-access-aud";

fn worker() -> &'static Worker {
    static W: OnceLock<Worker> = OnceLock::new();
    W.get_or_init(|| {
        let w = Worker::start(
            "access",
            |port| {
                let mut vars = default_vars(port);
                // Access needs the admin app on a host of its own.
                vars.push(("ADMIN_HOSTNAME", "127.0.0.1".into()));
                vars.push(("ACCESS_TEAM_DOMAIN", format!("http://127.0.0.1:{port}")));
                vars.push(("ACCESS_AUD", AUD.into()));
                vars.push((
                    "ACCESS_ADMINS",
                    json!([
                        {"email": "ana@acme.com", "role": "admin", "organization": "acme"},
                        {"email_domain": "acme.com", "role": "reader", "organization": "acme"},
                        {"email": "ops@keygate.test", "role": "admin", "organization": "access-spa"}
                    ])
                    .to_string(),
                ));
                vars.retain(|(k, _)| *k != "MAX_KEYS_PER_ORG");
                vars.push(("MAX_KEYS_PER_ORG", "50".into()));
                vars
            },
            true,
        );
        w.origin.serve_access_certs(&certs(&[("k1", &private(0))]));
        w
    })
}

fn issuer() -> String {
    format!("http://127.0.0.1:{}", worker().origin.port)
}

/// A token for `email` signed with test key `key` under `kid`, with
/// `extra` claims over valid ones; registered for the secrets scan.
fn mint(kid: &str, key: usize, email: &str, extra: &Value) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({"aud": [AUD], "iss": issuer(), "exp": now + 600, "nbf": now - 5, "iat": now - 5, "email": email, "type": "app"});
    for (k, v) in extra.as_object().into_iter().flatten() {
        claims[k] = v.clone();
    }
    let t = token(&private(key), &json!({"alg": "RS256", "kid": kid}), &claims);
    secrets::issued(&t);
    t
}

fn as_header(t: &str, method: &str, path: &str, body: Option<&str>) -> keygate_e2e::Reply {
    worker().call(method, path, &[("cf-access-jwt-assertion", t)], body)
}

fn cert_fetches() -> usize {
    worker().origin.received_at("/cdn-cgi/access/certs").len()
}

#[test]
fn access_identities_are_checked_and_mapped() {
    let w = worker();
    let ana = mint("k1", 0, "Ana@Acme.com", &json!({}));
    let me = as_header(&ana, "GET", "/api/v1/me", None);
    assert_eq!(me.status, 200, "{}", me.body);
    let me = me.json();
    assert_eq!(me["identity"]["email"], "ana@acme.com");
    assert_eq!(me["identity"]["role"], "admin");
    assert_eq!(me["identity"]["organization"], "acme");
    assert_eq!(
        me["identity"]["logout_url"],
        format!("{}/cdn-cgi/access/logout", issuer())
    );
    assert_eq!(me["can_write"], true);
    assert!(me.get("key").is_none());
    // Domain entry: a Reader of acme, who cannot write.
    let bob = mint("k1", 0, "bob@acme.com", &json!({}));
    let me = as_header(&bob, "GET", "/api/v1/me", None).json();
    assert_eq!(
        (me["identity"]["role"].as_str(), me["can_write"].as_bool()),
        (Some("reader"), Some(false))
    );
    let origin = w.base.clone();
    let write = |t: &str, body: &Value| {
        w.call(
            "POST",
            "/api/v1/keys",
            &[
                ("cf-access-jwt-assertion", t),
                ("x-keygate-client", "admin"),
                ("origin", &origin),
            ],
            Some(&body.to_string()),
        )
    };
    assert_eq!(
        write(&bob, &json!({"name": "by bob", "organization": "acme"})).status,
        403
    );
    // Nobody for the mapping: 403; a subdomain is not the domain.
    for email in ["eve@evil.com", "eve@x.acme.com", "eve@evilacme.com"] {
        let r = as_header(&mint("k1", 0, email, &json!({})), "GET", "/api/v1/me", None);
        assert_eq!((r.status, r.code()), (403, "FORBIDDEN".into()), "{email}");
    }
    // Ana writes within her subtree: created_by and the audit actor are her email.
    let made = write(
        &ana,
        &json!({"name": "made by ana", "organization": "acme/team"}),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let key = made.json()["key"].clone();
    assert_eq!(key["created_by"], "ana@acme.com");
    secrets::issued(made.json()["token"].as_str().unwrap_or_default());
    // Admin keys made by a person expire within 90 days: by default, and
    // a key that never expires is refused.
    let admin_key = write(
        &ana,
        &json!({"name": "ana's admin key", "organization": "acme/team", "roles": ["keygate:admin"]}),
    );
    assert_eq!(admin_key.status, 201, "{}", admin_key.body);
    secrets::issued(admin_key.json()["token"].as_str().unwrap_or_default());
    let expires = admin_key.json()["key"]["expires_at"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let expires = chrono::DateTime::parse_from_rfc3339(&expires).expect("an expiry");
    assert!(
        expires <= chrono::Utc::now() + chrono::Duration::days(90),
        "{expires}"
    );
    let forever = write(
        &ana,
        &json!({"name": "forever", "organization": "acme/team", "roles": ["keygate:admin"], "expires_at": null}),
    );
    assert_eq!(forever.status, 403, "{}", forever.body);
    let outside = write(&ana, &json!({"name": "elsewhere", "organization": "other"}));
    assert_eq!(outside.status, 403, "{}", outside.body);
    let id = key["id"].as_str().unwrap_or_default();
    let events = as_header(&ana, "GET", &format!("/api/v1/audit?key_id={id}"), None).json();
    assert_eq!(events["events"][0]["actor"], "ana@acme.com");
    assert_eq!(events["events"][0]["action"], "key.created");
    // Admin keys keep working beside Access, and win when both are sent.
    let both = w.call(
        "GET",
        "/api/v1/me",
        &[
            ("cf-access-jwt-assertion", &ana),
            ("authorization", &format!("Bearer {}", w.admin_token)),
        ],
        None,
    );
    assert_eq!(both.json()["key"]["name"], "e2e root admin");
    // The cookie works as the header does.
    let cookie = w.call(
        "GET",
        "/api/v1/me",
        &[("cookie", &format!("theme=dark; CF_Authorization={ana}"))],
        None,
    );
    assert_eq!(cookie.json()["identity"]["email"], "ana@acme.com");
}

#[test]
fn bad_tokens_are_401_and_never_echoed() {
    let now = chrono::Utc::now().timestamp();
    let cases = [
        (
            mint("k1", 0, "ana@acme.com", &json!({"exp": now - 3600})),
            "expired",
        ),
        (
            mint("k1", 0, "ana@acme.com", &json!({"nbf": now + 3600})),
            "not valid yet",
        ),
        (
            mint("k1", 0, "ana@acme.com", &json!({"aud": ["another-app"]})),
            "another application",
        ),
        (
            mint(
                "k1",
                0,
                "ana@acme.com",
                &json!({"iss": "https://evil.cloudflareaccess.com"}),
            ),
            "another team",
        ),
        (mint("k1", 1, "ana@acme.com", &json!({})), "does not verify"),
        (
            mint("no-such-kid", 0, "ana@acme.com", &json!({})),
            "key the team does not have",
        ),
        ("eyJhbGciOiJub25lIn0.e30.".to_owned(), "RS256"),
        ("garbage".to_owned(), "not a JWT"),
    ];
    for (t, why) in &cases {
        let r = as_header(t, "GET", "/api/v1/me", None);
        assert_eq!(
            (r.status, r.code()),
            (401, "UNAUTHENTICATED".into()),
            "{why}: {}",
            r.body
        );
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(why),
            "{why}: {}",
            r.body
        );
        assert!(!r.body.contains(t.as_str()));
    }
    // A forged claim on a real signature.
    let real = mint("k1", 0, "bob@acme.com", &json!({}));
    let forged_claims = mint("k1", 1, "ana@acme.com", &json!({}));
    let p: Vec<&str> = real.split('.').collect();
    let q: Vec<&str> = forged_claims.split('.').collect();
    let forged = format!("{}.{}.{}", p[0], q[1], p[2]);
    assert_eq!(as_header(&forged, "GET", "/api/v1/me", None).status, 401);
    // Two different CF_Authorization cookies are not guessed between.
    let ana = mint("k1", 0, "ana@acme.com", &json!({}));
    let two = worker().call(
        "GET",
        "/api/v1/me",
        &[(
            "cookie",
            &format!("CF_Authorization={real}; CF_Authorization={ana}"),
        )],
        None,
    );
    assert_eq!(two.status, 401);
}

#[test]
fn cookie_writes_need_the_app_header_and_the_same_origin() {
    let w = worker();
    let ana = mint("k1", 0, "ana@acme.com", &json!({}));
    let cookie = format!("CF_Authorization={ana}");
    let body = json!({"name": "csrf probe", "organization": "acme/csrf"}).to_string();
    let base = w.base.clone();
    let post = |headers: &[(&str, &str)]| w.call("POST", "/api/v1/keys", headers, Some(&body));
    for (headers, why) in [
        (vec![("cookie", cookie.as_str())], "no header, no origin"),
        (
            vec![("cookie", cookie.as_str()), ("origin", base.as_str())],
            "no app header",
        ),
        (
            vec![("cookie", cookie.as_str()), ("x-keygate-client", "admin")],
            "no origin",
        ),
        (
            vec![
                ("cookie", cookie.as_str()),
                ("x-keygate-client", "admin"),
                ("origin", "https://evil.example"),
            ],
            "cross-origin",
        ),
        (
            vec![
                ("cookie", cookie.as_str()),
                ("x-keygate-client", "admin"),
                ("origin", "null"),
            ],
            "opaque origin",
        ),
        (
            vec![
                ("cf-access-jwt-assertion", ana.as_str()),
                ("origin", "https://evil.example"),
            ],
            "header token, cross-origin",
        ),
    ] {
        let r = post(&headers);
        assert_eq!(
            (r.status, r.code()),
            (403, "FORBIDDEN".into()),
            "{why}: {}",
            r.body
        );
    }
    let listed = w.admin("GET", "/api/v1/keys?q=csrf%20probe", None).json();
    assert_eq!(
        listed["keys"].as_array().map(Vec::len),
        Some(0),
        "nothing was made"
    );
    // Reads need no guard; the app's own request passes.
    assert_eq!(
        w.call("GET", "/api/v1/keys", &[("cookie", &cookie)], None)
            .status,
        200
    );
    let ok = post(&[
        ("cookie", &cookie),
        ("x-keygate-client", "admin"),
        ("origin", &base),
    ]);
    assert_eq!(ok.status, 201, "{}", ok.body);
    secrets::issued(ok.json()["token"].as_str().unwrap_or_default());
    let id = ok.json()["key"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let del = w.call(
        "DELETE",
        &format!("/api/v1/keys/{id}"),
        &[
            ("cookie", &cookie),
            ("x-keygate-client", "admin"),
            ("origin", &base),
        ],
        None,
    );
    assert_eq!(del.status, 204);
}

#[test]
fn made_up_key_ids_cannot_make_the_worker_fetch() {
    let ana = mint("k1", 0, "ana@acme.com", &json!({}));
    assert_eq!(as_header(&ana, "GET", "/api/v1/me", None).status, 200);
    let before = cert_fetches();
    for i in 0..40 {
        let t = mint(&format!("made-up-{i}"), 0, "ana@acme.com", &json!({}));
        assert_eq!(as_header(&t, "GET", "/api/v1/me", None).status, 401);
    }
    let after = cert_fetches();
    // One refresh at most per 30 s per isolate (wrangler dev runs one).
    assert!(
        after - before <= 1,
        "{before} -> {after} fetches for 40 unknown key ids"
    );
    println!(
        "access: 40 tokens with unknown key ids made {} certificate fetches",
        after - before
    );
}

/// Item 1 in Chromium: a session signed in through Access (its cookie)
/// creates, edits and deletes a key without ever seeing an admin token,
/// and signs out through the team's logout.
#[test]
fn the_admin_app_signed_in_through_access() {
    let w = worker();
    let ops = mint(
        "k1",
        0,
        "ops@keygate.test",
        &json!({"exp": chrono::Utc::now().timestamp() + 3600}),
    );
    let root = repo_root();
    let shots = root.join("test-output/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    keygate_e2e::run_node_test(
        "tests/browser/access.test.mjs",
        &[
            ("BASE_URL", std::ffi::OsStr::new(&w.base)),
            ("ACCESS_COOKIE", std::ffi::OsStr::new(&ops)),
            (
                "LOGOUT_URL",
                std::ffi::OsStr::new(&format!("{}/cdn-cgi/access/logout", issuer())),
            ),
            ("SHOTS", shots.as_os_str()),
        ],
    );
}
