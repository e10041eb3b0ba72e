use certroom_certificate::results::ResultsFileError;
use certroom_core::message::UserMessage;

use crate::print::CandidateRef;

#[derive(Debug, thiserror::Error)]
pub enum OfficeError {
    #[error("no service key configured")]
    NoServiceKey,
    #[error("invalid setting {field}: {reason}")]
    Setting { field: &'static str, reason: String },
    #[error("results file: {0}")]
    File(#[from] ResultsFileError),
    #[error("service keys: {0}")]
    Keys(certroom_certificate::KeyError),
    #[error("results of centre {found}, this office is {expected}")]
    OtherCentre { expected: String, found: String },
    #[error("results generated at {file}, older than the ones kept ({kept})")]
    Older { file: String, kept: String },
    #[error("no results yet")]
    NoResults,
    #[error("unknown candidate {0:?}")]
    UnknownCandidate(CandidateRef),
    #[error("{0} has no published certificate")]
    NotPublished(String),
    #[error("nothing selected")]
    NothingSelected,
    #[error(transparent)]
    Pdf(#[from] certroom_pdf::PdfError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl OfficeError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

impl UserMessage for OfficeError {
    fn code(&self) -> &str {
        match self {
            Self::NoServiceKey => "office.no_service_key",
            Self::Setting { .. } => "office.setting",
            Self::File(e) => e.code(),
            Self::Keys(e) => e.code(),
            Self::OtherCentre { .. } => "office.other_centre",
            Self::Older { .. } => "office.older",
            Self::NoResults => "office.no_results",
            Self::UnknownCandidate(_) => "office.unknown_candidate",
            Self::NotPublished(_) => "office.not_published",
            Self::NothingSelected => "office.nothing_selected",
            Self::Pdf(e) => e.code(),
            Self::Io { .. } => "office.io",
        }
    }

    fn message_fr(&self) -> String {
        match self {
            Self::NoServiceKey => "Aucune clé du service de certification n'est enregistrée : \
                 saisissez-la dans les réglages (64 caractères hexadécimaux, publiée par le \
                 service) avant d'importer des résultats."
                .into(),
            Self::Setting { field, reason } => format!("Réglage « {field} » invalide : {reason}."),
            Self::File(e) => format!(
                "Fichier de résultats refusé, rien n'a été importé : {}.",
                file_fr(e)
            ),
            Self::Keys(e) => e.message_fr(),
            Self::OtherCentre { expected, found } => format!(
                "Ces résultats sont ceux du centre {found}, pas de ce centre ({expected}) : \
                 rien n'a été importé."
            ),
            Self::Older { file, kept } => format!(
                "Ce fichier ({file}) est plus ancien que les résultats déjà enregistrés \
                 ({kept}) : rien n'a été importé."
            ),
            Self::NoResults => "Aucun résultat : récupérez-les auprès du service ou importez \
                 un fichier de résultats."
                .into(),
            Self::UnknownCandidate(r) => format!(
                "Candidat {} de la session {} introuvable dans les résultats.",
                r.candidate_id, r.session_id
            ),
            Self::NotPublished(name) => {
                format!("{name} n'a pas d'attestation publiée : rien n'a été imprimé.")
            }
            Self::NothingSelected => "Choisissez au moins un candidat à imprimer.".into(),
            Self::Pdf(e) => e.message_fr(),
            Self::Io { path, source } => {
                format!("Impossible d'écrire ou de lire {path} : {source}.")
            }
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::NoServiceKey => "No key of the certification service is recorded: enter it in \
                 the settings (64 hexadecimal characters, published by the service) before \
                 importing results."
                .into(),
            Self::Setting { field, reason } => format!("Invalid setting “{field}”: {reason}."),
            Self::File(e) => format!(
                "Results file refused, nothing was imported: {}.",
                file_en(e)
            ),
            Self::Keys(e) => e.message_en(),
            Self::OtherCentre { expected, found } => format!(
                "These are the results of centre {found}, not of this centre ({expected}): \
                 nothing was imported."
            ),
            Self::Older { file, kept } => format!(
                "This file ({file}) is older than the results already kept ({kept}): nothing \
                 was imported."
            ),
            Self::NoResults => {
                "No results: fetch them from the service or import a results file.".into()
            }
            Self::UnknownCandidate(r) => format!(
                "Candidate {} of session {} is not in the results.",
                r.candidate_id, r.session_id
            ),
            Self::NotPublished(name) => {
                format!("{name} has no published certificate: nothing was printed.")
            }
            Self::NothingSelected => "Choose at least one candidate to print.".into(),
            Self::Pdf(e) => e.message_en(),
            Self::Io { path, source } => format!("Cannot write or read {path}: {source}."),
        }
    }
}

fn file_fr(e: &ResultsFileError) -> String {
    match e {
        ResultsFileError::NotResultsFile => "ce n'est pas un fichier de résultats certroom".into(),
        ResultsFileError::Header(what) => format!("en-tête mal formé ({what})"),
        ResultsFileError::WrongKey => {
            "il est signé par une autre clé que celle du service enregistrée".into()
        }
        ResultsFileError::BadSignature => {
            "la signature ne correspond pas : le fichier a été modifié".into()
        }
        ResultsFileError::Payload(why) => format!("contenu illisible ({why})"),
        ResultsFileError::TooLarge => "fichier trop volumineux".into(),
        ResultsFileError::Key(k) => k.message_fr(),
    }
}

fn file_en(e: &ResultsFileError) -> String {
    match e {
        ResultsFileError::NotResultsFile => "this is not a certroom results file".into(),
        ResultsFileError::Header(what) => format!("malformed header ({what})"),
        ResultsFileError::WrongKey => {
            "it is signed by another key than the recorded service key".into()
        }
        ResultsFileError::BadSignature => {
            "the signature does not match: the file was modified".into()
        }
        ResultsFileError::Payload(why) => format!("unreadable content ({why})"),
        ResultsFileError::TooLarge => "file too large".into(),
        ResultsFileError::Key(k) => k.message_en(),
    }
}
