//! Pure verification of one test's stored rows: sequence, row/bytes agreement, hash chain and
//! signed head. Shared by `verify_file` and by `Journal::open_test`, so that resuming a test and
//! auditing a file apply exactly the same rules.

use crate::event::Event;
use crate::record::{chain_hash, decode_body, Record, TestHeader};
use crate::station::{verify_head, SignedHead};
use certroom_core::hash::Hash;

/// One `records` row as stored, before any trust is given to it.
#[derive(Debug, Clone)]
pub(crate) struct RawRow {
    pub seq: i64,
    pub ts: String,
    pub mono_ms: i64,
    pub kind: String,
    pub body: Vec<u8>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// The stored `tests` row.
#[derive(Debug, Clone)]
pub(crate) struct RawTest {
    pub test_id: String,
    pub session_id: String,
    pub candidate_id: String,
    pub engine_seed: String,
    pub engine_version: String,
    pub bank_hash: String,
    pub created: String,
    pub header: Vec<u8>,
}

/// What is wrong at the first broken place of a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("l'en-tête du test ne correspond pas à ses colonnes ({0}) / test header disagrees with its row")]
    Header(String),
    #[error("colonne invalide ({0}) / invalid column")]
    BadColumn(&'static str),
    #[error(
        "séquence interrompue : n°{expected} attendu, n°{found} trouvé (enregistrement supprimé) / \
         sequence gap: expected {expected}, found {found}"
    )]
    SequenceGap { expected: u64, found: u64 },
    #[error(
        "enregistrements dans le désordre : n°{found} stocké à la place du n°{expected} / \
         records reordered"
    )]
    Reordered { expected: u64, found: u64 },
    #[error("contenu illisible ({0}) / unreadable record bytes")]
    Unreadable(String),
    #[error(
        "la colonne {0} ne correspond pas aux octets enregistrés / row column disagrees with the \
         stored bytes"
    )]
    RowBytesMismatch(&'static str),
    #[error(
        "ne suit pas l'enregistrement précédent (prev_hash) : enregistrement inséré, supprimé ou \
         précédent modifié / does not chain to the previous record"
    )]
    PrevHashMismatch,
    #[error("contenu modifié après écriture / payload edited: bytes no longer match their hash")]
    PayloadEdited,
    #[error("empreinte (hash) modifiée / hash column does not match the bytes")]
    HashMismatch,
    #[error("le temps de test recule / live-time offset goes backwards")]
    ClockWentBack,
    #[error("enregistrement après la fin du test / record after the test ended")]
    AfterEnd,
    #[error(
        "fin du journal tronquée : la tête signée couvre jusqu'au n°{head_seq}, le journal s'arrête \
         au n°{last_seq} / tail truncated vs the signed head"
    )]
    TruncatedTail { head_seq: u64, last_seq: u64 },
    #[error("enregistrements ajoutés après la tête signée n°{head_seq} / records beyond the signed head")]
    ExtendedPastHead { head_seq: u64 },
    #[error(
        "l'empreinte signée ne correspond pas au journal / signed head hash differs from the chain"
    )]
    HeadHashMismatch,
    #[error(
        "tête signée incohérente avec le test ({0}) / signed head does not describe this test"
    )]
    HeadFieldMismatch(&'static str),
    #[error("tête signée invalide : {0} / invalid signed head")]
    HeadSignature(String),
}

/// The first broken place of a test's chain. `seq` 0 means the test header itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainFault {
    pub seq: u64,
    pub problem: Problem,
}

fn fault(seq: u64, problem: Problem) -> ChainFault {
    ChainFault { seq, problem }
}

pub(crate) fn check_header(t: &RawTest) -> Result<TestHeader, ChainFault> {
    let h = TestHeader::from_bytes(&t.header).map_err(|e| fault(0, Problem::Header(e)))?;
    let agree = [
        ("test_id", h.test_id == t.test_id),
        ("session_id", h.session_id == t.session_id),
        ("candidate_id", h.candidate_id == t.candidate_id),
        ("engine_seed", h.engine_seed.to_string() == t.engine_seed),
        ("engine_version", h.engine_version == t.engine_version),
        ("bank_hash", h.bank_hash.to_hex() == t.bank_hash),
        ("created", h.created == t.created),
    ];
    match agree.iter().find(|(_, ok)| !ok) {
        Some((col, _)) => Err(fault(0, Problem::Header((*col).into()))),
        None => Ok(h),
    }
}

/// Checks rows given in storage (append) order and returns them as records.
pub(crate) fn check_records(
    header: &TestHeader,
    header_bytes: &[u8],
    rows: &[RawRow],
) -> Result<Vec<Record>, ChainFault> {
    let mut out: Vec<Record> = Vec::with_capacity(rows.len());
    let mut prev = TestHeader::genesis(header_bytes);
    let mut prev_mono = 0u64;
    let mut ended = false;
    for (i, row) in rows.iter().enumerate() {
        let expected = i as u64 + 1;
        let seq = u64::try_from(row.seq)
            .ok()
            .filter(|s| *s >= 1)
            .ok_or_else(|| fault(expected, Problem::BadColumn("seq")))?;
        if seq != expected {
            let later = rows[i + 1..].iter().any(|r| r.seq == expected as i64);
            let problem = if later || seq < expected {
                Problem::Reordered {
                    expected,
                    found: seq,
                }
            } else {
                Problem::SequenceGap {
                    expected,
                    found: seq,
                }
            };
            return Err(fault(expected, problem));
        }
        let f = |p| fault(seq, p);
        if ended {
            return Err(f(Problem::AfterEnd));
        }
        let mono_col = u64::try_from(row.mono_ms).map_err(|_| f(Problem::BadColumn("mono_ms")))?;
        let stored_prev =
            Hash::from_slice(&row.prev_hash).ok_or_else(|| f(Problem::BadColumn("prev_hash")))?;
        let stored_hash =
            Hash::from_slice(&row.hash).ok_or_else(|| f(Problem::BadColumn("hash")))?;
        let body = decode_body(&row.body).map_err(|e| f(Problem::Unreadable(e)))?;
        let mismatch = [
            ("test_id", body.test == header.test_id),
            ("seq", body.seq == seq),
            ("ts", body.ts == row.ts),
            ("mono_ms", body.mono_ms == mono_col),
            ("kind", body.kind == row.kind),
        ]
        .into_iter()
        .find(|(_, ok)| !ok);
        if let Some((col, _)) = mismatch {
            return Err(f(Problem::RowBytesMismatch(col)));
        }
        if stored_prev != prev {
            return Err(f(Problem::PrevHashMismatch));
        }
        let computed = chain_hash(&prev, &row.body);
        if computed != stored_hash {
            // The next row's prev_hash tells which side was changed: if it still points at the
            // stored hash, the bytes were edited; if it points at the recomputed one, the hash was.
            let next_prev = rows.get(i + 1).and_then(|r| Hash::from_slice(&r.prev_hash));
            let problem = if next_prev == Some(computed) {
                Problem::HashMismatch
            } else {
                Problem::PayloadEdited
            };
            return Err(f(problem));
        }
        if body.mono_ms < prev_mono {
            return Err(f(Problem::ClockWentBack));
        }
        ended = matches!(body.event, Event::Ended { .. });
        prev_mono = body.mono_ms;
        prev = stored_hash;
        out.push(Record {
            test_id: body.test,
            seq,
            ts: body.ts,
            mono_ms: body.mono_ms,
            event: body.event,
            prev_hash: stored_prev,
            hash: stored_hash,
        });
    }
    Ok(out)
}

/// Checks a signed head against the verified records of its test.
pub(crate) fn check_head(
    header: &TestHeader,
    records: &[Record],
    head: &SignedHead,
) -> Result<(), ChainFault> {
    let last_seq = records.last().map(|r| r.seq).unwrap_or(0);
    let at = head.seq.min(last_seq.saturating_add(1));
    let fields = [
        ("test_id", head.test_id == header.test_id),
        ("session_id", head.session_id == header.session_id),
        ("candidate_id", head.candidate_id == header.candidate_id),
        ("bank_hash", head.bank_hash == header.bank_hash),
    ];
    if let Some((name, _)) = fields.into_iter().find(|(_, ok)| !ok) {
        return Err(fault(at, Problem::HeadFieldMismatch(name)));
    }
    verify_head(head).map_err(|e| fault(at, Problem::HeadSignature(e.to_string())))?;
    if head.seq > last_seq {
        return Err(fault(
            last_seq + 1,
            Problem::TruncatedTail {
                head_seq: head.seq,
                last_seq,
            },
        ));
    }
    if head.seq < last_seq {
        return Err(fault(
            head.seq + 1,
            Problem::ExtendedPastHead { head_seq: head.seq },
        ));
    }
    // head.seq == last_seq >= 1 here unless the head claims 0 records.
    match records.last() {
        Some(r) if r.hash == head.hash => Ok(()),
        _ => Err(fault(head.seq, Problem::HeadHashMismatch)),
    }
}
