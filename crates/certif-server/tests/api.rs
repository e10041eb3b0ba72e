//! The service end to end over loopback HTTP: real bundles from a simulated room (real engine,
//! real journals, real signatures), uploaded, verified, replayed, judged and published.

mod common;

use certif_server::bench::Plan;
use certif_server::model::Receipt;
use certroom_bundle::AbortReason;
use certroom_core::codes::is_verification_code;
use certroom_core::engine::AbortCause;
use common::{backends, codes, Env, ADMIN};
use serde_json::{json, Value};

async fn upload_publishes_and_the_code_resolves(b: &common::Backend) {
    let mut env = Env::new(b).await;
    let spec = env.session_spec(4).plan(3, Plan::Absent);
    let bundle = env.room.session(&spec).unwrap();
    let (status, receipt) = env.upload(&bundle).await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["status"], "published");
    let content = certroom_core::Hash::of(&[&bundle]).to_hex();
    assert_eq!(receipt["content_hash"], content);
    // The receipt is signed by the key the service publishes.
    let key: Value = env.get_public("/v1/server-key").await;
    let key: [u8; 32] = certroom_core::hash::from_hex(key["public_key"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let r: Receipt = serde_json::from_value(receipt.clone()).unwrap();
    assert!(r.verify(&key));

    let session = env.session(spec.number).await;
    assert_eq!(session["status"], "published");
    let cands = session["candidates"].as_array().unwrap();
    assert_eq!(cands.len(), 4);
    assert_eq!(cands[3]["status"], "absent");
    assert!(cands[3]["certification"].is_null());
    let codes = codes(&session);
    assert_eq!(codes.len(), 3, "{session}");
    for c in &codes {
        assert!(is_verification_code(c), "{c}");
    }
    let first = &cands[0];
    let cert = &first["certification"];
    assert!(cert["qr_text"].as_str().unwrap().starts_with(&format!(
        "{}/v/{}#",
        common::BASE_URL,
        codes[0]
    )));
    // The QR text verifies offline with the service key, and says what the server published.
    let claims =
        certroom_certificate::verify(cert["qr_text"].as_str().unwrap(), &key.into()).unwrap();
    assert_eq!(claims.code, codes[0]);
    assert_eq!(u32::from(claims.pix), cert["pix"].as_u64().unwrap() as u32);
    assert_eq!(claims.last_name, first["birth_name"].as_str().unwrap());

    // JSON verification.
    let (status, v) = env.verify_json(&codes[0]).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["verification_code"], codes[0]);
    // A code alone shows the first name and the last name's initial.
    let initial = format!(
        "{}.",
        first["birth_name"]
            .as_str()
            .unwrap()
            .chars()
            .next()
            .unwrap()
    );
    assert_eq!(
        (v["last_name"].as_str(), v["full_name"].as_bool()),
        (Some(initial.as_str()), Some(false))
    );
    assert_eq!(v["first_name"], first["first_name"]);
    assert_eq!(v["pix"], cert["pix"]);
    assert_eq!(v["levels"].as_array().unwrap().len(), 16);
    assert_eq!(v["levels"][0]["competence"], "1.1");
    for absent in [
        "birthdate",
        "email",
        "birthplace",
        "candidate_id",
        "local_id",
        // Health-related: never public.
        "needs_adjustment",
        "adjusted_questions",
        "extra_time_percent",
    ] {
        assert!(v.get(absent).is_none(), "{absent} must not be public: {v}");
    }
    // Lower case typed by a person resolves too.
    let (status, _) = env.verify_json(&codes[0].to_lowercase()).await;
    assert_eq!(status, 200);
    // The holder's birthdate, or the QR code's signed payload, shows the full name.
    let birth = first["birthdate"].as_str().unwrap();
    let payload = cert["qr_text"]
        .as_str()
        .unwrap()
        .rsplit_once('#')
        .unwrap()
        .1;
    for proof in [format!("birthdate={birth}"), format!("payload={payload}")] {
        let (status, v) = env.verify_json(&format!("{}?{proof}", codes[0])).await;
        assert_eq!(status, 200);
        assert_eq!(
            (&v["last_name"], v["full_name"].as_bool()),
            (&first["birth_name"], Some(true)),
            "{proof}"
        );
    }
    let (_, v) = env
        .verify_json(&format!("{}?birthdate=2000-01-01", codes[0]))
        .await;
    assert_eq!(v["last_name"], initial.as_str());

    // HTML verification.
    let (status, ctype, page) = env.verify_html(&codes[0]).await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert!(page.contains("<html lang=\"fr\">"));
    assert!(page.contains("Certificat authentique"));
    assert!(page.contains(&codes[0]));
    assert!(page.contains(&format!("{} pix sur", cert["pix"])));
    assert!(!page.contains(birth), "the birthdate is not public");
    assert!(
        page.contains("Date de naissance du titulaire"),
        "a form reveals the full name"
    );
    assert!(!page.contains(&first["birth_name"].as_str().unwrap().to_uppercase()));
    // The QR's own path resolves to the same page.
    let alias = env
        .http
        .get(env.url(&format!("/v/{}", codes[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(alias.status().as_u16(), 200);

    // Unknown code: 404 with a clear message, in both forms.
    let (status, v) = env.verify_json("P-2346789B").await;
    assert_eq!(status, 404);
    assert_eq!(v["code"], "verify.unknown_code");
    assert!(v["message_fr"].as_str().unwrap().contains("P-2346789B"));
    let (status, _, page) = env.verify_html("not-a-code").await;
    assert_eq!(status, 404);
    assert!(page.contains("Code de vérification inconnu"));

    // The signed results file verifies against the service key and matches the JSON.
    let file = env
        .http
        .get(env.url(&format!("/v1/centres/{}/results.signed", env.uai)))
        .bearer_auth(&env.centre_token)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status().as_u16(), 200);
    let bytes = file.bytes().await.unwrap();
    let results = certif_server::results_file::read(&bytes, &key.into()).unwrap();
    let s = results
        .sessions
        .iter()
        .find(|s| s.session_number == spec.number)
        .unwrap();
    let file_codes: Vec<_> = s
        .candidates
        .iter()
        .filter_map(|c| {
            c.certification
                .as_ref()
                .map(|c| c.verification_code.clone())
        })
        .collect();
    assert_eq!(file_codes, codes);

    // The office's download (certroom-sync) gets a file that verifies the same; a wrong token
    // is named as such.
    let base = env.url("");
    let fetched = certroom_sync::fetch_results(&base, &env.uai, &env.centre_token)
        .await
        .unwrap();
    let again = certif_server::results_file::read(&fetched, &key.into()).unwrap();
    assert_eq!(again.sessions, results.sessions);
    assert!(matches!(
        certroom_sync::fetch_results(&base, &env.uai, "not-the-token").await,
        Err(certroom_sync::FetchError::Unauthorized(401 | 403))
    ));
    assert_eq!(
        certroom_sync::fetch_server_key(&base).await.unwrap(),
        certroom_core::hash::to_hex(&key)
    );
    env.finish().await;
}

#[tokio::test]
async fn upload_then_publication_then_the_code_resolves_as_json_and_html() {
    for b in backends("upload_publish_verify") {
        upload_publishes_and_the_code_resolves(&b).await;
    }
}

async fn same_bundle_twice(b: &common::Backend) {
    let mut env = Env::new(b).await;
    let spec = env.session_spec(2);
    let bundle = env.room.session(&spec).unwrap();
    let (s1, r1) = env.upload(&bundle).await;
    let (s2, r2) = env.upload(&bundle).await;
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(r1, r2, "the very same receipt, signature and time included");
    let all = env.results().await;
    let versions: Vec<_> = all["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["session_number"] == spec.number)
        .collect();
    assert_eq!(versions.len(), 1);
    assert_eq!(
        codes(versions[0]).len(),
        2,
        "no second set of certifications"
    );
    // Through the offline import path too: same receipt.
    let again = env.app.service.ingest(bundle.clone()).await.unwrap();
    assert!(!again.created);
    assert_eq!(serde_json::to_value(&again.receipt).unwrap(), r1);
    env.finish().await;
}

#[tokio::test]
async fn the_same_bundle_twice_is_one_record_with_the_same_receipt() {
    for b in backends("same_bundle_twice") {
        same_bundle_twice(&b).await;
    }
}

async fn tampered(b: &common::Backend) {
    let mut env = Env::new(b).await;
    let spec = env.session_spec(2);
    let bundle = env.room.session(&spec).unwrap();

    // A byte of the last journal (its signed head) changed after the console signed.
    let mut t = bundle.clone();
    let last = t.len() - 1;
    t[last] ^= 0x01;
    let (status, body) = env.upload(&t).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["reason"], "tampered");
    assert_eq!(body["code"], "bundle.journal_hash");
    assert!(body["message_fr"].as_str().unwrap().contains("modifié"));

    // A byte of the manifest: the console's signature no longer matches.
    let c = certroom_bundle::Container::parse(&bundle).unwrap();
    let at = bundle
        .windows(c.manifest.len())
        .position(|w| w == c.manifest.as_slice())
        .unwrap();
    let mut m = bundle.clone();
    m[at + 20] ^= 0x20;
    let (status, body) = env.upload(&m).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["reason"], "bad_signature");
    assert_eq!(body["code"], "bundle.signature");

    // Not a bundle at all, and a truncated one.
    let (status, body) = env.upload(b"hello").await;
    assert_eq!((status, body["reason"].as_str()), (422, Some("malformed")));
    let (status, body) = env.upload(&bundle[..bundle.len() / 2]).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("bundle.truncated"))
    );

    // Nothing was stored; the genuine bundle still goes in.
    assert!(env.session(spec.number).await.is_null());
    let (status, _) = env.upload(&bundle).await;
    assert_eq!(status, 201);
    env.finish().await;
}

#[tokio::test]
async fn a_tampered_bundle_is_rejected_with_its_reason() {
    for b in backends("tampered") {
        tampered(&b).await;
    }
}

async fn console_keys(b: &common::Backend) {
    let mut env = Env::new(b).await;
    let registered = env.room.console_key_hex();
    let spec = env.session_spec(1);
    let before_revocation = env.room.session(&spec).unwrap();

    // An unregistered console.
    env.room.replace_console().unwrap();
    let spec2 = env.session_spec(1);
    let foreign = env.room.session(&spec2).unwrap();
    let (status, body) = env.upload(&foreign).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["reason"], "unknown_console");
    assert_eq!(body["code"], "ingest.unknown_console");

    // A revoked console: even a bundle signed before the revocation is refused.
    let (status, body) = env
        .admin_post(
            &format!("/admin/centres/{}/consoles/{registered}/revoke", env.uai),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["revoked_at"].is_string());
    let (status, body) = env.upload(&before_revocation).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["reason"], "revoked_console");
    // A revoked key cannot come back.
    let (status, body) = env
        .admin_post(
            &format!("/admin/centres/{}/consoles", env.uai),
            json!({"public_key": registered}),
        )
        .await;
    assert_eq!(status, 409, "{body}");

    // A console registered for another centre cannot sign for this one.
    let other = certif_server::service::uai_for(130_001);
    let (status, _) = env
        .admin_post(
            "/admin/centres",
            json!({"uai": other, "name": "Lycée Autre"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = env
        .admin_post(
            &format!("/admin/centres/{other}/consoles"),
            json!({"public_key": env.room.console_key_hex()}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = env.upload(&foreign).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "ingest.console_of_another_centre");
    env.finish().await;
}

#[tokio::test]
async fn unregistered_revoked_and_foreign_console_keys_are_rejected() {
    for b in backends("console_keys") {
        console_keys(&b).await;
    }
}

async fn unknown_bank(b: &common::Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (service, pg) = common::service_on(b, dir.path(), None).await;
    let app = certif_server::App::from_service(service.clone(), Some(ADMIN));
    let room_dir = dir.path().join("room");
    std::fs::create_dir_all(&room_dir).unwrap();
    let mut room = certif_server::bench::RoomSim::new(
        &room_dir,
        std::path::Path::new(certif_server::bench::SAMPLE_BANK_DIR),
        11,
    )
    .unwrap();
    let uai = certif_server::service::uai_for(750_654);
    service.enrol_centre(&uai, "Collège").await.unwrap();
    service
        .register_console(&uai, &room.console_key_hex())
        .await
        .unwrap();
    let bundle = room
        .session(&certif_server::bench::SessionSpec::new(&uai, 12, 1))
        .unwrap();
    let server = certif_server::bench::spawn(&app).await.unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/v1/bundles", server.base))
        .body(bundle.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["reason"], "unknown_bank");
    assert!(body["message_en"]
        .as_str()
        .unwrap()
        .contains(&room.bank_hash()));
    // Once the bank is uploaded, the same bundle is accepted.
    room.register(&service, &uai, "Collège").await.unwrap();
    assert!(service.ingest(bundle).await.unwrap().created);
    drop(server);
    if let Some((url, schema)) = pg {
        certif_server::bench::drop_schema(&url, &schema).await;
    }
}

#[tokio::test]
async fn a_bundle_naming_an_unknown_bank_is_rejected() {
    for b in backends("unknown_bank") {
        unknown_bank(&b).await;
    }
}

async fn incident_jury(b: &common::Backend) {
    let mut env = Env::new(b).await;
    let spec = env.session_spec(3).plan(1, Plan::Incident("C7".into()));
    let bundle = env.room.session(&spec).unwrap();
    let (status, receipt) = env.upload(&bundle).await;
    assert_eq!(status, 201);
    assert_eq!(receipt["status"], "pending_jury");
    let session = env.session(spec.number).await;
    assert_eq!(session["status"], "pending_jury");
    assert!(codes(&session).is_empty(), "nothing public before the jury");

    let (status, cases) = env.jury_get("/v1/jury/sessions").await;
    assert_eq!(status, 200);
    let case = cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["session_number"] == spec.number)
        .unwrap()
        .clone();
    assert_eq!(case["flags"], json!(["incidents"]));
    assert_eq!(case["candidates"][1]["incidents"][0]["code"], "C7");
    let sid = case["session_id"].as_str().unwrap().to_owned();
    assert_eq!(sid, format!("{}-{}", env.uai, spec.number));

    // A rejection needs a reason; a bad decision word is refused.
    let (status, body) = env
        .jury_post(
            &format!("/v1/jury/sessions/{sid}/decision"),
            json!({"decision": "reject"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("jury.comment_required"))
    );
    let (status, _) = env
        .jury_post(
            &format!("/v1/jury/sessions/{sid}/decision"),
            json!({"decision": "maybe"}),
        )
        .await;
    assert_eq!(status, 400);

    let (status, body) = env
        .jury_post(
            &format!("/v1/jury/sessions/{sid}/decision"),
            json!({"decision": "validate", "comment": "Incident sans effet sur le résultat."}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "validated");
    let session = env.session(spec.number).await;
    assert_eq!(session["status"], "validated");
    let published = codes(&session);
    assert_eq!(published.len(), 3);
    let (status, _) = env.verify_json(&published[1]).await;
    assert_eq!(status, 200);
    // Decided once.
    let (status, body) = env
        .jury_post(
            &format!("/v1/jury/sessions/{sid}/decision"),
            json!({"decision": "validate"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("jury.not_pending"))
    );
    let (status, cases) = env.jury_get("/v1/jury/sessions").await;
    assert_eq!(status, 200);
    assert!(cases
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["session_number"] != spec.number));

    // A comment alone also sends a session to the jury, and a cancellation publishes nothing.
    let mut spec = env.session_spec(2);
    spec.comment = "Coupure de courant à 10 h 12.".into();
    let bundle = env.room.session(&spec).unwrap();
    let (_, receipt) = env.upload(&bundle).await;
    assert_eq!(receipt["status"], "pending_jury");
    let sid = format!("{}-{}", env.uai, spec.number);
    let (status, body) = env
        .jury_post(
            &format!("/v1/jury/sessions/{sid}/decision"),
            json!({"decision": "cancel", "comment": "Session à repasser."}),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("cancelled")));
    assert!(codes(&env.session(spec.number).await).is_empty());
    env.finish().await;
}

#[tokio::test]
async fn a_session_with_an_incident_waits_for_the_jury_then_validation_publishes() {
    for b in backends("incident_jury") {
        incident_jury(&b).await;
    }
}

async fn mismatch(b: &common::Backend) {
    let mut env = Env::new(b).await;
    // Candidate 0: the station recorded a question the engine would not have chosen.
    // Candidate 1: stopped after 8 answers; the journal says technical, the finalization says
    // the candidate's fault (cancelled vs rejected).
    let spec = env
        .session_spec(3)
        .plan(0, Plan::ForgedQuestion { at: 5 })
        .plan(
            1,
            Plan::StoppedEarly {
                answers: 8,
                journal: AbortCause::Technical,
                declared: AbortReason::Candidate,
            },
        );
    let bundle = env.room.session(&spec).unwrap();
    let (status, receipt) = env.upload(&bundle).await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["status"], "pending_jury");
    let (_, cases) = env.jury_get("/v1/jury/sessions").await;
    let case = cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["session_number"] == spec.number)
        .unwrap()
        .clone();
    assert_eq!(case["flags"], json!(["mismatch"]));
    let c0 = &case["candidates"][0];
    assert_eq!(c0["status"], "error");
    assert_eq!(c0["mismatch"]["kind"], "replay");
    assert!(c0["mismatch"]["detail"].as_str().unwrap().contains("étape"));
    assert!(c0["score"].is_null());
    let c1 = &case["candidates"][1];
    assert_eq!(c1["status"], "cancelled");
    assert_eq!(c1["mismatch"]["kind"], "abort_reason");
    assert_eq!(c1["score"]["answered"], 8);
    assert!(case["candidates"][2]["mismatch"].is_null());
    assert_eq!(case["candidates"][2]["status"], "validated");

    // The session cannot be validated while a contradicted result is undecided.
    let sid = case["session_id"].as_str().unwrap().to_owned();
    let decide_session = json!({"decision": "validate", "comment": "Poste 4 à examiner."});
    let (status, body) = env
        .jury_post(
            &format!("/v1/jury/sessions/{sid}/decision"),
            decide_session.clone(),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("jury.undecided"))
    );
    assert!(
        body["message_fr"].as_str().unwrap().contains("Décidez"),
        "{body}"
    );
    // Candidate 0 has no score to validate; the jury cancels it, and keeps candidate 1's.
    let (status, body) = env
        .jury_post(
            &format!("/v1/jury/sessions/{sid}/candidates/{}", c0["candidate_id"]),
            json!({"decision": "validate", "reason": "Voir."}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("jury.no_score"))
    );
    for (c, decision) in [(c0, "cancel"), (c1, "cancel")] {
        let (status, body) = env
            .jury_post(
                &format!("/v1/jury/sessions/{sid}/candidates/{}", c["candidate_id"]),
                json!({"decision": decision, "reason": "Poste 4 défaillant."}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["jury"]["member"], "Mme Durand");
    }
    // The jury validates: only the candidate with a trustworthy validated score is published.
    let (status, _) = env
        .jury_post(&format!("/v1/jury/sessions/{sid}/decision"), decide_session)
        .await;
    assert_eq!(status, 200);
    let session = env.session(spec.number).await;
    assert_eq!(codes(&session).len(), 1);
    assert!(session["candidates"][0]["certification"].is_null());
    env.finish().await;
}

#[tokio::test]
async fn a_result_that_differs_from_the_rooms_record_goes_to_the_jury_as_a_mismatch() {
    for b in backends("mismatch") {
        mismatch(&b).await;
    }
}

/// Insider (c): whoever holds the console's key can re-finalize a published session. The
/// correction never publishes on receipt: it waits for the jury with what changed, and the
/// certificates already published answer 200 until the jury decides.
async fn correction(b: &common::Backend) {
    let mut env = Env::new(b).await;
    let spec = env.session_spec(2);
    let first = env.room.session(&spec).unwrap();
    let (_, r1) = env.upload(&first).await;
    assert_eq!(r1["status"], "published");
    let old_codes = codes(&env.session(spec.number).await);
    assert_eq!(old_codes.len(), 2);

    // The centre re-finalizes the same session: a new bundle id for the same centre + session.
    let second = env.room.session(&spec).unwrap();
    let (status, r2) = env.upload(&second).await;
    assert_eq!(status, 201);
    assert_ne!(r1["bundle_id"], r2["bundle_id"]);
    assert_eq!(r2["status"], "pending_jury");
    assert_eq!(env.session(spec.number).await["bundle_id"], r2["bundle_id"]);
    for code in &old_codes {
        let (status, body) = env.verify_json(code).await;
        assert_eq!(status, 200, "{body}");
    }
    let case = jury_case(&env, spec.number).await;
    assert_eq!(case["flags"], json!(["correction"]));
    let sid = case["session_id"].as_str().unwrap().to_owned();
    let decision = |d: &str| json!({"decision": d, "comment": "Correction examinée."});

    // The jury validates the correction: its certificates replace the first ones.
    let (status, _) = env
        .jury_post(
            &format!("/v1/jury/sessions/{sid}/decision"),
            decision("validate"),
        )
        .await;
    assert_eq!(status, 200);
    let new_codes = codes(&env.session(spec.number).await);
    assert_eq!(new_codes.len(), 2);
    assert!(new_codes.iter().all(|c| !old_codes.contains(c)));
    // The old certificates say they were replaced; the old version is still there (its
    // receipt is returned again).
    let (status, body) = env.verify_json(&old_codes[0]).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (410, Some("verify.superseded"))
    );
    let (status, again) = env.upload(&first).await;
    assert_eq!(status, 200);
    assert_eq!(again, r1);

    // A third version, which the jury rejects: the second one is the session again, and its
    // certificates never stopped answering.
    let third = env.room.session(&spec).unwrap();
    let (_, r3) = env.upload(&third).await;
    assert_eq!(r3["status"], "pending_jury");
    let (status, _) = env
        .jury_post(
            &format!("/v1/jury/sessions/{sid}/decision"),
            decision("reject"),
        )
        .await;
    assert_eq!(status, 200);
    let session = env.session(spec.number).await;
    assert_eq!(session["bundle_id"], r2["bundle_id"]);
    assert_eq!(session["status"], "validated");
    for code in &new_codes {
        assert_eq!(env.verify_json(code).await.0, 200);
    }

    // A version finalized earlier than the live one arrives late: kept, marked superseded.
    let mut older_spec = spec.clone();
    older_spec.finalized_at = Some("2020-01-01T00:00:00Z".into());
    let older = env.room.session(&older_spec).unwrap();
    let (status, r4) = env.upload(&older).await;
    assert_eq!(status, 201);
    assert_eq!(r4["status"], "superseded");
    assert_eq!(env.session(spec.number).await["bundle_id"], r2["bundle_id"]);
    env.finish().await;
}

#[tokio::test]
async fn a_corrected_session_supersedes_the_older_version_without_overwriting_it() {
    for b in backends("correction") {
        correction(&b).await;
    }
}

/// The case the jury sees for a session.
async fn jury_case(env: &Env, number: i64) -> Value {
    let (_, cases) = env.jury_get("/v1/jury/sessions").await;
    cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["session_number"] == number)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Insider (a): the console's key re-signs a published session's manifest with two
/// candidates' names and birthdates swapped, under a new bundle id and a later finalization.
/// The stations signed who sat each test: the service refuses it, and the genuine certificates
/// keep answering.
async fn swapped_identities(b: &common::Backend) {
    let mut env = Env::new(b).await;
    let spec = env.session_spec(2);
    let genuine = env.room.session(&spec).unwrap();
    let (_, r1) = env.upload(&genuine).await;
    assert_eq!(r1["status"], "published");
    let forged = common::forge(&genuine, env.room.console_pair(), |m| {
        let fields = ["birth_name", "first_name", "birthdate"];
        let cands = m["candidates"].as_array_mut().unwrap();
        for f in fields {
            let a = cands[0][f].clone();
            cands[0][f] = cands[1][f].clone();
            cands[1][f] = a;
        }
        let id = m["bundle_id"].as_str().unwrap().to_owned();
        m["bundle_id"] = json!(format!("{}0", &id[..id.len() - 1]));
        m["finalization"]["finalized_at"] = json!("2099-01-01T00:00:00Z");
    });
    let (status, body) = env.upload(&forged).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("bundle.identity_mismatch")),
        "{body}"
    );
    assert_eq!(env.session(spec.number).await["bundle_id"], r1["bundle_id"]);
    for code in codes(&env.session(spec.number).await) {
        assert_eq!(env.verify_json(&code).await.0, 200);
    }
    env.finish().await;
}

#[tokio::test]
async fn a_re_signed_manifest_with_two_identities_swapped_is_refused() {
    for b in backends("swapped_identities") {
        swapped_identities(&b).await;
    }
}

/// Insider (b): with the console's and the bank's keys, journals can be rebuilt under new PCs.
/// Those PCs were never declared, or declared after the tests began, by the service's clock:
/// their candidates wait for the jury with the reason.
async fn undeclared_stations(b: &common::Backend) {
    let mut env = Env::new(b).await;
    let pc = env.dir.path().join("made-up-pc");
    std::fs::create_dir_all(&pc).unwrap();
    env.room.replace_station(&pc).unwrap();
    let never_spec = env.session_spec(2);
    let never = env.room.session(&never_spec).unwrap();
    let late_spec = env.session_spec(1);
    let late = env.room.session(&late_spec).unwrap();

    let (status, r) = env.upload(&never).await;
    assert_eq!((status, r["status"].as_str()), (201, Some("pending_jury")));
    let case = jury_case(&env, never_spec.number).await;
    assert_eq!(case["flags"], json!(["station"]));
    for c in case["candidates"].as_array().unwrap() {
        let why = c["station_problem"].as_str().unwrap();
        assert!(why.contains("jamais été déclaré"), "{why}");
    }

    // Declared now, after those tests began: still the jury's.
    let (status, body) = env.declare_stations().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 2, "{body}");
    let (_, r) = env.upload(&late).await;
    assert_eq!(r["status"], "pending_jury");
    let case = jury_case(&env, late_spec.number).await;
    let why = case["candidates"][0]["station_problem"].as_str().unwrap();
    assert!(why.contains("après le début du test"), "{why}");

    // Declared before its tests: published on receipt.
    let spec = env.session_spec(1);
    let in_time = env.room.session(&spec).unwrap();
    let (_, r) = env.upload(&in_time).await;
    assert_eq!(r["status"], "published");

    // The centre sees its declared PCs; another centre's token does not.
    let stations = env
        .http
        .get(env.url(&format!("/v1/centres/{}/stations", env.uai)))
        .bearer_auth(&env.centre_token)
        .send()
        .await
        .unwrap();
    assert_eq!(stations.status().as_u16(), 200);
    let listed: Value = stations.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let anonymous = env
        .http
        .get(env.url(&format!("/v1/centres/{}/stations", env.uai)))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 403);

    // A declaration changed after signing, or for another centre, is refused.
    let mut tampered: Value =
        serde_json::from_slice(&env.room.station_declaration(&env.uai)).unwrap();
    tampered["list"]["stations"][0]["label"] = json!("PC-99");
    let (status, body) = env
        .post_stations(serde_json::to_vec(&tampered).unwrap())
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("stations.invalid"))
    );
    let other = certif_server::service::uai_for(130_002);
    let (status, body) = env
        .post_stations(env.room.station_declaration(&other))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("stations.unknown_console"))
    );
    env.finish().await;
}

#[tokio::test]
async fn tests_signed_by_pcs_declared_late_or_never_wait_for_the_jury() {
    for b in backends("undeclared_stations") {
        undeclared_stations(&b).await;
    }
}

/// Sweeping codes is slowed to a few hundred guesses an hour per client; checking real
/// certificates is never slowed.
#[tokio::test]
async fn sweeping_codes_is_slowed_and_checking_certificates_is_not() {
    let b = &backends("sweep")[0];
    let mut env = Env::new(b).await;
    let spec = env.session_spec(1);
    let bundle = env.room.session(&spec).unwrap();
    env.upload(&bundle).await;
    let code = codes(&env.session(spec.number).await)[0].clone();
    for _ in 0..100 {
        assert_eq!(env.verify_json(&code).await.0, 200);
    }
    for i in 0..6 {
        let (status, _) = env
            .verify_json(&format!("P-2346789{}", ["B", "C", "D", "F", "G", "H"][i]))
            .await;
        assert_eq!(status, 404);
    }
    let r = env
        .http
        .get(env.url("/verify/P-234678JK"))
        .header("accept", "application/json")
        // Not a trusted proxy: the header does not make another client.
        .header("x-forwarded-for", "198.51.100.77")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&wait), "{wait}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "verify.too_many");
    // A client that has been sweeping waits even for a real code; the page says so in French.
    let (status, _, page) = env.verify_html(&code).await;
    assert_eq!(status, 429);
    assert!(page.contains("Trop de vérifications"));
    env.finish().await;
}

async fn auth(b: &common::Backend) {
    let env = Env::new(b).await;
    let c = &env.http;
    let r = c.get(env.url("/v1/jury/sessions")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // The administrator's token decides nothing: the jury's routes want a member.
    for token in ["wrong-token-wrong-token", common::ADMIN] {
        let r = c
            .get(env.url("/v1/jury/sessions"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
    }
    let r = c
        .get(env.url("/admin/jury"))
        .bearer_auth(common::ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // A removed member's credential stops working.
    let gone = env.app.service.add_jury_member("M. Parti").await.unwrap();
    env.app
        .service
        .remove_jury_member("M. Parti")
        .await
        .unwrap();
    let r = c
        .get(env.url("/v1/jury/sessions"))
        .bearer_auth(&gone)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = c
        .get(env.url(&format!("/v1/centres/{}/results", env.uai)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // A centre's token does not open another centre's results.
    let other = certif_server::service::uai_for(130_002);
    let (_, body) = env
        .admin_post("/admin/centres", json!({"uai": other, "name": "Lycée B"}))
        .await;
    let other_token = body["centre_token"].as_str().unwrap();
    let r = c
        .get(env.url(&format!("/v1/centres/{}/results", env.uai)))
        .bearer_auth(other_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // Enrolment checks the UAI and refuses a second enrolment.
    let (status, body) = env
        .admin_post("/admin/centres", json!({"uai": "0750654E", "name": "X"}))
        .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("admin.uai")));
    let (status, _) = env
        .admin_post("/admin/centres", json!({"uai": env.uai, "name": "X"}))
        .await;
    assert_eq!(status, 409);
    let (status, body) = env.admin_post("/admin/centres", json!({"uai": 12})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("http.bad_json"))
    );
    let r = c.get(env.url("/nowhere")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    env.finish().await;
}

#[tokio::test]
async fn admin_and_centre_routes_require_their_tokens() {
    for b in backends("auth") {
        auth(&b).await;
    }
}

async fn code_collision(b: &common::Backend) {
    // Two services over one database whose code generators are seeded alike: the second one's
    // first draws collide with codes already issued and must be drawn again.
    let dir = tempfile::tempdir().unwrap();
    let (s1, pg) = common::service_on(b, dir.path(), Some(42)).await;
    let store = s1.store.clone();
    let signer2 = std::sync::Arc::new(
        certif_server::signer::Signer::ephemeral(common::BASE_URL, Some(42)).unwrap(),
    );
    let s2 = certif_server::Service::new(store, signer2, 1 << 26);
    let room_dir = dir.path().join("room");
    std::fs::create_dir_all(&room_dir).unwrap();
    let mut room = certif_server::bench::RoomSim::new(
        &room_dir,
        std::path::Path::new(certif_server::bench::SAMPLE_BANK_DIR),
        3,
    )
    .unwrap();
    let uai = certif_server::service::uai_for(750_654);
    room.register(&s1, &uai, "Collège").await.unwrap();
    room.register(&s2, &uai, "Collège").await.unwrap();
    let a = room
        .session(&certif_server::bench::SessionSpec::new(&uai, 1, 3))
        .unwrap();
    let b2 = room
        .session(&certif_server::bench::SessionSpec::new(&uai, 2, 3))
        .unwrap();
    s1.ingest(a).await.unwrap();
    s2.ingest(b2).await.unwrap();
    let all: Vec<String> = s1
        .centre_results(&uai)
        .await
        .unwrap()
        .iter()
        .flat_map(|s| s.candidates.iter())
        .filter_map(|c| c.certification.as_ref().map(|c| c.code.clone()))
        .collect();
    assert_eq!(all.len(), 6);
    let unique: std::collections::HashSet<_> = all.iter().collect();
    assert_eq!(unique.len(), 6, "{all:?}");
    if let Some((url, schema)) = pg {
        certif_server::bench::drop_schema(&url, &schema).await;
    }
}

#[tokio::test]
async fn a_colliding_verification_code_is_drawn_again() {
    for b in backends("code_collision") {
        code_collision(&b).await;
    }
}

/// The rules issue: a right answer given after a focus loss counts once the invigilator has
/// validated an E10 incident for that question, and a journal under a configuration the service
/// does not know is never scored with another one.
async fn e10_and_configs(b: &common::Backend) {
    let mut env = Env::new(b).await;
    // Candidate 0: focus lost at question 5, answered right, E10 validated. Candidate 1: a
    // configuration nobody registered.
    let spec = env
        .session_spec(2)
        .plan(
            0,
            Plan::FocusOut {
                question: 5,
                e10: true,
            },
        )
        .plan(1, Plan::UnknownConfig);
    let bundle = env.room.session(&spec).unwrap();

    // What the journal counts as played: the focus-voided answer is wrong there.
    let verified = certroom_bundle::verify(&bundle, None).unwrap();
    let journal = verified.candidates[0].journal.as_ref().unwrap();
    let steps = certroom_journal::steps::engine_steps(journal.mirror.records()).unwrap();
    let bank = certroom_bank::load(
        certroom_bank::folder::read_dir(std::path::Path::new(
            certif_server::bench::SAMPLE_BANK_DIR,
        ))
        .unwrap(),
    )
    .unwrap()
    .bank;
    let header = journal.mirror.header();
    let cfg = header.engine_config(32);
    let played =
        certroom_core::engine::replay(&bank, &cfg, header.engine_seed, false, &steps).unwrap();
    assert!(played.played[4].focus_voided && played.played[4].checked);

    let (status, receipt) = env.upload(&bundle).await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["status"], "pending_jury");
    let (_, cases) = env.jury_get("/v1/jury/sessions").await;
    let case = cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["session_number"] == spec.number)
        .unwrap()
        .clone();
    let c0 = &case["candidates"][0];
    assert_eq!(
        c0["score"]["correct"].as_u64().unwrap(),
        u64::from(played.correct) + 1,
        "the validated E10 gives the answer back: {c0}"
    );
    assert!(c0["score"]["pix"].as_u64().unwrap() >= u64::from(played.score.pix));
    let c1 = &case["candidates"][1];
    assert_eq!(c1["status"], "error");
    assert_eq!(c1["mismatch"]["kind"], "unknown_config", "{c1}");
    assert!(
        c1["score"].is_null(),
        "never scored under another configuration"
    );
    env.finish().await;
}

#[tokio::test]
async fn a_validated_e10_counts_and_an_unknown_configuration_goes_to_the_jury() {
    for b in backends("e10_and_configs") {
        e10_and_configs(&b).await;
    }
}

/// The score a candidate entry of the jury API shows.
fn pix(c: &Value) -> u64 {
    c["score"]["pix"].as_u64().unwrap()
}

fn candidate(case: &Value, id: &Value) -> Value {
    case["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| &c["candidate_id"] == id)
        .cloned()
        .unwrap()
}

async fn per_candidate_jury(b: &common::Backend) {
    let mut env = Env::new(b).await;
    // Candidate 1 was caught cheating (C6); candidate 0 lost the focus at question 3 (no E10).
    let spec = env
        .session_spec(3)
        .plan(
            0,
            Plan::FocusOut {
                question: 3,
                e10: false,
            },
        )
        .plan(1, Plan::Incident("C6".into()));
    let bundle = env.room.session(&spec).unwrap();
    let (status, receipt) = env.upload(&bundle).await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["status"], "pending_jury");
    let bundle_id = receipt["bundle_id"].as_str().unwrap().to_owned();
    let sid = format!("{}-{}", env.uai, spec.number);

    let (status, case) = env.jury_get(&format!("/v1/jury/sessions/{sid}")).await;
    assert_eq!(status, 200, "{case}");
    let c0 = case["candidates"][0].clone();
    let c1 = case["candidates"][1].clone();
    assert_eq!(
        c0["focus_losses"],
        json!([{"question": 3, "cause": "window"}])
    );
    assert_eq!(c1["incidents"][0]["code"], "C6");
    assert_eq!(c0["played"].as_array().unwrap().len(), 32);

    // Neutralizing a question answered wrongly raises the score; undoing it gives back the
    // exact score it had.
    let before = c0["score"].clone();
    let wrong = c0["played"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["counted"] == false)
        .expect("a wrong answer")["item_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let neutralize = |undo: bool| json!({"item_id": wrong, "candidate_id": c0["candidate_id"], "reason": "Énoncé ambigu (E3).", "undo": undo});
    let path = format!("/v1/jury/sessions/{sid}/neutralizations");
    let (status, rows) = env.jury_post(&path, neutralize(false)).await;
    assert_eq!(status, 200, "{rows}");
    let raised = &rows[0];
    assert_eq!(raised["neutralized"], json!([wrong]));
    assert!(pix(raised) > before["pix"].as_u64().unwrap(), "{raised}");
    assert_eq!(raised["score"]["answered"], 31);
    let (status, body) = env.jury_post(&path, neutralize(false)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("jury.already_neutralized"))
    );
    let (status, rows) = env.jury_post(&path, neutralize(true)).await;
    assert_eq!(status, 200, "{rows}");
    assert_eq!(rows[0]["score"], before, "undoing restores the exact score");
    assert_eq!(rows[0]["neutralized"], json!([]));
    // A neutralization needs a reason.
    let (status, body) = env
        .jury_post(&path, json!({"item_id": wrong, "reason": " "}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("jury.reason_required"))
    );

    // The fraud: candidate 1 rejected by the named member, with the reason.
    let (status, body) = env
        .jury_post(
            &format!("/v1/jury/sessions/{sid}/candidates/{}", c1["candidate_id"]),
            json!({"decision": "reject", "reason": "Fraude constatée (C6) : téléphone."}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "rejected");
    assert_eq!(body["jury"]["member"], "Mme Durand");
    assert_eq!(body["jury"]["computed"], "validated");

    // A second member validates the session: the others are published, the fraud is not.
    let second = env.app.service.add_jury_member("M. Petit").await.unwrap();
    let (status, body) = env
        .post_as(
            &second,
            &format!("/v1/jury/sessions/{sid}/decision"),
            json!({"decision": "validate", "comment": "Fraude traitée individuellement."}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let session = env.session(spec.number).await;
    assert_eq!(session["status"], "validated");
    let published = codes(&session);
    assert_eq!(published.len(), 2);
    let fraud = candidate(&session, &c1["candidate_id"]);
    assert!(fraud["certification"].is_null(), "{fraud}");
    assert_eq!(fraud["status"], "rejected");
    let kept = candidate(&session, &c0["candidate_id"]);
    assert_eq!(kept["certification"]["pix"], before["pix"]);

    // Every act is kept with its member and time, and the jury's routes are closed after.
    let (status, body) = env.jury_get(&format!("/v1/jury/sessions/{sid}")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("jury.unknown_session"))
    );
    let acts = env.app.service.store.jury_acts(&bundle_id).await.unwrap();
    let summary: Vec<(Option<i64>, &str, &str)> = acts
        .iter()
        .map(|a| (a.candidate_id, a.kind.as_str(), a.member.as_str()))
        .collect();
    let (id0, id1) = (c0["candidate_id"].as_i64(), c1["candidate_id"].as_i64());
    assert_eq!(
        summary,
        vec![
            (id0, "neutralize", "Mme Durand"),
            (id0, "restore", "Mme Durand"),
            (id1, "reject", "Mme Durand"),
            (None, "validate", "M. Petit"),
        ]
    );
    assert!(acts.iter().all(|a| a.at.ends_with('Z')));

    // The console reads where its bundle stands, signed by the service.
    let r = env
        .http
        .get(env.url(&format!("/v1/bundles/{bundle_id}/status")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let status: certroom_protocol::BundleStatus = r.json().await.unwrap();
    let key: [u8; 32] = certroom_core::hash::from_hex(&env.app.service.signer.public_key_hex())
        .unwrap()
        .try_into()
        .unwrap();
    assert!(status.verify(&key) && status.is_published(), "{status:?}");
    assert_eq!(status.status, "validated");
    let r = env
        .http
        .get(env.url("/v1/bundles/no-such-bundle/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    env.finish().await;
}

#[tokio::test]
async fn the_jury_decides_candidate_by_candidate_and_neutralizes_questions() {
    for b in backends("per_candidate_jury") {
        per_candidate_jury(&b).await;
    }
}
