//! A room for tests: the sample bank sealed for the session, a hub on loopback, and kiosks with
//! their own journals talking to it.
#![allow(dead_code)]

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use certroom_bank::pack::{self, PackKey};
use certroom_hub::{Authority, EnrolledCandidate, Hub, RoomSetup, RunningHub};
use certroom_journal::{ManualClock, StationKey};
use certroom_kiosk::live::LiveKiosk;
use certroom_kiosk::{Identity, KioskConfig, Sitting};
use certroom_protocol::KioskCommand;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};

pub const BANK_KEY: &str = "salle-test-2026";
pub const SESSION: i64 = 777;
pub const PASSWORD: &str = "k7?Pm2";
pub const ACCESS: &str = "BCDF23";

pub struct Bank {
    pub pack: Vec<u8>,
    pub publisher: [u8; 32],
}

pub fn bank() -> Bank {
    let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let publisher = Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/bank/sample");
    let files = certroom_bank::folder::read_dir(&dir).unwrap();
    let pack = pack::seal_with(
        &files,
        &PackKey::Passphrase(BANK_KEY.into()),
        &publisher,
        pack::MIN_PBKDF2_ITERATIONS,
    )
    .unwrap();
    let mut pk = [0u8; 32];
    pk.copy_from_slice(publisher.public_key().as_ref());
    Bank {
        pack,
        publisher: pk,
    }
}

pub fn candidates(n: usize) -> Vec<EnrolledCandidate> {
    let mut list = certroom_simulation::room::enrolled_candidates(n, |i| {
        (format!("Élève{i}"), format!("Dupont-Lefèvre {i}"))
    });
    // The first candidate has a tiers-temps (33 %).
    if let Some(first) = list.first_mut() {
        first.extra_time_percent = 33;
    }
    list
}

pub fn setup(n: usize) -> RoomSetup {
    RoomSetup {
        session: SESSION,
        access_code: ACCESS.into(),
        invigilator_password: PASSWORD.into(),
        bank_key: BANK_KEY.into(),
        questions: 32,
        duration_min: 105,
        candidates: candidates(n),
    }
}

pub async fn hub(dir: &Path, n: usize) -> (RunningHub, Authority) {
    serve(Hub::open(dir, setup(n)).unwrap()).await
}

/// A room of one candidate whose hub identity and paired PCs live in the console's `lab`.
pub async fn hub_in_lab(lab: &Path, room: &Path) -> (RunningHub, Authority) {
    serve(Hub::open_in_lab(lab, room, setup(1)).unwrap()).await
}

async fn serve(hub: Hub) -> (RunningHub, Authority) {
    let running = hub.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let auth = running.hub.sign_in(SESSION, PASSWORD).unwrap();
    (running, auth)
}

pub fn identity(i: usize) -> Identity {
    let c = &candidates(i + 1)[i];
    Identity {
        session: SESSION.to_string(),
        first_name: c.first_name.clone(),
        birth_name: c.birth_name.clone(),
        birthdate: c.birthdate.format("%d/%m/%Y").to_string(),
    }
}

/// A lab PC: its journal folder, its sitting and its live connection, enrolled in the hub.
pub struct Pc {
    pub sitting: Arc<Mutex<Sitting>>,
    pub live: LiveKiosk,
    pub station: String,
    /// The PC's clock: time passes when a test advances it.
    pub clock: ManualClock,
}

pub async fn pc(dir: &Path, bank: &Bank, hub: &RunningHub, auth: &Authority) -> Pc {
    let clock = ManualClock::at(chrono::Utc::now());
    let sitting = Sitting::open_with_clock(
        dir,
        bank.pack.clone(),
        KioskConfig {
            engine: certroom_core::Config::default(),
            session_id: SESSION.to_string(),
            publisher: bank.publisher,
        },
        Arc::new(clock.clone()),
    )
    .unwrap();
    let key =
        StationKey::load_or_create(&dir.join(certroom_kiosk::sitting::STATION_KEY_FILE)).unwrap();
    let station = key.public_key_hex();
    let sitting = Arc::new(Mutex::new(sitting));
    let mut live = LiveKiosk::connect(
        hub.addr,
        hub.hub.fingerprint(),
        Arc::new(key.into_key_pair()),
        Arc::new(AtomicU64::new(0)),
        sitting.clone(),
    )
    .await
    .unwrap();
    hub.hub
        .command(
            auth,
            certroom_protocol::ConsoleCommand::OpenPairing { minutes: 60 },
        )
        .unwrap();
    let enrolled = live.pair("PC").await.unwrap().is_none();
    if !enrolled {
        hub.hub
            .command(
                auth,
                certroom_protocol::ConsoleCommand::ConfirmPairing {
                    station: station.clone(),
                },
            )
            .unwrap();
    }
    assert!(live.hello().await.unwrap());
    Pc {
        sitting,
        live,
        station,
        clock,
    }
}

impl Pc {
    /// Candidate `i` joins on this PC, types the access code, is authorized and starts.
    pub async fn start(&mut self, hub: &RunningHub, auth: &Authority, i: usize) {
        self.live.join(&identity(i)).await.unwrap();
        self.live.ready(ACCESS).await.unwrap();
        hub.hub
            .command(
                auth,
                certroom_protocol::ConsoleCommand::Authorize {
                    candidate: i as i64 + 1,
                },
            )
            .unwrap();
        self.obey().await;
    }

    /// Waits for the next command from the invigilator and carries it out.
    pub async fn obey(&mut self) -> KioskCommand {
        let (id, cmd) =
            tokio::time::timeout(std::time::Duration::from_secs(10), self.live.next_command())
                .await
                .expect("a command in time")
                .expect("connection open");
        self.live.carry_out(id, cmd.clone()).await.unwrap();
        cmd
    }

    pub fn screen(&self) -> certroom_kiosk::Screen {
        self.sitting
            .lock()
            .unwrap()
            .screen(certroom_kiosk::Lang::Fr)
            .unwrap()
    }

    /// Answers the question on screen (first proposal or "42") and sends the records.
    pub async fn answer(&mut self) -> String {
        let certroom_kiosk::Screen::Question { question, .. } = self.screen() else {
            panic!("no question on screen: {:?}", self.screen())
        };
        let response = certroom_simulation::room::any_answer(&question, 1);
        self.sitting
            .lock()
            .unwrap()
            .answer(&question.item_id, response, certroom_kiosk::Lang::Fr)
            .unwrap();
        self.live.sync().await.unwrap();
        question.item_id.clone()
    }

    pub fn question_id(&self) -> Option<String> {
        match self.screen() {
            certroom_kiosk::Screen::Question { question, .. } => Some(question.item_id.clone()),
            _ => None,
        }
    }
}
