//! What the service keeps: centres, consoles, banks, received bundles (one per version of a
//! session), per-candidate results, and published certifications. These are the store's types;
//! the HTTP layer converts them to its own JSON shapes (`http::dto`).

use serde::{Deserialize, Serialize};

/// A certification centre (a school), as enrolled by an administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Centre {
    pub uai: String,
    pub name: String,
}

/// A console key as registered for a centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleKey {
    pub uai: String,
    /// Lower-case hex of the 32-byte Ed25519 public key.
    pub public_key: String,
    pub registered_at: String,
    pub revoked_at: Option<String>,
}

/// A lab PC a centre's console declared, as the service recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisteredStation {
    pub public_key: String,
    pub label: String,
    /// The service's clock when it first saw this key (RFC 3339).
    pub registered_at: String,
}

/// How the server opens a bank pack again after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BankKeyKind {
    Passphrase,
    Session,
}

/// A stored bank pack, keyed by the content hash journals record.
#[derive(Clone, PartialEq, Eq)]
pub struct BankRow {
    /// `certroom_core::Bank::content_hash()`: what a test header's `bank_hash` names.
    pub content_hash: String,
    /// `certroom_bank::pack::read_header(..).bank_hash`: the pack's own content hash.
    pub pack_hash: String,
    pub pack: Vec<u8>,
    pub key_kind: BankKeyKind,
    /// The passphrase, or the session key in hex.
    pub key_secret: String,
    pub publisher_key: String,
    pub bank_id: String,
    pub bank_version: String,
    pub items: i64,
    pub added_at: String,
}

impl std::fmt::Debug for BankRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BankRow")
            .field("content_hash", &self.content_hash)
            .field("pack_hash", &self.pack_hash)
            .field("bank_id", &self.bank_id)
            .field("items", &self.items)
            .finish_non_exhaustive()
    }
}

/// Where a received version of a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Nothing for the jury: results were published on receipt (facts §7).
    Published,
    /// Incidents, a comment or a mismatch: the jury decides.
    PendingJury,
    /// The jury validated: results published.
    Validated,
    /// The jury rejected the session: nothing published.
    Rejected,
    /// The jury cancelled the session: nothing published.
    Cancelled,
    /// A newer version of the same session replaced this one; kept as evidence.
    Superseded,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::PendingJury => "pending_jury",
            Self::Validated => "validated",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
            Self::Superseded => "superseded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "published" => Self::Published,
            "pending_jury" => Self::PendingJury,
            "validated" => Self::Validated,
            "rejected" => Self::Rejected,
            "cancelled" => Self::Cancelled,
            "superseded" => Self::Superseded,
            _ => return None,
        })
    }

    /// Whether this version's certifications are public.
    pub fn is_published(self) -> bool {
        matches!(self, Self::Published | Self::Validated)
    }
}

/// A candidate's result as the server recomputed it (facts §5 statuses, plus `absent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultStatus {
    Validated,
    Rejected,
    Cancelled,
    /// The journal does not replay: no score can be trusted.
    Error,
    /// No test was started.
    Absent,
}

impl ResultStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validated => "validated",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
            Self::Error => "error",
            Self::Absent => "absent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "validated" => Self::Validated,
            "rejected" => Self::Rejected,
            "cancelled" => Self::Cancelled,
            "error" => Self::Error,
            "absent" => Self::Absent,
            _ => return None,
        })
    }
}

/// Why a valid bundle's recomputed result is not what the room recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    /// `replay` (the engine derives other questions, or refuses a step), `steps` (a record the
    /// engine cannot read), `abort_reason` (the finalization's abort reason gives another status
    /// than the journal's end), `unfinished` (the journal neither ends nor completes).
    pub kind: String,
    pub detail: String,
}

/// The recomputed score of a candidate who has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRow {
    pub capacity: f64,
    pub pix: u32,
    /// The highest score the scoring configuration allows (895 today).
    pub pix_max: u32,
    pub global_level: u8,
    pub levels: [u8; 16],
    pub answered: u32,
    pub correct: u32,
}

/// An incident as the room's finalization recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRow {
    pub code: String,
    pub note: String,
    pub question: Option<u32>,
}

/// A question as the candidate played it, for the jury (which ones to neutralize).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayedRow {
    pub item_id: String,
    /// Counted right when played (a focus loss or the item's timer may have voided it).
    pub counted: bool,
    pub focus_voided: bool,
}

/// A focus loss the kiosk journaled, with the question on screen (1-based) and its cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FocusLossRow {
    pub question: u32,
    /// `window`, `assistive_technology` or `unrecorded` (a version 1 journal).
    pub cause: String,
}

/// What the jury decided for one candidate, on top of the recomputed result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JuryMark {
    pub decision: Decision,
    pub reason: String,
    pub member: String,
    pub at: String,
    /// The status the replay gave before the decision.
    pub computed: ResultStatus,
}

/// One candidate of a received bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateRow {
    pub candidate_id: i64,
    pub birth_name: String,
    pub first_name: String,
    /// `YYYY-MM-DD`.
    pub birthdate: String,
    pub local_id: Option<String>,
    /// The bundle's outcome (`finished`, `time_up`, …).
    pub outcome: String,
    pub abort_reason: String,
    pub incidents: Vec<IncidentRow>,
    pub test_id: Option<String>,
    pub status: ResultStatus,
    pub score: Option<ScoreRow>,
    pub mismatch: Option<Mismatch>,
    // Rows stored before the per-candidate jury read with these empty.
    #[serde(default)]
    pub played: Vec<PlayedRow>,
    #[serde(default)]
    pub focus_losses: Vec<FocusLossRow>,
    /// How the identity the hub matched at join differs from the finalized one (C1 fixes).
    #[serde(default)]
    pub identity_difference: Option<String>,
    /// Why the PC that signed this test is not one its centre declared in time (or the test is
    /// signed by none), if so: the jury decides.
    #[serde(default)]
    pub station_problem: Option<String>,
    /// Items the jury neutralized for this candidate (facts §7): the score leaves them out.
    #[serde(default)]
    pub neutralized: Vec<String>,
    #[serde(default)]
    pub jury: Option<JuryMark>,
}

impl CandidateRow {
    /// `BIRTH NAME First name`, as the jury reads it.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.birth_name.to_uppercase(), self.first_name)
    }
}

/// Why a session waits for the jury.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JuryFlag {
    Incidents,
    Comment,
    Mismatch,
    /// Who sat a test differs from who the finalization names (an identity fix, C1).
    Identity,
    /// A test signed by a PC its centre declared after the test began, or never.
    Station,
    /// A later version of a session already received: what it changes is the jury's to accept,
    /// and the certificates already published stay valid until then.
    Correction,
}

/// Everything the ingest pipeline established about a bundle, ready to be stored.
#[derive(Debug, Clone)]
pub struct NewBundle {
    pub bundle_id: String,
    /// SHA-256 of the whole file, hex.
    pub content_sha256: String,
    pub uai: String,
    pub centre_name: String,
    pub session_number: i64,
    pub session_date: String,
    pub finalized_at: String,
    pub comment: String,
    pub console_key: String,
    pub bank_hash: String,
    pub engine_version: String,
    pub received_at: String,
    pub flags: Vec<JuryFlag>,
    pub candidates: Vec<CandidateRow>,
    /// What publishing on receipt issues (`store::draw`), drawn before the store's transaction;
    /// empty when the bundle goes to the jury, and unused if the store finds it must.
    pub certificates: Vec<crate::store::Drawn>,
    /// The bundle's bytes, compressed for the store.
    pub evidence: crate::evidence::Evidence,
}

impl NewBundle {
    /// `{UAI}-{session number}`: how the jury and the centre name a session across versions.
    pub fn session_id(&self) -> String {
        session_id(&self.uai, self.session_number)
    }
}

pub fn session_id(uai: &str, number: i64) -> String {
    format!("{uai}-{number}")
}

/// Splits `{UAI}-{number}` back.
pub fn parse_session_id(s: &str) -> Option<(String, i64)> {
    let (uai, number) = s.split_once('-')?;
    let n: i64 = number.parse().ok().filter(|n| *n > 0)?;
    (uai.len() == 8 && uai.is_ascii()).then(|| (uai.to_owned(), n))
}

pub use certroom_protocol::Receipt;

/// What storing a bundle did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub receipt: Receipt,
    /// False when the very same bundle was already stored (the receipt is the first one).
    pub created: bool,
}

/// The fields of a certification before it has a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateDraft {
    pub first_name: String,
    pub last_name: String,
    pub birthdate: String,
    pub issued: String,
    pub pix: u32,
    pub pix_max: u32,
    pub global_level: u8,
    pub levels: [u8; 16],
}

/// A published certification, what `/verify/{code}` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certification {
    pub code: String,
    pub bundle_id: String,
    pub candidate_id: i64,
    pub draft: CertificateDraft,
    /// The signed QR text, when the claims could be signed (names ≤ 100 bytes).
    pub qr_text: Option<String>,
    /// `valid` or `superseded`.
    pub status: String,
}

/// A session waiting for the jury, with what the jury needs to decide.
#[derive(Debug, Clone, PartialEq)]
pub struct JuryCase {
    pub session_id: String,
    pub bundle_id: String,
    pub uai: String,
    pub centre_name: String,
    pub session_number: i64,
    pub session_date: String,
    pub received_at: String,
    pub comment: String,
    pub flags: Vec<JuryFlag>,
    pub candidates: Vec<CandidateRow>,
}

/// The jury's decision on a pending session, or on one of its candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Validate,
    Reject,
    Cancel,
}

impl Decision {
    pub fn status(self) -> SessionStatus {
        match self {
            Self::Validate => SessionStatus::Validated,
            Self::Reject => SessionStatus::Rejected,
            Self::Cancel => SessionStatus::Cancelled,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validate => "validate",
            Self::Reject => "reject",
            Self::Cancel => "cancel",
        }
    }

    /// A candidate's result after this decision.
    pub fn result(self) -> ResultStatus {
        match self {
            Self::Validate => ResultStatus::Validated,
            Self::Reject => ResultStatus::Rejected,
            Self::Cancel => ResultStatus::Cancelled,
        }
    }
}

/// What a jury act did (facts §7): a decision on a candidate or the session, or a question
/// neutralized or given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActKind {
    Validate,
    Reject,
    Cancel,
    Neutralize,
    Restore,
}

impl ActKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validate => "validate",
            Self::Reject => "reject",
            Self::Cancel => "cancel",
            Self::Neutralize => "neutralize",
            Self::Restore => "restore",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "validate" => Self::Validate,
            "reject" => Self::Reject,
            "cancel" => Self::Cancel,
            "neutralize" => Self::Neutralize,
            "restore" => Self::Restore,
            _ => return None,
        })
    }
}

impl From<Decision> for ActKind {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Validate => Self::Validate,
            Decision::Reject => Self::Reject,
            Decision::Cancel => Self::Cancel,
        }
    }
}

/// One act of the jury, kept for ever with who made it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JuryAct {
    pub bundle_id: String,
    /// `None`: the whole session.
    pub candidate_id: Option<i64>,
    pub kind: ActKind,
    /// The neutralized (or restored) item.
    pub item_id: Option<String>,
    pub reason: String,
    pub member: String,
    pub at: String,
}

/// A jury member as the administrator listed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JuryMember {
    pub name: String,
    pub added_at: String,
    pub removed_at: Option<String>,
}

/// One version of a session as the centre sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionResults {
    pub session_id: String,
    pub bundle_id: String,
    pub session_number: i64,
    pub session_date: String,
    pub status: SessionStatus,
    pub received_at: String,
    pub candidates: Vec<CandidateResult>,
}

/// A candidate's line in a centre's results: the certification once published.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateResult {
    pub row: CandidateRow,
    pub certification: Option<Certification>,
}
