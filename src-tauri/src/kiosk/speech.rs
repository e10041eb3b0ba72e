//! The lab PC's screen reader: Orca, speaking through speech-dispatcher (espeak-ng's French
//! voice in the lab-PC session). It runs only when the invigilator turned speech on for this PC
//! from the console, or the technician set it on the station (`certroom station speech on`); the
//! candidate's own settings never start it. What the console said is kept in `station.json`, so
//! a kiosk restarted during a test speaks again before it reaches the console.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use certroom_kiosk::station::StationConfig;

/// The screen reader to start instead of `orca` (its arguments are the same).
const PROGRAM_ENV: &str = "CERTROOM_SCREEN_READER";
const PAGE_READY_WAIT: Duration = Duration::from_secs(20);
/// Where Orca writes its debug log (what it spoke, the keys it received), for checking.
const DEBUG_FILE_ENV: &str = "CERTROOM_SCREEN_READER_DEBUG";

pub struct ScreenReader {
    child: Mutex<Option<Child>>,
    /// The station's `station.json`.
    config: PathBuf,
    /// The setting `station.json` holds, as this kiosk last read or wrote it: the hub's every
    /// change calls [`ScreenReader::set`], and the file is touched only when the setting moves.
    kept: Mutex<Option<bool>>,
    /// Speech is on from the start: the screen reader starts once the kiosk's page has drawn its
    /// first screen, so that it finds the window active and the form there (started with the
    /// window, Orca stalled on the page being loaded and stayed silent).
    on_page_ready: AtomicBool,
}

impl ScreenReader {
    pub fn new(config: PathBuf) -> Self {
        ScreenReader {
            child: Mutex::new(None),
            config,
            kept: Mutex::new(None),
            on_page_ready: AtomicBool::new(false),
        }
    }

    /// Starts the screen reader when the kiosk's page is ready, or after `PAGE_READY_WAIT` if it
    /// never says so.
    pub fn start_when_page_ready(self: &std::sync::Arc<Self>) {
        self.on_page_ready.store(true, Ordering::SeqCst);
        let reader = self.clone();
        std::thread::spawn(move || {
            std::thread::sleep(PAGE_READY_WAIT);
            reader.page_ready();
        });
    }

    /// The kiosk's page has drawn its first screen.
    pub fn page_ready(&self) {
        if self.on_page_ready.swap(false, Ordering::SeqCst) {
            self.set(true);
        }
    }

    /// Starts or stops the screen reader, and keeps the setting.
    pub fn set(&self, on: bool) {
        self.on_page_ready.store(false, Ordering::SeqCst);
        self.keep(on);
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        // A screen reader that died is started again when speech is (still) on.
        if let Some(c) = child.as_mut() {
            if matches!(c.try_wait(), Ok(Some(_))) {
                *child = None;
            }
        }
        match (on, child.as_mut()) {
            (true, None) => match command().spawn() {
                Ok(c) => {
                    tracing::info!(pid = c.id(), "screen reader started");
                    *child = Some(c);
                }
                Err(e) => tracing::error!(error = %e, "screen reader not started"),
            },
            (false, Some(c)) => {
                stop(c);
                tracing::info!("screen reader stopped");
                *child = None;
            }
            _ => {}
        }
    }

    /// Whether the screen reader this kiosk started runs.
    pub fn running(&self) -> bool {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    fn keep(&self, on: bool) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if *kept == Some(on) {
            return;
        }
        let saved = StationConfig::load(&self.config).and_then(|mut config| {
            if config.speech != on {
                config.speech = on;
                config.save(&self.config)?;
            }
            Ok(())
        });
        match saved {
            Ok(()) => *kept = Some(on),
            Err(e) => tracing::warn!(error = %e, "screen reader setting not kept"),
        }
    }
}

impl Drop for ScreenReader {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.get_mut().ok().and_then(Option::take) {
            stop(&mut c);
        }
    }
}

/// Asks the screen reader to quit (Orca says goodbye and leaves the accessibility bus tidy), and
/// kills it if it has not within two seconds.
fn stop(child: &mut Child) {
    #[cfg(unix)]
    if Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success())
    {
        for _ in 0..20 {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn command() -> Command {
    let program = std::env::var_os(PROGRAM_ENV).unwrap_or_else(|| "orca".into());
    let mut command = Command::new(program);
    // One screen reader per session: a stale one from a crashed kiosk is replaced.
    command.arg("--replace");
    if let Some(file) = std::env::var_os(DEBUG_FILE_ENV) {
        command.arg("--debug-file").arg(file);
    }
    command
}
