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
        let beside_config = self
            .target
            .config
            .parent()
            .map(|d| d.join("node_modules/.bin/wrangler"));
        let program = self
            .target
            .wrangler
            .clone()
            .or_else(|| beside_config.filter(|p| p.exists()))
            .unwrap_or_else(|| PathBuf::from("wrangler"));
        let mut cmd = Command::new(program);
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

impl Kv for WranglerKv {
    async fn get(&self, key: &str) -> StoreResult<Option<String>> {
        let mut cmd = self.command(&["get", key, "--text"]);
        let out = cmd
            .output()
            .map_err(|e| StoreError(format!("cannot run wrangler: {e}")))?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        Ok(
            (out.status.success() && !text.trim().is_empty() && text.trim() != "Value not found")
                .then_some(text),
        )
    }

    async fn put(&self, key: &str, value: &str, options: PutOptions) -> StoreResult<()> {
        // The value goes through a private file, never the command line.
        // One folder per write: several writes may run at once (tests).
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("keygate-kv-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| StoreError(e.to_string()))?;
        let file = dir.join("value");
        std::fs::File::create(&file)
            .and_then(|mut f| f.write_all(value.as_bytes()))
            .map_err(|e| StoreError(e.to_string()))?;
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
        let result = self.run(self.command(&refs));
        let _ = std::fs::remove_dir_all(&dir);
        result.map(|_| ())
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
