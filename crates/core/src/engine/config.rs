//! Engine configuration (serde; every field has a documented default, so `{}` is a valid config).

use crate::bank::Bank;
use crate::scoring::ScoringConfig;
use serde::{Deserialize, Serialize};

/// How the Gaussian prior of the EAP estimate behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorMode {
    /// Textbook EAP: the prior stays N(prior_mean, prior_variance). Default.
    Fixed,
    /// The reference system's choice: at every step the prior is re-centred on the previous
    /// estimate (the likelihood still accumulates over all answers).
    Recentred,
}

/// Which item is drawn among the most informative eligible ones.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Selection {
    /// Reference-system behaviour: keep the `pool` most informative items, take the best with
    /// probability `p_best`, else the next with `p_best` of the rest, and so on.
    Reference {
        /// Pool size (5).
        pool: u8,
        /// Probability of the best remaining item (0.51).
        p_best: f64,
    },
    /// Our default: competence-first randomesque with a shrinking pool. The high 32 bits of the
    /// draw pick a competence uniformly among those the rotation allows; the low 32 bits pick
    /// uniformly among that competence's `pool(k)` most informative eligible items, where
    /// `pool(k)` goes linearly from `early_pool` at the first question to `late_pool` at question
    /// `shrink_over` and stays there. Picking the competence first stops a very discriminating item
    /// from competing at every step of a round; the wide early pool spreads the first questions,
    /// where every candidate sits at the same estimate; the narrow late pool keeps precision.
    Randomesque {
        /// Pool at the first question.
        early_pool: u8,
        /// Pool from question `shrink_over` on.
        late_pool: u8,
        /// Question index where the pool reaches `late_pool`.
        shrink_over: u8,
    },
    /// Baseline for the simulation: uniform among all eligible items.
    Random,
    /// Baseline for the simulation: always the most informative item at θ = 0, whatever the
    /// answers. Since the filters depend only on which items were given, every candidate gets the
    /// same items in the same order (a fixed form that still rotates through the competences).
    Fixed,
}

/// Engine configuration. Defaults: 32 questions, 105 minutes, 20 answers minimum, prior N(0, 1.5)
/// fixed, competence-first randomesque selection with a pool shrinking from 12 to 4 items over
/// the first 16 questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Questions in a test (32).
    pub questions: u32,
    /// Test duration in minutes before extra time (105). Enforced by the caller, who owns the clock.
    pub duration_min: u32,
    /// Answers needed for a result (20).
    pub min_answers: u32,
    /// Prior mean (0).
    pub prior_mean: f64,
    /// Prior variance (1.5).
    pub prior_variance: f64,
    /// Fixed (default) or re-centred prior.
    pub prior_mode: PriorMode,
    /// Item selection strategy.
    pub selection: Selection,
    /// Capacity → score mapping.
    pub scoring: ScoringConfig,
}

impl Config {
    /// The configuration's id: SHA-256 (hex) of its canonical JSON. A journal names the
    /// configuration it ran under by this id, and the service scores only under configurations
    /// it knows by id.
    pub fn id(&self) -> String {
        let value = serde_json::to_value(self).unwrap_or_default();
        // A configuration is a few flat numbers and short lists: always canonicalisable.
        let bytes = crate::canonical::to_bytes(&value).unwrap_or_default();
        crate::hash::Hash::of(&[&bytes]).to_hex()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            questions: 32,
            duration_min: 105,
            min_answers: 20,
            prior_mean: 0.0,
            prior_variance: 1.5,
            prior_mode: PriorMode::Fixed,
            selection: Selection::Randomesque {
                early_pool: 12,
                late_pool: 4,
                shrink_over: 16,
            },
            scoring: ScoringConfig::default(),
        }
    }
}

impl Config {
    /// The default configuration for a sitting on `bank`: its scoring takes the bank's own
    /// competence bounds when `bank.json` carries them ([`ScoringConfig::for_bank`]). Question
    /// selection does not depend on them, so only the printed competence levels change.
    pub fn for_bank(bank: &Bank) -> Config {
        Config::default().with_bank(bank)
    }

    /// This configuration, its scoring given the bank's competence bounds when it has them.
    pub fn with_bank(mut self, bank: &Bank) -> Config {
        self.scoring = self.scoring.with_bank(bank);
        self
    }

    /// The reference system's behaviour: top-5 / 51 % draw and a prior re-centred at every step.
    pub fn reference() -> Config {
        Config {
            prior_mode: PriorMode::Recentred,
            selection: Selection::Reference {
                pool: 5,
                p_best: 0.51,
            },
            ..Config::default()
        }
    }

    /// Why the configuration cannot run a test, if it cannot (bounds out of order, …).
    pub fn check(&self) -> Result<(), String> {
        if self.questions == 0 || self.questions > 200 {
            return Err("questions doit être entre 1 et 200".into());
        }
        if self.min_answers > self.questions {
            return Err("min_answers dépasse questions".into());
        }
        if !(self.prior_variance.is_finite()
            && self.prior_variance > 0.0
            && self.prior_mean.is_finite())
        {
            return Err("prior invalide".into());
        }
        match self.selection {
            Selection::Reference { pool, p_best }
                if pool == 0 || !(p_best > 0.0 && p_best <= 1.0) =>
            {
                Err("sélection de référence invalide".into())
            }
            Selection::Randomesque {
                early_pool,
                late_pool,
                ..
            } if early_pool == 0 || late_pool == 0 => Err("taille de pool nulle".into()),
            _ => self.scoring.check(),
        }
    }

    pub(crate) fn pool_size(&self, k: u32) -> usize {
        match self.selection {
            Selection::Reference { pool, .. } => usize::from(pool),
            Selection::Randomesque {
                early_pool,
                late_pool,
                shrink_over,
                ..
            } => {
                let (e, l, s) = (
                    f64::from(early_pool),
                    f64::from(late_pool),
                    f64::from(shrink_over),
                );
                if s <= 0.0 || f64::from(k) >= s {
                    usize::from(late_pool)
                } else {
                    (e + (l - e) * f64::from(k) / s).round().max(1.0) as usize
                }
            }
            Selection::Random | Selection::Fixed => 1,
        }
    }
}
