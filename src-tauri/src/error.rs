//! The one error shape the webviews receive: a stable code and a message in French, then English,
//! and whatever details the error gives a screen (an import's refused lines, a SIECLE file's
//! classes) beside them.

use certroom_core::message::UserMessage;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct AppError {
    pub code: String,
    pub message_fr: String,
    pub message_en: String,
    #[serde(flatten)]
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl AppError {
    pub fn new(code: &str, fr: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message_fr: fr.into(),
            message_en: en.into(),
            details: serde_json::Map::new(),
        }
    }

    /// An unexpected failure (disk, database): the details go to the log, the user gets a sentence.
    pub fn internal(context: &str, e: impl std::fmt::Display) -> Self {
        tracing::error!(context, error = %e, "internal error");
        Self::new(
            "internal",
            format!("Erreur interne ({context}). Prévenez le référent numérique."),
            format!("Internal error ({context}). Tell the digital lead."),
        )
    }
}

impl<E: UserMessage> From<E> for AppError {
    fn from(e: E) -> Self {
        Self {
            code: e.code().into(),
            message_fr: e.message_fr(),
            message_en: e.message_en(),
            details: e.details(),
        }
    }
}
