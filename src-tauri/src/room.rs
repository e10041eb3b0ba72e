//! The live room in the windows: the console hosts the hub and forwards its pushes to the page;
//! a paired kiosk keeps a connection to the hub, sends its journal as it grows and carries out
//! the invigilator's commands. Thin adapters over certroom-hub and certroom-kiosk.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use certroom_hub::room::{ConsoleCommand, EnrolledCandidate, RoomSetup};
use certroom_hub::{Authority, Fingerprint, Hub, RoomView, RunningHub};
use certroom_journal::StationKey;
use certroom_kiosk::live::LiveKiosk;
use certroom_kiosk::{Identity, Lang, Screen, Sitting};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use tokio::sync::Notify;

use crate::error::AppError;
use crate::shell::AppState;

/// The room a console hosts.
pub struct RoomHost {
    running: RunningHub,
    authority: Authority,
    session: i64,
}

#[derive(Serialize)]
pub struct RoomInfo {
    address: String,
    fingerprint: String,
    view: RoomView,
}

impl RoomHost {
    fn info(&self) -> RoomInfo {
        RoomInfo {
            address: self.running.addr.to_string(),
            fingerprint: self.running.hub.fingerprint().display(),
            view: self.running.hub.view(),
        }
    }
}

fn wire(e: certroom_hub::WireError) -> AppError {
    AppError::new(&e.code, e.message_fr, e.message_en)
}

fn host<'a>(state: &'a AppState) -> Result<std::sync::MutexGuard<'a, Option<RoomHost>>, AppError> {
    if !state.signed_in() {
        return Err(AppError::new(
            "console.signed_out",
            "Connectez-vous d'abord.",
            "Sign in first.",
        ));
    }
    state
        .room_host
        .lock()
        .map_err(|_| AppError::internal("room", "lock poisoned"))
}

fn no_room() -> AppError {
    AppError::new(
        "room.not_open",
        "Aucune salle n'est ouverte sur ce poste.",
        "No room is open on this console.",
    )
}

/// Opens the live room of a session on this console: the hub listens on `bind`, the page gets
/// its pushes. Needs the session's invigilator password and the key of its bank pack.
#[tauri::command]
pub async fn room_open(
    app: AppHandle,
    state: State<'_, AppState>,
    session: i64,
    password: String,
    bank_key: String,
    bind: String,
) -> Result<RoomInfo, AppError> {
    let setup = {
        // Only a signed-in administrator opens a room.
        drop(host(&state)?);
        let store = state.console()?;
        let store = store
            .as_ref()
            .ok_or_else(|| AppError::internal("console db", "closed"))?;
        let s = store
            .session(session)
            .map_err(|e| AppError::internal("console db", e))?;
        if s.invigilator_password != password {
            return Err(AppError::new(
                "room.password",
                "Mot de passe surveillant incorrect pour cette session.",
                "Wrong invigilator password for this session.",
            ));
        }
        if bank_key.trim().is_empty() {
            return Err(AppError::new(
                "room.bank_key",
                "Saisissez la clé de la banque de questions de la session.",
                "Enter the session's question bank key.",
            ));
        }
        let candidates = store
            .candidates(session)
            .map_err(|e| AppError::internal("console db", e))?
            .into_iter()
            .map(|(id, c)| EnrolledCandidate {
                id,
                first_name: c.first_name,
                birth_name: c.birth_name,
                birthdate: c.birthdate,
                local_id: c.local_id,
                extra_time_percent: c.extra_time_percent.unwrap_or(0),
                adjusted_questions: c.adjusted_questions,
            })
            .collect();
        RoomSetup {
            session,
            access_code: s.access_code,
            invigilator_password: s.invigilator_password,
            bank_key: bank_key.trim().to_owned(),
            questions: certroom_core::Config::default().questions,
            duration_min: certroom_core::Config::default().duration_min,
            candidates,
        }
    };
    if let Some(h) = host(&state)?.as_ref() {
        if h.session == session {
            return Ok(h.info());
        }
    }
    let bind = bind.trim().parse().map_err(|_| {
        AppError::new(
            "room.bind",
            format!("Adresse d'écoute invalide : « {bind} » (ex. 0.0.0.0:7443)."),
            format!("Invalid listening address “{bind}” (e.g. 0.0.0.0:7443)."),
        )
    })?;
    let dir = state.data.path().join(format!("room-{session}"));
    let hub = Hub::open(&dir, setup).map_err(|e| AppError::internal("room hub", e))?;
    let authority = hub.sign_in(session, &password).map_err(wire)?;
    let running = hub.serve(bind).await.map_err(|e| {
        AppError::new(
            "room.listen",
            format!("Impossible d'écouter sur {bind} : {e}"),
            format!("Cannot listen on {bind}: {e}"),
        )
    })?;
    let mut events = running.hub.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(ev) => {
                    let _ = app.emit_to("console", "room://event", ev);
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => break,
            }
        }
    });
    let host_state = RoomHost {
        running,
        authority,
        session,
    };
    let info = host_state.info();
    *host(&state)? = Some(host_state);
    Ok(info)
}

#[tauri::command]
pub fn room_view(state: State<'_, AppState>) -> Result<Option<RoomInfo>, AppError> {
    Ok(host(&state)?.as_ref().map(RoomHost::info))
}

#[tauri::command]
pub fn room_command(state: State<'_, AppState>, command: ConsoleCommand) -> Result<(), AppError> {
    let guard = host(&state)?;
    let h = guard.as_ref().ok_or_else(no_room)?;
    h.running.hub.command(&h.authority, command).map_err(wire)
}

#[derive(Serialize)]
pub struct Written {
    path: String,
}

/// The session report (procès-verbal), once the room is finalized.
#[tauri::command]
pub fn room_report(state: State<'_, AppState>) -> Result<Written, AppError> {
    let (session, rows, comment, finalized) = {
        let guard = host(&state)?;
        let h = guard.as_ref().ok_or_else(no_room)?;
        let (rows, comment, finalized) = h.running.hub.report_parts();
        (h.session, rows, comment, finalized)
    };
    let Some(finalized) = finalized else {
        return Err(AppError::new(
            "room.not_finalized",
            "Finalisez la session avant d'éditer le procès-verbal.",
            "Finalize the session before printing its report.",
        ));
    };
    let bytes = {
        let store = state.console()?;
        let store = store
            .as_ref()
            .ok_or_else(|| AppError::internal("console db", "closed"))?;
        let s = store
            .session(session)
            .map_err(|e| AppError::internal("console db", e))?;
        let centre = store
            .centre()
            .map_err(|e| AppError::internal("console db", e))?;
        let report = certroom_pdf::SessionReport {
            centre_uai: centre
                .as_ref()
                .map(|c| c.uai.as_str().to_owned())
                .unwrap_or_default(),
            centre_name: centre.map(|c| c.name).unwrap_or_default(),
            session_number: session.to_string(),
            site: s.details.site,
            room: s.details.room,
            date: s.details.date.format("%d/%m/%Y").to_string(),
            start_time: s.details.start_time.format("%H:%M").to_string(),
            invigilators: s.details.invigilators,
            finalized_at: finalized,
            comment: (!comment.is_empty()).then_some(comment),
            lang: certroom_pdf::CertificateLang::Fr,
            candidates: rows,
        };
        certroom_pdf::session_report(&report)?
    };
    let dir = state.data.path().join("exports");
    std::fs::create_dir_all(&dir).map_err(|e| AppError::internal("exports", e))?;
    let path = dir.join(format!("session-{session}-proces-verbal.pdf"));
    std::fs::write(&path, bytes).map_err(|e| AppError::internal("exports", e))?;
    Ok(Written {
        path: path.display().to_string(),
    })
}

/// The finalized session's signed result bundle, signed with this console's station key.
#[tauri::command]
pub fn room_bundle(state: State<'_, AppState>) -> Result<Written, AppError> {
    let (path, _) = write_bundle(&state)?;
    Ok(Written {
        path: path.display().to_string(),
    })
}

const SERVICE_URL_FILE: &str = "service-url.txt";
const OUTBOX_FILE: &str = "outbox.db";

fn outbox(state: &AppState) -> Result<certroom_sync::Outbox, AppError> {
    certroom_sync::Outbox::open(&state.data.path().join(OUTBOX_FILE))
        .map_err(|e| AppError::internal("outbox", e))
}

#[derive(Serialize)]
pub struct OutboxStatus {
    items: Vec<certroom_sync::Item>,
    service_url: Option<String>,
}

fn outbox_status(state: &AppState) -> Result<OutboxStatus, AppError> {
    Ok(OutboxStatus {
        items: outbox(state)?
            .items()
            .map_err(|e| AppError::internal("outbox", e))?,
        service_url: std::fs::read_to_string(state.data.path().join(SERVICE_URL_FILE))
            .ok()
            .map(|s| s.trim().to_owned()),
    })
}

/// What waits for the certification service, what was sent (with its receipt) or refused.
#[tauri::command]
pub fn outbox_list(state: State<'_, AppState>) -> Result<OutboxStatus, AppError> {
    drop(host(&state)?);
    outbox_status(&state)
}

/// Puts the finalized session's bundle in the outbox and sends what is due to the service. What
/// cannot be sent now is retried in the background (and after a restart of the console).
#[tauri::command]
pub async fn room_send(
    state: State<'_, AppState>,
    service_url: String,
) -> Result<OutboxStatus, AppError> {
    let url = service_url.trim().trim_end_matches('/').to_owned();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(AppError::new(
            "outbox.url",
            "Adresse du service de certification invalide (https://…).",
            "Invalid certification service address (https://…).",
        ));
    }
    let (_, bytes) = write_bundle(&state)?;
    outbox(&state)?.add(&bytes).map_err(|e| {
        AppError::new(
            "outbox.bundle",
            format!("Lot refusé avant l'envoi : {e}"),
            format!("Bundle refused before sending: {e}"),
        )
    })?;
    std::fs::write(state.data.path().join(SERVICE_URL_FILE), &url)
        .map_err(|e| AppError::internal("outbox", e))?;
    let path = state.data.path().join(OUTBOX_FILE);
    // The outbox's SQLite connection stays on one thread, with its own small runtime.
    let _ = tauri::async_runtime::spawn_blocking(move || {
        send_due(&path, &url, Duration::from_secs(15))
    })
    .await;
    outbox_status(&state)
}

/// Sends what is due, on the calling thread, for at most `deadline`.
fn send_due(outbox: &std::path::Path, url: &str, deadline: Duration) -> Result<(), String> {
    let ob = certroom_sync::Outbox::open(outbox).map_err(|e| e.to_string())?;
    let up = certroom_sync::Uploader::new(url.trim()).map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(up.drain(&ob, deadline))
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The console's background sender: pending bundles go out as soon as the service answers,
/// including after a restart of the console.
pub fn start_outbox_sender(data: std::path::PathBuf) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(30));
        if let Ok(url) = std::fs::read_to_string(data.join(SERVICE_URL_FILE)) {
            let _ = send_due(&data.join(OUTBOX_FILE), &url, Duration::from_secs(5));
        }
    });
}

fn write_bundle(state: &AppState) -> Result<(std::path::PathBuf, Vec<u8>), AppError> {
    let guard = host(state)?;
    let h = guard.as_ref().ok_or_else(no_room)?;
    let key = StationKey::load_or_create(&state.data.path().join("station.key"))
        .map_err(|e| AppError::internal("console key", e))?;
    let (centre, details, sexes) = {
        let store = state.console()?;
        let store = store
            .as_ref()
            .ok_or_else(|| AppError::internal("console db", "closed"))?;
        let centre = store
            .centre()
            .map_err(|e| AppError::internal("console db", e))?
            .ok_or_else(|| AppError::internal("console db", "no centre"))?;
        let s = store
            .session(h.session)
            .map_err(|e| AppError::internal("console db", e))?;
        let sexes = store
            .candidates(h.session)
            .map_err(|e| AppError::internal("console db", e))?
            .into_iter()
            .map(|(id, c)| {
                let sex = match c.sex {
                    certroom_room::candidate::Sex::M => certroom_bundle::Sex::M,
                    certroom_room::candidate::Sex::F => certroom_bundle::Sex::F,
                };
                (id, sex)
            })
            .collect();
        (centre, s.details, sexes)
    };
    let bytes = h
        .running
        .hub
        .bundle(
            key.key_pair(),
            certroom_bundle::Centre {
                uai: centre.uai.as_str().to_owned(),
                name: centre.name,
            },
            details.date,
            &details.site,
            &details.room,
            &sexes,
            env!("CARGO_PKG_VERSION"),
        )
        .map_err(|e| match e {
            certroom_hub::server::BundleRefusal::NotFinalized => AppError::new(
                "room.not_finalized",
                "Finalisez la session avant de produire le lot de résultats.",
                "Finalize the session before producing the result bundle.",
            ),
            certroom_hub::server::BundleRefusal::Bundle(b) => AppError::from(b),
        })?;
    let dir = state.data.path().join("exports");
    std::fs::create_dir_all(&dir).map_err(|e| AppError::internal("exports", e))?;
    let path = dir.join(format!("session-{}.bundle", h.session));
    std::fs::write(&path, &bytes).map_err(|e| AppError::internal("exports", e))?;
    Ok((path, bytes))
}

/// A paired kiosk's connection to its room hub.
pub struct RoomClient {
    live: Arc<tokio::sync::Mutex<Option<LiveKiosk>>>,
    access_given: AtomicBool,
    wake: Arc<Notify>,
}

impl RoomClient {
    /// Starts the connection manager: (re)connects forever, syncs the journal, carries out
    /// commands and tells the page to refresh its screen.
    pub fn start(
        app: AppHandle,
        address: std::net::SocketAddr,
        pin: Fingerprint,
        key: StationKey,
        sitting: Arc<Mutex<Sitting>>,
    ) -> Arc<Self> {
        let client = Arc::new(RoomClient {
            live: Arc::new(tokio::sync::Mutex::new(None)),
            access_given: AtomicBool::new(false),
            wake: Arc::new(Notify::new()),
        });
        let c = client.clone();
        let key = Arc::new(key.into_key_pair());
        let counter = Arc::new(AtomicU64::new(0));
        tauri::async_runtime::spawn(async move {
            loop {
                let connected =
                    LiveKiosk::connect(address, pin, key.clone(), counter.clone(), sitting.clone())
                        .await;
                if let Ok(mut live) = connected {
                    let commands = live.take_commands();
                    let _ = live.hello().await;
                    *c.live.lock().await = Some(live);
                    let _ = app.emit_to(crate::kiosk::WINDOW, "kiosk://screen", ());
                    if let Some(mut commands) = commands {
                        c.serve(&app, &mut commands).await;
                    }
                    *c.live.lock().await = None;
                }
                // The test goes on without the hub; try again shortly.
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        });
        client
    }

    async fn serve(
        &self,
        app: &AppHandle,
        commands: &mut tokio::sync::mpsc::UnboundedReceiver<(u64, certroom_hub::KioskCommand)>,
    ) {
        loop {
            tokio::select! {
                cmd = commands.recv() => {
                    let Some((id, cmd)) = cmd else { return };
                    let mut guard = self.live.lock().await;
                    let Some(live) = guard.as_mut() else { return };
                    if let Err(e) = live.carry_out(id, cmd).await {
                        eprintln!("certroom: hub command {id}: {e}");
                    }
                    drop(guard);
                    let _ = app.emit_to(crate::kiosk::WINDOW, "kiosk://screen", ());
                }
                _ = self.wake.notified() => {
                    if !self.sync().await { return; }
                }
                _ = tokio::time::sleep(Duration::from_millis(500)) => {
                    if !self.sync().await { return; }
                }
            }
        }
    }

    /// Sends what the hub lacks; false once the connection is gone.
    async fn sync(&self) -> bool {
        let mut guard = self.live.lock().await;
        match guard.as_mut() {
            Some(live) if !live.link().is_closed() => {
                let _ = live.sync().await;
                !live.link().is_closed()
            }
            _ => false,
        }
    }

    /// Something was journaled: send it now rather than at the next tick.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    async fn live(&self) -> Result<tokio::sync::MutexGuard<'_, Option<LiveKiosk>>, AppError> {
        let guard = self.live.lock().await;
        if guard.is_none() {
            return Err(AppError::new(
                "kiosk.hub_unreachable",
                "Le poste surveillant est injoignable : appelez le surveillant.",
                "The invigilator's console cannot be reached: call the invigilator.",
            ));
        }
        Ok(guard)
    }

    /// In a live room the waiting screen first asks for the session's access code.
    pub fn adjust(&self, screen: Screen) -> Screen {
        match screen {
            Screen::WaitingAuthorization {
                resume: false,
                candidate,
                ..
            } => Screen::WaitingAuthorization {
                resume: false,
                candidate,
                access_code_needed: !self.access_given.load(Ordering::SeqCst),
            },
            other => other,
        }
    }
}

fn refused(e: certroom_kiosk::live::LiveError) -> AppError {
    match e {
        certroom_kiosk::live::LiveError::Link(certroom_hub::LinkError::Refused(w)) => wire(w),
        certroom_kiosk::live::LiveError::Kiosk(k) => AppError::from(k),
        other => AppError::new(
            "kiosk.hub_unreachable",
            format!("Le poste surveillant ne répond pas ({other}) : appelez le surveillant."),
            format!("The invigilator's console does not answer ({other}): call the invigilator."),
        ),
    }
}

/// The welcome form in a live room: the hub matches the identity.
pub async fn join(
    state: &AppState,
    client: &RoomClient,
    who: Identity,
    lang: Lang,
) -> Result<Screen, AppError> {
    let card = {
        let mut guard = client.live().await?;
        let live = guard.as_mut().ok_or_else(no_room)?;
        live.join(&who).await.map_err(refused)?
    };
    client.access_given.store(false, Ordering::SeqCst);
    let shown = Identity {
        session: card.session.to_string(),
        first_name: card.first_name.clone(),
        birth_name: card.birth_name.clone(),
        birthdate: who.birthdate,
    };
    let screen = state.sitting()?.join(shown, lang)?;
    Ok(client.adjust(screen))
}

#[tauri::command]
pub async fn kiosk_access_code(
    state: State<'_, AppState>,
    code: String,
    lang: Lang,
) -> Result<Screen, AppError> {
    let client = state.room_client.get().cloned().ok_or_else(no_room)?;
    {
        let guard = client.live().await?;
        let live = guard.as_ref().ok_or_else(no_room)?;
        live.ready(&code).await.map_err(refused)?;
    }
    client.access_given.store(true, Ordering::SeqCst);
    let screen = state.sitting()?.screen(lang)?;
    Ok(client.adjust(screen))
}

/// After an ended test: the kiosk goes back to a clean welcome screen for the next candidate.
#[tauri::command]
pub async fn kiosk_finish(state: State<'_, AppState>, lang: Lang) -> Result<Screen, AppError> {
    let client = state.room_client.get().cloned().ok_or_else(no_room)?;
    {
        let mut guard = client.live().await?;
        let live = guard.as_mut().ok_or_else(no_room)?;
        live.leave().await.map_err(refused)?;
    }
    client.access_given.store(false, Ordering::SeqCst);
    Ok(state.sitting()?.screen(lang)?)
}
