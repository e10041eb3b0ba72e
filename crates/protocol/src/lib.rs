//! `certroom-protocol`: what the room's programs say to each other, version 1
//! (docs/hub-protocol.md), and the kiosk's and remote console's side of the connection.
//!
//! Kiosks reach the hub over TLS pinned on the hub's certificate ([`pin`]); every kiosk message
//! travels in a [`frame`] signed by the PC's enrolled station key and numbered, so a replay is
//! refused; [`kiosk`] and [`console`] are the messages themselves; [`client`] connects.
//! [`service`] is what the certification service answers the console (its signed receipt and
//! the bundle's status).
//! The hub's server and its room state live in certroom-hub, which a kiosk never links.

#[cfg(feature = "client")]
pub mod client;
pub mod console;
pub mod error;
pub mod frame;
pub mod kiosk;
pub mod pairing;
pub mod pin;
pub mod service;
pub mod stations;

#[cfg(feature = "client")]
pub use client::{fetch_fingerprint, hub_about, ConsoleLink, HubAbout, KioskLink, LinkError};
pub use console::{
    AbortReason, BankState, ConsoleCommand, ConsoleEvent, ConsoleRequest, Incident, PairingRequest,
    RoomView, StationBank, StationReadiness, Tile, TileStatus, INCIDENT_CODES,
};
pub use error::WireError;
pub use frame::{FrameError, PROTOCOL_VERSION};
pub use kiosk::{
    BankOffer, CandidateCard, ChainCopy, HubMessage, KioskCommand, KioskMessage, ReadinessItem,
    Reply, StationState, WireHead,
};
pub use pairing::pairing_code;
pub use pin::Fingerprint;
pub use service::{BundleStatus, Receipt};
pub use stations::{DeclaredStation, SignedStations, StationList};
