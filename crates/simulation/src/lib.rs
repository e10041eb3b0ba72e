//! `certroom-simulation`: rooms simulated on the real components, for `certroom sim …`, the
//! benchmarks and the tests. [`room`]: kiosks with real journals and station keys, and an
//! invigilator's console, against a real hub over loopback TLS; [`measured`]: the same against a
//! hub in its own process ([`hub_process`]), measured; [`chain`]: the whole chain, from the
//! console's set-up to certificates verified offline, against a certif-server process.

pub mod answer_key;
pub mod attack;
pub mod bank;
pub mod chain;
pub mod console_process;
pub mod demo;
pub mod failover;
pub mod hub_process;
pub mod measured;
pub mod room;
