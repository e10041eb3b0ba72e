//! Enrolment use cases, shared by the console window and the `certroom session` commands:
//! importing a file into a session (all or nothing), exporting it back, printing the
//! attendance sheet.

use crate::candidate::Candidate;
use crate::communes::Communes;
use crate::import::{self, export, siecle, FileKind, ImportError, ImportReport, Problem};
use crate::store::{ConsoleStore, StoreError};
use crate::UserMessage;
use chrono::NaiveDate;
use std::collections::HashSet;

#[derive(Debug, thiserror::Error)]
pub enum EnrolmentError {
    #[error("{0}")]
    Refused(ImportReport),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("SIECLE: choose the classes to import among {0:?}")]
    ChooseClasses(Vec<String>),
    #[error("the centre must be set up before a SIECLE import")]
    NoCentre,
    #[error("export: {0}")]
    Export(String),
    #[error("{0}")]
    Pdf(#[from] certroom_pdf::PdfError),
}

impl UserMessage for EnrolmentError {
    fn code(&self) -> &str {
        match self {
            Self::Refused(_) => "import.refused",
            Self::Store(_) => "store",
            Self::ChooseClasses(_) => "import.choose_classes",
            Self::NoCentre => "import.no_centre",
            Self::Export(_) => "export",
            Self::Pdf(e) => e.code(),
        }
    }
    fn message_fr(&self) -> String {
        match self {
            Self::Refused(r) => format!(
                "Import refusé : aucun candidat n'a été importé ({} erreur(s)).",
                r.errors.len()
            ),
            Self::Store(StoreError::Session(e)) => e.message_fr(),
            Self::Store(e) => format!("Erreur de la base de la console : {e}"),
            Self::ChooseClasses(c) => format!(
                "Fichier SIECLE : choisissez les classes à importer parmi {}.",
                c.join(", ")
            ),
            Self::NoCentre => {
                "Configurez d'abord le centre (code UAI) : l'import SIECLE vérifie l'établissement."
                    .into()
            }
            Self::Export(e) => format!("Export impossible : {e}"),
            Self::Pdf(e) => e.message_fr(),
        }
    }
    fn message_en(&self) -> String {
        match self {
            Self::Refused(r) => format!(
                "Import refused: no candidate was imported ({} error(s)).",
                r.errors.len()
            ),
            Self::Store(e) => format!("Console database error: {e}"),
            Self::ChooseClasses(c) => format!(
                "SIECLE file: choose the classes to import among {}.",
                c.join(", ")
            ),
            Self::NoCentre => {
                "Set the centre up first (UAI code): a SIECLE import checks the school.".into()
            }
            Self::Export(e) => format!("Export failed: {e}"),
            Self::Pdf(e) => e.message_en(),
        }
    }
}

/// Imports a template file (CSV, ODS, XLSX) or a SIECLE export into session `number`. Nothing is
/// written unless every line is right. For SIECLE, `classes` picks the divisions that sit it.
pub fn import_file(
    store: &mut ConsoleStore,
    number: i64,
    bytes: &[u8],
    file_name: &str,
    classes: &[String],
    today: NaiveDate,
) -> Result<usize, EnrolmentError> {
    let existing: Vec<Candidate> = store
        .candidates(number)?
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    let candidates = match import::detect(bytes) {
        FileKind::SiecleXml | FileKind::SiecleZip => {
            let centre = store.centre()?.ok_or(EnrolmentError::NoCentre)?;
            let export = siecle::read_with(bytes, centre.uai.as_str(), Communes::embedded(), today)
                .map_err(EnrolmentError::Refused)?;
            if classes.is_empty() {
                return Err(EnrolmentError::ChooseClasses(export.classes));
            }
            let picked = export.select(classes);
            refuse_duplicates(&picked, &existing)?;
            picked
        }
        _ => import::read_candidates(bytes, file_name, Communes::embedded(), &existing, today)
            .map_err(EnrolmentError::Refused)?,
    };
    store.add_candidates(number, &candidates)?;
    Ok(candidates.len())
}

/// SIECLE pupils are unique by INE; a pupil already enrolled by hand or by file is not.
fn refuse_duplicates(picked: &[Candidate], existing: &[Candidate]) -> Result<(), EnrolmentError> {
    let known: HashSet<String> = existing.iter().map(Candidate::match_key).collect();
    let errors: Vec<ImportError> = picked
        .iter()
        .filter(|c| known.contains(&c.match_key()))
        .map(|c| {
            let who = format!(
                "{} {} ({})",
                c.first_name,
                c.birth_name,
                c.birthdate.format("%d/%m/%Y")
            );
            ImportError::new(0, None, None, &Problem::AlreadyInSession(who))
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(EnrolmentError::Refused(ImportReport { errors }))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

/// The session's candidates in the national template.
pub fn export_file(
    store: &ConsoleStore,
    number: i64,
    format: ExportFormat,
) -> Result<Vec<u8>, EnrolmentError> {
    let candidates: Vec<Candidate> = store
        .candidates(number)?
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    match format {
        ExportFormat::Csv => Ok(export::to_csv(&candidates)),
        ExportFormat::Xlsx => {
            export::to_xlsx(&candidates).map_err(|e| EnrolmentError::Export(e.to_string()))
        }
    }
}

/// The feuille d'émargement of session `number`, names exactly as imported.
pub fn attendance_pdf(store: &ConsoleStore, number: i64) -> Result<Vec<u8>, EnrolmentError> {
    let session = store.session(number)?;
    let centre = store
        .centre()?
        .map(|c| format!("{} ({})", c.name, c.uai.as_str()))
        .unwrap_or_default();
    let rows = store
        .candidates(number)?
        .into_iter()
        .map(|(_, c)| certroom_pdf::AttendanceRow {
            birth_name: c.birth_name,
            first_name: c.first_name,
            birthdate: c.birthdate.format("%d/%m/%Y").to_string(),
            local_id: c.local_id.unwrap_or_default(),
        })
        .collect();
    let sheet = certroom_pdf::AttendanceSheet {
        centre,
        session_number: session.number.to_string(),
        site: session.details.site,
        room: session.details.room,
        date: session.details.date.format("%d/%m/%Y").to_string(),
        start_time: session.details.start_time.format("%H:%M").to_string(),
        invigilators: session.details.invigilators,
        rows,
    };
    Ok(certroom_pdf::attendance_sheet(&sheet)?)
}

/// A candidate typed by hand in the console, field by field, as the template's cells.
#[derive(Debug, Clone, Default, serde::Deserialize, ts_rs::TS)]
pub struct CandidateFields {
    pub birth_name: String,
    pub first_name: String,
    pub sex: String,
    pub birthdate: String,
    pub insee: String,
    pub postal_code: String,
    pub town: String,
    pub country: String,
    pub local_id: String,
    pub extra_time: String,
    pub adjusted_questions: bool,
    pub convocation_email: String,
    pub results_email: String,
}

/// Checks fields typed by hand under exactly the rules of an imported line: they are written as
/// a one-line file in the template and read back. `others`: the session's other candidates.
fn candidate_from_fields(
    fields: &CandidateFields,
    others: &[Candidate],
    today: NaiveDate,
) -> Result<Candidate, EnrolmentError> {
    use crate::import::columns::Column;
    let cell = |column: Column| -> String {
        let value = match column {
            Column::BirthName => fields.birth_name.as_str(),
            Column::FirstName => fields.first_name.as_str(),
            Column::LocalId => fields.local_id.as_str(),
            Column::ExtraTime => fields.extra_time.as_str(),
            Column::Birthdate => fields.birthdate.as_str(),
            Column::Town => fields.town.as_str(),
            Column::PostalCode => fields.postal_code.as_str(),
            Column::Insee => fields.insee.as_str(),
            Column::Country => fields.country.as_str(),
            Column::ConvocationEmail => fields.convocation_email.as_str(),
            Column::ResultsEmail => fields.results_email.as_str(),
            Column::Sex => fields.sex.as_str(),
            Column::AdjustedQuestions => {
                if fields.adjusted_questions {
                    "oui"
                } else {
                    "non"
                }
            }
        };
        // A `;`, a quote or a line break typed in a field must not reshape the line.
        value.replace([';', '\n', '\r', '"'], " ")
    };
    let header: Vec<&str> = Column::ALL.iter().map(|c| c.label()).collect();
    let row: Vec<String> = Column::ALL.iter().map(|c| cell(*c)).collect();
    let file = format!("{}\n{}\n", header.join(";"), row.join(";"));
    let mut read = import::read_candidates(
        file.as_bytes(),
        "saisie.csv",
        Communes::embedded(),
        others,
        today,
    )
    .map_err(EnrolmentError::Refused)?;
    read.pop()
        .ok_or(EnrolmentError::Store(StoreError::Corrupt("candidates")))
}

/// Adds one candidate typed by hand. Returns the new candidate's id.
pub fn add_by_hand(
    store: &mut ConsoleStore,
    number: i64,
    fields: &CandidateFields,
    today: NaiveDate,
) -> Result<i64, EnrolmentError> {
    let others: Vec<Candidate> = store
        .candidates(number)?
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    let candidate = candidate_from_fields(fields, &others, today)?;
    let ids = store.add_candidates(number, std::slice::from_ref(&candidate))?;
    ids.first()
        .copied()
        .ok_or(EnrolmentError::Store(StoreError::Corrupt("candidates")))
}

/// Corrects a candidate (a misspelt name, a wrong birthdate) under the same rules.
pub fn edit_by_hand(
    store: &mut ConsoleStore,
    number: i64,
    id: i64,
    fields: &CandidateFields,
    today: NaiveDate,
) -> Result<(), EnrolmentError> {
    let others: Vec<Candidate> = store
        .candidates(number)?
        .into_iter()
        .filter(|(i, _)| *i != id)
        .map(|(_, c)| c)
        .collect();
    let candidate = candidate_from_fields(fields, &others, today)?;
    store.replace_candidate(number, id, &candidate)?;
    Ok(())
}

/// Creates every session of a sessions file, or none.
pub fn import_sessions_file(
    store: &mut ConsoleStore,
    bytes: &[u8],
) -> Result<Vec<i64>, EnrolmentError> {
    let all = crate::session::read_sessions_csv(bytes).map_err(|errors| {
        let errors = errors
            .into_iter()
            .map(|e| ImportError {
                line: usize::try_from(e.line).unwrap_or(usize::MAX),
                column: None,
                value: None,
                ine: None,
                code: e.error.code().to_owned(),
                message_fr: e.message_fr(),
                message_en: e.error.message_en(),
            })
            .collect();
        EnrolmentError::Refused(ImportReport { errors })
    })?;
    Ok(store.create_sessions(&all)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SessionDraft;

    fn store_with_session() -> (ConsoleStore, i64) {
        let mut store = ConsoleStore::open_in_memory().unwrap();
        let draft = SessionDraft {
            site: "Lycée".into(),
            room: "B12".into(),
            date: "12/03/2027".into(),
            start_time: "08:30".into(),
            invigilators: vec!["Mme Durand".into()],
            observations: String::new(),
        };
        let number = store
            .create_session(&draft.validate().unwrap())
            .unwrap()
            .number;
        (store, number)
    }

    fn zoe() -> CandidateFields {
        CandidateFields {
            birth_name: "N'Diaye-Lefèvre".into(),
            first_name: "Zoé".into(),
            sex: "F".into(),
            birthdate: "14/02/2010".into(),
            insee: "75105".into(),
            ..CandidateFields::default()
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    #[test]
    fn a_candidate_typed_by_hand_follows_the_import_rules_and_can_be_corrected() {
        let (mut store, number) = store_with_session();
        let id = add_by_hand(&mut store, number, &zoe(), today()).unwrap();
        // The same person twice is refused, as in a file.
        assert!(matches!(
            add_by_hand(&mut store, number, &zoe(), today()),
            Err(EnrolmentError::Refused(_))
        ));
        let bad = CandidateFields {
            birthdate: "31/02/2010".into(),
            ..zoe()
        };
        let Err(EnrolmentError::Refused(report)) =
            edit_by_hand(&mut store, number, id, &bad, today())
        else {
            panic!("refused expected")
        };
        assert!(report.errors[0].message_fr.contains("31/02/2010"));
        // Correcting the birthdate does not count the candidate as their own duplicate.
        let fixed = CandidateFields {
            birthdate: "15/02/2010".into(),
            ..zoe()
        };
        edit_by_hand(&mut store, number, id, &fixed, today()).unwrap();
        let stored = store.candidates(number).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(
            stored[0].1.birthdate,
            NaiveDate::from_ymd_opt(2010, 2, 15).unwrap()
        );
        assert_eq!(stored[0].1.birth_name, "N'Diaye-Lefèvre");
    }

    #[test]
    fn a_sessions_file_creates_all_or_nothing() {
        let (mut store, _) = store_with_session();
        let header = "\u{feff}* Nom du site;* Nom de la salle;* Date de début (format : jj/mm/aaaa);* Heure de début (heure locale format : hh:mm);* Surveillant(s);Observations (optionnel)";
        let bad = format!("{header}\nA;B;12/03/2027;08:30;X;\nA;B;30/02/2027;08:30;X;\n");
        let Err(EnrolmentError::Refused(report)) = import_sessions_file(&mut store, bad.as_bytes())
        else {
            panic!("refused expected")
        };
        assert_eq!(report.errors[0].line, 3);
        assert_eq!(store.sessions().unwrap().len(), 1, "nothing created");
        let good = format!("{header}\nA;B;12/03/2027;08:30;X;\nA;C;13/03/2027;09:00;Y;\n");
        assert_eq!(
            import_sessions_file(&mut store, good.as_bytes())
                .unwrap()
                .len(),
            2
        );
        assert_eq!(store.sessions().unwrap().len(), 3);
    }
}
