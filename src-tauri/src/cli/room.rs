//! `certroom sim room` (certroom-simulation, its hub in a child process: `sim hub-child`) and
//! `certroom station pair`, the lab set-up of a kiosk.

use std::path::Path;
use std::time::Duration;

use certroom_protocol::Fingerprint;
use certroom_simulation::{hub_process, measured};

pub fn sim(o: &measured::Options, json: bool) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let report = measured::run(&exe, o)?;
    let (lost, errors) = (report.room.lost_events, report.room.errors.len());
    super::print_report(&report, json)?;
    if lost > 0 || errors > 0 {
        return Err(format!("{lost} events lost, {errors} kiosk errors"));
    }
    Ok(())
}

/// `certroom sim attack`: fails when any attack got through or the room did not go on.
pub fn attack(o: &certroom_simulation::attack::Options, json: bool) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let report = certroom_simulation::attack::run(&exe, o)?;
    super::print_report(&report, json)?;
    let failures = report.failures();
    if !failures.is_empty() {
        return Err(failures.join("; "));
    }
    Ok(())
}

/// The hub process of `sim room`: serves until its standard input closes.
pub fn hub_child(dir: &Path, setup: &Path, bind: &str) -> Result<(), String> {
    hub_process::serve_child(dir, setup, bind)
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime
        .block_on(certroom_kiosk::live::pair(
            addr,
            pin,
            key.into_key_pair(),
            label,
            Duration::from_secs(wait_s),
            |code| {
                out!("Code d'appairage : {code} — confirmez-le sur le poste surveillant.");
                out!("Pairing code: {code} — confirm it on the invigilator's console.");
            },
        ))
        .map_err(|e| e.to_string())?;
    let path = data.station_config();
    let mut config =
        certroom_kiosk::station::StationConfig::load(&path).map_err(|e| e.to_string())?;
    config.hub = Some(certroom_kiosk::station::HubPin {
        address: addr.to_string(),
        fingerprint: pin.to_hex(),
    });
    config.save(&path).map_err(|e| e.to_string())?;
    out!("Poste appairé / PC paired: {}", pin.display());
    Ok(())
}
