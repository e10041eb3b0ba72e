//! What a bundle says: the console's input and the manifest read back from a verified file.

use certroom_core::Hash;
use certroom_journal::{ChainBytes, SignedHead};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Centre {
    /// UAI: 7 digits and the check letter.
    pub uai: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub number: i64,
    pub date: NaiveDate,
    pub site: String,
    pub room: String,
    /// Questions a test has in this session: a test that ended earlier, other than by the
    /// candidate, needs an abort reason (the hub's finalization rule).
    pub questions: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    M,
    F,
}

/// How a candidate's sitting ended, as the console reports it. The verifier derives it again
/// from the journal and refuses a bundle where the two differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// No test: the candidate never started.
    Absent,
    /// The journal ends with `Ended { by: Candidate }`.
    Finished,
    /// The journal ends with `Ended { by: Time }`.
    TimeUp,
    /// The journal ends with `Ended { by: Invigilator }`, or the invigilator ended the sitting
    /// before any test started (then there is no journal).
    EndedByInvigilator,
    /// The journal ends with `Ended { by: Finalization }`, or does not end.
    Interrupted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Absent => "absent",
            Self::Finished => "finished",
            Self::TimeUp => "time_up",
            Self::EndedByInvigilator => "ended_by_invigilator",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Absent => "absent",
            Self::Finished => "terminé",
            Self::TimeUp => "temps écoulé",
            Self::EndedByInvigilator => "arrêté par le surveillant",
            Self::Interrupted => "interrompu",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Absent => "absent",
            Self::Finished => "finished",
            Self::TimeUp => "time up",
            Self::EndedByInvigilator => "ended by the invigilator",
            Self::Interrupted => "interrupted",
        }
    }
}

/// Why an unfinished test stopped (facts §7); `None` when the invigilator gave none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbortReason {
    #[default]
    None,
    Candidate,
    Technical,
}

impl AbortReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Candidate => "candidate",
            Self::Technical => "technical",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub code: String,
    pub note: String,
    pub question: Option<u32>,
}

/// One convened candidate, as the console's finalization knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateEntry {
    pub candidate_id: i64,
    /// Exact spelling: it goes on the certificate.
    pub birth_name: String,
    pub first_name: String,
    pub birthdate: NaiveDate,
    pub local_id: Option<String>,
    pub sex: Option<Sex>,
    pub outcome: Outcome,
    pub abort_reason: AbortReason,
    pub incidents: Vec<Incident>,
    /// The candidate's test, `None` when no test started.
    pub test_id: Option<String>,
}

/// One candidate's journal as the console holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleJournal {
    pub test_id: String,
    /// From `Journal::chain_bytes(test_id, 0)` or the hub's `Mirror::to_bytes()`.
    pub chain: ChainBytes,
    /// From `Journal::signed_head`, when the test ended with one.
    pub head: Option<SignedHead>,
}

/// Everything the console puts in a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleInput {
    pub centre: Centre,
    pub session: SessionInfo,
    pub candidates: Vec<CandidateEntry>,
    pub journals: Vec<BundleJournal>,
    /// Public keys of the stations the console enrolled; a signed head counts only if its key
    /// is one of these.
    pub stations: Vec<[u8; 32]>,
    pub comment: String,
    /// RFC 3339.
    pub finalized_at: String,
    pub bank_hash: Hash,
    pub engine_version: String,
    pub app_version: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finalization {
    pub finalized_at: String,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestCandidate {
    pub entry: CandidateEntry,
    /// SHA-256 of the candidate's journal section payload; present exactly when `test_id` is.
    pub journal_sha256: Option<Hash>,
}

/// The signed manifest, read back from verified bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub version: u32,
    /// `{UAI}-{session}-{uuid v4}`.
    pub bundle_id: String,
    pub centre: Centre,
    pub session: SessionInfo,
    pub app_version: String,
    pub engine_version: String,
    pub bank_hash: Hash,
    /// Sorted, without duplicates.
    pub stations: Vec<[u8; 32]>,
    pub console_public_key: [u8; 32],
    pub finalization: Finalization,
    pub candidates: Vec<ManifestCandidate>,
}
