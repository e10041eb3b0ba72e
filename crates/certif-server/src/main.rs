//! `certif-server`: serve the API, import a bundle brought on a USB key, set up centres, and
//! measure. Every subcommand goes through the same `Service` as the HTTP API.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use certif_server::banks::GivenKey;
use certif_server::bench::{self, BenchOptions};
use certif_server::config::{Database, ServerConfig, DEFAULT_MAX_BUNDLE_BYTES};
use certif_server::{ApiError, App};
use clap::{Args, Parser, Subcommand};

// With glibc's allocator, two in three of an ingest's futex calls were its arena locks: a
// bundle's records are allocated on one thread and freed on another. With jemalloc's
// per-thread caches an ingest makes less than half the futex calls; glibc and mimalloc were
// measured against it in BENCHMARKS.md ("jemalloc").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "certif-server",
    version,
    about = "Service central de certification certroom / certroom central certification service"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Common {
    /// Data directory: the service key (server.key, mode 0600) and the SQLite database.
    #[arg(long, env = "CERTIF_DATA_DIR", default_value = "certif-data")]
    data_dir: PathBuf,
    /// `postgres://user@host/db` for PostgreSQL; default: SQLite in the data directory.
    #[arg(long, env = "CERTIF_DATABASE")]
    database: Option<String>,
    /// Public base URL of the verification site, written into every QR code.
    #[arg(long, env = "CERTIF_BASE_URL", default_value = certif_server::config::DEFAULT_BASE_URL)]
    base_url: String,
    /// Adresse d'un proxy inverse de confiance (répétable) : derrière lui, le client est
    /// l'adresse qu'il transmet (X-Forwarded-For). / A trusted reverse proxy's address
    /// (repeatable): behind it, the client is the address it forwards.
    #[arg(
        long = "trusted-proxy",
        env = "CERTIF_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<std::net::IpAddr>,
}

impl Common {
    fn config(&self, admin_token: Option<String>, max_bundle_bytes: usize) -> ServerConfig {
        ServerConfig {
            data_dir: self.data_dir.clone(),
            database: Database::from_arg(self.database.as_deref(), &self.data_dir),
            base_url: self.base_url.clone(),
            admin_token,
            max_bundle_bytes,
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve {
        #[command(flatten)]
        common: Common,
        #[arg(long, env = "CERTIF_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Fichier du jeton d'administration (16 caractères au moins), ou la variable
        /// CERTIF_ADMIN_TOKEN ; jamais sur la ligne de commande (visible dans `ps`). Sans jeton,
        /// `/admin` est désactivé. / File holding the `/admin` bearer token, or CERTIF_ADMIN_TOKEN;
        /// never on the command line. Without one, `/admin` is disabled.
        #[arg(long, env = "CERTIF_ADMIN_TOKEN_FILE")]
        admin_token_file: Option<PathBuf>,
        /// Largest bundle accepted, MiB.
        #[arg(long, default_value_t = DEFAULT_MAX_BUNDLE_BYTES / (1024 * 1024))]
        max_bundle_mb: usize,
    },
    /// Import a bundle file (e.g. from a USB key): the same checks as an upload.
    Import {
        #[command(flatten)]
        common: Common,
        file: PathBuf,
    },
    /// Déclare les postes d'un centre hors ligne (fichier `stations.json` signé par sa console,
    /// apporté sur clé USB) : l'heure retenue est celle de l'import.
    /// Declare an offline centre's PCs (a `stations.json` signed by its console, brought on a USB
    /// key): the time recorded is the import's.
    ImportStations {
        #[command(flatten)]
        common: Common,
        file: PathBuf,
    },
    /// Set-up: centres, console keys, banks.
    Admin {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Membres du jury : chacun a son identifiant ; le jeton d'administration ne décide rien.
    /// Jury members: each has a credential of their own; the admin token decides nothing.
    Jury {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: JuryAction,
    },
    /// Clés de signature du service : rotation, révocation, export du jeu de clés publié
    /// (à faire service arrêté ; il relit ses clés au démarrage).
    /// The service's signing keys: rotation, revocation, export of the published key set (with
    /// the service stopped; it reads its keys at start).
    Keys {
        /// Dossier de données du service (server.key, keys.json). / The service's data folder.
        #[arg(long, env = "CERTIF_DATA_DIR", default_value = "certif-data")]
        data_dir: PathBuf,
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Measure ingest and public verification over loopback.
    Bench {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Also measure ingest on this PostgreSQL database (in a throw-away schema).
        #[arg(long)]
        postgres: Option<String>,
        /// Servers sharing that PostgreSQL database during its ingest (this one and N−1
        /// `serve` processes with the same keys); some bundles go to two at once.
        #[arg(long, default_value_t = 1, requires = "postgres")]
        servers: usize,
        #[arg(long, default_value_t = 20)]
        sessions: usize,
        #[arg(long, default_value_t = 30)]
        candidates: usize,
        /// Fill each database with this many published sessions (a generated season) before
        /// measuring: how the service does once it holds a season.
        #[arg(long, default_value_t = 0)]
        season: u64,
        /// Also seed one centre of this many candidates and time the download of its signed
        /// results file.
        #[arg(long, default_value_t = 0)]
        centre_candidates: usize,
        /// Write that centre's results file here (for the office's import bench).
        #[arg(long, requires = "centre_candidates")]
        results_out: Option<PathBuf>,
        /// Simule la salle dans ce dossier (un tmpfs comme /dev/shm l'accélère : elle n'est
        /// pas mesurée). / Simulate the room in this folder (a tmpfs such as /dev/shm speeds
        /// it up: it is not measured).
        #[arg(long)]
        simulate_in: Option<PathBuf>,
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        /// Verifications in flight at once.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Uploads in flight at once, per server. A national peak has hundreds of centres
        /// uploading; with 4, PostgreSQL's ingests spent more time waiting on their commits.
        #[arg(long, default_value_t = 8)]
        ingest_concurrency: usize,
        /// Bank folder used by the simulated rooms (relative to the current folder: run from the
        /// repository).
        #[arg(long, default_value = "assets/bank/sample")]
        bank: PathBuf,
        /// Measure the service under abuse instead: slow uploads, a code sweeper, and real
        /// verifications meanwhile.
        #[arg(long)]
        attack: bool,
        /// How long the attack lasts, seconds.
        #[arg(long, default_value_t = 60)]
        attack_seconds: u64,
    },
}

#[derive(Subcommand)]
enum KeysAction {
    /// Crée la clé suivante, signée par l'actuelle, qui signera désormais ; les anciennes
    /// vérifient toujours ce qu'elles ont signé. / Make the next key, endorsed by the current
    /// one, and sign with it from now on; old keys keep verifying what they signed.
    Rotate,
    /// Révoque la clé N (fuite) : ce qu'elle a signé n'est plus accepté ; le service re-signe
    /// avec la clé actuelle les QR codes qu'il distribue. La clé actuelle ne se révoque pas :
    /// faites d'abord une rotation. / Revoke key N (leaked): what it signed is refused from
    /// now on; the service re-signs the QR texts it hands out. Rotate before revoking the
    /// current key.
    Revoke {
        id: u16,
        /// Motif, publié avec la révocation. / Reason, published with the revocation.
        #[arg(long)]
        reason: String,
    },
    /// Écrit le jeu de clés publié (celui de GET /v1/keys), pour les vérificateurs hors ligne.
    /// Write the published key set (as GET /v1/keys serves it), for offline verifiers.
    Export {
        /// Fichier à écrire ; sans lui, la sortie standard. / File to write; default stdout.
        file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AdminAction {
    /// Vide les journaux des lots reçus il y a plus de N jours et déjà décidés ou publiés ; les
    /// résultats et les certifications restent. / Empty the journals of bundles received more
    /// than N days ago and already decided or published; results and certifications stay.
    Purge {
        #[arg(long)]
        older_than_days: u32,
    },
    /// Enrol a centre; prints its token (shown once).
    EnrolCentre {
        #[arg(long)]
        uai: String,
        #[arg(long)]
        name: String,
    },
    /// Register a console's Ed25519 public key (64 hex digits) for a centre.
    RegisterConsole {
        #[arg(long)]
        uai: String,
        #[arg(long)]
        key: String,
    },
    /// Add an engine configuration (JSON file) journals may be scored under; prints its id.
    /// A journal under a configuration the service does not know goes to the jury.
    AddConfig {
        /// The configuration, as the kiosks run it (engine and scoring, JSON).
        file: std::path::PathBuf,
    },
    /// Revoke a console key: its bundles are refused from now on.
    RevokeConsole {
        #[arg(long)]
        uai: String,
        #[arg(long)]
        key: String,
    },
    /// Store a bank pack so journals drawn from it can be replayed.
    AddBank {
        #[arg(long)]
        pack: PathBuf,
        /// File holding the passphrase the pack was sealed with (or CERTIF_BANK_PASSPHRASE).
        #[arg(
            long,
            env = "CERTIF_BANK_PASSPHRASE_FILE",
            conflicts_with = "session_key_file"
        )]
        passphrase_file: Option<PathBuf>,
        /// File holding the 256-bit session key, 64 hex digits (or CERTIF_BANK_SESSION_KEY).
        #[arg(long, env = "CERTIF_BANK_SESSION_KEY_FILE")]
        session_key_file: Option<PathBuf>,
        /// The publisher's Ed25519 public key, 64 hex digits.
        #[arg(long)]
        publisher: String,
    },
}

#[derive(Subcommand)]
enum JuryAction {
    /// Ajoute un membre et affiche son identifiant (une seule fois).
    /// Add a member and print their credential (shown once).
    Add {
        /// Nom du membre, tel que ses décisions le porteront / the member's name, as their acts carry it.
        name: String,
    },
    /// Liste les membres / list the members.
    List,
    /// Retire un membre : son identifiant cesse de fonctionner, ses actes restent.
    /// Remove a member: their credential stops working, their acts stay.
    Remove { name: String },
}

/// A secret from its file (trailing newline dropped) or else its environment variable: never an
/// argument, which every user of the machine reads in `ps`.
fn secret(env: &str, file: Option<&std::path::Path>) -> Result<Option<String>, String> {
    match file {
        Some(path) => std::fs::read_to_string(path)
            .map(|s| Some(s.trim_end_matches(['\r', '\n']).to_owned()))
            .map_err(|e| format!("{} : {e}", path.display())),
        None => Ok(std::env::var(env).ok().filter(|v| !v.is_empty())),
    }
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("{e}");
    ExitCode::FAILURE
}

fn api_fail(e: &ApiError) -> ExitCode {
    eprintln!("{e}");
    if let Ok(j) = serde_json::to_string(e) {
        eprintln!("{j}");
    }
    // 3: the input was refused (a bundle, a key...), as opposed to the service failing.
    if e.status < 500 {
        ExitCode::from(3)
    } else {
        ExitCode::FAILURE
    }
}

async fn open(common: &Common) -> Result<App, ExitCode> {
    App::open(&common.config(None, DEFAULT_MAX_BUNDLE_BYTES))
        .await
        .map_err(|e| fail(&e))
}

fn print_json<T: serde::Serialize>(v: &T) -> ExitCode {
    match serde_json::to_string_pretty(v) {
        Ok(s) => {
            println!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CERTIF_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            common,
            bind,
            admin_token_file,
            max_bundle_mb,
        } => {
            let admin_token = match secret("CERTIF_ADMIN_TOKEN", admin_token_file.as_deref()) {
                Ok(t) => t,
                Err(e) => return fail(&e),
            };
            if !certif_server::app::base_url_allowed(&common.base_url, &bind) {
                return fail(&format!(
                    "--base-url {} : c'est l'adresse par défaut, écrite dans chaque QR code ; \
                     donnez l'adresse publique du site de vérification (CERTIF_BASE_URL), ou \
                     écoutez sur 127.0.0.1 pour un essai. / the default base URL goes into every \
                     QR code: give the verification site's public address, or listen on loopback.",
                    common.base_url
                ));
            }
            let cfg = common.config(admin_token, max_bundle_mb.saturating_mul(1024 * 1024));
            let app = match App::open(&cfg).await {
                Ok(a) => a,
                Err(e) => return fail(&e),
            };
            if cfg.admin_token.is_none() {
                tracing::warn!("no admin token (CERTIF_ADMIN_TOKEN): /admin is disabled");
            }
            match app.serve(&bind).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            }
        }
        Command::Import { common, file } => {
            let app = match open(&common).await {
                Ok(a) => a,
                Err(c) => return c,
            };
            let bytes = match read_bounded(&file, app.service.max_bundle_bytes) {
                Ok(b) => b,
                Err(e) => return fail(&format!("{}: {e}", file.display())),
            };
            match app.service.ingest(bytes).await {
                Ok(stored) => print_json(&stored.receipt),
                Err(e) => api_fail(&e),
            }
        }
        Command::ImportStations { common, file } => {
            let app = match open(&common).await {
                Ok(a) => a,
                Err(c) => return c,
            };
            let bytes = match read_bounded(&file, 512 * 1024) {
                Ok(b) => b,
                Err(e) => return fail(&format!("{}: {e}", file.display())),
            };
            match app.service.declare_stations(&bytes).await {
                Ok(stations) => print_json(&stations),
                Err(e) => api_fail(&e),
            }
        }
        Command::Keys { data_dir, action } => keys(&data_dir, action),
        Command::Admin { common, action } => {
            let app = match open(&common).await {
                Ok(a) => a,
                Err(c) => return c,
            };
            admin(&app, action).await
        }
        Command::Jury { common, action } => {
            let app = match open(&common).await {
                Ok(a) => a,
                Err(c) => return c,
            };
            jury(&app, action).await
        }
        Command::Bench {
            json,
            postgres,
            sessions,
            candidates,
            requests,
            concurrency,
            ingest_concurrency,
            bank,
            attack,
            attack_seconds,
            servers,
            season,
            centre_candidates,
            results_out,
            simulate_in,
        } => {
            if attack {
                let o = certif_server::attack::AttackOptions {
                    duration: std::time::Duration::from_secs(attack_seconds),
                    bank_dir: bank,
                    ..Default::default()
                };
                return match certif_server::attack::run(&o).await {
                    Ok(r) => print_json(&r),
                    Err(e) => fail(&e),
                };
            }
            let opts = BenchOptions {
                sessions,
                candidates,
                verify_requests: requests,
                verify_concurrency: concurrency,
                ingest_concurrency,
                postgres,
                servers,
                bank_dir: bank,
                season,
                centre_candidates,
                results_out,
                simulate_in,
                ..BenchOptions::default()
            };
            match bench::run(&opts).await {
                Ok(r) if json => print_json(&r),
                Ok(r) => {
                    println!(
                        "ingest_sessions_per_s_sqlite {:.1}",
                        r.ingest_sessions_per_s_sqlite
                    );
                    if let Some(pg) = r.ingest_sessions_per_s_postgres {
                        println!(
                            "ingest_sessions_per_s_postgres {pg:.1} ({} servers)",
                            r.servers
                        );
                    }
                    if let Some(d) = &r.duplicates {
                        println!(
                            "duplicates {} sent to two servers at once, {} with the same receipt",
                            d.sent, d.identical_receipts
                        );
                    }
                    println!("verify_per_s {:.0}", r.verify_per_s);
                    println!("verify_p99_ms {:.2}", r.verify_p99_ms);
                    if let Some(v) = &r.verify_postgres {
                        println!(
                            "verify_postgres {:.0}/s p99 {:.2} ms ({} errors)",
                            v.per_s, v.p99_ms, v.errors
                        );
                    }
                    let w = &r.while_ingesting;
                    println!(
                        "while_ingesting ingest {:.1} sessions/s, verify {:.0}/s p99 {:.2} ms ({} errors)",
                        w.ingest_sessions_per_s, w.verify_per_s, w.verify_p99_ms, w.verify_errors
                    );
                    let stages = std::iter::once(("sqlite", &r.stages_sqlite))
                        .chain(r.stages_postgres.as_ref().map(|s| ("postgres", s)));
                    for (db, s) in stages {
                        println!(
                            "stages_{db}_ms_per_session hash {:.2} parse {:.2} lookups {:.2} verify {:.2} replay {:.2} publish {:.2} pack {:.2} store {:.2} → cpu_limit {:.1} sessions/s on {} cores",
                            s.hash_ms, s.parse_ms, s.lookups_ms, s.verify_ms, s.replay_ms, s.publish_ms, s.pack_ms, s.store_ms, s.cpu_limit_sessions_per_s, s.cores
                        );
                    }
                    let seasons = std::iter::once(("sqlite", &r.season_sqlite))
                        .chain(std::iter::once(("postgres", &r.season_postgres)));
                    for (db, s) in seasons {
                        if let Some(s) = s {
                            println!(
                                "season_{db} {} sessions, {} centres, {} certifications seeded in {:.0} s, database {:.0} MB",
                                s.sessions, s.centres, s.certifications, s.seconds, s.database_mb
                            );
                        }
                    }
                    if let Some(f) = &r.centre_file {
                        println!(
                            "centre_file {} candidates in {} sessions: {} bytes, downloaded in {:.0} ms",
                            f.candidates, f.sessions, f.file_bytes, f.download_ms
                        );
                    }
                    println!(
                        "({} sessions × {} candidates, bundle {} KiB, {} verifications, {} errors, simulation {:.1} s)",
                        r.sessions,
                        r.candidates_per_session,
                        r.bundle_bytes_mean / 1024,
                        r.verify_requests,
                        r.verify_errors,
                        r.simulate_s
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
    }
}

fn keys(data_dir: &std::path::Path, action: KeysAction) -> ExitCode {
    use certif_server::keyring;
    if let Err(e) = std::fs::create_dir_all(data_dir) {
        return fail(&e);
    }
    let ring = match action {
        KeysAction::Rotate => keyring::rotate(data_dir),
        KeysAction::Revoke { id, reason } => keyring::revoke(data_dir, id, reason.trim()),
        KeysAction::Export { file: Some(file) } => {
            return match keyring::load_or_create(data_dir).map(|r| r.set) {
                Ok(set) => {
                    match std::fs::write(&file, serde_json::to_vec_pretty(&set).unwrap_or_default())
                    {
                        Ok(()) => {
                            eprintln!(
                                "Jeu de clés écrit dans {} / key set written to it",
                                file.display()
                            );
                            ExitCode::SUCCESS
                        }
                        Err(e) => fail(&e),
                    }
                }
                Err(e) => fail(&e),
            };
        }
        KeysAction::Export { file: None } => keyring::load_or_create(data_dir),
    };
    match ring {
        Ok(ring) => print_json(&ring.set),
        Err(e) => fail(&e),
    }
}

async fn admin(app: &App, action: AdminAction) -> ExitCode {
    let s = &app.service;
    match action {
        AdminAction::EnrolCentre { uai, name } => match s.enrol_centre(&uai, &name).await {
            Ok(token) => print_json(&serde_json::json!({
                "uai": uai, "name": name.trim(), "centre_token": token
            })),
            Err(e) => api_fail(&e),
        },
        AdminAction::RegisterConsole { uai, key } => match s.register_console(&uai, &key).await {
            Ok(k) => print_json(&certif_server::dto::ConsoleDto::from(k)),
            Err(e) => api_fail(&e),
        },
        AdminAction::AddConfig { file } => {
            let json = match std::fs::read(&file) {
                Ok(j) => j,
                Err(e) => {
                    eprintln!("certif-server: {}: {e}", file.display());
                    return ExitCode::FAILURE;
                }
            };
            match s.add_config(&json).await {
                Ok((id, created)) => print_json(&serde_json::json!({"id": id, "created": created})),
                Err(e) => api_fail(&e),
            }
        }
        AdminAction::Purge { older_than_days } => {
            let before = (chrono::Utc::now() - chrono::Duration::days(i64::from(older_than_days)))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            match s.store.purge_evidence(&before).await {
                Ok(n) => print_json(
                    &serde_json::json!({ "purged_bundles": n, "received_before": before }),
                ),
                Err(e) => fail(&e),
            }
        }
        AdminAction::RevokeConsole { uai, key } => match s.revoke_console(&uai, &key).await {
            Ok(k) => print_json(&certif_server::dto::ConsoleDto::from(k)),
            Err(e) => api_fail(&e),
        },
        AdminAction::AddBank {
            pack,
            passphrase_file,
            session_key_file,
            publisher,
        } => {
            let given =
                secret("CERTIF_BANK_PASSPHRASE", passphrase_file.as_deref()).and_then(|p| {
                    Ok((
                        p,
                        secret("CERTIF_BANK_SESSION_KEY", session_key_file.as_deref())?,
                    ))
                });
            let (passphrase, session_key) = match given {
                Ok(g) => g,
                Err(e) => return fail(&e),
            };
            let key = match (passphrase, session_key) {
                (Some(p), None) => GivenKey::Passphrase(p),
                (None, Some(k)) => GivenKey::Session(k),
                _ => return fail(&"--passphrase-file ou --session-key-file (un seul, ou leur variable d'environnement) / exactly one of --passphrase-file, --session-key-file (or their environment variable)"),
            };
            let bytes = match read_bounded(&pack, s.max_bundle_bytes) {
                Ok(b) => b,
                Err(e) => return fail(&format!("{}: {e}", pack.display())),
            };
            let service: Arc<_> = s.clone();
            match service.add_bank(bytes, key, &publisher).await {
                Ok(summary) => print_json(&summary),
                Err(e) => api_fail(&e),
            }
        }
    }
}

async fn jury(app: &App, action: JuryAction) -> ExitCode {
    let s = &app.service;
    match action {
        JuryAction::Add { name } => match s.add_jury_member(&name).await {
            Ok(credential) => print_json(&serde_json::json!({
                "name": name.trim(), "credential": credential
            })),
            Err(e) => api_fail(&e),
        },
        JuryAction::List => match s.jury_members().await {
            Ok(members) => print_json(
                &members
                    .iter()
                    .map(|m| {
                        serde_json::json!({
                            "name": m.name, "added_at": m.added_at, "removed_at": m.removed_at
                        })
                    })
                    .collect::<Vec<_>>(),
            ),
            Err(e) => api_fail(&e),
        },
        JuryAction::Remove { name } => match s.remove_jury_member(&name).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => api_fail(&e),
        },
    }
}

/// Reads at most `max` bytes; a larger file is refused rather than loaded.
fn read_bounded(path: &std::path::Path, max: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(path)?
        .take(max as u64 + 1)
        .read_to_end(&mut buf)?;
    if buf.len() > max {
        return Err(std::io::Error::other(format!("larger than {max} bytes")));
    }
    Ok(buf)
}
