//! `certroom`: one binary, its role chosen at launch. `kiosk`, `console` and `office` open a
//! window; every other subcommand runs headless and needs no display.

mod commands;
mod error;
mod kiosk;
mod shell;
mod station;

use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "certroom", version, about = "Salles de certification des compétences numériques, hors ligne d'abord")]
struct Cli {
    /// Folder holding this station's databases, keys and logs.
    #[arg(long, global = true, env = "CERTROOM_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Candidate kiosk (locked-down fullscreen window).
    Kiosk,
    /// Invigilator console.
    Console,
    /// School office: certificates.
    Office,
    /// Lab PC set-up.
    Station {
        #[command(subcommand)]
        command: StationCommand,
    },
}

#[derive(Subcommand)]
enum StationCommand {
    /// Sets the invigilator's exit code of this kiosk (read from standard input, one line).
    SetExitCode,
    /// Prints where this station keeps its data.
    Where,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let data = station::DataDir::resolve(cli.data_dir);
    let result: Result<(), String> = match cli.command {
        Command::Kiosk => shell::run(shell::Role::Kiosk, data).map_err(|e| e.to_string()),
        Command::Console => shell::run(shell::Role::Console, data).map_err(|e| e.to_string()),
        Command::Office => shell::run(shell::Role::Office, data).map_err(|e| e.to_string()),
        Command::Station { command: StationCommand::SetExitCode } => set_exit_code(&data),
        Command::Station { command: StationCommand::Where } => {
            println!("{}", data.path().display());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("certroom: {message}");
            ExitCode::FAILURE
        }
    }
}

fn set_exit_code(data: &station::DataDir) -> Result<(), String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
    let code = line.trim_end_matches(['\r', '\n']);
    data.ensure().map_err(|e| e.to_string())?;
    let path = data.station_config();
    let mut config = station::StationConfig::load(&path).map_err(|e| e.to_string())?;
    config.set_exit_code(code).map_err(|e| e.to_string())?;
    config.save(&path).map_err(|e| e.to_string())?;
    eprintln!("certroom: exit code set in {}", path.display());
    Ok(())
}
