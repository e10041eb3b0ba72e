//! The lab as the console keeps it from one session to the next: the hub's TLS identity (the
//! fingerprint every paired PC pins) and the PCs paired with it. A PC paired once joins every
//! later session of this console, after any restart, until it is removed.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection};
use rusqlite_migration::{Migrations, M};

use crate::store::StoreError;

/// The lab's own database, beside the hub identity file.
pub const LAB_DB_FILE: &str = "lab.db";

const MIGRATIONS: &[M<'static>] = &[
    M::up(
        r#"
CREATE TABLE stations (
    public_key  TEXT PRIMARY KEY NOT NULL,
    label       TEXT NOT NULL,
    paired_at   TEXT NOT NULL
) STRICT;
"#,
    ),
    // Tests a PC may delete from its journal: the service holds them, retention is over.
    M::up(
        r#"
CREATE TABLE tests_to_forget (
    station   TEXT NOT NULL,
    test_id   TEXT NOT NULL,
    since     TEXT NOT NULL,
    PRIMARY KEY (station, test_id)
) STRICT;
"#,
    ),
];

/// A PC paired with this console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairedStation {
    /// Lower-case hex of the station's Ed25519 key.
    pub public_key: String,
    pub label: String,
    /// RFC 3339, the console's clock.
    pub paired_at: String,
}

/// The lasting part of the hub, in a folder of the console's data.
pub struct Lab {
    dir: PathBuf,
    conn: Connection,
}

impl Lab {
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Corrupt {
            id: 0,
            detail: format!("{}: {e}", dir.display()),
        })?;
        let mut conn = Connection::open(dir.join(LAB_DB_FILE))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
        Ok(Lab {
            dir: dir.to_owned(),
            conn,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Records a pairing; pairing the same PC again only renames it.
    pub fn pair(&self, key: &str, label: &str, at: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO stations (public_key, label, paired_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (public_key) DO UPDATE SET label = excluded.label",
            params![key, label, at],
        )?;
        Ok(())
    }

    /// Tells `station`, at its next `hello` in any later room, to delete `test_id`.
    pub fn forget_test(&self, station: &str, test_id: &str, at: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO tests_to_forget (station, test_id, since) VALUES (?1, ?2, ?3)",
            params![station, test_id, at],
        )?;
        Ok(())
    }

    /// `(station, test_id)` of every test a PC may delete.
    pub fn tests_to_forget(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT station, test_id FROM tests_to_forget ORDER BY since, test_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Forgets a PC: rooms opened from now on refuse it until it is paired again. False when
    /// no PC has that key.
    pub fn remove(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .execute("DELETE FROM stations WHERE public_key = ?1", [key])?
            == 1)
    }

    pub fn stations(&self) -> Result<Vec<PairedStation>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT public_key, label, paired_at FROM stations ORDER BY label, public_key",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PairedStation {
                public_key: r.get(0)?,
                label: r.get(1)?,
                paired_at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairings_outlive_the_connection_and_can_be_removed() {
        let dir = tempfile::tempdir().unwrap();
        {
            let lab = Lab::open(dir.path()).unwrap();
            lab.pair("aa", "PC-01", "2026-12-05T08:00:00Z").unwrap();
            lab.pair("bb", "PC-02", "2026-12-05T08:01:00Z").unwrap();
            lab.pair("aa", "PC-01 (fond)", "2026-12-05T09:00:00Z")
                .unwrap();
        }
        let lab = Lab::open(dir.path()).unwrap();
        let s = lab.stations().unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].label, "PC-01 (fond)");
        assert_eq!(s[0].paired_at, "2026-12-05T08:00:00Z");
        assert!(lab.remove("aa").unwrap());
        assert!(!lab.remove("aa").unwrap());
        assert_eq!(lab.stations().unwrap().len(), 1);
    }
}
