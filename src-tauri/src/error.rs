//! The one error shape the webviews receive: a stable code and a message in French, then English.

use certroom_room::UserMessage;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct AppError {
    pub code: String,
    pub message_fr: String,
    pub message_en: String,
    /// A refused import's every problem, line by line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Vec<certroom_room::import::ImportError>>,
    /// A SIECLE file's classes, for the user to pick the ones that sit the session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<String>>,
}

impl AppError {
    pub fn new(code: &str, fr: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message_fr: fr.into(),
            message_en: en.into(),
            report: None,
            classes: None,
        }
    }

    /// An unexpected failure (disk, database): the details go to the log, the user gets a sentence.
    pub fn internal(context: &str, e: impl std::fmt::Display) -> Self {
        eprintln!("certroom: {context}: {e}");
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
            report: None,
            classes: None,
        }
    }
}
