//! The whole check natively: tokens minted here, keys served by a source
//! that counts its fetches.

use std::cell::{Cell, RefCell};

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::test_keys::{certs, private, token};
use super::*;

struct Certs {
    doc: RefCell<Result<String, String>>,
    fetches: Cell<u32>,
}

impl CertSource for Certs {
    fn get<'a>(&'a self, _url: &'a str) -> keys::CertsFuture<'a> {
        self.fetches.set(self.fetches.get() + 1);
        let doc = self.doc.borrow().clone();
        Box::pin(async move { doc })
    }
}

fn source(doc: Result<String, String>) -> Certs {
    Certs {
        doc: RefCell::new(doc),
        fetches: Cell::new(0),
    }
}

const TEAM: &str = "http://127.0.0.1:9100";

fn config() -> AccessConfig {
    AccessConfig::from_vars(
        Some(TEAM.into()),
        Some("aud-tag".into()),
        Some(
            r#"[{"email": "ana@acme.com", "role": "admin", "organization": "acme/emea"},
                 {"email_domain": "acme.com", "role": "reader", "organization": "acme"}]"#
                .into(),
        ),
        Some("keys.acme.com"),
    )
    .expect("valid")
    .expect("on")
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

fn claims(email: &str, extra: &Value) -> Value {
    let t = now().timestamp();
    let mut c = json!({"aud": ["aud-tag"], "iss": TEAM, "exp": t + 600, "nbf": t - 10, "iat": t - 10, "email": email, "type": "app"});
    for (k, v) in extra.as_object().into_iter().flatten() {
        c[k] = v.clone();
    }
    c
}

fn mint(kid: &str, key: usize, email: &str, extra: &Value) -> String {
    token(
        &private(key),
        &json!({"alg": "RS256", "kid": kid, "typ": "JWT"}),
        &claims(email, extra),
    )
}

fn run(c: &Certs, t: &str, at: DateTime<Utc>) -> Result<Identity, ApiError> {
    pollster::block_on(identify(&config(), Some(c), t, at))
}

fn refused(r: Result<Identity, ApiError>) -> (u16, String) {
    let e = r.expect_err("refused");
    (e.status(), e.message)
}

#[test]
fn a_valid_token_maps_exact_email_over_domain() {
    keys::forget();
    let c = source(Ok(certs(&[("k1", &private(0))])));
    let ana = run(&c, &mint("k1", 0, "Ana@Acme.com", &json!({})), now()).expect("valid");
    assert_eq!(
        (
            ana.email.as_str(),
            ana.grant.role,
            ana.grant.organization.to_string()
        ),
        ("ana@acme.com", AccessRole::Admin, "acme/emea".into())
    );
    let bob = run(&c, &mint("k1", 0, "bob@acme.com", &json!({})), now()).expect("valid");
    assert_eq!(
        (bob.grant.role, bob.grant.organization.to_string()),
        (AccessRole::Reader, "acme".into())
    );
    // An identity with no entry is 403; a token without email too.
    assert_eq!(
        refused(run(&c, &mint("k1", 0, "eve@evil.com", &json!({})), now())).0,
        403
    );
    assert_eq!(
        refused(run(&c, &mint("k1", 0, "x", &json!({"email": null})), now())).0,
        403
    );
    assert_eq!(c.fetches.get(), 1, "the keys are fetched once and kept");
}

#[test]
fn every_bad_token_is_401_and_says_why() {
    keys::forget();
    let c = source(Ok(certs(&[("k1", &private(0))])));
    let t = now().timestamp();
    let cases = [
        (
            mint("k1", 0, "ana@acme.com", &json!({"exp": t - 3600})),
            "expired",
        ),
        (
            mint("k1", 0, "ana@acme.com", &json!({"nbf": t + 3600})),
            "not valid yet",
        ),
        (
            mint("k1", 0, "ana@acme.com", &json!({"aud": ["other-app"]})),
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
            mint("k9", 0, "ana@acme.com", &json!({})),
            "key the team does not have",
        ),
        ("not.a.jwt".to_owned(), "not a JWT"),
    ];
    for (token, why) in cases {
        let (status, message) = refused(run(&c, &token, now()));
        assert_eq!(status, 401, "{why}");
        assert!(message.contains(why), "{message} / {why}");
        assert!(!message.contains(&token), "the token is never echoed");
    }
    // A claim changed after signing: the signature no longer holds.
    let good = mint("k1", 0, "bob@acme.com", &json!({}));
    let parts: Vec<&str> = good.split('.').collect();
    let forged_claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(claims("ana@acme.com", &json!({})).to_string());
    let forged = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
    assert!(refused(run(&c, &forged, now()))
        .1
        .contains("does not verify"));
    // alg none with an empty signature is not RS256.
    let none = format!(
        "{}.{}.",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"k1"}"#),
        parts[1]
    );
    assert!(refused(run(&c, &none, now())).1.contains("RS256"));
}

#[test]
fn unknown_key_ids_refresh_at_most_once_per_interval() {
    keys::forget();
    let c = source(Ok(certs(&[("k1", &private(0))])));
    run(&c, &mint("k1", 0, "ana@acme.com", &json!({})), now()).expect("valid");
    // Made-up key ids right after a fetch: no fetch at all.
    for i in 0..20 {
        let _ = run(
            &c,
            &mint(&format!("made-up-{i}"), 0, "ana@acme.com", &json!({})),
            now() + Duration::seconds(1),
        );
    }
    assert_eq!(c.fetches.get(), 1);
    // A flood later: one refresh, then none until the interval passes again.
    let flood = now() + Duration::seconds(keys::MIN_REFRESH_SECONDS);
    for i in 0..50 {
        let e = run(
            &c,
            &mint(&format!("made-up-{i}"), 0, "ana@acme.com", &json!({})),
            flood,
        )
        .expect_err("401");
        assert!(e.message.contains("key the team does not have"));
    }
    assert_eq!(c.fetches.get(), 2);
    // The team rotates to k2: seen once the interval has passed.
    *c.doc.borrow_mut() = Ok(certs(&[("k1", &private(0)), ("k2", &private(1))]));
    let later = flood + Duration::seconds(keys::MIN_REFRESH_SECONDS);
    run(&c, &mint("k2", 1, "ana@acme.com", &json!({})), later).expect("rotated key");
    assert_eq!(c.fetches.get(), 3);
    // After the TTL the keys are fetched again; a failed fetch keeps them.
    *c.doc.borrow_mut() = Err("certs answered 500".into());
    let stale = later + Duration::seconds(keys::KEYS_TTL_SECONDS);
    run(
        &c,
        &mint(
            "k1",
            0,
            "ana@acme.com",
            &json!({"exp": stale.timestamp() + 60}),
        ),
        stale,
    )
    .expect("stale keys still verify");
    assert_eq!(c.fetches.get(), 4);
}

#[test]
fn no_keys_at_all_is_a_503_with_its_cause() {
    keys::forget();
    let c = source(Err("connection refused".into()));
    let e = run(&c, &mint("k1", 0, "ana@acme.com", &json!({})), now()).expect_err("503");
    assert_eq!(e.status(), 503);
    assert!(
        e.cause
            .as_deref()
            .is_some_and(|c| c.contains("connection refused")),
        "{:?}",
        e.cause
    );
    let junk = source(Ok(r#"{"keys": [{"kid": "k1", "kty": "EC"}]}"#.into()));
    keys::forget();
    assert_eq!(
        run(&junk, &mint("k1", 0, "ana@acme.com", &json!({})), now())
            .expect_err("503")
            .status(),
        503
    );
}

const ONE_ADMIN: &str = r#"[{"email": "a@b.co", "role": "admin", "organization": ""}]"#;

#[test]
fn configuration_is_all_or_nothing_and_checked() {
    let parse = |t: Option<&str>, a: Option<&str>, m: Option<&str>| {
        AccessConfig::from_vars(
            t.map(Into::into),
            a.map(Into::into),
            m.map(Into::into),
            Some("keys.acme.com"),
        )
    };
    assert_eq!(parse(None, None, None), Ok(None));
    assert_eq!(parse(Some(" "), Some(""), None), Ok(None));
    let one = Some(ONE_ADMIN);
    let c = parse(Some("acme.cloudflareaccess.com"), Some("tag"), one)
        .expect("ok")
        .expect("on");
    assert_eq!(
        (c.issuer.as_str(), c.certs_url.as_str()),
        (
            "https://acme.cloudflareaccess.com",
            "https://acme.cloudflareaccess.com/cdn-cgi/access/certs"
        )
    );
    assert_eq!(
        c.logout_url(),
        "https://acme.cloudflareaccess.com/cdn-cgi/access/logout"
    );
    let local = parse(Some("http://127.0.0.1:9100/"), Some("tag"), one)
        .expect("ok")
        .expect("on");
    assert_eq!(local.issuer, "http://127.0.0.1:9100");
    let no_host = AccessConfig::from_vars(
        Some("acme.cloudflareaccess.com".into()),
        Some("tag".into()),
        Some(ONE_ADMIN.into()),
        None,
    );
    assert_eq!(no_host.map_err(|e| e.0), Err("ADMIN_HOSTNAME"));
    for (t, a, m, var) in [
        (Some("acme.cloudflareaccess.com"), None, None, "ACCESS_AUD"),
        (None, Some("tag"), None, "ACCESS_TEAM_DOMAIN"),
        (None, None, Some("[]"), "ACCESS_TEAM_DOMAIN"),
        (Some("ftp://x"), Some("tag"), None, "ACCESS_TEAM_DOMAIN"),
        (
            Some("https://x.example/path"),
            Some("tag"),
            None,
            "ACCESS_TEAM_DOMAIN",
        ),
        (
            Some("Acme.cloudflareaccess.com"),
            Some("tag"),
            None,
            "ACCESS_TEAM_DOMAIN",
        ),
        (
            Some("http://acme.cloudflareaccess.com"),
            Some("tag"),
            None,
            "ACCESS_TEAM_DOMAIN",
        ),
        (Some("x.example"), Some("tag"), Some("{"), "ACCESS_ADMINS"),
        // No silent default: a mapping is required, and may not be empty.
        (Some("x.example"), Some("tag"), None, "ACCESS_ADMINS"),
        (Some("x.example"), Some("tag"), Some("[]"), "ACCESS_ADMINS"),
    ] {
        assert_eq!(
            parse(t, a, m).map_err(|e| e.0),
            Err(var),
            "{t:?} {a:?} {m:?}"
        );
    }
}

#[test]
fn token_carriers_and_the_write_guard() {
    let req = |headers: &[(&str, &str)]| HttpRequest {
        method: "POST".into(),
        origin: "https://keys.acme.com".into(),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
        ..HttpRequest::default()
    };
    assert_eq!(
        presented(&req(&[
            ("cf-access-jwt-assertion", "h"),
            ("cookie", "CF_Authorization=c")
        ])),
        Ok(Some("h"))
    );
    assert_eq!(
        presented(&req(&[("cookie", "a=1; CF_Authorization=c; b=2")])),
        Ok(Some("c"))
    );
    assert_eq!(
        presented(&req(&[(
            "cookie",
            "CF_Authorization=c; CF_Authorization=c"
        )])),
        Ok(Some("c"))
    );
    assert_eq!(
        presented(&req(&[(
            "cookie",
            "CF_Authorization=c; CF_Authorization=d"
        )])),
        Err(Refusal::Malformed)
    );
    assert_eq!(
        presented(&req(&[("cookie", "cf_authorization=c")])),
        Ok(None)
    );
    assert_eq!(presented(&req(&[])), Ok(None));
    let ok = [
        ("x-keygate-client", "admin"),
        ("origin", "https://keys.acme.com"),
    ];
    assert!(check_same_origin_write(&req(&ok)).is_ok());
    for bad in [
        &[("origin", "https://keys.acme.com")][..],
        &[("x-keygate-client", "admin")][..],
        &[
            ("x-keygate-client", "admin"),
            ("origin", "https://evil.com"),
        ][..],
        &[
            ("x-keygate-client", "admin"),
            ("origin", "http://keys.acme.com"),
        ][..],
        &[
            ("x-keygate-client", "admin"),
            ("origin", "https://keys.acme.com.evil.com"),
        ][..],
        &[("x-keygate-client", "admin"), ("origin", "null")][..],
        &[
            ("x-keygate-client", "other"),
            ("origin", "https://keys.acme.com"),
        ][..],
    ] {
        assert_eq!(
            check_same_origin_write(&req(bad)).map_err(|e| e.status()),
            Err(403),
            "{bad:?}"
        );
    }
    let mut get = req(&[]);
    get.method = "GET".into();
    assert!(check_same_origin_write(&get).is_ok(), "reads need no guard");
}
