//! `certroom-core`: the pure heart of certroom.
//!
//! CRCN framework data, item bank model and validation, answer checking, the adaptive engine,
//! scoring, access/verification codes and the simulation that justifies the engine's defaults;
//! and the exact byte forms everything else signs and hashes ([`hash`], [`canonical`]).
//!
//! Nothing in this crate performs I/O, reads a clock (except [`simulation`], which times its own
//! steps), spawns threads or is async: every input is a string, bytes or a struct, and time is passed
//! in. This is what lets the central service *replay* a candidate's journal and obtain the same
//! questions, estimate and score bit for bit on any machine.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod answer;
pub mod bank;
pub mod canonical;
pub mod codes;
pub mod engine;
pub mod framework;
pub mod hash;
pub mod identity;
pub mod message;
pub mod options;
pub mod password;
pub mod scoring;
pub mod service_url;
pub mod signature;
pub mod simulation;
pub mod text;

mod rng;

/// The RNG traits [`codes`] generators take (`rand_core` 0.10), re-exported so callers use the
/// same version; seed e.g. `rand_chacha::ChaCha20Rng` from the OS or `ring::rand`.
pub use rand_chacha::rand_core;

pub use answer::Response;
pub use bank::{Bank, BankError, BankSources, Item};
pub use engine::{Config, Test, ENGINE_VERSION};
pub use hash::Hash;
pub use scoring::SCORING_VERSION;
