//! A loopback origin that answers every request with a JSON echo of what
//! it received (method, path with query, headers, body), so tests can
//! check what the gateway forwarded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};

/// The running origin.
pub struct Origin {
    /// Its loopback port.
    pub port: u16,
    /// Every request received, as echoed.
    pub received: Arc<Mutex<Vec<Value>>>,
}

impl Origin {
    /// Starts the origin on a free loopback port, in a background thread.
    #[must_use]
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind origin");
        let port = listener.local_addr().expect("addr").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    let _ = serve(stream, &log);
                });
            }
        });
        Self { port, received }
    }
}

impl Origin {
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

fn serve(stream: std::net::TcpStream, log: &Mutex<Vec<Value>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = Map::new();
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
            headers.insert(k, Value::from(v.trim()));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let echo = json!({"method": method, "target": target, "headers": headers, "body": String::from_utf8_lossy(&body)});
    if let Ok(mut l) = log.lock() {
        l.push(echo.clone());
    }
    let echo = echo.to_string();
    let mut out = stream;
    write!(out, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-origin: echo\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{echo}", echo.len())?;
    out.flush()
}
