//! A laptop on the lab network against the hub: guessing the invigilator's password, sending
//! junk, asking to pair with made-up keys, pairing during the exam. Each attack is performed and
//! must fail, while the console keeps working.

use std::net::IpAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use certroom_hub::room::MAX_PENDING_PAIRINGS;
use certroom_hub::server::MAX_BAD_FRAMES;
use certroom_hub::{EnrolledCandidate, Hub, RoomSetup};
use certroom_protocol::client::{connect_socket, connect_socket_from, KioskLink};
use certroom_protocol::{ConsoleCommand, ConsoleEvent, ConsoleRequest, KioskMessage, LinkError};
use chrono::NaiveDate;
use futures_util::{SinkExt, StreamExt};
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "k7?Pm2";
const SESSION: i64 = 4217;

fn setup() -> RoomSetup {
    RoomSetup {
        session: SESSION,
        access_code: "BCDF23".into(),
        invigilator_password: PASSWORD.into(),
        bank_key: "salle-demo-2026".into(),
        questions: 32,
        duration_min: 105,
        candidates: vec![EnrolledCandidate {
            id: 1,
            first_name: "Zoé".into(),
            birth_name: "Martin".into(),
            birthdate: NaiveDate::from_ymd_opt(2011, 3, 14).unwrap(),
            local_id: None,
            extra_time_percent: 0,
            adjusted_questions: false,
        }],
    }
}

fn key() -> Arc<Ed25519KeyPair> {
    let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    Arc::new(Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap())
}

async fn start(dir: &std::path::Path) -> certroom_hub::RunningHub {
    Hub::open(dir, setup())
        .unwrap()
        .serve("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// One sign-in attempt over the network from `from`: the hub's first answer.
async fn try_password(
    hub: &certroom_hub::RunningHub,
    from: Option<IpAddr>,
    password: &str,
) -> ConsoleEvent {
    let mut ws = connect_socket_from(from, hub.addr, hub.hub.fingerprint(), "/v1/console")
        .await
        .unwrap();
    let req = ConsoleRequest::SignIn {
        session: SESSION,
        password: password.into(),
    };
    ws.send(Message::Text(serde_json::to_string(&req).unwrap().into()))
        .await
        .unwrap();
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).unwrap(),
            Some(Ok(_)) => continue,
            other => panic!("no answer: {other:?}"),
        }
    }
}

fn error_code(ev: &ConsoleEvent) -> &str {
    match ev {
        ConsoleEvent::Error { error } => &error.code,
        ConsoleEvent::SignedIn { .. } => "signed_in",
        _ => "other",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_guessing_from_a_laptop_is_slowed_then_raised_and_the_console_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let hub = start(dir.path()).await;
    let mut raised = hub.hub.subscribe();
    // Another PC of the lab: any loopback address but the console's own.
    let laptop: IpAddr = "127.0.0.66".parse().unwrap();
    let mut wrong = 0;
    let locked = loop {
        let ev = try_password(&hub, Some(laptop), &format!("guess-{wrong}")).await;
        match error_code(&ev) {
            "room.password" => wrong += 1,
            "room.signin_locked" => break ev,
            other => panic!("{other}: {ev:?}"),
        }
        assert!(wrong <= 10, "never slowed");
    };
    assert_eq!(wrong, 3, "three typos are free, then the laptop waits");
    // While it waits, even the right password is not compared.
    assert_eq!(
        error_code(&try_password(&hub, Some(laptop), PASSWORD).await),
        "room.signin_locked"
    );
    let ConsoleEvent::Error { error } = locked else {
        unreachable!()
    };
    assert!(error.message_fr.contains("réessayez dans"), "{error:?}");
    // Each wrong password was raised on the console, naming the address.
    let mut seen = 0;
    while let Ok(ev) = raised.try_recv() {
        if let ConsoleEvent::Error { error } = ev {
            assert_eq!(error.code, "room.signin_failed");
            assert!(error.message_fr.contains("127.0.0.66"), "{error:?}");
            seen += 1;
        }
    }
    assert_eq!(seen, 3);
    // The console itself, on 127.0.0.1, signs in at once, even after its own typos.
    for _ in 0..5 {
        assert_eq!(
            error_code(&try_password(&hub, None, "typo").await),
            "room.password"
        );
    }
    assert_eq!(
        error_code(&try_password(&hub, None, PASSWORD).await),
        "signed_in"
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_sending_junk_is_closed_and_made_up_pairings_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let hub = start(dir.path()).await;
    let mut ws = connect_socket(hub.addr, hub.hub.fingerprint(), "/v1/kiosk")
        .await
        .unwrap();
    let mut answered = 0u32;
    for i in 0..(MAX_BAD_FRAMES + 10) {
        if ws
            .send(Message::Text(format!("{{junk {i}").into()))
            .await
            .is_err()
        {
            break;
        }
    }
    while let Some(Ok(m)) = ws.next().await {
        if matches!(m, Message::Text(_)) {
            answered += 1;
        }
    }
    assert_eq!(answered, MAX_BAD_FRAMES + 1, "closed after its budget");

    // Made-up keys asking to pair: refused while the invigilator has not opened pairing…
    let (addr, pin) = (hub.addr, hub.hub.fingerprint());
    let ask = |i: usize| async move {
        let (link, _) = KioskLink::connect(addr, pin, key(), Arc::new(AtomicU64::new(0)))
            .await
            .unwrap();
        link.pair(&format!("X-{i}")).await
    };
    match ask(0).await {
        Err(LinkError::Refused(w)) => assert_eq!(w.code, "room.pairing_closed"),
        other => panic!("{other:?}"),
    }
    assert!(hub.hub.view().pairings.is_empty());
    // …and once it is open, the console's list of requests stops growing.
    let auth = hub.hub.sign_in(SESSION, PASSWORD).unwrap();
    hub.hub
        .command(&auth, ConsoleCommand::OpenPairing { minutes: 10 })
        .unwrap();
    let mut refused = None;
    for i in 0..(MAX_PENDING_PAIRINGS + 3) {
        match ask(i).await {
            Ok(_) => {}
            Err(LinkError::Refused(w)) => {
                refused = Some((i, w.code));
                break;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(
        refused,
        Some((MAX_PENDING_PAIRINGS, "room.pairings_full".to_owned()))
    );
    assert_eq!(hub.hub.view().pairings.len(), MAX_PENDING_PAIRINGS);
    // The junk was recorded, apart from the room.
    let log = certroom_hub::store::RefusalLog::open(dir.path()).unwrap();
    let malformed = log
        .refusals()
        .unwrap()
        .iter()
        .filter(|(c, _)| c == "hub.malformed")
        .count();
    assert_eq!(malformed as u32, MAX_BAD_FRAMES + 1);
    // The console still works.
    hub.hub
        .command(
            &auth,
            ConsoleCommand::PauseRoom {
                reason: "vérification".into(),
            },
        )
        .unwrap();
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_laptop_cannot_hold_the_hubs_connections_and_is_raised_once() {
    let dir = tempfile::tempdir().unwrap();
    let hub = start(dir.path()).await;
    let mut raised = hub.hub.subscribe();
    let laptop: IpAddr = "127.0.0.66".parse().unwrap();
    let pin = hub.hub.fingerprint();
    // Upgraded WebSockets, held open: each keeps its place after the HTTP exchange.
    let mut held = Vec::new();
    for _ in 0..certroom_hub::server::MAX_PER_ADDRESS {
        held.push(
            connect_socket_from(Some(laptop), hub.addr, pin, "/v1/kiosk")
                .await
                .unwrap(),
        );
    }
    for _ in 0..3 {
        assert!(
            connect_socket_from(Some(laptop), hub.addr, pin, "/v1/kiosk")
                .await
                .is_err(),
            "one address past its share is dropped at once"
        );
    }
    let mut alerts = 0;
    while let Ok(ev) = raised.try_recv() {
        if let ConsoleEvent::Error { error } = ev {
            assert_eq!(error.code, "room.connections_from");
            assert!(error.message_fr.contains("127.0.0.66"), "{error:?}");
            alerts += 1;
        }
    }
    assert_eq!(alerts, 1, "raised once, not at every try");
    // A lab PC (here the console's own machine) still connects and is answered.
    let (link, _) = KioskLink::connect(hub.addr, pin, key(), Arc::new(AtomicU64::new(0)))
        .await
        .unwrap();
    assert!(link.request(KioskMessage::Hello).await.is_ok());
    // A closed connection gives its place back.
    drop(held.pop());
    let mut again = None;
    for _ in 0..50 {
        if let Ok(ws) = connect_socket_from(Some(laptop), hub.addr, pin, "/v1/kiosk").await {
            again = Some(ws);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(again.is_some(), "the place came back");
    hub.stop().await;
}
