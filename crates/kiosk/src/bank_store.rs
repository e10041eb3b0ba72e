//! The question bank on a lab PC: travels and rests as an encrypted, signed pack; exists in
//! clear only in memory, for the session, once the invigilator's key opened it.

use certroom_core::bank::{Bank, BankErrors, BankSources};
use certroom_journal::pack::{self, PackError, PackKey};
use std::collections::HashMap;
use std::path::Path;

/// The files of a bank folder: `(path relative to the folder with '/', bytes)`, sorted by path.
pub type BankFiles = Vec<(String, Vec<u8>)>;

const MAX_BANK_FILES: usize = 10_000;

/// Reads a bank folder (`bank.json`, `items/`, `attachments/`, `illustrations/`).
pub fn read_dir(dir: &Path) -> std::io::Result<BankFiles> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            let kind = entry.file_type()?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                let rel = path.strip_prefix(dir).map_err(std::io::Error::other)?;
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                files.push((rel.join("/"), std::fs::read(&path)?));
                if files.len() > MAX_BANK_FILES {
                    return Err(std::io::Error::other("too many files in the bank folder"));
                }
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

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

/// A bank ready for a sitting: the validated items and the files candidates may open.
pub struct LoadedBank {
    pub bank: Bank,
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
        assets: sources.assets.into_iter().collect(),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{0}")]
    Pack(#[from] PackError),
    #[error("{0}")]
    Load(#[from] LoadError),
}

/// Opens a pack with the session's key (the invigilator's passphrase until the hub hands a key).
pub fn open_pack(
    pack_bytes: &[u8],
    key: &PackKey,
    publisher: &[u8; 32],
) -> Result<LoadedBank, OpenError> {
    let files = pack::open(pack_bytes, key, publisher)?;
    Ok(load(files)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/bank/sample")
    }

    #[test]
    fn the_sample_bank_folder_loads_with_its_assets() {
        let files = read_dir(&sample_dir()).unwrap();
        assert!(files.iter().any(|(p, _)| p == "items/1-information.json"));
        let loaded = load(files).unwrap();
        assert!(loaded.bank.len() >= 96);
        let with_attachment = loaded
            .bank
            .items()
            .iter()
            .find(|i| !i.attachments.is_empty())
            .unwrap();
        assert!(loaded.asset(&with_attachment.attachments[0].src).is_some());
    }

    #[test]
    fn a_pack_opens_only_with_the_right_key_and_publisher() {
        let files = read_dir(&sample_dir()).unwrap();
        let publisher = ring::signature::Ed25519KeyPair::from_pkcs8(
            ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
                .unwrap()
                .as_ref(),
        )
        .unwrap();
        let public = pack::publisher_public_key(&publisher);
        let sealed = pack::seal_with(
            &files,
            &PackKey::Passphrase("salle-B12".into()),
            &publisher,
            pack::MIN_PBKDF2_ITERATIONS,
        )
        .unwrap();
        assert!(open_pack(&sealed, &PackKey::Passphrase("salle-B12".into()), &public).is_ok());
        assert!(matches!(
            open_pack(&sealed, &PackKey::Passphrase("salle-B13".into()), &public),
            Err(OpenError::Pack(_))
        ));
        let other = [7u8; 32];
        assert!(open_pack(&sealed, &PackKey::Passphrase("salle-B12".into()), &other).is_err());
    }

    #[test]
    fn a_pack_without_manifest_is_refused() {
        assert!(matches!(
            load(vec![("items/x.json".into(), b"[]".to_vec())]),
            Err(LoadError::NoManifest)
        ));
    }
}
