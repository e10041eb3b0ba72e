//! The outbox: finalized bundles waiting for the certification service, kept in the console's
//! own SQLite file so that a restart, a power cut or a week without network loses nothing.
//! A bundle leaves the outbox only with the service's signed receipt (or its refusal).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};
use serde::Serialize;

const MIGRATIONS: &[M<'static>] = &[
    M::up(
        r#"
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    bundle_id     TEXT NOT NULL UNIQUE,
    session       INTEGER NOT NULL,
    content_hash  TEXT NOT NULL,
    bytes         BLOB NOT NULL,
    added_at      TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'rejected')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  INTEGER NOT NULL DEFAULT 0,   -- unix ms
    last_error    TEXT,
    receipt       TEXT
) STRICT;
"#,
    ),
    // Where the bundle stands at the service since (read back, signed): published, waiting for
    // the jury, rejected… so the session page says it after a restart too.
    M::up(
        r#"
ALTER TABLE outbox ADD COLUMN service_status TEXT;
ALTER TABLE outbox ADD COLUMN service_status_as_of TEXT;
"#,
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("boîte d'envoi : {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("boîte d'envoi (migration) : {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("{0}")]
    Bundle(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "OutboxState")]
pub enum State {
    Pending,
    Sent,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "OutboxItem")]
pub struct Item {
    pub id: i64,
    pub bundle_id: String,
    pub session: i64,
    pub content_hash: String,
    pub state: State,
    pub attempts: u32,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    /// The service's receipt (JSON) once sent.
    pub receipt: Option<String>,
    /// Where the bundle stands at the service, as it last said (signed): `published`,
    /// `pending_jury`, `validated`, `rejected`, `cancelled` or `superseded`.
    pub service_status: Option<String>,
    /// When the service said it (RFC 3339).
    pub service_status_as_of: Option<String>,
}

impl Item {
    /// Whether the service may still change what it says of this bundle (a jury to come): a
    /// sent bundle whose last known status is not a final one.
    pub fn awaits_service(&self) -> bool {
        self.state == State::Sent
            && !matches!(
                self.service_status.as_deref(),
                Some("published" | "validated" | "rejected" | "cancelled" | "superseded")
            )
    }
}

/// Shared between the screens and the background sender: each call takes the connection for
/// its own statements only, never across a network wait.
pub struct Outbox {
    conn: Mutex<Connection>,
}

impl Outbox {
    pub fn open(path: &Path) -> Result<Self, OutboxError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
        Ok(Outbox {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (its own transactions).
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a bundle after checking it as the service will (signature, chains, heads): a
    /// broken bundle is refused here, not a week later. Adding the same bundle again is a no-op.
    pub fn add(&self, bytes: &[u8]) -> Result<Item, OutboxError> {
        let verified =
            certroom_bundle::verify(bytes, None).map_err(|f| OutboxError::Bundle(f.to_string()))?;
        let m = &verified.manifest;
        let hash = hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref());
        self.conn().execute(
            "INSERT INTO outbox (bundle_id, session, content_hash, bytes, added_at, state) \
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending') ON CONFLICT (bundle_id) DO NOTHING",
            params![
                m.bundle_id,
                m.session.number,
                hash,
                bytes,
                chrono::Utc::now().to_rfc3339()
            ],
        )?;
        self.item_by_bundle(&m.bundle_id)?
            .ok_or_else(|| OutboxError::Bundle("not stored".into()))
    }

    fn item_by_bundle(&self, bundle_id: &str) -> Result<Option<Item>, OutboxError> {
        Ok(self
            .conn()
            .query_row(
                &format!("{COLUMNS} FROM outbox WHERE bundle_id = ?1"),
                [bundle_id],
                row_item,
            )
            .optional()?)
    }

    pub fn items(&self) -> Result<Vec<Item>, OutboxError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("{COLUMNS} FROM outbox ORDER BY id"))?;
        let rows = stmt.query_map([], row_item)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Pending bundles whose next attempt is due.
    pub fn due(&self, now_ms: i64) -> Result<Vec<(Item, Vec<u8>)>, OutboxError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "{COLUMNS}, bytes FROM outbox WHERE state = 'pending' AND next_attempt <= ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([now_ms], |r| Ok((row_item(r)?, r.get::<_, Vec<u8>>(12)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn record_failure(
        &self,
        id: i64,
        error: &str,
        next_attempt_ms: i64,
    ) -> Result<(), OutboxError> {
        self.conn().execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt = ?3 \
             WHERE id = ?1 AND state = 'pending'",
            params![id, error, next_attempt_ms],
        )?;
        Ok(())
    }

    pub fn record_receipt(&self, id: i64, receipt: &str) -> Result<(), OutboxError> {
        self.conn().execute(
            "UPDATE outbox SET attempts = attempts + 1, state = 'sent', receipt = ?2, \
             last_error = NULL WHERE id = ?1",
            params![id, receipt],
        )?;
        Ok(())
    }

    pub fn record_rejection(&self, id: i64, error: &str) -> Result<(), OutboxError> {
        self.conn().execute(
            "UPDATE outbox SET attempts = attempts + 1, state = 'rejected', last_error = ?2 \
             WHERE id = ?1",
            params![id, error],
        )?;
        Ok(())
    }

    /// What the service said of a sent bundle (its signed status, checked by the caller).
    pub fn record_service_status(
        &self,
        id: i64,
        status: &str,
        as_of: &str,
    ) -> Result<(), OutboxError> {
        self.conn().execute(
            "UPDATE outbox SET service_status = ?2, service_status_as_of = ?3 \
             WHERE id = ?1 AND state = 'sent'",
            params![id, status, as_of],
        )?;
        Ok(())
    }

    /// Puts a refused or waiting bundle back in line to go at once (the "send again" of the
    /// session page, e.g. after the service's key or a centre's enrolment was fixed). A bundle
    /// the service received stays as it is. Returns whether anything changed.
    pub fn send_again(&self, id: i64) -> Result<bool, OutboxError> {
        let changed = self.conn().execute(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt = 0, last_error = NULL \
             WHERE id = ?1 AND state IN ('pending', 'rejected')",
            [id],
        )?;
        Ok(changed > 0)
    }

    /// When the next pending bundle is due (unix ms), if any.
    pub fn next_due(&self) -> Result<Option<i64>, OutboxError> {
        Ok(self.conn().query_row(
            "SELECT min(next_attempt) FROM outbox WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )?)
    }
}

const COLUMNS: &str =
    "SELECT id, bundle_id, session, content_hash, state, attempts, next_attempt, \
                       last_error, receipt, added_at, service_status, service_status_as_of";

fn row_item(r: &rusqlite::Row<'_>) -> rusqlite::Result<Item> {
    let state: String = r.get(4)?;
    Ok(Item {
        id: r.get(0)?,
        bundle_id: r.get(1)?,
        session: r.get(2)?,
        content_hash: r.get(3)?,
        state: match state.as_str() {
            "sent" => State::Sent,
            "rejected" => State::Rejected,
            _ => State::Pending,
        },
        attempts: u32::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
        next_attempt_ms: r.get(6)?,
        last_error: r.get(7)?,
        receipt: r.get(8)?,
        service_status: r.get(10)?,
        service_status_as_of: r.get(11)?,
    })
}
