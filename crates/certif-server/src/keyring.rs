//! The service's signing keys on disk (docs/certificate-format.md §10): `server.key` is key 1,
//! `server-key-N.key` key N, and `keys.json` the published key set, signed by its newest key.
//! A running service reads them once at start; `certif-server keys rotate|revoke` changes them
//! while it is stopped (or before it is restarted).

use std::path::{Path, PathBuf};

use certroom_certificate::keys::{KeyError, KeySet};
use certroom_durable::{write_atomically, Access};
use certroom_journal::StationKey;
use ring::signature::Ed25519KeyPair;

pub const KEY_FILE: &str = "server.key";
pub const KEY_SET_FILE: &str = "keys.json";

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("clé du serveur : {0}")]
    Key(#[from] certroom_journal::StationError),
    #[error("{}: {} / {}", KEY_SET_FILE, .0.message_fr(), .0.message_en())]
    Set(#[from] KeyError),
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(
        "{KEY_SET_FILE} : la clé n° {0} ne correspond pas à son fichier / key {0} does not match its file"
    )]
    Mismatch(u16),
    #[error(
        "la clé n° {0} est celle qui signe : faites d'abord `certif-server keys rotate`, puis \
         révoquez-la / key {0} is the one signing: rotate first, then revoke it"
    )]
    RevokeCurrent(u16),
}

/// Where key `id`'s private half lives.
pub fn key_path(data_dir: &Path, id: u16) -> PathBuf {
    if id == 1 {
        data_dir.join(KEY_FILE)
    } else {
        data_dir.join(format!("server-key-{id}.key"))
    }
}

/// The key set and the private key of its newest key.
pub struct Keyring {
    pub set: KeySet,
    pub current: Ed25519KeyPair,
    pub current_id: u16,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyringError + '_ {
    move |error| KeyringError::Io {
        path: path.to_owned(),
        error,
    }
}

fn save(data_dir: &Path, set: &KeySet) -> Result<(), KeyringError> {
    let path = data_dir.join(KEY_SET_FILE);
    let json = serde_json::to_vec_pretty(set).unwrap_or_default();
    write_atomically(&path, &json, Access::Shared).map_err(io(&path))
}

fn open_key(data_dir: &Path, set: &KeySet, id: u16) -> Result<Ed25519KeyPair, KeyringError> {
    let key = StationKey::load_or_create(&key_path(data_dir, id))?.into_key_pair();
    use ring::signature::KeyPair;
    if set.public_key(id).as_ref().map(|k| &k[..]) != Some(key.public_key().as_ref()) {
        return Err(KeyringError::Mismatch(id));
    }
    Ok(key)
}

/// Loads the keys, creating key 1 and the set on first start (a data folder from before keys
/// were numbered gets its `server.key` as key 1).
pub fn load_or_create(data_dir: &Path) -> Result<Keyring, KeyringError> {
    let path = data_dir.join(KEY_SET_FILE);
    let set = match std::fs::read(&path) {
        Ok(bytes) => {
            let set: KeySet =
                serde_json::from_slice(&bytes).map_err(|e| KeyError::Malformed(e.to_string()))?;
            set.check()?;
            set
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let first = StationKey::load_or_create(&key_path(data_dir, 1))?.into_key_pair();
            let set = KeySet::first(&first, &crate::now());
            save(data_dir, &set)?;
            set
        }
        Err(e) => return Err(io(&path)(e)),
    };
    let current_id = set.newest()?.id;
    let current = open_key(data_dir, &set, current_id)?;
    Ok(Keyring {
        set,
        current,
        current_id,
    })
}

/// Makes key N+1, endorsed by key N, and makes it the one that signs.
pub fn rotate(data_dir: &Path) -> Result<Keyring, KeyringError> {
    let ring = load_or_create(data_dir)?;
    let id = ring.current_id.saturating_add(1);
    // A key file left by a rotation interrupted before the set was saved is simply reused.
    let next = StationKey::load_or_create(&key_path(data_dir, id))?.into_key_pair();
    let set = ring.set.rotate(&ring.current, &next, &crate::now())?;
    save(data_dir, &set)?;
    Ok(Keyring {
        set,
        current: next,
        current_id: id,
    })
}

/// Marks key `id` revoked now. Its private file is kept: the service needs no more than its
/// public half (to re-sign what it signed), and deleting is the operator's decision.
pub fn revoke(data_dir: &Path, id: u16, reason: &str) -> Result<Keyring, KeyringError> {
    let ring = load_or_create(data_dir)?;
    if id == ring.current_id {
        return Err(KeyringError::RevokeCurrent(id));
    }
    let set = ring.set.revoke(&ring.current, id, &crate::now(), reason)?;
    save(data_dir, &set)?;
    Ok(Keyring { set, ..ring })
}

#[cfg(test)]
mod tests {
    use super::*;
    use certroom_certificate::ServiceKeys;

    #[test]
    fn a_folder_rotates_and_revokes_and_a_client_follows() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(dir.path()).unwrap();
        assert_eq!(first.current_id, 1);
        assert!(dir.path().join(KEY_FILE).exists());
        let pinned = first.set.public_key(1).unwrap();
        // A second start reads the same key.
        assert_eq!(load_or_create(dir.path()).unwrap().set, first.set);

        let second = rotate(dir.path()).unwrap();
        assert_eq!(second.current_id, 2);
        assert!(key_path(dir.path(), 2).exists());
        assert_eq!(load_or_create(dir.path()).unwrap().current_id, 2);

        assert!(matches!(
            revoke(dir.path(), 2, "x"),
            Err(KeyringError::RevokeCurrent(2))
        ));
        assert!(matches!(
            revoke(dir.path(), 7, "x"),
            Err(KeyringError::Set(KeyError::Unknown(7)))
        ));
        let revoked = revoke(dir.path(), 1, "fuite").unwrap();
        let mut client = ServiceKeys::from(pinned);
        client.accept(first.set).unwrap();
        assert_eq!(client.accept(revoked.set), Ok(true));
        assert!(matches!(
            client.key(1),
            Err(KeyError::Revoked { id: 1, .. })
        ));
        assert!(client.key(2).is_ok());

        // A key file swapped behind the set's back is refused at start.
        std::fs::remove_file(key_path(dir.path(), 2)).unwrap();
        assert!(matches!(
            load_or_create(dir.path()),
            Err(KeyringError::Mismatch(2))
        ));
    }
}
