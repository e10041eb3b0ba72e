//! Acknowledged-answer latency against the floor the disk allows: a raw `write` + `fsync` of
//! the same number of bytes in the same folder, interleaved in the same run so both see the same
//! disk conditions.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use serde_json::json;

use crate::error::JournalError;
use crate::event::Event;
use crate::journal::Journal;
use crate::record::TestHeader;
use certroom_core::hash::Hash;

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub n: usize,
    /// Bytes the journal adds to the WAL per answer: the size the raw baseline writes.
    pub wal_bytes_per_ack: u64,
    pub ack_p50_us: u64,
    pub ack_p90_us: u64,
    pub ack_p99_us: u64,
    pub ack_max_us: u64,
    pub fsync_p50_us: u64,
    pub fsync_p90_us: u64,
    pub fsync_p99_us: u64,
    pub fsync_max_us: u64,
    /// ack p99 / raw fsync p99; the target is ≤ 2.
    pub ratio_p99: f64,
    pub target_met: bool,
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn micros(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX)
}

fn answer(i: usize) -> Event {
    Event::Answer {
        item_id: format!("bench-item-{i:03}"),
        response: json!({"fields": {"a": "une réponse de longueur moyenne", "b": i}}),
        time_spent_ms: 12_345,
        focus_lost: false,
        timed_out: false,
    }
}

/// Runs `n` acknowledged answers and `n` raw write+fsync in `dir`; leaves no file behind.
pub fn run(dir: &Path, n: usize) -> Result<BenchReport, JournalError> {
    let tag = format!("certroom-bench-{}", std::process::id());
    let db = dir.join(format!("{tag}.db"));
    let raw_path = dir.join(format!("{tag}.raw"));
    let result = run_in(&db, &raw_path, n.max(1));
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let _ = fs::remove_file(p);
    }
    let _ = fs::remove_file(&raw_path);
    result
}

fn run_in(db: &Path, raw_path: &Path, n: usize) -> Result<BenchReport, JournalError> {
    let mut j = Journal::open(db)?;
    let test = "BENCH";
    j.create_test(TestHeader::new(
        test,
        "S-BENCH",
        "C-BENCH",
        1,
        "bench",
        Hash::of(&[b"bench"]),
    ))?;
    j.append(test, &Event::Joined)?;
    j.append(
        test,
        &Event::Authorized {
            by: "bench".into(),
            resume: false,
        },
    )?;

    // Warm-up, and measure what one answer costs in WAL bytes.
    let warm = 20;
    let before = j.wal_bytes();
    for i in 0..warm {
        j.append(test, &answer(i))?;
    }
    let per_ack = ((j.wal_bytes() - before) / warm as u64).max(1);
    let block = vec![0x5au8; usize::try_from(per_ack).unwrap_or(4096)];
    let mut raw = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(raw_path)?;

    let mut acks = Vec::with_capacity(n);
    let mut syncs = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        j.append(test, &answer(warm + i))?;
        acks.push(micros(t));
        let t = Instant::now();
        raw.write_all(&block)?;
        raw.sync_all()?;
        syncs.push(micros(t));
    }
    acks.sort_unstable();
    syncs.sort_unstable();
    let ack_p99 = percentile(&acks, 99.0);
    let fsync_p99 = percentile(&syncs, 99.0);
    let ratio = ack_p99 as f64 / fsync_p99.max(1) as f64;
    Ok(BenchReport {
        n,
        wal_bytes_per_ack: per_ack,
        ack_p50_us: percentile(&acks, 50.0),
        ack_p90_us: percentile(&acks, 90.0),
        ack_p99_us: ack_p99,
        ack_max_us: acks.last().copied().unwrap_or(0),
        fsync_p50_us: percentile(&syncs, 50.0),
        fsync_p90_us: percentile(&syncs, 90.0),
        fsync_p99_us: fsync_p99,
        fsync_max_us: syncs.last().copied().unwrap_or(0),
        ratio_p99: (ratio * 100.0).round() / 100.0,
        target_met: ratio <= 2.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }

    #[test]
    fn bench_runs_and_cleans_up() {
        let d = tempfile::tempdir().unwrap();
        let r = run(d.path(), 30).unwrap();
        assert_eq!(r.n, 30);
        assert!(r.ack_p50_us > 0 && r.fsync_p50_us > 0 && r.wal_bytes_per_ack > 0);
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 0);
        println!("{}", serde_json::to_string(&r).unwrap());
    }

    /// `cargo test -p certroom-journal --release --lib bench_report -- --ignored --nocapture`
    #[test]
    #[ignore = "measurement, not a check: run on demand"]
    fn bench_report() {
        let n = std::env::var("BENCH_N")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1000);
        let d = tempfile::tempdir_in(".").unwrap();
        println!(
            "{}",
            serde_json::to_string_pretty(&run(d.path(), n).unwrap()).unwrap()
        );
    }
}
