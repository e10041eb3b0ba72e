//! What `certroom certificate verify` is given: a certificate PDF, or the text a QR scanner read.

use crate::claims::Claims;
use crate::error::VerifyError;
use crate::keys::ServiceKeys;
use crate::pdf::find_payloads;
use crate::qr::verify;

/// How far into a file its `%PDF-` header may start: viewers accept a header anywhere in the
/// first kilobyte (some mail gateways and web servers prepend bytes), so a file one of them
/// opens is read as a PDF here too. A QR text starts with `http`, so it is never mistaken.
const PDF_HEADER_WINDOW: usize = 1024;

/// Checks every certificate in `input` against the certification service's keys and
/// returns each QR text with its result, in document order.
///
/// `input` is either a PDF (its `%PDF-` header within the first 1024 bytes): every certificate
/// link in it ([`find_payloads`]) is verified, and a PDF without any gives an empty list. Or it
/// is one QR text, as a scanner or a person typed it: surrounding whitespace is dropped,
/// invalid UTF-8 is replaced (and then fails as [`VerifyError::NotCertificateUrl`]), and the
/// list has exactly that one entry, even for empty input, so the caller always has something
/// to report.
pub fn verify_document(
    input: &[u8],
    keys: &ServiceKeys,
) -> Vec<(String, Result<Claims, VerifyError>)> {
    let texts = if is_pdf(input) {
        find_payloads(input)
    } else {
        vec![String::from_utf8_lossy(input).trim().to_owned()]
    };
    texts
        .into_iter()
        .map(|text| {
            let result = verify(&text, keys);
            (text, result)
        })
        .collect()
}

fn is_pdf(input: &[u8]) -> bool {
    let head = input.get(..PDF_HEADER_WINDOW).unwrap_or(input);
    head.windows(5).any(|w| w == b"%PDF-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_header_is_found_in_the_first_kilobyte_only() {
        assert!(is_pdf(b"%PDF-1.7\n"));
        assert!(is_pdf(b"\xEF\xBB\xBF\r\n%PDF-1.4"));
        assert!(!is_pdf(b""));
        assert!(!is_pdf(b"%PDF"));
        assert!(!is_pdf(b"https://verifier.certroom.fr/v/P-4TK7BQ9M#AQID"));
        let mut late = vec![b' '; PDF_HEADER_WINDOW];
        late.extend_from_slice(b"%PDF-1.7");
        assert!(!is_pdf(&late));
    }

    #[test]
    fn text_input_always_gives_one_entry() {
        let key = [0u8; 32];
        for input in [&b""[..], b"  \n", b"\xFF\xFE garbage", b"%PDF"] {
            let found = verify_document(input, &key.into());
            assert_eq!(found.len(), 1, "{input:?}");
            assert_eq!(found[0].1, Err(VerifyError::NotCertificateUrl), "{input:?}");
        }
        // A PDF with no certificate link has nothing to verify.
        assert!(verify_document(b"%PDF-1.7\n%%EOF", &key.into()).is_empty());
    }
}
