//! `certroom sim e2e`: the whole chain on loopback with the real parts (certroom-simulation).

use std::path::PathBuf;

use certroom_simulation::chain;

pub struct Options {
    pub candidates: usize,
    pub keep: Option<PathBuf>,
    pub bank: PathBuf,
    pub server_bin: Option<PathBuf>,
    pub fraud: Option<usize>,
    pub json: bool,
}

pub fn run(o: &Options) -> Result<(), String> {
    let server_bin = match &o.server_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()
            .map_err(|e| e.to_string())?
            .with_file_name("certif-server"),
    };
    let report = chain::run(&chain::Options {
        candidates: o.candidates,
        keep: o.keep.clone(),
        bank: o.bank.clone(),
        server_bin,
        fraud: o.fraud,
    })?;
    super::print_report(&report, o.json)?;
    if !report.complete() {
        return Err("not every candidate was published, verified and printed".into());
    }
    Ok(())
}
