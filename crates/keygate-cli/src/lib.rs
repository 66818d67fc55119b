//! Operator commands for Keygate, through wrangler's D1 and KV commands, in
//! exactly the layout the worker reads (`keygate_edge::repo`): `bootstrap`
//! creates the first root administrator key, `reconcile` makes KV match
//! D1, `migrate-to-d1` imports a KV-only deployment.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod migrate;
pub mod wrangler_d1;
pub mod wrangler_kv;

use chrono::{Duration, SubsecRound, Utc};
use keygate_edge::repo::Repo;
use keygate_edge::sql::Db;
use keygate_edge::store::Kv;
use keygate_shared::model::{BOOTSTRAP_ACTOR, ROLE_ADMIN};
use keygate_shared::{
    AuditAction, AuditEvent, KeyId, KeyRecord, Organization, Prefix, Role, Token,
};

/// What `bootstrap` did.
#[derive(Debug)]
pub enum Bootstrapped {
    /// A usable root admin key exists already (its id); nothing was written.
    Exists(KeyId),
    /// A new key was made; its token is shown this once.
    Created {
        /// The new key's id.
        id: KeyId,
        /// The secret.
        token: Token,
    },
}

/// Options of `bootstrap`. No `Debug`: it may hold an admin token.
#[derive(Clone)]
pub struct BootstrapOptions {
    /// Token prefix (the deployment's `KEY_PREFIX`).
    pub prefix: Prefix,
    /// Name of the new key.
    pub name: String,
    /// Days until it expires.
    pub expires_in_days: u32,
    /// Make one even when an admin key exists.
    pub force: bool,
    /// A token the caller kept from an earlier run (`--save FILE`). If it
    /// still opens an active root admin key, nothing is made (a rolled key
    /// does until its grace period ends); if it does not (expired,
    /// disabled, deleted), a new key is made even when other admin keys
    /// exist: the caller would otherwise hold none.
    pub saved_token: Option<String>,
}

/// Creates a root `keygate:admin` key unless a usable one exists.
///
/// # Errors
/// A sentence saying what failed (storage or randomness).
pub async fn bootstrap<K: Kv, D: Db>(
    kv: &K,
    db: &D,
    options: &BootstrapOptions,
) -> Result<Bootstrapped, String> {
    let repo = Repo::new(kv, db);
    // To the millisecond, as the worker's clock (`Date.now()`) gives it:
    // the bootstrap key's dates read like every other key's.
    let now = Utc::now().trunc_subsecs(3);
    if !options.force {
        if let Some(saved) = &options.saved_token {
            if let Some(id) = usable_root_admin(&repo, &options.prefix, saved, now).await? {
                return Ok(Bootstrapped::Exists(id));
            }
            return create(&repo, options, now).await;
        }
        // The root organization's live keys (not a text search: a key
        // named "keygate:admin" elsewhere must not hide the real one).
        let candidates = repo
            .active_in(&Organization::root(), now, 1000)
            .await
            .map_err(|e| e.0)?;
        if let Some(admin) = candidates.iter().find(|r| is_usable_root_admin(r, now)) {
            return Ok(Bootstrapped::Exists(admin.id.clone()));
        }
    }
    create(&repo, options, now).await
}

/// The id of the active root admin key `token` opens, if any.
async fn usable_root_admin<K: Kv, D: Db>(
    repo: &Repo<'_, K, D>,
    prefix: &Prefix,
    token: &str,
    now: chrono::DateTime<Utc>,
) -> Result<Option<KeyId>, String> {
    let Ok(token) = Token::parse(prefix, token.trim()) else {
        return Ok(None);
    };
    let hash = token.lookup_hash();
    let record = repo.entry_by_hash(&hash.to_hex()).await.map_err(|e| e.0)?;
    Ok(record
        .and_then(|e| e.record)
        .filter(|r| hash.matches_hex(&r.hash) && is_usable_root_admin(r, now))
        .map(|r| r.id))
}

/// An active `keygate:admin` key of the root organization.
fn is_usable_root_admin(record: &KeyRecord, now: chrono::DateTime<Utc>) -> bool {
    record.organization.is_empty()
        && record.has_role(ROLE_ADMIN)
        && record.status(now) == keygate_shared::Status::Active
}

async fn create<K: Kv, D: Db>(
    repo: &Repo<'_, K, D>,
    options: &BootstrapOptions,
    now: chrono::DateTime<Utc>,
) -> Result<Bootstrapped, String> {
    let token = Token::generate(&options.prefix).map_err(|e| e.to_string())?;
    let id = KeyId::generate().map_err(|e| e.to_string())?;
    let record = KeyRecord {
        name: keygate_shared::validation::name(&options.name).map_err(|e| e.message)?,
        description: "Created by `keygate bootstrap`.".into(),
        roles: vec![Role::admin()],
        expires_at: Some(now + Duration::days(i64::from(options.expires_in_days))),
        ..KeyRecord::minted(id, &token, now, BOOTSTRAP_ACTOR)
    };
    repo.insert_unlimited(&record, now).await.map_err(|e| e.0)?;
    let event = AuditEvent::for_key(
        &record,
        now,
        BOOTSTRAP_ACTOR,
        AuditAction::Created,
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
    use keygate_edge::sqlite::SqliteDb;
    use keygate_edge::store::MemoryKv;

    fn options() -> BootstrapOptions {
        BootstrapOptions {
            prefix: Prefix::default(),
            name: "first admin".into(),
            expires_in_days: 365,
            force: false,
            saved_token: None,
        }
    }

    #[test]
    fn creates_once_then_reports_the_existing_key() {
        let (kv, db) = (MemoryKv::default(), SqliteDb::new());
        let first = pollster::block_on(bootstrap(&kv, &db, &options())).unwrap();
        let Bootstrapped::Created { id, token } = first else {
            panic!("expected a new key")
        };
        let stored = pollster::block_on(Repo::new(&kv, &db).by_hash(&token.lookup_hash().to_hex()))
            .unwrap()
            .unwrap();
        assert_eq!(
            (stored.id.as_str(), stored.roles.as_slice()),
            (id.as_str(), &[Role::admin()][..])
        );
        match pollster::block_on(bootstrap(&kv, &db, &options())).unwrap() {
            Bootstrapped::Exists(existing) => assert_eq!(existing, id),
            Bootstrapped::Created { .. } => panic!("made a second admin key"),
        }
    }

    #[test]
    fn a_saved_token_that_no_longer_opens_an_admin_key_gets_a_new_one() {
        let (kv, db) = (MemoryKv::default(), SqliteDb::new());
        let Bootstrapped::Created { id, token } =
            pollster::block_on(bootstrap(&kv, &db, &options())).unwrap()
        else {
            panic!("expected a new key")
        };
        let with_saved = |saved: &str| BootstrapOptions {
            saved_token: Some(format!("{saved}\n")),
            ..options()
        };
        match pollster::block_on(bootstrap(&kv, &db, &with_saved(token.expose_secret()))).unwrap() {
            Bootstrapped::Exists(existing) => {
                assert_eq!(existing, id, "the saved token still works")
            }
            Bootstrapped::Created { .. } => panic!("replaced a working key"),
        }
        // A token that opens nothing (here: never stored; in life expired,
        // disabled, rolled or deleted) while another admin key exists.
        let stale = Token::generate(&Prefix::default()).unwrap();
        for saved in [stale.expose_secret(), "not a token"] {
            match pollster::block_on(bootstrap(&kv, &db, &with_saved(saved))).unwrap() {
                Bootstrapped::Created { id: new_id, .. } => assert_ne!(new_id, id),
                Bootstrapped::Exists(_) => panic!("kept a token that opens nothing"),
            }
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
