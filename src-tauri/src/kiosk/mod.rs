//! The candidate's window, locked down. Candidates are adversaries of the kiosk: every way out of
//! the test page that the webview or the window manager offers is refused here, and recorded.

pub mod focus;
pub mod navigation;
pub mod speech;

use certroom_journal::{Event, FocusCause};
use certroom_kiosk::lockdown_log::{LockdownEvent, LockdownLog};
use certroom_kiosk::Sitting;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, OnceLock};
use tauri::webview::NewWindowResponse;
use tauri::{
    AppHandle, Emitter, Manager, Runtime, WebviewUrl, WebviewWindow, WebviewWindowBuilder,
    WindowEvent,
};

pub const WINDOW: &str = "kiosk";

/// Whether the lockdown is enforced. Only a debug build can switch it off (to show that the
/// end-to-end suite catches an unlocked kiosk); a release build ignores the variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockdown {
    pub enforced: bool,
}

impl Lockdown {
    pub fn from_env() -> Self {
        let unlocked = cfg!(debug_assertions)
            && std::env::var_os("CERTROOM_KIOSK_UNLOCKED").is_some_and(|v| v == "1");
        Self {
            enforced: !unlocked,
        }
    }
}

pub fn open_window<R: Runtime>(
    app: &AppHandle<R>,
    lockdown: Lockdown,
    log: Arc<LockdownLog>,
) -> tauri::Result<WebviewWindow<R>> {
    let builder =
        WebviewWindowBuilder::new(app, WINDOW, WebviewUrl::App("index.html#/kiosk".into()))
            .title("certroom");
    if !lockdown.enforced {
        return builder.inner_size(1024.0, 700.0).build();
    }
    let (nav_log, window_log, download_log) = (log.clone(), log.clone(), log);
    builder
        .fullscreen(true)
        .decorations(false)
        .always_on_top(true)
        .resizable(false)
        .maximizable(false)
        .minimizable(false)
        .closable(false)
        .skip_taskbar(true)
        .devtools(false)
        .zoom_hotkeys_enabled(false)
        .browser_extensions_enabled(false)
        .disable_drag_drop_handler()
        .on_navigation(move |url| {
            let allowed = navigation::is_app_page(url);
            if !allowed {
                let _ = nav_log.record(LockdownEvent::NavigationRefused, Some(url.as_str()));
            }
            allowed
        })
        .on_new_window(move |url, _features| {
            let _ = window_log.record(LockdownEvent::NewWindowRefused, Some(url.as_str()));
            NewWindowResponse::Deny
        })
        .on_download(move |_webview, event| {
            let detail = match &event {
                tauri::webview::DownloadEvent::Requested { url, .. } => Some(url.to_string()),
                _ => None,
            };
            let _ = download_log.record(LockdownEvent::DownloadRefused, detail.as_deref());
            false
        })
        .build()
}

/// Window events of the kiosk: a close request is refused (the exit code is asked for in the
/// page), focus changes are recorded and pushed to the page, in the order they came, by one
/// thread (`focus_worker`): a loss's cause may take a moment to tell (see [`focus`]).
pub fn on_window_event(
    window: &tauri::Window,
    event: &WindowEvent,
    lockdown: Lockdown,
    log: &Arc<LockdownLog>,
    sitting: Option<&Arc<Mutex<Sitting>>>,
) {
    if window.label() != WINDOW {
        return;
    }
    match event {
        WindowEvent::CloseRequested { api, .. } if lockdown.enforced => {
            api.prevent_close();
            let _ = log.record(LockdownEvent::CloseRefused, None);
            to_journal(sitting.map(Arc::as_ref), Event::CloseRefused);
            let _ = window.emit_to(WINDOW, "kiosk://close-requested", ());
        }
        WindowEvent::Focused(focused) => {
            static WORKER: OnceLock<Sender<FocusChange>> = OnceLock::new();
            let worker = WORKER.get_or_init(|| {
                focus_worker(window.clone(), lockdown, log.clone(), sitting.cloned())
            });
            let screen_reader = window
                .app_handle()
                .try_state::<crate::shell::AppState>()
                .is_some_and(|s| s.screen_reader.as_ref().is_some_and(|r| r.running()));
            let _ = worker.send(FocusChange {
                focused: *focused,
                screen_reader,
            });
        }
        _ => {}
    }
}

struct FocusChange {
    focused: bool,
    /// Whether this kiosk's screen reader ran when the change came.
    screen_reader: bool,
}

fn focus_worker(
    window: tauri::Window,
    lockdown: Lockdown,
    log: Arc<LockdownLog>,
    sitting: Option<Arc<Mutex<Sitting>>>,
) -> Sender<FocusChange> {
    let (tx, rx) = std::sync::mpsc::channel::<FocusChange>();
    std::thread::spawn(move || {
        for change in rx {
            let sitting = sitting.as_deref();
            if change.focused {
                let _ = log.record(LockdownEvent::FocusRegained, None);
                to_journal(sitting, Event::FocusRegained);
            } else {
                let cause = focus::cause_of_loss(change.screen_reader);
                let detail = (cause == FocusCause::AssistiveTechnology).then_some("screen_reader");
                let _ = log.record(LockdownEvent::FocusLost, detail);
                to_journal(sitting, Event::FocusLost { cause });
                match cause {
                    FocusCause::Window if lockdown.enforced => bring_back(window.app_handle()),
                    // The candidate is in the screen reader's own window: the kiosk comes back
                    // when it closes (a compositor may not give the focus back by itself).
                    FocusCause::AssistiveTechnology if lockdown.enforced => {
                        let app = window.app_handle().clone();
                        std::thread::spawn(move || {
                            focus::until_screen_reader_window_closed(SCREEN_READER_WINDOW_MAX);
                            bring_back(&app);
                        });
                    }
                    _ => {}
                }
            }
            let _ = window.emit_to(WINDOW, "kiosk://focus", change.focused);
            if lockdown.enforced && change.focused {
                // A window manager may drop fullscreen when focus moves away; take it back.
                if let Some(w) = window.app_handle().get_webview_window(WINDOW) {
                    if !w.is_fullscreen().unwrap_or(true) {
                        let _ = w.set_fullscreen(true);
                    }
                }
            }
        }
    });
    tx
}

/// How long the screen reader's window may keep the focus before the kiosk takes it back.
const SCREEN_READER_WINDOW_MAX: std::time::Duration = std::time::Duration::from_secs(600);

/// Tries every `RAISE_EVERY` for at most `RAISE_TRIES` times.
const RAISE_EVERY: std::time::Duration = std::time::Duration::from_millis(100);
const RAISE_TRIES: u32 = 9;

/// Under a desktop session (not cage) another window may take the focus (Alt+Tab, a window
/// raised over the kiosk) or the window manager may iconify the kiosk (its window menu): the
/// loss is already recorded; the kiosk then puts itself back, de-iconified, fullscreen, above
/// the others and focused, within a second. Iconify and close requests thus come to nothing.
fn bring_back<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    std::thread::spawn(move || {
        for _ in 0..RAISE_TRIES {
            std::thread::sleep(RAISE_EVERY);
            let Some(w) = app.get_webview_window(WINDOW) else {
                return;
            };
            let back = w.is_focused().unwrap_or(false)
                && !w.is_minimized().unwrap_or(false)
                && w.is_fullscreen().unwrap_or(false);
            if back {
                return;
            }
            let _ = w.unminimize();
            let _ = w.show();
            let _ = w.set_fullscreen(true);
            let _ = w.set_always_on_top(true);
            let _ = w.set_focus();
        }
    });
}

/// During a live test, window events are evidence: they go into the candidate's journal too.
fn to_journal(sitting: Option<&Mutex<Sitting>>, event: Event) {
    if let Some(Ok(mut s)) = sitting.map(Mutex::lock) {
        if let Err(e) = s.record_window_event(event) {
            eprintln!("certroom: journal: {e}");
        }
    }
}
