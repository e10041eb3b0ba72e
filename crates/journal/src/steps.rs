//! From a journal to the engine's steps: what the central service replays and what a kiosk
//! rebuilds its engine from after a restart. The journal is the single source of truth; the
//! engine's state is a function of it.

use crate::event::{EndedBy, Event};
use crate::record::Record;
use certroom_core::engine::{AbortCause, AnswerContext, Step};
use certroom_core::Response;
use serde::Deserialize;

/// `Ended` reasons a kiosk writes when the engine itself ended the test: they are consequences of
/// earlier steps, not steps of their own.
pub const REASON_COMPLETED: &str = "completed";
pub const REASON_BANK_EXHAUSTED: &str = "bank_exhausted";
/// An `Ended` reason starting with this is a technical interruption; any other is the candidate's.
pub const REASON_TECHNICAL_PREFIX: &str = "technical";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepsError {
    #[error("enregistrement n°{seq} : tirage illisible (entier attendu) / unreadable draw")]
    Draw { seq: u64 },
    #[error("enregistrement n°{seq} : réponse illisible ({reason}) / unreadable response")]
    Response { seq: u64, reason: String },
}

/// The engine steps recorded in `records`, in order. Events the engine does not see (focus,
/// pauses, authorizations) are left out.
pub fn engine_steps(records: &[Record]) -> Result<Vec<Step>, StepsError> {
    let mut steps = Vec::with_capacity(records.len());
    for r in records {
        let step = match &r.event {
            Event::QuestionShown {
                index,
                item_id,
                draw,
            } => Step::Question {
                index: *index,
                item_id: item_id.clone(),
                draw: draw.as_u64().ok_or(StepsError::Draw { seq: r.seq })?,
            },
            Event::Answer {
                item_id,
                response,
                focus_lost,
                timed_out,
                ..
            } => Step::Answer {
                item_id: item_id.clone(),
                response: Response::deserialize(response).map_err(|e| StepsError::Response {
                    seq: r.seq,
                    reason: e.to_string(),
                })?,
                context: AnswerContext {
                    timed_out: *timed_out,
                    focus_lost: *focus_lost,
                    e10_validated: false,
                },
            },
            Event::Skip { item_id } => Step::Answer {
                item_id: item_id.clone(),
                response: Response::Skip,
                context: AnswerContext::default(),
            },
            Event::AlertRaised { .. } => Step::AlertRaised,
            Event::AlertResolved {
                validated: true, ..
            } => Step::AlertValidated,
            Event::AlertResolved {
                validated: false, ..
            } => Step::AlertDismissed,
            Event::Ended { reason, .. }
                if matches!(
                    reason.as_deref(),
                    Some(REASON_COMPLETED | REASON_BANK_EXHAUSTED)
                ) =>
            {
                continue
            }
            Event::Ended { by, reason } => Step::Ended {
                cause: abort_cause(*by, reason.as_deref()),
            },
            _ => continue,
        };
        steps.push(step);
    }
    Ok(steps)
}

fn abort_cause(by: EndedBy, reason: Option<&str>) -> AbortCause {
    match (by, reason) {
        (EndedBy::Invigilator | EndedBy::Finalization, Some(r))
            if r.starts_with(REASON_TECHNICAL_PREFIX) =>
        {
            AbortCause::Technical
        }
        _ => AbortCause::Candidate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::FocusCause;
    use certroom_core::hash::Hash;
    use serde_json::json;

    fn rec(seq: u64, event: Event) -> Record {
        Record {
            test_id: "T".into(),
            seq,
            ts: String::new(),
            mono_ms: 0,
            event,
            prev_hash: Hash([0; 32]),
            hash: Hash([0; 32]),
        }
    }

    #[test]
    fn maps_engine_events_and_leaves_the_rest_out() {
        let records = vec![
            rec(1, Event::Joined),
            rec(
                2,
                Event::QuestionShown {
                    index: 0,
                    item_id: "a".into(),
                    draw: json!(u64::MAX),
                },
            ),
            rec(
                3,
                Event::FocusLost {
                    cause: FocusCause::Window,
                },
            ),
            rec(
                4,
                Event::Answer {
                    item_id: "a".into(),
                    response: json!({"choice": 2}),
                    time_spent_ms: 5,
                    focus_lost: true,
                    timed_out: false,
                },
            ),
            rec(
                5,
                Event::QuestionShown {
                    index: 1,
                    item_id: "b".into(),
                    draw: json!(7),
                },
            ),
            rec(
                6,
                Event::AlertRaised {
                    item_id: "b".into(),
                },
            ),
            rec(
                7,
                Event::AlertResolved {
                    item_id: "b".into(),
                    validated: true,
                    incident: Some("E1".into()),
                },
            ),
            rec(
                8,
                Event::Skip {
                    item_id: "c".into(),
                },
            ),
            rec(
                9,
                Event::Ended {
                    by: EndedBy::Invigilator,
                    reason: Some("technical: PC en panne".into()),
                },
            ),
        ];
        let steps = engine_steps(&records).unwrap();
        assert_eq!(steps.len(), 7);
        assert_eq!(
            steps[0],
            Step::Question {
                index: 0,
                item_id: "a".into(),
                draw: u64::MAX
            }
        );
        assert!(
            matches!(&steps[1], Step::Answer { response: Response::Choice(2), context, .. } if context.focus_lost)
        );
        assert_eq!(steps[3], Step::AlertRaised);
        assert_eq!(steps[4], Step::AlertValidated);
        assert!(matches!(
            &steps[5],
            Step::Answer {
                response: Response::Skip,
                ..
            }
        ));
        assert_eq!(
            steps[6],
            Step::Ended {
                cause: AbortCause::Technical
            }
        );
    }

    #[test]
    fn an_engine_made_end_is_not_a_step_and_a_bad_draw_is_named() {
        let done = [rec(
            1,
            Event::Ended {
                by: EndedBy::Candidate,
                reason: Some(REASON_COMPLETED.into()),
            },
        )];
        assert!(engine_steps(&done).unwrap().is_empty());
        let bad = [rec(
            4,
            Event::QuestionShown {
                index: 0,
                item_id: "a".into(),
                draw: json!("x"),
            },
        )];
        assert_eq!(engine_steps(&bad), Err(StepsError::Draw { seq: 4 }));
        let bad = [rec(
            5,
            Event::Answer {
                item_id: "a".into(),
                response: json!({"nope": 1}),
                time_spent_ms: 0,
                focus_lost: false,
                timed_out: false,
            },
        )];
        assert!(matches!(
            engine_steps(&bad),
            Err(StepsError::Response { seq: 5, .. })
        ));
    }
}
