//! The service's Ed25519 key and everything it signs: receipts, certificate QR texts, results
//! files. One key at a time (the newest of the key set, [`crate::keyring`]), its number on
//! everything it signs; several domain strings, so a signature made for one purpose never
//! passes for another.

use std::path::Path;
use std::sync::Mutex;

use certroom_certificate::keys::{KeySet, ServiceKeys};
use certroom_core::codes;
use certroom_core::hash::to_hex;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::Ed25519KeyPair;

use certroom_protocol::Receipt;

use crate::keyring::{Keyring, KeyringError};
use crate::model::CertificateDraft;

pub use crate::keyring::KEY_FILE;
pub use certroom_certificate::results::RESULTS_DOMAIN;

#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    #[error(transparent)]
    Keys(#[from] KeyringError),
    #[error("générateur aléatoire du système indisponible / system random generator failed")]
    Random,
    #[error("URL publique invalide pour les QR codes : {0}")]
    BaseUrl(String),
}

pub struct Signer {
    key: Ed25519KeyPair,
    key_id: u16,
    keys: KeySet,
    /// The same set as a verifier holds it: what the public page checks a payload against.
    trusted: ServiceKeys,
    public: [u8; 32],
    base_url: String,
    /// Seeded once from the OS: verification codes are drawn often and must never fail.
    codes: Mutex<ChaCha20Rng>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .field("public_key", &self.public_key_hex())
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// The claims a QR text signs for `code`; `None` when a number does not fit the format.
fn claims(code: &str, d: &CertificateDraft) -> Option<certroom_certificate::Claims> {
    Some(certroom_certificate::Claims {
        code: code.to_owned(),
        first_name: d.first_name.clone(),
        last_name: d.last_name.clone(),
        birthdate: d.birthdate.clone(),
        issued: d.issued.clone(),
        pix: u16::try_from(d.pix).ok()?,
        pix_max: u16::try_from(d.pix_max).ok()?,
        global_level: d.global_level,
        levels: d.levels,
    })
}

fn signed_or_warn(
    code: &str,
    signed: Result<String, certroom_certificate::CertificateError>,
) -> Option<String> {
    match signed {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::warn!(code, error = %e, "certificate claims cannot be signed");
            None
        }
    }
}

/// The result of signing a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub code: String,
    pub qr_text: Option<String>,
}

impl Signer {
    /// Loads the service's keys from `data_dir`, creating key 1 (`server.key`, mode 0600) and
    /// the key set on first start. The file discipline is the station key's: created complete
    /// or not at all, refused if others can read it.
    pub fn load_or_create(data_dir: &Path, base_url: &str) -> Result<Self, SignerError> {
        Self::from_keyring(crate::keyring::load_or_create(data_dir)?, base_url, None)
    }

    /// A service whose only key is `key` (number 1). `code_seed` fixes the verification-code
    /// stream (tests of the collision retry); `None` seeds it from the OS.
    pub fn from_key_pair(
        key: Ed25519KeyPair,
        base_url: &str,
        code_seed: Option<u64>,
    ) -> Result<Self, SignerError> {
        let set = KeySet::first(&key, &crate::now());
        let ring = Keyring {
            set,
            current: key,
            current_id: 1,
        };
        Self::from_keyring(ring, base_url, code_seed)
    }

    pub fn from_keyring(
        ring: Keyring,
        base_url: &str,
        code_seed: Option<u64>,
    ) -> Result<Self, SignerError> {
        let Keyring {
            set: keys,
            current: key,
            current_id: key_id,
        } = ring;
        use ring::signature::KeyPair;
        let mut public = [0u8; 32];
        public.copy_from_slice(key.public_key().as_ref());
        // Check the base URL once here rather than on every certificate.
        let probe = certroom_certificate::Claims {
            code: "P-2346789B".into(),
            last_name: "X".into(),
            birthdate: "2000-01-01".into(),
            issued: "2000-01-01".into(),
            ..Default::default()
        };
        if certroom_certificate::sign(&probe, &key, key_id, base_url).is_err() {
            return Err(SignerError::BaseUrl(base_url.to_owned()));
        }
        let trusted = ServiceKeys::from_set(keys.clone())
            .map_err(|e| SignerError::Keys(KeyringError::Set(e)))?;
        let rng = match code_seed {
            Some(s) => ChaCha20Rng::seed_from_u64(s),
            None => {
                let mut seed = [0u8; 32];
                SystemRandom::new()
                    .fill(&mut seed)
                    .map_err(|_| SignerError::Random)?;
                ChaCha20Rng::from_seed(seed)
            }
        };
        Ok(Signer {
            key,
            key_id,
            keys,
            trusted,
            public,
            base_url: base_url.to_owned(),
            codes: Mutex::new(rng),
        })
    }

    /// A fresh key pair that lives in memory only (tests, the bench).
    pub fn ephemeral(base_url: &str, code_seed: Option<u64>) -> Result<Self, SignerError> {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| SignerError::Random)?;
        let key = Ed25519KeyPair::from_pkcs8(doc.as_ref()).map_err(|_| SignerError::Random)?;
        Self::from_key_pair(key, base_url, code_seed)
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.public
    }

    pub fn public_key_hex(&self) -> String {
        to_hex(&self.public)
    }

    /// Every key of the service, revocations applied.
    pub fn trusted(&self) -> &ServiceKeys {
        &self.trusted
    }

    /// The number of the key that signs now.
    pub fn key_id(&self) -> u16 {
        self.key_id
    }

    /// The published key set (`GET /v1/keys`).
    pub fn key_set(&self) -> &KeySet {
        &self.keys
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A new verification code; uniqueness is the store's job (UNIQUE index, retry).
    pub fn new_code(&self) -> String {
        // A poisoned lock only means another thread panicked mid-draw; the RNG state is still a
        // valid ChaCha state.
        let mut rng = self.codes.lock().unwrap_or_else(|p| p.into_inner());
        codes::verification_code(&mut *rng)
    }

    /// Draws a code and signs the certificate's QR text for it.
    pub fn issue(&self, draft: &CertificateDraft) -> Issued {
        let code = self.new_code();
        let qr_text = self.qr_text(&code, draft);
        Issued { code, qr_text }
    }

    /// [`Self::issue`] for each draft, the QR signatures checked together: an ingest issues a
    /// session's certifications at once.
    pub fn issue_all(&self, drafts: &[&CertificateDraft]) -> Vec<Issued> {
        let codes: Vec<String> = drafts.iter().map(|_| self.new_code()).collect();
        let claims: Vec<Option<certroom_certificate::Claims>> = codes
            .iter()
            .zip(drafts)
            .map(|(code, d)| claims(code, d))
            .collect();
        let signable: Vec<certroom_certificate::Claims> =
            claims.iter().flatten().cloned().collect();
        let mut signed =
            certroom_certificate::sign_all(&signable, &self.key, self.key_id, &self.base_url)
                .into_iter();
        codes
            .into_iter()
            .zip(claims)
            .map(|(code, c)| {
                let qr_text = c
                    .and_then(|_| signed.next())
                    .and_then(|t| signed_or_warn(&code, t));
                Issued { code, qr_text }
            })
            .collect()
    }

    /// `None` when the claims cannot be signed (a name longer than the QR format's 100 bytes):
    /// the certification is still published and verifiable online.
    pub fn qr_text(&self, code: &str, d: &CertificateDraft) -> Option<String> {
        let claims = claims(code, d)?;
        signed_or_warn(
            code,
            certroom_certificate::sign(&claims, &self.key, self.key_id, &self.base_url),
        )
    }

    pub fn sign_receipt(
        &self,
        bundle_id: &str,
        content_hash: &str,
        received_at: &str,
        status: &str,
    ) -> Receipt {
        Receipt::sign(
            &self.key,
            self.key_id,
            bundle_id,
            content_hash,
            received_at,
            status,
        )
    }

    /// Where a bundle stands now, signed for the console that sent it.
    pub fn bundle_status(
        &self,
        bundle_id: &str,
        status: &str,
        as_of: &str,
    ) -> certroom_protocol::BundleStatus {
        certroom_protocol::BundleStatus::sign(&self.key, self.key_id, bundle_id, status, as_of)
    }

    /// The QR text to hand out for `stored`: itself, unless a revoked key signed it, in which
    /// case the same claims signed again by the current key (so a reprint verifies). `None`
    /// when the stored text is not one of ours.
    pub fn current_qr(&self, stored: &str) -> Option<String> {
        let id = certroom_certificate::key_id(stored).ok()?;
        let key = self.keys.keys.iter().find(|k| k.id == id)?;
        if key.revoked.is_none() {
            return Some(stored.to_owned());
        }
        let public = self.keys.public_key(id)?;
        let claims = certroom_certificate::verify_with(stored, &public).ok()?;
        certroom_certificate::sign(&claims, &self.key, self.key_id, &self.base_url).ok()
    }

    pub fn sign_results(&self, payload: &[u8]) -> String {
        to_hex(self.key.sign(&[RESULTS_DOMAIN, payload].concat()).as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_well_formed_and_a_seed_repeats_them() {
        let a = Signer::ephemeral("https://v.example.fr", Some(9)).unwrap();
        let b = Signer::ephemeral("https://v.example.fr", Some(9)).unwrap();
        for _ in 0..50 {
            let c = a.new_code();
            assert!(codes::is_verification_code(&c), "{c}");
            assert_eq!(c, b.new_code());
        }
        assert!(Signer::ephemeral("not a url", None).is_err());
    }
}
