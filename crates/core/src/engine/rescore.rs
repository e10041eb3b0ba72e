//! A test's score recomputed over the fixed list of its answers, after the fact: a validated E10
//! incident (an unintentional focus-out, facts §4) gives a focus-voided answer its checked
//! correctness back, and the jury may neutralize a question, which is then counted as never
//! asked (facts §7). The questions asked never change: the replay re-derives them from the
//! answers as they were played, and only then is the list rescored. The room, the bundle
//! verifier and the central service all rescore through this one function; without
//! adjustments it gives the played score bit for bit, which the service then keeps as is.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{grid, Config, EndReason, PriorMode};
use crate::bank::Bank;
use crate::scoring::Score;

/// One answer as it was played.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Played {
    /// Item id.
    pub item_id: String,
    /// Counted right when it was played.
    pub counted: bool,
    /// What answer checking alone said.
    pub checked: bool,
    /// The item's own timer had run out (the answer counts wrong whatever).
    pub timed_out: bool,
    /// A focus loss voided it (an E10 can give the checked correctness back).
    pub focus_voided: bool,
}

/// What changes a test's count after it was played.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustments {
    /// Answers (1-based, in the order answered: "question n") for which the invigilator
    /// validated an E10 incident.
    pub e10_validated: BTreeSet<u32>,
    /// Items the jury neutralized for this candidate: counted as never asked.
    pub neutralized: BTreeSet<String>,
}

impl Adjustments {
    /// Nothing to adjust.
    pub fn is_empty(&self) -> bool {
        self.e10_validated.is_empty() && self.neutralized.is_empty()
    }
}

/// A rescored test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rescored {
    /// Capacity estimate.
    pub theta: f64,
    /// Its standard error.
    pub se: f64,
    /// Answers kept (neutralized ones left out).
    pub answered: u32,
    /// Answers counted right.
    pub correct: u32,
    /// Score and status.
    pub score: Score,
}

/// Recomputes capacity and score over `played` with `adjustments`. Without adjustments it gives
/// exactly the score the test had (the same updates, in the same order).
pub fn rescore(
    bank: &Bank,
    config: &Config,
    played: &[Played],
    adjustments: &Adjustments,
    end: Option<EndReason>,
) -> Rescored {
    let mut loglik = [0.0; grid::N];
    let mut theta = config.prior_mean;
    let (_, mut se) = grid::eap(&loglik, config.prior_mean, config.prior_variance);
    let (mut answered, mut correct) = (0u32, 0u32);
    let mut counted = Vec::with_capacity(played.len());
    for (ordinal, p) in (1u32..).zip(played) {
        if adjustments.neutralized.contains(&p.item_id) {
            continue;
        }
        let Some(index) = bank.position(&p.item_id) else {
            continue;
        };
        let right = if adjustments.e10_validated.contains(&ordinal) && p.focus_voided {
            p.checked && !p.timed_out
        } else {
            p.counted
        };
        let table = if right {
            bank.ix.log_p.get(index)
        } else {
            bank.ix.log_q.get(index)
        };
        if let Some(t) = table {
            for (l, x) in loglik.iter_mut().zip(t.iter()) {
                *l += x;
            }
        }
        let mean = match config.prior_mode {
            PriorMode::Fixed => config.prior_mean,
            PriorMode::Recentred => theta,
        };
        (theta, se) = grid::eap(&loglik, mean, config.prior_variance);
        answered += 1;
        correct += u32::from(right);
        counted.push((index, right));
    }
    Rescored {
        theta,
        se,
        answered,
        correct,
        score: super::competence::score(bank, config, theta, &counted, answered, end),
    }
}
