//! A PostgreSQL backup restores the service whole: sessions are published, the schema is dumped
//! (`pg_dump`), dropped, restored (`pg_restore`), and a fresh `certif-server serve` process on the
//! restored schema, with the same key files, verifies every code.

mod common;

use std::path::Path;
use std::process::Command;

use certif_server::bench::{schema_url, ServerProcess};
use common::Env;

fn run(tool: &std::path::Path, args: &[&str]) {
    let out = Command::new(tool).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        tool.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dump_restored_after_a_drop_verifies_every_code() {
    let (Some(pg_dump), Some(pg_restore)) = (
        certroom_testkit::require_tool("pg_dump"),
        certroom_testkit::require_tool("pg_restore"),
    ) else {
        return;
    };
    let Some((mut env, keys, url, schema)) = Env::with_shared_keys(
        "the backup test needs PostgreSQL (scripts/start-postgres prints the URL)",
    )
    .await
    else {
        return;
    };
    let mut codes = Vec::new();
    for _ in 0..3 {
        let spec = env.session_spec(2);
        let bundle = env.room.session(&spec).unwrap();
        assert_eq!(env.upload(&bundle).await.0, 201);
        codes.extend(common::codes(&env.session(spec.number).await));
    }
    assert_eq!(codes.len(), 6);
    // Bundles stored compressed by the service (migration 6) and not again by PostgreSQL; result
    // rows compressed with LZ4 (migration 5). The dump and the restore carry both over.
    let (db, connection) =
        tokio_postgres::connect(&schema_url(&url, &schema), tokio_postgres::NoTls)
            .await
            .unwrap();
    tokio::spawn(connection);
    let methods: Vec<(String, Option<String>)> = db
        .query(
            "SELECT bytes_encoding, pg_column_compression(bytes) FROM bundles",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert!(
        methods.len() == 3 && methods.iter().all(|(e, m)| e == "zstd" && m.is_none()),
        "bundle bytes compressed once, by the service: {methods:?}"
    );
    let results: Vec<Option<String>> = db
        .query("SELECT pg_column_compression(data) FROM results", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        results.len() == 6 && results.iter().all(|m| m.as_deref() == Some("lz4")),
        "result rows compressed with LZ4: {results:?}"
    );
    drop(db);

    // Backup, then the database loses the schema.
    let dump = keys.path().join("certif.dump");
    let dump_arg = dump.display().to_string();
    run(
        &pg_dump,
        &[
            "--format=custom",
            "--schema",
            &schema,
            "--file",
            &dump_arg,
            "--dbname",
            &url,
        ],
    );
    env.finish().await;

    // Restore, and a new server on it with the same keys.
    run(&pg_restore, &["--dbname", &url, &dump_arg]);
    let exe = Path::new(env!("CARGO_BIN_EXE_certif-server"));
    let server = ServerProcess::start(exe, keys.path(), &schema_url(&url, &schema), &[])
        .await
        .expect("the restored server starts");
    let http = reqwest::Client::new();
    let base = server.base.clone();
    let mut verified = 0;
    for code in &codes {
        let (status, body) = common::verify_json_at(&http, &base, code).await;
        if status == 200 && body["verification_code"] == *code {
            verified += 1;
        }
    }
    drop(server);
    certif_server::bench::drop_schema(&url, &schema).await;
    assert_eq!(
        verified,
        codes.len(),
        "every code verifies after the restore"
    );
}
