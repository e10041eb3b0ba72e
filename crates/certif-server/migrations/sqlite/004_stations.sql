-- The lab PCs a centre's console declared before exam day (crates/protocol/src/stations.rs): a
-- station key belongs to one centre, and registered_at is the service's own clock when it first
-- saw the key. A test signed by a station declared after the test began, or never, goes to the
-- jury.
CREATE TABLE stations (
    public_key    TEXT PRIMARY KEY,
    uai           TEXT NOT NULL REFERENCES centres (uai),
    label         TEXT NOT NULL,
    console_key   TEXT NOT NULL,
    registered_at TEXT NOT NULL
) STRICT;
CREATE INDEX stations_by_centre ON stations (uai);
