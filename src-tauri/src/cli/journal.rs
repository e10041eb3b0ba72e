//! `certroom journal verify` and `certroom bench journal`.

use std::path::Path;

/// Prints `OK` with the counts, or the first broken link, and fails.
pub fn verify(file: &Path) -> Result<(), String> {
    if !file.is_file() {
        return Err(format!(
            "{} : fichier introuvable / file not found",
            file.display()
        ));
    }
    match certroom_journal::verify_file(file) {
        Ok(report) => {
            out!(
                "OK  {} test(s), {} enregistrement(s), {} tête(s) signée(s) / tests, records, signed heads",
                report.tests, report.records, report.signed_heads
            );
            let events: Vec<String> = report
                .events
                .iter()
                .map(|(kind, n)| format!("{kind} {n}"))
                .collect();
            out!("événements / events: {}", events.join(", "));
            Ok(())
        }
        Err(e) => Err(format!("{} : {e}", file.display())),
    }
}

/// Acknowledged-answer latency against a raw write + fsync, in the journal's own folder.
pub fn bench(dir: Option<&Path>, answers: usize, json: bool) -> Result<(), String> {
    let scratch;
    let dir = match dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
            d.to_owned()
        }
        None => {
            scratch = std::env::current_dir()
                .map_err(|e| e.to_string())?
                .join(".certroom-bench");
            std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
            scratch
        }
    };
    let report = certroom_journal::bench::run(&dir, answers).map_err(|e| e.to_string())?;
    super::print_report(&report, json)
}

/// `certroom bundle verify`: the same checks the central service runs, offline.
pub fn verify_bundle(file: &std::path::Path, consoles: &[String]) -> Result<(), String> {
    let trusted = consoles
        .iter()
        .map(|k| certroom_kiosk::station::parse_public_key(k).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let pinned = (!trusted.is_empty()).then_some(trusted.as_slice());
    match certroom_bundle::verify_file_pinned(file, pinned) {
        Ok(report) => {
            out!("{report}");
            Ok(())
        }
        Err(fault) => Err(fault.to_string()),
    }
}

/// `certroom certificate verify`: offline, with the service's public key or its key set file.
/// Fails if any certificate in the input does not verify.
pub fn verify_certificate(
    input: &str,
    service_key: Option<&str>,
    key_set: Option<&std::path::Path>,
) -> Result<(), String> {
    use certroom_core::message::UserMessage;
    let key: certroom_certificate::ServiceKeys = match (key_set, service_key) {
        (Some(file), _) => {
            let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let set = serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "{} : jeu de clés illisible / unreadable key set: {e}",
                    file.display()
                )
            })?;
            certroom_certificate::ServiceKeys::from_set(set).map_err(|e| {
                format!(
                    "{} : {} / {}",
                    file.display(),
                    e.message_fr(),
                    e.message_en()
                )
            })?
        }
        (None, Some(hex)) => certroom_kiosk::station::parse_public_key(hex)
            .map_err(|e| e.to_string())?
            .into(),
        (None, None) => {
            return Err("--service-key ou --key-set attendu / expected".into());
        }
    };
    let path = std::path::Path::new(input);
    let bytes = if input.len() < 4096 && path.is_file() {
        std::fs::read(path).map_err(|e| format!("{input}: {e}"))?
    } else {
        input.as_bytes().to_vec()
    };
    let results = certroom_certificate::verify_document(&bytes, &key);
    if results.is_empty() {
        return Err("aucun certificat trouvé / no certificate found".into());
    }
    let mut failed = 0;
    for (text, result) in &results {
        match result {
            Ok(c) => out!(
                "VALIDE / VALID  {}  {} {}  né(e) le / born {}  délivré le / issued {}  {}/{} pix, niveau / level {}  compétences / competences {:?}",
                c.code, c.first_name, c.last_name.to_uppercase(), c.birthdate, c.issued, c.pix, c.pix_max, c.global_level, c.levels
            ),
            Err(e) => {
                failed += 1;
                out!("REFUSÉ / REFUSED  [{}] {} / {}  ({})", e.code(), e.message_fr(), e.message_en(), text.chars().take(80).collect::<String>());
            }
        }
    }
    if failed > 0 {
        return Err(format!(
            "{failed} certificat(s) refusé(s) / certificate(s) refused"
        ));
    }
    Ok(())
}
