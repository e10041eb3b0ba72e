//! What a kiosk and the hub say to each other, inside signed frames ([`crate::frame`]).

use serde::{Deserialize, Serialize};

use crate::error::WireError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum KioskMessage {
    /// Lab set-up, first step: asks to be enrolled, with the commitment to a nonce
    /// (`pairing::commitment`) revealed once the hub has answered with its own.
    Pair { label: String, commitment: String },
    /// Lab set-up, second step: the nonce committed to; both screens can then show the code.
    PairReveal { nonce: String },
    /// A piece of the bank pack the console offers, from `offset` (answered `bank_chunk`).
    FetchBank { hash: String, offset: u64 },
    /// What would stop exam day on this PC (`certroom station check`), sent after connecting.
    Readiness { items: Vec<ReadinessItem> },
    /// What became of the offered pack on this PC: installed, or refused and why.
    BankResult {
        hash: String,
        #[serde(default)]
        error: Option<String>,
    },
    /// After (re)connecting: where this station stands, and commands not yet carried out.
    Hello,
    /// The welcome form.
    Join {
        session: i64,
        first_name: String,
        birth_name: String,
        /// `YYYY-MM-DD` or `jj/mm/aaaa`.
        birthdate: String,
    },
    /// Instructions acknowledged and the session's access code typed: now waiting.
    Ready { access_code: String },
    /// Journal bytes the hub has not seen yet. `header` comes with the first records of a test.
    Records {
        test_id: String,
        #[serde(default)]
        header: Option<String>,
        bodies: Vec<String>,
        /// The station-signed head, once the test ended.
        #[serde(default)]
        head: Option<WireHead>,
    },
    /// A command was carried out (journaled) on the kiosk.
    Done { command: u64 },
    /// The candidate's sitting is over on this PC: the kiosk goes back to the welcome screen.
    Leave,
}

/// Hub to kiosk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum HubMessage {
    Ok { n: u64, reply: Reply },
    Err { n: u64, error: WireError },
    Command { id: u64, command: KioskCommand },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reply {
    /// The answer to `pair`: the hub's nonce for the pairing code, or that this PC is enrolled.
    Pairing {
        hub_nonce: String,
        enrolled: bool,
    },
    /// The answer to `pair_reveal`: the console shows the code and waits for the invigilator.
    CodeShown,
    /// Bytes `offset ..` of the offered bank pack (hex), of `total` bytes in all.
    BankChunk {
        hash: String,
        offset: u64,
        total: u64,
        data: String,
    },
    State {
        station: StationState,
    },
    Joined {
        candidate: CandidateCard,
    },
    Waiting,
    /// Records stored (committed) up to `last_seq`.
    Synced {
        test_id: String,
        last_seq: u64,
    },
    Done,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationState {
    pub enrolled: bool,
    pub session: Option<i64>,
    pub paused: bool,
    /// The candidate this PC is sitting, with the hub's last sequence of their current test.
    pub candidate: Option<CandidateCard>,
    pub test_id: Option<String>,
    pub synced_seq: u64,
    /// Ended tests of this PC whose results the service holds and whose retention is over:
    /// the kiosk deletes them from its journal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forget: Vec<String>,
    /// The certroom version the console runs: a kiosk of another version does not sit tests
    /// through it (it says so on its screen). Empty from hubs that did not send it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hub_version: String,
    /// The bank pack the console offers, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank: Option<BankOffer>,
    /// Whether the invigilator wants this PC's screen reader on; `None` until they said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speech: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateCard {
    pub id: i64,
    pub session: i64,
    pub first_name: String,
    pub birth_name: String,
    /// As the centre's list has it: the journal's header records who sat the test.
    pub birthdate: chrono::NaiveDate,
    pub extra_time_percent: u8,
    pub adjusted_questions: bool,
}

impl CandidateCard {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.birth_name.to_uppercase())
    }
}

/// What the invigilator decided, carried out by the kiosk in its journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum KioskCommand {
    /// Single-use: start, or resume after an interruption. Carries the key of the session's
    /// bank pack, handed over only now, and for a candidate moved from another PC the hub's
    /// copy of their journal.
    Authorize {
        resume: bool,
        bank_key: String,
        #[serde(default)]
        chain: Option<ChainCopy>,
    },
    ResolveAlert {
        validated: bool,
        incident: Option<String>,
    },
    EndTest {
        reason: String,
    },
    ExtraTime {
        minutes: u32,
    },
    Pause {
        reason: String,
    },
    Resume,
    /// The console offers a bank pack: fetch it when no test runs here. Not journaled, never
    /// answered with `done`; a kiosk that missed it learns the offer from `hello`.
    BankOffered {
        offer: BankOffer,
    },
    /// The invigilator turned this PC's screen reader on or off. Not journaled (it decides
    /// nothing about a result), never answered with `done`; a kiosk that missed it learns it
    /// from `hello`.
    Speech {
        on: bool,
    },
}

/// One item of a PC's readiness check, as `certroom station check` says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ReadinessItem {
    /// Stable: `data_folder`, `disk_space`, `fsync`, `bank`, `clock`, `display`, `cage`…
    pub item: String,
    pub ok: bool,
    pub fr: String,
    pub en: String,
}

/// The sealed bank pack the console sends the room's PCs before the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct BankOffer {
    /// Hex SHA-256 of the pack's bytes.
    pub hash: String,
    pub size: u64,
}

impl BankOffer {
    /// The offer of these pack bytes: what the hub announces and what a PC checks it received.
    pub fn of(pack: &[u8]) -> Self {
        BankOffer {
            hash: certroom_core::Hash::of(&[pack]).to_hex(),
            size: pack.len() as u64,
        }
    }
}

/// A signed head as the journal stores it: the exact signed body and the signature (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireHead {
    pub body: String,
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainCopy {
    pub header: String,
    pub bodies: Vec<String>,
}
