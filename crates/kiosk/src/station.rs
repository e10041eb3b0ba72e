//! This lab PC's configuration (set when the lab is set up, not by candidates) and how the kiosk
//! opens on it: the exit code's digest, the publisher whose signature a bank pack must carry, the
//! room hub it was paired with, and the files it keeps in its data folder.

use std::path::{Path, PathBuf};

use certroom_core::password::{PasswordError, PasswordHash};
use certroom_durable::{write_atomically, Access};
use certroom_protocol::Fingerprint;
use serde::{Deserialize, Serialize};

use crate::hub_address::HubAddress;
use crate::lockdown_log::LockdownLog;
use crate::sitting::{KioskConfig, KioskError, Sitting};

/// The configuration, in the data folder.
pub const CONFIG_FILE: &str = "station.json";
/// The encrypted, signed question bank this kiosk sits tests on.
pub const BANK_PACK_FILE: &str = "bank.pack";
/// The kiosk's own record of lockdown events.
pub const LOCKDOWN_LOG_FILE: &str = "kiosk-events.jsonl";

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct StationConfig {
    /// Digest of the invigilator's exit code: closing the kiosk needs it. Replaced by the session's
    /// invigilator password once the kiosk has joined a room.
    pub exit_code: Option<String>,
    /// Hex Ed25519 public key whose signature a bank pack must carry (pinned at set-up).
    #[serde(default)]
    pub bank_publisher: Option<String>,
    /// The room hub this PC was paired with at lab set-up: its name (or address) and pinned
    /// certificate.
    #[serde(default)]
    pub hub: Option<HubPin>,
    /// The screen reader speaks on this PC: set by the invigilator from the console (the kiosk
    /// keeps what it was told, through a restart) or by the technician (`certroom station
    /// speech on`) for a PC kept for a pupil who needs it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub speech: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HubPin {
    /// `name:port` as the technician gave it, looked up at each connection.
    pub address: String,
    /// Hex SHA-256 of the hub's certificate.
    pub fingerprint: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StationError {
    #[error("no exit code is configured for this kiosk: run `certroom station set-exit-code` first (the invigilator needs it to close the kiosk)")]
    NoExitCode,
    #[error("no question bank on this kiosk: pin the publisher and pair the PC (`certroom station install-bank --publisher KEY`), or install a pack (`certroom station install-bank PACK --publisher KEY`)")]
    NoBank,
    #[error("hub address {0} in station.json is not a name or address with a port")]
    HubAddress(String),
    #[error("hub fingerprint in station.json: {0}")]
    HubPin(String),
    #[error("kiosk: {0}")]
    Kiosk(#[from] KioskError),
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("station configuration {path} is not valid JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("station configuration: {0}")]
    Password(#[from] PasswordError),
    #[error("the exit code must be at least {0} characters")]
    ExitCodeShort(usize),
    #[error("`{0}` is not a hex Ed25519 public key (64 hex digits)")]
    PublicKey(String),
}

/// What the lab PC's screen says when it cannot open (the window shows it instead of exiting).
impl certroom_core::message::UserMessage for StationError {
    fn code(&self) -> &str {
        match self {
            Self::NoExitCode => "station.no_exit_code",
            Self::NoBank => "station.no_bank",
            Self::Kiosk(k) => k.code(),
            _ => "station.config",
        }
    }
    fn message_fr(&self) -> String {
        match self {
            Self::NoExitCode => "Ce poste n'est pas prêt : aucun code de sortie du surveillant n'est enregistré. Le référent numérique doit lancer « certroom station set-exit-code ».".into(),
            Self::NoBank => "Ce poste n'est pas prêt : aucune banque de questions n'est installée. Le référent numérique doit fixer l'éditeur de confiance (« certroom station install-bank --publisher CLÉ ») et appairer le poste : la console lui enverra la banque ; ou installer un paquet (« certroom station install-bank PAQUET --publisher CLÉ »).".into(),
            Self::Kiosk(KioskError::Journal(_)) => "Ce poste n'est pas utilisable : son journal est endommagé (il est conservé tel quel pour être examiné). Installez le candidat sur un autre poste et prévenez le référent numérique.".into(),
            Self::Kiosk(k) => k.message_fr(),
            other => format!("Ce poste n'est pas prêt : sa configuration est invalide ({other}). Prévenez le référent numérique."),
        }
    }
    fn message_en(&self) -> String {
        match self {
            Self::NoExitCode => "This PC is not ready: no invigilator exit code is set. The digital lead must run `certroom station set-exit-code`.".into(),
            Self::NoBank => "This PC is not ready: no question bank is installed. The digital lead must pin the trusted publisher (`certroom station install-bank --publisher KEY`) and pair the PC, and the console will send the bank; or install a pack (`certroom station install-bank PACK --publisher KEY`).".into(),
            Self::Kiosk(KioskError::Journal(_)) => "This PC cannot be used: its journal is damaged (it is kept as it is, to be examined). Seat the candidate at another PC and tell the digital lead.".into(),
            Self::Kiosk(k) => k.message_en(),
            other => format!("This PC is not ready: its configuration is invalid ({other}). Tell the digital lead."),
        }
    }
}

pub fn parse_public_key(hex: &str) -> Result<[u8; 32], StationError> {
    certroom_core::hash::from_hex(hex.trim())
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| StationError::PublicKey(hex.to_owned()))
}

pub const MIN_EXIT_CODE_LEN: usize = 6;

impl StationConfig {
    pub fn load(path: &Path) -> Result<Self, StationError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| StationError::Json {
                path: path.into(),
                source,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(StationError::Io {
                path: path.into(),
                source,
            }),
        }
    }

    /// Written to a temporary file then renamed, so a power cut never leaves half a configuration.
    pub fn save(&self, path: &Path) -> Result<(), StationError> {
        let io = |source| StationError::Io {
            path: path.into(),
            source,
        };
        let bytes = serde_json::to_vec_pretty(self).map_err(|source| StationError::Json {
            path: path.into(),
            source,
        })?;
        write_atomically(path, &bytes, Access::Shared).map_err(io)
    }

    pub fn set_exit_code(&mut self, code: &str) -> Result<(), StationError> {
        if code.chars().count() < MIN_EXIT_CODE_LEN {
            return Err(StationError::ExitCodeShort(MIN_EXIT_CODE_LEN));
        }
        self.exit_code = Some(
            PasswordHash::new(code, &ring::rand::SystemRandom::new())?
                .as_str()
                .to_owned(),
        );
        Ok(())
    }

    pub fn bank_publisher(&self) -> Result<Option<[u8; 32]>, StationError> {
        self.bank_publisher
            .as_deref()
            .map(parse_public_key)
            .transpose()
    }

    pub fn exit_code(&self) -> Result<Option<PasswordHash>, StationError> {
        Ok(self
            .exit_code
            .as_deref()
            .map(PasswordHash::parse)
            .transpose()?)
    }
}

/// A lab PC ready for candidates: its sitting opened on its journal and bank pack, its lockdown
/// log, the digest of the invigilator's exit code and the hub it is paired with, if any.
pub struct Station {
    pub sitting: Sitting,
    pub log: LockdownLog,
    pub exit_code: Option<PasswordHash>,
    pub hub: Option<(HubAddress, Fingerprint)>,
    /// See [`StationConfig::speech`].
    pub speech: bool,
}

/// The kiosk's lockdown log in `dir`.
fn lockdown_log(dir: &Path) -> Result<LockdownLog, StationError> {
    let path = dir.join(LOCKDOWN_LOG_FILE);
    LockdownLog::open(&path).map_err(|source| StationError::Io { path, source })
}

impl Station {
    /// What a kiosk that cannot [`Station::open`] still has: its lockdown log and the exit code
    /// if one is set. Its screen then says what is missing.
    pub fn open_unready(dir: &Path) -> Result<(LockdownLog, Option<PasswordHash>), StationError> {
        let exit_code = StationConfig::load(&dir.join(CONFIG_FILE))
            .ok()
            .and_then(|c| c.exit_code().ok().flatten());
        Ok((lockdown_log(dir)?, exit_code))
    }

    /// Opens the kiosk kept in `dir`. A kiosk whose lockdown is enforced needs an exit code; any
    /// kiosk needs a bank pack and the publisher key it must be signed by.
    pub fn open(dir: &Path, needs_exit_code: bool) -> Result<Self, StationError> {
        let config = StationConfig::load(&dir.join(CONFIG_FILE))?;
        let exit_code = config.exit_code()?;
        if exit_code.is_none() && needs_exit_code {
            return Err(StationError::NoExitCode);
        }
        let Some(publisher) = config.bank_publisher()? else {
            return Err(StationError::NoBank);
        };
        // A paired PC may wait for its bank from the console (it comes through the room).
        let pack = match std::fs::read(dir.join(BANK_PACK_FILE)) {
            Ok(pack) => pack,
            Err(_) if config.hub.is_some() => Vec::new(),
            Err(_) => return Err(StationError::NoBank),
        };
        let log = lockdown_log(dir)?;
        let hub = match &config.hub {
            Some(pin) => Some((
                HubAddress::parse(&pin.address)
                    .map_err(|_| StationError::HubAddress(pin.address.clone()))?,
                Fingerprint::parse(&pin.fingerprint)
                    .map_err(|e| StationError::HubPin(e.to_string()))?,
            )),
            None => None,
        };
        let sitting = Sitting::open(
            dir,
            pack,
            KioskConfig {
                engine: certroom_core::Config::default(),
                session_id: "demo".into(),
                publisher,
            },
        )?;
        Ok(Station {
            sitting,
            log,
            exit_code,
            hub,
            speech: config.speech,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_round_trips_through_the_file_as_a_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("station.json");
        let mut config = StationConfig::load(&path).unwrap();
        assert!(config.exit_code().unwrap().is_none());
        assert!(matches!(
            config.set_exit_code("12345"),
            Err(StationError::ExitCodeShort(_))
        ));
        config.set_exit_code("surv-2026").unwrap();
        config.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("surv-2026"),
            "the code itself is never stored"
        );
        let back = StationConfig::load(&path)
            .unwrap()
            .exit_code()
            .unwrap()
            .unwrap();
        assert!(back.verify("surv-2026"));
        assert!(!back.verify("surv-2027"));
    }

    #[test]
    fn a_broken_configuration_is_an_error_not_a_default() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("station.json");
        std::fs::write(&path, b"{ not json").unwrap();
        assert!(matches!(
            StationConfig::load(&path),
            Err(StationError::Json { .. })
        ));
    }
}
