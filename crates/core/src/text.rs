//! Localised text: French is the language of the certification, English is optional.

use serde::{Deserialize, Serialize};

/// A user-visible text. `fr` is required; the kiosk falls back to it when `en` is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// French text (authoritative).
    pub fr: String,
    /// English text, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Text {
    /// The text in `lang` (`"en"`), falling back to French.
    pub fn get(&self, lang: &str) -> &str {
        match (lang, &self.en) {
            ("en", Some(en)) => en,
            _ => &self.fr,
        }
    }
}
