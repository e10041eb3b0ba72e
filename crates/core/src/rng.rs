//! Deterministic randomness: ChaCha8 with one stream per use, so that any draw can be re-derived
//! from `(seed, stream)` alone and replay never needs RNG state.

use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A ChaCha8 generator keyed by `seed` on stream `stream`.
///
/// The key is the seed's little-endian bytes followed by a fixed tag, so it does not depend on
/// `SeedableRng::seed_from_u64`'s expansion (which a future rand_core could change).
pub(crate) fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..24].copy_from_slice(b"certroom-engine\0");
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(stream);
    rng
}

/// A uniform in `[0, 1)` from the top 53 bits of `raw` (exact, platform-independent).
pub(crate) fn unit(raw: u64) -> f64 {
    (raw >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A uniform in `[0, 1)` from 32 bits (used when one draw is split in two).
pub(crate) fn unit32(raw: u32) -> f64 {
    f64::from(raw) * (1.0 / 4_294_967_296.0)
}

/// A standard normal by Box–Muller on two ChaCha outputs, with `libm` so that every machine
/// computes the same bits.
pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // 1 - unit() lies in (0, 1], so the logarithm is finite.
    let u1 = 1.0 - unit(rng.next_u64());
    let u2 = unit(rng.next_u64());
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2)
}

/// SplitMix64: derives independent seeds (one per simulated candidate) from one seed.
pub(crate) fn mix(seed: u64, i: u64) -> u64 {
    let mut z = seed.wrapping_add(i.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// An unbiased index in `0..n` (rejection sampling), for code generation.
pub(crate) fn below<R: Rng + ?Sized>(rng: &mut R, n: u32) -> u32 {
    if n <= 1 {
        return 0;
    }
    let zone = u32::MAX - (u32::MAX % n);
    loop {
        let v = rng.next_u32();
        if v < zone {
            return v % n;
        }
    }
}
