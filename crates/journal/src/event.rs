//! What can happen during a candidate's test. Events are only ever appended.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who or what ended a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndedBy {
    Candidate,
    Invigilator,
    Time,
    /// The session was finalised while this test was still open.
    Finalization,
}

/// Why the kiosk window lost the focus. For a candidate who needs adjustments, a loss caused by
/// assistive technology (a screen reader moving the focus) does not void the answer (facts §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FocusCause {
    /// Another window or program took the focus.
    Window,
    /// Assistive technology (a screen reader) moved the focus.
    AssistiveTechnology,
    /// A version 1 journal, which did not record the cause.
    Unrecorded,
}

impl FocusCause {
    /// Whether a loss of this cause makes a right answer to the question on screen count as
    /// wrong (facts §4): always, except assistive technology for a candidate who needs
    /// adjustments. An E10 validated by the invigilator lifts it afterwards (the jury's rescoring).
    pub fn voids_answer(self, needs_adjustment: bool) -> bool {
        !(self == FocusCause::AssistiveTechnology && needs_adjustment)
    }
}

/// One journaled event. Serialised as `{"kind": "...", "payload": {...}}`; events without data
/// have no `payload`. Item ids are strings and responses are the raw JSON the UI submitted, so
/// that the journal does not depend on the engine's types and keeps exactly what was sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload")]
pub enum Event {
    Joined,
    InstructionsAcknowledged,
    Authorized {
        by: String,
        resume: bool,
    },
    QuestionShown {
        index: u32,
        item_id: String,
        /// The engine's draw (e.g. the random number used for exposure control), kept so that
        /// the central replay can reproduce the exact choice.
        draw: Value,
    },
    Answer {
        item_id: String,
        response: Value,
        time_spent_ms: u64,
        focus_lost: bool,
        timed_out: bool,
    },
    Skip {
        item_id: String,
    },
    FocusLost {
        cause: FocusCause,
    },
    FocusRegained,
    CloseRefused,
    AlertRaised {
        item_id: String,
    },
    AlertResolved {
        item_id: String,
        validated: bool,
        incident: Option<String>,
    },
    ExtraTimeGranted {
        minutes: u32,
    },
    Paused {
        reason: String,
    },
    Resumed,
    Ended {
        by: EndedBy,
        reason: Option<String>,
    },
}

impl Event {
    /// The `kind` tag, also stored in its own column so that records can be queried by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Joined => "Joined",
            Event::InstructionsAcknowledged => "InstructionsAcknowledged",
            Event::Authorized { .. } => "Authorized",
            Event::QuestionShown { .. } => "QuestionShown",
            Event::Answer { .. } => "Answer",
            Event::Skip { .. } => "Skip",
            Event::FocusLost { .. } => "FocusLost",
            Event::FocusRegained => "FocusRegained",
            Event::CloseRefused => "CloseRefused",
            Event::AlertRaised { .. } => "AlertRaised",
            Event::AlertResolved { .. } => "AlertResolved",
            Event::ExtraTimeGranted { .. } => "ExtraTimeGranted",
            Event::Paused { .. } => "Paused",
            Event::Resumed => "Resumed",
            Event::Ended { .. } => "Ended",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kind_matches_serde_tag() {
        let all = vec![
            Event::Joined,
            Event::InstructionsAcknowledged,
            Event::Authorized {
                by: "inv".into(),
                resume: false,
            },
            Event::QuestionShown {
                index: 0,
                item_id: "i".into(),
                draw: json!(0.5),
            },
            Event::Answer {
                item_id: "i".into(),
                response: json!({"a": 1}),
                time_spent_ms: 3,
                focus_lost: false,
                timed_out: false,
            },
            Event::Skip {
                item_id: "i".into(),
            },
            Event::FocusLost {
                cause: FocusCause::Window,
            },
            Event::FocusRegained,
            Event::CloseRefused,
            Event::AlertRaised {
                item_id: "i".into(),
            },
            Event::AlertResolved {
                item_id: "i".into(),
                validated: true,
                incident: Some("E1".into()),
            },
            Event::ExtraTimeGranted { minutes: 10 },
            Event::Paused { reason: "r".into() },
            Event::Resumed,
            Event::Ended {
                by: EndedBy::Time,
                reason: None,
            },
        ];
        for e in all {
            let v = serde_json::to_value(&e).unwrap();
            assert_eq!(v["kind"], e.kind());
            let back: Event = serde_json::from_value(v).unwrap();
            assert_eq!(back, e);
        }
    }
}
