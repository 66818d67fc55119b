//! The admin SPA in headless Chromium (playwright-core, Debian chromium),
//! against its own worker, through tests/browser/admin.test.mjs.

use std::process::Command;

use keygate_e2e::{default_vars, repo_root, Worker};

#[test]
fn admin_spa_flows_in_chromium() {
    let w = Worker::start("browser", default_vars, true);
    let root = repo_root();
    let shots = root.join("test-output/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .args([
            "--test",
            "--test-reporter=spec",
            "tests/browser/admin.test.mjs",
        ])
        .current_dir(&root)
        .env("BASE_URL", &w.base)
        .env("ADMIN_TOKEN", &w.admin_token)
        .env("SHOTS", &shots)
        .output()
        .expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "browser tests failed:\n{text}");
    assert!(text.contains("fail 0"), "{text}");
}
