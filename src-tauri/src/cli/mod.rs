//! Headless subcommands: they run with no display, for technicians, CI and the central service.

/// `println!` for the command line: when the reader has gone (`certroom … | head -3`), the
/// command stops writing and ends quietly with success, as command-line tools do; any other
/// failure to write ends it with the reason.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_line(&mut std::io::stdout().lock(), format_args!($($arg)*))
    };
}

pub mod bank;
pub mod e2e;
pub mod engine;
pub mod journal;
pub mod room;
pub mod session;
pub mod sim;
pub mod standby;
pub mod station;

/// What [`out!`] does with a line: written, or the process ends (exit 0 on a closed pipe).
pub fn write_line(w: &mut impl std::io::Write, line: std::fmt::Arguments<'_>) {
    match written(w, line) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("certroom: sortie standard / standard output: {e}");
            std::process::exit(1)
        }
    }
}

fn written(w: &mut impl std::io::Write, line: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    w.write_fmt(line)?;
    w.write_all(b"\n")?;
    // A line reaches the pipe now, so a reader that went away is noticed at this line.
    w.flush()
}

/// Prints a report as one JSON object (for scripts) or as aligned `key  value` lines (for people).
pub fn print_report<T: serde::Serialize>(report: &T, json: bool) -> Result<(), String> {
    let value = serde_json::to_value(report).map_err(|e| e.to_string())?;
    if json {
        out!("{value}");
        return Ok(());
    }
    if let serde_json::Value::Object(map) = value {
        let width = map.keys().map(String::len).max().unwrap_or(0);
        for (k, v) in map {
            out!("{k:width$}  {v}");
        }
    }
    Ok(())
}
