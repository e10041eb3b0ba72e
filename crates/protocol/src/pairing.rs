//! Pairing a lab PC with a hub: both screens show a code the technician compares.
//!
//! The PC may have fetched the hub's certificate without anyone typing its fingerprint, so the
//! code is what authenticates both ends (numeric comparison, as Bluetooth's): it is derived from
//! the hub's fingerprint, the station key and one nonce from each side. The PC commits to its
//! nonce before it sees the hub's, and the hub's is unpredictable, so a man in the middle, who
//! must show other keys to each side, fixes one side's code before the other side's is drawn:
//! the two agree by chance once in a million, and a failed attempt is seen on the console.

use certroom_core::hash::{from_hex, Hash};
use ring::hmac;

/// Bytes of each side's nonce.
const NONCE_LEN: usize = 16;

/// A fresh nonce for the PC's side, as hex.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; NONCE_LEN];
    // The system's random source failing leaves the kiosk unable to pair, never paired weakly.
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .expect("the system's random source is available");
    hex::encode(bytes)
}

/// Whether `text` is a nonce as [`new_nonce`] makes them (the hub checks what it is sent).
pub fn is_nonce(text: &str) -> bool {
    from_hex(text).is_some_and(|b| b.len() == NONCE_LEN)
}

/// Whether `text` has the form of a [`commitment`].
pub fn is_commitment(text: &str) -> bool {
    Hash::from_hex(text).is_some()
}

/// What the PC sends first: its nonce, bound to its station key, without revealing it.
pub fn commitment(station: &str, nonce: &str) -> String {
    Hash::of(&[
        b"certroom-pairing-commit-v1\0",
        station.as_bytes(),
        b"\0",
        nonce.as_bytes(),
    ])
    .to_hex()
}

/// The hub's nonce for one request: a keyed hash of the request under the hub's secret, so it is
/// unpredictable to anyone without that secret and the same when the hub replays its inputs.
pub fn hub_nonce(secret: &[u8; 32], station: &str, commitment: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(
        &key,
        &[
            b"certroom-pairing-nonce-v1\0".as_slice(),
            station.as_bytes(),
            b"\0",
            commitment.as_bytes(),
        ]
        .concat(),
    );
    hex::encode(&tag.as_ref()[..NONCE_LEN])
}

/// The six digits both screens show, as `"123 456"`.
pub fn pairing_code(hub: &str, station: &str, station_nonce: &str, hub_nonce: &str) -> String {
    let d = Hash::of(&[
        b"certroom-pairing-v2\0",
        hub.as_bytes(),
        b"\0",
        station.as_bytes(),
        b"\0",
        station_nonce.as_bytes(),
        b"\0",
        hub_nonce.as_bytes(),
    ]);
    let b = d.0;
    let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) % 1_000_000;
    format!("{:03} {:03}", n / 1000, n % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_changes_the_code() {
        let base = pairing_code("h", "s", "n1", "n2");
        assert_eq!(base, pairing_code("h", "s", "n1", "n2"));
        assert_eq!(base.len(), 7);
        for other in [
            pairing_code("h2", "s", "n1", "n2"),
            pairing_code("h", "s2", "n1", "n2"),
            pairing_code("h", "s", "n3", "n2"),
            pairing_code("h", "s", "n1", "n3"),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn the_commitment_binds_the_nonce_and_the_station() {
        let n = new_nonce();
        assert!(is_nonce(&n), "{n}");
        assert_ne!(n, new_nonce());
        assert!(!is_nonce("zz"));
        assert!(!is_nonce(&n.to_uppercase()));
        let c = commitment("s", &n);
        assert_ne!(c, commitment("s", &new_nonce()));
        assert_ne!(c, commitment("t", &n));
    }

    #[test]
    fn the_hub_nonce_depends_on_its_secret_and_the_request() {
        let a = hub_nonce(&[1; 32], "s", "c");
        assert!(is_nonce(&a));
        assert_eq!(a, hub_nonce(&[1; 32], "s", "c"), "replayed inputs agree");
        assert_ne!(a, hub_nonce(&[2; 32], "s", "c"));
        assert_ne!(a, hub_nonce(&[1; 32], "s", "d"));
        assert_ne!(a, hub_nonce(&[1; 32], "t", "c"));
    }

    /// Someone in the middle who fixes their side of the code first matches the other side
    /// about once in a million: over many independent draws, the codes spread evenly.
    #[test]
    fn codes_spread_over_a_million_values() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..2000 {
            seen.insert(pairing_code("h", "s", &format!("{i}"), "n"));
        }
        assert!(seen.len() > 1990, "{} distinct codes of 2000", seen.len());
    }
}
