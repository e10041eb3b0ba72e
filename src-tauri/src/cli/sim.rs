//! Simulations that double as operator checks: `certroom sim crash` tortures the journal on this
//! PC's own disk, the way a lab technician checks a machine before exam day.

use certroom_journal::crash::{self, CampaignOptions};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The child re-executes this very binary with the hidden `sim crash-child` subcommand.
pub fn crash(kills: u32, dir: Option<&Path>, seed: u64, json: bool) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let owned;
    let dir = match dir {
        Some(d) => d,
        None => {
            owned = std::env::temp_dir().join(format!("certroom-crash-{}", std::process::id()));
            &owned
        }
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let options = CampaignOptions {
        kills,
        seed,
        time_budget: Some(Duration::from_secs(600)),
        ..CampaignOptions::default()
    };
    let spawn = |d: &Path| {
        let mut cmd = Command::new(&exe);
        cmd.arg("sim").arg("crash-child").arg("--dir").arg(d);
        cmd
    };
    let report = crash::campaign(dir, &options, &spawn).map_err(|e| e.to_string())?;
    super::print_report(&report, json)?;
    if report.lost_acknowledged + report.corrupt + report.resume_errors > 0 {
        return Err("acknowledged answers lost, corruption or resume errors: this disk is not fit for an exam".into());
    }
    Ok(())
}

pub fn crash_child(dir: &Path) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    crash::child_main(dir, None, &mut out).map_err(|e| e.to_string())
}
