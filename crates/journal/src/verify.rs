//! Offline audit of a whole station journal file, as the central service runs it.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::chain::{self, Problem};
use crate::error::JournalError;
use crate::journal::{read_head, read_rows, read_test};
use crate::station::SignedHead;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedTest {
    pub test_id: String,
    pub records: u64,
    pub ended: bool,
    pub signed_head: Option<SignedHead>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub tests: u64,
    pub records: u64,
    pub signed_heads: u64,
    /// Records by kind of event, over every test (`FocusLost`, `Answer`…).
    pub events: std::collections::BTreeMap<&'static str, u64>,
    pub details: Vec<VerifiedTest>,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("impossible d'ouvrir le journal : {0} / cannot open journal")]
    Open(String),
    #[error("ce fichier n'est pas un journal certroom : {0} / not a certroom journal")]
    NotAJournal(String),
    #[error("fichier endommagé (integrity_check) : {0} / SQLite integrity check failed")]
    Integrity(String),
    #[error("test {test_id}, enregistrement n°{seq} : {problem}")]
    Broken {
        test_id: String,
        seq: u64,
        problem: Problem,
    },
    #[error("{0} enregistrement(s) sans test correspondant / records of no known test")]
    Orphans(u64),
    #[error("lecture du journal impossible : {0} / journal read error")]
    Read(String),
}

impl From<JournalError> for VerifyError {
    fn from(e: JournalError) -> Self {
        match e {
            JournalError::DamagedFile(s) => VerifyError::Integrity(s),
            other => VerifyError::Read(other.to_string()),
        }
    }
}

fn read_err(e: rusqlite::Error) -> VerifyError {
    VerifyError::Read(e.to_string())
}

/// Verifies every test in the file: SQLite integrity, each chain from its genesis, row/bytes
/// agreement, and each signed head. Opens the file read-only; never modifies it.
pub fn verify_file(path: &Path) -> Result<VerifyReport, VerifyError> {
    if !path.is_file() {
        return Err(VerifyError::Open(format!(
            "{} is not a file",
            path.display()
        )));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| VerifyError::Open(e.to_string()))?;
    // The file may be hostile: do not let its schema run functions with side effects.
    conn.pragma_update(None, "trusted_schema", "OFF")
        .map_err(read_err)?;
    crate::schema::integrity_check(&conn)?;

    let test_ids: Vec<String> = conn
        .prepare("SELECT test_id FROM tests ORDER BY test_id")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| VerifyError::NotAJournal(e.to_string()))?;
    let orphans: i64 = conn
        .query_row(
            "SELECT count(*) FROM records WHERE test_id NOT IN (SELECT test_id FROM tests)",
            [],
            |r| r.get(0),
        )
        .map_err(|e| VerifyError::NotAJournal(e.to_string()))?;
    if orphans != 0 {
        return Err(VerifyError::Orphans(u64::try_from(orphans).unwrap_or(0)));
    }

    let mut report = VerifyReport {
        tests: 0,
        records: 0,
        signed_heads: 0,
        events: std::collections::BTreeMap::new(),
        details: Vec::new(),
    };
    for test_id in test_ids {
        let broken = |f: chain::ChainFault| VerifyError::Broken {
            test_id: test_id.clone(),
            seq: f.seq,
            problem: f.problem,
        };
        let raw = read_test(&conn, &test_id)?
            .ok_or_else(|| VerifyError::Read(format!("test {test_id} vanished")))?;
        let header = chain::check_header(&raw).map_err(broken)?;
        let rows = read_rows(&conn, &test_id)?;
        let records = chain::check_records(&header, &raw.header, &rows).map_err(broken)?;
        let head = match read_head(&conn, &test_id)? {
            Some((body, sig)) => {
                let head = SignedHead::from_stored(&body, &sig).map_err(|e| {
                    broken(chain::ChainFault {
                        seq: 0,
                        problem: Problem::HeadSignature(e.to_string()),
                    })
                })?;
                chain::check_head(&header, &records, &head).map_err(broken)?;
                report.signed_heads += 1;
                Some(head)
            }
            None => None,
        };
        report.tests += 1;
        report.records += records.len() as u64;
        for r in &records {
            *report.events.entry(r.event.kind()).or_default() += 1;
        }
        report.details.push(VerifiedTest {
            test_id: test_id.clone(),
            records: records.len() as u64,
            ended: records
                .last()
                .is_some_and(|r| matches!(r.event, crate::event::Event::Ended { .. })),
            signed_head: head,
        });
    }
    Ok(report)
}
