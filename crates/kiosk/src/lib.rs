//! `certroom-kiosk`: a candidate's sitting on a lab PC. The engine (certroom-core) is driven
//! through the journal (certroom-journal), and the webview gets one screen at a time, never the
//! bank or a solution. No Tauri here: the desktop shell's commands are thin adapters over
//! [`Sitting`], and the whole sitting is tested headless.

pub mod hub_address;
pub mod live;
pub mod lockdown_log;
pub mod readiness;
pub mod screen;
pub mod sitting;
pub mod station;

pub use screen::{Lang, Screen};
pub use sitting::{AnswerAck, Identity, KioskConfig, KioskError, Sitting, TestFor};
