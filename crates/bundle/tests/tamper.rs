//! Every attack names its own fault: the code, and where.

mod common;

use certroom_bundle::{verify, BundleFault, Container};
use certroom_core::message::UserMessage;
use certroom_journal::{Problem, StationKey};
use common::{candidate_mut, code, forge, rehash};
use serde_json::json;

fn section_index(c: &Container, test: &str) -> usize {
    c.journals.iter().position(|s| s.test_id == test).unwrap()
}

#[test]
fn dropping_a_candidate_from_a_re_signed_manifest_leaves_an_orphan_journal() {
    let room = common::room();
    let bytes = room.write();
    let forged = forge(&bytes, room.console_pair(), |_, m| {
        m["candidates"]
            .as_array_mut()
            .unwrap()
            .retain(|c| c["candidate_id"] != json!(102));
    });
    let r = verify(&forged, Some(&[room.console_pub()]));
    assert_eq!(
        r.unwrap_err(),
        BundleFault::OrphanJournal {
            test_id: "T-102".into()
        }
    );

    // The other way round: the journal section dropped, the manifest untouched.
    let forged = forge(&bytes, room.console_pair(), |c, _| {
        c.journals.retain(|s| s.test_id != "T-103");
    });
    assert_eq!(
        verify(&forged, None).unwrap_err(),
        BundleFault::MissingJournal {
            candidate: 103,
            test_id: "T-103".into()
        }
    );
}

#[test]
fn reordering_two_events_is_caught_by_the_hash_or_by_the_chain() {
    let room = common::room();
    let bytes = room.write();
    let swap = |c: &mut Container| {
        let i = section_index(c, "T-101");
        // Records 4 (QuestionShown) and 5 (Answer).
        c.journals[i].chain.bodies.swap(3, 4);
    };

    // Without the console key: the section no longer matches its hash.
    let mut c = Container::parse(&bytes).unwrap();
    swap(&mut c);
    let r = verify(&c.to_bytes().unwrap(), None);
    assert_eq!(
        r.unwrap_err(),
        BundleFault::JournalHash {
            candidate: 101,
            test_id: "T-101".into()
        }
    );

    // With it (hash updated, manifest re-signed): the chain names the record.
    let forged = forge(&bytes, room.console_pair(), |c, m| {
        swap(c);
        rehash(c, m);
    });
    let r = verify(&forged, None);
    assert_eq!(code(&r), "bundle.chain");
    assert_eq!(
        r.unwrap_err(),
        BundleFault::Chain {
            candidate: 101,
            test_id: "T-101".into(),
            seq: 4,
            problem: Problem::Reordered {
                expected: 4,
                found: 5
            },
        }
    );
}

#[test]
fn swapping_two_candidates_journals() {
    let room = common::room();
    let bytes = room.write();

    // Moving the sections: each still matches its hash, but not its place.
    let mut c = Container::parse(&bytes).unwrap();
    c.journals.swap(0, 1);
    assert_eq!(
        verify(&c.to_bytes().unwrap(), None).unwrap_err(),
        BundleFault::JournalOrder {
            test_id: "T-101".into()
        }
    );

    // Re-assigning them in a re-signed manifest: the journal headers name their candidate.
    let forged = forge(&bytes, room.console_pair(), |c, m| {
        let a = candidate_mut(m, 101).clone();
        let b = candidate_mut(m, 102).clone();
        for (who, from) in [(101, &b), (102, &a)] {
            let cand = candidate_mut(m, who);
            cand["test_id"] = from["test_id"].clone();
            cand["journal_sha256"] = from["journal_sha256"].clone();
        }
        c.journals.swap(0, 1);
    });
    assert_eq!(
        verify(&forged, None).unwrap_err(),
        BundleFault::HeaderMismatch {
            candidate: 101,
            test_id: "T-102".into(),
            field: "candidate_id"
        }
    );
}

#[test]
fn a_console_key_nobody_registered() {
    let room = common::room();
    let dir = tempfile::tempdir().unwrap();
    let rogue = StationKey::load_or_create(&dir.path().join("rogue.key")).unwrap();
    let bytes = certroom_bundle::write(&room.input, rogue.key_pair()).unwrap();

    let r = verify(&bytes, Some(&[room.console_pub()]));
    assert_eq!(
        r.unwrap_err(),
        BundleFault::UntrustedConsole {
            key: rogue.public_key_hex()
        }
    );
    // Valid in itself: only the trusted list tells.
    assert!(verify(&bytes, None).is_ok());

    // Claiming the registered key in the signature section does not make its signature valid.
    let mut c = Container::parse(&bytes).unwrap();
    c.console_key = room.console_pub();
    let r = verify(&c.to_bytes().unwrap(), Some(&[room.console_pub()]));
    assert_eq!(r.unwrap_err(), BundleFault::BadSignature);

    // Nor does naming the registered key inside a manifest the rogue key signed.
    let real = room.console.public_key_hex();
    let forged = forge(&room.write(), rogue.key_pair(), |_, m| {
        m["console_public_key"] = json!(real);
    });
    assert_eq!(
        verify(&forged, None).unwrap_err(),
        BundleFault::ConsoleKeyMismatch
    );
}

#[test]
fn a_head_signed_by_a_station_the_console_did_not_vouch_for() {
    let room = common::room();
    let unvouched = room.stations[1].key.public_key_hex();
    let forged = forge(&room.write(), room.console_pair(), |_, m| {
        m["stations"]
            .as_array_mut()
            .unwrap()
            .retain(|k| k != &json!(unvouched));
    });
    let r = verify(&forged, Some(&[room.console_pub()]));
    assert_eq!(
        r.unwrap_err(),
        BundleFault::HeadUntrusted {
            candidate: 102,
            test_id: "T-102".into(),
            key: unvouched
        }
    );
}

#[test]
fn a_changed_bank_hash_disagrees_with_the_journal_headers() {
    let room = common::room();
    let other = certroom_core::Hash::of(&[b"another bank"]).to_hex();
    let forged = forge(&room.write(), room.console_pair(), |_, m| {
        m["bank_hash"] = json!(other);
    });
    assert_eq!(
        verify(&forged, Some(&[room.console_pub()])).unwrap_err(),
        BundleFault::HeaderMismatch {
            candidate: 101,
            test_id: "T-101".into(),
            field: "bank_hash"
        }
    );
}

#[test]
fn every_truncation_is_named_as_such() {
    let room = common::room();
    let bytes = room.write();
    assert_eq!(code(&verify(&[], None)), "bundle.not_a_bundle");
    for cut in 1..bytes.len() {
        let r = verify(&bytes[..cut], None);
        assert_eq!(code(&r), "bundle.truncated", "cut at {cut}: {r:?}");
    }
}

#[test]
fn trailing_bytes_are_refused() {
    let room = common::room();
    let bytes = room.write();
    let mut one = bytes.clone();
    one.push(0);
    assert_eq!(
        verify(&one, None).unwrap_err(),
        BundleFault::TrailingBytes {
            offset: bytes.len() as u64,
            extra: 1
        }
    );
    // A whole well-formed section after the declared count is still trailing.
    let c = Container::parse(&bytes).unwrap();
    let mut more = bytes.clone();
    let payload = c.journals[0].to_bytes().unwrap();
    more.push(3);
    more.extend_from_slice(&[0, 0, 0]);
    more.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    more.extend_from_slice(&payload);
    assert_eq!(code(&verify(&more, None)), "bundle.trailing_bytes");
}

/// Offsets of the section headers, walked from the documented layout.
fn section_offsets(bytes: &[u8]) -> Vec<usize> {
    let count = u32::from_be_bytes(bytes[12..16].try_into().unwrap());
    let mut at = 16;
    let mut out = Vec::new();
    for _ in 0..count {
        out.push(at);
        let len = u32::from_be_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        at += 8 + len;
    }
    assert_eq!(at, bytes.len());
    out
}

#[test]
fn duplicate_and_oversized_sections() {
    let room = common::room();
    let bytes = room.write();
    let offs = section_offsets(&bytes);

    // A second copy of the first journal section, with the count raised to match.
    let mut dup = bytes.clone();
    let (start, end) = (offs[2], offs[3]);
    dup.extend_from_slice(&bytes[start..end]);
    let count = u32::from_be_bytes(dup[12..16].try_into().unwrap()) + 1;
    dup[12..16].copy_from_slice(&count.to_be_bytes());
    assert_eq!(
        verify(&dup, None).unwrap_err(),
        BundleFault::DuplicateSection {
            offset: bytes.len() as u64,
            what: "journal T-101".into()
        }
    );

    // A second manifest section in place of the first journal.
    let mut two = bytes.clone();
    two[offs[2]] = 1;
    assert_eq!(code(&verify(&two, None)), "bundle.duplicate_section");

    // Lengths and counts far beyond the bounds are refused before any allocation.
    let mut huge = bytes.clone();
    huge[offs[0] + 4..offs[0] + 8].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(code(&verify(&huge, None)), "bundle.too_large");
    let mut many = bytes.clone();
    many[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(code(&verify(&many, None)), "bundle.too_large");
    // A record count inside a journal section (after the test id and the header).
    let mut records = bytes.clone();
    let j = offs[2] + 8;
    let id_len = u16::from_be_bytes([records[j], records[j + 1]]) as usize;
    let h = j + 2 + id_len;
    let header_len = u32::from_be_bytes(records[h..h + 4].try_into().unwrap()) as usize;
    let n = h + 4 + header_len;
    records[n..n + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    let r = verify(&records, None);
    assert!(
        matches!(
            r,
            Err(BundleFault::JournalSection {
                index: 0,
                detail: "record count out of bounds",
                ..
            })
        ),
        "{r:?}"
    );
}

#[test]
fn outcomes_and_abort_reasons_must_agree_with_the_journals() {
    let room = common::room();
    let bytes = room.write();
    let key = room.console_pair();

    let forged = forge(&bytes, key, |_, m| {
        candidate_mut(m, 103)["abort_reason"] = json!("none");
    });
    assert_eq!(
        verify(&forged, None).unwrap_err(),
        BundleFault::AbortReasonMissing { candidate: 103 }
    );

    let forged = forge(&bytes, key, |_, m| {
        candidate_mut(m, 102)["outcome"] = json!("finished");
    });
    assert_eq!(
        verify(&forged, None).unwrap_err(),
        BundleFault::OutcomeMismatch {
            candidate: 102,
            declared: certroom_bundle::Outcome::Finished,
            journal: Some(certroom_bundle::Outcome::TimeUp)
        }
    );

    // An absent candidate ended by the invigilator before starting needs a reason too.
    let forged = forge(&bytes, key, |_, m| {
        candidate_mut(m, 104)["outcome"] = json!("ended_by_invigilator");
    });
    assert_eq!(
        verify(&forged, None).unwrap_err(),
        BundleFault::AbortReasonMissing { candidate: 104 }
    );
}

#[test]
fn a_candidate_or_a_test_listed_twice() {
    let room = common::room();
    let bytes = room.write();
    let forged = forge(&bytes, room.console_pair(), |_, m| {
        let c = candidate_mut(m, 104).clone();
        m["candidates"].as_array_mut().unwrap().push(c);
    });
    assert_eq!(
        verify(&forged, None).unwrap_err(),
        BundleFault::DuplicateCandidate { candidate: 104 }
    );

    let forged = forge(&bytes, room.console_pair(), |_, m| {
        let mut c = candidate_mut(m, 101).clone();
        c["candidate_id"] = json!(105);
        m["candidates"].as_array_mut().unwrap().push(c);
    });
    assert_eq!(
        verify(&forged, None).unwrap_err(),
        BundleFault::DuplicateTest {
            test_id: "T-101".into()
        }
    );
}

#[test]
fn a_cut_journal_no_longer_reaches_its_signed_head() {
    let room = common::room();
    let forged = forge(&room.write(), room.console_pair(), |c, m| {
        let i = section_index(c, "T-101");
        let last = c.journals[i].chain.bodies.pop();
        assert!(last.is_some());
        rehash(c, m);
    });
    let r = verify(&forged, None);
    assert!(
        matches!(
            &r,
            Err(BundleFault::HeadMismatch {
                candidate: 101,
                what: "truncated",
                ..
            })
        ),
        "{r:?}"
    );
}

#[test]
fn manifest_version_and_byte_form() {
    let room = common::room();
    let bytes = room.write();
    let forged = forge(&bytes, room.console_pair(), |_, m| {
        m["version"] = json!(2);
    });
    assert_eq!(
        verify(&forged, None).unwrap_err(),
        BundleFault::ManifestVersion { found: "2".into() }
    );

    // The same manifest with a space: signed, but not the one byte form.
    let mut c = Container::parse(&bytes).unwrap();
    c.manifest.insert(1, b' ');
    c.signature = certroom_bundle::sign_manifest(&c.manifest, room.console_pair());
    assert_eq!(
        code(&verify(&c.to_bytes().unwrap(), None)),
        "bundle.manifest_unreadable"
    );

    let forged = forge(&bytes, room.console_pair(), |_, m| {
        m["extra"] = json!(true);
    });
    assert_eq!(code(&verify(&forged, None)), "bundle.manifest_unreadable");

    let forged = forge(&bytes, room.console_pair(), |_, m| {
        m["bundle_id"] = json!("0750654D-4217-not-a-uuid");
    });
    assert_eq!(
        verify(&forged, None).unwrap_err(),
        BundleFault::ManifestInvalid {
            field: "bundle_id".into(),
            detail: "not {UAI}-{session}-{uuid v4}"
        }
    );
}

/// An insider with the console's key swaps who sat which test: the names and birthdates of two
/// candidates in a re-signed manifest, under a new bundle id and a later finalization. The
/// journals' headers, covered by the stations' signed heads, still name who sat them.
#[test]
fn swapping_two_identities_in_a_re_signed_manifest_is_refused() {
    let room = common::room();
    let forged = forge(&room.write(), room.console_pair(), |_, m| {
        let fields = ["birth_name", "first_name", "birthdate"];
        let a: Vec<_> = fields
            .iter()
            .map(|f| candidate_mut(m, 101)[f].clone())
            .collect();
        let b: Vec<_> = fields
            .iter()
            .map(|f| candidate_mut(m, 102)[f].clone())
            .collect();
        for (f, (va, vb)) in fields.iter().zip(a.into_iter().zip(b)) {
            candidate_mut(m, 101)[f] = vb;
            candidate_mut(m, 102)[f] = va;
        }
        m["bundle_id"] = json!(format!(
            "{}-{}-00000000-0000-4000-8000-000000000001",
            common::UAI,
            common::SESSION
        ));
        m["finalization"]["finalized_at"] = json!("2025-05-13T09:00:00.000Z");
    });
    let f = verify(&forged, Some(&[room.console_pub()])).unwrap_err();
    assert_eq!(f.code(), "bundle.identity_mismatch");
    let fr = f.message_fr();
    assert!(
        fr.contains("N'DIAYE-LEFÈVRE Zoé") && fr.contains("MARTIN Léo"),
        "{fr}"
    );

    // A fix the invigilator recorded (C1) lets the names differ: the service shows both to
    // the jury, which is where a made-up fix ends too.
    let fixed = forge(&room.write(), room.console_pair(), |_, m| {
        candidate_mut(m, 101)["first_name"] = json!("Zoë");
        candidate_mut(m, 101)["birthdate"] = json!("2011-04-02");
        candidate_mut(m, 101)["incidents"] =
            json!([{"code": "C1", "note": "date de naissance corrigée", "question": null}]);
    });
    assert_eq!(code(&verify(&fixed, None)), "ok");
    // Without the fix, the same change is refused; a change of case or accents is no change.
    let unfixed = forge(&room.write(), room.console_pair(), |_, m| {
        candidate_mut(m, 101)["birthdate"] = json!("2011-04-02");
    });
    assert_eq!(code(&verify(&unfixed, None)), "bundle.identity_mismatch");
    let folded = forge(&room.write(), room.console_pair(), |_, m| {
        candidate_mut(m, 101)["birth_name"] = json!("N DIAYE LEFEVRE");
    });
    assert_eq!(code(&verify(&folded, None)), "ok");
}

#[test]
fn every_fault_speaks_french_first_then_english() {
    let room = common::room();
    let forged = forge(&room.write(), room.console_pair(), |_, m| {
        candidate_mut(m, 103)["abort_reason"] = json!("none");
    });
    let f = verify(&forged, None).unwrap_err();
    assert!(f.message_fr().contains("motif d'abandon"));
    assert!(f.message_en().contains("abort reason"));
    let shown = f.to_string();
    assert!(shown.starts_with("[bundle.abort_reason_missing] Candidat 103"));
}

/// The stations' signatures are checked together at the end, but a bad one is still the fault
/// reported when checking one at a time would have stopped there.
#[test]
fn a_bad_head_signature_is_named_where_the_order_of_checks_puts_it() {
    let room = common::room();
    let bytes = room.write();
    let pinned = [room.console_pub()];
    // The head of `test` signed wrong, then `edit`, the manifest's hashes brought up to date.
    let refused = |test: &str, edit: &dyn Fn(&mut Container, &mut serde_json::Value)| {
        let forged = forge(&bytes, room.console_pair(), |c, m| {
            let i = section_index(c, test);
            c.journals[i]
                .head
                .as_mut()
                .expect("a signed head")
                .signature[10] ^= 1;
            edit(c, m);
            rehash(c, m);
        });
        verify(&forged, Some(&pinned)).unwrap_err()
    };
    let invalid = |candidate: i64, test: &str| BundleFault::HeadInvalid {
        candidate,
        test_id: test.into(),
        detail: certroom_journal::HeadError::BadSignature.to_string(),
    };

    // Alone.
    assert_eq!(refused("T-102", &|_, _| {}), invalid(102, "T-102"));

    // Before a fault of a later section, and before its own head's other faults.
    let cut = |c: &mut Container, _: &mut serde_json::Value| {
        for test in ["T-102", "T-101"] {
            let i = section_index(c, test);
            c.journals[i].chain.bodies.pop();
        }
    };
    assert_eq!(refused("T-101", &cut), invalid(101, "T-101"));

    // Before a fault found after every section, a candidate listed twice.
    let twice = |_: &mut Container, m: &mut serde_json::Value| {
        let copy = candidate_mut(m, 101).clone();
        m["candidates"].as_array_mut().unwrap().push(copy);
    };
    assert_eq!(refused("T-102", &twice), invalid(102, "T-102"));

    // Before its station being one the console did not vouch for, as a single check would say.
    let unvouched = json!(room.stations[1].key.public_key_hex());
    let unvouch = |_: &mut Container, m: &mut serde_json::Value| {
        m["stations"]
            .as_array_mut()
            .unwrap()
            .retain(|k| k != &unvouched);
    };
    assert_eq!(refused("T-102", &unvouch), invalid(102, "T-102"));

    // After a fault found before the head was read: an earlier section's header.
    let other = json!(certroom_core::Hash::of(&[b"another bank"]).to_hex());
    let rebank = |_: &mut Container, m: &mut serde_json::Value| m["bank_hash"] = other.clone();
    assert_eq!(
        refused("T-102", &rebank),
        BundleFault::HeaderMismatch {
            candidate: 101,
            test_id: "T-101".into(),
            field: "bank_hash"
        }
    );
}
