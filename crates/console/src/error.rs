//! How the console refuses: a stable code and a message in French, then English, like every
//! error users see; an import's refusal carries its every line.

use certroom_centre::enrolment::EnrolmentError;
use certroom_centre::import::ImportError;
use certroom_centre::store::StoreError;
use certroom_core::message::UserMessage;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleError {
    pub code: String,
    pub message_fr: String,
    pub message_en: String,
    /// A refused import's every problem, line by line.
    pub report: Option<Vec<ImportError>>,
    /// A SIECLE file's classes, for the user to pick the ones that sit the session.
    pub classes: Option<Vec<String>>,
}

impl std::fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message_fr)
    }
}

impl std::error::Error for ConsoleError {}

impl ConsoleError {
    pub fn new(code: &str, fr: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message_fr: fr.into(),
            message_en: en.into(),
            report: None,
            classes: None,
        }
    }

    /// An unexpected failure (disk, database): the details go to the log, the user gets a
    /// sentence that says who can help.
    pub fn internal(context: &str, e: impl std::fmt::Display) -> Self {
        tracing::error!(context, error = %e, "console: internal error");
        Self::new(
            "internal",
            format!("Erreur interne ({context}). Prévenez le référent numérique."),
            format!("Internal error ({context}). Tell the digital lead."),
        )
    }

    pub fn signed_out() -> Self {
        Self::new(
            "console.sign_in",
            "Connectez-vous d'abord avec le mot de passe administrateur.",
            "Sign in with the administrator password first.",
        )
    }

    pub fn from_message(e: &impl UserMessage) -> Self {
        Self::new(e.code(), e.message_fr(), e.message_en())
    }
}

/// The console's refusals read like every other error a user can act on.
impl UserMessage for ConsoleError {
    fn code(&self) -> &str {
        &self.code
    }
    fn message_fr(&self) -> String {
        self.message_fr.clone()
    }
    fn message_en(&self) -> String {
        self.message_en.clone()
    }
    fn details(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut details = serde_json::Map::new();
        if let Some(report) = &self.report {
            details.insert("report".into(), serde_json::json!(report));
        }
        if let Some(classes) = &self.classes {
            details.insert("classes".into(), serde_json::json!(classes));
        }
        details
    }
}

pub(crate) fn store_error(e: StoreError) -> ConsoleError {
    match e {
        StoreError::Session(s) => ConsoleError::from_message(&s),
        StoreError::UnknownCandidate(id) => ConsoleError::new(
            "candidate.unknown",
            format!("Candidat {id} introuvable."),
            format!("No candidate {id}."),
        ),
        other => ConsoleError::internal("console db", other),
    }
}

pub(crate) fn enrolment_error(e: EnrolmentError) -> ConsoleError {
    match e {
        EnrolmentError::Store(s) => store_error(s),
        EnrolmentError::Refused(report) => {
            let mut err = ConsoleError::from_message(&EnrolmentError::Refused(report.clone()));
            err.report = Some(report.errors);
            err
        }
        EnrolmentError::ChooseClasses(classes) => {
            let mut err =
                ConsoleError::from_message(&EnrolmentError::ChooseClasses(classes.clone()));
            err.classes = Some(classes);
            err
        }
        other => ConsoleError::from_message(&other),
    }
}
