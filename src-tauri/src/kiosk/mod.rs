//! The candidate's window, locked down. Candidates are adversaries of the kiosk: every way out of
//! the test page that the webview or the window manager offers is refused here, and recorded.

pub mod navigation;

use certroom_journal::{Event, FocusCause};
use certroom_kiosk::lockdown_log::{LockdownEvent, LockdownLog};
use certroom_kiosk::Sitting;
use std::sync::{Arc, Mutex};
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
/// page), focus changes are recorded and pushed to the page.
pub fn on_window_event<R: Runtime>(
    window: &tauri::Window<R>,
    event: &WindowEvent,
    lockdown: Lockdown,
    log: &LockdownLog,
    sitting: Option<&Mutex<Sitting>>,
) {
    if window.label() != WINDOW {
        return;
    }
    match event {
        WindowEvent::CloseRequested { api, .. } if lockdown.enforced => {
            api.prevent_close();
            let _ = log.record(LockdownEvent::CloseRefused, None);
            to_journal(sitting, Event::CloseRefused);
            let _ = window.emit_to(WINDOW, "kiosk://close-requested", ());
        }
        WindowEvent::Focused(focused) => {
            let event = if *focused {
                LockdownEvent::FocusRegained
            } else {
                LockdownEvent::FocusLost
            };
            let _ = log.record(event, None);
            to_journal(
                sitting,
                if *focused {
                    Event::FocusRegained
                } else {
                    Event::FocusLost {
                        cause: FocusCause::Window,
                    }
                },
            );
            let _ = window.emit_to(WINDOW, "kiosk://focus", *focused);
            if !lockdown.enforced {
                return;
            }
            if *focused {
                // A window manager may drop fullscreen when focus moves away; take it back.
                if let Some(w) = window.app_handle().get_webview_window(WINDOW) {
                    if !w.is_fullscreen().unwrap_or(true) {
                        let _ = w.set_fullscreen(true);
                    }
                }
            } else {
                bring_back(window.app_handle());
            }
        }
        _ => {}
    }
}

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
