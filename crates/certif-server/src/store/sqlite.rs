//! The embedded backend: one SQLite file (WAL, `synchronous=FULL`: a receipt is only sent once
//! the bundle is on disk). One writer connection, which serialises transactions the way SQLite
//! does anyway, a small pool of readers so public verification never waits for an ingest, and
//! a thread that checkpoints the WAL so that no commit waits for that either (`checkpoint`).
//! Bundles that reach the writer while it is busy are stored together, in one transaction and
//! one sync (`store_waiting`). rusqlite is blocking, so every call runs on tokio's blocking pool.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{
    params, Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior,
};
use rusqlite_migration::{Migrations, M};
use tokio::sync::Semaphore;

use super::checkpoint::{self, Checkpointer};
use super::{
    candidate_from_json, code_draws, draw, levels_text, no_free_code, not_pending, parse_act,
    parse_levels, parse_status, place, receipt_from_json, restored_status, Drawn, IngestContext,
    Placement, Store,
};
use crate::error::StoreError;
use crate::evidence::Evidence;
use crate::model::{
    parse_session_id, BankKeyKind, BankRow, CandidateResult, CandidateRow, Centre,
    CertificateDraft, Certification, ConsoleKey, Decision, JuryAct, JuryCase, JuryFlag, JuryMember,
    NewBundle, Receipt, RegisteredStation, SessionResults, SessionStatus, Stored,
};
use crate::signer::Signer;

/// Append-only, like the journal's: never edit a shipped migration, add the next.
const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../../migrations/sqlite/001_init.sql")),
    M::up(include_str!("../../migrations/sqlite/002_configs.sql")),
    M::up(include_str!("../../migrations/sqlite/003_jury.sql")),
    M::up(include_str!("../../migrations/sqlite/004_stations.sql")),
    M::up(include_str!("../../migrations/sqlite/005_evidence.sql")),
];

/// Reader connections, opened as load needs them and then kept: a request waits for one rather
/// than opening another, which parses the schema again; with only the idle ones capped, a burst
/// of verifications opened and closed them all the time. Two per core: a lookup is a few
/// microseconds of CPU (BENCHMARKS.md).
fn readers() -> usize {
    2 * crate::cores()
}

pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// One permit per reader connection: whoever holds one finds an idle reader or opens one.
    reader_slots: Arc<Semaphore>,
    readers_opened: AtomicUsize,
    checkpoints: Checkpointer,
    /// Bundles queued for the writer: whoever takes it next stores them all (`store_waiting`).
    waiting: Mutex<Vec<Waiting>>,
}

/// A bundle queued for the writer, and where its outcome goes.
struct Waiting {
    bundle: NewBundle,
    signer: Arc<Signer>,
    outcome: tokio::sync::oneshot::Sender<Result<Stored, StoreError>>,
}

/// How much of the database file the writer maps: all of it, a season included. SQLite maps only
/// the file's length and grows the mapping with it; the compiled-in ceiling this needs is raised
/// in `.cargo/config.toml`.
const WRITER_MMAP_BYTES: i64 = 1 << 40;
/// The writer's page cache (negative: KiB), for the B-tree pages every ingest goes through.
const WRITER_CACHE_KIB: i64 = -65_536;

fn configure(conn: &Connection, writer: bool) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    if writer {
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend(format!(
                "SQLite refused WAL mode ({mode})"
            )));
        }
    }
    // Readers do not map the file: on a page the OS cache does not hold, a fault on a mapping
    // reads the device's whole read-ahead window around it (4.5 MB and 3.3 ms a page here, with
    // an 8 MB `read_ahead_kb`), where a read() reads the page alone (4 KB, 0.1 ms). A season's
    // file is never all cached (after a restart, none of it is), and verifications land
    // anywhere in it. A mapping also costs every reader an unmapping of the whole file after
    // each commit it did not make (SQLite drops it then). The one writer keeps its mapping: it
    // walks the same indexes every ingest, without copying them into its cache, and never
    // loses it to another connection's commit (BENCHMARKS.md).
    conn.pragma_update(
        None,
        "mmap_size",
        if writer { WRITER_MMAP_BYTES } else { 0 },
    )?;
    if writer {
        conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
        conn.pragma_update(None, "wal_autocheckpoint", checkpoint::BACKSTOP_PAGES)?;
        // Each bundle is stored in a savepoint, whose journal keeps a copy of every page it
        // changes that existed before. Past 64 KiB SQLite spills that journal into a temporary
        // file, created, written and deleted for most bundles; once the file holds a season, a
        // session's 30 codes change 30 index pages that already existed, so it always spilled
        // (BENCHMARKS.md). In memory it stays a copy: at most a batch's changed pages.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "trusted_schema", "OFF")?;
    Ok(())
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation)
}

fn join_error(e: tokio::task::JoinError) -> StoreError {
    StoreError::Backend(format!("database task failed: {e}"))
}

impl SqliteStore {
    /// Opens (or creates) the database and brings it to the latest migration.
    pub async fn open(path: PathBuf) -> Result<Self, StoreError> {
        let p = path.clone();
        let (writer, checkpoints) = tokio::task::spawn_blocking(move || {
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Backend(format!("{}: {e}", dir.display())))?;
            }
            let mut conn = Connection::open(&p)?;
            configure(&conn, true)?;
            Migrations::from_slice(MIGRATIONS)
                .to_latest(&mut conn)
                .map_err(|e| StoreError::Migration(e.to_string()))?;
            let checkpoints = Checkpointer::start(&p, |c| configure(c, false))?;
            Ok::<_, StoreError>((conn, checkpoints))
        })
        .await
        .map_err(join_error)??;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                reader_slots: Arc::new(Semaphore::new(readers())),
                readers_opened: AtomicUsize::new(0),
                checkpoints,
                waiting: Mutex::new(Vec::new()),
            }),
        })
    }

    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock rolled its transaction back when the Transaction
            // dropped, so the connection is still usable.
            let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            let out = f(&mut conn);
            inner.checkpoints.committed();
            out
        })
        .await
        .map_err(join_error)?
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        let slot = inner
            .reader_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Backend("the store is closing".into()))?;
        tokio::task::spawn_blocking(move || {
            // Held until the connection is back in the pool, even if the caller went away.
            let _slot = slot;
            let pooled = inner
                .readers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop();
            let conn = match pooled {
                Some(c) => c,
                None => {
                    let c = Connection::open_with_flags(
                        &inner.path,
                        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )?;
                    configure(&c, false)?;
                    let n = inner.readers_opened.fetch_add(1, Ordering::Relaxed) + 1;
                    tracing::debug!(readers = n, "SQLite reader opened");
                    c
                }
            };
            let out = f(&conn);
            inner
                .readers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(conn);
            out
        })
        .await
        .map_err(join_error)?
    }
}

fn tx(conn: &mut Connection) -> Result<Transaction<'_>, StoreError> {
    Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

fn publish(
    tx: &Connection,
    bundle_id: &str,
    certificates: Vec<Drawn>,
    signer: &Signer,
    at: &str,
) -> Result<(), StoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO certifications (code, bundle_id, candidate_id, first_name, last_name, \
         birthdate, issued, pix, pix_max, global_level, levels, qr_text, status, published_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'valid', ?13) \
         ON CONFLICT (code) DO NOTHING",
    )?;
    for Drawn {
        candidate_id,
        draft: d,
        first,
    } in certificates
    {
        let mut draws = code_draws(signer, &d, first);
        loop {
            let issued = draws.next().ok_or_else(no_free_code)?;
            let stored = insert.execute(params![
                issued.code,
                bundle_id,
                candidate_id,
                d.first_name,
                d.last_name,
                d.birthdate,
                d.issued,
                d.pix,
                d.pix_max,
                d.global_level,
                levels_text(&d.levels),
                issued.qr_text,
                at,
            ])?;
            if stored == 1 {
                break;
            }
        }
    }
    Ok(())
}

fn load_candidates(conn: &Connection, bundle_id: &str) -> Result<Vec<CandidateRow>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT data FROM results WHERE bundle_id = ?1 ORDER BY candidate_id")?;
    let rows = stmt
        .query_map([bundle_id], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    rows.iter().map(|s| candidate_from_json(s)).collect()
}

const CERT_COLUMNS: &str = "code, bundle_id, candidate_id, first_name, last_name, birthdate, \
                            issued, pix, pix_max, global_level, levels, qr_text, status";

fn cert_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Certification, String)> {
    let levels: String = r.get(10)?;
    Ok((
        Certification {
            code: r.get(0)?,
            bundle_id: r.get(1)?,
            candidate_id: r.get(2)?,
            draft: CertificateDraft {
                first_name: r.get(3)?,
                last_name: r.get(4)?,
                birthdate: r.get(5)?,
                issued: r.get(6)?,
                pix: r.get(7)?,
                pix_max: r.get(8)?,
                global_level: r.get(9)?,
                levels: [0; 16],
            },
            qr_text: r.get(11)?,
            status: r.get(12)?,
        },
        levels,
    ))
}

fn with_levels((mut c, levels): (Certification, String)) -> Result<Certification, StoreError> {
    c.draft.levels = parse_levels(&levels)?;
    Ok(c)
}

fn flags_from_json(s: &str) -> Result<Vec<JuryFlag>, StoreError> {
    Ok(serde_json::from_str(s)?)
}

/// Stores every bundle queued for the writer (none if another call took them first), and tells
/// each its outcome.
fn store_waiting(conn: &mut Connection, waiting: &Mutex<Vec<Waiting>>) {
    let batch = std::mem::take(&mut *waiting.lock().unwrap_or_else(|p| p.into_inner()));
    if batch.is_empty() {
        return;
    }
    tracing::debug!(
        bundles = batch.len(),
        "SQLite: bundles stored in one transaction"
    );
    let (bundles, outcomes): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|w| ((w.bundle, w.signer), w.outcome))
        .unzip();
    for (outcome, stored) in outcomes.into_iter().zip(store_bundles_tx(conn, bundles)) {
        // The caller may have gone; its bundle is stored all the same, as a retry will find.
        let _ = outcome.send(stored);
    }
}

/// Stores `bundles` in one transaction, in order, each in a savepoint of its own: a bundle
/// refused halfway (a conflict) is rolled back alone and the others still commit. Under load
/// several ingests then share one commit and its sync, and the index pages they both touch are
/// written to the WAL once. One outcome per bundle; nothing is reported stored before the
/// commit.
fn store_bundles_tx(
    conn: &mut Connection,
    bundles: Vec<(NewBundle, Arc<Signer>)>,
) -> Vec<Result<Stored, StoreError>> {
    let n = bundles.len();
    let failed = |e: &dyn std::fmt::Display| -> Vec<Result<Stored, StoreError>> {
        (0..n)
            .map(|_| Err(StoreError::Backend(e.to_string())))
            .collect()
    };
    let mut tx = match tx(conn) {
        Ok(tx) => tx,
        Err(e) => return failed(&e),
    };
    let mut outcomes = Vec::with_capacity(n);
    for (bundle, signer) in bundles {
        outcomes.push(tx.savepoint().map_err(StoreError::from).and_then(|sp| {
            let stored = store_bundle_in(&sp, bundle, &signer)?;
            sp.commit()?;
            Ok(stored)
        }));
        // Some errors (a full disk, I/O) make SQLite roll the whole transaction back: what
        // the earlier savepoints kept is gone with it.
        if tx.is_autocommit() {
            return failed(&"SQLite rolled the transaction back");
        }
    }
    match tx.commit() {
        Ok(()) => outcomes,
        Err(e) => failed(&e),
    }
}

/// One bundle, inside the caller's transaction.
fn store_bundle_in(
    tx: &Connection,
    mut b: NewBundle,
    signer: &Signer,
) -> Result<Stored, StoreError> {
    // Cached statements: the writer runs these for every bundle, and an uncached one is
    // compiled again each time.
    let known: Option<(String, String)> = tx
        .prepare_cached("SELECT content_sha256, receipt FROM bundles WHERE bundle_id = ?1")?
        .query_row([&b.bundle_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((hash, receipt)) = known {
        if hash == b.content_sha256 {
            return Ok(Stored {
                receipt: receipt_from_json(&receipt)?,
                created: false,
            });
        }
        return Err(StoreError::Conflict(b.bundle_id));
    }
    let live: Option<(String, String)> = tx
        .prepare_cached(
            "SELECT bundle_id, finalized_at FROM bundles \
             WHERE uai = ?1 AND session_number = ?2 AND status <> 'superseded'",
        )?
        .query_row(params![b.uai, b.session_number], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (status, superseded_by) = match place(&mut b, live) {
        Placement::Older { superseded_by } => (SessionStatus::Superseded, Some(superseded_by)),
        Placement::Live { status, supersedes } => {
            // Its certificates stay valid until the jury decides on the new version.
            if let Some(old) = supersedes {
                tx.execute(
                    "UPDATE bundles SET status = 'superseded', superseded_by = ?2 \
                     WHERE bundle_id = ?1",
                    params![old, b.bundle_id],
                )?;
            }
            (status, None)
        }
    };
    let receipt = signer.sign_receipt(
        &b.bundle_id,
        &b.content_sha256,
        &b.received_at,
        status.as_str(),
    );
    let receipt_json = serde_json::to_string(&receipt)?;
    tx.prepare_cached(
        "INSERT INTO bundles (bundle_id, content_sha256, uai, centre_name, session_number, \
         session_date, finalized_at, comment, console_key, bank_hash, engine_version, \
         received_at, status, flags, superseded_by, receipt, bytes, bytes_encoding) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?
    .execute(params![
        b.bundle_id,
        b.content_sha256,
        b.uai,
        b.centre_name,
        b.session_number,
        b.session_date,
        b.finalized_at,
        b.comment,
        b.console_key,
        b.bank_hash,
        b.engine_version,
        b.received_at,
        status.as_str(),
        serde_json::to_string(&b.flags)?,
        superseded_by,
        receipt_json,
        b.evidence.stored,
        b.evidence.encoding.as_str(),
    ])
    .map_err(|e| {
        if is_constraint(&e) {
            StoreError::Conflict(format!("{}: {e}", b.bundle_id))
        } else {
            e.into()
        }
    })?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO results (bundle_id, candidate_id, status, data) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for c in &b.candidates {
            insert.execute(params![
                b.bundle_id,
                c.candidate_id,
                c.status.as_str(),
                serde_json::to_string(c)?
            ])?;
        }
    }
    if status == SessionStatus::Published {
        publish(
            tx,
            &b.bundle_id,
            std::mem::take(&mut b.certificates),
            signer,
            &b.received_at,
        )?;
    }
    Ok(Stored {
        receipt,
        created: true,
    })
}

#[allow(clippy::too_many_arguments)]
fn decide_tx(
    conn: &mut Connection,
    session_id: &str,
    decision: Decision,
    comment: &str,
    member: &str,
    at: &str,
    signer: &Signer,
    issued: &str,
) -> Result<SessionStatus, StoreError> {
    let (uai, number) =
        parse_session_id(session_id).ok_or_else(|| StoreError::NotFound(session_id.into()))?;
    let tx = tx(conn)?;
    let live: Option<(String, String)> = tx
        .query_row(
            "SELECT bundle_id, status FROM bundles \
             WHERE uai = ?1 AND session_number = ?2 AND status <> 'superseded'",
            params![uai, number],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (bundle_id, status) = live.ok_or_else(|| StoreError::NotFound(session_id.into()))?;
    let status = parse_status(&status)?;
    if status != SessionStatus::PendingJury {
        return Err(StoreError::State(format!(
            "session {session_id} is {}, not pending_jury",
            status.as_str()
        )));
    }
    let new = decision.status();
    tx.execute(
        "UPDATE bundles SET status = ?2, jury_decision = ?3, jury_comment = ?4, decided_at = ?5 \
         WHERE bundle_id = ?1",
        params![bundle_id, new.as_str(), decision.as_str(), comment, at],
    )?;
    // The latest earlier version whose certificates are still valid (a correction's).
    let previous: Option<(String, String)> = tx
        .query_row(
            "SELECT b.bundle_id, b.flags FROM bundles b \
             WHERE b.uai = ?1 AND b.session_number = ?2 AND b.bundle_id <> ?3 \
             AND EXISTS (SELECT 1 FROM certifications c \
                         WHERE c.bundle_id = b.bundle_id AND c.status = 'valid') \
             ORDER BY b.finalized_at DESC, b.received_at DESC LIMIT 1",
            params![uai, number, bundle_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((old, old_flags)) = previous {
        if decision == Decision::Validate {
            tx.execute(
                "UPDATE certifications SET status = 'superseded' WHERE status = 'valid' \
                 AND bundle_id IN (SELECT bundle_id FROM bundles \
                                   WHERE uai = ?1 AND session_number = ?2 AND bundle_id <> ?3)",
                params![uai, number, bundle_id],
            )?;
        } else {
            tx.execute(
                "UPDATE bundles SET status = 'superseded', superseded_by = ?2 WHERE bundle_id = ?1",
                params![bundle_id, old],
            )?;
            tx.execute(
                "UPDATE bundles SET status = ?2, superseded_by = NULL WHERE bundle_id = ?1",
                params![old, restored_status(&old_flags).as_str()],
            )?;
        }
    }
    insert_act(
        &tx,
        &JuryAct {
            bundle_id: bundle_id.clone(),
            candidate_id: None,
            kind: decision.into(),
            item_id: None,
            reason: comment.to_owned(),
            member: member.to_owned(),
            at: at.to_owned(),
        },
    )?;
    if decision == Decision::Validate {
        let candidates = load_candidates(&tx, &bundle_id)?;
        publish(
            &tx,
            &bundle_id,
            draw(signer, &candidates, issued),
            signer,
            at,
        )?;
    }
    tx.commit()?;
    Ok(new)
}

fn insert_act(tx: &Transaction<'_>, a: &JuryAct) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO jury_acts (bundle_id, candidate_id, kind, item_id, reason, member, at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            a.bundle_id,
            a.candidate_id,
            a.kind.as_str(),
            a.item_id,
            a.reason,
            a.member,
            a.at
        ],
    )?;
    Ok(())
}

fn jury_act_tx(
    conn: &mut Connection,
    rows: &[CandidateRow],
    act: &JuryAct,
) -> Result<(), StoreError> {
    let tx = tx(conn)?;
    let status: Option<String> = tx
        .query_row(
            "SELECT status FROM bundles WHERE bundle_id = ?1",
            [&act.bundle_id],
            |r| r.get(0),
        )
        .optional()?;
    let status = status.ok_or_else(|| StoreError::NotFound(act.bundle_id.clone()))?;
    if parse_status(&status)? != SessionStatus::PendingJury {
        return Err(not_pending(&act.bundle_id, &status));
    }
    for row in rows {
        let changed = tx.execute(
            "UPDATE results SET status = ?3, data = ?4 WHERE bundle_id = ?1 AND candidate_id = ?2",
            params![
                act.bundle_id,
                row.candidate_id,
                row.status.as_str(),
                serde_json::to_string(row)?
            ],
        )?;
        if changed != 1 {
            return Err(StoreError::NotFound(format!(
                "{} candidate {}",
                act.bundle_id, row.candidate_id
            )));
        }
    }
    insert_act(&tx, act)?;
    tx.commit()?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn enrol_centre(
        &self,
        centre: &Centre,
        token_sha256: &str,
        at: &str,
    ) -> Result<(), StoreError> {
        let (c, t, at) = (centre.clone(), token_sha256.to_owned(), at.to_owned());
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO centres (uai, name, token_sha256, enrolled_at) VALUES (?1, ?2, ?3, ?4)",
                params![c.uai, c.name, t, at],
            )
            .map_err(|e| {
                if is_constraint(&e) {
                    StoreError::Conflict(c.uai.clone())
                } else {
                    e.into()
                }
            })?;
            Ok(())
        })
        .await
    }

    async fn centre(&self, uai: &str) -> Result<Option<Centre>, StoreError> {
        let uai = uai.to_owned();
        self.read(move |conn| centre_in(conn, &uai)).await
    }

    async fn centre_for_token(&self, token_sha256: &str) -> Result<Option<String>, StoreError> {
        let t = token_sha256.to_owned();
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT uai FROM centres WHERE token_sha256 = ?1",
                    [&t],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await
    }

    async fn register_console(&self, uai: &str, key_hex: &str, at: &str) -> Result<(), StoreError> {
        let (uai, key, at) = (uai.to_owned(), key_hex.to_owned(), at.to_owned());
        self.write(move |conn| {
            let tx = tx(conn)?;
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM centres WHERE uai = ?1)",
                [&uai],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(StoreError::NotFound(uai));
            }
            tx.execute(
                "INSERT INTO consoles (public_key, uai, registered_at) VALUES (?1, ?2, ?3)",
                params![key, uai, at],
            )
            .map_err(|e| {
                if is_constraint(&e) {
                    StoreError::Conflict(key.clone())
                } else {
                    e.into()
                }
            })?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn revoke_console(
        &self,
        uai: &str,
        key_hex: &str,
        at: &str,
    ) -> Result<ConsoleKey, StoreError> {
        let (uai, key, at) = (uai.to_owned(), key_hex.to_owned(), at.to_owned());
        self.write(move |conn| {
            let tx = tx(conn)?;
            tx.execute(
                "UPDATE consoles SET revoked_at = ?3 \
                 WHERE public_key = ?1 AND uai = ?2 AND revoked_at IS NULL",
                params![key, uai, at],
            )?;
            let row = tx
                .query_row(
                    "SELECT uai, public_key, registered_at, revoked_at FROM consoles \
                     WHERE public_key = ?1 AND uai = ?2",
                    params![key, uai],
                    console_from_row,
                )
                .optional()?
                .ok_or_else(|| StoreError::NotFound(key.clone()))?;
            tx.commit()?;
            Ok(row)
        })
        .await
    }

    async fn console(&self, key_hex: &str) -> Result<Option<ConsoleKey>, StoreError> {
        let key = key_hex.to_owned();
        self.read(move |conn| console_in(conn, &key)).await
    }

    async fn put_bank(&self, bank: &BankRow) -> Result<bool, StoreError> {
        let b = bank.clone();
        self.write(move |conn| {
            let n = conn.execute(
                "INSERT INTO banks (content_hash, pack_hash, pack, key_kind, key_secret, \
                 publisher_key, bank_id, bank_version, items, added_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                 ON CONFLICT (content_hash) DO NOTHING",
                params![
                    b.content_hash,
                    b.pack_hash,
                    b.pack,
                    key_kind_str(&b.key_kind),
                    b.key_secret,
                    b.publisher_key,
                    b.bank_id,
                    b.bank_version,
                    b.items,
                    b.added_at
                ],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn add_config(&self, id: &str, json: &str, at: &str) -> Result<bool, StoreError> {
        let (id, json, at) = (id.to_owned(), json.to_owned(), at.to_owned());
        self.write(move |conn| {
            Ok(conn.execute(
                "INSERT INTO configs (id, config, added_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO NOTHING",
                params![id, json, at],
            )? == 1)
        })
        .await
    }

    async fn declare_stations(
        &self,
        uai: &str,
        console_key: &str,
        stations: &[(String, String)],
        at: &str,
    ) -> Result<(), StoreError> {
        let (uai, console_key, stations, at) = (
            uai.to_owned(),
            console_key.to_owned(),
            stations.to_vec(),
            at.to_owned(),
        );
        self.write(move |conn| {
            let tx = tx(conn)?;
            {
                let mut owner =
                    tx.prepare_cached("SELECT uai FROM stations WHERE public_key = ?1")?;
                let mut insert = tx.prepare_cached(
                    "INSERT INTO stations (public_key, uai, label, console_key, registered_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5) \
                     ON CONFLICT (public_key) DO UPDATE SET label = excluded.label",
                )?;
                for (key, label) in &stations {
                    let other: Option<String> = owner.query_row([key], |r| r.get(0)).optional()?;
                    if other.is_some_and(|o| o != uai) {
                        return Err(StoreError::Conflict(key.clone()));
                    }
                    insert.execute(params![key, uai, label, console_key, at])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn stations(&self, uai: &str) -> Result<Vec<RegisteredStation>, StoreError> {
        let uai = uai.to_owned();
        self.read(move |conn| stations_in(conn, &uai)).await
    }

    async fn configs(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT id, config FROM configs ORDER BY id")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn bank(&self, content_hash: &str) -> Result<Option<BankRow>, StoreError> {
        let h = content_hash.to_owned();
        self.read(move |conn| {
            let row = conn
                .query_row(
                    "SELECT content_hash, pack_hash, pack, key_kind, key_secret, publisher_key, \
                     bank_id, bank_version, items, added_at FROM banks WHERE content_hash = ?1",
                    [&h],
                    |r| {
                        Ok((
                            BankRow {
                                content_hash: r.get(0)?,
                                pack_hash: r.get(1)?,
                                pack: r.get(2)?,
                                key_kind: BankKeyKind::Passphrase,
                                key_secret: r.get(4)?,
                                publisher_key: r.get(5)?,
                                bank_id: r.get(6)?,
                                bank_version: r.get(7)?,
                                items: r.get(8)?,
                                added_at: r.get(9)?,
                            },
                            r.get::<_, String>(3)?,
                        ))
                    },
                )
                .optional()?;
            row.map(|(mut b, kind)| {
                b.key_kind = parse_key_kind(&kind)?;
                Ok(b)
            })
            .transpose()
        })
        .await
    }

    async fn receipt_by_content(
        &self,
        content_sha256: &str,
    ) -> Result<Option<Receipt>, StoreError> {
        let h = content_sha256.to_owned();
        self.read(move |conn| receipt_in(conn, &h)).await
    }

    async fn ingest_context(
        &self,
        content_sha256: &str,
        console_key_hex: &str,
    ) -> Result<IngestContext, StoreError> {
        let (h, key) = (content_sha256.to_owned(), console_key_hex.to_owned());
        self.read(move |conn| {
            // One snapshot: a console revoked or a station declared meanwhile is seen by all
            // of these reads or by none.
            let tx = conn.unchecked_transaction()?;
            let console = console_in(&tx, &key)?;
            let (centre, stations) = match &console {
                Some(c) => (centre_in(&tx, &c.uai)?, stations_in(&tx, &c.uai)?),
                None => (None, Vec::new()),
            };
            let configs = tx
                .prepare_cached("SELECT id FROM configs ORDER BY id")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(IngestContext {
                receipt: receipt_in(&tx, &h)?,
                console,
                centre,
                stations,
                configs,
            })
        })
        .await
    }

    async fn bundle_status(&self, bundle_id: &str) -> Result<Option<SessionStatus>, StoreError> {
        let id = bundle_id.to_owned();
        self.read(move |conn| {
            let r: Option<String> = conn
                .query_row(
                    "SELECT status FROM bundles WHERE bundle_id = ?1",
                    [&id],
                    |r| r.get(0),
                )
                .optional()?;
            r.map(|s| parse_status(&s)).transpose()
        })
        .await
    }

    async fn store_bundle(
        &self,
        bundle: NewBundle,
        signer: Arc<Signer>,
    ) -> Result<Stored, StoreError> {
        let (outcome, stored) = tokio::sync::oneshot::channel();
        self.inner
            .waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Waiting {
                bundle,
                signer,
                outcome,
            });
        let inner = self.inner.clone();
        // Queued before asking for the writer: whoever gets it first, this call or one before
        // it, finds the bundle queued and stores it.
        self.write(move |conn| {
            store_waiting(conn, &inner.waiting);
            Ok(())
        })
        .await?;
        stored
            .await
            .map_err(|_| StoreError::Backend("the writer dropped a queued bundle".into()))?
    }

    async fn jury_cases(&self) -> Result<Vec<JuryCase>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT bundle_id, uai, centre_name, session_number, session_date, received_at, \
                 comment, flags FROM bundles WHERE status = 'pending_jury' \
                 ORDER BY received_at, bundle_id",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(
                    |(bundle_id, uai, centre_name, number, date, received, comment, flags)| {
                        Ok(JuryCase {
                            session_id: crate::model::session_id(&uai, number),
                            candidates: load_candidates(conn, &bundle_id)?,
                            bundle_id,
                            uai,
                            centre_name,
                            session_number: number,
                            session_date: date,
                            received_at: received,
                            comment,
                            flags: flags_from_json(&flags)?,
                        })
                    },
                )
                .collect()
        })
        .await
    }

    async fn decide(
        &self,
        session_id: &str,
        decision: Decision,
        comment: &str,
        member: &str,
        at: &str,
        signer: Arc<Signer>,
        issued: String,
    ) -> Result<SessionStatus, StoreError> {
        let (s, c, m, at) = (
            session_id.to_owned(),
            comment.to_owned(),
            member.to_owned(),
            at.to_owned(),
        );
        self.write(move |conn| decide_tx(conn, &s, decision, &c, &m, &at, &signer, &issued))
            .await
    }

    async fn purge_evidence(&self, before: &str) -> Result<u64, StoreError> {
        let before = before.to_owned();
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE bundles SET bytes = X'', bytes_encoding = 'raw' WHERE received_at < ?1 \
                 AND status <> 'pending_jury' AND length(bytes) > 0",
                [&before],
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn bundle_bytes(&self, bundle_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let id = bundle_id.to_owned();
        self.read(move |conn| {
            let stored = conn
                .query_row(
                    "SELECT bytes_encoding, bytes FROM bundles WHERE bundle_id = ?1",
                    [&id],
                    |r| Ok((r.get::<_, String>(0)?, r.get(1)?)),
                )
                .optional()?;
            stored
                .map(|(encoding, stored)| Evidence::read(&encoding, stored))
                .transpose()
        })
        .await
    }

    async fn jury_act(&self, rows: Vec<CandidateRow>, act: JuryAct) -> Result<(), StoreError> {
        self.write(move |conn| jury_act_tx(conn, &rows, &act)).await
    }

    async fn jury_acts(&self, bundle_id: &str) -> Result<Vec<JuryAct>, StoreError> {
        let id = bundle_id.to_owned();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT bundle_id, candidate_id, kind, item_id, reason, member, at \
                 FROM jury_acts WHERE bundle_id = ?1 ORDER BY id",
            )?;
            let rows = stmt
                .query_map([&id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<i64>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(
                    |(bundle_id, candidate_id, kind, item_id, reason, member, at)| {
                        Ok(JuryAct {
                            bundle_id,
                            candidate_id,
                            kind: parse_act(&kind)?,
                            item_id,
                            reason,
                            member,
                            at,
                        })
                    },
                )
                .collect()
        })
        .await
    }

    async fn add_jury_member(
        &self,
        name: &str,
        token_sha256: &str,
        at: &str,
    ) -> Result<(), StoreError> {
        let (n, t, at) = (name.to_owned(), token_sha256.to_owned(), at.to_owned());
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO jury_members (name, token_sha256, added_at) VALUES (?1, ?2, ?3)",
                params![n, t, at],
            )
            .map_err(|e| {
                if is_constraint(&e) {
                    StoreError::Conflict(n.clone())
                } else {
                    e.into()
                }
            })?;
            Ok(())
        })
        .await
    }

    async fn remove_jury_member(&self, name: &str, at: &str) -> Result<bool, StoreError> {
        let (n, at) = (name.to_owned(), at.to_owned());
        self.write(move |conn| {
            Ok(conn.execute(
                "UPDATE jury_members SET removed_at = ?2 WHERE name = ?1 AND removed_at IS NULL",
                params![n, at],
            )? == 1)
        })
        .await
    }

    async fn jury_members(&self) -> Result<Vec<JuryMember>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT name, added_at, removed_at FROM jury_members ORDER BY name",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(JuryMember {
                        name: r.get(0)?,
                        added_at: r.get(1)?,
                        removed_at: r.get(2)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn jury_member_for_token(
        &self,
        token_sha256: &str,
    ) -> Result<Option<String>, StoreError> {
        let t = token_sha256.to_owned();
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT name FROM jury_members WHERE token_sha256 = ?1 AND removed_at IS NULL",
                    [&t],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await
    }

    async fn certification(&self, code: &str) -> Result<Option<Certification>, StoreError> {
        let code = code.to_owned();
        self.read(move |conn| {
            // The public's one query: prepared once per reader connection.
            conn.prepare_cached(&format!(
                "SELECT {CERT_COLUMNS} FROM certifications WHERE code = ?1"
            ))?
            .query_row([&code], cert_from_row)
            .optional()?
            .map(with_levels)
            .transpose()
        })
        .await
    }

    async fn centre_results(&self, uai: &str) -> Result<Vec<SessionResults>, StoreError> {
        let uai = uai.to_owned();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT bundle_id, session_number, session_date, status, received_at \
                 FROM bundles WHERE uai = ?1 AND status <> 'superseded' \
                 ORDER BY session_number",
            )?;
            let sessions = stmt
                .query_map([&uai], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut certs = conn.prepare_cached(&format!(
                "SELECT {CERT_COLUMNS} FROM certifications WHERE bundle_id = ?1"
            ))?;
            let mut out = Vec::with_capacity(sessions.len());
            for (bundle_id, number, date, status, received) in sessions {
                let mut by_candidate: HashMap<i64, Certification> = certs
                    .query_map([&bundle_id], cert_from_row)?
                    .map(|r| r.map_err(StoreError::from).and_then(with_levels))
                    .map(|c| c.map(|c| (c.candidate_id, c)))
                    .collect::<Result<_, _>>()?;
                let candidates = load_candidates(conn, &bundle_id)?
                    .into_iter()
                    .map(|row| CandidateResult {
                        certification: by_candidate.remove(&row.candidate_id),
                        row,
                    })
                    .collect();
                out.push(SessionResults {
                    session_id: crate::model::session_id(&uai, number),
                    bundle_id,
                    session_number: number,
                    session_date: date,
                    status: parse_status(&status)?,
                    received_at: received,
                    candidates,
                });
            }
            Ok(out)
        })
        .await
    }
}

fn console_in(conn: &Connection, key_hex: &str) -> Result<Option<ConsoleKey>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT uai, public_key, registered_at, revoked_at FROM consoles WHERE public_key = ?1",
        )?
        .query_row([key_hex], console_from_row)
        .optional()?)
}

fn centre_in(conn: &Connection, uai: &str) -> Result<Option<Centre>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT uai, name FROM centres WHERE uai = ?1")?
        .query_row([uai], |r| {
            Ok(Centre {
                uai: r.get(0)?,
                name: r.get(1)?,
            })
        })
        .optional()?)
}

fn stations_in(conn: &Connection, uai: &str) -> Result<Vec<RegisteredStation>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT public_key, label, registered_at FROM stations WHERE uai = ?1 \
         ORDER BY label, public_key",
    )?;
    let rows = stmt
        .query_map([uai], |r| {
            Ok(RegisteredStation {
                public_key: r.get(0)?,
                label: r.get(1)?,
                registered_at: r.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

fn receipt_in(conn: &Connection, content_sha256: &str) -> Result<Option<Receipt>, StoreError> {
    let r: Option<String> = conn
        .prepare_cached("SELECT receipt FROM bundles WHERE content_sha256 = ?1")?
        .query_row([content_sha256], |r| r.get(0))
        .optional()?;
    r.map(|s| receipt_from_json(&s)).transpose()
}

fn console_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConsoleKey> {
    Ok(ConsoleKey {
        uai: r.get(0)?,
        public_key: r.get(1)?,
        registered_at: r.get(2)?,
        revoked_at: r.get(3)?,
    })
}

pub(crate) fn key_kind_str(k: &BankKeyKind) -> &'static str {
    match k {
        BankKeyKind::Passphrase => "passphrase",
        BankKeyKind::Session => "session",
    }
}

pub(crate) fn parse_key_kind(s: &str) -> Result<BankKeyKind, StoreError> {
    match s {
        "passphrase" => Ok(BankKeyKind::Passphrase),
        "session" => Ok(BankKeyKind::Session),
        other => Err(StoreError::Corrupt(format!("bank key kind {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        Migrations::from_slice(MIGRATIONS).validate().unwrap();
    }

    /// A writer and a read-only reader on one new file, each configured as the store does, and
    /// the value of `pragma` on each.
    fn pragma_on_writer_and_reader(pragma: &str) -> (i64, i64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("certif.db");
        let writer = Connection::open(&path).unwrap();
        configure(&writer, true).unwrap();
        let reader =
            Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        configure(&reader, false).unwrap();
        let value = |conn: &Connection| -> i64 {
            conn.pragma_query_value(None, pragma, |r| r.get(0)).unwrap()
        };
        (value(&writer), value(&reader))
    }

    /// The writer maps a whole season (SQLite clamps `mmap_size` to the ceiling it was compiled
    /// with, 2 GB unless `.cargo/config.toml` raises it); a reader maps nothing (see `configure`).
    #[test]
    fn the_writer_maps_a_whole_season_and_readers_nothing() {
        assert_eq!(
            pragma_on_writer_and_reader("mmap_size"),
            (WRITER_MMAP_BYTES, 0)
        );
    }

    /// The writer's savepoint journals stay in memory (`temp_store` 2, MEMORY), so storing a
    /// bundle into a season's file creates no temporary file; the readers keep SQLite's default
    /// (0).
    #[test]
    fn the_writer_journals_its_savepoints_in_memory() {
        assert_eq!(pragma_on_writer_and_reader("temp_store"), (2, 0));
    }

    /// A burst of verifications waits for the readers there are instead of opening more, each
    /// parsing the schema again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_reads_opens_no_more_than_the_pool() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(
            SqliteStore::open(dir.path().join("certif.db"))
                .await
                .unwrap(),
        );
        for _ in 0..3 {
            let burst: Vec<_> = (0..64)
                .map(|_| {
                    let store = store.clone();
                    tokio::spawn(async move { store.certification("ABCD-EFGH-JKLM").await })
                })
                .collect();
            for read in burst {
                assert!(read.await.unwrap().unwrap().is_none());
            }
        }
        let opened = store.inner.readers_opened.load(Ordering::Relaxed);
        assert!((1..=readers()).contains(&opened), "{opened} readers opened");
        assert_eq!(
            store.inner.readers.lock().unwrap().len(),
            opened,
            "every reader opened is kept"
        );
    }

    const UAI: &str = "0750654D";

    async fn store_with_centre(dir: &std::path::Path) -> SqliteStore {
        let store = SqliteStore::open(dir.join("certif.db")).await.unwrap();
        let centre = Centre {
            uai: UAI.into(),
            name: "Collège Jean Moulin".into(),
        };
        store
            .enrol_centre(&centre, "jeton", "2026-06-02T08:00:00Z")
            .await
            .unwrap();
        store
    }

    /// A session's bundle with nothing to publish: what the store itself checks is its id, its
    /// content hash and its session's live version.
    fn bundle(id: &str, hash: &str, session: i64, finalized_at: &str) -> NewBundle {
        NewBundle {
            bundle_id: id.into(),
            content_sha256: hash.into(),
            uai: UAI.into(),
            centre_name: "Collège Jean Moulin".into(),
            session_number: session,
            session_date: "2026-06-02".into(),
            finalized_at: finalized_at.into(),
            comment: String::new(),
            console_key: "ab".repeat(32),
            bank_hash: "cd".repeat(32),
            engine_version: "test".into(),
            received_at: "2026-06-02T12:00:00Z".into(),
            flags: Vec::new(),
            candidates: Vec::new(),
            certificates: Vec::new(),
            evidence: Evidence::pack(id.as_bytes().to_vec()),
        }
    }

    fn statuses(store: &SqliteStore) -> Vec<(String, String)> {
        Connection::open(&store.inner.path)
            .unwrap()
            .prepare("SELECT bundle_id, status FROM bundles ORDER BY bundle_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// A bundle's bytes come back exactly as received, whether stored compressed (every new
    /// row) or as received (rows written before migration 5); purged, they are empty.
    #[tokio::test]
    async fn bundle_bytes_read_back_exactly_from_either_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_centre(dir.path()).await;
        let signer = Arc::new(Signer::ephemeral("https://v.example.fr", None).unwrap());
        let mut new = bundle("A", "h1", 1, "2026-06-02T10:00:00Z");
        let received = "CRBUNDLE {\"journal\":[1,2,3]}".repeat(400).into_bytes();
        new.evidence = Evidence::pack(received.clone());
        store.store_bundle(new, signer.clone()).await.unwrap();
        store
            .store_bundle(bundle("B", "h2", 2, "2026-06-02T10:00:00Z"), signer)
            .await
            .unwrap();
        let db = Connection::open(&store.inner.path).unwrap();
        let (encoding, size): (String, i64) = db
            .query_row(
                "SELECT bytes_encoding, length(bytes) FROM bundles WHERE bundle_id = 'A'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(encoding, "zstd");
        assert!(size * 10 < received.len() as i64, "{size} bytes stored");
        assert_eq!(store.bundle_bytes("A").await.unwrap().unwrap(), received);
        db.execute(
            "UPDATE bundles SET bytes = X'4352', bytes_encoding = 'raw' WHERE bundle_id = 'B'",
            [],
        )
        .unwrap();
        assert_eq!(store.bundle_bytes("B").await.unwrap().unwrap(), b"CR");
        assert_eq!(store.bundle_bytes("Z").await.unwrap(), None);
        assert_eq!(store.purge_evidence("2027-01-01").await.unwrap(), 2);
        assert_eq!(store.bundle_bytes("A").await.unwrap().unwrap(), b"");
        let unknown = db.execute(
            "UPDATE bundles SET bytes_encoding = 'gzip' WHERE bundle_id = 'A'",
            [],
        );
        assert!(
            unknown.is_err(),
            "the schema refuses an encoding it does not know"
        );
    }

    /// Bundles stored in one transaction see each other in order, and one refused halfway is
    /// undone alone: here C supersedes A, then finds its content hash taken by B; A must stay
    /// live, and B and its repeat keep their one receipt.
    #[tokio::test]
    async fn bundles_stored_together_commit_together_and_fail_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_centre(dir.path()).await;
        let signer = Arc::new(Signer::ephemeral("https://v.example.fr", None).unwrap());
        let batch = vec![
            bundle("A", "h1", 1, "2026-06-02T10:00:00Z"),
            bundle("B", "h2", 2, "2026-06-02T10:00:00Z"),
            bundle("B", "h2", 2, "2026-06-02T10:00:00Z"),
            bundle("C", "h2", 1, "2026-06-02T11:00:00Z"),
        ];
        let outcomes = {
            let mut writer = store.inner.writer.lock().unwrap();
            store_bundles_tx(
                &mut writer,
                batch.into_iter().map(|b| (b, signer.clone())).collect(),
            )
        };
        let [a, b, again, c] = <[_; 4]>::try_from(outcomes).unwrap();
        let (a, b, again) = (a.unwrap(), b.unwrap(), again.unwrap());
        assert!(a.created && b.created && !again.created);
        assert_eq!(again.receipt, b.receipt, "a repeat gets the first receipt");
        assert!(matches!(c, Err(StoreError::Conflict(_))), "{c:?}");
        assert_eq!(
            statuses(&store),
            [
                ("A".to_owned(), "published".to_owned()),
                ("B".to_owned(), "published".to_owned())
            ],
            "C's supersession of A was rolled back with it"
        );
    }

    /// Concurrent ingests, however the writer groups them: each gets the receipt of its own
    /// bundle, and each bundle is stored once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_bundles_each_get_their_own_receipt() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(store_with_centre(dir.path()).await);
        let signer = Arc::new(Signer::ephemeral("https://v.example.fr", None).unwrap());
        let calls: Vec<_> = (1..=40)
            .map(|n| {
                let (store, signer) = (store.clone(), signer.clone());
                tokio::spawn(async move {
                    let b = bundle(
                        &format!("S{n:02}"),
                        &format!("h{n}"),
                        n,
                        "2026-06-02T10:00:00Z",
                    );
                    store.store_bundle(b, signer).await
                })
            })
            .collect();
        for (n, call) in (1..=40).zip(calls) {
            let stored = call.await.unwrap().unwrap();
            assert!(stored.created);
            assert_eq!(stored.receipt.bundle_id, format!("S{n:02}"));
            assert_eq!(stored.receipt.content_hash, format!("h{n}"));
        }
        assert_eq!(statuses(&store).len(), 40);
        assert!(store.inner.waiting.lock().unwrap().is_empty());
    }

    /// The writer's own checkpoint waits for 10,000 pages: a single commit reaches the database
    /// file only through the checkpoint thread.
    #[tokio::test]
    async fn a_commit_reaches_the_database_file_without_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("certif.db");
        let store = SqliteStore::open(path.clone()).await.unwrap();
        let centre = Centre {
            uai: "0750654D".into(),
            name: "Collège Jean Moulin".into(),
        };
        store
            .enrol_centre(&centre, "jeton", "2026-06-02T08:00:00Z")
            .await
            .unwrap();
        // The file alone, without its WAL: what a crash would leave had the WAL been lost.
        let copy = dir.path().join("copy.db");
        let in_file = || -> rusqlite::Result<i64> {
            std::fs::copy(&path, &copy).map_err(|e| {
                rusqlite::Error::InvalidPath(format!("{}: {e}", path.display()).into())
            })?;
            Connection::open(&copy)?.query_row(
                "SELECT count(*) FROM centres WHERE uai = '0750654D'",
                [],
                |r| r.get(0),
            )
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while in_file().ok() != Some(1) {
            assert!(
                std::time::Instant::now() < deadline,
                "the commit never left the WAL"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
