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
