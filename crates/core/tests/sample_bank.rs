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
    let src = BankSources {
        manifest,
        item_files,
        assets,
    };
    match Bank::load(&src) {
        Ok(bank) => {
            assert!(bank.len() >= 16, "{} items", bank.len());
            assert_eq!(bank.content_hash().len(), 64);
        }
        Err(e) => panic!("{e}"),
    }
}
