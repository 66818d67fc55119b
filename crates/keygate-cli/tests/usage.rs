//! The command line as an operator meets it.

#![allow(clippy::unwrap_used)]

use std::process::Command;

fn keygate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_keygate"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn help_prints_usage_and_succeeds() {
    for flag in ["--help", "-h", "help"] {
        let out = keygate(&[flag]);
        assert!(out.status.success(), "{flag}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("usage: keygate bootstrap"), "{flag}: {text}");
        assert!(text.contains("--save FILE"), "{flag}");
    }
    let out = keygate(&["bootstrap", "--help"]);
    assert!(out.status.success());
}

#[test]
fn a_wrong_command_fails_with_usage() {
    let out = keygate(&["frobnicate"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage:"));
}
