//! The exact bytes of a test header and of a record, and the hash chain over them.
//!
//! A record's bytes are built once, hashed, and stored as a BLOB; every later check works on those
//! stored bytes, never on a re-serialisation of Rust structs (which could change with a serde or
//! struct upgrade and make honest journals look forged).

use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::event::Event;
use certroom_core::canonical::{self, CanonicalError};
use certroom_core::hash::Hash;
use certroom_core::Config;

/// Version of the record and header byte formats written now. Bump only with a new decoder kept
/// for the old one: version 1 journals are still read (see docs/journal-format.md).
pub const FORMAT_VERSION: u64 = 2;
/// Every version this build reads.
pub const READABLE_VERSIONS: [u64; 2] = [1, 2];

const GENESIS_DOMAIN: &[u8] = b"certroom-journal-v1 genesis\0";

/// Longest id we accept: ids end up in file names, logs and signed bytes.
pub const MAX_ID_LEN: usize = 128;

/// What identifies a candidate's test and fixes everything the central replay needs besides the
/// events themselves. The station's signed head covers it (the chain starts from its bytes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestHeader {
    /// The format this header was written in: 1 (before the fields below) or 2.
    #[serde(skip, default = "current_version")]
    pub version: u64,
    pub test_id: String,
    pub session_id: String,
    pub candidate_id: String,
    pub engine_seed: u64,
    pub engine_version: String,
    /// Content hash of the question bank the engine drew from (see `certroom_bank::pack::bank_hash`).
    pub bank_hash: Hash,
    /// RFC 3339 UTC, millisecond precision.
    pub created: String,
    /// Version 2: who sat the test, as the room hub matched them at the kiosk (None in a demo
    /// kiosk with no hub, and in version 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<JoinedIdentity>,
    /// Version 2: the candidate sits the accessible questions only.
    #[serde(default)]
    pub needs_adjustment: bool,
    /// Version 2: the engine and scoring configuration the test runs under, whole, and its id
    /// (`certroom_core::Config::id`). Version 1 has neither: it ran the engine version's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Config>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_id: Option<String>,
    /// Version 2: how a question's options are ordered on screen
    /// (`certroom_core::options::OPTIONS_SCHEME`). Version 1: the bank's order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<String>,
}

fn current_version() -> u64 {
    FORMAT_VERSION
}

/// A candidate as the room hub matched them when they joined: the names and birthdate of the
/// centre's list, not what was typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinedIdentity {
    pub birth_name: String,
    pub first_name: String,
    /// `YYYY-MM-DD`.
    pub birthdate: String,
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
        let config = Config::default();
        TestHeader {
            version: FORMAT_VERSION,
            test_id: test_id.into(),
            session_id: session_id.into(),
            candidate_id: candidate_id.into(),
            engine_seed,
            engine_version: engine_version.into(),
            bank_hash,
            created: crate::clock::rfc3339(chrono::Utc::now()),
            identity: None,
            needs_adjustment: false,
            config_id: Some(config.id()),
            config: Some(config),
            options: Some(certroom_core::options::OPTIONS_SCHEME.into()),
        }
    }

    /// The candidate as the hub matched them.
    pub fn with_identity(mut self, identity: JoinedIdentity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// The configuration the test runs under (the default engine's otherwise).
    pub fn with_config(mut self, config: Config) -> Self {
        self.config_id = Some(config.id());
        self.config = Some(config);
        self
    }

    /// The candidate sits the accessible questions only.
    pub fn with_adjustment(mut self, needs_adjustment: bool) -> Self {
        self.needs_adjustment = needs_adjustment;
        self
    }

    /// The configuration to run or replay the test with: the header's, or for a version 1
    /// journal the engine version's default with `questions` questions.
    pub fn engine_config(&self, questions: u32) -> Config {
        self.config.clone().unwrap_or_else(|| Config {
            questions,
            ..Config::default()
        })
    }

    /// The screen order of `item`'s options in this test.
    pub fn option_order(&self, item: &certroom_core::bank::Item) -> Vec<usize> {
        match self.options.as_deref() {
            Some(certroom_core::options::OPTIONS_SCHEME) => {
                certroom_core::options::order(self.engine_seed, item)
            }
            _ => (0..item.proposals.len()).collect(),
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

    /// The header's bytes, always in the current format.
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        let mut v = json!({
            "v": FORMAT_VERSION,
            "test_id": self.test_id,
            "session_id": self.session_id,
            "candidate_id": self.candidate_id,
            "engine_seed": self.engine_seed,
            "engine_version": self.engine_version,
            "bank_hash": self.bank_hash.to_hex(),
            "created": self.created,
            "needs_adjustment": self.needs_adjustment,
            "identity": self.identity,
            "config": self.config,
            "config_id": self.config_id,
            "options": self.options,
        });
        if let Some(obj) = v.as_object_mut() {
            obj.retain(|_, x| !x.is_null());
        }
        canonical::to_bytes(&v)
    }

    /// Reads a header of any readable version; `version` says which.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        // Checked in one pass, its fields' presence and the configuration's bytes read without
        // a JSON tree, then each field read from its own bytes: the central service reads every
        // header of a season through here (BENCHMARKS.md). A session's journals name one
        // configuration, so the one read last is taken again when its bytes come back.
        KNOWN_CONFIG.with_borrow_mut(|known| {
            let known_bytes = known.as_ref().map_or(&[][..], |k| k.bytes.as_slice());
            let fields = Fields::read_knowing(bytes, "header", known_bytes)?;
            let version = readable_version(fields.get("v"), "header")?;
            let since_v2 = [
                "identity",
                "needs_adjustment",
                "config",
                "config_id",
                "options",
            ]
            .map(|k| (k, fields.get(k).is_some()));
            let config = fields.get("config");
            let reused = known
                .as_ref()
                .filter(|k| config == Some(k.bytes.as_slice()));
            let mut id = None;
            if version == 1 {
                if let Some((v2, _)) = since_v2.iter().find(|(_, present)| *present) {
                    return Err(format!("version 1 header with a version 2 field: {v2}"));
                }
            } else {
                if let Some((v2, _)) = since_v2[1..].iter().find(|(_, present)| !*present) {
                    return Err(format!("version 2 header without {v2}"));
                }
                // The id must be the configuration's own, computed over the very bytes stored:
                // a part of canonical bytes is the canonical form of that part.
                id = match reused {
                    Some(k) => Some(k.id.clone()),
                    None => config.map(|c| Hash::of(&[c]).to_hex()),
                };
                if id != string(fields.get("config_id")) {
                    return Err("config_id is not the configuration's".into());
                }
            }
            let skip = reused.is_some().then_some("config");
            let mut header =
                TestHeader::deserialize(Members::new(fields, skip)).map_err(|e| e.to_string())?;
            match reused {
                Some(k) => header.config = Some(k.config.clone()),
                None => {
                    if let (Some(bytes), Some(id), Some(config)) = (config, id, &header.config) {
                        *known = Some(KnownConfig {
                            bytes: bytes.to_vec(),
                            id,
                            config: config.clone(),
                        });
                    }
                }
            }
            header.version = version;
            Ok(header)
        })
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

/// The configuration of the header read last on this thread, by its exact bytes, and its id.
struct KnownConfig {
    bytes: Vec<u8>,
    id: String,
    config: Config,
}

thread_local! {
    static KNOWN_CONFIG: std::cell::RefCell<Option<KnownConfig>> =
        const { std::cell::RefCell::new(None) };
}

/// The members of stored canonical bytes, a header's or a record's, by key: each value's exact
/// bytes, checked canonical and split in the same pass, so a field is read from its own bytes
/// and the object is never parsed whole to find it.
struct Fields<'a>(Vec<canonical::Member<'a>>);

impl<'a> Fields<'a> {
    fn read(bytes: &'a [u8], what: &str) -> Result<Self, String> {
        Self::read_knowing(bytes, what, &[])
    }

    /// [`Fields::read`], a member whose value is `known` taken without reading it again
    /// (`canonical::object_members_knowing`).
    fn read_knowing(bytes: &'a [u8], what: &str, known: &[u8]) -> Result<Self, String> {
        match canonical::object_members_knowing(bytes, known) {
            Some(members) => Ok(Fields(members)),
            None if canonical::is_canonical(bytes) => Err(format!("{what} is not a JSON object")),
            None => Err(format!("{what} bytes are not canonical JSON")),
        }
    }

    /// The value's bytes; a member stored as `null` is there: a version 1 focus loss may have
    /// no payload at all, and a version 1 header no version 2 field, not even a null one.
    fn get(&self, key: &str) -> Option<&'a [u8]> {
        self.0
            .iter()
            .find(|m| *m.key == *key.as_bytes())
            .map(|m| m.value)
    }
}

/// A string member's text. Canonical bytes escape only what must be, so a string without a
/// backslash is its own text.
fn string(value: Option<&[u8]>) -> Option<String> {
    let quoted = value?.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if quoted.contains(&b'\\') {
        serde_json::from_slice(value?).ok()
    } else {
        std::str::from_utf8(quoted).ok().map(str::to_owned)
    }
}

/// An integer member from 0 to `u64::MAX`: canonical bytes write one as its plain digits.
fn unsigned(value: Option<&[u8]>) -> Option<u64> {
    std::str::from_utf8(value?).ok()?.parse().ok()
}

fn readable_version(v: Option<&[u8]>, what: &str) -> Result<u64, String> {
    unsigned(v)
        .filter(|v| READABLE_VERSIONS.contains(v))
        .ok_or_else(|| format!("unknown {what} format version"))
}

pub(crate) fn decode_body(bytes: &[u8]) -> Result<Body, String> {
    // Checked and split into its members in one pass, each field then read from its own bytes:
    // the central service reads every record of a season through here (BENCHMARKS.md).
    let fields = Fields::read(bytes, "record")?;
    let version = readable_version(fields.get("v"), "record")?;
    let s =
        |k: &str| string(fields.get(k)).ok_or_else(|| format!("missing or non-string field {k}"));
    let n = |k: &str| {
        unsigned(fields.get(k)).ok_or_else(|| format!("missing or non-integer field {k}"))
    };
    let (test, ts) = (s("test")?, s("ts")?);
    let (seq, mono_ms) = (n("seq")?, n("mono_ms")?);
    let kind = s("kind")?;
    let mut payload = fields.get("payload");
    // Version 1 recorded a focus loss without its cause.
    if version == 1 && kind == "FocusLost" {
        if payload.is_some() {
            return Err("version 1 focus loss with a payload".into());
        }
        payload = Some(br#"{"cause":"unrecorded"}"#);
    }
    let event = Event::deserialize(Tagged {
        kind: &kind,
        payload,
    })
    .map_err(|e| format!("unreadable event: {e}"))?;
    Ok(Body {
        test,
        seq,
        ts,
        mono_ms,
        kind,
        event,
    })
}

/// An event as the `{"kind": …, "payload": …}` map it is stored as, handed to the event's own
/// (adjacently tagged) reader without building that map: the payload is read straight from its
/// bytes into the variant's fields.
struct Tagged<'a> {
    kind: &'a str,
    payload: Option<&'a [u8]>,
}

impl<'de> Deserializer<'de> for Tagged<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(TaggedFields {
            kind: Some(self.kind),
            payload: self.payload,
            next: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// The entries still to give, and the value of the key just given.
struct TaggedFields<'a> {
    kind: Option<&'a str>,
    payload: Option<&'a [u8]>,
    next: Option<TaggedValue<'a>>,
}

enum TaggedValue<'a> {
    Kind(&'a str),
    Payload(&'a [u8]),
}

impl<'de> MapAccess<'de> for TaggedFields<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let (key, value) = if let Some(kind) = self.kind.take() {
            ("kind", TaggedValue::Kind(kind))
        } else if let Some(payload) = self.payload.take() {
            ("payload", TaggedValue::Payload(payload))
        } else {
            return Ok(None);
        };
        self.next = Some(value);
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match self.next.take() {
            Some(TaggedValue::Kind(kind)) => seed.deserialize(BorrowedStrDeserializer::new(kind)),
            Some(TaggedValue::Payload(payload)) => value_from(seed, payload),
            None => Err(serde::de::Error::custom("value asked before its key")),
        }
    }
}

/// A value read from its own bytes, all of them.
fn value_from<'de, V: DeserializeSeed<'de>>(
    seed: V,
    bytes: &'de [u8],
) -> Result<V::Value, serde_json::Error> {
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let value = seed.deserialize(&mut json)?;
    json.end()?;
    Ok(value)
}

/// A canonical object's members handed to a type's own reader as its map, each value read from
/// its own bytes, without the member `skip` names.
struct Members<'a> {
    members: std::vec::IntoIter<canonical::Member<'a>>,
    skip: Option<&'static str>,
    value: Option<&'a [u8]>,
}

impl<'a> Members<'a> {
    fn new(fields: Fields<'a>, skip: Option<&'static str>) -> Self {
        Members {
            members: fields.0.into_iter(),
            skip,
            value: None,
        }
    }
}

impl<'de> Deserializer<'de> for Members<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'de> MapAccess<'de> for Members<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some(member) = self
            .members
            .find(|m| self.skip.is_none_or(|skip| *m.key != *skip.as_bytes()))
        else {
            return Ok(None);
        };
        self.value = Some(member.value);
        // Keys are text: the canonical scan checked their UTF-8.
        let text = |e: std::str::Utf8Error| serde::de::Error::custom(e);
        match member.key {
            std::borrow::Cow::Borrowed(key) => seed
                .deserialize(BorrowedStrDeserializer::new(
                    std::str::from_utf8(key).map_err(text)?,
                ))
                .map(Some),
            std::borrow::Cow::Owned(key) => seed
                .deserialize(StringDeserializer::new(
                    String::from_utf8(key).map_err(|e| text(e.utf8_error()))?,
                ))
                .map(Some),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match self.value.take() {
            Some(bytes) => value_from(seed, bytes),
            None => Err(serde::de::Error::custom("value asked before its key")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reader before it went without a JSON tree: the oracle the one-pass reader must agree with.
    fn decode_through_a_tree(bytes: &[u8]) -> Result<Body, String> {
        let v: Value =
            serde_json::from_slice(bytes).map_err(|_| "record bytes are not canonical JSON")?;
        if !canonical::is_canonical_form_of(&v, bytes) {
            return Err("record bytes are not canonical JSON".into());
        }
        let Value::Object(mut obj) = v else {
            return Err("record is not a JSON object".into());
        };
        let version = obj
            .get("v")
            .and_then(Value::as_u64)
            .filter(|v| READABLE_VERSIONS.contains(v))
            .ok_or("unknown record format version")?;
        let mut s = |k: &str| match obj.remove(k) {
            Some(Value::String(s)) => Ok(s),
            _ => Err(format!("missing or non-string field {k}")),
        };
        let (test, ts) = (s("test")?, s("ts")?);
        let n = |k: &str| {
            obj.get(k)
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("missing or non-integer field {k}"))
        };
        let (seq, mono_ms) = (n("seq")?, n("mono_ms")?);
        let kind = match obj.get("kind") {
            Some(Value::String(k)) => k.clone(),
            _ => return Err("missing or non-string field kind".into()),
        };
        let mut ev = Map::new();
        for k in ["kind", "payload"] {
            if let Some(x) = obj.remove(k) {
                ev.insert(k.into(), x);
            }
        }
        // Version 1 recorded a focus loss without its cause.
        if version == 1 && kind == "FocusLost" {
            if ev.contains_key("payload") {
                return Err("version 1 focus loss with a payload".into());
            }
            ev.insert("payload".into(), json!({"cause": "unrecorded"}));
        }
        let event: Event = serde_json::from_value(Value::Object(ev))
            .map_err(|e| format!("unreadable event: {e}"))?;
        Ok(Body {
            test,
            seq,
            ts,
            mono_ms,
            kind,
            event,
        })
    }

    fn agree(bytes: &[u8]) -> Result<(), String> {
        let show = String::from_utf8_lossy(bytes);
        match (decode_body(bytes), decode_through_a_tree(bytes)) {
            (Ok(a), Ok(b)) => {
                let same = (a.test, a.seq, a.ts, a.mono_ms, a.kind, a.event)
                    == (b.test, b.seq, b.ts, b.mono_ms, b.kind, b.event);
                same.then_some(())
                    .ok_or(format!("read differently: {show}"))
            }
            (Err(_), Err(_)) => Ok(()),
            (a, b) => Err(format!("{show}: one pass {a:?}, tree {b:?}")),
        }
    }

    #[test]
    fn the_one_pass_reader_agrees_with_the_tree() {
        let events = [
            Event::Joined,
            Event::QuestionShown {
                index: 3,
                item_id: "q3".into(),
                draw: json!({"u": 0.25, "pool": ["a", "b"]}),
            },
            Event::Answer {
                item_id: "q\"1".into(),
                response: json!({"fields": {"b": "x\n", "a": 2.5}, "n": -4}),
                time_spent_ms: 1200,
                focus_lost: false,
                timed_out: true,
            },
            Event::FocusLost {
                cause: crate::event::FocusCause::AssistiveTechnology,
            },
            Event::AlertResolved {
                item_id: "q2".into(),
                validated: true,
                incident: None,
            },
            Event::Ended {
                by: crate::event::EndedBy::Time,
                reason: Some("fin".into()),
            },
        ];
        let mut bodies: Vec<Vec<u8>> = events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                encode_body("T1", i as u64 + 1, "2025-01-01T00:00:00.000Z", 42, e).unwrap()
            })
            .collect();
        for text in [
            r#"{"kind":"FocusLost","mono_ms":0,"seq":1,"test":"T1","ts":"t","v":1}"#,
            r#"{"kind":"FocusLost","mono_ms":0,"payload":null,"seq":1,"test":"T1","ts":"t","v":1}"#,
            r#"{"kind":"FocusLost","mono_ms":0,"payload":{"cause":"window"},"seq":1,"test":"T1","ts":"t","v":1}"#,
            r#"{"kind":"Joined","mono_ms":0,"payload":null,"seq":1,"test":"T1","ts":"t","v":2}"#,
            r#"{"kind":"Joined","mono_ms":0,"seq":1,"test":"T1","ts":"t","v":3}"#,
            r#"{"kind":"Joined","mono_ms":0,"seq":1,"test":"T1","ts":"t","v":2,"x":[1]}"#,
            r#"{"kind":"Joined","mono_ms":0,"seq":1.0,"test":"T1","ts":"t","v":2}"#,
            r#"{"kind":"Joined","mono_ms":-1,"seq":1,"test":"T1","ts":"t","v":2}"#,
            r#"{"kind":"Joined","mono_ms":0,"seq":1,"test":7,"ts":"t","v":2}"#,
            r#"{"kind":"Nope","mono_ms":0,"seq":1,"test":"T1","ts":"t","v":2}"#,
            r#"{"kind":"Skip","mono_ms":0,"payload":{},"seq":1,"test":"T1","ts":"t","v":2}"#,
            r#"{"kind":"Skip","mono_ms":0,"payload":{"item_id":"q","more":1},"seq":1,"test":"T1","ts":"t","v":2}"#,
            r#"{"kind":"Joined","mono_ms":0,"seq":1,"ts":"t","v":2}"#,
            r#"[{"kind":"Joined"}]"#,
            r#""Joined""#,
        ] {
            bodies.push(text.as_bytes().to_vec());
        }
        let mut damaged = Vec::new();
        for body in &bodies {
            for i in 0..body.len() {
                for b in [b'"', b'1', b'}', b'x'] {
                    let mut d = body.clone();
                    d[i] = b;
                    damaged.push(d);
                }
            }
        }
        bodies.extend(damaged);
        let mut accepted = 0;
        for body in &bodies {
            agree(body).unwrap();
            accepted += usize::from(decode_body(body).is_ok());
        }
        assert!(accepted >= 12, "only {accepted} of {} read", bodies.len());
    }

    /// The header reader before it went without a JSON tree: the oracle for the new one.
    fn header_through_a_tree(bytes: &[u8]) -> Result<TestHeader, String> {
        let mut v: Value = serde_json::from_slice(bytes)
            .ok()
            .filter(|v| canonical::is_canonical_form_of(v, bytes))
            .ok_or("header bytes are not canonical JSON")?;
        let obj = v.as_object_mut().ok_or("header is not an object")?;
        let version = obj
            .remove("v")
            .and_then(|v| v.as_u64())
            .filter(|v| READABLE_VERSIONS.contains(v))
            .ok_or("unknown header format version")?;
        if version == 1 {
            for v2 in [
                "identity",
                "needs_adjustment",
                "config",
                "config_id",
                "options",
            ] {
                if obj.contains_key(v2) {
                    return Err(format!("version 1 header with a version 2 field: {v2}"));
                }
            }
        } else {
            for v2 in ["needs_adjustment", "config", "config_id", "options"] {
                if !obj.contains_key(v2) {
                    return Err(format!("version 2 header without {v2}"));
                }
            }
            // The id must be the configuration's own: computed over the very bytes stored.
            let id = obj
                .get("config")
                .map(|c| canonical::to_bytes(c).map(|b| Hash::of(&[&b]).to_hex()))
                .transpose()
                .map_err(|e| e.to_string())?;
            if id.as_ref()
                != obj
                    .get("config_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .as_ref()
            {
                return Err("config_id is not the configuration's".into());
            }
        }
        let mut header: TestHeader = serde_json::from_value(v).map_err(|e| e.to_string())?;
        header.version = version;
        Ok(header)
    }

    #[test]
    fn each_header_reads_its_own_configuration() {
        let header = |config: Config| {
            TestHeader::new("T1", "S1", "C1", 5, "engine-1", Hash::of(&[b"bank"]))
                .with_config(config)
        };
        let a = header(Config::default());
        let b = header(Config {
            questions: 20,
            ..Config::default()
        });
        let (a_bytes, b_bytes) = (a.to_bytes().unwrap(), b.to_bytes().unwrap());
        for bytes in [&a_bytes, &a_bytes, &b_bytes, &a_bytes, &b_bytes, &b_bytes] {
            let read = TestHeader::from_bytes(bytes).unwrap();
            let expected = if bytes == &a_bytes { &a } else { &b };
            assert_eq!(
                (&read.config, &read.config_id),
                (&expected.config, &expected.config_id)
            );
            assert_eq!(read.to_bytes().unwrap(), *bytes);
        }
        // The known configuration under another's id, or followed by more than a member ends
        // with, is still refused.
        TestHeader::from_bytes(&a_bytes).unwrap();
        let (a_id, b_id) = (a.config_id.unwrap(), b.config_id.unwrap());
        let text = String::from_utf8(a_bytes).unwrap();
        let config = text
            .split(r#""config":"#)
            .nth(1)
            .unwrap()
            .split(r#","config_id""#)
            .next()
            .unwrap();
        for damaged in [
            text.replace(&a_id, &b_id),
            text.replace(config, &format!("{config}1")),
            text.replace(config, &format!("{config} ")),
        ] {
            assert!(
                TestHeader::from_bytes(damaged.as_bytes()).is_err(),
                "{damaged}"
            );
        }
    }

    #[test]
    fn the_header_reader_agrees_with_the_tree() {
        let v2 = TestHeader::new("T1", "S1", "C1", 5, "engine-1", Hash::of(&[b"bank"]))
            .with_identity(JoinedIdentity {
                birth_name: "N'Diaye".into(),
                first_name: "Zoé".into(),
                birthdate: "2010-02-14".into(),
            })
            .with_config(Config::default());
        let v2 = String::from_utf8(v2.to_bytes().unwrap()).unwrap();
        let v1 = r#"{"bank_hash":"%H","candidate_id":"C1","created":"t","engine_seed":5,"engine_version":"e","session_id":"S1","test_id":"T1","v":1}"#
            .replace("%H", &Hash::of(&[b"bank"]).to_hex());
        let mut texts = vec![
            v2.clone(),
            v1.clone(),
            v1.replace(r#""test_id":"T1","#, r#""test_id":"T1","options":null,"#),
            v1.replace(r#""v":1"#, r#""v":3"#),
            v2.replace(r#""options":"#, r#""optionz":"#),
            v2.replace(r#""config_id":""#, r#""config_id":"0"#),
            v2.replace(r#""needs_adjustment":false"#, r#""needs_adjustment":null"#),
            v1.replace(r#""engine_seed":5"#, r#""engine_seed":-5"#),
        ];
        let mut damaged = Vec::new();
        for text in &texts {
            for (i, _) in text.char_indices().step_by(3) {
                for c in ["\"", "1", "}", "n"] {
                    let mut d = text.clone();
                    d.insert_str(i, c);
                    damaged.push(d);
                }
            }
        }
        texts.extend(damaged);
        let mut read = 0;
        for text in &texts {
            let (a, b) = (
                TestHeader::from_bytes(text.as_bytes()),
                header_through_a_tree(text.as_bytes()),
            );
            assert_eq!(a.is_ok(), b.is_ok(), "{text}: {a:?} / {b:?}");
            if let (Ok(a), Ok(b)) = (a, b) {
                assert_eq!((a.version, &a), (b.version, &b), "{text}");
                read += 1;
            }
        }
        assert!(read >= 2, "only {read} read");
    }

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
            r#"{"kind":"Joined","mono_ms":0,"seq":1,"test":"T1","ts":"t","v":2}"#
        );
    }

    #[test]
    fn version_2_headers_carry_who_and_how_and_bind_the_config_id() {
        let h = TestHeader::new("T1", "S1", "C1", 5, "engine-1", Hash::of(&[b"bank"]))
            .with_identity(JoinedIdentity {
                birth_name: "N'Diaye-Lefèvre".into(),
                first_name: "Zoé".into(),
                birthdate: "2010-02-14".into(),
            })
            .with_adjustment(true)
            .with_config(Config {
                questions: 20,
                ..Config::default()
            });
        let bytes = h.to_bytes().unwrap();
        let back = TestHeader::from_bytes(&bytes).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.version, 2);
        assert!(back.needs_adjustment);
        assert_eq!(
            back.engine_config(32).questions,
            20,
            "the header's config rules"
        );
        assert_eq!(
            back.config_id.as_deref(),
            Some(back.config.as_ref().unwrap().id().as_str())
        );

        // A config edited without its id (or the reverse) is not a header.
        let text = String::from_utf8(bytes).unwrap();
        let edited = text.replace("\"questions\":20", "\"questions\":21");
        assert_ne!(edited, text);
        assert!(TestHeader::from_bytes(edited.as_bytes())
            .unwrap_err()
            .contains("config_id"));
        let no_options = text.replace(
            &format!(
                ",\"options\":\"{}\"",
                certroom_core::options::OPTIONS_SCHEME
            ),
            "",
        );
        assert!(TestHeader::from_bytes(no_options.as_bytes())
            .unwrap_err()
            .contains("options"));
    }

    #[test]
    fn version_1_journals_are_still_read_and_say_so() {
        let v1 = canonical::to_bytes(&json!({
            "v": 1, "test_id": "T1", "session_id": "S1", "candidate_id": "C1",
            "engine_seed": 9, "engine_version": "engine-1",
            "bank_hash": Hash::of(&[b"bank"]).to_hex(), "created": "2026-03-12T08:00:00.000Z",
        }))
        .unwrap();
        let h = TestHeader::from_bytes(&v1).unwrap();
        assert_eq!(h.version, 1);
        assert!(h.config.is_none() && h.options.is_none() && h.identity.is_none());
        assert_eq!(
            h.engine_config(24).questions,
            24,
            "v1: the default engine's, as declared"
        );
        let mut with_v2_field: Value = serde_json::from_slice(&v1).unwrap();
        with_v2_field["needs_adjustment"] = json!(true);
        let bytes = canonical::to_bytes(&with_v2_field).unwrap();
        assert!(TestHeader::from_bytes(&bytes).is_err());

        // A version 1 focus loss did not say why.
        let body = br#"{"kind":"FocusLost","mono_ms":5,"seq":3,"test":"T1","ts":"t","v":1}"#;
        assert_eq!(
            decode_body(body).unwrap().event,
            Event::FocusLost {
                cause: crate::event::FocusCause::Unrecorded
            }
        );
        let v2 = br#"{"kind":"FocusLost","mono_ms":5,"seq":3,"test":"T1","ts":"t","v":2}"#;
        assert!(decode_body(v2).is_err(), "version 2 always says why");
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
