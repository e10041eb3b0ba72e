//! The jury's pages over loopback HTTP, as a browser posts them: sign-in with a member's
//! credential, the session page showing what the jury needs, forms refused without the
//! sign-in's CSRF token or from another origin, a candidate rejected for fraud and the session
//! validated, each act carrying the member's name.

mod common;

use certif_server::bench::Plan;
use common::browser::{csrf, Browser};
use common::{codes, Env};

#[tokio::test]
async fn a_member_rejects_a_fraud_and_validates_the_session_through_the_pages() {
    let mut env = Env::new(&common::Backend::Sqlite).await;
    let spec = env
        .session_spec(3)
        .plan(1, Plan::Incident("C6".into()))
        .plan(
            2,
            Plan::FocusOut {
                question: 4,
                e10: false,
            },
        );
    let bundle = env.room.session(&spec).unwrap();
    let (status, _) = env.upload(&bundle).await;
    assert_eq!(status, 201);
    let sid = format!("{}-{}", env.uai, spec.number);
    let mut b = Browser::new(&env);

    // Signed out: to the sign-in page; a wrong credential or the admin token is refused.
    let (status, _, location) = b.get("/jury").await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/jury/connexion"))
    );
    let (status, page, _) = b.get("/jury/connexion").await;
    assert_eq!(status, 200);
    assert!(page.contains("Identifiant de membre du jury"), "{page}");
    for wrong in ["jury_0000", common::ADMIN] {
        let (status, page) = b
            .post("/jury/connexion", &[("credential", wrong)], None)
            .await;
        assert_eq!(status, 401);
        assert!(page.contains("Identifiant inconnu"), "{page}");
    }
    let credential = env.jury.clone();
    let (status, _) = b
        .post("/jury/connexion", &[("credential", &credential)], None)
        .await;
    assert_eq!(status, 303);

    // The list says why the session waits; the session page shows what the jury needs.
    let (status, page, _) = b.get("/jury").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&sid) && page.contains("incidents signalés"),
        "{page}"
    );
    let (status, page, _) = b.get(&format!("/jury/sessions/{sid}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Mme Durand"), "{page}");
    assert!(page.contains("<strong>C6</strong>"), "{page}");
    assert!(
        page.contains("question 4 : une autre fenêtre a pris le focus"),
        "{page}"
    );
    assert!(page.contains("Neutraliser pour ce candidat"), "{page}");
    let token = csrf(&page);
    let (_, case) = env.jury_get(&format!("/v1/jury/sessions/{sid}")).await;
    let fraud_id = case["candidates"][1]["candidate_id"].as_i64().unwrap();
    let fraud_path = format!("/jury/sessions/{sid}/candidats/{fraud_id}");
    let reject = [("decision", "reject"), ("reason", "Fraude constatée (C6).")];

    // Without the token, with a wrong one, or from another origin: refused, nothing recorded.
    let (status, _) = b.post(&fraud_path, &reject, None).await;
    assert_eq!(status, 403);
    let mut forged = reject.to_vec();
    forged.push((
        "csrf",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ));
    let (status, _) = b.post(&fraud_path, &forged, None).await;
    assert_eq!(status, 403);
    let mut good = reject.to_vec();
    good.push(("csrf", &token));
    let (status, _) = b
        .post(&fraud_path, &good, Some("http://evil.example"))
        .await;
    assert_eq!(status, 403);
    let acts = env
        .app
        .service
        .store
        .jury_acts(case["bundle_id"].as_str().unwrap())
        .await
        .unwrap();
    assert!(acts.is_empty(), "{acts:?}");

    // A reason is required; then the fraud is rejected in the member's name.
    let no_reason = [
        ("csrf", token.as_str()),
        ("decision", "reject"),
        ("reason", " "),
    ];
    let (status, page) = b.post(&fraud_path, &no_reason, None).await;
    assert_eq!(status, 400);
    assert!(page.contains("doit être motivée"), "{page}");
    let (status, page) = b.post(&fraud_path, &good, None).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Décision enregistrée"), "{page}");
    assert!(page.contains("décision de Mme Durand"), "{page}");

    // The session validated by the form: the two others are published, the fraud is not.
    let validate = [
        ("csrf", token.as_str()),
        ("decision", "validate"),
        ("comment", ""),
    ];
    let (status, page) = b
        .post(&format!("/jury/sessions/{sid}/decision"), &validate, None)
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("validée, résultats publiés"), "{page}");
    let session = env.session(spec.number).await;
    assert_eq!(session["status"], "validated");
    assert_eq!(codes(&session).len(), 2);

    // Signing out closes the sign-in: the old cookie opens nothing.
    let old = b.cookie.clone();
    let (status, _) = b.post("/jury/deconnexion", &[("csrf", &token)], None).await;
    assert_eq!(status, 303);
    b.cookie = old;
    let (status, _, location) = b.get("/jury").await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/jury/connexion"))
    );
    env.finish().await;
}
