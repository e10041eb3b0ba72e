//! Simulated kiosks with real journals in a live room against a real hub on loopback TLS.

mod common;

use std::time::Duration;

use certroom_hub::Hub;
use certroom_simulation::room::{self as room_sim, HubEndpoint, SimRoomConfig};
use common::{bank, candidates, setup};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_room_sits_every_candidate_through_the_hub_and_loses_nothing() {
    let bank = bank();
    let n = 6;
    let enrolled = candidates(n);
    let hub_dir = tempfile::tempdir().unwrap();
    let running = Hub::open(hub_dir.path(), setup(n))
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
            pack: bank.pack,
            publisher: bank.publisher,
            engine: certroom_core::Config::default(),
            dir: kiosks_dir.path().to_owned(),
            answers: None,
            tap: None,
        },
        HubEndpoint {
            addr: running.addr,
            pin: running.hub.fingerprint(),
            session: 777,
            password: "k7?Pm2".into(),
            access_code: "bcdf23".into(),
            candidates: room_sim::typed_identities(&enrolled),
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
