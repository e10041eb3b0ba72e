//! A lab PC paired by the console's name, with no fingerprint typed: both screens show the same
//! code, and the PC keeps the name and the pin, not the address, so the console coming back on
//! another address changes nothing.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use certroom_hub::Hub;
use certroom_journal::StationKey;
use certroom_kiosk::hub_address::{HubAddress, Lookup};
use certroom_kiosk::live::{self, LiveRoom};
use certroom_kiosk::{KioskConfig, Lang, Screen, Sitting};
use certroom_protocol::ConsoleCommand;
use common::*;

const NAME: &str = "salle12-console";

/// The lab's name service as a table the test changes: `NAME` → the address it holds now.
fn lookup(now: Arc<Mutex<IpAddr>>) -> Lookup {
    Arc::new(move |host, port| {
        if host == NAME {
            Ok(vec![SocketAddr::new(*now.lock().unwrap(), port)])
        } else {
            Err(std::io::Error::other(format!("unknown host {host}")))
        }
    })
}

async fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..300 {
        if let Some(v) = f() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pc_paired_by_name_compares_the_code_and_follows_the_console_to_another_address() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, room) = (dir.path().join("lab"), dir.path().join("room"));
    let pc_dir = dir.path().join("pc");
    let hub = Hub::open_in_lab(&lab, &room, setup(1))
        .unwrap()
        .serve("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let port = hub.addr.port();
    let auth = hub.hub.sign_in(SESSION, PASSWORD).unwrap();
    let pinned = hub.hub.fingerprint();
    hub.hub
        .command(&auth, ConsoleCommand::OpenPairing { minutes: 10 })
        .unwrap();

    // The technician types the console's name; nobody types a fingerprint.
    let at = Arc::new(Mutex::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1))));
    let names = lookup(at.clone());
    let address = HubAddress::parse(&format!("{NAME}:{port}")).unwrap();
    std::fs::create_dir_all(&pc_dir).unwrap();
    let key_file = pc_dir.join(certroom_kiosk::sitting::STATION_KEY_FILE);
    let key = StationKey::load_or_create(&key_file).unwrap();
    let station = key.public_key_hex();
    let on_pc = Arc::new(Mutex::new(None::<String>));
    let pairing = {
        let (address, names, on_pc) = (address.clone(), names.clone(), on_pc.clone());
        tokio::spawn(async move {
            live::pair(
                &address,
                &names,
                None,
                key.into_key_pair(),
                "PC-07",
                Duration::from_secs(30),
                |code| *on_pc.lock().unwrap() = Some(code.to_owned()),
            )
            .await
        })
    };
    let code_on_pc = wait_for("the code on the PC", || on_pc.lock().unwrap().clone()).await;
    let on_console = wait_for("the code on the console", || {
        hub.hub.view().pairings.first().map(|p| p.code.clone())
    })
    .await;
    assert_eq!(code_on_pc, on_console, "both screens show the same code");
    assert!(
        code_on_pc.len() == 7 && code_on_pc.chars().filter(char::is_ascii_digit).count() == 6,
        "{code_on_pc}"
    );
    hub.hub
        .command(&auth, ConsoleCommand::ConfirmPairing { station })
        .unwrap();
    let pin = pairing.await.unwrap().unwrap();
    assert_eq!(pin, pinned, "the PC pins the certificate it was shown");

    // The PC in the room: a candidate joins through the name and waits.
    let bank = bank();
    let sitting = Arc::new(Mutex::new(
        Sitting::open(
            &pc_dir,
            bank.pack.clone(),
            KioskConfig {
                engine: certroom_core::Config::default(),
                session_id: SESSION.to_string(),
                publisher: bank.publisher,
            },
        )
        .unwrap(),
    ));
    let key = StationKey::load(&key_file).unwrap();
    let kiosk = LiveRoom::start(
        &tokio::runtime::Handle::current(),
        address,
        names,
        pin,
        Arc::new(key.into_key_pair()),
        sitting.clone(),
        Arc::new(|| {}),
    );
    let mut joined = None;
    for _ in 0..100 {
        match kiosk.join(identity(0), Lang::Fr).await {
            Ok(screen) => {
                joined = Some(screen);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    assert!(joined.is_some(), "the candidate joins through the name");
    kiosk.access_code(ACCESS, Lang::Fr).await.unwrap();

    // The console comes back on another address (a new DHCP lease), the same lab identity.
    hub.stop().await;
    *at.lock().unwrap() = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let hub = Hub::open_in_lab(&lab, &room, setup(1))
        .unwrap()
        .serve(SocketAddr::from(([127, 0, 0, 2], port)))
        .await
        .unwrap();
    let auth = hub.hub.sign_in(SESSION, PASSWORD).unwrap();
    assert!(hub.hub.view().pairings.is_empty());

    // The PC finds it without being paired again: the invigilator's start reaches it.
    let candidate = hub.hub.view().tiles[0].candidate;
    hub.hub
        .command(
            &auth,
            ConsoleCommand::ConfirmPresence {
                candidate,
                present: true,
            },
        )
        .unwrap();
    hub.hub
        .command(&auth, ConsoleCommand::Authorize { candidate })
        .unwrap();
    wait_for("the first question on the PC", || {
        let screen = sitting.lock().unwrap().screen(Lang::Fr).ok()?;
        matches!(screen, Screen::Question { .. }).then_some(())
    })
    .await;
    let tile = hub.hub.view().tiles[0].clone();
    assert!(
        tile.station.is_some(),
        "the hub at its new address sees the PC: {tile:?}"
    );
    hub.stop().await;
}
