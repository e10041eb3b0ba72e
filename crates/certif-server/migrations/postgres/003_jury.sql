-- The jury, candidate by candidate (see the SQLite migration of the same number).
CREATE TABLE jury_members (
    name         TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    added_at     TEXT NOT NULL,
    removed_at   TEXT
);

CREATE TABLE jury_acts (
    id           BIGSERIAL PRIMARY KEY,
    bundle_id    TEXT NOT NULL REFERENCES bundles(bundle_id),
    candidate_id BIGINT,
    kind         TEXT NOT NULL CHECK (kind IN
                   ('validate', 'reject', 'cancel', 'neutralize', 'restore')),
    item_id      TEXT,
    reason       TEXT NOT NULL,
    member       TEXT NOT NULL REFERENCES jury_members(name),
    at           TEXT NOT NULL
);

CREATE INDEX jury_acts_by_bundle ON jury_acts (bundle_id, id);
