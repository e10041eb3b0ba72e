//! The signed results file a centre without a reliable connection downloads once and carries to
//! the office PC (docs/certif-server.md §Results file):
//!
//! ```text
//! certroom-results-v1\n
//! public-key: <64 hex digits>\n
//! signature: <128 hex digits>\n
//! \n
//! <payload: the results JSON, exactly the bytes that were signed>
//! ```
//!
//! The signature is Ed25519 over `"certroom-results-v1\0"` ‖ payload. A reader checks it over
//! the payload bytes as they stand in the file, against the service key it already trusts (the
//! key line only says which key was used; trusting it would prove nothing), and only then
//! parses the JSON.

use certroom_journal::hash::{from_hex, to_hex};
use ring::signature::{UnparsedPublicKey, ED25519};

use crate::dto::CentreResults;
use crate::signer::{Signer, RESULTS_DOMAIN};

pub const MAGIC_LINE: &str = "certroom-results-v1";
/// A results file is a few MiB at most; anything far larger is not one.
pub const MAX_FILE_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResultsFileError {
    #[error("pas un fichier de résultats certroom / not a certroom results file")]
    NotResultsFile,
    #[error("en-tête du fichier de résultats mal formé ({0}) / malformed header")]
    Header(&'static str),
    #[error("fichier signé par une autre clé que celle du service / signed by another key")]
    WrongKey,
    #[error("signature invalide : le fichier a été modifié / signature does not verify")]
    BadSignature,
    #[error("contenu illisible ({0}) / unreadable payload")]
    Payload(String),
    #[error("fichier trop volumineux / file too large")]
    TooLarge,
}

/// Serialises and signs a centre's results.
pub fn write(results: &CentreResults, signer: &Signer) -> Result<Vec<u8>, serde_json::Error> {
    let payload = serde_json::to_vec_pretty(results)?;
    let signature = signer.sign_results(&payload);
    let mut out = format!(
        "{MAGIC_LINE}\npublic-key: {}\nsignature: {signature}\n\n",
        signer.public_key_hex()
    )
    .into_bytes();
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Checks a results file against the service's public key and returns its contents.
pub fn read(bytes: &[u8], service_key: &[u8; 32]) -> Result<CentreResults, ResultsFileError> {
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
        .and_then(from_hex)
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .ok_or(ResultsFileError::Header("public-key"))?;
    let signature = lines
        .next()
        .and_then(|l| l.strip_prefix("signature: "))
        .and_then(from_hex)
        .filter(|s| s.len() == 64)
        .ok_or(ResultsFileError::Header("signature"))?;
    if lines.next().is_some() {
        return Err(ResultsFileError::Header("extra header line"));
    }
    if key != *service_key {
        return Err(ResultsFileError::WrongKey);
    }
    UnparsedPublicKey::new(&ED25519, service_key)
        .verify(&[RESULTS_DOMAIN, payload].concat(), &signature)
        .map_err(|_| ResultsFileError::BadSignature)?;
    let results: CentreResults =
        serde_json::from_slice(payload).map_err(|e| ResultsFileError::Payload(e.to_string()))?;
    if results.server_public_key != to_hex(service_key) {
        return Err(ResultsFileError::Payload(
            "server_public_key differs from the signing key".into(),
        ));
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(signer: &Signer) -> CentreResults {
        CentreResults::new("0750654D", "Collège Test", signer.public_key_hex(), &[])
    }

    #[test]
    fn round_trip_and_every_tamper_is_named() {
        let s = Signer::ephemeral("https://v.example.fr", None).unwrap();
        let file = write(&sample(&s), &s).unwrap();
        let back = read(&file, &s.public_key()).unwrap();
        assert_eq!(back.uai, "0750654D");

        let other = Signer::ephemeral("https://v.example.fr", None).unwrap();
        assert_eq!(
            read(&file, &other.public_key()),
            Err(ResultsFileError::WrongKey)
        );
        let text = String::from_utf8(file.clone()).unwrap();
        let tampered = text.replace("Collège Test", "Collège Faux");
        assert_eq!(
            read(tampered.as_bytes(), &s.public_key()),
            Err(ResultsFileError::BadSignature)
        );
        assert_eq!(
            read(b"hello", &s.public_key()),
            Err(ResultsFileError::NotResultsFile)
        );
        for cut in [0, 10, 30, 100, file.len() - 1] {
            assert!(read(&file[..cut], &s.public_key()).is_err(), "cut {cut}");
        }
    }
}
