//! Nothing the hub acknowledged is lost when its process is killed. `harness = false`: this
//! binary is also the hub it SIGKILLs, re-executed through `current_exe()` with `CHILD_DIR` set,
//! so the child's stdout carries nothing but its `LISTENING` line.
//!
//! The parent drives a real session through the protocol's own clients (a kiosk pairs, a
//! candidate joins, is authorized, sends journal records; the console decides an alert,
//! finalizes) and kills the hub right after an acknowledged reply at four stages. Each time a new
//! hub on the same folder must show the console the very room it showed before, keep its pin,
//! and still refuse the last accepted frame as a replay.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use certroom_hub::{EnrolledCandidate, Hub, RoomSetup};
use certroom_journal::{EndedBy, Event, FocusCause, Journal, StationKey, TestHeader};
use certroom_protocol::client::connect_socket;
use certroom_protocol::frame;
use certroom_protocol::{
    pairing, ConsoleCommand, ConsoleEvent, ConsoleLink, Fingerprint, HubMessage, KioskCommand,
    KioskLink, KioskMessage, Reply, RoomView, Tile, TileStatus, WireHead,
};
use chrono::NaiveDate;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_tungstenite::tungstenite::Message;

const CHILD_DIR: &str = "CERTROOM_HUB_KILL_CHILD_DIR";
const SESSION: i64 = 4217;
const PASSWORD: &str = "k7?Pm2";
/// Generous: a debug build on a busy two-core machine opens the hub and its TLS in well under it.
const DEADLINE: Duration = Duration::from_secs(60);

/// Each round: where the hub is killed, and what the restarted hub must still hold.
const ROUNDS: [(&str, &str); 4] = [
    ("after_join", "keeps_the_station_and_the_seat"),
    (
        "after_authorized_start",
        "keeps_the_test_and_sends_no_done_command",
    ),
    (
        "after_alert_decision",
        "still_sends_the_decision_to_the_kiosk",
    ),
    ("after_finalization", "stays_closed"),
];
/// What every round checks besides its own.
const CHECKS: [&str; 3] = ["keeps_its_pin", "shows_the_same_room", "refuses_a_replay"];

fn setup() -> RoomSetup {
    let c = |id, first: &str, birth: &str, (y, m, d)| EnrolledCandidate {
        id,
        first_name: first.into(),
        birth_name: birth.into(),
        birthdate: NaiveDate::from_ymd_opt(y, m, d).expect("a real date"),
        local_id: None,
        extra_time_percent: 0,
        adjusted_questions: false,
    };
    RoomSetup {
        session: SESSION,
        access_code: "BCDF23".into(),
        invigilator_password: PASSWORD.into(),
        bank_key: "salle-demo-2026".into(),
        questions: 32,
        duration_min: 105,
        candidates: vec![
            c(1, "Zoé", "N'Diaye-Lefèvre", (2011, 3, 14)),
            c(2, "Jean Pierre", "Martin", (2011, 7, 2)),
        ],
    }
}

fn main() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        child_main(Path::new(&dir));
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let names: Vec<String> = ROUNDS
        .iter()
        .flat_map(|(round, own)| {
            CHECKS
                .iter()
                .chain([own])
                .map(move |c| format!("kill_{round}_{c}"))
        })
        .collect();
    // The rounds build on each other: a filter that names any of them runs them all.
    if !filter.is_empty() && !names.iter().any(|n| filter.iter().any(|f| n.contains(f))) {
        println!("0 passed, 0 failed");
        return;
    }
    let started = Instant::now();
    let mut report = Report::default();
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(scenario(&mut report)));
    if let Err(e) = outcome {
        println!("test {} ... FAILED\n{e}", report.current);
        report.failed += 1;
    }
    println!(
        "{} passed, {} failed ({} ms)",
        report.passed,
        report.failed,
        started.elapsed().as_millis()
    );
    if report.failed > 0 {
        std::process::exit(1);
    }
}

/// The hub child: opens the room kept in `dir`, serves it and says where; then serves until
/// killed.
fn child_main(dir: &Path) -> ! {
    // The parent holds our stdin: if it dies without killing us, we do not outlive it.
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(3);
    });
    let served = tokio::runtime::Runtime::new()
        .map_err(|e| e.to_string())
        .and_then(|rt| {
            rt.block_on(async {
                let hub = Hub::open(dir, setup()).map_err(|e| e.to_string())?;
                let pin = hub.fingerprint().to_hex();
                let running = hub
                    .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
                    .await
                    .map_err(|e| e.to_string())?;
                println!("LISTENING {} {pin}", running.addr);
                std::future::pending::<Result<(), String>>().await
            })
        });
    if let Err(e) = served {
        eprintln!("hub child: {e}");
    }
    std::process::exit(2);
}

#[derive(Default)]
struct Report {
    passed: u32,
    failed: u32,
    /// The check under way, named in the failure line if it fails.
    current: String,
}

impl Report {
    fn start(&mut self, name: String) {
        self.current = name;
    }

    fn ok(&mut self) {
        println!("test {} ... ok", self.current);
        self.passed += 1;
    }
}

/// One hub process on a data folder.
struct HubProcess {
    child: Child,
    /// Held so the child lives; dropped, it tells the child to go.
    _stdin: ChildStdin,
    addr: SocketAddr,
    pin: Fingerprint,
}

impl HubProcess {
    fn start(dir: &Path) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .env(CHILD_DIR, dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting the hub: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(read.map(|_| line));
        });
        let mut process = HubProcess {
            child,
            _stdin: stdin,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            pin: Fingerprint([0; 32]),
        };
        let line = rx
            .recv_timeout(DEADLINE)
            .map_err(|_| "the hub did not say where it listens in time".to_string())?
            .map_err(|e| format!("reading the hub's stdout: {e}"))?;
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("LISTENING"), Some(addr), Some(pin)) => {
                process.addr = addr.parse().map_err(|e| format!("{line}: {e}"))?;
                process.pin = Fingerprint::parse(pin).map_err(|e| format!("{line}: {e}"))?;
                Ok(process)
            }
            _ => Err(format!("unexpected first line from the hub: {line:?}")),
        }
    }

    /// SIGKILL: no destructor, no shutdown, no flush runs in the hub.
    fn kill(mut self) -> Result<(), String> {
        self.child.kill().map_err(|e| format!("kill: {e}"))?;
        let status = self.child.wait().map_err(|e| format!("wait: {e}"))?;
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if status.signal() != Some(9) {
                return Err(format!("the hub ended by itself before the kill: {status}"));
            }
        }
        #[cfg(not(unix))]
        let _ = status;
        Ok(())
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A lab PC: its station key, its journal, and the last frame the hub acknowledged.
struct Kiosk {
    key: Arc<ring::signature::Ed25519KeyPair>,
    signer: StationKey,
    station: String,
    counter: Arc<AtomicU64>,
    journal: Journal,
    test: String,
    /// The number and message of the last frame the hub accepted: sending it again is a replay.
    last: Option<(u64, KioskMessage)>,
}

impl Kiosk {
    fn new(dir: &Path) -> Result<Self, String> {
        let path = dir.join("station.key");
        let signer = StationKey::load_or_create(&path).map_err(|e| e.to_string())?;
        let key = StationKey::load(&path)
            .map_err(|e| e.to_string())?
            .into_key_pair();
        let journal = Journal::open(&dir.join("journal.db")).map_err(|e| e.to_string())?;
        Ok(Kiosk {
            key: Arc::new(key),
            station: signer.public_key_hex(),
            signer,
            counter: Arc::new(AtomicU64::new(0)),
            journal,
            test: "T-2".into(),
            last: None,
        })
    }

    async fn connect(
        &self,
        hub: &HubProcess,
    ) -> Result<(KioskLink, UnboundedReceiver<(u64, KioskCommand)>), String> {
        KioskLink::connect(hub.addr, hub.pin, self.key.clone(), self.counter.clone())
            .await
            .map_err(|e| format!("kiosk connection: {e}"))
    }

    /// A new connection that has spoken once. The hub registers a connection for commands only
    /// after its first accepted frame, and sends that frame's commands before (server.rs): a
    /// Hello opening a connection gets its pending commands to nobody, so the one that counts
    /// comes second.
    async fn reconnect(
        &mut self,
        hub: &HubProcess,
    ) -> Result<(KioskLink, UnboundedReceiver<(u64, KioskCommand)>), String> {
        let (link, commands) = self.connect(hub).await?;
        self.send(&link, KioskMessage::Hello).await?;
        Ok((link, commands))
    }

    /// Sends one message and returns the hub's committed answer.
    async fn send(&mut self, link: &KioskLink, msg: KioskMessage) -> Result<Reply, String> {
        let reply = link
            .request(msg.clone())
            .await
            .map_err(|e| format!("{msg:?} refused: {e}"))?;
        // Requests go one at a time, so the counter holds the number of the frame just answered.
        self.last = Some((self.counter.load(Ordering::SeqCst), msg));
        Ok(reply)
    }

    fn append(&mut self, events: &[Event]) -> Result<(), String> {
        for e in events {
            self.journal
                .append(&self.test, e)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The journal's records after `after`, and the signed head once the test ended.
    fn records(&self, after: u64) -> Result<KioskMessage, String> {
        let bytes = self
            .journal
            .chain_bytes(&self.test, after)
            .map_err(|e| e.to_string())?;
        let head = self
            .journal
            .signed_head(&self.test)
            .map_err(|e| e.to_string())?;
        let text = |b: Vec<u8>| String::from_utf8(b).map_err(|e| e.to_string());
        Ok(KioskMessage::Records {
            test_id: self.test.clone(),
            header: if after == 0 {
                Some(text(bytes.header)?)
            } else {
                None
            },
            bodies: bytes
                .bodies
                .into_iter()
                .map(text)
                .collect::<Result<_, _>>()?,
            head: match head {
                Some(h) => Some(WireHead {
                    body: text(h.signed_body().map_err(|e| e.to_string())?)?,
                    signature: h.signature,
                }),
                None => None,
            },
        })
    }
}

async fn console(hub: &HubProcess) -> Result<ConsoleLink, String> {
    ConsoleLink::connect(hub.addr, hub.pin, SESSION, PASSWORD)
        .await
        .map(|(link, _events)| link)
        .map_err(|e| format!("console sign-in: {e}"))
}

async fn command(hub: &HubProcess, c: ConsoleCommand) -> Result<(), String> {
    let what = format!("{c:?}");
    console(hub)
        .await?
        .command(c)
        .await
        .map_err(|e| format!("{what} refused: {e}"))
}

/// The room as a console signing in now is shown it.
async fn room_view(hub: &HubProcess) -> Result<RoomView, String> {
    let (_link, mut events) = ConsoleLink::connect(hub.addr, hub.pin, SESSION, PASSWORD)
        .await
        .map_err(|e| format!("console sign-in: {e}"))?;
    match tokio::time::timeout(DEADLINE, events.recv()).await {
        Ok(Some(ConsoleEvent::SignedIn { room })) => Ok(*room),
        other => Err(format!("no room after signing in: {other:?}")),
    }
}

fn tile(view: &RoomView, candidate: i64) -> Result<&Tile, String> {
    view.tiles
        .iter()
        .find(|t| t.candidate == candidate)
        .ok_or_else(|| format!("no tile for candidate {candidate}"))
}

/// Sends `msg` again, signed with number `n`, on a fresh connection: the hub's answer.
async fn resend(
    hub: &HubProcess,
    kiosk: &Kiosk,
    n: u64,
    msg: KioskMessage,
) -> Result<HubMessage, String> {
    let mut ws = connect_socket(hub.addr, hub.pin, "/v1/kiosk")
        .await
        .map_err(|e| e.to_string())?;
    let sealed = frame::seal(&kiosk.key, &hub.pin.to_hex(), n, msg);
    let text = serde_json::to_string(&sealed).map_err(|e| e.to_string())?;
    ws.send(Message::Text(text.into()))
        .await
        .map_err(|e| e.to_string())?;
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                return serde_json::from_str(&t).map_err(|e| e.to_string())
            }
            Ok(Some(Ok(_))) => continue,
            other => return Err(format!("no answer to the resent frame: {other:?}")),
        }
    }
}

fn expect(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}

/// Kills the hub right after the step that was just acknowledged, starts it again on the same
/// folder and holds it to what it showed and accepted before. Returns the new hub and its
/// room, for the round's own check.
async fn kill_and_restart(
    report: &mut Report,
    (round, own): (&str, &str),
    hub: HubProcess,
    dir: &Path,
    kiosk: &Kiosk,
) -> Result<(HubProcess, RoomView), String> {
    let before = room_view(&hub).await?;
    let pin = hub.pin;
    hub.kill()?;
    let hub = HubProcess::start(dir)?;

    report.start(format!("kill_{round}_keeps_its_pin"));
    expect(hub.pin == pin, || {
        format!("pin {} became {}", pin.to_hex(), hub.pin.to_hex())
    })?;
    report.ok();

    report.start(format!("kill_{round}_shows_the_same_room"));
    let after = room_view(&hub).await?;
    expect(after == before, || {
        format!("before the kill {before:#?}\nafter the restart {after:#?}")
    })?;
    report.ok();

    report.start(format!("kill_{round}_refuses_a_replay"));
    let (n, msg) = kiosk.last.clone().ok_or("no frame accepted yet")?;
    match resend(&hub, kiosk, n, msg).await? {
        HubMessage::Err { error, .. } if error.code == "hub.replay" => {
            expect(error.last_n == Some(n), || {
                format!(
                    "the hub's counter is {:?}, the last frame was {n}",
                    error.last_n
                )
            })?
        }
        other => return Err(format!("frame {n} accepted twice: {other:?}")),
    }
    report.ok();

    report.start(format!("kill_{round}_{own}"));
    Ok((hub, after))
}

async fn scenario(report: &mut Report) -> Result<(), String> {
    let hub_dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let kiosk_dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = hub_dir.path();
    let mut kiosk = Kiosk::new(kiosk_dir.path())?;
    let station = kiosk.station.clone();
    report.start(format!("kill_{}_steps", ROUNDS[0].0));
    let hub = HubProcess::start(dir)?;

    // Round 1: paired through the console, a candidate joined; killed after the join's answer.
    command(&hub, ConsoleCommand::OpenPairing { minutes: 60 }).await?;
    let (link, _commands) = kiosk.connect(&hub).await?;
    let nonce = pairing::new_nonce();
    let reply = kiosk
        .send(
            &link,
            KioskMessage::Pair {
                label: "PC-01".into(),
                commitment: pairing::commitment(&station, &nonce),
            },
        )
        .await?;
    expect(
        matches!(
            reply,
            Reply::Pairing {
                enrolled: false,
                ..
            }
        ),
        || format!("{reply:?}, expected a hub nonce"),
    )?;
    let reply = kiosk
        .send(&link, KioskMessage::PairReveal { nonce })
        .await?;
    expect(reply == Reply::CodeShown, || format!("{reply:?}"))?;
    command(
        &hub,
        ConsoleCommand::ConfirmPairing {
            station: station.clone(),
        },
    )
    .await?;
    let reply = kiosk
        .send(
            &link,
            KioskMessage::Join {
                session: SESSION,
                first_name: "Jean-Pierre".into(),
                birth_name: "MARTIN".into(),
                birthdate: "02/07/2011".into(),
            },
        )
        .await?;
    expect(
        matches!(reply, Reply::Joined { ref candidate } if candidate.id == 2),
        || format!("{reply:?}"),
    )?;
    drop(link);
    let (hub, view) = kill_and_restart(report, ROUNDS[0], hub, dir, &kiosk).await?;
    let t = tile(&view, 2)?;
    expect(
        view.stations == vec![(station.clone(), "PC-01".to_string())]
            && t.status == TileStatus::Joined
            && t.station.as_deref() == Some(station.as_str()),
        || format!("{view:#?}"),
    )?;
    report.ok();

    report.start(format!("kill_{}_steps", ROUNDS[1].0));
    // Round 2: authorized, started, three records synced and the command done; killed after
    // the Done's answer.
    let (link, mut commands) = kiosk.connect(&hub).await?;
    kiosk
        .send(
            &link,
            KioskMessage::Ready {
                access_code: "bcdf23".into(),
            },
        )
        .await?;
    command(&hub, ConsoleCommand::Authorize { candidate: 2 }).await?;
    let (id, cmd) = tokio::time::timeout(DEADLINE, commands.recv())
        .await
        .map_err(|_| "no authorization reached the kiosk".to_string())?
        .ok_or("the kiosk connection closed")?;
    expect(
        matches!(cmd, KioskCommand::Authorize { resume: false, .. }),
        || format!("{cmd:?}"),
    )?;
    kiosk
        .journal
        .create_test(TestHeader::new(
            kiosk.test.clone(),
            SESSION.to_string(),
            "2",
            42,
            "engine-1",
            certroom_core::Hash::of(&[b"bank"]),
        ))
        .map_err(|e| e.to_string())?;
    kiosk.append(&[
        Event::Joined,
        Event::Authorized {
            by: "invigilator".into(),
            resume: false,
        },
        Event::QuestionShown {
            index: 0,
            item_id: "q1".into(),
            draw: serde_json::json!(0.5),
        },
    ])?;
    let msg = kiosk.records(0)?;
    let reply = kiosk.send(&link, msg).await?;
    expect(
        reply
            == Reply::Synced {
                test_id: kiosk.test.clone(),
                last_seq: 3,
            },
        || format!("{reply:?}"),
    )?;
    kiosk
        .send(&link, KioskMessage::Done { command: id })
        .await?;
    drop(link);
    let (hub, view) = kill_and_restart(report, ROUNDS[1], hub, dir, &kiosk).await?;
    let t = tile(&view, 2)?;
    expect(
        t.status == TileStatus::InTest && t.synced_seq == 3 && t.present,
        || format!("{t:#?}"),
    )?;
    let (link, mut commands) = kiosk.reconnect(&hub).await?;
    let reply = kiosk.send(&link, KioskMessage::Hello).await?;
    expect(
        matches!(reply, Reply::State { ref station } if station.synced_seq == 3),
        || format!("{reply:?}"),
    )?;
    // The hub queues a Hello's commands before its answer on the same connection.
    expect(commands.try_recv().is_err(), || {
        "a command already carried out was sent again".into()
    })?;
    report.ok();

    report.start(format!("kill_{}_steps", ROUNDS[2].0));
    // Round 3: an alert synced and decided by the console; killed after the console's answer.
    kiosk.append(&[
        Event::FocusLost {
            cause: FocusCause::Window,
        },
        Event::AlertRaised {
            item_id: "q1".into(),
        },
    ])?;
    let msg = kiosk.records(3)?;
    kiosk.send(&link, msg).await?;
    command(
        &hub,
        ConsoleCommand::ResolveAlert {
            candidate: 2,
            validated: true,
            incident: Some("E1".into()),
        },
    )
    .await?;
    drop(link);
    let (hub, view) = kill_and_restart(report, ROUNDS[2], hub, dir, &kiosk).await?;
    let t = tile(&view, 2)?;
    expect(
        t.status == TileStatus::Alert
            && t.synced_seq == 5
            && t.incidents.iter().map(|i| i.code.as_str()).eq(["E1"]),
        || format!("{t:#?}"),
    )?;
    // The decision was committed before the console heard of it: the kiosk still gets it.
    let (link, mut commands) = kiosk.reconnect(&hub).await?;
    kiosk.send(&link, KioskMessage::Hello).await?;
    let (id, cmd) = commands
        .try_recv()
        .map_err(|_| "the alert decision was lost with the hub".to_string())?;
    expect(
        cmd == KioskCommand::ResolveAlert {
            validated: true,
            incident: Some("E1".into()),
        },
        || format!("{cmd:?}"),
    )?;
    report.ok();

    report.start(format!("kill_{}_steps", ROUNDS[3].0));
    // Round 4: the test carried to its signed end, an incident, a comment, the session
    // finalized; killed after the finalization's answer.
    kiosk.append(&[
        Event::AlertResolved {
            item_id: "q1".into(),
            validated: true,
            incident: Some("E1".into()),
        },
        Event::FocusRegained,
        Event::QuestionShown {
            index: 0,
            item_id: "q1b".into(),
            draw: serde_json::json!(0.25),
        },
        Event::Answer {
            item_id: "q1b".into(),
            response: serde_json::json!({"choice": 2}),
            time_spent_ms: 30_000,
            focus_lost: false,
            timed_out: false,
        },
    ])?;
    let test = kiosk.test.clone();
    kiosk
        .journal
        .end_test(&test, EndedBy::Candidate, None, &kiosk.signer)
        .map_err(|e| e.to_string())?;
    let msg = kiosk.records(5)?;
    let reply = kiosk.send(&link, msg).await?;
    expect(
        reply
            == Reply::Synced {
                test_id: test.clone(),
                last_seq: 10,
            },
        || format!("{reply:?}"),
    )?;
    kiosk
        .send(&link, KioskMessage::Done { command: id })
        .await?;
    command(
        &hub,
        ConsoleCommand::RecordIncident {
            candidate: 1,
            code: "C4".into(),
            note: "absente".into(),
            question: None,
        },
    )
    .await?;
    command(
        &hub,
        ConsoleCommand::SetComment {
            text: "Salle 12 : RAS".into(),
        },
    )
    .await?;
    command(&hub, ConsoleCommand::Finalize).await?;
    drop(link);
    let (hub, view) = kill_and_restart(report, ROUNDS[3], hub, dir, &kiosk).await?;
    let t = tile(&view, 2)?;
    expect(
        view.finalized.is_some()
            && view.comment == "Salle 12 : RAS"
            && t.status == TileStatus::Finished
            && t.synced_seq == 10
            && tile(&view, 1)?.incidents.len() == 1,
        || format!("{view:#?}"),
    )?;
    // Finalized means closed, after a restart too.
    let (link, _commands) = kiosk.connect(&hub).await?;
    let refused = link
        .request(KioskMessage::Join {
            session: SESSION,
            first_name: "Zoé".into(),
            birth_name: "N'Diaye-Lefèvre".into(),
            birthdate: "14/03/2011".into(),
        })
        .await;
    expect(
        matches!(refused, Err(ref e) if e.code() == "room.closed"),
        || format!("{refused:?}"),
    )?;
    report.ok();
    drop(link);
    drop(hub);
    Ok(())
}
