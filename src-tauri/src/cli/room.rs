//! `certroom sim room`: the room simulation against a hub running as its own process, so that
//! the hub's CPU and memory are measured apart from the simulated kiosks.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use certroom_hub::room::RoomSetup;
use certroom_hub::{Fingerprint, Hub};
use certroom_journal::pack::{self, PackKey};
use certroom_kiosk::bank_store;
use certroom_kiosk::room_sim::{self, HubEndpoint, SimRoomConfig};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};

const PASSWORD: &str = "k7?Pm2";
const ACCESS_CODE: &str = "BCDF23";
const BANK_KEY: &str = "salle-sim-2026";
const SESSION: i64 = 9001;

#[derive(serde::Serialize)]
struct Report {
    #[serde(flatten)]
    room: room_sim::SimRoomReport,
    hub_cpu_percent: f64,
    hub_rss_mb: f64,
}

pub struct Options {
    pub kiosks: usize,
    pub duration_s: u64,
    pub think_ms: (u64, u64),
    pub seed: u64,
    pub dir: Option<PathBuf>,
    pub bank: PathBuf,
    pub json: bool,
}

pub fn sim(o: &Options) -> Result<(), String> {
    let dir = match &o.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("certroom-room-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (sealed, pk) = seal_bank(&o.bank, BANK_KEY)?;

    let candidates = room_sim::enrolled_candidates(o.kiosks, |i| {
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
    std::fs::create_dir_all(&hub_dir).map_err(|e| e.to_string())?;
    let setup_file = hub_dir.join("setup.json");
    std::fs::write(
        &setup_file,
        serde_json::to_vec(&setup).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let (mut child, addr, pin) = spawn_hub(&hub_dir, &setup_file)?;
    let pid = child.id();
    let cpu_before = cpu_ticks(pid);
    let started = Instant::now();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let result = runtime.block_on(room_sim::run(
        SimRoomConfig {
            kiosks: o.kiosks,
            duration: Duration::from_secs(o.duration_s),
            seed: o.seed,
            think_ms: o.think_ms,
            alert_rate: 0.02,
            focus_rate: 0.03,
            pack: sealed,
            publisher: pk,
            engine: certroom_core::Config::default(),
            dir: dir.join("kiosks"),
        },
        HubEndpoint {
            addr,
            pin,
            session: SESSION,
            password: PASSWORD.into(),
            access_code: ACCESS_CODE.to_lowercase(),
            candidates: candidates
                .iter()
                .map(|c| {
                    (
                        c.first_name.clone(),
                        c.birth_name.clone(),
                        c.birthdate.format("%d/%m/%Y").to_string(),
                    )
                })
                .collect(),
        },
    ));
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_ticks(pid).saturating_sub(cpu_before) as f64 / ticks_per_second();
    let rss_mb = peak_rss_kb(pid) as f64 / 1024.0;
    let _ = child.kill();
    let _ = child.wait();
    let room = result?;
    let lost = room.lost_events;
    let errors = room.errors.len();
    super::print_report(
        &Report {
            room,
            hub_cpu_percent: (cpu / wall * 1000.0).round() / 10.0,
            hub_rss_mb: (rss_mb * 10.0).round() / 10.0,
        },
        o.json,
    )?;
    if lost > 0 || errors > 0 {
        return Err(format!("{lost} events lost, {errors} kiosk errors"));
    }
    Ok(())
}

/// A simulation's bank: the folder sealed with `passphrase` by a publisher key made for the
/// run; returns the pack and the publisher's public key the kiosks pin.
pub fn seal_bank(bank: &Path, passphrase: &str) -> Result<(Vec<u8>, [u8; 32]), String> {
    let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|e| e.to_string())?;
    let publisher = Ed25519KeyPair::from_pkcs8(doc.as_ref()).map_err(|e| e.to_string())?;
    let files = bank_store::read_dir(bank).map_err(|e| format!("{}: {e}", bank.display()))?;
    let sealed = pack::seal_with(
        &files,
        &PackKey::Passphrase(passphrase.into()),
        &publisher,
        pack::MIN_PBKDF2_ITERATIONS,
    )
    .map_err(|e| e.to_string())?;
    let mut pk = [0u8; 32];
    pk.copy_from_slice(publisher.public_key().as_ref());
    Ok((sealed, pk))
}

fn spawn_hub(
    dir: &Path,
    setup: &Path,
) -> Result<(Child, std::net::SocketAddr, Fingerprint), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("sim")
        .arg("hub-child")
        .arg("--dir")
        .arg(dir)
        .arg("--setup")
        .arg(setup)
        .stdout(Stdio::piped())
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("hub: {e}"))?;
    let out = child.stdout.take().ok_or("hub: no stdout")?;
    let mut line = String::new();
    BufReader::new(out)
        .read_line(&mut line)
        .map_err(|e| format!("hub: {e}"))?;
    let mut parts = line.split_whitespace();
    let (Some("LISTENING"), Some(addr), Some(fp)) = (parts.next(), parts.next(), parts.next())
    else {
        let _ = child.kill();
        return Err(format!("hub did not start: {line:?}"));
    };
    let addr = addr.parse().map_err(|e| format!("hub address: {e}"))?;
    let pin = Fingerprint::parse(fp).map_err(|e| e.to_string())?;
    Ok((child, addr, pin))
}

/// The hub process: serves until its standard input closes (its parent is gone).
pub fn hub_child(dir: &Path, setup: &Path, bind: &str) -> Result<(), String> {
    let setup: RoomSetup =
        serde_json::from_slice(&std::fs::read(setup).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let hub = Hub::open(dir, setup).map_err(|e| e.to_string())?;
        let bind = bind.parse().map_err(|e| format!("{bind}: {e}"))?;
        let running = hub.serve(bind).await.map_err(|e| e.to_string())?;
        println!(
            "LISTENING {} {}",
            running.addr,
            running.hub.fingerprint().to_hex()
        );
        tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            while std::io::stdin()
                .read_line(&mut sink)
                .map(|n| n > 0)
                .unwrap_or(false)
            {}
        })
        .await
        .map_err(|e| e.to_string())?;
        running.stop().await;
        Ok(())
    })
}

fn cpu_ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let get = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    get(11) + get(12)
}

fn ticks_per_second() -> f64 {
    100.0
}

fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Pairs this PC with a room hub: the pin is written into station.json only once the console
/// confirmed the code, so a PC is never left pinned on an impostor.
pub fn pair(
    data: &crate::station::DataDir,
    hub: &str,
    fingerprint: &str,
    label: &str,
    wait_s: u64,
) -> Result<(), String> {
    let addr: std::net::SocketAddr = hub
        .parse()
        .map_err(|_| format!("--hub {hub:?}: expected address:port, e.g. 192.168.1.10:7443"))?;
    let pin = Fingerprint::parse(fingerprint).map_err(|e| e.to_string())?;
    let dir = data.ensure().map_err(|e| e.to_string())?.to_owned();
    let key = certroom_journal::StationKey::load_or_create(
        &dir.join(certroom_kiosk::sitting::STATION_KEY_FILE),
    )
    .map_err(|e| e.to_string())?;
    let pair = std::sync::Arc::new(key.into_key_pair());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (link, _) = certroom_hub::KioskLink::connect(addr, pin, pair, counter)
            .await
            .map_err(|e| e.to_string())?;
        let reply = link
            .request(certroom_hub::KioskMessage::Pair {
                label: label.to_owned(),
            })
            .await
            .map_err(|e| e.to_string())?;
        let certroom_hub::Reply::Pairing { code, mut enrolled } = reply else {
            return Err("unexpected reply from the hub".to_string());
        };
        if !enrolled {
            println!("Code d'appairage : {code} — confirmez-le sur le poste surveillant.");
            println!("Pairing code: {code} — confirm it on the invigilator's console.");
        }
        let deadline = Instant::now() + Duration::from_secs(wait_s);
        while !enrolled {
            if Instant::now() > deadline {
                return Err("the console did not confirm the pairing in time".into());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            if let Ok(certroom_hub::Reply::State { station }) =
                link.request(certroom_hub::KioskMessage::Hello).await
            {
                enrolled = station.enrolled;
            }
        }
        Ok(())
    })?;
    let path = data.station_config();
    let mut config = crate::station::StationConfig::load(&path).map_err(|e| e.to_string())?;
    config.hub = Some(crate::station::HubPin {
        address: addr.to_string(),
        fingerprint: pin.to_hex(),
    });
    config.save(&path).map_err(|e| e.to_string())?;
    println!("Poste appairé / PC paired: {}", pin.display());
    Ok(())
}
