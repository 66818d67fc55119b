//! The [`Kv`] trait over `wrangler kv key …` commands, so operator
//! commands write exactly the layout the worker reads (`keygate_edge::repo`),
//! locally (`--local`, the store `wrangler dev` uses) or on Cloudflare.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use keygate_edge::store::{Kv, ListPage, Listed, PutOptions, StoreError, StoreResult};

/// Where wrangler should read and write.
#[derive(Debug, Clone)]
pub struct Target {
    /// `wrangler.toml` to read the `KEYS` binding from.
    pub config: PathBuf,
    /// Local store (as `wrangler dev`) rather than the deployed namespace.
    pub local: bool,
    /// Local persistence directory (`wrangler dev --persist-to`).
    pub persist_to: Option<PathBuf>,
    /// The wrangler executable; by default `node_modules/.bin/wrangler`
    /// beside the config, else `wrangler` on `PATH`.
    pub wrangler: Option<PathBuf>,
}

impl Target {
    /// The wrangler executable to run.
    #[must_use]
    pub fn wrangler_program(&self) -> PathBuf {
        let beside_config = self
            .config
            .parent()
            .map(|d| d.join("node_modules/.bin/wrangler"));
        self.wrangler
            .clone()
            .or_else(|| beside_config.filter(|p| p.exists()))
            .unwrap_or_else(|| PathBuf::from("wrangler"))
    }
}

/// KV through the wrangler CLI.
pub struct WranglerKv {
    target: Target,
}

impl WranglerKv {
    /// KV of `target`.
    #[must_use]
    pub fn new(target: Target) -> Self {
        Self { target }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.target.wrangler_program());
        cmd.args(["kv", "key"])
            .args(args)
            .args(["--binding", "KEYS", "--config"])
            .arg(&self.target.config);
        cmd.arg(if self.target.local {
            "--local"
        } else {
            "--remote"
        });
        if let Some(dir) = &self.target.persist_to {
            cmd.arg("--persist-to").arg(dir);
        }
        cmd.env("WRANGLER_SEND_METRICS", "false");
        cmd
    }

    fn run(&self, mut cmd: Command) -> StoreResult<String> {
        let out = cmd
            .output()
            .map_err(|e| StoreError(format!("cannot run wrangler: {e}")))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            // stderr of a kv command holds no secret: values go through files.
            Err(StoreError(format!(
                "wrangler failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }
}

/// What `wrangler kv key get --text` said: the value, "absent" only when
/// wrangler says the key was not found, and an error for any other
/// failure (a failing wrangler read as "absent" made bootstrap create an
/// extra root admin key).
fn absent_or_value(success: bool, stdout: &str, stderr: &str) -> StoreResult<Option<String>> {
    // Only wrangler's own message counts: a stored value may contain the
    // words (a key's description), so stdout must be exactly them.
    let says_not_found =
        stdout.trim() == "Value not found" || (!success && stderr.contains("Value not found"));
    if says_not_found {
        return Ok(None);
    }
    if success {
        return Ok(Some(stdout.to_owned()));
    }
    Err(StoreError(format!(
        "wrangler failed: {}",
        stderr.trim().lines().last().unwrap_or("no message")
    )))
}

/// Creates or truncates `path` with mode 0600 (also when it already
/// existed with a wider mode) and writes `bytes`.
///
/// # Errors
/// The I/O error.
pub fn write_private_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path)?;
    // `mode` applies only to a file it creates: narrow an existing one.
    #[cfg(unix)]
    f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    f.write_all(bytes)
}

impl Kv for WranglerKv {
    async fn get(&self, key: &str) -> StoreResult<Option<String>> {
        let mut cmd = self.command(&["get", key, "--text"]);
        let out = cmd
            .output()
            .map_err(|e| StoreError(format!("cannot run wrangler: {e}")))?;
        absent_or_value(
            out.status.success(),
            &String::from_utf8_lossy(&out.stdout),
            &String::from_utf8_lossy(&out.stderr),
        )
    }

    async fn put(&self, key: &str, value: &str, options: PutOptions) -> StoreResult<()> {
        // The value goes through a file in a private (0700), randomly named
        // temporary folder, never the command line; removed when dropped.
        let dir = tempfile::Builder::new()
            .prefix("keygate-kv-")
            .tempdir()
            .map_err(|e| StoreError(format!("cannot make a private temporary folder: {e}")))?;
        let file = dir.path().join("value");
        write_private_file(&file, value.as_bytes()).map_err(|e| StoreError(e.to_string()))?;
        let mut args: Vec<String> = vec![
            "put".into(),
            key.into(),
            "--path".into(),
            file.display().to_string(),
        ];
        if let Some(exp) = options.expiration {
            args.extend(["--expiration".into(), exp.to_string()]);
        }
        if let Some(meta) = options.metadata {
            args.extend(["--metadata".into(), meta.to_string()]);
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(self.command(&refs)).map(|_| ())
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.run(self.command(&["delete", key])).map(|_| ())
    }

    async fn list(
        &self,
        prefix: &str,
        _cursor: Option<&str>,
        _limit: usize,
    ) -> StoreResult<ListPage> {
        // wrangler pages through the whole listing itself.
        let out = self.run(self.command(&["list", "--prefix", prefix]))?;
        let json_start = out
            .find('[')
            .ok_or_else(|| StoreError("wrangler printed no listing".into()))?;
        let entries: Vec<serde_json::Value> = serde_json::from_str(&out[json_start..])
            .map_err(|e| StoreError(format!("listing does not parse: {e}")))?;
        let keys = entries
            .into_iter()
            .filter_map(|e| {
                let name = e.get("name")?.as_str()?.to_owned();
                Some(Listed {
                    name,
                    metadata: e.get("metadata").cloned(),
                })
            })
            .collect();
        Ok(ListPage { keys, cursor: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_not_found_is_absent() {
        assert_eq!(absent_or_value(true, "v", ""), Ok(Some("v".into())));
        assert_eq!(absent_or_value(true, "Value not found\n", ""), Ok(None));
        let record = r#"{"description":"Value not found"}"#;
        assert_eq!(absent_or_value(true, record, ""), Ok(Some(record.into())));
        assert_eq!(absent_or_value(false, "", "✘ Value not found"), Ok(None));
        assert!(absent_or_value(false, "", "✘ [ERROR] could not read config").is_err());
        assert!(absent_or_value(false, "", "").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_0600_even_when_they_existed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private_file(&path, b"new").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }
}
