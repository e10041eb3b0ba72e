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
    fn code(&self) -> &'static str {
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
#[derive(Debug, Clone, Default, serde::Deserialize)]
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

/// Adds one candidate typed by hand under exactly the rules of an imported line: the fields are
/// written as a one-line file in the template and imported. Returns the new candidate's id.
pub fn add_by_hand(
    store: &mut ConsoleStore,
    number: i64,
    fields: &CandidateFields,
    today: NaiveDate,
) -> Result<i64, EnrolmentError> {
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
        // A `;` or a line break typed in a field must not split the line.
        value.replace([';', '\n', '\r'], " ")
    };
    let header: Vec<&str> = Column::ALL.iter().map(|c| c.label()).collect();
    let row: Vec<String> = Column::ALL.iter().map(|c| cell(*c)).collect();
    let file = format!("{}\n{}\n", header.join(";"), row.join(";"));
    import_file(store, number, file.as_bytes(), "saisie.csv", &[], today)?;
    let newest = store
        .candidates(number)?
        .into_iter()
        .map(|(id, _)| id)
        .max();
    newest.ok_or(EnrolmentError::Store(StoreError::Corrupt("candidates")))
}
