//! The hub's TLS identity: a self-signed certificate made once, whose fingerprint the kiosks pin
//! (certroom_protocol::pin).

use certroom_durable::{write_atomically, Access};
use std::path::Path;
use std::sync::Arc;

use certroom_protocol::pin::{provider, Fingerprint, SERVER_NAME};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

/// The certificate and its key, in one file written atomically: a power cut can never leave a
/// new key beside an old certificate (a new fingerprint every kiosk's pin would refuse).
pub const IDENTITY_FILE: &str = "hub-identity.json";

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredIdentity {
    /// Hex of the certificate's DER bytes.
    cert: String,
    /// Hex of the PKCS#8 private key.
    key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("certificat du hub : {0} / hub certificate")]
    Certificate(String),
    #[error("fichier {path} : {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("configuration TLS : {0}")]
    Config(#[from] rustls::Error),
}

/// The hub's certificate and private key.
pub struct HubIdentity {
    cert: CertificateDer<'static>,
    key: Vec<u8>,
}

impl HubIdentity {
    /// Loads the identity kept in `dir`, or makes one. The file is private to its owner.
    pub fn load_or_create(dir: &Path) -> Result<Self, TlsError> {
        let path = dir.join(IDENTITY_FILE);
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| TlsError::Io { path, source }
        };
        match std::fs::read(&path) {
            Ok(bytes) => return Self::from_stored(&bytes),
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&path)(e)),
            Err(_) => {}
        }
        let identity = Self::generate()?;
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let stored = StoredIdentity {
            cert: hex::encode(identity.cert.as_ref()),
            key: hex::encode(&identity.key),
        };
        let bytes =
            serde_json::to_vec(&stored).map_err(|e| TlsError::Certificate(e.to_string()))?;
        write_atomically(&path, &bytes, Access::Private).map_err(io(&path))?;
        Ok(identity)
    }

    fn from_stored(bytes: &[u8]) -> Result<Self, TlsError> {
        let bad = |why: &str| TlsError::Certificate(format!("{IDENTITY_FILE}: {why}"));
        let stored: StoredIdentity =
            serde_json::from_slice(bytes).map_err(|e| bad(&e.to_string()))?;
        Ok(HubIdentity {
            cert: CertificateDer::from(hex::decode(stored.cert).map_err(|_| bad("cert"))?),
            key: hex::decode(stored.key).map_err(|_| bad("key"))?,
        })
    }

    pub fn generate() -> Result<Self, TlsError> {
        let made = rcgen::generate_simple_self_signed(vec![SERVER_NAME.to_string()])
            .map_err(|e| TlsError::Certificate(e.to_string()))?;
        Ok(HubIdentity {
            cert: made.cert.der().clone(),
            key: made.signing_key.serialize_der(),
        })
    }

    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.cert)
    }

    /// The secret behind the hub's pairing nonces: derived from its private key, so it lasts as
    /// long as the identity the kiosks pin and is never written anywhere else.
    pub fn pairing_secret(&self) -> [u8; 32] {
        certroom_core::Hash::of(&[b"certroom-pairing-secret-v1\0", &self.key]).0
    }

    pub fn server_config(&self) -> Result<Arc<ServerConfig>, TlsError> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        let config = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_no_client_auth()
            .with_single_cert(vec![self.cert.clone()], key)?;
        Ok(Arc::new(config))
    }
}
