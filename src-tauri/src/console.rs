//! The console's commands for session set-up: thin adapters over certroom-room. Every one needs
//! the administrator's sign-in, checked here in Rust (the page's own screens are not a lock).

use crate::error::AppError;
use crate::shell::AppState;
use base64::Engine as _;
use certroom_room::candidate::{Birthplace, Candidate};
use certroom_room::enrolment::{self, CandidateFields, EnrolmentError, ExportFormat};
use certroom_room::session::{Session, SessionDraft};
use certroom_room::store::{ConsoleStore, StoreError};
use serde::Serialize;
use std::path::PathBuf;
use tauri::State;

#[derive(Serialize)]
pub struct SessionDto {
    number: i64,
    site: String,
    room: String,
    date: String,
    start_time: String,
    invigilators: Vec<String>,
    observations: String,
    access_code: String,
    invigilator_password: String,
    status: &'static str,
    candidates: usize,
}

impl From<Session> for SessionDto {
    fn from(s: Session) -> Self {
        Self {
            number: s.number,
            date: s.details.date.format("%d/%m/%Y").to_string(),
            start_time: s.details.start_time.format("%H:%M").to_string(),
            site: s.details.site,
            room: s.details.room,
            invigilators: s.details.invigilators,
            observations: s.details.observations,
            access_code: s.access_code,
            invigilator_password: s.invigilator_password,
            status: s.status.as_str(),
            candidates: s.candidates,
        }
    }
}

#[derive(Serialize)]
pub struct CandidateDto {
    id: i64,
    birth_name: String,
    first_name: String,
    sex: &'static str,
    birthdate: String,
    birthplace: String,
    local_id: Option<String>,
    extra_time_percent: Option<u8>,
    adjusted_questions: bool,
    convocation_email: Option<String>,
    results_email: Option<String>,
}

impl CandidateDto {
    fn new(id: i64, c: Candidate) -> Self {
        let birthplace = match &c.birthplace {
            Birthplace::France { insee, town, .. } => format!("{town} ({insee})"),
            Birthplace::Abroad { country, town } => format!("{town}, {country}"),
        };
        Self {
            id,
            sex: c.sex.letter(),
            birthdate: c.birthdate.format("%d/%m/%Y").to_string(),
            birthplace,
            birth_name: c.birth_name,
            first_name: c.first_name,
            local_id: c.local_id,
            extra_time_percent: c.extra_time_percent,
            adjusted_questions: c.adjusted_questions,
            convocation_email: c.convocation_email,
            results_email: c.results_email,
        }
    }
}

pub(crate) fn with_store<T>(
    state: &AppState,
    f: impl FnOnce(&mut ConsoleStore) -> Result<T, AppError>,
) -> Result<T, AppError> {
    if !state.signed_in() {
        return Err(AppError::new(
            "console.sign_in",
            "Connectez-vous d'abord avec le mot de passe administrateur.",
            "Sign in with the administrator password first.",
        ));
    }
    let mut guard = state.console()?;
    let store = guard
        .as_mut()
        .ok_or_else(|| AppError::internal("console db", "closed"))?;
    f(store)
}

fn store_error(e: StoreError) -> AppError {
    match e {
        StoreError::Session(s) => s.into(),
        StoreError::UnknownCandidate(id) => AppError::new(
            "candidate.unknown",
            format!("Candidat {id} introuvable."),
            format!("No candidate {id}."),
        ),
        other => AppError::internal("console db", other),
    }
}

fn enrolment_error(e: EnrolmentError) -> AppError {
    match e {
        EnrolmentError::Store(s) => store_error(s),
        EnrolmentError::Refused(report) => {
            let mut err = AppError::from(EnrolmentError::Refused(report.clone()));
            err.report = Some(report.errors);
            err
        }
        EnrolmentError::ChooseClasses(classes) => {
            let mut err = AppError::from(EnrolmentError::ChooseClasses(classes.clone()));
            err.classes = Some(classes);
            err
        }
        other => other.into(),
    }
}

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

#[tauri::command]
pub fn session_list(state: State<'_, AppState>) -> Result<Vec<SessionDto>, AppError> {
    with_store(&state, |s| {
        Ok(s.sessions()
            .map_err(store_error)?
            .into_iter()
            .map(SessionDto::from)
            .collect())
    })
}

#[tauri::command]
pub fn session_create(
    state: State<'_, AppState>,
    draft: SessionDraft,
) -> Result<SessionDto, AppError> {
    let details = draft.validate()?;
    with_store(&state, |s| {
        Ok(s.create_session(&details).map_err(store_error)?.into())
    })
}

#[tauri::command]
pub fn session_update(
    state: State<'_, AppState>,
    number: i64,
    draft: SessionDraft,
) -> Result<SessionDto, AppError> {
    let details = draft.validate()?;
    with_store(&state, |s| {
        Ok(s.update_session(number, &details)
            .map_err(store_error)?
            .into())
    })
}

#[tauri::command]
pub fn session_delete(state: State<'_, AppState>, number: i64) -> Result<(), AppError> {
    with_store(&state, |s| s.delete_session(number).map_err(store_error))
}

#[tauri::command]
pub fn session_candidates(
    state: State<'_, AppState>,
    number: i64,
) -> Result<Vec<CandidateDto>, AppError> {
    with_store(&state, |s| {
        Ok(s.candidates(number)
            .map_err(store_error)?
            .into_iter()
            .map(|(id, c)| CandidateDto::new(id, c))
            .collect())
    })
}

/// A candidate typed by hand goes through exactly the rules of an imported line.
#[tauri::command]
pub fn candidate_add(
    state: State<'_, AppState>,
    number: i64,
    candidate: CandidateFields,
) -> Result<CandidateDto, AppError> {
    with_store(&state, |s| {
        let id = enrolment::add_by_hand(s, number, &candidate, today()).map_err(enrolment_error)?;
        stored_candidate(s, number, id)
    })
}

/// The candidate as stored after a change, for the page to show.
fn stored_candidate(store: &ConsoleStore, number: i64, id: i64) -> Result<CandidateDto, AppError> {
    let stored = store
        .candidates(number)
        .map_err(store_error)?
        .into_iter()
        .find(|(i, _)| *i == id);
    let (id, c) = stored.ok_or_else(|| AppError::internal("candidate", "not stored"))?;
    Ok(CandidateDto::new(id, c))
}

#[tauri::command]
pub fn candidate_update(
    state: State<'_, AppState>,
    number: i64,
    id: i64,
    candidate: CandidateFields,
) -> Result<CandidateDto, AppError> {
    with_store(&state, |s| {
        enrolment::edit_by_hand(s, number, id, &candidate, today()).map_err(enrolment_error)?;
        stored_candidate(s, number, id)
    })
}

#[derive(Serialize)]
pub struct Created {
    created: Vec<i64>,
}

/// The national service's sessions file (`;`, BOM): every session, or none.
#[tauri::command]
pub fn session_import_file(
    state: State<'_, AppState>,
    file_name: String,
    bytes_base64: String,
) -> Result<Created, AppError> {
    let _ = file_name;
    let bytes = decode_upload(&bytes_base64)?;
    with_store(&state, |s| {
        Ok(Created {
            created: enrolment::import_sessions_file(s, &bytes).map_err(enrolment_error)?,
        })
    })
}

fn decode_upload(bytes_base64: &str) -> Result<Vec<u8>, AppError> {
    base64::engine::general_purpose::STANDARD
        .decode(bytes_base64.as_bytes())
        .map_err(|_| {
            AppError::new(
                "import.transfer",
                "Le fichier n'a pas été transmis correctement.",
                "The file was not transferred correctly.",
            )
        })
}

#[tauri::command]
pub fn candidate_remove(state: State<'_, AppState>, number: i64, id: i64) -> Result<(), AppError> {
    with_store(&state, |s| {
        s.remove_candidate(number, id).map_err(store_error)
    })
}

#[derive(Serialize)]
pub struct Imported {
    imported: usize,
}

#[tauri::command]
pub fn session_import(
    state: State<'_, AppState>,
    number: i64,
    file_name: String,
    bytes_base64: String,
    classes: Option<Vec<String>>,
) -> Result<Imported, AppError> {
    let bytes = decode_upload(&bytes_base64)?;
    let classes = classes.unwrap_or_default();
    with_store(&state, |s| {
        Ok(Imported {
            imported: enrolment::import_file(s, number, &bytes, &file_name, &classes, today())
                .map_err(enrolment_error)?,
        })
    })
}

#[derive(Serialize)]
pub struct Written {
    pub(crate) path: String,
}

pub(crate) fn write_export(
    state: &AppState,
    name: &str,
    bytes: &[u8],
) -> Result<Written, AppError> {
    let dir: PathBuf = state.data.path().join("exports");
    std::fs::create_dir_all(&dir).map_err(|e| AppError::internal("exports", e))?;
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(|e| AppError::internal("exports", e))?;
    Ok(Written {
        path: path.display().to_string(),
    })
}

#[tauri::command]
pub fn session_export(
    state: State<'_, AppState>,
    number: i64,
    format: String,
) -> Result<Written, AppError> {
    let (format, ext) = match format.as_str() {
        "xlsx" => (ExportFormat::Xlsx, "xlsx"),
        _ => (ExportFormat::Csv, "csv"),
    };
    let bytes = with_store(&state, |s| {
        enrolment::export_file(s, number, format).map_err(enrolment_error)
    })?;
    write_export(&state, &format!("session-{number}-candidats.{ext}"), &bytes)
}

#[tauri::command]
pub fn session_attendance(state: State<'_, AppState>, number: i64) -> Result<Written, AppError> {
    let bytes = with_store(&state, |s| {
        enrolment::attendance_pdf(s, number).map_err(enrolment_error)
    })?;
    write_export(&state, &format!("session-{number}-emargement.pdf"), &bytes)
}
