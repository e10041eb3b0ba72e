//! The console's application layer driven headless through a whole session, with no window:
//! centre set-up → candidates imported from a template file → session → the room hosted with
//! three simulated kiosks → finalization → signed bundle → the console's outbox → a certif-server
//! process on loopback, which publishes; the office library then prints what it published.

use std::path::PathBuf;

use certroom_console::Console;
use certroom_simulation::chain;

/// The certif-server binary cargo built beside this test (`target/debug/certif-server`).
fn server_bin() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?.parent()?.join("certif-server");
    if bin.exists() {
        return Some(bin);
    }
    // Built by `cargo build -p certif-server`, which scripts/test-all runs before the tests.
    let reason = format!(
        "{} is not built (cargo build -p certif-server)",
        bin.display()
    );
    if certroom_testkit::strict() {
        panic!("{reason}");
    }
    eprintln!("SKIPPED: {reason}");
    None
}

/// The centre's signed results the office downloaded in a kept run, checked against the
/// service's key.
fn kept_results(keep: &std::path::Path) -> certroom_certificate::results::CentreResults {
    let key: [u8; 32] = hex::decode(
        std::fs::read_to_string(keep.join("server-key.txt"))
            .unwrap()
            .trim(),
    )
    .unwrap()
    .try_into()
    .unwrap();
    let signed = std::fs::read(keep.join("results.signed")).unwrap();
    certroom_certificate::results::read(&signed, &key.into()).unwrap()
}

#[test]
fn a_session_runs_headless_from_set_up_to_published_certificates() {
    let Some(server_bin) = server_bin() else {
        return;
    };
    let keep = tempfile::tempdir().unwrap();
    let report = chain::run(&chain::Options {
        candidates: 3,
        keep: Some(keep.path().to_owned()),
        bank: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/bank/sample"),
        server_bin,
        fraud: None,
    })
    .unwrap();
    assert!(report.complete(), "{report:?}");
    assert_eq!(report.published, 3);

    // The console's own records after the run: the bundle left with a receipt signed by the key
    // it pinned, and nothing is shown to whoever has not signed in.
    let console = Console::open(&keep.path().join("console")).unwrap();
    assert_eq!(console.outbox_status().unwrap_err().code, "console.sign_in");
    assert!(console.sign_in("secretariat-2026").unwrap());
    // The session ran and was finalized: the console's record refuses to change it, and its
    // list says it was published (what the receipt said, kept after a restart).
    let listed = console.sessions().unwrap().remove(0);
    assert_eq!(listed.stage, certroom_console::SessionStage::Published);
    assert_eq!(
        listed.status,
        certroom_centre::session::SessionStatus::Finalized
    );
    assert_eq!(
        console.delete_session(listed.number).unwrap_err().code,
        "session.finalized"
    );
    let status = console.outbox_status().unwrap();
    assert_eq!(status.items.len(), 1);
    let item = &status.items[0];
    assert_eq!(item.state, certroom_sync::State::Sent);
    let receipt: certroom_sync::Receipt =
        serde_json::from_str(item.receipt.as_deref().unwrap()).unwrap();
    let key: [u8; 32] = hex::decode(status.service_key.as_deref().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    assert!(receipt.verify(&key));
    assert_eq!(receipt.status, "published");

    // The bundle it sent verifies offline against the console's own key.
    let bundle = std::fs::read(
        std::fs::read_dir(keep.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "bundle"))
            .unwrap(),
    )
    .unwrap();
    let console_key: [u8; 32] = hex::decode(console.public_key_hex().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let verified = certroom_bundle::verify(&bundle, Some(&[console_key])).unwrap();
    assert_eq!(verified.manifest.candidates.len(), 3);

    // The sample bank's own competence bounds reach the certificates the office printed: with
    // candidates of different abilities, some certificate shows different levels across the 16
    // competences, as the service replayed them.
    let results = kept_results(keep.path());
    let levels: Vec<Vec<u8>> = results
        .candidates()
        .filter_map(|(_, c)| c.certification.as_ref().map(|c| c.levels.clone()))
        .collect();
    assert_eq!(levels.len(), 3);
    assert!(
        levels.iter().any(|l| l.iter().min() != l.iter().max()),
        "{levels:?}"
    );
}

#[test]
fn a_fraud_goes_to_the_jury_whose_member_rejects_it_and_publishes_the_others() {
    let Some(server_bin) = server_bin() else {
        return;
    };
    let keep = tempfile::tempdir().unwrap();
    let report = chain::run(&chain::Options {
        candidates: 3,
        keep: Some(keep.path().to_owned()),
        bank: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/bank/sample"),
        server_bin,
        fraud: Some(1),
    })
    .unwrap();
    assert_eq!(report.receipt_status, "pending_jury");
    assert_eq!((report.jury_rejected, report.published), (1, 2));
    // The console read the jury's outcome back from the service: its session list says so.
    assert_eq!(report.console_stage, "Published");
    assert!(report.complete(), "{report:?}");
    // The results the office fetched name the rejected candidate without a certificate.
    let results = kept_results(keep.path());
    let session = &results.sessions[0];
    assert_eq!(session.status, "validated");
    let rejected: Vec<_> = session
        .candidates
        .iter()
        .filter(|c| c.status == "rejected")
        .collect();
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0].certification.is_none());
}
