//! The station's technical log: what went wrong, with its context, for whoever supports the
//! school ("prévenez le référent numérique" points here). The windows (kiosk, console, office)
//! write it to `<data>/logs/certroom.YYYY-MM-DD.log`, one file a day, the last 14 kept, as well
//! as to standard error; command-line tools write to standard error only.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

pub const LOG_DIR: &str = "logs";
/// Days of log kept on a station: enough to look into a problem reported after a weekend.
const KEEP_DAYS: usize = 14;

static DIR: OnceLock<PathBuf> = OnceLock::new();

/// Starts logging (RUST_LOG tunes it); `data` is the station's data folder when a window runs.
/// A log folder that cannot be written leaves standard error only: logging never stops the app.
pub fn init(data: Option<&Path>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(
            "warn,certroom=info,certroom_hub=info,certroom_console=info,certroom_kiosk=info",
        )
    });
    let file = data.and_then(|d| {
        let dir = d.join(LOG_DIR);
        std::fs::create_dir_all(&dir).ok()?;
        let appender = RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix("certroom")
            .filename_suffix("log")
            .max_log_files(KEEP_DAYS)
            .build(&dir)
            .ok()?;
        let _ = DIR.set(dir);
        Some(fmt::layer().with_ansi(false).with_writer(appender))
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .with(file)
        .try_init();
}

/// Where this run writes its log, if it does.
pub fn dir() -> Option<&'static Path> {
    DIR.get().map(PathBuf::as_path)
}
