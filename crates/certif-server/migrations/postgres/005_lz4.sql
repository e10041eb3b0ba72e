-- A bundle's bytes (about 450 KB of journals) and each candidate's result row are compressed when
-- stored. pglz, PostgreSQL's default, took 45 % of the database's CPU while bundles were ingested
-- (BENCHMARKS.md, "Stores side by side, LZ4, …"); LZ4 does that work several times faster. Rows
-- already stored keep pglz, which PostgreSQL still reads. A server built without LZ4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE bundles ALTER COLUMN bytes SET COMPRESSION lz4;
    ALTER TABLE results ALTER COLUMN data SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'LZ4 is not available on this server: pglz kept';
END
$$;
