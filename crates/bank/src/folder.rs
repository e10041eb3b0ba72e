//! A bank as a folder of files (`bank.json`, `items/`, `attachments/`, `illustrations/`), the
//! form a publisher edits and seals.

use std::path::Path;

use crate::BankFiles;

const MAX_BANK_FILES: usize = 10_000;

/// Reads a bank folder (`bank.json`, `items/`, `attachments/`, `illustrations/`).
pub fn read_dir(dir: &Path) -> std::io::Result<BankFiles> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            let kind = entry.file_type()?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                let rel = path.strip_prefix(dir).map_err(std::io::Error::other)?;
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                files.push((rel.join("/"), std::fs::read(&path)?));
                if files.len() > MAX_BANK_FILES {
                    return Err(std::io::Error::other("too many files in the bank folder"));
                }
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}
