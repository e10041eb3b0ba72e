//! The console's outbox against the real service on loopback (SQLite, and PostgreSQL when
//! configured): the service unreachable, then reachable; a console that died after its upload
//! reached the service sends again after its restart: one record, the same receipt.

mod common;

use std::time::Duration;

use certroom_sync::{Outbox, State, Uploader};
use common::{backends, codes, Env};

async fn outbox_exactly_once(b: &common::Backend) {
    let mut env = Env::new(b).await;
    let spec = env.session_spec(3);
    let bundle = env.room.session(&spec).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.db");

    // The service is unreachable: the bundle waits, the attempt is recorded and rescheduled.
    {
        let outbox = Outbox::open(&path).unwrap();
        outbox.add(&bundle).unwrap();
        let dead = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let up = Uploader::new(&format!("http://{dead}"), [0; 32]).unwrap();
        let p = up.run_once(&outbox).await.unwrap();
        assert_eq!((p.sent, p.failed, p.pending), (0, 1, 1));
        assert_eq!(outbox.items().unwrap()[0].attempts, 1);
    }

    // Meanwhile an upload from before a console crash reached the service, unacknowledged.
    let (status, direct) = env.upload(&bundle).await;
    assert_eq!(status, 201, "{direct}");

    // The console restarts: the outbox still holds the bundle and sends it again.
    let outbox = Outbox::open(&path).unwrap();
    let key = certroom_sync::fetch_server_key(&env.url("")).await.unwrap();
    let key: [u8; 32] = certroom_core::hash::from_hex(&key)
        .unwrap()
        .try_into()
        .unwrap();
    let up = Uploader::new(&env.url(""), key).unwrap();
    let p = up.drain(&outbox, Duration::from_secs(30)).await.unwrap();
    assert_eq!((p.sent, p.pending), (1, 0));
    let item = outbox.items().unwrap().remove(0);
    assert_eq!(item.state, State::Sent);
    let receipt: serde_json::Value =
        serde_json::from_str(item.receipt.as_deref().unwrap()).unwrap();
    assert_eq!(
        receipt, direct,
        "the same receipt: one record on the service"
    );
    let session = env.session(spec.number).await;
    assert_eq!(codes(&session).len(), 3, "one set of codes: {session}");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_sends_once_through_an_outage_and_a_console_restart() {
    for b in backends("outbox") {
        outbox_exactly_once(&b).await;
    }
}
