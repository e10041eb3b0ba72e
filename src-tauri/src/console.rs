//! The console window's commands (and the centre's, which the office shares): each is a
//! conversion and one call into certroom-console, where the sign-in is checked.

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use certroom_centre::centre::CentreDraft;
use certroom_centre::enrolment::{CandidateFields, ExportFormat};
use certroom_centre::session::SessionDraft;
use certroom_console::{
    CandidateView, CentreView, Console, LabStation, OutboxStatus, RoomInfo, SessionView,
    StandbyStatus,
};
use certroom_protocol::ConsoleCommand;
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};

use crate::error::AppError;
use crate::shell::AppState;

#[derive(Serialize, ts_rs::TS)]
pub struct Written {
    pub(crate) path: String,
}

impl Written {
    pub fn new(path: &Path) -> Self {
        Written {
            path: path.display().to_string(),
        }
    }
}

#[derive(Serialize, ts_rs::TS)]
pub struct Created {
    created: Vec<i64>,
}

#[derive(Serialize, ts_rs::TS)]
pub struct Imported {
    imported: usize,
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

/// Where this window writes its technical log, shown at the foot of the console and the office.
#[tauri::command]
pub fn logs_folder() -> Option<String> {
    crate::logs::dir().map(|d| d.display().to_string())
}

#[tauri::command]
pub fn centre_get(state: State<'_, AppState>) -> Result<Option<CentreView>, AppError> {
    Ok(state.console()?.centre()?)
}

#[tauri::command]
pub fn centre_setup(
    state: State<'_, AppState>,
    centre: CentreDraft,
    password: String,
) -> Result<(), AppError> {
    Ok(state.console()?.set_up_centre(centre, &password)?)
}

#[tauri::command]
pub fn centre_sign_in(state: State<'_, AppState>, password: String) -> Result<bool, AppError> {
    Ok(state.console()?.sign_in(&password)?)
}

#[tauri::command]
pub fn centre_sign_out(state: State<'_, AppState>) -> Result<(), AppError> {
    state.console()?.sign_out();
    Ok(())
}

#[tauri::command]
pub fn session_list(state: State<'_, AppState>) -> Result<Vec<SessionView>, AppError> {
    Ok(state.console()?.sessions()?)
}

#[tauri::command]
pub fn session_create(
    state: State<'_, AppState>,
    draft: SessionDraft,
) -> Result<SessionView, AppError> {
    Ok(state.console()?.create_session(&draft)?)
}

#[tauri::command]
pub fn session_update(
    state: State<'_, AppState>,
    number: i64,
    draft: SessionDraft,
) -> Result<SessionView, AppError> {
    Ok(state.console()?.update_session(number, &draft)?)
}

#[tauri::command]
pub fn session_delete(state: State<'_, AppState>, number: i64) -> Result<(), AppError> {
    Ok(state.console()?.delete_session(number)?)
}

#[tauri::command]
pub fn session_candidates(
    state: State<'_, AppState>,
    number: i64,
) -> Result<Vec<CandidateView>, AppError> {
    Ok(state.console()?.candidates(number)?)
}

#[tauri::command]
pub fn candidate_add(
    state: State<'_, AppState>,
    number: i64,
    candidate: CandidateFields,
) -> Result<CandidateView, AppError> {
    Ok(state.console()?.add_candidate(number, &candidate)?)
}

#[tauri::command]
pub fn candidate_update(
    state: State<'_, AppState>,
    number: i64,
    id: i64,
    candidate: CandidateFields,
) -> Result<CandidateView, AppError> {
    Ok(state.console()?.edit_candidate(number, id, &candidate)?)
}

#[tauri::command]
pub fn candidate_remove(state: State<'_, AppState>, number: i64, id: i64) -> Result<(), AppError> {
    Ok(state.console()?.remove_candidate(number, id)?)
}

/// The national service's sessions file (`;`, BOM): every session, or none.
#[tauri::command]
pub fn session_import_file(
    state: State<'_, AppState>,
    bytes_base64: String,
) -> Result<Created, AppError> {
    let bytes = decode_upload(&bytes_base64)?;
    Ok(Created {
        created: state.console()?.import_sessions(&bytes)?,
    })
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
    Ok(Imported {
        imported: state
            .console()?
            .import_candidates(number, &bytes, &file_name, &classes)?,
    })
}

#[tauri::command]
pub fn session_export(
    state: State<'_, AppState>,
    number: i64,
    format: String,
) -> Result<Written, AppError> {
    let format = match format.as_str() {
        "xlsx" => ExportFormat::Xlsx,
        _ => ExportFormat::Csv,
    };
    let path = state.console()?.export_candidates(number, format)?;
    Ok(Written::new(&path))
}

#[tauri::command]
pub fn session_attendance(state: State<'_, AppState>, number: i64) -> Result<Written, AppError> {
    Ok(Written::new(&state.console()?.attendance(number)?))
}

/// Opens the live room of a session on this console; its pushes reach the page as
/// `room://event`.
#[tauri::command]
pub async fn room_open(
    app: AppHandle,
    state: State<'_, AppState>,
    session: i64,
    password: String,
    bank_key: String,
    bind: String,
) -> Result<RoomInfo, AppError> {
    let console: Arc<Console> = state.console()?.clone();
    Ok(console
        .open_room(session, &password, &bank_key, &bind, room_pushes(app))
        .await?)
}

/// The hub's pushes, delivered to the console window as `room://event`.
pub fn room_pushes(app: AppHandle) -> certroom_console::Pushes {
    Arc::new(move |event| {
        let _ = app.emit_to("console", "room://event", event);
    })
}

#[tauri::command]
pub fn room_view(state: State<'_, AppState>) -> Result<Option<RoomInfo>, AppError> {
    Ok(state.console()?.room_view()?)
}

#[tauri::command]
pub fn room_command(state: State<'_, AppState>, command: ConsoleCommand) -> Result<(), AppError> {
    Ok(state.console()?.room_command(command)?)
}

/// Sends the session's sealed bank pack (the file the invigilator chose) to the room's PCs.
#[tauri::command]
pub fn room_offer_bank(state: State<'_, AppState>, pack: Vec<u8>) -> Result<(), AppError> {
    Ok(state.console()?.offer_bank(pack)?)
}

/// Where the console's standby copy stands (`None`: no medium given yet).
#[tauri::command]
pub fn standby_status(state: State<'_, AppState>) -> Result<Option<StandbyStatus>, AppError> {
    Ok(state.console()?.standby_status()?)
}

/// The invigilator chooses the medium for the standby copy (a USB key, a share): the copy
/// starts there, and the recovery code is shown. `None` if the choice was cancelled.
#[tauri::command]
pub async fn standby_choose(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<Option<StandbyStatus>, AppError> {
    let console = state.console()?.clone();
    let chooser = state.save_as.clone();
    let chosen = tauri::async_runtime::spawn_blocking(move || {
        chooser.choose_folder(&app, "Support de la copie de secours")
    })
    .await
    .map_err(|e| AppError::internal("standby", e))?;
    let Some(folder) = chosen else {
        return Ok(None);
    };
    Ok(Some(console.start_standby(&folder)?))
}

/// The session report (procès-verbal), once the room is finalized.
#[tauri::command]
pub fn room_report(state: State<'_, AppState>) -> Result<Written, AppError> {
    Ok(Written::new(&state.console()?.room_report()?))
}

/// The finalized session's signed result bundle.
#[tauri::command]
pub fn room_bundle(state: State<'_, AppState>) -> Result<Written, AppError> {
    Ok(Written::new(&state.console()?.room_bundle()?.0))
}

/// What waits for the certification service, what was sent (with its receipt) or refused.
#[tauri::command]
pub fn outbox_list(state: State<'_, AppState>) -> Result<OutboxStatus, AppError> {
    Ok(state.console()?.outbox_status()?)
}

/// Sends what is due and reads back where the sent bundles stand at the service.
#[tauri::command]
pub async fn outbox_refresh(state: State<'_, AppState>) -> Result<OutboxStatus, AppError> {
    let console: Arc<Console> = state.console()?.clone();
    Ok(console.refresh_outbox().await?)
}

/// "Renvoyer": a refused or waiting bundle goes back in line at once.
#[tauri::command]
pub fn outbox_send_again(state: State<'_, AppState>, item: i64) -> Result<OutboxStatus, AppError> {
    Ok(state.console()?.send_again(item)?)
}

/// The PCs paired with this console (they join every session without pairing again).
#[tauri::command]
pub fn lab_stations(state: State<'_, AppState>) -> Result<Vec<LabStation>, AppError> {
    Ok(state.console()?.paired_stations()?)
}

/// Forgets a paired PC; returns the PCs left.
#[tauri::command]
pub fn lab_forget(
    state: State<'_, AppState>,
    public_key: String,
) -> Result<Vec<LabStation>, AppError> {
    let console = state.console()?;
    console.forget_station(&public_key)?;
    Ok(console.paired_stations()?)
}

/// Declares the paired PCs to the certification service; returns how many.
#[tauri::command]
pub async fn lab_declare(
    state: State<'_, AppState>,
    service_url: String,
) -> Result<usize, AppError> {
    let console: Arc<Console> = state.console()?.clone();
    Ok(console.declare_stations(&service_url).await?)
}

/// The signed declaration as a file, for a centre without a connection.
#[tauri::command]
pub fn lab_export(state: State<'_, AppState>) -> Result<Written, AppError> {
    Ok(Written::new(&state.console()?.export_stations()?))
}

/// Puts the finalized session's bundle in the outbox and sends it to the service.
#[tauri::command]
pub async fn room_send(
    state: State<'_, AppState>,
    service_url: String,
) -> Result<OutboxStatus, AppError> {
    let console: Arc<Console> = state.console()?.clone();
    Ok(console.send_bundle(&service_url).await?)
}
