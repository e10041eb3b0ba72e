//! Where an ingest's time goes: each stage's time summed over every bundle the service took, so
//! `certif-server bench` can say which stage bounds the rate and what the machine's cores allow.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;

/// The stages of [`crate::Service::ingest`], in order.
#[derive(Debug, Clone, Copy)]
pub enum Stage {
    /// SHA-256 of the bytes.
    Hash,
    /// The container's layout, to learn the console key.
    Parse,
    /// What the store knows of these bytes, their console, its centre and declared stations,
    /// and the configurations, in one read; then the bank.
    Lookups,
    /// The console's signature over the manifest, each station-signed head, each hash chain.
    Verify,
    /// Every candidate's journal replayed through the engine, then scored.
    Replay,
    /// The certifications drawn ahead: a code each, its QR text signed and the signature checked.
    Publish,
    /// The bundle's bytes compressed for the store (`evidence`).
    Pack,
    /// The bundle, its candidates and certifications written in one transaction.
    Store,
}

const STAGES: usize = 8;

/// The CPU time of the calling thread since `now()`: verify, replay, publish and pack run alone
/// on a blocking thread, so this is their own cost, without the time other threads held the cores
/// (which the wall clock counts when requests outnumber cores). Falls back to the wall clock
/// where the system cannot say.
pub struct ThreadCpu {
    cpu: Option<cpu_time::ThreadTime>,
    wall: Instant,
}

impl ThreadCpu {
    pub fn now() -> Self {
        ThreadCpu {
            cpu: cpu_time::ThreadTime::try_now().ok(),
            wall: Instant::now(),
        }
    }

    pub fn elapsed(&self) -> std::time::Duration {
        match &self.cpu {
            Some(cpu) => cpu.try_elapsed().unwrap_or_else(|_| self.wall.elapsed()),
            None => self.wall.elapsed(),
        }
    }
}

#[derive(Debug, Default)]
pub struct IngestStages {
    nanos: [AtomicU64; STAGES],
    /// Bundles that went through every stage (a repeat or a refusal stops early).
    sessions: AtomicU64,
}

impl IngestStages {
    /// Adds the time since `started` to `stage`, and returns now (the next stage's start).
    pub fn record(&self, stage: Stage, started: Instant) -> Instant {
        let now = Instant::now();
        self.add(stage, now.duration_since(started));
        now
    }

    /// Adds `spent` to `stage`: for work on a blocking thread, timed there, without the time it
    /// waited for a thread.
    pub fn add(&self, stage: Stage, spent: std::time::Duration) {
        let nanos = u64::try_from(spent.as_nanos()).unwrap_or(u64::MAX);
        self.nanos[stage as usize].fetch_add(nanos, Ordering::Relaxed);
    }

    pub fn session_done(&self) {
        self.sessions.fetch_add(1, Ordering::Relaxed);
    }

    pub fn reset(&self) {
        for n in &self.nanos {
            n.store(0, Ordering::Relaxed);
        }
        self.sessions.store(0, Ordering::Relaxed);
    }

    /// Each stage's mean time per session, and the rate this machine's cores would allow if the
    /// CPU-bound stages (all but the store's) ran on every core at once.
    pub fn breakdown(&self, cores: usize) -> StageBreakdown {
        let sessions = self.sessions.load(Ordering::Relaxed);
        let per = |s: Stage| {
            let n = self.nanos[s as usize].load(Ordering::Relaxed) as f64;
            if sessions == 0 {
                0.0
            } else {
                n / sessions as f64 / 1e6
            }
        };
        let cpu_ms = per(Stage::Hash)
            + per(Stage::Parse)
            + per(Stage::Verify)
            + per(Stage::Replay)
            + per(Stage::Publish)
            + per(Stage::Pack);
        StageBreakdown {
            sessions,
            hash_ms: per(Stage::Hash),
            parse_ms: per(Stage::Parse),
            lookups_ms: per(Stage::Lookups),
            verify_ms: per(Stage::Verify),
            replay_ms: per(Stage::Replay),
            publish_ms: per(Stage::Publish),
            pack_ms: per(Stage::Pack),
            store_ms: per(Stage::Store),
            cores,
            cpu_limit_sessions_per_s: if cpu_ms > 0.0 {
                cores as f64 * 1000.0 / cpu_ms
            } else {
                0.0
            },
        }
    }
}

/// Mean milliseconds per session in each stage: verify, replay, publish and pack timed in their
/// blocking thread's CPU time, the others on the request's task (the store's waits included).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StageBreakdown {
    pub sessions: u64,
    pub hash_ms: f64,
    pub parse_ms: f64,
    pub lookups_ms: f64,
    pub verify_ms: f64,
    pub replay_ms: f64,
    pub publish_ms: f64,
    pub pack_ms: f64,
    pub store_ms: f64,
    pub cores: usize,
    /// `cores ÷ (hash + parse + verify + replay + publish + pack)`: the ingest rate the CPU-bound
    /// stages allow.
    pub cpu_limit_sessions_per_s: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breakdown_is_per_session_and_the_limit_counts_cpu_stages_only() {
        let s = IngestStages::default();
        let t = Instant::now() - std::time::Duration::from_millis(10);
        s.record(Stage::Replay, t);
        s.add(Stage::Pack, std::time::Duration::from_millis(4));
        s.record(Stage::Store, t);
        s.session_done();
        s.session_done();
        let b = s.breakdown(2);
        assert_eq!(b.sessions, 2);
        assert!(b.replay_ms >= 5.0 && b.replay_ms < 50.0, "{b:?}");
        assert_eq!(b.pack_ms, 2.0);
        // Store time does not lower the CPU limit: 2 cores ÷ (~5 ms of replay + 2 of packing).
        let expected = 2.0 * 1000.0
            / (b.hash_ms + b.parse_ms + b.verify_ms + b.replay_ms + b.publish_ms + b.pack_ms);
        assert!((b.cpu_limit_sessions_per_s - expected).abs() < 1e-6);
        s.reset();
        assert_eq!(s.breakdown(2).sessions, 0);
        assert_eq!(s.breakdown(2).cpu_limit_sessions_per_s, 0.0);
    }
}
