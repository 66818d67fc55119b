//! Schema-driven testing: schemathesis (installed by scripts/setup.sh into
//! .tools/venv) against the served OpenAPI document, as the root admin, on
//! a worker of its own with no per-organization limit so that creation
//! succeeds and the stateful phase can follow its links. Every check is on:
//! no 5xx, status codes, content types, headers and bodies as documented,
//! bad input refused, good input accepted, 405 for undeclared methods.
//! `KEYGATE_SCHEMATHESIS_EXAMPLES` (default 20) sets the examples per
//! operation; `KEYGATE_SCHEMATHESIS_SEED` a seed (default 1, so the bounded
//! run in the test command is repeatable).

use std::process::Command;

use keygate_e2e::{default_vars, repo_root, Worker};

#[test]
fn schemathesis_finds_nothing() {
    let root = repo_root();
    let schemathesis = root.join(".tools/venv/bin/schemathesis");
    assert!(
        schemathesis.exists(),
        "schemathesis is missing: run scripts/setup.sh"
    );
    let worker = Worker::start(
        "schema",
        |port| {
            let mut vars = default_vars(port);
            vars.retain(|(k, _)| *k != "MAX_KEYS_PER_ORG");
            vars.push(("MAX_KEYS_PER_ORG", "0".into()));
            vars
        },
        true,
    );
    let me = worker.admin("GET", "/api/v1/me", None).json();
    let admin_id = me["key"]["id"].as_str().unwrap().to_owned();
    let examples = std::env::var("KEYGATE_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "20".into());
    let seed = std::env::var("KEYGATE_SCHEMATHESIS_SEED").unwrap_or_else(|_| "1".into());
    let report_dir = root.join("test-output/schemathesis");
    let out = Command::new(&schemathesis)
        .current_dir(root.join("tests/schemathesis"))
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .env("PYTHONPATH", ".")
        .env("KEYGATE_ADMIN_ID", &admin_id)
        .env("NO_COLOR", "1")
        .args(["run", &format!("{}/api/v1/openapi.json", worker.base)])
        .args([
            "-H",
            &format!("Authorization: Bearer {}", worker.admin_token),
        ])
        .args(["--checks", "all", "--workers", "1"])
        .args(["--max-examples", &examples, "--seed", &seed])
        .args(["--report", "junit", "--report-dir"])
        .arg(&report_dir)
        .output()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: String = stdout
        .lines()
        .skip_while(|l| !l.contains("SUMMARY"))
        .collect::<Vec<_>>()
        .join("\n");
    println!("{summary}");
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("14 selected / 14 total"), "{stdout}");
    // The run's own admin key must have survived (the hooks keep it).
    assert_eq!(worker.admin("GET", "/api/v1/me", None).status, 200);
}
