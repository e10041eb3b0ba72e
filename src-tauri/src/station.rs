//! This PC's place on disk and its configuration (set when the lab is set up, not by candidates).

use certroom_centre::password::{PasswordError, PasswordHash};
use certroom_durable::{write_atomically, Access};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where a station keeps its databases, keys and logs.
#[derive(Debug, Clone)]
pub struct DataDir(PathBuf);

impl DataDir {
    pub fn resolve(explicit: Option<PathBuf>) -> Self {
        let path = explicit
            .or_else(|| dirs::data_local_dir().map(|d| d.join("certroom")))
            .unwrap_or_else(|| PathBuf::from(".certroom"));
        Self(path)
    }

    pub fn ensure(&self) -> std::io::Result<&Path> {
        std::fs::create_dir_all(&self.0)?;
        Ok(&self.0)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn station_config(&self) -> PathBuf {
        self.0.join("station.json")
    }

    pub fn console_db(&self) -> PathBuf {
        self.0.join("console.db")
    }

    /// The school office's settings and the centre's results.
    pub fn office_dir(&self) -> PathBuf {
        self.0.join("office")
    }

    pub fn kiosk_log(&self) -> PathBuf {
        self.0.join("kiosk-events.jsonl")
    }

    /// The encrypted, signed question bank this kiosk sits tests on.
    pub fn bank_pack(&self) -> PathBuf {
        self.0.join("bank.pack")
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct StationConfig {
    /// Digest of the invigilator's exit code: closing the kiosk needs it. Replaced by the session's
    /// invigilator password once the kiosk has joined a room.
    pub exit_code: Option<String>,
    /// Hex Ed25519 public key whose signature a bank pack must carry (pinned at set-up).
    #[serde(default)]
    pub bank_publisher: Option<String>,
    /// The room hub this PC was paired with at lab set-up: its address and pinned certificate.
    #[serde(default)]
    pub hub: Option<HubPin>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HubPin {
    pub address: String,
    /// Hex SHA-256 of the hub's certificate.
    pub fingerprint: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StationError {
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
        self.exit_code = Some(PasswordHash::new(code)?.as_str().to_owned());
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
