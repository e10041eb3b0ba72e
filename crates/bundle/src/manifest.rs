//! The manifest's bytes: canonical JSON (the journal's `canonical` module), signed as stored.
//!
//! A verifier checks the signature over the exact stored bytes first, then parses them, then
//! requires that re-encoding the parsed value gives those bytes back. One manifest therefore has
//! one byte form: no whitespace, key order, duplicate key or number spelling can carry a second
//! meaning past the signature.

use certroom_core::canonical;
use certroom_core::hash::{from_hex, to_hex};
use certroom_core::Hash;
use certroom_journal::record::MAX_ID_LEN;
use chrono::{DateTime, NaiveDate};
use ring::signature::{Ed25519KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fault::BundleFault;
use crate::limits::{MAX_CANDIDATES, MAX_INCIDENTS, MAX_STATIONS};
use crate::model::{
    AbortReason, CandidateEntry, Centre, Finalization, Incident, Manifest, ManifestCandidate,
    Outcome, SessionInfo, Sex,
};

pub const MANIFEST_VERSION: u32 = 1;
/// Prefixed to the manifest bytes before signing, so a console signature over a manifest can
/// never be replayed as a signature over anything else the console key signs.
pub const MANIFEST_DOMAIN: &[u8] = b"certroom-bundle-manifest-v1\0";

/// Signs the exact manifest bytes with the console's key.
pub fn sign_manifest(manifest: &[u8], console_key: &Ed25519KeyPair) -> [u8; 64] {
    let sig = console_key.sign(&[MANIFEST_DOMAIN, manifest].concat());
    let mut out = [0u8; 64];
    out.copy_from_slice(sig.as_ref());
    out
}

pub(crate) fn signature_ok(manifest: &[u8], key: &[u8; 32], signature: &[u8; 64]) -> bool {
    UnparsedPublicKey::new(&ED25519, key)
        .verify(&[MANIFEST_DOMAIN, manifest].concat(), signature)
        .is_ok()
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    version: u32,
    bundle_id: String,
    centre: WireCentre,
    session: WireSession,
    app_version: String,
    engine_version: String,
    bank_hash: String,
    stations: Vec<String>,
    console_public_key: String,
    finalization: WireFinalization,
    candidates: Vec<WireCandidate>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireCentre {
    uai: String,
    name: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireSession {
    number: i64,
    date: String,
    site: String,
    room: String,
    questions: u32,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireFinalization {
    finalized_at: String,
    comment: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireCandidate {
    candidate_id: i64,
    birth_name: String,
    first_name: String,
    birthdate: String,
    local_id: Option<String>,
    sex: Option<Sex>,
    outcome: Outcome,
    abort_reason: AbortReason,
    incidents: Vec<WireIncident>,
    test_id: Option<String>,
    journal_sha256: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireIncident {
    code: String,
    note: String,
    question: Option<u32>,
}

const DATE_FORMAT: &str = "%Y-%m-%d";

/// Encodes a manifest; validation is the verifier's, so a writer cannot produce a manifest
/// the verifier would read differently.
pub(crate) fn encode(m: &Manifest) -> Result<Vec<u8>, BundleFault> {
    let wire = Wire {
        version: m.version,
        bundle_id: m.bundle_id.clone(),
        centre: WireCentre {
            uai: m.centre.uai.clone(),
            name: m.centre.name.clone(),
        },
        session: WireSession {
            number: m.session.number,
            date: m.session.date.format(DATE_FORMAT).to_string(),
            site: m.session.site.clone(),
            room: m.session.room.clone(),
            questions: m.session.questions,
        },
        app_version: m.app_version.clone(),
        engine_version: m.engine_version.clone(),
        bank_hash: m.bank_hash.to_hex(),
        stations: m.stations.iter().map(|k| to_hex(k)).collect(),
        console_public_key: to_hex(&m.console_public_key),
        finalization: WireFinalization {
            finalized_at: m.finalization.finalized_at.clone(),
            comment: m.finalization.comment.clone(),
        },
        candidates: m
            .candidates
            .iter()
            .map(|c| WireCandidate {
                candidate_id: c.entry.candidate_id,
                birth_name: c.entry.birth_name.clone(),
                first_name: c.entry.first_name.clone(),
                birthdate: c.entry.birthdate.format(DATE_FORMAT).to_string(),
                local_id: c.entry.local_id.clone(),
                sex: c.entry.sex,
                outcome: c.entry.outcome,
                abort_reason: c.entry.abort_reason,
                incidents: c
                    .entry
                    .incidents
                    .iter()
                    .map(|i| WireIncident {
                        code: i.code.clone(),
                        note: i.note.clone(),
                        question: i.question,
                    })
                    .collect(),
                test_id: c.entry.test_id.clone(),
                journal_sha256: c.journal_sha256.map(|h| h.to_hex()),
            })
            .collect(),
    };
    let bytes = to_canonical(&wire)?;
    // Round-trip through the verifier's reading, so invalid fields are refused at write time.
    decode(&bytes)?;
    Ok(bytes)
}

fn to_canonical(wire: &Wire) -> Result<Vec<u8>, BundleFault> {
    serde_json::to_value(wire)
        .ok()
        .and_then(|v| canonical::to_bytes(&v).ok())
        .ok_or_else(|| BundleFault::ManifestUnreadable {
            detail: "cannot be written as canonical JSON".into(),
        })
}

/// Reads manifest bytes whose signature has already been checked.
pub(crate) fn decode(bytes: &[u8]) -> Result<Manifest, BundleFault> {
    let unreadable = |detail: String| BundleFault::ManifestUnreadable { detail };
    let value: Value = serde_json::from_slice(bytes).map_err(|e| unreadable(short(&e)))?;
    match value.get("version") {
        Some(v) if v.as_u64() == Some(u64::from(MANIFEST_VERSION)) => {}
        Some(v) => {
            return Err(BundleFault::ManifestVersion {
                found: clip(&v.to_string(), 40),
            })
        }
        None => {
            return Err(BundleFault::ManifestVersion {
                found: "absent".into(),
            })
        }
    }
    let wire: Wire = serde_json::from_value(value).map_err(|e| unreadable(short(&e)))?;
    if to_canonical(&wire)? != bytes {
        return Err(unreadable(
            "not in canonical form (key order, spacing, duplicate keys or number spelling)".into(),
        ));
    }
    validate(wire)
}

fn short(e: &serde_json::Error) -> String {
    clip(&e.to_string(), 200)
}

fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

fn invalid(field: impl Into<String>, detail: &'static str) -> BundleFault {
    BundleFault::ManifestInvalid {
        field: field.into(),
        detail,
    }
}

/// Text a person typed: bounded, no control characters except line breaks where allowed.
fn text(field: &str, v: &str, min: usize, max: usize, newlines: bool) -> Result<(), BundleFault> {
    let n = v.chars().count();
    if n < min || n > max {
        return Err(invalid(field, "length out of bounds"));
    }
    if v.chars()
        .any(|c| c.is_control() && !(newlines && c == '\n'))
    {
        return Err(invalid(field, "control character"));
    }
    Ok(())
}

fn date(field: &str, v: &str) -> Result<NaiveDate, BundleFault> {
    NaiveDate::parse_from_str(v, DATE_FORMAT)
        .ok()
        .filter(|d| d.format(DATE_FORMAT).to_string() == v)
        .ok_or_else(|| invalid(field, "not a yyyy-mm-dd date"))
}

fn key32(field: &str, v: &str) -> Result<[u8; 32], BundleFault> {
    from_hex(v)
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| invalid(field, "not 64 lower-case hex digits"))
}

fn hash(field: &str, v: &str) -> Result<Hash, BundleFault> {
    key32(field, v).map(Hash)
}

pub(crate) fn test_id_ok(v: &str) -> bool {
    !v.is_empty() && v.len() <= MAX_ID_LEN && !v.chars().any(char::is_control)
}

/// Letters of the UAI check key: the alphabet without I, O and Q, indexed by the number mod 23.
/// Kept here rather than borrowed from certroom-centre, whose dependencies (PDF, spreadsheets,
/// SQLite) the central verifier does not need.
const UAI_KEY_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

fn uai_ok(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() != 8 || !b[..7].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let number: u32 = b[..7].iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
    b[7] == UAI_KEY_LETTERS[(number % 23) as usize]
}

pub(crate) fn bundle_id_ok(id: &str, uai: &str, session: i64) -> bool {
    let prefix = format!("{uai}-{session}-");
    let Some(rest) = id.strip_prefix(&prefix) else {
        return false;
    };
    match uuid::Uuid::try_parse(rest) {
        Ok(u) => u.get_version_num() == 4 && u.hyphenated().to_string() == rest,
        Err(_) => false,
    }
}

fn validate(w: Wire) -> Result<Manifest, BundleFault> {
    if !uai_ok(&w.centre.uai) {
        return Err(invalid("centre.uai", "not 7 digits and their check letter"));
    }
    text("centre.name", &w.centre.name, 1, 200, false)?;
    if w.session.number < 1 {
        return Err(invalid("session.number", "not a positive number"));
    }
    if !bundle_id_ok(&w.bundle_id, &w.centre.uai, w.session.number) {
        return Err(invalid("bundle_id", "not {UAI}-{session}-{uuid v4}"));
    }
    let session_date = date("session.date", &w.session.date)?;
    text("session.site", &w.session.site, 0, 200, false)?;
    text("session.room", &w.session.room, 0, 200, false)?;
    if w.session.questions == 0 || w.session.questions > 1000 {
        return Err(invalid("session.questions", "not 1 to 1000"));
    }
    text("app_version", &w.app_version, 1, 64, false)?;
    text("engine_version", &w.engine_version, 1, 64, false)?;
    let bank_hash = hash("bank_hash", &w.bank_hash)?;
    if w.stations.len() > MAX_STATIONS {
        return Err(invalid("stations", "too many"));
    }
    let stations = w
        .stations
        .iter()
        .enumerate()
        .map(|(i, s)| key32(&format!("stations[{i}]"), s))
        .collect::<Result<Vec<_>, _>>()?;
    // Sorted and unique: a set has one byte form.
    if stations.windows(2).any(|p| p[0] >= p[1]) {
        return Err(invalid("stations", "not sorted or has duplicates"));
    }
    let console_public_key = key32("console_public_key", &w.console_public_key)?;
    text(
        "finalization.finalized_at",
        &w.finalization.finalized_at,
        1,
        64,
        false,
    )?;
    if DateTime::parse_from_rfc3339(&w.finalization.finalized_at).is_err() {
        return Err(invalid("finalization.finalized_at", "not an RFC 3339 time"));
    }
    text(
        "finalization.comment",
        &w.finalization.comment,
        0,
        5000,
        true,
    )?;
    if w.candidates.len() > MAX_CANDIDATES {
        return Err(invalid("candidates", "too many"));
    }
    let candidates = w
        .candidates
        .into_iter()
        .enumerate()
        .map(|(i, c)| candidate(i, c))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Manifest {
        version: w.version,
        bundle_id: w.bundle_id,
        centre: Centre {
            uai: w.centre.uai,
            name: w.centre.name,
        },
        session: SessionInfo {
            number: w.session.number,
            date: session_date,
            site: w.session.site,
            room: w.session.room,
            questions: w.session.questions,
        },
        app_version: w.app_version,
        engine_version: w.engine_version,
        bank_hash,
        stations,
        console_public_key,
        finalization: Finalization {
            finalized_at: w.finalization.finalized_at,
            comment: w.finalization.comment,
        },
        candidates,
    })
}

fn candidate(i: usize, c: WireCandidate) -> Result<ManifestCandidate, BundleFault> {
    let f = |name: &str| format!("candidates[{i}].{name}");
    if c.candidate_id < 1 {
        return Err(invalid(f("candidate_id"), "not a positive number"));
    }
    text(&f("birth_name"), &c.birth_name, 1, 200, false)?;
    text(&f("first_name"), &c.first_name, 1, 200, false)?;
    let birthdate = date(&f("birthdate"), &c.birthdate)?;
    if let Some(l) = &c.local_id {
        text(&f("local_id"), l, 1, 64, false)?;
    }
    if c.incidents.len() > MAX_INCIDENTS {
        return Err(invalid(f("incidents"), "too many"));
    }
    let mut incidents = Vec::with_capacity(c.incidents.len());
    for (k, inc) in c.incidents.into_iter().enumerate() {
        let code_ok = (1..=8).contains(&inc.code.len())
            && inc.code.bytes().all(|b| b.is_ascii_alphanumeric());
        if !code_ok {
            return Err(invalid(
                f(&format!("incidents[{k}].code")),
                "not 1 to 8 letters or digits",
            ));
        }
        text(
            &f(&format!("incidents[{k}].note")),
            &inc.note,
            0,
            2000,
            true,
        )?;
        incidents.push(Incident {
            code: inc.code,
            note: inc.note,
            question: inc.question,
        });
    }
    if let Some(t) = &c.test_id {
        if !test_id_ok(t) {
            return Err(invalid(f("test_id"), "not 1 to 128 bytes of text"));
        }
    }
    let journal_sha256 = match (&c.test_id, &c.journal_sha256) {
        (Some(_), Some(h)) => Some(hash(&f("journal_sha256"), h)?),
        (None, None) => None,
        _ => {
            return Err(invalid(
                f("journal_sha256"),
                "present exactly when test_id is",
            ))
        }
    };
    Ok(ManifestCandidate {
        entry: CandidateEntry {
            candidate_id: c.candidate_id,
            birth_name: c.birth_name,
            first_name: c.first_name,
            birthdate,
            local_id: c.local_id,
            sex: c.sex,
            outcome: c.outcome,
            abort_reason: c.abort_reason,
            incidents,
            test_id: c.test_id,
        },
        journal_sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uai_check_letter_and_bundle_id_shape() {
        assert!(uai_ok("0750654D"));
        assert!(!uai_ok("0750654E"));
        assert!(!uai_ok("075065D"));
        let id = "0750654D-4217-6f1c0a3e-2b1d-4c5e-9f00-0123456789ab";
        assert!(bundle_id_ok(id, "0750654D", 4217));
        assert!(!bundle_id_ok(id, "0750654D", 4218));
        // Version 1 uuid, and an upper-case spelling of a valid one.
        assert!(!bundle_id_ok(
            "0750654D-4217-6f1c0a3e-2b1d-1c5e-9f00-0123456789ab",
            "0750654D",
            4217
        ));
        assert!(!bundle_id_ok(
            "0750654D-4217-6F1C0A3E-2B1D-4C5E-9F00-0123456789AB",
            "0750654D",
            4217
        ));
    }
}
