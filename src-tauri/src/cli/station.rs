//! `certroom station check`: the lab PC's readiness, for the technician (certroom_kiosk::readiness).

use std::path::Path;

use certroom_kiosk::readiness::{judge, observe, Probe};

/// Prints every item, French then English; fails when any would stop exam day.
pub fn check(data_dir: &Path, json: bool) -> Result<(), String> {
    let findings = judge(&observe(&Probe::of_this_machine(data_dir)));
    for f in &findings {
        if json {
            out!("{}", serde_json::to_string(f).map_err(|e| e.to_string())?);
        } else {
            let mark = if f.ok { "OK     " } else { "BLOQUE " };
            out!("{mark} {}\n        {}", f.fr, f.en);
        }
    }
    let blocking = findings.iter().filter(|f| !f.ok).count();
    match blocking {
        0 => Ok(()),
        n => Err(format!(
            "{n} point(s) bloquant(s) sur ce poste / {n} blocking item(s) on this PC"
        )),
    }
}
