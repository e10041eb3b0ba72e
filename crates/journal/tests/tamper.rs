//! An attacker with disk access edits the journal; `verify_file` must name the test, the first
//! broken sequence and what is wrong.

mod common;

use certroom_core::Hash;
use certroom_journal::record::chain_hash;
use certroom_journal::{verify_file, Journal, JournalError, Problem, VerifyError};
use common::{attacker, build, TEST};
use rusqlite::params;

/// Records: 1 Joined, 2 Authorized, then (Shown, Answer) pairs from 3, Ended last.
const QUESTIONS: u32 = 5; // 2 + 10 + 1 = 13 records

fn broken(path: &std::path::Path) -> (String, u64, Problem) {
    match verify_file(path) {
        Err(VerifyError::Broken {
            test_id,
            seq,
            problem,
        }) => (test_id, seq, problem),
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

fn body(c: &rusqlite::Connection, seq: i64) -> Vec<u8> {
    c.query_row("SELECT body FROM records WHERE seq = ?1", [seq], |r| {
        r.get(0)
    })
    .unwrap()
}

#[test]
fn untouched_journal_verifies() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), QUESTIONS, true);
    let r = verify_file(&p).unwrap();
    assert_eq!((r.tests, r.records, r.signed_heads), (1, 13, 1));
    assert!(r.details[0].ended);
}

#[test]
fn edited_payload_is_detected_at_its_sequence() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), QUESTIONS, true);
    let c = attacker(&p);
    let b = String::from_utf8(body(&c, 6)).unwrap();
    assert!(b.contains("\"choice\":2"));
    let forged = b.replace("\"choice\":2", "\"choice\":3");
    c.execute(
        "UPDATE records SET body = ?1 WHERE seq = 6",
        [forged.as_bytes()],
    )
    .unwrap();
    drop(c);
    assert_eq!(broken(&p), (TEST.into(), 6, Problem::PayloadEdited));
}

#[test]
fn edited_payload_with_recomputed_hash_breaks_the_next_link() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), QUESTIONS, true);
    let c = attacker(&p);
    let forged = String::from_utf8(body(&c, 6))
        .unwrap()
        .replace("\"choice\":2", "\"choice\":3");
    let prev: Vec<u8> = c
        .query_row("SELECT prev_hash FROM records WHERE seq = 6", [], |r| {
            r.get(0)
        })
        .unwrap();
    let h = chain_hash(&Hash::from_slice(&prev).unwrap(), forged.as_bytes());
    c.execute(
        "UPDATE records SET body = ?1, hash = ?2 WHERE seq = 6",
        params![forged.as_bytes(), &h.0[..]],
    )
    .unwrap();
    drop(c);
    assert_eq!(broken(&p), (TEST.into(), 7, Problem::PrevHashMismatch));
}

#[test]
fn edited_hash_column_is_detected() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), QUESTIONS, true);
    let c = attacker(&p);
    c.execute("UPDATE records SET hash = zeroblob(32) WHERE seq = 4", [])
        .unwrap();
    drop(c);
    assert_eq!(broken(&p), (TEST.into(), 4, Problem::HashMismatch));
}

#[test]
fn row_column_disagreeing_with_bytes_is_detected() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), QUESTIONS, true);
    let c = attacker(&p);
    c.execute("UPDATE records SET kind = 'Skip' WHERE seq = 8", [])
        .unwrap();
    drop(c);
    assert_eq!(
        broken(&p),
        (TEST.into(), 8, Problem::RowBytesMismatch("kind"))
    );
}

#[test]
fn deleted_record_is_a_sequence_gap() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), QUESTIONS, true);
    let c = attacker(&p);
    c.execute("DELETE FROM records WHERE seq = 5", []).unwrap();
    drop(c);
    assert_eq!(
        broken(&p),
        (
            TEST.into(),
            5,
            Problem::SequenceGap {
                expected: 5,
                found: 6
            }
        )
    );
}

#[test]
fn swapped_records_are_reordered() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), QUESTIONS, true);
    let c = attacker(&p);
    // Swap the storage positions of records 3 and 4, keeping each row intact.
    let id = |seq: i64| -> i64 {
        c.query_row("SELECT id FROM records WHERE seq = ?1", [seq], |r| r.get(0))
            .unwrap()
    };
    let (i3, i4) = (id(3), id(4));
    c.execute("UPDATE records SET id = -1 WHERE id = ?1", [i3])
        .unwrap();
    c.execute("UPDATE records SET id = ?1 WHERE id = ?2", [i3, i4])
        .unwrap();
    c.execute("UPDATE records SET id = ?1 WHERE id = -1", [i4])
        .unwrap();
    drop(c);
    assert_eq!(
        broken(&p),
        (
            TEST.into(),
            3,
            Problem::Reordered {
                expected: 3,
                found: 4
            }
        )
    );
}

#[test]
fn swapped_contents_under_kept_sequence_numbers_are_detected() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), QUESTIONS, true);
    let c = attacker(&p);
    // Renumber instead: record 4's content now sits under seq 3 and vice versa.
    c.execute("UPDATE records SET seq = 100 WHERE seq = 3", [])
        .unwrap();
    c.execute("UPDATE records SET seq = 3 WHERE seq = 4", [])
        .unwrap();
    c.execute("UPDATE records SET seq = 4 WHERE seq = 100", [])
        .unwrap();
    drop(c);
    let (t, seq, problem) = broken(&p);
    assert_eq!((t.as_str(), seq), (TEST, 3));
    assert!(
        matches!(
            problem,
            Problem::Reordered { .. } | Problem::RowBytesMismatch("seq")
        ),
        "{problem:?}"
    );
}

#[test]
fn inserted_record_mid_chain_is_detected() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), QUESTIONS, true);
    let c = attacker(&p);
    // Make room at seq 5, in storage order too (highest first to keep ids and (test_id, seq)
    // unique), then insert a forged skip that chains correctly onto record 4.
    let ids: Vec<(i64, i64)> = c
        .prepare("SELECT id, seq FROM records WHERE seq >= 5 ORDER BY seq DESC")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (id, seq) in &ids {
        c.execute(
            "UPDATE records SET id = ?1, seq = ?2 WHERE id = ?3",
            [id + 1, seq + 1, *id],
        )
        .unwrap();
    }
    let free_id = ids.last().unwrap().0;
    let (prev, ts, mono): (Vec<u8>, String, i64) = c
        .query_row(
            "SELECT hash, ts, mono_ms FROM records WHERE seq = 4",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let forged = format!(
        r#"{{"kind":"Skip","mono_ms":{mono},"payload":{{"item_id":"item-1"}},"seq":5,"test":"{TEST}","ts":"{ts}","v":1}}"#
    );
    let prev = Hash::from_slice(&prev).unwrap();
    let h = chain_hash(&prev, forged.as_bytes());
    c.execute(
        "INSERT INTO records (id, test_id, seq, ts, mono_ms, kind, body, prev_hash, hash) \
         VALUES (?1, ?2, 5, ?3, ?4, 'Skip', ?5, ?6, ?7)",
        params![
            free_id,
            TEST,
            ts,
            mono,
            forged.as_bytes(),
            &prev.0[..],
            &h.0[..]
        ],
    )
    .unwrap();
    drop(c);
    // The forged record 5 chains onto 4; the break shows where the genuine records resume: the
    // record now stored as 6 says it is 5.
    assert_eq!(
        broken(&p),
        (TEST.into(), 6, Problem::RowBytesMismatch("seq"))
    );
}

#[test]
fn record_appended_after_the_end_is_detected() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), QUESTIONS, true);
    let c = rusqlite::Connection::open(&p).unwrap(); // INSERT needs no dropped trigger
    let (prev, ts, mono): (Vec<u8>, String, i64) = c
        .query_row(
            "SELECT hash, ts, mono_ms FROM records WHERE seq = 13",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let forged = format!(
        r#"{{"kind":"Resumed","mono_ms":{mono},"seq":14,"test":"{TEST}","ts":"{ts}","v":1}}"#
    );
    let prev = Hash::from_slice(&prev).unwrap();
    let h = chain_hash(&prev, forged.as_bytes());
    c.execute(
        "INSERT INTO records (test_id, seq, ts, mono_ms, kind, body, prev_hash, hash) \
         VALUES (?1, 14, ?2, ?3, 'Resumed', ?4, ?5, ?6)",
        params![TEST, ts, mono, forged.as_bytes(), &prev.0[..], &h.0[..]],
    )
    .unwrap();
    drop(c);
    assert_eq!(broken(&p), (TEST.into(), 14, Problem::AfterEnd));
}

#[test]
fn truncated_tail_after_signed_head_is_detected() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), QUESTIONS, true);
    let c = attacker(&p);
    c.execute("DELETE FROM records WHERE seq >= 12", [])
        .unwrap();
    drop(c);
    assert_eq!(
        broken(&p),
        (
            TEST.into(),
            12,
            Problem::TruncatedTail {
                head_seq: 13,
                last_seq: 11
            }
        )
    );
}

#[test]
fn consistently_rewritten_chain_is_caught_by_the_signed_head() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), QUESTIONS, true);
    let c = attacker(&p);
    // The attacker edits answer 6 and recomputes every later hash: only the signature stops it.
    let rows: Vec<(i64, Vec<u8>, Vec<u8>)> = c
        .prepare("SELECT seq, body, prev_hash FROM records ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut prev = Hash::from_slice(&rows[0].2).unwrap();
    for (seq, body, _) in rows {
        let body = if seq == 6 {
            String::from_utf8(body)
                .unwrap()
                .replace("\"choice\":2", "\"choice\":3")
                .into_bytes()
        } else {
            body
        };
        let h = chain_hash(&prev, &body);
        c.execute(
            "UPDATE records SET body = ?1, prev_hash = ?2, hash = ?3 WHERE seq = ?4",
            params![body, &prev.0[..], &h.0[..], seq],
        )
        .unwrap();
        prev = h;
    }
    drop(c);
    assert_eq!(broken(&p), (TEST.into(), 13, Problem::HeadHashMismatch));
}

#[test]
fn edited_test_header_breaks_the_chain_at_record_one() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), QUESTIONS, true);
    let c = attacker(&p);
    let header: Vec<u8> = c
        .query_row("SELECT header FROM tests", [], |r| r.get(0))
        .unwrap();
    let old: String = c
        .query_row("SELECT engine_seed FROM tests", [], |r| r.get(0))
        .unwrap();
    let forged = String::from_utf8(header).unwrap().replace(&old, "1");
    c.execute(
        "UPDATE tests SET header = ?1, engine_seed = '1'",
        [forged.as_bytes()],
    )
    .unwrap();
    drop(c);
    assert_eq!(broken(&p), (TEST.into(), 1, Problem::PrevHashMismatch));
}

#[test]
fn reopening_a_damaged_test_is_a_typed_error_not_a_restart() {
    let d = tempfile::tempdir().unwrap();
    let p = build(d.path(), QUESTIONS, false);
    let c = attacker(&p);
    c.execute("DELETE FROM records WHERE seq = 5", []).unwrap();
    drop(c);
    let mut j = Journal::open(&p).unwrap();
    let e = j.open_test(TEST).unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(&e, JournalError::Damaged { fault, .. } if fault.seq == 5),
        "{e:?}"
    );
    assert!(msg.starts_with("journal endommagé"), "{msg}");
    // Nothing was appended and the test cannot be written to.
    assert!(matches!(
        j.append(TEST, &certroom_journal::Event::Resumed),
        Err(JournalError::TestNotOpen(_))
    ));
}

#[test]
fn hostile_files_give_errors_not_panics() {
    let d = tempfile::tempdir().unwrap();
    let junk = d.path().join("junk.db");
    std::fs::write(
        &junk,
        b"SQLite format 3\0 but not really, just garbage bytes ......",
    )
    .unwrap();
    assert!(verify_file(&junk).is_err());
    assert!(Journal::open(&junk).is_err());
    let empty_db = d.path().join("empty.db");
    rusqlite::Connection::open(&empty_db)
        .unwrap()
        .execute_batch("CREATE TABLE x (a)")
        .unwrap();
    assert!(matches!(
        verify_file(&empty_db),
        Err(VerifyError::NotAJournal(_))
    ));
    assert!(matches!(
        verify_file(&d.path().join("missing.db")),
        Err(VerifyError::Open(_))
    ));

    // A journal whose tables were rebuilt with wrong types and garbage bodies.
    let p = build(d.path(), 2, true);
    let c = attacker(&p);
    c.execute_batch(
        "CREATE TABLE r2 AS SELECT * FROM records; DROP TABLE records;
         ALTER TABLE r2 RENAME TO records;
         UPDATE records SET body = x'ff00' WHERE seq = 2;
         UPDATE records SET seq = 'three' WHERE seq = 3;",
    )
    .unwrap();
    drop(c);
    assert!(verify_file(&p).is_err());

    // Corrupt pages: overwrite the middle of the file.
    let p2 = d.path().join("sub");
    std::fs::create_dir(&p2).unwrap();
    let p2 = build(&p2, 40, true);
    let mut bytes = std::fs::read(&p2).unwrap();
    let n = bytes.len();
    for b in &mut bytes[n / 2..n / 2 + 4096] {
        *b = 0x5a;
    }
    std::fs::write(&p2, bytes).unwrap();
    assert!(verify_file(&p2).is_err());
    assert!(matches!(
        Journal::open(&p2),
        Err(JournalError::DamagedFile(_))
    ));
}
