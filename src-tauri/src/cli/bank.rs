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
    let (files, loaded) = certroom_bank::folder::load_dir(bank).map_err(|e| e.to_string())?;
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
pub fn install(data: &DataDir, pack_file: Option<&Path>, publisher: &str) -> Result<(), String> {
    let publisher_key = parse_public_key(publisher).map_err(|e| e.to_string())?;
    data.ensure().map_err(|e| e.to_string())?;
    if let Some(pack_file) = pack_file {
        let bytes =
            std::fs::read(pack_file).map_err(|e| format!("{}: {e}", pack_file.display()))?;
        pack::check_signature(&bytes, &publisher_key)
            .map_err(|e| format!("{}: {e}", pack_file.display()))?;
        write_atomically(&data.bank_pack(), &bytes)?;
    }
    let path = data.station_config();
    let mut config = StationConfig::load(&path).map_err(|e| e.to_string())?;
    config.bank_publisher = Some(certroom_core::hash::to_hex(&publisher_key));
    config.save(&path).map_err(|e| e.to_string())?;
    match pack_file {
        Some(_) => eprintln!(
            "certroom : banque installée dans {} / bank pack installed",
            data.bank_pack().display()
        ),
        None => eprintln!(
            "certroom : éditeur de confiance fixé ; la console enverra la banque / publisher pinned; the console will send the bank"
        ),
    }
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
    let (_, loaded) = certroom_bank::folder::load_dir(bank).map_err(|e| e.to_string())?;
    for line in certroom_bank::folder::summary(&loaded.bank) {
        out!("{line}");
    }
    Ok(())
}

/// Derives each competence's level bounds from the bank's items (docs/scoring.md) and prints
/// them; with `write`, stores them in the folder's bank.json and checks what it reads back.
pub fn bounds(bank: &Path, write: bool) -> Result<(), String> {
    let (_, loaded) = certroom_bank::folder::load_dir(bank).map_err(|e| e.to_string())?;
    let derived = certroom_core::scoring::derive_competence_bounds(&loaded.bank);
    let table = certroom_bank::folder::bounds_table(&loaded.bank, &derived);
    // The last line says how bank.json stands; after writing, what was written is said instead.
    let shown = if write { table.len() - 1 } else { table.len() };
    for line in &table[..shown] {
        out!("{line}");
    }
    if write {
        let hash =
            certroom_bank::folder::write_bounds(bank, &derived).map_err(|e| e.to_string())?;
        eprintln!(
            "certroom: competence bounds written to {}, content hash {hash}",
            bank.join("bank.json").display()
        );
    }
    Ok(())
}
