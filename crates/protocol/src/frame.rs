//! How a kiosk message travels: a [`Frame`] holds the exact JSON text of a [`Signed`] message and
//! the station key's Ed25519 signature over those bytes. The signed text names the hub it is for
//! (its certificate fingerprint) and a counter that must grow with every message of that
//! station, so a recorded frame can be replayed neither to this hub nor to another one.

use ring::signature::{Ed25519KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};

use certroom_core::message::UserMessage;

use crate::kiosk::KioskMessage;

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

/// How a PC is named on the wire: its station key's public half, in hex.
pub fn station_id(key: &Ed25519KeyPair) -> String {
    hex::encode(ring::signature::KeyPair::public_key(key).as_ref())
}

/// Signs a kiosk message for `hub`.
pub fn seal(key: &Ed25519KeyPair, hub: &str, n: u64, msg: KioskMessage) -> Frame {
    let signed = Signed {
        v: PROTOCOL_VERSION,
        hub: hub.to_owned(),
        station: station_id(key),
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
