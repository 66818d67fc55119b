//! Harness of the end-to-end tests: builds the worker if needed, starts a
//! loopback origin, bootstraps an admin key into a fresh local KV, starts
//! `wrangler dev` on a free loopback port and hands out a client.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod origin;
pub mod scanning;
pub mod secrets;
pub mod snippets;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use keygate_cli::wrangler_d1::WranglerD1;
use keygate_cli::wrangler_kv::{Target, WranglerKv};
use keygate_cli::{bootstrap, BootstrapOptions, Bootstrapped};
use serde_json::Value;

/// The repository's root.
#[must_use]
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A running worker under `wrangler dev`.
pub struct Worker {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The root admin token bootstrapped into its KV.
    pub admin_token: String,
    /// The loopback origin behind the gateway.
    pub origin: origin::Origin,
    /// Where its local state and log live.
    pub dir: PathBuf,
    /// The watchdog shell around wrangler (ends with this process).
    _process: std::sync::Mutex<std::process::Child>,
}

/// Whether `body` is wrangler dev's own answer for a request its worker
/// restarted under (its proxy says so when the workerd connection breaks
/// under load). Keygate never answers this, so such a request is sent again.
#[must_use]
pub fn wrangler_restarted(body: &str) -> bool {
    body.contains("Your worker restarted mid-request")
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-case.
    pub headers: HashMap<String, String>,
    /// Body as text.
    pub body: String,
}

impl Reply {
    /// The body as JSON (panics with the body if it is not).
    #[must_use]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, self.body))
    }

    /// The §3 error code of the body.
    #[must_use]
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// `PATH` with the project's `node_modules/.bin` first (wrangler).
fn path_with_node_modules() -> std::ffi::OsString {
    let mut paths = vec![repo_root().join("node_modules/.bin")];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap_or_default()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn ensure_built(root: &Path) {
    let built = root.join("edge/build/index.js").exists()
        && root.join("edge/build/plane/index.js").exists()
        && root.join("frontend/dist/admin/index.html").exists();
    if !built {
        let ok = Command::new("bash")
            .arg("scripts/build.sh")
            .current_dir(root)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "scripts/build.sh failed; run scripts/setup.sh first");
    }
}

/// The `ORIGIN_SIGNING_SECRET` of test workers (their origin checks every
/// forwarded request against it).
pub const SIGNING_SECRET: &str = "e2e-signing-secret-0123456789abcdefghij";

/// Vars of a test worker: a loopback origin, gateway rules, a small
/// per-organization limit and a signing secret.
#[must_use]
pub fn default_vars(origin_port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("KEY_PREFIX", "kg".into()),
        ("ORIGIN_URL", format!("http://127.0.0.1:{origin_port}")),
        (
            "GATEWAY_RULES",
            r#"[{"path":"/calls/","roles":["calls:read","calls:write"]},{"path":"/calls/","methods":["POST","DELETE"],"roles":["calls:write"]},{"path":"/acme-only/","organization":"acme"}]"#.into(),
        ),
        ("MAX_KEYS_PER_ORG", "5".into()),
        ("NOTIFY_WEBHOOK_URL", format!("http://127.0.0.1:{origin_port}/hook")),
        ("GITHUB_SECRET_SCANNING_KEYS", scanning::keys_document()),
        ("ORIGIN_SIGNING_SECRET", SIGNING_SECRET.into()),
    ]
}

/// Applies `migrations/` to the local D1 of `target`, as the README's
/// commands do.
fn apply_migrations(target: &Target) {
    let out = Command::new(target.wrangler_program())
        .args(["d1", "migrations", "apply", "DB", "--local", "--config"])
        .arg(&target.config)
        .arg("--persist-to")
        .arg(target.persist_to.as_ref().expect("a state folder"))
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CI", "true")
        .stdin(Stdio::null())
        .output()
        .expect("run wrangler d1 migrations apply");
    assert!(
        out.status.success(),
        "migrations did not apply: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The admin app's files as their own assets-only worker, as
/// `admin/wrangler.toml` deploys them (named per test, so parallel
/// `wrangler dev` sessions never bind each other's).
fn write_admin_config(dir: &Path, root: &Path, name: &str) -> PathBuf {
    let toml = format!(
        "name = \"{name}\"\ncompatibility_date = \"2026-04-01\"\n\n[assets]\ndirectory = \"{}\"\n",
        root.join("frontend/dist").display()
    );
    let path = dir.join("admin.toml");
    std::fs::write(&path, toml).expect("write test admin config");
    path
}

/// The front worker's config, as `wrangler.toml` deploys it: its admin
/// plane is `plane` (see [`write_plane_config`]). Every var goes to both
/// workers, so a test sets each once, except a var named `plane:NAME`:
/// that sets NAME for the admin plane alone (over a plain NAME), for the
/// tests of two configs that disagree.
fn write_config(dir: &Path, root: &Path, vars: &[(&str, String)], plane: &str) -> PathBuf {
    let mut toml = format!(
        "name = \"keygate-test\"\nmain = \"{}\"\ncompatibility_date = \"2026-04-01\"\n\n[[services]]\nbinding = \"ADMIN\"\nservice = \"{plane}\"\n\n{}[[durable_objects.bindings]]\nname = \"LIMITER\"\nclass_name = \"KeyLimiter\"\nscript_name = \"{plane}\"\n\n[vars]\n",
        root.join("edge/build/index.js").display(),
        stores(root),
    );
    let front: Vec<_> = vars
        .iter()
        .filter(|(k, _)| !k.starts_with(PLANE_ONLY))
        .cloned()
        .collect();
    push_vars(&mut toml, &front);
    let path = dir.join("wrangler.toml");
    std::fs::write(&path, toml).expect("write test config");
    path
}

/// The admin plane's config, as `admin-plane/wrangler.toml` deploys it
/// (named per test, as the admin app's files are), serving `admin`.
fn write_plane_config(
    dir: &Path,
    root: &Path,
    vars: &[(&str, String)],
    name: &str,
    admin: &str,
) -> PathBuf {
    let mut toml = format!(
        "name = \"{name}\"\nmain = \"{}\"\ncompatibility_date = \"2026-04-01\"\n\n[[services]]\nbinding = \"ASSETS\"\nservice = \"{admin}\"\n\n{}[[durable_objects.bindings]]\nname = \"LIMITER\"\nclass_name = \"KeyLimiter\"\n\n[[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"KeyLimiter\"]\n\n[vars]\n",
        root.join("edge/build/plane/index.js").display(),
        stores(root),
    );
    let own: Vec<(&str, String)> = vars
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(PLANE_ONLY)?, v.clone())))
        .collect();
    let shared = vars
        .iter()
        .filter(|(k, _)| !k.starts_with(PLANE_ONLY) && !own.iter().any(|(o, _)| o == k))
        .cloned();
    push_vars(
        &mut toml,
        &shared.chain(own.iter().cloned()).collect::<Vec<_>>(),
    );
    let path = dir.join("admin-plane.toml");
    std::fs::write(&path, toml).expect("write test admin plane config");
    path
}

/// The KV namespace and D1 database both workers bind (the same ids, so
/// one local store in the session).
fn stores(root: &Path) -> String {
    format!(
        "[[kv_namespaces]]\nbinding = \"KEYS\"\nid = \"00000000000000000000000000000000\"\n\n[[d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"keygate\"\ndatabase_id = \"00000000-0000-0000-0000-000000000000\"\nmigrations_dir = \"{}\"\n\n",
        root.join("migrations").display()
    )
}

/// How a var set for the admin plane alone is named (see [`write_config`]).
const PLANE_ONLY: &str = "plane:";

/// How a var written as a TOML value, not a string, is named: `toml:NAME`
/// with the value's TOML text (a number, a boolean, an array of tables),
/// as an operator may write `[vars]`.
pub const TOML_VALUE: &str = "toml:";

fn push_vars(toml: &mut String, vars: &[(&str, String)]) {
    for (k, v) in vars {
        match k.strip_prefix(TOML_VALUE) {
            Some(name) => toml.push_str(&format!("{name} = {v}\n")),
            None => toml.push_str(&format!("{k} = {}\n", Value::from(v.as_str()))),
        }
    }
}

impl Worker {
    /// Starts a worker with `vars` (see [`default_vars`]); `bootstrap`
    /// makes a root admin key first.
    #[must_use]
    pub fn start(
        name: &str,
        vars: impl FnOnce(u16) -> Vec<(&'static str, String)>,
        with_admin: bool,
    ) -> Self {
        Self::start_seeded(name, vars, with_admin, &[])
    }

    /// Like [`Worker::start`], with `seed` records written into KV first
    /// (through wrangler, in the worker's own layout).
    #[must_use]
    pub fn start_seeded(
        name: &str,
        vars: impl FnOnce(u16) -> Vec<(&'static str, String)>,
        with_admin: bool,
        seed: &[keygate_shared::KeyRecord],
    ) -> Self {
        Self::start_with_raw(name, vars, with_admin, seed, &[])
    }

    /// Like [`Worker::start_seeded`], also writing `raw` (KV key, value)
    /// entries as given: records an older or broken version could have
    /// left behind. A `k/<id>` entry becomes a D1 row holding the value as
    /// its record (hash and organization read leniently from it); any
    /// other is written to KV.
    #[must_use]
    pub fn start_with_raw(
        name: &str,
        vars: impl FnOnce(u16) -> Vec<(&'static str, String)>,
        with_admin: bool,
        seed: &[keygate_shared::KeyRecord],
        raw: &[(String, String)],
    ) -> Self {
        let root = repo_root();
        ensure_built(&root);
        let origin = origin::Origin::start();
        let dir = root
            .join("target/e2e")
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("test dir");
        let vars = vars(origin.port);
        if let Some((_, secret)) = vars.iter().find(|(k, _)| *k == "ORIGIN_SIGNING_SECRET") {
            origin.accept(secret);
        }
        let slug: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .take(30)
            .collect();
        let admin_name = format!("keygate-admin-{slug}-{}", std::process::id());
        let plane_name = format!("keygate-plane-{slug}-{}", std::process::id());
        let admin_config = write_admin_config(&dir, &root, &admin_name);
        let plane_config = write_plane_config(&dir, &root, &vars, &plane_name, &admin_name);
        let config = write_config(&dir, &root, &vars, &plane_name);
        let state = dir.join("state");
        let mut admin_token = String::new();
        let target = Target {
            config: config.clone(),
            local: true,
            persist_to: Some(state.clone()),
            wrangler: Some(root.join("node_modules/.bin/wrangler")),
        };
        apply_migrations(&target);
        let kv = WranglerKv::new(target.clone());
        let db = WranglerD1::new(target);
        let repo = keygate_edge::repo::Repo::new(&kv, &db);
        for record in seed {
            pollster::block_on(repo.insert_unlimited(record, chrono::Utc::now()))
                .expect("seed a record");
        }
        for (key, value) in raw {
            use keygate_edge::sql::Db;
            use keygate_edge::store::Kv;
            if let Some(id) = key.strip_prefix("k/") {
                let lenient: Value = serde_json::from_str(value).unwrap_or_default();
                let field = |f: &str| lenient[f].as_str().unwrap_or("").to_owned();
                let row = keygate_edge::sql::Statement::new(
                    "INSERT INTO keys (id, hash, organization, name_key, enabled, created_at, \
                     expiry_key, search, version, record) VALUES (?, ?, ?, ?, 1, 0, ?, '', 1, ?)",
                    vec![
                        id.into(),
                        field("hash").into(),
                        field("organization").into(),
                        field("name").to_lowercase().into(),
                        (1_i64 << 53).into(),
                        value.as_str().into(),
                    ],
                );
                pollster::block_on(db.execute(row)).expect("seed a raw row");
            } else {
                pollster::block_on(kv.put(key, value, keygate_edge::store::PutOptions::default()))
                    .expect("seed a raw entry");
            }
        }
        if with_admin {
            let options = BootstrapOptions {
                prefix: keygate_shared::Prefix::default(),
                name: "e2e root admin".into(),
                expires_in_days: 30,
                force: false,
                saved_token: None,
            };
            match pollster::block_on(bootstrap(&kv, &db, &options))
                .expect("bootstrap through wrangler")
            {
                Bootstrapped::Created { token, .. } => {
                    admin_token = token.expose_secret().to_owned();
                    secrets::issued(&admin_token);
                }
                Bootstrapped::Exists(_) => panic!("fresh state already had an admin key"),
            }
        }
        let port = free_port();
        let log = std::fs::File::create(dir.join("wrangler.log")).expect("log file");
        let wrangler = root.join("node_modules/.bin/wrangler");
        // A watchdog shell ends wrangler when this test process goes away.
        let script = format!(
            "\"{}\" dev --config \"{}\" --config \"{}\" --config \"{}\" --ip 127.0.0.1 --port {port} --persist-to \"{}\" --inspector-port 0 --test-scheduled --log-level log & w=$!; \
             while kill -0 {} 2>/dev/null && kill -0 $w 2>/dev/null; do sleep 1; done; kill $w 2>/dev/null; wait $w",
            wrangler.display(),
            config.display(),
            plane_config.display(),
            admin_config.display(),
            state.display(),
            std::process::id()
        );
        let process = Command::new("bash")
            .args(["-c", &script])
            .current_dir(&dir)
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start wrangler dev");
        let worker = Self {
            base: format!("http://127.0.0.1:{port}"),
            admin_token,
            origin,
            dir,
            _process: std::sync::Mutex::new(process),
        };
        worker.wait_until_up();
        worker
    }

    fn wait_until_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if self.call("GET", "/api/v1/health", &[], None).status != 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let log = std::fs::read_to_string(self.dir.join("wrangler.log")).unwrap_or_default();
        panic!("wrangler dev did not come up in 90 s:\n{log}");
    }

    /// The shared worker of this test binary.
    pub fn shared() -> &'static Self {
        static SHARED: OnceLock<Worker> = OnceLock::new();
        SHARED.get_or_init(|| Self::start("main", default_vars, true))
    }

    /// Sends a request; status 0 means no connection. A request that
    /// wrangler dev itself answered with [`wrangler_restarted`] is sent
    /// again, at most 3 times: Keygate never gave that answer.
    #[must_use]
    pub fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut reply = self.call_once(method, path, headers, body);
        for _ in 0..3 {
            if !wrangler_restarted(&reply.body) {
                break;
            }
            reply = self.call_once(method, path, headers, body);
        }
        reply
    }

    fn call_once(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
        let agent = AGENT.get_or_init(|| {
            ureq::AgentBuilder::new()
                .redirects(0)
                .timeout(Duration::from_secs(30))
                .build()
        });
        let mut req = agent.request(method, &format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let result = match body {
            Some(b) => req.set("content-type", "application/json").send_string(b),
            None => req.call(),
        };
        let resp = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(_)) => {
                return Reply {
                    status: 0,
                    headers: HashMap::new(),
                    body: String::new(),
                }
            }
        };
        let status = resp.status();
        let headers = resp
            .headers_names()
            .into_iter()
            .map(|n| {
                let v = resp.header(&n).unwrap_or_default().to_owned();
                (n.to_ascii_lowercase(), v)
            })
            .collect();
        let body = resp.into_string().unwrap_or_default();
        secrets::record_reply(status, &format!("{headers:?}"), &body);
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A call with `Authorization: Bearer <token>`.
    #[must_use]
    pub fn as_key(&self, token: &str, method: &str, path: &str, body: Option<&str>) -> Reply {
        let auth = format!("Bearer {token}");
        self.call(method, path, &[("authorization", &auth)], body)
    }

    /// A call as the bootstrapped root admin.
    #[must_use]
    pub fn admin(&self, method: &str, path: &str, body: Option<&str>) -> Reply {
        self.as_key(&self.admin_token, method, path, body)
    }

    /// Creates a key as `token`'s holder; returns (id, token).
    #[must_use]
    pub fn create_key_as(&self, token: &str, body: &Value) -> (String, String) {
        let r = self.as_key(token, "POST", "/api/v1/keys", Some(&body.to_string()));
        assert_eq!(r.status, 201, "create failed: {}", r.body);
        let j = r.json();
        (
            j["key"]["id"].as_str().unwrap_or_default().to_owned(),
            j["token"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// Creates a key as the root admin; returns (id, token).
    #[must_use]
    pub fn create_key(&self, body: &Value) -> (String, String) {
        self.create_key_as(&self.admin_token, body)
    }

    /// The verify endpoint's answer for `token`.
    #[must_use]
    pub fn verify(&self, token: &str) -> Value {
        let body = serde_json::json!({ "token": token }).to_string();
        let r = self.call("POST", "/api/v1/verify", &[], Some(&body));
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    /// Where its local D1 and KV live, for wrangler's own commands (the
    /// `keygate` CLI, seeding, dropping a table to make storage fail).
    #[must_use]
    pub fn target(&self) -> Target {
        Target {
            config: self.dir.join("wrangler.toml"),
            local: true,
            persist_to: Some(self.dir.join("state")),
            wrangler: Some(repo_root().join("node_modules/.bin/wrangler")),
        }
    }

    /// Runs the `keygate` command line (built by cargo on first use) on
    /// this worker's local stores; returns (success, stdout + stderr).
    #[must_use]
    pub fn keygate_cli(&self, args: &[&str]) -> (bool, String) {
        let target = self.target();
        let out = Command::new(env!("CARGO"))
            .args(["run", "--quiet", "-p", "keygate-cli", "--"])
            .args(args)
            .arg("--local")
            .arg("--config")
            .arg(&target.config)
            .arg("--persist-to")
            .arg(target.persist_to.as_ref().expect("a state folder"))
            .current_dir(repo_root())
            .env("WRANGLER_SEND_METRICS", "false")
            .env("PATH", path_with_node_modules())
            .stdin(Stdio::null())
            .output()
            .expect("run the keygate CLI");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }

    /// Everything wrangler logged so far.
    #[must_use]
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("wrangler.log")).unwrap_or_default()
    }

    /// Sends `head` (request line and headers, no blank line) and `body`
    /// as written, over a plain socket: no client-side path normalisation.
    /// Returns the status and the body (status 0 if the connection failed).
    #[must_use]
    pub fn raw(&self, head: &str, body: &[u8]) -> (u16, String) {
        use std::io::{Read, Write};
        let addr = self.base.trim_start_matches("http://");
        let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
            return (0, String::new());
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        let request = format!(
            "{head}\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        if stream.write_all(&bytes).is_err() {
            return (0, String::new());
        }
        // Read the head, then exactly the body it announces (the dev
        // server may keep the connection open despite `Connection: close`).
        let mut reader = std::io::BufReader::new(stream);
        let mut head_lines = Vec::new();
        loop {
            let mut line = String::new();
            match std::io::BufRead::read_line(&mut reader, &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if line.trim().is_empty() => break,
                Ok(_) => head_lines.push(line.trim_end().to_owned()),
            }
        }
        let status = head_lines
            .first()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let header = |name: &str| {
            head_lines.iter().skip(1).find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_ascii_lowercase())
            })
        };
        let mut body = Vec::new();
        if let Some(n) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
            body.resize(n, 0);
            let _ = reader.read_exact(&mut body);
        } else if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            loop {
                let mut size = String::new();
                if std::io::BufRead::read_line(&mut reader, &mut size).unwrap_or(0) == 0 {
                    break;
                }
                let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0; n + 2];
                if n == 0 || reader.read_exact(&mut chunk).is_err() {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        }
        let body = String::from_utf8_lossy(&body).into_owned();
        secrets::record_reply(status, &head_lines.join("; "), &body);
        (status, body)
    }

    /// Everything the root admin can see: every key and every audit event.
    /// Two equal snapshots mean storage did not change (records, tokens'
    /// lookups are checked by verifying).
    #[must_use]
    pub fn snapshot(&self) -> (Value, Value) {
        let keys = self.admin("GET", "/api/v1/keys?limit=1000", None);
        assert_eq!(keys.status, 200, "{}", keys.body);
        let audit = self.admin("GET", "/api/v1/audit?limit=1000", None);
        assert_eq!(audit.status, 200, "{}", audit.body);
        (keys.json()["keys"].clone(), audit.json()["events"].clone())
    }
}

/// Runs `node --test` on `script` (relative to the repository) with `env`,
/// prints its report and fails unless every test passed.
///
/// # Panics
/// When node cannot run or a test failed: the report is the message.
pub fn run_node_test(script: &str, env: &[(&str, &std::ffi::OsStr)]) {
    let mut cmd = Command::new("node");
    cmd.args(["--test", "--test-reporter=spec", script])
        .current_dir(repo_root());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "{script} failed:\n{text}");
    assert!(text.contains("fail 0"), "{text}");
}
