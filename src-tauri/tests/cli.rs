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

/// `certroom bank bounds --write` on a copy of the sample bank without its bounds writes back
/// exactly the sample's bank.json: the table shipped is the one the items give.
#[test]
fn bank_bounds_writes_the_sample_banks_table_back() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("sample");
    copy_dir(std::path::Path::new(SAMPLE_BANK), &copy);
    let shipped = std::fs::read_to_string(copy.join("bank.json")).unwrap();
    let mut manifest: serde_json::Value = serde_json::from_str(&shipped).unwrap();
    manifest
        .as_object_mut()
        .unwrap()
        .remove("competence_bounds")
        .unwrap();
    std::fs::write(copy.join("bank.json"), manifest.to_string()).unwrap();

    let check = certroom()
        .args(["bank", "check"])
        .arg(&copy)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&check.stdout).contains("seuils par compétence : absents"));
    let out = certroom()
        .args(["bank", "bounds", "--write"])
        .arg(&copy)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("| 3.4 | -2.74 |"));
    assert_eq!(
        std::fs::read_to_string(copy.join("bank.json")).unwrap(),
        shipped
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
