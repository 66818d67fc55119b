//! The secrets scan: every reply the end-to-end suite received (with the
//! one legitimate place, the `token` of a create or roll answer, taken
//! out when it was recorded) and every log the workers wrote must be free
//! of tokens. `scan-secrets` runs it over the files after the suite.

use std::path::{Path, PathBuf};

use keygate_shared::{Prefix, Token};

/// Where the harness records replies and issued tokens.
#[must_use]
pub fn dir() -> PathBuf {
    crate::repo_root().join("test-output/secrets")
}

fn append(file: &str, line: &str) {
    use std::io::Write;
    let dir = dir();
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{file}-{}.txt", std::process::id()));
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{line}");
    }
}

/// Notes a token the suite was legitimately handed.
pub fn issued(token: &str) {
    append("issued", token);
}

/// Records one reply: status, headers and body, with the token of a
/// create/roll answer replaced (and noted as issued).
pub fn record_reply(status: u16, headers: &str, body: &str) {
    let mut body = body.to_owned();
    if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&body) {
        let token = v.get("token").and_then(|t| t.as_str()).map(str::to_owned);
        if let (Some(token), true) = (token, v.get("key").is_some()) {
            issued(&token);
            v["token"] = "<issued>".into();
            body = v.to_string();
        }
    }
    append("replies", &format!("{status} {headers} {body}"));
}

/// Every leak in `text`: an issued token, its secret part, or anything
/// shaped like a token of `prefix` whose checksum holds.
#[must_use]
pub fn leaks(text: &str, issued: &[String], prefix: &Prefix) -> Vec<String> {
    let mut found: Vec<String> = issued
        .iter()
        .filter(|t| {
            let secret = t.rsplit('_').next().unwrap_or(t);
            text.contains(t.as_str()) || (secret.len() >= 32 && text.contains(secret))
        })
        .cloned()
        .collect();
    let start = format!("{prefix}_");
    let body_len = keygate_shared::token::RANDOM_LEN + keygate_shared::token::CHECKSUM_LEN;
    for (at, _) in text.match_indices(&start) {
        let candidate: String = text[at..].chars().take(start.len() + body_len).collect();
        if Token::parse(prefix, &candidate).is_ok() && !found.contains(&candidate) {
            found.push(candidate);
        }
    }
    found
}

/// Files under `root` (recursively) whose name satisfies `wanted`.
#[must_use]
pub fn files(root: &Path, wanted: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path, wanted));
        } else if wanted(&path) {
            out.push(path);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_issued_tokens_their_secret_part_and_valid_strangers() {
        let prefix = Prefix::default();
        let mine = Token::generate(&prefix).unwrap().expose_secret().to_owned();
        let stranger = Token::generate(&prefix).unwrap().expose_secret().to_owned();
        let issued = vec![mine.clone()];
        assert!(leaks("all quiet: kg_abc, key_123", &issued, &prefix).is_empty());
        assert_eq!(
            leaks(&format!("x {mine} y"), &issued, &prefix),
            vec![mine.clone()]
        );
        let secret = &mine[3..];
        assert_eq!(
            leaks(&format!("\"{secret}\""), &issued, &prefix),
            vec![mine.clone()]
        );
        assert_eq!(
            leaks(&format!("log: {stranger}."), &issued, &prefix),
            vec![stranger.clone()]
        );
        // A token-shaped string with a wrong checksum is not a token.
        let mut broken = stranger.clone();
        broken.pop();
        broken.push(if stranger.ends_with('A') { 'B' } else { 'A' });
        assert!(leaks(&broken, &[], &prefix).is_empty());
    }
}
