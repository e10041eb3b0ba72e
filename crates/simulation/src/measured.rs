//! `certroom sim room`: simulated kiosks against a hub running as its own process, with the
//! hub's CPU share and peak memory measured apart from the kiosks.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use certroom_hub::RoomSetup;

use crate::hub_process::HubProcess;
use crate::room::{self, HubEndpoint, SimRoomConfig, SimRoomReport};

pub(crate) const PASSWORD: &str = "k7?Pm2";
const ACCESS_CODE: &str = "BCDF23";
const BANK_KEY: &str = "salle-sim-2026";
pub(crate) const SESSION: i64 = 9001;

pub struct Options {
    pub kiosks: usize,
    pub duration_s: u64,
    pub think_ms: (u64, u64),
    pub seed: u64,
    pub dir: Option<PathBuf>,
    pub bank: PathBuf,
}

#[derive(Debug, serde::Serialize)]
pub struct Report {
    #[serde(flatten)]
    pub room: SimRoomReport,
    pub hub_cpu_percent: f64,
    pub hub_rss_mb: f64,
}

/// A hub process set up for a simulated room, and what the kiosks need to sit it.
pub(crate) struct Prepared {
    pub hub: HubProcess,
    pub room: SimRoomConfig,
    pub endpoint: HubEndpoint,
    /// The hub process's folder.
    pub hub_dir: PathBuf,
}

/// Seals the bank, enrolls `o.kiosks` candidates and starts the hub process.
pub(crate) fn prepare(exe: &Path, o: &Options) -> Result<Prepared, String> {
    let dir = match &o.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("certroom-room-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (sealed, publisher) = crate::bank::seal(&o.bank, BANK_KEY)?;
    let candidates = room::enrolled_candidates(o.kiosks, |i| {
        (format!("Élève{i}"), format!("Candidat-Lefèvre {i}"))
    });
    let setup = RoomSetup {
        session: SESSION,
        access_code: ACCESS_CODE.into(),
        invigilator_password: PASSWORD.into(),
        bank_key: BANK_KEY.into(),
        questions: 32,
        duration_min: 105,
        candidates: candidates.clone(),
    };
    let hub_dir = dir.join("hub");
    let hub = HubProcess::spawn(exe, &hub_dir, &setup)?;
    let endpoint = HubEndpoint {
        addr: hub.addr,
        pin: hub.pin,
        session: SESSION,
        password: PASSWORD.into(),
        access_code: ACCESS_CODE.to_lowercase(),
        candidates: room::typed_identities(&candidates),
    };
    let room = SimRoomConfig {
        kiosks: o.kiosks,
        duration: Duration::from_secs(o.duration_s),
        seed: o.seed,
        think_ms: o.think_ms,
        alert_rate: 0.02,
        focus_rate: 0.03,
        pack: sealed,
        publisher,
        engine: certroom_core::Config::default(),
        dir: dir.join("kiosks"),
        answers: None,
        tap: None,
    };
    Ok(Prepared {
        hub,
        room,
        endpoint,
        hub_dir,
    })
}

/// Rounds to one decimal, as the reports show figures.
pub(crate) fn one_decimal(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Runs the room; `exe` is the `certroom` binary that serves `sim hub-child`.
pub fn run(exe: &Path, o: &Options) -> Result<Report, String> {
    let Prepared {
        hub,
        room: config,
        endpoint,
        ..
    } = prepare(exe, o)?;
    let cpu_before = hub.cpu_seconds();
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let result = runtime.block_on(room::run(config, endpoint));
    let wall = started.elapsed().as_secs_f64();
    let cpu = hub.cpu_seconds() - cpu_before;
    let rss_mb = hub.peak_rss_mb();
    drop(hub);
    let room = result?;
    Ok(Report {
        room,
        hub_cpu_percent: one_decimal(cpu / wall * 100.0),
        hub_rss_mb: one_decimal(rss_mb),
    })
}
