//! `certroom session …`: the console's session set-up, headless, for IT staff and tests.

use certroom_centre::enrolment::{self, EnrolmentError, ExportFormat};
use certroom_centre::session::{Session, SessionDraft};
use certroom_centre::store::{ConsoleStore, StoreError};
use certroom_core::message::UserMessage;
use std::path::Path;

pub fn open_store(db: &Path) -> Result<ConsoleStore, String> {
    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    ConsoleStore::open(db).map_err(|e| e.to_string())
}

pub fn store_error(e: StoreError) -> String {
    match e {
        StoreError::Session(s) => s.message_fr(),
        other => other.to_string(),
    }
}

pub fn create(db: &Path, draft: SessionDraft, json: bool) -> Result<(), String> {
    let details = draft.validate().map_err(|e| e.message_fr())?;
    let mut store = open_store(db)?;
    let session = store.create_session(&details).map_err(store_error)?;
    print_session(&session, json)
}

pub fn list(db: &Path, json: bool) -> Result<(), String> {
    let store = open_store(db)?;
    let sessions = store.sessions().map_err(store_error)?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&sessions).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    for s in &sessions {
        println!(
            "{:>6}  {}  {}  {} / {}  {} candidat(s)  {}",
            s.number,
            s.details.date.format("%d/%m/%Y"),
            s.details.start_time.format("%H:%M"),
            s.details.site,
            s.details.room,
            s.candidates,
            s.status.as_str()
        );
    }
    Ok(())
}

fn print_session(s: &Session, json: bool) -> Result<(), String> {
    if json {
        println!("{}", serde_json::to_string(s).map_err(|e| e.to_string())?);
    } else {
        println!("session {}", s.number);
        println!("code d'accès candidats : {}", s.access_code);
        println!("mot de passe surveillant : {}", s.invigilator_password);
    }
    Ok(())
}

/// Imports a file into a session, all or nothing; a refusal prints the full report and fails.
pub fn import(db: &Path, number: i64, file: &Path, classes: &[String]) -> Result<(), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut store = open_store(db)?;
    let started = std::time::Instant::now();
    match enrolment::import_file(
        &mut store,
        number,
        &bytes,
        &name,
        classes,
        chrono::Local::now().date_naive(),
    ) {
        Ok(n) => {
            println!(
                "{n} candidat(s) importé(s) dans la session {number} ({} ms)",
                started.elapsed().as_millis()
            );
            Ok(())
        }
        Err(EnrolmentError::Refused(report)) => {
            for e in &report.errors {
                println!("{}", e.message_fr);
            }
            Err(format!(
                "import refusé : aucun candidat importé ({} erreur(s))",
                report.errors.len()
            ))
        }
        Err(e) => Err(e.message_fr()),
    }
}

/// Exports the session's candidates in the national template; the format follows the extension.
pub fn export(db: &Path, number: i64, out: &Path) -> Result<(), String> {
    let format = match out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("xlsx") => ExportFormat::Xlsx,
        Some("csv") => ExportFormat::Csv,
        _ => {
            return Err(format!(
                "{} : extension .csv ou .xlsx attendue / expected .csv or .xlsx",
                out.display()
            ))
        }
    };
    let store = open_store(db)?;
    let bytes = enrolment::export_file(&store, number, format).map_err(|e| e.message_fr())?;
    std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display()))
}

pub fn attendance(db: &Path, number: i64, out: &Path) -> Result<(), String> {
    let store = open_store(db)?;
    let bytes = enrolment::attendance_pdf(&store, number).map_err(|e| e.message_fr())?;
    std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display()))
}

/// Creates every session of a sessions file (`;`, BOM), or none: every bad line is printed.
pub fn import_sessions(db: &Path, file: &Path) -> Result<(), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let all = certroom_centre::session::read_sessions_csv(&bytes).map_err(|errors| {
        for e in &errors {
            println!("{}", e.message_fr());
        }
        format!(
            "fichier refusé : aucune session créée ({} erreur(s))",
            errors.len()
        )
    })?;
    let mut store = open_store(db)?;
    let numbers = store.create_sessions(&all).map_err(store_error)?;
    for n in &numbers {
        let s = store.session(*n).map_err(store_error)?;
        println!(
            "session {}  {}  code {}  mot de passe {}",
            s.number,
            s.details.date.format("%d/%m/%Y"),
            s.access_code,
            s.invigilator_password
        );
    }
    Ok(())
}
