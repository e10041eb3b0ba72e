//! Each competence's level bounds, derived from the bank's item parameters (docs/scoring.md,
//! "Deriving a bank's competence bounds").
//!
//! The global bounds fix what a level means on the capacity scale; a competence's bounds move
//! them by how much harder or easier that competence's items of each level are than the bank's
//! items of the same level. Anchoring on the global bounds, rather than taking the item-derived
//! capacities as they are, keeps the 16 competence levels around the global level printed beside
//! them: item levels in a bank are an author's labels, not calibrated to the global scale, and
//! taken raw they would shift every competence level away from the global one together.

use super::DEFAULT_BOUNDS;
use crate::bank::Bank;
use crate::engine::grid;
use crate::framework::{competence_index, COMPETENCE_COUNT};
use serde::Serialize;

/// The share of a competence's level-n items a candidate at the start of level n is expected to
/// pass: half, so that for a single item the capacity is its difficulty `b` whatever its `a`.
pub const TARGET_PROBABILITY: f64 = 0.5;

/// Smallest step between two consecutive levels' bounds, imposed after the offsets so that a
/// bank with oddly placed items still gets strictly increasing bounds.
pub const MIN_GAP: f64 = 0.05;

/// Item levels the derivation reads (1–8): level 8 informs level 7 when a competence has no
/// level-7 item.
const ITEM_LEVELS: usize = 8;

/// Where a derived bound comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BoundSource {
    /// From the competence's own items of that level.
    Measured {
        /// How many.
        items: usize,
    },
    /// The competence has no item of this level: offset interpolated between its nearest
    /// measured levels below and above.
    Interpolated,
    /// The competence has no item of this level and none beyond it: the offset of its nearest
    /// measured level, carried over.
    Extrapolated,
    /// The competence has no item at all: the global bound.
    Global,
}

/// Derived bounds: per competence (framework order), the capacities at which levels 1 … 7 start
/// (rounded to 0.01, strictly increasing), and where each comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DerivedBounds {
    /// The table to write into `bank.json` (`competence_bounds`).
    pub bounds: [[f64; 7]; COMPETENCE_COUNT],
    /// How each entry was obtained.
    pub sources: [[BoundSource; 7]; COMPETENCE_COUNT],
}

/// The bank's competence bounds, anchored on the default global bounds
/// ([`super::DEFAULT_BOUNDS`]).
pub fn derive_competence_bounds(bank: &Bank) -> DerivedBounds {
    derive_competence_bounds_for(bank, &DEFAULT_BOUNDS)
}

/// The bank's competence bounds, anchored on `band_bounds` (the capacity at which levels 1 … 8
/// start globally).
///
/// For level n (1–8), θ̄ₙ is the capacity at which a candidate is expected to pass
/// [`TARGET_PROBABILITY`] of the bank's level-n items under the 2PL model, and θ_cₙ the same
/// over competence c's level-n items. Competence c's level n starts at
/// `band_bounds[n−1] + (θ_cₙ − θ̄ₙ)`. A level where c has no item takes an offset linearly
/// interpolated (in level number) between c's nearest measured levels, or, beyond them, the
/// nearest one's offset; a competence with no item keeps the global bounds. Each bound is then
/// raised, if needed, to [`MIN_GAP`] above the previous level's, and rounded to 0.01 so that
/// what `bank.json` stores is exactly what this returns.
pub fn derive_competence_bounds_for(bank: &Bank, band_bounds: &[f64; 8]) -> DerivedBounds {
    let mut pooled: [Vec<(f64, f64)>; ITEM_LEVELS] = Default::default();
    let mut per_comp: Vec<[Vec<(f64, f64)>; ITEM_LEVELS]> =
        (0..COMPETENCE_COUNT).map(|_| Default::default()).collect();
    for it in bank.items() {
        let (Some(c), Some(l)) = (
            competence_index(&it.competence),
            usize::from(it.level).checked_sub(1),
        ) else {
            continue;
        };
        let ab = (it.irt.a, it.irt.b);
        if let Some(v) = pooled.get_mut(l) {
            v.push(ab);
        }
        if let Some(v) = per_comp.get_mut(c).and_then(|levels| levels.get_mut(l)) {
            v.push(ab);
        }
    }
    let pooled_theta: Vec<Option<f64>> = pooled.iter().map(|v| capacity_at_target(v)).collect();

    let mut out = DerivedBounds {
        bounds: [[0.0; 7]; COMPETENCE_COUNT],
        sources: [[BoundSource::Global; 7]; COMPETENCE_COUNT],
    };
    for ((bounds, sources), levels) in out
        .bounds
        .iter_mut()
        .zip(out.sources.iter_mut())
        .zip(per_comp.iter())
    {
        let offsets: Vec<Option<f64>> = levels
            .iter()
            .zip(&pooled_theta)
            .map(|(items, pooled)| Some(capacity_at_target(items)? - (*pooled)?))
            .collect();
        let measured: Vec<(usize, f64)> = offsets
            .iter()
            .enumerate()
            .filter_map(|(l, o)| o.map(|o| (l, o)))
            .collect();
        let mut prev = f64::NEG_INFINITY;
        for (l, (bound, source)) in bounds.iter_mut().zip(sources.iter_mut()).enumerate() {
            let (offset, src) = match offsets.get(l).copied().flatten() {
                Some(o) => (
                    o,
                    BoundSource::Measured {
                        items: levels.get(l).map_or(0, Vec::len),
                    },
                ),
                None => {
                    let below = measured.iter().rev().find(|(k, _)| *k < l);
                    let above = measured.iter().find(|(k, _)| *k > l);
                    match (below, above) {
                        (Some(&(k0, o0)), Some(&(k1, o1))) => (
                            o0 + (o1 - o0) * (l - k0) as f64 / (k1 - k0) as f64,
                            BoundSource::Interpolated,
                        ),
                        (Some(&(_, o)), None) | (None, Some(&(_, o))) => {
                            (o, BoundSource::Extrapolated)
                        }
                        (None, None) => (0.0, BoundSource::Global),
                    }
                }
            };
            let raw = band_bounds.get(l).copied().unwrap_or(0.0) + offset;
            *bound = round2(raw.max(prev + MIN_GAP));
            *source = src;
            prev = *bound;
        }
    }
    out
}

fn round2(x: f64) -> f64 {
    let r = libm::round(x * 100.0) / 100.0;
    // −0.0 would be written "-0.0" in bank.json.
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// The capacity at which the mean 2PL probability of `items` (a, b) is [`TARGET_PROBABILITY`];
/// `None` without items. The mean rises with the capacity, so bisection finds it; ±40 holds
/// every admissible item (|b| ≤ 6, a ≥ 0.2) for any target in [0.01, 0.99].
fn capacity_at_target(items: &[(f64, f64)]) -> Option<f64> {
    if items.is_empty() {
        return None;
    }
    let n = items.len() as f64;
    let mean = |theta: f64| {
        items
            .iter()
            .map(|(a, b)| grid::p_correct(*a, *b, theta))
            .sum::<f64>()
            / n
    };
    let (mut lo, mut hi) = (-40.0_f64, 40.0_f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if mean(mid) < TARGET_PROBABILITY {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::BankSources;
    use crate::scoring::DEFAULT_BOUNDS;

    fn item(id: &str, competence: &str, level: u8, a: f64, b: f64) -> serde_json::Value {
        serde_json::json!({
            "id": id, "competence": competence, "tube": format!("t-{id}"), "skill": id,
            "level": level, "type": "QCU", "instruction": {"fr": "?"},
            "proposals": [{"fr": "A"}, {"fr": "B"}], "solution": {"choice": 1},
            "irt": {"a": a, "b": b}
        })
    }

    fn bank(items: Vec<serde_json::Value>) -> Bank {
        let src = BankSources {
            manifest: r#"{"format":1,"id":"hand-made","version":"1","title":{"fr":"t"},"item_files":["items/a.json"]}"#.into(),
            item_files: vec![(
                "items/a.json".into(),
                serde_json::Value::Array(items).to_string(),
            )],
            assets: vec![],
        };
        match Bank::load(&src) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_hand_made_bank_gives_the_expected_bounds() {
        // Level 2: pooled items at b = −1.5 and −1.1 (a = 1): the mean probability is ½ at
        // −1.3. Competence 1.1's level-2 item is at −1.5, so 1.1 starts level 2 0.2 lower than
        // globally; 2.1's at −1.1, 0.2 higher. Level 4: 1.1 alone, at 0.0 = the pooled level,
        // offset 0. Level 3 of 1.1 is interpolated (−0.1), levels 1 and 5–7 extrapolated
        // (−0.2 below, 0 above). 2.1 carries its only offset (+0.2) everywhere.
        let b = bank(vec![
            item("i-11-2", "1.1", 2, 1.0, -1.5),
            item("i-21-2", "2.1", 2, 1.0, -1.1),
            item("i-11-4", "1.1", 4, 1.0, 0.0),
        ]);
        let d = derive_competence_bounds(&b);
        let g = DEFAULT_BOUNDS;
        let expect_11 = [g[0] - 0.2, g[1] - 0.2, g[2] - 0.1, g[3], g[4], g[5], g[6]];
        let expect_21 = [
            g[0] + 0.2,
            g[1] + 0.2,
            g[2] + 0.2,
            g[3] + 0.2,
            g[4] + 0.2,
            g[5] + 0.2,
            g[6] + 0.2,
        ];
        for (got, want) in [(d.bounds[0], expect_11), (d.bounds[3], expect_21)] {
            for (x, y) in got.iter().zip(want) {
                assert!((x - y).abs() < 1e-9, "{got:?} vs {want:?}");
            }
        }
        use BoundSource::*;
        assert_eq!(
            d.sources[0],
            [
                Extrapolated,
                Measured { items: 1 },
                Interpolated,
                Measured { items: 1 },
                Extrapolated,
                Extrapolated,
                Extrapolated
            ]
        );
        // A competence without items keeps the global bounds.
        assert_eq!(d.bounds[15].as_slice(), &g[..7]);
        assert_eq!(d.sources[15], [Global; 7]);
    }

    #[test]
    fn the_target_capacity_weighs_items_by_discrimination() {
        // One item: its difficulty, whatever a. Two items: between them, nearer the sharper.
        let one = capacity_at_target(&[(3.0, 0.7)]).unwrap_or(f64::NAN);
        assert!((one - 0.7).abs() < 1e-12);
        let two = capacity_at_target(&[(3.0, 0.0), (0.5, 1.0)]).unwrap_or(f64::NAN);
        assert!(two > 0.0 && two < 0.5, "{two}");
        assert_eq!(capacity_at_target(&[]), None);
    }

    #[test]
    fn bounds_strictly_increase_even_when_items_disagree() {
        // 1.1's level-3 item is far easier than its level-2 item: raw offsets would cross.
        let b = bank(vec![
            item("i-11-2", "1.1", 2, 1.0, 1.0),
            item("i-11-3", "1.1", 3, 1.0, -3.0),
            item("i-12-2", "1.2", 2, 1.0, -3.0),
            item("i-12-3", "1.2", 3, 1.0, 1.0),
        ]);
        let d = derive_competence_bounds(&b);
        for row in d.bounds {
            assert!(
                row.windows(2).all(|w| w[1] - w[0] >= 0.04),
                "{row:?} not strictly increasing"
            );
        }
        let synthetic = crate::bank::synthetic(800, 3).unwrap_or_else(|e| panic!("{e}"));
        for row in derive_competence_bounds(&synthetic).bounds {
            assert!(row.windows(2).all(|w| w[0] < w[1]), "{row:?}");
        }
    }
}
