//! A bank as a folder of files (`bank.json`, `items/`, `attachments/`, `illustrations/`), the
//! form a publisher edits, reviews (what it holds, its competence bounds) and seals.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use certroom_core::bank::{Item, Manifest};
use certroom_core::framework::COMPETENCE_CODES;
use certroom_core::scoring::{derive_competence_bounds, BoundSource, DerivedBounds};
use certroom_core::Bank;

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

/// A bank folder that cannot be read, is refused, or cannot take its bounds.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("{dir}: {source}")]
    Read { dir: String, source: std::io::Error },
    #[error("{dir} : banque refusée / bank refused\n{source}")]
    Refused {
        dir: String,
        source: crate::LoadError,
    },
    #[error("{path}: {reason}")]
    Write { path: String, reason: String },
}

/// Reads and loads a bank folder: its files (as a pack seals them) and the validated bank.
pub fn load_dir(dir: &Path) -> Result<(BankFiles, crate::LoadedBank), FolderError> {
    let shown = || dir.display().to_string();
    let files = read_dir(dir).map_err(|source| FolderError::Read {
        dir: shown(),
        source,
    })?;
    let loaded = crate::load(files.clone()).map_err(|source| FolderError::Refused {
        dir: shown(),
        source,
    })?;
    Ok((files, loaded))
}

/// What a publisher reads of a bank before sealing it, one French line per fact: items per
/// competence, level and format, topics, and whether its competence bounds are the ones its
/// items give.
pub fn summary(bank: &Bank) -> Vec<String> {
    let items = bank.items();
    let count = |f: &dyn Fn(&Item) -> String| {
        let mut m = BTreeMap::<String, usize>::new();
        for i in items {
            *m.entry(f(i)).or_default() += 1;
        }
        m.into_iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let tubes: BTreeSet<_> = items.iter().map(|i| (&i.competence, &i.tube)).collect();
    let derived = derive_competence_bounds(bank).bounds;
    vec![
        format!(
            "OK  {} questions, empreinte {}",
            items.len(),
            bank.content_hash()
        ),
        format!("par compétence : {}", count(&|i| i.competence.clone())),
        format!("par niveau     : {}", count(&|i| i.level.to_string())),
        format!(
            "par format     : {}",
            count(&|i| serde_json::to_value(i.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default())
        ),
        format!("sujets (tubes) : {}", tubes.len()),
        format!(
            "avec pièce jointe : {}, minutées : {}, accessibles : {}, avec illustration : {}",
            items.iter().filter(|i| !i.attachments.is_empty()).count(),
            items.iter().filter(|i| i.timer_s.is_some()).count(),
            items.iter().filter(|i| i.accessible).count(),
            items.iter().filter(|i| i.illustration.is_some()).count()
        ),
        format!(
            "seuils par compétence : {}",
            match bank.competence_bounds() {
                None => "absents (seuils globaux pour toutes les compétences ; `certroom bank bounds --write`)",
                Some(b) if *b == derived => "présents, conformes aux paramètres des questions",
                Some(_) => "présents, différents de ceux que donnent les paramètres des questions (`certroom bank bounds`)",
            }
        ),
    ]
}

/// The derived bounds as a Markdown table, each entry marked by how it was obtained
/// (`*` interpolated, `~` extrapolated, `=` global), with the line that says how `bank` stands.
pub fn bounds_table(bank: &Bank, derived: &DerivedBounds) -> Vec<String> {
    let mut lines = Vec::new();
    if bank.manifest().provisional {
        lines.push(
            "Paramètres IRT provisoires (bank.json « provisional ») : ces seuils le sont aussi."
                .to_owned(),
        );
    }
    lines.push("Début des niveaux 1 à 7 par compétence (capacité). * interpolé, ~ extrapolé, = global (aucune question)".to_owned());
    lines.push("| compétence | 1 | 2 | 3 | 4 | 5 | 6 | 7 |".to_owned());
    lines.push("|---|---|---|---|---|---|---|---|".to_owned());
    for ((code, row), sources) in COMPETENCE_CODES
        .iter()
        .zip(&derived.bounds)
        .zip(&derived.sources)
    {
        let cells: Vec<String> = row
            .iter()
            .zip(sources)
            .map(|(x, s)| {
                let mark = match s {
                    BoundSource::Measured { .. } => "",
                    BoundSource::Interpolated => "*",
                    BoundSource::Extrapolated => "~",
                    BoundSource::Global => "=",
                };
                format!("{x:.2}{mark}")
            })
            .collect();
        lines.push(format!("| {code} | {} |", cells.join(" | ")));
    }
    lines.push(
        match bank.competence_bounds() {
            None => "bank.json n'a pas de seuils par compétence : `--write` les y écrit.",
            Some(b) if *b == derived.bounds => "bank.json porte déjà ces seuils.",
            Some(_) => "bank.json porte d'autres seuils : `--write` les remplace.",
        }
        .to_owned(),
    );
    lines
}

/// Stores `derived` in the folder's bank.json (atomically), then loads the folder again to check
/// the bank still validates and carries exactly that table. Returns the new content hash.
pub fn write_bounds(dir: &Path, derived: &DerivedBounds) -> Result<String, FolderError> {
    let path = dir.join("bank.json");
    let failed = |reason: String| FolderError::Write {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| failed(e.to_string()))?;
    let mut manifest: Manifest = serde_json::from_str(&text).map_err(|e| failed(e.to_string()))?;
    manifest.competence_bounds = Some(Manifest::bounds_map(&derived.bounds));
    certroom_durable::write_atomically(
        &path,
        manifest.to_json_pretty().as_bytes(),
        certroom_durable::Access::Shared,
    )
    .map_err(|e| failed(e.to_string()))?;
    let (_, reloaded) = load_dir(dir)?;
    if reloaded.bank.competence_bounds() != Some(&derived.bounds) {
        return Err(failed(
            "les seuils relus diffèrent des seuils écrits / bounds read back differ".into(),
        ));
    }
    Ok(reloaded.bank.content_hash().to_owned())
}
