//! `certif-server bench --attack`: the service under abuse, measured. While 200 uploads trickle
//! in at 1 kB/s and one client sweeps verification codes as fast as it is let, other clients
//! verify real certificates: their latency, the process's peak memory, and how many
//! certificates the sweeper would find in an hour are what the figures say.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::AsyncWriteExt;

use crate::bench::{spawn, BenchError, RoomSim, SessionSpec, SAMPLE_BANK_DIR};
use crate::config::Database;
use crate::http::budget::CODE_SPACE;
use crate::service::uai_for;

#[derive(Debug, Clone)]
pub struct AttackOptions {
    pub duration: Duration,
    pub slow_uploads: usize,
    /// Clients verifying real certificates, each from its own address.
    pub verifiers: usize,
    pub bank_dir: std::path::PathBuf,
}

impl Default for AttackOptions {
    fn default() -> Self {
        AttackOptions {
            duration: Duration::from_secs(60),
            slow_uploads: 200,
            verifiers: 8,
            bank_dir: SAMPLE_BANK_DIR.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AttackReport {
    pub duration_s: f64,
    /// Trickling uploads still connected at the end (the server neither ran out of memory nor
    /// of workers because of them).
    pub slow_uploads: usize,
    pub slow_uploads_started: usize,
    /// The whole process's peak resident memory (server and attacking clients), MiB.
    pub server_rss_mb_peak: f64,
    pub verify_requests_under_attack: usize,
    pub verify_errors_under_attack: usize,
    pub verify_p99_ms_under_attack: f64,
    /// Codes the sweeper could try (answered 404) and the requests refused (429).
    pub sweeper_guesses: usize,
    pub sweeper_refused: usize,
    /// The certificates one client would find per hour at the rate it was allowed, if a million
    /// were issued: guesses per hour × 10⁶ ÷ the code space.
    pub enumeration_hits_per_hour: f64,
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn client_from(ip: IpAddr) -> Result<reqwest::Client, BenchError> {
    reqwest::Client::builder()
        .local_address(ip)
        .build()
        .map_err(|e| BenchError::Other(e.to_string()))
}

/// One upload that announces 1 MiB and sends 1 kB a second; true while it is still connected.
async fn trickle(addr: std::net::SocketAddr, until: Instant, alive: Arc<AtomicUsize>) {
    let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else {
        return;
    };
    let head = "POST /v1/bundles HTTP/1.1\r\nHost: certif\r\nContent-Type: application/octet-stream\r\nContent-Length: 1048576\r\n\r\n";
    if s.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    alive.fetch_add(1, Ordering::SeqCst);
    let chunk = [b'x'; 1024];
    while Instant::now() < until {
        if s.write_all(&chunk).await.is_err() {
            alive.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

pub async fn run(o: &AttackOptions) -> Result<AttackReport, BenchError> {
    let work = tempfile::tempdir()?;
    let uai = uai_for(750_654);
    let sim = work.path().join("room");
    std::fs::create_dir_all(&sim)?;
    let mut room = RoomSim::new(&sim, &o.bank_dir, 7)?;
    let app =
        crate::bench::bench_app(Database::Sqlite(work.path().join("certif.db")), None).await?;
    room.register(&app.service, &uai, "Collège Jean Moulin")
        .await?;
    for n in 0..2 {
        let bundle = room.session(&SessionSpec::new(&uai, 500 + n, 30))?;
        app.service
            .ingest(bundle)
            .await
            .map_err(|e| BenchError::Other(e.to_string()))?;
    }
    let codes: Arc<Vec<String>> = Arc::new(
        app.service
            .centre_results(&uai)
            .await?
            .iter()
            .flat_map(|s| s.candidates.iter())
            .filter_map(|c| c.certification.as_ref().map(|c| c.code.clone()))
            .collect(),
    );
    let server = spawn(&app).await?;
    let addr: std::net::SocketAddr = server
        .base
        .trim_start_matches("http://")
        .parse()
        .map_err(|e| BenchError::Other(format!("{e}")))?;
    let started = Instant::now();
    let until = started + o.duration;

    let alive = Arc::new(AtomicUsize::new(0));
    let mut slow = tokio::task::JoinSet::new();
    for _ in 0..o.slow_uploads {
        slow.spawn(trickle(addr, until, alive.clone()));
    }
    let slow_started = {
        tokio::time::sleep(Duration::from_millis(500)).await;
        alive.load(Ordering::SeqCst)
    };

    // The sweeper, from its own address.
    let stop = Arc::new(AtomicBool::new(false));
    let sweeper = {
        let client = client_from(IpAddr::from([127, 0, 0, 99]))?;
        let (base, stop) = (server.base.clone(), stop.clone());
        tokio::spawn(async move {
            let (mut guesses, mut refused) = (0usize, 0usize);
            let alphabet = certroom_core::codes::VERIFICATION_CHARS.as_bytes();
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let code: String = (0..8u32)
                    .map(|k| {
                        let digit = i / alphabet.len().pow(k) + k as usize;
                        char::from(alphabet[digit % alphabet.len()])
                    })
                    .collect();
                match client
                    .get(format!("{base}/verify/P-{code}"))
                    .header("accept", "application/json")
                    .send()
                    .await
                {
                    Ok(r) if r.status().as_u16() == 429 => refused += 1,
                    Ok(_) => guesses += 1,
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
            (guesses, refused)
        })
    };

    // People checking real certificates, each from an address of their own.
    let mut verifiers = tokio::task::JoinSet::new();
    for v in 0..o.verifiers {
        let client = client_from(IpAddr::from([127, 0, 1, v as u8 + 1]))?;
        let (base, codes) = (server.base.clone(), codes.clone());
        verifiers.spawn(async move {
            let (mut lat, mut errors) = (Vec::new(), 0usize);
            let mut i = v;
            while Instant::now() < until {
                let t0 = Instant::now();
                let ok = match client
                    .get(format!("{base}/verify/{}", codes[i % codes.len()]))
                    .header("accept", "application/json")
                    .send()
                    .await
                {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                lat.push(t0.elapsed());
                errors += usize::from(!ok);
                i += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            (lat, errors)
        });
    }
    let mut lat = Vec::new();
    let mut errors = 0;
    while let Some(r) = verifiers.join_next().await {
        let (l, e) = r.map_err(|e| BenchError::Other(e.to_string()))?;
        lat.extend(l);
        errors += e;
    }
    stop.store(true, Ordering::Relaxed);
    let (guesses, refused) = sweeper
        .await
        .map_err(|e| BenchError::Other(e.to_string()))?;
    let still = alive.load(Ordering::SeqCst);
    slow.abort_all();
    let elapsed = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    let p99 = crate::bench::percentile_ms(&lat, 0.99);
    // The sweeper's allowed rate, extrapolated to an hour (its first burst included once).
    let per_hour = guesses as f64 * 3600.0 / elapsed.max(1.0);
    Ok(AttackReport {
        duration_s: elapsed,
        slow_uploads: still,
        slow_uploads_started: slow_started,
        server_rss_mb_peak: peak_rss_mb(),
        verify_requests_under_attack: lat.len(),
        verify_errors_under_attack: errors,
        verify_p99_ms_under_attack: p99,
        sweeper_guesses: guesses,
        sweeper_refused: refused,
        enumeration_hits_per_hour: per_hour * 1e6 / CODE_SPACE,
    })
}
