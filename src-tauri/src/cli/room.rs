//! `certroom sim room` (certroom-simulation, its hub in a child process: `sim hub-child`) and
//! `certroom station pair`, the lab set-up of a kiosk.

use std::path::Path;
use std::time::Duration;

use certroom_kiosk::hub_address::HubAddress;
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
    fingerprint: Option<&str>,
    label: &str,
    wait_s: u64,
) -> Result<(), String> {
    let address = HubAddress::parse(hub).map_err(|e| format!("--hub : {e}"))?;
    let pin = fingerprint
        .map(Fingerprint::parse)
        .transpose()
        .map_err(|e| format!("--fingerprint : {e}"))?;
    let dir = data.ensure().map_err(|e| e.to_string())?.to_owned();
    let key = certroom_journal::StationKey::load_or_create(
        &dir.join(certroom_kiosk::sitting::STATION_KEY_FILE),
    )
    .map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let pin = runtime
        .block_on(certroom_kiosk::live::pair(
            &address,
            &certroom_kiosk::hub_address::system_lookup(),
            pin,
            key.into_key_pair(),
            label,
            Duration::from_secs(wait_s),
            |code| {
                out!("Code d'appairage : {code}");
                out!("  Vérifiez que la console du surveillant affiche le même code, puis confirmez-le sur la console.");
                out!("  Si les codes diffèrent, ne confirmez pas : ce poste ne parle pas à votre console.");
                out!("Pairing code: {code} — check that the console shows the same code, then confirm it there.");
            },
        ))
        .map_err(|e| e.to_string())?;
    let path = data.station_config();
    let mut config =
        certroom_kiosk::station::StationConfig::load(&path).map_err(|e| e.to_string())?;
    config.hub = Some(certroom_kiosk::station::HubPin {
        address: address.to_string(),
        fingerprint: pin.to_hex(),
    });
    config.save(&path).map_err(|e| e.to_string())?;
    out!("Poste appairé à {address} / PC paired: {}", pin.display());
    Ok(())
}
