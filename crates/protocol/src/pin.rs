//! The kiosks' pin on the hub's certificate.
//!
//! A lab has no public name and no CA: the hub makes its own certificate once and the lab PCs
//! pin its SHA-256 fingerprint (written into `station.json` when the lab is set up, after the
//! technician compared it with the one the console shows). A pupil's laptop on the LAN can then
//! neither read the traffic nor pose as the hub: its certificate has another fingerprint.

use ring::digest;

/// The name the kiosks ask for; the pin, not the name, is what authenticates the hub.
pub const SERVER_NAME: &str = "certroom-hub";

#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error("empreinte invalide (64 caractères hexadécimaux attendus) / invalid fingerprint")]
    Fingerprint,
    #[cfg(feature = "client")]
    #[error("configuration TLS : {0}")]
    Config(#[from] rustls::Error),
}

/// SHA-256 of the hub certificate's DER bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    pub fn of(cert: &[u8]) -> Self {
        let d = digest::digest(&digest::SHA256, cert);
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Fingerprint(out)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Accepts the hex form with or without `:` separators and spaces, as people copy it.
    pub fn parse(text: &str) -> Result<Self, PinError> {
        let clean: String = text
            .chars()
            .filter(|c| !matches!(c, ':' | ' ' | '-'))
            .collect();
        let bytes = hex::decode(clean).map_err(|_| PinError::Fingerprint)?;
        bytes
            .try_into()
            .map(Fingerprint)
            .map_err(|_| PinError::Fingerprint)
    }

    /// What the console shows and a technician compares by eye: groups of four hex digits.
    pub fn display(&self) -> String {
        let hex = self.to_hex().to_uppercase();
        hex.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(feature = "client")]
pub use verifier::{pinned_client_config, provider, recording_client_config, server_name, Seen};

/// The kiosk's half: a TLS client that accepts exactly the pinned certificate.
#[cfg(feature = "client")]
mod verifier {
    use std::sync::{Arc, Mutex};

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

    use super::{Fingerprint, PinError, SERVER_NAME};

    /// The TLS implementation both ends use: rustls on ring, TLS 1.3 only.
    pub fn provider() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    /// A client configuration that accepts exactly one server certificate.
    pub fn pinned_client_config(pin: Fingerprint) -> Result<Arc<ClientConfig>, PinError> {
        client_config(Some(pin), Seen::default())
    }

    /// The certificate a server presented, as its fingerprint.
    pub type Seen = Arc<Mutex<Option<Fingerprint>>>;

    /// A client configuration that accepts any certificate whose key signs the handshake and
    /// writes down its fingerprint: only to learn what a PC paired by name will pin, which the
    /// pairing code then confirms.
    pub fn recording_client_config() -> Result<(Arc<ClientConfig>, Seen), PinError> {
        let seen = Seen::default();
        Ok((client_config(None, seen.clone())?, seen))
    }

    fn client_config(pin: Option<Fingerprint>, seen: Seen) -> Result<Arc<ClientConfig>, PinError> {
        let provider = provider();
        let verifier = Arc::new(PinnedHub {
            pin,
            seen,
            provider: provider.clone(),
        });
        let config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }

    pub fn server_name() -> ServerName<'static> {
        ServerName::try_from(SERVER_NAME).expect("static DNS name is valid")
    }

    #[derive(Debug)]
    struct PinnedHub {
        /// `None`: any certificate, recorded in `seen`.
        pin: Option<Fingerprint>,
        seen: Seen,
        provider: Arc<CryptoProvider>,
    }

    impl ServerCertVerifier for PinnedHub {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            let seen = Fingerprint::of(end_entity);
            *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(seen);
            // A fingerprint is public: a plain comparison leaks nothing.
            if self.pin.is_none_or(|pin| pin == seen) {
                Ok(ServerCertVerified::assertion())
            } else {
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::ApplicationVerificationFailure,
                ))
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    }
}
