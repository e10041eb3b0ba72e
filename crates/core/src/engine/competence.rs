//! Competence levels by the configured method (docs/scoring.md, "Two methods"): the same for a
//! test as it runs and for a rescoring, so that both print the same levels.

use super::{grid, Config, EndReason};
use crate::bank::Bank;
use crate::framework::COMPETENCE_COUNT;
use crate::scoring::{self, CompetenceMethod, Score};

/// The score at capacity `theta` after `answers` (bank position, counted right), its competence
/// levels by `config`'s method.
pub(crate) fn score(
    bank: &Bank,
    config: &Config,
    theta: f64,
    answers: &[(usize, bool)],
    answered: u32,
    end: Option<EndReason>,
) -> Score {
    let per_competence = match config.scoring.competence_method {
        CompetenceMethod::Global => None,
        CompetenceMethod::PerCompetence => Some(estimates(
            bank,
            config.scoring.competence_prior_variance,
            theta,
            answers,
        )),
    };
    scoring::score(
        &config.scoring,
        theta,
        per_competence.as_ref(),
        answered,
        config.min_answers,
        end,
    )
}

/// One capacity per competence (framework order): the EAP of that competence's own answers
/// under a prior N(`theta`, `variance`). With its two or so answers a competence moves only
/// part of the way from the global estimate; one without answers stays at it. The competence's
/// answers also count in the prior's mean; at 2 of 32 answers that double count is small, and it
/// keeps the method one formula.
pub(crate) fn estimates(
    bank: &Bank,
    variance: f64,
    theta: f64,
    answers: &[(usize, bool)],
) -> [f64; COMPETENCE_COUNT] {
    let ix = &bank.ix;
    let mut loglik = [[0.0; grid::N]; COMPETENCE_COUNT];
    let mut seen = [false; COMPETENCE_COUNT];
    for &(item, right) in answers {
        let table = if right {
            ix.log_p.get(item)
        } else {
            ix.log_q.get(item)
        };
        let c = ix.comp.get(item).map(|c| usize::from(*c));
        if let (Some(t), Some(l), Some(s)) = (
            table,
            c.and_then(|c| loglik.get_mut(c)),
            c.and_then(|c| seen.get_mut(c)),
        ) {
            for (l, x) in l.iter_mut().zip(t.iter()) {
                *l += x;
            }
            *s = true;
        }
    }
    let mut out = [theta; COMPETENCE_COUNT];
    for ((o, l), s) in out.iter_mut().zip(loglik.iter()).zip(seen) {
        if s {
            *o = grid::eap(l, theta, variance).0;
        }
    }
    out
}
