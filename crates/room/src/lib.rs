//! The exam room as the console sees it: the certification centre, its secrets, and the console's
//! own SQLite database. Sessions, candidates and the live hub grow here.

pub mod centre;
pub mod password;
pub mod store;

/// An error a user can act on: a stable code plus the message in French first, then English.
pub trait UserMessage {
    fn code(&self) -> &'static str;
    fn message_fr(&self) -> String;
    fn message_en(&self) -> String;
}
