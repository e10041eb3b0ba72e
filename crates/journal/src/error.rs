//! Errors of the journal. Messages give the French text first: they can reach an invigilator's
//! screen, and the English part is for the support team and logs.

use crate::chain::ChainFault;
use crate::station::StationError;
use certroom_core::canonical::CanonicalError;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(
        "journal endommagé (test {test_id}, enregistrement n°{seq}) : {problem} — le test n'est pas \
         relancé, prévenir le support / damaged journal, the test is not restarted"
    , test_id = .test_id.as_deref().unwrap_or("-"), seq = .fault.seq, problem = .fault.problem)]
    Damaged {
        test_id: Option<String>,
        fault: ChainFault,
    },
    #[error(
        "fichier de journal endommagé ({0}) — aucun test n'est relancé, prévenir le support / \
         journal database file is damaged"
    )]
    DamagedFile(String),
    #[error(
        "le journal n'a pas pu passer en mode WAL (mode obtenu : {0}) ; dossier réseau ou support \
         non pris en charge / could not enable WAL"
    )]
    NotWal(String),
    #[error("le journal a été créé par une version plus récente ou son schéma est inconnu : {0} / schema migration failed")]
    Migration(String),
    #[error("test inconnu : {0} / unknown test")]
    UnknownTest(String),
    #[error("le test {0} existe déjà / test already exists")]
    TestExists(String),
    #[error("le test {0} n'est pas ouvert sur ce poste (appeler open_test) / test is not open")]
    TestNotOpen(String),
    #[error("le test {0} est terminé : plus aucun enregistrement possible / test has ended")]
    TestEnded(String),
    #[error("le test {0} n'est pas terminé : pas de signature possible / test has not ended")]
    NotEnded(String),
    #[error(
        "un autre programme écrit dans le journal du test {0} / another writer appended to this \
         test's journal"
    )]
    ConcurrentWriter(String),
    #[error("en-tête de test invalide : {0} / invalid test header")]
    InvalidHeader(String),
    #[error("{0}")]
    Canonical(#[from] CanonicalError),
    #[error("{0}")]
    Station(#[from] StationError),
    #[error("valeur hors limites ({0}) / value out of range")]
    OutOfRange(&'static str),
    #[error("erreur d'écriture du journal (SQLite) : {0} / journal storage error")]
    Sqlite(#[from] rusqlite::Error),
    #[error("erreur d'accès au journal : {0} / journal I/O error")]
    Io(#[from] std::io::Error),
}

/// Corruption reported by SQLite itself is a damaged journal, not a generic storage error: the
/// kiosk must stop and call support rather than retry or start over.
pub(crate) fn classify(e: rusqlite::Error) -> JournalError {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    match e.sqlite_error_code() {
        Some(DatabaseCorrupt) | Some(NotADatabase) => JournalError::DamagedFile(e.to_string()),
        _ => JournalError::Sqlite(e),
    }
}
