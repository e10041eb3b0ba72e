//! The hub's own record: the room's set-up and every input it accepted, in order, committed
//! (WAL, `synchronous=FULL`) before the hub answers. A restarted hub replays the inputs through
//! [`Room::apply`] and is exactly where it was. Refused frames are kept too, for the report.

use std::path::Path;

use rusqlite::{params, Connection};
use rusqlite_migration::{Migrations, M};

use crate::lab::Lab;
use crate::room::{Input, Room, RoomSetup};

const MIGRATIONS: &[M<'static>] = &[
    M::up(
        r#"
CREATE TABLE setup (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    hub         TEXT NOT NULL,
    body        TEXT NOT NULL
) STRICT;
CREATE TABLE stations (
    public_key  TEXT PRIMARY KEY NOT NULL,
    label       TEXT NOT NULL
) STRICT;
CREATE TABLE inputs (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    body        TEXT NOT NULL
) STRICT;
CREATE TABLE refusals (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    station     TEXT,
    code        TEXT NOT NULL,
    detail      TEXT NOT NULL
) STRICT;
CREATE TRIGGER inputs_append_only_u BEFORE UPDATE ON inputs
BEGIN SELECT RAISE(ABORT, 'hub inputs are append-only'); END;
CREATE TRIGGER inputs_append_only_d BEFORE DELETE ON inputs
BEGIN SELECT RAISE(ABORT, 'hub inputs are append-only'); END;
"#,
    ),
    // Frames numbered before the room was recorded are refused: with a hub identity that lasts
    // across sessions, a frame captured in an earlier session must not count in this one.
    M::up("ALTER TABLE setup ADD COLUMN frames_after INTEGER NOT NULL DEFAULT 0;"),
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("base du hub : {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration de la base du hub : {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("enregistrement illisible n°{id} : {detail}")]
    Corrupt { id: i64, detail: String },
    #[error("cette base appartient à un autre hub ou à une autre session")]
    OtherRoom,
}

pub struct Store {
    conn: Connection,
    /// Where pairings last beyond this room; without one they stay in this room's database.
    lab: Option<Lab>,
    /// Receives every input once committed (the console's standby copy on a second medium).
    copy: Option<std::sync::Arc<dyn InputCopy>>,
}

/// Where each committed input goes next, in order, before the hub answers: a copy on another
/// medium that a spare console can take over from. It never refuses an input: a copy that
/// cannot write says so to whoever shows it, and the room goes on.
pub trait InputCopy: Send + Sync {
    fn append(&self, input: &LoggedInput);
}

/// One committed input as `hub.db` keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedInput {
    pub id: i64,
    pub at: String,
    pub body: String,
}

/// Why copied inputs could not be put back.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("entrée n°{found} copiée après la n°{last} : il en manque / input {found} copied after {last}: some are missing")]
    Gap { last: i64, found: i64 },
}

impl Store {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
        Ok(Store {
            conn,
            lab: None,
            copy: None,
        })
    }

    /// Pairings go to `lab` and a new room starts with the lab's stations.
    pub fn with_lab(mut self, lab: Lab) -> Self {
        self.lab = Some(lab);
        self
    }

    /// Stations enrolled at lab set-up outlive sessions: a new room starts with them.
    pub fn enroll_station(&self, key: &str, label: &str) -> Result<(), StoreError> {
        if let Some(lab) = &self.lab {
            return lab.pair(key, label, &crate::now());
        }
        self.conn.execute(
            "INSERT INTO stations (public_key, label) VALUES (?1, ?2) \
             ON CONFLICT (public_key) DO UPDATE SET label = excluded.label",
            params![key, label],
        )?;
        Ok(())
    }

    /// This room's own stations (a room recorded before the lab kept them) and the lab's.
    pub fn stations(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT public_key, label FROM stations ORDER BY label, public_key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let mut all: Vec<(String, String)> = rows.collect::<Result<_, _>>()?;
        if let Some(lab) = &self.lab {
            all.extend(lab.stations()?.into_iter().map(|s| (s.public_key, s.label)));
        }
        Ok(all)
    }

    /// Opens the room recorded here, or records `setup` as a new one. A database holds one
    /// session: opening it for another session is refused rather than mixed.
    /// `hub` is the hub's fingerprint, `pairing_secret` keys its pairing nonces (both from its
    /// identity, which outlives the room).
    pub fn load_room(
        &self,
        hub: &str,
        pairing_secret: [u8; 32],
        setup: RoomSetup,
    ) -> Result<Room, StoreError> {
        let stored: Option<(String, String, i64)> = self
            .conn
            .query_row(
                "SELECT hub, body, frames_after FROM setup WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .ok();
        let (setup, frames_after) = match stored {
            Some((stored_hub, body, after)) => {
                let stored: RoomSetup =
                    serde_json::from_str(&body).map_err(|e| StoreError::Corrupt {
                        id: 0,
                        detail: e.to_string(),
                    })?;
                if stored_hub != hub || stored.session != setup.session {
                    return Err(StoreError::OtherRoom);
                }
                (stored, u64::try_from(after).unwrap_or(0))
            }
            None => {
                let body = serde_json::to_string(&setup).map_err(|e| StoreError::Corrupt {
                    id: 0,
                    detail: e.to_string(),
                })?;
                // Kiosks number frames in microseconds since the epoch (protocol::client).
                let frames_after =
                    u64::try_from(chrono::Utc::now().timestamp_micros()).unwrap_or(0);
                self.conn.execute(
                    "INSERT INTO setup (id, hub, body, frames_after) VALUES (1, ?1, ?2, ?3)",
                    params![hub, body, i64::try_from(frames_after).unwrap_or(i64::MAX)],
                )?;
                (setup, frames_after)
            }
        };
        let mut room = Room::new(hub, pairing_secret, setup);
        room.refuse_frames_until(frames_after);
        for (key, label) in self.stations()? {
            room.enroll(&key, &label);
        }
        if let Some(lab) = &self.lab {
            for (station, test) in lab.tests_to_forget()? {
                room.forget_on(&station, &test);
            }
        }
        let mut stmt = self
            .conn
            .prepare("SELECT id, at, body FROM inputs ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (id, at, body) = row?;
            let input: Input = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt {
                id,
                detail: e.to_string(),
            })?;
            room.apply(&input, &at).map_err(|e| StoreError::Corrupt {
                id,
                detail: e.to_string(),
            })?;
        }
        Ok(room)
    }

    /// `(station, test_id)` of every test a PC sent records of in this room: the copies a
    /// kiosk keeps, which it may delete once the service holds the results.
    pub fn tests_by_station(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, body FROM inputs ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut seen = std::collections::BTreeSet::new();
        for row in rows {
            let (id, body) = row?;
            let input: Input = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt {
                id,
                detail: e.to_string(),
            })?;
            if let Input::Station {
                station,
                msg: certroom_protocol::KioskMessage::Records { test_id, .. },
                ..
            } = input
            {
                seen.insert((station, test_id));
            }
        }
        Ok(seen.into_iter().collect())
    }

    /// Commits one accepted input (fsync), then hands it to the copy if there is one. Only
    /// then may the hub answer.
    pub fn log(&self, at: &str, input: &Input) -> Result<(), StoreError> {
        let body = serde_json::to_string(input).map_err(|e| StoreError::Corrupt {
            id: 0,
            detail: e.to_string(),
        })?;
        self.conn
            .prepare_cached("INSERT INTO inputs (at, body) VALUES (?1, ?2)")?
            .execute(params![at, body])?;
        if let Some(copy) = &self.copy {
            copy.append(&LoggedInput {
                id: self.conn.last_insert_rowid(),
                at: at.to_owned(),
                body,
            });
        }
        Ok(())
    }

    /// From now on every committed input also goes to `copy`.
    pub fn copy_to(&mut self, copy: std::sync::Arc<dyn InputCopy>) {
        self.copy = Some(copy);
    }

    /// The number of the last input committed (0 before the first).
    pub fn last_input(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT coalesce(max(id), 0) FROM inputs", [], |r| r.get(0))?)
    }

    /// Puts back, in one transaction, the inputs a copy holds beyond those this database has:
    /// each must follow the last without a gap. Returns how many were added.
    pub fn restore_inputs(
        &mut self,
        copied: impl IntoIterator<Item = LoggedInput>,
    ) -> Result<u64, RestoreError> {
        let mut last = self.last_input()?;
        let tx = self.conn.transaction().map_err(StoreError::from)?;
        let mut added = 0;
        for input in copied {
            if input.id <= last {
                continue;
            }
            if input.id != last + 1 {
                return Err(RestoreError::Gap {
                    last,
                    found: input.id,
                });
            }
            tx.execute(
                "INSERT INTO inputs (id, at, body) VALUES (?1, ?2, ?3)",
                params![input.id, input.at, input.body],
            )
            .map_err(StoreError::from)?;
            last = input.id;
            added += 1;
        }
        tx.commit().map_err(StoreError::from)?;
        Ok(added)
    }

    pub fn input_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM inputs", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// Refused frames and commands, for the report and for whoever looks into an incident. Kept in
/// their own database, written without waiting for the disk and under their own lock: a laptop
/// sending junk as fast as it can costs the room neither an fsync per frame nor its lock. A power
/// cut may lose the last refusals, which decided nothing.
pub struct RefusalLog {
    conn: std::sync::Mutex<Connection>,
}

pub const REFUSALS_DB_FILE: &str = "refusals.db";

impl RefusalLog {
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(dir.join(REFUSALS_DB_FILE))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "OFF")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS refusals (
                id      INTEGER PRIMARY KEY,
                at      TEXT NOT NULL,
                station TEXT,
                code    TEXT NOT NULL,
                detail  TEXT NOT NULL
            ) STRICT;",
        )?;
        Ok(RefusalLog {
            conn: std::sync::Mutex::new(conn),
        })
    }

    pub fn refuse(
        &self,
        at: &str,
        station: Option<&str>,
        code: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        conn.prepare_cached(
            "INSERT INTO refusals (at, station, code, detail) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![at, station, code, detail])?;
        Ok(())
    }

    /// `(code, detail)`, oldest first.
    pub fn refusals(&self) -> Result<Vec<(String, String)>, StoreError> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let mut stmt = conn.prepare("SELECT code, detail FROM refusals ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
