//! Monte-Carlo simulation of the engine against three baselines on a synthetic bank, and of the
//! two ways of giving competence levels.
//!
//! Every strategy sees the same bank, the same candidates (θ ~ N(0, 1)) and, for each candidate,
//! the same stream of answer randomness; each answers by the 2PL model, 32 items per test.
//! For competence levels, each candidate also has 16 competence abilities correlated with θ
//! ([`run_competences`]).
//! Results are reproducible from the seed except the step timings, which read the clock — the only
//! place in this crate that does, because the per-step cost is what this module reports.

use crate::bank::{self, Bank, BankErrors};
use crate::engine::{grid, Config, Next, PriorMode, Selection, Test};
use crate::framework::COMPETENCE_COUNT;
use crate::rng;
use crate::scoring::{self, ScoringConfig};
use rand_chacha::rand_core::Rng;
use serde::Serialize;
use std::time::Instant;

/// What to simulate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimConfig {
    /// Simulated candidates.
    pub candidates: usize,
    /// Items in the synthetic bank.
    pub items: usize,
    /// Seed of the bank, the candidates and the tests.
    pub seed: u64,
    /// Prior variance of the per-competence method (default
    /// [`scoring::DEFAULT_COMPETENCE_PRIOR_VARIANCE`]).
    pub competence_prior_variance: f64,
}

impl SimConfig {
    /// `candidates` candidates on a bank of `items` items, everything else by default.
    pub fn new(candidates: usize, items: usize, seed: u64) -> SimConfig {
        SimConfig {
            candidates,
            items,
            seed,
            competence_prior_variance: scoring::DEFAULT_COMPETENCE_PRIOR_VARIANCE,
        }
    }
}

/// Figures for one strategy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyReport {
    /// Root mean square error of the final estimate.
    pub rmse: f64,
    /// Mean (estimate − true θ).
    pub bias: f64,
    /// Share of candidates whose estimate falls in their true band (9 scoring bands).
    pub band_accuracy: f64,
    /// Largest share of tests any single item appeared in.
    pub max_exposure: f64,
    /// Share of tests covering all 16 competences.
    pub full_coverage_share: f64,
    /// Mean final standard error.
    pub mean_se: f64,
    /// Median wall time of one step (EAP update + next item), µs.
    pub step_p50_us: f64,
    /// 99th percentile of the step time, µs.
    pub step_p99_us: f64,
}

/// The whole report: one key per strategy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimReport {
    /// Candidates simulated.
    pub candidates: usize,
    /// Bank size.
    pub items: usize,
    /// Seed.
    pub seed: u64,
    /// Questions per test.
    pub questions: u32,
    /// Engine version.
    pub engine_version: String,
    /// Prior variance the per-competence method ran with.
    pub competence_prior_variance: f64,
    /// Our default engine configuration.
    pub engine: StrategyReport,
    /// Reference behaviour: top-5 / 51 % draw, prior re-centred on the previous estimate.
    pub reference: StrategyReport,
    /// Uniform among eligible items (same filters), fixed prior.
    pub random: StrategyReport,
    /// Same items in the same order for everyone (most informative at θ = 0 under the competence
    /// rotation), fixed prior.
    pub fixed: StrategyReport,
    /// Competence levels by method, one entry per correlation in [`COMPETENCE_RHOS`], with the
    /// default engine and the bank's derived competence bounds.
    pub competence_levels: Vec<CompetenceLevelsReport>,
}

/// Correlations between a competence's ability and the global ability that the simulation
/// reports: loosely tied, as expected of pupils, to nearly one ability.
pub const COMPETENCE_RHOS: [f64; 3] = [0.6, 0.8, 0.95];

/// How well printed competence levels match the true ones, for one method.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelFigures {
    /// Share of printed competence levels (16 per candidate) equal to the true level.
    pub competence_level_accuracy: f64,
    /// Mean |printed level − true level|.
    pub mean_abs_level_error: f64,
    /// Mean number of distinct levels among a candidate's 16.
    pub mean_distinct_levels: f64,
}

/// Competence levels at one correlation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompetenceLevelsReport {
    /// Correlation ρ between each competence's ability and the global ability.
    pub rho: f64,
    /// The default: the global capacity through each competence's own bounds.
    pub global: LevelFigures,
    /// Each competence's own EAP from the global capacity ([`scoring::CompetenceMethod::PerCompetence`]).
    pub per_competence: LevelFigures,
    /// Mean number of distinct levels among a candidate's 16 true levels.
    pub true_distinct_levels: f64,
}

/// The four configurations compared.
pub fn strategies() -> [(&'static str, Config); 4] {
    let base = Config::default();
    [
        ("engine", base.clone()),
        ("reference", Config::reference()),
        (
            "random",
            Config {
                selection: Selection::Random,
                prior_mode: PriorMode::Fixed,
                ..base.clone()
            },
        ),
        (
            "fixed",
            Config {
                selection: Selection::Fixed,
                prior_mode: PriorMode::Fixed,
                ..base
            },
        ),
    ]
}

/// Run the simulation.
pub fn run(cfg: &SimConfig) -> Result<SimReport, BankErrors> {
    let bank = bank::synthetic(cfg.items, cfg.seed)?;
    let thetas: Vec<f64> = {
        let mut r = rng::stream(cfg.seed, u64::MAX - 1);
        (0..cfg.candidates).map(|_| rng::normal(&mut r)).collect()
    };
    let [e, r, x, f] = strategies();
    let competence_levels = COMPETENCE_RHOS
        .iter()
        .map(|rho| {
            run_competences(
                &bank,
                &thetas,
                *rho,
                cfg.seed,
                cfg.competence_prior_variance,
            )
        })
        .collect();
    Ok(SimReport {
        candidates: cfg.candidates,
        items: bank.len(),
        seed: cfg.seed,
        questions: e.1.questions,
        engine_version: crate::ENGINE_VERSION.into(),
        competence_prior_variance: cfg.competence_prior_variance,
        engine: run_one(&bank, &e.1, &thetas, cfg.seed),
        reference: run_one(&bank, &r.1, &thetas, cfg.seed),
        random: run_one(&bank, &x.1, &thetas, cfg.seed),
        fixed: run_one(&bank, &f.1, &thetas, cfg.seed),
        competence_levels,
    })
}

/// Competence levels for candidates whose 16 competence abilities are
/// θ_c = ρ·θ + √(1 − ρ²)·ε_c (ε_c ~ N(0, 1) independent, so each θ_c ~ N(0, 1) and
/// corr(θ_c, θ) = ρ), each item answered by the 2PL model at its competence's ability. One test
/// per candidate with the default engine, scored both ways: the two methods only score
/// differently, so they are compared on the very same answers. The true level of competence c is
/// θ_c through c's bounds (derived from the bank, the same for both methods). For a given seed
/// the ε_c and the answer randomness do not depend on ρ, so the correlations are compared on
/// common random numbers too. `prior_variance`: the per-competence method's
/// [`ScoringConfig::competence_prior_variance`].
pub fn run_competences(
    bank: &Bank,
    thetas: &[f64],
    rho: f64,
    seed: u64,
    prior_variance: f64,
) -> CompetenceLevelsReport {
    let mut config = Config::default().with_bank(bank);
    config.scoring.competence_prior_variance = prior_variance;
    if bank.competence_bounds().is_none() {
        config.scoring.competence_bounds = scoring::derive_competence_bounds(bank).bounds;
    }
    let spread = (1.0 - rho * rho).max(0.0).sqrt();
    let mut eps = rng::stream(seed, u64::MAX - 2);
    let mut tally = [Tally::default(), Tally::default()];
    let mut true_distinct = 0usize;
    for (c, &theta) in thetas.iter().enumerate() {
        let mut abilities = [0.0; COMPETENCE_COUNT];
        for a in abilities.iter_mut() {
            *a = rho * theta + spread * rng::normal(&mut eps);
        }
        let mut answers = rng::stream(rng::mix(seed ^ 0xC0_3E7E, c as u64), 0);
        let Ok(mut test) = Test::new(bank, &config, rng::mix(seed, c as u64), false) else {
            break;
        };
        while let Ok(Next::Question(q)) = test.next_question() {
            let Some(it) = bank.item(q.item_id) else {
                break;
            };
            let ability = crate::framework::competence_index(&it.competence)
                .and_then(|k| abilities.get(k))
                .copied()
                .unwrap_or(theta);
            let correct =
                rng::unit(answers.next_u64()) < grid::p_correct(it.irt.a, it.irt.b, ability);
            if test.record_pending(correct).is_none() {
                break;
            }
        }
        let truth = scoring::competence_levels_of(&config.scoring, &abilities);
        true_distinct += distinct(&truth);
        let (est, _) = test.estimate();
        let printed = [
            scoring::competence_levels(&config.scoring, est),
            scoring::competence_levels_of(&config.scoring, &test.competence_estimates()),
        ];
        for (t, p) in tally.iter_mut().zip(printed) {
            t.add(&truth, &p);
        }
    }
    let n = thetas.len().max(1) as f64;
    let [global, per_competence] = tally.map(|t| t.figures(n));
    CompetenceLevelsReport {
        rho,
        global,
        per_competence,
        true_distinct_levels: true_distinct as f64 / n,
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    exact: usize,
    abs_error: u64,
    distinct: usize,
}

impl Tally {
    fn add(&mut self, truth: &[u8; COMPETENCE_COUNT], printed: &[u8; COMPETENCE_COUNT]) {
        for (t, p) in truth.iter().zip(printed) {
            self.exact += usize::from(t == p);
            self.abs_error += u64::from(t.abs_diff(*p));
        }
        self.distinct += distinct(printed);
    }
    fn figures(self, candidates: f64) -> LevelFigures {
        let levels = candidates * COMPETENCE_COUNT as f64;
        LevelFigures {
            competence_level_accuracy: self.exact as f64 / levels,
            mean_abs_level_error: self.abs_error as f64 / levels,
            mean_distinct_levels: self.distinct as f64 / candidates,
        }
    }
}

fn distinct(levels: &[u8; COMPETENCE_COUNT]) -> usize {
    let mut seen = [false; 9];
    for l in levels {
        if let Some(s) = seen.get_mut(usize::from(*l)) {
            *s = true;
        }
    }
    seen.iter().filter(|s| **s).count()
}

/// One strategy over all candidates.
pub fn run_one(bank: &Bank, config: &Config, thetas: &[f64], seed: u64) -> StrategyReport {
    let scoring: &ScoringConfig = &config.scoring;
    let mut exposure = vec![0u32; bank.len()];
    let mut step_ns: Vec<u32> = Vec::with_capacity(thetas.len() * (config.questions as usize + 1));
    let (mut se2, mut bias, mut band_ok, mut full, mut sum_se) = (0.0, 0.0, 0usize, 0usize, 0.0);
    for (c, &theta) in thetas.iter().enumerate() {
        let test_seed = rng::mix(seed, c as u64);
        // The candidate's answer randomness depends on the candidate only, not on the strategy.
        let mut answers = rng::stream(rng::mix(seed ^ 0x5EED, c as u64), 0);
        let Ok(mut test) = Test::new(bank, config, test_seed, false) else {
            break;
        };
        let mut t0 = Instant::now();
        while let Ok(Next::Question(q)) = test.next_question() {
            step_ns.push(t0.elapsed().as_nanos().min(u128::from(u32::MAX)) as u32);
            let Some(i) = bank.position(q.item_id) else {
                break;
            };
            if let Some(x) = exposure.get_mut(i) {
                *x += 1;
            }
            let it = &bank.items()[i];
            let p = grid::p_correct(it.irt.a, it.irt.b, theta);
            let correct = rng::unit(answers.next_u64()) < p;
            t0 = Instant::now();
            if test.record_pending(correct).is_none() {
                break;
            }
        }
        let (est, se) = test.estimate();
        se2 += (est - theta) * (est - theta);
        bias += est - theta;
        sum_se += se;
        band_ok += usize::from(scoring::band(scoring, est) == scoring::band(scoring, theta));
        full += usize::from(
            test.competence_counts().iter().filter(|n| **n > 0).count() == COMPETENCE_COUNT,
        );
    }
    let n = thetas.len().max(1) as f64;
    step_ns.sort_unstable();
    let pct = |q: f64| {
        let k = ((step_ns.len() as f64 - 1.0) * q).round().max(0.0) as usize;
        step_ns.get(k).map_or(0.0, |ns| f64::from(*ns) / 1000.0)
    };
    StrategyReport {
        rmse: (se2 / n).sqrt(),
        bias: bias / n,
        band_accuracy: band_ok as f64 / n,
        max_exposure: f64::from(exposure.iter().copied().max().unwrap_or(0)) / n,
        full_coverage_share: full as f64 / n,
        mean_se: sum_se / n,
        step_p50_us: pct(0.50),
        step_p99_us: pct(0.99),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_simulation_meets_the_targets() {
        let report = run(&SimConfig::new(300, 2000, 42))
            .map_err(|e| e.to_string())
            .unwrap();
        let (e, r, x, f) = (
            &report.engine,
            &report.reference,
            &report.random,
            &report.fixed,
        );
        for s in [e, r, x, f] {
            assert_eq!(s.full_coverage_share, 1.0, "{report:#?}");
        }
        assert!(e.max_exposure <= 0.25, "{report:#?}");
        assert!(e.rmse < x.rmse && e.rmse < f.rmse, "{report:#?}");
        assert!(e.rmse <= 1.15 * r.rmse, "{report:#?}");
        assert!(
            r.max_exposure > 0.25,
            "the reference's first question is shared by most: {report:#?}"
        );
        assert_eq!(
            f.max_exposure, 1.0,
            "a fixed form shows its items to everyone"
        );
    }

    #[test]
    fn simulation_is_reproducible_apart_from_timings() {
        let cfg = SimConfig::new(40, 400, 7);
        let strip = |mut r: SimReport| {
            for s in [&mut r.engine, &mut r.reference, &mut r.random, &mut r.fixed] {
                s.step_p50_us = 0.0;
                s.step_p99_us = 0.0;
            }
            r
        };
        let a = run(&cfg).map(strip).map_err(|e| e.to_string()).unwrap();
        let b = run(&cfg).map(strip).map_err(|e| e.to_string()).unwrap();
        assert_eq!(a, b);
        let json = serde_json::to_value(&a).map_err(|e| e.to_string()).unwrap();
        for k in ["engine", "reference", "random", "fixed"] {
            for f in [
                "rmse",
                "bias",
                "band_accuracy",
                "max_exposure",
                "full_coverage_share",
                "step_p50_us",
                "step_p99_us",
            ] {
                assert!(json[k][f].is_number(), "{k}.{f}");
            }
        }
    }
}
