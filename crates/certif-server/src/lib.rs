//! `certif-server`: the central certification service.
//!
//! A room's signed result bundle arrives (`POST /v1/bundles`, or `certif-server import` from a
//! USB key); the service verifies every signature and chain (certroom-bundle), checks that the
//! console key is registered for the centre and not revoked and that the question bank is known,
//! replays every journal through the same engine (certroom-core) and recomputes every score.
//! Sessions with incidents, a comment, a result that differs from the room's account, an
//! identity fix, a test signed by a PC declared late or never, or a correction wait for the jury; the others publish at once. The [`jury`] decides candidate by candidate and may
//! neutralize questions; each act is logged with its member. Each validated certification gets a verification code
//! and a signed QR text (certroom-certificate), and anyone can check a code on `/verify/{code}`.
//!
//! Layers: [`service`] holds the rules and is what both [`http`] and the CLI call; [`store`] is
//! the storage trait with its SQLite and PostgreSQL backends; [`replay`] and [`banks`] are the
//! engine side; [`signer`] signs with the service's newest key, [`keyring`] keeps its keys; [`stations`] holds a test to the PCs its centre
//! declared before exam day. API and formats: docs/certif-server.md.

#![forbid(unsafe_code)]

pub mod app;
pub mod attack;
pub mod banks;
pub mod bench;
pub mod config;
pub mod dto;
pub mod error;
pub mod evidence;
pub mod http;
pub mod jury;
pub mod keyring;
pub mod model;
pub mod replay;
pub mod results_file;
pub mod season;
pub mod service;
pub mod signer;
pub mod stages;
pub mod stations;
pub mod store;

pub use app::App;
pub use config::{Database, ServerConfig};
pub use error::{ApiError, Rejection, StoreError};
pub use service::Service;

/// Now, RFC 3339 UTC with milliseconds: sorts as text, which the stores rely on.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The cores this process may run on (1 when the system will not say): what the stores' pools,
/// the season's seeding and the bench's CPU limit are sized by.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Today's date (UTC), `YYYY-MM-DD`: the date of issue of what publishes now.
pub fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}
