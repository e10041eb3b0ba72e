//! `certroom session …`: the console's session set-up, headless, for IT staff and tests. The
//! same use cases as the window (certroom-console), acting for whoever runs the command.

use std::path::Path;

use certroom_centre::enrolment::ExportFormat;
use certroom_centre::session::SessionDraft;
use certroom_console::{Console, ConsoleError, SessionView};

/// The console whose database is `db`, its other files beside it.
fn console(db: &Path) -> Result<Console, String> {
    let data = db.parent().filter(|d| !d.as_os_str().is_empty());
    let console = Console::open_with_database(data.unwrap_or(Path::new(".")), db)
        .map_err(|e| e.message_fr)?;
    console.trust_local_operator();
    Ok(console)
}

/// A refusal: each of its lines (an import's report) on standard output, the reason as the error.
fn refused(e: ConsoleError) -> String {
    for line in e.report.iter().flatten() {
        out!("{}", line.message_fr);
    }
    e.message_fr
}

pub fn create(db: &Path, draft: SessionDraft, json: bool) -> Result<(), String> {
    let session = console(db)?.create_session(&draft).map_err(refused)?;
    print_session(&session, json)
}

pub fn list(db: &Path, json: bool) -> Result<(), String> {
    let sessions = console(db)?.sessions().map_err(refused)?;
    if json {
        out!(
            "{}",
            serde_json::to_string(&sessions).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    for s in &sessions {
        out!(
            "{:>6}  {}  {}  {} / {}  {} candidat(s)  {}",
            s.number,
            s.date,
            s.start_time,
            s.site,
            s.room,
            s.candidates,
            s.status.as_str()
        );
    }
    Ok(())
}

fn print_session(s: &SessionView, json: bool) -> Result<(), String> {
    if json {
        out!("{}", serde_json::to_string(s).map_err(|e| e.to_string())?);
    } else {
        out!("session {}", s.number);
        out!("code d'accès candidats : {}", s.access_code);
        out!("mot de passe surveillant : {}", s.invigilator_password);
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
    let started = std::time::Instant::now();
    let n = console(db)?
        .import_candidates(number, &bytes, &name, classes)
        .map_err(refused)?;
    out!(
        "{n} candidat(s) importé(s) dans la session {number} ({} ms)",
        started.elapsed().as_millis()
    );
    Ok(())
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
    let bytes = console(db)?
        .candidates_file(number, format)
        .map_err(refused)?;
    std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display()))
}

pub fn attendance(db: &Path, number: i64, out: &Path) -> Result<(), String> {
    let bytes = console(db)?.attendance_sheet(number).map_err(refused)?;
    std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display()))
}

/// Creates every session of a sessions file (`;`, BOM), or none: every bad line is printed.
pub fn import_sessions(db: &Path, file: &Path) -> Result<(), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let console = console(db)?;
    let numbers = console.import_sessions(&bytes).map_err(refused)?;
    for s in console
        .sessions()
        .map_err(refused)?
        .iter()
        .filter(|s| numbers.contains(&s.number))
    {
        out!(
            "session {}  {}  code {}  mot de passe {}",
            s.number,
            s.date,
            s.access_code,
            s.invigilator_password
        );
    }
    Ok(())
}
