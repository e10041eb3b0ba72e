//! The central service's side: every check, in a fixed order, stopping at the first fault.
//!
//! Order (docs/bundle-format.md §5): container layout; the console's signature over the exact
//! manifest bytes (and the console key against a trusted list when one is given); the manifest's
//! version and fields; then per journal section, in file order: its place, its hash against the
//! manifest, its chain record by record, its header against the manifest, its signed head; then
//! per candidate: outcome and abort reason against the journal; then duplicates; then journals
//! without a candidate and candidates without their journal.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use certroom_core::hash::to_hex;
use certroom_core::identity::match_key;
use certroom_core::signature::{Batch, Signed};
use certroom_core::Hash;
use certroom_journal::{
    completion, ChainBytes, ChainFault, EndedBy, Event, HeadError, Mirror, Problem, SignedHead,
};

use crate::container::{self, HeadBytes};
use crate::fault::BundleFault;
use crate::limits::MAX_BUNDLE_BYTES;
use crate::manifest;
use crate::model::{Manifest, ManifestCandidate, Outcome};
use crate::report::Report;

/// A journal that passed every check.
#[derive(Debug, Clone)]
pub struct VerifiedJournal {
    /// The verified records, ready for the central replay (`certroom_journal::steps`).
    pub mirror: Mirror,
    pub head: Option<SignedHead>,
    pub section_sha256: Hash,
}

#[derive(Debug, Clone)]
pub struct VerifiedCandidate {
    pub candidate: ManifestCandidate,
    pub journal: Option<VerifiedJournal>,
}

#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    pub manifest: Manifest,
    /// SHA-256 of the whole file: the receipt the central service can quote back.
    pub file_sha256: Hash,
    /// Whether the console key was checked against a trusted list.
    pub console_pinned: bool,
    /// In manifest order.
    pub candidates: Vec<VerifiedCandidate>,
}

impl VerifiedBundle {
    pub fn summary(&self) -> Report {
        Report::from_bundle(self)
    }
}

/// A bundle's bytes and their SHA-256, taken once: the central service looks the digest up
/// before it verifies (the same bytes twice get the first receipt), and the verified bundle
/// quotes it after. Hashing a whole file twice was measurable at ingest (BENCHMARKS.md).
#[derive(Debug, Clone)]
pub struct Digested {
    bytes: Vec<u8>,
    sha256: Hash,
}

impl Digested {
    pub fn new(bytes: Vec<u8>) -> Self {
        let sha256 = Hash::of(&[&bytes]);
        Self { bytes, sha256 }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn sha256(&self) -> Hash {
        self.sha256
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// Checks a bundle. With `trusted_consoles`, the signing console key must be one of them;
/// without, the signature proves integrity but not which console made the file.
pub fn verify(
    bytes: &[u8],
    trusted_consoles: Option<&[[u8; 32]]>,
) -> Result<VerifiedBundle, BundleFault> {
    check(bytes, trusted_consoles, || Hash::of(&[bytes]))
}

/// [`verify`] for bytes whose digest is already known.
pub fn verify_digested(
    bundle: &Digested,
    trusted_consoles: Option<&[[u8; 32]]>,
) -> Result<VerifiedBundle, BundleFault> {
    check(bundle.bytes(), trusted_consoles, || bundle.sha256())
}

fn check(
    bytes: &[u8],
    trusted_consoles: Option<&[[u8; 32]]>,
    file_sha256: impl FnOnce() -> Hash,
) -> Result<VerifiedBundle, BundleFault> {
    let mut signatures = HeadSignatures::default();
    let checked = check_in_order(bytes, trusted_consoles, file_sha256, &mut signatures);
    // Every check before a head's signature passed when it was read: so a bad signature is the
    // fault checking one at a time would have stopped at, whatever came after it.
    match signatures.first_bad() {
        Some(fault) => Err(fault),
        None => checked,
    }
}

fn check_in_order(
    bytes: &[u8],
    trusted_consoles: Option<&[[u8; 32]]>,
    file_sha256: impl FnOnce() -> Hash,
    signatures: &mut HeadSignatures,
) -> Result<VerifiedBundle, BundleFault> {
    if bytes.len() as u64 > MAX_BUNDLE_BYTES {
        return Err(BundleFault::TooLarge {
            what: "bundle",
            offset: 0,
            len: bytes.len() as u64,
            max: MAX_BUNDLE_BYTES,
        });
    }
    let (c, hashes) = container::parse(bytes)?;

    if !manifest::signature_ok(&c.manifest, &c.console_key, &c.signature) {
        return Err(BundleFault::BadSignature);
    }
    if let Some(trusted) = trusted_consoles {
        if !trusted.contains(&c.console_key) {
            return Err(BundleFault::UntrustedConsole {
                key: to_hex(&c.console_key),
            });
        }
    }
    let m = manifest::decode(&c.manifest)?;
    if m.console_public_key != c.console_key {
        return Err(BundleFault::ConsoleKeyMismatch);
    }

    // First entry wins: a second entry with the same test is reported as a duplicate below.
    let mut index_of: HashMap<&str, usize> = HashMap::new();
    for (i, cand) in m.candidates.iter().enumerate() {
        if let Some(t) = &cand.entry.test_id {
            index_of.entry(t.as_str()).or_insert(i);
        }
    }
    let session_id = m.session.number.to_string();
    let mut journals: HashMap<usize, VerifiedJournal> = HashMap::new();
    let mut orphans: Vec<String> = Vec::new();
    let mut last_index: Option<usize> = None;
    for (section, section_hash) in c.journals.into_iter().zip(hashes) {
        let Some(&i) = index_of.get(section.test_id.as_str()) else {
            orphans.push(section.test_id);
            continue;
        };
        // One content, one file: journals follow the candidates' order, so moving sections
        // around is a fault even though each still matches its hash.
        if last_index.is_some_and(|l| i <= l) {
            return Err(BundleFault::JournalOrder {
                test_id: section.test_id,
            });
        }
        last_index = Some(i);
        let cand = &m.candidates[i];
        let candidate = cand.entry.candidate_id;
        let test_id = section.test_id.clone();
        if cand.journal_sha256 != Some(section_hash) {
            return Err(BundleFault::JournalHash { candidate, test_id });
        }
        let mirror = check_chain(section.chain).map_err(|f| BundleFault::Chain {
            candidate,
            test_id: test_id.clone(),
            seq: f.seq,
            problem: f.problem,
        })?;
        let h = mirror.header();
        let header_fields = [
            ("test_id", h.test_id == test_id),
            ("session_id", h.session_id == session_id),
            ("candidate_id", h.candidate_id == candidate.to_string()),
            ("bank_hash", h.bank_hash == m.bank_hash),
        ];
        if let Some((field, _)) = header_fields.into_iter().find(|(_, ok)| !ok) {
            return Err(BundleFault::HeaderMismatch {
                candidate,
                test_id,
                field,
            });
        }
        if let Some(fault) = identity_fault(h.identity.as_ref(), cand, &test_id) {
            return Err(fault);
        }
        let head = match section.head {
            None => None,
            Some(hb) => Some(check_head(
                &hb,
                &mirror,
                &m.stations,
                signatures,
                candidate,
                &test_id,
            )?),
        };
        journals.insert(
            i,
            VerifiedJournal {
                mirror,
                head,
                section_sha256: section_hash,
            },
        );
    }

    for (i, cand) in m.candidates.iter().enumerate() {
        let e = &cand.entry;
        // A test whose journal is missing is reported as such below, not as a wrong outcome.
        if e.test_id.is_some() && !journals.contains_key(&i) {
            continue;
        }
        let journal = journals.get(&i).map(|j| &j.mirror);
        let found = journal.map(outcome_of);
        let consistent = match found {
            Some(o) => e.outcome == o,
            None => matches!(e.outcome, Outcome::Absent | Outcome::EndedByInvigilator),
        };
        if !consistent {
            return Err(BundleFault::OutcomeMismatch {
                candidate: e.candidate_id,
                declared: e.outcome,
                journal: found,
            });
        }
        if e.abort_reason == crate::model::AbortReason::None
            && needs_abort_reason(e.outcome, journal, m.session.questions)
        {
            return Err(BundleFault::AbortReasonMissing {
                candidate: e.candidate_id,
            });
        }
    }

    let mut ids = HashSet::new();
    let mut tests = HashSet::new();
    for cand in &m.candidates {
        if !ids.insert(cand.entry.candidate_id) {
            return Err(BundleFault::DuplicateCandidate {
                candidate: cand.entry.candidate_id,
            });
        }
        if let Some(t) = &cand.entry.test_id {
            if !tests.insert(t.as_str()) {
                return Err(BundleFault::DuplicateTest { test_id: t.clone() });
            }
        }
    }
    if let Some(test_id) = orphans.into_iter().next() {
        return Err(BundleFault::OrphanJournal { test_id });
    }
    for (i, cand) in m.candidates.iter().enumerate() {
        if let (Some(t), false) = (&cand.entry.test_id, journals.contains_key(&i)) {
            return Err(BundleFault::MissingJournal {
                candidate: cand.entry.candidate_id,
                test_id: t.clone(),
            });
        }
    }

    let candidates = m
        .candidates
        .iter()
        .enumerate()
        .map(|(i, cand)| VerifiedCandidate {
            candidate: cand.clone(),
            journal: journals.remove(&i),
        })
        .collect();
    Ok(VerifiedBundle {
        file_sha256: file_sha256(),
        console_pinned: trusted_consoles.is_some(),
        candidates,
        manifest: m,
    })
}

/// `Mirror::from_bytes`, record by record, keeping the bodies at hand so that a record found
/// out of place is named as such: a mirror only sees that the next number is missing, but if
/// that number comes later in the section the records were reordered, not deleted (the same
/// distinction `verify_file` makes).
fn check_chain(chain: ChainBytes) -> Result<Mirror, ChainFault> {
    let mut mirror = Mirror::new(chain.header)?;
    mirror.reserve(chain.bodies.len());
    let mut bodies = chain.bodies.into_iter();
    while let Some(body) = bodies.next() {
        if let Err(mut fault) = mirror.extend(body) {
            if let Problem::SequenceGap { expected, found } = fault.problem {
                if bodies
                    .as_slice()
                    .iter()
                    .any(|b| seq_of(b) == Some(expected))
                {
                    fault.problem = Problem::Reordered { expected, found };
                }
            }
            return Err(fault);
        }
    }
    Ok(mirror)
}

fn seq_of(body: &[u8]) -> Option<u64> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()?
        .get("seq")?
        .as_u64()
}

/// Who sat the test is in the journal's header, which the station's signed head covers: the
/// console may name someone else only through an identity fix it recorded (C1), which the
/// service always holds for the jury with both identities. A header without an identity (a
/// version 1 journal) names nobody to compare.
fn identity_fault(
    joined: Option<&certroom_journal::JoinedIdentity>,
    cand: &ManifestCandidate,
    test_id: &str,
) -> Option<BundleFault> {
    let j = joined?;
    let e = &cand.entry;
    let manifest_key = match_key(&e.birth_name, &e.first_name, e.birthdate);
    let same = chrono::NaiveDate::parse_from_str(&j.birthdate, "%Y-%m-%d")
        .is_ok_and(|d| match_key(&j.birth_name, &j.first_name, d) == manifest_key);
    let fixed = e.incidents.iter().any(|i| i.code == "C1");
    (!same && !fixed).then(|| BundleFault::IdentityMismatch {
        candidate: e.candidate_id,
        test_id: test_id.to_owned(),
        journal: format!(
            "{} {}, {}",
            j.birth_name.to_uppercase(),
            j.first_name,
            j.birthdate
        ),
        manifest: format!(
            "{} {}, {}",
            e.birth_name.to_uppercase(),
            e.first_name,
            e.birthdate.format("%Y-%m-%d")
        ),
    })
}

/// The outcome a journal shows: how its last record ended the test, if it did.
/// What a journal says of how its test ended: the one rule for the room and the service.
pub fn outcome_of(m: &Mirror) -> Outcome {
    match m.records().last().map(|r| &r.event) {
        Some(Event::Ended { by, .. }) => match by {
            EndedBy::Candidate => Outcome::Finished,
            EndedBy::Time => Outcome::TimeUp,
            EndedBy::Invigilator => Outcome::EndedByInvigilator,
            EndedBy::Finalization => Outcome::Interrupted,
        },
        _ => Outcome::Interrupted,
    }
}

/// The hub's finalization rule (`needs_abort_reason` in crates/hub/src/room.rs): a test that
/// started and stopped before its last question, other than by the candidate, needs a reason,
/// and so does a candidate the invigilator ended before any test started.
pub fn needs_abort_reason(declared: Outcome, journal: Option<&Mirror>, questions: u32) -> bool {
    match journal {
        None => declared == Outcome::EndedByInvigilator,
        Some(m) => {
            let (steps, ended) = completion(m.records());
            let completed =
                matches!(ended, Some(EndedBy::Candidate)) || steps >= questions as usize;
            !completed
        }
    }
}

/// The stations' signatures over their heads, checked together once every other check ran
/// (`certroom_core::signature`), yet reported where the order of checks puts them: a bad one
/// comes before any fault found after it was read.
#[derive(Default)]
struct HeadSignatures {
    batch: Batch,
    whose: Vec<(i64, String)>,
}

impl HeadSignatures {
    fn push(&mut self, signed: Signed, candidate: i64, test: &str) {
        self.batch.push(signed);
        self.whose.push((candidate, test.to_owned()));
    }

    /// The fault of the first head whose signature does not hold.
    fn first_bad(&self) -> Option<BundleFault> {
        let i = self.batch.verify().err()?;
        let (candidate, test_id) = self.whose.get(i).cloned()?;
        Some(BundleFault::HeadInvalid {
            candidate,
            test_id,
            detail: HeadError::BadSignature.to_string(),
        })
    }
}

fn check_head(
    hb: &HeadBytes,
    mirror: &Mirror,
    stations: &[[u8; 32]],
    signatures: &mut HeadSignatures,
    candidate: i64,
    test_id: &str,
) -> Result<SignedHead, BundleFault> {
    let invalid = |detail: String| BundleFault::HeadInvalid {
        candidate,
        test_id: test_id.to_owned(),
        detail,
    };
    let head = parse_head(hb).map_err(|d| invalid(d.into()))?;
    let key = head
        .public_key_bytes()
        .ok_or_else(|| invalid(HeadError::Malformed("station_public_key").to_string()))?;
    signatures.push(
        SignedHead::signed_stored(key, &hb.body, hb.signature),
        candidate,
        test_id,
    );
    if !stations.contains(&key) {
        return Err(BundleFault::HeadUntrusted {
            candidate,
            test_id: test_id.to_owned(),
            key: head.station_public_key.clone(),
        });
    }
    let last_seq = mirror.last_seq();
    let mismatch = |seq, what| BundleFault::HeadMismatch {
        candidate,
        test_id: test_id.to_owned(),
        seq,
        what,
    };
    let h = mirror.header();
    let fields = [
        ("test_id", head.test_id == h.test_id),
        ("session_id", head.session_id == h.session_id),
        ("candidate_id", head.candidate_id == h.candidate_id),
        ("bank_hash", head.bank_hash == h.bank_hash),
    ];
    if let Some((field, _)) = fields.into_iter().find(|(_, ok)| !ok) {
        return Err(mismatch(head.seq, field));
    }
    if head.seq > last_seq {
        return Err(mismatch(last_seq + 1, "truncated"));
    }
    if head.seq < last_seq {
        return Err(mismatch(head.seq + 1, "extended"));
    }
    if head.hash != mirror.last_hash() || last_seq == 0 {
        return Err(mismatch(head.seq, "hash"));
    }
    Ok(head)
}

fn parse_head(hb: &HeadBytes) -> Result<SignedHead, &'static str> {
    SignedHead::from_stored(&hb.body, &hb.signature).map_err(|e| match e {
        certroom_journal::HeadError::Malformed(why) => why,
        _ => "unreadable head",
    })
}

/// Reads and checks a bundle file, without a trusted console list (the report says so).
pub fn verify_file(path: impl AsRef<Path>) -> Result<Report, BundleFault> {
    verify_file_pinned(path, None)
}

pub fn verify_file_pinned(
    path: impl AsRef<Path>,
    trusted_consoles: Option<&[[u8; 32]]>,
) -> Result<Report, BundleFault> {
    let path = path.as_ref();
    let io = |e: std::io::Error| BundleFault::Io {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(BundleFault::Io {
            path: path.display().to_string(),
            detail: "not a regular file".into(),
        });
    }
    if meta.len() > MAX_BUNDLE_BYTES {
        return Err(BundleFault::TooLarge {
            what: "bundle",
            offset: 0,
            len: meta.len(),
            max: MAX_BUNDLE_BYTES,
        });
    }
    // The file can grow between metadata and read: read at most one byte past the bound.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_BUNDLE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    let verified = verify(&bytes, trusted_consoles)?;
    Ok(verified.summary())
}
