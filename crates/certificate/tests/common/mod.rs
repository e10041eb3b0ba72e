//! Keys and claims shared by the integration tests. Seeds are fixed: Ed25519 signatures are
//! deterministic, so every QR text in these tests is the same on every run.

#![allow(dead_code)]

use certroom_certificate::Claims;
use ring::signature::{Ed25519KeyPair, KeyPair};

pub const BASE: &str = "https://verifier.certroom.fr";

/// The service key of the examples in docs/certificate-format.md.
pub fn service_key() -> Ed25519KeyPair {
    key(0x2A)
}

pub fn key(seed: u8) -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).expect("any 32 bytes are a seed")
}

/// What a verifier pinned on `key` trusts.
pub fn trusted(key: &Ed25519KeyPair) -> certroom_certificate::ServiceKeys {
    public(key).into()
}

pub fn public(key: &Ed25519KeyPair) -> [u8; 32] {
    key.public_key()
        .as_ref()
        .try_into()
        .expect("Ed25519 public keys are 32 bytes")
}

pub fn sample() -> Claims {
    Claims {
        code: "P-4TK7BQ9M".into(),
        first_name: "Camille".into(),
        last_name: "Martin".into(),
        birthdate: "2008-03-14".into(),
        issued: "2025-06-20".into(),
        pix: 412,
        pix_max: 1024,
        global_level: 3,
        levels: [4, 3, 3, 4, 3, 2, 3, 3, 2, 3, 2, 3, 4, 3, 3, 2],
    }
}

/// The fragment of a QR text, decoded.
pub fn payload(qr: &str) -> Vec<u8> {
    use base64::Engine;
    let (_, fragment) = qr.split_once('#').expect("a fragment");
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(fragment)
        .expect("base64url")
}

pub fn with_payload(qr: &str, bytes: &[u8]) -> String {
    use base64::Engine;
    let (url, _) = qr.split_once('#').expect("a fragment");
    format!(
        "{url}#{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Length of a QR text by the formula of docs/certificate-format.md §4: the URL, `/v/`, the
/// code and `#` (14 characters after the base), then 96 fixed payload bytes plus the names'
/// UTF-8 bytes, in unpadded base64.
pub fn expected_len(base: &str, first: &str, last: &str) -> usize {
    // version, key id, code, two length bytes, dates, scores, levels, signature.
    let bytes = 98 + first.len() + last.len();
    base.len() + 14 + (bytes * 4).div_ceil(3)
}
