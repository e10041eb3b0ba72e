//! `certroom`: one binary, its role chosen at launch. `kiosk`, `console` and `office` open a
//! window; every other subcommand runs headless and needs no display.

#[cfg(test)]
mod bindings;
#[macro_use]
mod cli;
mod commands;
mod console;
mod error;
mod kiosk;
mod logs;
mod office;

mod save_as;
mod shell;
mod station;

use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "certroom",
    version,
    about = "Salles de certification des compétences numériques, hors ligne d'abord",
    after_help = "Exemples / examples:
  certroom console                                   console du surveillant (menu : « Console du surveillant »)
  certroom office                                    secrétariat : attestations
  certroom session create --site \"Collège J. Moulin\" --room B12 --date 12/03/2027 \\
    --start-time 09:00 --invigilator \"M. Durand\"    une session
  certroom session import --session 1 eleves.ods     candidats, tout ou rien
  sudo -u certroom-kiosk certroom station check      ce poste est-il prêt ?
  certroom certificate verify --key-set cles.json attestations.pdf
  certroom logs export journaux.zip                  pour l'assistance"
)]
struct Cli {
    /// Folder holding this station's databases, keys and logs.
    #[arg(long, global = true, env = "CERTROOM_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Kiosque du candidat (plein écran verrouillé) / candidate kiosk.
    Kiosk,
    /// Console du surveillant / invigilator console.
    Console {
        /// Démonstration : ouvre directement la salle préparée par `certroom sim demo-room`
        /// (lue dans le dossier de données). / Demo: opens the room `sim demo-room` prepared.
        #[arg(long)]
        open_demo_room: bool,
    },
    /// Secrétariat : attestations / school office: certificates.
    Office,
    /// Installation d'un poste de salle / lab PC set-up.
    Station {
        #[command(subcommand)]
        command: StationCommand,
    },
    /// Journal technique des fenêtres (dossier logs des données) / the windows' technical log.
    Logs {
        #[command(subcommand)]
        command: LogsCommand,
    },
    /// Copie de secours de la console, pour qu'un PC de secours reprenne la salle si le poste
    /// surveillant tombe / the console's standby copy, for a spare PC to take the room over.
    Standby {
        #[command(subcommand)]
        command: StandbyCommand,
    },
    /// Sessions de certification de la console / certification sessions.
    Session {
        /// The console database (default: console.db in the data folder).
        #[arg(long, global = true)]
        db: Option<PathBuf>,
        #[command(subcommand)]
        command: SessionCommand,
    },
    /// Banques de questions / question banks.
    Bank {
        #[command(subcommand)]
        command: BankCommand,
    },
    /// Journaux des candidats / candidate journals.
    Journal {
        #[command(subcommand)]
        command: JournalCommand,
    },
    /// Attestations imprimées par le secrétariat / certificates.
    Certificate {
        #[command(subcommand)]
        command: CertificateCommand,
    },
    /// Lots de résultats signés / signed result bundles.
    Bundle {
        #[command(subcommand)]
        command: BundleCommand,
    },
    /// Simulations and operator checks.
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
    /// Benchmarks (figures go in BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
enum LogsCommand {
    /// Emballe les journaux techniques dans un zip pour l'assistance (ex. :
    /// `certroom logs export journaux.zip`) / packs the technical logs into a zip for support.
    Export { file: PathBuf },
}

#[derive(Subcommand)]
enum StationCommand {
    /// Sets the invigilator's exit code of this kiosk (read from standard input, one line).
    SetExitCode,
    /// Fixe l'éditeur de confiance des banques et, si un paquet est donné, l'installe (sinon la
    /// console l'enverra au poste appairé). / Pins the bank publisher and installs a pack, if
    /// given (otherwise the paired console sends it).
    InstallBank {
        pack: Option<PathBuf>,
        /// Hex Ed25519 public key printed by `certroom bank pack`.
        #[arg(long)]
        publisher: String,
    },
    /// Prints where this station keeps its data.
    Where,
    /// Lecteur d'écran (Orca, voix française) sur ce poste, pour un élève qui en a besoin ; le
    /// surveillant peut aussi l'activer depuis la console (« Synthèse vocale »). Le kiosque
    /// suivant le démarre. / The screen reader on this PC; the console can also turn it on.
    ///
    /// Exemple : sudo -u certroom-kiosk certroom --data-dir /var/lib/certroom station speech on
    Speech {
        #[arg(value_enum)]
        state: Switch,
    },
    /// Vérifie ce qui empêcherait le jour de l'examen sur ce poste : dossier de données, espace
    /// disque, écriture durable, code de sortie, banque, appairage et poste du surveillant,
    /// version et horloge de la console, affichage, session verrouillée, bus d'accessibilité.
    /// Code de sortie 1 si un point bloque.
    /// Checks what would stop exam day on this PC; exit status 1 if anything would.
    ///
    /// Exemple : sudo -u certroom-kiosk certroom station check
    Check {
        /// Une ligne JSON par point. / One JSON object per item.
        #[arg(long)]
        json: bool,
    },
    /// Appaire ce poste avec la console du surveillant : donnez son nom (ou son adresse) ;
    /// les deux écrans affichent le même code à 6 chiffres, à confirmer sur la console.
    /// / Pairs this PC with the invigilator's console by its name; confirm the same code on both
    /// screens.
    ///
    /// Exemple : sudo -u certroom-kiosk certroom --data-dir /var/lib/certroom station pair --hub salle12-console --label PC-07
    Pair {
        /// Nom ou adresse de la console, port 7443 par défaut (ex. salle12-console,
        /// 192.168.1.10:7443). / The console's name or address.
        #[arg(long)]
        hub: String,
        /// Empreinte affichée par la console, si vous préférez la recopier (facultatif : le code
        /// à comparer suffit). / The fingerprint the console shows (optional).
        #[arg(long)]
        fingerprint: Option<String>,
        /// Nom du poste sur la console. / How the console lists this PC.
        #[arg(long, default_value = "PC")]
        label: String,
        /// Secondes d'attente de la confirmation. / Seconds to wait for the confirmation.
        #[arg(long, default_value_t = 600)]
        wait: u64,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Switch {
    On,
    Off,
}

#[derive(Subcommand)]
enum StandbyCommand {
    /// Copie en continu ce qu'il faut pour reprendre la salle (identité de la salle, clé de la
    /// console, sessions, décisions) dans un dossier d'un autre support : clé USB, partage d'un
    /// autre PC. Chiffrée ; affiche le code de reprise à noter. La copie commence à l'ouverture
    /// de la salle (ou tout de suite si elle est ouverte dans la console).
    /// / Keeps an encrypted copy of what the room needs on another medium; prints the recovery code.
    ///
    /// Exemple : certroom standby start --to /media/cle-usb
    Start {
        /// Dossier du support (monté). / The medium's folder.
        #[arg(long)]
        to: PathBuf,
    },
    /// Sur le PC de secours : recrée les données de la console à partir de la copie (dans le
    /// dossier de données, qui doit être vide), avec le code de reprise lu sur l'entrée standard.
    /// Ouvrez ensuite la console et la salle comme d'habitude.
    /// / On the spare PC: rebuilds the console's data from the copy (recovery code on stdin).
    ///
    /// Exemple : certroom standby restore --from /media/cle-usb
    Restore {
        /// Le support, ou le dossier de la copie. / The medium, or the copy's folder.
        #[arg(long)]
        from: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SessionCommand {
    /// Creates a session; prints its number, access code and invigilator password.
    Create {
        #[arg(long)]
        site: String,
        #[arg(long)]
        room: String,
        /// jj/mm/aaaa
        #[arg(long)]
        date: String,
        /// hh:mm, local time
        #[arg(long)]
        start_time: String,
        /// One per invigilator.
        #[arg(long = "invigilator", required = true)]
        invigilators: Vec<String>,
        #[arg(long, default_value = "")]
        observations: String,
        #[arg(long)]
        json: bool,
    },
    /// Lists the sessions.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Imports candidates (national template CSV/ODS/XLSX, or SIECLE XML/ZIP), all or nothing.
    Import {
        #[arg(long)]
        session: i64,
        file: PathBuf,
        /// SIECLE: the classes (divisions) that sit the session, comma-separated.
        #[arg(long, value_delimiter = ',')]
        classes: Vec<String>,
    },
    /// Creates the sessions of a sessions file (`;`-separated, BOM), all or nothing.
    ImportSessions { file: PathBuf },
    /// Exports the candidates in the national template (.csv or .xlsx).
    Export {
        #[arg(long)]
        session: i64,
        file: PathBuf,
    },
    /// Prints the attendance sheet (feuille d'émargement) as a PDF.
    Attendance {
        #[arg(long)]
        session: i64,
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum BankCommand {
    /// Validates a bank folder (every error listed) and prints its statistics.
    Check { bank: PathBuf },
    /// Derives each competence's level bounds from the bank's item parameters and prints them;
    /// `--write` stores them in the folder's bank.json (`competence_bounds`).
    Bounds {
        bank: PathBuf,
        #[arg(long)]
        write: bool,
    },
    /// Validates a bank folder and seals it into an encrypted, signed pack (passphrase on stdin).
    Pack {
        bank: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// The publisher's signing key (PKCS#8, created on first use, mode 0600).
        #[arg(long)]
        publisher_key: PathBuf,
        /// PBKDF2 iterations that protect the passphrase.
        #[arg(long, default_value_t = certroom_bank::pack::DEFAULT_PBKDF2_ITERATIONS)]
        iterations: u32,
    },
}

#[derive(Subcommand)]
enum CertificateCommand {
    /// Vérifie une attestation hors ligne : le texte de son QR code, ou un PDF d'attestations
    /// (chacune), avec la clé du service ou son jeu de clés publié (clés révoquées refusées).
    /// Checks a certificate offline: the text of its QR code, or a certificate PDF (every
    /// certificate in it), against the service's key or its published key set.
    ///
    /// Exemple : certroom certificate verify --key-set cles-service.json attestations.pdf
    Verify {
        /// The QR code's text (https://…/v/P-…#…) or the path of a PDF.
        input: String,
        /// Clé publique Ed25519 du service (64 caractères hexadécimaux). / The service's hex
        /// Ed25519 public key.
        #[arg(
            long,
            env = "CERTROOM_SERVICE_KEY",
            required_unless_present = "key_set"
        )]
        service_key: Option<String>,
        /// Jeu de clés du service (`certif-server keys export`, ou GET /v1/keys). / The
        /// service's key set file.
        #[arg(long, env = "CERTROOM_KEY_SET", conflicts_with = "service_key")]
        key_set: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum BundleCommand {
    /// Checks a bundle offline: prints its content, or names the first fault and fails.
    Verify {
        file: PathBuf,
        /// Hex public keys of the consoles to trust (repeat); without, the console is not pinned.
        #[arg(long)]
        console: Vec<String>,
    },
}

#[derive(Subcommand)]
enum JournalCommand {
    /// Checks a journal file: prints OK with the counts, or the first broken link and fails.
    Verify { file: PathBuf },
}

#[derive(Subcommand)]
enum SimCommand {
    /// The adaptive engine against the reference system's selection, random and fixed order.
    Engine {
        #[arg(long, default_value_t = 10_000)]
        candidates: usize,
        #[arg(long, default_value_t = 2_000)]
        items: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Prior variance of the per-competence method (scoring's `competence_prior_variance`).
        #[arg(long, default_value_t = certroom_core::scoring::DEFAULT_COMPETENCE_PRIOR_VARIANCE)]
        competence_prior_variance: f64,
        #[arg(long)]
        json: bool,
    },
    /// Kills a simulated candidate's kiosk N times and checks nothing acknowledged was lost.
    Crash {
        #[arg(long, default_value_t = 200)]
        kills: u32,
        /// Folder for the campaign's journal (default: a new temporary folder).
        #[arg(long)]
        dir: Option<PathBuf>,
        #[arg(long, default_value_t = 0x5eed_c0de)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
    #[command(hide = true)]
    CrashChild {
        #[arg(long)]
        dir: PathBuf,
    },
    /// N simulated kiosks (real journals) and a pushed console against a hub process on loopback.
    Room {
        #[command(flatten)]
        room: SimRoomArgs,
        /// Seconds of answering before the remaining tests are ended.
        #[arg(long, default_value_t = 120)]
        duration: u64,
    },
    /// Un réseau de salle hostile : pendant qu'une salle simulée passe l'épreuve, des trames
    /// falsifiées, rejouées et non appairées de chaque type, du bruit depuis 50 connexions, des
    /// demandes d'appairage et des essais de mot de passe attaquent le concentrateur.
    /// A hostile lab network: while a simulated room sits its test, forged, replayed and
    /// unpaired frames of every kind, junk from 50 connections, pairing requests and password
    /// guesses attack the hub. Fails if any got through.
    Attack {
        #[command(flatten)]
        room: SimRoomArgs,
        /// Seconds of attack while the tests run.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// 1.0: 1,000 frames of each kind per category, 10,000 junk frames, 10,000 pairings.
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
    },
    /// The whole chain on loopback: a room, its signed bundle through the outbox to a
    /// certif-server process, publication, every code verified, certificates printed.
    E2e {
        #[arg(long, default_value_t = 30)]
        candidates: usize,
        /// Keep every artifact (bundle, journals, results, certificates.pdf) in this folder.
        #[arg(long)]
        keep: Option<PathBuf>,
        #[arg(long, default_value = "assets/bank/sample")]
        bank: PathBuf,
        /// The certif-server binary (default: next to this one).
        #[arg(long)]
        server_bin: Option<PathBuf>,
        /// Candidate (by index, from 0) caught cheating (C6): the session goes to the jury,
        /// whose member rejects that candidate and validates the others.
        #[arg(long)]
        fraud: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Prépare la salle de démonstration : une console (centre, session de six candidats, banque
    /// scellée) et un poste déjà appairé avec elle, sur cette machine. / Prepares the demo room.
    DemoRoom {
        /// Dossier de données de la console (nouveau). / The console's data folder (new).
        #[arg(long)]
        console: PathBuf,
        /// Dossier de données du poste (nouveau). / The lab PC's data folder (new).
        #[arg(long)]
        kiosk: PathBuf,
        /// Port d'écoute de la console sur 127.0.0.1. / The console's port on loopback.
        #[arg(long, default_value_t = 7443)]
        port: u16,
        #[arg(long)]
        json: bool,
    },
    #[command(hide = true)]
    ConsoleChild,
    #[command(hide = true)]
    HubChild {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        setup: PathBuf,
        #[arg(long, default_value = "127.0.0.1:0")]
        bind: String,
    },
}

/// A simulated room, for `sim room` and `sim attack`.
#[derive(clap::Args)]
struct SimRoomArgs {
    #[arg(long, default_value_t = 30)]
    kiosks: usize,
    /// Think time per question in milliseconds, `min-max`.
    #[arg(long, default_value = "1000-5000")]
    think_ms: String,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Folder for the hub's record and the kiosks' journals (default: a new temporary folder).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The question bank folder the kiosks sit.
    #[arg(long, default_value = "assets/bank/sample")]
    bank: PathBuf,
    #[arg(long)]
    json: bool,
}

impl SimRoomArgs {
    /// The room's options for `duration_s` seconds of answering.
    fn options(self, duration_s: u64) -> Result<certroom_simulation::measured::Options, String> {
        let think_ms = self
            .think_ms
            .split_once('-')
            .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
            .ok_or_else(|| format!("--think-ms {:?}: expected min-max in ms", self.think_ms))?;
        Ok(certroom_simulation::measured::Options {
            kiosks: self.kiosks,
            duration_s,
            think_ms,
            seed: self.seed,
            dir: self.dir,
            bank: self.bank,
        })
    }
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Acknowledged answer latency vs a raw write + fsync on the same disk.
    Journal {
        /// Folder on the disk to measure (default: ./.certroom-bench).
        #[arg(long)]
        dir: Option<PathBuf>,
        #[arg(long, default_value_t = 1000)]
        answers: usize,
        #[arg(long)]
        json: bool,
    },
    /// One certificate, then a batch of N in one PDF: time and size.
    Certificates {
        #[arg(long, default_value_t = 300)]
        count: usize,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let data = station::DataDir::resolve(cli.data_dir);
    let window = matches!(
        cli.command,
        Command::Kiosk | Command::Console { .. } | Command::Office
    );
    logs::init(window.then(|| data.path()));
    let result: Result<(), String> = match cli.command {
        Command::Kiosk => shell::run(shell::Role::Kiosk, data, false).map_err(|e| e.to_string()),
        Command::Console { open_demo_room } => {
            shell::run(shell::Role::Console, data, open_demo_room).map_err(|e| e.to_string())
        }
        Command::Office => shell::run(shell::Role::Office, data, false).map_err(|e| e.to_string()),
        Command::Station { command } => match command {
            StationCommand::SetExitCode => set_exit_code(&data),
            StationCommand::InstallBank { pack, publisher } => {
                cli::bank::install(&data, pack.as_deref(), &publisher)
            }
            StationCommand::Pair {
                hub,
                fingerprint,
                label,
                wait,
            } => cli::room::pair(&data, &hub, fingerprint.as_deref(), &label, wait),
            StationCommand::Check { json } => cli::station::check(data.path(), json),
            StationCommand::Speech { state } => set_speech(&data, matches!(state, Switch::On)),
            StationCommand::Where => {
                out!("{}", data.path().display());
                Ok(())
            }
        },
        Command::Logs {
            command: LogsCommand::Export { file },
        } => logs::export(data.path(), &file).map(|n| {
            out!(
                "{n} fichier(s) de journal dans {} / log file(s) written",
                file.display()
            );
        }),
        Command::Session { db, command } => {
            let db = db.unwrap_or_else(|| data.console_db());
            match command {
                SessionCommand::Create {
                    site,
                    room,
                    date,
                    start_time,
                    invigilators,
                    observations,
                    json,
                } => {
                    let draft = certroom_centre::session::SessionDraft {
                        site,
                        room,
                        date,
                        start_time,
                        invigilators,
                        observations,
                    };
                    cli::session::create(&db, draft, json)
                }
                SessionCommand::List { json } => cli::session::list(&db, json),
                SessionCommand::Import {
                    session,
                    file,
                    classes,
                } => cli::session::import(&db, session, &file, &classes),
                SessionCommand::ImportSessions { file } => {
                    cli::session::import_sessions(&db, &file)
                }
                SessionCommand::Export { session, file } => {
                    cli::session::export(&db, session, &file)
                }
                SessionCommand::Attendance { session, out } => {
                    cli::session::attendance(&db, session, &out)
                }
            }
        }
        Command::Standby { command } => match command {
            StandbyCommand::Start { to } => cli::standby::start(data.path(), &to),
            StandbyCommand::Restore { from, json } => {
                read_secret_line().and_then(|code| cli::standby::restore(data.path(), &from, &code, json))
            }
        },
        Command::Bank {
            command: BankCommand::Check { bank },
        } => cli::bank::check(&bank),
        Command::Bank {
            command: BankCommand::Bounds { bank, write },
        } => cli::bank::bounds(&bank, write),
        Command::Bank {
            command:
                BankCommand::Pack {
                    bank,
                    out,
                    publisher_key,
                    iterations,
                },
        } => cli::bank::pack(&bank, &out, &publisher_key, iterations),
        Command::Journal {
            command: JournalCommand::Verify { file },
        } => cli::journal::verify(&file),
        Command::Certificate {
            command:
                CertificateCommand::Verify {
                    input,
                    service_key,
                    key_set,
                },
        } => cli::journal::verify_certificate(&input, service_key.as_deref(), key_set.as_deref()),
        Command::Bundle {
            command: BundleCommand::Verify { file, console },
        } => cli::journal::verify_bundle(&file, &console),
        Command::Sim { command } => match command {
            SimCommand::Engine {
                candidates,
                items,
                seed,
                competence_prior_variance,
                json,
            } => cli::engine::simulate(candidates, items, seed, competence_prior_variance, json),
            SimCommand::Crash {
                kills,
                dir,
                seed,
                json,
            } => cli::sim::crash(kills, dir.as_deref(), seed, json),
            SimCommand::CrashChild { dir } => cli::sim::crash_child(&dir),
            SimCommand::Room { room, duration } => {
                let json = room.json;
                room.options(duration)
                    .and_then(|o| cli::room::sim(&o, json))
            }
            SimCommand::DemoRoom {
                console,
                kiosk,
                port,
                json,
            } => certroom_simulation::demo::prepare(&console, &kiosk, port).and_then(|room| {
                if json {
                    out!("{}", serde_json::to_string(&room).map_err(|e| e.to_string())?);
                } else {
                    out!("Session {} : code d'accès des candidats {}, mot de passe des surveillants {}", room.session, room.access_code, room.invigilator_password);
                    for (first, birth, date) in &room.candidates {
                        out!("  candidat : {first} {birth}, né(e) le {date}");
                    }
                }
                Ok(())
            }),
            SimCommand::Attack {
                room,
                seconds,
                scale,
            } => {
                let json = room.json;
                room.options(seconds).and_then(|o| {
                    cli::room::attack(
                        &certroom_simulation::attack::Options { room: o, scale },
                        json,
                    )
                })
            }
            SimCommand::HubChild { dir, setup, bind } => cli::room::hub_child(&dir, &setup, &bind),
            SimCommand::ConsoleChild => {
                certroom_simulation::console_process::serve_child(data.path())
            }
            SimCommand::E2e {
                candidates,
                keep,
                bank,
                server_bin,
                fraud,
                json,
            } => cli::e2e::run(&cli::e2e::Options {
                candidates,
                keep,
                bank,
                server_bin,
                fraud,
                json,
            }),
        },
        Command::Bench {
            command: BenchCommand::Journal { dir, answers, json },
        } => cli::journal::bench(dir.as_deref(), answers, json),
        Command::Bench {
            command: BenchCommand::Certificates { count, json },
        } => certroom_pdf::bench::certificates(count)
            .map_err(|e| e.to_string())
            .and_then(|r| cli::print_report(&r, json)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("certroom: {message}");
            ExitCode::FAILURE
        }
    }
}

/// One line of standard input, without its end: a secret is never an argument (`ps` shows those).
fn read_secret_line() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn set_speech(data: &station::DataDir, on: bool) -> Result<(), String> {
    data.ensure().map_err(|e| e.to_string())?;
    let path = data.station_config();
    let mut config =
        certroom_kiosk::station::StationConfig::load(&path).map_err(|e| e.to_string())?;
    config.speech = on;
    config.save(&path).map_err(|e| e.to_string())?;
    eprintln!(
        "certroom : lecteur d'écran {} sur ce poste ({}) / screen reader {}",
        if on { "activé" } else { "désactivé" },
        path.display(),
        if on { "on" } else { "off" }
    );
    Ok(())
}

fn set_exit_code(data: &station::DataDir) -> Result<(), String> {
    let code = read_secret_line()?;
    let code = code.as_str();
    data.ensure().map_err(|e| e.to_string())?;
    let path = data.station_config();
    let mut config =
        certroom_kiosk::station::StationConfig::load(&path).map_err(|e| e.to_string())?;
    config.set_exit_code(code).map_err(|e| e.to_string())?;
    config.save(&path).map_err(|e| e.to_string())?;
    eprintln!("certroom: exit code set in {}", path.display());
    Ok(())
}

#[cfg(test)]
mod help_examples {
    use clap::{CommandFactory, Parser};

    /// The examples under `certroom --help` are commands as written: a renamed option fails here.
    #[test]
    fn every_example_in_the_help_parses() {
        let help = super::Cli::command()
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        let mut examples = Vec::new();
        let mut pending = String::new();
        for line in help.lines().skip(1) {
            // The command, then two spaces or more before what it does.
            let command = line.trim().split("  ").next().unwrap_or_default();
            let command = command
                .strip_prefix("sudo -u certroom-kiosk ")
                .unwrap_or(command);
            match command.strip_suffix('\\') {
                Some(head) => pending.push_str(head),
                None => examples.push(std::mem::take(&mut pending) + command),
            }
        }
        assert!(examples.len() >= 6, "{examples:?}");
        for example in examples {
            let words = shlex::split(&example).unwrap_or_default();
            assert_eq!(
                words.first().map(String::as_str),
                Some("certroom"),
                "{example}"
            );
            if let Err(e) = super::Cli::try_parse_from(&words) {
                panic!("{example}: {e}");
            }
        }
    }
}
