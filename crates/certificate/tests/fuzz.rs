//! Arbitrary input never makes verification or PDF scanning panic, and whatever `sign` accepts
//! verifies to the same claims.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use certroom_certificate::{
    find_payloads, sign, verify, Claims, VerifyError, SIGNING_DOMAIN, VERSION,
};
use common::*;
use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;

const PREFIX: &str = "https://verifier.certroom.fr/v/P-4TK7BQ9M#";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_string_is_refused_or_verified_without_panic(text in any::<String>()) {
        let _ = verify(&text, &trusted(&service_key()));
    }

    #[test]
    fn any_fragment_behind_a_real_url_is_refused(fragment in "[A-Za-z0-9_=+/#-]{0,400}") {
        let text = format!("{PREFIX}{fragment}");
        prop_assert!(verify(&text, &trusted(&service_key())).is_err());
    }

    #[test]
    fn any_payload_bytes_are_refused(mut bytes in proptest::collection::vec(any::<u8>(), 0..400),
                                     versioned in any::<bool>()) {
        if versioned && !bytes.is_empty() {
            bytes[0] = VERSION;
        }
        let text = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(&bytes));
        prop_assert!(verify(&text, &trusted(&service_key())).is_err());
    }

    /// Fields of the right sizes but arbitrary content, correctly signed (what a faulty signer
    /// would print): past the signature, every field check runs. The result must be a refusal
    /// other than the signature, or a certificate that signs back to the same bytes.
    #[test]
    fn signed_garbage_is_refused_or_well_formed(
        code in proptest::collection::vec(proptest::sample::select(b"2346789BCDFGHJKMPQRTVWXY5A".to_vec()), 8),
        first in proptest::collection::vec(any::<u8>(), 0..12),
        last in proptest::collection::vec(prop_oneof![any::<u8>(), 0x41u8..0x5B], 0..12),
        tail in proptest::collection::vec(prop_oneof![any::<u8>(), 0u8..9], 21),
    ) {
        let mut body = vec![VERSION, 0, 1];
        body.extend_from_slice(&code);
        for name in [&first, &last] {
            body.push(u8::try_from(name.len()).unwrap());
            body.extend_from_slice(name);
        }
        body.extend_from_slice(&tail);
        let mut msg = SIGNING_DOMAIN.to_vec();
        msg.extend_from_slice(&body);
        let mut payload = body.clone();
        payload.extend_from_slice(service_key().sign(&msg).as_ref());
        let url_code = String::from_utf8(code).unwrap();
        let text = format!("{BASE}/v/P-{url_code}#{}", URL_SAFE_NO_PAD.encode(&payload));
        match verify(&text, &trusted(&service_key())) {
            Ok(claims) => {
                let again = sign(&claims, &service_key(), 1, BASE).unwrap();
                prop_assert_eq!(payload_of(&again), payload);
            }
            Err(e @ (VerifyError::BadSignature | VerifyError::BadEncoding(_) | VerifyError::CodeMismatch { .. })) => {
                prop_assert!(false, "{e:?}: the structure and the signature were valid");
            }
            Err(_) => {}
        }
    }

    #[test]
    fn whatever_sign_accepts_verifies_to_the_nfc_claims(
        first in any::<String>(),
        last in any::<String>(),
        pix in any::<u16>(),
        pix_max in any::<u16>(),
        global_level in 0u8..12,
        levels in proptest::array::uniform16(0u8..10),
    ) {
        let claims = Claims { first_name: first, last_name: last, pix, pix_max, global_level, levels, ..sample() };
        if let Ok(qr) = sign(&claims, &service_key(), 1, BASE) {
            let back = verify(&qr, &trusted(&service_key())).unwrap();
            prop_assert_eq!(&back.first_name, &claims.first_name.nfc().collect::<String>());
            prop_assert_eq!(&back.last_name, &claims.last_name.nfc().collect::<String>());
            prop_assert_eq!((back.pix, back.pix_max, back.global_level, back.levels),
                            (pix, pix_max, global_level, levels));
            prop_assert_eq!(qr.len(), expected_len(BASE, &back.first_name, &back.last_name));
        }
    }

    #[test]
    fn any_bytes_are_scanned_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = find_payloads(&bytes);
    }

    #[test]
    fn pdf_like_bytes_are_scanned_without_panic(parts in proptest::collection::vec(
        prop_oneof![
            Just("/URI".to_owned()), Just("(".to_owned()), Just(")".to_owned()),
            Just("\\".to_owned()), Just("<".to_owned()), Just(">".to_owned()),
            Just("stream\r\n".to_owned()), Just("endstream".to_owned()), Just(" obj ".to_owned()),
            Just("/ObjStm /FlateDecode /Length 5 ".to_owned()), Just("/Length 9 0 R".to_owned()),
            Just(PREFIX.to_owned()), "[ -~]{0,8}".prop_map(|s| s),
        ], 0..40)) {
        let _ = find_payloads(parts.concat().as_bytes());
    }
}

fn payload_of(qr: &str) -> Vec<u8> {
    payload(qr)
}
