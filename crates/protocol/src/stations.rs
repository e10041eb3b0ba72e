//! The lab's PCs as a console declares them to the certification service, before exam day: a
//! list of station keys signed with the console's key. The same JSON goes to `POST /v1/stations`
//! when the console is online, or travels as a file (`stations.json`) that the service's
//! operator imports for an offline centre. The service records when it first saw each key, by
//! its own clock: a test whose head a station signed before that time, or a station never
//! declared, goes to the jury.

use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};

use certroom_core::canonical;
use certroom_core::hash::{from_hex, to_hex};

/// Domain string of the signature: no other message the console key signs (a bundle's
/// manifest) passes for a declaration of stations.
pub const STATIONS_DOMAIN: &[u8] = b"certroom-stations-v1\0";

/// At most this many PCs in one declaration.
pub const MAX_STATIONS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredStation {
    /// Lower-case hex of the PC's Ed25519 station key.
    pub public_key: String,
    pub label: String,
}

/// What the console signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationList {
    pub uai: String,
    pub stations: Vec<DeclaredStation>,
    /// The console's clock (RFC 3339): for the reader; the service keeps its own time.
    pub signed_at: String,
}

/// A declaration as it travels: the list, the console key and its signature over
/// [`STATIONS_DOMAIN`] ‖ canonical JSON of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedStations {
    pub list: StationList,
    pub console_key: String,
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StationsError {
    #[error("déclaration de postes illisible / unreadable station declaration: {0}")]
    Unreadable(String),
    #[error("signature de la console invalide / invalid console signature")]
    Signature,
    #[error("clé de poste invalide / invalid station key: {0}")]
    Key(String),
    #[error("nom de poste invalide (1 à 64 caractères) / invalid station label (1 to 64 characters): {0}")]
    Label(String),
    #[error(
        "trop de postes (au plus {MAX_STATIONS}) / too many stations (at most {MAX_STATIONS})"
    )]
    TooMany,
}

impl SignedStations {
    pub fn sign(key: &Ed25519KeyPair, list: StationList) -> Self {
        let signature = to_hex(key.sign(&message(&list)).as_ref());
        SignedStations {
            console_key: to_hex(key.public_key().as_ref()),
            list,
            signature,
        }
    }

    /// Reads a declaration and checks its form and its signature; which console key may
    /// declare for which centre is the service's to decide.
    pub fn open(bytes: &[u8]) -> Result<Self, StationsError> {
        let s: SignedStations =
            serde_json::from_slice(bytes).map_err(|e| StationsError::Unreadable(e.to_string()))?;
        if s.list.stations.len() > MAX_STATIONS {
            return Err(StationsError::TooMany);
        }
        for st in &s.list.stations {
            if from_hex(&st.public_key).map(|k| k.len()) != Some(32)
                || st.public_key != st.public_key.to_ascii_lowercase()
            {
                return Err(StationsError::Key(st.public_key.clone()));
            }
            let n = st.label.chars().count();
            if n == 0 || n > 64 || st.label.chars().any(char::is_control) {
                return Err(StationsError::Label(st.label.clone()));
            }
        }
        let key = from_hex(&s.console_key).ok_or(StationsError::Signature)?;
        let sig = from_hex(&s.signature).ok_or(StationsError::Signature)?;
        UnparsedPublicKey::new(&ED25519, key)
            .verify(&message(&s.list), &sig)
            .map_err(|_| StationsError::Signature)?;
        Ok(s)
    }
}

fn message(list: &StationList) -> Vec<u8> {
    // Strings and a list of string pairs are always canonicalisable.
    let body = serde_json::to_value(list)
        .ok()
        .and_then(|v| canonical::to_bytes(&v).ok())
        .unwrap_or_default();
    [STATIONS_DOMAIN, &body].concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    fn key() -> Ed25519KeyPair {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap()
    }

    fn list() -> StationList {
        StationList {
            uai: "0750654D".into(),
            stations: vec![DeclaredStation {
                public_key: "ab".repeat(32),
                label: "PC-07".into(),
            }],
            signed_at: "2026-12-01T08:00:00Z".into(),
        }
    }

    #[test]
    fn a_declaration_opens_only_as_signed() {
        let k = key();
        let signed = SignedStations::sign(&k, list());
        let bytes = serde_json::to_vec(&signed).unwrap();
        assert_eq!(SignedStations::open(&bytes).unwrap(), signed);

        let mut added = signed.clone();
        added.list.stations.push(DeclaredStation {
            public_key: "cd".repeat(32),
            label: "PC-99".into(),
        });
        let bytes = serde_json::to_vec(&added).unwrap();
        assert_eq!(
            SignedStations::open(&bytes).unwrap_err(),
            StationsError::Signature
        );
        let mut other_centre = signed.clone();
        other_centre.list.uai = "0130002J".into();
        let bytes = serde_json::to_vec(&other_centre).unwrap();
        assert!(SignedStations::open(&bytes).is_err());
    }

    #[test]
    fn keys_and_labels_are_checked() {
        let k = key();
        let mut l = list();
        l.stations[0].public_key = "AB".repeat(32);
        let bytes = serde_json::to_vec(&SignedStations::sign(&k, l)).unwrap();
        assert!(matches!(
            SignedStations::open(&bytes),
            Err(StationsError::Key(_))
        ));
        let mut l = list();
        l.stations[0].label = String::new();
        let bytes = serde_json::to_vec(&SignedStations::sign(&k, l)).unwrap();
        assert!(matches!(
            SignedStations::open(&bytes),
            Err(StationsError::Label(_))
        ));
        assert!(matches!(
            SignedStations::open(b"{"),
            Err(StationsError::Unreadable(_))
        ));
    }
}
