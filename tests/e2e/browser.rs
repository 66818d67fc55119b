//! The admin SPA in headless Chromium (playwright-core, Debian chromium),
//! against its own worker, through tests/browser/admin.test.mjs.

use keygate_e2e::{default_vars, repo_root, Worker};

#[test]
fn admin_spa_flows_in_chromium() {
    // Usage written a second after it is counted, for the usage chart.
    let w = Worker::start(
        "browser",
        |port| {
            let mut vars = default_vars(port);
            vars.push(("USAGE_FLUSH_SECONDS", "1".into()));
            vars
        },
        true,
    );
    let root = repo_root();
    let shots = root.join("test-output/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    keygate_e2e::run_node_test(
        "tests/browser/admin.test.mjs",
        &[
            ("BASE_URL", std::ffi::OsStr::new(&w.base)),
            ("ADMIN_TOKEN", std::ffi::OsStr::new(&w.admin_token)),
            ("SHOTS", shots.as_os_str()),
        ],
    );
}
