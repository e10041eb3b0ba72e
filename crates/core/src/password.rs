//! Secrets typed by people (centre administrator password, invigilator exit code), stored only as
//! salted PBKDF2-HMAC-SHA256 digests so a stolen disk does not reveal them. The salt's randomness
//! is passed in, like every other source of randomness in this crate.

use ring::rand::SecureRandom;
use std::num::NonZeroU32;

const ALGORITHM: ring::pbkdf2::Algorithm = ring::pbkdf2::PBKDF2_HMAC_SHA256;
/// High enough to slow offline guessing of a stolen digest, low enough for a lab PC to check a
/// code in well under a second.
pub const DEFAULT_ITERATIONS: u32 = 150_000;
const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;
const PREFIX: &str = "pbkdf2-sha256";

/// A stored digest: `pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>`.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(…)")
    }
}

/// Why a digest could not be made or read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    /// Not a digest in our format.
    #[error("stored password digest is malformed")]
    Malformed,
    /// The random generator given for the salt failed.
    #[error("the system random generator failed")]
    Random,
}

impl PasswordHash {
    /// The digest of `secret` with a fresh salt drawn from `random` (e.g. ring's
    /// `SystemRandom`), at [`DEFAULT_ITERATIONS`].
    pub fn new(secret: &str, random: &dyn SecureRandom) -> Result<Self, PasswordError> {
        Self::with_iterations(secret, DEFAULT_ITERATIONS, random)
    }

    /// [`PasswordHash::new`] with another iteration count (tests use few).
    pub fn with_iterations(
        secret: &str,
        iterations: u32,
        random: &dyn SecureRandom,
    ) -> Result<Self, PasswordError> {
        let iterations = NonZeroU32::new(iterations).ok_or(PasswordError::Malformed)?;
        let mut salt = [0u8; SALT_LEN];
        random.fill(&mut salt).map_err(|_| PasswordError::Random)?;
        let mut hash = [0u8; HASH_LEN];
        ring::pbkdf2::derive(ALGORITHM, iterations, &salt, secret.as_bytes(), &mut hash);
        Ok(Self(format!(
            "{PREFIX}${iterations}${}${}",
            crate::hash::to_hex(&salt),
            crate::hash::to_hex(&hash)
        )))
    }

    /// Parses a stored digest, refusing anything that is not exactly our format.
    pub fn parse(stored: &str) -> Result<Self, PasswordError> {
        Self::parts(stored)?;
        Ok(Self(stored.to_owned()))
    }

    fn parts(stored: &str) -> Result<(NonZeroU32, Vec<u8>, Vec<u8>), PasswordError> {
        let mut it = stored.split('$');
        let (Some(PREFIX), Some(iter), Some(salt), Some(hash), None) =
            (it.next(), it.next(), it.next(), it.next(), it.next())
        else {
            return Err(PasswordError::Malformed);
        };
        let iterations = iter
            .parse::<u32>()
            .ok()
            .and_then(NonZeroU32::new)
            .ok_or(PasswordError::Malformed)?;
        let salt = crate::hash::from_hex(salt).ok_or(PasswordError::Malformed)?;
        let hash = crate::hash::from_hex(hash).ok_or(PasswordError::Malformed)?;
        if salt.len() != SALT_LEN || hash.len() != HASH_LEN {
            return Err(PasswordError::Malformed);
        }
        Ok((iterations, salt, hash))
    }

    /// Constant-time check (ring compares in constant time).
    pub fn verify(&self, secret: &str) -> bool {
        match Self::parts(&self.0) {
            Ok((iterations, salt, hash)) => {
                ring::pbkdf2::verify(ALGORITHM, iterations, &salt, secret.as_bytes(), &hash).is_ok()
            }
            Err(_) => false,
        }
    }

    /// The stored form: `pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    #[test]
    fn verifies_the_right_secret_only() {
        let h = PasswordHash::with_iterations("Salle B12 !", 1_000, &SystemRandom::new()).unwrap();
        assert!(h.verify("Salle B12 !"));
        assert!(!h.verify("salle B12 !"));
        assert!(!h.verify(""));
    }

    #[test]
    fn salts_differ_between_two_digests_of_one_secret() {
        let a = PasswordHash::with_iterations("x", 1_000, &SystemRandom::new()).unwrap();
        let b = PasswordHash::with_iterations("x", 1_000, &SystemRandom::new()).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn round_trips_through_storage_and_refuses_garbage() {
        let h = PasswordHash::with_iterations("code", 1_000, &SystemRandom::new()).unwrap();
        let back = PasswordHash::parse(h.as_str()).unwrap();
        assert!(back.verify("code"));
        for bad in [
            "",
            "pbkdf2-sha256$0$00$00",
            "md5$1$aa$bb",
            "pbkdf2-sha256$10$zz$zz",
            "pbkdf2-sha256$10$00$00$00",
        ] {
            assert_eq!(
                PasswordHash::parse(bad),
                Err(PasswordError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_never_prints_the_digest() {
        let h = PasswordHash::with_iterations("code", 1_000, &SystemRandom::new()).unwrap();
        assert_eq!(format!("{h:?}"), "PasswordHash(…)");
    }
}
