-- Engine configurations an administrator added: a journal names the one it ran under by id
-- (SHA-256 of its canonical JSON), and is scored only under a configuration known here (or the
-- engine's default).
CREATE TABLE configs (
    id       TEXT PRIMARY KEY,
    config   TEXT NOT NULL,
    added_at TEXT NOT NULL
) STRICT;
