//! What kiosks, the console and the hub say to each other (version 1). See docs/hub-protocol.md.
//!
//! Every kiosk message travels as a [`Frame`]: the exact JSON text of a [`Signed`] message and
//! the station key's Ed25519 signature over those bytes. The signed text names the hub it is for
//! (its certificate fingerprint) and a counter that must grow with every message of that
//! station, so a recorded frame can be replayed neither to this hub nor to another one.

use ring::signature::{Ed25519KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};

use certroom_core::message::UserMessage;

pub const PROTOCOL_VERSION: u16 = 1;
/// Largest frame a kiosk may send. A question's worth of records is a few kilobytes; a whole
/// 32-question journal sent after a long disconnection stays well under this.
pub const MAX_FRAME_BYTES: usize = 256 * 1024;
const FRAME_DOMAIN: &[u8] = b"certroom-hub-frame-v1\0";

/// What a kiosk puts on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Frame {
    /// The exact signed bytes: the JSON text of a [`Signed`].
    pub payload: String,
    /// Hex of the Ed25519 signature over `FRAME_DOMAIN ‖ payload`.
    pub sig: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signed {
    pub v: u16,
    /// Hex fingerprint of the hub certificate this message is for.
    pub hub: String,
    /// Hex of the station's Ed25519 public key.
    pub station: String,
    /// Strictly increasing per station; the hub refuses anything not above the last it accepted.
    pub n: u64,
    pub msg: KioskMessage,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum KioskMessage {
    /// Lab set-up: asks to be enrolled. The only message an unknown station may send.
    Pair { label: String },
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
    /// The pairing code both screens show; the console confirms it.
    Pairing {
        code: String,
        enrolled: bool,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateCard {
    pub id: i64,
    pub session: i64,
    pub first_name: String,
    pub birth_name: String,
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

/// A refusal, with a stable code and the two messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireError {
    pub code: String,
    pub message_fr: String,
    pub message_en: String,
    /// For `hub.replay`: the last counter the hub accepted from this station.
    #[serde(default)]
    pub last_n: Option<u64>,
}

impl<E: UserMessage> From<&E> for WireError {
    fn from(e: &E) -> Self {
        WireError {
            code: e.code().to_owned(),
            message_fr: e.message_fr(),
            message_en: e.message_en(),
            last_n: None,
        }
    }
}

/// Why a frame was refused before it reached the room.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("message too large")]
    TooLarge,
    #[error("malformed frame: {0}")]
    Malformed(String),
    #[error("unsupported protocol version {0}")]
    Version(u16),
    #[error("frame is for another hub")]
    OtherHub,
    #[error("bad signature")]
    BadSignature,
    #[error("unknown station")]
    UnknownStation,
    #[error("replayed frame")]
    Replay { last_n: u64 },
    #[error("station changed on a connection")]
    StationChanged,
}

impl UserMessage for FrameError {
    fn code(&self) -> &'static str {
        match self {
            Self::TooLarge => "hub.too_large",
            Self::Malformed(_) => "hub.malformed",
            Self::Version(_) => "hub.version",
            Self::OtherHub => "hub.other_hub",
            Self::BadSignature => "hub.bad_signature",
            Self::UnknownStation => "hub.unknown_station",
            Self::Replay { .. } => "hub.replay",
            Self::StationChanged => "hub.station_changed",
        }
    }
    fn message_fr(&self) -> String {
        match self {
            Self::TooLarge => format!("Message refusé : plus de {} octets.", MAX_FRAME_BYTES),
            Self::Malformed(e) => format!("Message illisible : {e}."),
            Self::Version(v) => format!("Version de protocole {v} non prise en charge : mettez ce poste à jour."),
            Self::OtherHub => "Message destiné à un autre poste surveillant.".into(),
            Self::BadSignature => "Signature du poste invalide : message refusé.".into(),
            Self::UnknownStation => "Ce poste n'est pas enregistré dans cette salle : faites-le appairer par le surveillant.".into(),
            Self::Replay { .. } => "Message déjà reçu (rejeu) : refusé.".into(),
            Self::StationChanged => "Un autre poste a signé sur cette connexion : refusé.".into(),
        }
    }
    fn message_en(&self) -> String {
        match self {
            Self::TooLarge => format!("Message refused: over {} bytes.", MAX_FRAME_BYTES),
            Self::Malformed(e) => format!("Unreadable message: {e}."),
            Self::Version(v) => format!("Protocol version {v} is not supported: update this PC."),
            Self::OtherHub => "Message meant for another console.".into(),
            Self::BadSignature => "Invalid station signature: message refused.".into(),
            Self::UnknownStation => {
                "This PC is not enrolled in this room: have the invigilator pair it.".into()
            }
            Self::Replay { .. } => "Message already received (replay): refused.".into(),
            Self::StationChanged => "Another PC signed on this connection: refused.".into(),
        }
    }
}

/// Signs a kiosk message for `hub`.
pub fn seal(key: &Ed25519KeyPair, hub: &str, n: u64, msg: KioskMessage) -> Frame {
    let signed = Signed {
        v: PROTOCOL_VERSION,
        hub: hub.to_owned(),
        station: hex::encode(ring::signature::KeyPair::public_key(key).as_ref()),
        n,
        msg,
    };
    // Serialising plain structs and strings cannot fail.
    let payload = serde_json::to_string(&signed).unwrap_or_default();
    let sig = key.sign(&[FRAME_DOMAIN, payload.as_bytes()].concat());
    Frame {
        payload,
        sig: hex::encode(sig.as_ref()),
    }
}

/// Checks a frame's size, shape, version, hub binding and signature. Enrolment and the replay
/// counter are the room's to check: they need its records.
pub fn open(text: &str, hub: &str) -> Result<Signed, FrameError> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge);
    }
    let frame: Frame = serde_json::from_str(text).map_err(|e| FrameError::Malformed(short(&e)))?;
    let signed: Signed =
        serde_json::from_str(&frame.payload).map_err(|e| FrameError::Malformed(short(&e)))?;
    if signed.v != PROTOCOL_VERSION {
        return Err(FrameError::Version(signed.v));
    }
    if signed.hub != hub {
        return Err(FrameError::OtherHub);
    }
    let pk = hex::decode(&signed.station)
        .ok()
        .filter(|k| k.len() == 32)
        .ok_or_else(|| FrameError::Malformed("station key".into()))?;
    let sig = hex::decode(&frame.sig)
        .ok()
        .filter(|s| s.len() == 64)
        .ok_or(FrameError::BadSignature)?;
    UnparsedPublicKey::new(&ED25519, &pk)
        .verify(&[FRAME_DOMAIN, frame.payload.as_bytes()].concat(), &sig)
        .map_err(|_| FrameError::BadSignature)?;
    Ok(signed)
}

fn short(e: &serde_json::Error) -> String {
    let mut s = e.to_string();
    s.truncate(200);
    s
}

/// The pairing code both the kiosk and the console show: derived from the hub's fingerprint
/// and the station key, so a man in the middle (who must present other keys to each side)
/// makes the two screens disagree.
pub fn pairing_code(hub: &str, station: &str) -> String {
    let d = ring::digest::digest(
        &ring::digest::SHA256,
        &[
            b"certroom-pairing-v1\0",
            hub.as_bytes(),
            b"\0",
            station.as_bytes(),
        ]
        .concat(),
    );
    let b = d.as_ref();
    let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) % 1_000_000;
    format!("{:03} {:03}", n / 1000, n % 1000)
}

/// Console side, version 1: the invigilator's client (a remote one; the console window calls the
/// hub in process) signs in with the session's password, then receives [`ConsoleEvent`]s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConsoleRequest {
    SignIn {
        session: i64,
        password: String,
    },
    Command {
        id: u64,
        command: crate::room::ConsoleCommand,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConsoleEvent {
    SignedIn {
        room: Box<crate::room::RoomView>,
    },
    Tile {
        tile: Box<crate::room::Tile>,
    },
    Room {
        room: Box<crate::room::RoomView>,
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
