//! Sign-in through Cloudflare Access (§10): the `Cf-Access-Jwt-Assertion`
//! header or `CF_Authorization` cookie is a JWT of the team, checked with
//! its signing keys, and `ACCESS_ADMINS` says what its email may do.

pub mod admins;
pub mod jwt;
pub mod keys;
#[cfg(all(not(target_arch = "wasm32"), any(test, feature = "test-keys")))]
pub mod test_keys;

use chrono::{DateTime, Utc};
use keygate_shared::{ApiError, ErrorCode};

pub use admins::{AccessRole, Admins, Grant};
pub use keys::CertSource;

use crate::http::HttpRequest;
use jwt::Refusal;

/// The header Access adds to every request it lets through.
pub const ASSERTION_HEADER: &str = "cf-access-jwt-assertion";
/// The cookie Access sets in the browser.
pub const COOKIE: &str = "CF_Authorization";
/// The header the admin app sends with every call (§10's CSRF guard).
pub const CLIENT_HEADER: &str = "x-keygate-client";

/// `ACCESS_TEAM_DOMAIN`, `ACCESS_AUD` and `ACCESS_ADMINS`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessConfig {
    /// What `iss` must be: `https://<team domain>`, or the origin given.
    pub issuer: String,
    /// Where the signing keys are.
    pub certs_url: String,
    /// What `aud` must contain (the application's audience tag).
    pub audience: String,
    /// Who may do what.
    pub admins: Admins,
}

impl AccessConfig {
    /// From the three variables (all unset: Access is off), given
    /// `ADMIN_HOSTNAME`, which Access needs.
    ///
    /// # Errors
    /// The variable at fault and why.
    pub fn from_vars(
        team: Option<String>,
        audience: Option<String>,
        admins: Option<String>,
        admin_hostname: Option<&str>,
    ) -> Result<Option<Self>, (&'static str, String)> {
        let set = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let (team, audience, admins) = (set(team), set(audience), set(admins));
        let (team, audience) =
            match (team, audience) {
                (None, None) if admins.is_none() => return Ok(None),
                (Some(t), Some(a)) => (t, a),
                (None, _) => return Err((
                    "ACCESS_TEAM_DOMAIN",
                    "set it with ACCESS_AUD (and ACCESS_ADMINS) to sign people in through Access."
                        .into(),
                )),
                (Some(_), None) => {
                    return Err((
                        "ACCESS_AUD",
                        "set it to the Access application's audience tag.".into(),
                    ))
                }
            };
        let issuer = issuer_of(&team).ok_or((
            "ACCESS_TEAM_DOMAIN",
            "it must be a team domain such as acme.cloudflareaccess.com, or an https origin without a path (http only for 127.0.0.1 or localhost).".to_owned(),
        ))?;
        // Access's cookie covers its whole host: on a host that is also
        // the gateway, every page the origin serves there would be
        // same-origin with the admin API and carry the sign-in.
        if admin_hostname.is_none() {
            return Err((
                "ADMIN_HOSTNAME",
                "sign-in through Cloudflare Access needs the admin app on a host of its own: set ADMIN_HOSTNAME to the host Access protects.".to_owned(),
            ));
        }
        // No silent default: without a mapping every person would be 403.
        let admins = Admins::parse(admins.as_deref().unwrap_or_default())
            .map_err(|e| ("ACCESS_ADMINS", e))?;
        if admins.is_empty() {
            return Err((
                "ACCESS_ADMINS",
                "list who may sign in, e.g. [{\"email_domain\": \"acme.com\", \"role\": \"admin\", \"organization\": \"acme\"}].".to_owned(),
            ));
        }
        Ok(Some(Self {
            certs_url: format!("{issuer}/cdn-cgi/access/certs"),
            issuer,
            audience,
            admins,
        }))
    }

    /// Where signing out goes: the team's logout, which ends the Access
    /// session of every application.
    #[must_use]
    pub fn logout_url(&self) -> String {
        format!("{}/cdn-cgi/access/logout", self.issuer)
    }
}

/// `https://<domain>` for a bare team domain, or the origin itself.
fn issuer_of(team: &str) -> Option<String> {
    let (scheme, authority) = match team.split_once("://") {
        Some((s @ ("http" | "https"), rest)) => (s, rest.trim_end_matches('/')),
        Some(_) => return None,
        None => ("https", team),
    };
    let (host, port) = authority
        .rsplit_once(':')
        .map_or((authority, None), |(h, p)| (h, Some(p)));
    // Keys fetched over plain http could be replaced on the way: only a
    // loopback stand-in (tests, local development) may use it.
    if scheme == "http" && !matches!(host, "127.0.0.1" | "localhost") {
        return None;
    }
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    (host_ok && port_ok).then(|| format!("{scheme}://{authority}"))
}

/// Every `CF_Authorization` value in the request's cookies.
fn cookie_values(req: &HttpRequest) -> Vec<&str> {
    req.headers
        .iter()
        .filter(|(n, _)| n == "cookie")
        .flat_map(|(_, v)| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .collect()
}

/// The Access token presented, if any: the header, else the cookie. Two
/// different cookies of that name (one planted for a parent domain, say)
/// are not guessed between: the request is refused.
///
/// # Errors
/// [`Refusal::Malformed`] for two different tokens.
pub fn presented(req: &HttpRequest) -> Result<Option<&str>, Refusal> {
    if let Some(h) = req.header(ASSERTION_HEADER) {
        return Ok(Some(h.trim()));
    }
    let values = cookie_values(req);
    match values.split_first() {
        None => Ok(None),
        Some((first, rest)) if rest.iter().all(|v| v == first) => Ok(Some(first)),
        Some(_) => Err(Refusal::Malformed),
    }
}

/// A person signed in through Access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The email of the token, lower-case.
    pub email: String,
    /// What `ACCESS_ADMINS` grants it.
    pub grant: Grant,
    /// When the token ends.
    pub signed_in_until: DateTime<Utc>,
}

/// The 401 of a refused Access token (never the token itself).
pub fn unauthenticated(refusal: Refusal) -> ApiError {
    ApiError::new(
        ErrorCode::Unauthenticated,
        format!("Cloudflare Access sign-in refused: {}", refusal.message()),
    )
}

/// Checks `token` and maps its email.
///
/// # Errors
/// 401 for a bad, expired or foreign token; 403 for an email with no
/// entry in `ACCESS_ADMINS`; 503 (with the cause) when the team's keys
/// cannot be fetched.
pub async fn identify(
    config: &AccessConfig,
    certs: Option<&dyn CertSource>,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Identity, ApiError> {
    let jwt = jwt::parse(token).map_err(unauthenticated)?;
    jwt.claims
        .check(&config.issuer, &config.audience, now)
        .map_err(unauthenticated)?;
    let spki = keys::key_for(&jwt.kid, &config.certs_url, certs, now)
        .await
        .map_err(|e| match e.refusal {
            Refusal::Unavailable => ApiError::new(
                ErrorCode::Unavailable,
                "Cloudflare Access sign-in is unavailable: the team's signing keys cannot be fetched.",
            )
            .with_cause(e.cause.unwrap_or_default()),
            // A refresh that failed on the way is logged with the 401.
            other => match e.cause {
                Some(cause) => unauthenticated(other).with_cause(cause),
                None => unauthenticated(other),
            },
        })?;
    let signed = crate::rsa::verify(&spki, jwt.signed, &jwt.signature)
        .await
        .unwrap_or(false);
    if !signed {
        return Err(unauthenticated(Refusal::Signature));
    }
    let signed_in_until = jwt.claims.expires_at();
    let email = jwt.claims.email.unwrap_or_default().to_ascii_lowercase();
    let Some(grant) = config.admins.grant_for(&email) else {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "You are signed in through Cloudflare Access, but ACCESS_ADMINS gives your identity no role here.",
        ));
    };
    Ok(Identity {
        grant: grant.clone(),
        signed_in_until,
        email,
    })
}

/// §10's guard against cross-site request forgery, for a change made by an
/// Access identity: the admin app's header and a same-origin `Origin`.
/// It applies whether the token came in the cookie or the header, since
/// Access adds the header to a cookie-carrying request too.
///
/// # Errors
/// 403 `FORBIDDEN`.
pub fn check_same_origin_write(req: &HttpRequest) -> Result<(), ApiError> {
    if matches!(req.method.as_str(), "GET" | "HEAD") {
        return Ok(());
    }
    let client = req
        .header(CLIENT_HEADER)
        .is_some_and(|v| v.trim() == "admin");
    let origin = req
        .header("origin")
        .is_some_and(|o| !req.origin.is_empty() && o.trim().eq_ignore_ascii_case(&req.origin));
    if client && origin {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::Forbidden,
        "A change signed in through Cloudflare Access must come from the admin app: send X-Keygate-Client: admin from the same origin.",
    ))
}

#[cfg(test)]
mod tests;
