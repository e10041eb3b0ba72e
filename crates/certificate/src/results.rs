//! What the central service publishes for a centre (`GET /v1/centres/{uai}/results`), and the
//! signed results file a school office carries when it has no reliable connection
//! (docs/certif-server.md §Results file):
//!
//! ```text
//! certroom-results-v1\n
//! public-key: <64 hex digits>\n
//! signature: <128 hex digits>\n
//! \n
//! <payload: the results JSON, exactly the bytes that were signed>
//! ```
//!
//! The signature is Ed25519 over [`RESULTS_DOMAIN`] ‖ payload. [`read`] checks it over the
//! payload bytes as they stand, against the service keys the reader already trusts (the key line
//! only says which of them was used: trusting the line alone would prove nothing), and only then parses the
//! JSON. The service writes the file and the office reads it with these same types.

use ring::signature::{UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};

use crate::keys::{KeyError, ServiceKeys};

pub const MAGIC_LINE: &str = "certroom-results-v1";
pub const RESULTS_DOMAIN: &[u8] = b"certroom-results-v1\0";
pub const RESULTS_FORMAT: &str = "certroom-results/1";
/// A results file is a few MiB at most; anything far larger is not one.
pub const MAX_FILE_BYTES: usize = 256 * 1024 * 1024;

/// A centre's published results: the live version of each of its sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CentreResults {
    /// [`RESULTS_FORMAT`].
    pub format: String,
    pub uai: String,
    pub centre_name: String,
    pub generated_at: String,
    /// Hex Ed25519 key of the service (the one that signs the file and the QR codes).
    pub server_public_key: String,
    pub competences: Vec<String>,
    pub sessions: Vec<CentreSession>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CentreSession {
    /// `{UAI}-{number}`.
    pub session_id: String,
    pub session_number: i64,
    pub session_date: String,
    pub bundle_id: String,
    /// `published`, `pending_jury`, `validated`, `rejected`, `cancelled`, `superseded`.
    pub status: String,
    pub received_at: String,
    pub candidates: Vec<CentreCandidate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CentreCandidate {
    /// The console's candidate number within the session.
    pub candidate_id: i64,
    /// The class or student number the centre gave (facts §2).
    pub local_id: Option<String>,
    pub birth_name: String,
    pub first_name: String,
    /// `aaaa-mm-jj`.
    pub birthdate: String,
    /// `validated`, `rejected`, `cancelled`, `error`, `absent`; provisional until the session
    /// is published.
    pub status: String,
    pub certification: Option<Certification>,
}

/// A published certification: what its certificate prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certification {
    pub verification_code: String,
    /// Date of issue, `aaaa-mm-jj`.
    pub issued: String,
    pub pix: u32,
    pub pix_max: u32,
    pub global_level: u8,
    pub levels: Vec<u8>,
    /// The signed QR text to print (`<base>/v/<code>#<payload>`), absent when a name is too
    /// long for the QR format.
    pub qr_text: Option<String>,
    /// `valid` or `superseded`.
    pub status: String,
}

impl CentreResults {
    /// Every candidate of every session, with the session they sat.
    pub fn candidates(&self) -> impl Iterator<Item = (&CentreSession, &CentreCandidate)> {
        self.sessions
            .iter()
            .flat_map(|s| s.candidates.iter().map(move |c| (s, c)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResultsFileError {
    #[error("pas un fichier de résultats certroom / not a certroom results file")]
    NotResultsFile,
    #[error("en-tête du fichier de résultats mal formé ({0}) / malformed header")]
    Header(&'static str),
    #[error("fichier signé par une autre clé que celle du service / signed by another key")]
    WrongKey,
    /// Signed by a key of the service that is revoked.
    #[error("{} / {}", .0.message_fr(), .0.message_en())]
    Key(KeyError),
    #[error("signature invalide : le fichier a été modifié / signature does not verify")]
    BadSignature,
    #[error("contenu illisible ({0}) / unreadable payload")]
    Payload(String),
    #[error("fichier trop volumineux / file too large")]
    TooLarge,
}

impl ResultsFileError {
    /// Stable code for screens and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotResultsFile => "results.not_results_file",
            Self::Header(_) => "results.header",
            Self::WrongKey => "results.wrong_key",
            Self::Key(e) => e.code(),
            Self::BadSignature => "results.bad_signature",
            Self::Payload(_) => "results.payload",
            Self::TooLarge => "results.too_large",
        }
    }
}

/// The file around an already signed payload: `signature` is the hex Ed25519 signature over
/// [`RESULTS_DOMAIN`] ‖ `payload` by the key `public_key_hex`.
pub fn frame(payload: &[u8], public_key_hex: &str, signature_hex: &str) -> Vec<u8> {
    let mut out =
        format!("{MAGIC_LINE}\npublic-key: {public_key_hex}\nsignature: {signature_hex}\n\n")
            .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Checks a results file against the service's keys and returns its contents. The file says
/// which key signed it; that key must be trusted and not revoked.
pub fn read(bytes: &[u8], keys: &ServiceKeys) -> Result<CentreResults, ResultsFileError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ResultsFileError::TooLarge);
    }
    let split = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or(ResultsFileError::NotResultsFile)?;
    let (head, payload) = (&bytes[..split], &bytes[split + 2..]);
    let head = std::str::from_utf8(head).map_err(|_| ResultsFileError::Header("not UTF-8"))?;
    let mut lines = head.split('\n');
    if lines.next() != Some(MAGIC_LINE) {
        return Err(ResultsFileError::NotResultsFile);
    }
    let key = lines
        .next()
        .and_then(|l| l.strip_prefix("public-key: "))
        .and_then(|h| hex::decode(h).ok())
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .ok_or(ResultsFileError::Header("public-key"))?;
    let signature = lines
        .next()
        .and_then(|l| l.strip_prefix("signature: "))
        .and_then(|h| hex::decode(h).ok())
        .filter(|s| s.len() == 64)
        .ok_or(ResultsFileError::Header("signature"))?;
    if lines.next().is_some() {
        return Err(ResultsFileError::Header("extra header line"));
    }
    match keys.trusts(&key) {
        Ok(_) => {}
        Err(KeyError::Untrusted) => return Err(ResultsFileError::WrongKey),
        Err(e) => return Err(ResultsFileError::Key(e)),
    }
    UnparsedPublicKey::new(&ED25519, &key)
        .verify(&[RESULTS_DOMAIN, payload].concat(), &signature)
        .map_err(|_| ResultsFileError::BadSignature)?;
    let results: CentreResults =
        serde_json::from_slice(payload).map_err(|e| ResultsFileError::Payload(e.to_string()))?;
    if results.format != RESULTS_FORMAT {
        return Err(ResultsFileError::Payload(format!(
            "format {:?}, expected {RESULTS_FORMAT}",
            results.format
        )));
    }
    if !results
        .server_public_key
        .eq_ignore_ascii_case(&hex::encode(key))
    {
        return Err(ResultsFileError::Payload(
            "server_public_key differs from the signing key".into(),
        ));
    }
    Ok(results)
}
