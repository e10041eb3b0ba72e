//! Storage behind one trait, two backends: embedded SQLite (default) and PostgreSQL. Each backend
//! holds its own SQL and migrations; the rules (which version of a session is live, when results
//! publish, how a code is drawn) are decided here, in plain functions both backends call, so the
//! two cannot drift apart. The API tests (`tests/api.rs`) run each scenario against both.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::DateTime;

use crate::error::StoreError;
use crate::model::{
    ActKind, BankRow, CandidateRow, Centre, CertificateDraft, Certification, ConsoleKey, Decision,
    JuryAct, JuryCase, JuryFlag, JuryMember, NewBundle, Receipt, RegisteredStation, ResultStatus,
    SessionResults, SessionStatus, Stored,
};
use crate::signer::Signer;

mod checkpoint;
pub mod postgres;
pub mod sqlite;

/// How many codes are drawn for one certification before giving up. With 2.9 × 10¹⁰ possible
/// codes a second collision in a row means the RNG is broken, not bad luck.
pub const CODE_ATTEMPTS: usize = 16;

/// The codes a backend tries for one certification, in turn, until one is free: an insert that
/// hits a taken code (`ON CONFLICT (code) DO NOTHING` stores nothing) takes the next draw. Ends
/// in [`no_free_code`] after [`CODE_ATTEMPTS`].
pub(crate) fn code_draws<'a>(
    signer: &'a Signer,
    draft: &'a CertificateDraft,
    first: crate::signer::Issued,
) -> impl Iterator<Item = crate::signer::Issued> + 'a {
    std::iter::once(first)
        .chain(std::iter::repeat_with(move || signer.issue(draft)))
        .take(CODE_ATTEMPTS)
}

/// A certification ready to store: its draft, and a first code drawn with its QR text signed.
#[derive(Debug, Clone)]
pub struct Drawn {
    pub candidate_id: i64,
    pub draft: CertificateDraft,
    pub first: crate::signer::Issued,
}

/// The certifications `candidates` issue if their version is published on `issued`, drawn ahead.
/// Signing the QR texts and checking them (the signatures of a session together) costs tens of
/// µs a candidate: an ingest does it before its transaction, so that SQLite's one writer, or a
/// session's lock on PostgreSQL, is not held meanwhile. A code found taken is drawn again there.
pub fn draw(signer: &Signer, candidates: &[CandidateRow], issued: &str) -> Vec<Drawn> {
    let drafts = drafts(candidates, issued);
    let issued = signer.issue_all(&drafts.iter().map(|(_, d)| d).collect::<Vec<_>>());
    drafts
        .into_iter()
        .zip(issued)
        .map(|((candidate_id, draft), first)| Drawn {
            candidate_id,
            first,
            draft,
        })
        .collect()
}

pub(crate) fn no_free_code() -> StoreError {
    StoreError::State("no free verification code after repeated draws".into())
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Fails with `Conflict` if the UAI is already enrolled.
    async fn enrol_centre(
        &self,
        centre: &Centre,
        token_sha256: &str,
        at: &str,
    ) -> Result<(), StoreError>;
    async fn centre(&self, uai: &str) -> Result<Option<Centre>, StoreError>;
    /// The UAI whose centre token hashes to `token_sha256`.
    async fn centre_for_token(&self, token_sha256: &str) -> Result<Option<String>, StoreError>;

    /// Fails with `NotFound` for an unknown centre, `Conflict` if the key is registered already.
    async fn register_console(&self, uai: &str, key_hex: &str, at: &str) -> Result<(), StoreError>;
    /// Marks the key revoked (idempotent: a second revocation keeps the first date).
    async fn revoke_console(
        &self,
        uai: &str,
        key_hex: &str,
        at: &str,
    ) -> Result<ConsoleKey, StoreError>;
    async fn console(&self, key_hex: &str) -> Result<Option<ConsoleKey>, StoreError>;

    /// Records the stations a console of `uai` declared, at `at` for keys seen for the first
    /// time (a known key keeps its first time, and takes the new label). `Conflict` when a key
    /// belongs to another centre; nothing is recorded then.
    async fn declare_stations(
        &self,
        uai: &str,
        console_key: &str,
        stations: &[(String, String)],
        at: &str,
    ) -> Result<(), StoreError>;
    /// A centre's declared stations, by label.
    async fn stations(&self, uai: &str) -> Result<Vec<RegisteredStation>, StoreError>;

    /// Returns false when a bank with that content hash is already stored (kept as it was).
    async fn put_bank(&self, bank: &BankRow) -> Result<bool, StoreError>;
    async fn bank(&self, content_hash: &str) -> Result<Option<BankRow>, StoreError>;

    /// Adds an engine configuration journals may be scored under; false if it was known.
    async fn add_config(&self, id: &str, json: &str, at: &str) -> Result<bool, StoreError>;
    /// Every configuration added: `(id, JSON)`.
    async fn configs(&self) -> Result<Vec<(String, String)>, StoreError>;

    /// The receipt of a bundle stored with exactly these bytes.
    async fn receipt_by_content(&self, content_sha256: &str)
        -> Result<Option<Receipt>, StoreError>;

    /// Everything an ingest reads before it verifies, for a bundle with these bytes signed by
    /// this console key. A backend answers it at once (SQLite: one snapshot on one reader
    /// thread; PostgreSQL: the reads pipelined on one connection), instead of one hand-off to a
    /// thread or one round trip per lookup.
    async fn ingest_context(
        &self,
        content_sha256: &str,
        console_key_hex: &str,
    ) -> Result<IngestContext, StoreError>;

    /// The status of the bundle stored under this id, if any.
    async fn bundle_status(&self, bundle_id: &str) -> Result<Option<SessionStatus>, StoreError>;

    /// Stores a verified, replayed bundle in one transaction: idempotent on (bundle id, content
    /// hash), supersedes the live version of the same session (or is itself stored superseded if
    /// it is older), publishes at once when nothing needs the jury (the certifications drawn
    /// ahead, `NewBundle::certificates`).
    async fn store_bundle(
        &self,
        bundle: NewBundle,
        signer: Arc<Signer>,
    ) -> Result<Stored, StoreError>;

    /// Live sessions waiting for the jury, oldest first.
    async fn jury_cases(&self) -> Result<Vec<JuryCase>, StoreError>;

    /// Applies the jury's decision to the live version of `session_id` (`{UAI}-{number}`),
    /// which must be pending, and logs it as `member`'s act; validation publishes what the
    /// candidates' rows say (the jury's decisions on them included).
    #[allow(clippy::too_many_arguments)]
    async fn decide(
        &self,
        session_id: &str,
        decision: Decision,
        comment: &str,
        member: &str,
        at: &str,
        signer: Arc<Signer>,
        issued: String,
    ) -> Result<SessionStatus, StoreError>;

    /// Empties the bytes (the journals: every answer of every pupil, and the adjustments flag)
    /// of bundles received before `before` (RFC 3339) that nothing will replay again: decided
    /// or published, not waiting for the jury. Results and certifications stay, for as long as
    /// certificates are verified. Returns how many bundles were emptied.
    async fn purge_evidence(&self, before: &str) -> Result<u64, StoreError>;

    /// The bytes of the bundle stored under this id: the evidence a rescoring replays.
    async fn bundle_bytes(&self, bundle_id: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// In one transaction: replaces these candidates' rows of `act.bundle_id` and logs the act.
    /// `State` unless that version is live and waiting for the jury.
    async fn jury_act(&self, rows: Vec<CandidateRow>, act: JuryAct) -> Result<(), StoreError>;

    /// Every act on a version, oldest first.
    async fn jury_acts(&self, bundle_id: &str) -> Result<Vec<JuryAct>, StoreError>;

    /// `Conflict` if the name is taken (a removed member's name too: acts name them).
    async fn add_jury_member(
        &self,
        name: &str,
        token_sha256: &str,
        at: &str,
    ) -> Result<(), StoreError>;
    /// False when no present member has that name.
    async fn remove_jury_member(&self, name: &str, at: &str) -> Result<bool, StoreError>;
    async fn jury_members(&self) -> Result<Vec<JuryMember>, StoreError>;
    /// The present member whose credential hashes to `token_sha256`.
    async fn jury_member_for_token(&self, token_sha256: &str)
        -> Result<Option<String>, StoreError>;

    async fn certification(&self, code: &str) -> Result<Option<Certification>, StoreError>;

    /// Live versions of a centre's sessions, by session number, with candidates and whatever
    /// was published.
    async fn centre_results(&self, uai: &str) -> Result<Vec<SessionResults>, StoreError>;
}

/// What [`Store::ingest_context`] read: the receipt of the very same bytes if they were stored
/// before, the console key, and the console's centre with its declared stations; the ids of
/// the configurations added.
#[derive(Debug, Clone, Default)]
pub struct IngestContext {
    pub receipt: Option<Receipt>,
    pub console: Option<ConsoleKey>,
    pub centre: Option<Centre>,
    pub stations: Vec<RegisteredStation>,
    pub configs: Vec<String>,
}

/// What to do with an incoming version given the live one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Placement {
    /// No live version, or the incoming one is newer: it becomes live (`supersedes` the old).
    Live {
        status: SessionStatus,
        supersedes: Option<String>,
    },
    /// The live version was finalized later: the incoming one is kept as superseded evidence.
    Older { superseded_by: String },
}

/// Newer means finalized later; at equal times the one received later wins, since a console
/// only re-finalizes to correct. A newer version never publishes on receipt: whoever holds the
/// console's key could otherwise rewrite published results, so the jury sees what changed
/// (`JuryFlag::Correction`) and the certificates already published stay valid until it decides.
pub(crate) fn place(incoming: &mut NewBundle, live: Option<(String, String)>) -> Placement {
    match live {
        None => Placement::Live {
            status: status_on_receipt(incoming),
            supersedes: None,
        },
        Some((live_id, live_finalized)) => {
            let older = match (
                DateTime::parse_from_rfc3339(&incoming.finalized_at),
                DateTime::parse_from_rfc3339(&live_finalized),
            ) {
                (Ok(a), Ok(b)) => a < b,
                _ => incoming.finalized_at < live_finalized,
            };
            if older {
                Placement::Older {
                    superseded_by: live_id,
                }
            } else {
                incoming.flags.push(JuryFlag::Correction);
                Placement::Live {
                    status: status_on_receipt(incoming),
                    supersedes: Some(live_id),
                }
            }
        }
    }
}

/// The status a version whose certificates are public had, from its flags: with none it was
/// published on receipt, with some only the jury's validation made it public. A refused
/// correction gives it back.
pub(crate) fn restored_status(flags_json: &str) -> SessionStatus {
    match serde_json::from_str::<Vec<JuryFlag>>(flags_json) {
        Ok(f) if f.is_empty() => SessionStatus::Published,
        _ => SessionStatus::Validated,
    }
}

fn status_on_receipt(b: &NewBundle) -> SessionStatus {
    if b.flags.is_empty() {
        SessionStatus::Published
    } else {
        SessionStatus::PendingJury
    }
}

/// The certifications a published version issues: one per validated candidate with a score.
pub(crate) fn drafts(candidates: &[CandidateRow], issued: &str) -> Vec<(i64, CertificateDraft)> {
    candidates
        .iter()
        .filter(|c| c.status == ResultStatus::Validated)
        .filter_map(|c| {
            let s = c.score.as_ref()?;
            Some((
                c.candidate_id,
                CertificateDraft {
                    first_name: c.first_name.clone(),
                    last_name: c.birth_name.clone(),
                    birthdate: c.birthdate.clone(),
                    issued: issued.to_owned(),
                    pix: s.pix,
                    pix_max: s.pix_max,
                    global_level: s.global_level,
                    levels: s.levels,
                },
            ))
        })
        .collect()
}

/// Levels as stored: 16 digits in framework order.
pub(crate) fn levels_text(levels: &[u8; 16]) -> String {
    levels
        .iter()
        .map(|l| char::from(b'0' + l.min(&9)))
        .collect()
}

pub(crate) fn parse_levels(s: &str) -> Result<[u8; 16], StoreError> {
    let v: Vec<u8> = s
        .bytes()
        .map(|b| b.wrapping_sub(b'0'))
        .filter(|d| *d <= 9)
        .collect();
    <[u8; 16]>::try_from(v).map_err(|_| StoreError::Corrupt(format!("levels {s:?}")))
}

pub(crate) fn parse_status(s: &str) -> Result<SessionStatus, StoreError> {
    SessionStatus::parse(s).ok_or_else(|| StoreError::Corrupt(format!("session status {s:?}")))
}

pub(crate) fn parse_act(s: &str) -> Result<ActKind, StoreError> {
    ActKind::parse(s).ok_or_else(|| StoreError::Corrupt(format!("jury act {s:?}")))
}

pub(crate) fn not_pending(bundle_id: &str, status: &str) -> StoreError {
    StoreError::State(format!("bundle {bundle_id} is {status}, not pending_jury"))
}

pub(crate) fn receipt_from_json(s: &str) -> Result<Receipt, StoreError> {
    Ok(serde_json::from_str(s)?)
}

pub(crate) fn candidate_from_json(s: &str) -> Result<CandidateRow, StoreError> {
    Ok(serde_json::from_str(s)?)
}

/// Opens the store a database setting names.
pub async fn open(db: &crate::config::Database) -> Result<Arc<dyn Store>, StoreError> {
    match db {
        crate::config::Database::Sqlite(path) => {
            let s = sqlite::SqliteStore::open(path.clone()).await?;
            Ok(Arc::new(s))
        }
        crate::config::Database::Postgres { url, schema } => {
            let s = postgres::PgStore::connect(url, schema.as_deref()).await?;
            Ok(Arc::new(s))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_round_trip() {
        let l = [0, 1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1, 0];
        assert_eq!(parse_levels(&levels_text(&l)).unwrap(), l);
        assert!(parse_levels("123").is_err());
        assert!(parse_levels("").is_err());
    }
}
