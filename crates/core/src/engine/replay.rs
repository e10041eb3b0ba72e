//! Replaying a journal: re-derive every question from (bank, config, seed, needs_adjustment) and the
//! recorded steps, check each equals what was recorded, and recompute estimate and score.

use super::{AbortCause, AnswerContext, Config, EndReason, EngineError, Next, Test};
use crate::answer::Response;
use crate::bank::Bank;
use crate::scoring::Score;
use serde::{Deserialize, Serialize};

/// One journaled engine step. JSON: `{"step":"question","index":0,"item_id":"…","draw":123}`,
/// `{"step":"answer","item_id":"…","response":{"choice":2},"context":{…}}`, `{"step":"alert_raised"}`,
/// `{"step":"alert_validated"}`, `{"step":"alert_dismissed"}`, `{"step":"ended","cause":"technical"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// A question was shown (also the replacement after a validated alert).
    Question {
        /// Issue index.
        index: u32,
        /// Item id.
        item_id: String,
        /// Raw draw.
        draw: u64,
    },
    /// The candidate answered the pending question.
    Answer {
        /// Item id.
        item_id: String,
        /// Response as sent by the kiosk.
        response: Response,
        /// Timer / focus circumstances.
        #[serde(default)]
        context: AnswerContext,
    },
    /// An alert was raised on the pending question.
    AlertRaised,
    /// The invigilator validated the alert.
    AlertValidated,
    /// The invigilator dismissed the alert.
    AlertDismissed,
    /// The test was ended early.
    Ended {
        /// Cause.
        cause: AbortCause,
    },
}

/// What a replay establishes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replayed {
    /// Final capacity estimate.
    pub theta: f64,
    /// Its standard error.
    pub se: f64,
    /// Answers recorded.
    pub answered: u32,
    /// Answers counted right.
    pub correct: u32,
    /// Why the test ended, `None` if the journal stops mid-test.
    pub end: Option<EndReason>,
    /// Score and status.
    pub score: Score,
    /// Every answer as it was played, for [`super::rescore`].
    pub played: Vec<super::Played>,
}

/// Why a journal does not replay.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReplayError {
    /// The engine derives another question than the one recorded.
    #[error("étape {step} : question enregistrée {recorded} (tirage {recorded_draw}, n° {recorded_index}), question recalculée {derived} (tirage {derived_draw}, n° {derived_index})")]
    QuestionMismatch {
        /// Step number (0-based).
        step: usize,
        /// Recorded item.
        recorded: String,
        /// Recorded draw.
        recorded_draw: u64,
        /// Recorded index.
        recorded_index: u32,
        /// Derived item.
        derived: String,
        /// Derived draw.
        derived_draw: u64,
        /// Derived index.
        derived_index: u32,
    },
    /// A question is recorded where the engine says the test is over.
    #[error("étape {step} : question enregistrée après la fin du test ({end:?})")]
    AfterEnd {
        /// Step number.
        step: usize,
        /// End reason.
        end: EndReason,
    },
    /// The engine refused a recorded step.
    #[error("étape {step} : {error}")]
    Engine {
        /// Step number.
        step: usize,
        /// Engine error.
        error: EngineError,
    },
}

/// Replay a journal. Every `Question` step must equal what the engine derives (item and draw);
/// answers and alerts are applied as recorded.
pub fn replay(
    bank: &Bank,
    config: &Config,
    seed: u64,
    needs_adjustment: bool,
    steps: &[Step],
) -> Result<Replayed, ReplayError> {
    let mut test = Test::resume(bank, config, seed, needs_adjustment, steps)?;
    // A journal of a completed test may stop right after the last answer: settle the end state.
    if test.end_reason().is_none()
        && test.pending().is_none()
        && test.answered_count() >= config.questions
    {
        let _ = test.next_question();
    }
    let (theta, se) = test.estimate();
    Ok(Replayed {
        theta,
        se,
        answered: test.answered_count(),
        correct: test.correct_count(),
        end: test.end_reason(),
        score: test.score(),
        played: test.played(),
    })
}

impl<'b> Test<'b> {
    /// Rebuild a live test from its journal (after a kiosk restart, or on the hub), checking every
    /// recorded question as [`replay`] does. The returned test continues exactly where the journal
    /// stops: a pending question is pending again, an open alert is open again.
    pub fn resume(
        bank: &'b Bank,
        config: &Config,
        seed: u64,
        needs_adjustment: bool,
        steps: &[Step],
    ) -> Result<Test<'b>, ReplayError> {
        let mut test = Test::new(bank, config, seed, needs_adjustment)
            .map_err(|error| ReplayError::Engine { step: 0, error })?;
        test.apply(steps)?;
        Ok(test)
    }

    /// Apply journaled steps to this test, checking each recorded question (step numbers in errors
    /// count from the start of `steps`). The hub uses it to follow a kiosk's journal as it arrives.
    pub fn apply(&mut self, steps: &[Step]) -> Result<(), ReplayError> {
        let test = self;
        for (step, s) in steps.iter().enumerate() {
            let eng = |error| ReplayError::Engine { step, error };
            match s {
                Step::Question {
                    index,
                    item_id,
                    draw,
                } => match test.next_question().map_err(eng)? {
                    Next::Question(q) => {
                        if q.item_id != item_id || q.draw != *draw || q.index != *index {
                            return Err(ReplayError::QuestionMismatch {
                                step,
                                recorded: item_id.clone(),
                                recorded_draw: *draw,
                                recorded_index: *index,
                                derived: q.item_id.into(),
                                derived_draw: q.draw,
                                derived_index: q.index,
                            });
                        }
                    }
                    Next::End(end) => return Err(ReplayError::AfterEnd { step, end }),
                },
                Step::Answer {
                    item_id,
                    response,
                    context,
                } => {
                    test.answer(item_id, response, *context).map_err(eng)?;
                }
                Step::AlertRaised => test.raise_alert().map_err(eng)?,
                // The replacement question is checked by the `Question` step that follows.
                Step::AlertValidated => {
                    test.validate_alert().map_err(eng)?;
                }
                Step::AlertDismissed => test.dismiss_alert().map_err(eng)?,
                Step::Ended { cause } => {
                    test.end(*cause).map_err(eng)?;
                }
            }
        }
        Ok(())
    }
}
