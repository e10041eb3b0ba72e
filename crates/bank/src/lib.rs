//! `certroom-bank`: the question bank as it travels and rests. A publisher's folder
//! ([`folder`]) is sealed into an encrypted, signed pack ([`pack`]); a lab PC or the central
//! service opens it with the session's key and loads it ([`load`]) into the validated bank the
//! engine draws from. In clear, a bank exists only in memory.

pub mod folder;
pub mod load;
pub mod pack;

pub use load::{load, LoadError, LoadedBank};
pub use pack::{PackError, PackKey};

/// The files of a bank folder: `(path relative to the folder with '/', bytes)`, sorted by path.
pub type BankFiles = Vec<(String, Vec<u8>)>;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{0}")]
    Pack(#[from] PackError),
    #[error("{0}")]
    Load(#[from] LoadError),
}

/// Opens a pack with the session's key (the invigilator's passphrase until the hub hands a key)
/// after checking it is signed by `publisher`, and loads the bank it holds.
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
    use std::path::Path;

    fn sample_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/bank/sample")
    }

    #[test]
    fn the_sample_bank_folder_loads_with_its_assets() {
        let files = folder::read_dir(&sample_dir()).unwrap();
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

    /// What `certroom bank check` prints of the sample bank, and a refused folder named in the
    /// error with the field at fault.
    #[test]
    fn a_publisher_reviews_a_folder_and_a_refused_one_is_named() {
        let (_, loaded) = folder::load_dir(&sample_dir()).unwrap();
        let summary = folder::summary(&loaded.bank);
        assert!(summary[0].starts_with(&format!("OK  {} questions", loaded.bank.len())));
        assert!(summary
            .last()
            .unwrap()
            .ends_with("conformes aux paramètres des questions"));

        let broken = tempfile_dir();
        std::fs::write(broken.join("bank.json"), r#"{"format":2}"#).unwrap();
        let Err(e) = folder::load_dir(&broken) else {
            panic!("a bank.json of format 2 was accepted")
        };
        let e = e.to_string();
        assert!(e.starts_with(&broken.display().to_string()), "{e}");
        assert!(e.contains("banque refusée"), "{e}");
        std::fs::remove_dir_all(&broken).unwrap();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "certroom-bank-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_pack_opens_only_with_the_right_key_and_publisher() {
        let files = folder::read_dir(&sample_dir()).unwrap();
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
