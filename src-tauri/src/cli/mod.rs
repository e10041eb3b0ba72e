//! Headless subcommands: they run with no display, for technicians, CI and the central service.

pub mod bank;
pub mod e2e;
pub mod engine;
pub mod journal;
pub mod room;
pub mod session;
pub mod sim;

/// Prints a report as one JSON object (for scripts) or as aligned `key  value` lines (for people).
pub fn print_report<T: serde::Serialize>(report: &T, json: bool) -> Result<(), String> {
    let value = serde_json::to_value(report).map_err(|e| e.to_string())?;
    if json {
        println!("{value}");
        return Ok(());
    }
    if let serde_json::Value::Object(map) = value {
        let width = map.keys().map(String::len).max().unwrap_or(0);
        for (k, v) in map {
            println!("{k:width$}  {v}");
        }
    }
    Ok(())
}
