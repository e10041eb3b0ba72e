//! Files of a bank → the validated bank and the files candidates may open. The kiosk and the
//! central service load a bank through this one function, so the content hash the kiosk writes
//! in its journals is the one the service replays with.

use std::collections::HashMap;

use certroom_core::bank::{Bank, BankErrors, BankSources};

use crate::BankFiles;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("bank.json absent du paquet / bank.json missing")]
    NoManifest,
    #[error("{path} : texte UTF-8 attendu / not UTF-8 text")]
    NotText { path: String },
    #[error("bank.json illisible : {0} / unreadable manifest")]
    Manifest(String),
    #[error("{0}")]
    Invalid(BankErrors),
}

/// A bank ready for use: the validated items, the manifest's name for it, and the files
/// candidates may open (every file that is not `bank.json` or a listed item file).
pub struct LoadedBank {
    pub bank: Bank,
    /// The manifest's `id` and `version` (empty when absent), as the service lists banks.
    pub id: String,
    pub version: String,
    assets: HashMap<String, Vec<u8>>,
}

impl LoadedBank {
    pub fn asset(&self, path: &str) -> Option<&[u8]> {
        self.assets.get(path).map(Vec::as_slice)
    }
}

#[derive(serde::Deserialize)]
struct ManifestFiles {
    item_files: Vec<String>,
    #[serde(default)]
    id: String,
    #[serde(default)]
    version: String,
}

/// Validates a bank from its files; every problem is listed by `Bank::load`.
pub fn load(files: BankFiles) -> Result<LoadedBank, LoadError> {
    let mut by_path: HashMap<String, Vec<u8>> = files.into_iter().collect();
    let manifest_bytes = by_path.remove("bank.json").ok_or(LoadError::NoManifest)?;
    let manifest = String::from_utf8(manifest_bytes).map_err(|_| LoadError::NotText {
        path: "bank.json".into(),
    })?;
    let listed: ManifestFiles =
        serde_json::from_str(&manifest).map_err(|e| LoadError::Manifest(e.to_string()))?;
    let mut item_files = Vec::with_capacity(listed.item_files.len());
    for path in &listed.item_files {
        if let Some(bytes) = by_path.remove(path) {
            let text =
                String::from_utf8(bytes).map_err(|_| LoadError::NotText { path: path.clone() })?;
            item_files.push((path.clone(), text));
        }
    }
    let mut assets: Vec<(String, Vec<u8>)> = by_path.into_iter().collect();
    assets.sort_by(|a, b| a.0.cmp(&b.0));
    let sources = BankSources {
        manifest,
        item_files,
        assets,
    };
    let bank = Bank::load(&sources).map_err(LoadError::Invalid)?;
    Ok(LoadedBank {
        bank,
        id: listed.id,
        version: listed.version,
        assets: sources.assets.into_iter().collect(),
    })
}
