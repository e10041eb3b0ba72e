//! The outbox against a stand-in service on loopback: down, then up; a reply lost after the
//! service stored the bundle; a console restart. One record on the service, one receipt here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use certroom_sync::Receipt;
use certroom_sync::{Outbox, State, Uploader};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};

fn bundle() -> Vec<u8> {
    let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let key = Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap();
    let input = certroom_bundle::BundleInput {
        centre: certroom_bundle::Centre {
            uai: "0750654D".into(),
            name: "Lycée Henri-IV".into(),
        },
        session: certroom_bundle::SessionInfo {
            number: 12,
            date: chrono::NaiveDate::from_ymd_opt(2027, 3, 12).unwrap(),
            site: "Lycée Henri-IV".into(),
            room: "B12".into(),
            questions: 32,
        },
        candidates: vec![certroom_bundle::CandidateEntry {
            candidate_id: 1,
            birth_name: "N'Diaye-Lefèvre".into(),
            first_name: "Zoé".into(),
            birthdate: chrono::NaiveDate::from_ymd_opt(2010, 2, 14).unwrap(),
            local_id: None,
            sex: None,
            outcome: certroom_bundle::Outcome::Absent,
            abort_reason: certroom_bundle::AbortReason::None,
            incidents: vec![],
            test_id: None,
        }],
        journals: vec![],
        stations: vec![],
        comment: String::new(),
        finalized_at: "2027-03-12T10:00:00.000Z".into(),
        bank_hash: certroom_core::Hash([7; 32]),
        engine_version: "engine-1".into(),
        app_version: "test".into(),
    };
    certroom_bundle::write(&input, &key).unwrap()
}

fn key_pair() -> Arc<Ed25519KeyPair> {
    let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    Arc::new(Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap())
}

fn public(key: &Ed25519KeyPair) -> [u8; 32] {
    key.public_key().as_ref().try_into().unwrap()
}

/// A stand-in service: idempotent by content hash; can be told to lose its next reply; signs
/// its receipts with `key`.
#[derive(Clone)]
struct Service {
    key: Arc<Ed25519KeyPair>,
    records: Arc<Mutex<HashMap<String, String>>>,
    lose_next_reply: Arc<Mutex<bool>>,
}

impl Service {
    fn new(key: Arc<Ed25519KeyPair>) -> Self {
        Service {
            key,
            records: Arc::default(),
            lose_next_reply: Arc::default(),
        }
    }
}

async fn ingest(AxState(s): AxState<Service>, body: Bytes) -> (StatusCode, String) {
    let v = certroom_bundle::verify(&body, None).unwrap();
    let hash = hex::encode(ring::digest::digest(&ring::digest::SHA256, &body).as_ref());
    let receipt = Receipt::sign(&s.key, 1, &v.manifest.bundle_id, &hash, "now", "published");
    let receipt = serde_json::to_string(&receipt).unwrap();
    s.records
        .lock()
        .unwrap()
        .entry(hash)
        .or_insert(receipt.clone());
    let mut lose = s.lose_next_reply.lock().unwrap();
    if *lose {
        *lose = false;
        return (StatusCode::SERVICE_UNAVAILABLE, "stored, reply lost".into());
    }
    (StatusCode::OK, receipt)
}

async fn serve(listener: tokio::net::TcpListener, s: Service) {
    let app = Router::new()
        .route("/v1/bundles", post(ingest))
        .with_state(s);
    axum::serve(listener, app).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_is_down_then_up_and_a_lost_reply_and_a_restart_still_make_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.db");
    let bytes = bundle();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    {
        let outbox = Outbox::open(&path).unwrap();
        let item = outbox.add(&bytes).unwrap();
        assert_eq!(outbox.add(&bytes).unwrap().id, item.id, "queued once");
        assert!(
            outbox.add(b"not a bundle").is_err(),
            "a broken bundle is refused at once"
        );
        let up = Uploader::new(&base, [0; 32])
            .unwrap()
            .with_base_delay(Duration::from_millis(50));
        // Down: the attempt is recorded and scheduled again, later each time.
        let p = up.run_once(&outbox).await.unwrap();
        assert_eq!((p.sent, p.failed, p.pending), (0, 1, 1));
        let first = outbox.items().unwrap()[0].clone();
        assert_eq!(first.attempts, 1);
        assert!(first.last_error.as_deref().unwrap().contains("injoignable"));
        tokio::time::sleep(Duration::from_millis(60)).await;
        up.run_once(&outbox).await.unwrap();
        let second = outbox.items().unwrap()[0].clone();
        assert!(second.next_attempt_ms > first.next_attempt_ms);
    }
    // The console restarts; the service comes up but loses its first reply after storing.
    let key = key_pair();
    let service = Service::new(key.clone());
    *service.lose_next_reply.lock().unwrap() = true;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(serve(listener, service.clone()));
    let outbox = Outbox::open(&path).unwrap();
    let up = Uploader::new(&base, public(&key))
        .unwrap()
        .with_base_delay(Duration::from_millis(20));
    let p = up.drain(&outbox, Duration::from_secs(20)).await.unwrap();
    assert_eq!(p.pending, 0);
    let item = outbox.items().unwrap().remove(0);
    assert_eq!(item.state, State::Sent);
    assert!(item.attempts >= 3);
    let receipt: certroom_sync::Receipt =
        serde_json::from_str(item.receipt.as_deref().unwrap()).unwrap();
    assert_eq!(receipt.content_hash, item.content_hash);
    assert_eq!(
        service.records.lock().unwrap().len(),
        1,
        "exactly one record on the service"
    );
    // Nothing more is sent once the receipt is stored.
    let p = up.run_once(&outbox).await.unwrap();
    assert_eq!((p.sent, p.failed, p.pending), (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_is_final_and_kept_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("outbox.db")).unwrap();
    outbox.add(&bundle()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route(
        "/v1/bundles",
        post(|| async {
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                r#"{"code":"bundle.untrusted_console"}"#,
            )
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let up = Uploader::new(&format!("http://{addr}"), [0; 32]).unwrap();
    let p = up.run_once(&outbox).await.unwrap();
    assert_eq!((p.rejected, p.pending), (1, 0));
    let item = outbox.items().unwrap().remove(0);
    assert_eq!(item.state, State::Rejected);
    assert!(item.last_error.unwrap().contains("untrusted_console"));
}

/// A receipt signed by another key (a service impersonated, or the wrong key pinned) is no
/// receipt: the bundle stays pending, with the reason, and is sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_not_signed_by_the_pinned_key_leaves_the_bundle_pending() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("outbox.db")).unwrap();
    outbox.add(&bundle()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let impostor = Service::new(key_pair());
    tokio::spawn(serve(listener, impostor));
    let pinned = key_pair();
    let up = Uploader::new(&format!("http://{addr}"), public(&pinned)).unwrap();
    let p = up.run_once(&outbox).await.unwrap();
    assert_eq!((p.sent, p.failed, p.pending), (0, 1, 1));
    let item = outbox.items().unwrap().remove(0);
    assert_eq!(item.state, State::Pending);
    assert!(item.receipt.is_none());
    assert!(item.last_error.unwrap().contains("non signé"));
}

/// After the receipt, the outbox asks the service where the bundle stands until it says
/// something final, and keeps only answers signed by the pinned key; a refused bundle can be
/// put back in line, a received one cannot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_status_is_read_back_until_final_and_a_refusal_can_be_sent_again() {
    use axum::extract::Path as AxPath;
    use axum::routing::get;
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("outbox.db")).unwrap();
    let key = key_pair();
    let service = Service::new(key.clone());
    let status = Arc::new(Mutex::new("pending_jury".to_owned()));
    let (k, st) = (key.clone(), status.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/v1/bundles", post(ingest))
        .with_state(service)
        .route(
            "/v1/bundles/{id}/status",
            get(move |AxPath(id): AxPath<String>| async move {
                let now = st.lock().unwrap().clone();
                serde_json::to_string(&certroom_protocol::BundleStatus::sign(
                    &k,
                    1,
                    &id,
                    &now,
                    "2026-12-05T02:00:00Z",
                ))
                .unwrap()
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let item = outbox.add(&bundle()).unwrap();
    let up = Uploader::new(&format!("http://{addr}"), public(&key)).unwrap();
    up.drain(&outbox, Duration::from_secs(10)).await.unwrap();
    assert!(
        !outbox.send_again(item.id).unwrap(),
        "a received bundle stays"
    );

    assert_eq!(up.read_back(&outbox).await, Ok(1));
    let read = outbox.items().unwrap().remove(0);
    assert_eq!(read.service_status.as_deref(), Some("pending_jury"));
    assert!(read.awaits_service());
    *status.lock().unwrap() = "validated".into();
    assert_eq!(up.read_back(&outbox).await, Ok(1));
    let read = outbox.items().unwrap().remove(0);
    assert_eq!(read.service_status.as_deref(), Some("validated"));
    assert!(!read.awaits_service());
    assert_eq!(up.read_back(&outbox).await, Ok(0), "final: not asked again");

    // An answer signed by another key is not kept.
    let other = Outbox::open(&dir.path().join("other.db")).unwrap();
    other.add(&bundle()).unwrap();
    let impostor = Uploader::new(&format!("http://{addr}"), [7; 32]).unwrap();
    let first = other.items().unwrap().remove(0);
    other.record_receipt(first.id, "{}").unwrap();
    assert!(impostor.read_back(&other).await.is_err());
    assert_eq!(other.items().unwrap()[0].service_status, None);

    // A refusal is put back in line by "send again", attempts reset.
    let refused = Outbox::open(&dir.path().join("refused.db")).unwrap();
    let r = refused.add(&bundle()).unwrap();
    refused.record_rejection(r.id, "clé inconnue").unwrap();
    assert!(refused.send_again(r.id).unwrap());
    let again = refused.items().unwrap().remove(0);
    assert_eq!(
        (again.state, again.attempts, again.last_error),
        (State::Pending, 0, None)
    );
}
