-- The jury, candidate by candidate (facts §7): named members, each with a credential of their
-- own (only its hash is kept), and every act they make, kept for ever with who and when.
-- Results rows carry the decision's effect; this log is the account of how they got there.
CREATE TABLE jury_members (
    name         TEXT PRIMARY KEY NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    added_at     TEXT NOT NULL,
    removed_at   TEXT
) STRICT;

CREATE TABLE jury_acts (
    id           INTEGER PRIMARY KEY,
    bundle_id    TEXT NOT NULL REFERENCES bundles(bundle_id),
    candidate_id INTEGER,                    -- NULL: the whole session
    kind         TEXT NOT NULL CHECK (kind IN
                   ('validate', 'reject', 'cancel', 'neutralize', 'restore')),
    item_id      TEXT,
    reason       TEXT NOT NULL,
    member       TEXT NOT NULL REFERENCES jury_members(name),
    at           TEXT NOT NULL
) STRICT;

CREATE INDEX jury_acts_by_bundle ON jury_acts (bundle_id, id);
