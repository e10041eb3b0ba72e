//! A whole sitting, headless, on real SQLite files: start, answer, crash, resume, alert, end.

use certroom_bank::pack::{self, PackKey};
use certroom_core::engine::{replay, Step};
use certroom_core::{Config, Response};
use certroom_kiosk::screen::{EndedReason, QuestionKind, QuestionView};
use certroom_kiosk::{Identity, KioskConfig, KioskError, Lang, Screen, Sitting};
use std::collections::BTreeMap;
use std::path::Path;

const CODE: &str = "salle-B12";

fn sealed_sample(publisher: &ring::signature::Ed25519KeyPair) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/bank/sample");
    let files = certroom_bank::folder::read_dir(&dir).unwrap();
    pack::seal_with(
        &files,
        &PackKey::Passphrase(CODE.into()),
        publisher,
        pack::MIN_PBKDF2_ITERATIONS,
    )
    .unwrap()
}

fn publisher() -> ring::signature::Ed25519KeyPair {
    let doc =
        ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    ring::signature::Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap()
}

struct Station {
    dir: tempfile::TempDir,
    pack: Vec<u8>,
    publisher: [u8; 32],
}

impl Station {
    fn new() -> Self {
        let key = publisher();
        Self {
            dir: tempfile::tempdir().unwrap(),
            pack: sealed_sample(&key),
            publisher: pack::publisher_public_key(&key),
        }
    }
    /// The station's journal, read as the hub or a verifier would once the sitting is closed.
    fn journal(&self) -> certroom_journal::Journal {
        certroom_journal::Journal::open(
            &self.dir.path().join(certroom_kiosk::sitting::JOURNAL_FILE),
        )
        .unwrap()
    }
    fn open(&self) -> Sitting {
        let config = KioskConfig {
            engine: Config::default(),
            session_id: "1234".into(),
            publisher: self.publisher,
        };
        Sitting::open(self.dir.path(), self.pack.clone(), config).unwrap()
    }
}

fn zoe() -> Identity {
    Identity {
        session: "1234".into(),
        first_name: "Zoé".into(),
        birth_name: "N'Diaye-Lefèvre".into(),
        birthdate: "14/02/2010".into(),
    }
}

/// A plausible response of the right shape for the question on screen.
fn some_response(q: &QuestionView, n: usize) -> Response {
    match q.kind {
        QuestionKind::Qcu => Response::Choice(1 + (n % q.proposals.len()) as i64),
        QuestionKind::Qcm => Response::Choices(vec![1]),
        _ => Response::Fields(
            q.fields
                .iter()
                .map(|f| (f.key.clone(), format!("réponse {n}")))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

fn question(screen: &Screen) -> &QuestionView {
    match screen {
        Screen::Question { question, .. } => question,
        other => panic!("expected a question, got {other:?}"),
    }
}

#[test]
fn a_candidate_sits_a_whole_test_that_replays_exactly() {
    let station = Station::new();
    let mut sitting = station.open();
    assert_eq!(sitting.screen(Lang::Fr).unwrap(), Screen::Welcome);
    let waiting = sitting.join(zoe(), Lang::Fr).unwrap();
    assert!(matches!(
        waiting,
        Screen::WaitingAuthorization { resume: false, .. }
    ));
    assert!(matches!(
        sitting.authorize("wrong", Lang::Fr),
        Err(KioskError::CodeRefused)
    ));
    let mut screen = sitting.authorize(CODE, Lang::Fr).unwrap();
    let mut shown = Vec::new();
    for n in 0..40 {
        let Screen::Question {
            question, progress, ..
        } = &screen
        else {
            break;
        };
        assert_eq!(progress.index as usize, n + 1);
        let json = serde_json::to_string(&screen).unwrap();
        for secret in [
            "\"solution\"",
            "\"irt\"",
            "\"tolerances\"",
            "\"groups\"",
            "\"accepted\"",
        ] {
            assert!(!json.contains(secret), "a screen leaked `{secret}`: {json}");
        }
        shown.push(question.item_id.clone());
        let response = if n % 7 == 3 {
            Response::Skip
        } else {
            some_response(question, n)
        };
        let ack = sitting
            .answer(&question.item_id.clone(), response, Lang::Fr)
            .unwrap();
        assert!(ack.saved);
        screen = ack.next;
    }
    assert_eq!(
        screen,
        Screen::Ended {
            reason: EndedReason::Completed
        }
    );
    assert_eq!(shown.len(), 32);
    let unique: std::collections::HashSet<_> = shown.iter().collect();
    assert_eq!(unique.len(), 32, "a question was asked twice");
    drop(sitting);

    // The evidence verifies, and the central service's replay finds the same questions.
    let journal_path = station.dir.path().join("journal.db");
    let report = certroom_journal::verify_file(&journal_path).unwrap();
    assert_eq!((report.tests, report.signed_heads), (1, 1));
    let journal = certroom_journal::Journal::open(&journal_path).unwrap();
    let test_id = journal.tests().unwrap()[0].test_id.clone();
    let header = journal.header(&test_id).unwrap();
    let steps = certroom_journal::steps::engine_steps(&journal.records(&test_id).unwrap()).unwrap();
    let replayed_questions: Vec<_> = steps
        .iter()
        .filter_map(|s| {
            if let Step::Question { item_id, .. } = s {
                Some(item_id.clone())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(replayed_questions, shown);
    let files = certroom_bank::folder::read_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/bank/sample"),
    )
    .unwrap();
    let bank = certroom_bank::load(files).unwrap().bank;
    let replayed = replay(
        &bank,
        &Config::for_bank(&bank),
        header.engine_seed,
        false,
        &steps,
    )
    .unwrap();
    assert_eq!(replayed.answered, 32);
}

#[test]
fn a_crash_resumes_on_the_same_question_only_after_authorization() {
    let station = Station::new();
    let mut sitting = station.open();
    sitting.join(zoe(), Lang::Fr).unwrap();
    let mut screen = sitting.authorize(CODE, Lang::Fr).unwrap();
    for n in 0..5 {
        let q = question(&screen).clone();
        screen = sitting
            .answer(&q.item_id, some_response(&q, n), Lang::Fr)
            .unwrap()
            .next;
    }
    let before = question(&screen).item_id.clone();
    drop(sitting); // kill -9: nothing but the journal survives

    let mut sitting = station.open();
    let screen = sitting.screen(Lang::Fr).unwrap();
    assert!(
        matches!(&screen, Screen::WaitingAuthorization { resume: true, candidate, .. } if candidate == "Zoé N'DIAYE-LEFÈVRE"),
        "{screen:?}"
    );
    assert!(matches!(
        sitting.answer(&before, Response::Skip, Lang::Fr),
        Err(KioskError::NotAuthorized)
    ));
    let screen = sitting.authorize(CODE, Lang::Fr).unwrap();
    let Screen::Question {
        question, progress, ..
    } = &screen
    else {
        panic!("{screen:?}")
    };
    assert_eq!(
        question.item_id, before,
        "resume lands on the question the candidate was on"
    );
    assert_eq!(progress.answered, 5);

    // Every resume needs the invigilator again.
    drop(sitting);
    let mut sitting = station.open();
    assert!(matches!(
        sitting.screen(Lang::Fr).unwrap(),
        Screen::WaitingAuthorization { resume: true, .. }
    ));
}

#[test]
fn an_open_alert_blocks_the_candidate_until_the_invigilator_handles_it() {
    let station = Station::new();
    let mut sitting = station.open();
    sitting.join(zoe(), Lang::Fr).unwrap();
    let screen = sitting.authorize(CODE, Lang::Fr).unwrap();
    let first = question(&screen).clone();
    let screen = sitting.report_problem(&first.item_id, Lang::Fr).unwrap();
    assert!(matches!(
        screen,
        Screen::Question {
            alert_open: true,
            ..
        }
    ));
    let refused = sitting.answer(&first.item_id, some_response(&first, 0), Lang::Fr);
    assert!(matches!(
        refused,
        Err(KioskError::Engine(
            certroom_core::engine::EngineError::AlertOpen
        ))
    ));
    assert!(matches!(
        sitting.resolve_alert("wrong", true, Lang::Fr),
        Err(KioskError::CodeRefused)
    ));
    let screen = sitting.resolve_alert(CODE, true, Lang::Fr).unwrap();
    let replacement = question(&screen);
    assert_ne!(
        replacement.item_id, first.item_id,
        "a validated alert replaces the question"
    );
    assert!(matches!(
        screen,
        Screen::Question {
            alert_open: false,
            ..
        }
    ));
}

#[test]
fn attachments_open_only_for_the_question_on_screen() {
    let station = Station::new();
    let mut sitting = station.open();
    sitting.join(zoe(), Lang::Fr).unwrap();
    let screen = sitting.authorize(CODE, Lang::Fr).unwrap();
    let current = question(&screen).item_id.clone();
    assert!(sitting
        .attachment("c11-does-not-exist", 0, Lang::Fr)
        .is_err());
    // Another item with an attachment is refused while it is not on screen.
    let files = certroom_bank::folder::read_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/bank/sample"),
    )
    .unwrap();
    let bank = certroom_bank::load(files).unwrap().bank;
    let other = bank
        .items()
        .iter()
        .find(|i| !i.attachments.is_empty() && i.id != current)
        .unwrap();
    assert!(sitting.attachment(&other.id, 0, Lang::Fr).is_err());
}

#[test]
fn a_damaged_journal_is_reported_never_restarted() {
    let station = Station::new();
    let mut sitting = station.open();
    sitting.join(zoe(), Lang::Fr).unwrap();
    let screen = sitting.authorize(CODE, Lang::Fr).unwrap();
    let q = question(&screen).clone();
    sitting
        .answer(&q.item_id, some_response(&q, 0), Lang::Fr)
        .unwrap();
    drop(sitting);
    // An attacker with the disk edits an answer (the append-only trigger is dropped first).
    let conn = rusqlite::Connection::open(station.dir.path().join("journal.db")).unwrap();
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for t in triggers {
        conn.execute(&format!("DROP TRIGGER {t}"), []).unwrap();
    }
    let changed = conn
        .execute(
            "UPDATE records SET body = CAST(body || X'20' AS BLOB) WHERE seq = 5",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);
    let mut sitting = station.open();
    let screen = sitting.screen(Lang::Fr).unwrap();
    assert!(
        matches!(&screen, Screen::Damaged { message_fr, .. } if message_fr.contains("endommagé")),
        "{screen:?}"
    );
}

/// A sitting on a clock the test moves: no sleeping, exact times.
fn open_on(station: &Station, clock: &certroom_journal::ManualClock) -> Sitting {
    let config = KioskConfig {
        engine: Config::default(),
        session_id: "1234".into(),
        publisher: station.publisher,
    };
    Sitting::open_with_clock(
        station.dir.path(),
        station.pack.clone(),
        config,
        std::sync::Arc::new(clock.clone()),
    )
    .unwrap()
}

fn started_on(station: &Station, clock: &certroom_journal::ManualClock) -> (Sitting, Screen) {
    let mut sitting = open_on(station, clock);
    sitting.join(zoe(), Lang::Fr).unwrap();
    let screen = sitting.authorize(CODE, Lang::Fr).unwrap();
    (sitting, screen)
}

/// Facts §3: 105 minutes of test time. The screen counts down from the journal's live clock,
/// and one second past the limit the test ends as "time up", closed in the journal.
#[test]
fn the_test_ends_when_its_105_minutes_are_up() {
    use std::time::Duration;
    let station = Station::new();
    let clock = certroom_journal::ManualClock::at(chrono::Utc::now());
    let (mut sitting, screen) = started_on(&station, &clock);
    let Screen::Question { time, .. } = screen else {
        panic!("{screen:?}")
    };
    assert_eq!(time.remaining_s, 105 * 60);
    clock.advance(Duration::from_secs(104 * 60 + 59));
    let Screen::Question { time, .. } = sitting.screen(Lang::Fr).unwrap() else {
        panic!("the test ended before its time")
    };
    assert_eq!(time.remaining_s, 1);
    clock.advance(Duration::from_secs(1));
    let ended = Screen::Ended {
        reason: EndedReason::TimeUp,
    };
    assert_eq!(sitting.screen(Lang::Fr).unwrap(), ended);
    drop(sitting);
    let journal = station.journal();
    let tests = journal.tests().unwrap();
    assert_eq!(tests.len(), 1);
    assert!(tests[0].ended && tests[0].signed, "{:?}", tests[0]);
}

/// Facts §4: an item with its own timer counts an answer given after it as timed out (so
/// wrong); within the timer it is not. Both are read back from the journal. The engine's seed is
/// random and few sample items have a timer: sittings are run until one serves such an item.
#[test]
fn an_answer_after_the_items_timer_is_journaled_as_timed_out() {
    for _ in 0..40 {
        if let Some((late, in_time)) = sit_with_timers() {
            assert_eq!(late, Some(true));
            assert!(matches!(in_time, None | Some(false)), "{in_time:?}");
            return;
        }
    }
    panic!("no sitting served an item with a timer");
}

/// One whole sitting, slow on the first timed item and just in time on the next; what the
/// journal says of each (`timed_out`), or `None` when no timed item came.
fn sit_with_timers() -> Option<(Option<bool>, Option<bool>)> {
    use std::time::Duration;
    let station = Station::new();
    let clock = certroom_journal::ManualClock::at(chrono::Utc::now());
    let (mut sitting, mut screen) = started_on(&station, &clock);
    let test_id = sitting.test_id().unwrap().to_owned();
    let (mut late, mut in_time) = (None, None);
    for n in 0..32 {
        let Screen::Question { question, time, .. } = &screen else {
            break;
        };
        let id = question.item_id.clone();
        let response = some_response(question, n);
        match (time.question_remaining_s, &late) {
            (Some(timer), None) => {
                assert!(timer >= 10, "{id}: {timer} s");
                clock.advance(Duration::from_secs(timer + 1));
                late = Some(id.clone());
            }
            (Some(timer), Some(_)) if in_time.is_none() => {
                clock.advance(Duration::from_secs(timer - 1));
                in_time = Some(id.clone());
            }
            _ => clock.advance(Duration::from_secs(5)),
        }
        screen = sitting.answer(&id, response, Lang::Fr).unwrap().next;
    }
    let late = late?;
    drop(sitting);
    let journal = station.journal();
    let records = journal.records(&test_id).unwrap();
    let timed_out = |item: &str| {
        records.iter().find_map(|r| match &r.event {
            certroom_journal::Event::Answer {
                item_id, timed_out, ..
            } if item_id == item => Some(*timed_out),
            _ => None,
        })
    };
    Some((timed_out(&late), in_time.and_then(|i| timed_out(&i))))
}
