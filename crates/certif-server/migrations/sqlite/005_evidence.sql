-- A bundle's bytes are stored compressed (Zstandard, `evidence.rs`): SQLite wrote each 460 KB
-- bundle twice, into the WAL and then into the database. Rows stored before keep their bytes as
-- received, which `raw` says.
ALTER TABLE bundles ADD COLUMN bytes_encoding TEXT NOT NULL DEFAULT 'raw'
    CHECK (bytes_encoding IN ('raw', 'zstd'));
