//! The kiosk window's commands. Each is a thin adapter: argument conversion, one call into
//! certroom-kiosk, result conversion. Which window may call which command is decided by
//! `capabilities/*.json` (the kiosk's list is the candidate screens' needs and nothing else).

use crate::error::AppError;
use crate::shell::AppState;
use certroom_core::Response;
use certroom_kiosk::live::LiveRoom;
use certroom_kiosk::lockdown_log::LockdownEvent;
use certroom_kiosk::screen::AttachmentView;
use certroom_kiosk::{AnswerAck, Identity, Lang, Screen};
use serde::Serialize;
use tauri::{AppHandle, State};

#[derive(Serialize, ts_rs::TS)]
pub struct KioskStatus {
    demo: bool,
    station: String,
    /// Paired with a room hub: the invigilator acts from the console.
    room: bool,
}

#[tauri::command]
pub fn kiosk_status(state: State<'_, AppState>) -> KioskStatus {
    KioskStatus {
        demo: state.demo,
        station: state.data.path().display().to_string(),
        room: state.live_room.get().is_some(),
    }
}

#[tauri::command]
pub fn kiosk_ready(state: State<'_, AppState>, painted_at_epoch_ms: f64) {
    if let Some(log) = state.lockdown_log.as_deref() {
        let _ = log.record(
            LockdownEvent::KioskReady,
            Some(&format!("{painted_at_epoch_ms:.0}")),
        );
    }
    if let Some(reader) = &state.screen_reader {
        reader.page_ready();
    }
}

#[tauri::command]
pub fn kiosk_exit(
    app: AppHandle,
    state: State<'_, AppState>,
    code: String,
) -> Result<(), AppError> {
    let Some(log) = state.lockdown_log.as_deref() else {
        return Err(AppError::internal("kiosk log", "not a kiosk"));
    };
    let accepted = state
        .exit_code
        .as_ref()
        .is_some_and(|hash| hash.verify(&code));
    if !accepted {
        let _ = log.record(LockdownEvent::ExitCodeRefused, None);
        return Err(AppError::new(
            "kiosk.exit_refused",
            "Code incorrect : fermeture refusée. L'événement est enregistré.",
            "Wrong code: close refused. The event is recorded.",
        ));
    }
    log.record(LockdownEvent::ExitAuthorized, None)
        .map_err(|e| AppError::internal("kiosk log", e))?;
    app.exit(0);
    Ok(())
}

#[tauri::command]
pub fn kiosk_screen(state: State<'_, AppState>, lang: Lang) -> Result<Screen, AppError> {
    let screen = state.sitting()?.screen(lang)?;
    Ok(match state.live_room.get() {
        Some(client) => client.adjust(screen),
        None => screen,
    })
}

/// In a live room the hub matches the identity; alone, the kiosk takes it as typed.
#[tauri::command]
pub async fn kiosk_join(
    state: State<'_, AppState>,
    identity: Identity,
    lang: Lang,
) -> Result<Screen, AppError> {
    match state.live_room.get().cloned() {
        Some(room) => Ok(room.join(identity, lang).await?),
        None => Ok(state.sitting()?.join(identity, lang)?),
    }
}

/// Something was journaled: a paired kiosk sends it to the hub now.
fn wake_room(state: &AppState) {
    if let Some(client) = state.live_room.get() {
        client.wake();
    }
}

#[tauri::command]
pub fn kiosk_authorize(
    state: State<'_, AppState>,
    code: String,
    lang: Lang,
) -> Result<Screen, AppError> {
    Ok(state.sitting()?.authorize(&code, lang)?)
}

/// `time_spent_ms` is the page's own measure, kept for diagnosis only: the time charged to the
/// question comes from the journal's live clock, which the page cannot touch.
#[tauri::command]
pub fn kiosk_answer(
    state: State<'_, AppState>,
    item_id: String,
    response: Response,
    time_spent_ms: u64,
    lang: Lang,
) -> Result<AnswerAck, AppError> {
    let _ = time_spent_ms;
    let ack = state.sitting()?.answer(&item_id, response, lang)?;
    wake_room(&state);
    Ok(ack)
}

#[tauri::command]
pub fn kiosk_attachment(
    state: State<'_, AppState>,
    item_id: String,
    id: usize,
    lang: Lang,
) -> Result<AttachmentView, AppError> {
    Ok(state.sitting()?.attachment(&item_id, id, lang)?)
}

#[tauri::command]
pub fn kiosk_report_problem(
    state: State<'_, AppState>,
    item_id: String,
    lang: Lang,
) -> Result<Screen, AppError> {
    let screen = state.sitting()?.report_problem(&item_id, lang)?;
    wake_room(&state);
    Ok(screen)
}

#[tauri::command]
pub fn kiosk_resolve_alert(
    state: State<'_, AppState>,
    code: String,
    validated: bool,
    lang: Lang,
) -> Result<Screen, AppError> {
    Ok(state.sitting()?.resolve_alert(&code, validated, lang)?)
}

/// The session's access code, in a live room.
#[tauri::command]
pub async fn kiosk_access_code(
    state: State<'_, AppState>,
    code: String,
    lang: Lang,
) -> Result<Screen, AppError> {
    Ok(live_room(&state)?.access_code(&code, lang).await?)
}

/// After an ended test: the kiosk goes back to a clean welcome screen for the next candidate.
#[tauri::command]
pub async fn kiosk_finish(state: State<'_, AppState>, lang: Lang) -> Result<Screen, AppError> {
    Ok(live_room(&state)?.finish(lang).await?)
}

fn live_room(state: &AppState) -> Result<std::sync::Arc<LiveRoom>, AppError> {
    state.live_room.get().cloned().ok_or_else(|| {
        AppError::new(
            "room.not_open",
            "Ce poste n'est pas appairé à une salle.",
            "This PC is not paired with a room.",
        )
    })
}
