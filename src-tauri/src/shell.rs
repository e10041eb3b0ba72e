//! The composition root of the windowed roles: one Tauri app per process, one role per launch.

use crate::error::AppError;
use crate::kiosk::speech::ScreenReader;
use crate::kiosk::{self, Lockdown};
use crate::station::DataDir;
use certroom_console::Console;
use certroom_core::password::PasswordHash;
use certroom_kiosk::live::LiveRoom;
use certroom_kiosk::lockdown_log::{LockdownEvent, LockdownLog};
use certroom_kiosk::station::Station;
use certroom_kiosk::Sitting;
use std::sync::{Arc, Mutex, MutexGuard};
use tauri::{Emitter, Manager, WebviewUrl, WebviewWindowBuilder};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    Kiosk,
    Console,
    Office,
}

pub struct AppState {
    pub data: DataDir,
    /// Demo data (no room hub yet): the kiosk says so on screen.
    pub demo: bool,
    sitting: Option<Arc<Mutex<Sitting>>>,
    pub lockdown_log: Option<Arc<LockdownLog>>,
    pub exit_code: Option<PasswordHash>,
    /// The console's (and the office's) application: the centre, sessions, the hosted room.
    console: Option<Arc<Console>>,
    /// A paired kiosk's connection to its room hub (set once the app runs).
    pub live_room: std::sync::OnceLock<Arc<LiveRoom>>,
    /// Why this lab PC cannot sit a test (no bank, no exit code…): its screen says so.
    not_ready: Option<AppError>,
    /// Where the office's « Enregistrer sous… » saves.
    pub save_as: Arc<dyn crate::save_as::SaveAs>,
    /// A ready kiosk's screen reader, on when the invigilator or the station says so.
    pub screen_reader: Option<Arc<ScreenReader>>,
}

impl AppState {
    pub fn sitting(&self) -> Result<MutexGuard<'_, Sitting>, AppError> {
        let sitting = match (&self.sitting, &self.not_ready) {
            (Some(s), _) => s,
            (None, Some(why)) => return Err(why.clone()),
            (None, None) => return Err(AppError::internal("kiosk", "not a kiosk")),
        };
        sitting
            .lock()
            .map_err(|_| AppError::internal("kiosk", "lock poisoned"))
    }

    pub fn console(&self) -> Result<&Arc<Console>, AppError> {
        self.console
            .as_ref()
            .ok_or_else(|| AppError::internal("console", "not a console"))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("no display: `certroom {0}` opens a window (set DISPLAY or WAYLAND_DISPLAY); headless subcommands need none")]
    NoDisplay(&'static str),
    #[error("{0}")]
    Station(#[from] certroom_kiosk::station::StationError),
    #[error("cannot prepare {0}: {1}")]
    Io(String, std::io::Error),
    #[error("console: {0}")]
    Console(#[from] certroom_console::ConsoleError),
    #[error("window system: {0}")]
    Tauri(#[from] tauri::Error),
    #[error("salle de démonstration / demo room: {0}")]
    DemoRoom(String),
}

/// Signs the console in and opens the demo room, its pushes going to the console window (the
/// page then finds the room open and shows it).
fn open_demo(app: &tauri::AppHandle, dir: &std::path::Path) -> Result<(), LaunchError> {
    let demo = certroom_simulation::demo::read(dir).map_err(LaunchError::DemoRoom)?;
    let state = app.state::<AppState>();
    let console = state
        .console()
        .map_err(|e| LaunchError::DemoRoom(e.message_fr.clone()))?
        .clone();
    if !console.sign_in(&demo.admin_password)? {
        return Err(LaunchError::DemoRoom(
            "mot de passe administrateur refusé".into(),
        ));
    }
    tauri::async_runtime::block_on(console.open_room(
        demo.session,
        &demo.invigilator_password,
        &demo.bank_key,
        &demo.bind,
        crate::console::room_pushes(app.clone()),
    ))?;
    Ok(())
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Kiosk => "kiosk",
        Role::Console => "console",
        Role::Office => "office",
    }
}

/// `open_demo_room`: the console signs in and opens the room `certroom sim demo-room` prepared
/// in its data folder, so a newcomer sees the live room at once.
pub fn run(role: Role, data: DataDir, open_demo_room: bool) -> Result<(), LaunchError> {
    let has_display =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if !has_display {
        return Err(LaunchError::NoDisplay(role_name(role)));
    }
    let dir = data
        .ensure()
        .map_err(|e| LaunchError::Io(data.path().display().to_string(), e))?
        .to_owned();
    let lockdown = Lockdown::from_env();

    let mut hub_pin = None;
    let mut not_ready = None;
    let mut speech = false;
    let (lockdown_log, exit_code, console, sitting) = match role {
        Role::Kiosk => match Station::open(&dir, lockdown.enforced) {
            Ok(station) => {
                hub_pin = station.hub;
                speech = station.speech;
                (
                    Some(Arc::new(station.log)),
                    station.exit_code,
                    None,
                    Some(Arc::new(Mutex::new(station.sitting))),
                )
            }
            // A PC not set up shows why on its screen, in French, rather than exit and be
            // restarted every second on a blank screen. Nothing can be sat on it.
            Err(e) => {
                tracing::error!(error = %e, "kiosk not ready");
                not_ready = Some(AppError::from(e));
                let (log, exit_code) = Station::open_unready(&dir)?;
                (Some(Arc::new(log)), exit_code, None, None)
            }
        },
        Role::Console | Role::Office => (None, None, Some(Arc::new(Console::open(&dir)?)), None),
    };
    let event_log = lockdown_log.clone();
    let window_log = lockdown_log.clone();
    let event_sitting = sitting.clone();
    let client_sitting = sitting.clone();
    if let Some(s) = &sitting {
        checkpoint_when_idle(s.clone());
    }
    let screen_reader = sitting.as_ref().map(|_| {
        Arc::new(ScreenReader::new(
            dir.join(certroom_kiosk::station::CONFIG_FILE),
        ))
    });
    let reader_at_start = screen_reader.clone().filter(|_| speech);
    let state = AppState {
        data,
        demo: hub_pin.is_none() && not_ready.is_none(),
        sitting,
        lockdown_log,
        exit_code,
        console,
        live_room: std::sync::OnceLock::new(),
        not_ready,
        save_as: crate::save_as::from_env(),
        screen_reader: screen_reader.clone(),
    };
    tracing_start(&dir);

    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            crate::commands::kiosk_status,
            crate::commands::kiosk_ready,
            crate::commands::kiosk_exit,
            crate::commands::kiosk_screen,
            crate::commands::kiosk_join,
            crate::commands::kiosk_authorize,
            crate::commands::kiosk_answer,
            crate::commands::kiosk_attachment,
            crate::commands::kiosk_report_problem,
            crate::commands::kiosk_resolve_alert,
            crate::commands::kiosk_access_code,
            crate::commands::kiosk_finish,
            crate::console::centre_get,
            crate::console::logs_folder,
            crate::console::centre_setup,
            crate::console::centre_sign_in,
            crate::console::centre_sign_out,
            crate::console::session_list,
            crate::console::session_create,
            crate::console::session_update,
            crate::console::session_delete,
            crate::console::session_candidates,
            crate::console::candidate_add,
            crate::console::candidate_remove,
            crate::console::candidate_update,
            crate::console::session_import_file,
            crate::console::session_import,
            crate::console::session_export,
            crate::console::session_attendance,
            crate::console::room_open,
            crate::console::room_view,
            crate::console::room_command,
            crate::console::room_offer_bank,
            crate::console::standby_status,
            crate::console::standby_choose,
            crate::office::office_print_paper,
            crate::office::office_save_as,
            crate::console::room_report,
            crate::console::room_bundle,
            crate::console::room_send,
            crate::console::outbox_list,
            crate::console::outbox_refresh,
            crate::console::outbox_send_again,
            crate::console::lab_stations,
            crate::console::lab_forget,
            crate::console::lab_declare,
            crate::console::lab_export,
            crate::office::office_settings,
            crate::office::office_settings_save,
            crate::office::office_fetch,
            crate::office::office_import,
            crate::office::office_roster,
            crate::office::office_print,
            crate::office::office_open,
        ])
        .on_window_event(move |window, event| {
            if let Some(log) = event_log.as_ref() {
                kiosk::on_window_event(window, event, lockdown, log, event_sitting.as_ref());
            }
        })
        .setup(move |app| {
            let handle = app.handle();
            match role {
                Role::Kiosk => {
                    if let (Some((address, fingerprint)), Some(sitting)) =
                        (hub_pin, &client_sitting)
                    {
                        let key = certroom_journal::StationKey::load(
                            &dir.join(certroom_kiosk::sitting::STATION_KEY_FILE),
                        )?;
                        let emitter = handle.clone();
                        let reader = screen_reader.clone();
                        let on_change = Arc::new(move || {
                            let _ = emitter.emit_to(kiosk::WINDOW, "kiosk://screen", ());
                            // What the invigilator said of speech on this PC, carried out.
                            let wish = emitter
                                .state::<AppState>()
                                .live_room
                                .get()
                                .and_then(|room| room.speech());
                            if let (Some(on), Some(reader)) = (wish, &reader) {
                                reader.set(on);
                            }
                        });
                        let room = LiveRoom::start(
                            tauri::async_runtime::handle().inner(),
                            address,
                            certroom_kiosk::hub_address::system_lookup(),
                            fingerprint,
                            Arc::new(key.into_key_pair()),
                            sitting.clone(),
                            on_change,
                        );
                        let _ = app.state::<AppState>().live_room.set(room);
                    }
                    let log = window_log.clone().ok_or("kiosk log missing")?;
                    let _ = log.record(LockdownEvent::KioskStarted, None);
                    kiosk::open_window(handle, lockdown, log)?;
                    if let Some(reader) = &reader_at_start {
                        reader.start_when_page_ready();
                    }
                }
                Role::Console => {
                    let page = if open_demo_room {
                        open_demo(handle, &dir)?;
                        "index.html#/console/live-room"
                    } else {
                        "index.html#/console"
                    };
                    WebviewWindowBuilder::new(handle, "console", WebviewUrl::App(page.into()))
                        .title("certroom — console")
                        .inner_size(1200.0, 800.0)
                        // The invigilator watches the whole room: as much of the screen as it has.
                        .maximized(true)
                        .build()?;
                }
                Role::Office => {
                    WebviewWindowBuilder::new(
                        handle,
                        "office",
                        WebviewUrl::App("index.html#/office".into()),
                    )
                    .title("certroom — secrétariat")
                    .inner_size(1100.0, 800.0)
                    .maximized(true)
                    .build()?;
                }
            }
            let _ = app.get_webview_window(role_name(role));
            Ok(())
        })
        .run(tauri::generate_context!())?;
    Ok(())
}

/// Moves the journal's WAL into the database while nobody is answering, so the checkpoint never
/// sits on an answer's path: it only runs when the sitting is free (`try_lock`).
fn checkpoint_when_idle(sitting: Arc<Mutex<Sitting>>) {
    std::thread::spawn(move || loop {
        std::thread::sleep(std::time::Duration::from_secs(20));
        if let Ok(s) = sitting.try_lock() {
            let _ = s.checkpoint();
        }
    });
}

/// Where the station's data lives is the first thing a technician asks; say it once at start.
fn tracing_start(dir: &std::path::Path) {
    tracing::info!(data = %dir.display(), "certroom started");
}
