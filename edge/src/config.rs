//! Configuration from `wrangler.toml` vars (§7). A value that does not
//! parse fails every request closed with `CONFIG_INVALID`.

use keygate_shared::policy::GatewayRules;
use keygate_shared::{ApiError, ErrorCode, Prefix};

/// The parsed configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `KEY_PREFIX` (default `kg`).
    pub prefix: Prefix,
    /// `ORIGIN_URL`, without a trailing `/`.
    pub origin_url: Option<String>,
    /// `ADMIN_HOSTNAME`: the only host of the admin surface when set.
    pub admin_hostname: Option<String>,
    /// `GATEWAY_RULES`.
    pub rules: GatewayRules,
    /// `MAX_KEYS_PER_ORG` (default 10; 0 = no limit).
    pub max_keys_per_org: u32,
    /// `NOTIFY_WEBHOOK_URL`.
    pub notify_webhook_url: Option<String>,
    /// `GITHUB_SECRET_SCANNING_KEYS` (raw JSON document).
    pub github_secret_scanning_keys: Option<String>,
    /// `VERIFY_CACHE_SECONDS` (default 10; 0 = no in-isolate cache).
    pub verify_cache_seconds: u32,
    /// `ORIGIN_SIGNING_SECRET` (a Worker secret): sign forwarded requests.
    pub origin_signing: Option<keygate_origin::Secrets>,
    /// `USAGE_FLUSH_SECONDS` (default 60, 1 to 3600): how often an isolate
    /// writes the usage it counted (and the most it can lose).
    pub usage_flush_seconds: u32,
    /// `ACCESS_TEAM_DOMAIN`, `ACCESS_AUD`, `ACCESS_ADMINS` (§10): sign-in
    /// through Cloudflare Access, when set.
    pub access: Option<crate::access::AccessConfig>,
}

/// Default of `USAGE_FLUSH_SECONDS`.
pub const DEFAULT_USAGE_FLUSH_SECONDS: u32 = 60;

/// Default of `VERIFY_CACHE_SECONDS`.
pub const DEFAULT_VERIFY_CACHE_SECONDS: u32 = 10;

fn invalid(var: &str, why: &str) -> ApiError {
    ApiError::field(
        ErrorCode::ConfigInvalid,
        var,
        format!("Configuration variable {var} is invalid: {why}"),
    )
}

fn url(var: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    match value.filter(|v| !v.trim().is_empty()) {
        None => Ok(None),
        Some(v)
            if (v.starts_with("http://") || v.starts_with("https://"))
                && !v.contains(char::is_whitespace) =>
        {
            Ok(Some(v.trim_end_matches('/').to_owned()))
        }
        Some(_) => Err(invalid(var, "it must be an http:// or https:// URL.")),
    }
}

impl Config {
    /// Reads every variable through `var` (unset = `None`).
    ///
    /// # Errors
    /// `CONFIG_INVALID` naming the first variable that does not parse.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ApiError> {
        let prefix = match var("KEY_PREFIX").filter(|v| !v.is_empty()) {
            None => Prefix::default(),
            Some(p) => p
                .parse()
                .map_err(|e: keygate_shared::token::InvalidPrefix| {
                    invalid("KEY_PREFIX", &e.to_string())
                })?,
        };
        let rules = GatewayRules::parse(&var("GATEWAY_RULES").unwrap_or_default())
            .map_err(|e| invalid("GATEWAY_RULES", &e))?;
        let max_keys_per_org = match var("MAX_KEYS_PER_ORG").filter(|v| !v.trim().is_empty()) {
            None => 10,
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| invalid("MAX_KEYS_PER_ORG", "it must be a whole number."))?,
        };
        let verify_cache_seconds =
            match var("VERIFY_CACHE_SECONDS").filter(|v| !v.trim().is_empty()) {
                None => DEFAULT_VERIFY_CACHE_SECONDS,
                Some(v) => v
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|s| *s <= 300)
                    .ok_or_else(|| {
                        invalid(
                            "VERIFY_CACHE_SECONDS",
                            "it must be a whole number from 0 to 300.",
                        )
                    })?,
            };
        let usage_flush_seconds = match var("USAGE_FLUSH_SECONDS").filter(|v| !v.trim().is_empty())
        {
            None => DEFAULT_USAGE_FLUSH_SECONDS,
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|s| (1..=3600).contains(s))
                .ok_or_else(|| {
                    invalid(
                        "USAGE_FLUSH_SECONDS",
                        "it must be a whole number from 1 to 3600.",
                    )
                })?,
        };
        let admin_hostname = var("ADMIN_HOSTNAME")
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.trim().to_ascii_lowercase());
        // A host name as requests spell it: the front sends it on to the
        // admin plane in a header (`front_stamp`), which takes ASCII only.
        if let Some(host) = &admin_hostname {
            let allowed = |c: char| c.is_ascii_alphanumeric() || ".-:[]".contains(c);
            if !host.chars().all(allowed) || !host.chars().any(|c| c.is_ascii_alphanumeric()) {
                return Err(invalid(
                    "ADMIN_HOSTNAME",
                    "it must be a host name: ASCII letters, digits, dots and hyphens.",
                ));
            }
        }
        let keys = var("GITHUB_SECRET_SCANNING_KEYS").filter(|v| !v.trim().is_empty());
        if let Some(doc) = &keys {
            serde_json::from_str::<serde_json::Value>(doc)
                .map_err(|_| invalid("GITHUB_SECRET_SCANNING_KEYS", "it is not JSON."))?;
        }
        // Empty means unset, as for every variable; set but blank (spaces)
        // is an error, not "signing off".
        let origin_signing = var("ORIGIN_SIGNING_SECRET")
            .filter(|v| !v.is_empty())
            .map(|v| {
                keygate_origin::Secrets::parse(&v)
                    .map_err(|e| invalid("ORIGIN_SIGNING_SECRET", &format!("{e}.")))
            })
            .transpose()?;
        let origin_url = url("ORIGIN_URL", var("ORIGIN_URL"))?;
        // The signature covers the path the gateway forwards; an origin URL
        // with a path of its own would make the origin see another one.
        let with_path = origin_url.as_deref().is_some_and(|u| {
            u.split_once("://")
                .is_some_and(|(_, rest)| rest.contains(['/', '?', '#']))
        });
        if origin_signing.is_some() && with_path {
            return Err(invalid(
                "ORIGIN_URL",
                "with ORIGIN_SIGNING_SECRET set it is scheme and host only (the signature covers the forwarded path).",
            ));
        }
        let access = crate::access::AccessConfig::from_vars(
            var("ACCESS_TEAM_DOMAIN"),
            var("ACCESS_AUD"),
            var("ACCESS_ADMINS"),
            admin_hostname.as_deref(),
        )
        .map_err(|(name, why)| invalid(name, &why))?;
        Ok(Self {
            access,
            origin_signing,
            prefix,
            origin_url,
            admin_hostname,
            rules,
            max_keys_per_org,
            notify_webhook_url: url("NOTIFY_WEBHOOK_URL", var("NOTIFY_WEBHOOK_URL"))?,
            github_secret_scanning_keys: keys,
            verify_cache_seconds,
            usage_flush_seconds,
        })
    }
}

/// The header in which the front worker tells the admin plane, on every
/// request it passes on, the settings the two must share (see
/// [`Config::front_stamp`]). The front sets it, overwriting any value a
/// client sent.
pub const FRONT_HEADER: &str = "x-keygate-front";

impl Config {
    /// `KEY_PREFIX` and `ADMIN_HOSTNAME` as one value: the two settings
    /// that the front worker and the admin plane each read from their own
    /// config and must read alike. A plane with another prefix would mint
    /// keys the front refuses; a front without the plane's admin host would
    /// serve the gateway same-origin with an Access-signed admin API.
    #[must_use]
    pub fn front_stamp(&self) -> String {
        format!(
            "{} {}",
            self.prefix,
            self.admin_hostname.as_deref().unwrap_or("-")
        )
    }

    /// The admin plane's check of what the front sent (`stamp`, the
    /// [`FRONT_HEADER`]): a request that did not come through a front
    /// with the same settings is refused, every time, before any work.
    ///
    /// # Errors
    /// `CONFIG_INVALID`, naming both values, when they differ or the
    /// header is missing.
    pub fn check_front(&self, stamp: Option<&str>) -> Result<(), ApiError> {
        let own = self.front_stamp();
        match stamp {
            Some(stamp) if stamp == own => Ok(()),
            // The values go to the log only: the answer reaches any client,
            // and the plane's ADMIN_HOSTNAME is none of a gateway caller's
            // business.
            Some(stamp) => Err(ApiError::new(
                ErrorCode::ConfigInvalid,
                "The front worker and the admin plane are configured apart: \
                 set KEY_PREFIX and ADMIN_HOSTNAME alike in both.",
            )
            .with_cause(format!(
                "KEY_PREFIX and ADMIN_HOSTNAME are \"{stamp}\" in the front's config \
                 and \"{own}\" in the admin plane's"
            ))),
            None => Err(ApiError::new(
                ErrorCode::ConfigInvalid,
                "The admin plane takes requests passed on by a front worker; \
                 this one came without the front's settings.",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_plane_takes_only_a_front_configured_alike() {
        let vars = |host: &'static str, prefix: &'static str| {
            move |name: &str| match name {
                "ADMIN_HOSTNAME" => Some(host.to_owned()),
                "KEY_PREFIX" => Some(prefix.to_owned()),
                _ => None,
            }
        };
        let plane = Config::from_vars(vars("Admin.Example.com", "acme")).unwrap();
        let same = Config::from_vars(vars("admin.example.COM ", "acme")).unwrap();
        assert_eq!(plane.front_stamp(), "acme admin.example.com");
        assert!(plane.check_front(Some(&same.front_stamp())).is_ok());
        for front in [
            Config::from_vars(vars("", "acme")).unwrap(),
            Config::from_vars(vars("admin.example.com", "kg")).unwrap(),
            Config::from_vars(vars("other.example.com", "acme")).unwrap(),
        ] {
            let e = plane.check_front(Some(&front.front_stamp())).unwrap_err();
            assert_eq!(e.code, ErrorCode::ConfigInvalid, "{front:?}");
            assert!(!e.message.contains("admin.example.com"), "{}", e.message);
            let cause = e.cause.unwrap_or_default();
            assert!(cause.contains("\"acme admin.example.com\""), "{cause}");
            assert!(
                cause.contains(&format!("\"{}\"", front.front_stamp())),
                "{cause}"
            );
        }
        assert_eq!(
            plane.check_front(None).unwrap_err().code,
            ErrorCode::ConfigInvalid
        );
        for bad in ["-", "adm\u{e9}n.example.com", "a b", "admin.example.com/x"] {
            let e = Config::from_vars(vars(bad, "acme")).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("ADMIN_HOSTNAME"), "{bad}");
        }
        // Unset on both sides agrees.
        let bare = Config::from_vars(|_| None).unwrap();
        assert!(bare.check_front(Some(&bare.front_stamp())).is_ok());
    }
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<Config, ApiError> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_vars(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = parse(&[]).unwrap();
        assert_eq!(
            (
                c.prefix.as_str(),
                c.max_keys_per_org,
                c.origin_url,
                c.verify_cache_seconds
            ),
            ("kg", 10, None, 10)
        );
        assert_eq!(
            parse(&[("VERIFY_CACHE_SECONDS", " 0 ")])
                .unwrap()
                .verify_cache_seconds,
            0
        );
    }

    #[test]
    fn every_bad_value_names_its_variable() {
        for (var, bad) in [
            ("KEY_PREFIX", "Bad"),
            ("GATEWAY_RULES", "{"),
            ("MAX_KEYS_PER_ORG", "ten"),
            ("MAX_KEYS_PER_ORG", "-1"),
            ("ORIGIN_URL", "ftp://x"),
            ("NOTIFY_WEBHOOK_URL", "not a url"),
            ("GITHUB_SECRET_SCANNING_KEYS", "{"),
            ("VERIFY_CACHE_SECONDS", "301"),
            ("VERIFY_CACHE_SECONDS", "-1"),
            ("VERIFY_CACHE_SECONDS", "1.5"),
            ("ORIGIN_SIGNING_SECRET", "too-short"),
            ("ORIGIN_SIGNING_SECRET", "   "),
            (
                "ORIGIN_SIGNING_SECRET",
                "\u{a0}a-secret-of-at-least-32-characters!!",
            ),
            ("ORIGIN_SIGNING_SECRET", "a-secret-of-at-least-32-characters!! b-secret-of-at-least-32-characters!! c-secret-of-at-least-32-characters!!"),
        ] {
            let e = parse(&[(var, bad)]).unwrap_err();
            assert_eq!(
                (e.code, e.field.as_deref(), e.status()),
                (ErrorCode::ConfigInvalid, Some(var), 500)
            );
        }
        // Access is all or nothing (each case in access/tests.rs).
        let e = parse(&[("ACCESS_TEAM_DOMAIN", "acme.cloudflareaccess.com")]).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::ConfigInvalid, Some("ACCESS_AUD"))
        );
        let on = [
            ("ACCESS_TEAM_DOMAIN", "acme.cloudflareaccess.com"),
            ("ACCESS_AUD", "tag"),
            (
                "ACCESS_ADMINS",
                r#"[{"email_domain": "acme.com", "role": "admin", "organization": "acme"}]"#,
            ),
        ];
        let e = parse(&on).unwrap_err();
        assert_eq!(
            e.field.as_deref(),
            Some("ADMIN_HOSTNAME"),
            "Access needs a host of its own"
        );
        assert!(
            parse(&[on[0], on[1], on[2], ("ADMIN_HOSTNAME", "keys.acme.com")])
                .unwrap()
                .access
                .is_some()
        );
        assert_eq!(
            parse(&[("ORIGIN_URL", "http://127.0.0.1:9/")])
                .unwrap()
                .origin_url
                .as_deref(),
            Some("http://127.0.0.1:9")
        );
    }
}
