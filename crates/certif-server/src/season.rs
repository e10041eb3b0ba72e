//! A season of results, generated: what the central service holds in June once every centre has
//! sat its sessions. The growth benchmark (`certif-server bench --season N`) fills a database
//! with it before measuring, so that ingest and verification are timed against a database of
//! that size.
//!
//! Rows are generated, not replayed: each seeded session copies one real session's candidate
//! rows (ingested through the service first) under new names, and each of its certifications
//! gets a code drawn and a QR text signed as the service does, so the tables, their indexes and
//! the rows' sizes are those of real publications. The evidence itself is not repeated: every
//! seeded session stores the same small placeholder instead of its bundle, which keeps 100,000
//! sessions within 15 GB (14 on SQLite, 6 on PostgreSQL; a real season adds about one compressed
//! bundle per session, 55 KB, in blobs no ingest or verification reads).

use std::collections::HashSet;
use std::path::Path;

use rusqlite::params;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use crate::bench::BenchError;
use crate::model::CandidateRow;
use crate::service::uai_for;
use crate::signer::Signer;
use crate::store::{draw, levels_text, Drawn};

/// Sessions per centre in a season: a collège's (about 600 pupils in sessions of 30).
pub const SESSIONS_PER_CENTRE: u64 = 20;
/// Sessions generated, then written, at a time.
const BATCH: u64 = 1_000;
/// What every seeded session stores in place of its bundle.
const PLACEHOLDER: &[u8] = b"certroom-season-seed";
/// Codes kept for the verification load: enough that it reads all over the table.
const SAMPLE_CODES: usize = 5_000;

const FIRST_NAMES: [&str; 12] = [
    "Zoé", "Lucas", "Inès", "Mathis", "Léa", "Noah", "Chloé", "Adam", "Maëlys", "Sacha", "Jade",
    "Hugo",
];
const LAST_NAMES: [&str; 12] = [
    "Martin", "Bernard", "Dubois", "Nguyen", "Moreau", "Laurent", "Garcia", "Benali", "Roux",
    "Fontaine", "Lefèvre", "Diallo",
];

/// One real session's rows, and what every seeded session's bundle row says.
pub struct Season {
    pub rows: Vec<CandidateRow>,
    pub console_key: String,
    pub bank_hash: String,
    pub engine_version: String,
}

/// What a seeding did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Seeded {
    pub sessions: u64,
    pub centres: u64,
    pub certifications: u64,
    pub seconds: f64,
    /// Tables and indexes (SQLite: the database file and its WAL).
    pub database_mb: f64,
    /// Some of the seeded codes, for the verification load.
    #[serde(skip)]
    pub sample_codes: Vec<String>,
}

/// How the seeded sessions fall into centres.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub sessions: u64,
    pub per_centre: u64,
    /// The first centre's number: two layouts with numbers far apart share no UAI.
    pub first_centre: u32,
}

impl Layout {
    /// A national season: collèges of [`SESSIONS_PER_CENTRE`] sessions.
    pub fn season(sessions: u64) -> Self {
        Layout {
            sessions,
            per_centre: SESSIONS_PER_CENTRE,
            first_centre: 2_000_000,
        }
    }

    fn centres(&self) -> u64 {
        self.sessions.div_ceil(self.per_centre.max(1)).max(1)
    }

    /// The UAI of centre `c` of the layout.
    pub fn uai(&self, c: u64) -> String {
        uai_for(self.first_centre.wrapping_add(c as u32))
    }
}

/// The token a seeded centre signs in with (it has to be known to download its results).
pub fn centre_token(uai: &str) -> String {
    format!("saison-{uai}")
}

/// A centre of the season.
struct CentreRow {
    uai: String,
    name: String,
    token_sha256: String,
}

/// One seeded session, as its rows are written.
struct SessionRows {
    bundle_id: String,
    content_sha256: String,
    uai: String,
    centre_name: String,
    number: i64,
    date: String,
    at: String,
    receipt: String,
    results: Vec<(i64, &'static str, String)>,
    certifications: Vec<Drawn>,
}

fn centre_name(uai: &str) -> String {
    format!("Collège de la saison {uai}")
}

fn centre(layout: &Layout, c: u64) -> CentreRow {
    let uai = layout.uai(c);
    CentreRow {
        name: centre_name(&uai),
        token_sha256: crate::service::token_hash(&centre_token(&uai)),
        uai,
    }
}

impl Season {
    /// Session `i` of the season, its codes not yet checked against the others.
    fn session(&self, signer: &Signer, i: u64, layout: &Layout) -> Result<SessionRows, BenchError> {
        let centres = layout.centres();
        let c = i % centres;
        let number = (1 + i / centres) as i64;
        let uai = layout.uai(c);
        let id = [uai.as_bytes(), &i.to_le_bytes()].concat();
        let digest = certroom_core::Hash::of(&[b"season-bundle\0", &id]).to_hex();
        let bundle_id = format!("S{}", &digest[..31]);
        let content_sha256 = certroom_core::Hash::of(&[b"season-content\0", &id]).to_hex();
        // A season runs from March to June: spread the sessions over its school days.
        let day = chrono::NaiveDate::from_ymd_opt(2027, 3, 1)
            .and_then(|d| d.checked_add_days(chrono::Days::new(i % 110)))
            .map(|d| d.to_string())
            .unwrap_or_else(|| "2027-03-01".into());
        let at = format!("{day}T16:{:02}:{:02}.000Z", i % 60, (i / 60) % 60);
        let rows: Vec<CandidateRow> = self
            .rows
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let n = i as usize * 7 + k;
                CandidateRow {
                    first_name: FIRST_NAMES[n % FIRST_NAMES.len()].into(),
                    birth_name: LAST_NAMES[(n / FIRST_NAMES.len()) % LAST_NAMES.len()].into(),
                    test_id: r.test_id.as_ref().map(|_| format!("T-{i}-{k}")),
                    ..r.clone()
                }
            })
            .collect();
        let results = rows
            .iter()
            .map(|r| Ok((r.candidate_id, r.status.as_str(), serde_json::to_string(r)?)))
            .collect::<Result<Vec<_>, serde_json::Error>>()
            .map_err(|e| BenchError::Other(e.to_string()))?;
        let certifications = draw(signer, &rows, &day);
        let receipt = signer.sign_receipt(&bundle_id, &content_sha256, &at, "published");
        Ok(SessionRows {
            receipt: serde_json::to_string(&receipt)
                .map_err(|e| BenchError::Other(e.to_string()))?,
            bundle_id,
            content_sha256,
            centre_name: centre_name(&uai),
            uai,
            number,
            date: day,
            at,
            results,
            certifications,
        })
    }

    /// The layout's sessions, [`BATCH`] at a time: what each backend writes in one transaction.
    /// `stored`: the codes the database already holds (the session ingested before seeding), so
    /// that no seeded code takes one of them.
    fn batches<'a>(
        &'a self,
        signer: &'a Signer,
        layout: &'a Layout,
        stored: HashSet<String>,
    ) -> impl Iterator<Item = Result<Vec<SessionRows>, BenchError>> + 'a {
        let mut given = stored;
        (0..layout.sessions.div_ceil(BATCH)).map(move |b| {
            let from = b * BATCH;
            self.batch(
                signer,
                from..(from + BATCH).min(layout.sessions),
                layout,
                &mut given,
            )
        })
    }

    /// Sessions `range`, generated on every core; a code already given in the season is drawn
    /// again, as the service does on a taken code.
    fn batch(
        &self,
        signer: &Signer,
        range: std::ops::Range<u64>,
        layout: &Layout,
        given: &mut HashSet<String>,
    ) -> Result<Vec<SessionRows>, BenchError> {
        let cores = crate::cores() as u64;
        let per = (range.end - range.start).div_ceil(cores).max(1);
        let parts: Vec<Result<Vec<SessionRows>, BenchError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..cores)
                .map(|t| {
                    let from = range.start + t * per;
                    let to = (from + per).min(range.end);
                    s.spawn(move || {
                        (from..to)
                            .map(|i| self.session(signer, i, layout))
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(BenchError::Other("seeding thread failed".into())))
                })
                .collect()
        });
        let mut out = Vec::with_capacity((range.end - range.start) as usize);
        for part in parts {
            out.extend(part?);
        }
        for session in &mut out {
            for c in &mut session.certifications {
                while !given.insert(c.first.code.clone()) {
                    c.first = signer.issue(&c.draft);
                }
            }
        }
        Ok(out)
    }
}

/// Keeps one code in `every` for the verification load.
fn sample(seeded: &mut Seeded, batch: &[SessionRows], every: u64) {
    for s in batch {
        for c in &s.certifications {
            seeded.certifications += 1;
            if seeded.certifications.is_multiple_of(every)
                && seeded.sample_codes.len() < SAMPLE_CODES
            {
                seeded.sample_codes.push(c.first.code.clone());
            }
        }
    }
}

fn sample_every(season: &Season, layout: &Layout) -> u64 {
    (layout.sessions * season.rows.len() as u64 / SAMPLE_CODES as u64).max(1)
}

pub(crate) fn sqlite_error(e: rusqlite::Error) -> BenchError {
    BenchError::Other(format!("SQLite : {e}"))
}

/// Fills the SQLite database at `path` (already migrated) with the layout's published sessions.
pub fn seed_sqlite(
    path: &Path,
    season: &Season,
    signer: &Signer,
    layout: Layout,
) -> Result<Seeded, BenchError> {
    let sessions = layout.sessions;
    let started = std::time::Instant::now();
    let mut conn = rusqlite::Connection::open(path).map_err(sqlite_error)?;
    // Seeding is set-up, not a publication: nothing here needs to survive a power cut.
    conn.pragma_update(None, "synchronous", "OFF")
        .map_err(sqlite_error)?;
    conn.pragma_update(None, "cache_size", -262_144)
        .map_err(sqlite_error)?;
    let centres = layout.centres();
    let mut seeded = Seeded {
        sessions,
        centres,
        ..Seeded::default()
    };
    let every = sample_every(season, &layout);
    let tx = conn.transaction().map_err(sqlite_error)?;
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO centres (uai, name, token_sha256, enrolled_at) \
                 VALUES (?1, ?2, ?3, '2026-09-01T08:00:00.000Z')",
            )
            .map_err(sqlite_error)?;
        for c in 0..centres {
            let row = centre(&layout, c);
            insert
                .execute(params![row.uai, row.name, row.token_sha256])
                .map_err(sqlite_error)?;
        }
    }
    tx.commit().map_err(sqlite_error)?;
    let stored = conn
        .prepare("SELECT code FROM certifications")
        .and_then(|mut q| q.query_map([], |r| r.get(0))?.collect())
        .map_err(sqlite_error)?;
    for batch in season.batches(signer, &layout, stored) {
        let batch = batch?;
        let tx = conn.transaction().map_err(sqlite_error)?;
        {
            let mut bundle = tx
                .prepare(
                    "INSERT INTO bundles (bundle_id, content_sha256, uai, centre_name, \
                     session_number, session_date, finalized_at, comment, console_key, bank_hash, \
                     engine_version, received_at, status, flags, receipt, bytes) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '', ?8, ?9, ?10, ?7, 'published', '[]', \
                     ?11, ?12)",
                )
                .map_err(sqlite_error)?;
            let mut result = tx
                .prepare(
                    "INSERT INTO results (bundle_id, candidate_id, status, data) \
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(sqlite_error)?;
            let mut certification = tx
                .prepare(
                    "INSERT INTO certifications (code, bundle_id, candidate_id, first_name, \
                     last_name, birthdate, issued, pix, pix_max, global_level, levels, qr_text, \
                     status, published_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'valid', ?13)",
                )
                .map_err(sqlite_error)?;
            for s in &batch {
                bundle
                    .execute(params![
                        s.bundle_id,
                        s.content_sha256,
                        s.uai,
                        s.centre_name,
                        s.number,
                        s.date,
                        s.at,
                        season.console_key,
                        season.bank_hash,
                        season.engine_version,
                        s.receipt,
                        PLACEHOLDER,
                    ])
                    .map_err(sqlite_error)?;
                for (id, status, data) in &s.results {
                    result
                        .execute(params![s.bundle_id, id, status, data])
                        .map_err(sqlite_error)?;
                }
                for Drawn {
                    candidate_id: id,
                    draft: d,
                    first: issued,
                } in &s.certifications
                {
                    certification
                        .execute(params![
                            issued.code,
                            s.bundle_id,
                            id,
                            d.first_name,
                            d.last_name,
                            d.birthdate,
                            d.issued,
                            d.pix,
                            d.pix_max,
                            d.global_level,
                            levels_text(&d.levels),
                            issued.qr_text,
                            s.at,
                        ])
                        .map_err(sqlite_error)?;
                }
            }
        }
        tx.commit().map_err(sqlite_error)?;
        sample(&mut seeded, &batch, every);
    }
    conn.execute_batch("ANALYZE").map_err(sqlite_error)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(sqlite_error)?;
    drop(conn);
    // Written with synchronous=OFF, the season is still in the page cache: flushed now, or the
    // measured ingest's first fsync would write it all back.
    std::fs::File::open(path)?.sync_all()?;
    seeded.database_mb = file_mb(path);
    seeded.seconds = started.elapsed().as_secs_f64();
    Ok(seeded)
}

/// The database file and its WAL, in MB.
pub fn file_mb(path: &Path) -> f64 {
    let wal = path.with_extension("db-wal");
    [path, wal.as_path()]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len() as f64)
        .sum::<f64>()
        / 1e6
}

fn pg_error(e: tokio_postgres::Error) -> BenchError {
    BenchError::Other(format!("PostgreSQL : {e}"))
}

/// Rows into `table (columns)` with `COPY … FROM STDIN BINARY`: the bulk path PostgreSQL has.
async fn copy_rows(
    client: &tokio_postgres::Client,
    table: &str,
    columns: &str,
    types: &[Type],
    rows: impl Iterator<Item = Vec<Box<dyn ToSql + Sync + Send>>>,
) -> Result<(), BenchError> {
    let sink = client
        .copy_in(&format!("COPY {table} ({columns}) FROM STDIN BINARY"))
        .await
        .map_err(pg_error)?;
    let writer = BinaryCopyInWriter::new(sink, types);
    let mut writer = std::pin::pin!(writer);
    for row in rows {
        let refs: Vec<&(dyn ToSql + Sync)> = row
            .iter()
            .map(|v| v.as_ref() as &(dyn ToSql + Sync))
            .collect();
        writer.as_mut().write(&refs).await.map_err(pg_error)?;
    }
    writer.finish().await.map_err(pg_error)?;
    Ok(())
}

type Row = Vec<Box<dyn ToSql + Sync + Send>>;

/// Fills the PostgreSQL schema `schema` (already migrated) at `url` with the layout's published
/// sessions.
pub async fn seed_postgres(
    url: &str,
    schema: &str,
    season: &Season,
    signer: &Signer,
    layout: Layout,
) -> Result<Seeded, BenchError> {
    let sessions = layout.sessions;
    let started = std::time::Instant::now();
    let (client, connection) = tokio_postgres::connect(
        &crate::bench::schema_url(url, schema),
        tokio_postgres::NoTls,
    )
    .await
    .map_err(pg_error)?;
    let task = tokio::spawn(connection);
    // Seeding is set-up, not a publication: its commits need not wait for the disk.
    client
        .batch_execute("SET synchronous_commit = off")
        .await
        .map_err(pg_error)?;
    let centres = layout.centres();
    let mut seeded = Seeded {
        sessions,
        centres,
        ..Seeded::default()
    };
    copy_rows(
        &client,
        "centres",
        "uai, name, token_sha256, enrolled_at",
        &[Type::TEXT, Type::TEXT, Type::TEXT, Type::TEXT],
        (0..centres).map(|c| {
            let row = centre(&layout, c);
            let r: Row = vec![
                Box::new(row.uai),
                Box::new(row.name),
                Box::new(row.token_sha256),
                Box::new("2026-09-01T08:00:00.000Z"),
            ];
            r
        }),
    )
    .await?;
    let every = sample_every(season, &layout);
    let stored = client
        .query("SELECT code FROM certifications", &[])
        .await
        .map_err(pg_error)?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(pg_error)?;
    for batch in season.batches(signer, &layout, stored) {
        let batch = batch?;
        client.batch_execute("BEGIN").await.map_err(pg_error)?;
        copy_rows(
            &client,
            "bundles",
            "bundle_id, content_sha256, uai, centre_name, session_number, session_date, \
             finalized_at, comment, console_key, bank_hash, engine_version, received_at, status, \
             flags, receipt, bytes",
            &[
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::BYTEA,
            ],
            batch.iter().map(|s| {
                let r: Row = vec![
                    Box::new(s.bundle_id.clone()),
                    Box::new(s.content_sha256.clone()),
                    Box::new(s.uai.clone()),
                    Box::new(s.centre_name.clone()),
                    Box::new(s.number),
                    Box::new(s.date.clone()),
                    Box::new(s.at.clone()),
                    Box::new(""),
                    Box::new(season.console_key.clone()),
                    Box::new(season.bank_hash.clone()),
                    Box::new(season.engine_version.clone()),
                    Box::new(s.at.clone()),
                    Box::new("published"),
                    Box::new("[]"),
                    Box::new(s.receipt.clone()),
                    Box::new(PLACEHOLDER),
                ];
                r
            }),
        )
        .await?;
        copy_rows(
            &client,
            "results",
            "bundle_id, candidate_id, status, data",
            &[Type::TEXT, Type::INT8, Type::TEXT, Type::TEXT],
            batch.iter().flat_map(|s| {
                s.results.iter().map(|(id, status, data)| {
                    let r: Row = vec![
                        Box::new(s.bundle_id.clone()),
                        Box::new(*id),
                        Box::new(*status),
                        Box::new(data.clone()),
                    ];
                    r
                })
            }),
        )
        .await?;
        let mut certifications = Vec::new();
        for s in &batch {
            for Drawn {
                candidate_id: id,
                draft: d,
                first: issued,
            } in &s.certifications
            {
                let r: Row = vec![
                    Box::new(issued.code.clone()),
                    Box::new(s.bundle_id.clone()),
                    Box::new(*id),
                    Box::new(d.first_name.clone()),
                    Box::new(d.last_name.clone()),
                    Box::new(d.birthdate.clone()),
                    Box::new(d.issued.clone()),
                    Box::new(i32::try_from(d.pix).unwrap_or(i32::MAX)),
                    Box::new(i32::try_from(d.pix_max).unwrap_or(i32::MAX)),
                    Box::new(i32::from(d.global_level)),
                    Box::new(levels_text(&d.levels)),
                    Box::new(issued.qr_text.clone()),
                    Box::new("valid"),
                    Box::new(s.at.clone()),
                ];
                certifications.push(r);
            }
        }
        copy_rows(
            &client,
            "certifications",
            "code, bundle_id, candidate_id, first_name, last_name, birthdate, issued, pix, \
             pix_max, global_level, levels, qr_text, status, published_at",
            &[
                Type::TEXT,
                Type::TEXT,
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::INT4,
                Type::INT4,
                Type::INT4,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
            ],
            certifications.into_iter(),
        )
        .await?;
        client.batch_execute("COMMIT").await.map_err(pg_error)?;
        sample(&mut seeded, &batch, every);
    }
    // A season's tables have been vacuumed many times by June. Freshly copied, their inserts
    // pass autovacuum's threshold, and its first pass (hint bits on every page, the visibility
    // map) would run during the measures on the same two cores.
    client
        .batch_execute("VACUUM (ANALYZE) centres, bundles, results, certifications")
        .await
        .map_err(pg_error)?;
    // The seeded pages written back now, not by the checkpointer during the measures (needs
    // pg_checkpoint, which scripts/start-postgres grants to its role).
    client
        .batch_execute("CHECKPOINT")
        .await
        .map_err(|e| BenchError::Other(format!("PostgreSQL : CHECKPOINT after seeding : {e}")))?;
    let bytes: i64 = client
        .query_one(
            "SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relkind = 'r'",
            &[&schema],
        )
        .await
        .map_err(pg_error)?
        .try_get(0)
        .map_err(pg_error)?;
    drop(client);
    let _ = task.await;
    seeded.database_mb = bytes as f64 / 1e6;
    seeded.seconds = started.elapsed().as_secs_f64();
    Ok(seeded)
}
