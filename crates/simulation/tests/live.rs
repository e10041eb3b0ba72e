//! A kiosk in a live room, against a real hub on loopback TLS: what an exam day throws at it.

mod common;

use certroom_journal::Journal;
use certroom_kiosk::Screen;
use certroom_protocol::{AbortReason, ConsoleCommand, KioskCommand, TileStatus};
use common::{bank, hub, identity, pc, ACCESS};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};

fn tile(h: &certroom_hub::RunningHub, id: i64) -> certroom_protocol::Tile {
    h.hub
        .view()
        .tiles
        .into_iter()
        .find(|t| t.candidate == id)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_pc_is_replaced_and_the_candidate_resumes_from_the_hubs_copy() {
    let bank = bank();
    let (hub_dir, a_dir, b_dir) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (h, auth) = hub(hub_dir.path(), 2).await;
    let mut a = pc(a_dir.path(), &bank, &h, &auth).await;
    a.live.join(&identity(0)).await.unwrap();
    a.live.ready(ACCESS).await.unwrap();
    h.hub
        .command(&auth, ConsoleCommand::Authorize { candidate: 1 })
        .unwrap();
    a.obey().await;
    a.live.sync().await.unwrap();
    assert_eq!(
        tile(&h, 1).extra_minutes,
        35,
        "the list's tiers-temps: 33 % of 105 minutes, rounded up"
    );
    for _ in 0..3 {
        a.answer().await;
    }
    let on_screen = a.question_id().unwrap();
    let held = tile(&h, 1).synced_seq;
    // PC A dies: the invigilator moves the candidate, who sits down at PC B.
    drop(a);
    h.hub
        .command(&auth, ConsoleCommand::MoveCandidate { candidate: 1 })
        .unwrap();
    let mut b = pc(b_dir.path(), &bank, &h, &auth).await;
    b.live.join(&identity(0)).await.unwrap();
    b.live.ready(ACCESS).await.unwrap();
    assert_eq!(tile(&h, 1).status, TileStatus::WaitingAuthorization);
    assert!(tile(&h, 1).resume);
    h.hub
        .command(&auth, ConsoleCommand::Authorize { candidate: 1 })
        .unwrap();
    let cmd = b.obey().await;
    assert!(
        matches!(
            cmd,
            KioskCommand::Authorize {
                resume: true,
                chain: Some(_),
                ..
            }
        ),
        "{cmd:?}"
    );
    assert_eq!(
        b.question_id().unwrap(),
        on_screen,
        "PC B shows the question PC A was on"
    );
    let Screen::Question { progress, .. } = b.screen() else {
        panic!()
    };
    assert_eq!(progress.answered, 3, "the three answers made on PC A count");
    b.answer().await;
    assert!(tile(&h, 1).synced_seq > held);
    // PC B's journal holds PC A's records byte for byte, then its own, and verifies.
    let report = certroom_journal::verify_file(&b_dir.path().join("journal.db")).unwrap();
    assert_eq!(report.tests, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_kiosk_waits_for_a_new_authorization_and_offline_answers_reach_the_hub() {
    let bank = bank();
    let (hub_dir, dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (h, auth) = hub(hub_dir.path(), 1).await;
    let mut k = pc(dir.path(), &bank, &h, &auth).await;
    k.start(&h, &auth, 0).await;
    k.answer().await;

    // The hub goes away: the test goes on, answers are journaled on the PC.
    h.stop().await;
    for _ in 0..2 {
        let Screen::Question { question, .. } = k.screen() else {
            panic!()
        };
        k.sitting
            .lock()
            .unwrap()
            .answer(
                &question.item_id,
                certroom_core::Response::Skip,
                certroom_kiosk::Lang::Fr,
            )
            .unwrap();
    }
    assert!(k.live.sync().await.is_err(), "no hub to send to");
    let on_screen = k.question_id().unwrap();
    drop(k);

    // The hub comes back; the kiosk restarts (power cut) and reconnects.
    let (h, auth) = hub(hub_dir.path(), 1).await;
    let mut k = pc(dir.path(), &bank, &h, &auth).await;
    let last = {
        let j = Journal::open(&dir.path().join("journal.db")).unwrap();
        let t = j.tests().unwrap().remove(0).test_id;
        j.records(&t).unwrap().last().map(|r| r.seq).unwrap()
    };
    assert_eq!(
        tile(&h, 1).synced_seq,
        last,
        "hello sent what the hub had not seen"
    );
    assert_eq!(tile(&h, 1).answered, 3);
    assert_eq!(
        tile(&h, 1).status,
        TileStatus::WaitingAuthorization,
        "a restart needs the invigilator again"
    );
    assert!(matches!(
        k.screen(),
        Screen::WaitingAuthorization { resume: true, .. }
    ));
    h.hub
        .command(&auth, ConsoleCommand::Authorize { candidate: 1 })
        .unwrap();
    k.obey().await;
    assert_eq!(k.question_id().unwrap(), on_screen);
    let again = h
        .hub
        .command(&auth, ConsoleCommand::Authorize { candidate: 1 });
    assert!(
        again.is_err(),
        "single-use: no second authorization while it is in progress"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exam_day_pause_extra_time_identity_fix_end_all_and_finalization() {
    let bank = bank();
    let (hub_dir, d1, d2) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (h, auth) = hub(hub_dir.path(), 3).await;
    let mut k1 = pc(d1.path(), &bank, &h, &auth).await;
    let mut k2 = pc(d2.path(), &bank, &h, &auth).await;

    // The list had the wrong birthdate: refused, fixed on the spot (C1), then accepted.
    let mut wrong = identity(1);
    wrong.birthdate = "01/01/2011".into();
    let err = k2.live.join(&wrong).await.unwrap_err();
    assert!(err.to_string().contains("Aucun candidat"), "{err}");
    let c2 = &common::candidates(2)[1];
    h.hub
        .command(
            &auth,
            ConsoleCommand::FixIdentity {
                candidate: 2,
                first_name: c2.first_name.clone(),
                birth_name: c2.birth_name.clone(),
                birthdate: chrono::NaiveDate::from_ymd_opt(2011, 1, 1).unwrap(),
            },
        )
        .unwrap();
    k2.live.join(&wrong).await.unwrap();
    assert_eq!(tile(&h, 2).incidents[0].code, "C1");

    for (k, id) in [(&mut k1, 1), (&mut k2, 2)] {
        if id == 1 {
            k.live.join(&identity(0)).await.unwrap();
        }
        k.live.ready(ACCESS).await.unwrap();
        h.hub
            .command(&auth, ConsoleCommand::Authorize { candidate: id })
            .unwrap();
        k.obey().await;
        k.answer().await;
    }

    // Fire alarm: the whole room pauses; paused time is not charged.
    h.hub
        .command(
            &auth,
            ConsoleCommand::PauseRoom {
                reason: "alarme incendie".into(),
            },
        )
        .unwrap();
    for k in [&mut k1, &mut k2] {
        assert!(matches!(k.obey().await, KioskCommand::Pause { .. }));
    }
    assert!(h.hub.view().paused);
    let live_before = tile(&h, 1).time_left_s.unwrap();
    // The room stays paused for ten minutes of the PCs' time.
    for k in [&k1, &k2] {
        k.clock.advance(std::time::Duration::from_secs(600));
    }
    h.hub.command(&auth, ConsoleCommand::ResumeRoom).unwrap();
    for k in [&mut k1, &mut k2] {
        assert!(matches!(k.obey().await, KioskCommand::Resume));
        assert!(
            matches!(k.screen(), Screen::Question { .. }),
            "back on the question without a new code"
        );
    }
    assert_eq!(
        tile(&h, 1).time_left_s.unwrap(),
        live_before,
        "the pause was not charged"
    );

    h.hub
        .command(
            &auth,
            ConsoleCommand::ExtraTime {
                candidate: 1,
                minutes: 10,
            },
        )
        .unwrap();
    k1.obey().await;
    assert_eq!(
        tile(&h, 1).extra_minutes,
        35 + 10,
        "tiers-temps from the list plus the minutes granted"
    );

    // Finalization is refused while tests run and while abort reasons are missing.
    assert_eq!(
        h.hub
            .command(&auth, ConsoleCommand::Finalize)
            .unwrap_err()
            .code,
        "room.tests_running"
    );
    h.hub
        .command(
            &auth,
            ConsoleCommand::EndAll {
                reason: "fin de l'épreuve".into(),
            },
        )
        .unwrap();
    for k in [&mut k1, &mut k2] {
        assert!(matches!(k.obey().await, KioskCommand::EndTest { .. }));
        assert!(
            matches!(k.screen(), Screen::Ended { .. }),
            "the kiosk shows the end at once"
        );
    }
    let err = h.hub.command(&auth, ConsoleCommand::Finalize).unwrap_err();
    assert_eq!(err.code, "room.abort_reasons_missing");
    for id in [1, 2] {
        h.hub
            .command(
                &auth,
                ConsoleCommand::SetAbortReason {
                    candidate: id,
                    reason: Some(AbortReason::Technical),
                },
            )
            .unwrap();
    }
    h.hub
        .command(
            &auth,
            ConsoleCommand::SetComment {
                text: "Alarme incendie à 9 h 12, reprise à 9 h 30.".into(),
            },
        )
        .unwrap();
    h.hub.command(&auth, ConsoleCommand::Finalize).unwrap();
    assert!(h.hub.view().finalized.is_some());
    assert_eq!(tile(&h, 3).status, TileStatus::NotArrived);

    // Closed to joins; each PC goes back to a clean welcome screen.
    k1.live.leave().await.unwrap();
    assert!(matches!(k1.screen(), Screen::Welcome));
    let err = k1.live.join(&identity(2)).await.unwrap_err();
    assert!(err.to_string().contains("finalisée"), "{err}");

    // The report's rows come from the hub's record.
    let (rows, comment, finalized) = h.hub.report_parts();
    assert!(finalized.is_some() && comment.contains("Alarme"));
    assert_eq!(rows.iter().filter(|r| r.abort_reason.is_some()).count(), 2);
    let pdf = certroom_pdf::session_report(&certroom_pdf::SessionReport {
        session_number: "777".into(),
        comment: Some(comment),
        candidates: rows,
        ..Default::default()
    })
    .unwrap();
    assert!(pdf.starts_with(b"%PDF"));

    // The signed bundle leaves the room with the hub's copies and the stations' signed heads.
    let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let console = Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap();
    let bytes = h
        .hub
        .bundle(
            &console,
            certroom_bundle::Centre {
                uai: "0750654D".into(),
                name: "Lycée Henri-IV".into(),
            },
            chrono::NaiveDate::from_ymd_opt(2027, 3, 12).unwrap(),
            "Lycée Henri-IV",
            "Salle B12",
            &Default::default(),
            "test",
        )
        .unwrap();
    let mut pk = [0u8; 32];
    pk.copy_from_slice(console.public_key().as_ref());
    let verified = certroom_bundle::verify(&bytes, Some(&[pk])).unwrap();
    assert_eq!(verified.manifest.candidates.len(), 3);
    let report = verified.summary();
    assert_eq!(
        report
            .candidates
            .iter()
            .filter(|c| c.signed_by.is_some())
            .count(),
        2,
        "{report}"
    );
}
