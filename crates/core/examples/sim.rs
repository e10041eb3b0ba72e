//! Full-size simulation: `cargo run --release -p certroom-core --example sim -- [candidates] [items] [seed]`.

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>().ok());
    let candidates = args.next().flatten().unwrap_or(10_000) as usize;
    let items = args.next().flatten().unwrap_or(2_000) as usize;
    let seed = args.next().flatten().unwrap_or(2026);
    let cfg = certroom_core::simulation::SimConfig::new(candidates, items, seed);
    let start = std::time::Instant::now();
    match certroom_core::simulation::run(&cfg) {
        Ok(r) => {
            println!(
                "{candidates} candidates, {items} items, seed {seed}, {:.1} s",
                start.elapsed().as_secs_f64()
            );
            println!("| strategy | rmse | bias | band_accuracy | max_exposure | full_coverage | mean_se | step p50 µs | step p99 µs |");
            println!("|---|---|---|---|---|---|---|---|---|");
            for (name, s) in [
                ("engine", &r.engine),
                ("reference", &r.reference),
                ("random", &r.random),
                ("fixed", &r.fixed),
            ] {
                println!(
                    "| {name} | {:.3} | {:+.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.1} | {:.1} |",
                    s.rmse,
                    s.bias,
                    s.band_accuracy,
                    s.max_exposure,
                    s.full_coverage_share,
                    s.mean_se,
                    s.step_p50_us,
                    s.step_p99_us
                );
            }
            println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
        }
        Err(e) => eprintln!("{e}"),
    }
}
