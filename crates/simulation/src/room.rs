//! `certroom sim room`: N simulated kiosks with real journals and a remote invigilator's console
//! against a real hub over loopback TLS. Kiosks pair, join, wait, are authorized, answer with
//! think times, lose focus and raise alerts at random; the console confirms pairings,
//! authorizes, and validates or dismisses alerts as it sees them pushed.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use certroom_core::engine::Config;
use certroom_core::Response;
use certroom_hub::EnrolledCandidate;
use certroom_journal::{Event, FocusCause, StationKey};
use certroom_protocol::{
    ConsoleCommand, ConsoleEvent, ConsoleLink, Fingerprint, KioskCommand, Tile, TileStatus,
};
use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::answer_key::{ability, AnswerKey};
use certroom_kiosk::live::{off_runtime, LiveError, LiveKiosk};
use certroom_kiosk::screen::{Lang, QuestionKind, Screen};
use certroom_kiosk::sitting::{Identity, KioskConfig, Sitting};

/// `count` enrolled candidates for a simulated room: ids from 1, classes 3A–3D, birthdates in
/// 2010 that differ for the first 84 (12 months and 28 days cycle together only every 84), so
/// that names plus birthdate — the national identity rule — never designate two of them.
/// `names(i)` gives candidate `i`'s (first name, birth name).
pub fn enrolled_candidates(
    count: usize,
    names: impl Fn(usize) -> (String, String),
) -> Vec<EnrolledCandidate> {
    (0..count)
        .map(|i| {
            let (first_name, birth_name) = names(i);
            EnrolledCandidate {
                id: i as i64 + 1,
                first_name,
                birth_name,
                birthdate: chrono::NaiveDate::from_ymd_opt(
                    2010,
                    1 + (i % 12) as u32,
                    1 + (i % 28) as u32,
                )
                .unwrap_or_default(),
                local_id: Some(format!("3{}", (b'A' + (i % 4) as u8) as char)),
                extra_time_percent: 0,
                adjusted_questions: false,
            }
        })
        .collect()
}

/// The candidates as the kiosks type them at the welcome screen: (first name, birth name,
/// birthdate as jj/mm/aaaa).
pub fn typed_identities(candidates: &[EnrolledCandidate]) -> Vec<(String, String, String)> {
    candidates
        .iter()
        .map(|c| {
            (
                c.first_name.clone(),
                c.birth_name.clone(),
                c.birthdate.format("%d/%m/%Y").to_string(),
            )
        })
        .collect()
}

pub struct SimRoomConfig {
    pub kiosks: usize,
    pub duration: Duration,
    pub seed: u64,
    /// Think time per question, uniformly drawn in this range.
    pub think_ms: (u64, u64),
    pub alert_rate: f64,
    pub focus_rate: f64,
    pub pack: Vec<u8>,
    pub publisher: [u8; 32],
    pub engine: Config,
    /// Where each kiosk keeps its journal and station key.
    pub dir: PathBuf,
    /// Candidates who know the solutions, each with an ability of their own; without it they
    /// answer at random.
    pub answers: Option<Arc<AnswerKey>>,
    /// Receives a copy of every frame the kiosks send (`sim attack` replays them).
    pub tap: Option<tokio::sync::mpsc::UnboundedSender<String>>,
}

#[derive(Clone)]
pub struct HubEndpoint {
    pub addr: SocketAddr,
    pub pin: Fingerprint,
    pub session: i64,
    pub password: String,
    pub access_code: String,
    /// Enrolled candidates as the kiosks type them: (first name, birth name, birthdate).
    pub candidates: Vec<(String, String, String)>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SimRoomReport {
    pub kiosks: usize,
    pub messages: u64,
    pub ack_p50_ms: f64,
    pub ack_p99_ms: f64,
    pub console_p50_ms: f64,
    pub console_p99_ms: f64,
    pub lost_events: u64,
    pub answers: u64,
    pub alerts: u64,
    pub focus_losses: u64,
    pub finished: u64,
    pub errors: Vec<String>,
}

#[derive(Default)]
struct Shared {
    ack_ms: Vec<f64>,
    console_ms: Vec<f64>,
    messages: u64,
    answers: u64,
    alerts: u64,
    focus: u64,
    /// test id → (seq → when the kiosk sent it), until a console sees it.
    in_flight: HashMap<String, BTreeMap<u64, Instant>>,
    /// Each ended test and the last sequence of the kiosk's own journal.
    finals: Vec<(String, u64)>,
    errors: Vec<String>,
}

type SharedRef = Arc<Mutex<Shared>>;

fn lock(s: &SharedRef) -> std::sync::MutexGuard<'_, Shared> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

pub async fn run(cfg: SimRoomConfig, hub: HubEndpoint) -> Result<SimRoomReport, String> {
    let shared: SharedRef = Arc::default();
    let (console, mut events) = ConsoleLink::connect(hub.addr, hub.pin, hub.session, &hub.password)
        .await
        .map_err(|e| e.to_string())?;
    // The invigilator opens pairing for the lab's set-up.
    console
        .command(ConsoleCommand::OpenPairing { minutes: 60 })
        .await
        .map_err(|e| e.to_string())?;
    let console = Arc::new(console);
    let tiles: Arc<Mutex<HashMap<i64, Tile>>> = Arc::default();

    // The invigilator: reacts to what is pushed, never polls.
    let invigilator = {
        let console = console.clone();
        let shared = shared.clone();
        let tiles = tiles.clone();
        let seed = cfg.seed;
        tokio::spawn(async move {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
            // Each pairing is confirmed once, however many room views list it meanwhile.
            let mut confirmed = std::collections::HashSet::new();
            while let Some(ev) = events.recv().await {
                let mut todo = Vec::new();
                match ev {
                    ConsoleEvent::Pairing { station, .. } if confirmed.insert(station.clone()) => {
                        todo.push(ConsoleCommand::ConfirmPairing { station });
                    }
                    ConsoleEvent::Tile { tile } => {
                        todo.extend(observe(&shared, &mut rng, &tile));
                        tiles
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(tile.candidate, *tile);
                    }
                    ConsoleEvent::SignedIn { room } | ConsoleEvent::Room { room } => {
                        for p in &room.pairings {
                            if confirmed.insert(p.station.clone()) {
                                todo.push(ConsoleCommand::ConfirmPairing {
                                    station: p.station.clone(),
                                });
                            }
                        }
                        let mut all = tiles.lock().unwrap_or_else(|p| p.into_inner());
                        for t in room.tiles {
                            todo.extend(observe(&shared, &mut rng, &t));
                            all.insert(t.candidate, t);
                        }
                    }
                    _ => {}
                }
                for cmd in todo {
                    // Never wait for a reply here: pushes keep arriving meanwhile. Two pushes
                    // may ask for the same action; the hub refuses the second.
                    let console = console.clone();
                    tokio::spawn(async move { console.command(cmd).await });
                }
            }
        })
    };

    let deadline = Instant::now() + cfg.duration;
    let cfg = Arc::new(cfg);
    let hub = Arc::new(hub);
    let mut tasks = tokio::task::JoinSet::new();
    let count = cfg.kiosks.min(hub.candidates.len());
    // The lab is set up before the exam: the hub refuses a new pairing while a test runs.
    let paired = Arc::new(tokio::sync::Barrier::new(count));
    for i in 0..count {
        let (cfg, hub, shared) = (cfg.clone(), hub.clone(), shared.clone());
        let paired = paired.clone();
        tasks.spawn(async move {
            let r = kiosk(i, &cfg, &hub, &shared, deadline, &paired).await;
            if let Err(e) = r {
                lock(&shared).errors.push(format!("kiosk {i}: {e}"));
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    // Give the last pushes a moment to reach the console.
    tokio::time::sleep(Duration::from_millis(300)).await;
    invigilator.abort();

    let sh = lock(&shared);
    let tiles = tiles.lock().unwrap_or_else(|p| p.into_inner());
    let mut report = SimRoomReport {
        kiosks: cfg.kiosks,
        messages: sh.messages,
        answers: sh.answers,
        alerts: sh.alerts,
        focus_losses: sh.focus,
        errors: sh.errors.clone(),
        ..Default::default()
    };
    // Every record a kiosk journaled must be in the hub's copy, as the console last saw it.
    let held: HashMap<&str, u64> = tiles
        .values()
        .filter_map(|t| t.test_id.as_deref().map(|id| (id, t.synced_seq)))
        .collect();
    report.lost_events = sh
        .finals
        .iter()
        .map(|(test, last)| last.saturating_sub(held.get(test.as_str()).copied().unwrap_or(0)))
        .sum();
    report.finished = tiles
        .values()
        .filter(|t| matches!(t.status, TileStatus::Finished | TileStatus::Ended))
        .count() as u64;
    (report.ack_p50_ms, report.ack_p99_ms) = percentiles(&sh.ack_ms);
    (report.console_p50_ms, report.console_p99_ms) = percentiles(&sh.console_ms);
    Ok(report)
}

/// What the simulated invigilator does on seeing a tile, after timing the records it shows.
fn observe(shared: &SharedRef, rng: &mut ChaCha8Rng, t: &Tile) -> Option<ConsoleCommand> {
    if let Some(test) = &t.test_id {
        let now = Instant::now();
        let mut sh = lock(shared);
        if let Some(m) = sh.in_flight.get_mut(test) {
            let later = m.split_off(&(t.synced_seq + 1));
            let done = std::mem::replace(m, later);
            let lat: Vec<f64> = done
                .values()
                .map(|at| now.duration_since(*at).as_secs_f64() * 1000.0)
                .collect();
            sh.console_ms.extend(lat);
        }
    }
    match t.status {
        TileStatus::WaitingAuthorization => Some(ConsoleCommand::Authorize {
            candidate: t.candidate,
        }),
        TileStatus::Alert => Some(ConsoleCommand::ResolveAlert {
            candidate: t.candidate,
            validated: chance(rng, 0.5),
            incident: None,
        }),
        _ => None,
    }
}

fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
}

fn between(rng: &mut ChaCha8Rng, lo: u64, hi: u64) -> u64 {
    lo + rng.next_u64() % (hi.max(lo) - lo + 1)
}

fn percentiles(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let at = |q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
    (at(0.50), at(0.99))
}

/// An answer to `question`, whatever its format: proposal `proposal` (from 1), or "42" in every
/// field.
pub fn any_answer(question: &certroom_kiosk::screen::QuestionView, proposal: i64) -> Response {
    match question.kind {
        QuestionKind::Qcu => Response::Choice(proposal),
        QuestionKind::Qcm => Response::Choices(vec![proposal]),
        _ => Response::Fields(
            question
                .fields
                .iter()
                .map(|f| (f.key.clone(), "42".to_owned()))
                .collect(),
        ),
    }
}

/// Where simulated kiosk `i` keeps its journal and station key, under the room's folder.
pub fn kiosk_dir_name(i: usize) -> String {
    format!("kiosk-{i:03}")
}

/// The name simulated kiosk `i` pairs under.
pub fn kiosk_label(i: usize) -> String {
    format!("PC-{i:03}")
}

async fn kiosk(
    i: usize,
    cfg: &SimRoomConfig,
    hub: &HubEndpoint,
    shared: &SharedRef,
    deadline: Instant,
    paired: &tokio::sync::Barrier,
) -> Result<(), LiveError> {
    let dir = cfg.dir.join(kiosk_dir_name(i));
    std::fs::create_dir_all(&dir).map_err(|_| LiveError::Unexpected)?;
    let key = StationKey::load_or_create(&dir.join(certroom_kiosk::sitting::STATION_KEY_FILE))
        .map_err(|e| LiveError::Kiosk(certroom_kiosk::sitting::KioskError::Journal(e.into())))?;
    let pair = Arc::new(key.into_key_pair());
    let sitting = Sitting::open(
        &dir,
        cfg.pack.clone(),
        KioskConfig {
            engine: cfg.engine.clone(),
            session_id: hub.session.to_string(),
            publisher: cfg.publisher,
        },
    )?;
    let sitting = Arc::new(Mutex::new(sitting));
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed.wrapping_add(i as u64));
    let mut live = LiveKiosk::connect(
        hub.addr,
        hub.pin,
        pair,
        Arc::new(AtomicU64::new(0)),
        sitting.clone(),
    )
    .await?;
    if let Some(tap) = &cfg.tap {
        live.link().tap(tap.clone());
    }
    let mut enrolled = live.pair(&kiosk_label(i)).await?.is_none();
    while !enrolled {
        tokio::time::sleep(Duration::from_millis(50)).await;
        enrolled = live.hello().await?;
    }
    let _ = tokio::time::timeout_at(deadline.into(), paired.wait()).await;
    let (first, birth, date) = &hub.candidates[i];
    live.join(&Identity {
        session: hub.session.to_string(),
        first_name: first.to_lowercase(),
        birth_name: format!(" {} ", birth.to_uppercase()),
        birthdate: date.clone(),
    })
    .await?;
    live.ready(&hub.access_code).await?;
    loop {
        // Commands first: the invigilator's decisions are carried out as they arrive.
        while let Some((id, cmd)) = live.try_command() {
            track(&live, &sitting, shared);
            live.carry_out(id, cmd).await?;
            acked(&live, shared);
        }
        let screen = off_runtime(|| {
            let mut s = sitting.lock().unwrap_or_else(|p| p.into_inner());
            s.screen(Lang::Fr)
        })?;
        match screen {
            Screen::Ended { .. } => {
                track(&live, &sitting, shared);
                live.sync().await?;
                let last = {
                    let s = sitting.lock().unwrap_or_else(|p| p.into_inner());
                    s.chain_since(0)?.map(|(t, b)| (t, b.bodies.len() as u64))
                };
                if let Some(f) = last {
                    lock(shared).finals.push(f);
                }
                live.leave().await?;
                return Ok(());
            }
            Screen::Question {
                question,
                alert_open,
                ..
            } => {
                if alert_open || Instant::now() >= deadline {
                    wait_command(&mut live, &sitting, shared, deadline).await?;
                    continue;
                }
                let think = between(&mut rng, cfg.think_ms.0, cfg.think_ms.1);
                tokio::time::sleep(Duration::from_millis(think)).await;
                let mut events = Vec::new();
                if chance(&mut rng, cfg.focus_rate) {
                    events.push(Event::FocusLost {
                        cause: FocusCause::Window,
                    });
                    events.push(Event::FocusRegained);
                    lock(shared).focus += 1;
                }
                off_runtime(|| -> Result<(), LiveError> {
                    let mut s = sitting.lock().unwrap_or_else(|p| p.into_inner());
                    for e in events {
                        s.record_window_event(e)?;
                    }
                    if chance(&mut rng, cfg.alert_rate) {
                        s.report_problem(&question.item_id, Lang::Fr)?;
                        lock(shared).alerts += 1;
                    } else {
                        let knows = cfg.answers.as_ref().filter(|key| {
                            chance(
                                &mut rng,
                                key.p_right(&question.item_id, ability(i, cfg.kiosks)),
                            )
                        });
                        let n = between(&mut rng, 1, question.proposals.len().max(1) as u64) as i64;
                        let response =
                            match knows.and_then(|k| k.right_response(&question, Lang::Fr)) {
                                Some(right) => right,
                                None => any_answer(&question, n),
                            };
                        s.answer(&question.item_id, response, Lang::Fr)?;
                        lock(shared).answers += 1;
                    }
                    Ok(())
                })?;
                track(&live, &sitting, shared);
                live.sync().await?;
                acked(&live, shared);
            }
            _ => wait_command(&mut live, &sitting, shared, deadline).await?,
        }
    }
}

/// Waits for the invigilator's next command; past the deadline the kiosk's test is ended by the
/// simulation itself so that every kiosk finishes.
async fn wait_command(
    live: &mut LiveKiosk,
    sitting: &Arc<Mutex<Sitting>>,
    shared: &SharedRef,
    deadline: Instant,
) -> Result<(), LiveError> {
    let wait = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(200));
    match tokio::time::timeout(wait, live.next_command()).await {
        Ok(Some((id, cmd))) => {
            track(live, sitting, shared);
            live.carry_out(id, cmd).await?;
            acked(live, shared);
        }
        Ok(None) => return Err(LiveError::Unexpected),
        Err(_) if Instant::now() >= deadline => {
            live.carry_out(
                0,
                KioskCommand::EndTest {
                    reason: "fin de la simulation / end of the simulation".into(),
                },
            )
            .await?;
        }
        Err(_) => {}
    }
    Ok(())
}

/// The hub's acknowledgement of the records just sent (request to committed reply).
fn acked(live: &LiveKiosk, shared: &SharedRef) {
    if let Some(d) = live.last_ack() {
        let mut sh = lock(shared);
        sh.messages += 1;
        sh.ack_ms.push(d.as_secs_f64() * 1000.0);
    }
}

/// Notes when each record not yet synced leaves the kiosk, to time its arrival on the console.
fn track(live: &LiveKiosk, sitting: &Arc<Mutex<Sitting>>, shared: &SharedRef) {
    let s = sitting.lock().unwrap_or_else(|p| p.into_inner());
    if let Ok(Some((test, bytes))) = s.chain_since(live.synced()) {
        let now = Instant::now();
        let mut sh = lock(shared);
        let m = sh.in_flight.entry(test).or_default();
        for seq in live.synced() + 1..=live.synced() + bytes.bodies.len() as u64 {
            m.entry(seq).or_insert(now);
        }
    }
}
