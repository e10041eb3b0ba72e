//! `certroom sim engine`: the adaptive engine against the reference system's selection, random
//! selection and a fixed order, on a synthetic calibrated bank; and the competence levels the
//! two scoring methods print for candidates whose competences differ.

use certroom_core::simulation::{self, SimConfig};

pub fn simulate(
    candidates: usize,
    items: usize,
    seed: u64,
    competence_prior_variance: f64,
    json: bool,
) -> Result<(), String> {
    let report = simulation::run(&SimConfig {
        competence_prior_variance,
        ..SimConfig::new(candidates, items, seed)
    })
    .map_err(|e| e.to_string())?;
    if json {
        out!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    let value = serde_json::to_value(&report).map_err(|e| e.to_string())?;
    out!("{candidates} candidats, {items} questions, graine {seed}");
    out!("| stratégie | rmse | biais | bonne bande | exposition max | 16/16 compétences | pas p50 µs | pas p99 µs |");
    out!("|---|---|---|---|---|---|---|---|");
    for strategy in ["engine", "reference", "random", "fixed"] {
        let s = &value[strategy];
        let f = |k: &str| s[k].as_f64().unwrap_or(f64::NAN);
        out!(
            "| {strategy} | {:.3} | {:+.3} | {:.3} | {:.3} | {:.3} | {:.1} | {:.1} |",
            f("rmse"),
            f("bias"),
            f("band_accuracy"),
            f("max_exposure"),
            f("full_coverage_share"),
            f("step_p50_us"),
            f("step_p99_us")
        );
    }
    out!("");
    out!(
        "Niveaux par compétence (θ_c = ρ·θ + √(1 − ρ²)·ε_c ; variance a priori par compétence {}) :",
        report.competence_prior_variance
    );
    out!(
        "| ρ | méthode | niveaux exacts | écart moyen (niveaux) | niveaux distincts / 16 (vrais) |"
    );
    out!("|---|---|---|---|---|");
    for r in &report.competence_levels {
        for (method, f) in [("global", &r.global), ("per_competence", &r.per_competence)] {
            out!(
                "| {} | {method} | {:.3} | {:.3} | {:.2} ({:.2}) |",
                r.rho,
                f.competence_level_accuracy,
                f.mean_abs_level_error,
                f.mean_distinct_levels,
                r.true_distinct_levels
            );
        }
    }
    Ok(())
}
