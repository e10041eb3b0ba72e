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
    if file.is_some() {
        // A panic's message and place go to the log too: stderr of a kiosk under cage is lost.
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            tracing::error!(panic = %info, "panic");
            default(info);
        }));
    }
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

/// Packs every log file of the data folder `data` into the zip `out`, for whoever supports the
/// school. Stored, not compressed: a day of log is small, and any tool opens it. Returns how
/// many files went in.
pub fn export(data: &Path, out: &Path) -> Result<usize, String> {
    let dir = data.join(LOG_DIR);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{} : {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("certroom.") && n.ends_with(".log"))
        })
        .collect();
    if files.is_empty() {
        return Err(format!(
            "{} : aucun journal technique / no technical log",
            dir.display()
        ));
    }
    files.sort();
    let fail = |e: &dyn std::fmt::Display| format!("{} : {e}", out.display());
    let mut zip = zip::ZipWriter::new(std::fs::File::create(out).map_err(|e| fail(&e))?);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for file in &files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("certroom.log");
        zip.start_file(name, options).map_err(|e| fail(&e))?;
        let mut input =
            std::fs::File::open(file).map_err(|e| format!("{} : {e}", file.display()))?;
        std::io::copy(&mut input, &mut zip).map_err(|e| fail(&e))?;
    }
    zip.finish().map_err(|e| fail(&e))?;
    Ok(files.len())
}
