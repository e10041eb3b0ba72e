//! The signed results file a centre without a reliable connection downloads once and carries to
//! the office PC. The format and its reader live in `certroom_certificate::results`, shared
//! with the office; the service only signs.

pub use certroom_certificate::results::{read, ResultsFileError, MAGIC_LINE, MAX_FILE_BYTES};

use crate::dto::CentreResults;
use crate::signer::Signer;

/// Serialises and signs a centre's results.
pub fn write(results: &CentreResults, signer: &Signer) -> Result<Vec<u8>, serde_json::Error> {
    let payload = serde_json::to_vec_pretty(results)?;
    let signature = signer.sign_results(&payload);
    Ok(certroom_certificate::results::frame(
        &payload,
        &signer.public_key_hex(),
        &signature,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(signer: &Signer) -> CentreResults {
        crate::dto::centre_results("0750654D", "Collège Test", signer.public_key_hex(), &[])
    }

    #[test]
    fn round_trip_and_every_tamper_is_named() {
        let s = Signer::ephemeral("https://v.example.fr", None).unwrap();
        let file = write(&sample(&s), &s).unwrap();
        let back = read(&file, &s.public_key().into()).unwrap();
        assert_eq!(back.uai, "0750654D");

        let other = Signer::ephemeral("https://v.example.fr", None).unwrap();
        assert_eq!(
            read(&file, &other.public_key().into()),
            Err(ResultsFileError::WrongKey)
        );
        let text = String::from_utf8(file.clone()).unwrap();
        let tampered = text.replace("Collège Test", "Collège Faux");
        assert_eq!(
            read(tampered.as_bytes(), &s.public_key().into()),
            Err(ResultsFileError::BadSignature)
        );
        assert_eq!(
            read(b"hello", &s.public_key().into()),
            Err(ResultsFileError::NotResultsFile)
        );
        for cut in [0, 10, 30, 100, file.len() - 1] {
            assert!(
                read(&file[..cut], &s.public_key().into()).is_err(),
                "cut {cut}"
            );
        }
    }
}
