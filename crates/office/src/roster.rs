//! The candidates as the office sees them: one row each, with their session and class (the
//! local id the centre gave), their certificate if one was published, and anything that would
//! stop it from printing, found before anyone presses Print.

use certroom_certificate::results::CentreResults;
use certroom_pdf::{FontStyle, Fonts};
use serde::Serialize;

use crate::french_date;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Roster {
    pub uai: String,
    pub centre_name: String,
    pub generated_at: String,
    /// The 16 competences in framework order: what a preview needs to label the levels.
    pub competences: Vec<CompetenceTitle>,
    /// Sorted by session, then class, then last and first name (French collation).
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CompetenceTitle {
    pub code: String,
    pub fr: String,
    pub en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "RosterRow")]
pub struct Row {
    pub session_id: String,
    pub session_number: i64,
    /// `jj/mm/aaaa`.
    pub session_date: String,
    /// The session version's status at the service (`published`, `pending_jury`, …).
    pub session_status: String,
    pub candidate_id: i64,
    /// The local id: a class (`3A`) or a student number; empty when the centre gave none.
    pub class: String,
    pub birth_name: String,
    pub first_name: String,
    /// `jj/mm/aaaa`.
    pub birthdate: String,
    /// `validated`, `rejected`, `cancelled`, `error`, `absent`.
    pub status: String,
    pub certificate: Option<CertificateSummary>,
    /// Characters of the names the certificate font cannot draw: printing would fail.
    pub missing_glyphs: Vec<String>,
    /// Published without a QR code (a name too long for the format): prints, checkable by code
    /// only.
    pub no_qr: bool,
    /// Its certificate would print: published, and every character of the names can be drawn.
    /// The screen enables printing from this alone.
    pub printable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CertificateSummary {
    pub verification_code: String,
    /// `jj/mm/aaaa`.
    pub issued: String,
    pub pix: u32,
    pub pix_max: u32,
    pub global_level: u8,
    pub levels: Vec<u8>,
}

pub fn roster(results: &CentreResults) -> Roster {
    let fonts = Fonts::shared().ok();
    let mut rows: Vec<Row> = results
        .candidates()
        .map(|(s, c)| {
            let names = format!("{} {}", c.first_name, c.birth_name.to_uppercase());
            let missing_glyphs = match fonts {
                Some(f) => {
                    let mut all = f.missing_glyphs(FontStyle::Bold, &names);
                    for ch in f.missing_glyphs(FontStyle::Regular, &names) {
                        if !all.contains(&ch) {
                            all.push(ch);
                        }
                    }
                    all.into_iter().map(|ch| ch.to_string()).collect()
                }
                None => Vec::new(),
            };
            let certificate = c
                .certification
                .as_ref()
                .filter(|cert| cert.status == "valid");
            Row {
                session_id: s.session_id.clone(),
                session_number: s.session_number,
                session_date: french_date(&s.session_date),
                session_status: s.status.clone(),
                candidate_id: c.candidate_id,
                class: c.local_id.clone().unwrap_or_default(),
                birth_name: c.birth_name.clone(),
                first_name: c.first_name.clone(),
                birthdate: french_date(&c.birthdate),
                status: c.status.clone(),
                no_qr: certificate.is_some_and(|cert| cert.qr_text.is_none()),
                certificate: certificate.map(|cert| CertificateSummary {
                    verification_code: cert.verification_code.clone(),
                    issued: french_date(&cert.issued),
                    pix: cert.pix,
                    pix_max: cert.pix_max,
                    global_level: cert.global_level,
                    levels: cert.levels.clone(),
                }),
                printable: certificate.is_some() && missing_glyphs.is_empty(),
                missing_glyphs,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.session_number, &a.session_id, &a.class)
            .cmp(&(b.session_number, &b.session_id, &b.class))
            .then_with(|| certroom_pdf::compare_names(&a.birth_name, &b.birth_name))
            .then_with(|| certroom_pdf::compare_names(&a.first_name, &b.first_name))
    });
    Roster {
        uai: results.uai.clone(),
        centre_name: results.centre_name.clone(),
        generated_at: results.generated_at.clone(),
        competences: competence_titles(),
        rows,
    }
}

fn competence_titles() -> Vec<CompetenceTitle> {
    let framework = certroom_core::framework::crcn().ok();
    certroom_core::framework::COMPETENCE_CODES
        .iter()
        .map(|code| {
            let title = framework.and_then(|f| f.competence(code)).map(|c| &c.title);
            CompetenceTitle {
                code: (*code).to_owned(),
                fr: title.map(|t| t.fr.clone()).unwrap_or_default(),
                en: title.map(|t| t.get("en").to_owned()).unwrap_or_default(),
            }
        })
        .collect()
}
