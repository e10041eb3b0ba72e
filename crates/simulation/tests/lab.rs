//! A lab is paired once: the console's hub identity and its paired PCs outlive sessions and
//! restarts, and a frame captured in one session does not count in the next.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use certroom_journal::StationKey;
use certroom_protocol::client::{connect_socket, KioskLink};
use certroom_protocol::{frame, ConsoleCommand, Fingerprint, HubMessage, KioskMessage, Reply};
use certroom_simulation::chain::{new_session, set_up_console, ADMIN_PASSWORD};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

async fn open(
    console: &certroom_console::Console,
    session: &certroom_console::SessionView,
) -> (std::net::SocketAddr, Fingerprint) {
    certroom_simulation::chain::open_room_on_loopback(console, session)
        .await
        .unwrap()
}

async fn state(link: &KioskLink) -> certroom_protocol::StationState {
    match link.request(KioskMessage::Hello).await.unwrap() {
        Reply::State { station } => station,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pc_paired_once_joins_the_next_session_after_the_console_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("console");
    let pc = StationKey::load_or_create(&dir.path().join("pc.key")).unwrap();
    let pc_key = Arc::new(pc.into_key_pair());
    let counter = Arc::new(AtomicU64::new(0));

    // Session 1: the PC asks to pair, the invigilator confirms on the console.
    let console = set_up_console(&data).unwrap();
    let (first, _) = new_session(&console, 2).unwrap();
    let (addr, pin) = open(&console, &first).await;
    console
        .room_command(ConsoleCommand::OpenPairing { minutes: 60 })
        .unwrap();
    let (link, _) = KioskLink::connect(addr, pin, pc_key.clone(), counter.clone())
        .await
        .unwrap();
    assert!(
        link.pair("PC-07").await.unwrap().is_some(),
        "not enrolled yet"
    );
    let station = pc_key_hex(&pc_key);
    console
        .room_command(ConsoleCommand::ConfirmPairing {
            station: station.clone(),
        })
        .unwrap();
    assert!(state(&link).await.enrolled);
    // A frame sealed in session 1 (numbered as kiosks number them: microseconds since the
    // epoch), kept by someone on the network.
    let now_us = u64::try_from(chrono::Utc::now().timestamp_micros()).unwrap();
    let captured = frame::seal(&pc_key, &pin.to_hex(), now_us, KioskMessage::Hello);
    let listed = console.paired_stations().unwrap();
    assert_eq!(
        (listed.len(), listed[0].label.as_str()),
        (1, "PC-07"),
        "{listed:?}"
    );
    drop(link);
    console.close_room().await.unwrap();
    drop(console);

    // The console restarts; the next session's room has the same identity and knows the PC.
    let console = certroom_console::Console::open(&data).unwrap();
    assert!(console.sign_in(ADMIN_PASSWORD).unwrap());
    let (second, enrolled) = new_session(&console, 2).unwrap();
    let (addr, pin2) = open(&console, &second).await;
    assert_eq!(
        pin2, pin,
        "the hub identity belongs to the console, not to a session"
    );
    let (link, _) = KioskLink::connect(addr, pin, pc_key.clone(), counter.clone())
        .await
        .unwrap();
    let st = state(&link).await;
    assert!(st.enrolled, "paired once, known in the next session");
    assert_eq!(st.session, Some(second.number));
    let c = &enrolled[0];
    let reply = link
        .request(KioskMessage::Join {
            session: second.number,
            first_name: c.first_name.clone(),
            birth_name: c.birth_name.clone(),
            birthdate: c.birthdate.format("%Y-%m-%d").to_string(),
        })
        .await
        .unwrap();
    assert!(matches!(reply, Reply::Joined { .. }), "{reply:?}");

    // The frame captured in session 1 is a replay here, even on a fresh connection.
    let mut ws = connect_socket(addr, pin, "/v1/kiosk").await.unwrap();
    ws.send(Message::Text(
        serde_json::to_string(&captured).unwrap().into(),
    ))
    .await
    .unwrap();
    let answer = loop {
        if let Message::Text(t) = ws.next().await.unwrap().unwrap() {
            break serde_json::from_str::<HubMessage>(&t).unwrap();
        }
    };
    match answer {
        HubMessage::Err { error, .. } => assert_eq!(error.code, "hub.replay"),
        other => panic!("a frame of session 1 was accepted in session 2: {other:?}"),
    }

    // Removed from the lab: the next room refuses it.
    drop(link);
    console.close_room().await.unwrap();
    console.forget_station(&station).unwrap();
    assert!(console.paired_stations().unwrap().is_empty());
    let (third, _) = new_session(&console, 1).unwrap();
    let (addr, _) = open(&console, &third).await;
    let (link, _) = KioskLink::connect(addr, pin, pc_key, counter)
        .await
        .unwrap();
    assert!(!state(&link).await.enrolled);
}

fn pc_key_hex(k: &ring::signature::Ed25519KeyPair) -> String {
    use ring::signature::KeyPair;
    certroom_core::hash::to_hex(k.public_key().as_ref())
}
