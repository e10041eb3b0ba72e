//! One changed byte anywhere in a bundle must make it fail, and never panic.

mod common;

use std::collections::BTreeMap;

use certroom_bundle::container::Container;
use certroom_bundle::verify;
use common::code;

/// A small deterministic generator (SplitMix64), so a failure names an offset that reproduces.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[test]
fn flipping_any_byte_is_rejected() {
    let room = common::room();
    let bytes = room.write();
    let trusted = [room.console_pub()];
    assert!(verify(&bytes, Some(&trusted)).is_ok());

    // Every byte of the preamble and of each section header, plus an even spread over the whole
    // file, so every region (manifest, signature, each journal, each head) gets its share.
    let mut offsets: Vec<usize> = (0..16).collect();
    let count = u32::from_be_bytes(bytes[12..16].try_into().unwrap());
    let mut at = 16;
    for _ in 0..count {
        offsets.extend(at..at + 8);
        at += 8 + u32::from_be_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
    }
    let spread = 1500;
    offsets.extend((0..spread).map(|i| i * bytes.len() / spread));
    offsets.sort_unstable();
    offsets.dedup();
    assert!(offsets.len() >= 1000, "only {} offsets", offsets.len());

    let mut rng = Mix(0x5EED);
    let mut histogram: BTreeMap<String, usize> = BTreeMap::new();
    for &off in &offsets {
        let mut tampered = bytes.clone();
        // Any non-zero mask: one bit, several, or all of them.
        let mask = match rng.next() % 3 {
            0 => 1u8 << (rng.next() % 8),
            1 => 0xFF,
            _ => (rng.next() % 255) as u8 + 1,
        };
        tampered[off] ^= mask;
        let r = verify(&tampered, Some(&trusted));
        assert!(r.is_err(), "flip {mask:#04x} at offset {off} was accepted");
        *histogram.entry(code(&r).to_owned()).or_default() += 1;
    }
    println!(
        "{} flips over {} bytes, all rejected:",
        offsets.len(),
        bytes.len()
    );
    for (code, n) in &histogram {
        println!("  {code:<28} {n}");
    }
    // The manifest and the journals are most of the file: their faults must show up.
    for expected in ["bundle.signature", "bundle.journal_hash", "bundle.framing"] {
        assert!(histogram.contains_key(expected), "{histogram:?}");
    }
}

#[test]
fn random_garbage_and_multi_byte_damage_never_panic() {
    let room = common::room();
    let bytes = room.write();
    let mut rng = Mix(42);
    for round in 0..300 {
        let mut t = bytes.clone();
        for _ in 0..1 + rng.next() % 16 {
            let i = (rng.next() as usize) % t.len();
            t[i] ^= (rng.next() % 255) as u8 + 1;
        }
        if round % 3 == 0 {
            let keep = (rng.next() as usize) % t.len();
            t.truncate(keep);
        }
        assert!(verify(&t, None).is_err(), "round {round}");
        // The ingest's first look must not panic on what verification refuses either.
        let _ = Container::console_key(&t);
    }
    for len in [0usize, 1, 7, 8, 15, 16, 17, 100, 4096] {
        let mut g: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        assert!(verify(&g, None).is_err());
        assert!(Container::console_key(&g).is_err());
        if len >= 16 {
            g[..8].copy_from_slice(b"CRBUNDLE");
            g[8..10].copy_from_slice(&1u16.to_be_bytes());
            assert!(verify(&g, None).is_err());
            let _ = Container::console_key(&g);
        }
    }
}

#[test]
fn the_console_key_is_read_from_the_first_two_sections_only() {
    let room = common::room();
    let bytes = room.write();
    let key = Container::console_key(&bytes).unwrap();
    assert_eq!(key, Container::parse(&bytes).unwrap().console_key);
    assert_eq!(key, room.console_pub());

    // Cut anywhere before the signature's last byte: refused, named as truncated or framing.
    let manifest_len = u32::from_be_bytes(bytes[20..24].try_into().unwrap()) as usize;
    let signature_end = 16 + 8 + manifest_len + 8 + 96;
    for cut in (0..signature_end).step_by(37).chain([signature_end - 1]) {
        assert!(
            Container::console_key(&bytes[..cut]).is_err(),
            "cut at {cut} of {signature_end}"
        );
    }
    // A journal damaged past the signature is for the full check to find, not this look.
    let mut damaged = bytes.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0xFF;
    assert_eq!(Container::console_key(&damaged).unwrap(), key);
    assert!(verify(&damaged, None).is_err());
    // The signature section moved to the front: the same framing fault as the full parse.
    let mut swapped = bytes.clone();
    swapped[16] = 2;
    assert_eq!(
        Container::console_key(&swapped).unwrap_err().to_string(),
        Container::parse(&swapped).unwrap_err().to_string()
    );
}
