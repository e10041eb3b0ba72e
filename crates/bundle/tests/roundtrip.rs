mod common;

use certroom_bundle::{
    verify, verify_digested, verify_file, verify_file_pinned, Container, Digested, Outcome,
};
use certroom_core::message::UserMessage;
use certroom_journal::steps::engine_steps;

#[test]
fn a_written_bundle_verifies_and_gives_back_every_record() {
    let room = common::room();
    let bytes = room.write();
    assert_eq!(&bytes[..8], b"CRBUNDLE");

    let v = verify(&bytes, Some(&[room.console_pub()])).unwrap();
    let m = &v.manifest;
    assert!(v.console_pinned);
    assert_eq!(m.version, 1);
    assert!(m
        .bundle_id
        .starts_with(&format!("{}-{}-", common::UAI, common::SESSION)));
    assert_eq!(m.centre, room.input.centre);
    assert_eq!(m.session, room.input.session);
    assert_eq!(m.console_public_key, room.console_pub());
    assert_eq!(m.bank_hash, common::bank());
    assert_eq!(m.finalization.comment, room.input.comment);
    let mut stations = room.input.stations.clone();
    stations.sort_unstable();
    assert_eq!(m.stations, stations);

    assert_eq!(v.candidates.len(), 4);
    for (vc, input) in v.candidates.iter().zip(&room.input.candidates) {
        assert_eq!(&vc.candidate.entry, input);
        match &input.test_id {
            None => assert!(vc.journal.is_none() && vc.candidate.journal_sha256.is_none()),
            Some(t) => {
                let j = vc.journal.as_ref().unwrap();
                let original = room
                    .input
                    .journals
                    .iter()
                    .find(|j| &j.test_id == t)
                    .unwrap();
                // Exact bytes in, exact bytes out.
                assert_eq!(j.mirror.to_bytes(), original.chain);
                assert_eq!(j.head, original.head);
                assert_eq!(Some(j.section_sha256), vc.candidate.journal_sha256);
                // The central replay can start from here.
                assert!(!engine_steps(j.mirror.records()).unwrap().is_empty());
            }
        }
    }
    let heads: Vec<bool> = v
        .candidates
        .iter()
        .map(|c| c.journal.as_ref().is_some_and(|j| j.head.is_some()))
        .collect();
    assert_eq!(heads, [true, true, false, false]);
    assert_eq!(
        v.candidates[2].candidate.entry.outcome,
        Outcome::Interrupted
    );

    // Parsing and re-encoding the container is the identity: one content, one byte string.
    assert_eq!(Container::parse(&bytes).unwrap().to_bytes().unwrap(), bytes);

    // Without a trusted list the bundle verifies too, and the report says the key was not pinned.
    let report = verify(&bytes, None).unwrap().summary();
    assert!(!report.console_pinned);
    let text = report.to_string();
    assert!(text.starts_with("Lot de résultats valide"), "{text}");
    assert!(text.contains("NON comparée"), "{text}");
    assert!(
        text.contains("N'DIAYE-LEFÈVRE Zoé (3A) : terminé / finished"),
        "{text}"
    );
    assert!(text.contains("motif / reason : technical"), "{text}");
    assert!(text.contains("incidents : E1"), "{text}");
    assert_eq!(report.journals, 3);
    assert_eq!(report.signed_heads, 2);
    println!("{text}");
}

#[test]
fn bytes_digested_once_verify_as_the_bytes_do() {
    let room = common::room();
    let bytes = room.write();
    let pinned = [room.console_pub()];
    let v = verify(&bytes, Some(&pinned)).unwrap();
    let d = verify_digested(&Digested::new(bytes.clone()), Some(&pinned)).unwrap();
    assert_eq!(d.file_sha256, v.file_sha256);
    assert_eq!(d.summary(), v.summary());
    let mut flipped = bytes;
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert_eq!(
        verify_digested(&Digested::new(flipped.clone()), Some(&pinned)).unwrap_err(),
        verify(&flipped, Some(&pinned)).unwrap_err()
    );
}

#[test]
fn two_bundles_of_the_same_room_differ_only_by_id_and_signature() {
    let room = common::room();
    let a = Container::parse(&room.write()).unwrap();
    let b = Container::parse(&room.write()).unwrap();
    assert_eq!(a.journals, b.journals);
    assert_ne!(a.manifest, b.manifest, "each bundle has its own uuid");
}

#[test]
fn verify_file_reads_a_bundle_and_names_an_unreadable_path() {
    let room = common::room();
    let dir = tempfile::tempdir().unwrap();
    let path = common::write_file(dir.path(), &room.write());
    let report = verify_file(&path).unwrap();
    assert_eq!(report.candidates.len(), 4);
    let pinned = verify_file_pinned(&path, Some(&[room.console_pub()])).unwrap();
    assert!(pinned.console_pinned);
    assert_eq!(
        verify_file_pinned(&path, Some(&[[7u8; 32]]))
            .unwrap_err()
            .code(),
        "bundle.untrusted_console"
    );

    let missing = verify_file(dir.path().join("nope.crbundle")).unwrap_err();
    assert_eq!(missing.code(), "bundle.io");
    assert!(missing.message_fr().starts_with("Impossible de lire"));
    assert_eq!(verify_file(dir.path()).unwrap_err().code(), "bundle.io");
}

#[test]
fn the_console_cannot_write_what_the_verifier_would_refuse() {
    let room = common::room();
    let key = room.console_pair();
    let code = |input: &certroom_bundle::BundleInput| {
        certroom_bundle::write(input, key)
            .unwrap_err()
            .code()
            .to_owned()
    };

    let mut missing_reason = room.input.clone();
    missing_reason.candidates[2].abort_reason = certroom_bundle::AbortReason::None;
    assert_eq!(code(&missing_reason), "bundle.abort_reason_missing");

    let mut unvouched = room.input.clone();
    unvouched.stations.remove(0);
    assert_eq!(code(&unvouched), "bundle.head_untrusted");

    let mut orphan = room.input.clone();
    orphan.candidates.remove(1);
    assert_eq!(code(&orphan), "bundle.orphan_journal");

    let mut missing = room.input.clone();
    missing.journals.remove(0);
    assert_eq!(code(&missing), "bundle.missing_journal");

    let mut twice = room.input.clone();
    twice.candidates.push(twice.candidates[3].clone());
    assert_eq!(code(&twice), "bundle.duplicate_candidate");

    let mut bad_uai = room.input.clone();
    bad_uai.centre.uai = "0750654E".into();
    assert_eq!(code(&bad_uai), "bundle.manifest_invalid");

    let mut wrong_bank = room.input.clone();
    wrong_bank.bank_hash = certroom_core::Hash::of(&[b"another bank"]);
    assert_eq!(code(&wrong_bank), "bundle.header_mismatch");
}
