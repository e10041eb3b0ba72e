//! The demo room a newcomer opens with `scripts/demo`: a centre, a session of six candidates,
//! the sample bank sealed for it, and a lab PC already paired with the console, all on loopback.
//! The console opens straight on the session's live room (`certroom console --open-room`, which
//! reads [`DemoRoom`] from its data folder); the kiosk connects to it on its own.

use std::path::Path;

use certroom_hub::tls::HubIdentity;
use certroom_hub::Lab;
use certroom_journal::StationKey;
use certroom_kiosk::station::{HubPin, StationConfig, BANK_PACK_FILE, CONFIG_FILE};
use serde::{Deserialize, Serialize};

use crate::chain::{new_session, set_up_console, ADMIN_PASSWORD};

/// The file, in the console's data folder, that `certroom console --open-room` reads.
pub const DEMO_ROOM_FILE: &str = "demo-room.json";
/// The key the demo's bank pack is sealed with (the session's bank key).
pub const BANK_KEY: &str = "salle-demo-2026";
/// The kiosk's exit code in the demo.
pub const EXIT_CODE: &str = "demo-2026";

/// What the demo console opens, and what the script tells the newcomer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoRoom {
    pub admin_password: String,
    pub session: i64,
    pub invigilator_password: String,
    pub access_code: String,
    pub bank_key: String,
    /// Where the console's hub listens (loopback).
    pub bind: String,
    /// The candidates, as they type themselves in: first name, birth name, birthdate jj/mm/aaaa.
    pub candidates: Vec<(String, String, String)>,
}

/// Sets up the console in `console_dir` and a lab PC in `kiosk_dir`, paired with it, the hub to
/// listen on `127.0.0.1:port`. Both folders must be new.
pub fn prepare(console_dir: &Path, kiosk_dir: &Path, port: u16) -> Result<DemoRoom, String> {
    let console = set_up_console(console_dir)?;
    let (session, enrolled) = new_session(&console, 6)?;
    let bind = format!("127.0.0.1:{port}");

    // The lab PC: its key enrolled in the console's lab, the lab's certificate pinned on the PC,
    // as pairing does (here without the code comparison: both folders are made together).
    std::fs::create_dir_all(kiosk_dir).map_err(|e| e.to_string())?;
    let key =
        StationKey::load_or_create(&kiosk_dir.join(certroom_kiosk::sitting::STATION_KEY_FILE))
            .map_err(|e| e.to_string())?;
    let lab_dir = console_dir.join(certroom_console::lab::LAB_DIR);
    let identity = HubIdentity::load_or_create(&lab_dir).map_err(|e| e.to_string())?;
    Lab::open(&lab_dir)
        .and_then(|lab| {
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            lab.pair(&key.public_key_hex(), "PC-01", &now)
        })
        .map_err(|e| e.to_string())?;

    // The bank travels sealed and signed, as on exam day; the PC pins its publisher.
    let bank = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/bank/sample");
    let (sealed, publisher) = crate::bank::seal(&bank, BANK_KEY)?;
    std::fs::write(kiosk_dir.join(BANK_PACK_FILE), &sealed).map_err(|e| e.to_string())?;
    let mut config = StationConfig {
        exit_code: None,
        bank_publisher: Some(certroom_core::hash::to_hex(&publisher)),
        hub: Some(HubPin {
            address: bind.clone(),
            fingerprint: identity.fingerprint().to_hex(),
        }),
        speech: false,
    };
    config.set_exit_code(EXIT_CODE).map_err(|e| e.to_string())?;
    config
        .save(&kiosk_dir.join(CONFIG_FILE))
        .map_err(|e| e.to_string())?;

    let room = DemoRoom {
        admin_password: ADMIN_PASSWORD.to_owned(),
        session: session.number,
        invigilator_password: session.invigilator_password,
        access_code: session.access_code,
        bank_key: BANK_KEY.to_owned(),
        bind,
        candidates: enrolled
            .iter()
            .map(|c| {
                (
                    c.first_name.clone(),
                    c.birth_name.clone(),
                    c.birthdate.format("%d/%m/%Y").to_string(),
                )
            })
            .collect(),
    };
    let json = serde_json::to_vec_pretty(&room).map_err(|e| e.to_string())?;
    // It holds the demo's passwords: its owner's only, like the console's other secrets.
    let path = console_dir.join(DEMO_ROOM_FILE);
    std::fs::write(&path, json).map_err(|e| e.to_string())?;
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .map_err(|e| e.to_string())?;
    Ok(room)
}

/// The demo room recorded in `console_dir`, if this console was prepared as one.
pub fn read(console_dir: &Path) -> Result<DemoRoom, String> {
    let path = console_dir.join(DEMO_ROOM_FILE);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}
