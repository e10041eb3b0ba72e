//! How an error reaches a person: a stable code for programs, and a sentence in French first,
//! then English. Every error a user can act on implements this.

/// An error a user can act on.
pub trait UserMessage {
    /// Stable, dotted code (`centre.uai_key`, `kiosk.code_refused`…): tests and the UI key on it.
    fn code(&self) -> &str;
    /// The message in French (the default language).
    fn message_fr(&self) -> String;
    /// The message in English.
    fn message_en(&self) -> String;
    /// What a screen can use beyond the sentence (an import's every refused line, a SIECLE
    /// file's classes to choose from): keys that travel beside the code and the messages.
    fn details(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::Map::new()
    }
}
