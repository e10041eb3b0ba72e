//! The office end to end without a window: a results file signed like the service signs it,
//! kept only when it verifies, listed, and printed into a PDF whose text and QR links are read
//! back with real tools.

use std::process::Command;

use certroom_certificate::results::{
    frame, CentreCandidate, CentreResults, CentreSession, Certification, RESULTS_DOMAIN,
    RESULTS_FORMAT,
};
use certroom_certificate::{sign, Claims};
use certroom_core::framework::COMPETENCE_CODES;
use certroom_core::message::UserMessage;
use certroom_office::{
    certificates_for, print, roster, CandidateRef, KnownBirthplace, Library, OfficeError,
    PrintOptions, Settings,
};
use certroom_pdf::CertificateLang;
use ring::signature::{Ed25519KeyPair, KeyPair};

const UAI: &str = "0750654D";
const BASE: &str = "https://verifier.example.fr";

fn key(seed: u8) -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).unwrap()
}

fn candidate(
    key: &Ed25519KeyPair,
    id: i64,
    class: &str,
    (first, last): (&str, &str),
    code: &str,
) -> CentreCandidate {
    let levels = [3u8, 2, 4, 1, 3, 2, 5, 3, 2, 1, 0, 4, 3, 2, 6, 3];
    let claims = Claims {
        code: code.into(),
        first_name: first.into(),
        last_name: last.into(),
        birthdate: "2010-02-14".into(),
        issued: "2027-03-20".into(),
        pix: 412,
        pix_max: 1024,
        global_level: 3,
        levels,
    };
    CentreCandidate {
        candidate_id: id,
        local_id: Some(class.into()),
        birth_name: last.into(),
        first_name: first.into(),
        birthdate: "2010-02-14".into(),
        status: "validated".into(),
        certification: Some(Certification {
            verification_code: code.into(),
            issued: "2027-03-20".into(),
            pix: 412,
            pix_max: 1024,
            global_level: 3,
            levels: levels.to_vec(),
            qr_text: Some(sign(&claims, key, 1, BASE).unwrap()),
            status: "valid".into(),
        }),
    }
}

fn results(key: &Ed25519KeyPair, generated_at: &str) -> CentreResults {
    let mut absent = candidate(key, 4, "3B", ("Léo", "Martin"), "P-BCDFGHJK");
    absent.status = "absent".into();
    absent.certification = None;
    CentreResults {
        format: RESULTS_FORMAT.into(),
        uai: UAI.into(),
        centre_name: "Collège Jean Moulin".into(),
        generated_at: generated_at.into(),
        server_public_key: hex::encode(key.public_key().as_ref()),
        competences: COMPETENCE_CODES.iter().map(|c| (*c).to_owned()).collect(),
        sessions: vec![
            CentreSession {
                session_id: format!("{UAI}-4217"),
                session_number: 4217,
                session_date: "2027-03-12".into(),
                bundle_id: "b1".into(),
                status: "published".into(),
                received_at: "2027-03-12T12:00:00Z".into(),
                candidates: vec![
                    candidate(key, 1, "3A", ("Zoé", "N'Diaye-Lefèvre"), "P-2346789B"),
                    candidate(key, 2, "3B", ("Thị Ánh", "Đặng"), "P-CDFGHJKM"),
                    absent,
                ],
            },
            CentreSession {
                session_id: format!("{UAI}-4218"),
                session_number: 4218,
                session_date: "2027-03-13".into(),
                bundle_id: "b2".into(),
                status: "published".into(),
                received_at: "2027-03-13T12:00:00Z".into(),
                candidates: vec![
                    candidate(key, 7, "3A", ("Øystein", "Ærø"), "P-PQRTVWXY"),
                    candidate(key, 8, "3A", ("Mei", "王"), "P-QRTVWXY2"),
                ],
            },
        ],
    }
}

fn signed_file(key: &Ed25519KeyPair, r: &CentreResults) -> Vec<u8> {
    let payload = serde_json::to_vec_pretty(r).unwrap();
    let sig = key.sign(&[RESULTS_DOMAIN, &payload].concat());
    frame(
        &payload,
        &hex::encode(key.public_key().as_ref()),
        &hex::encode(sig.as_ref()),
    )
}

fn office(service: &Ed25519KeyPair) -> (tempfile::TempDir, Library) {
    let dir = tempfile::tempdir().unwrap();
    let lib = Library::open(&dir.path().join("office")).unwrap();
    lib.save_settings(Settings {
        service_key: hex::encode(service.public_key().as_ref()),
        ..Settings::default()
    })
    .unwrap();
    (dir, lib)
}

#[test]
fn only_a_file_signed_by_the_trusted_key_for_this_centre_is_kept() {
    let service = key(1);
    let (_dir, lib) = office(&service);
    let good = signed_file(&service, &results(&service, "2027-03-20T10:00:00Z"));

    // Before any key: nothing can be checked, nothing is kept.
    let dir2 = tempfile::tempdir().unwrap();
    let keyless = Library::open(dir2.path()).unwrap();
    assert!(matches!(
        keyless.import(&good, UAI),
        Err(OfficeError::NoServiceKey)
    ));

    // Signed by someone else (with their own key in the header): refused.
    let forger = key(2);
    let forged = signed_file(&forger, &results(&forger, "2027-03-20T10:00:00Z"));
    let e = lib.import(&forged, UAI).unwrap_err();
    assert_eq!(e.code(), "results.wrong_key");
    assert!(e.message_fr().contains("autre clé"), "{}", e.message_fr());

    // One byte of the payload changed: refused.
    let mut tampered = good.clone();
    let at = tampered.len() - 40;
    tampered[at] ^= 1;
    assert_eq!(
        lib.import(&tampered, UAI).unwrap_err().code(),
        "results.bad_signature"
    );
    assert!(lib.results().unwrap().is_none(), "nothing kept");

    // Another centre's results: refused.
    assert_eq!(
        lib.import(&good, "0750655E").unwrap_err().code(),
        "office.other_centre"
    );

    let summary = lib.import(&good, UAI).unwrap();
    assert_eq!(
        (summary.sessions, summary.candidates, summary.certificates),
        (2, 5, 4)
    );

    // An older file after a newer one: refused, the newer stays.
    let older = signed_file(&service, &results(&service, "2027-03-19T10:00:00Z"));
    assert_eq!(lib.import(&older, UAI).unwrap_err().code(), "office.older");
    assert_eq!(
        lib.results().unwrap().unwrap().generated_at,
        "2027-03-20T10:00:00Z"
    );

    // The kept file edited on the disk: refused on reading, like a forgery.
    let kept = _dir.path().join("office").join("results.signed");
    let mut bytes = std::fs::read(&kept).unwrap();
    let at = bytes.len() - 10;
    bytes[at] ^= 1;
    std::fs::write(&kept, bytes).unwrap();
    assert_eq!(lib.results().unwrap_err().code(), "results.bad_signature");
}

#[test]
fn the_roster_sorts_groups_and_flags_what_cannot_print() {
    let service = key(1);
    let r = roster(&results(&service, "2027-03-20T10:00:00Z"));
    let names: Vec<_> = r
        .rows
        .iter()
        .map(|row| {
            (
                row.session_number,
                row.class.as_str(),
                row.birth_name.as_str(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            (4217, "3A", "N'Diaye-Lefèvre"),
            (4217, "3B", "Đặng"),
            (4217, "3B", "Martin"),
            (4218, "3A", "Ærø"),
            (4218, "3A", "王"),
        ]
    );
    let by_name = |n: &str| r.rows.iter().find(|row| row.birth_name == n).unwrap();
    assert!(by_name("Đặng").printable);
    assert_eq!(by_name("Đặng").birthdate, "14/02/2010");
    assert!(!by_name("Martin").printable, "absent: no certificate");
    assert_eq!(by_name("王").missing_glyphs, ["王"]);
    assert!(!by_name("王").printable);
    assert_eq!(r.competences.len(), 16);
    assert_eq!(r.competences[0].code, "1.1");
    assert!(!r.competences[0].fr.is_empty());
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.pdf");
    std::fs::write(&path, pdf).unwrap();
    // The office's print test cannot check anything without poppler: it always needs it.
    let tool = certroom_testkit::require_tool("pdftotext").expect("pdftotext is on PATH");
    let out = Command::new(tool)
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_selection_prints_whole_with_progress_and_every_qr_verifies() {
    let service = key(1);
    let results = results(&service, "2027-03-20T10:00:00Z");
    let pick = |session: i64, id| CandidateRef {
        session_id: format!("{UAI}-{session}"),
        candidate_id: id,
    };
    let mut options = PrintOptions {
        lang: CertificateLang::Fr,
        validity_years: 3,
        ..PrintOptions::default()
    };
    options.birthplaces.insert(
        (4217, 1),
        KnownBirthplace {
            birth_name: "N'Diaye-Lefèvre".into(),
            first_name: "Zoé".into(),
            birthdate: "2010-02-14".into(),
            place: "L'Haÿ-les-Roses".into(),
        },
    );
    // Same number on another PC's list, another pupil: not used.
    options.birthplaces.insert(
        (4217, 2),
        KnownBirthplace {
            birth_name: "Dupont".into(),
            first_name: "Jean".into(),
            birthdate: "2010-02-14".into(),
            place: "Lille".into(),
        },
    );
    let selection = [pick(4217, 1), pick(4217, 2), pick(4218, 7)];
    let certs = certificates_for(&results, &selection, &options).unwrap();
    assert_eq!(certs[0].birthplace, "L'Haÿ-les-Roses");
    assert_eq!(certs[1].birthplace, "");
    assert_eq!(certs[0].validity.as_deref(), Some("19/03/2030"));
    assert_eq!(certs[0].verify_url, format!("{BASE}/verify"));

    let mut seen = Vec::new();
    let pdf = print(&certs, CertificateLang::Fr, &mut |done, total| {
        seen.push((done, total))
    })
    .unwrap();
    assert_eq!(seen, [(1, 3), (2, 3), (3, 3)]);
    let text = pdftotext(&pdf);
    for s in [
        "N'DIAYE-LEFÈVRE",
        "Zoé",
        "ĐẶNG",
        "Thị Ánh",
        "ÆRØ",
        "Øystein",
        "L'Haÿ-les-Roses",
        "P-2346789B",
        "19/03/2030",
    ] {
        assert!(text.contains(s), "{s} not in:\n{text}");
    }
    assert!(!text.contains("Lille"));
    let key = <[u8; 32]>::try_from(service.public_key().as_ref()).unwrap();
    let checks = certroom_certificate::verify_document(&pdf, &key.into());
    assert_eq!(checks.len(), 3);
    assert!(checks.iter().all(|(_, r)| r.is_ok()), "{checks:?}");

    // All or nothing: an absent candidate, an unknown one, a name the font cannot draw.
    assert_eq!(
        certificates_for(&results, &[pick(4217, 1), pick(4217, 4)], &options)
            .unwrap_err()
            .code(),
        "office.not_published"
    );
    assert_eq!(
        certificates_for(&results, &[pick(4217, 99)], &options)
            .unwrap_err()
            .code(),
        "office.unknown_candidate"
    );
    assert_eq!(
        certificates_for(&results, &[], &options)
            .unwrap_err()
            .code(),
        "office.nothing_selected"
    );
    let wang = certificates_for(&results, &[pick(4218, 8)], &options).unwrap();
    let e = print(&wang, CertificateLang::Fr, &mut |_, _| {}).unwrap_err();
    assert_eq!(e.code(), "pdf.missing_glyphs");
    assert!(e.message_fr().contains('王'), "{}", e.message_fr());

    // English labels and competence titles.
    options.lang = CertificateLang::En;
    let en = certificates_for(&results, &selection[..1], &options).unwrap();
    let en = pdftotext(&print(&en, CertificateLang::En, &mut |_, _| {}).unwrap());
    assert!(en.contains("Date of issue"), "{en}");
    assert!(!text.contains("Date of issue"));
    let title = |code: &str, lang: &str| {
        certroom_core::framework::crcn()
            .unwrap()
            .competence(code)
            .unwrap()
            .title
            .get(lang)
            .to_owned()
    };
    assert_ne!(title("1.1", "en"), title("1.1", "fr"));
    assert!(en.contains(&title("1.1", "en")), "{en}");
    assert!(text.contains(&title("1.1", "fr")));
}

/// An office pinned on key 1 follows the service's rotation and revocation through the key set
/// it downloads (docs/certificate-format.md §10), and keeps it across restarts.
#[test]
fn the_office_follows_the_services_key_set() {
    use certroom_certificate::results::ResultsFileError;
    use certroom_certificate::{KeyError, KeySet};
    let (k1, k2) = (key(1), key(2));
    let (_dir, lib) = office(&k1);
    let by_key2 = signed_file(&k2, &results(&k2, "2027-03-20T10:00:00Z"));
    assert!(matches!(
        lib.import(&by_key2, UAI),
        Err(OfficeError::File(ResultsFileError::WrongKey))
    ));

    let t = "2027-03-01T00:00:00Z";
    let rotated = KeySet::first(&k1, t).rotate(&k1, &k2, t).unwrap();
    // A set that does not grow from key 1 (an impostor's own chain) is refused and not kept.
    let impostor = KeySet::first(&key(9), t).rotate(&key(9), &k2, t).unwrap();
    assert!(matches!(
        lib.take_key_set(impostor),
        Err(OfficeError::Keys(KeyError::NotAnchored))
    ));
    assert!(lib.import(&by_key2, UAI).is_err());

    assert!(lib.take_key_set(rotated.clone()).unwrap());
    lib.import(&by_key2, UAI).unwrap();
    let by_key1 = signed_file(&k1, &results(&k1, "2027-03-21T10:00:00Z"));
    lib.import(&by_key1, UAI).unwrap();

    // Key 1 revoked: what it signs is refused, and the set from before cannot undo it.
    let revoked = rotated.revoke(&k2, 1, t, "fuite").unwrap();
    assert!(lib.take_key_set(revoked).unwrap());
    let later_by_key1 = signed_file(&k1, &results(&k1, "2027-03-22T10:00:00Z"));
    assert!(matches!(
        lib.import(&later_by_key1, UAI),
        Err(OfficeError::File(ResultsFileError::Key(
            KeyError::Revoked { id: 1, .. }
        )))
    ));
    assert!(matches!(
        lib.take_key_set(rotated),
        Err(OfficeError::Keys(KeyError::Unrevoked(1)))
    ));
    // The kept results were signed by key 1 too: they no longer read.
    assert!(lib.results().is_err());
}
