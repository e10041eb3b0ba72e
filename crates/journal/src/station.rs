//! The station's Ed25519 identity and the signed chain head.
//!
//! Each kiosk PC holds one key pair. When a test ends the station signs the head of that test's
//! chain: whoever later holds the journal file can then no longer cut records off its tail or
//! rewrite the whole chain without the signature failing. Trust in the station key itself comes
//! from outside (the room hub registers it); `verify_head_pinned` checks against that list.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use serde_json::json;
use zeroize::Zeroize;

use crate::record::TestHeader;
use certroom_core::canonical;
use certroom_core::hash::{from_hex, to_hex, Hash};
use certroom_core::signature::Signed;

const HEAD_DOMAIN: &[u8] = b"certroom-signed-head-v1\0";
/// A PKCS#8 Ed25519 document is ~85 bytes; anything much larger is not our key file.
const MAX_KEY_FILE: u64 = 4096;

#[derive(Debug, thiserror::Error)]
pub enum StationError {
    #[error("clé de station illisible ({path}) / station key unreadable: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "le fichier de clé de station {path} est accessible à d'autres utilisateurs (mode {mode:o}) ; \
         corriger avec chmod 600 / station key file is readable by group or others"
    )]
    InsecurePermissions { path: PathBuf, mode: u32 },
    #[error("le fichier de clé de station {0} n'est pas un fichier ordinaire / station key is not a regular file")]
    NotAFile(PathBuf),
    #[error("le fichier de clé de station {0} est invalide / station key file is not a valid Ed25519 PKCS#8 key")]
    InvalidKey(PathBuf),
    #[error("impossible de générer la clé de station / could not generate the station key")]
    Generate,
}

/// The station's signing key. Deliberately neither `Clone` nor a `Debug` that shows the secret.
pub struct StationKey {
    pair: Ed25519KeyPair,
}

impl fmt::Debug for StationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StationKey")
            .field("public_key", &self.public_key_hex())
            .finish_non_exhaustive()
    }
}

impl StationKey {
    /// Loads the key at `path`, creating it on first launch.
    pub fn load_or_create(path: &Path) -> Result<Self, StationError> {
        match fs::symlink_metadata(path) {
            Ok(_) => Self::load(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::create(path),
            Err(source) => Err(StationError::Io {
                path: path.into(),
                source,
            }),
        }
    }

    pub fn load(path: &Path) -> Result<Self, StationError> {
        let io = |source| StationError::Io {
            path: path.into(),
            source,
        };
        let meta = fs::symlink_metadata(path).map_err(io)?;
        if !meta.file_type().is_file() || meta.len() > MAX_KEY_FILE {
            return Err(StationError::NotAFile(path.into()));
        }
        check_private(path, &meta)?;
        let mut buf = Vec::with_capacity(128);
        fs::File::open(path)
            .and_then(|f| f.take(MAX_KEY_FILE).read_to_end(&mut buf))
            .map_err(io)?;
        let pair = Ed25519KeyPair::from_pkcs8(&buf);
        buf.zeroize();
        pair.map(|pair| StationKey { pair })
            .map_err(|_| StationError::InvalidKey(path.into()))
    }

    /// Writes the new key to a private temporary file, fsyncs it, then hard-links it into place:
    /// the key file either does not exist or is complete, and two processes racing on first
    /// launch end up with the same key (the loser of the link loads the winner's).
    fn create(path: &Path) -> Result<Self, StationError> {
        let io = |source| StationError::Io {
            path: path.into(),
            source,
        };
        let rng = SystemRandom::new();
        let mut doc = Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| StationError::Generate)?
            .as_ref()
            .to_vec();
        let tmp = tmp_path(path);
        let written = (|| {
            let mut f = private_create_new(&tmp)?;
            f.write_all(&doc)?;
            f.sync_all()
        })();
        doc.zeroize();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io(e));
        }
        let linked = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => sync_parent(path).map_err(io)?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
        Self::load(path)
    }

    /// For signing what the station vouches for besides chain heads (bank packs, bundles).
    pub fn key_pair(&self) -> &Ed25519KeyPair {
        &self.pair
    }

    /// The key pair alone, for a signer that outlives this value (the hub connection).
    pub fn into_key_pair(self) -> Ed25519KeyPair {
        self.pair
    }

    pub fn public_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.pair.public_key().as_ref());
        out
    }

    pub fn public_key_hex(&self) -> String {
        to_hex(&self.public_key())
    }

    /// Signs the head `(seq, hash)` of the test described by `header`.
    pub fn sign_head(&self, header: &TestHeader, seq: u64, hash: Hash) -> SignedHead {
        let mut head = SignedHead {
            test_id: header.test_id.clone(),
            session_id: header.session_id.clone(),
            candidate_id: header.candidate_id.clone(),
            seq,
            hash,
            bank_hash: header.bank_hash,
            station_public_key: self.public_key_hex(),
            signature: String::new(),
        };
        // Only fails on values nested beyond MAX_DEPTH; a head is flat.
        let body = head.signed_body().unwrap_or_default();
        let sig = self.pair.sign(&[HEAD_DOMAIN, &body].concat());
        head.signature = to_hex(sig.as_ref());
        head
    }
}

#[cfg(unix)]
fn private_create_new(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

// TODO(windows): restrict the ACL to the kiosk account; until then the key relies on the
// profile directory's ACL.
#[cfg(not(unix))]
fn private_create_new(path: &Path) -> std::io::Result<fs::File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &fs::Metadata) -> Result<(), StationError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(StationError::InsecurePermissions {
            path: path.into(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &fs::Metadata) -> Result<(), StationError> {
    Ok(())
}

fn tmp_path(path: &Path) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp.{}.{}", std::process::id(), nanos));
    path.with_file_name(name)
}

/// Makes a new directory entry durable: without it a power cut can leave the key file's data
/// on disk but its name gone.
pub(crate) fn sync_parent(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The station's signature over the last record of an ended test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedHead {
    pub test_id: String,
    pub session_id: String,
    pub candidate_id: String,
    pub seq: u64,
    pub hash: Hash,
    pub bank_hash: Hash,
    /// Hex of the 32-byte Ed25519 public key.
    pub station_public_key: String,
    /// Hex of the 64-byte Ed25519 signature over `"certroom-signed-head-v1\0" ‖ signed_body()`.
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    #[error("tête signée illisible / malformed signed head: {0}")]
    Malformed(&'static str),
    #[error("signature de la station invalide / station signature does not verify")]
    BadSignature,
    #[error("clé de station inconnue / station key is not in the trusted list")]
    UntrustedStation,
}

impl SignedHead {
    /// The canonical bytes that are signed (after the domain prefix) and stored in `heads.body`.
    pub fn signed_body(&self) -> Result<Vec<u8>, canonical::CanonicalError> {
        canonical::to_bytes(&json!({
            "v": 1,
            "test_id": self.test_id,
            "session_id": self.session_id,
            "candidate_id": self.candidate_id,
            "seq": self.seq,
            "hash": self.hash.to_hex(),
            "bank_hash": self.bank_hash.to_hex(),
            "station_public_key": self.station_public_key,
        }))
    }

    /// Rebuilds a head from the stored bytes; refuses bytes that are not exactly what
    /// `signed_body` would produce, so the signature is checked over the stored bytes.
    pub fn from_stored(body: &[u8], signature: &[u8]) -> Result<Self, HeadError> {
        if !canonical::is_canonical(body) {
            return Err(HeadError::Malformed("body is not canonical JSON"));
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Stored {
            v: u64,
            test_id: String,
            session_id: String,
            candidate_id: String,
            seq: u64,
            hash: Hash,
            bank_hash: Hash,
            station_public_key: String,
        }
        let s: Stored =
            serde_json::from_slice(body).map_err(|_| HeadError::Malformed("unreadable body"))?;
        if s.v != 1 {
            return Err(HeadError::Malformed("unknown head version"));
        }
        let head = SignedHead {
            test_id: s.test_id,
            session_id: s.session_id,
            candidate_id: s.candidate_id,
            seq: s.seq,
            hash: s.hash,
            bank_hash: s.bank_hash,
            station_public_key: s.station_public_key,
            signature: to_hex(signature),
        };
        if head.signed_body().ok().as_deref() != Some(body) {
            return Err(HeadError::Malformed("body does not match its fields"));
        }
        Ok(head)
    }

    /// The station's key, the message it signed (domain and body) and the signature, read for
    /// a check: [`verify_head`] checks them at once, the central service in a batch.
    pub fn signed_parts(&self) -> Result<Signed, HeadError> {
        let pk = self
            .public_key_bytes()
            .ok_or(HeadError::Malformed("station_public_key"))?;
        let sig = from_hex(&self.signature)
            .and_then(|s| <[u8; 64]>::try_from(s).ok())
            .ok_or(HeadError::Malformed("signature"))?;
        let body = self
            .signed_body()
            .map_err(|_| HeadError::Malformed("body"))?;
        Ok(Self::signed_stored(pk, &body, sig))
    }

    /// What a station signed for a head stored as `body`, for a check over those very bytes:
    /// a reader that has them ([`Self::from_stored`] found them to be the head's) need not
    /// write them again, as [`Self::signed_parts`] does from the fields.
    pub fn signed_stored(public_key: [u8; 32], body: &[u8], signature: [u8; 64]) -> Signed {
        Signed {
            public_key,
            message: [HEAD_DOMAIN, body].concat(),
            signature,
        }
    }

    pub fn public_key_bytes(&self) -> Option<[u8; 32]> {
        from_hex(&self.station_public_key).and_then(|v| v.try_into().ok())
    }
}

/// Checks that the head is signed by the key it names. This proves integrity, not origin: use
/// [`verify_head_pinned`] where the list of registered station keys is known.
pub fn verify_head(head: &SignedHead) -> Result<(), HeadError> {
    if head.signed_parts()?.verify_alone() {
        Ok(())
    } else {
        Err(HeadError::BadSignature)
    }
}

pub fn verify_head_pinned(head: &SignedHead, trusted: &[[u8; 32]]) -> Result<(), HeadError> {
    verify_head(head)?;
    match head.public_key_bytes() {
        Some(pk) if trusted.contains(&pk) => Ok(()),
        _ => Err(HeadError::UntrustedStation),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> TestHeader {
        TestHeader::new("T1", "S1", "C1", 7, "e1", Hash::of(&[b"bank"]))
    }

    #[test]
    fn create_load_sign_verify() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("station.key");
        let k = StationKey::load_or_create(&p).unwrap();
        let k2 = StationKey::load_or_create(&p).unwrap();
        assert_eq!(k.public_key(), k2.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let dbg = format!("{k:?}");
        assert!(dbg.contains(&k.public_key_hex()));
        // PKCS#8 v2 Ed25519: the 32-byte seed sits at offset 16.
        let doc = fs::read(&p).unwrap();
        assert!(!dbg.contains(&to_hex(&doc[16..48])));

        let h = k.sign_head(&header(), 12, Hash::of(&[b"x"]));
        verify_head(&h).unwrap();
        verify_head_pinned(&h, &[k.public_key()]).unwrap();
        assert_eq!(
            verify_head_pinned(&h, &[[0u8; 32]]),
            Err(HeadError::UntrustedStation)
        );
        let mut forged = h.clone();
        forged.seq = 11;
        assert_eq!(verify_head(&forged), Err(HeadError::BadSignature));
        let body = h.signed_body().unwrap();
        let sig = from_hex(&h.signature).unwrap();
        assert_eq!(SignedHead::from_stored(&body, &sig).unwrap(), h);
        // Read from its stored bytes, the head is checked over the same message as from its fields.
        let stored = SignedHead::signed_stored(k.public_key(), &body, sig.try_into().unwrap());
        assert_eq!(stored, h.signed_parts().unwrap());
        assert!(stored.verify_alone());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_key_readable_by_others() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("station.key");
        StationKey::load_or_create(&p).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        assert!(matches!(
            StationKey::load_or_create(&p),
            Err(StationError::InsecurePermissions { mode: 0o640, .. })
        ));
    }

    #[test]
    fn refuses_garbage_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("station.key");
        private_create_new(&p)
            .unwrap()
            .write_all(b"not a key")
            .unwrap();
        assert!(matches!(
            StationKey::load(&p),
            Err(StationError::InvalidKey(_))
        ));
    }
}
