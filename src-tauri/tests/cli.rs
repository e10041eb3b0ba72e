//! The command line as a shell uses it.

use std::process::{Command, Stdio};

const SAMPLE_BANK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/bank/sample");

fn certroom() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_certroom"));
    c.env_remove("RUST_LOG");
    c
}

/// `certroom … | head -3`: once the reader is gone the command stops writing and ends with
/// success, saying nothing (no "failed printing to stdout" panic).
#[test]
fn a_reader_that_went_away_ends_the_command_quietly() {
    let listed = certroom()
        .args(["bank", "check", SAMPLE_BANK])
        .output()
        .unwrap();
    assert!(listed.status.success());
    assert!(listed.stdout.len() > 100, "the command prints its report");

    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = certroom()
        .args(["bank", "check", SAMPLE_BANK])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?} {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
}
