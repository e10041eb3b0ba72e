//! The console's own SQLite database. Schema changes are migrations, applied at open.

use crate::candidate::Candidate;
use crate::centre::{Centre, Uai};
use crate::session::{new_secrets, Session, SessionDetails, SessionError, SessionStatus};
use certroom_core::password::PasswordHash;
use chrono::{NaiveDate, NaiveTime};
use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("console database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("console database migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("console database holds an invalid value in {0}")]
    Corrupt(&'static str),
    #[error("the centre is already set up")]
    CentreExists,
    #[error("{0}")]
    Session(#[from] SessionError),
    #[error("no candidate {0} in this session")]
    UnknownCandidate(i64),
}

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            "CREATE TABLE centre (
                 id INTEGER PRIMARY KEY CHECK (id = 1),
                 uai TEXT NOT NULL,
                 name TEXT NOT NULL,
                 address TEXT NOT NULL,
                 admin_password TEXT NOT NULL,
                 created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
             ) STRICT;",
        ),
        M::up(
            "CREATE TABLE sessions (
                 number INTEGER PRIMARY KEY AUTOINCREMENT,
                 site TEXT NOT NULL,
                 room TEXT NOT NULL,
                 date TEXT NOT NULL,
                 start_time TEXT NOT NULL,
                 invigilators TEXT NOT NULL,
                 observations TEXT NOT NULL DEFAULT '',
                 access_code TEXT NOT NULL,
                 invigilator_password TEXT NOT NULL,
                 status TEXT NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'finalized')),
                 joined INTEGER NOT NULL DEFAULT 0,
                 created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
             ) STRICT;
             CREATE TABLE candidates (
                 id INTEGER PRIMARY KEY,
                 session INTEGER NOT NULL REFERENCES sessions(number) ON DELETE CASCADE,
                 match_key TEXT NOT NULL,
                 data TEXT NOT NULL
             ) STRICT;
             CREATE INDEX candidates_by_session ON candidates(session, match_key);",
        ),
    ])
}

pub struct ConsoleStore {
    conn: Connection,
}

impl ConsoleStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        Self::prepare(conn)
    }

    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::prepare(Connection::open_in_memory()?)
    }

    fn prepare(mut conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations().to_latest(&mut conn)?;
        Ok(Self { conn })
    }

    pub fn centre(&self) -> Result<Option<Centre>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT uai, name, address FROM centre WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(uai, name, address)| {
            let uai = Uai::parse(&uai).map_err(|_| StoreError::Corrupt("centre.uai"))?;
            Ok(Centre { uai, name, address })
        })
        .transpose()
    }

    /// Sets the centre up once; changing it later is an administrator action of its own.
    pub fn set_up_centre(
        &mut self,
        centre: &Centre,
        admin_password: &PasswordHash,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let exists: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM centre)", [], |r| r.get(0))?;
        if exists {
            return Err(StoreError::CentreExists);
        }
        tx.execute(
            "INSERT INTO centre (id, uai, name, address, admin_password) VALUES (1, ?1, ?2, ?3, ?4)",
            params![centre.uai.as_str(), centre.name, centre.address, admin_password.as_str()],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn admin_password(&self) -> Result<Option<PasswordHash>, StoreError> {
        let stored: Option<String> = self
            .conn
            .query_row("SELECT admin_password FROM centre WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        stored
            .map(|s| {
                PasswordHash::parse(&s).map_err(|_| StoreError::Corrupt("centre.admin_password"))
            })
            .transpose()
    }
}

impl ConsoleStore {
    pub fn create_session(&mut self, details: &SessionDetails) -> Result<Session, StoreError> {
        let number = insert_session(&self.conn, details)?;
        self.session(number)
    }

    /// A sessions file: every session created, or none.
    pub fn create_sessions(&mut self, all: &[SessionDetails]) -> Result<Vec<i64>, StoreError> {
        let tx = self.conn.transaction()?;
        let numbers = all
            .iter()
            .map(|d| insert_session(&tx, d))
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        Ok(numbers)
    }

    /// Editing keeps the codes: they may already be printed for the day.
    pub fn update_session(
        &mut self,
        number: i64,
        details: &SessionDetails,
    ) -> Result<Session, StoreError> {
        refuse_once_started(&self.session(number)?)?;
        self.conn.execute(
            "UPDATE sessions SET site = ?2, room = ?3, date = ?4, start_time = ?5, invigilators = ?6, observations = ?7 WHERE number = ?1",
            params![
                number,
                details.site,
                details.room,
                details.date.format("%Y-%m-%d").to_string(),
                details.start_time.format("%H:%M").to_string(),
                invigilators_json(&details.invigilators),
                details.observations
            ],
        )?;
        self.session(number)
    }

    /// Only a session nobody joined can go: after that it is evidence.
    pub fn delete_session(&mut self, number: i64) -> Result<(), StoreError> {
        let current = self.session(number)?;
        if current.status == SessionStatus::Finalized {
            return Err(SessionError::Finalized(number).into());
        }
        if current.joined {
            return Err(SessionError::Joined(number).into());
        }
        self.conn
            .execute("DELETE FROM sessions WHERE number = ?1", [number])?;
        Ok(())
    }

    /// Someone joined the session's room (the invigilator confirmed a presence or authorized a
    /// start): from now on its details and enrolled candidates are evidence.
    pub fn mark_joined(&mut self, number: i64) -> Result<(), StoreError> {
        self.session(number)?;
        self.conn
            .execute("UPDATE sessions SET joined = 1 WHERE number = ?1", [number])?;
        Ok(())
    }

    /// The room was finalized: nothing of the session changes any more.
    pub fn mark_finalized(&mut self, number: i64) -> Result<(), StoreError> {
        self.session(number)?;
        self.conn.execute(
            "UPDATE sessions SET status = 'finalized' WHERE number = ?1",
            [number],
        )?;
        Ok(())
    }

    pub fn session(&self, number: i64) -> Result<Session, StoreError> {
        self.conn
            .query_row(
                &format!("{SESSION_SELECT} WHERE s.number = ?1"),
                [number],
                session_row,
            )
            .optional()?
            .ok_or(SessionError::Unknown(number))?
    }

    pub fn sessions(&self) -> Result<Vec<Session>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "{SESSION_SELECT} ORDER BY s.date, s.start_time, s.number"
        ))?;
        let rows = stmt.query_map([], session_row)?;
        rows.map(|r| r.map_err(StoreError::from).and_then(|s| s))
            .collect()
    }
}

impl ConsoleStore {
    /// Adds candidates to a session in one transaction: all of them, or none.
    pub fn add_candidates(
        &mut self,
        number: i64,
        candidates: &[Candidate],
    ) -> Result<Vec<i64>, StoreError> {
        let session = self.session(number)?;
        if session.status == SessionStatus::Finalized {
            return Err(SessionError::Finalized(number).into());
        }
        let tx = self.conn.transaction()?;
        let mut ids = Vec::with_capacity(candidates.len());
        {
            let mut insert = tx
                .prepare("INSERT INTO candidates (session, match_key, data) VALUES (?1, ?2, ?3)")?;
            for c in candidates {
                let data =
                    serde_json::to_string(c).map_err(|_| StoreError::Corrupt("candidates.data"))?;
                insert.execute(params![number, c.match_key(), data])?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    /// The session's candidates with their ids, sorted by name as on the attendance sheet.
    pub fn candidates(&self, number: i64) -> Result<Vec<(i64, Candidate)>, StoreError> {
        self.session(number)?;
        let mut stmt = self
            .conn
            .prepare("SELECT id, data FROM candidates WHERE session = ?1 ORDER BY match_key, id")?;
        let rows = stmt.query_map([number], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|row| {
            let (id, data) = row?;
            let candidate =
                serde_json::from_str(&data).map_err(|_| StoreError::Corrupt("candidates.data"))?;
            Ok((id, candidate))
        })
        .collect()
    }

    pub fn replace_candidate(
        &mut self,
        number: i64,
        id: i64,
        candidate: &Candidate,
    ) -> Result<(), StoreError> {
        refuse_once_started(&self.session(number)?)?;
        let data =
            serde_json::to_string(candidate).map_err(|_| StoreError::Corrupt("candidates.data"))?;
        let changed = self.conn.execute(
            "UPDATE candidates SET match_key = ?3, data = ?4 WHERE session = ?1 AND id = ?2",
            params![number, id, candidate.match_key(), data],
        )?;
        if changed == 0 {
            return Err(StoreError::UnknownCandidate(id));
        }
        Ok(())
    }

    pub fn remove_candidate(&mut self, number: i64, id: i64) -> Result<(), StoreError> {
        refuse_once_started(&self.session(number)?)?;
        let removed = self.conn.execute(
            "DELETE FROM candidates WHERE session = ?1 AND id = ?2",
            params![number, id],
        )?;
        if removed == 0 {
            return Err(StoreError::UnknownCandidate(id));
        }
        Ok(())
    }
}

/// What happened in the room is evidence: once someone joined, the session's details and its
/// enrolled candidates stay as they were (adding candidates is allowed until finalization).
fn refuse_once_started(session: &Session) -> Result<(), StoreError> {
    if session.status == SessionStatus::Finalized {
        return Err(SessionError::Finalized(session.number).into());
    }
    if session.joined {
        return Err(SessionError::Started(session.number).into());
    }
    Ok(())
}

fn insert_session(conn: &Connection, details: &SessionDetails) -> Result<i64, StoreError> {
    let (access_code, password) = new_secrets()?;
    conn.execute(
        "INSERT INTO sessions (site, room, date, start_time, invigilators, observations, access_code, invigilator_password)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            details.site,
            details.room,
            details.date.format("%Y-%m-%d").to_string(),
            details.start_time.format("%H:%M").to_string(),
            invigilators_json(&details.invigilators),
            details.observations,
            access_code,
            password
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

const SESSION_SELECT: &str =
    "SELECT s.number, s.site, s.room, s.date, s.start_time, s.invigilators, s.observations,
        s.access_code, s.invigilator_password, s.status,
        (SELECT COUNT(*) FROM candidates c WHERE c.session = s.number), s.joined
     FROM sessions s";

fn invigilators_json(names: &[String]) -> String {
    serde_json::Value::from(names.to_vec()).to_string()
}

/// One row to a session; a value the console itself could not have written is reported, not guessed.
fn session_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Session, StoreError>> {
    let (date, time, invigilators, status): (String, String, String, String) =
        (r.get(3)?, r.get(4)?, r.get(5)?, r.get(9)?);
    let candidates: i64 = r.get(10)?;
    Ok((|| {
        Ok(Session {
            number: r.get(0)?,
            details: SessionDetails {
                site: r.get(1)?,
                room: r.get(2)?,
                date: NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                    .map_err(|_| StoreError::Corrupt("sessions.date"))?,
                start_time: NaiveTime::parse_from_str(&time, "%H:%M")
                    .map_err(|_| StoreError::Corrupt("sessions.start_time"))?,
                invigilators: serde_json::from_str(&invigilators)
                    .map_err(|_| StoreError::Corrupt("sessions.invigilators"))?,
                observations: r.get(6)?,
            },
            access_code: r.get(7)?,
            invigilator_password: r.get(8)?,
            status: SessionStatus::parse(&status).ok_or(StoreError::Corrupt("sessions.status"))?,
            joined: r.get::<_, i64>(11)? != 0,
            candidates: usize::try_from(candidates).unwrap_or(0),
        })
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details() -> SessionDetails {
        crate::session::SessionDraft {
            site: "Lycée Henri-IV".into(),
            room: "B12".into(),
            date: "12/03/2027".into(),
            start_time: "08:30".into(),
            invigilators: vec!["Mme Durand".into()],
            observations: String::new(),
        }
        .validate()
        .unwrap()
    }

    #[test]
    fn sessions_are_created_edited_listed_and_deleted() {
        let mut store = ConsoleStore::open_in_memory().unwrap();
        let s = store.create_session(&details()).unwrap();
        assert_eq!(s.status, SessionStatus::Created);
        assert!(certroom_core::codes::is_access_code(&s.access_code));
        let mut changed = details();
        changed.room = "C3".into();
        let edited = store.update_session(s.number, &changed).unwrap();
        assert_eq!(
            (edited.details.room.as_str(), edited.access_code.as_str()),
            ("C3", s.access_code.as_str())
        );
        assert_eq!(store.sessions().unwrap().len(), 1);
        store.delete_session(s.number).unwrap();
        assert!(matches!(
            store.session(s.number),
            Err(StoreError::Session(SessionError::Unknown(_)))
        ));
    }

    fn sample_candidate() -> Candidate {
        Candidate {
            birth_name: "N'Diaye-Lefèvre".into(),
            first_name: "Zoé".into(),
            sex: crate::candidate::Sex::F,
            birthdate: NaiveDate::from_ymd_opt(2010, 2, 14).unwrap(),
            birthplace: crate::candidate::Birthplace::France {
                insee: "75105".into(),
                postal_code: None,
                town: "Paris 5e".into(),
            },
            local_id: Some("3A".into()),
            extra_time_percent: Some(33),
            adjusted_questions: false,
            convocation_email: None,
            results_email: None,
        }
    }

    #[test]
    fn candidates_are_added_all_together_listed_and_removed() {
        let mut store = ConsoleStore::open_in_memory().unwrap();
        let s = store.create_session(&details()).unwrap();
        let zoe = sample_candidate();
        let ids = store
            .add_candidates(s.number, std::slice::from_ref(&zoe))
            .unwrap();
        let listed = store.candidates(s.number).unwrap();
        assert_eq!(listed, vec![(ids[0], zoe)]);
        assert_eq!(store.session(s.number).unwrap().candidates, 1);
        store.remove_candidate(s.number, ids[0]).unwrap();
        assert!(matches!(
            store.remove_candidate(s.number, ids[0]),
            Err(StoreError::UnknownCandidate(_))
        ));
        assert!(store.candidates(s.number).unwrap().is_empty());
    }

    /// Facts §3 and the session's life: once someone joined, the details and enrolled
    /// candidates are evidence (edits, removals and deletion refused, adding still allowed);
    /// once finalized nothing changes. What is written survives a reopen.
    #[test]
    fn a_started_then_finalized_session_refuses_what_would_contradict_the_room() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("console.db");
        let mut store = ConsoleStore::open(&path).unwrap();
        let s = store.create_session(&details()).unwrap();
        let c = sample_candidate();
        let ids = store
            .add_candidates(s.number, std::slice::from_ref(&c))
            .unwrap();
        assert!(!store.session(s.number).unwrap().joined);
        store.mark_joined(s.number).unwrap();
        drop(store);
        let mut store = ConsoleStore::open(&path).unwrap();
        assert!(store.session(s.number).unwrap().joined);
        let started = |r: Result<_, StoreError>| matches!(r, Err(StoreError::Session(SessionError::Started(n))) if n == s.number);
        assert!(started(
            store.update_session(s.number, &details()).map(drop)
        ));
        assert!(started(store.replace_candidate(s.number, ids[0], &c)));
        assert!(started(store.remove_candidate(s.number, ids[0])));
        assert!(matches!(
            store.delete_session(s.number),
            Err(StoreError::Session(SessionError::Joined(_)))
        ));
        let mut late = c.clone();
        late.first_name = "Inès".into();
        store
            .add_candidates(s.number, std::slice::from_ref(&late))
            .unwrap();

        store.mark_finalized(s.number).unwrap();
        assert_eq!(
            store.session(s.number).unwrap().status,
            SessionStatus::Finalized
        );
        let finalized = |r: Result<_, StoreError>| {
            matches!(r, Err(StoreError::Session(SessionError::Finalized(_))))
        };
        assert!(finalized(
            store
                .add_candidates(s.number, std::slice::from_ref(&c))
                .map(drop)
        ));
        assert!(finalized(
            store.update_session(s.number, &details()).map(drop)
        ));
        assert!(finalized(store.delete_session(s.number)));
        assert!(matches!(
            store.mark_joined(999),
            Err(StoreError::Session(SessionError::Unknown(999)))
        ));
    }

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[test]
    fn centre_is_set_up_once_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("console.db");
        let centre = Centre {
            uai: Uai::parse("0750654D").unwrap(),
            name: "Lycée Henri-IV".into(),
            address: "23 rue Clovis, Paris".into(),
        };
        {
            let mut store = ConsoleStore::open(&path).unwrap();
            assert_eq!(store.centre().unwrap(), None);
            store
                .set_up_centre(
                    &centre,
                    &PasswordHash::with_iterations(
                        "administrateur",
                        1_000,
                        &ring::rand::SystemRandom::new(),
                    )
                    .unwrap(),
                )
                .unwrap();
            let again = store.set_up_centre(
                &centre,
                &PasswordHash::with_iterations(
                    "other one!",
                    1_000,
                    &ring::rand::SystemRandom::new(),
                )
                .unwrap(),
            );
            assert!(matches!(again, Err(StoreError::CentreExists)));
        }
        let store = ConsoleStore::open(&path).unwrap();
        assert_eq!(store.centre().unwrap(), Some(centre));
        assert!(store
            .admin_password()
            .unwrap()
            .unwrap()
            .verify("administrateur"));
    }
}
