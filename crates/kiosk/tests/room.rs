//! Simulated kiosks with real journals in a live room against a real hub on loopback TLS.

use std::path::Path;
use std::time::Duration;

use certroom_hub::room::{EnrolledCandidate, RoomSetup};
use certroom_hub::Hub;
use certroom_journal::pack::{self, PackKey};
use certroom_kiosk::bank_store;
use certroom_kiosk::room_sim::{self, HubEndpoint, SimRoomConfig};
use chrono::NaiveDate;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};

const BANK_KEY: &str = "salle-test-2026";

fn candidates(n: usize) -> Vec<EnrolledCandidate> {
    (0..n)
        .map(|i| EnrolledCandidate {
            id: i as i64 + 1,
            first_name: format!("Élève{i}"),
            birth_name: format!("Dupont-Lefèvre {i}"),
            birthdate: NaiveDate::from_ymd_opt(2011, 1 + (i % 12) as u32, 1 + (i % 28) as u32)
                .unwrap(),
            local_id: Some("3A".into()),
            extra_time_percent: 0,
            adjusted_questions: false,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_room_sits_every_candidate_through_the_hub_and_loses_nothing() {
    let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let publisher = Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap();
    let files = bank_store::read_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/bank/sample"),
    )
    .unwrap();
    let sealed = pack::seal_with(
        &files,
        &PackKey::Passphrase(BANK_KEY.into()),
        &publisher,
        pack::MIN_PBKDF2_ITERATIONS,
    )
    .unwrap();
    let mut pk = [0u8; 32];
    pk.copy_from_slice(publisher.public_key().as_ref());

    let n = 6;
    let enrolled = candidates(n);
    let hub_dir = tempfile::tempdir().unwrap();
    let setup = RoomSetup {
        session: 777,
        access_code: "BCDF23".into(),
        invigilator_password: "k7?Pm2".into(),
        bank_key: BANK_KEY.into(),
        questions: 32,
        duration_min: 105,
        candidates: enrolled.clone(),
    };
    let running = Hub::open(hub_dir.path(), setup)
        .unwrap()
        .serve("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let kiosks_dir = tempfile::tempdir().unwrap();
    let report = room_sim::run(
        SimRoomConfig {
            kiosks: n,
            duration: Duration::from_secs(60),
            seed: 7,
            think_ms: (1, 10),
            alert_rate: 0.08,
            focus_rate: 0.15,
            pack: sealed,
            publisher: pk,
            engine: certroom_core::Config::default(),
            dir: kiosks_dir.path().to_owned(),
        },
        HubEndpoint {
            addr: running.addr,
            pin: running.hub.fingerprint(),
            session: 777,
            password: "k7?Pm2".into(),
            access_code: "bcdf23".into(),
            candidates: enrolled
                .iter()
                .map(|c| {
                    (
                        c.first_name.clone(),
                        c.birth_name.clone(),
                        c.birthdate.format("%d/%m/%Y").to_string(),
                    )
                })
                .collect(),
        },
    )
    .await
    .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.finished, n as u64, "{report:?}");
    assert_eq!(report.lost_events, 0);
    assert!(report.answers >= (n as u64) * 20, "{report:?}");
    assert!(report.alerts > 0 && report.focus_losses > 0, "{report:?}");
    assert!(report.console_p99_ms > 0.0 && report.ack_p99_ms > 0.0);

    // The hub's copies are complete journals: each candidate's copy ends with the signed end.
    let view = running.hub.view();
    for t in &view.tiles {
        assert!(t.synced_seq > 32, "{t:?}");
        assert!(
            t.station.is_none(),
            "every PC went back to the welcome screen: {t:?}"
        );
    }
    running.stop().await;
}
