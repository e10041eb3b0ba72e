//! The adaptive engine: a small state machine the kiosk or the hub drives step by step.
//!
//! A [`Test`] is fully determined by (bank, config, seed, needs_adjustment) and the steps applied
//! to it, so it is never serialised: after a crash it is rebuilt by replaying the journal
//! ([`replay()`]). The random draw of question `k` comes from ChaCha8 stream `k` of the seed, so
//! replay needs no RNG state, and each [`Question`] carries its draw for the journal.

mod competence;
mod config;
pub(crate) mod grid;
mod replay;
mod rescore;
mod select;

pub use config::{Config, PriorMode, Selection};
pub use replay::{replay, ReplayError, Replayed, Step};
pub use rescore::{rescore, Adjustments, Played, Rescored};

use crate::answer::{self, Response};
use crate::bank::Bank;
use crate::framework::COMPETENCE_COUNT;
use serde::{Deserialize, Serialize};

/// Version of the engine's observable behaviour (selection, estimation, rules). Any change that
/// could alter a question, an estimate or a score for the same inputs bumps it.
pub const ENGINE_VERSION: &str = "certroom-engine/1";

/// Whether this build replays journals written by engine `version` bit for bit.
pub fn supports(version: &str) -> bool {
    version == ENGINE_VERSION
}

/// A question to put in front of the candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Question<'b> {
    /// Item id in the bank.
    pub item_id: &'b str,
    /// 0-based issue index (replacement questions included): the RNG stream of the draw.
    pub index: u32,
    /// Raw ChaCha8 output used for the draw; journaled and checked on replay.
    pub draw: u64,
}

/// What comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Next<'b> {
    /// Ask this.
    Question(Question<'b>),
    /// The test is over.
    End(EndReason),
}

/// Who or what interrupted a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbortCause {
    /// The candidate (left, gave up, ran out of time, fraud).
    Candidate,
    /// A technical problem.
    Technical,
}

/// Why a test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "cause")]
pub enum EndReason {
    /// All configured questions were answered.
    Completed,
    /// No eligible item remained even after relaxing the soft constraints.
    BankExhausted,
    /// Ended early by the invigilator / the hub (time up counts as the candidate's cause).
    Interrupted(AbortCause),
}

/// Circumstances of an answer, supplied by the kiosk (which owns clock and focus detection).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnswerContext {
    /// The item's own timer had run out (ignored for items without a timer).
    pub timed_out: bool,
    /// The test window lost focus while this question was shown.
    pub focus_lost: bool,
    /// The invigilator validated an E10 (unintentional focus-out) incident for this question.
    pub e10_validated: bool,
}

/// Result of recording an answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Outcome {
    /// Counted as right.
    pub correct: bool,
    /// What answer checking alone said (before timer and focus rules).
    pub checked: bool,
    /// New capacity estimate.
    pub theta: f64,
    /// Its standard error (posterior SD).
    pub se: f64,
    /// Answers recorded so far.
    pub answered: u32,
}

/// Why the engine refused an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// Invalid configuration.
    #[error("configuration du moteur invalide : {0}")]
    Config(String),
    /// An alert is open: nothing moves until the invigilator handles it.
    #[error("une alerte est ouverte : le surveillant doit la traiter")]
    AlertOpen,
    /// No question is waiting for an answer.
    #[error("aucune question en cours")]
    NoQuestion,
    /// The answer is for another item.
    #[error("réponse à la question {got} alors que la question en cours est {expected}")]
    NotCurrentQuestion {
        /// Pending item.
        expected: String,
        /// Item answered.
        got: String,
    },
    /// No alert is open.
    #[error("aucune alerte ouverte")]
    NoAlert,
    /// The test has ended.
    #[error("le test est terminé")]
    Ended,
}

/// One answer as it was played, kept for the rescoring (see [`Played`]).
#[derive(Debug, Clone, Copy)]
struct Given {
    item: u32,
    counted: bool,
    checked: bool,
    timed_out: bool,
    focus_voided: bool,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    item: usize,
    index: u32,
    draw: u64,
}

/// One candidate's test in progress.
#[derive(Debug, Clone)]
pub struct Test<'b> {
    bank: &'b Bank,
    config: Config,
    seed: u64,
    needs_adjustment: bool,
    loglik: [f64; grid::N],
    theta: f64,
    se: f64,
    issued: u32,
    answered: u32,
    correct: u32,
    comp_count: [u8; COMPETENCE_COUNT],
    last_comp: Option<u8>,
    tube_used: Vec<bool>,
    skill_blocked: Vec<bool>,
    pending: Option<Pending>,
    alert_open: bool,
    ended: Option<EndReason>,
    given: Vec<Given>,
    scratch: select::Scratch,
}

impl<'b> Test<'b> {
    /// A new test. `seed` is drawn by the hub and journaled; `needs_adjustment` restricts the test
    /// to accessible items.
    pub fn new(
        bank: &'b Bank,
        config: &Config,
        seed: u64,
        needs_adjustment: bool,
    ) -> Result<Test<'b>, EngineError> {
        config.check().map_err(EngineError::Config)?;
        let (_, se) = grid::eap(&[0.0; grid::N], config.prior_mean, config.prior_variance);
        Ok(Test {
            bank,
            config: config.clone(),
            seed,
            needs_adjustment,
            loglik: [0.0; grid::N],
            // Exactly the prior mean (0 by default), not the grid's rounding of it.
            theta: config.prior_mean,
            se,
            issued: 0,
            answered: 0,
            correct: 0,
            comp_count: [0; COMPETENCE_COUNT],
            last_comp: None,
            tube_used: vec![false; bank.ix.n_tubes],
            skill_blocked: vec![false; bank.ix.n_skills],
            pending: None,
            alert_open: false,
            ended: None,
            given: Vec::with_capacity(config.questions as usize + 8),
            scratch: select::Scratch::new(bank.len()),
        })
    }

    /// The question to ask: the pending one if any (idempotent, e.g. after a kiosk restart), else a
    /// newly selected one, or the end of the test.
    pub fn next_question(&mut self) -> Result<Next<'b>, EngineError> {
        if self.alert_open {
            return Err(EngineError::AlertOpen);
        }
        if let Some(end) = self.ended {
            return Ok(Next::End(end));
        }
        if let Some(p) = self.pending {
            return Ok(Next::Question(self.question(p)));
        }
        if self.answered >= self.config.questions {
            self.ended = Some(EndReason::Completed);
            return Ok(Next::End(EndReason::Completed));
        }
        match self.select() {
            Some((item, draw)) => {
                let p = Pending {
                    item,
                    index: self.issued,
                    draw,
                };
                self.issued += 1;
                self.pending = Some(p);
                Ok(Next::Question(self.question(p)))
            }
            None => {
                self.ended = Some(EndReason::BankExhausted);
                Ok(Next::End(EndReason::BankExhausted))
            }
        }
    }

    fn question(&self, p: Pending) -> Question<'b> {
        let bank: &'b Bank = self.bank;
        let item_id = bank.items().get(p.item).map_or("", |it| it.id.as_str());
        Question {
            item_id,
            index: p.index,
            draw: p.draw,
        }
    }

    /// Record the candidate's answer to the pending question.
    ///
    /// Rules: a skip is wrong; a right answer after the item's own timer ran out is wrong; a right
    /// answer given while focus was lost is wrong unless an E10 incident was validated for it.
    pub fn answer(
        &mut self,
        item_id: &str,
        response: &Response,
        ctx: AnswerContext,
    ) -> Result<Outcome, EngineError> {
        let p = self.answerable(item_id)?;
        let item = self
            .bank
            .items()
            .get(p.item)
            .ok_or(EngineError::NoQuestion)?;
        let checked = answer::check(item, response);
        let timed_out = ctx.timed_out && item.timer_s.is_some();
        let focus_void = ctx.focus_lost && !ctx.e10_validated;
        Ok(self.record(
            p,
            Given {
                item: p.item as u32,
                counted: checked && !timed_out && !focus_void,
                checked,
                timed_out,
                focus_voided: focus_void,
            },
        ))
    }

    fn answerable(&self, item_id: &str) -> Result<Pending, EngineError> {
        if self.alert_open {
            return Err(EngineError::AlertOpen);
        }
        if self.ended.is_some() {
            return Err(EngineError::Ended);
        }
        let p = self.pending.ok_or(EngineError::NoQuestion)?;
        let expected = self.question(p).item_id;
        if expected != item_id {
            return Err(EngineError::NotCurrentQuestion {
                expected: expected.into(),
                got: item_id.into(),
            });
        }
        Ok(p)
    }

    /// The simulation's shortcut: record an already-decided answer to the pending question.
    pub(crate) fn record_pending(&mut self, correct: bool) -> Option<Outcome> {
        let p = self.pending?;
        if self.alert_open || self.ended.is_some() {
            return None;
        }
        Some(self.record(
            p,
            Given {
                item: p.item as u32,
                counted: correct,
                checked: correct,
                timed_out: false,
                focus_voided: false,
            },
        ))
    }

    fn record(&mut self, p: Pending, given: Given) -> Outcome {
        let (correct, checked) = (given.counted, given.checked);
        let ix = &self.bank.ix;
        let table = if correct {
            ix.log_p.get(p.item)
        } else {
            ix.log_q.get(p.item)
        };
        if let Some(t) = table {
            for (l, x) in self.loglik.iter_mut().zip(t.iter()) {
                *l += x;
            }
        }
        let mean = match self.config.prior_mode {
            PriorMode::Fixed => self.config.prior_mean,
            PriorMode::Recentred => self.theta,
        };
        let (theta, se) = grid::eap(&self.loglik, mean, self.config.prior_variance);
        self.theta = theta;
        self.se = se;
        if let Some(&c) = ix.comp.get(p.item) {
            if let Some(n) = self.comp_count.get_mut(usize::from(c)) {
                *n = n.saturating_add(1);
            }
            self.last_comp = Some(c);
        }
        if let Some(t) = ix
            .tube
            .get(p.item)
            .and_then(|t| self.tube_used.get_mut(*t as usize))
        {
            *t = true;
        }
        if let Some(s) = ix
            .skill
            .get(p.item)
            .and_then(|s| self.skill_blocked.get_mut(*s as usize))
        {
            *s = true;
        }
        self.pending = None;
        self.answered += 1;
        self.correct += u32::from(correct);
        self.given.push(given);
        Outcome {
            correct,
            checked,
            theta,
            se,
            answered: self.answered,
        }
    }

    /// The candidate (or the kiosk) raised an alert on the pending question.
    pub fn raise_alert(&mut self) -> Result<(), EngineError> {
        if self.ended.is_some() {
            return Err(EngineError::Ended);
        }
        if self.alert_open {
            return Err(EngineError::AlertOpen);
        }
        if self.pending.is_none() {
            return Err(EngineError::NoQuestion);
        }
        self.alert_open = true;
        Ok(())
    }

    /// The invigilator validated the alert: the question is neutralised (not counted), its skill is
    /// excluded for the rest of the test, and a replacement question is selected.
    pub fn validate_alert(&mut self) -> Result<Next<'b>, EngineError> {
        if !self.alert_open {
            return Err(EngineError::NoAlert);
        }
        if let Some(p) = self.pending.take() {
            if let Some(s) = self
                .bank
                .ix
                .skill
                .get(p.item)
                .and_then(|s| self.skill_blocked.get_mut(*s as usize))
            {
                *s = true;
            }
        }
        self.alert_open = false;
        self.next_question()
    }

    /// The invigilator dismissed the alert: the same question resumes.
    pub fn dismiss_alert(&mut self) -> Result<(), EngineError> {
        if !self.alert_open {
            return Err(EngineError::NoAlert);
        }
        self.alert_open = false;
        Ok(())
    }

    /// End the test early. An open alert is closed (its question stays pending). With at least
    /// `min_answers` answers the missing questions count as skipped: they are selected as usual and
    /// recorded wrong, so the score is what the candidate would get by skipping them. Below that, the
    /// test just stops (the status will be rejected or cancelled).
    pub fn end(&mut self, cause: AbortCause) -> Result<EndReason, EngineError> {
        if let Some(end) = self.ended {
            return Ok(end);
        }
        self.alert_open = false;
        if self.answered >= self.config.min_answers {
            while let Next::Question(_) = self.next_question()? {
                if self.record_pending(false).is_none() {
                    break;
                }
            }
        }
        let reason = EndReason::Interrupted(cause);
        self.ended = Some(reason);
        Ok(reason)
    }

    /// Current capacity estimate and its standard error.
    pub fn estimate(&self) -> (f64, f64) {
        (self.theta, self.se)
    }
    /// Answers recorded (skips included, neutralised questions excluded).
    pub fn answered_count(&self) -> u32 {
        self.answered
    }
    /// Answers counted right.
    pub fn correct_count(&self) -> u32 {
        self.correct
    }
    /// Questions issued, neutralised ones included.
    pub fn issued_count(&self) -> u32 {
        self.issued
    }
    /// Whether an alert is open.
    pub fn alert_open(&self) -> bool {
        self.alert_open
    }
    /// Why the test ended, if it has.
    pub fn end_reason(&self) -> Option<EndReason> {
        self.ended
    }
    /// The pending question, if any.
    pub fn pending(&self) -> Option<Question<'b>> {
        self.pending.map(|p| self.question(p))
    }
    /// Items answered, in order, with whether each was counted right.
    pub fn answered_items(&self) -> impl Iterator<Item = (&'b str, bool)> + '_ {
        let bank: &'b Bank = self.bank;
        self.given.iter().filter_map(move |g| {
            bank.items()
                .get(g.item as usize)
                .map(|it| (it.id.as_str(), g.counted))
        })
    }
    /// Every answer as it was played, in order, for the rescoring.
    pub fn played(&self) -> Vec<Played> {
        self.given
            .iter()
            .filter_map(|g| {
                self.bank.items().get(g.item as usize).map(|it| Played {
                    item_id: it.id.clone(),
                    counted: g.counted,
                    checked: g.checked,
                    timed_out: g.timed_out,
                    focus_voided: g.focus_voided,
                })
            })
            .collect()
    }
    /// Answers per competence, in framework order.
    pub fn competence_counts(&self) -> [u8; COMPETENCE_COUNT] {
        self.comp_count
    }
    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }
    /// The final (or current) score, its competence levels by the configured method.
    pub fn score(&self) -> crate::scoring::Score {
        competence::score(
            self.bank,
            &self.config,
            self.theta,
            &self.counted(),
            self.answered,
            self.ended,
        )
    }

    /// One capacity per competence (framework order); see [`competence::estimates`].
    pub fn competence_estimates(&self) -> [f64; COMPETENCE_COUNT] {
        competence::estimates(
            self.bank,
            self.config.scoring.competence_prior_variance,
            self.theta,
            &self.counted(),
        )
    }

    /// Every answer as it counts: (bank position, right).
    fn counted(&self) -> Vec<(usize, bool)> {
        self.given
            .iter()
            .map(|g| (g.item as usize, g.counted))
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
