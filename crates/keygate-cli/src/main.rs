//! `keygate bootstrap [--remote] [--config wrangler.toml] [--persist-to DIR]
//! [--name NAME] [--expires-in-days N] [--force] [--save FILE]`,
//! `keygate reconcile [--local|--remote] …`, `keygate migrate-to-d1 [--local|--remote] …`
//!
//! Prints the new admin token once (or says which admin key exists). With
//! `--save FILE`, a token already in FILE is checked first: if it still
//! opens an active root admin key nothing is made, otherwise a new key is
//! made and FILE is overwritten.

use std::path::PathBuf;
use std::process::ExitCode;

use keygate_cli::wrangler_d1::WranglerD1;
use keygate_cli::wrangler_kv::{Target, WranglerKv};
use keygate_cli::{bootstrap, prefix_from_config, BootstrapOptions, Bootstrapped};

const USAGE: &str = "usage: keygate bootstrap|reconcile|migrate-to-d1 [--local|--remote] [--config wrangler.toml] [--persist-to DIR] …  (keygate --help)";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keygate: {e}");
            ExitCode::FAILURE
        }
    }
}

const HELP: &str = "keygate: operator commands for a Keygate deployment.

usage: keygate bootstrap [--local|--remote] [--config wrangler.toml] [--persist-to DIR] [--name NAME] [--expires-in-days N] [--force] [--save FILE]
       keygate reconcile [--local|--remote] [--config wrangler.toml] [--persist-to DIR]
       keygate migrate-to-d1 [--local|--remote] [--config wrangler.toml] [--persist-to DIR]

bootstrap      make the first root keygate:admin key, through wrangler's D1
               and KV commands, and print its token once (nothing is made
               when an active root admin key exists, unless --force)
reconcile      make KV's projections match D1 (missing ones written, stale
               ones rewritten, orphans removed) and say what was fixed
migrate-to-d1  import a deployment made before D1 (KV records and audit
               events) into D1; running it twice changes nothing
  --local              the local stores `wrangler dev` uses (default)
  --remote             the deployed D1 database and KV namespace
  --config FILE        wrangler.toml to read (default ./wrangler.toml)
  --persist-to DIR     the `wrangler dev --persist-to` folder
  --name NAME          the key's name (default \"bootstrap admin\")
  --expires-in-days N  1-3650 (default 365)
  --force              make a key even if an admin key exists
  --save FILE          also write the token to FILE (mode 0600); a token
                       already in FILE is checked first and kept if it
                       still opens an active root admin key
  -h, --help           this text";

fn run(args: Vec<String>) -> Result<(), String> {
    if args.iter().any(|a| a == "--help" || a == "-h")
        || args.first().map(String::as_str) == Some("help")
    {
        use std::io::Write;
        // A closed pipe (`keygate --help | head`) is not an error.
        let _ = writeln!(std::io::stdout(), "{HELP}");
        return Ok(());
    }
    let mut args = args.into_iter();
    let command = args.next().unwrap_or_default();
    if !["bootstrap", "reconcile", "migrate-to-d1"].contains(&command.as_str()) {
        return Err(USAGE.into());
    }
    let mut target = Target {
        config: PathBuf::from("wrangler.toml"),
        local: true,
        persist_to: None,
        wrangler: None,
    };
    let mut name = "bootstrap admin".to_owned();
    let mut days = 365;
    let mut force = false;
    let mut save: Option<PathBuf> = None;
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--remote" => target.local = false,
            "--local" => target.local = true,
            "--config" => target.config = PathBuf::from(value()?),
            "--persist-to" => target.persist_to = Some(PathBuf::from(value()?)),
            "--name" => name = value()?,
            "--expires-in-days" => {
                days = value()?
                    .parse()
                    .map_err(|_| "--expires-in-days takes a number".to_owned())?
            }
            "--force" => force = true,
            "--save" => save = Some(PathBuf::from(value()?)),
            _ => return Err(format!("unknown argument {arg}\n{USAGE}")),
        }
    }
    if command != "bootstrap"
        && (force || save.is_some() || name != "bootstrap admin" || days != 365)
    {
        return Err(format!(
            "{command} takes only --local, --remote, --config and --persist-to\n{USAGE}"
        ));
    }
    let toml = std::fs::read_to_string(&target.config)
        .map_err(|e| format!("cannot read {}: {e}", target.config.display()))?;
    let prefix = prefix_from_config(&toml)
        .unwrap_or_else(|| "kg".into())
        .parse()
        .map_err(|_| "KEY_PREFIX in the config is invalid".to_owned())?;
    let db = WranglerD1::new(target.clone());
    let kv = WranglerKv::new(target);
    match command.as_str() {
        "reconcile" => return reconcile(&kv, &db),
        "migrate-to-d1" => return migrate(&kv, &db),
        _ => {}
    }
    // A token saved by an earlier run is checked, not trusted: if it no
    // longer opens an active root admin key, a new one is made and saved.
    let saved_token = save
        .as_ref()
        .and_then(|path| std::fs::read_to_string(path).ok())
        .filter(|t| !t.trim().is_empty());
    let checked_saved = saved_token.is_some();
    let options = BootstrapOptions {
        prefix,
        name,
        expires_in_days: days,
        force,
        saved_token,
    };
    match pollster::block_on(bootstrap(&kv, &db, &options))? {
        Bootstrapped::Exists(id) if checked_saved => {
            eprintln!(
                "The saved token still opens active root admin key {id}; nothing was created."
            );
        }
        Bootstrapped::Exists(id) => {
            eprintln!("An active root admin key exists already ({id}); nothing was created. Use --force for another.");
        }
        Bootstrapped::Created { id, token } => {
            if let Some(path) = save {
                write_private(&path, token.expose_secret())?;
                eprintln!(
                    "Saved the token to {} (readable by you only).",
                    path.display()
                );
            }
            eprintln!("Created root admin key {id}. Its token is shown this once:");
            println!("{}", token.expose_secret());
        }
    }
    Ok(())
}

fn write_private(path: &std::path::Path, secret: &str) -> Result<(), String> {
    keygate_cli::wrangler_kv::write_private_file(path, secret.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn reconcile(kv: &WranglerKv, db: &WranglerD1) -> Result<(), String> {
    let repo = keygate_edge::repo::Repo::new(kv, db);
    let r = pollster::block_on(repo.reconcile(chrono::Utc::now(), u64::MAX)).map_err(|e| e.0)?;
    println!(
        "reconciled {} keys: {} projections written, {} rewritten, {} orphans removed, {} failed",
        r.rows, r.missing_written, r.stale_rewritten, r.orphans_removed, r.failed
    );
    Ok(())
}

fn migrate(kv: &WranglerKv, db: &WranglerD1) -> Result<(), String> {
    let m = pollster::block_on(keygate_cli::migrate::migrate_to_d1(kv, db))?;
    for name in &m.skipped {
        eprintln!("skipped {name}: does not decode (left in KV)");
    }
    println!(
        "keys: {} found, {} imported ({} there already); audit events: {} found, {} imported",
        m.keys_found,
        m.keys_imported,
        m.keys_found - m.keys_imported,
        m.events_found,
        m.events_imported
    );
    reconcile(kv, db)
}
