//! The console's own SQLite database. Schema changes are migrations, applied at open.

use crate::centre::{Centre, Uai};
use crate::password::PasswordHash;
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
}

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(
        "CREATE TABLE centre (
             id INTEGER PRIMARY KEY CHECK (id = 1),
             uai TEXT NOT NULL,
             name TEXT NOT NULL,
             address TEXT NOT NULL,
             admin_password TEXT NOT NULL,
             created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         ) STRICT;",
    )])
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

#[cfg(test)]
mod tests {
    use super::*;

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
                    &PasswordHash::with_iterations("administrateur", 1_000).unwrap(),
                )
                .unwrap();
            let again = store.set_up_centre(
                &centre,
                &PasswordHash::with_iterations("other one!", 1_000).unwrap(),
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
