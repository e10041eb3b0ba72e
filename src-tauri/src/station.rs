//! Where this PC keeps its data: the files of every role live in one folder.

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
        self.0.join(certroom_kiosk::station::CONFIG_FILE)
    }

    pub fn console_db(&self) -> PathBuf {
        self.0.join(certroom_console::CONSOLE_DB)
    }

    /// The school office's settings and the centre's results.
    pub fn office_dir(&self) -> PathBuf {
        self.0.join("office")
    }

    /// The encrypted, signed question bank this kiosk sits tests on.
    pub fn bank_pack(&self) -> PathBuf {
        self.0.join(certroom_kiosk::station::BANK_PACK_FILE)
    }
}
