-- A bundle's bytes are stored compressed (Zstandard, `evidence.rs`), as on SQLite: about half the
-- size LZ4 reached, and no compression left for the database's CPU. Rows stored before keep
-- their bytes as received (`raw`, compressed by PostgreSQL as migration 5 says). New rows are
-- not compressed again: EXTERNAL keeps them out of line, as they are.
ALTER TABLE bundles ADD COLUMN bytes_encoding TEXT NOT NULL DEFAULT 'raw'
    CHECK (bytes_encoding IN ('raw', 'zstd'));
ALTER TABLE bundles ALTER COLUMN bytes SET STORAGE EXTERNAL;
