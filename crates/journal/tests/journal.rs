mod common;

use std::sync::Arc;
use std::time::Duration;

use certroom_journal::{
    verify_file, EndedBy, Event, FocusCause, Journal, JournalError, ManualClock, StationKey,
};
use common::{build, header, TEST};
use serde_json::json;

#[test]
fn append_acks_in_sequence_with_durable_settings() {
    let d = tempfile::tempdir().unwrap();
    let mut j = Journal::open(&d.path().join("j.db")).unwrap();
    j.create_test(header(TEST)).unwrap();
    let a1 = j.append(TEST, &Event::Joined).unwrap();
    let a2 = j.append(TEST, &Event::InstructionsAcknowledged).unwrap();
    assert_eq!((a1.seq, a2.seq), (1, 2));
    assert_ne!(a1.hash, a2.hash);
    let c = rusqlite::Connection::open(j.path()).unwrap();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // wal_autocheckpoint=0: appends only grow the WAL until the app checkpoints.
    assert!(j.wal_bytes() > 0);
    let r = j.checkpoint().unwrap();
    assert!(!r.busy);
    assert_eq!(j.wal_bytes(), 0);
    assert!(matches!(
        j.create_test(header(TEST)),
        Err(JournalError::TestExists(_))
    ));
}

#[test]
fn triggers_make_records_append_only() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), 1, false);
    let c = rusqlite::Connection::open(&p).unwrap();
    for sql in [
        "UPDATE records SET kind = 'Skip'",
        "DELETE FROM records",
        "UPDATE tests SET candidate_id = 'x'",
        "DELETE FROM tests",
    ] {
        let e = c.execute(sql, []).unwrap_err().to_string();
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
}

#[test]
fn restart_pauses_requires_authorization_and_does_not_charge_the_gap() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("j.db");
    // Time moves only when the test says so, by exactly what it says.
    let clock = ManualClock::at(chrono::Utc::now());
    let open = || Journal::open_with_clock(&p, Arc::new(clock.clone())).unwrap();
    {
        let mut j = open();
        j.create_test(header(TEST)).unwrap();
        j.append(TEST, &Event::Joined).unwrap();
        j.append(
            TEST,
            &Event::Authorized {
                by: "inv".into(),
                resume: false,
            },
        )
        .unwrap();
        j.append(
            TEST,
            &Event::QuestionShown {
                index: 0,
                item_id: "a".into(),
                draw: json!(1),
            },
        )
        .unwrap();
        clock.advance(Duration::from_millis(30));
        j.append(
            TEST,
            &Event::QuestionShown {
                index: 1,
                item_id: "b".into(),
                draw: json!(2),
            },
        )
        .unwrap();
        // Dropped without a pause: the station "crashed".
    }
    // The station is down for a while before it restarts.
    clock.advance(Duration::from_secs(200));
    let mut j = open();
    assert!(matches!(
        j.append(TEST, &Event::Resumed),
        Err(JournalError::TestNotOpen(_))
    ));
    let p1 = j.open_test(TEST).unwrap();
    assert!(p1.needs_authorization);
    assert!(!p1.clock_running);
    assert_eq!(p1.current_question.as_ref().unwrap().item_id, "b");
    assert_eq!(p1.live_ms, 30, "the gap is not charged");
    let recs = j.records(TEST).unwrap();
    assert!(matches!(recs.last().unwrap().event, Event::Paused { .. }));
    // Reopening again does not stack pauses.
    assert_eq!(j.open_test(TEST).unwrap().last_seq, p1.last_seq);

    clock.advance(Duration::from_millis(50));
    j.append(
        TEST,
        &Event::Authorized {
            by: "inv".into(),
            resume: true,
        },
    )
    .unwrap();
    let still = j
        .append(
            TEST,
            &Event::FocusLost {
                cause: FocusCause::Window,
            },
        )
        .unwrap();
    assert_eq!(
        still.mono_ms, p1.live_ms,
        "clock stays stopped until Resumed"
    );
    j.append(TEST, &Event::Resumed).unwrap();
    clock.advance(Duration::from_millis(20));
    let a = j
        .append(
            TEST,
            &Event::Answer {
                item_id: "b".into(),
                response: json!(2),
                time_spent_ms: 5,
                focus_lost: false,
                timed_out: false,
            },
        )
        .unwrap();
    assert_eq!(
        a.mono_ms,
        p1.live_ms + 20,
        "charged again from Resumed, exactly"
    );
    let p2 = j.progress(TEST).unwrap();
    assert!(!p2.needs_authorization && p2.clock_running);
    assert_eq!(p2.answered, vec![("b".to_string(), json!(2))]);
    assert_eq!(p2.current_question, None);
}

#[test]
fn end_test_signs_the_head_and_closes_the_test() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), 2, false);
    let key = StationKey::load_or_create(&d.path().join("station.key")).unwrap();
    let mut j = Journal::open(&p).unwrap();
    j.open_test(TEST).unwrap();
    let (ack, head) = j.end_test(TEST, EndedBy::Time, None, &key).unwrap();
    assert_eq!((head.seq, head.hash), (ack.seq, ack.hash));
    certroom_journal::verify_head_pinned(&head, &[key.public_key()]).unwrap();
    assert!(matches!(
        j.append(TEST, &Event::Resumed),
        Err(JournalError::TestEnded(_))
    ));
    assert_eq!(j.sign_head(TEST, &key).unwrap(), head);
    let r = verify_file(&p).unwrap();
    assert_eq!(r.signed_heads, 1);
    assert_eq!(r.details[0].signed_head.as_ref(), Some(&head));
    let summary = j.tests().unwrap();
    assert!(summary[0].ended && summary[0].signed);
}

#[test]
fn sign_head_after_plain_ended_append() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), 1, false);
    let key = StationKey::load_or_create(&d.path().join("station.key")).unwrap();
    let mut j = Journal::open(&p).unwrap();
    j.open_test(TEST).unwrap();
    assert!(matches!(
        j.sign_head(TEST, &key),
        Err(JournalError::NotEnded(_))
    ));
    j.append(
        TEST,
        &Event::Ended {
            by: EndedBy::Finalization,
            reason: Some("x".into()),
        },
    )
    .unwrap();
    j.sign_head(TEST, &key).unwrap();
    assert_eq!(verify_file(&p).unwrap().signed_heads, 1);
}

#[test]
fn a_second_writer_is_refused_instead_of_forking_the_chain() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), 1, false);
    let mut a = Journal::open(&p).unwrap();
    let mut b = Journal::open(&p).unwrap();
    a.open_test(TEST).unwrap();
    b.open_test(TEST).unwrap();
    a.append(
        TEST,
        &Event::FocusLost {
            cause: FocusCause::Window,
        },
    )
    .unwrap();
    assert!(matches!(
        b.append(
            TEST,
            &Event::FocusLost {
                cause: FocusCause::Window
            }
        ),
        Err(JournalError::ConcurrentWriter(_))
    ));
    verify_file(&p).unwrap();
}

#[test]
fn forgetting_deletes_ended_tests_for_good_and_keeps_the_rest_append_only() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), 3, true);
    let triggers = |p: &std::path::Path| -> Vec<String> {
        let c = rusqlite::Connection::open(p).unwrap();
        let mut stmt = c
            .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    };
    let before = triggers(&p);
    let holds = |p: &std::path::Path, needle: &str| {
        let mut bytes = std::fs::read(p).unwrap();
        bytes.extend(std::fs::read(p.with_extension("db-wal")).unwrap_or_default());
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
    };
    assert!(holds(&p, "item-2"), "the answers are in the file before");
    let mut j = Journal::open(&p).unwrap();
    j.create_test(header("T-0002")).unwrap();
    j.append("T-0002", &Event::Joined).unwrap();
    let forgotten = j
        .forget_tests(&[TEST.into(), "T-0002".into(), "T-absent".into()])
        .unwrap();
    assert_eq!(forgotten, 1, "only the ended test goes");
    let left: Vec<String> = j.tests().unwrap().into_iter().map(|t| t.test_id).collect();
    assert_eq!(left, vec!["T-0002".to_owned()]);
    drop(j);
    assert!(
        !holds(&p, "item-2"),
        "its answers are overwritten, not left in free pages"
    );
    assert_eq!(
        triggers(&p),
        before,
        "the append-only triggers are back, unchanged"
    );
    let c = rusqlite::Connection::open(&p).unwrap();
    let e = c
        .execute("DELETE FROM records", [])
        .unwrap_err()
        .to_string();
    assert!(e.contains("append-only"), "{e}");
    verify_file(&p).unwrap();
}
