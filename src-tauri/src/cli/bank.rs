//! `certroom bank pack` and `certroom station install-bank`: how a bank travels to a lab PC and
//! rests there, encrypted and signed.

use crate::station::DataDir;
use certroom_kiosk::station::{parse_public_key, StationConfig};

use certroom_bank::pack::{self, PackKey};
use certroom_journal::StationKey;
use std::io::BufRead;
use std::path::Path;

/// Validates the bank folder, then seals it with a passphrase read from standard input, signed by
/// the publisher key (created on first use). Prints the publisher's public key to pin on kiosks.
pub fn pack(bank: &Path, out: &Path, publisher_key: &Path, iterations: u32) -> Result<(), String> {
    let files =
        certroom_bank::folder::read_dir(bank).map_err(|e| format!("{}: {e}", bank.display()))?;
    let loaded = certroom_bank::load(files.clone())
        .map_err(|e| format!("{} : banque refusée / bank refused\n{e}", bank.display()))?;
    let passphrase = read_line()?;
    if passphrase.chars().count() < 8 {
        return Err(
            "la phrase de passe doit comporter au moins 8 caractères / passphrase too short".into(),
        );
    }
    let key = StationKey::load_or_create(publisher_key).map_err(|e| e.to_string())?;
    let sealed = pack::seal_with(
        &files,
        &PackKey::Passphrase(passphrase),
        key.key_pair(),
        iterations,
    )
    .map_err(|e| e.to_string())?;
    write_atomically(out, &sealed)?;
    eprintln!(
        "certroom: {} questions, content hash {}, sealed into {} ({} bytes)",
        loaded.bank.len(),
        loaded.bank.content_hash(),
        out.display(),
        sealed.len()
    );
    out!("{}", key.public_key_hex());
    Ok(())
}

/// Copies a pack onto this station and pins the publisher key it must be signed by.
pub fn install(data: &DataDir, pack_file: &Path, publisher: &str) -> Result<(), String> {
    let publisher_key = parse_public_key(publisher).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(pack_file).map_err(|e| format!("{}: {e}", pack_file.display()))?;
    pack::read_header(&bytes).map_err(|e| format!("{}: {e}", pack_file.display()))?;
    data.ensure().map_err(|e| e.to_string())?;
    write_atomically(&data.bank_pack(), &bytes)?;
    let path = data.station_config();
    let mut config = StationConfig::load(&path).map_err(|e| e.to_string())?;
    config.bank_publisher = Some(certroom_core::hash::to_hex(&publisher_key));
    config.save(&path).map_err(|e| e.to_string())?;
    eprintln!(
        "certroom: bank pack installed in {}",
        data.bank_pack().display()
    );
    Ok(())
}

fn read_line() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    certroom_durable::write_atomically(path, bytes, certroom_durable::Access::Shared)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Validates a bank folder and prints what it holds: items per competence, level and format.
pub fn check(bank: &Path) -> Result<(), String> {
    let files =
        certroom_bank::folder::read_dir(bank).map_err(|e| format!("{}: {e}", bank.display()))?;
    let loaded = certroom_bank::load(files)
        .map_err(|e| format!("{} : banque refusée / bank refused\n{e}", bank.display()))?;
    let items = loaded.bank.items();
    let count = |f: &dyn Fn(&certroom_core::Item) -> String| {
        let mut m = std::collections::BTreeMap::<String, usize>::new();
        for i in items {
            *m.entry(f(i)).or_default() += 1;
        }
        m.into_iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    out!(
        "OK  {} questions, empreinte {}",
        items.len(),
        loaded.bank.content_hash()
    );
    out!("par compétence : {}", count(&|i| i.competence.clone()));
    out!("par niveau     : {}", count(&|i| i.level.to_string()));
    out!(
        "par format     : {}",
        count(&|i| serde_json::to_value(i.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default())
    );
    let tubes: std::collections::BTreeSet<_> =
        items.iter().map(|i| (&i.competence, &i.tube)).collect();
    out!("sujets (tubes) : {}", tubes.len());
    out!(
        "avec pièce jointe : {}, minutées : {}, accessibles : {}, avec illustration : {}",
        items.iter().filter(|i| !i.attachments.is_empty()).count(),
        items.iter().filter(|i| i.timer_s.is_some()).count(),
        items.iter().filter(|i| i.accessible).count(),
        items.iter().filter(|i| i.illustration.is_some()).count()
    );
    let derived = certroom_core::scoring::derive_competence_bounds(&loaded.bank).bounds;
    out!(
        "seuils par compétence : {}",
        match loaded.bank.competence_bounds() {
            None => "absents (seuils globaux pour toutes les compétences ; `certroom bank bounds --write`)",
            Some(b) if *b == derived => "présents, conformes aux paramètres des questions",
            Some(_) => "présents, différents de ceux que donnent les paramètres des questions (`certroom bank bounds`)",
        }
    );
    Ok(())
}

/// Derives each competence's level bounds from the bank's items (docs/scoring.md) and prints
/// them; with `write`, stores them in the folder's bank.json, then reloads the folder to check
/// the bank still validates and carries exactly the derived table.
pub fn bounds(bank: &Path, write: bool) -> Result<(), String> {
    use certroom_core::scoring::{derive_competence_bounds, BoundSource};
    let files =
        certroom_bank::folder::read_dir(bank).map_err(|e| format!("{}: {e}", bank.display()))?;
    let loaded = certroom_bank::load(files)
        .map_err(|e| format!("{} : banque refusée / bank refused\n{e}", bank.display()))?;
    let derived = derive_competence_bounds(&loaded.bank);
    if loaded.bank.manifest().provisional {
        out!("Paramètres IRT provisoires (bank.json « provisional ») : ces seuils le sont aussi.");
    }
    out!("Début des niveaux 1 à 7 par compétence (capacité). * interpolé, ~ extrapolé, = global (aucune question)");
    out!("| compétence | 1 | 2 | 3 | 4 | 5 | 6 | 7 |");
    out!("|---|---|---|---|---|---|---|---|");
    for ((code, row), sources) in certroom_core::framework::COMPETENCE_CODES
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
        out!("| {code} | {} |", cells.join(" | "));
    }
    let current = loaded.bank.competence_bounds();
    if !write {
        out!(
            "{}",
            match current {
                None => "bank.json n'a pas de seuils par compétence : `--write` les y écrit.",
                Some(b) if *b == derived.bounds => "bank.json porte déjà ces seuils.",
                Some(_) => "bank.json porte d'autres seuils : `--write` les remplace.",
            }
        );
        return Ok(());
    }
    let path = bank.join("bank.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut manifest: certroom_core::bank::Manifest =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    manifest.competence_bounds = Some(certroom_core::bank::Manifest::bounds_map(&derived.bounds));
    write_atomically(&path, manifest.to_json_pretty().as_bytes())?;
    let files =
        certroom_bank::folder::read_dir(bank).map_err(|e| format!("{}: {e}", bank.display()))?;
    let reloaded = certroom_bank::load(files)
        .map_err(|e| format!("{} : banque refusée / bank refused\n{e}", bank.display()))?;
    if reloaded.bank.competence_bounds() != Some(&derived.bounds) {
        return Err(format!(
            "{} : les seuils relus diffèrent des seuils écrits / bounds read back differ",
            path.display()
        ));
    }
    eprintln!(
        "certroom: competence bounds written to {}, content hash {}",
        path.display(),
        reloaded.bank.content_hash()
    );
    Ok(())
}
