//! The one error shape the webviews receive: a stable code and a message in French, then English,
//! and whatever details the error gives a screen (an import's refused lines, a SIECLE file's
//! classes) beside them.

use certroom_centre::import::ImportError;
use certroom_core::message::UserMessage;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(as = "AppErrorJson")]
pub struct AppError {
    pub code: String,
    pub message_fr: String,
    pub message_en: String,
    #[serde(flatten)]
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// An [`AppError`]'s JSON for TypeScript: `details` is an open map in Rust, but its keys are the
/// ones `certroom_console::ConsoleError` gives (the only error with details), each present only
/// when that error has it.
#[derive(ts_rs::TS)]
#[expect(dead_code, reason = "only its TypeScript declaration is used")]
struct AppErrorJson {
    code: String,
    message_fr: String,
    message_en: String,
    /// A refused import's every problem, line by line.
    #[ts(optional)]
    report: Option<Vec<ImportError>>,
    /// A SIECLE file's classes, for the user to pick the ones that sit the session.
    #[ts(optional)]
    classes: Option<Vec<String>>,
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
        let (where_fr, where_en) = match crate::logs::dir() {
            Some(dir) => (
                format!(
                    " : le détail est dans le journal technique, {}",
                    dir.display()
                ),
                format!(": the details are in the technical log, {}", dir.display()),
            ),
            None => (String::new(), String::new()),
        };
        Self::new(
            "internal",
            format!("Erreur interne ({context}). Prévenez le référent numérique{where_fr}."),
            format!("Internal error ({context}). Tell the digital lead{where_en}."),
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

#[cfg(test)]
mod tests {
    use super::AppError;

    /// The page's `AppError` (`AppErrorJson`) declares these keys: a detail the console adds
    /// has to be declared there too, or the page would not know it.
    #[test]
    fn the_details_are_the_keys_the_page_knows() {
        let mut e = certroom_console::ConsoleError::new("import.refused", "fr", "en");
        e.report = Some(Vec::new());
        e.classes = Some(vec!["3A".into()]);
        let json = serde_json::to_value(AppError::from(e)).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["classes", "code", "message_en", "message_fr", "report"]
        );
    }
}
