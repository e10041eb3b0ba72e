//! The hub on loopback, over real TLS: pinning, enrolment, signed and numbered frames, identity
//! matching, the invigilator's authority, and a restart that loses nothing.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use certroom_core::Hash;
use certroom_hub::{EnrolledCandidate, Hub, RoomSetup};
use certroom_journal::{Event, FocusCause, Journal, TestHeader};
use certroom_protocol::client::{connect_socket, Socket};
use certroom_protocol::frame as protocol;
use certroom_protocol::{
    ConsoleCommand, ConsoleEvent, ConsoleLink, Fingerprint, HubMessage, KioskLink, KioskMessage,
    LinkError, Reply, TileStatus,
};
use chrono::NaiveDate;
use futures_util::{SinkExt, StreamExt};
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "k7?Pm2";

fn setup() -> RoomSetup {
    let c = |id, first: &str, birth: &str, date: (i32, u32, u32)| EnrolledCandidate {
        id,
        first_name: first.into(),
        birth_name: birth.into(),
        birthdate: NaiveDate::from_ymd_opt(date.0, date.1, date.2).unwrap(),
        local_id: Some("3B".into()),
        extra_time_percent: 0,
        adjusted_questions: false,
    };
    RoomSetup {
        session: 4217,
        access_code: "BCDF23".into(),
        invigilator_password: PASSWORD.into(),
        bank_key: "salle-demo-2026".into(),
        questions: 32,
        duration_min: 105,
        candidates: vec![
            c(1, "Zoé", "N'Diaye-Lefèvre", (2011, 3, 14)),
            c(2, "Jean Pierre", "Martin", (2011, 7, 2)),
            c(3, "Léa", "Bernard", (2010, 12, 31)),
        ],
    }
}

fn key() -> Arc<Ed25519KeyPair> {
    let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    Arc::new(Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap())
}

fn station(k: &Ed25519KeyPair) -> String {
    hex::encode(ring::signature::KeyPair::public_key(k).as_ref())
}

/// A hub whose invigilator opened pairing, as when the lab is set up.
async fn start(dir: &std::path::Path) -> certroom_hub::RunningHub {
    let hub = Hub::open(dir, setup())
        .unwrap()
        .serve("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    // A restarted hub finds the window in its record.
    if hub.hub.view().pairing_until.is_none() {
        let auth = hub.hub.sign_in(4217, PASSWORD).unwrap();
        hub.hub
            .command(&auth, ConsoleCommand::OpenPairing { minutes: 60 })
            .unwrap();
    }
    hub
}

async fn link(hub: &certroom_hub::RunningHub, k: &Arc<Ed25519KeyPair>) -> KioskLink {
    KioskLink::connect(
        hub.addr,
        hub.hub.fingerprint(),
        k.clone(),
        Arc::new(AtomicU64::new(0)),
    )
    .await
    .unwrap()
    .0
}

/// Pairs a station the way a lab is set up: the kiosk asks, the console confirms.
async fn enrol(hub: &certroom_hub::RunningHub, k: &Arc<Ed25519KeyPair>) {
    let l = link(hub, k).await;
    let code = l.pair("PC-01").await.unwrap().expect("not enrolled yet");
    assert_eq!(
        hub.hub.view().pairings[0].code,
        code,
        "the console shows the code the PC shows"
    );
    let auth = hub.hub.sign_in(4217, PASSWORD).unwrap();
    hub.hub
        .command(
            &auth,
            ConsoleCommand::ConfirmPairing {
                station: station(k),
            },
        )
        .unwrap();
}

fn join(first: &str, birth: &str, date: &str) -> KioskMessage {
    KioskMessage::Join {
        session: 4217,
        first_name: first.into(),
        birth_name: birth.into(),
        birthdate: date.into(),
    }
}

async fn raw_exchange(ws: &mut Socket, text: String) -> HubMessage {
    ws.send(Message::Text(text.into())).await.unwrap();
    loop {
        match ws.next().await.unwrap().unwrap() {
            Message::Text(t) => return serde_json::from_str(&t).unwrap(),
            _ => continue,
        }
    }
}

fn err_code(m: &HubMessage) -> &str {
    match m {
        HubMessage::Err { error, .. } => &error.code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_the_pinned_certificate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let hub = start(dir.path()).await;
    let other = Fingerprint::of(b"some other certificate");
    let err = KioskLink::connect(hub.addr, other, key(), Arc::new(AtomicU64::new(0)))
        .await
        .err()
        .expect("an impostor pin must fail");
    assert!(matches!(err, LinkError::NotTheHub(_)), "{err:?}");

    // Nothing is served in clear on the hub's port.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(hub.addr).await.unwrap();
    tcp.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ =
        tokio::time::timeout(std::time::Duration::from_secs(5), tcp.read_to_end(&mut buf)).await;
    assert!(!String::from_utf8_lossy(&buf).contains("ok"), "{buf:?}");

    // The right pin works.
    let l = link(&hub, &key()).await;
    let r = l.request(join("Léa", "Bernard", "31/12/2010")).await;
    assert!(
        matches!(r, Err(LinkError::Refused(ref w)) if w.code == "room.unknown_station"),
        "{r:?}"
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_station_cannot_join_until_the_console_confirms_its_pairing() {
    let dir = tempfile::tempdir().unwrap();
    let hub = start(dir.path()).await;
    let k = key();
    let l = link(&hub, &k).await;
    let r = l.request(join("Léa", "Bernard", "31/12/2010")).await;
    assert!(
        matches!(r, Err(LinkError::Refused(ref w)) if w.code == "room.unknown_station"),
        "{r:?}"
    );
    assert!(hub.hub.view().tiles.iter().all(|t| t.station.is_none()));

    let (console, mut events) =
        ConsoleLink::connect(hub.addr, hub.hub.fingerprint(), 4217, PASSWORD)
            .await
            .unwrap();
    assert!(matches!(
        events.recv().await,
        Some(ConsoleEvent::SignedIn { .. })
    ));
    let code = l.pair("PC-07").await.unwrap().expect("not enrolled yet");
    let shown = loop {
        if let Some(ConsoleEvent::Pairing { code, .. }) = events.recv().await {
            break code;
        }
    };
    assert_eq!(shown, code, "both screens show the same pairing code");
    console
        .command(ConsoleCommand::ConfirmPairing {
            station: station(&k),
        })
        .await
        .unwrap();
    let r = l
        .request(join("Léa", "Bernard", "31/12/2010"))
        .await
        .unwrap();
    assert!(
        matches!(r, Reply::Joined { ref candidate } if candidate.id == 3),
        "{r:?}"
    );

    // A wrong password gets no console.
    let bad = ConsoleLink::connect(hub.addr, hub.hub.fingerprint(), 4217, "wrong!").await;
    assert!(matches!(bad, Err(LinkError::Refused(ref w)) if w.code == "room.password"));
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_oversized_forged_and_replayed_frames_are_refused_and_the_hub_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let hub = start(dir.path()).await;
    let k = key();
    enrol(&hub, &k).await;
    let fp = hub.hub.fingerprint().to_hex();
    let mut ws = connect_socket(hub.addr, hub.hub.fingerprint(), "/v1/kiosk")
        .await
        .unwrap();

    let r = raw_exchange(&mut ws, "{not json".into()).await;
    assert_eq!(err_code(&r), "hub.malformed");
    let r = raw_exchange(&mut ws, r#"{"payload":"{}","sig":"00"}"#.into()).await;
    assert_eq!(err_code(&r), "hub.malformed");

    let big = protocol::seal(
        &k,
        &fp,
        10,
        KioskMessage::Pair {
            label: "x".repeat(300 * 1024),
            commitment: String::new(),
        },
    );
    let r = raw_exchange(&mut ws, serde_json::to_string(&big).unwrap()).await;
    assert_eq!(err_code(&r), "hub.too_large");

    let mut forged = protocol::seal(&k, &fp, 11, join("Léa", "Bernard", "2010-12-31"));
    forged.payload = forged.payload.replace("Bernard", "Bernarc");
    let r = raw_exchange(&mut ws, serde_json::to_string(&forged).unwrap()).await;
    assert_eq!(err_code(&r), "hub.bad_signature");

    let other_hub = protocol::seal(&k, &"ab".repeat(32), 12, KioskMessage::Hello);
    let r = raw_exchange(&mut ws, serde_json::to_string(&other_hub).unwrap()).await;
    assert_eq!(err_code(&r), "hub.other_hub");

    let stranger = key();
    let unknown = protocol::seal(
        &stranger,
        &fp,
        u64::MAX / 4,
        join("Léa", "Bernard", "2010-12-31"),
    );
    let r = raw_exchange(&mut ws, serde_json::to_string(&unknown).unwrap()).await;
    assert_eq!(err_code(&r), "room.unknown_station");

    // Numbered before this room existed (kiosks number in microseconds since the epoch): a
    // frame from an earlier session of the same hub identity, refused whoever sends it.
    let earlier = protocol::seal(&k, &fp, 13, KioskMessage::Hello);
    let r = raw_exchange(&mut ws, serde_json::to_string(&earlier).unwrap()).await;
    assert_eq!(err_code(&r), "hub.replay");

    // A frame recorded off the wire and sent again is refused, on this connection or another.
    let good = serde_json::to_string(&protocol::seal(
        &k,
        &fp,
        u64::MAX / 2,
        join("léa", " BERNARD ", "2010-12-31"),
    ))
    .unwrap();
    let r = raw_exchange(&mut ws, good.clone()).await;
    assert!(
        matches!(
            r,
            HubMessage::Ok {
                reply: Reply::Joined { .. },
                ..
            }
        ),
        "{r:?}"
    );
    let r = raw_exchange(&mut ws, good.clone()).await;
    assert_eq!(err_code(&r), "hub.replay");
    let mut ws2 = connect_socket(hub.addr, hub.hub.fingerprint(), "/v1/kiosk")
        .await
        .unwrap();
    let r = raw_exchange(&mut ws2, good).await;
    assert_eq!(err_code(&r), "hub.replay");

    // Binary frames get an error too; the hub still answers afterwards.
    ws.send(Message::Binary(vec![0u8; 16].into()))
        .await
        .unwrap();
    let next = loop {
        if let Message::Text(t) = ws.next().await.unwrap().unwrap() {
            break serde_json::from_str::<HubMessage>(&t).unwrap();
        }
    };
    assert_eq!(err_code(&next), "hub.malformed");
    let hello = protocol::seal(&k, &fp, u64::MAX / 2 + 1, KioskMessage::Hello);
    let r = raw_exchange(&mut ws, serde_json::to_string(&hello).unwrap()).await;
    assert!(
        matches!(
            r,
            HubMessage::Ok {
                reply: Reply::State { .. },
                ..
            }
        ),
        "{r:?}"
    );

    let log = certroom_hub::store::RefusalLog::open(dir.path()).unwrap();
    let codes: Vec<String> = log
        .refusals()
        .unwrap()
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    for code in [
        "hub.malformed",
        "hub.too_large",
        "hub.bad_signature",
        "hub.other_hub",
        "hub.replay",
    ] {
        assert!(
            codes.iter().any(|c| c == code),
            "{code} not recorded in {codes:?}"
        );
    }
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_matching_normalises_and_refuses_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let hub = start(dir.path()).await;
    let k = key();
    enrol(&hub, &k).await;
    let l = link(&hub, &k).await;
    let refused = |r: Result<Reply, LinkError>| match r {
        Err(LinkError::Refused(w)) => (w.code, w.message_fr),
        other => panic!("{other:?}"),
    };
    let (code, fr) = refused(
        l.request(join("Zoé", "N'Diaye-Lefèvre", "15/03/2011"))
            .await,
    );
    assert_eq!(code, "room.identity_not_found");
    assert!(fr.contains("date de naissance"), "{fr}");
    let (code, _) = refused(
        l.request(KioskMessage::Join {
            session: 9,
            first_name: "Zoé".into(),
            birth_name: "x".into(),
            birthdate: "14/03/2011".into(),
        })
        .await,
    );
    assert_eq!(code, "room.wrong_session");
    let (code, _) = refused(l.request(join("Zoé", "Ndiaye", "31/02/2011")).await);
    assert_eq!(code, "room.invalid");
    let r = l
        .request(join("ZOE", "n diaye lefevre", "14/03/2011"))
        .await
        .unwrap();
    assert!(
        matches!(r, Reply::Joined { ref candidate } if candidate.id == 1),
        "{r:?}"
    );
    let (code, _) = refused(
        l.request(KioskMessage::Ready {
            access_code: "BCDF24".into(),
        })
        .await,
    );
    assert_eq!(code, "room.access_code");
    assert_eq!(
        l.request(KioskMessage::Ready {
            access_code: "bcdf23".into()
        })
        .await
        .unwrap(),
        Reply::Waiting
    );
    let tile = hub
        .hub
        .view()
        .tiles
        .into_iter()
        .find(|t| t.candidate == 1)
        .unwrap();
    assert_eq!(tile.status, TileStatus::WaitingAuthorization);
    assert!(tile.needs_action);

    // The same candidate on a second PC is refused: the invigilator moves them.
    let k2 = key();
    enrol(&hub, &k2).await;
    let l2 = link(&hub, &k2).await;
    let (code, _) = refused(
        l2.request(join("Zoé", "N'Diaye-Lefèvre", "2011-03-14"))
            .await,
    );
    assert_eq!(code, "room.candidate_elsewhere");
    hub.stop().await;
}

fn journal_for(dir: &std::path::Path, candidate: i64) -> (Journal, String) {
    let mut j = Journal::open(&dir.join("journal.db")).unwrap();
    let test = format!("T-{candidate}");
    j.create_test(TestHeader::new(
        &test,
        "4217",
        candidate.to_string(),
        42,
        "engine-1",
        Hash::of(&[b"bank"]),
    ))
    .unwrap();
    (j, test)
}

fn records_msg(j: &Journal, test: &str, after: u64) -> KioskMessage {
    let bytes = j.chain_bytes(test, after).unwrap();
    KioskMessage::Records {
        test_id: test.into(),
        header: (after == 0).then(|| String::from_utf8(bytes.header).unwrap()),
        head: None,
        bodies: bytes
            .bodies
            .into_iter()
            .map(|b| String::from_utf8(b).unwrap())
            .collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_alerts_and_a_hub_restart_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let kiosk_dir = tempfile::tempdir().unwrap();
    let hub = start(dir.path()).await;
    let k = key();
    enrol(&hub, &k).await;
    let counter = Arc::new(AtomicU64::new(0));
    let (l, mut commands) =
        KioskLink::connect(hub.addr, hub.hub.fingerprint(), k.clone(), counter.clone())
            .await
            .unwrap();
    l.request(join("Jean-Pierre", "MARTIN", "02/07/2011"))
        .await
        .unwrap();
    l.request(KioskMessage::Ready {
        access_code: "BCDF23".into(),
    })
    .await
    .unwrap();

    let auth = hub.hub.sign_in(4217, PASSWORD).unwrap();
    assert!(hub.hub.sign_in(4217, "nope").is_err());
    hub.hub
        .command(&auth, ConsoleCommand::Authorize { candidate: 2 })
        .unwrap();
    let again = hub
        .hub
        .command(&auth, ConsoleCommand::Authorize { candidate: 2 });
    assert_eq!(
        again.unwrap_err().code,
        "room.not_waiting",
        "an authorization is single-use"
    );
    let (id, cmd) = commands.recv().await.unwrap();
    let certroom_protocol::KioskCommand::Authorize {
        resume,
        bank_key,
        chain,
    } = cmd
    else {
        panic!()
    };
    assert!(!resume && chain.is_none());
    assert_eq!(
        bank_key, "salle-demo-2026",
        "the bank key is handed over after the join"
    );

    let (mut j, test) = journal_for(kiosk_dir.path(), 2);
    j.append(&test, &Event::Joined).unwrap();
    j.append(
        &test,
        &Event::Authorized {
            by: "invigilator".into(),
            resume: false,
        },
    )
    .unwrap();
    j.append(
        &test,
        &Event::QuestionShown {
            index: 0,
            item_id: "q1".into(),
            draw: serde_json::json!(0.5),
        },
    )
    .unwrap();
    let r = l.request(records_msg(&j, &test, 0)).await.unwrap();
    assert_eq!(
        r,
        Reply::Synced {
            test_id: test.clone(),
            last_seq: 3
        }
    );
    l.request(KioskMessage::Done { command: id }).await.unwrap();
    j.append(
        &test,
        &Event::FocusLost {
            cause: FocusCause::Window,
        },
    )
    .unwrap();
    j.append(
        &test,
        &Event::AlertRaised {
            item_id: "q1".into(),
        },
    )
    .unwrap();
    // The same records twice (a resend after a reconnect) are taken once.
    l.request(records_msg(&j, &test, 2)).await.unwrap();
    let r = l.request(records_msg(&j, &test, 3)).await.unwrap();
    assert_eq!(
        r,
        Reply::Synced {
            test_id: test.clone(),
            last_seq: 5
        }
    );
    let tile = hub.hub.view().tiles.into_iter().next().unwrap();
    assert_eq!(
        (tile.candidate, tile.status),
        (2, TileStatus::Alert),
        "the alert comes first"
    );
    assert_eq!(tile.focus_losses, 1);

    hub.hub
        .command(
            &auth,
            ConsoleCommand::ResolveAlert {
                candidate: 2,
                validated: true,
                incident: Some("E1".into()),
            },
        )
        .unwrap();
    let (_, cmd) = commands.recv().await.unwrap();
    assert!(matches!(
        cmd,
        certroom_protocol::KioskCommand::ResolveAlert {
            validated: true,
            ..
        }
    ));
    let before = hub.hub.view();

    // Kill the hub mid-session and start it again from its record.
    hub.stop().await;
    drop(l);
    let hub = start(dir.path()).await;
    assert_eq!(
        hub.hub.view(),
        before,
        "the restarted hub is exactly where it was"
    );
    let (l, _commands) = KioskLink::connect(hub.addr, hub.hub.fingerprint(), k.clone(), counter)
        .await
        .unwrap();
    let Reply::State { station: state } = l.request(KioskMessage::Hello).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        state.synced_seq, 5,
        "the kiosk learns what the hub holds and sends the rest"
    );
    j.append(
        &test,
        &Event::AlertResolved {
            item_id: "q1".into(),
            validated: true,
            incident: Some("E1".into()),
        },
    )
    .unwrap();
    let r = l
        .request(records_msg(&j, &test, state.synced_seq))
        .await
        .unwrap();
    assert_eq!(
        r,
        Reply::Synced {
            test_id: test.clone(),
            last_seq: 6
        }
    );
    let tile = hub
        .hub
        .view()
        .tiles
        .into_iter()
        .find(|t| t.candidate == 2)
        .unwrap();
    assert_eq!(tile.incidents.len(), 1);
    assert_eq!(tile.incidents[0].code, "E1");

    // Finalization needs every unfinished test ended and given an abort reason.
    let err = hub
        .hub
        .command(&auth, ConsoleCommand::Finalize)
        .unwrap_err();
    assert_eq!(err.code, "room.tests_running");
    hub.stop().await;
}
