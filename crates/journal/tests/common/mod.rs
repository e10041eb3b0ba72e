#![allow(dead_code)]

use std::path::{Path, PathBuf};

use certroom_core::Hash;
use certroom_journal::{EndedBy, Event, Journal, StationKey, TestHeader};
use serde_json::json;

pub const TEST: &str = "T-0001";

pub fn header(test_id: &str) -> TestHeader {
    TestHeader::new(
        test_id,
        "S-42",
        "C-7",
        0xDEAD_BEEF_u64 << 16,
        "engine-0.1",
        Hash::of(&[b"bank"]),
    )
}

/// A journal with one test: Joined, Authorized, then `questions` × (QuestionShown, Answer),
/// optionally ended with a signed head. Returns the database path.
pub fn build(dir: &Path, questions: u32, end: bool) -> PathBuf {
    let path = dir.join("journal.db");
    let key = StationKey::load_or_create(&dir.join("station.key")).unwrap();
    let mut j = Journal::open(&path).unwrap();
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
    for i in 0..questions {
        let item = format!("item-{i}");
        j.append(
            TEST,
            &Event::QuestionShown {
                index: i,
                item_id: item.clone(),
                draw: json!(0.25),
            },
        )
        .unwrap();
        j.append(
            TEST,
            &Event::Answer {
                item_id: item,
                response: json!({"choice": i % 4 + 1, "text": format!("réponse {i}")}),
                time_spent_ms: 1000 + u64::from(i),
                focus_lost: false,
                timed_out: false,
            },
        )
        .unwrap();
    }
    if end {
        j.end_test(TEST, EndedBy::Candidate, None, &key).unwrap();
    }
    j.checkpoint().unwrap();
    path
}

/// What an attacker with disk access does first: remove the append-only triggers.
pub fn attacker(path: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(
        "DROP TRIGGER records_no_update; DROP TRIGGER records_no_delete;
         DROP TRIGGER tests_no_update; DROP TRIGGER heads_no_delete; DROP TRIGGER heads_no_update;",
    )
    .unwrap();
    c
}
