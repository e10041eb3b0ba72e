//! Signing and offline verification of certificate QR texts.

mod common;

use certroom_certificate::{
    sign, sign_all, verify, CertificateError, Claims, Field, Malformed, Problem, VerifyError,
    MAX_NAME_BYTES, MAX_QR_TEXT, SIGNING_DOMAIN, VERSION_WITHOUT_KEY_ID,
};
use certroom_core::message::UserMessage;
use common::*;

#[test]
fn a_signed_certificate_verifies_and_gives_back_its_claims() {
    let key = service_key();
    let qr = sign(&sample(), &key, 1, BASE).unwrap();
    assert!(
        qr.starts_with("https://verifier.certroom.fr/v/P-4TK7BQ9M#AgABNFRLN0JROU0"),
        "{qr}"
    );
    assert_eq!(verify(&qr, &trusted(&key)), Ok(sample()));
    // A scanner's trailing newline is not part of the text.
    assert_eq!(verify(&format!("{qr}\r\n"), &trusted(&key)), Ok(sample()));
    // The same claims and key always give the same text (Ed25519 is deterministic).
    assert_eq!(sign(&sample(), &key, 1, &format!("{BASE}/")).unwrap(), qr);
}

#[test]
fn signing_a_class_at_once_gives_each_text_signing_alone_gives() {
    let key = service_key();
    let mut class: Vec<Claims> = (0..30u16)
        .map(|i| Claims {
            pix: 100 + i,
            ..sample()
        })
        .collect();
    // One that cannot be signed, in the middle: its error, in its place.
    class[12].first_name = "é".repeat(MAX_NAME_BYTES);
    let texts = sign_all(&class, &key, 1, BASE);
    assert_eq!(texts.len(), class.len());
    for (claims, text) in class.iter().zip(&texts) {
        let alone = sign(claims, &key, 1, BASE);
        assert_eq!(format!("{text:?}"), format!("{alone:?}"));
        if let Ok(t) = text {
            assert_eq!(verify(t, &trusted(&key)).as_ref(), Ok(claims));
        }
    }
    assert!(texts[12].is_err() && texts.iter().filter(|t| t.is_ok()).count() == 29);
    assert!(sign_all(&[], &key, 1, BASE).is_empty());
}

type Alteration = (&'static str, Box<dyn Fn(&mut Claims)>);

/// Every field, changed in turn, with the rest of the payload and the original signature kept.
fn alterations() -> Vec<Alteration> {
    let mut list: Vec<Alteration> = vec![
        ("code", Box::new(|c| c.code = "P-4TK7BQ9X".into())),
        ("first name", Box::new(|c| c.first_name = "Camilla".into())),
        (
            "first name case",
            Box::new(|c| c.first_name = "camille".into()),
        ),
        ("first name emptied", Box::new(|c| c.first_name.clear())),
        ("last name", Box::new(|c| c.last_name = "Martins".into())),
        (
            "last name accent",
            Box::new(|c| c.last_name = "Martín".into()),
        ),
        (
            "names swapped",
            Box::new(|c| std::mem::swap(&mut c.first_name, &mut c.last_name)),
        ),
        ("birthdate", Box::new(|c| c.birthdate = "2008-03-15".into())),
        (
            "birth year",
            Box::new(|c| c.birthdate = "2007-03-14".into()),
        ),
        ("issued", Box::new(|c| c.issued = "2025-06-21".into())),
        ("pix", Box::new(|c| c.pix = 413)),
        ("pix high byte", Box::new(|c| c.pix = 412 + 256)),
        ("pix max", Box::new(|c| c.pix_max = 896)),
        ("global level", Box::new(|c| c.global_level = 4)),
    ];
    for i in 0..16 {
        list.push((
            "level",
            Box::new(move |c| c.levels[i] = (c.levels[i] + 1) % 9),
        ));
    }
    list
}

#[test]
fn every_single_field_alteration_breaks_the_signature() {
    let key = service_key();
    let qr = sign(&sample(), &key, 1, BASE).unwrap();
    let original = payload(&qr);
    let signature = &original[original.len() - 64..];
    for (i, (what, alter)) in alterations().into_iter().enumerate() {
        let mut claims = sample();
        alter(&mut claims);
        assert_ne!(claims, sample(), "{what} #{i}");
        // Sign the altered claims only to obtain their exact bytes and URL, then graft the
        // original signature onto them: what a forger who edits one field would print.
        let altered = sign(&claims, &key, 1, BASE).unwrap();
        let mut bytes = payload(&altered);
        assert_ne!(bytes, original, "{what} #{i} is not in the signed bytes");
        let n = bytes.len();
        bytes[n - 64..].copy_from_slice(signature);
        let forged = with_payload(&altered, &bytes);
        assert_eq!(
            verify(&forged, &trusted(&key)),
            Err(VerifyError::BadSignature),
            "{what} #{i}"
        );
    }
}

#[test]
fn flipping_any_character_of_the_payload_fails() {
    let key = service_key();
    let qr = sign(&sample(), &key, 1, BASE).unwrap();
    let (url, fragment) = qr.split_once('#').unwrap();
    let replacements: Vec<char> =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= .é"
            .chars()
            .collect();
    let mut tried = 0;
    for (pos, original) in fragment.char_indices() {
        for &r in replacements.iter().filter(|r| **r != original) {
            let mut flipped = String::from(fragment);
            flipped.replace_range(pos..pos + original.len_utf8(), r.encode_utf8(&mut [0; 4]));
            let text = format!("{url}#{flipped}");
            let result = verify(&text, &trusted(&key));
            assert!(
                matches!(
                    result,
                    Err(VerifyError::BadEncoding(_)
                        | VerifyError::UnknownVersion(_)
                        | VerifyError::BadSignature)
                ),
                "position {pos}: {original} → {r}: {result:?}"
            );
            tried += 1;
        }
    }
    assert!(tried > 100 * 60, "{tried}");
    // Cutting or extending the payload fails too.
    for cut in 0..fragment.len() {
        assert!(verify(&format!("{url}#{}", &fragment[..cut]), &trusted(&key)).is_err());
    }
    assert!(verify(&format!("{qr}A"), &trusted(&key)).is_err());
    assert!(verify(&format!("{qr}AAAA"), &trusted(&key)).is_err());
}

#[test]
fn another_key_is_refused() {
    let qr = sign(&sample(), &service_key(), 1, BASE).unwrap();
    for other in [public(&key(1)), [0; 32], [0xFF; 32]] {
        assert_eq!(verify(&qr, &other.into()), Err(VerifyError::BadSignature));
    }
    let forged = sign(&sample(), &key(1), 1, BASE).unwrap();
    assert_eq!(
        verify(&forged, &trusted(&service_key())),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn a_swapped_code_in_the_url_is_caught() {
    let key = service_key();
    let qr = sign(&sample(), &key, 1, BASE).unwrap();
    let swapped = qr.replace("/v/P-4TK7BQ9M#", "/v/P-2346789B#");
    assert_eq!(
        verify(&swapped, &trusted(&key)),
        Err(VerifyError::CodeMismatch {
            url: "P-2346789B".into(),
            signed: "P-4TK7BQ9M".into(),
        })
    );
    // Another genuine certificate's payload behind this certificate's URL.
    let mut other = sample();
    other.code = "P-CDFGHJKM".into();
    other.last_name = "Bernard".into();
    let other_qr = sign(&other, &key, 1, BASE).unwrap();
    let (_, other_fragment) = other_qr.split_once('#').unwrap();
    let (url, _) = qr.split_once('#').unwrap();
    let grafted = format!("{url}#{other_fragment}");
    assert!(matches!(
        verify(&grafted, &trusted(&key)),
        Err(VerifyError::CodeMismatch { .. })
    ));
    // Not a verification code at all: not a certificate URL.
    for bad in [
        "P-4TK7BQ9",
        "P-4TK7BQ9MM",
        "P-4TK7BQ95",
        "P-44K7BQ9M",
        "p-4tk7bq9m",
    ] {
        let text = qr.replace("P-4TK7BQ9M#", &format!("{bad}#"));
        assert_eq!(
            verify(&text, &trusted(&key)),
            Err(VerifyError::NotCertificateUrl),
            "{bad}"
        );
    }
}

#[test]
fn the_host_is_free_but_the_shape_is_not() {
    let key = service_key();
    let qr = sign(&sample(), &key, 1, BASE).unwrap();
    let moved = qr.replace(BASE, "http://10.0.0.2:8080/certif");
    assert_eq!(verify(&moved, &trusted(&key)), Ok(sample()));
    let (_, fragment) = qr.split_once('#').unwrap();
    for text in [
        String::new(),
        "hello".into(),
        "P-4TK7BQ9M".into(),
        format!("verifier.certroom.fr/v/P-4TK7BQ9M#{fragment}"),
        format!("ftp://verifier.certroom.fr/v/P-4TK7BQ9M#{fragment}"),
        format!("https:///v/P-4TK7BQ9M#{fragment}"),
        format!("https://verifier.certroom.fr/P-4TK7BQ9M#{fragment}"),
        "https://verifier.certroom.fr/v/P-4TK7BQ9M".into(),
        format!("{qr}{}", "A".repeat(MAX_QR_TEXT)),
    ] {
        assert_eq!(
            verify(&text, &trusted(&key)),
            Err(VerifyError::NotCertificateUrl),
            "{text}"
        );
    }
}

#[test]
fn each_error_is_precise() {
    let key = service_key();
    let pk = trusted(&key);
    let qr = sign(&sample(), &key, 1, BASE).unwrap();
    let bytes = payload(&qr);

    let not_base64 = qr.replace('#', "#*");
    assert_eq!(
        verify(&not_base64, &pk),
        Err(VerifyError::BadEncoding(Malformed::Base64))
    );
    let padded = format!("{qr}==");
    assert_eq!(
        verify(&padded, &pk),
        Err(VerifyError::BadEncoding(Malformed::Base64))
    );

    let empty = with_payload(&qr, &[]);
    assert_eq!(
        verify(&empty, &pk),
        Err(VerifyError::BadEncoding(Malformed::Truncated))
    );
    let half = with_payload(&qr, &bytes[..bytes.len() / 2]);
    assert_eq!(
        verify(&half, &pk),
        Err(VerifyError::BadEncoding(Malformed::Truncated))
    );
    let mut longer = bytes.clone();
    longer.insert(bytes.len() - 64, 0);
    assert_eq!(
        verify(&with_payload(&qr, &longer), &pk),
        Err(VerifyError::BadEncoding(Malformed::TrailingBytes))
    );

    for version in [0u8, 3, 0xFF] {
        let mut v = bytes.clone();
        v[0] = version;
        assert_eq!(
            verify(&with_payload(&qr, &v), &pk),
            Err(VerifyError::UnknownVersion(version))
        );
    }
}

/// Bytes in the format, signed with the service key, whatever they say: what a faulty signer
/// would produce.
fn signed_raw(url: &str, body: &[u8]) -> String {
    let mut msg = SIGNING_DOMAIN.to_vec();
    msg.extend_from_slice(body);
    let mut payload = body.to_vec();
    payload.extend_from_slice(service_key().sign(&msg).as_ref());
    with_payload(url, &payload)
}

#[test]
fn a_signed_payload_that_breaks_the_format_is_still_refused() {
    let pk = trusted(&service_key());
    let qr = sign(&sample(), &service_key(), 1, BASE).unwrap();
    let good = payload(&qr);
    // Written as version 1 (no key id), which verifiers still read, so that the offsets below
    // are those of docs §2.
    let body = &[&[VERSION_WITHOUT_KEY_ID][..], &good[3..good.len() - 64]].concat();
    // Offsets in the sample's body: version 0, code 1..9, first name 9 (len) 10..17,
    // last name 17 (len) 18..24, birthdate 24..28, issued 28..32, pix 32, pix max 34,
    // global level 36, levels 37..45.
    assert_eq!(body.len(), 45);
    let edit = |at: usize, value: &[u8]| {
        let mut b = body.to_vec();
        b.splice(at..at + value.len(), value.iter().copied());
        verify(&signed_raw(&qr, &b), &pk)
    };
    let invalid = |field, problem| Err(VerifyError::InvalidField { field, problem });
    assert_eq!(
        edit(1, b"4TK7BQ95"),
        invalid(Field::Code, Problem::NotVerificationCode)
    );
    assert_eq!(
        edit(1, b"44K7BQ9M"),
        invalid(Field::Code, Problem::NotVerificationCode)
    );
    assert_eq!(
        edit(10, &[0xC3, 0x28]),
        invalid(Field::FirstName, Problem::NotUtf8)
    );
    assert_eq!(
        edit(18, b"Mart\x07n"),
        invalid(Field::LastName, Problem::ControlCharacter)
    );
    assert_eq!(
        edit(24, &[0x07, 0xD7, 2, 29]),
        invalid(Field::Birthdate, Problem::NotDate)
    );
    assert_eq!(
        edit(28, &[0x07, 0xE9, 13, 1]),
        invalid(Field::Issued, Problem::NotDate)
    );
    assert_eq!(
        edit(32, &[0x04, 0x01]),
        invalid(Field::Pix, Problem::AbovePixMax)
    );
    assert_eq!(
        edit(36, &[9]),
        invalid(Field::GlobalLevel, Problem::AboveLevel { max: 8 })
    );
    assert_eq!(
        edit(37, &[0x49]),
        invalid(Field::Level(1), Problem::AboveLevel { max: 8 })
    );
    assert_eq!(
        edit(44, &[0xF2]),
        invalid(Field::Level(14), Problem::AboveLevel { max: 8 })
    );
    // NFD: decomposed "é" is not how this format writes a name.
    let mut nfd = body[..17].to_vec();
    nfd.extend_from_slice(&[8]);
    nfd.extend_from_slice("Marte\u{301}n".as_bytes());
    nfd.extend_from_slice(&body[24..]);
    assert_eq!(
        verify(&signed_raw(&qr, &nfd), &pk),
        invalid(Field::LastName, Problem::NotNfc)
    );
    let mut empty_last = body[..17].to_vec();
    empty_last.push(0);
    empty_last.extend_from_slice(&body[24..]);
    assert_eq!(
        verify(&signed_raw(&qr, &empty_last), &pk),
        invalid(Field::LastName, Problem::Empty)
    );
    // Unchanged bytes, re-signed the same way, verify: the edits above are what failed.
    assert_eq!(verify(&signed_raw(&qr, body), &pk), Ok(sample()));
}

#[test]
fn names_from_everywhere_round_trip_exactly() {
    let key = service_key();
    for (first, last) in [
        ("Zoé", "N'Diaye-Lefèvre"),
        ("Ánh", "Đặng Thị"),
        ("Øystein", "Ærø"),
        ("", "Đặng Thị Ánh"),
        ("Jean-Noël", "L'Haÿ-les-Roses de Saint-Exupéry"),
    ] {
        let claims = Claims {
            first_name: first.into(),
            last_name: last.into(),
            ..sample()
        };
        let qr = sign(&claims, &key, 1, BASE).unwrap();
        let back = verify(&qr, &trusted(&key)).unwrap();
        assert_eq!(back, claims, "{first} {last}");
        assert_eq!(back.last_name.as_bytes(), last.as_bytes());
    }
}

#[test]
fn names_are_signed_in_nfc() {
    let key = service_key();
    let decomposed = Claims {
        first_name: "Zoe\u{301}".into(),
        last_name: "Da\u{323}\u{302}ng".into(),
        ..sample()
    };
    let back = verify(&sign(&decomposed, &key, 1, BASE).unwrap(), &trusted(&key)).unwrap();
    assert_eq!(back.first_name, "Zo\u{e9}");
    assert_eq!(back.last_name, "D\u{1ead}ng");
    let composed = Claims {
        first_name: "Zoé".into(),
        last_name: "Dậng".into(),
        ..sample()
    };
    assert_eq!(
        sign(&decomposed, &key, 1, BASE).unwrap(),
        sign(&composed, &key, 1, BASE).unwrap()
    );
}

#[test]
fn qr_texts_stay_short() {
    let key = service_key();
    let typical = sign(&sample(), &key, 1, BASE).unwrap();
    assert_eq!(typical.len(), expected_len(BASE, "Camille", "Martin"));
    assert_eq!(typical.len(), 190);

    let first = "Marie-Bernadette Éléonore";
    let last = "de La Tour d'Auvergne-Lauraguais";
    let long = Claims {
        first_name: first.into(),
        last_name: last.into(),
        ..sample()
    };
    let qr = sign(&long, &key, 1, BASE).unwrap();
    assert_eq!(qr.len(), expected_len(BASE, first, last));
    assert!(qr.len() <= 300, "{} characters: {qr}", qr.len());

    let longest = Claims {
        first_name: "é".repeat(MAX_NAME_BYTES / 2),
        last_name: "W".repeat(MAX_NAME_BYTES),
        ..sample()
    };
    let qr = sign(&longest, &key, 1, BASE).unwrap();
    assert_eq!(
        qr.len(),
        expected_len(BASE, &longest.first_name, &longest.last_name)
    );
    assert_eq!(qr.len(), 440);
    assert_eq!(verify(&qr, &trusted(&key)), Ok(longest));
}

type Edit = fn(&mut Claims);

#[test]
fn sign_refuses_what_it_could_not_verify() {
    let key = service_key();
    let too_long = Problem::TooLong {
        max: MAX_NAME_BYTES,
    };
    let above = Problem::AboveLevel { max: 8 };
    let cases: &[(Field, Problem, Edit)] = &[
        (Field::Code, Problem::NotVerificationCode, |c| {
            c.code = "P-AAAAAAAA".into()
        }),
        (Field::Code, Problem::NotVerificationCode, |c| {
            c.code = "4TK7BQ9M".into()
        }),
        (Field::Code, Problem::NotVerificationCode, |c| {
            c.code = "P-4TK7BQ9".into()
        }),
        (Field::FirstName, too_long, |c| {
            c.first_name = "é".repeat(51)
        }),
        (Field::FirstName, Problem::ControlCharacter, |c| {
            c.first_name = "Zoé\u{202E}".into()
        }),
        (Field::LastName, Problem::Empty, |c| c.last_name.clear()),
        (Field::LastName, too_long, |c| c.last_name = "W".repeat(101)),
        (Field::LastName, Problem::ControlCharacter, |c| {
            c.last_name = "Mar\ttin".into()
        }),
        (Field::Birthdate, Problem::NotDate, |c| {
            c.birthdate = "14/03/2008".into()
        }),
        (Field::Birthdate, Problem::NotDate, |c| {
            c.birthdate = "2007-02-29".into()
        }),
        (Field::Issued, Problem::NotDate, |c| {
            c.issued = "2025-6-20".into()
        }),
        (Field::Pix, Problem::AbovePixMax, |c| c.pix = 1025),
        (Field::GlobalLevel, above, |c| c.global_level = 9),
        (Field::Level(15), above, |c| c.levels[15] = 9),
    ];
    for (i, (field, problem, alter)) in cases.iter().enumerate() {
        let mut claims = sample();
        alter(&mut claims);
        assert_eq!(
            sign(&claims, &key, 1, BASE),
            Err(CertificateError::InvalidField {
                field: *field,
                problem: *problem
            }),
            "case {i}"
        );
    }
    // Limits themselves are accepted.
    let mut edge = sample();
    edge.first_name = "é".repeat(50);
    edge.last_name = "W".repeat(100);
    edge.pix = edge.pix_max;
    edge.global_level = 8;
    edge.levels = [8; 16];
    assert!(sign(&edge, &key, 1, BASE).is_ok());

    for bad in [
        "",
        "verifier.certroom.fr",
        "https://x/?q",
        "https://x/#",
        "https://a b",
    ] {
        assert_eq!(
            sign(&sample(), &key, 1, bad),
            Err(CertificateError::BaseUrl(bad.into()))
        );
    }
}

#[test]
fn every_error_speaks_french_first_then_english() {
    let errors: Vec<Box<dyn UserMessage>> = vec![
        Box::new(VerifyError::NotCertificateUrl),
        Box::new(VerifyError::BadEncoding(Malformed::Base64)),
        Box::new(VerifyError::BadEncoding(Malformed::Truncated)),
        Box::new(VerifyError::BadEncoding(Malformed::TrailingBytes)),
        Box::new(VerifyError::BadEncoding(Malformed::NonCanonical)),
        Box::new(VerifyError::UnknownVersion(2)),
        Box::new(VerifyError::CodeMismatch {
            url: "P-2346789B".into(),
            signed: "P-4TK7BQ9M".into(),
        }),
        Box::new(VerifyError::BadSignature),
        Box::new(VerifyError::InvalidField {
            field: Field::Level(3),
            problem: Problem::AboveLevel { max: 8 },
        }),
        Box::new(CertificateError::InvalidField {
            field: Field::LastName,
            problem: Problem::TooLong { max: 100 },
        }),
        Box::new(CertificateError::BaseUrl("ftp://x".into())),
        Box::new(CertificateError::SelfCheck(VerifyError::BadSignature)),
    ];
    let mut codes = std::collections::BTreeSet::new();
    for e in &errors {
        assert!(e.code().starts_with("certificate."), "{}", e.code());
        let (fr, en) = (e.message_fr(), e.message_en());
        assert!(!fr.is_empty() && !en.is_empty());
        assert_ne!(fr, en, "{}", e.code());
        codes.insert(e.code());
    }
    // The four encoding problems share one code; every other variant has its own.
    assert_eq!(codes.len(), errors.len() - 3);
    let level = VerifyError::InvalidField {
        field: Field::Level(3),
        problem: Problem::AboveLevel { max: 8 },
    };
    assert!(
        level.message_fr().contains("compétence 2.1"),
        "{}",
        level.message_fr()
    );
    assert!(level.message_en().contains("competence 2.1"));
    let mismatch = VerifyError::CodeMismatch {
        url: "P-2346789B".into(),
        signed: "P-4TK7BQ9M".into(),
    };
    assert!(
        mismatch.message_fr().contains("P-2346789B")
            && mismatch.message_fr().contains("P-4TK7BQ9M")
    );
}

/// The worked example of docs/certificate-format.md is what this code produces.
#[test]
fn the_documented_example_is_current() {
    let doc = include_str!("../../../docs/certificate-format.md");
    let key = service_key();
    let qr = sign(&sample(), &key, 1, BASE).unwrap();
    let hex: String = public(&key).iter().map(|b| format!("{b:02x}")).collect();
    assert!(doc.contains(&qr), "docs/certificate-format.md lacks\n{qr}");
    assert!(
        doc.contains(&hex),
        "docs/certificate-format.md lacks the public key {hex}"
    );
    assert!(doc.contains(&format!("{} characters", qr.len())));
    let body: String = payload(&qr)[..47]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        doc.contains(&body),
        "docs/certificate-format.md lacks the body\n{body}"
    );
    // The version-1 example (before key ids) still verifies, as key 1's.
    let v1 = doc
        .lines()
        .find(|l| l.starts_with("https://verifier.certroom.fr/v/P-4TK7BQ9M#AT"))
        .expect("the version-1 example");
    assert_eq!(certroom_certificate::key_id(v1), Ok(1));
    assert_eq!(verify(v1, &trusted(&key)), Ok(sample()));
}
