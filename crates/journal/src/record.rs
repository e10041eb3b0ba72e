//! The exact bytes of a test header and of a record, and the hash chain over them.
//!
//! A record's bytes are built once, hashed, and stored as a BLOB; every later check works on those
//! stored bytes, never on a re-serialisation of Rust structs (which could change with a serde or
//! struct upgrade and make honest journals look forged).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::event::Event;
use certroom_core::canonical::{self, CanonicalError};
use certroom_core::hash::Hash;

/// Version of the record and header byte formats. Bump only with a new decoder kept for the old one.
pub const FORMAT_VERSION: u64 = 1;

const GENESIS_DOMAIN: &[u8] = b"certroom-journal-v1 genesis\0";

/// Longest id we accept: ids end up in file names, logs and signed bytes.
pub const MAX_ID_LEN: usize = 128;

/// What identifies a candidate's test and fixes everything the central replay needs besides the
/// events themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestHeader {
    pub test_id: String,
    pub session_id: String,
    pub candidate_id: String,
    pub engine_seed: u64,
    pub engine_version: String,
    /// Content hash of the question bank the engine drew from (see `certroom_bank::pack::bank_hash`).
    pub bank_hash: Hash,
    /// RFC 3339 UTC, millisecond precision.
    pub created: String,
}

impl TestHeader {
    pub fn new(
        test_id: impl Into<String>,
        session_id: impl Into<String>,
        candidate_id: impl Into<String>,
        engine_seed: u64,
        engine_version: impl Into<String>,
        bank_hash: Hash,
    ) -> Self {
        TestHeader {
            test_id: test_id.into(),
            session_id: session_id.into(),
            candidate_id: candidate_id.into(),
            engine_seed,
            engine_version: engine_version.into(),
            bank_hash,
            created: now_rfc3339(),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("test_id", &self.test_id),
            ("session_id", &self.session_id),
            ("candidate_id", &self.candidate_id),
            ("engine_version", &self.engine_version),
        ] {
            if v.is_empty() || v.len() > MAX_ID_LEN || v.chars().any(char::is_control) {
                return Err(format!(
                    "{name} must be 1..={MAX_ID_LEN} bytes without control characters"
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        canonical::to_bytes(&json!({
            "v": FORMAT_VERSION,
            "test_id": self.test_id,
            "session_id": self.session_id,
            "candidate_id": self.candidate_id,
            "engine_seed": self.engine_seed,
            "engine_version": self.engine_version,
            "bank_hash": self.bank_hash.to_hex(),
            "created": self.created,
        }))
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        if !canonical::is_canonical(bytes) {
            return Err("header bytes are not canonical JSON".into());
        }
        let mut v: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let obj = v.as_object_mut().ok_or("header is not an object")?;
        if obj.remove("v") != Some(json!(FORMAT_VERSION)) {
            return Err("unknown header format version".into());
        }
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    /// The `prev_hash` of record 1. Binding the chain to the header means that changing the
    /// engine seed, the bank or the candidate breaks the chain at its first record.
    pub fn genesis(header_bytes: &[u8]) -> Hash {
        Hash::of(&[GENESIS_DOMAIN, header_bytes])
    }
}

/// One verified record of a test's journal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub test_id: String,
    pub seq: u64,
    /// RFC 3339 UTC with milliseconds: wall clock, informative only (it can jump).
    pub ts: String,
    /// Milliseconds of live test time at this record: what the time limit is charged against.
    pub mono_ms: u64,
    pub event: Event,
    pub prev_hash: Hash,
    pub hash: Hash,
}

pub fn chain_hash(prev: &Hash, body: &[u8]) -> Hash {
    Hash::of(&[&prev.0, body])
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn encode_body(
    test_id: &str,
    seq: u64,
    ts: &str,
    mono_ms: u64,
    event: &Event,
) -> Result<Vec<u8>, CanonicalError> {
    let mut top = match serde_json::to_value(event) {
        Ok(Value::Object(m)) => m,
        // An internally tagged enum always serialises to an object; anything else is a bug we
        // would rather store visibly than hide.
        Ok(other) => {
            let mut m = Map::new();
            m.insert("kind".into(), other);
            m
        }
        Err(e) => {
            let mut m = Map::new();
            m.insert("kind".into(), Value::String(format!("unserialisable: {e}")));
            m
        }
    };
    top.insert("v".into(), json!(FORMAT_VERSION));
    top.insert("test".into(), json!(test_id));
    top.insert("seq".into(), json!(seq));
    top.insert("ts".into(), json!(ts));
    top.insert("mono_ms".into(), json!(mono_ms));
    canonical::to_bytes(&Value::Object(top))
}

/// Fields read back from stored record bytes.
#[derive(Debug)]
pub(crate) struct Body {
    pub test: String,
    pub seq: u64,
    pub ts: String,
    pub mono_ms: u64,
    pub kind: String,
    pub event: Event,
}

pub(crate) fn decode_body(bytes: &[u8]) -> Result<Body, String> {
    if !canonical::is_canonical(bytes) {
        return Err("record bytes are not canonical JSON".into());
    }
    let v: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let obj = v.as_object().ok_or("record is not a JSON object")?;
    if obj.get("v") != Some(&json!(FORMAT_VERSION)) {
        return Err("unknown record format version".into());
    }
    let s = |k: &str| {
        obj.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("missing or non-string field {k}"))
    };
    let n = |k: &str| {
        obj.get(k)
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("missing or non-integer field {k}"))
    };
    let mut ev = Map::new();
    for k in ["kind", "payload"] {
        if let Some(x) = obj.get(k) {
            ev.insert(k.into(), x.clone());
        }
    }
    let event: Event =
        serde_json::from_value(Value::Object(ev)).map_err(|e| format!("unreadable event: {e}"))?;
    Ok(Body {
        test: s("test")?,
        seq: n("seq")?,
        ts: s("ts")?,
        mono_ms: n("mono_ms")?,
        kind: s("kind")?,
        event,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_round_trip() {
        let e = Event::Answer {
            item_id: "q1".into(),
            response: json!({"fields": {"b": "x", "a": 2.5}}),
            time_spent_ms: 1200,
            focus_lost: false,
            timed_out: true,
        };
        let b = encode_body("T1", 7, "2025-01-01T00:00:00.000Z", 42, &e).unwrap();
        let d = decode_body(&b).unwrap();
        assert_eq!((d.test.as_str(), d.seq, d.mono_ms), ("T1", 7, 42));
        assert_eq!(d.kind, "Answer");
        assert_eq!(d.event, e);
        let unit = encode_body("T1", 1, "t", 0, &Event::Joined).unwrap();
        assert_eq!(
            std::str::from_utf8(&unit).unwrap(),
            r#"{"kind":"Joined","mono_ms":0,"seq":1,"test":"T1","ts":"t","v":1}"#
        );
    }

    #[test]
    fn header_round_trip_and_genesis_binding() {
        let h = TestHeader::new("T1", "S1", "C1", u64::MAX, "engine-1", Hash::of(&[b"bank"]));
        let b = h.to_bytes().unwrap();
        assert_eq!(TestHeader::from_bytes(&b).unwrap(), h);
        let mut h2 = h.clone();
        h2.engine_seed = 1;
        assert_ne!(
            TestHeader::genesis(&b),
            TestHeader::genesis(&h2.to_bytes().unwrap())
        );
    }
}
