//! Runs after the end-to-end suite (scripts/test.sh): fails if any token
//! appears in a reply the suite received (error bodies, audit pages, CSV,
//! lists …) or in a log a worker wrote. See `keygate_e2e::secrets`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test tool: a panic is the report

use keygate_e2e::{repo_root, secrets};
use keygate_shared::Prefix;

fn main() {
    let root = repo_root();
    let recorded = secrets::files(&secrets::dir(), &|_| true);
    let issued: Vec<String> = recorded
        .iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("issued-"))
        })
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .unwrap_or_default()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|t| !t.is_empty())
        .collect();
    let mut scanned: Vec<_> = recorded
        .iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("replies-"))
        })
        .cloned()
        .collect();
    let replies = scanned.len();
    scanned.extend(secrets::files(&root.join("target/e2e"), &|p| {
        p.file_name().is_some_and(|n| n == "wrangler.log")
    }));
    let logs = scanned.len() - replies;
    assert!(
        !issued.is_empty() && replies > 0 && logs > 0,
        "nothing to scan: run the end-to-end suite first"
    );
    let mut bytes = 0;
    let mut failures = Vec::new();
    for path in &scanned {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        bytes += text.len();
        for leak in secrets::leaks(&text, &issued, &Prefix::default()) {
            failures.push(format!(
                "{}: {}…",
                path.display(),
                &leak[..leak.len().min(10)]
            ));
        }
    }
    println!(
        "scan-secrets: {} issued tokens; {replies} reply transcripts and {logs} worker logs, {bytes} bytes",
        issued.len()
    );
    assert!(
        failures.is_empty(),
        "tokens leaked:\n{}",
        failures.join("\n")
    );
    println!("scan-secrets: no token found");
}
