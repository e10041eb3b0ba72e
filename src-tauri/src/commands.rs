//! Every command the webviews can invoke, in one place. Each is a thin adapter: argument
//! conversion, one call into a domain crate, result conversion. Which window may call which
//! command is decided by `capabilities/*.json`.

use crate::error::AppError;
use crate::kiosk::record::LockdownEvent;
use crate::shell::AppState;
use certroom_core::Response;
use certroom_kiosk::screen::AttachmentView;
use certroom_kiosk::{AnswerAck, Identity, Lang, Screen};
use certroom_room::centre::{Centre, CentreDraft};
use certroom_room::password::PasswordHash;
use serde::Serialize;
use tauri::{AppHandle, State};

#[derive(Serialize)]
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
        room: state.room_client.get().is_some(),
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
    Ok(match state.room_client.get() {
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
    match state.room_client.get().cloned() {
        Some(client) => crate::room::join(&state, &client, identity, lang).await,
        None => Ok(state.sitting()?.join(identity, lang)?),
    }
}

/// Something was journaled: a paired kiosk sends it to the hub now.
fn wake_room(state: &AppState) {
    if let Some(client) = state.room_client.get() {
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

#[derive(Serialize)]
pub struct CentreDto {
    uai: String,
    name: String,
    address: String,
}

impl From<Centre> for CentreDto {
    fn from(c: Centre) -> Self {
        Self {
            uai: c.uai.as_str().to_owned(),
            name: c.name,
            address: c.address,
        }
    }
}

#[tauri::command]
pub fn centre_get(state: State<'_, AppState>) -> Result<Option<CentreDto>, AppError> {
    let store = state.console()?;
    let centre = store
        .as_ref()
        .map(|s| s.centre())
        .transpose()
        .map_err(|e| AppError::internal("console db", e))?;
    Ok(centre.flatten().map(CentreDto::from))
}

#[tauri::command]
pub fn centre_setup(
    state: State<'_, AppState>,
    centre: CentreDraft,
    password: String,
) -> Result<(), AppError> {
    let centre = centre.validate(&password)?;
    let hash = PasswordHash::new(&password).map_err(|e| AppError::internal("password", e))?;
    let mut store = state.console()?;
    let store = store
        .as_mut()
        .ok_or_else(|| AppError::internal("console db", "closed"))?;
    let result = store.set_up_centre(&centre, &hash).map_err(|e| match e {
        certroom_room::store::StoreError::CentreExists => AppError::new(
            "centre.exists",
            "Le centre est déjà configuré.",
            "The centre is already set up.",
        ),
        other => AppError::internal("console db", other),
    });
    // Whoever just chose the administrator password is signed in.
    state.set_signed_in(result.is_ok());
    result
}

#[tauri::command]
pub fn centre_sign_in(state: State<'_, AppState>, password: String) -> Result<bool, AppError> {
    let store = state.console()?;
    let hash = store
        .as_ref()
        .map(|s| s.admin_password())
        .transpose()
        .map_err(|e| AppError::internal("console db", e))?;
    let ok = hash.flatten().is_some_and(|h| h.verify(&password));
    drop(store);
    state.set_signed_in(ok);
    Ok(ok)
}

#[tauri::command]
pub fn centre_sign_out(state: State<'_, AppState>) {
    state.set_signed_in(false);
}
