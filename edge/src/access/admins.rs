//! `ACCESS_ADMINS`: which people signed in through Access may administer
//! which subtree, by exact email or by email domain (§10).

pub use keygate_shared::api::AccessRole;
use keygate_shared::Organization;
use serde::Deserialize;

/// What one mapping entry grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The role.
    pub role: AccessRole,
    /// The root of the subtree.
    pub organization: Organization,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    email: Option<String>,
    email_domain: Option<String>,
    role: String,
    organization: String,
}

/// The parsed mapping: exact emails and domains, lower-case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Admins {
    exact: Vec<(String, Grant)>,
    domains: Vec<(String, Grant)>,
}

/// `local@domain` split at its one `@`, both parts non-empty and without
/// spaces or control characters; `None` for anything else.
fn email_parts(email: &str) -> Option<(&str, &str)> {
    let (local, domain) = email.split_once('@')?;
    let clean = |s: &str| {
        !s.is_empty()
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '@')
    };
    (clean(local) && clean(domain)).then_some((local, domain))
}

impl Admins {
    /// Parses the JSON list.
    ///
    /// # Errors
    /// Why the document is refused (for `CONFIG_INVALID`).
    pub fn parse(json: &str) -> Result<Self, String> {
        let entries: Vec<Entry> = serde_json::from_str(json).map_err(|e| {
            format!("it must be a JSON list of {{\"email\" or \"email_domain\", \"role\", \"organization\"}} ({e}).")
        })?;
        let mut admins = Self::default();
        for (i, e) in entries.into_iter().enumerate() {
            let role = match e.role.as_str() {
                "admin" => AccessRole::Admin,
                "reader" => AccessRole::Reader,
                _ => return Err(format!("entry {i}: role must be \"admin\" or \"reader\".")),
            };
            let organization = e.organization.parse::<Organization>().map_err(|_| {
                format!("entry {i}: organization is not a valid organization path.")
            })?;
            let grant = Grant { role, organization };
            let (list, who) = match (e.email, e.email_domain) {
                (Some(email), None) => {
                    let email = email.to_ascii_lowercase();
                    if email_parts(&email).is_none() {
                        return Err(format!("entry {i}: email is not one address."));
                    }
                    (&mut admins.exact, email)
                }
                (None, Some(domain)) => {
                    let domain = domain.to_ascii_lowercase();
                    if email_parts(&format!("x@{domain}")).is_none() || !domain.contains('.') {
                        return Err(format!(
                            "entry {i}: email_domain must be a domain such as acme.com (no @)."
                        ));
                    }
                    (&mut admins.domains, domain)
                }
                _ => {
                    return Err(format!(
                        "entry {i}: give exactly one of email and email_domain."
                    ))
                }
            };
            if list.iter().any(|(w, _)| *w == who) {
                return Err(format!("entry {i}: {who} is listed twice."));
            }
            list.push((who, grant));
        }
        Ok(admins)
    }

    /// What `email` is granted: its exact entry, else its domain's (the
    /// whole domain, not a suffix: `x.acme.com` and `evilacme.com` are not
    /// `acme.com`). Emails compare without case, as Access signs them in.
    #[must_use]
    pub fn grant_for(&self, email: &str) -> Option<&Grant> {
        let email = email.to_ascii_lowercase();
        let (_, domain) = email_parts(&email)?;
        self.exact
            .iter()
            .find(|(e, _)| *e == email)
            .or_else(|| self.domains.iter().find(|(d, _)| d == domain))
            .map(|(_, g)| g)
    }

    /// Whether nobody is mapped.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.domains.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"[
        {"email_domain": "acme.com", "role": "reader", "organization": "acme"},
        {"email": "Ana@Acme.com", "role": "admin", "organization": "acme/emea"}
    ]"#;

    #[test]
    fn exact_email_over_domain_and_whole_domains_only() {
        let a = Admins::parse(DOC).expect("parses");
        let grant = |e: &str| a.grant_for(e).map(|g| (g.role, g.organization.to_string()));
        assert_eq!(
            grant("ana@acme.com"),
            Some((AccessRole::Admin, "acme/emea".into()))
        );
        assert_eq!(
            grant("ANA@ACME.COM"),
            Some((AccessRole::Admin, "acme/emea".into()))
        );
        assert_eq!(
            grant("bob@acme.com"),
            Some((AccessRole::Reader, "acme".into()))
        );
        assert_eq!(
            grant("bob@Acme.Com"),
            Some((AccessRole::Reader, "acme".into()))
        );
        for nobody in [
            "bob@evilacme.com",
            "bob@x.acme.com",
            "bob@acme.com.evil",
            "ana@acme.com@evil.com",
            "acme.com",
            "@acme.com",
            "bob @acme.com",
            "bob@acme.com ",
            "",
        ] {
            assert_eq!(grant(nobody), None, "{nobody}");
        }
    }

    #[test]
    fn bad_documents_say_why() {
        for bad in [
            "{",
            r#"{"email": "a@b.c"}"#,
            r#"[{"email": "a@b.c", "role": "owner", "organization": "x"}]"#,
            r#"[{"email": "a@b.c", "role": "admin", "organization": "Not Valid"}]"#,
            r#"[{"email": "a@b.c", "email_domain": "b.c", "role": "admin", "organization": "x"}]"#,
            r#"[{"role": "admin", "organization": "x"}]"#,
            r#"[{"email": "nobody", "role": "admin", "organization": "x"}]"#,
            r#"[{"email_domain": "@b.c", "role": "admin", "organization": "x"}]"#,
            r#"[{"email_domain": "localhost", "role": "admin", "organization": "x"}]"#,
            r#"[{"email": "a@b.c", "role": "admin", "organization": "x", "extra": 1}]"#,
            r#"[{"email": "a@b.c", "role": "admin", "organization": "x"}, {"email": "A@B.C", "role": "reader", "organization": "x"}]"#,
        ] {
            assert!(Admins::parse(bad).is_err(), "{bad}");
        }
        assert!(Admins::parse("[]").expect("empty list").is_empty());
        let root = Admins::parse(r#"[{"email": "a@b.c", "role": "admin", "organization": ""}]"#)
            .expect("root");
        assert!(root
            .grant_for("a@b.c")
            .is_some_and(|g| g.organization.is_root()));
    }
}
