//! `certroom station check` on a PC paired with a real hub on loopback: the hub answers over its
//! pinned certificate with its version and clock; a PC pinned on another certificate is told.

mod common;

use certroom_kiosk::readiness::{judge, observe, Probe};
use certroom_kiosk::station::{HubPin, StationConfig, BANK_PACK_FILE, CONFIG_FILE};
use common::{bank, hub_in_lab};

fn failing(probe: &Probe) -> Vec<&'static str> {
    judge(&observe(probe))
        .into_iter()
        .filter(|f| !f.ok)
        .map(|f| f.item)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paired_pc_reads_the_hubs_version_and_clock_through_its_pin() {
    let (lab, room, kiosk) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (h, _auth) = hub_in_lab(lab.path(), room.path()).await;
    let bank = bank();
    std::fs::write(kiosk.path().join(BANK_PACK_FILE), &bank.pack).unwrap();
    let mut config = StationConfig {
        bank_publisher: Some(hex::encode(bank.publisher)),
        hub: Some(HubPin {
            address: h.addr.to_string(),
            fingerprint: h.hub.fingerprint().to_hex(),
        }),
        ..StationConfig::default()
    };
    config.set_exit_code("sortie-2027").unwrap();
    config.save(&kiosk.path().join(CONFIG_FILE)).unwrap();
    let probe = Probe {
        data_dir: kiosk.path().to_owned(),
        program_dirs: vec![],
        display: Some(":0".into()),
        accessibility_bus: vec![],
    };

    let p = probe.clone();
    let found = tokio::task::spawn_blocking(move || judge(&observe(&p)))
        .await
        .unwrap();
    let ok: Vec<_> = found.iter().filter(|f| f.ok).map(|f| f.item).collect();
    assert_eq!(
        ok,
        [
            "data_folder",
            "disk_space",
            "fsync",
            "exit_code",
            "bank",
            "pairing",
            "hub",
            "version",
            "clock",
            "display"
        ],
        "{found:#?}"
    );

    // Pinned on another certificate: the hub is not taken for the console's.
    config.hub = Some(HubPin {
        address: h.addr.to_string(),
        fingerprint: "ab".repeat(32),
    });
    config.save(&kiosk.path().join(CONFIG_FILE)).unwrap();
    let failed = tokio::task::spawn_blocking(move || failing(&probe))
        .await
        .unwrap();
    assert_eq!(failed, ["hub", "cage", "accessibility"]);
    h.stop().await;
}
