//! `certroom-hub`: the room hub the console runs on the lab network.
//!
//! Kiosks and remote consoles reach it over TLS ([`tls`]: the hub's own certificate, which the
//! kiosks pin) and speak certroom-protocol. The room's state ([`room`]) is a pure function of the
//! inputs the hub accepted, which [`store`] commits before answering and replays after a
//! restart; [`lab`] is what lasts across sessions (the hub identity, the paired PCs); [`server`] serves the connections, [`connections`] caps them
//! and [`guard`] slows password guessing. Protocol: docs/hub-protocol.md.

pub mod connections;
pub mod guard;
pub mod lab;
pub mod room;
pub mod server;
pub mod store;
pub mod tls;

pub use lab::{Lab, PairedStation};
pub use room::{EnrolledCandidate, RoomSetup};

/// The hub's clock for what it records: RFC 3339 with milliseconds, UTC.
pub(crate) fn now() -> String {
    stamp(chrono::Utc::now())
}

/// A time as the hub writes it: RFC 3339 with milliseconds, UTC.
pub(crate) fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
pub use server::{Authority, Hub, HubError, RunningHub};
