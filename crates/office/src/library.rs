//! The centre's results on the office PC: the signed file as the service produced it, whether
//! it was downloaded or brought on a USB key. It is checked against the trusted service key
//! before it is kept and again every time it is read, so a file edited on the disk is refused
//! like a forged one.

use std::io::Write;
use std::path::{Path, PathBuf};

use certroom_certificate::results::{self, CentreResults};
use serde::Serialize;

use crate::settings::Settings;
use crate::OfficeError;

const RESULTS_FILE: &str = "results.signed";
const SETTINGS_FILE: &str = "office.json";

/// What an import brought in, for the screen to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
        let key = self.settings()?.key().ok_or(OfficeError::NoServiceKey)?;
        let incoming = results::read(bytes, &key)?;
        if !incoming.uai.eq_ignore_ascii_case(uai.trim()) {
            return Err(OfficeError::OtherCentre {
                expected: uai.trim().to_owned(),
                found: incoming.uai,
            });
        }
        if let Some(kept) = self.results()? {
            // RFC 3339 UTC times written by one service compare as text.
            if incoming.generated_at < kept.generated_at {
                return Err(OfficeError::Older {
                    file: incoming.generated_at,
                    kept: kept.generated_at,
                });
            }
        }
        write_atomically(&self.dir.join(RESULTS_FILE), bytes, false)?;
        Ok(summary(&incoming))
    }

    /// The kept results, checked again; `None` before the first import.
    pub fn results(&self) -> Result<Option<CentreResults>, OfficeError> {
        let path = self.dir.join(RESULTS_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(OfficeError::io(&path, e)),
        };
        let key = self.settings()?.key().ok_or(OfficeError::NoServiceKey)?;
        Ok(Some(results::read(&bytes, &key)?))
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

/// Temporary file, fsync, rename, fsync of the folder: a power cut leaves the old file or the
/// new one, never half of one.
pub(crate) fn write_atomically(
    path: &Path,
    bytes: &[u8],
    private: bool,
) -> Result<(), OfficeError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(&tmp).map_err(|e| OfficeError::io(&tmp, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| OfficeError::io(&tmp, e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| OfficeError::io(path, e))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
