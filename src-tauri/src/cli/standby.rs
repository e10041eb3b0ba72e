//! `certroom standby …`: the console's copy on a second medium, and a spare PC restoring it.

use std::path::Path;

use certroom_console::Console;

/// Gives the console a medium for its copy and prints the recovery code to write down.
pub fn start(data: &Path, medium: &Path) -> Result<(), String> {
    let console = Console::open(data).map_err(|e| e.message_fr)?;
    console.trust_local_operator();
    let status = console.start_standby(medium).map_err(|e| e.message_fr)?;
    out!("Copie de secours : {}", status.folder);
    out!(
        "Code de reprise (à noter, avec le mot de passe surveillant) : {}",
        status.code
    );
    out!("La copie commence à l'ouverture de la salle.");
    Ok(())
}

/// Rebuilds the console's data folder from a copy, on the spare PC.
pub fn restore(data: &Path, from: &Path, code: &str, json: bool) -> Result<(), String> {
    let restored =
        certroom_console::standby::restore(from, code, data).map_err(|e| e.message_fr)?;
    if json {
        return super::print_report(&restored, true);
    }
    out!("Copie reprise : {}", restored.folder);
    out!(
        "Session {} : {} fichiers, {} décisions de la salle en plus de la dernière copie complète.",
        restored.session,
        restored.files,
        restored.inputs_added
    );
    out!(
        "Ouvrez la console (certroom --data-dir {} console) puis la salle de la session {}.",
        data.display(),
        restored.session
    );
    Ok(())
}
