//! `certroom-hub`: the room hub the console runs on the lab network.
//!
//! Kiosks and remote consoles reach it over TLS ([`tls`]: the hub's own certificate, which the
//! kiosks pin) and speak certroom-protocol. The room's state ([`room`]) is a pure function of the
//! inputs the hub accepted, which [`store`] commits before answering and replays after a
//! restart; [`server`] serves the connections. Protocol: docs/hub-protocol.md.

pub mod room;
pub mod server;
pub mod store;
pub mod tls;

pub use room::{EnrolledCandidate, RoomSetup};
pub use server::{Authority, Hub, HubError, RunningHub};
