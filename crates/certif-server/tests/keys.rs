//! The service's keys over time, against the real service on loopback: certificates signed by
//! key 1, `keys rotate`, then `keys revoke 1`, with a console and an office that pinned key 1
//! following each step (docs/certificate-format.md §10).

mod common;

use certif_server::keyring;
use certif_server::signer::Signer;
use certroom_certificate::{KeyError, ServiceKeys, VerifyError};
use certroom_sync::{Outbox, State, Uploader};
use common::{codes, Backend, Env, BASE_URL};

fn signer(dir: &std::path::Path) -> Signer {
    Signer::from_keyring(keyring::load_or_create(dir).unwrap(), BASE_URL, None).unwrap()
}

/// The QR texts of a published session's certificates.
fn qr_texts(session: &serde_json::Value) -> Vec<String> {
    session["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["certification"]["qr_text"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_keeps_what_key_1_signed_and_revocation_refuses_it_everywhere() {
    let keys = tempfile::tempdir().unwrap();
    let mut env = Env::with_signer(&Backend::Sqlite, signer(keys.path())).await;
    let key1 = env.app.service.signer.public_key();

    // Session A, signed by key 1; a console and an office pin key 1.
    let spec = env.session_spec(3);
    let bundle = env.room.session(&spec).unwrap();
    assert_eq!(env.upload(&bundle).await.0, 201);
    let session_a = env.session(spec.number).await;
    let qr_a = qr_texts(&session_a);
    assert_eq!(qr_a.len(), 3);
    for qr in &qr_a {
        assert_eq!(certroom_certificate::key_id(qr), Ok(1));
    }
    let mut office = ServiceKeys::from(key1);

    // `certif-server keys rotate`, then a restart: key 2 signs from now on.
    let rotated = keyring::rotate(keys.path()).unwrap();
    assert_eq!(rotated.current_id, 2);
    env.restart_with(signer(keys.path())).await;
    let set: certroom_certificate::KeySet = env.get_public("/v1/keys").await;
    assert_eq!(set.keys.len(), 2);
    assert_eq!(office.accept(set.clone()), Ok(true));

    // The console (key 1 pinned, no set yet) sends session B: the receipt is key 2's; it takes
    // the key set from the service, endorsed by key 1, and records the receipt.
    let spec_b = env.session_spec(2);
    let bundle_b = env.room.session(&spec_b).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(&dir.path().join("outbox.db")).unwrap();
    outbox.add(&bundle_b).unwrap();
    let up = Uploader::new(&env.url(""), key1).unwrap();
    let p = up.run_once(&outbox).await.unwrap();
    assert_eq!(
        (p.sent, p.pending),
        (1, 0),
        "{:?}",
        outbox.items().unwrap()[0].last_error
    );
    let item = outbox.items().unwrap().remove(0);
    assert_eq!(item.state, State::Sent);
    let receipt: certroom_protocol::Receipt =
        serde_json::from_str(item.receipt.as_deref().unwrap()).unwrap();
    assert_eq!(receipt.key_id, 2);
    assert_eq!(up.keys().set(), Some(&set));

    // Old certificates verify still; new ones name key 2 and verify with the set, but not with
    // key 1 alone.
    let qr_b = qr_texts(&env.session(spec_b.number).await);
    assert_eq!(certroom_certificate::key_id(&qr_b[0]), Ok(2));
    assert!(certroom_certificate::verify(&qr_a[0], &office).is_ok());
    assert!(certroom_certificate::verify(&qr_b[0], &office).is_ok());
    assert_eq!(
        certroom_certificate::verify(&qr_b[0], &ServiceKeys::from(key1)),
        Err(VerifyError::BadSignature)
    );

    // `certif-server keys revoke 1` (it leaked), then a restart.
    keyring::revoke(keys.path(), 1, "clé divulguée").unwrap();
    env.restart_with(signer(keys.path())).await;
    let revoked: certroom_certificate::KeySet = env.get_public("/v1/keys").await;
    assert_eq!(office.accept(revoked.clone()), Ok(true));
    assert!(matches!(
        certroom_certificate::verify(&qr_a[0], &office),
        Err(VerifyError::Key(KeyError::Revoked { id: 1, .. }))
    ));
    // A service (or a man in the middle) serving the set from before cannot undo it.
    assert_eq!(office.clone().accept(set), Err(KeyError::Unrevoked(1)));

    // The results the office downloads carry session A's certificates signed again by key 2,
    // and the signed file is key 2's: the office reprints certificates that verify.
    let file = certroom_sync::fetch_results(&env.url(""), &env.uai, &env.centre_token)
        .await
        .unwrap();
    let results = certif_server::results_file::read(&file, &office).unwrap();
    let a = results
        .sessions
        .iter()
        .find(|s| s.session_number == spec.number)
        .unwrap();
    let reissued: Vec<_> = a
        .candidates
        .iter()
        .filter_map(|c| c.certification.as_ref()?.qr_text.clone())
        .collect();
    assert_eq!(reissued.len(), 3);
    for (old, new) in qr_a.iter().zip(&reissued) {
        assert_eq!(certroom_certificate::key_id(new), Ok(2));
        let claims = certroom_certificate::verify(new, &office).unwrap();
        assert_eq!(
            claims,
            certroom_certificate::verify_with(old, &key1).unwrap()
        );
    }

    // The public page: the revoked payload no longer proves holding the certificate; the
    // reissued one does.
    let code = &codes(&session_a)[0];
    let payload = |qr: &str| qr.rsplit_once('#').unwrap().1.to_owned();
    let (_, v) = env
        .verify_json(&format!("{code}?payload={}", payload(&qr_a[0])))
        .await;
    assert_eq!(v["full_name"].as_bool(), Some(false), "{v}");
    let (_, v) = env
        .verify_json(&format!("{code}?payload={}", payload(&reissued[0])))
        .await;
    assert_eq!(v["full_name"].as_bool(), Some(true), "{v}");
    env.finish().await;
}
