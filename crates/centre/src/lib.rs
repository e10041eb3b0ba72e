//! `certroom-centre`: the certification centre as the console keeps it: its identity (UAI) and
//! secrets, its sessions, their candidates and the files they are imported from and exported to,
//! in the console's own SQLite database. The live room is the hub's (certroom-hub).

pub mod candidate;
pub mod centre;
pub mod communes;
pub mod countries;
pub mod enrolment;
pub mod import;

pub mod session;
pub mod store;
pub use certroom_core::message::UserMessage;
