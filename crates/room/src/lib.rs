//! The exam room as the console sees it: the certification centre, its secrets, and the console's
//! own SQLite database. Sessions, candidates and the live hub grow here.

pub mod candidate;
pub mod centre;
pub mod communes;
pub mod enrolment;
pub mod import;
pub mod password;
pub mod session;
pub mod store;
pub use certroom_core::message::UserMessage;
