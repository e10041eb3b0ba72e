//! Capacity → certification score: 9 bands, pix, global level, 16 competence levels, status.
//!
//! See docs/scoring.md for the defaults and why.

use crate::bank::Bank;
use crate::engine::{AbortCause, EndReason};
use crate::framework::{COMPETENCE_CODES, COMPETENCE_COUNT};
use serde::{Deserialize, Serialize};

mod bounds;
pub use bounds::{
    derive_competence_bounds, derive_competence_bounds_for, BoundSource, DerivedBounds, MIN_GAP,
    TARGET_PROBABILITY,
};

/// Version of the scoring rules; moves with [`crate::engine::ENGINE_VERSION`].
pub const SCORING_VERSION: &str = "certroom-scoring/1";

/// Pix weight per band (pre-beginner, levels 1–8).
pub const WEIGHTS: [u32; 9] = [64, 64, 128, 128, 128, 128, 128, 128, 128];
/// Pix coefficient per band.
pub const COEFFICIENTS: [u32; 9] = [0, 1, 1, 2, 3, 4, 5, 6, 7];

/// Scoring configuration (serde, with defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoringConfig {
    /// Capacity at which levels 1 … 8 start (increasing). Below the first: pre-beginner.
    pub band_bounds: [f64; 8],
    /// Capacity where the pre-beginner band's progress starts (0 pix).
    pub capacity_min: f64,
    /// Capacity where level 8's progress ends.
    pub capacity_max: f64,
    /// Highest open band (7 today: level 8 closed, so the score stays below 896).
    pub highest_open_band: u8,
    /// Per competence (framework order), capacity at which levels 1 … 7 start. Default: the
    /// global bounds; a bank that carries its own (`bank.json`) replaces them through
    /// [`ScoringConfig::with_bank`].
    pub competence_bounds: [[f64; 7]; COMPETENCE_COUNT],
    /// Which capacity goes through each competence's bounds (default: the global one, as the
    /// reference system does).
    pub competence_method: CompetenceMethod,
    /// [`CompetenceMethod::PerCompetence`] only: variance of a competence's ability around the
    /// global capacity, the prior of its own estimate (docs/scoring.md).
    pub competence_prior_variance: f64,
}

/// How a competence's level is obtained. Serde: `"global"`, `"per_competence"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompetenceMethod {
    /// The global capacity through each competence's own bounds (facts §5, the default).
    #[default]
    Global,
    /// Per competence, an EAP estimate from that competence's own answers with the global
    /// capacity as prior mean, through the competence's own bounds. Departs from the reference
    /// system: a certificate scored this way must say so ([`Score::competence_method`]).
    PerCompetence,
}

/// Default level thresholds: evenly spaced, 0.75 apart, from −2.5 (see docs/scoring.md).
pub const DEFAULT_BOUNDS: [f64; 8] = [-2.5, -1.75, -1.0, -0.25, 0.5, 1.25, 2.0, 2.75];

impl Default for ScoringConfig {
    fn default() -> Self {
        let mut comp = [0.0; 7];
        comp.copy_from_slice(&DEFAULT_BOUNDS[..7]);
        ScoringConfig {
            band_bounds: DEFAULT_BOUNDS,
            capacity_min: -3.25,
            capacity_max: 3.5,
            highest_open_band: 7,
            competence_bounds: [comp; COMPETENCE_COUNT],
            competence_method: CompetenceMethod::Global,
            competence_prior_variance: DEFAULT_COMPETENCE_PRIOR_VARIANCE,
        }
    }
}

/// Default [`ScoringConfig::competence_prior_variance`]. The spread of a competence around the
/// global ability is unknown (1 − ρ² for a correlation ρ); in simulation 0.2 did at least as
/// well as the global method for every ρ from 0.6 to 0.95, where a wider prior gains more at low
/// ρ but loses at high ρ (docs/scoring.md).
pub const DEFAULT_COMPETENCE_PRIOR_VARIANCE: f64 = 0.2;

impl ScoringConfig {
    /// The default scoring for a sitting on `bank`: the bank's own competence bounds when it
    /// carries them. The kiosk, the hub and the central replay all go through this (via
    /// [`crate::engine::Config::for_bank`]) so that they print the same levels.
    pub fn for_bank(bank: &Bank) -> ScoringConfig {
        ScoringConfig::default().with_bank(bank)
    }

    /// This configuration with the bank's competence bounds, when it carries them; unchanged
    /// otherwise. The bounds are bank content (in its content hash), so a journal, which names
    /// the bank's hash, still replays to one score.
    pub fn with_bank(mut self, bank: &Bank) -> ScoringConfig {
        if let Some(bounds) = bank.competence_bounds() {
            self.competence_bounds = *bounds;
        }
        self
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        let increasing =
            |b: &[f64]| b.iter().all(|x| x.is_finite()) && b.windows(2).all(|w| w[0] < w[1]);
        if !increasing(&self.band_bounds) {
            return Err("band_bounds doit être strictement croissant".into());
        }
        if !(self.capacity_min < self.band_bounds[0] && self.capacity_max > self.band_bounds[7]) {
            return Err("capacity_min / capacity_max doivent encadrer band_bounds".into());
        }
        if !(1..=8).contains(&self.highest_open_band) {
            return Err("highest_open_band doit être entre 1 et 8".into());
        }
        if let Some(c) = self.competence_bounds.iter().position(|b| !increasing(b)) {
            let code = COMPETENCE_CODES.get(c).copied().unwrap_or("?");
            return Err(format!(
                "competence_bounds de la compétence {code} doit être fini et strictement croissant"
            ));
        }
        if !(self.competence_prior_variance.is_finite() && self.competence_prior_variance > 0.0) {
            return Err("competence_prior_variance doit être un nombre positif".into());
        }
        Ok(())
    }
}

/// Result status (facts §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Enough answers: the result stands (subject to the jury).
    Validated,
    /// Fewer than the minimum answers, candidate's fault.
    Rejected,
    /// Fewer than the minimum answers, technical cause (or the bank ran out).
    Cancelled,
    /// Still running.
    Started,
}

/// A certification score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Capacity the score derives from.
    pub capacity: f64,
    /// Band 0 (pre-beginner) to 8.
    pub band: u8,
    /// Pix score (0–895 today).
    pub pix: u32,
    /// Global level: the band of the pix score (0–7 today).
    pub global_level: u8,
    /// Level 0–7 per competence, framework order.
    pub competence_levels: [u8; COMPETENCE_COUNT],
    /// How the competence levels were obtained. Anything but [`CompetenceMethod::Global`]
    /// departs from the reference system and is printed on the certificate (docs/scoring.md).
    #[serde(default)]
    pub competence_method: CompetenceMethod,
    /// Status.
    pub status: Status,
    /// [`SCORING_VERSION`].
    pub version: String,
}

/// The band (0 = pre-beginner, 1–8 = level) a capacity falls in.
pub fn band(cfg: &ScoringConfig, capacity: f64) -> u8 {
    cfg.band_bounds.iter().filter(|t| capacity >= **t).count() as u8
}

/// pix = floor(weight × (coefficient + progress within the band)); a capacity beyond the highest
/// open band gets that band's last point (895 today).
pub fn pix(cfg: &ScoringConfig, capacity: f64) -> u32 {
    let open = usize::from(cfg.highest_open_band.min(8));
    let b = usize::from(band(cfg, capacity));
    let top = |k: usize| WEIGHTS[k] * (COEFFICIENTS[k] + 1) - 1;
    if b > open {
        return top(open);
    }
    let lo = if b == 0 {
        cfg.capacity_min
    } else {
        cfg.band_bounds[b - 1]
    };
    let hi = if b == 8 {
        cfg.capacity_max
    } else {
        cfg.band_bounds[b]
    };
    let progress = if capacity.is_nan() {
        0.0
    } else {
        ((capacity - lo) / (hi - lo)).clamp(0.0, 1.0)
    };
    let raw = libm::floor(f64::from(WEIGHTS[b]) * (f64::from(COEFFICIENTS[b]) + progress)) as u32;
    raw.min(top(b))
}

/// The level (band) of a pix score: 0–63 pre-beginner, 64–127 level 1, 128–255 level 2, … 896+ level 8.
pub fn level_of_pix(pix: u32) -> u8 {
    (1..9)
        .filter(|k| pix >= WEIGHTS[*k] * COEFFICIENTS[*k])
        .count() as u8
}

/// Level 0–7 of one competence's bounds for a capacity.
pub fn competence_level(bounds: &[f64; 7], capacity: f64) -> u8 {
    bounds.iter().filter(|t| capacity >= **t).count() as u8
}

/// Level 0–7 per competence from the global capacity, each through its own bounds.
pub fn competence_levels(cfg: &ScoringConfig, capacity: f64) -> [u8; COMPETENCE_COUNT] {
    competence_levels_of(cfg, &[capacity; COMPETENCE_COUNT])
}

/// Level 0–7 per competence from one capacity per competence (framework order).
pub fn competence_levels_of(
    cfg: &ScoringConfig,
    capacities: &[f64; COMPETENCE_COUNT],
) -> [u8; COMPETENCE_COUNT] {
    let mut out = [0; COMPETENCE_COUNT];
    for ((o, bounds), c) in out
        .iter_mut()
        .zip(cfg.competence_bounds.iter())
        .zip(capacities)
    {
        *o = competence_level(bounds, *c);
    }
    out
}

/// Status from the number of answers and how the test ended.
pub fn status(answered: u32, min_answers: u32, end: Option<EndReason>) -> Status {
    match end {
        None => Status::Started,
        Some(_) if answered >= min_answers => Status::Validated,
        Some(EndReason::Interrupted(AbortCause::Candidate)) => Status::Rejected,
        // Completed with too few answers cannot happen with a sane config; the bank running out
        // is never the candidate's fault.
        Some(_) => Status::Cancelled,
    }
}

/// The full score. `per_competence`: one capacity per competence when they were estimated
/// competence by competence ([`CompetenceMethod::PerCompetence`]); `None`: the global capacity
/// goes through every competence's bounds.
pub fn score(
    cfg: &ScoringConfig,
    capacity: f64,
    per_competence: Option<&[f64; COMPETENCE_COUNT]>,
    answered: u32,
    min_answers: u32,
    end: Option<EndReason>,
) -> Score {
    let pix = pix(cfg, capacity);
    let (competence_levels, competence_method) = match per_competence {
        None => (competence_levels(cfg, capacity), CompetenceMethod::Global),
        Some(caps) => (
            competence_levels_of(cfg, caps),
            CompetenceMethod::PerCompetence,
        ),
    };
    Score {
        capacity,
        band: band(cfg, capacity),
        pix,
        global_level: level_of_pix(pix),
        competence_levels,
        competence_method,
        status: status(answered, min_answers, end),
        version: SCORING_VERSION.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pix_follows_weights_and_coefficients() {
        let cfg = ScoringConfig::default();
        // At the start of each band, pix = weight × coefficient.
        for (b, lo) in cfg.band_bounds.iter().enumerate().take(7) {
            assert_eq!(
                pix(&cfg, *lo),
                WEIGHTS[b + 1] * COEFFICIENTS[b + 1],
                "band {}",
                b + 1
            );
        }
        assert_eq!(pix(&cfg, -100.0), 0);
        assert_eq!(pix(&cfg, f64::NAN), 0);
        assert_eq!(pix(&cfg, cfg.band_bounds[7] - 1e-9), 895);
        assert_eq!(pix(&cfg, 100.0), 895, "level 8 closed: capped below 896");
        // Halfway through level 3: floor(128 × (2 + 0.5)) = 320.
        assert_eq!(
            pix(&cfg, (cfg.band_bounds[2] + cfg.band_bounds[3]) / 2.0),
            320
        );
        let mut last = 0;
        for i in 0..=2000 {
            let p = pix(&cfg, -5.0 + 10.0 * f64::from(i) / 2000.0);
            assert!(p >= last && p <= 895);
            last = p;
        }
        let open8 = ScoringConfig {
            highest_open_band: 8,
            ..ScoringConfig::default()
        };
        assert_eq!(pix(&open8, 100.0), 1023);
    }

    #[test]
    fn global_level_is_the_band_of_the_score() {
        for (p, l) in [
            (0, 0),
            (63, 0),
            (64, 1),
            (127, 1),
            (128, 2),
            (255, 2),
            (256, 3),
            (767, 6),
            (768, 7),
            (895, 7),
            (896, 8),
        ] {
            assert_eq!(level_of_pix(p), l, "{p}");
        }
        let cfg = ScoringConfig::default();
        for i in 0..200 {
            let c = -4.0 + 8.0 * f64::from(i) / 200.0;
            assert_eq!(level_of_pix(pix(&cfg, c)), band(&cfg, c).min(7), "{c}");
        }
    }

    #[test]
    fn competence_levels_come_from_the_same_capacity_and_stop_at_7() {
        let cfg = ScoringConfig::default();
        assert_eq!(competence_levels(&cfg, -9.0), [0; 16]);
        assert_eq!(competence_levels(&cfg, 9.0), [7; 16]);
        assert_eq!(competence_levels(&cfg, 0.0), [4; 16]);
        let mut custom = ScoringConfig::default();
        custom.competence_bounds[3] = [-9.0, -8.0, -7.0, -6.0, -5.0, -4.0, -3.0];
        assert_eq!(competence_levels(&custom, 0.0)[3], 7);
        assert!(custom.check().is_ok());
        custom.band_bounds[2] = -3.0;
        assert!(custom.check().is_err());
    }

    #[test]
    fn status_by_answer_count_and_cause() {
        use crate::engine::{AbortCause::*, EndReason::*};
        assert_eq!(status(32, 20, Some(Completed)), Status::Validated);
        assert_eq!(
            status(20, 20, Some(Interrupted(Candidate))),
            Status::Validated
        );
        assert_eq!(
            status(19, 20, Some(Interrupted(Candidate))),
            Status::Rejected
        );
        assert_eq!(
            status(19, 20, Some(Interrupted(Technical))),
            Status::Cancelled
        );
        assert_eq!(status(3, 20, Some(BankExhausted)), Status::Cancelled);
        assert_eq!(status(10, 20, None), Status::Started);
        let s = score(
            &ScoringConfig::default(),
            0.6,
            None,
            32,
            20,
            Some(Completed),
        );
        assert_eq!(
            (s.band, s.global_level, s.status),
            (5, 5, Status::Validated)
        );
        assert_eq!(s.version, SCORING_VERSION);
    }
}
