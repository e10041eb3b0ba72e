//! The JSON the API speaks. Every `Serialize` here is a promise to API clients (and is described
//! in `openapi.json`), so domain types are converted by hand rather than serialised directly.

use certroom_core::framework::COMPETENCE_CODES;
use serde::{Deserialize, Serialize};

use crate::model::{
    ActKind, CandidateRow, Certification, ConsoleKey, Decision, FocusLossRow, JuryAct, JuryCase,
    JuryFlag, JuryMark, Mismatch, PlayedRow, SessionResults, SessionStatus,
};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolCentre {
    pub uai: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CentreEnrolled {
    pub uai: String,
    pub name: String,
    /// Shown once: the centre's bearer token for `/v1/centres/{uai}/results`.
    pub centre_token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterConsole {
    pub public_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleDto {
    pub uai: String,
    pub public_key: String,
    pub registered_at: String,
    pub revoked_at: Option<String>,
}

impl From<ConsoleKey> for ConsoleDto {
    fn from(k: ConsoleKey) -> Self {
        ConsoleDto {
            uai: k.uai,
            public_key: k.public_key,
            registered_at: k.registered_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// `POST /admin/banks`. Exactly one of `passphrase` and `session_key`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddBank {
    /// The pack file, base64 (standard alphabet, padding optional).
    pub pack_base64: String,
    #[serde(default)]
    pub passphrase: Option<String>,
    /// 64 hex digits.
    #[serde(default)]
    pub session_key: Option<String>,
    /// The publisher's Ed25519 public key, 64 hex digits.
    pub publisher_public_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JuryDecision {
    pub decision: Decision,
    #[serde(default)]
    pub comment: String,
}

/// A member's decision on one candidate; the reason is required.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateDecision {
    pub decision: Decision,
    pub reason: String,
}

/// Neutralizes a question for one candidate (or, without `candidate_id`, for every candidate
/// of the session who was asked it); `undo` gives it back.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Neutralization {
    pub item_id: String,
    #[serde(default)]
    pub candidate_id: Option<i64>,
    pub reason: String,
    #[serde(default)]
    pub undo: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JuryActDto {
    pub candidate_id: Option<i64>,
    pub kind: ActKind,
    pub item_id: Option<String>,
    pub reason: String,
    pub member: String,
    pub at: String,
}

impl From<&JuryAct> for JuryActDto {
    fn from(a: &JuryAct) -> Self {
        JuryActDto {
            candidate_id: a.candidate_id,
            kind: a.kind,
            item_id: a.item_id.clone(),
            reason: a.reason.clone(),
            member: a.member.clone(),
            at: a.at.clone(),
        }
    }
}

/// A session waiting for the jury with every act on it so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JurySessionDto {
    #[serde(flatten)]
    pub case: JuryCaseDto,
    pub acts: Vec<JuryActDto>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JuryDecided {
    pub session_id: String,
    pub status: SessionStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreDto {
    pub pix: u32,
    pub pix_max: u32,
    pub global_level: u8,
    /// Framework order 1.1 … 5.2.
    pub levels: Vec<u8>,
    pub answered: u32,
    pub correct: u32,
    pub capacity: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentDto {
    pub code: String,
    pub note: String,
    pub question: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JuryCandidate {
    pub candidate_id: i64,
    pub birth_name: String,
    pub first_name: String,
    pub birthdate: String,
    pub local_id: Option<String>,
    pub outcome: String,
    pub abort_reason: String,
    pub status: String,
    pub incidents: Vec<IncidentDto>,
    pub score: Option<ScoreDto>,
    pub mismatch: Option<Mismatch>,
    pub played: Vec<PlayedRow>,
    pub focus_losses: Vec<FocusLossRow>,
    pub identity_difference: Option<String>,
    pub station_problem: Option<String>,
    pub neutralized: Vec<String>,
    pub jury: Option<JuryMark>,
}

impl From<&CandidateRow> for JuryCandidate {
    fn from(c: &CandidateRow) -> Self {
        JuryCandidate {
            candidate_id: c.candidate_id,
            birth_name: c.birth_name.clone(),
            first_name: c.first_name.clone(),
            birthdate: c.birthdate.clone(),
            local_id: c.local_id.clone(),
            outcome: c.outcome.clone(),
            abort_reason: c.abort_reason.clone(),
            status: c.status.as_str().to_owned(),
            incidents: c
                .incidents
                .iter()
                .map(|i| IncidentDto {
                    code: i.code.clone(),
                    note: i.note.clone(),
                    question: i.question,
                })
                .collect(),
            score: c.score.as_ref().map(|s| ScoreDto {
                pix: s.pix,
                pix_max: s.pix_max,
                global_level: s.global_level,
                levels: s.levels.to_vec(),
                answered: s.answered,
                correct: s.correct,
                capacity: s.capacity,
            }),
            mismatch: c.mismatch.clone(),
            played: c.played.clone(),
            focus_losses: c.focus_losses.clone(),
            identity_difference: c.identity_difference.clone(),
            station_problem: c.station_problem.clone(),
            neutralized: c.neutralized.clone(),
            jury: c.jury.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JuryCaseDto {
    pub session_id: String,
    pub bundle_id: String,
    pub uai: String,
    pub centre_name: String,
    pub session_number: i64,
    pub session_date: String,
    pub received_at: String,
    pub comment: String,
    pub flags: Vec<JuryFlag>,
    pub candidates: Vec<JuryCandidate>,
}

impl From<&JuryCase> for JuryCaseDto {
    fn from(j: &JuryCase) -> Self {
        JuryCaseDto {
            session_id: j.session_id.clone(),
            bundle_id: j.bundle_id.clone(),
            uai: j.uai.clone(),
            centre_name: j.centre_name.clone(),
            session_number: j.session_number,
            session_date: j.session_date.clone(),
            received_at: j.received_at.clone(),
            comment: j.comment.clone(),
            flags: j.flags.clone(),
            candidates: j.candidates.iter().map(JuryCandidate::from).collect(),
        }
    }
}

impl From<&Certification> for CertificationDto {
    fn from(c: &Certification) -> Self {
        CertificationDto {
            verification_code: c.code.clone(),
            issued: c.draft.issued.clone(),
            pix: c.draft.pix,
            pix_max: c.draft.pix_max,
            global_level: c.draft.global_level,
            levels: c.draft.levels.to_vec(),
            qr_text: c.qr_text.clone(),
            status: c.status.clone(),
        }
    }
}

pub use certroom_certificate::results::{
    CentreCandidate, CentreResults, CentreSession, Certification as CertificationDto,
    RESULTS_FORMAT,
};

/// `GET /v1/centres/{uai}/results`, and the payload of the signed results file.
pub fn centre_results(
    uai: &str,
    centre_name: &str,
    server_public_key: String,
    sessions: &[SessionResults],
) -> CentreResults {
    CentreResults {
        format: RESULTS_FORMAT.into(),
        uai: uai.to_owned(),
        centre_name: centre_name.to_owned(),
        generated_at: crate::now(),
        server_public_key,
        competences: COMPETENCE_CODES.iter().map(|c| (*c).to_owned()).collect(),
        sessions: sessions
            .iter()
            .map(|s| CentreSession {
                session_id: s.session_id.clone(),
                session_number: s.session_number,
                session_date: s.session_date.clone(),
                bundle_id: s.bundle_id.clone(),
                status: s.status.as_str().to_owned(),
                received_at: s.received_at.clone(),
                candidates: s
                    .candidates
                    .iter()
                    .map(|c| CentreCandidate {
                        candidate_id: c.row.candidate_id,
                        local_id: c.row.local_id.clone(),
                        birth_name: c.row.birth_name.clone(),
                        first_name: c.row.first_name.clone(),
                        birthdate: c.row.birthdate.clone(),
                        status: c.row.status.as_str().to_owned(),
                        certification: c
                            .certification
                            .as_ref()
                            .filter(|_| s.status.is_published())
                            .map(CertificationDto::from),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// `GET /verify/{code}` as JSON: what a verifier needs to compare with the paper, nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub verification_code: String,
    pub first_name: String,
    /// The initial only (`N.`), unless the visitor gave the holder's birthdate or the QR code's
    /// signed payload (`full_name`).
    pub last_name: String,
    pub full_name: bool,
    pub issued: String,
    pub pix: u32,
    pub pix_max: u32,
    pub global_level: u8,
    pub levels: Vec<CompetenceLevel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompetenceLevel {
    pub competence: String,
    pub level: u8,
}

/// `N'Diaye-Lefèvre` → `N.`: what a public page shows of a last name to whoever has only a code.
pub fn last_name_initial(last_name: &str) -> String {
    last_name
        .trim()
        .chars()
        .next()
        .map(|c| format!("{}.", c.to_uppercase()))
        .unwrap_or_default()
}

impl Verification {
    pub fn new(c: &Certification, full: bool) -> Self {
        Verification {
            verification_code: c.code.clone(),
            first_name: c.draft.first_name.clone(),
            last_name: if full {
                c.draft.last_name.clone()
            } else {
                last_name_initial(&c.draft.last_name)
            },
            full_name: full,
            issued: c.draft.issued.clone(),
            pix: c.draft.pix,
            pix_max: c.draft.pix_max,
            global_level: c.draft.global_level,
            levels: COMPETENCE_CODES
                .iter()
                .zip(c.draft.levels)
                .map(|(code, level)| CompetenceLevel {
                    competence: (*code).to_owned(),
                    level,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerKey {
    pub public_key: String,
    pub algorithm: String,
}
