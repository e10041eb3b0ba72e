//! The benchmarks run small: `certif-server bench` publishes and verifies what it measures, and
//! the 20-second smoke version of `bench --attack` (BENCHMARKS.md has the full figures) holds
//! under 200 trickling uploads and a code sweeper: memory stays bounded, real verifications stay
//! fast, and the sweeper finds next to nothing.

use std::time::Duration;

use certif_server::attack::{run, AttackOptions};
use certif_server::bench::{self, BenchOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bench_measures_publications_and_verifications() {
    let r = bench::run(&BenchOptions {
        sessions: 2,
        candidates: 3,
        // Many at once from one address: real certificates are never refused.
        verify_requests: 400,
        verify_concurrency: 32,
        ..BenchOptions::default()
    })
    .await
    .unwrap();
    assert!(r.ingest_sessions_per_s_sqlite > 0.0);
    assert_eq!((r.verify_requests, r.verify_errors), (400, 0), "{r:?}");
    // The second batch was ingested while the codes were being verified, none refused.
    let w = &r.while_ingesting;
    assert!(
        w.ingest_sessions_per_s > 0.0 && w.verify_per_s > 0.0,
        "{w:?}"
    );
    assert_eq!(w.verify_errors, 0, "{w:?}");
}

/// The growth bench's season is real rows: the service verifies its codes among the new ones
/// and ingests beside it, on both backends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bench_over_a_season_verifies_seeded_codes_and_ingests_beside_them() {
    let postgres = certroom_testkit::require_env(
        "CERTIF_TEST_POSTGRES",
        "the season bench on PostgreSQL (scripts/start-postgres prints the URL)",
    );
    let out = tempfile::tempdir().unwrap();
    let r = bench::run(&BenchOptions {
        sessions: 2,
        candidates: 3,
        verify_requests: 2_000,
        season: 45,
        postgres,
        centre_candidates: 8,
        results_out: Some(out.path().join("centre.signed")),
        ..BenchOptions::default()
    })
    .await
    .unwrap();
    let seasons: Vec<_> = std::iter::once(&r.season_sqlite)
        .chain(r.season_postgres.as_ref().map(|_| &r.season_postgres))
        .collect();
    for s in seasons {
        let s = s.as_ref().expect("a season was seeded");
        // 45 sessions of a collège's 20 a season: 3 centres; every seeded candidate certified
        // as in the template session.
        assert_eq!((s.sessions, s.centres), (45, 3), "{s:?}");
        assert_eq!(s.certifications % 45, 0, "{s:?}");
        assert!(s.certifications >= 45, "{s:?}");
        assert!(s.database_mb > 0.0, "{s:?}");
    }
    let seeded = r.season_sqlite.as_ref().unwrap();
    assert!(!seeded.sample_codes.is_empty());
    // The verification load read seeded codes and the bench's own: none answered wrong.
    assert_eq!((r.verify_requests, r.verify_errors), (2_000, 0), "{r:?}");
    assert!(r.ingest_sessions_per_s_sqlite > 0.0, "{r:?}");
    // A centre of 8 candidates in sessions of 3: its file, signed by the service, holds all 9
    // seeded, whatever the rest of the season.
    let f = r.centre_file.as_ref().unwrap();
    assert_eq!((f.sessions, f.candidates), (3, 9), "{f:?}");
    let file = std::fs::read(out.path().join("centre.signed")).unwrap();
    assert_eq!(file.len(), f.file_bytes);
    let key: [u8; 32] = hex::decode(
        String::from_utf8_lossy(&file)
            .lines()
            .find_map(|l| l.strip_prefix("public-key: ").map(str::to_owned))
            .unwrap(),
    )
    .unwrap()
    .try_into()
    .unwrap();
    let results = certif_server::results_file::read(&file, &key.into()).unwrap();
    assert_eq!(results.uai, f.uai);
    assert_eq!(results.candidates().count(), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_holds_under_slow_uploads_and_a_code_sweeper() {
    let r = run(&AttackOptions {
        duration: Duration::from_secs(20),
        ..AttackOptions::default()
    })
    .await
    .unwrap();
    println!("{}", serde_json::to_string_pretty(&r).unwrap());
    assert_eq!(
        r.slow_uploads, 200,
        "every trickling upload is held, none dropped the server"
    );
    assert!(r.server_rss_mb_peak <= 300.0, "{r:?}");
    assert_eq!(r.verify_errors_under_attack, 0, "{r:?}");
    assert!(r.verify_requests_under_attack > 100, "{r:?}");
    assert!(r.verify_p99_ms_under_attack <= 50.0, "{r:?}");
    assert!(r.sweeper_refused > r.sweeper_guesses, "{r:?}");
    assert!(r.enumeration_hits_per_hour <= 10.0, "{r:?}");
}
