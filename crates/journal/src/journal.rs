//! The station's journal database: the only writer of records.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use crate::chain::{self, ChainFault, RawRow, RawTest};
use crate::clock::{rfc3339, Clock, SystemClock};
use crate::error::{classify, JournalError};
use crate::event::{EndedBy, Event};
use crate::mirror::{ChainBytes, Mirror};
use crate::record::{chain_hash, encode_body, Record, TestHeader};
use crate::resume::{self, clock_effect, Progress};
use crate::schema;
use crate::station::{SignedHead, StationKey};
use certroom_core::hash::Hash;

/// Returned by `append` once the record is committed and fsynced: only then may the candidate be
/// told the answer is saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ack {
    pub seq: u64,
    pub hash: Hash,
    pub mono_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestSummary {
    pub test_id: String,
    pub session_id: String,
    pub candidate_id: String,
    pub records: u64,
    pub ended: bool,
    pub signed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CheckpointReport {
    /// A reader kept SQLite from finishing; the WAL was not reset.
    pub busy: bool,
    pub wal_frames: i64,
    pub checkpointed_frames: i64,
}

/// Live time as the station measures it. `Instant` is monotonic, so wall-clock changes on the lab
/// PC (NTP, a pupil changing the date) do not move it.
#[derive(Debug, Clone, Copy)]
struct LiveClock {
    base_ms: u64,
    running_since: Option<Instant>,
}

impl LiveClock {
    fn at(&self, now: Instant) -> u64 {
        let run = self
            .running_since
            .map(|s| {
                u64::try_from(now.saturating_duration_since(s).as_millis()).unwrap_or(u64::MAX)
            })
            .unwrap_or(0);
        self.base_ms.saturating_add(run)
    }
}

/// A test read back and fully checked.
struct Verified {
    header: TestHeader,
    header_bytes: Vec<u8>,
    records: Vec<Record>,
    head: Option<SignedHead>,
}

/// `heads.body` and `heads.signature` as stored.
pub(crate) type StoredHead = (Vec<u8>, Vec<u8>);

struct OpenTest {
    header: TestHeader,
    last_seq: u64,
    last_hash: Hash,
    clock: LiveClock,
    ended: bool,
}

pub struct Journal {
    conn: Connection,
    path: PathBuf,
    open: HashMap<String, OpenTest>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .field("open_tests", &self.open.len())
            .finish()
    }
}

impl Journal {
    /// Opens (or creates) the station's journal, migrates it and runs `PRAGMA integrity_check`.
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        Self::open_with_clock(path, Arc::new(SystemClock))
    }

    /// [`Journal::open`] reading time from `clock` (a test's [`crate::ManualClock`]).
    pub fn open_with_clock(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, JournalError> {
        let mut conn = Connection::open(path).map_err(classify)?;
        schema::configure(&conn)?;
        schema::migrate(&mut conn)?;
        schema::integrity_check(&conn)?;
        Ok(Journal {
            conn,
            path: path.to_path_buf(),
            open: HashMap::new(),
            clock,
        })
    }

    /// The clock this journal reads (headers of new tests take their creation time from it).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Registers a new test. Its chain starts from a genesis hash bound to `header`.
    pub fn create_test(&mut self, header: TestHeader) -> Result<(), JournalError> {
        header.validate().map_err(JournalError::InvalidHeader)?;
        let bytes = header.to_bytes()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(classify)?;
        insert_test(&tx, &header, &bytes)?;
        tx.commit().map_err(classify)?;
        let genesis = TestHeader::genesis(&bytes);
        self.open.insert(
            header.test_id.clone(),
            OpenTest {
                header,
                last_seq: 0,
                last_hash: genesis,
                clock: LiveClock {
                    base_ms: 0,
                    running_since: None,
                },
                ended: false,
            },
        );
        Ok(())
    }

    /// Opens an existing test after a (re)launch: verifies its whole chain and signed head, and if
    /// the test was live when the station stopped, journals `Paused` so the gap is not charged
    /// and the invigilator must authorise the resume. A damaged chain is an error, never a
    /// fresh start.
    pub fn open_test(&mut self, test_id: &str) -> Result<Progress, JournalError> {
        let Verified {
            header,
            header_bytes,
            mut records,
            ..
        } = self.load_verified(test_id)?;
        let last_hash = records
            .last()
            .map(|r| r.hash)
            .unwrap_or_else(|| TestHeader::genesis(&header_bytes));
        let p = resume::progress(&records);
        self.open.insert(
            test_id.to_string(),
            OpenTest {
                header,
                last_seq: p.last_seq,
                last_hash,
                clock: LiveClock {
                    base_ms: p.live_ms,
                    running_since: None,
                },
                ended: p.ended.is_some(),
            },
        );
        if resume::needs_pause_on_reopen(&records) {
            let reason = "interruption : redémarrage du poste / station restarted".to_string();
            let event = Event::Paused { reason };
            let ack = self.append(test_id, &event)?;
            records.push(Record {
                test_id: test_id.to_string(),
                seq: ack.seq,
                ts: String::new(),
                mono_ms: ack.mono_ms,
                event,
                prev_hash: last_hash,
                hash: ack.hash,
            });
            return Ok(resume::progress(&records));
        }
        Ok(p)
    }

    /// Appends one event and returns after the transaction committed, i.e. after the WAL was
    /// fsynced (WAL + `synchronous=FULL`).
    pub fn append(&mut self, test_id: &str, event: &Event) -> Result<Ack, JournalError> {
        self.append_inner(test_id, event, None).map(|(ack, _)| ack)
    }

    /// Appends `Ended` and the station's signature over the resulting head in one transaction,
    /// so an ended test can never be left without its signed head.
    pub fn end_test(
        &mut self,
        test_id: &str,
        by: EndedBy,
        reason: Option<String>,
        key: &StationKey,
    ) -> Result<(Ack, SignedHead), JournalError> {
        let (ack, head) = self.append_inner(test_id, &Event::Ended { by, reason }, Some(key))?;
        match head {
            Some(h) => Ok((ack, h)),
            None => Err(JournalError::NotEnded(test_id.into())),
        }
    }

    /// Signs the head of a test that was ended with a plain `append(Ended)`. Returns the existing
    /// head if there is one.
    pub fn sign_head(
        &mut self,
        test_id: &str,
        key: &StationKey,
    ) -> Result<SignedHead, JournalError> {
        let Verified {
            header,
            records,
            head,
            ..
        } = self.load_verified(test_id)?;
        if let Some(h) = head {
            return Ok(h);
        }
        let last = match records.last() {
            Some(r) if matches!(r.event, Event::Ended { .. }) => r,
            _ => return Err(JournalError::NotEnded(test_id.into())),
        };
        let head = key.sign_head(&header, last.seq, last.hash);
        insert_head(&self.conn, &head)?;
        Ok(head)
    }

    fn append_inner(
        &mut self,
        test_id: &str,
        event: &Event,
        key: Option<&StationKey>,
    ) -> Result<(Ack, Option<SignedHead>), JournalError> {
        self.bound_wal()?;
        let t = self
            .open
            .get_mut(test_id)
            .ok_or_else(|| JournalError::TestNotOpen(test_id.into()))?;
        if t.ended {
            return Err(JournalError::TestEnded(test_id.into()));
        }
        let seq = t.last_seq + 1;
        let now = self.clock.now();
        let mono_ms = t.clock.at(now);
        let ts = rfc3339(self.clock.wall());
        let body = encode_body(test_id, seq, &ts, mono_ms, event)?;
        let hash = chain_hash(&t.last_hash, &body);
        let seq_i = i64::try_from(seq).map_err(|_| JournalError::OutOfRange("seq"))?;
        let mono_i = i64::try_from(mono_ms).map_err(|_| JournalError::OutOfRange("mono_ms"))?;

        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(classify)?;
        // Cheap (index lookup) and it turns a second process writing the same test into a clear
        // error instead of a forked chain.
        let db_last: i64 = tx
            .prepare_cached("SELECT coalesce(max(seq), 0) FROM records WHERE test_id = ?1")
            .and_then(|mut s| s.query_row([test_id], |r| r.get(0)))
            .map_err(classify)?;
        if db_last != seq_i - 1 {
            return Err(JournalError::ConcurrentWriter(test_id.into()));
        }
        tx.prepare_cached(
            "INSERT INTO records (test_id, seq, ts, mono_ms, kind, body, prev_hash, hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .and_then(|mut s| {
            s.execute(params![
                test_id,
                seq_i,
                ts,
                mono_i,
                event.kind(),
                body,
                &t.last_hash.0[..],
                &hash.0[..]
            ])
        })
        .map_err(classify)?;
        let head = match key {
            Some(k) if matches!(event, Event::Ended { .. }) => {
                let head = k.sign_head(&t.header, seq, hash);
                insert_head(&tx, &head)?;
                Some(head)
            }
            _ => None,
        };
        tx.commit().map_err(classify)?;

        t.last_seq = seq;
        t.last_hash = hash;
        match clock_effect(event) {
            Some(true) if t.clock.running_since.is_none() => {
                t.clock = LiveClock {
                    base_ms: mono_ms,
                    running_since: Some(now),
                };
            }
            Some(false) => {
                t.clock = LiveClock {
                    base_ms: mono_ms,
                    running_since: None,
                }
            }
            _ => {}
        }
        t.ended = matches!(event, Event::Ended { .. });
        Ok((Ack { seq, hash, mono_ms }, head))
    }

    /// The exact bytes of a test's chain after `after_seq`, verified first: what a kiosk sends
    /// the room hub, and what a bundle carries.
    pub fn chain_bytes(&self, test_id: &str, after_seq: u64) -> Result<ChainBytes, JournalError> {
        let v = self.load_verified(test_id)?;
        let rows = read_rows(&self.conn, test_id)?;
        let bodies = rows
            .into_iter()
            .filter(|r| u64::try_from(r.seq).is_ok_and(|s| s > after_seq))
            .map(|r| r.body)
            .collect();
        Ok(ChainBytes {
            header: v.header_bytes,
            bodies,
        })
    }

    /// The station-signed head of an ended test, if it has one.
    pub fn signed_head(&self, test_id: &str) -> Result<Option<SignedHead>, JournalError> {
        self.load_verified(test_id).map(|v| v.head)
    }

    /// Writes another station's copy of a test into this journal, byte for byte, so that a
    /// candidate whose PC died resumes here from the hub's copy. Every record is checked
    /// against the chain first; a test this journal already holds is refused.
    pub fn import_chain(&mut self, bytes: ChainBytes) -> Result<TestHeader, JournalError> {
        let mirror = Mirror::from_bytes(bytes).map_err(|fault| JournalError::Damaged {
            test_id: None,
            fault,
        })?;
        let header = mirror.header().clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(classify)?;
        insert_test(&tx, &header, mirror.header_bytes())?;
        for (r, body) in mirror.records().iter().zip(mirror.bodies()) {
            let seq = i64::try_from(r.seq).map_err(|_| JournalError::OutOfRange("seq"))?;
            let mono = i64::try_from(r.mono_ms).map_err(|_| JournalError::OutOfRange("mono_ms"))?;
            tx.prepare_cached(
                "INSERT INTO records (test_id, seq, ts, mono_ms, kind, body, prev_hash, hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    header.test_id,
                    seq,
                    r.ts,
                    mono,
                    r.event.kind(),
                    body,
                    &r.prev_hash.0[..],
                    &r.hash.0[..]
                ])
            })
            .map_err(classify)?;
        }
        tx.commit().map_err(classify)?;
        Ok(header)
    }

    /// Live milliseconds of an open test right now (for the countdown).
    pub fn live_ms(&self, test_id: &str) -> Option<u64> {
        self.open.get(test_id).map(|t| t.clock.at(self.clock.now()))
    }

    /// Verified records of a test.
    /// The verified header of a test: seed, engine version and bank hash to rebuild its engine.
    pub fn header(&self, test_id: &str) -> Result<TestHeader, JournalError> {
        self.load_verified(test_id).map(|v| v.header)
    }

    pub fn records(&self, test_id: &str) -> Result<Vec<Record>, JournalError> {
        self.load_verified(test_id).map(|v| v.records)
    }

    /// Verified progress of a test, without journaling anything.
    pub fn progress(&self, test_id: &str) -> Result<Progress, JournalError> {
        self.records(test_id).map(|r| resume::progress(&r))
    }

    /// Deletes ended tests (records, header and signed head) once the service holds their
    /// results and the retention time is over: pupils' data is kept no longer than needed. A
    /// test that has not ended, or is open, is kept. Deleted pages are overwritten
    /// (`secure_delete`) and the WAL truncated, so the answers do not linger in the file.
    /// Returns how many tests were deleted.
    pub fn forget_tests(&mut self, test_ids: &[String]) -> Result<u64, JournalError> {
        self.conn
            .pragma_update(None, "secure_delete", true)
            .map_err(classify)?;
        let tx = self.conn.transaction().map_err(classify)?;
        tx.execute_batch(schema::LIFT_NO_DELETE).map_err(classify)?;
        let mut forgotten = 0;
        for id in test_ids {
            if self.open.contains_key(id) {
                continue;
            }
            let ended: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM records WHERE test_id = ?1 AND kind = 'Ended')",
                    [id],
                    |r| r.get(0),
                )
                .map_err(classify)?;
            if !ended {
                continue;
            }
            for table in ["heads", "records", "tests"] {
                tx.execute(&format!("DELETE FROM {table} WHERE test_id = ?1"), [id])
                    .map_err(classify)?;
            }
            forgotten += 1;
        }
        tx.execute_batch(schema::RESTORE_NO_DELETE)
            .map_err(classify)?;
        tx.commit().map_err(classify)?;
        if forgotten > 0 {
            self.checkpoint()?;
        }
        Ok(forgotten)
    }

    /// Unverified overview, to find the test to resume after a launch; `open_test` verifies.
    pub fn tests(&self) -> Result<Vec<TestSummary>, JournalError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT t.test_id, t.session_id, t.candidate_id, \
                 (SELECT count(*) FROM records r WHERE r.test_id = t.test_id), \
                 EXISTS (SELECT 1 FROM records r WHERE r.test_id = t.test_id AND r.kind = 'Ended'), \
                 EXISTS (SELECT 1 FROM heads h WHERE h.test_id = t.test_id) \
                 FROM tests t ORDER BY t.created, t.test_id",
            )
            .map_err(classify)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(TestSummary {
                    test_id: r.get(0)?,
                    session_id: r.get(1)?,
                    candidate_id: r.get(2)?,
                    records: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                    ended: r.get(4)?,
                    signed: r.get(5)?,
                })
            })
            .map_err(classify)?;
        rows.collect::<Result<_, _>>().map_err(classify)
    }

    /// Copies the WAL into the database file and truncates the WAL. Call when the station is
    /// idle (between questions is too late: call it on the waiting screens, after a test ends,
    /// on shutdown): it fsyncs the main file, which we keep off the answer path.
    pub fn checkpoint(&self) -> Result<CheckpointReport, JournalError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok(CheckpointReport {
                    busy: r.get::<_, i64>(0)? != 0,
                    wal_frames: r.get(1)?,
                    checkpointed_frames: r.get(2)?,
                })
            })
            .map_err(classify)
    }

    /// Current WAL size in bytes (0 if there is none).
    pub fn wal_bytes(&self) -> u64 {
        let mut p = self.path.as_os_str().to_owned();
        p.push("-wal");
        std::fs::metadata(PathBuf::from(p))
            .map(|m| m.len())
            .unwrap_or(0)
    }

    /// Safety net for a station that never goes idle: past the hard limit, checkpoint before the
    /// next append rather than let the WAL fill the disk.
    fn bound_wal(&self) -> Result<(), JournalError> {
        if self.wal_bytes() > schema::WAL_HARD_LIMIT {
            self.checkpoint()?;
        }
        Ok(())
    }

    fn load_verified(&self, test_id: &str) -> Result<Verified, JournalError> {
        let damaged = |fault: ChainFault| JournalError::Damaged {
            test_id: Some(test_id.into()),
            fault,
        };
        let raw = read_test(&self.conn, test_id)?
            .ok_or_else(|| JournalError::UnknownTest(test_id.into()))?;
        let header = chain::check_header(&raw).map_err(damaged)?;
        let rows = read_rows(&self.conn, test_id)?;
        let records = chain::check_records(&header, &raw.header, &rows).map_err(damaged)?;
        let head = match read_head(&self.conn, test_id)? {
            Some((body, sig)) => {
                let head = SignedHead::from_stored(&body, &sig).map_err(|e| {
                    damaged(ChainFault {
                        seq: 0,
                        problem: chain::Problem::HeadSignature(e.to_string()),
                    })
                })?;
                chain::check_head(&header, &records, &head).map_err(damaged)?;
                Some(head)
            }
            None => None,
        };
        Ok(Verified {
            header,
            header_bytes: raw.header,
            records,
            head,
        })
    }
}

/// The `tests` row of a new test; a test id the journal already holds is refused.
fn insert_test(conn: &Connection, header: &TestHeader, bytes: &[u8]) -> Result<(), JournalError> {
    let exists: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM tests WHERE test_id = ?1)",
            [&header.test_id],
            |r| r.get(0),
        )
        .map_err(classify)?;
    if exists {
        return Err(JournalError::TestExists(header.test_id.clone()));
    }
    conn.execute(
        "INSERT INTO tests (test_id, session_id, candidate_id, engine_seed, engine_version, \
         bank_hash, created, header) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            header.test_id,
            header.session_id,
            header.candidate_id,
            header.engine_seed.to_string(),
            header.engine_version,
            header.bank_hash.to_hex(),
            header.created,
            bytes
        ],
    )
    .map_err(classify)?;
    Ok(())
}

fn insert_head(conn: &Connection, head: &SignedHead) -> Result<(), JournalError> {
    let body = head.signed_body()?;
    let sig = certroom_core::hash::from_hex(&head.signature).unwrap_or_default();
    conn.execute(
        "INSERT INTO heads (test_id, body, signature) VALUES (?1, ?2, ?3)",
        params![head.test_id, body, sig],
    )
    .map_err(classify)?;
    Ok(())
}

pub(crate) fn read_test(conn: &Connection, test_id: &str) -> Result<Option<RawTest>, JournalError> {
    conn.query_row(
        "SELECT test_id, session_id, candidate_id, engine_seed, engine_version, bank_hash, \
         created, header FROM tests WHERE test_id = ?1",
        [test_id],
        |r| {
            Ok(RawTest {
                test_id: r.get(0)?,
                session_id: r.get(1)?,
                candidate_id: r.get(2)?,
                engine_seed: r.get(3)?,
                engine_version: r.get(4)?,
                bank_hash: r.get(5)?,
                created: r.get(6)?,
                header: r.get(7)?,
            })
        },
    )
    .optional()
    .map_err(classify)
}

pub(crate) fn read_rows(conn: &Connection, test_id: &str) -> Result<Vec<RawRow>, JournalError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, ts, mono_ms, kind, body, prev_hash, hash FROM records \
             WHERE test_id = ?1 ORDER BY id",
        )
        .map_err(classify)?;
    let rows = stmt
        .query_map([test_id], |r| {
            Ok(RawRow {
                seq: r.get(0)?,
                ts: r.get(1)?,
                mono_ms: r.get(2)?,
                kind: r.get(3)?,
                body: r.get(4)?,
                prev_hash: r.get(5)?,
                hash: r.get(6)?,
            })
        })
        .map_err(classify)?;
    rows.collect::<Result<_, _>>().map_err(classify)
}

pub(crate) fn read_head(
    conn: &Connection,
    test_id: &str,
) -> Result<Option<StoredHead>, JournalError> {
    conn.query_row(
        "SELECT body, signature FROM heads WHERE test_id = ?1",
        [test_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
    .map_err(classify)
}
