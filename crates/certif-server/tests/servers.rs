//! Several servers, one PostgreSQL: this test's server and two `certif-server serve` processes
//! share one database (and the service's keys, which live in files every server is given, as
//! the banks live in the database). Sessions are uploaded across the three, each one to two
//! servers at the same moment on purpose: each bundle is stored exactly once, both servers
//! answer the same receipt, every verification code is unique and every certificate verifies
//! from every server.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use certif_server::bench::{schema_url, ServerProcess};
use common::Env;

async fn upload(
    http: &reqwest::Client,
    base: &str,
    bundle: Vec<u8>,
) -> (u16, serde_json::Value, Instant) {
    let sent = Instant::now();
    let r = http
        .post(format!("{base}/v1/bundles"))
        .header("content-type", "application/octet-stream")
        .body(bundle)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default(), sent)
}

const SERVERS: usize = 3;
const SESSIONS: usize = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_on_one_postgresql_store_each_bundle_once() {
    // The service's keys in a folder every server is given.
    let Some((mut env, keys, url, schema)) = Env::with_shared_keys(
        "several servers need PostgreSQL (scripts/start-postgres prints the URL)",
    )
    .await
    else {
        return;
    };
    let database = schema_url(&url, &schema);
    let http = reqwest::Client::new();
    let mut bases = vec![env.url("")];
    let mut processes = Vec::new();
    for _ in 1..SERVERS {
        let exe = Path::new(env!("CARGO_BIN_EXE_certif-server"));
        let server = ServerProcess::start(exe, keys.path(), &database, &[])
            .await
            .unwrap();
        bases.push(server.base.clone());
        processes.push(server);
    }

    // Each session to two servers at once.
    let mut numbers = Vec::new();
    let mut close_pairs = 0;
    for i in 0..SESSIONS {
        let spec = env.session_spec(2);
        numbers.push(spec.number);
        let bundle = env.room.session(&spec).unwrap();
        let (a, b) = (&bases[i % SERVERS], &bases[(i + 1) % SERVERS]);
        let ((sa, ra, ta), (sb, rb, tb)) =
            tokio::join!(upload(&http, a, bundle.clone()), upload(&http, b, bundle));
        let gap = if ta > tb { ta - tb } else { tb - ta };
        if gap <= Duration::from_millis(10) {
            close_pairs += 1;
        }
        let mut statuses = [sa, sb];
        statuses.sort();
        assert!(
            statuses == [200, 201] || statuses == [201, 201] || statuses == [200, 200],
            "session {i}: {sa} {ra} / {sb} {rb}"
        );
        assert!(
            ra["signature"].is_string(),
            "session {i}: a signed receipt: {ra}"
        );
        assert_eq!(ra, rb, "session {i}: both servers give the same receipt");
        assert_eq!(ra["status"], "published", "{ra}");
    }
    eprintln!("{close_pairs} of {SESSIONS} duplicate pairs reached two servers within 10 ms");
    assert!(close_pairs >= 50, "{close_pairs} pairs within 10 ms");

    // Exactly once in the database; every code unique.
    let (client, conn) = tokio_postgres::connect(&database, tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(conn);
    let count = |sql: &'static str| {
        let client = &client;
        async move { client.query_one(sql, &[]).await.unwrap().get::<_, i64>(0) }
    };
    assert_eq!(count("SELECT count(*) FROM bundles").await, SESSIONS as i64);
    assert_eq!(
        count("SELECT count(DISTINCT content_sha256) FROM bundles").await,
        SESSIONS as i64
    );
    let certifications = count("SELECT count(*) FROM certifications").await;
    assert_eq!(certifications, 2 * SESSIONS as i64);
    assert_eq!(
        count("SELECT count(DISTINCT code) FROM certifications").await,
        certifications
    );
    drop(client);
    let _ = task.await;

    // Every certificate verifies from every server.
    let mut codes = Vec::new();
    for n in numbers {
        codes.extend(common::codes(&env.session(n).await));
    }
    assert_eq!(codes.len(), 2 * SESSIONS);
    for base in &bases {
        for code in &codes {
            let (status, body) = common::verify_json_at(&http, base, code).await;
            assert_eq!(status, 200, "{code} from {base}");
            assert_eq!(body["verification_code"], *code, "{body}");
        }
    }
    drop(processes);
    env.finish().await;
}
