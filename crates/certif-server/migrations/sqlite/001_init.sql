-- certif-server schema, version 1 (SQLite). Append-only: never edit a shipped migration, add the
-- next file and list it in src/store/sqlite.rs.

CREATE TABLE centres (
    uai          TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,   -- the centre token is shown once; only its hash is kept
    enrolled_at  TEXT NOT NULL
) STRICT;

CREATE TABLE consoles (
    public_key    TEXT PRIMARY KEY NOT NULL,  -- lower-case hex, 64 digits
    uai           TEXT NOT NULL REFERENCES centres(uai),
    registered_at TEXT NOT NULL,
    revoked_at    TEXT
) STRICT;

CREATE TABLE banks (
    content_hash  TEXT PRIMARY KEY NOT NULL,  -- Bank::content_hash(): what journals name
    pack_hash     TEXT NOT NULL,
    pack          BLOB NOT NULL,              -- the signed, encrypted pack as uploaded
    key_kind      TEXT NOT NULL CHECK (key_kind IN ('passphrase', 'session')),
    key_secret    TEXT NOT NULL,
    publisher_key TEXT NOT NULL,
    bank_id       TEXT NOT NULL,
    bank_version  TEXT NOT NULL,
    items         INTEGER NOT NULL,
    added_at      TEXT NOT NULL
) STRICT;

CREATE TABLE bundles (
    bundle_id      TEXT PRIMARY KEY NOT NULL,
    content_sha256 TEXT NOT NULL UNIQUE,
    uai            TEXT NOT NULL REFERENCES centres(uai),
    centre_name    TEXT NOT NULL,
    session_number INTEGER NOT NULL,
    session_date   TEXT NOT NULL,
    finalized_at   TEXT NOT NULL,
    comment        TEXT NOT NULL,
    console_key    TEXT NOT NULL,
    bank_hash      TEXT NOT NULL,
    engine_version TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN
                     ('published', 'pending_jury', 'validated', 'rejected', 'cancelled', 'superseded')),
    flags          TEXT NOT NULL,             -- JSON array of jury flags
    superseded_by  TEXT,
    jury_decision  TEXT,
    jury_comment   TEXT,
    decided_at     TEXT,
    receipt        TEXT NOT NULL,             -- the exact receipt JSON, returned again for duplicates
    bytes          BLOB NOT NULL,             -- the bundle itself: the evidence
    UNIQUE (bundle_id, content_sha256)
) STRICT;

-- One live version per session: a correction supersedes, it never overwrites.
CREATE UNIQUE INDEX bundles_one_live_version ON bundles (uai, session_number)
    WHERE status <> 'superseded';
CREATE INDEX bundles_by_status ON bundles (status);

CREATE TABLE results (
    bundle_id    TEXT NOT NULL REFERENCES bundles(bundle_id),
    candidate_id INTEGER NOT NULL,
    status       TEXT NOT NULL,
    data         TEXT NOT NULL,               -- JSON of model::CandidateRow
    PRIMARY KEY (bundle_id, candidate_id)
) STRICT;

CREATE TABLE certifications (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL,
    bundle_id    TEXT NOT NULL REFERENCES bundles(bundle_id),
    candidate_id INTEGER NOT NULL,
    first_name   TEXT NOT NULL,
    last_name    TEXT NOT NULL,
    birthdate    TEXT NOT NULL,
    issued       TEXT NOT NULL,
    pix          INTEGER NOT NULL,
    pix_max      INTEGER NOT NULL,
    global_level INTEGER NOT NULL,
    levels       TEXT NOT NULL,               -- 16 digits, framework order
    qr_text      TEXT,
    status       TEXT NOT NULL CHECK (status IN ('valid', 'superseded')),
    published_at TEXT NOT NULL,
    UNIQUE (bundle_id, candidate_id)
) STRICT;

-- A verification code names one certification, ever.
CREATE UNIQUE INDEX certifications_code ON certifications (code);
