//! The kiosk's own record of lockdown events (focus lost and regained, close refused, exit),
//! written from window events on the Rust side so a page script cannot hide them. Each line is
//! flushed to disk before it counts. Events of a candidate's test also go into their journal.

use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LockdownEvent {
    KioskStarted,
    /// The page's first paint, as wall-clock epoch milliseconds (cold-start benchmark).
    KioskReady,
    FocusLost,
    FocusRegained,
    CloseRefused,
    ExitCodeRefused,
    ExitAuthorized,
    NavigationRefused,
    NewWindowRefused,
    DownloadRefused,
}

#[derive(Serialize)]
struct Line<'a> {
    at: String,
    event: LockdownEvent,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

pub struct LockdownLog {
    file: Mutex<File>,
}

impl LockdownLog {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }

    pub fn record(&self, event: LockdownEvent, detail: Option<&str>) -> std::io::Result<()> {
        let line = Line {
            at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            event,
            detail,
        };
        let mut bytes = serde_json::to_vec(&line).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        // A poisoned lock only means another thread panicked mid-write; the file is still usable.
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&bytes)?;
        file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_appended_as_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.jsonl");
        let log = LockdownLog::open(&path).unwrap();
        log.record(LockdownEvent::FocusLost, None).unwrap();
        log.record(
            LockdownEvent::NavigationRefused,
            Some("http://127.0.0.1:9/"),
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["event"], "focus_lost");
        assert_eq!(lines[1]["detail"], "http://127.0.0.1:9/");
        assert!(lines[0]["at"].as_str().unwrap().ends_with('Z'));
    }
}
