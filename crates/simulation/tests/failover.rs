//! The console PC dies mid-session: a spare PC takes the room over from the standby copy on a
//! USB key, the room finishes, and the service publishes (crates/simulation/src/failover.rs).

use std::path::PathBuf;

use certroom_simulation::failover;

/// A binary cargo built beside this test (`target/debug/NAME`): `cargo test --workspace` builds
/// `certroom` and `certif-server` for their own integration tests before any test runs.
fn built(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join(name);
    assert!(
        bin.exists(),
        "{} is not built (cargo build -p {name})",
        bin.display()
    );
    bin
}

#[test]
fn a_spare_console_takes_the_room_over_from_the_copy_and_nothing_acknowledged_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let report = failover::run(&failover::Options {
        candidates: 3,
        answers_before: 4,
        answers_while_dead: 3,
        bank: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/bank/sample"),
        certroom_bin: built("certroom"),
        server_bin: built("certif-server"),
        dir: dir.path().to_owned(),
    })
    .unwrap();
    eprintln!("{report:?}");
    assert_eq!(report.answered_on_pcs.len(), 3, "{report:?}");
    assert!(
        report.answered_on_pcs.values().all(|&n| n == 32),
        "every candidate answered the whole test: {report:?}"
    );
    assert_eq!(
        report.answered_in_bundle, report.answered_on_pcs,
        "every answer made on a PC, before, during and after the console died, is in the bundle"
    );
    assert_eq!(report.receipt_status, "published");
    assert!(
        report.inputs_restored > 0,
        "the decisions after the last full copy came from the log: {report:?}"
    );
}
