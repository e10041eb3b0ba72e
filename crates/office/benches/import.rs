//! The office with a big centre's results: the import of its signed results file (checked
//! against the service key and kept) and the roster the results screen lists, as the office
//! window does them. The file comes from the service's bench:
//!
//! ```text
//! certif-server bench --centre-candidates 2000 --results-out /tmp/centre.signed
//! cargo bench -p certroom-office --bench import -- /tmp/centre.signed
//! ```
//!
//! Prints one JSON object; the figures are in BENCHMARKS.md.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use certroom_certificate::results;
use certroom_office::{roster, Library};

const RUNS: usize = 5;

fn median_ms(mut times: Vec<Duration>) -> f64 {
    times.sort_unstable();
    times
        .get(times.len() / 2)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn run(path: &str) -> Result<serde_json::Value, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    // The bench trusts the key the file names: what it measures is the office, not the pinning.
    let key_hex = String::from_utf8_lossy(&bytes)
        .lines()
        .find_map(|l| l.strip_prefix("public-key: ").map(str::to_owned))
        .ok_or("no public-key line: not a results file")?;
    let key: [u8; 32] = hex::decode(&key_hex)
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or("the public key is not 32 bytes of hex")?;
    let uai = results::read(&bytes, &key.into())
        .map_err(|e| e.to_string())?
        .uai;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let library = Library::open(dir.path()).map_err(|e| e.to_string())?;
    let mut settings = library.settings().map_err(|e| e.to_string())?;
    settings.service_key = key_hex;
    library.save_settings(settings).map_err(|e| e.to_string())?;
    let (mut imports, mut lists) = (Vec::new(), Vec::new());
    let mut listed = 0;
    let mut candidates = 0;
    for _ in 0..RUNS {
        let t0 = Instant::now();
        candidates = library
            .import(&bytes, &uai)
            .map_err(|e| e.to_string())?
            .candidates;
        imports.push(t0.elapsed());
        let t0 = Instant::now();
        let kept = library
            .results()
            .map_err(|e| e.to_string())?
            .ok_or("nothing kept after the import")?;
        listed = roster(&kept).rows.len();
        lists.push(t0.elapsed());
    }
    Ok(serde_json::json!({
        "file_bytes": bytes.len(),
        "candidates": candidates,
        "rows_listed": listed,
        "import_ms_median": median_ms(imports),
        "list_ms_median": median_ms(lists),
        "runs": RUNS,
    }))
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`: the file is the one argument that is not a flag.
    let Some(path) = std::env::args().skip(1).find(|a| !a.starts_with("--")) else {
        eprintln!("usage : cargo bench -p certroom-office --bench import -- FICHIER_DE_RÉSULTATS");
        return ExitCode::from(2);
    };
    match run(&path) {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("import bench : {e}");
            ExitCode::FAILURE
        }
    }
}
