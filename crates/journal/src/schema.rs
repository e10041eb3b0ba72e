//! Database schema, migrations and connection settings.

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

use crate::error::{classify, JournalError};

/// Migrations are append-only like the journal: never edit a shipped one, add the next.
const MIGRATIONS: &[M<'static>] = &[M::up(
    r#"
CREATE TABLE tests (
    test_id        TEXT PRIMARY KEY NOT NULL,
    session_id     TEXT NOT NULL,
    candidate_id   TEXT NOT NULL,
    engine_seed    TEXT NOT NULL,   -- decimal u64: SQLite integers are signed
    engine_version TEXT NOT NULL,
    bank_hash      TEXT NOT NULL,
    created        TEXT NOT NULL,
    header         BLOB NOT NULL    -- canonical JSON; the chain's genesis is derived from it
) STRICT;

CREATE TABLE records (
    id        INTEGER PRIMARY KEY,  -- append order, checked against seq by the verifier
    test_id   TEXT NOT NULL REFERENCES tests(test_id),
    seq       INTEGER NOT NULL CHECK (seq >= 1),
    ts        TEXT NOT NULL,
    mono_ms   INTEGER NOT NULL CHECK (mono_ms >= 0),
    kind      TEXT NOT NULL,
    body      BLOB NOT NULL,        -- the exact hashed bytes (canonical JSON)
    prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash      BLOB NOT NULL CHECK (length(hash) = 32),
    UNIQUE (test_id, seq)
) STRICT;

CREATE TABLE heads (
    test_id   TEXT PRIMARY KEY NOT NULL REFERENCES tests(test_id),
    body      BLOB NOT NULL,        -- the exact signed bytes (after the domain prefix)
    signature BLOB NOT NULL CHECK (length(signature) = 64)
) STRICT;

CREATE TRIGGER records_no_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'journal records are append-only'); END;
CREATE TRIGGER records_no_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'journal records are append-only'); END;
CREATE TRIGGER tests_no_update BEFORE UPDATE ON tests
BEGIN SELECT RAISE(ABORT, 'journal tests are append-only'); END;
CREATE TRIGGER tests_no_delete BEFORE DELETE ON tests
BEGIN SELECT RAISE(ABORT, 'journal tests are append-only'); END;
CREATE TRIGGER heads_no_update BEFORE UPDATE ON heads
BEGIN SELECT RAISE(ABORT, 'signed heads are append-only'); END;
CREATE TRIGGER heads_no_delete BEFORE DELETE ON heads
BEGIN SELECT RAISE(ABORT, 'signed heads are append-only'); END;
"#,
)];

/// Lifted for the one transaction that forgets tests the service holds ([`crate::Journal::forget_tests`])
/// and put back exactly as the first migration created them (a test compares `sqlite_master`).
pub(crate) const LIFT_NO_DELETE: &str = "DROP TRIGGER records_no_delete;
DROP TRIGGER tests_no_delete;
DROP TRIGGER heads_no_delete;";
pub(crate) const RESTORE_NO_DELETE: &str =
    "CREATE TRIGGER records_no_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'journal records are append-only'); END;
CREATE TRIGGER tests_no_delete BEFORE DELETE ON tests
BEGIN SELECT RAISE(ABORT, 'journal tests are append-only'); END;
CREATE TRIGGER heads_no_delete BEFORE DELETE ON heads
BEGIN SELECT RAISE(ABORT, 'signed heads are append-only'); END;";

/// WAL size past which an append checkpoints first. Normally unreachable: the app checkpoints
/// when idle, and a whole session writes a few MiB. It only stops a kiosk that never goes idle
/// from filling the disk.
pub const WAL_HARD_LIMIT: u64 = 64 * 1024 * 1024;

/// Size the WAL file is cut back to when SQLite resets it.
const JOURNAL_SIZE_LIMIT: i64 = 4 * 1024 * 1024;

pub(crate) fn configure(conn: &Connection) -> Result<(), JournalError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(classify)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(classify)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(JournalError::NotWal(mode));
    }
    // FULL: in WAL mode each commit fsyncs the WAL, so a committed answer survives a power cut.
    // NORMAL would only survive a process crash.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(classify)?;
    // The checkpoint writes and fsyncs the main database file; it must not happen on the
    // answer path. The app calls Journal::checkpoint when idle.
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(classify)?;
    conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)
        .map_err(classify)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(classify)?;
    conn.pragma_update(None, "trusted_schema", "OFF")
        .map_err(classify)?;
    Ok(())
}

pub(crate) fn migrate(conn: &mut Connection) -> Result<(), JournalError> {
    Migrations::from_slice(MIGRATIONS)
        .to_latest(conn)
        .map_err(|e| match e {
            rusqlite_migration::Error::RusqliteError { err, .. } => classify(err),
            other => JournalError::Migration(other.to_string()),
        })
}

/// `PRAGMA integrity_check`: "ok" or the list of problems SQLite found.
pub(crate) fn integrity_check(conn: &Connection) -> Result<(), JournalError> {
    let mut stmt = conn.prepare("PRAGMA integrity_check").map_err(classify)?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(classify)?
        .collect::<Result<_, _>>()
        .map_err(classify)?;
    if rows.len() == 1 && rows[0] == "ok" {
        Ok(())
    } else {
        Err(JournalError::DamagedFile(format!(
            "integrity_check: {}",
            rows.into_iter().take(5).collect::<Vec<_>>().join("; ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        Migrations::from_slice(MIGRATIONS).validate().unwrap();
    }
}
