//! The centre's results on the office PC: the signed file as the service produced it, whether
//! it was downloaded or brought on a USB key. It is checked against the trusted service key
//! before it is kept and again every time it is read, so a file edited on the disk is refused
//! like a forged one.

use std::path::{Path, PathBuf};

use certroom_certificate::keys::{KeyError, KeySet, ServiceKeys};
use certroom_certificate::results::{self, CentreResults};
use certroom_durable::{write_atomically, Access};
use serde::Serialize;

use crate::settings::Settings;
use crate::OfficeError;

const RESULTS_FILE: &str = "results.signed";
const SETTINGS_FILE: &str = "office.json";
/// The service's key set last accepted (docs/certificate-format.md §10).
const KEYS_FILE: &str = "service-keys.json";

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
        let key = self.keys()?;
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
        self.kept(&self.keys()?)
    }

    /// The service keys this office trusts: the key in its settings, and the key set last
    /// accepted for it. A set that does not hold the key in the settings (the secretary typed
    /// another one) is set aside; any other fault in it is an error, not a silent reset.
    pub fn keys(&self) -> Result<ServiceKeys, OfficeError> {
        let pinned = self.settings()?.key().ok_or(OfficeError::NoServiceKey)?;
        let path = self.dir.join(KEYS_FILE);
        let set = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<KeySet>(&bytes)
                .map_err(|e| OfficeError::Keys(KeyError::Malformed(e.to_string())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(pinned.into()),
            Err(e) => return Err(OfficeError::io(&path, e)),
        };
        match ServiceKeys::pinned_with(pinned, Some(set)) {
            Ok(keys) => Ok(keys),
            Err(KeyError::NotAnchored) => Ok(pinned.into()),
            Err(e) => Err(OfficeError::Keys(e)),
        }
    }

    /// Takes the service's published key set if it follows from what is trusted (§10: signed,
    /// holding the pinned key, dropping no known key or revocation) and keeps it. Returns
    /// whether it brought anything new.
    pub fn take_key_set(&self, set: KeySet) -> Result<bool, OfficeError> {
        let mut keys = self.keys()?;
        let changed = keys.accept(set).map_err(OfficeError::Keys)?;
        if changed {
            let path = self.dir.join(KEYS_FILE);
            let json = serde_json::to_vec_pretty(&keys.set()).unwrap_or_default();
            write_atomically(&path, &json, Access::Shared)
                .map_err(|e| OfficeError::io(&path, e))?;
        }
        Ok(changed)
    }

    fn kept(&self, key: &ServiceKeys) -> Result<Option<CentreResults>, OfficeError> {
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
