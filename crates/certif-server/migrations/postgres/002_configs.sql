-- Engine configurations an administrator added (see the SQLite migration of the same number).
CREATE TABLE configs (
    id       TEXT PRIMARY KEY,
    config   TEXT NOT NULL,
    added_at TEXT NOT NULL
);
