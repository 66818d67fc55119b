//! A loopback origin that answers every request with a JSON echo of what
//! it received (method, path with query, headers, body), so tests can
//! check what the gateway forwarded.
//!
//! Once told the signing secret ([`Origin::accept`]), it checks every
//! request's `X-Keygate-Signature` twice, with the `keygate-origin` crate
//! and with the README's Python snippet (run as a helper process), refuses
//! a request both find forged with 401, and fails loudly (500) if the two
//! ever disagree. Webhook calls (`/hook`) are not gateway forwards and are
//! not checked.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Map, Value};

/// The running origin.
pub struct Origin {
    /// Its loopback port.
    pub port: u16,
    /// Every request received, as echoed.
    pub received: Arc<Mutex<Vec<Value>>>,
    /// Every request whose signature both checks accepted, with what was
    /// checked (secrets, method, path, query, headers, now).
    pub signed: Arc<Mutex<Vec<Value>>>,
    checks: Arc<Checks>,
}

#[derive(Default)]
struct Checks {
    /// The accepted `ORIGIN_SIGNING_SECRET` value; `None` = no check.
    secrets: Mutex<Option<String>>,
    /// Seconds added to the clock (replay tests).
    clock_offset: AtomicI64,
    /// The JWK set served as a Cloudflare Access team's signing keys.
    access_certs: Mutex<Option<String>>,
}

impl Origin {
    /// Starts the origin on a free loopback port, in a background thread.
    #[must_use]
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind origin");
        let port = listener.local_addr().expect("addr").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let signed = Arc::new(Mutex::new(Vec::new()));
        let checks = Arc::new(Checks::default());
        let (log, signed_log, c) = (
            Arc::clone(&received),
            Arc::clone(&signed),
            Arc::clone(&checks),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, signed_log, c) =
                    (Arc::clone(&log), Arc::clone(&signed_log), Arc::clone(&c));
                std::thread::spawn(move || {
                    let _ = serve(stream, &log, &signed_log, &c);
                });
            }
        });
        Self {
            port,
            received,
            signed,
            checks,
        }
    }

    /// From now on, accept only requests signed under `secrets` (the
    /// value of `ORIGIN_SIGNING_SECRET`, one or two secrets).
    pub fn accept(&self, secrets: &str) {
        if let Ok(mut s) = self.checks.secrets.lock() {
            *s = Some(secrets.to_owned());
        }
    }

    /// From now on, serve `doc` at `/cdn-cgi/access/certs`, standing in for
    /// a Cloudflare Access team (`ACCESS_TEAM_DOMAIN` = this origin).
    pub fn serve_access_certs(&self, doc: &str) {
        if let Ok(mut c) = self.checks.access_certs.lock() {
            *c = Some(doc.to_owned());
        }
    }

    /// Shifts this origin's clock by `seconds`.
    pub fn shift_clock(&self, seconds: i64) {
        self.checks.clock_offset.store(seconds, Ordering::SeqCst);
    }

    /// The requests received so far for `target` (path with query).
    #[must_use]
    pub fn received_at(&self, target: &str) -> Vec<Value> {
        self.received
            .lock()
            .map(|r| {
                r.iter()
                    .filter(|e| e["target"] == target)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The README's Python check, running as one helper process for the test
/// binary: one JSON request per line in, `ok` or `no` per line out.
struct PythonCheck {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

fn python_check() -> &'static Mutex<PythonCheck> {
    static CHECK: OnceLock<Mutex<PythonCheck>> = OnceLock::new();
    CHECK.get_or_init(|| {
        let snippet = crate::snippets::readme_block("# keygate_verify.py");
        let program = format!(
            "{snippet}\nimport json, sys\nfor line in sys.stdin:\n    r = json.loads(line)\n    print('ok' if keygate_signature_ok(r['secrets'], r['method'], r['path'], r['query'], r['headers'], r['now']) else 'no', flush=True)\n"
        );
        let mut child = Command::new("python3")
            .args(["-u", "-c", &program])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the README's check");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Mutex::new(PythonCheck {
            _child: child,
            stdin,
            stdout,
        })
    })
}

fn python_says_ok(case: &Value) -> bool {
    let mut check = python_check()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut answer = String::new();
    let asked = writeln!(check.stdin, "{case}").and_then(|()| check.stdin.flush());
    asked.expect("write to the Python check");
    check
        .stdout
        .read_line(&mut answer)
        .expect("read the Python check");
    answer.trim() == "ok"
}

/// Both checks of a request: `Err` with the reason when it is refused.
fn check_signature(
    checks: &Checks,
    method: &str,
    target: &str,
    headers: &Map<String, Value>,
    repeated: &[String],
) -> Result<Value, String> {
    let Some(secrets) = checks.secrets.lock().ok().and_then(|s| s.clone()) else {
        return Ok(Value::Null);
    };
    // As the README asks of origins: a repeated identity header is refused.
    if repeated.iter().any(|h| h.starts_with("x-keygate-")) {
        return Err("an X-Keygate-* header is repeated".into());
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let header = |name: &str| headers.get(name).and_then(Value::as_str).unwrap_or("");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        + checks.clock_offset.load(Ordering::SeqCst);
    let parsed = keygate_origin::Secrets::parse(&secrets).map_err(|e| e.to_string())?;
    let forwarded = keygate_origin::Forwarded {
        method,
        path,
        query,
        key_id: header("x-keygate-key-id"),
        organization: header("x-keygate-organization"),
        roles: header("x-keygate-roles"),
        meta: header("x-keygate-meta"),
    };
    let signature = headers.get("x-keygate-signature").and_then(Value::as_str);
    let rust = keygate_origin::verify(&parsed, signature, &forwarded, now);
    let case = json!({"secrets": secrets, "method": method, "path": path, "query": query, "headers": headers, "now": now});
    let python = python_says_ok(&case);
    match (rust, python) {
        (Ok(()), true) => Ok(case),
        (Err(e), false) => Err(e.to_string()),
        (rust, python) => panic!(
            "the crate ({rust:?}) and the README's Python check (ok: {python}) disagree on {case}"
        ),
    }
}

fn serve(
    stream: std::net::TcpStream,
    log: &Mutex<Vec<Value>>,
    signed: &Mutex<Vec<Value>>,
    checks: &Checks,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = Map::new();
    let mut repeated: Vec<String> = Vec::new();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            if k == "content-length" {
                length = v.trim().parse().unwrap_or(0);
            }
            if headers.contains_key(&k) {
                repeated.push(k.clone());
            }
            headers.insert(k, Value::from(v.trim()));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    if target.starts_with("/cdn-cgi/access/") {
        if let Ok(mut l) = log.lock() {
            l.push(json!({"method": method, "target": target, "headers": headers}));
        }
        return serve_access(stream, &target, checks);
    }
    let verdict = if target.starts_with("/hook") {
        Ok(Value::Null)
    } else {
        check_signature(checks, &method, &target, &headers, &repeated)
    };
    let echo = json!({"method": method, "target": target, "headers": headers, "repeated": repeated, "body": String::from_utf8_lossy(&body)});
    if let Ok(mut l) = log.lock() {
        l.push(echo.clone());
    }
    let (status, text) = match verdict {
        Ok(case) => {
            if !case.is_null() {
                if let Ok(mut s) = signed.lock() {
                    s.push(case);
                }
            }
            ("200 OK", echo.to_string())
        }
        Err(why) => (
            "401 Unauthorized",
            json!({"origin_refused": why}).to_string(),
        ),
    };
    let mut out = stream;
    write!(out, "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nx-origin: echo\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}", text.len())?;
    out.flush()
}

/// The team's side of Cloudflare Access: its signing keys and its logout.
fn serve_access(
    mut out: std::net::TcpStream,
    target: &str,
    checks: &Checks,
) -> std::io::Result<()> {
    let certs = checks.access_certs.lock().ok().and_then(|c| c.clone());
    let (status, kind, text) = match (target, certs) {
        ("/cdn-cgi/access/certs", Some(doc)) => ("200 OK", "application/json", doc),
        (t, _) if t.starts_with("/cdn-cgi/access/logout") => (
            "200 OK",
            "text/html",
            "<!doctype html><title>Signed out</title><h1>Signed out of Cloudflare Access</h1>"
                .to_owned(),
        ),
        _ => ("404 Not Found", "text/plain", "no such team".to_owned()),
    };
    write!(out, "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}", text.len())?;
    out.flush()
}
