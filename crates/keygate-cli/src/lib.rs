//! Operator commands for Keygate. `bootstrap` creates the first root
//! administrator key of a deployment (local or on Cloudflare) through
//! wrangler's KV commands, in exactly the layout the worker reads.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod wrangler_kv;

use chrono::{Duration, Utc};
use keygate_edge::repo::Repo;
use keygate_edge::store::Kv;
use keygate_shared::model::{BOOTSTRAP_ACTOR, ROLE_ADMIN};
use keygate_shared::{token, AuditEvent, KeyRecord, Prefix, Token};

/// What `bootstrap` did.
#[derive(Debug)]
pub enum Bootstrapped {
    /// A usable root admin key exists already (its id); nothing was written.
    Exists(String),
    /// A new key was made; its token is shown this once.
    Created {
        /// The new key's id.
        id: String,
        /// The secret.
        token: Token,
    },
}

/// Options of `bootstrap`.
#[derive(Debug, Clone)]
pub struct BootstrapOptions {
    /// Token prefix (the deployment's `KEY_PREFIX`).
    pub prefix: Prefix,
    /// Name of the new key.
    pub name: String,
    /// Days until it expires.
    pub expires_in_days: u32,
    /// Make one even when an admin key exists.
    pub force: bool,
}

/// Creates a root `keygate:admin` key unless a usable one exists.
///
/// # Errors
/// A sentence saying what failed (storage or randomness).
pub async fn bootstrap<K: Kv>(kv: &K, options: &BootstrapOptions) -> Result<Bootstrapped, String> {
    let repo = Repo::new(kv);
    let now = Utc::now();
    if !options.force {
        let existing = repo.all().await.map_err(|e| e.0)?;
        if let Some(admin) = existing.iter().find(|r| {
            r.organization.is_empty()
                && r.has_role(ROLE_ADMIN)
                && r.status(now) == keygate_shared::Status::Active
        }) {
            return Ok(Bootstrapped::Exists(admin.id.clone()));
        }
    }
    let token = Token::generate(&options.prefix).map_err(|e| e.to_string())?;
    let record = KeyRecord {
        id: token::new_key_id().map_err(|e| e.to_string())?,
        name: keygate_shared::validation::name(&options.name).map_err(|e| e.message)?,
        description: "Created by `keygate bootstrap`.".into(),
        organization: String::new(),
        group: None,
        roles: vec![ROLE_ADMIN.into()],
        ip_allowlist: vec![],
        enabled: true,
        created_at: now,
        created_by: BOOTSTRAP_ACTOR.into(),
        expires_at: Some(now + Duration::days(i64::from(options.expires_in_days))),
        hint: token.hint(),
        hash: token.lookup_hash().to_hex(),
        notified_days: vec![],
    };
    repo.insert(&record, now).await.map_err(|e| e.0)?;
    let event = AuditEvent::for_key(
        &record,
        now,
        BOOTSTRAP_ACTOR,
        "key.created",
        serde_json::Map::new(),
    );
    repo.audit(&event).await.map_err(|e| e.0)?;
    Ok(Bootstrapped::Created {
        id: record.id,
        token,
    })
}

/// `KEY_PREFIX` from a wrangler.toml's `[vars]`, or the default.
#[must_use]
pub fn prefix_from_config(toml: &str) -> Option<String> {
    toml.lines()
        .map(str::trim)
        .find(|l| l.starts_with("KEY_PREFIX"))
        .and_then(|l| l.split_once('='))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use keygate_edge::store::MemoryKv;

    fn options() -> BootstrapOptions {
        BootstrapOptions {
            prefix: Prefix::default(),
            name: "first admin".into(),
            expires_in_days: 365,
            force: false,
        }
    }

    #[test]
    fn creates_once_then_reports_the_existing_key() {
        let kv = MemoryKv::default();
        let first = pollster::block_on(bootstrap(&kv, &options())).unwrap();
        let Bootstrapped::Created { id, token } = first else {
            panic!("expected a new key")
        };
        let stored = pollster::block_on(Repo::new(&kv).by_hash(&token.lookup_hash().to_hex()))
            .unwrap()
            .unwrap();
        assert_eq!(
            (stored.id.as_str(), stored.roles.as_slice()),
            (id.as_str(), &[ROLE_ADMIN.to_owned()][..])
        );
        match pollster::block_on(bootstrap(&kv, &options())).unwrap() {
            Bootstrapped::Exists(existing) => assert_eq!(existing, id),
            Bootstrapped::Created { .. } => panic!("made a second admin key"),
        }
    }

    #[test]
    fn reads_the_prefix() {
        assert_eq!(
            prefix_from_config("[vars]\nKEY_PREFIX = \"acme_live\"\n").as_deref(),
            Some("acme_live")
        );
        assert_eq!(prefix_from_config("[vars]\n"), None);
    }
}
