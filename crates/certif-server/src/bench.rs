//! A room in a box, and the benchmark built on it.
//!
//! [`RoomSim`] plays what a real room does, with the real pieces: the bank is sealed into a pack
//! the way the publisher seals it, each candidate's test is driven by certroom-core's engine and
//! written to a certroom-journal SQLite journal (hash chain, fsync, station-signed head), and the
//! console writes the signed bundle with certroom-bundle. Simulated candidates answer by the 2PL
//! model from a hidden ability. Plans make a candidate absent, stop early, report an incident, or
//! make the station record a question the engine would not have chosen (what a tampered kiosk
//! would write): the fixtures of the integration tests.
//!
//! [`run`] is `certif-server bench`: ingest throughput over loopback HTTP (SQLite, and
//! PostgreSQL when a URL is given), then public verification throughput and p99 latency.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use certroom_bank::pack::{self, PackKey};
use certroom_bundle::{
    AbortReason, BundleInput, BundleJournal, CandidateEntry, Centre, Incident, Outcome,
    SessionInfo, Sex,
};
use certroom_core::bank::Solution;
use certroom_core::engine::{AbortCause, AnswerContext, Next, Test, ENGINE_VERSION};
use certroom_core::Hash;
use certroom_core::{Bank, Config, Response};
use certroom_journal::steps::REASON_COMPLETED;
use certroom_journal::{
    EndedBy, Event, FocusCause, JoinedIdentity, Journal, StationKey, TestHeader,
};
use certroom_protocol::{DeclaredStation, SignedStations, StationList};
use chrono::NaiveDate;
use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::Serialize;

use crate::banks::{self, GivenKey};
use crate::config::{Database, DEFAULT_MAX_BUNDLE_BYTES};
use crate::service::{uai_for, Service};
use crate::signer::Signer;
use crate::App;

/// The sample bank shipped in the repository.
pub const SAMPLE_BANK_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/bank/sample");
pub const PASSPHRASE: &str = "salle-B12-banque";

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("journal : {0}")]
    Journal(#[from] certroom_journal::JournalError),
    #[error("clé : {0}")]
    Station(#[from] certroom_journal::StationError),
    #[error("banque : {0}")]
    Bank(#[from] banks::BankError),
    #[error("paquet : {0}")]
    Pack(#[from] certroom_bank::pack::PackError),
    #[error("moteur : {0}")]
    Engine(#[from] certroom_core::engine::EngineError),
    #[error("lot : {0}")]
    Bundle(#[from] certroom_bundle::BundleError),
    #[error("{0}")]
    Api(#[from] crate::ApiError),
    #[error("{0}")]
    App(#[from] crate::app::AppError),
    #[error("HTTP : {0}")]
    Http(String),
    #[error("{0}")]
    Other(String),
}

/// What happens to one candidate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Plan {
    /// Sits the whole test.
    #[default]
    Complete,
    /// Sits the whole test; the invigilator records an incident (code) at finalization.
    Incident(String),
    /// Never starts.
    Absent,
    /// The invigilator ends the test after `answers` answers; the journal says `journal`, the
    /// finalization declares `declared`.
    StoppedEarly {
        answers: usize,
        journal: AbortCause,
        declared: AbortReason,
    },
    /// At question `at` the station records another item than the engine chose, then the
    /// candidate finishes.
    ForgedQuestion { at: usize },
    /// The window lost the focus at question `question` (1-based), answered right nonetheless;
    /// with `e10`, the invigilator validated an E10 incident for that question.
    FocusOut { question: u32, e10: bool },
    /// Sits the whole test under a configuration the service was never given.
    UnknownConfig,
}

/// One session to simulate.
#[derive(Debug, Clone)]
pub struct SessionSpec {
    pub uai: String,
    pub centre_name: String,
    pub number: i64,
    pub candidates: usize,
    pub comment: String,
    /// By candidate index (0-based); others complete.
    pub plans: HashMap<usize, Plan>,
    /// RFC 3339; `None` = now.
    pub finalized_at: Option<String>,
}

impl SessionSpec {
    pub fn new(uai: &str, number: i64, candidates: usize) -> Self {
        SessionSpec {
            uai: uai.to_owned(),
            centre_name: "Collège Jean Moulin".into(),
            number,
            candidates,
            comment: String::new(),
            plans: HashMap::new(),
            finalized_at: None,
        }
    }

    pub fn plan(mut self, index: usize, plan: Plan) -> Self {
        self.plans.insert(index, plan);
        self
    }
}

fn key_pair() -> Result<Ed25519KeyPair, BenchError> {
    let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|_| BenchError::Other("key generation failed".into()))?;
    Ed25519KeyPair::from_pkcs8(doc.as_ref())
        .map_err(|_| BenchError::Other("key generation failed".into()))
}

const FIRST_NAMES: [&str; 10] = [
    "Zoé", "Lucas", "Inès", "Mathis", "Léa", "Noah", "Chloé", "Adam", "Maëlys", "Sacha",
];
const LAST_NAMES: [&str; 10] = [
    "N'Diaye-Lefèvre",
    "Martin",
    "Bernard",
    "Dubois",
    "Nguyen",
    "Moreau",
    "Laurent",
    "Garcia",
    "Benali",
    "Roux",
];

/// A candidate's id and who the hub matched them as.
type Joined = (i64, JoinedIdentity);

/// A simulated room: one station journal, one station key, one console key, one sealed bank.
pub struct RoomSim {
    journal: Journal,
    station: StationKey,
    console: Ed25519KeyPair,
    bank: Arc<Bank>,
    bank_hash: Hash,
    pack: Vec<u8>,
    publisher: [u8; 32],
    rng: ChaCha8Rng,
    config: Config,
    tests: u64,
}

impl RoomSim {
    /// A room working in `dir` (journal and station key), with the bank folder `bank_dir`.
    pub fn new(dir: &Path, bank_dir: &Path, seed: u64) -> Result<Self, BenchError> {
        let files = certroom_bank::folder::read_dir(bank_dir)?;
        let bank = certroom_bank::load(files.clone())
            .map_err(banks::BankError::from)?
            .bank;
        let bank_hash = Hash::from_hex(bank.content_hash())
            .ok_or_else(|| BenchError::Other("bank content hash is not hex".into()))?;
        let publisher = key_pair()?;
        let pack = pack::seal_with(
            &files,
            &PackKey::Passphrase(PASSPHRASE.into()),
            &publisher,
            pack::MIN_PBKDF2_ITERATIONS,
        )?;
        Ok(RoomSim {
            journal: Journal::open(&dir.join("journal.db"))?,
            station: StationKey::load_or_create(&dir.join("station.key"))?,
            console: key_pair()?,
            bank: Arc::new(bank),
            bank_hash,
            pack,
            publisher: pack::publisher_public_key(&publisher),
            rng: ChaCha8Rng::seed_from_u64(seed),
            config: Config::default(),
            tests: 0,
        })
    }

    pub fn pack(&self) -> &[u8] {
        &self.pack
    }

    pub fn publisher_hex(&self) -> String {
        certroom_core::hash::to_hex(&self.publisher)
    }

    pub fn bank_hash(&self) -> String {
        self.bank_hash.to_hex()
    }

    pub fn console_key_hex(&self) -> String {
        certroom_core::hash::to_hex(self.console.public_key().as_ref())
    }

    /// The console's key: what an insider with the console's data folder holds.
    pub fn console_pair(&self) -> &Ed25519KeyPair {
        &self.console
    }

    /// A new console key pair from now on (the old one is forgotten).
    pub fn replace_console(&mut self) -> Result<(), BenchError> {
        self.console = key_pair()?;
        Ok(())
    }

    /// A new PC from now on: its key has never been declared to any service.
    pub fn replace_station(&mut self, dir: &Path) -> Result<(), BenchError> {
        self.station = StationKey::load_or_create(&dir.join("station.key"))?;
        Ok(())
    }

    /// The lab's PC declared by the room's console, as `POST /v1/stations` takes it.
    pub fn station_declaration(&self, uai: &str) -> Vec<u8> {
        let list = StationList {
            uai: uai.to_owned(),
            stations: vec![DeclaredStation {
                public_key: self.station.public_key_hex(),
                label: "PC-01".into(),
            }],
            signed_at: crate::now(),
        };
        serde_json::to_vec(&SignedStations::sign(&self.console, list)).unwrap_or_default()
    }

    /// Sets up `service` for this room: enrols the centre if new, registers the console key,
    /// records the lab's PC as declared long ago, uploads the bank. Returns the centre token when the centre was
    /// enrolled now.
    pub async fn register(
        &self,
        service: &Service,
        uai: &str,
        name: &str,
    ) -> Result<Option<String>, BenchError> {
        let token = match service.enrol_centre(uai, name).await {
            Ok(t) => Some(t),
            Err(e) if e.code == "admin.centre_exists" => None,
            Err(e) => return Err(e.into()),
        };
        match service.register_console(uai, &self.console_key_hex()).await {
            Ok(_) => {}
            Err(e) if e.code == "admin.console_exists" => {}
            Err(e) => return Err(e.into()),
        }
        // The lab was declared long before: the bench simulates its sessions first and times
        // the service afterwards, and what it measures is a normal publication.
        service
            .store
            .declare_stations(
                uai,
                &self.console_key_hex(),
                &[(self.station.public_key_hex(), "PC-01".into())],
                "2000-01-01T00:00:00.000Z",
            )
            .await
            .map_err(|e| BenchError::Other(e.to_string()))?;
        service
            .add_bank(
                self.pack.clone(),
                GivenKey::Passphrase(PASSPHRASE.into()),
                &self.publisher_hex(),
            )
            .await?;
        Ok(token)
    }

    /// A response by a candidate of ability `theta` (2PL), or the right one when `surely_right`.
    fn respond(&mut self, item_id: &str, theta: f64, surely_right: bool) -> Response {
        let Some(item) = self.bank.item(item_id) else {
            return Response::Skip;
        };
        let p = 1.0 / (1.0 + (item.irt.a * (item.irt.b - theta)).exp());
        let u = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        if u < 0.04 && !surely_right {
            return Response::Skip;
        }
        let right = surely_right || u < p;
        match &item.solution {
            Solution::Choice(n) => {
                let n = i64::from(*n);
                let len = item.proposals.len().max(2) as i64;
                Response::Choice(if right { n } else { n % len + 1 })
            }
            Solution::Choices(v) if right => {
                Response::Choices(v.iter().map(|c| i64::from(*c)).collect())
            }
            Solution::Fields(map) if right => Response::Fields(
                map.iter()
                    .map(|(k, acc)| (k.clone(), acc.first().cloned().unwrap_or_default()))
                    .collect(),
            ),
            Solution::Groups(groups) if right => Response::Fields(
                item.fields
                    .keys()
                    .zip(groups)
                    .map(|(k, g)| (k.clone(), g.first().cloned().unwrap_or_default()))
                    .collect(),
            ),
            _ => Response::Skip,
        }
    }

    /// Runs one candidate's test into the journal; returns the test id and the outcome.
    fn sit(
        &mut self,
        session: i64,
        who: &Joined,
        plan: &Plan,
    ) -> Result<(String, Outcome), BenchError> {
        let candidate_id = who.0;
        self.tests += 1;
        let test_id = format!("T-{session}-{candidate_id}-{}", self.tests);
        let seed = self.rng.next_u64();
        let theta = {
            // Box–Muller: ability ~ N(0, 1).
            let u1 = ((self.rng.next_u64() >> 11) as f64 + 1.0) / ((1u64 << 53) as f64 + 1.0);
            let u2 = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        };
        let config = match plan {
            // The same engine with a wider prior: a configuration nobody registered.
            Plan::UnknownConfig => Config {
                prior_variance: self.config.prior_variance + 0.25,
                ..self.config.clone()
            },
            _ => self.config.clone(),
        };
        self.journal.create_test(
            TestHeader::new(
                test_id.clone(),
                session.to_string(),
                candidate_id.to_string(),
                seed,
                ENGINE_VERSION,
                self.bank_hash,
            )
            .with_config(config.clone())
            .with_identity(who.1.clone()),
        )?;
        for e in [
            Event::Joined,
            Event::InstructionsAcknowledged,
            Event::Authorized {
                by: "surveillant".into(),
                resume: false,
            },
        ] {
            self.journal.append(&test_id, &e)?;
        }
        // The engine borrows the bank; its own handle keeps `self` free for the journal.
        let bank = self.bank.clone();
        let mut test = Test::new(&bank, &config, seed, false)?;
        let mut answered = 0usize;
        while let Next::Question(q) = test.next_question()? {
            let forged = matches!(plan, Plan::ForgedQuestion { at } if *at == answered);
            let shown = if forged {
                bank.items()
                    .iter()
                    .map(|i| i.id.as_str())
                    .find(|id| *id != q.item_id)
                    .unwrap_or(q.item_id)
            } else {
                q.item_id
            };
            self.journal.append(
                &test_id,
                &Event::QuestionShown {
                    index: q.index,
                    item_id: shown.to_owned(),
                    draw: serde_json::Value::from(q.draw),
                },
            )?;
            if forged {
                self.journal.end_test(
                    &test_id,
                    EndedBy::Candidate,
                    Some("abandon".into()),
                    &self.station,
                )?;
                return Ok((test_id, Outcome::Finished));
            }
            if let Plan::StoppedEarly {
                answers, journal, ..
            } = plan
            {
                if answered == *answers {
                    let reason = match journal {
                        AbortCause::Technical => "technical: poste en panne",
                        AbortCause::Candidate => "candidat : abandon",
                    };
                    self.journal.end_test(
                        &test_id,
                        EndedBy::Invigilator,
                        Some(reason.into()),
                        &self.station,
                    )?;
                    return Ok((test_id, Outcome::EndedByInvigilator));
                }
            }
            let item_id = q.item_id.to_owned();
            let focus_out = matches!(plan, Plan::FocusOut { question, .. } if *question as usize == answered + 1);
            if focus_out {
                self.journal.append(
                    &test_id,
                    &Event::FocusLost {
                        cause: FocusCause::Window,
                    },
                )?;
            }
            let response = self.respond(&item_id, theta, focus_out);
            let event = if response.is_skip() {
                Event::Skip {
                    item_id: item_id.clone(),
                }
            } else {
                Event::Answer {
                    item_id: item_id.clone(),
                    response: serde_json::to_value(&response)
                        .map_err(|e| BenchError::Other(e.to_string()))?,
                    time_spent_ms: 20_000,
                    focus_lost: focus_out,
                    timed_out: false,
                }
            };
            self.journal.append(&test_id, &event)?;
            let context = AnswerContext {
                focus_lost: focus_out,
                ..AnswerContext::default()
            };
            test.answer(&item_id, &response, context)?;
            answered += 1;
        }
        self.journal.end_test(
            &test_id,
            EndedBy::Candidate,
            Some(REASON_COMPLETED.into()),
            &self.station,
        )?;
        Ok((test_id, Outcome::Finished))
    }

    /// Simulates a session and returns the bundle bytes the console would upload.
    pub fn session(&mut self, spec: &SessionSpec) -> Result<Vec<u8>, BenchError> {
        let mut candidates = Vec::with_capacity(spec.candidates);
        let mut journals = Vec::new();
        for i in 0..spec.candidates {
            let candidate_id = i as i64 + 1;
            let birth_name = LAST_NAMES[i % LAST_NAMES.len()];
            let first_name = FIRST_NAMES[(i / LAST_NAMES.len() + i) % FIRST_NAMES.len()];
            let birthdate = NaiveDate::from_ymd_opt(2010, (i % 12) as u32 + 1, (i % 28) as u32 + 1)
                .unwrap_or_default();
            // The kiosk journals who the hub matched at join: the centre's spelling.
            let joined = (
                candidate_id,
                JoinedIdentity {
                    birth_name: birth_name.into(),
                    first_name: first_name.into(),
                    birthdate: birthdate.format("%Y-%m-%d").to_string(),
                },
            );
            let plan = spec.plans.get(&i).cloned().unwrap_or_default();
            let (test_id, outcome, abort_reason) = match &plan {
                Plan::Absent => (None, Outcome::Absent, AbortReason::None),
                p => {
                    let (t, o) = self.sit(spec.number, &joined, p)?;
                    let reason = match p {
                        Plan::StoppedEarly { declared, .. } => *declared,
                        _ => AbortReason::None,
                    };
                    journals.push(BundleJournal {
                        test_id: t.clone(),
                        chain: self.journal.chain_bytes(&t, 0)?,
                        head: self.journal.signed_head(&t)?,
                    });
                    (Some(t), o, reason)
                }
            };
            let incidents = match &plan {
                Plan::Incident(code) => vec![Incident {
                    code: code.clone(),
                    note: "Problème signalé pendant l'épreuve".into(),
                    question: Some(3),
                }],
                Plan::FocusOut {
                    question,
                    e10: true,
                } => vec![Incident {
                    code: "E10".into(),
                    note: "Sortie involontaire de la fenêtre (notification système)".into(),
                    question: Some(*question),
                }],
                _ => Vec::new(),
            };
            candidates.push(CandidateEntry {
                candidate_id,
                birth_name: birth_name.into(),
                first_name: first_name.into(),
                birthdate,
                local_id: Some(format!("3{}", ['A', 'B', 'C'][i % 3])),
                sex: Some(if i % 2 == 0 { Sex::F } else { Sex::M }),
                outcome,
                abort_reason,
                incidents,
                test_id,
            });
        }
        let input = BundleInput {
            centre: Centre {
                uai: spec.uai.clone(),
                name: spec.centre_name.clone(),
            },
            session: SessionInfo {
                number: spec.number,
                date: chrono::Utc::now().date_naive(),
                site: "Bâtiment B".into(),
                room: "Salle informatique B12".into(),
                questions: self.config.questions,
            },
            candidates,
            journals,
            stations: vec![self.station.public_key()],
            comment: spec.comment.clone(),
            finalized_at: spec.finalized_at.clone().unwrap_or_else(crate::now),
            bank_hash: self.bank_hash,
            engine_version: ENGINE_VERSION.into(),
            app_version: "certroom-sim/1".into(),
        };
        Ok(certroom_bundle::write(&input, &self.console)?)
    }
}

/// `certif-server bench` settings.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub sessions: usize,
    pub candidates: usize,
    pub ingest_concurrency: usize,
    pub verify_requests: usize,
    pub verify_concurrency: usize,
    pub postgres: Option<String>,
    /// Servers sharing the PostgreSQL database during its ingest: this one, and `servers - 1`
    /// `certif-server serve` processes (this program) with the same key files.
    pub servers: usize,
    pub bank_dir: PathBuf,
    /// Published sessions each database holds before anything is measured (a generated
    /// season, see [`crate::season`]); 0 measures an empty service.
    pub season: u64,
    /// With more than 0: one centre of that many candidates in the season, whose signed results
    /// file is downloaded (and written to `results_out` when given).
    pub centre_candidates: usize,
    pub results_out: Option<PathBuf>,
    /// Where the simulated room writes its journals (in a throw-away folder made there), if
    /// not with the databases: the simulation is set-up, not measured, and its journals sync
    /// every answer, so a tmpfs such as `/dev/shm` makes long runs affordable.
    pub simulate_in: Option<PathBuf>,
    /// Hard cap on each timed phase, so the bench always stops by itself.
    pub phase_timeout: Duration,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            sessions: 20,
            candidates: 30,
            ingest_concurrency: 8,
            verify_requests: 20_000,
            verify_concurrency: 32,
            postgres: None,
            servers: 1,
            bank_dir: PathBuf::from(SAMPLE_BANK_DIR),
            season: 0,
            centre_candidates: 0,
            results_out: None,
            simulate_in: None,
            phase_timeout: Duration::from_secs(120),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub ingest_sessions_per_s_sqlite: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingest_sessions_per_s_postgres: Option<f64>,
    pub verify_per_s: f64,
    pub verify_p99_ms: f64,
    pub verify_p50_ms: f64,
    pub sessions: usize,
    pub candidates_per_session: usize,
    pub bundle_bytes_mean: usize,
    pub verify_requests: usize,
    pub verify_errors: usize,
    /// The same verification load, on PostgreSQL once its ingest is done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_postgres: Option<VerifyLoad>,
    pub simulate_s: f64,
    /// Where each ingest's time went, per session, on SQLite (and PostgreSQL).
    pub stages_sqlite: crate::stages::StageBreakdown,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stages_postgres: Option<crate::stages::StageBreakdown>,
    /// SQLite, a second batch of sessions ingested while the public verifies codes.
    pub while_ingesting: WhileIngesting,
    /// The servers sharing PostgreSQL during its ingest.
    pub servers: usize,
    /// With several servers: bundles sent to two of them at the same moment, and how many got
    /// the same receipt from both.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<Duplicates>,
    /// The season each database held before the measures (with `--season N`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub season_sqlite: Option<crate::season::Seeded>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub season_postgres: Option<crate::season::Seeded>,
    /// The SQLite database once everything was ingested, in MB.
    pub database_mb_sqlite: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub centre_file: Option<CentreFile>,
}

/// A big centre's signed results file, downloaded from the service on SQLite.
#[derive(Debug, Clone, Serialize)]
pub struct CentreFile {
    pub uai: String,
    pub candidates: u64,
    pub sessions: u64,
    pub file_bytes: usize,
    /// Median of 5 downloads, from the request to the last byte.
    pub download_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Duplicates {
    pub sent: usize,
    pub identical_receipts: usize,
}

/// What the bench measured on PostgreSQL.
struct PostgresSide {
    rate: f64,
    stages: crate::stages::StageBreakdown,
    duplicates: Option<Duplicates>,
    seeded: Option<crate::season::Seeded>,
    verify: VerifyLoad,
}

/// Public verification of published codes, with nothing else running.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyLoad {
    pub per_s: f64,
    pub p99_ms: f64,
    pub p50_ms: f64,
    pub requests: usize,
    pub errors: usize,
}

/// Both loads at once: ingest at full rate and verification, each measured.
#[derive(Debug, Clone, Serialize)]
pub struct WhileIngesting {
    pub ingest_sessions_per_s: f64,
    pub verify_per_s: f64,
    pub verify_p99_ms: f64,
    pub verify_p50_ms: f64,
    pub verify_errors: usize,
}

/// A server on a loopback port that stops when dropped.
pub struct Running {
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Serves `app` on 127.0.0.1 (a free port).
pub async fn spawn(app: &App) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let router = app.router();
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = rx.await;
        })
        .await;
    });
    Ok(Running {
        base: format!("http://{addr}"),
        stop: Some(tx),
    })
}

async fn ingest_all(
    base: &str,
    bundles: &[Arc<Vec<u8>>],
    concurrency: usize,
    timeout: Duration,
) -> Result<f64, BenchError> {
    let (rate, _) = ingest_across(&[base.to_owned()], bundles, concurrency, timeout).await?;
    Ok(rate)
}

/// The `q` quantile of sorted latencies, in milliseconds (0 when there are none).
pub(crate) fn percentile_ms(sorted: &[Duration], q: f64) -> f64 {
    let k = ((sorted.len() as f64 - 1.0) * q).round().max(0.0) as usize;
    sorted.get(k).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// `total` verifications of `codes`, `concurrency` at a time; or, with `until`, as many as fit
/// until it is set.
async fn verify_load(
    base: &str,
    codes: &[String],
    total: usize,
    concurrency: usize,
    timeout: Duration,
    until: Option<Arc<std::sync::atomic::AtomicBool>>,
) -> Result<VerifyLoad, BenchError> {
    if codes.is_empty() {
        return Err(BenchError::Other("no published code to verify".into()));
    }
    let client = reqwest::Client::new();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let codes = Arc::new(codes.to_vec());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (client, next, base, codes, until) = (
            client.clone(),
            next.clone(),
            base.to_owned(),
            codes.clone(),
            until.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0usize;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let stopped = until
                    .as_ref()
                    .is_some_and(|u| u.load(std::sync::atomic::Ordering::Relaxed));
                if i >= total || stopped || started.elapsed() > timeout {
                    return (lat, errors);
                }
                let code = &codes[i % codes.len()];
                let t0 = Instant::now();
                let ok = match client
                    .get(format!("{base}/verify/{code}"))
                    .header("accept", "application/json")
                    .send()
                    .await
                {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                lat.push(t0.elapsed());
                errors += usize::from(!ok);
            }
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.map_err(|e| BenchError::Other(e.to_string()))?;
        all.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64().max(1e-9);
    all.sort_unstable();
    Ok(VerifyLoad {
        per_s: all.len() as f64 / elapsed,
        p99_ms: percentile_ms(&all, 0.99),
        p50_ms: percentile_ms(&all, 0.50),
        requests: all.len(),
        errors,
    })
}

/// Waits until the ingest's writes have all left the WAL for the database file, and the file is
/// synced: the checkpoint thread would otherwise still be copying them, and the kernel writing
/// them back, during the verification measured next, which is then the ingest's tail and not
/// verification (the verification during an ingest is measured on its own).
async fn settle_sqlite(path: &Path) -> Result<(), BenchError> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let fail = crate::season::sqlite_error;
        let conn = rusqlite::Connection::open(&path).map_err(fail)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(fail)?;
        // The store's checkpoint thread may hold the checkpoint lock, which no busy timeout waits
        // for: try again until the WAL is empty.
        let deadline = Instant::now() + Duration::from_secs(60);
        while conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(fail)?
            != 0
        {
            if Instant::now() > deadline {
                return Err(BenchError::Other(format!(
                    "{}: the WAL could not be checkpointed in 60 s",
                    path.display()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    })
    .await
    .map_err(|e| BenchError::Other(e.to_string()))?
}

/// The codes the verification load asks for: every one the bench's centre was given, and the
/// season's sample, spread over the whole database.
async fn codes_to_verify(
    app: &App,
    uai: &str,
    season: Option<&crate::season::Seeded>,
) -> Result<Vec<String>, BenchError> {
    Ok(app
        .service
        .centre_results(uai)
        .await?
        .iter()
        .flat_map(|s| s.candidates.iter())
        .filter_map(|c| c.certification.as_ref().map(|c| c.code.clone()))
        .chain(season.iter().flat_map(|s| s.sample_codes.iter().cloned()))
        .collect())
}

/// The bench's verifications, with nothing else running.
async fn verify_alone(
    base: &str,
    codes: &[String],
    opts: &BenchOptions,
) -> Result<VerifyLoad, BenchError> {
    verify_load(
        base,
        codes,
        opts.verify_requests,
        opts.verify_concurrency,
        opts.phase_timeout,
        None,
    )
    .await
}

const BENCH_BASE_URL: &str = "https://verifier.certroom.example";

/// A service on `db`, signing with a key of its own, or with the key files in `keys` (which
/// other servers are then given).
pub(crate) async fn bench_app(db: Database, keys: Option<&Path>) -> Result<App, BenchError> {
    let signer = match keys {
        Some(dir) => Signer::load_or_create(dir, BENCH_BASE_URL),
        None => Signer::ephemeral(BENCH_BASE_URL, None),
    };
    let signer = Arc::new(signer.map_err(|e| BenchError::Other(e.to_string()))?);
    let store = crate::store::open(&db)
        .await
        .map_err(|e| BenchError::Other(e.to_string()))?;
    let service = Arc::new(Service::new(store, signer, DEFAULT_MAX_BUNDLE_BYTES));
    Ok(App::from_service(service, None))
}

fn random_schema() -> String {
    let mut b = [0u8; 6];
    let _ = ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut b);
    format!("certif_bench_{}", certroom_core::hash::to_hex(&b))
}

/// Drops a bench or test schema (best effort: it only holds throw-away data).
pub async fn drop_schema(url: &str, schema: &str) {
    if let Ok((client, conn)) = tokio_postgres::connect(url, tokio_postgres::NoTls).await {
        let task = tokio::spawn(conn);
        let _ = client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .await;
        drop(client);
        let _ = task.await;
    }
}

/// The whole benchmark.
pub async fn run(opts: &BenchOptions) -> Result<BenchReport, BenchError> {
    let work = tempfile::tempdir()?;
    let uai = uai_for(750_654);
    let t0 = Instant::now();
    let sim_work = opts
        .simulate_in
        .as_ref()
        .map(tempfile::tempdir_in)
        .transpose()?;
    let sim_dir = sim_work
        .as_ref()
        .map_or(work.path(), |w| w.path())
        .join("room");
    std::fs::create_dir_all(&sim_dir)?;
    // Journals fsync every record; the simulation is set-up, not what is measured.
    let mut room = RoomSim::new(&sim_dir, &opts.bank_dir, 2026)?;
    let mut bundles = Vec::with_capacity(opts.sessions);
    for n in 0..opts.sessions {
        let spec = SessionSpec::new(&uai, 1000 + n as i64, opts.candidates);
        bundles.push(Arc::new(room.session(&spec)?));
    }
    // A second batch, ingested while the public verifies: what a national peak looks like.
    let mut peak = Vec::with_capacity(opts.sessions);
    for n in 0..opts.sessions {
        let spec = SessionSpec::new(&uai, 5000 + n as i64, opts.candidates);
        peak.push(Arc::new(room.session(&spec)?));
    }
    // The session a season copies: ingested untimed into each database before seeding.
    let template =
        Arc::new(room.session(&SessionSpec::new(&uai, TEMPLATE_SESSION, opts.candidates))?);
    let simulate_s = t0.elapsed().as_secs_f64();
    let bundle_bytes_mean = bundles.iter().map(|b| b.len()).sum::<usize>() / bundles.len().max(1);

    let sqlite_dir = work.path().join("sqlite");
    let sqlite_path = sqlite_dir.join("certif.db");
    let app = bench_app(Database::Sqlite(sqlite_path.clone()), None).await?;
    room.register(&app.service, &uai, "Collège Jean Moulin")
        .await?;
    let server = spawn(&app).await?;
    ingest_all(
        &server.base,
        std::slice::from_ref(&template),
        1,
        opts.phase_timeout,
    )
    .await?;
    let season = season_of(&app, &uai, &room).await?;
    let season_sqlite = if opts.season > 0 {
        let (path, signer, season) = (
            sqlite_path.clone(),
            app.service.signer.clone(),
            season.clone(),
        );
        let sessions = opts.season;
        Some(
            tokio::task::spawn_blocking(move || {
                crate::season::seed_sqlite(
                    &path,
                    &season,
                    &signer,
                    crate::season::Layout::season(sessions),
                )
            })
            .await
            .map_err(|e| BenchError::Other(e.to_string()))??,
        )
    } else {
        None
    };
    app.service.stages.reset();
    let ingest_sqlite = ingest_all(
        &server.base,
        &bundles,
        opts.ingest_concurrency,
        opts.phase_timeout,
    )
    .await?;
    let stages_sqlite = app.service.stages.breakdown(crate::cores());
    let codes = codes_to_verify(&app, &uai, season_sqlite.as_ref()).await?;
    settle_sqlite(&sqlite_path).await?;
    let alone = verify_alone(&server.base, &codes, opts).await?;
    // Verification while ingest runs at full rate: both loads at once, each measured, the
    // verifications stopping when the ingest is done.
    let ingested = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (ingest_during, verify_during) = tokio::join!(
        async {
            let rate = ingest_all(
                &server.base,
                &peak,
                opts.ingest_concurrency,
                opts.phase_timeout,
            )
            .await;
            ingested.store(true, std::sync::atomic::Ordering::Relaxed);
            rate
        },
        verify_load(
            &server.base,
            &codes,
            usize::MAX,
            opts.verify_concurrency,
            opts.phase_timeout,
            Some(ingested.clone()),
        )
    );
    let during = verify_during?;
    let while_ingesting = WhileIngesting {
        ingest_sessions_per_s: ingest_during?,
        verify_per_s: during.per_s,
        verify_p99_ms: during.p99_ms,
        verify_p50_ms: during.p50_ms,
        verify_errors: during.errors,
    };
    let centre_file = if opts.centre_candidates > 0 {
        Some(centre_file(&app, &server.base, &sqlite_path, &season, opts).await?)
    } else {
        None
    };
    drop(server);
    drop(app);
    let database_mb_sqlite = crate::season::file_mb(&sqlite_path);

    let pg = match &opts.postgres {
        None => None,
        Some(url) => {
            let schema = random_schema();
            let result = async {
                let keys = work.path().join("keys");
                std::fs::create_dir_all(&keys)?;
                let app = bench_app(
                    Database::Postgres {
                        url: url.clone(),
                        schema: Some(schema.clone()),
                    },
                    Some(&keys),
                )
                .await?;
                room.register(&app.service, &uai, "Collège Jean Moulin")
                    .await?;
                let server = spawn(&app).await?;
                ingest_all(
                    &server.base,
                    std::slice::from_ref(&template),
                    1,
                    opts.phase_timeout,
                )
                .await?;
                let seeded = if opts.season > 0 {
                    Some(
                        crate::season::seed_postgres(
                            url,
                            &schema,
                            &season,
                            &app.service.signer,
                            crate::season::Layout::season(opts.season),
                        )
                        .await?,
                    )
                } else {
                    None
                };
                let mut others = Vec::new();
                for _ in 1..opts.servers.max(1) {
                    let exe = std::env::current_exe()?;
                    let database = schema_url(url, &schema);
                    others.push(ServerProcess::start(&exe, &keys, &database, &[]).await?);
                }
                let bases: Vec<String> = std::iter::once(server.base.clone())
                    .chain(others.iter().map(|p| p.base.clone()))
                    .collect();
                app.service.stages.reset();
                let (rate, duplicates) = ingest_across(
                    &bases,
                    &bundles,
                    opts.ingest_concurrency,
                    opts.phase_timeout,
                )
                .await?;
                let duplicates = (bases.len() > 1).then_some(duplicates);
                drop(others);
                let stages = app.service.stages.breakdown(crate::cores());
                let codes = codes_to_verify(&app, &uai, seeded.as_ref()).await?;
                let verify = verify_alone(&server.base, &codes, opts).await?;
                Ok::<_, BenchError>(PostgresSide {
                    rate,
                    stages,
                    duplicates,
                    seeded,
                    verify,
                })
            }
            .await;
            drop_schema(url, &schema).await;
            Some(result?)
        }
    };
    Ok(BenchReport {
        ingest_sessions_per_s_sqlite: ingest_sqlite,
        ingest_sessions_per_s_postgres: pg.as_ref().map(|p| p.rate),
        verify_per_s: alone.per_s,
        verify_p99_ms: alone.p99_ms,
        verify_p50_ms: alone.p50_ms,
        sessions: opts.sessions,
        candidates_per_session: opts.candidates,
        bundle_bytes_mean,
        verify_requests: alone.requests,
        verify_errors: alone.errors,
        verify_postgres: pg.as_ref().map(|p| p.verify.clone()),
        simulate_s,
        stages_sqlite,
        stages_postgres: pg.as_ref().map(|p| p.stages.clone()),
        while_ingesting,
        servers: if opts.postgres.is_some() {
            opts.servers.max(1)
        } else {
            1
        },
        duplicates: pg.as_ref().and_then(|p| p.duplicates.clone()),
        season_sqlite,
        season_postgres: pg.and_then(|p| p.seeded),
        database_mb_sqlite,
        centre_file,
    })
}

/// Seeds one centre of `opts.centre_candidates` candidates and downloads its results file.
async fn centre_file(
    app: &App,
    base: &str,
    path: &Path,
    season: &Arc<crate::season::Season>,
    opts: &BenchOptions,
) -> Result<CentreFile, BenchError> {
    let per_session = season.rows.len().max(1) as u64;
    let sessions = (opts.centre_candidates as u64).div_ceil(per_session);
    let layout = crate::season::Layout {
        sessions,
        per_centre: sessions,
        first_centre: 3_000_000,
    };
    let (path, signer, season) = (path.to_owned(), app.service.signer.clone(), season.clone());
    tokio::task::spawn_blocking(move || {
        crate::season::seed_sqlite(&path, &season, &signer, layout)
    })
    .await
    .map_err(|e| BenchError::Other(e.to_string()))??;
    let uai = layout.uai(0);
    let client = reqwest::Client::new();
    let mut times = Vec::new();
    let mut file = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        let r = client
            .get(format!("{base}/v1/centres/{uai}/results.signed"))
            .bearer_auth(crate::season::centre_token(&uai))
            .send()
            .await
            .map_err(|e| BenchError::Http(e.to_string()))?;
        let status = r.status();
        file = r
            .bytes()
            .await
            .map_err(|e| BenchError::Http(e.to_string()))?
            .to_vec();
        if !status.is_success() {
            return Err(BenchError::Http(format!(
                "results file {status}: {}",
                String::from_utf8_lossy(&file)
            )));
        }
        times.push(t0.elapsed());
    }
    times.sort_unstable();
    if let Some(out) = &opts.results_out {
        std::fs::write(out, &file)?;
    }
    Ok(CentreFile {
        uai,
        candidates: sessions * per_session,
        sessions,
        file_bytes: file.len(),
        download_ms: percentile_ms(&times, 0.5),
    })
}

/// The session number of the session a season copies.
const TEMPLATE_SESSION: i64 = 9_000;

/// The season's model: the template session's rows as the service stored them.
async fn season_of(
    app: &App,
    uai: &str,
    room: &RoomSim,
) -> Result<Arc<crate::season::Season>, BenchError> {
    let rows = app
        .service
        .centre_results(uai)
        .await?
        .into_iter()
        .find(|s| s.session_number == TEMPLATE_SESSION)
        .ok_or_else(|| BenchError::Other("the template session was not published".into()))?
        .candidates
        .into_iter()
        .map(|c| c.row)
        .collect();
    Ok(Arc::new(crate::season::Season {
        rows,
        console_key: room.console_key_hex(),
        bank_hash: room.bank_hash(),
        engine_version: ENGINE_VERSION.to_owned(),
    }))
}

/// A PostgreSQL URL whose connections use `schema` (what a `serve` process is given to share a
/// bench's or a test's schema).
pub fn schema_url(url: &str, schema: &str) -> String {
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}options=-c%20search_path%3D{schema}")
}

/// Another server: `certif-server serve` on a loopback port, with the given key files and
/// database; killed when dropped.
pub struct ServerProcess {
    child: std::process::Child,
    pub port: u16,
    pub base: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// Starts `exe serve` (the certif-server binary) and waits until it answers; `extra` are
    /// more `serve` arguments.
    pub async fn start(
        exe: &Path,
        keys: &Path,
        database: &str,
        extra: &[&str],
    ) -> Result<Self, BenchError> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = std::process::Command::new(exe)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(keys)
            .args(["--database", database, "--base-url", BENCH_BASE_URL])
            .args(extra)
            .env_remove("CERTIF_ADMIN_TOKEN")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let process = ServerProcess {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            let up = client.get(format!("{}/health", process.base)).send().await;
            if up.is_ok_and(|r| r.status().is_success()) {
                return Ok(process);
            }
            if Instant::now() > end {
                return Err(BenchError::Other(format!("{} did not start", process.base)));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Uploads spread across `bases`, `concurrency` per server at most, each bundle to one server
/// and, with several servers, every fourth to the next one too at the same moment; returns the
/// rate and how the duplicates were answered.
async fn ingest_across(
    bases: &[String],
    bundles: &[Arc<Vec<u8>>],
    concurrency: usize,
    timeout: Duration,
) -> Result<(f64, Duplicates), BenchError> {
    let slots = Arc::new(tokio::sync::Semaphore::new(
        concurrency.max(1) * bases.len(),
    ));
    let client = reqwest::Client::new();
    let post = |base: &String, b: &Arc<Vec<u8>>| {
        let request = client
            .post(format!("{base}/v1/bundles"))
            .body(b.as_ref().clone())
            .send();
        async move {
            let r = request.await.map_err(|e| BenchError::Http(e.to_string()))?;
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            if !status.is_success() {
                return Err(BenchError::Http(format!("ingest {status}: {body}")));
            }
            Ok(body)
        }
    };
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut duplicates = Duplicates {
        sent: 0,
        identical_receipts: 0,
    };
    for (i, b) in bundles.iter().enumerate() {
        let slot = slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| BenchError::Other(e.to_string()))?;
        let first = post(&bases[i % bases.len()], b);
        if bases.len() > 1 && i % 4 == 0 {
            duplicates.sent += 1;
            let second = post(&bases[(i + 1) % bases.len()], b);
            tasks.spawn(async move {
                let (a, b) = tokio::join!(first, second);
                drop(slot);
                Ok::<_, BenchError>(Some(a? == b?))
            });
        } else {
            tasks.spawn(async move {
                let done = first.await.map(|_| None);
                drop(slot);
                done
            });
        }
    }
    while let Some(done) = tasks.join_next().await {
        if started.elapsed() > timeout {
            return Err(BenchError::Other("ingest phase timed out".into()));
        }
        let same = done.map_err(|e| BenchError::Other(e.to_string()))??;
        duplicates.identical_receipts += usize::from(same == Some(true));
    }
    Ok((
        bundles.len() as f64 / started.elapsed().as_secs_f64().max(1e-9),
        duplicates,
    ))
}
