//! Banks through the room: the console offers the session's sealed pack, every paired PC
//! fetches it over the hub's TLS connection, checks its publisher's signature and keeps it; a
//! pack signed by anyone else is refused by each PC, which keeps the one it had. Each PC also
//! reports its readiness check to the console.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use certroom_hub::Hub;
use certroom_journal::StationKey;
use certroom_kiosk::hub_address::{system_lookup, HubAddress};
use certroom_kiosk::live::{self, LiveRoom};
use certroom_kiosk::station::BANK_PACK_FILE;
use certroom_kiosk::{KioskConfig, Sitting};
use certroom_protocol::{BankOffer, BankState, ConsoleCommand, RoomView};
use common::*;

const PCS: usize = 3;

async fn wait_for_view(hub: &Hub, what: &str, done: impl Fn(&RoomView) -> bool) -> RoomView {
    for _ in 0..400 {
        let view = hub.view();
        if done(&view) {
            return view;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}: {:#?}", hub.view().banks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_pcs_take_the_offered_pack_and_refuse_one_signed_by_someone_else() {
    let dir = tempfile::tempdir().unwrap();
    let running = Hub::open(&dir.path().join("room"), setup(1))
        .unwrap()
        .serve("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let hub = running.hub.clone();
    let auth = hub.sign_in(SESSION, PASSWORD).unwrap();
    hub.command(&auth, ConsoleCommand::OpenPairing { minutes: 10 })
        .unwrap();
    let address = HubAddress::parse(&running.addr.to_string()).unwrap();
    let bank = bank();

    // Three PCs set up as a technician does with no pack: the publisher pinned, paired.
    let mut pcs = Vec::new();
    for i in 0..PCS {
        let pc_dir = dir.path().join(format!("pc-{i}"));
        std::fs::create_dir_all(&pc_dir).unwrap();
        let key_file = pc_dir.join(certroom_kiosk::sitting::STATION_KEY_FILE);
        let key = StationKey::load_or_create(&key_file).unwrap();
        let station = key.public_key_hex();
        let pairing = {
            let address = address.clone();
            tokio::spawn(async move {
                live::pair(
                    &address,
                    &system_lookup(),
                    None,
                    key.into_key_pair(),
                    &format!("PC-{i}"),
                    Duration::from_secs(30),
                    |_| {},
                )
                .await
            })
        };
        wait_for_view(&hub, "the pairing request", |v| {
            v.pairings.iter().any(|p| p.station == station)
        })
        .await;
        hub.command(
            &auth,
            ConsoleCommand::ConfirmPairing {
                station: station.clone(),
            },
        )
        .unwrap();
        let pin = pairing.await.unwrap().unwrap();
        let sitting = Arc::new(Mutex::new(
            Sitting::open(
                &pc_dir,
                Vec::new(),
                KioskConfig {
                    engine: certroom_core::Config::default(),
                    session_id: SESSION.to_string(),
                    publisher: bank.publisher,
                },
            )
            .unwrap(),
        ));
        assert!(sitting.lock().unwrap().has_bank().is_err());
        let key = StationKey::load(&key_file).unwrap();
        let room = LiveRoom::start(
            &tokio::runtime::Handle::current(),
            address.clone(),
            system_lookup(),
            pin,
            Arc::new(key.into_key_pair()),
            sitting.clone(),
            Arc::new(|| {}),
        );
        pcs.push((pc_dir, sitting, room));
    }

    // The console offers the session's pack: each PC fetches and keeps it.
    hub.offer_bank(&auth, bank.pack.clone()).unwrap();
    let view = wait_for_view(&hub, "every PC to install the pack", |v| {
        v.banks.len() == PCS && v.banks.iter().all(|b| b.state == BankState::Installed)
    })
    .await;
    assert_eq!(view.bank.as_ref().unwrap().size, bank.pack.len() as u64);
    assert!(view
        .banks
        .iter()
        .all(|b| b.received == bank.pack.len() as u64));
    for (pc_dir, sitting, _) in &pcs {
        assert_eq!(
            std::fs::read(pc_dir.join(BANK_PACK_FILE)).unwrap(),
            bank.pack,
            "the pack is kept in the PC's data folder"
        );
        assert!(sitting.lock().unwrap().has_bank().is_ok());
    }

    // Each PC also told the console what would stop exam day there (`station check`), with the
    // bank it now holds.
    let view = wait_for_view(&hub, "every PC's readiness", |v| v.readiness.len() == PCS).await;
    for r in &view.readiness {
        let item = |name: &str| r.items.iter().find(|i| i.item == name).unwrap();
        assert!(item("fsync").ok, "{:?}", item("fsync"));
        for name in ["data_folder", "disk_space", "bank", "display", "cage"] {
            item(name);
        }
        assert!(r.label.starts_with("PC-"));
    }

    // A pack sealed by another publisher: every PC refuses it, says why, and keeps its own.
    let impostor = common::bank();
    hub.offer_bank(&auth, impostor.pack.clone()).unwrap();
    let view = wait_for_view(&hub, "every PC to refuse the pack", |v| {
        v.banks.iter().all(|b| b.state == BankState::Refused)
    })
    .await;
    for b in &view.banks {
        let reason = b.reason.as_deref().unwrap_or_default();
        assert!(reason.contains("signature"), "{reason}");
    }
    for (pc_dir, sitting, _) in &pcs {
        assert_eq!(
            std::fs::read(pc_dir.join(BANK_PACK_FILE)).unwrap(),
            bank.pack
        );
        let kept = BankOffer {
            hash: certroom_core::hash::to_hex(&ring_sha256(&bank.pack)),
            size: bank.pack.len() as u64,
        };
        assert!(sitting.lock().unwrap().holds(&kept));
    }

    // A remote console cannot announce a pack whose bytes the hub does not hold.
    let err = hub
        .command(
            &auth,
            ConsoleCommand::OfferBank {
                offer: view.bank.clone().unwrap(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code, "room.invalid");
    running.stop().await;
}

fn ring_sha256(bytes: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}
