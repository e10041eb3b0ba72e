//! The centre's results on the office PC: the signed file as the service produced it, whether
//! it was downloaded or brought on a USB key. It is checked against the trusted service key
//! before it is kept and again every time it is read, so a file edited on the disk is refused
//! like a forged one.

use std::path::{Path, PathBuf};

use certroom_certificate::results::{self, CentreResults};
use certroom_durable::{write_atomically, Access};
use serde::Serialize;

use crate::settings::Settings;
use crate::OfficeError;

const RESULTS_FILE: &str = "results.signed";
const SETTINGS_FILE: &str = "office.json";

/// What an import brought in, for the screen to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImportSummary {
    pub generated_at: String,
    pub sessions: usize,
    pub candidates: usize,
    pub certificates: usize,
}

/// The office's folder: its settings and the last results it accepted.
pub struct Library {
    dir: PathBuf,
}

impl Library {
    pub fn open(dir: &Path) -> Result<Self, OfficeError> {
        std::fs::create_dir_all(dir).map_err(|e| OfficeError::io(dir, e))?;
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    pub fn settings(&self) -> Result<Settings, OfficeError> {
        Settings::load(&self.dir.join(SETTINGS_FILE))
    }

    pub fn save_settings(&self, settings: Settings) -> Result<Settings, OfficeError> {
        settings.save(&self.dir.join(SETTINGS_FILE))
    }

    /// Checks a results file (signature by the trusted key, this centre, not older than what is
    /// kept) and keeps it. All or nothing: a refused file leaves the kept results as they were.
    pub fn import(&self, bytes: &[u8], uai: &str) -> Result<ImportSummary, OfficeError> {
        let key = self.key()?;
        let incoming = results::read(bytes, &key)?;
        if !incoming.uai.eq_ignore_ascii_case(uai.trim()) {
            return Err(OfficeError::OtherCentre {
                expected: uai.trim().to_owned(),
                found: incoming.uai,
            });
        }
        if let Some(kept) = self.kept(&key)? {
            // RFC 3339 UTC times written by one service compare as text.
            if incoming.generated_at < kept.generated_at {
                return Err(OfficeError::Older {
                    file: incoming.generated_at,
                    kept: kept.generated_at,
                });
            }
        }
        let path = self.dir.join(RESULTS_FILE);
        write_atomically(&path, bytes, Access::Shared).map_err(|e| OfficeError::io(&path, e))?;
        Ok(summary(&incoming))
    }

    /// The kept results, checked again; `None` before the first import.
    pub fn results(&self) -> Result<Option<CentreResults>, OfficeError> {
        self.kept(&self.key()?)
    }

    fn key(&self) -> Result<[u8; 32], OfficeError> {
        self.settings()?.key().ok_or(OfficeError::NoServiceKey)
    }

    fn kept(&self, key: &[u8; 32]) -> Result<Option<CentreResults>, OfficeError> {
        let path = self.dir.join(RESULTS_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(OfficeError::io(&path, e)),
        };
        Ok(Some(results::read(&bytes, key)?))
    }
}

pub fn summary(r: &CentreResults) -> ImportSummary {
    ImportSummary {
        generated_at: r.generated_at.clone(),
        sessions: r.sessions.len(),
        candidates: r.candidates().count(),
        certificates: r
            .candidates()
            .filter(|(_, c)| c.certification.is_some())
            .count(),
    }
}
