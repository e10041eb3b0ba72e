//! The hub's copy of a chain and a resume on another PC from that copy.

mod common;

use certroom_journal::{ChainBytes, Event, Journal, Mirror, Problem};
use common::{build, TEST};

fn exported(dir: &std::path::Path, questions: u32) -> ChainBytes {
    let path = build(dir, questions, false);
    Journal::open(&path).unwrap().chain_bytes(TEST, 0).unwrap()
}

#[test]
fn a_mirror_follows_the_chain_in_increments_and_matches_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let path = build(dir.path(), 3, false);
    let j = Journal::open(&path).unwrap();
    let first = j.chain_bytes(TEST, 0).unwrap();
    let mut m = Mirror::new(first.header.clone()).unwrap();
    for body in first.bodies.iter().take(4) {
        m.extend(body.clone()).unwrap();
    }
    let rest = j.chain_bytes(TEST, m.last_seq()).unwrap();
    assert_eq!(rest.bodies.len(), first.bodies.len() - 4);
    for body in rest.bodies {
        m.extend(body).unwrap();
    }
    assert_eq!(m.records(), j.records(TEST).unwrap().as_slice());
}

#[test]
fn a_mirror_refuses_edited_reordered_foreign_and_duplicated_records() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = exported(dir.path(), 2);
    let fresh = || Mirror::new(bytes.header.clone()).unwrap();

    let mut m = fresh();
    m.extend(bytes.bodies[0].clone()).unwrap();
    let err = m.extend(bytes.bodies[2].clone()).unwrap_err();
    assert!(
        matches!(
            err.problem,
            Problem::SequenceGap {
                expected: 2,
                found: 3
            }
        ),
        "{err:?}"
    );
    m.extend(bytes.bodies[1].clone()).unwrap();
    let err = m.extend(bytes.bodies[1].clone()).unwrap_err();
    assert!(matches!(err.problem, Problem::Reordered { .. }), "{err:?}");

    let mut edited = bytes.bodies[0].clone();
    let at = edited.len() - 3;
    edited[at] ^= 1;
    assert!(fresh().extend(edited).is_err());

    let other = tempfile::tempdir().unwrap();
    let mut h = common::header("T-0002");
    h.created = "2020-01-01T00:00:00.000Z".into();
    let mut j = Journal::open(&other.path().join("j.db")).unwrap();
    j.create_test(h).unwrap();
    j.append("T-0002", &Event::Joined).unwrap();
    let foreign = j.chain_bytes("T-0002", 0).unwrap().bodies.remove(0);
    let err = fresh().extend(foreign).unwrap_err();
    assert!(
        matches!(err.problem, Problem::RowBytesMismatch("test_id")),
        "{err:?}"
    );
}

#[test]
fn another_pc_resumes_from_the_copy_and_goes_on_appending() {
    let a = tempfile::tempdir().unwrap();
    let bytes = exported(a.path(), 2);
    let b = tempfile::tempdir().unwrap();
    let mut j = Journal::open(&b.path().join("journal.db")).unwrap();
    let header = j.import_chain(bytes.clone()).unwrap();
    assert_eq!(header.test_id, TEST);
    assert!(matches!(
        j.import_chain(bytes.clone()),
        Err(certroom_journal::JournalError::TestExists(_))
    ));
    let p = j.open_test(TEST).unwrap();
    assert!(
        p.needs_authorization,
        "a moved test waits for the invigilator"
    );
    j.append(TEST, &Event::Resumed).unwrap();
    let copy = j.chain_bytes(TEST, 0).unwrap();
    assert_eq!(copy.bodies[..bytes.bodies.len()], bytes.bodies[..]);
    let report = certroom_journal::verify_file(&b.path().join("journal.db")).unwrap();
    assert_eq!(report.tests, 1);

    let mut tampered = bytes;
    tampered.bodies.swap(1, 2);
    let c = tempfile::tempdir().unwrap();
    let mut j = Journal::open(&c.path().join("journal.db")).unwrap();
    assert!(j.import_chain(tampered).is_err());
    assert!(
        j.tests().unwrap().is_empty(),
        "a refused import writes nothing"
    );
}
