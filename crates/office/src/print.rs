//! From the office's selection to one PDF of certificates. The QR texts are the service's, as
//! published: the office signs nothing and cannot alter a certificate without its QR code
//! failing verification.

use std::collections::HashMap;

use certroom_certificate::results::{CentreCandidate, CentreResults, CentreSession};
use certroom_pdf::{Certificate, CertificateLang};
use serde::{Deserialize, Serialize};

use crate::{french_date, OfficeError};

/// One candidate of one session, as the screen names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
pub struct CandidateRef {
    pub session_id: String,
    pub candidate_id: i64,
}

#[derive(Debug, Clone, Default)]
pub struct PrintOptions {
    pub lang: CertificateLang,
    /// 0: without time limit.
    pub validity_years: u8,
    /// Birthplaces the office PC knows (the centre's own candidate lists), by (session number,
    /// candidate id): the service does not publish them.
    pub birthplaces: HashMap<(i64, i64), KnownBirthplace>,
}

/// A birthplace from the centre's candidate list, used only for the candidate it was entered
/// for: another PC's list may number other pupils the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownBirthplace {
    pub birth_name: String,
    pub first_name: String,
    /// `aaaa-mm-jj`.
    pub birthdate: String,
    pub place: String,
}

/// The certificates of `selection`, in its order. Fails, naming the candidate, when one is
/// unknown or has no published certificate: a batch prints whole or not at all.
pub fn certificates_for(
    results: &CentreResults,
    selection: &[CandidateRef],
    options: &PrintOptions,
) -> Result<Vec<Certificate>, OfficeError> {
    if selection.is_empty() {
        return Err(OfficeError::NothingSelected);
    }
    let index: HashMap<(&str, i64), (&CentreSession, &CentreCandidate)> = results
        .candidates()
        .map(|(s, c)| ((s.session_id.as_str(), c.candidate_id), (s, c)))
        .collect();
    let centre = format!("{} ({})", results.centre_name, results.uai);
    selection
        .iter()
        .map(|r| {
            let (session, c) = index
                .get(&(r.session_id.as_str(), r.candidate_id))
                .ok_or_else(|| OfficeError::UnknownCandidate(r.clone()))?;
            let cert = c
                .certification
                .as_ref()
                .filter(|cert| cert.status == "valid")
                .ok_or_else(|| {
                    OfficeError::NotPublished(format!("{} {}", c.first_name, c.birth_name))
                })?;
            let qr_text = cert.qr_text.clone().unwrap_or_default();
            Ok(Certificate {
                first_name: c.first_name.clone(),
                last_name: c.birth_name.clone(),
                birthdate: french_date(&c.birthdate),
                birthplace: options
                    .birthplaces
                    .get(&(session.session_number, c.candidate_id))
                    .filter(|k| {
                        k.birth_name == c.birth_name
                            && k.first_name == c.first_name
                            && k.birthdate == c.birthdate
                    })
                    .map(|k| k.place.clone())
                    .unwrap_or_default(),
                centre: centre.clone(),
                issued: french_date(&cert.issued),
                validity: valid_until(&cert.issued, options.validity_years),
                pix: cert.pix,
                pix_max: cert.pix_max,
                global_level: cert.global_level,
                competences: certroom_pdf::certificate::competence_rows(&cert.levels, options.lang),
                // The signed results carry no method: the service scores every certificate
                // with the global capacity (docs/scoring.md), so none needs the mention.
                per_competence_levels: false,
                verification_code: cert.verification_code.clone(),
                verify_url: verify_page(&qr_text),
                qr_text,
            })
        })
        .collect()
}

/// One PDF of `certs`; `progress(done, total)` after each page.
pub fn print(
    certs: &[Certificate],
    lang: CertificateLang,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<u8>, OfficeError> {
    Ok(certroom_pdf::certificates_with_progress(
        certs, lang, progress,
    )?)
}

/// The last day of validity, `jj/mm/aaaa`: the day before the anniversary of issue.
fn valid_until(issued: &str, years: u8) -> Option<String> {
    if years == 0 {
        return None;
    }
    let date =
        chrono::NaiveDate::parse_from_str(issued.get(..10).unwrap_or(issued), "%Y-%m-%d").ok()?;
    // From the day before: a 29 February issue then ends on 28 February, not the 27th.
    let end = date
        .checked_sub_days(chrono::Days::new(1))?
        .checked_add_months(chrono::Months::new(12 * u32::from(years)))?;
    Some(end.format("%d/%m/%Y").to_string())
}

/// The page where anyone types the code: the service the QR code points to
/// (`<base>/v/P-…#…` → `<base>/verify`).
fn verify_page(qr_text: &str) -> String {
    qr_text
        .split_once("/v/")
        .map(|(base, _)| format!("{base}/verify"))
        .unwrap_or_default()
}

/// `path` resolved, when it is a `.pdf` file directly inside `exports` (links and `..` resolved
/// first).
pub fn exported_pdf(
    exports: &std::path::Path,
    path: &std::path::Path,
) -> Option<std::path::PathBuf> {
    let exports = exports.canonicalize().ok()?;
    let file = path.canonicalize().ok()?;
    (file.parent() == Some(exports.as_path())
        && file.extension().is_some_and(|e| e == "pdf")
        && file.is_file())
    .then_some(file)
}

/// The PDF's file name: what the screen calls the batch ("session 4217", "classe 3A") made safe,
/// and when it was printed.
pub fn print_file_name(label: &str, at: chrono::NaiveDateTime) -> String {
    format!(
        "attestations-{}-{}.pdf",
        file_label(label),
        at.format("%Y%m%d-%H%M%S")
    )
}

fn file_label(label: &str) -> String {
    let clean: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let clean = clean.trim_matches('-').to_owned();
    if clean.is_empty() {
        "selection".into()
    } else {
        clean.chars().take(40).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_ends_the_day_before_the_anniversary() {
        assert_eq!(valid_until("2027-03-12", 0), None);
        assert_eq!(valid_until("2027-03-12", 3).as_deref(), Some("11/03/2030"));
        assert_eq!(valid_until("2028-02-29", 1).as_deref(), Some("28/02/2029"));
        assert_eq!(valid_until("n/a", 3), None);
    }

    #[test]
    fn the_verify_page_is_the_qr_codes_service() {
        assert_eq!(
            verify_page("https://verifier.example.fr/v/P-BCDFGHJK#abc"),
            "https://verifier.example.fr/verify"
        );
        assert_eq!(verify_page(""), "");
    }

    #[test]
    fn only_pdfs_in_the_exports_folder_open() {
        let dir = tempfile::tempdir().unwrap();
        let exports = dir.path().join("exports");
        std::fs::create_dir_all(exports.join("sub")).unwrap();
        for name in ["a.pdf", "b.sh", "sub/c.pdf"] {
            std::fs::write(exports.join(name), b"x").unwrap();
        }
        std::fs::write(dir.path().join("outside.pdf"), b"x").unwrap();
        let ok = |p: std::path::PathBuf| super::exported_pdf(&exports, &p).is_some();
        assert!(ok(exports.join("a.pdf")));
        assert!(!ok(exports.join("b.sh")));
        assert!(!ok(exports.join("sub/c.pdf")));
        assert!(!ok(exports.join("../outside.pdf")));
        assert!(!ok(exports.join("missing.pdf")));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("outside.pdf"), exports.join("link.pdf"))
                .unwrap();
            assert!(!ok(exports.join("link.pdf")));
        }
    }

    #[test]
    fn file_labels_are_safe() {
        assert_eq!(super::file_label("classe 3A"), "classe-3A");
        assert_eq!(super::file_label("../../etc"), "etc");
        assert_eq!(super::file_label("é"), "selection");
    }
}
