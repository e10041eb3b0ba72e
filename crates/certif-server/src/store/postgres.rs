//! The PostgreSQL backend (`--database postgres://…`): tokio-postgres behind a deadpool pool.
//! Ingests of one session are serialised by a transaction advisory lock on the centre and session
//! number, so two uploads of versions of the same session (or of the same bundle, on two servers)
//! decide "which is live" one after the other; the partial unique index is the backstop. Ingests
//! of different sessions of a centre run side by side: they share the centre's row (`FOR SHARE`),
//! which the centre's console changes and jury decisions lock for themselves (`FOR UPDATE`).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use super::sqlite::{key_kind_str, parse_key_kind};
use super::{
    candidate_from_json, draw, levels_text, no_free_code, not_pending, parse_act, parse_levels,
    parse_status, place, receipt_from_json, restored_status, Drawn, IngestContext, Placement,
    Store,
};
use crate::error::StoreError;
use crate::evidence::Evidence;
use crate::model::{
    parse_session_id, BankRow, CandidateResult, CandidateRow, Centre, CertificateDraft,
    Certification, ConsoleKey, Decision, JuryAct, JuryCase, JuryMember, NewBundle, Receipt,
    RegisteredStation, SessionResults, SessionStatus, Stored,
};
use crate::signer::Signer;

/// (version, SQL). Append-only: never edit a shipped migration, add the next.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../../migrations/postgres/001_init.sql")),
    (2, include_str!("../../migrations/postgres/002_configs.sql")),
    (3, include_str!("../../migrations/postgres/003_jury.sql")),
    (
        4,
        include_str!("../../migrations/postgres/004_stations.sql"),
    ),
    (5, include_str!("../../migrations/postgres/005_lz4.sql")),
    (
        6,
        include_str!("../../migrations/postgres/006_evidence.sql"),
    ),
];

/// Any fixed number: the advisory lock that keeps two starting servers from migrating at once.
const MIGRATION_LOCK: i64 = 0x6365_7274_6966;

const POOL_SIZE: usize = 16;

pub struct PgStore {
    pool: Pool,
}

fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// Schema names are spliced into SQL, so only plain identifiers pass.
fn schema_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
}

fn to_i32(v: u32) -> Result<i32, StoreError> {
    i32::try_from(v).map_err(|_| StoreError::State(format!("{v} out of range")))
}

fn to_u32(v: i32) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{v} out of range")))
}

impl PgStore {
    /// Connects, creates `schema` if given, and migrates to the latest version.
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        let mut cfg = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Backend(format!("invalid PostgreSQL URL: {e}")))?;
        if let Some(s) = schema {
            if !schema_ok(s) {
                return Err(StoreError::Backend(format!("invalid schema name {s:?}")));
            }
            let (client, conn) = cfg.connect(NoTls).await?;
            let task = tokio::spawn(conn);
            client
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {s}"))
                .await?;
            drop(client);
            let _ = task.await;
            cfg.options(format!("-c search_path={s}"));
        }
        let mgr = Manager::from_config(
            cfg,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(mgr)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let store = PgStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS certif_migrations (\
             version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
        )
        .await?;
        let applied: Vec<i32> = tx
            .query("SELECT version FROM certif_migrations", &[])
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        let latest = MIGRATIONS.last().map_or(0, |m| m.0);
        if let Some(v) = applied.iter().find(|v| **v > latest) {
            return Err(StoreError::Migration(format!(
                "database is at version {v}, newer than this server ({latest})"
            )));
        }
        for (version, sql) in MIGRATIONS {
            if applied.contains(version) {
                continue;
            }
            tx.batch_execute(sql)
                .await
                .map_err(|e| StoreError::Migration(format!("{version}: {e}")))?;
            tx.execute(
                "INSERT INTO certif_migrations (version, applied_at) VALUES ($1, $2)",
                &[version, &crate::now()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Publishes the certifications of `candidates` in one statement per round: every draft gets a
/// code; those whose code was taken (`ON CONFLICT (code) DO NOTHING` stores nothing, also
/// between two drafts of the same round) draw again in the next round, at most
/// [`CODE_ATTEMPTS`](super::CODE_ATTEMPTS) rounds, as `code_draws` bounds the SQLite backend.
/// One round trip for a session instead of one per candidate: the store was the PostgreSQL
/// ingest's largest stage.
async fn publish(
    tx: &impl GenericClient,
    bundle_id: &str,
    certificates: Vec<Drawn>,
    signer: &Signer,
    at: &str,
) -> Result<(), StoreError> {
    let insert = tx
        .prepare_cached(
            "INSERT INTO certifications (code, bundle_id, candidate_id, first_name, last_name, \
             birthdate, issued, pix, pix_max, global_level, levels, qr_text, status, published_at) \
             SELECT code, $1, candidate_id, first_name, last_name, birthdate, issued, pix, \
             pix_max, global_level, levels, qr_text, 'valid', $2 \
             FROM UNNEST($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], \
             $8::text[], $9::int4[], $10::int4[], $11::int4[], $12::text[], $13::text[]) \
             AS t(code, candidate_id, first_name, last_name, birthdate, issued, pix, pix_max, \
             global_level, levels, qr_text) \
             ON CONFLICT (code) DO NOTHING RETURNING candidate_id",
        )
        .await?;
    let mut pending = certificates;
    for round in 0..super::CODE_ATTEMPTS {
        if pending.is_empty() {
            return Ok(());
        }
        // The first round stores the codes drawn ahead; a taken one is drawn again.
        if round > 0 {
            for c in &mut pending {
                c.first = signer.issue(&c.draft);
            }
        }
        let column = |f: fn(&CertificateDraft) -> String| -> Vec<String> {
            pending.iter().map(|c| f(&c.draft)).collect()
        };
        let number = |f: fn(&CertificateDraft) -> u32| -> Result<Vec<i32>, StoreError> {
            pending.iter().map(|c| to_i32(f(&c.draft))).collect()
        };
        let codes: Vec<&str> = pending.iter().map(|c| c.first.code.as_str()).collect();
        let qr_texts: Vec<Option<&str>> =
            pending.iter().map(|c| c.first.qr_text.as_deref()).collect();
        let ids: Vec<i64> = pending.iter().map(|c| c.candidate_id).collect();
        let stored: std::collections::HashSet<i64> = tx
            .query(
                &insert,
                &[
                    &bundle_id,
                    &at,
                    &codes,
                    &ids,
                    &column(|d| d.first_name.clone()),
                    &column(|d| d.last_name.clone()),
                    &column(|d| d.birthdate.clone()),
                    &column(|d| d.issued.clone()),
                    &number(|d| d.pix)?,
                    &number(|d| d.pix_max)?,
                    &number(|d| u32::from(d.global_level))?,
                    &column(|d| levels_text(&d.levels)),
                    &qr_texts,
                ],
            )
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        pending.retain(|c| !stored.contains(&c.candidate_id));
    }
    if pending.is_empty() {
        Ok(())
    } else {
        Err(no_free_code())
    }
}

async fn load_candidates(
    c: &impl GenericClient,
    bundle_id: &str,
) -> Result<Vec<CandidateRow>, StoreError> {
    c.query(
        "SELECT data FROM results WHERE bundle_id = $1 ORDER BY candidate_id",
        &[&bundle_id],
    )
    .await?
    .iter()
    .map(|r| candidate_from_json(r.try_get(0)?))
    .collect()
}

async fn insert_act(c: &impl GenericClient, a: &JuryAct) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO jury_acts (bundle_id, candidate_id, kind, item_id, reason, member, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &a.bundle_id,
            &a.candidate_id,
            &a.kind.as_str(),
            &a.item_id,
            &a.reason,
            &a.member,
            &a.at,
        ],
    )
    .await?;
    Ok(())
}

const CERT_COLUMNS: &str = "code, bundle_id, candidate_id, first_name, last_name, birthdate, \
                            issued, pix, pix_max, global_level, levels, qr_text, status";

fn cert_from_row(r: &Row) -> Result<Certification, StoreError> {
    let global: i32 = r.try_get(9)?;
    Ok(Certification {
        code: r.try_get(0)?,
        bundle_id: r.try_get(1)?,
        candidate_id: r.try_get(2)?,
        draft: CertificateDraft {
            first_name: r.try_get(3)?,
            last_name: r.try_get(4)?,
            birthdate: r.try_get(5)?,
            issued: r.try_get(6)?,
            pix: to_u32(r.try_get(7)?)?,
            pix_max: to_u32(r.try_get(8)?)?,
            global_level: u8::try_from(global)
                .map_err(|_| StoreError::Corrupt(format!("level {global}")))?,
            levels: parse_levels(r.try_get(10)?)?,
        },
        qr_text: r.try_get(11)?,
        status: r.try_get(12)?,
    })
}

/// The rows of one prepared (and cached) statement.
async fn rows(
    client: &deadpool_postgres::Client,
    sql: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, StoreError> {
    Ok(client
        .query(&client.prepare_cached(sql).await?, args)
        .await?)
}

fn centre_from_row(r: &Row) -> Result<Centre, StoreError> {
    Ok(Centre {
        uai: r.try_get(0)?,
        name: r.try_get(1)?,
    })
}

fn station_from_row(r: &Row) -> Result<RegisteredStation, StoreError> {
    Ok(RegisteredStation {
        public_key: r.try_get(0)?,
        label: r.try_get(1)?,
        registered_at: r.try_get(2)?,
    })
}

fn console_from_row(r: &Row) -> Result<ConsoleKey, StoreError> {
    Ok(ConsoleKey {
        uai: r.try_get(0)?,
        public_key: r.try_get(1)?,
        registered_at: r.try_get(2)?,
        revoked_at: r.try_get(3)?,
    })
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn enrol_centre(
        &self,
        centre: &Centre,
        token_sha256: &str,
        at: &str,
    ) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO centres (uai, name, token_sha256, enrolled_at) VALUES ($1, $2, $3, $4)",
                &[&centre.uai, &centre.name, &token_sha256, &at],
            )
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(centre.uai.clone())
                } else {
                    e.into()
                }
            })?;
        Ok(())
    }

    async fn centre(&self, uai: &str) -> Result<Option<Centre>, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                &client
                    .prepare_cached("SELECT uai, name FROM centres WHERE uai = $1")
                    .await?,
                &[&uai],
            )
            .await?;
        row.map(|r| centre_from_row(&r)).transpose()
    }

    async fn centre_for_token(&self, token_sha256: &str) -> Result<Option<String>, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT uai FROM centres WHERE token_sha256 = $1",
                &[&token_sha256],
            )
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    async fn register_console(&self, uai: &str, key_hex: &str, at: &str) -> Result<(), StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        if tx
            .query_opt("SELECT 1 FROM centres WHERE uai = $1 FOR UPDATE", &[&uai])
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound(uai.into()));
        }
        tx.execute(
            "INSERT INTO consoles (public_key, uai, registered_at) VALUES ($1, $2, $3)",
            &[&key_hex, &uai, &at],
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(key_hex.into())
            } else {
                e.into()
            }
        })?;
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_console(
        &self,
        uai: &str,
        key_hex: &str,
        at: &str,
    ) -> Result<ConsoleKey, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "UPDATE consoles SET revoked_at = $3 \
             WHERE public_key = $1 AND uai = $2 AND revoked_at IS NULL",
            &[&key_hex, &uai, &at],
        )
        .await?;
        let row = tx
            .query_opt(
                "SELECT uai, public_key, registered_at, revoked_at FROM consoles \
                 WHERE public_key = $1 AND uai = $2",
                &[&key_hex, &uai],
            )
            .await?
            .ok_or_else(|| StoreError::NotFound(key_hex.into()))?;
        let key = console_from_row(&row)?;
        tx.commit().await?;
        Ok(key)
    }

    async fn console(&self, key_hex: &str) -> Result<Option<ConsoleKey>, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                &client
                    .prepare_cached(
                        "SELECT uai, public_key, registered_at, revoked_at FROM consoles \
                         WHERE public_key = $1",
                    )
                    .await?,
                &[&key_hex],
            )
            .await?;
        row.map(|r| console_from_row(&r)).transpose()
    }

    async fn put_bank(&self, b: &BankRow) -> Result<bool, StoreError> {
        let client = self.pool.get().await?;
        let n = client
            .execute(
                "INSERT INTO banks (content_hash, pack_hash, pack, key_kind, key_secret, \
                 publisher_key, bank_id, bank_version, items, added_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (content_hash) DO NOTHING",
                &[
                    &b.content_hash,
                    &b.pack_hash,
                    &b.pack,
                    &key_kind_str(&b.key_kind),
                    &b.key_secret,
                    &b.publisher_key,
                    &b.bank_id,
                    &b.bank_version,
                    &b.items,
                    &b.added_at,
                ],
            )
            .await?;
        Ok(n == 1)
    }

    async fn add_config(&self, id: &str, json: &str, at: &str) -> Result<bool, StoreError> {
        let client = self.pool.get().await?;
        let n = client
            .execute(
                "INSERT INTO configs (id, config, added_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO NOTHING",
                &[&id, &json, &at],
            )
            .await?;
        Ok(n == 1)
    }

    async fn declare_stations(
        &self,
        uai: &str,
        console_key: &str,
        stations: &[(String, String)],
        at: &str,
    ) -> Result<(), StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        for (key, label) in stations {
            let other = tx
                .query_opt("SELECT uai FROM stations WHERE public_key = $1", &[key])
                .await?
                .map(|r| r.try_get::<_, String>(0))
                .transpose()?;
            if other.is_some_and(|o| o != uai) {
                return Err(StoreError::Conflict(key.clone()));
            }
            tx.execute(
                "INSERT INTO stations (public_key, uai, label, console_key, registered_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (public_key) DO UPDATE SET label = excluded.label",
                &[key, &uai, label, &console_key, &at],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn stations(&self, uai: &str) -> Result<Vec<RegisteredStation>, StoreError> {
        let client = self.pool.get().await?;
        client
            .query(
                &client
                    .prepare_cached(
                        "SELECT public_key, label, registered_at FROM stations WHERE uai = $1 \
                         ORDER BY label, public_key",
                    )
                    .await?,
                &[&uai],
            )
            .await?
            .iter()
            .map(station_from_row)
            .collect()
    }

    async fn configs(&self) -> Result<Vec<(String, String)>, StoreError> {
        let client = self.pool.get().await?;
        client
            .query(
                &client
                    .prepare_cached("SELECT id, config FROM configs ORDER BY id")
                    .await?,
                &[],
            )
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    async fn bank(&self, content_hash: &str) -> Result<Option<BankRow>, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT content_hash, pack_hash, pack, key_kind, key_secret, publisher_key, \
                 bank_id, bank_version, items, added_at FROM banks WHERE content_hash = $1",
                &[&content_hash],
            )
            .await?;
        row.map(|r| {
            Ok(BankRow {
                content_hash: r.try_get(0)?,
                pack_hash: r.try_get(1)?,
                pack: r.try_get(2)?,
                key_kind: parse_key_kind(r.try_get(3)?)?,
                key_secret: r.try_get(4)?,
                publisher_key: r.try_get(5)?,
                bank_id: r.try_get(6)?,
                bank_version: r.try_get(7)?,
                items: r.try_get(8)?,
                added_at: r.try_get(9)?,
            })
        })
        .transpose()
    }

    async fn receipt_by_content(
        &self,
        content_sha256: &str,
    ) -> Result<Option<Receipt>, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                &client
                    .prepare_cached("SELECT receipt FROM bundles WHERE content_sha256 = $1")
                    .await?,
                &[&content_sha256],
            )
            .await?;
        row.map(|r| receipt_from_json(r.try_get(0)?)).transpose()
    }

    async fn ingest_context(
        &self,
        content_sha256: &str,
        console_key_hex: &str,
    ) -> Result<IngestContext, StoreError> {
        let client = self.pool.get().await?;
        // Sent together on one connection (tokio-postgres pipelines concurrent queries): one
        // round trip instead of one per lookup. The centre and stations are the console's.
        let by_hash: [&(dyn ToSql + Sync); 1] = [&content_sha256];
        let by_key: [&(dyn ToSql + Sync); 1] = [&console_key_hex];
        let (receipt, console, centre, stations, configs) = tokio::try_join!(
            rows(
                &client,
                "SELECT receipt FROM bundles WHERE content_sha256 = $1",
                &by_hash
            ),
            rows(
                &client,
                "SELECT uai, public_key, registered_at, revoked_at FROM consoles \
                 WHERE public_key = $1",
                &by_key
            ),
            rows(
                &client,
                "SELECT c.uai, c.name FROM centres c JOIN consoles k ON k.uai = c.uai \
                 WHERE k.public_key = $1",
                &by_key
            ),
            rows(
                &client,
                "SELECT s.public_key, s.label, s.registered_at FROM stations s \
                 JOIN consoles k ON k.uai = s.uai WHERE k.public_key = $1 \
                 ORDER BY s.label, s.public_key",
                &by_key
            ),
            rows(&client, "SELECT id FROM configs ORDER BY id", &[]),
        )?;
        Ok(IngestContext {
            receipt: receipt
                .first()
                .map(|r| receipt_from_json(r.try_get(0)?))
                .transpose()?,
            console: console.first().map(console_from_row).transpose()?,
            centre: centre.first().map(centre_from_row).transpose()?,
            stations: stations
                .iter()
                .map(station_from_row)
                .collect::<Result<_, _>>()?,
            configs: configs
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?,
        })
    }

    async fn bundle_status(&self, bundle_id: &str) -> Result<Option<SessionStatus>, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT status FROM bundles WHERE bundle_id = $1",
                &[&bundle_id],
            )
            .await?;
        row.map(|r| parse_status(r.try_get(0)?)).transpose()
    }

    async fn store_bundle(
        &self,
        mut b: NewBundle,
        signer: Arc<Signer>,
    ) -> Result<Stored, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let centre = tx
            .prepare_cached("SELECT 1 FROM centres WHERE uai = $1 FOR SHARE")
            .await?;
        // A bundle id names its centre and session, so the same bundle on two servers meets here.
        let lock = tx
            .prepare_cached("SELECT pg_advisory_xact_lock(hashtextextended($1, $2))")
            .await?;
        let same_id = tx
            .prepare_cached("SELECT content_sha256, receipt FROM bundles WHERE bundle_id = $1")
            .await?;
        let live = tx
            .prepare_cached(
                "SELECT bundle_id, finalized_at FROM bundles \
                 WHERE uai = $1 AND session_number = $2 AND status <> 'superseded'",
            )
            .await?;
        // Sent together (tokio-postgres pipelines what is polled together): PostgreSQL runs
        // them in this order, so both reads see the session as it is once the lock is held.
        let by_centre: [&(dyn ToSql + Sync); 1] = [&b.uai];
        let by_session: [&(dyn ToSql + Sync); 2] = [&b.uai, &b.session_number];
        let by_id: [&(dyn ToSql + Sync); 1] = [&b.bundle_id];
        let (centre, _, same_id, live) = tokio::try_join!(
            tx.query_opt(&centre, &by_centre),
            tx.execute(&lock, &by_session),
            tx.query_opt(&same_id, &by_id),
            tx.query_opt(&live, &by_session),
        )?;
        if centre.is_none() {
            return Err(StoreError::NotFound(b.uai));
        }
        if let Some(r) = same_id {
            let hash: String = r.try_get(0)?;
            if hash == b.content_sha256 {
                return Ok(Stored {
                    receipt: receipt_from_json(r.try_get(1)?)?,
                    created: false,
                });
            }
            return Err(StoreError::Conflict(b.bundle_id));
        }
        let live = live
            .map(|r| -> Result<(String, String), StoreError> { Ok((r.try_get(0)?, r.try_get(1)?)) })
            .transpose()?;
        let (status, superseded_by) = match place(&mut b, live) {
            Placement::Older { superseded_by } => (SessionStatus::Superseded, Some(superseded_by)),
            Placement::Live { status, supersedes } => {
                // Its certificates stay valid until the jury decides on the new version.
                if let Some(old) = supersedes {
                    tx.execute(
                        &tx.prepare_cached(
                            "UPDATE bundles SET status = 'superseded', superseded_by = $2 \
                             WHERE bundle_id = $1",
                        )
                        .await?,
                        &[&old, &b.bundle_id],
                    )
                    .await?;
                }
                (status, None)
            }
        };
        let receipt = signer.sign_receipt(
            &b.bundle_id,
            &b.content_sha256,
            &b.received_at,
            status.as_str(),
        );
        let receipt_json = serde_json::to_string(&receipt)?;
        let flags = serde_json::to_string(&b.flags)?;
        let insert_bundle = tx
            .prepare_cached(
                "INSERT INTO bundles (bundle_id, content_sha256, uai, centre_name, \
                 session_number, session_date, finalized_at, comment, console_key, bank_hash, \
                 engine_version, received_at, status, flags, superseded_by, receipt, bytes, \
                 bytes_encoding) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                 $16, $17, $18)",
            )
            .await?;
        // One statement for the session's rows, as for its certifications.
        let insert_results = tx
            .prepare_cached(
                "INSERT INTO results (bundle_id, candidate_id, status, data) \
                 SELECT $1, candidate_id, status, data \
                 FROM UNNEST($2::bigint[], $3::text[], $4::text[]) \
                 AS t(candidate_id, status, data)",
            )
            .await?;
        let ids: Vec<i64> = b.candidates.iter().map(|c| c.candidate_id).collect();
        let statuses: Vec<&str> = b.candidates.iter().map(|c| c.status.as_str()).collect();
        let data = b
            .candidates
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()?;
        let bundle_row = async {
            tx.execute(
                &insert_bundle,
                &[
                    &b.bundle_id,
                    &b.content_sha256,
                    &b.uai,
                    &b.centre_name,
                    &b.session_number,
                    &b.session_date,
                    &b.finalized_at,
                    &b.comment,
                    &b.console_key,
                    &b.bank_hash,
                    &b.engine_version,
                    &b.received_at,
                    &status.as_str(),
                    &flags,
                    &superseded_by,
                    &receipt_json,
                    &b.evidence.stored,
                    &b.evidence.encoding.as_str(),
                ],
            )
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(format!("{}: {e}", b.bundle_id))
                } else {
                    e.into()
                }
            })
        };
        // Pipelined too: the rows reach PostgreSQL after their bundle's, in one round trip.
        let result_rows = async {
            tx.execute(&insert_results, &[&b.bundle_id, &ids, &statuses, &data])
                .await
                .map_err(StoreError::from)
        };
        tokio::try_join!(bundle_row, result_rows)?;
        if status == SessionStatus::Published {
            publish(
                &tx,
                &b.bundle_id,
                std::mem::take(&mut b.certificates),
                &signer,
                &b.received_at,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Stored {
            receipt,
            created: true,
        })
    }

    async fn jury_cases(&self) -> Result<Vec<JuryCase>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT bundle_id, uai, centre_name, session_number, session_date, received_at, \
                 comment, flags FROM bundles WHERE status = 'pending_jury' \
                 ORDER BY received_at, bundle_id",
                &[],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let bundle_id: String = r.try_get(0)?;
            let uai: String = r.try_get(1)?;
            let number: i64 = r.try_get(3)?;
            let flags: String = r.try_get(7)?;
            out.push(JuryCase {
                session_id: crate::model::session_id(&uai, number),
                candidates: load_candidates(&client, &bundle_id).await?,
                bundle_id,
                uai,
                centre_name: r.try_get(2)?,
                session_number: number,
                session_date: r.try_get(4)?,
                received_at: r.try_get(5)?,
                comment: r.try_get(6)?,
                flags: serde_json::from_str(&flags)?,
            });
        }
        Ok(out)
    }

    async fn decide(
        &self,
        session_id: &str,
        decision: Decision,
        comment: &str,
        member: &str,
        at: &str,
        signer: Arc<Signer>,
        issued: String,
    ) -> Result<SessionStatus, StoreError> {
        let (uai, number) =
            parse_session_id(session_id).ok_or_else(|| StoreError::NotFound(session_id.into()))?;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.query_opt("SELECT 1 FROM centres WHERE uai = $1 FOR UPDATE", &[&uai])
            .await?;
        let row = tx
            .query_opt(
                "SELECT bundle_id, status FROM bundles \
                 WHERE uai = $1 AND session_number = $2 AND status <> 'superseded'",
                &[&uai, &number],
            )
            .await?
            .ok_or_else(|| StoreError::NotFound(session_id.into()))?;
        let bundle_id: String = row.try_get(0)?;
        let status = parse_status(row.try_get(1)?)?;
        if status != SessionStatus::PendingJury {
            return Err(StoreError::State(format!(
                "session {session_id} is {}, not pending_jury",
                status.as_str()
            )));
        }
        let new = decision.status();
        tx.execute(
            "UPDATE bundles SET status = $2, jury_decision = $3, jury_comment = $4, \
             decided_at = $5 WHERE bundle_id = $1",
            &[&bundle_id, &new.as_str(), &decision.as_str(), &comment, &at],
        )
        .await?;
        // The latest earlier version whose certificates are still valid (a correction's).
        let previous: Option<(String, String)> = tx
            .query_opt(
                "SELECT b.bundle_id, b.flags FROM bundles b \
                 WHERE b.uai = $1 AND b.session_number = $2 AND b.bundle_id <> $3 \
                 AND EXISTS (SELECT 1 FROM certifications c \
                             WHERE c.bundle_id = b.bundle_id AND c.status = 'valid') \
                 ORDER BY b.finalized_at DESC, b.received_at DESC LIMIT 1",
                &[&uai, &number, &bundle_id],
            )
            .await?
            .map(|r| -> Result<_, StoreError> { Ok((r.try_get(0)?, r.try_get(1)?)) })
            .transpose()?;
        if let Some((old, old_flags)) = previous {
            if decision == Decision::Validate {
                tx.execute(
                    "UPDATE certifications SET status = 'superseded' WHERE status = 'valid' \
                     AND bundle_id IN (SELECT bundle_id FROM bundles \
                                       WHERE uai = $1 AND session_number = $2 AND bundle_id <> $3)",
                    &[&uai, &number, &bundle_id],
                )
                .await?;
            } else {
                tx.execute(
                    "UPDATE bundles SET status = 'superseded', superseded_by = $2 WHERE bundle_id = $1",
                    &[&bundle_id, &old],
                )
                .await?;
                tx.execute(
                    "UPDATE bundles SET status = $2, superseded_by = NULL WHERE bundle_id = $1",
                    &[&old, &restored_status(&old_flags).as_str()],
                )
                .await?;
            }
        }
        insert_act(
            &tx,
            &JuryAct {
                bundle_id: bundle_id.clone(),
                candidate_id: None,
                kind: decision.into(),
                item_id: None,
                reason: comment.to_owned(),
                member: member.to_owned(),
                at: at.to_owned(),
            },
        )
        .await?;
        if decision == Decision::Validate {
            let candidates = load_candidates(&tx, &bundle_id).await?;
            let drawn = draw(&signer, &candidates, &issued);
            publish(&tx, &bundle_id, drawn, &signer, at).await?;
        }
        tx.commit().await?;
        Ok(new)
    }

    async fn purge_evidence(&self, before: &str) -> Result<u64, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .execute(
                "UPDATE bundles SET bytes = ''::bytea, bytes_encoding = 'raw' \
                 WHERE received_at < $1 \
                 AND status <> 'pending_jury' AND length(bytes) > 0",
                &[&before],
            )
            .await?)
    }

    async fn bundle_bytes(&self, bundle_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT bytes_encoding, bytes FROM bundles WHERE bundle_id = $1",
                &[&bundle_id],
            )
            .await?;
        row.map(|r| Evidence::read(r.try_get(0)?, r.try_get(1)?))
            .transpose()
    }

    async fn jury_act(&self, rows: Vec<CandidateRow>, act: JuryAct) -> Result<(), StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let status: String = tx
            .query_opt(
                "SELECT status FROM bundles WHERE bundle_id = $1 FOR UPDATE",
                &[&act.bundle_id],
            )
            .await?
            .ok_or_else(|| StoreError::NotFound(act.bundle_id.clone()))?
            .try_get(0)?;
        if parse_status(&status)? != SessionStatus::PendingJury {
            return Err(not_pending(&act.bundle_id, &status));
        }
        for row in &rows {
            let changed = tx
                .execute(
                    "UPDATE results SET status = $3, data = $4 \
                     WHERE bundle_id = $1 AND candidate_id = $2",
                    &[
                        &act.bundle_id,
                        &row.candidate_id,
                        &row.status.as_str(),
                        &serde_json::to_string(row)?,
                    ],
                )
                .await?;
            if changed != 1 {
                return Err(StoreError::NotFound(format!(
                    "{} candidate {}",
                    act.bundle_id, row.candidate_id
                )));
            }
        }
        insert_act(&tx, &act).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn jury_acts(&self, bundle_id: &str) -> Result<Vec<JuryAct>, StoreError> {
        let client = self.pool.get().await?;
        client
            .query(
                "SELECT bundle_id, candidate_id, kind, item_id, reason, member, at \
                 FROM jury_acts WHERE bundle_id = $1 ORDER BY id",
                &[&bundle_id],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(JuryAct {
                    bundle_id: r.try_get(0)?,
                    candidate_id: r.try_get(1)?,
                    kind: parse_act(r.try_get(2)?)?,
                    item_id: r.try_get(3)?,
                    reason: r.try_get(4)?,
                    member: r.try_get(5)?,
                    at: r.try_get(6)?,
                })
            })
            .collect()
    }

    async fn add_jury_member(
        &self,
        name: &str,
        token_sha256: &str,
        at: &str,
    ) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO jury_members (name, token_sha256, added_at) VALUES ($1, $2, $3)",
                &[&name, &token_sha256, &at],
            )
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(name.to_owned())
                } else {
                    e.into()
                }
            })?;
        Ok(())
    }

    async fn remove_jury_member(&self, name: &str, at: &str) -> Result<bool, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .execute(
                "UPDATE jury_members SET removed_at = $2 WHERE name = $1 AND removed_at IS NULL",
                &[&name, &at],
            )
            .await?
            == 1)
    }

    async fn jury_members(&self) -> Result<Vec<JuryMember>, StoreError> {
        let client = self.pool.get().await?;
        client
            .query(
                "SELECT name, added_at, removed_at FROM jury_members ORDER BY name",
                &[],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(JuryMember {
                    name: r.try_get(0)?,
                    added_at: r.try_get(1)?,
                    removed_at: r.try_get(2)?,
                })
            })
            .collect()
    }

    async fn jury_member_for_token(
        &self,
        token_sha256: &str,
    ) -> Result<Option<String>, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT name FROM jury_members WHERE token_sha256 = $1 AND removed_at IS NULL",
                &[&token_sha256],
            )
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    async fn certification(&self, code: &str) -> Result<Option<Certification>, StoreError> {
        let client = self.pool.get().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {CERT_COLUMNS} FROM certifications WHERE code = $1"
            ))
            .await?;
        let row = client.query_opt(&stmt, &[&code]).await?;
        row.map(|r| cert_from_row(&r)).transpose()
    }

    async fn centre_results(&self, uai: &str) -> Result<Vec<SessionResults>, StoreError> {
        let client = self.pool.get().await?;
        let sessions = client
            .query(
                "SELECT bundle_id, session_number, session_date, status, received_at \
                 FROM bundles WHERE uai = $1 AND status <> 'superseded' \
                 ORDER BY session_number",
                &[&uai],
            )
            .await?;
        let mut out = Vec::with_capacity(sessions.len());
        for s in sessions {
            let bundle_id: String = s.try_get(0)?;
            let number: i64 = s.try_get(1)?;
            let mut by_candidate: HashMap<i64, Certification> = HashMap::new();
            for r in client
                .query(
                    &format!("SELECT {CERT_COLUMNS} FROM certifications WHERE bundle_id = $1"),
                    &[&bundle_id],
                )
                .await?
            {
                let c = cert_from_row(&r)?;
                by_candidate.insert(c.candidate_id, c);
            }
            let candidates = load_candidates(&client, &bundle_id)
                .await?
                .into_iter()
                .map(|row| CandidateResult {
                    certification: by_candidate.remove(&row.candidate_id),
                    row,
                })
                .collect();
            out.push(SessionResults {
                session_id: crate::model::session_id(uai, number),
                bundle_id,
                session_number: number,
                session_date: s.try_get(2)?,
                status: parse_status(s.try_get(3)?)?,
                received_at: s.try_get(4)?,
                candidates,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert!(schema_ok("certif_test_12ab"));
        for bad in ["", "1abc", "a-b", "a;drop", "Ab", &"a".repeat(64)] {
            assert!(!schema_ok(bad), "{bad}");
        }
    }

    #[test]
    fn migrations_are_numbered_in_order() {
        assert!(MIGRATIONS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(MIGRATIONS.first().map(|m| m.0), Some(1));
    }
}
