//! The shipped sample bank (assets/bank/sample) must pass validation. The library does no I/O; this
//! test reads the folder the way the kiosk's caller does.

use certroom_core::bank::{Bank, BankSources};
use std::path::{Path, PathBuf};

fn files_under(root: &Path, dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.join(dir)];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let (Ok(rel), Ok(bytes)) = (p.strip_prefix(root), std::fs::read(&p)) {
                out.push((rel.to_string_lossy().replace('\\', "/"), bytes));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_sample_bank_is_valid() {
    let bank = sample();
    assert!(bank.len() >= 16, "{} items", bank.len());
    assert_eq!(bank.content_hash().len(), 64);
}

fn sample() -> Bank {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/bank/sample");
    let Ok(manifest) = std::fs::read_to_string(root.join("bank.json")) else {
        panic!("no sample bank at {}", root.display());
    };
    let item_files = files_under(&root, "items")
        .into_iter()
        .map(|(p, b)| (p, String::from_utf8_lossy(&b).into_owned()))
        .collect();
    let mut assets = files_under(&root, "attachments");
    assets.extend(files_under(&root, "illustrations"));
    Bank::load(&BankSources {
        manifest,
        item_files,
        assets,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

/// The sample bank carries the bounds its items give (`certroom bank bounds --write`), so a
/// change to an item's parameters that is not followed by a new derivation fails here.
#[test]
fn the_sample_bank_carries_its_derived_competence_bounds() {
    let bank = sample();
    let derived = certroom_core::scoring::derive_competence_bounds(&bank);
    assert_eq!(bank.competence_bounds(), Some(&derived.bounds));
    for row in derived.bounds {
        assert!(row.windows(2).all(|w| w[0] < w[1]), "{row:?}");
    }
}

/// The issue this answers: every certificate printed the same level for all 16 competences.
/// With the sample bank's own bounds, the certificates of the demo chain (which sits on this
/// bank) show different levels for a mid capacity.
#[test]
fn a_mid_capacity_gets_different_levels_across_competences() {
    let bank = sample();
    let config = certroom_core::Config::for_bank(&bank);
    for capacity in [-0.3, 0.0, 0.45, 1.2] {
        let levels = certroom_core::scoring::competence_levels(&config.scoring, capacity);
        let distinct: std::collections::BTreeSet<u8> = levels.iter().copied().collect();
        assert!(distinct.len() >= 2, "capacity {capacity}: {levels:?}");
    }
    let default = certroom_core::scoring::competence_levels(&Default::default(), 0.0);
    assert_eq!(
        default, [4; 16],
        "without the bank's bounds: one level for all"
    );
}
