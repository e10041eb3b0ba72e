//! `certroom sim attack`: a room of simulated kiosks sits a test against a hub process on
//! loopback while other addresses of the same network attack it. Every attack is performed
//! and counted: forged, replayed and unpaired frames of each kind of kiosk message, junk from
//! many connections, a flood of pairing requests, and password guessing. The report says what
//! got through (it must be nothing), how long the real kiosks waited for their answers to be
//! committed meanwhile, and how much memory the hub used.
//!
//! Replays are true replays: the kiosks' frames are copied as they leave (`KioskLink::tap`),
//! as someone recording the wire would keep them, and sent again byte for byte.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use certroom_protocol::client::connect_socket_from;
use certroom_protocol::frame::{self, Frame};
use certroom_protocol::{
    ConsoleEvent, ConsoleRequest, Fingerprint, HubMessage, KioskMessage, Reply, WireHead,
};
use futures_util::{SinkExt, StreamExt};
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::measured::{self, one_decimal, Prepared};
use crate::room::{self, SimRoomReport};

/// Every kind of message a kiosk sends; each is forged, replayed and sent unpaired.
pub const KINDS: [&str; 8] = [
    "pair",
    "pair_reveal",
    "hello",
    "join",
    "ready",
    "records",
    "done",
    "leave",
];
/// Frames sent per connection: the hub closes a connection after 32 refusals, and the attack
/// wants each frame's answer.
const VOLLEY: usize = 32;
const JUNK_CONNECTIONS: usize = 50;
/// Seconds the tests go on after the attack, and before it: set-up, joining, authorizing.
const ROOM_MARGIN_S: u64 = 10;
/// Where the attackers sit on the lab network (any loopback address but the console's own).
const SIGNIN_FROM: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 66);
const FRAMES_FROM: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 77);
const JUNK_FROM_BASE: u8 = 100;

pub struct Options {
    pub room: measured::Options,
    /// 1.0: 1,000 frames per kind and category, 10,000 junk frames, 10,000 pairing requests.
    pub scale: f64,
}

/// What one category of frames of one kind got.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    pub sent: u64,
    /// Answered `ok`: the hub took the frame as genuine.
    pub accepted: u64,
    /// Refusals by code.
    pub refused: BTreeMap<String, u64>,
    /// Neither answered nor refused before the connection closed.
    pub unanswered: u64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub kiosks: usize,
    pub seconds: u64,
    /// Must be 0.
    pub forged_or_replayed_accepted: u64,
    /// Frames from keys no one paired that the hub took (a `hello` answered "not enrolled"
    /// changes nothing and is not counted). Must be 0.
    pub unpaired_accepted: u64,
    pub forged: BTreeMap<&'static str, Tally>,
    pub replayed: BTreeMap<&'static str, Tally>,
    pub unpaired: BTreeMap<&'static str, Tally>,
    pub junk_frames: u64,
    pub junk_connections: u64,
    /// Junk connections the hub closed itself (after its budget of refusals).
    pub junk_closed_by_hub: u64,
    pub pairings_sent: u64,
    pub pairings_refused: u64,
    /// Must be 0: a pairing request from a made-up key reached the console.
    pub pairings_accepted: u64,
    /// Wrong passwords the hub compared from the guessing address before refusing to.
    pub signin_attempts_before_lockout: u64,
    /// Every password the guessing address sent, and how many of them were compared.
    pub signin_attempts: u64,
    pub signin_compared: u64,
    /// The console (on 127.0.0.1) signed in with the right password while the guesser was
    /// locked out.
    pub console_signed_in_during_lockout: bool,
    /// Refusals the hub recorded in refusals.db.
    pub hub_refusals_recorded: u64,
    pub kiosk_ack_p50_ms: f64,
    pub kiosk_ack_p99_ms_under_attack: f64,
    pub hub_rss_mb: f64,
    pub hub_cpu_percent: f64,
    pub room: SimRoomReport,
}

impl Report {
    /// What the run shows broken, in French and English; empty when every attack failed and
    /// the room went on.
    pub fn failures(&self) -> Vec<String> {
        let mut f = Vec::new();
        if self.forged_or_replayed_accepted > 0 {
            f.push(format!(
                "{} trames falsifiées ou rejouées acceptées / forged or replayed frames accepted",
                self.forged_or_replayed_accepted
            ));
        }
        if self.unpaired_accepted > 0 {
            f.push(format!(
                "{} trames de postes non appairés acceptées / unpaired frames accepted",
                self.unpaired_accepted
            ));
        }
        if self.pairings_accepted > 0 {
            f.push(format!(
                "{} demandes d'appairage acceptées pendant l'épreuve / pairings accepted during the test",
                self.pairings_accepted
            ));
        }
        if self.signin_attempts_before_lockout == 0 || self.signin_attempts_before_lockout > 10 {
            f.push(format!(
                "mot de passe : {} essais comparés avant blocage / password: {} tries compared before lockout",
                self.signin_attempts_before_lockout, self.signin_attempts_before_lockout
            ));
        }
        if !self.console_signed_in_during_lockout {
            f.push("le surveillant n'a pas pu se connecter / the console could not sign in".into());
        }
        if !self.room.errors.is_empty() || self.room.lost_events > 0 {
            f.push(format!(
                "salle : {} erreurs, {} événements perdus / room: {} errors, {} events lost",
                self.room.errors.len(),
                self.room.lost_events,
                self.room.errors.len(),
                self.room.lost_events
            ));
        }
        for (category, tallies) in [
            ("forged", &self.forged),
            ("replayed", &self.replayed),
            ("unpaired", &self.unpaired),
        ] {
            for kind in KINDS {
                if tallies.get(kind).map_or(0, |t| t.sent) == 0 {
                    f.push(format!("{category} {kind} : rien envoyé / nothing sent"));
                }
            }
        }
        f
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Category {
    Forged,
    Replayed,
    Unpaired,
}

/// Frames the kiosks sent, by kind, as recorded on the wire.
#[derive(Default)]
struct Wire {
    frames: HashMap<&'static str, Vec<String>>,
    test_id: Option<String>,
}

type WireRef = Arc<Mutex<Wire>>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn kind_of(text: &str) -> Option<(&'static str, Option<String>)> {
    let frame: Frame = serde_json::from_str(text).ok()?;
    let signed: frame::Signed = serde_json::from_str(&frame.payload).ok()?;
    let test = match &signed.msg {
        KioskMessage::Records { test_id, .. } => Some(test_id.clone()),
        _ => None,
    };
    Some((kind(&signed.msg), test))
}

fn kind(msg: &KioskMessage) -> &'static str {
    match msg {
        KioskMessage::Pair { .. } => "pair",
        KioskMessage::PairReveal { .. } => "pair_reveal",
        // Sent only by a kiosk's window (readiness) or when the console offers a bank, which
        // the attack's room of headless kiosks does not do.
        KioskMessage::FetchBank { .. } => "fetch_bank",
        KioskMessage::BankResult { .. } => "bank_result",
        KioskMessage::Readiness { .. } => "readiness",
        KioskMessage::Hello => "hello",
        KioskMessage::Join { .. } => "join",
        KioskMessage::Ready { .. } => "ready",
        KioskMessage::Records { .. } => "records",
        KioskMessage::Done { .. } => "done",
        KioskMessage::Leave => "leave",
    }
}

/// A message of `kind` as an attacker would write it, aimed at this room.
fn sample(kind: &str, endpoint: &room::HubEndpoint, test_id: &str, i: usize) -> KioskMessage {
    let who = &endpoint.candidates[i % endpoint.candidates.len()];
    match kind {
        "pair" => KioskMessage::Pair {
            label: format!("PC-{i:03}"),
            commitment: "0".repeat(64),
        },
        "pair_reveal" => KioskMessage::PairReveal {
            nonce: "0".repeat(32),
        },
        "hello" => KioskMessage::Hello,
        "join" => KioskMessage::Join {
            session: endpoint.session,
            first_name: who.0.clone(),
            birth_name: who.1.clone(),
            birthdate: who.2.clone(),
        },
        "ready" => KioskMessage::Ready {
            access_code: endpoint.access_code.clone(),
        },
        "records" => KioskMessage::Records {
            test_id: test_id.to_owned(),
            header: None,
            bodies: vec![],
            head: None::<WireHead>,
        },
        "done" => KioskMessage::Done { command: 1 },
        _ => KioskMessage::Leave,
    }
}

fn fresh_key() -> Result<Ed25519KeyPair, String> {
    let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|e| e.to_string())?;
    Ed25519KeyPair::from_pkcs8(doc.as_ref()).map_err(|e| e.to_string())
}

fn now_micros() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_micros()).unwrap_or(0)
}

fn to_text(frame: &Frame) -> String {
    serde_json::to_string(frame).unwrap_or_default()
}

/// A frame that claims to come from a paired PC without its key: either a recorded frame
/// whose signed text was changed (a later number), or one signed by the attacker's own key
/// under the paired PC's name.
fn forge(
    recorded: &str,
    attacker: &Ed25519KeyPair,
    hub: &str,
    msg: KioskMessage,
    i: usize,
) -> String {
    let Ok(frame) = serde_json::from_str::<Frame>(recorded) else {
        return String::new();
    };
    let Ok(mut signed) = serde_json::from_str::<frame::Signed>(&frame.payload) else {
        return String::new();
    };
    if i.is_multiple_of(2) {
        signed.n += 1_000_000;
        let payload = serde_json::to_string(&signed).unwrap_or_default();
        to_text(&Frame {
            payload,
            sig: frame.sig,
        })
    } else {
        let mine = frame::seal(attacker, hub, now_micros(), msg);
        let Ok(mut claimed) = serde_json::from_str::<frame::Signed>(&mine.payload) else {
            return String::new();
        };
        claimed.station = signed.station;
        to_text(&Frame {
            payload: serde_json::to_string(&claimed).unwrap_or_default(),
            sig: mine.sig,
        })
    }
}

/// The hub's answers to one connection's frames, in order; fewer than sent if it closed.
struct Answers {
    replies: Vec<Result<Reply, String>>,
    closed_by_hub: bool,
}

async fn volley(
    from: IpAddr,
    addr: SocketAddr,
    pin: Fingerprint,
    frames: Vec<Message>,
    expect: usize,
) -> Result<Answers, String> {
    let ws = connect_socket_from(Some(from), addr, pin, "/v1/kiosk")
        .await
        .map_err(|e| e.to_string())?;
    let (mut sink, mut stream) = ws.split();
    let sender = tokio::spawn(async move {
        for f in frames {
            if sink.send(f).await.is_err() {
                break;
            }
        }
        sink
    });
    let mut replies = Vec::new();
    let mut closed_by_hub = false;
    while replies.len() < expect {
        match tokio::time::timeout(Duration::from_secs(15), stream.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => match serde_json::from_str::<HubMessage>(&t) {
                Ok(HubMessage::Ok { reply, .. }) => replies.push(Ok(reply)),
                Ok(HubMessage::Err { error, .. }) => replies.push(Err(error.code)),
                // A command sent to a connection that is not the PC's: it would be a breach.
                Ok(HubMessage::Command { .. }) => replies.push(Err("command!".into())),
                Err(_) => replies.push(Err("unreadable".into())),
            },
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => {
                closed_by_hub = true;
                break;
            }
            Ok(Some(Ok(_))) => {}
            Err(_) => break,
        }
    }
    if let Ok(mut sink) = sender.await {
        let _ = sink.close().await;
    }
    Ok(Answers {
        replies,
        closed_by_hub,
    })
}

struct Attack {
    addr: SocketAddr,
    pin: Fingerprint,
    endpoint: Arc<room::HubEndpoint>,
    wire: WireRef,
    tallies: Mutex<BTreeMap<(Category, &'static str), Tally>>,
    attacker: Ed25519KeyPair,
}

impl Attack {
    /// Builds `count` frames of `kind` in `category`, or `None` while the kiosks have sent no
    /// frame of that kind to replay or to forge from.
    fn frames(&self, category: Category, kind: &'static str, count: usize) -> Option<Vec<String>> {
        let hub = self.endpoint.pin.to_hex();
        let (recorded, test_id) = {
            let w = lock(&self.wire);
            (
                w.frames.get(kind).cloned().unwrap_or_default(),
                w.test_id.clone().unwrap_or_else(|| "T-0".into()),
            )
        };
        match category {
            Category::Replayed | Category::Forged if recorded.is_empty() => None,
            Category::Replayed => Some(
                (0..count)
                    .map(|i| recorded[i % recorded.len()].clone())
                    .collect(),
            ),
            Category::Forged => Some(
                (0..count)
                    .map(|i| {
                        let msg = sample(kind, &self.endpoint, &test_id, i);
                        forge(&recorded[i % recorded.len()], &self.attacker, &hub, msg, i)
                    })
                    .collect(),
            ),
            Category::Unpaired => {
                // One key for a volley of hellos (the hub answers a stranger's hello), a new
                // key for every other frame.
                let one = fresh_key().ok()?;
                let base = now_micros();
                (0..count)
                    .map(|i| {
                        let msg = sample(kind, &self.endpoint, &test_id, i);
                        let n = base + i as u64;
                        if kind == "hello" {
                            Some(to_text(&frame::seal(&one, &hub, n, msg)))
                        } else {
                            let key = fresh_key().ok()?;
                            Some(to_text(&frame::seal(&key, &hub, n, msg)))
                        }
                    })
                    .collect()
            }
        }
    }

    async fn send(&self, category: Category, kind: &'static str, frames: Vec<String>) {
        let n = frames.len();
        let msgs = frames
            .into_iter()
            .map(|t| Message::Text(t.into()))
            .collect();
        let answers = volley(IpAddr::V4(FRAMES_FROM), self.addr, self.pin, msgs, n).await;
        let mut tallies = lock(&self.tallies);
        let t = tallies.entry((category, kind)).or_default();
        t.sent += n as u64;
        match answers {
            Err(e) => *t.refused.entry(format!("connexion: {e}")).or_default() += n as u64,
            Ok(a) => {
                t.unanswered += (n - a.replies.len()) as u64;
                for r in a.replies {
                    match r {
                        // A stranger learns that it is not enrolled: nothing was taken.
                        Ok(Reply::State { station })
                            if category == Category::Unpaired && !station.enrolled =>
                        {
                            *t.refused.entry("not_enrolled".into()).or_default() += 1;
                        }
                        Ok(_) => t.accepted += 1,
                        Err(code) => *t.refused.entry(code).or_default() += 1,
                    }
                }
            }
        }
    }
}

/// What the junk connections did.
#[derive(Default)]
struct Junk {
    frames: u64,
    connections: u64,
    closed_by_hub: u64,
}

/// Junk from `JUNK_CONNECTIONS` addresses, in bursts longer than the hub's budget of refusals,
/// spread until `deadline`: at least `total` frames in all.
async fn junk(addr: SocketAddr, pin: Fingerprint, total: u64, deadline: Instant) -> Junk {
    let per_connection = MAX_BURST as u64;
    let share = total.div_ceil(JUNK_CONNECTIONS as u64);
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..JUNK_CONNECTIONS {
        tasks.spawn(async move {
            let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, JUNK_FROM_BASE + c as u8));
            let mut done = Junk::default();
            let bursts = share.div_ceil(per_connection).max(1);
            let start = Instant::now();
            let span = deadline.saturating_duration_since(start);
            for b in 0..bursts {
                // The connections take turns, so that the junk flows all along.
                let turn = c as f64 / JUNK_CONNECTIONS as f64;
                let at = start + span.mul_f64((b as f64 + turn) / bursts as f64);
                tokio::time::sleep_until(at.into()).await;
                // Always past the budget, so that the hub's closing is measured too.
                let count = per_connection;
                let frames: Vec<Message> = (0..count).map(|i| junk_frame(c, b, i)).collect();
                done.frames += count;
                done.connections += 1;
                if let Ok(a) = volley(from, addr, pin, frames, count as usize).await {
                    done.closed_by_hub += u64::from(a.closed_by_hub);
                }
            }
            done
        });
    }
    let mut all = Junk::default();
    while let Some(Ok(j)) = tasks.join_next().await {
        all.frames += j.frames;
        all.connections += j.connections;
        all.closed_by_hub += j.closed_by_hub;
    }
    all
}

/// More frames than the hub's budget of refusals on one connection.
const MAX_BURST: usize = 40;

fn junk_frame(c: usize, b: u64, i: u64) -> Message {
    match i % 4 {
        0 => Message::Text(format!("{{junk {c} {b} {i}").into()),
        1 => Message::Binary(vec![0xff; 64].into()),
        2 => Message::Text(r#"{"payload":"{}","sig":"00"}"#.into()),
        _ => Message::Text("x".repeat(1024).into()),
    }
}

/// One sign-in attempt from `from` (`None`: the console's own address): the hub's answer code.
async fn sign_in(
    from: Option<IpAddr>,
    addr: SocketAddr,
    pin: Fingerprint,
    session: i64,
    password: &str,
) -> String {
    let Ok(mut ws) = connect_socket_from(from, addr, pin, "/v1/console").await else {
        return "unreachable".into();
    };
    let req = ConsoleRequest::SignIn {
        session,
        password: password.into(),
    };
    let text = serde_json::to_string(&req).unwrap_or_default();
    if ws.send(Message::Text(text.into())).await.is_err() {
        return "closed".into();
    }
    let code = loop {
        match tokio::time::timeout(Duration::from_secs(15), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                break match serde_json::from_str::<ConsoleEvent>(&t) {
                    Ok(ConsoleEvent::SignedIn { .. }) => "signed_in".into(),
                    Ok(ConsoleEvent::Error { error }) => error.code,
                    _ => "other".into(),
                };
            }
            Ok(Some(Ok(_))) => continue,
            _ => break "closed".into(),
        }
    };
    let _ = ws.close(None).await;
    code
}

#[derive(Default)]
struct Guessing {
    attempts: u64,
    compared: u64,
    before_lockout: u64,
    console_signed_in_during_lockout: bool,
}

/// Guesses the invigilator's password from another PC of the lab until `deadline`; once locked
/// out, the console signs in from its own address.
async fn guess(endpoint: Arc<room::HubEndpoint>, deadline: Instant) -> Guessing {
    let mut g = Guessing::default();
    let mut locked = false;
    while Instant::now() < deadline {
        let code = sign_in(
            Some(IpAddr::V4(SIGNIN_FROM)),
            endpoint.addr,
            endpoint.pin,
            endpoint.session,
            &format!("essai-{}", g.attempts),
        )
        .await;
        g.attempts += 1;
        match code.as_str() {
            "room.password" => {
                g.compared += 1;
                if !locked {
                    g.before_lockout += 1;
                }
            }
            "room.signin_locked" if !locked => {
                locked = true;
                g.console_signed_in_during_lockout = sign_in(
                    None,
                    endpoint.addr,
                    endpoint.pin,
                    endpoint.session,
                    &endpoint.password,
                )
                .await
                    == "signed_in";
            }
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    g
}

/// Every (category, kind) cut into volleys, interleaved so that each runs throughout.
fn campaign(per_kind: usize, pairings: usize) -> Vec<(Category, &'static str, usize)> {
    let mut lanes: Vec<Vec<(Category, &'static str, usize)>> = Vec::new();
    for kind in KINDS {
        for category in [Category::Forged, Category::Replayed, Category::Unpaired] {
            let total = if category == Category::Unpaired && kind == "pair" {
                pairings
            } else {
                per_kind
            };
            let mut lane = Vec::new();
            let mut left = total;
            while left > 0 {
                let n = left.min(VOLLEY);
                lane.push((category, kind, n));
                left -= n;
            }
            lanes.push(lane);
        }
    }
    let longest = lanes.iter().map(Vec::len).max().unwrap_or(0);
    (0..longest)
        .flat_map(|i| lanes.iter().filter_map(move |l| l.get(i).copied()))
        .collect()
}

/// Sends the campaign's volleys spread until `deadline`, at most 8 at a time. Volleys whose
/// kind the kiosks have not sent yet (`leave` comes last) wait for `room_done`.
async fn frames(
    attack: Arc<Attack>,
    jobs: Vec<(Category, &'static str, usize)>,
    deadline: Instant,
    room_done: Arc<tokio::sync::Notify>,
) {
    let start = Instant::now();
    let span = deadline.saturating_duration_since(start);
    let gate = Arc::new(tokio::sync::Semaphore::new(8));
    let mut tasks = tokio::task::JoinSet::new();
    let mut deferred = Vec::new();
    let count = jobs.len().max(1);
    for (j, (category, kind, n)) in jobs.into_iter().enumerate() {
        let at = start + span.mul_f64(j as f64 / count as f64);
        tokio::time::sleep_until(at.into()).await;
        let Some(built) = attack.frames(category, kind, n) else {
            deferred.push((category, kind, n));
            continue;
        };
        let (attack, gate) = (attack.clone(), gate.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            attack.send(category, kind, built).await;
        });
    }
    while tasks.join_next().await.is_some() {}
    if !deferred.is_empty() {
        room_done.notified().await;
    }
    for (category, kind, n) in deferred {
        if let Some(built) = attack.frames(category, kind, n) {
            attack.send(category, kind, built).await;
        }
    }
}

/// Runs the room under attack; `exe` is the `certroom` binary that serves `sim hub-child`.
pub fn run(exe: &Path, o: &Options) -> Result<Report, String> {
    let Prepared {
        hub,
        room: mut config,
        endpoint,
        hub_dir,
    } = measured::prepare(exe, &o.room)?;
    let (tap, mut tapped) = mpsc::unbounded_channel::<String>();
    config.tap = Some(tap);
    // Tests run a little longer than the attack: once they are over the lab may be paired
    // again, and a pairing request would no longer be an attack.
    config.duration = Duration::from_secs(o.room.duration_s + ROOM_MARGIN_S);
    let room_ends = Instant::now() + config.duration;
    let scaled = |n: f64| ((n * o.scale).ceil() as usize).max(1);
    let (per_kind, pairings, junk_total) = (scaled(1_000.0), scaled(10_000.0), scaled(10_000.0));
    let seconds = o.room.duration_s;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    // The attackers run on threads of their own, as another machine would: the kiosks' timings
    // then measure the hub under attack, not the attackers' own work.
    let attack_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("attaquant")
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let attackers = attack_runtime.handle().clone();
    let cpu_before = hub.cpu_seconds();
    let started = Instant::now();
    let outcome = runtime.block_on(async {
        let wire: WireRef = Arc::default();
        let recorder = {
            let wire = wire.clone();
            tokio::spawn(async move {
                while let Some(text) = tapped.recv().await {
                    let Some((kind, test)) = kind_of(&text) else {
                        continue;
                    };
                    let mut w = lock(&wire);
                    if w.test_id.is_none() {
                        w.test_id = test;
                    }
                    let kept = w.frames.entry(kind).or_default();
                    if kept.len() < 64 {
                        kept.push(text);
                    }
                }
            })
        };
        let endpoint = Arc::new(endpoint);
        let room_done = Arc::new(tokio::sync::Notify::new());
        let room_task = {
            let (endpoint, room_done) = (endpoint.clone(), room_done.clone());
            tokio::spawn(async move {
                let r = room::run(config, (*endpoint).clone()).await;
                room_done.notify_waiters();
                room_done.notify_one();
                r
            })
        };
        // The attack starts once a test runs: the lab was paired before the exam.
        while lock(&wire).test_id.is_none() && !room_task.is_finished() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let deadline =
            (Instant::now() + Duration::from_secs(seconds)).min(room_ends - Duration::from_secs(1));
        let attacker = fresh_key()?;
        let attack = Arc::new(Attack {
            addr: endpoint.addr,
            pin: endpoint.pin,
            endpoint: endpoint.clone(),
            wire,
            tallies: Mutex::default(),
            attacker,
        });
        let junk_task = attackers.spawn(junk(
            endpoint.addr,
            endpoint.pin,
            junk_total as u64,
            deadline,
        ));
        let guess_task = attackers.spawn(guess(endpoint.clone(), deadline));
        let frames_task = attackers.spawn(frames(
            attack.clone(),
            campaign(per_kind, pairings),
            deadline,
            room_done,
        ));
        let room = room_task.await.map_err(|e| e.to_string())??;
        let junk = junk_task.await.map_err(|e| e.to_string())?;
        let guessing = guess_task.await.map_err(|e| e.to_string())?;
        frames_task.await.map_err(|e| e.to_string())?;
        recorder.abort();
        let tallies = std::mem::take(&mut *lock(&attack.tallies));
        Ok::<_, String>((room, junk, guessing, tallies))
    });
    let wall = started.elapsed().as_secs_f64();
    let cpu = hub.cpu_seconds() - cpu_before;
    let rss_mb = hub.peak_rss_mb();
    drop(hub);
    let (room, junk, guessing, tallies) = outcome?;
    let hub_refusals_recorded = certroom_hub::store::RefusalLog::open(&hub_dir)
        .and_then(|log| log.refusals())
        .map_or(0, |r| r.len() as u64);
    let by = |category: Category| -> BTreeMap<&'static str, Tally> {
        tallies
            .iter()
            .filter(|((c, _), _)| *c == category)
            .map(|((_, k), t)| (*k, t.clone()))
            .collect()
    };
    let (forged, replayed, mut unpaired) = (
        by(Category::Forged),
        by(Category::Replayed),
        by(Category::Unpaired),
    );
    let accepted = |m: &BTreeMap<&'static str, Tally>| m.values().map(|t| t.accepted).sum::<u64>();
    let pairing = unpaired.remove("pair").unwrap_or_default();
    let report = Report {
        kiosks: o.room.kiosks,
        seconds,
        forged_or_replayed_accepted: accepted(&forged) + accepted(&replayed),
        unpaired_accepted: accepted(&unpaired),
        pairings_sent: pairing.sent,
        pairings_refused: pairing.refused.values().sum(),
        pairings_accepted: pairing.accepted,
        forged,
        replayed,
        unpaired: {
            unpaired.insert("pair", pairing);
            unpaired
        },
        junk_frames: junk.frames,
        junk_connections: junk.connections,
        junk_closed_by_hub: junk.closed_by_hub,
        signin_attempts_before_lockout: guessing.before_lockout,
        signin_attempts: guessing.attempts,
        signin_compared: guessing.compared,
        console_signed_in_during_lockout: guessing.console_signed_in_during_lockout,
        hub_refusals_recorded,
        kiosk_ack_p50_ms: room.ack_p50_ms,
        kiosk_ack_p99_ms_under_attack: room.ack_p99_ms,
        hub_rss_mb: one_decimal(rss_mb),
        hub_cpu_percent: one_decimal(cpu / wall * 100.0),
        room,
    };
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_campaign_sends_every_kind_in_every_category_interleaved() {
        let jobs = campaign(100, 1_000);
        let mut sent: BTreeMap<(Category, &str), usize> = BTreeMap::new();
        for (c, k, n) in &jobs {
            assert!(*n <= VOLLEY);
            *sent.entry((*c, k)).or_default() += n;
        }
        assert_eq!(sent.len(), 3 * KINDS.len());
        for ((c, k), n) in sent {
            let want = if c == Category::Unpaired && k == "pair" {
                1_000
            } else {
                100
            };
            assert_eq!(n, want, "{k}");
        }
        // Interleaved: the first 21 volleys cover every lane once.
        let first: std::collections::HashSet<_> =
            jobs[..21].iter().map(|(c, k, _)| (*c, *k)).collect();
        assert_eq!(first.len(), 21);
    }

    fn clean_report() -> Report {
        let tally = || {
            KINDS
                .iter()
                .map(|k| {
                    (
                        *k,
                        Tally {
                            sent: 10,
                            ..Tally::default()
                        },
                    )
                })
                .collect()
        };
        Report {
            kiosks: 3,
            seconds: 1,
            forged_or_replayed_accepted: 0,
            unpaired_accepted: 0,
            forged: tally(),
            replayed: tally(),
            unpaired: tally(),
            junk_frames: 40,
            junk_connections: 1,
            junk_closed_by_hub: 1,
            pairings_sent: 10,
            pairings_refused: 10,
            pairings_accepted: 0,
            signin_attempts_before_lockout: 3,
            signin_attempts: 5,
            signin_compared: 3,
            console_signed_in_during_lockout: true,
            hub_refusals_recorded: 100,
            kiosk_ack_p50_ms: 1.0,
            kiosk_ack_p99_ms_under_attack: 2.0,
            hub_rss_mb: 50.0,
            hub_cpu_percent: 5.0,
            room: SimRoomReport::default(),
        }
    }

    #[test]
    fn a_report_fails_on_anything_that_got_through() {
        assert_eq!(clean_report().failures(), Vec::<String>::new());
        let mut r = clean_report();
        r.forged_or_replayed_accepted = 1;
        assert_eq!(r.failures().len(), 1);
        let mut r = clean_report();
        r.signin_attempts_before_lockout = 11;
        r.console_signed_in_during_lockout = false;
        assert_eq!(r.failures().len(), 2);
        let mut r = clean_report();
        r.replayed.remove("leave");
        assert!(
            r.failures()[0].contains("replayed leave"),
            "{:?}",
            r.failures()
        );
        let mut r = clean_report();
        r.room.errors.push("kiosk 2: timeout".into());
        assert_eq!(r.failures().len(), 1);
    }
}
