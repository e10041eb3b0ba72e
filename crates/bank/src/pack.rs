//! The question-bank pack: the bank folder sealed into one encrypted, publisher-signed file.
//!
//! Layout (integers big-endian), see docs/journal-format.md:
//!
//! ```text
//! 0   8  magic "CRBPACK\0"
//! 8   2  format version (1)
//! 10  1  key kind: 1 = random 256-bit session key, 2 = invigilator passphrase (PBKDF2)
//! 11  1  reserved, 0
//! 12 32  bank content hash (see bank_hash)
//! 44 16  key kind 1: key id = SHA-256("certroom-pack-key-id\0" ‖ key)[..16]; kind 2: salt
//! 60  4  PBKDF2-HMAC-SHA256 iterations (kind 2, ≥ 100 000), 0 for kind 1
//! 64 12  AES-256-GCM nonce
//! 76  8  ciphertext length (including the 16-byte tag)
//! 84  …  ciphertext of the file container, AAD = the 84 header bytes
//! end-64 Ed25519 signature over "certroom-pack-v1\0" ‖ header ‖ ciphertext
//! ```
//!
//! `open` checks the signature before anything else, so a tampered or foreign pack never reaches
//! the decryptor or the (slow) key derivation.

use std::fmt;
use std::num::NonZeroU32;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, UnparsedPublicKey, ED25519};
use ring::{pbkdf2, signature::KeyPair};
use zeroize::Zeroizing;

use certroom_core::hash::Hash;

const MAGIC: &[u8; 8] = b"CRBPACK\0";
const VERSION: u16 = 1;
const HEADER_LEN: usize = 84;
const SIG_LEN: usize = 64;
const TAG_LEN: usize = 16;
const SIGN_DOMAIN: &[u8] = b"certroom-pack-v1\0";
const KEY_ID_DOMAIN: &[u8] = b"certroom-pack-key-id\0";
const BANK_DOMAIN: &[u8] = b"certroom-bank-v1\0";
const KIND_SESSION: u8 = 1;
const KIND_PASSPHRASE: u8 = 2;

pub const MIN_PBKDF2_ITERATIONS: u32 = 100_000;
/// Refused above this: a forged header must not make a station spin for minutes.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
pub const DEFAULT_PBKDF2_ITERATIONS: u32 = 600_000;
const MAX_PATH_LEN: usize = 1024;

/// The decryption key of a pack. `Debug` never shows the secret.
pub enum PackKey {
    /// Random 256-bit key the room hub hands to the stations.
    Session([u8; 32]),
    /// Passphrase typed by the invigilator.
    Passphrase(String),
}

impl fmt::Debug for PackKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PackKey::Session(_) => f.write_str("PackKey::Session(<redacted>)"),
            PackKey::Passphrase(_) => f.write_str("PackKey::Passphrase(<redacted>)"),
        }
    }
}

impl Drop for PackKey {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        match self {
            PackKey::Session(k) => k.zeroize(),
            PackKey::Passphrase(p) => p.zeroize(),
        }
    }
}

pub fn generate_session_key() -> Result<[u8; 32], PackError> {
    let mut k = [0u8; 32];
    SystemRandom::new()
        .fill(&mut k)
        .map_err(|_| PackError::Random)?;
    Ok(k)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    #[error("paquet de questions illisible ({0}) / malformed bank pack")]
    Malformed(&'static str),
    #[error("version de paquet non prise en charge ({0}) / unsupported pack version")]
    UnsupportedVersion(u16),
    #[error("signature de l'éditeur invalide : paquet modifié ou d'une autre origine / publisher signature does not verify")]
    BadSignature,
    #[error("clé ou mot de passe incorrect / wrong key or passphrase")]
    WrongKey,
    #[error("ce paquet attend {0} / this pack needs another kind of key")]
    KeyKindMismatch(&'static str),
    #[error("dérivation de clé trop faible ou excessive ({0} itérations) / PBKDF2 iteration count out of bounds")]
    KdfIterations(u32),
    #[error(
        "le contenu ne correspond pas à l'empreinte de la banque / bank content hash mismatch"
    )]
    BankHashMismatch,
    #[error("chemin de fichier refusé : {0:?} / invalid file path")]
    InvalidPath(String),
    #[error("fichier en double : {0:?} / duplicate file path")]
    DuplicatePath(String),
    #[error("générateur aléatoire indisponible / system random generator failed")]
    Random,
    #[error("paquet trop grand / pack too large")]
    TooLarge,
}

/// The cleartext header, readable before the key is known (e.g. to check which bank it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackHeader {
    pub version: u16,
    pub bank_hash: Hash,
    pub key: KeyInfo,
    pub nonce: [u8; 12],
    pub ciphertext_len: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyInfo {
    Session { key_id: [u8; 16] },
    Passphrase { salt: [u8; 16], iterations: u32 },
}

fn validate_path(p: &str) -> Result<(), PackError> {
    let bad = p.is_empty()
        || p.len() > MAX_PATH_LEN
        || p.starts_with('/')
        || p.contains('\\')
        || p.contains('\0')
        || p.contains(':')
        || p.split('/').any(|c| c.is_empty() || c == "." || c == "..");
    if bad {
        Err(PackError::InvalidPath(p.chars().take(80).collect()))
    } else {
        Ok(())
    }
}

/// Sorted, validated container bytes: u32 count, then per file u32 path length, path, u64 data
/// length, data.
fn container(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, PackError> {
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    for w in sorted.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(PackError::DuplicatePath(w[0].0.clone()));
        }
    }
    let total: usize = sorted.iter().map(|(p, d)| 12 + p.len() + d.len()).sum();
    let mut out = Vec::with_capacity(4 + total);
    out.extend_from_slice(
        &u32::try_from(sorted.len())
            .map_err(|_| PackError::TooLarge)?
            .to_be_bytes(),
    );
    for (path, data) in sorted {
        validate_path(path)?;
        out.extend_from_slice(&(path.len() as u32).to_be_bytes());
        out.extend_from_slice(path.as_bytes());
        out.extend_from_slice(&(data.len() as u64).to_be_bytes());
        out.extend_from_slice(data);
    }
    Ok(out)
}

fn parse_container(mut b: &[u8]) -> Result<Vec<(String, Vec<u8>)>, PackError> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> Result<&'a [u8], PackError> {
        if b.len() < n {
            return Err(PackError::Malformed("truncated container"));
        }
        let (h, t) = b.split_at(n);
        *b = t;
        Ok(h)
    }
    let be32 = |s: &[u8]| u32::from_be_bytes([s[0], s[1], s[2], s[3]]);
    let count = be32(take(&mut b, 4)?);
    let mut files = Vec::new();
    for _ in 0..count {
        let plen = be32(take(&mut b, 4)?) as usize;
        let path = std::str::from_utf8(take(&mut b, plen)?)
            .map_err(|_| PackError::Malformed("path is not UTF-8"))?
            .to_string();
        validate_path(&path)?;
        let l = take(&mut b, 8)?;
        let dlen = usize::try_from(u64::from_be_bytes([
            l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7],
        ]))
        .map_err(|_| PackError::TooLarge)?;
        files.push((path, take(&mut b, dlen)?.to_vec()));
    }
    if !b.is_empty() {
        return Err(PackError::Malformed("trailing bytes in container"));
    }
    Ok(files)
}

/// Content hash of a bank folder: independent of file order, covers paths and contents. This is
/// the `bank_hash` a test header records.
pub fn bank_hash(files: &[(String, Vec<u8>)]) -> Result<Hash, PackError> {
    Ok(Hash::of(&[BANK_DOMAIN, &container(files)?]))
}

fn key_id(key: &[u8; 32]) -> [u8; 16] {
    let h = Hash::of(&[KEY_ID_DOMAIN, key]);
    let mut id = [0u8; 16];
    id.copy_from_slice(&h.0[..16]);
    id
}

fn derive(pass: &str, salt: &[u8; 16], iterations: u32) -> Result<Zeroizing<[u8; 32]>, PackError> {
    if !(MIN_PBKDF2_ITERATIONS..=MAX_PBKDF2_ITERATIONS).contains(&iterations) {
        return Err(PackError::KdfIterations(iterations));
    }
    let n = NonZeroU32::new(iterations).ok_or(PackError::KdfIterations(iterations))?;
    let mut out = Zeroizing::new([0u8; 32]);
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        n,
        salt,
        pass.as_bytes(),
        &mut out[..],
    );
    Ok(out)
}

/// Seals `files` with the default PBKDF2 cost for passphrase keys.
pub fn seal(
    files: &[(String, Vec<u8>)],
    key: &PackKey,
    publisher: &Ed25519KeyPair,
) -> Result<Vec<u8>, PackError> {
    seal_with(files, key, publisher, DEFAULT_PBKDF2_ITERATIONS)
}

pub fn seal_with(
    files: &[(String, Vec<u8>)],
    key: &PackKey,
    publisher: &Ed25519KeyPair,
    pbkdf2_iterations: u32,
) -> Result<Vec<u8>, PackError> {
    let rng = SystemRandom::new();
    let mut plain = container(files)?;
    let bank = Hash::of(&[BANK_DOMAIN, &plain]);
    let mut nonce = [0u8; 12];
    rng.fill(&mut nonce).map_err(|_| PackError::Random)?;
    let (kind, info, iterations, aes) = match key {
        PackKey::Session(k) => (KIND_SESSION, key_id(k), 0, Zeroizing::new(*k)),
        PackKey::Passphrase(p) => {
            let mut salt = [0u8; 16];
            rng.fill(&mut salt).map_err(|_| PackError::Random)?;
            (
                KIND_PASSPHRASE,
                salt,
                pbkdf2_iterations,
                derive(p, &salt, pbkdf2_iterations)?,
            )
        }
    };
    let ct_len = (plain.len() + TAG_LEN) as u64;
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&VERSION.to_be_bytes());
    header.push(kind);
    header.push(0);
    header.extend_from_slice(&bank.0);
    header.extend_from_slice(&info);
    header.extend_from_slice(&iterations.to_be_bytes());
    header.extend_from_slice(&nonce);
    header.extend_from_slice(&ct_len.to_be_bytes());
    debug_assert_eq!(header.len(), HEADER_LEN);

    let sealing =
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &aes[..]).map_err(|_| PackError::WrongKey)?);
    // The nonce is random and the key is either fresh per session or derived with a fresh salt,
    // so a (key, nonce) pair is never reused.
    sealing
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&header[..]),
            &mut plain,
        )
        .map_err(|_| PackError::TooLarge)?;
    let mut out = header;
    out.extend_from_slice(&plain);
    let sig = publisher.sign(&[SIGN_DOMAIN, &out].concat());
    out.extend_from_slice(sig.as_ref());
    Ok(out)
}

pub fn read_header(pack: &[u8]) -> Result<PackHeader, PackError> {
    if pack.len() < HEADER_LEN + TAG_LEN + SIG_LEN {
        return Err(PackError::Malformed("too short"));
    }
    let h = &pack[..HEADER_LEN];
    if &h[..8] != MAGIC {
        return Err(PackError::Malformed("not a certroom bank pack"));
    }
    let version = u16::from_be_bytes([h[8], h[9]]);
    if version != VERSION {
        return Err(PackError::UnsupportedVersion(version));
    }
    if h[11] != 0 {
        return Err(PackError::Malformed("reserved byte"));
    }
    let mut bank = [0u8; 32];
    bank.copy_from_slice(&h[12..44]);
    let mut info = [0u8; 16];
    info.copy_from_slice(&h[44..60]);
    let iterations = u32::from_be_bytes([h[60], h[61], h[62], h[63]]);
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&h[64..76]);
    let mut l = [0u8; 8];
    l.copy_from_slice(&h[76..84]);
    let ciphertext_len = u64::from_be_bytes(l);
    if Some(ciphertext_len) != u64::try_from(pack.len() - HEADER_LEN - SIG_LEN).ok() {
        return Err(PackError::Malformed("length field"));
    }
    let key = match (h[10], iterations) {
        (KIND_SESSION, 0) => KeyInfo::Session { key_id: info },
        (KIND_PASSPHRASE, n) => KeyInfo::Passphrase {
            salt: info,
            iterations: n,
        },
        _ => return Err(PackError::Malformed("key kind")),
    };
    Ok(PackHeader {
        version,
        bank_hash: Hash(bank),
        key,
        nonce,
        ciphertext_len,
    })
}

/// Reads the header and verifies the publisher's signature over the whole pack, without the
/// key: what a PC checks before it keeps a pack it was sent.
pub fn check_signature(
    pack: &[u8],
    publisher_public_key: &[u8; 32],
) -> Result<PackHeader, PackError> {
    let header = read_header(pack)?;
    let (signed, sig) = pack.split_at(pack.len() - SIG_LEN);
    UnparsedPublicKey::new(&ED25519, publisher_public_key)
        .verify(&[SIGN_DOMAIN, signed].concat(), sig)
        .map_err(|_| PackError::BadSignature)?;
    Ok(header)
}

/// Verifies the publisher's signature, then decrypts and checks the bank hash.
pub fn open(
    pack: &[u8],
    key: &PackKey,
    publisher_public_key: &[u8; 32],
) -> Result<Vec<(String, Vec<u8>)>, PackError> {
    let header = check_signature(pack, publisher_public_key)?;
    parse_container(&decrypt(pack, &header, key)?)
}

/// Whether `key` opens the pack (its bank hash checked), whoever signed it: what the console
/// checks before it offers the room a pack, so a pack of another session is caught there.
pub fn opens_with(pack: &[u8], key: &PackKey) -> Result<(), PackError> {
    let header = read_header(pack)?;
    decrypt(pack, &header, key).map(drop)
}

fn decrypt(pack: &[u8], header: &PackHeader, key: &PackKey) -> Result<Vec<u8>, PackError> {
    let signed = &pack[..pack.len() - SIG_LEN];
    let aes = match (&header.key, key) {
        (KeyInfo::Session { key_id: id }, PackKey::Session(k)) => {
            if key_id(k) != *id {
                return Err(PackError::WrongKey);
            }
            Zeroizing::new(*k)
        }
        (KeyInfo::Passphrase { salt, iterations }, PackKey::Passphrase(p)) => {
            derive(p, salt, *iterations)?
        }
        (KeyInfo::Session { .. }, _) => {
            return Err(PackError::KeyKindMismatch(
                "une clé de session / a session key",
            ))
        }
        (KeyInfo::Passphrase { .. }, _) => {
            return Err(PackError::KeyKindMismatch("un mot de passe / a passphrase"))
        }
    };
    let opening =
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &aes[..]).map_err(|_| PackError::WrongKey)?);
    let mut buf = signed[HEADER_LEN..].to_vec();
    let plain = opening
        .open_in_place(
            Nonce::assume_unique_for_key(header.nonce),
            Aad::from(&signed[..HEADER_LEN]),
            &mut buf,
        )
        .map_err(|_| PackError::WrongKey)?;
    if Hash::of(&[BANK_DOMAIN, plain]) != header.bank_hash {
        return Err(PackError::BankHashMismatch);
    }
    // The plaintext is the start of the buffer, the tag after it.
    let len = plain.len();
    buf.truncate(len);
    Ok(buf)
}

/// Public key of a publisher key pair, as `open` expects it.
pub fn publisher_public_key(publisher: &Ed25519KeyPair) -> [u8; 32] {
    let mut k = [0u8; 32];
    k.copy_from_slice(publisher.public_key().as_ref());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publisher() -> Ed25519KeyPair {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap()
    }

    const SECRET: &str = "SOLUTION-Réponse-secrète-42";

    fn files() -> Vec<(String, Vec<u8>)> {
        vec![
            (
                "items/q2.json".into(),
                format!(r#"{{"solution":"{SECRET}"}}"#).into_bytes(),
            ),
            ("bank.json".into(), br#"{"version":1}"#.to_vec()),
            ("media/img.png".into(), vec![0u8, 1, 2, 255]),
        ]
    }

    fn sorted(mut f: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
        f.sort();
        f
    }

    #[test]
    fn session_key_round_trip_and_refusals() {
        let p = publisher();
        let pk = publisher_public_key(&p);
        let k = generate_session_key().unwrap();
        let sealed = seal(&files(), &PackKey::Session(k), &p).unwrap();
        assert_eq!(
            open(&sealed, &PackKey::Session(k), &pk).unwrap(),
            sorted(files())
        );
        assert_eq!(
            read_header(&sealed).unwrap().bank_hash,
            bank_hash(&files()).unwrap()
        );

        let mut other = k;
        other[0] ^= 1;
        assert_eq!(
            open(&sealed, &PackKey::Session(other), &pk),
            Err(PackError::WrongKey)
        );
        assert!(matches!(
            open(&sealed, &PackKey::Passphrase("x".into()), &pk),
            Err(PackError::KeyKindMismatch(_))
        ));
        let stranger = publisher_public_key(&publisher());
        assert_eq!(
            open(&sealed, &PackKey::Session(k), &stranger),
            Err(PackError::BadSignature)
        );
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 0x01;
            assert!(
                open(&t, &PackKey::Session(k), &pk).is_err(),
                "flip at byte {i} accepted"
            );
        }
        assert!(open(&sealed[..sealed.len() - 1], &PackKey::Session(k), &pk).is_err());
        assert!(open(&[], &PackKey::Session(k), &pk).is_err());
    }

    #[test]
    fn passphrase_round_trip_wrong_passphrase_and_kdf_bounds() {
        let p = publisher();
        let pk = publisher_public_key(&p);
        let pass = || PackKey::Passphrase("correct horse battery staple".into());
        let sealed = seal_with(&files(), &pass(), &p, MIN_PBKDF2_ITERATIONS).unwrap();
        match read_header(&sealed).unwrap().key {
            KeyInfo::Passphrase { iterations, .. } => assert_eq!(iterations, MIN_PBKDF2_ITERATIONS),
            k => panic!("{k:?}"),
        }
        assert_eq!(open(&sealed, &pass(), &pk).unwrap(), sorted(files()));
        assert_eq!(
            open(&sealed, &PackKey::Passphrase("wrong".into()), &pk),
            Err(PackError::WrongKey)
        );
        assert_eq!(
            seal_with(&files(), &pass(), &p, 1000),
            Err(PackError::KdfIterations(1000))
        );
    }

    #[test]
    fn sealed_bytes_hide_solutions_and_paths() {
        let p = publisher();
        for key in [
            PackKey::Session(generate_session_key().unwrap()),
            PackKey::Passphrase("pw".into()),
        ] {
            let sealed = seal_with(&files(), &key, &p, MIN_PBKDF2_ITERATIONS).unwrap();
            for needle in [SECRET.as_bytes(), b"solution", b"items/q2.json"] {
                assert!(!sealed.windows(needle.len()).any(|w| w == needle));
            }
        }
    }

    #[test]
    fn bad_paths_and_duplicates_are_refused() {
        let p = publisher();
        let k = PackKey::Session([7; 32]);
        for bad in ["", "/etc/passwd", "a/../b", "a//b", "c:\\x", "./a", "a\\b"] {
            let f = vec![(bad.to_string(), vec![])];
            assert!(
                matches!(seal(&f, &k, &p), Err(PackError::InvalidPath(_))),
                "{bad}"
            );
        }
        let dup = vec![("a".to_string(), vec![1]), ("a".to_string(), vec![2])];
        assert_eq!(
            seal(&dup, &k, &p),
            Err(PackError::DuplicatePath("a".into()))
        );
        assert_eq!(format!("{k:?}"), "PackKey::Session(<redacted>)");
    }
}
