//! Where a test stands, derived purely from its verified records.
//!
//! Time is charged on live time only. The live clock runs from the first non-resume
//! authorisation and from every `Resumed`, and stops at `Paused` and `Ended`. A crash or power cut
//! is journaled on restart as `Paused` (see `Journal::open_test`), so the gap is not charged; the
//! few milliseconds between the last record and the crash are not charged either, in the
//! candidate's favour.

use serde::Serialize;
use serde_json::Value;

use crate::event::{EndedBy, Event};
use crate::record::Record;

/// One completed question, in order: what the central replay feeds the engine.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome")]
pub enum Step {
    Answered {
        item_id: String,
        response: Value,
        time_spent_ms: u64,
        focus_lost: bool,
        timed_out: bool,
    },
    Skipped {
        item_id: String,
    },
}

impl Step {
    pub fn item_id(&self) -> &str {
        match self {
            Step::Answered { item_id, .. } | Step::Skipped { item_id } => item_id,
        }
    }
}

/// A question on screen that has not been answered or skipped yet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShownQuestion {
    pub index: u32,
    pub item_id: String,
    pub draw: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// Answers only, in order, as `(item_id, response)`.
    pub answered: Vec<(String, Value)>,
    /// Answers and skips in order.
    pub steps: Vec<Step>,
    pub current_question: Option<ShownQuestion>,
    /// Live milliseconds at the last record.
    pub live_ms: u64,
    /// Whether the live clock was running after the last record.
    pub clock_running: bool,
    pub extra_time_minutes: u32,
    pub ended: Option<EndedBy>,
    /// True until the invigilator authorises the start, and again after every pause: an
    /// authorisation is single-use.
    pub needs_authorization: bool,
    /// Item of an alert raised and not yet resolved: the candidate cannot move on.
    pub open_alert: Option<String>,
    pub last_seq: u64,
}

/// How an event changes the live clock: `Some(true)` starts it, `Some(false)` stops it.
pub fn clock_effect(event: &Event) -> Option<bool> {
    match event {
        Event::Authorized { resume: false, .. } | Event::Resumed => Some(true),
        Event::Paused { .. } | Event::Ended { .. } => Some(false),
        _ => None,
    }
}

pub fn progress(records: &[Record]) -> Progress {
    let mut p = Progress {
        answered: Vec::new(),
        steps: Vec::new(),
        current_question: None,
        live_ms: 0,
        clock_running: false,
        extra_time_minutes: 0,
        ended: None,
        needs_authorization: true,
        open_alert: None,
        last_seq: 0,
    };
    for r in records {
        p.live_ms = r.mono_ms;
        p.last_seq = r.seq;
        if let Some(running) = clock_effect(&r.event) {
            p.clock_running = running;
        }
        let closes_current = |item: &str, cur: &Option<ShownQuestion>| {
            cur.as_ref().is_some_and(|q| q.item_id == item)
        };
        match &r.event {
            Event::Authorized { .. } => p.needs_authorization = false,
            Event::Paused { .. } => p.needs_authorization = true,
            Event::QuestionShown {
                index,
                item_id,
                draw,
            } => {
                p.current_question = Some(ShownQuestion {
                    index: *index,
                    item_id: item_id.clone(),
                    draw: draw.clone(),
                });
            }
            Event::Answer {
                item_id,
                response,
                time_spent_ms,
                focus_lost,
                timed_out,
            } => {
                if closes_current(item_id, &p.current_question) {
                    p.current_question = None;
                }
                p.answered.push((item_id.clone(), response.clone()));
                p.steps.push(Step::Answered {
                    item_id: item_id.clone(),
                    response: response.clone(),
                    time_spent_ms: *time_spent_ms,
                    focus_lost: *focus_lost,
                    timed_out: *timed_out,
                });
            }
            Event::Skip { item_id } => {
                if closes_current(item_id, &p.current_question) {
                    p.current_question = None;
                }
                p.steps.push(Step::Skipped {
                    item_id: item_id.clone(),
                });
            }
            Event::AlertRaised { item_id } => p.open_alert = Some(item_id.clone()),
            Event::AlertResolved {
                item_id, validated, ..
            } => {
                p.open_alert = None;
                // A validated alert means the candidate gets a replacement question: the shown
                // one is withdrawn and the engine draws again.
                if *validated && closes_current(item_id, &p.current_question) {
                    p.current_question = None;
                }
            }
            Event::ExtraTimeGranted { minutes } => {
                p.extra_time_minutes = p.extra_time_minutes.saturating_add(*minutes);
            }
            Event::Ended { by, .. } => {
                p.ended = Some(*by);
                p.current_question = None;
            }
            Event::Joined
            | Event::InstructionsAcknowledged
            | Event::FocusLost { .. }
            | Event::FocusRegained
            | Event::CloseRefused
            | Event::Resumed => {}
        }
    }
    if p.ended.is_some() {
        p.needs_authorization = false;
    }
    p
}

/// How far a test went: the questions it answered or skipped, and how it ended if it did.
/// [`progress`] says the same (`steps.len()`, `ended`) with every answer copied; the central
/// service asks only this of each candidate it receives.
pub fn completion(records: &[Record]) -> (usize, Option<EndedBy>) {
    records
        .iter()
        .fold((0, None), |(steps, ended), r| match &r.event {
            Event::Answer { .. } | Event::Skip { .. } => (steps + 1, ended),
            Event::Ended { by, .. } => (steps, Some(*by)),
            _ => (steps, ended),
        })
}

/// Whether reopening after a restart must journal a `Paused` first: the test had started, is not
/// over and was not already paused.
pub fn needs_pause_on_reopen(records: &[Record]) -> bool {
    let started = records
        .iter()
        .any(|r| matches!(r.event, Event::Authorized { resume: false, .. }));
    let last = records.last().map(|r| &r.event);
    started && !matches!(last, Some(Event::Paused { .. }) | Some(Event::Ended { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use certroom_core::hash::Hash;
    use serde_json::json;

    fn recs(events: Vec<(u64, Event)>) -> Vec<Record> {
        events
            .into_iter()
            .enumerate()
            .map(|(i, (mono_ms, event))| Record {
                test_id: "T".into(),
                seq: i as u64 + 1,
                ts: String::new(),
                mono_ms,
                event,
                prev_hash: Hash([0; 32]),
                hash: Hash([0; 32]),
            })
            .collect()
    }

    fn shown(index: u32, id: &str) -> Event {
        Event::QuestionShown {
            index,
            item_id: id.into(),
            draw: json!(index),
        }
    }

    fn answer(id: &str) -> Event {
        Event::Answer {
            item_id: id.into(),
            response: json!({"v": id}),
            time_spent_ms: 10,
            focus_lost: false,
            timed_out: false,
        }
    }

    #[test]
    fn resumes_on_shown_unanswered_question_after_reauthorization() {
        let r = recs(vec![
            (0, Event::Joined),
            (
                0,
                Event::Authorized {
                    by: "inv".into(),
                    resume: false,
                },
            ),
            (5, shown(0, "a")),
            (900, answer("a")),
            (950, shown(1, "b")),
            (
                1000,
                Event::Skip {
                    item_id: "b".into(),
                },
            ),
            (1100, shown(2, "c")),
            (
                1200,
                Event::Paused {
                    reason: "restart".into(),
                },
            ),
        ]);
        let p = progress(&r);
        assert_eq!(completion(&r), (2, None));
        assert_eq!(p.answered, vec![("a".to_string(), json!({"v": "a"}))]);
        assert_eq!(p.steps.len(), 2);
        assert_eq!(
            p.steps[1],
            Step::Skipped {
                item_id: "b".into()
            }
        );
        assert_eq!(p.current_question.as_ref().map(|q| q.index), Some(2));
        assert_eq!(p.live_ms, 1200);
        assert!(!p.clock_running);
        assert!(p.needs_authorization);
        assert!(!needs_pause_on_reopen(&r));
        assert!(needs_pause_on_reopen(&r[..7]));
        assert!(
            !needs_pause_on_reopen(&r[..1]),
            "not started yet: nothing to pause"
        );
    }

    #[test]
    fn alerts_extra_time_and_end() {
        let r = recs(vec![
            (
                0,
                Event::Authorized {
                    by: "inv".into(),
                    resume: false,
                },
            ),
            (1, shown(0, "a")),
            (
                2,
                Event::AlertRaised {
                    item_id: "a".into(),
                },
            ),
            (3, Event::ExtraTimeGranted { minutes: 10 }),
            (3, Event::ExtraTimeGranted { minutes: 5 }),
        ]);
        let p = progress(&r);
        assert_eq!(p.open_alert.as_deref(), Some("a"));
        assert_eq!(p.extra_time_minutes, 15);
        assert!(p.clock_running && !p.needs_authorization);
        let mut events: Vec<(u64, Event)> = r.into_iter().map(|r| (r.mono_ms, r.event)).collect();
        events.push((
            4,
            Event::AlertResolved {
                item_id: "a".into(),
                validated: true,
                incident: Some("E1".into()),
            },
        ));
        let p = progress(&recs(events.clone()));
        assert_eq!(p.open_alert, None);
        assert_eq!(
            p.current_question, None,
            "validated alert withdraws the question"
        );
        events.push((
            5,
            Event::Ended {
                by: EndedBy::Invigilator,
                reason: None,
            },
        ));
        let r = recs(events);
        let p = progress(&r);
        assert_eq!(completion(&r), (p.steps.len(), p.ended));
        assert_eq!(p.ended, Some(EndedBy::Invigilator));
        assert!(!p.clock_running && !p.needs_authorization);
    }
}
