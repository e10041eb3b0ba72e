//! A session's thirty Ed25519 signatures (the stations' heads, or the certificates' QR texts),
//! checked one at a time as `ring` does and together as `signature::Batch` does.

use certroom_core::signature::{Batch, Signed};
use criterion::{criterion_group, criterion_main, Criterion};
use ring::signature::{Ed25519KeyPair, KeyPair};
use std::hint::black_box;

fn session(n: u8) -> Vec<Signed> {
    (1..=n)
        .filter_map(|i| {
            let key = Ed25519KeyPair::from_seed_unchecked(&[i; 32]).ok()?;
            // About a head's size: domain, canonical JSON of ids and two hashes.
            let message = format!(
                "certroom-signed-head-v1\0{{\"seq\":{i},{}}}",
                "x".repeat(300)
            );
            Some(Signed {
                public_key: key.public_key().as_ref().try_into().ok()?,
                signature: key.sign(message.as_bytes()).as_ref().try_into().ok()?,
                message: message.into_bytes(),
            })
        })
        .collect()
}

fn signatures(c: &mut Criterion) {
    let signed = session(30);
    c.bench_function("30 signatures one at a time (ring)", |b| {
        b.iter(|| black_box(&signed).iter().all(Signed::verify_alone))
    });
    let mut batch = Batch::new();
    for s in &signed {
        batch.push(s.clone());
    }
    assert_eq!(batch.verify(), Ok(()), "a batch that fails is not measured");
    c.bench_function("30 signatures together (Batch)", |b| {
        b.iter(|| black_box(&batch).verify())
    });
}

criterion_group!(benches, signatures);
criterion_main!(benches);
