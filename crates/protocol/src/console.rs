//! What an invigilator's console and the hub say to each other: the console's commands, and the
//! room as the console is shown it (tiles, pairing requests), pushed as [`ConsoleEvent`]s.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::WireError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AbortReason {
    Candidate,
    Technical,
}

/// What the invigilator can do, each carrying the session's authority (checked by the hub).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConsoleCommand {
    /// Lets PCs nobody paired ask to be, for `minutes` (at most 60), while the lab is set up.
    OpenPairing {
        minutes: u32,
    },
    /// Ends the pairing window; requests not yet confirmed are dropped.
    ClosePairing,
    ConfirmPairing {
        station: String,
    },
    /// Offers the room's PCs the bank pack the console holds (its bytes are handed to the hub
    /// apart: `Hub::offer_bank`); each PC fetches it when no test runs there.
    OfferBank {
        offer: crate::kiosk::BankOffer,
    },
    /// Turns the screen reader (speech) on or off on one paired PC, before its candidate
    /// arrives: a blind pupil must hear the welcome form to type their name. The candidate's
    /// own settings never start it.
    Speech {
        station: String,
        on: bool,
    },
    ConfirmPresence {
        candidate: i64,
        present: bool,
    },
    Authorize {
        candidate: i64,
    },
    EndTest {
        candidate: i64,
        reason: String,
    },
    ExtraTime {
        candidate: i64,
        minutes: u32,
    },
    ResolveAlert {
        candidate: i64,
        validated: bool,
        incident: Option<String>,
    },
    RecordIncident {
        candidate: i64,
        code: String,
        note: String,
        question: Option<u32>,
    },
    FixIdentity {
        candidate: i64,
        first_name: String,
        birth_name: String,
        birthdate: NaiveDate,
    },
    MoveCandidate {
        candidate: i64,
    },
    PauseRoom {
        reason: String,
    },
    ResumeRoom,
    EndAll {
        reason: String,
    },
    SetAbortReason {
        candidate: i64,
        reason: Option<AbortReason>,
    },
    SetComment {
        text: String,
    },
    Finalize,
}

/// Incident codes of the national rules (facts §4).
pub const INCIDENT_CODES: &[&str] = &[
    "C1", "C2", "C4", "C6", "C7", "C8", "E1", "E2", "E3", "E4", "E5", "E8", "E9", "E10", "E11",
    "E12",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Incident {
    pub code: String,
    pub note: String,
    pub question: Option<u32>,
    pub at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum TileStatus {
    /// Ordered by urgency: who needs the invigilator comes first.
    Alert,
    WaitingAuthorization,
    FocusLost,
    Joined,
    InTest,
    Paused,
    NotArrived,
    Finished,
    Ended,
}

/// One candidate on the invigilator's screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Tile {
    pub candidate: i64,
    pub first_name: String,
    pub birth_name: String,
    pub local_id: Option<String>,
    pub status: TileStatus,
    pub needs_action: bool,
    pub station: Option<String>,
    pub present: bool,
    pub resume: bool,
    pub question: u32,
    pub total: u32,
    pub answered: u32,
    pub time_left_s: Option<u64>,
    pub alert_item: Option<String>,
    pub focus_losses: u32,
    pub extra_minutes: u32,
    pub ended_reason: Option<String>,
    pub abort_reason: Option<AbortReason>,
    pub incidents: Vec<Incident>,
    pub test_id: Option<String>,
    /// Journal records the hub holds for this candidate's test.
    pub synced_seq: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct PairingRequest {
    pub station: String,
    pub label: String,
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RoomView {
    pub session: i64,
    pub paused: bool,
    pub finalized: Option<String>,
    pub comment: String,
    pub tiles: Vec<Tile>,
    pub pairings: Vec<PairingRequest>,
    /// Until when PCs may ask to be paired (RFC 3339), if the invigilator opened pairing.
    pub pairing_until: Option<String>,
    pub stations: Vec<(String, String)>,
    /// The bank pack offered to the room's PCs, and where each paired PC stands with it.
    #[serde(default)]
    pub bank: Option<crate::kiosk::BankOffer>,
    #[serde(default)]
    pub banks: Vec<StationBank>,
    /// What each paired PC's readiness check said when it last connected.
    #[serde(default)]
    pub readiness: Vec<StationReadiness>,
    /// The paired PCs whose screen reader the invigilator turned on.
    #[serde(default)]
    pub speech: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct StationReadiness {
    pub station: String,
    pub label: String,
    /// When the PC said it (the hub's clock, RFC 3339).
    pub at: String,
    pub items: Vec<crate::kiosk::ReadinessItem>,
}

/// One paired PC and the offered bank pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct StationBank {
    pub station: String,
    pub label: String,
    /// Bytes the hub has sent it.
    pub received: u64,
    pub state: BankState,
    /// Why the PC refused the pack (its own words, French first).
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum BankState {
    Waiting,
    Installed,
    Refused,
}

/// Console side, version 1: the invigilator's client (a remote one; the console window calls the
/// hub in process) signs in with the session's password, then receives [`ConsoleEvent`]s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConsoleRequest {
    SignIn { session: i64, password: String },
    Command { id: u64, command: ConsoleCommand },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConsoleEvent {
    SignedIn {
        room: Box<RoomView>,
    },
    Tile {
        tile: Box<Tile>,
    },
    Room {
        room: Box<RoomView>,
    },
    Pairing {
        station: String,
        label: String,
        code: String,
    },
    Reply {
        id: u64,
        result: Result<(), WireError>,
    },
    Error {
        error: WireError,
    },
}
