//! A refusal as it crosses the wire: a stable code and the two messages.

use serde::{Deserialize, Serialize};

use certroom_core::message::UserMessage;

/// A refusal, with a stable code and the two messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct WireError {
    pub code: String,
    pub message_fr: String,
    pub message_en: String,
    /// For `hub.replay`: the last counter the hub accepted from this station.
    #[serde(default)]
    pub last_n: Option<u64>,
}

impl<E: UserMessage> From<&E> for WireError {
    fn from(e: &E) -> Self {
        WireError {
            code: e.code().to_owned(),
            message_fr: e.message_fr(),
            message_en: e.message_en(),
            last_n: None,
        }
    }
}

/// A refusal that crossed the wire reads like the error it was.
impl UserMessage for WireError {
    fn code(&self) -> &str {
        &self.code
    }
    fn message_fr(&self) -> String {
        self.message_fr.clone()
    }
    fn message_en(&self) -> String {
        self.message_en.clone()
    }
}
