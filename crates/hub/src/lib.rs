//! `certroom-hub`: the room hub the console runs on the lab network.
//!
//! Kiosks join it by address and session number over TLS pinned on the hub's certificate
//! ([`tls`]); every kiosk message is signed by the PC's enrolled station key and numbered so a
//! replay is refused ([`protocol`]). The room's state ([`room`]) is a pure function of the inputs
//! the hub accepted, which [`store`] commits before answering and replays after a restart.
//! [`server`] serves kiosks and remote consoles; [`client`] is their side of the connection.
//! Protocol: docs/hub-protocol.md.

pub mod client;
pub mod protocol;
pub mod room;
pub mod server;
pub mod store;
pub mod tls;

pub use client::{ConsoleLink, KioskLink, LinkError};
pub use protocol::{ConsoleEvent, HubMessage, KioskCommand, KioskMessage, Reply, WireError};
pub use room::{ConsoleCommand, EnrolledCandidate, RoomSetup, RoomView, Tile, TileStatus};
pub use server::{Authority, Hub, HubError, RunningHub};
pub use tls::Fingerprint;
