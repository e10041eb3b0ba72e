//! The room's state machine as a table. Each case is data: inputs in order (kiosk frames and
//! console commands) and, for each, what the room must answer — the exact effects or the stable
//! code of the refusal — and what the console must then see. One helper, `check`, applies them;
//! it also holds every case to the room's own promises: a refused input changes nothing, and
//! replaying the accepted inputs (what a restarted hub does) gives back the same room.
//!
//! Every kiosk message and console command names the case that covers it (`kiosk_case`,
//! `console_case`): both are exhaustive matches, so a new variant does not compile until a case
//! is written for it.

use std::mem::discriminant;
use std::panic::{catch_unwind, AssertUnwindSafe};

use certroom_core::message::UserMessage;
use certroom_hub::room::{Effects, Input, Room};
use certroom_hub::{EnrolledCandidate, RoomSetup};
use certroom_journal::{EndedBy, Event, FocusCause, Journal, StationKey, TestHeader};
use certroom_protocol::{
    pairing, AbortReason, BankOffer, BankState, CandidateCard, ChainCopy, ConsoleCommand,
    KioskCommand, KioskMessage, PairingRequest, ReadinessItem, Reply, StationState, Tile,
    TileStatus, WireHead,
};
use chrono::NaiveDate;
use serde_json::json;

/// Any fingerprint will do: the room only binds pairing codes to it.
const HUB: &str = "5ea1c0de5ea1c0de5ea1c0de5ea1c0de5ea1c0de5ea1c0de5ea1c0de5ea1c0de";
/// The hub's pairing secret (any will do here).
const SECRET: [u8; 32] = [7; 32];
/// The nonce every PC of the table commits to when it asks to be paired.
const PC_NONCE: &str = "0123456789abcdef0123456789abcdef";
/// A PC nobody paired.
const STRANGER: &str = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
const SESSION: i64 = 4217;
const ACCESS_CODE: &str = "BCDF23";
const BANK_KEY: &str = "salle-demo-2026";
const DURATION_MIN: u32 = 105;
const ALERT_NOTE: &str = "alerte validée en direct / live alert validated";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
}

fn setup() -> RoomSetup {
    let c = |id, first: &str, birth: &str, birthdate| EnrolledCandidate {
        id,
        first_name: first.into(),
        birth_name: birth.into(),
        birthdate,
        local_id: None,
        extra_time_percent: 0,
        adjusted_questions: false,
    };
    RoomSetup {
        session: SESSION,
        access_code: ACCESS_CODE.into(),
        invigilator_password: "k7?Pm2".into(),
        bank_key: BANK_KEY.into(),
        questions: 32,
        duration_min: DURATION_MIN,
        candidates: vec![
            c(1, "Zoé", "N'Diaye-Lefèvre", date(2011, 3, 14)),
            c(2, "Jean Pierre", "Martin", date(2011, 7, 2)),
            c(3, "Léa", "Bernard", date(2010, 12, 31)),
            // Enrolled twice by mistake: the identity check cannot tell them apart.
            c(4, "Lucas", "Petit", date(2011, 5, 5)),
            c(5, "Lucas", "Petit", date(2011, 5, 5)),
        ],
    }
}

fn enrolled(id: i64) -> EnrolledCandidate {
    setup()
        .candidates
        .into_iter()
        .find(|c| c.id == id)
        .expect("an enrolled candidate")
}

fn card(id: i64) -> CandidateCard {
    let c = enrolled(id);
    CandidateCard {
        id,
        session: SESSION,
        first_name: c.first_name,
        birth_name: c.birth_name,
        birthdate: c.birthdate,
        extra_time_percent: 0,
        adjusted_questions: false,
    }
}

// ---------------------------------------------------------------------------------------------
// Journals: real chains written by certroom-journal, as the kiosks send them.

/// One test's chain as a kiosk holds it.
struct Chain {
    test_id: String,
    candidate: i64,
    header: String,
    bodies: Vec<String>,
    /// Live milliseconds at each record.
    mono_ms: Vec<u64>,
    /// The station-signed head, when the test ended.
    head: Option<WireHead>,
}

impl Chain {
    fn read(j: &Journal, test_id: &str, candidate: i64) -> Chain {
        let bytes = j.chain_bytes(test_id, 0).expect("chain bytes");
        let head = j.signed_head(test_id).expect("head").map(|h| WireHead {
            body: String::from_utf8(h.signed_body().expect("head body")).expect("utf-8"),
            signature: h.signature.clone(),
        });
        Chain {
            test_id: test_id.into(),
            candidate,
            header: String::from_utf8(bytes.header).expect("utf-8"),
            bodies: bytes
                .bodies
                .into_iter()
                .map(|b| String::from_utf8(b).expect("utf-8"))
                .collect(),
            mono_ms: j
                .records(test_id)
                .expect("records")
                .iter()
                .map(|r| r.mono_ms)
                .collect(),
            head,
        }
    }

    /// Records `from + 1 ..= to`, with the header when they start the test (as a kiosk sends).
    fn records(&self, from: usize, to: usize) -> KioskMessage {
        KioskMessage::Records {
            test_id: self.test_id.clone(),
            header: (from == 0).then(|| self.header.clone()),
            bodies: self.bodies[from..to].to_vec(),
            head: None,
        }
    }

    /// The rest of the chain after `from`, with the signed head.
    fn rest_with_head(&self, from: usize) -> KioskMessage {
        KioskMessage::Records {
            test_id: self.test_id.clone(),
            header: (from == 0).then(|| self.header.clone()),
            bodies: self.bodies[from..].to_vec(),
            head: self.head.clone(),
        }
    }

    /// Only a head, for a copy the hub already holds.
    fn head_only(&self, head: Option<WireHead>) -> KioskMessage {
        KioskMessage::Records {
            test_id: self.test_id.clone(),
            header: None,
            bodies: Vec::new(),
            head,
        }
    }

    /// Records exactly as given, for the forged and broken ones.
    fn raw(&self, header: Option<String>, bodies: Vec<String>) -> KioskMessage {
        KioskMessage::Records {
            test_id: self.test_id.clone(),
            header,
            bodies,
            head: None,
        }
    }

    fn copy(&self, to: usize) -> ChainCopy {
        ChainCopy {
            header: self.header.clone(),
            bodies: self.bodies[..to].to_vec(),
        }
    }

    /// The tile's countdown once the hub holds records `..= seq`.
    fn time_left_s(&self, seq: usize, extra_min: u32) -> u64 {
        (u64::from(DURATION_MIN + extra_min) * 60_000).saturating_sub(self.mono_ms[seq - 1]) / 1000
    }
}

fn started(j: &mut Journal, test_id: &str, candidate: i64) {
    j.create_test(TestHeader::new(
        test_id,
        SESSION.to_string(),
        candidate.to_string(),
        42,
        "engine-1",
        certroom_core::Hash::of(&[b"bank"]),
    ))
    .expect("test created");
}

fn append(j: &mut Journal, test_id: &str, events: &[Event]) {
    for e in events {
        j.append(test_id, e).expect("append");
    }
}

fn shown(index: u32, item: &str) -> Event {
    Event::QuestionShown {
        index,
        item_id: item.into(),
        draw: json!(0.5),
    }
}

fn answer(item: &str) -> Event {
    Event::Answer {
        item_id: item.into(),
        response: json!({"choice": 1}),
        time_spent_ms: 40_000,
        focus_lost: false,
        timed_out: false,
    }
}

fn authorized(resume: bool) -> Event {
    Event::Authorized {
        by: "invigilator".into(),
        resume,
    }
}

/// Two paired PCs and the journals their candidates' tests leave.
struct Fixture {
    _dir: tempfile::TempDir,
    /// PC-A's and PC-B's station keys (hex): the stations' names in frames.
    a: String,
    b: String,
    /// Candidate 2 on PC-A, from the start to a finish signed by PC-A.
    c2: Chain,
    /// Candidate 3 on PC-B, ended by the invigilator ("malaise"), signed by PC-B.
    c3: Chain,
    /// Candidate 2 started on PC-A, whose PC then died…
    moved_a: Chain,
    /// …and the same test taken over by PC-B from the hub's copy, finished there.
    moved_b: Chain,
}

const C2_PAUSE: &str = "alarme incendie";

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = |name: &str| StationKey::load_or_create(&dir.path().join(name)).expect("key");
    let (ka, kb) = (key("a.key"), key("b.key"));
    let journal = |name: &str| Journal::open(&dir.path().join(name)).expect("journal");

    // Record numbers matter to the cases: 3 = first question on screen, 4 = focus lost,
    // 5 = alert raised, 7 = alert settled, 9 = one answer, 10 = extra time, 11 = paused,
    // 13 = resumed, 15 = last record before the end, 16 = ended by the candidate.
    let mut j = journal("a.db");
    started(&mut j, "T-2", 2);
    append(
        &mut j,
        "T-2",
        &[
            Event::Joined,
            authorized(false),
            shown(0, "q1"),
            Event::FocusLost {
                cause: FocusCause::Window,
            },
            Event::AlertRaised {
                item_id: "q1".into(),
            },
            Event::AlertResolved {
                item_id: "q1".into(),
                validated: true,
                incident: Some("E1".into()),
            },
            Event::FocusRegained,
            shown(0, "q1b"),
            answer("q1b"),
            Event::ExtraTimeGranted { minutes: 10 },
            Event::Paused {
                reason: C2_PAUSE.into(),
            },
            authorized(true),
            Event::Resumed,
            shown(1, "q2"),
            answer("q2"),
        ],
    );
    j.end_test("T-2", EndedBy::Candidate, None, &ka)
        .expect("ended");
    let c2 = Chain::read(&j, "T-2", 2);

    let mut j = journal("b.db");
    started(&mut j, "T-3", 3);
    append(
        &mut j,
        "T-3",
        &[Event::Joined, authorized(false), shown(0, "q7")],
    );
    j.end_test("T-3", EndedBy::Invigilator, Some("malaise".into()), &kb)
        .expect("ended");
    let c3 = Chain::read(&j, "T-3", 3);

    let mut j = journal("a-moved.db");
    started(&mut j, "T-2m", 2);
    append(
        &mut j,
        "T-2m",
        &[Event::Joined, authorized(false), shown(0, "q1")],
    );
    let moved_a = Chain::read(&j, "T-2m", 2);

    // What PC-B does with the copy the authorization carries: import it, reopen it (which
    // journals the interruption), then resume.
    let mut j = journal("b-moved.db");
    j.import_chain(j_bytes(&moved_a)).expect("imported");
    j.open_test("T-2m").expect("reopened");
    append(&mut j, "T-2m", &[authorized(true), Event::Resumed]);
    j.end_test("T-2m", EndedBy::Candidate, None, &kb)
        .expect("ended");
    let moved_b = Chain::read(&j, "T-2m", 2);
    assert_eq!(
        moved_b.bodies[..3],
        moved_a.bodies[..],
        "the copy is byte for byte"
    );
    assert!(
        moved_b.bodies[3].contains("Paused"),
        "{}",
        moved_b.bodies[3]
    );

    Fixture {
        a: ka.public_key_hex(),
        b: kb.public_key_hex(),
        _dir: dir,
        c2,
        c3,
        moved_a,
        moved_b,
    }
}

fn j_bytes(c: &Chain) -> certroom_journal::ChainBytes {
    certroom_journal::ChainBytes {
        header: c.header.clone().into_bytes(),
        bodies: c.bodies.iter().map(|b| b.clone().into_bytes()).collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// The table's vocabulary.

/// One input and what the room must do with it.
struct Step {
    input: Input,
    want: Want,
    /// What the console must see afterwards.
    then: Vec<Check>,
}

enum Want {
    /// Accepted, with exactly these effects (the changed tiles compared as a set).
    Accepted(Box<Effects>),
    /// Refused with this stable code; the room is left exactly as it was.
    Refused(&'static str),
}

/// One fact about `room.view()` after a step.
enum Check {
    Status(i64, TileStatus),
    NeedsAction(i64, bool),
    Present(i64, bool),
    Seated(i64, Option<String>),
    Resume(i64, bool),
    Question(i64, u32),
    Answered(i64, u32),
    SyncedSeq(i64, u64),
    TestId(i64, Option<&'static str>),
    FocusLosses(i64, u32),
    ExtraMinutes(i64, u32),
    TimeLeft(i64, Option<u64>),
    AlertItem(i64, Option<&'static str>),
    EndedReason(i64, Option<&'static str>),
    Abort(i64, Option<AbortReason>),
    /// Code, note and question of every incident, in order.
    Incidents(i64, Vec<(&'static str, &'static str, Option<u32>)>),
    Names(i64, &'static str, &'static str),
    /// Whether the hub holds the station-signed head of the candidate's test.
    SignedHead(i64, bool),
    /// The tile shown first (the most urgent).
    First(i64),
    Paused(bool),
    Finalized(bool),
    Comment(&'static str),
    Pairings(Vec<String>),
    Stations(Vec<(String, &'static str)>),
    /// Each PC that reported its readiness, with the items that fail.
    Readiness(Vec<(String, Vec<&'static str>)>),
    /// The PCs whose screen reader the invigilator turned on.
    Speech(Vec<String>),
    /// Each paired PC's state with the offered bank pack, and the refusal's reason.
    Banks(Vec<(String, BankState, Option<&'static str>)>),
}

struct Case {
    name: &'static str,
    steps: Vec<Step>,
}

/// The effects an accepted input must have, built field by field.
struct Fx(Effects);

fn fx() -> Fx {
    Fx(Effects::default())
}

impl Fx {
    fn reply(mut self, reply: Reply) -> Self {
        self.0.reply = Some(reply);
        self
    }
    fn tiles(mut self, ids: &[i64]) -> Self {
        self.0.tiles = ids.to_vec();
        self
    }
    fn unrecorded(mut self) -> Self {
        self.0.unrecorded = true;
        self
    }
    fn room_changed(mut self) -> Self {
        self.0.room_changed = true;
        self
    }
    fn pairing(mut self, p: PairingRequest) -> Self {
        self.0.pairing = Some(p);
        self
    }
    fn command(mut self, station: &str, id: u64, command: KioskCommand) -> Self {
        self.0.commands.push((station.to_owned(), id, command));
        self
    }
    fn bank_chunk(mut self, hash: &str, offset: u64) -> Self {
        self.0.bank_chunk = Some((hash.to_owned(), offset));
        self
    }
    fn bank_offered(mut self, offer: BankOffer) -> Self {
        self.0.bank_offered = Some(offer);
        self
    }
    fn speech(mut self, station: &str, on: bool) -> Self {
        self.0.speech = Some((station.to_owned(), on));
        self
    }
}

/// Frame `n` of the table is sent as `10 n`, which leaves room for the first step of a pairing
/// (`pair`, then `pair_reveal` as frame `n`).
fn kiosk(station: &str, n: u64, msg: KioskMessage) -> Input {
    Input::Station {
        station: station.to_owned(),
        n: n * 10,
        msg,
    }
}

fn console(command: ConsoleCommand) -> Input {
    Input::Console { command }
}

fn accepted(input: Input, fx: Fx) -> Step {
    Step {
        input,
        want: Want::Accepted(Box::new(fx.0)),
        then: Vec::new(),
    }
}

fn refused(input: Input, code: &'static str) -> Step {
    Step {
        input,
        want: Want::Refused(code),
        then: Vec::new(),
    }
}

impl Step {
    fn then(mut self, checks: impl IntoIterator<Item = Check>) -> Self {
        self.then.extend(checks);
        self
    }
}

fn join(first: &str, birth: &str, birthdate: &str) -> KioskMessage {
    KioskMessage::Join {
        session: SESSION,
        first_name: first.into(),
        birth_name: birth.into(),
        birthdate: birthdate.into(),
    }
}

fn join_as(id: i64) -> KioskMessage {
    let c = enrolled(id);
    join(
        &c.first_name,
        &c.birth_name,
        &c.birthdate.format("%d/%m/%Y").to_string(),
    )
}

fn ready() -> KioskMessage {
    KioskMessage::Ready {
        access_code: ACCESS_CODE.into(),
    }
}

fn state(station_candidate: Option<i64>, test: Option<&str>, synced: u64, paused: bool) -> Reply {
    Reply::State {
        station: StationState {
            enrolled: true,
            session: Some(SESSION),
            paused,
            candidate: station_candidate.map(card),
            test_id: test.map(str::to_owned),
            synced_seq: synced,
            forget: vec![],
            // Every hello tells the kiosk which version the console runs.
            hub_version: env!("CARGO_PKG_VERSION").into(),
            bank: None,
            speech: None,
        },
    }
}

/// What a paired PC with nobody seated hears on `hello`, with the invigilator's word on speech.
fn idle_state(speech: Option<bool>) -> Reply {
    let Reply::State { station } = state(None, None, 0, false) else {
        unreachable!()
    };
    Reply::State {
        station: StationState { speech, ..station },
    }
}

fn start() -> KioskCommand {
    KioskCommand::Authorize {
        resume: false,
        bank_key: BANK_KEY.into(),
        chain: None,
    }
}

/// A readiness item as a PC reports it.
fn item(name: &str, ok: bool) -> ReadinessItem {
    ReadinessItem {
        item: name.into(),
        ok,
        fr: format!("{name} : vérifié"),
        en: format!("{name}: checked"),
    }
}

/// The bank pack the console offers in the bank case.
fn offer() -> BankOffer {
    BankOffer {
        hash: "ba".repeat(32),
        size: 300_000,
    }
}

/// A PC's request to be paired, committing to [`PC_NONCE`].
fn ask(station: &str, label: &str) -> KioskMessage {
    KioskMessage::Pair {
        label: label.into(),
        commitment: pairing::commitment(station, PC_NONCE),
    }
}

fn reveal() -> KioskMessage {
    KioskMessage::PairReveal {
        nonce: PC_NONCE.into(),
    }
}

fn hub_nonce(station: &str) -> String {
    pairing::hub_nonce(&SECRET, station, &pairing::commitment(station, PC_NONCE))
}

/// What the hub answers a request: its nonce, and whether the PC is already enrolled.
fn asked(station: &str, enrolled: bool) -> Fx {
    fx().reply(Reply::Pairing {
        hub_nonce: hub_nonce(station),
        enrolled,
    })
}

/// What the hub answers the revealed nonce: the console now shows the code the PC shows.
fn code_shown(station: &str, label: &str) -> Fx {
    fx().reply(Reply::CodeShown)
        .pairing(PairingRequest {
            station: station.into(),
            label: label.into(),
            code: pairing::pairing_code(HUB, station, PC_NONCE, &hub_nonce(station)),
        })
        .room_changed()
}

/// A PC paired the way a lab is set up: it asks (just before frame `n`), reveals its nonce
/// (frame `n`), the console confirms.
fn pair(station: &str, label: &'static str, n: u64) -> Vec<Step> {
    let mut asking = kiosk(station, n, ask(station, label));
    if let Input::Station { n, .. } = &mut asking {
        *n -= 1;
    }
    vec![
        accepted(asking, asked(station, false)),
        accepted(kiosk(station, n, reveal()), code_shown(station, label)),
        accepted(
            console(ConsoleCommand::ConfirmPairing {
                station: station.into(),
            }),
            fx().room_changed(),
        ),
    ]
}

/// A PC nobody paired asks where it stands: told it is not enrolled, and nothing is recorded.
fn stranger_hello(n: u64) -> Step {
    accepted(
        kiosk(STRANGER, n, KioskMessage::Hello),
        fx().reply(Reply::State {
            station: StationState {
                enrolled: false,
                session: Some(SESSION),
                paused: false,
                candidate: None,
                test_id: None,
                synced_seq: 0,
                forget: vec![],
                hub_version: env!("CARGO_PKG_VERSION").into(),
                bank: None,
                speech: None,
            },
        })
        .unrecorded(),
    )
}

/// The invigilator opens pairing for the lab's set-up.
fn open_pairing() -> Step {
    accepted(
        console(ConsoleCommand::OpenPairing { minutes: 30 }),
        fx().room_changed(),
    )
}

/// Both PCs paired; each has used frame 1.
fn lab(f: &Fixture) -> Vec<Step> {
    steps(vec![
        vec![open_pairing()],
        pair(&f.a, "PC-A", 1),
        pair(&f.b, "PC-B", 1),
    ])
}

/// A candidate joins on `station` (frame `n`) and types the access code (frame `n + 1`).
fn seat(station: &str, n: u64, id: i64) -> Vec<Step> {
    vec![
        accepted(
            kiosk(station, n, join_as(id)),
            fx().reply(Reply::Joined {
                candidate: card(id),
            })
            .tiles(&[id]),
        ),
        accepted(
            kiosk(station, n + 1, ready()),
            fx().reply(Reply::Waiting).tiles(&[id]),
        ),
    ]
}

/// The invigilator starts a waiting candidate's test; `command` is the command's number.
fn authorize(station: &str, id: i64, command: u64) -> Step {
    accepted(
        console(ConsoleCommand::Authorize { candidate: id }),
        fx().command(station, command, start()).tiles(&[id]),
    )
}

/// The kiosk sends records `from + 1 ..= to` of `chain`.
fn sync(station: &str, n: u64, chain: &Chain, from: usize, to: usize) -> Step {
    accepted(
        kiosk(station, n, chain.records(from, to)),
        fx().reply(Reply::Synced {
            test_id: chain.test_id.clone(),
            last_seq: to as u64,
        })
        .tiles(&[chain.candidate]),
    )
}

/// The kiosk sends the rest of an ended test and its signed head.
fn sync_end(station: &str, n: u64, chain: &Chain, from: usize) -> Step {
    accepted(
        kiosk(station, n, chain.rest_with_head(from)),
        fx().reply(Reply::Synced {
            test_id: chain.test_id.clone(),
            last_seq: chain.bodies.len() as u64,
        })
        .tiles(&[chain.candidate]),
    )
}

fn steps(parts: Vec<Vec<Step>>) -> Vec<Step> {
    parts.into_iter().flatten().collect()
}

// ---------------------------------------------------------------------------------------------
// The table.

fn cases(f: &Fixture) -> Vec<Case> {
    let (a, b) = (f.a.as_str(), f.b.as_str());
    let (c2, c3) = (&f.c2, &f.c3);
    use Check::*;
    use ConsoleCommand as C;
    use KioskMessage as K;
    vec![
        Case {
            name: "pair: a PC asks, the console confirms, and only then may it seat anyone",
            steps: vec![
                // Nobody opened pairing: a PC asking is refused, and the console sees nothing.
                refused(kiosk(a, 1, ask(a, "PC-A")), "room.pairing_closed")
                    .then([Pairings(vec![])]),
                refused(console(C::OpenPairing { minutes: 0 }), "room.invalid"),
                refused(console(C::OpenPairing { minutes: 61 }), "room.invalid"),
                open_pairing(),
                // The PC commits to its nonce: nothing for the console until it reveals it.
                accepted(kiosk(a, 1, ask(a, "  PC-A  ")), asked(a, false))
                    .then([Pairings(vec![]), Stations(vec![])]),
                // Another nonce than the one committed to (someone who would choose it late).
                refused(
                    kiosk(a, 2, K::PairReveal {
                        nonce: "f".repeat(32),
                    }),
                    "room.invalid",
                ),
                accepted(kiosk(a, 2, reveal()), code_shown(a, "PC-A"))
                    .then([Pairings(vec![a.into()]), Stations(vec![])]),
                refused(kiosk(a, 3, join_as(3)), "room.unknown_station"),
                refused(
                    console(C::ConfirmPairing { station: b.into() }),
                    "room.no_pairing",
                ),
                accepted(
                    console(C::ConfirmPairing { station: a.into() }),
                    fx().room_changed(),
                )
                .then([Pairings(vec![]), Stations(vec![(a.into(), "PC-A")])]),
                // Asking again once enrolled: told so, and nothing for the console.
                accepted(kiosk(a, 4, ask(a, "PC-A")), asked(a, true)),
                accepted(kiosk(a, 5, reveal()), fx().reply(Reply::CodeShown)),
                // A double click on the console: nothing to do, nothing refused.
                accepted(console(C::ConfirmPairing { station: a.into() }), fx())
                    .then([Stations(vec![(a.into(), "PC-A")])]),
                refused(kiosk(b, 1, ask(b, &"x".repeat(65))), "room.invalid")
                    .then([Pairings(vec![])]),
                refused(
                    kiosk(b, 1, K::Pair {
                        label: "PC-B".into(),
                        commitment: "pas un condensat".into(),
                    }),
                    "room.invalid",
                ),
                // Nothing asked, nothing to reveal.
                refused(kiosk(b, 1, reveal()), "room.no_pairing"),
                accepted(kiosk(b, 2, ask(b, "PC-B")), asked(b, false)),
                accepted(kiosk(b, 3, reveal()), code_shown(b, "PC-B")).then([Pairings(vec![b.into()])]),
                // Closing the window drops what was not confirmed; a PC already paired may
                // still ask where it stands.
                accepted(console(C::ClosePairing), fx().room_changed())
                    .then([Pairings(vec![]), Stations(vec![(a.into(), "PC-A")])]),
                refused(
                    console(C::ConfirmPairing { station: b.into() }),
                    "room.no_pairing",
                ),
                refused(kiosk(b, 4, ask(b, "PC-B")), "room.pairing_closed"),
                accepted(kiosk(a, 6, ask(a, "PC-A")), asked(a, true)),
            ],
        },
        Case {
            name: SPEECH_CASE,
            steps: steps(vec![
                lab(f),
                vec![
                    accepted(kiosk(a, 2, K::Hello), fx().reply(idle_state(None))),
                    refused(console(C::Speech { station: STRANGER.into(), on: true }), "room.invalid"),
                    accepted(
                        console(C::Speech { station: a.into(), on: true }),
                        fx().room_changed().speech(a, true),
                    )
                    .then([Speech(vec![a.into()])]),
                    // Said again (a double click): the PC is told again, nothing changed.
                    accepted(console(C::Speech { station: a.into(), on: true }), fx().speech(a, true)),
                    // A PC that missed it (restarted, reconnected) learns it from `hello`; the
                    // other PC was told nothing.
                    accepted(kiosk(a, 3, K::Hello), fx().reply(idle_state(Some(true)))),
                    accepted(kiosk(b, 2, K::Hello), fx().reply(idle_state(None))),
                    accepted(
                        console(C::Speech { station: a.into(), on: false }),
                        fx().room_changed().speech(a, false),
                    )
                    .then([Speech(vec![])]),
                    accepted(kiosk(a, 4, K::Hello), fx().reply(idle_state(Some(false)))),
                ],
            ]),
        },
        Case {
            name: BANK_CASE,
            steps: steps(vec![
                lab(f),
                vec![
                    // Nothing offered: nothing to fetch, nothing to say.
                    refused(
                        kiosk(a, 2, K::FetchBank { hash: offer().hash, offset: 0 }),
                        "room.invalid",
                    ),
                    refused(
                        console(C::OfferBank {
                            offer: BankOffer { hash: "pas un condensat".into(), size: 1 },
                        }),
                        "room.invalid",
                    ),
                    refused(
                        console(C::OfferBank {
                            offer: BankOffer { hash: offer().hash, size: 0 },
                        }),
                        "room.invalid",
                    ),
                    accepted(
                        console(C::OfferBank { offer: offer() }),
                        fx().room_changed().bank_offered(offer()),
                    )
                    .then([Banks(vec![
                        (a.into(), BankState::Waiting, None),
                        (b.into(), BankState::Waiting, None),
                    ])]),
                    // Offered again (a console that restarted): the PCs are told again.
                    accepted(
                        console(C::OfferBank { offer: offer() }),
                        fx().bank_offered(offer()),
                    ),
                    // A PC fetches: answered by the server, never written down.
                    accepted(
                        kiosk(a, 2, K::FetchBank { hash: offer().hash, offset: 65_536 }),
                        fx().bank_chunk(&offer().hash, 65_536).unrecorded(),
                    ),
                    refused(
                        kiosk(a, 3, K::FetchBank { hash: "cd".repeat(32), offset: 0 }),
                        "room.invalid",
                    ),
                    refused(
                        kiosk(STRANGER, 1, K::FetchBank { hash: offer().hash, offset: 0 }),
                        "room.unknown_station",
                    ),
                    accepted(
                        kiosk(a, 4, K::BankResult { hash: offer().hash, error: None }),
                        fx().reply(Reply::Done).room_changed(),
                    ),
                    accepted(
                        kiosk(b, 2, K::BankResult {
                            hash: offer().hash,
                            error: Some("banque refusée : signature de l'éditeur invalide".into()),
                        }),
                        fx().reply(Reply::Done).room_changed(),
                    )
                    .then([Banks(vec![
                        (a.into(), BankState::Installed, None),
                        (
                            b.into(),
                            BankState::Refused,
                            Some("banque refusée : signature de l'éditeur invalide"),
                        ),
                    ])]),
                    refused(
                        kiosk(b, 3, K::BankResult { hash: "cd".repeat(32), error: None }),
                        "room.invalid",
                    ),
                    // Another pack: every PC starts again.
                    accepted(
                        console(C::OfferBank {
                            offer: BankOffer { hash: "cd".repeat(32), size: 10 },
                        }),
                        fx().room_changed().bank_offered(BankOffer { hash: "cd".repeat(32), size: 10 }),
                    )
                    .then([Banks(vec![
                        (a.into(), BankState::Waiting, None),
                        (b.into(), BankState::Waiting, None),
                    ])]),
                ],
            ]),
        },
        Case {
            name: "readiness: a paired PC says what would stop exam day; the console sees the last word",
            steps: steps(vec![
                lab(f),
                vec![
                    refused(
                        kiosk(STRANGER, 1, K::Readiness { items: vec![item("fsync", true)] }),
                        "room.unknown_station",
                    ),
                    refused(
                        kiosk(a, 2, K::Readiness { items: vec![item("fsync", true); 33] }),
                        "room.invalid",
                    ),
                    refused(
                        kiosk(a, 2, K::Readiness {
                            items: vec![ReadinessItem { fr: "x".repeat(501), ..item("cage", false) }],
                        }),
                        "room.invalid",
                    ),
                    accepted(
                        kiosk(a, 2, K::Readiness {
                            items: vec![item("fsync", true), item("cage", false), item("clock", false)],
                        }),
                        fx().reply(Reply::Done).room_changed(),
                    )
                    .then([Readiness(vec![(a.into(), vec!["cage", "clock"])])]),
                    // After the technician's fix, the next connection's report replaces it.
                    accepted(
                        kiosk(a, 3, K::Readiness { items: vec![item("fsync", true), item("cage", true)] }),
                        fx().reply(Reply::Done).room_changed(),
                    )
                    .then([Readiness(vec![(a.into(), vec![])])]),
                    accepted(
                        kiosk(b, 2, K::Readiness { items: vec![item("disk_space", false)] }),
                        fx().reply(Reply::Done).room_changed(),
                    )
                    .then([Readiness(vec![(a.into(), vec![]), (b.into(), vec!["disk_space"])])]),
                ],
            ]),
        },
        Case {
            name: "unknown PC: anything but pair and hello is refused",
            steps: vec![
                refused(kiosk(STRANGER, 1, join_as(3)), "room.unknown_station"),
                refused(kiosk(STRANGER, 1, ready()), "room.unknown_station"),
                refused(kiosk(STRANGER, 1, c3.records(0, 3)), "room.unknown_station"),
                refused(kiosk(STRANGER, 1, K::Done { command: 1 }), "room.unknown_station"),
                refused(kiosk(STRANGER, 1, K::Leave), "room.unknown_station"),
            ],
        },
        Case {
            name: "counter: a frame numbered at or below the last accepted one is refused",
            steps: steps(vec![
                vec![
                    refused(kiosk(STRANGER, 0, K::Hello), "hub.replay"),
                    // A stranger's hello changes nothing: answered, never written down, and
                    // its number is not kept (made-up keys cost no record).
                    stranger_hello(5),
                    stranger_hello(5),
                ],
                lab(f),
                vec![
                    accepted(
                        kiosk(a, 7, join_as(2)),
                        fx().reply(Reply::Joined { candidate: card(2) }).tiles(&[2]),
                    ),
                    refused(kiosk(a, 7, ready()), "hub.replay"),
                    refused(kiosk(a, 2, ready()), "hub.replay"),
                    // A refused frame does not use up its number.
                    refused(
                        kiosk(a, 8, K::Ready {
                            access_code: "nope".into(),
                        }),
                        "room.access_code",
                    ),
                    accepted(kiosk(a, 8, ready()), fx().reply(Reply::Waiting).tiles(&[2])),
                ],
            ]),
        },
        Case {
            name: "hello: a PC learns where it stands and gets its pending commands again",
            steps: steps(vec![
                vec![stranger_hello(1)],
                lab(f),
                seat(a, 2, 2),
                vec![
                    authorize(a, 2, 1),
                    // The kiosk reconnected before carrying it out: the authorization again.
                    accepted(
                        kiosk(a, 4, K::Hello),
                        fx().reply(state(Some(2), None, 0, false))
                            .command(a, 1, start()),
                    ),
                    sync(a, 5, c2, 0, 3),
                    // The journal shows it carried out: nothing to send any more.
                    accepted(
                        kiosk(a, 6, K::Hello),
                        fx().reply(state(Some(2), Some("T-2"), 3, false)),
                    ),
                    accepted(kiosk(b, 2, K::Hello), fx().reply(state(None, None, 0, false))),
                ],
            ]),
        },
        Case {
            name: "pair: a PC nobody paired is refused once a test runs; a known one is not",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                vec![
                    authorize(a, 2, 1),
                    sync(a, 4, c2, 0, 3),
                    refused(
                        kiosk(&"cc".repeat(32), 1, ask(&"cc".repeat(32), "Portable")),
                        "room.pairing_during_tests",
                    ),
                    accepted(kiosk(b, 2, ask(b, "PC-B")), asked(b, true)),
                ],
            ]),
        },
        Case {
            name: "done: a command the kiosk carried out is not sent again",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                vec![
                    authorize(a, 2, 1),
                    sync(a, 4, c2, 0, 3),
                    accepted(
                        console(C::ExtraTime {
                            candidate: 2,
                            minutes: 10,
                        }),
                        fx().command(a, 2, KioskCommand::ExtraTime { minutes: 10 })
                            .tiles(&[2]),
                    ),
                    accepted(
                        kiosk(a, 5, K::Hello),
                        fx().reply(state(Some(2), Some("T-2"), 3, false)).command(
                            a,
                            2,
                            KioskCommand::ExtraTime { minutes: 10 },
                        ),
                    ),
                    accepted(
                        kiosk(a, 6, K::Done { command: 2 }),
                        fx().reply(Reply::Done).tiles(&[2]),
                    ),
                    accepted(
                        kiosk(a, 7, K::Hello),
                        fx().reply(state(Some(2), Some("T-2"), 3, false)),
                    ),
                    // From a PC with nobody seated: acknowledged, no tile concerned.
                    accepted(kiosk(b, 2, K::Done { command: 2 }), fx().reply(Reply::Done)),
                ],
            ]),
        },
        Case {
            name: "join: the identity matches however it is typed; each refusal says why",
            steps: steps(vec![
                lab(f),
                vec![
                    refused(
                        kiosk(a, 2, K::Join {
                            session: 9,
                            first_name: "Zoé".into(),
                            birth_name: "N'Diaye-Lefèvre".into(),
                            birthdate: "14/03/2011".into(),
                        }),
                        "room.wrong_session",
                    ),
                    refused(
                        kiosk(a, 2, join("Zoé", "N'Diaye-Lefèvre", "15/03/2011")),
                        "room.identity_not_found",
                    ),
                    refused(
                        kiosk(a, 2, join("Zoé", "N'Diaye-Lefèvre", "31/02/2011")),
                        "room.invalid",
                    ),
                    refused(
                        kiosk(a, 2, join("  ", "N'Diaye-Lefèvre", "14/03/2011")),
                        "room.invalid",
                    ),
                    refused(
                        kiosk(a, 2, join("Lucas", "Petit", "05/05/2011")),
                        "room.identity_ambiguous",
                    ),
                    accepted(
                        kiosk(a, 2, join(" ZOE ", "n diaye lefevre", "2011-03-14")),
                        fx().reply(Reply::Joined { candidate: card(1) }).tiles(&[1]),
                    )
                    .then([
                        Status(1, TileStatus::Joined),
                        Seated(1, Some(a.into())),
                        NeedsAction(1, false),
                    ]),
                    refused(
                        kiosk(b, 2, join("Zoé", "N'Diaye-Lefèvre", "14/03/2011")),
                        "room.candidate_elsewhere",
                    ),
                    accepted(
                        kiosk(b, 2, join("léa", "BERNARD", "2010-12-31")),
                        fx().reply(Reply::Joined { candidate: card(3) }).tiles(&[3]),
                    )
                    .then([Seated(3, Some(b.into())), Seated(1, Some(a.into()))]),
                ],
            ]),
        },
        Case {
            name: "join: refused on a PC mid-test, and for a candidate who finished",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                vec![
                    authorize(a, 2, 1),
                    sync(a, 4, c2, 0, 3),
                    refused(kiosk(a, 5, join_as(3)), "room.station_busy"),
                    sync_end(a, 5, c2, 3).then([Status(2, TileStatus::Finished)]),
                    refused(kiosk(a, 6, join_as(2)), "room.already_finished"),
                    refused(kiosk(b, 2, join_as(2)), "room.already_finished"),
                ],
            ]),
        },
        Case {
            name: "ready: the access code, then the candidate waits for the invigilator",
            steps: steps(vec![
                lab(f),
                vec![
                    refused(kiosk(a, 2, ready()), "room.no_candidate"),
                    accepted(
                        kiosk(a, 2, join_as(2)),
                        fx().reply(Reply::Joined { candidate: card(2) }).tiles(&[2]),
                    ),
                    refused(
                        kiosk(a, 3, K::Ready {
                            access_code: "BCDF24".into(),
                        }),
                        "room.access_code",
                    )
                    .then([Status(2, TileStatus::Joined)]),
                    accepted(
                        kiosk(a, 3, K::Ready {
                            access_code: " bcdf23 ".into(),
                        }),
                        fx().reply(Reply::Waiting).tiles(&[2]),
                    )
                    .then([
                        Status(2, TileStatus::WaitingAuthorization),
                        NeedsAction(2, true),
                        Resume(2, false),
                        First(2),
                    ]),
                ],
            ]),
        },
        Case {
            name: "authorize: the bank key once, only for a candidate who is waiting",
            steps: steps(vec![
                lab(f),
                vec![
                    accepted(
                        kiosk(a, 2, join_as(2)),
                        fx().reply(Reply::Joined { candidate: card(2) }).tiles(&[2]),
                    ),
                    refused(console(C::Authorize { candidate: 2 }), "room.not_waiting"),
                    refused(console(C::Authorize { candidate: 1 }), "room.not_waiting"),
                    refused(
                        console(C::Authorize { candidate: 99 }),
                        "room.unknown_candidate",
                    ),
                    accepted(kiosk(a, 3, ready()), fx().reply(Reply::Waiting).tiles(&[2])),
                    authorize(a, 2, 1).then([
                        Status(2, TileStatus::Joined),
                        NeedsAction(2, false),
                        Present(2, true),
                    ]),
                    refused(console(C::Authorize { candidate: 2 }), "room.not_waiting"),
                    sync(a, 4, c2, 0, 3).then([
                        Status(2, TileStatus::InTest),
                        TestId(2, Some("T-2")),
                        SyncedSeq(2, 3),
                        Question(2, 1),
                        Answered(2, 0),
                        TimeLeft(2, Some(c2.time_left_s(3, 0))),
                    ]),
                    refused(console(C::Authorize { candidate: 2 }), "room.not_waiting"),
                ],
            ]),
        },
        Case {
            name: "records: the hub's copy grows, resent records count once, the tile follows",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                vec![
                    authorize(a, 2, 1),
                    refused(
                        kiosk(a, 4, c2.raw(None, c2.bodies[..3].to_vec())),
                        "room.chain",
                    )
                    .then([SyncedSeq(2, 0)]),
                    sync(a, 4, c2, 0, 3).then([SyncedSeq(2, 3), Status(2, TileStatus::InTest)]),
                    // Records 2 and 3 again (a resend after a reconnection), then 4.
                    sync(a, 5, c2, 1, 4).then([
                        SyncedSeq(2, 4),
                        Status(2, TileStatus::FocusLost),
                        FocusLosses(2, 1),
                        NeedsAction(2, true),
                    ]),
                    sync(a, 6, c2, 4, 5).then([
                        Status(2, TileStatus::Alert),
                        AlertItem(2, Some("q1")),
                        First(2),
                    ]),
                    refused(
                        kiosk(a, 7, c2.raw(None, vec![c2.bodies[2].replace("q1", "q9")])),
                        "room.chain",
                    ),
                    refused(
                        kiosk(a, 7, K::Records {
                            test_id: "T-9".into(),
                            header: None,
                            bodies: Vec::new(),
                            head: None,
                        }),
                        "room.chain",
                    ),
                    sync_end(a, 7, c2, 5).then([
                        Status(2, TileStatus::Finished),
                        SyncedSeq(2, 16),
                        Answered(2, 2),
                        TimeLeft(2, None),
                        SignedHead(2, true),
                        NeedsAction(2, false),
                    ]),
                ],
            ]),
        },
        Case {
            name: "records: none from a PC with nobody seated, nor another candidate's",
            steps: steps(vec![
                lab(f),
                vec![
                    refused(kiosk(b, 2, c3.records(0, 3)), "room.no_candidate"),
                    accepted(
                        kiosk(b, 2, join_as(1)),
                        fx().reply(Reply::Joined { candidate: card(1) }).tiles(&[1]),
                    ),
                    refused(kiosk(b, 3, c3.records(0, 3)), "room.chain")
                        .then([SyncedSeq(1, 0), TestId(1, None)]),
                ],
            ]),
        },
        Case {
            name: "records: the signed head must come from the PC and sign the hub's copy",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                vec![
                    authorize(a, 2, 1),
                    sync(a, 4, c2, 0, 15),
                    // The copy has not ended yet.
                    refused(kiosk(a, 5, c2.head_only(c2.head.clone())), "room.chain"),
                    sync(a, 5, c2, 15, 16)
                        .then([Status(2, TileStatus::Finished), SignedHead(2, false)]),
                    refused(kiosk(a, 6, c2.head_only(c3.head.clone())), "room.chain"),
                    refused(
                        kiosk(a, 6, c2.head_only(c2.head.clone().map(|h| WireHead {
                            signature: flip_first_hex(&h.signature),
                            ..h
                        }))),
                        "room.chain",
                    )
                    .then([SignedHead(2, false)]),
                    accepted(
                        kiosk(a, 6, c2.head_only(c2.head.clone())),
                        fx().reply(Reply::Synced {
                            test_id: "T-2".into(),
                            last_seq: 16,
                        })
                        .tiles(&[2]),
                    )
                    .then([SignedHead(2, true)]),
                ],
            ]),
        },
        Case {
            name: "leave: the PC is freed, but never in the middle of a test",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                vec![
                    accepted(kiosk(a, 4, K::Leave), fx().reply(Reply::Done).tiles(&[2]))
                        .then([Seated(2, None), Status(2, TileStatus::NotArrived)]),
                    accepted(kiosk(a, 5, K::Leave), fx().reply(Reply::Done)),
                ],
                seat(a, 6, 2),
                vec![
                    authorize(a, 2, 1),
                    sync(a, 8, c2, 0, 3),
                    refused(kiosk(a, 9, K::Leave), "room.station_busy")
                        .then([Seated(2, Some(a.into()))]),
                    sync_end(a, 9, c2, 3),
                    accepted(kiosk(a, 10, K::Leave), fx().reply(Reply::Done).tiles(&[2]))
                        .then([Seated(2, None), Status(2, TileStatus::Finished)]),
                ],
            ]),
        },
        Case {
            name: "presence: confirmed, then withdrawn",
            steps: vec![
                accepted(
                    console(C::ConfirmPresence {
                        candidate: 1,
                        present: true,
                    }),
                    fx().tiles(&[1]),
                )
                .then([Present(1, true), Status(1, TileStatus::NotArrived)]),
                accepted(
                    console(C::ConfirmPresence {
                        candidate: 1,
                        present: false,
                    }),
                    fx().tiles(&[1]),
                )
                .then([Present(1, false)]),
                refused(
                    console(C::ConfirmPresence {
                        candidate: 99,
                        present: true,
                    }),
                    "room.unknown_candidate",
                ),
            ],
        },
        Case {
            name: "end test: a running test is ended by its PC; one never started, by the hub",
            steps: steps(vec![
                lab(f),
                seat(b, 2, 3),
                vec![
                    authorize(b, 3, 1),
                    sync(b, 4, c3, 0, 3),
                    refused(
                        console(C::EndTest {
                            candidate: 3,
                            reason: "mal\u{7}aise".into(),
                        }),
                        "room.invalid",
                    ),
                    accepted(
                        console(C::EndTest {
                            candidate: 3,
                            reason: "malaise".into(),
                        }),
                        fx().command(b, 2, KioskCommand::EndTest {
                            reason: "malaise".into(),
                        })
                        .tiles(&[3]),
                    )
                    .then([Status(3, TileStatus::InTest)]),
                    accepted(
                        kiosk(b, 5, K::Hello),
                        fx().reply(state(Some(3), Some("T-3"), 3, false)).command(
                            b,
                            2,
                            KioskCommand::EndTest {
                                reason: "malaise".into(),
                            },
                        ),
                    ),
                    sync_end(b, 6, c3, 3).then([
                        Status(3, TileStatus::Ended),
                        EndedReason(3, Some("malaise")),
                        SignedHead(3, true),
                    ]),
                    accepted(
                        kiosk(b, 7, K::Hello),
                        fx().reply(state(Some(3), Some("T-3"), 4, false)),
                    ),
                    refused(
                        console(C::EndTest {
                            candidate: 3,
                            reason: "encore".into(),
                        }),
                        "room.no_live_test",
                    ),
                    accepted(
                        kiosk(a, 2, join_as(2)),
                        fx().reply(Reply::Joined { candidate: card(2) }).tiles(&[2]),
                    ),
                    accepted(
                        console(C::EndTest {
                            candidate: 2,
                            reason: "exclu".into(),
                        }),
                        fx().command(a, 3, KioskCommand::EndTest {
                            reason: "exclu".into(),
                        })
                        .tiles(&[2]),
                    )
                    .then([Status(2, TileStatus::Ended), EndedReason(2, Some("exclu"))]),
                    refused(
                        console(C::EndTest {
                            candidate: 2,
                            reason: "exclu".into(),
                        }),
                        "room.no_live_test",
                    ),
                    refused(
                        console(C::EndTest {
                            candidate: 99,
                            reason: "x".into(),
                        }),
                        "room.unknown_candidate",
                    ),
                ],
            ]),
        },
        Case {
            name: "extra time: only for a running test, 1 to 240 minutes, counted on the clock",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                vec![
                    authorize(a, 2, 1),
                    refused(
                        console(C::ExtraTime {
                            candidate: 2,
                            minutes: 10,
                        }),
                        "room.no_live_test",
                    ),
                    sync(a, 4, c2, 0, 3),
                    refused(
                        console(C::ExtraTime {
                            candidate: 2,
                            minutes: 0,
                        }),
                        "room.invalid",
                    ),
                    refused(
                        console(C::ExtraTime {
                            candidate: 2,
                            minutes: 241,
                        }),
                        "room.invalid",
                    ),
                    refused(
                        console(C::ExtraTime {
                            candidate: 99,
                            minutes: 10,
                        }),
                        "room.unknown_candidate",
                    ),
                    accepted(
                        console(C::ExtraTime {
                            candidate: 2,
                            minutes: 10,
                        }),
                        fx().command(a, 2, KioskCommand::ExtraTime { minutes: 10 })
                            .tiles(&[2]),
                    )
                    .then([ExtraMinutes(2, 0)]),
                    sync(a, 5, c2, 3, 10).then([
                        ExtraMinutes(2, 10),
                        Answered(2, 1),
                        TimeLeft(2, Some(c2.time_left_s(10, 10))),
                    ]),
                ],
            ]),
        },
        Case {
            name: "resolve alert: validated with an E code, recorded as an incident, once",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                vec![
                    authorize(a, 2, 1),
                    refused(
                        console(C::ResolveAlert {
                            candidate: 2,
                            validated: true,
                            incident: Some("E1".into()),
                        }),
                        "room.no_live_test",
                    ),
                    sync(a, 4, c2, 0, 3),
                    refused(
                        console(C::ResolveAlert {
                            candidate: 2,
                            validated: true,
                            incident: Some("E1".into()),
                        }),
                        "room.no_alert",
                    ),
                    sync(a, 5, c2, 3, 5).then([Status(2, TileStatus::Alert)]),
                    refused(
                        console(C::ResolveAlert {
                            candidate: 2,
                            validated: true,
                            incident: Some("C2".into()),
                        }),
                        "room.incident_code",
                    ),
                    refused(
                        console(C::ResolveAlert {
                            candidate: 2,
                            validated: true,
                            incident: Some("E7".into()),
                        }),
                        "room.incident_code",
                    ),
                    refused(
                        console(C::ResolveAlert {
                            candidate: 2,
                            validated: false,
                            incident: Some("E1".into()),
                        }),
                        "room.incident_code",
                    ),
                    accepted(
                        console(C::ResolveAlert {
                            candidate: 2,
                            validated: true,
                            incident: Some("E1".into()),
                        }),
                        fx().command(a, 2, KioskCommand::ResolveAlert {
                            validated: true,
                            incident: Some("E1".into()),
                        })
                        .tiles(&[2]),
                    )
                    .then([
                        Incidents(2, vec![("E1", ALERT_NOTE, Some(1))]),
                        Status(2, TileStatus::Alert),
                    ]),
                    refused(
                        console(C::ResolveAlert {
                            candidate: 2,
                            validated: false,
                            incident: None,
                        }),
                        "room.no_alert",
                    ),
                    sync(a, 6, c2, 5, 7)
                        .then([Status(2, TileStatus::InTest), AlertItem(2, None)]),
                    accepted(
                        kiosk(a, 7, K::Hello),
                        fx().reply(state(Some(2), Some("T-2"), 7, false)),
                    ),
                ],
            ]),
        },
        Case {
            name: "resolve alert: a refused alert records no incident",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                seat(b, 2, 3),
                vec![
                    authorize(a, 2, 1),
                    authorize(b, 3, 2),
                    sync(a, 4, c2, 0, 5),
                    sync(b, 4, c3, 0, 3),
                    refused(
                        console(C::ResolveAlert {
                            candidate: 3,
                            validated: true,
                            incident: None,
                        }),
                        "room.no_alert",
                    ),
                    accepted(
                        console(C::ResolveAlert {
                            candidate: 2,
                            validated: false,
                            incident: None,
                        }),
                        fx().command(a, 3, KioskCommand::ResolveAlert {
                            validated: false,
                            incident: None,
                        })
                        .tiles(&[2]),
                    )
                    .then([Incidents(2, vec![])]),
                ],
            ]),
        },
        Case {
            name: "resolve alert: validated without a code is recorded as E9",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                vec![
                    authorize(a, 2, 1),
                    sync(a, 4, c2, 0, 5),
                    accepted(
                        console(C::ResolveAlert {
                            candidate: 2,
                            validated: true,
                            incident: None,
                        }),
                        fx().command(a, 2, KioskCommand::ResolveAlert {
                            validated: true,
                            incident: Some("E9".into()),
                        })
                        .tiles(&[2]),
                    )
                    .then([Incidents(2, vec![("E9", ALERT_NOTE, Some(1))])]),
                ],
            ]),
        },
        Case {
            name: "record incident: a known code is kept on the tile, an unknown one refused",
            steps: vec![
                accepted(
                    console(C::RecordIncident {
                        candidate: 1,
                        code: "C4".into(),
                        note: "  arrivé en retard  ".into(),
                        question: None,
                    }),
                    fx().tiles(&[1]),
                )
                .then([Incidents(1, vec![("C4", "arrivé en retard", None)])]),
                refused(
                    console(C::RecordIncident {
                        candidate: 1,
                        code: "Z9".into(),
                        note: String::new(),
                        question: None,
                    }),
                    "room.incident_code",
                ),
                refused(
                    console(C::RecordIncident {
                        candidate: 1,
                        code: "c4".into(),
                        note: String::new(),
                        question: None,
                    }),
                    "room.incident_code",
                ),
                refused(
                    console(C::RecordIncident {
                        candidate: 99,
                        code: "C4".into(),
                        note: String::new(),
                        question: None,
                    }),
                    "room.unknown_candidate",
                ),
                refused(
                    console(C::RecordIncident {
                        candidate: 1,
                        code: "E2".into(),
                        note: "x".repeat(1001),
                        question: None,
                    }),
                    "room.invalid",
                ),
                accepted(
                    console(C::RecordIncident {
                        candidate: 1,
                        code: "E2".into(),
                        note: "écran noir".into(),
                        question: Some(3),
                    }),
                    fx().tiles(&[1]),
                )
                .then([Incidents(
                    1,
                    vec![
                        ("C4", "arrivé en retard", None),
                        ("E2", "écran noir", Some(3)),
                    ],
                )]),
            ],
        },
        Case {
            name: "fix identity: a typo corrected and recorded as C1; a taken identity refused",
            steps: steps(vec![
                lab(f),
                vec![
                    refused(
                        kiosk(a, 2, join("Lucas", "Petit", "05/05/2011")),
                        "room.identity_ambiguous",
                    ),
                    accepted(
                        console(C::FixIdentity {
                            candidate: 5,
                            first_name: "Lucas".into(),
                            birth_name: "Petit-Durand".into(),
                            birthdate: date(2011, 5, 5),
                        }),
                        fx().tiles(&[5]),
                    )
                    .then([
                        Names(5, "Lucas", "Petit-Durand"),
                        Incidents(
                            5,
                            vec![(
                                "C1",
                                "Lucas Petit né(e) le 05/05/2011 → Lucas Petit-Durand né(e) le 05/05/2011",
                                None,
                            )],
                        ),
                    ]),
                    accepted(
                        kiosk(a, 2, join("lucas", "PETIT", "2011-05-05")),
                        fx().reply(Reply::Joined { candidate: card(4) }).tiles(&[4]),
                    ),
                    accepted(
                        kiosk(b, 2, join("Lucas", "Petit Durand", "05/05/2011")),
                        fx().reply(Reply::Joined {
                            candidate: CandidateCard {
                                birth_name: "Petit-Durand".into(),
                                ..card(5)
                            },
                        })
                        .tiles(&[5]),
                    ),
                    refused(
                        console(C::FixIdentity {
                            candidate: 1,
                            first_name: "Léa".into(),
                            birth_name: "BERNARD".into(),
                            birthdate: date(2010, 12, 31),
                        }),
                        "room.identity_taken",
                    ),
                    refused(
                        console(C::FixIdentity {
                            candidate: 1,
                            first_name: "  ".into(),
                            birth_name: "Bernard".into(),
                            birthdate: date(2010, 12, 31),
                        }),
                        "room.invalid",
                    ),
                    refused(
                        console(C::FixIdentity {
                            candidate: 99,
                            first_name: "Anne".into(),
                            birth_name: "Roux".into(),
                            birthdate: date(2010, 1, 1),
                        }),
                        "room.unknown_candidate",
                    )
                    .then([Names(1, "Zoé", "N'Diaye-Lefèvre"), Incidents(1, vec![])]),
                ],
            ]),
        },
        Case {
            name: "move: a candidate whose PC died resumes on another from the hub's copy",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                vec![
                    authorize(a, 2, 1),
                    sync(a, 4, &f.moved_a, 0, 3),
                    accepted(console(C::MoveCandidate { candidate: 2 }), fx().tiles(&[2]))
                        .then([Seated(2, None), SyncedSeq(2, 3)]),
                    // The dead PC, if it wakes up, writes nothing more into the copy.
                    refused(kiosk(a, 5, f.moved_a.records(0, 3)), "room.no_candidate"),
                    accepted(
                        kiosk(b, 2, join_as(2)),
                        fx().reply(Reply::Joined { candidate: card(2) }).tiles(&[2]),
                    )
                    .then([Seated(2, Some(b.into()))]),
                    // The access code is typed again on the new PC first.
                    refused(console(C::Authorize { candidate: 2 }), "room.not_waiting"),
                    accepted(kiosk(b, 3, ready()), fx().reply(Reply::Waiting).tiles(&[2]))
                        .then([Status(2, TileStatus::WaitingAuthorization), Resume(2, true)]),
                    accepted(
                        console(C::Authorize { candidate: 2 }),
                        fx().command(b, 2, KioskCommand::Authorize {
                            resume: true,
                            bank_key: BANK_KEY.into(),
                            chain: Some(f.moved_a.copy(3)),
                        })
                        .tiles(&[2]),
                    ),
                    sync(b, 4, &f.moved_b, 0, 6)
                        .then([Status(2, TileStatus::InTest), SyncedSeq(2, 6)]),
                    sync_end(b, 5, &f.moved_b, 6)
                        .then([Status(2, TileStatus::Finished), SignedHead(2, true)]),
                    refused(
                        console(C::MoveCandidate { candidate: 2 }),
                        "room.already_finished",
                    ),
                    refused(
                        console(C::MoveCandidate { candidate: 99 }),
                        "room.unknown_candidate",
                    ),
                ],
            ]),
        },
        Case {
            name: "pause and resume the room: every running test, and the room's flag",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                vec![
                    authorize(a, 2, 1),
                    sync(a, 4, c2, 0, 9),
                    accepted(
                        kiosk(b, 2, join_as(3)),
                        fx().reply(Reply::Joined { candidate: card(3) }).tiles(&[3]),
                    ),
                    refused(
                        console(C::PauseRoom {
                            reason: "\u{0}".into(),
                        }),
                        "room.invalid",
                    )
                    .then([Paused(false)]),
                    accepted(
                        console(C::PauseRoom {
                            reason: C2_PAUSE.into(),
                        }),
                        fx().command(a, 2, KioskCommand::Pause {
                            reason: C2_PAUSE.into(),
                        })
                        .tiles(&[2])
                        .room_changed(),
                    )
                    .then([Paused(true)]),
                    accepted(
                        kiosk(a, 5, K::Hello),
                        fx().reply(state(Some(2), Some("T-2"), 9, true)).command(
                            a,
                            2,
                            KioskCommand::Pause {
                                reason: C2_PAUSE.into(),
                            },
                        ),
                    ),
                    // Journaled as a pause: resuming needs an authorization again.
                    sync(a, 6, c2, 9, 11).then([
                        Status(2, TileStatus::WaitingAuthorization),
                        Resume(2, true),
                    ]),
                    accepted(
                        console(C::ResumeRoom),
                        fx().command(a, 3, KioskCommand::Resume)
                            .tiles(&[2])
                            .room_changed(),
                    )
                    .then([Paused(false)]),
                    sync(a, 7, c2, 11, 13).then([Status(2, TileStatus::InTest)]),
                ],
            ]),
        },
        Case {
            name: "end all: every seated candidate still sitting, and nobody else",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                vec![
                    authorize(a, 2, 1),
                    sync(a, 4, c2, 0, 3),
                    accepted(
                        kiosk(b, 2, join_as(3)),
                        fx().reply(Reply::Joined { candidate: card(3) }).tiles(&[3]),
                    ),
                    refused(
                        console(C::EndAll {
                            reason: "\u{1}".into(),
                        }),
                        "room.invalid",
                    ),
                    accepted(
                        console(C::EndAll {
                            reason: "évacuation".into(),
                        }),
                        fx().command(a, 2, KioskCommand::EndTest {
                            reason: "évacuation".into(),
                        })
                        .command(b, 3, KioskCommand::EndTest {
                            reason: "évacuation".into(),
                        })
                        .tiles(&[2, 3]),
                    )
                    .then([
                        Status(2, TileStatus::InTest),
                        Status(3, TileStatus::Ended),
                        EndedReason(3, Some("évacuation")),
                        Status(1, TileStatus::NotArrived),
                        EndedReason(1, None),
                    ]),
                    refused(console(C::Finalize), "room.tests_running"),
                ],
            ]),
        },
        Case {
            name: "finalize: refused while tests run or abort reasons are missing, then closed",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                seat(b, 2, 3),
                vec![
                    authorize(a, 2, 1),
                    authorize(b, 3, 2),
                    sync(a, 4, c2, 0, 3),
                    sync(b, 4, c3, 0, 3),
                    refused(console(C::Finalize), "room.tests_running"),
                    sync_end(a, 5, c2, 3),
                    accepted(
                        console(C::EndTest {
                            candidate: 3,
                            reason: "malaise".into(),
                        }),
                        fx().command(b, 3, KioskCommand::EndTest {
                            reason: "malaise".into(),
                        })
                        .tiles(&[3]),
                    ),
                    refused(console(C::Finalize), "room.tests_running"),
                    sync_end(b, 5, c3, 3),
                    refused(console(C::Finalize), "room.abort_reasons_missing"),
                    accepted(
                        console(C::SetAbortReason {
                            candidate: 3,
                            reason: Some(AbortReason::Technical),
                        }),
                        fx().tiles(&[3]),
                    )
                    .then([Abort(3, Some(AbortReason::Technical))]),
                    accepted(
                        console(C::SetAbortReason {
                            candidate: 3,
                            reason: None,
                        }),
                        fx().tiles(&[3]),
                    )
                    .then([Abort(3, None)]),
                    refused(console(C::Finalize), "room.abort_reasons_missing"),
                    refused(
                        console(C::SetAbortReason {
                            candidate: 99,
                            reason: None,
                        }),
                        "room.unknown_candidate",
                    ),
                    accepted(
                        console(C::SetAbortReason {
                            candidate: 3,
                            reason: Some(AbortReason::Candidate),
                        }),
                        fx().tiles(&[3]),
                    ),
                    accepted(console(C::Finalize), fx().room_changed())
                        .then([Finalized(true), Abort(3, Some(AbortReason::Candidate))]),
                    refused(kiosk(a, 6, join_as(1)), "room.closed"),
                ],
            ]),
        },
        Case {
            name: "comment: kept trimmed, refused when too long",
            steps: vec![
                accepted(
                    console(C::SetComment {
                        text: "  Salle 12 : RAS\nfenêtre cassée  ".into(),
                    }),
                    fx().room_changed(),
                )
                .then([Comment("Salle 12 : RAS\nfenêtre cassée")]),
                refused(
                    console(C::SetComment {
                        text: "x".repeat(5001),
                    }),
                    "room.invalid",
                )
                .then([Comment("Salle 12 : RAS\nfenêtre cassée")]),
            ],
        },
    ]
}

/// Faults this table found in the room, fixed: each case states the behaviour the room must have,
/// and its comment what went wrong before.
fn known_faults(f: &Fixture) -> Vec<Case> {
    let a = f.a.as_str();
    let c2 = &f.c2;
    use Check::*;
    use KioskMessage as K;
    vec![
        Case {
            // `take_records` stores the new records before `take_head` refuses: the refused
            // input is not logged, so the hub shows records a restart will not have.
            name: "a refused head leaves the hub's copy as it was",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                vec![
                    authorize(a, 2, 1),
                    sync(a, 4, c2, 0, 15),
                    refused(
                        kiosk(
                            a,
                            5,
                            K::Records {
                                test_id: "T-2".into(),
                                header: None,
                                bodies: c2.bodies[15..].to_vec(),
                                head: f.c3.head.clone(),
                            },
                        ),
                        "room.chain",
                    )
                    .then([SyncedSeq(2, 15)]),
                ],
            ]),
        },
        Case {
            // `seq - 1` overflows in `take_records` for a record numbered 0.
            name: "a record numbered 0 is refused, not a panic",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                vec![
                    authorize(a, 2, 1),
                    refused(
                        kiosk(
                            a,
                            4,
                            c2.raw(
                                Some(c2.header.clone()),
                                vec![renumbered_zero(&c2.bodies[0])],
                            ),
                        ),
                        "room.chain",
                    ),
                ],
            ]),
        },
        Case {
            // `Leave` keeps `ready`: back on a PC, the candidate waits without the code.
            name: "a candidate who left types the access code again",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                vec![
                    accepted(kiosk(a, 4, K::Leave), fx().reply(Reply::Done).tiles(&[2])),
                    accepted(
                        kiosk(a, 5, join_as(2)),
                        fx().reply(Reply::Joined { candidate: card(2) }).tiles(&[2]),
                    )
                    .then([Status(2, TileStatus::Joined)]),
                ],
            ]),
        },
        Case {
            // `join` unseats whoever had not started on that PC without naming their tile.
            name: "the tile of a candidate unseated by another's join changes too",
            steps: steps(vec![
                lab(f),
                vec![
                    accepted(
                        kiosk(a, 2, join_as(1)),
                        fx().reply(Reply::Joined { candidate: card(1) }).tiles(&[1]),
                    ),
                    accepted(
                        kiosk(a, 3, join_as(3)),
                        fx().reply(Reply::Joined { candidate: card(3) })
                            .tiles(&[1, 3]),
                    )
                    .then([Seated(1, None), Seated(3, Some(a.into()))]),
                ],
            ]),
        },
        Case {
            // A candidate moved off a dead PC who never sat again blocked finalization for ever:
            // their test is interrupted, not running, and needs an abort reason like any other.
            name: "a candidate moved off a PC and never reseated does not block finalization",
            steps: steps(vec![
                lab(f),
                seat(a, 2, 2),
                vec![
                    authorize(a, 2, 1),
                    sync(a, 4, &f.moved_a, 0, 3),
                    accepted(
                        console(ConsoleCommand::MoveCandidate { candidate: 2 }),
                        fx().tiles(&[2]),
                    ),
                    refused(
                        console(ConsoleCommand::Finalize),
                        "room.abort_reasons_missing",
                    ),
                    accepted(
                        console(ConsoleCommand::SetAbortReason {
                            candidate: 2,
                            reason: Some(AbortReason::Technical),
                        }),
                        fx().tiles(&[2]),
                    ),
                    accepted(console(ConsoleCommand::Finalize), fx().room_changed())
                        .then([Finalized(true)]),
                ],
            ]),
        },
        Case {
            // What was finalized is what the bundle carries: the room no longer changes.
            name: "after finalization the room refuses every change",
            steps: steps(vec![vec![
                accepted(console(ConsoleCommand::Finalize), fx().room_changed())
                    .then([Finalized(true)]),
                refused(
                    console(ConsoleCommand::SetComment {
                        text: "ajout tardif".into(),
                    }),
                    "room.closed",
                ),
                refused(
                    console(ConsoleCommand::RecordIncident {
                        candidate: 1,
                        code: "C6".into(),
                        note: "après coup".into(),
                        question: None,
                    }),
                    "room.closed",
                ),
                refused(
                    console(ConsoleCommand::SetAbortReason {
                        candidate: 1,
                        reason: Some(AbortReason::Candidate),
                    }),
                    "room.closed",
                ),
                refused(console(ConsoleCommand::Finalize), "room.closed"),
            ]]),
        },
    ]
}

fn renumbered_zero(body: &str) -> String {
    let out = body.replacen("\"seq\":1,", "\"seq\":0,", 1);
    assert_ne!(out, body, "record 1 names its seq: {body}");
    out
}

fn flip_first_hex(hex: &str) -> String {
    let mut chars: Vec<char> = hex.chars().collect();
    chars[0] = if chars[0] == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

// ---------------------------------------------------------------------------------------------
// Coverage: every message and command names the case that covers it.

fn kiosk_case(m: &KioskMessage) -> &'static str {
    match m {
        KioskMessage::Pair { .. } | KioskMessage::PairReveal { .. } => {
            "pair: a PC asks, the console confirms, and only then may it seat anyone"
        }
        KioskMessage::Hello => {
            "hello: a PC learns where it stands and gets its pending commands again"
        }
        KioskMessage::Join { .. } => {
            "join: the identity matches however it is typed; each refusal says why"
        }
        KioskMessage::Ready { .. } => {
            "ready: the access code, then the candidate waits for the invigilator"
        }
        KioskMessage::Records { .. } => {
            "records: the hub's copy grows, resent records count once, the tile follows"
        }
        KioskMessage::Done { .. } => "done: a command the kiosk carried out is not sent again",
        KioskMessage::Leave => "leave: the PC is freed, but never in the middle of a test",
        KioskMessage::FetchBank { .. } | KioskMessage::BankResult { .. } => BANK_CASE,
        KioskMessage::Readiness { .. } => {
            "readiness: a paired PC says what would stop exam day; the console sees the last word"
        }
    }
}

const SPEECH_CASE: &str =
    "speech: the invigilator turns one PC's screen reader on and off; hello says it again";

const BANK_CASE: &str =
    "bank: the console offers a pack, the PCs fetch it without a record and say what they made of it";

fn console_case(c: &ConsoleCommand) -> &'static str {
    match c {
        ConsoleCommand::OfferBank { .. } => BANK_CASE,
        ConsoleCommand::Speech { .. } => SPEECH_CASE,
        ConsoleCommand::ConfirmPairing { .. }
        | ConsoleCommand::OpenPairing { .. }
        | ConsoleCommand::ClosePairing => {
            "pair: a PC asks, the console confirms, and only then may it seat anyone"
        }
        ConsoleCommand::ConfirmPresence { .. } => "presence: confirmed, then withdrawn",
        ConsoleCommand::Authorize { .. } => {
            "authorize: the bank key once, only for a candidate who is waiting"
        }
        ConsoleCommand::EndTest { .. } => {
            "end test: a running test is ended by its PC; one never started, by the hub"
        }
        ConsoleCommand::ExtraTime { .. } => {
            "extra time: only for a running test, 1 to 240 minutes, counted on the clock"
        }
        ConsoleCommand::ResolveAlert { .. } => {
            "resolve alert: validated with an E code, recorded as an incident, once"
        }
        ConsoleCommand::RecordIncident { .. } => {
            "record incident: a known code is kept on the tile, an unknown one refused"
        }
        ConsoleCommand::FixIdentity { .. } => {
            "fix identity: a typo corrected and recorded as C1; a taken identity refused"
        }
        ConsoleCommand::MoveCandidate { .. } => {
            "move: a candidate whose PC died resumes on another from the hub's copy"
        }
        ConsoleCommand::PauseRoom { .. } | ConsoleCommand::ResumeRoom => {
            "pause and resume the room: every running test, and the room's flag"
        }
        ConsoleCommand::EndAll { .. } => {
            "end all: every seated candidate still sitting, and nobody else"
        }
        ConsoleCommand::SetAbortReason { .. } | ConsoleCommand::Finalize => {
            "finalize: refused while tests run or abort reasons are missing, then closed"
        }
        ConsoleCommand::SetComment { .. } => "comment: kept trimmed, refused when too long",
    }
}

fn every_kiosk_message() -> Vec<KioskMessage> {
    vec![
        KioskMessage::Pair {
            label: String::new(),
            commitment: String::new(),
        },
        KioskMessage::PairReveal {
            nonce: String::new(),
        },
        KioskMessage::FetchBank {
            hash: String::new(),
            offset: 0,
        },
        KioskMessage::BankResult {
            hash: String::new(),
            error: None,
        },
        KioskMessage::Readiness { items: vec![] },
        KioskMessage::Hello,
        join_as(1),
        ready(),
        KioskMessage::Records {
            test_id: String::new(),
            header: None,
            bodies: Vec::new(),
            head: None,
        },
        KioskMessage::Done { command: 0 },
        KioskMessage::Leave,
    ]
}

fn every_console_command() -> Vec<ConsoleCommand> {
    use ConsoleCommand as C;
    vec![
        C::OfferBank { offer: offer() },
        C::Speech {
            station: String::new(),
            on: true,
        },
        C::ConfirmPairing {
            station: String::new(),
        },
        C::ConfirmPresence {
            candidate: 0,
            present: true,
        },
        C::Authorize { candidate: 0 },
        C::EndTest {
            candidate: 0,
            reason: String::new(),
        },
        C::ExtraTime {
            candidate: 0,
            minutes: 0,
        },
        C::ResolveAlert {
            candidate: 0,
            validated: false,
            incident: None,
        },
        C::RecordIncident {
            candidate: 0,
            code: String::new(),
            note: String::new(),
            question: None,
        },
        C::FixIdentity {
            candidate: 0,
            first_name: String::new(),
            birth_name: String::new(),
            birthdate: date(2000, 1, 1),
        },
        C::MoveCandidate { candidate: 0 },
        C::PauseRoom {
            reason: String::new(),
        },
        C::ResumeRoom,
        C::EndAll {
            reason: String::new(),
        },
        C::SetAbortReason {
            candidate: 0,
            reason: None,
        },
        C::SetComment {
            text: String::new(),
        },
        C::Finalize,
    ]
}

// ---------------------------------------------------------------------------------------------
// The one caller of `Room::apply`.

fn at(step: usize) -> String {
    format!("2026-06-02T09:{:02}:{:02}.000Z", step / 60, step % 60)
}

#[test]
fn the_pairing_window_closes_by_itself() {
    let mut room = Room::new(HUB, SECRET, setup());
    let pc = "dd".repeat(32);
    let ask = |n| kiosk(&pc, n, ask(&"dd".repeat(32), "PC-D"));
    room.apply(
        &console(ConsoleCommand::OpenPairing { minutes: 1 }),
        "2026-06-02T09:00:00.000Z",
    )
    .unwrap();
    assert_eq!(
        room.view().pairing_until.as_deref(),
        Some("2026-06-02T09:01:00.000Z")
    );
    assert!(room.pairing_open("2026-06-02T09:00:59.999Z"));
    let late = room.apply(&ask(1), "2026-06-02T09:01:00.000Z").unwrap_err();
    assert_eq!(late.code(), "room.pairing_closed");
    assert!(room.view().pairings.is_empty());
}

/// Runs a case on a fresh room; the first broken expectation is the error.
fn check(case: &Case) -> Result<(), String> {
    let mut room = Room::new(HUB, SECRET, setup());
    let mut log: Vec<(Input, String)> = Vec::new();
    for (i, step) in case.steps.iter().enumerate() {
        let here = |what: String| format!("step {} ({}): {what}", i + 1, describe(&step.input));
        let time = at(i);
        // The whole state, pending commands and counters included, not only what a view shows.
        let state_before = format!("{room:?}");
        let view_before = room.view();
        match (room.apply(&step.input, &time), &step.want) {
            (Ok(got), Want::Accepted(want)) => {
                compare_effects(&got, want).map_err(here)?;
                if got.unrecorded {
                    let state_after = format!("{room:?}");
                    if state_after != state_before {
                        return Err(here(format!(
                            "answered without a record but the room's state changed: {}",
                            first_difference(&state_before, &state_after)
                        )));
                    }
                } else {
                    if let Input::Station { station, n, .. } = &step.input {
                        if room.last_n(station) != *n {
                            return Err(here(format!(
                                "the counter is {} after accepting frame {n}",
                                room.last_n(station)
                            )));
                        }
                    }
                    log.push((step.input.clone(), time));
                }
            }
            (Err(e), Want::Refused(code)) => {
                if e.code() != *code {
                    return Err(here(format!("refused with {} ({e}), not {code}", e.code())));
                }
                if room.view() != view_before {
                    return Err(here(format!(
                        "refused with {code} but the room changed:\nbefore {view_before:#?}\nafter {:#?}",
                        room.view()
                    )));
                }
                let state_after = format!("{room:?}");
                if state_after != state_before {
                    return Err(here(format!(
                        "refused with {code} but the room's state changed: {}",
                        first_difference(&state_before, &state_after)
                    )));
                }
            }
            (Ok(got), Want::Refused(code)) => {
                return Err(here(format!(
                    "accepted ({got:?}), expected a refusal {code}"
                )))
            }
            (Err(e), Want::Accepted(_)) => {
                return Err(here(format!("refused with {} ({e})", e.code())))
            }
        }
        for c in &step.then {
            verify(&room, c).map_err(here)?;
        }
    }
    // What a restarted hub does (store.rs): the enrolled stations first, then every logged
    // input. It must come back to the same room.
    let mut replayed = Room::new(HUB, SECRET, setup());
    for (key, label) in room.enrolled_stations() {
        replayed.enroll(key, label);
    }
    for (i, (input, time)) in log.iter().enumerate() {
        replayed.apply(input, time).map_err(|e| {
            format!(
                "replaying logged input {}: refused with {}",
                i + 1,
                e.code()
            )
        })?;
    }
    if replayed.view() != room.view() {
        return Err(format!(
            "replaying the log gives another room:\nlive {:#?}\nreplayed {:#?}",
            room.view(),
            replayed.view()
        ));
    }
    for (input, _) in &log {
        if let Input::Station { station, .. } = input {
            let live = (room.last_n(station), room.station_state(station));
            let again = (replayed.last_n(station), replayed.station_state(station));
            if live != again {
                return Err(format!(
                    "after replaying the log, PC {station} stands at {again:?}, not {live:?}"
                ));
            }
        }
    }
    Ok(())
}

fn first_difference(before: &str, after: &str) -> String {
    let at = before
        .bytes()
        .zip(after.bytes())
        .position(|(x, y)| x != y)
        .unwrap_or(before.len().min(after.len()));
    let from = |s: &str| {
        let mut start = at.saturating_sub(200);
        while !s.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (at + 200).min(s.len());
        while !s.is_char_boundary(end) {
            end += 1;
        }
        s[start..end].to_owned()
    };
    format!("…{}…\nbecame\n…{}…", from(before), from(after))
}

fn describe(input: &Input) -> String {
    match input {
        Input::Station { station, n, msg } => {
            let kind = serde_json::to_value(msg)
                .ok()
                .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
                .unwrap_or_default();
            format!("{kind} from {}… n={n}", &station[..8.min(station.len())])
        }
        Input::Console { command } => {
            let kind = serde_json::to_value(command)
                .ok()
                .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
                .unwrap_or_default();
            format!("console {kind}")
        }
    }
}

fn compare_effects(got: &Effects, want: &Effects) -> Result<(), String> {
    let set = |ids: &[i64]| {
        let mut v = ids.to_vec();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut wrong = Vec::new();
    if got.reply != want.reply {
        wrong.push(format!("reply {:?}, expected {:?}", got.reply, want.reply));
    }
    if got.commands != want.commands {
        wrong.push(format!(
            "commands {:?}, expected {:?}",
            got.commands, want.commands
        ));
    }
    if set(&got.tiles) != set(&want.tiles) {
        wrong.push(format!("tiles {:?}, expected {:?}", got.tiles, want.tiles));
    }
    if got.unrecorded != want.unrecorded {
        wrong.push(format!(
            "unrecorded {}, expected {}",
            got.unrecorded, want.unrecorded
        ));
    }
    if got.room_changed != want.room_changed {
        wrong.push(format!(
            "room_changed {}, expected {}",
            got.room_changed, want.room_changed
        ));
    }
    if got.pairing != want.pairing {
        wrong.push(format!(
            "pairing {:?}, expected {:?}",
            got.pairing, want.pairing
        ));
    }
    if got.bank_chunk != want.bank_chunk || got.bank_offered != want.bank_offered {
        wrong.push(format!(
            "bank {:?} {:?}, expected {:?} {:?}",
            got.bank_chunk, got.bank_offered, want.bank_chunk, want.bank_offered
        ));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}

fn verify(room: &Room, check: &Check) -> Result<(), String> {
    let view = room.view();
    let tile = |id: i64| -> Result<&Tile, String> {
        view.tiles
            .iter()
            .find(|t| t.candidate == id)
            .ok_or_else(|| format!("no tile for candidate {id}"))
    };
    fn same<T: PartialEq + std::fmt::Debug>(what: String, got: T, want: &T) -> Result<(), String> {
        if got == *want {
            Ok(())
        } else {
            Err(format!("{what} is {got:?}, expected {want:?}"))
        }
    }
    match check {
        Check::Status(id, s) => same(format!("tile {id} status"), tile(*id)?.status, s),
        Check::NeedsAction(id, v) => same(
            format!("tile {id} needs_action"),
            tile(*id)?.needs_action,
            v,
        ),
        Check::Present(id, v) => same(format!("tile {id} present"), tile(*id)?.present, v),
        Check::Seated(id, v) => same(format!("tile {id} station"), tile(*id)?.station.clone(), v),
        Check::Resume(id, v) => same(format!("tile {id} resume"), tile(*id)?.resume, v),
        Check::Question(id, v) => same(format!("tile {id} question"), tile(*id)?.question, v),
        Check::Answered(id, v) => same(format!("tile {id} answered"), tile(*id)?.answered, v),
        Check::SyncedSeq(id, v) => same(format!("tile {id} synced_seq"), tile(*id)?.synced_seq, v),
        Check::TestId(id, v) => same(
            format!("tile {id} test_id"),
            tile(*id)?.test_id.as_deref(),
            v,
        ),
        Check::FocusLosses(id, v) => same(
            format!("tile {id} focus_losses"),
            tile(*id)?.focus_losses,
            v,
        ),
        Check::ExtraMinutes(id, v) => same(
            format!("tile {id} extra_minutes"),
            tile(*id)?.extra_minutes,
            v,
        ),
        Check::TimeLeft(id, v) => same(format!("tile {id} time_left_s"), tile(*id)?.time_left_s, v),
        Check::AlertItem(id, v) => same(
            format!("tile {id} alert_item"),
            tile(*id)?.alert_item.as_deref(),
            v,
        ),
        Check::EndedReason(id, v) => same(
            format!("tile {id} ended_reason"),
            tile(*id)?.ended_reason.as_deref(),
            v,
        ),
        Check::Abort(id, v) => same(
            format!("tile {id} abort_reason"),
            tile(*id)?.abort_reason,
            v,
        ),
        Check::Incidents(id, v) => {
            let got: Vec<(&str, &str, Option<u32>)> = tile(*id)?
                .incidents
                .iter()
                .map(|i| (i.code.as_str(), i.note.as_str(), i.question))
                .collect();
            same(format!("tile {id} incidents"), got, v)?;
            // Each incident is dated by the input that recorded it, so a replay dates it alike.
            match tile(*id)?.incidents.iter().find(|i| i.at.is_empty()) {
                Some(i) => Err(format!("incident {i:?} has no time")),
                None => Ok(()),
            }
        }
        Check::Names(id, first, birth) => {
            let t = tile(*id)?;
            same(
                format!("tile {id} names"),
                (t.first_name.as_str(), t.birth_name.as_str()),
                &(*first, *birth),
            )
        }
        Check::SignedHead(id, v) => {
            let input = room.bundle_input(
                certroom_bundle::Centre {
                    uai: "0750001A".into(),
                    name: "Collège".into(),
                },
                date(2026, 6, 2),
                "site",
                "salle",
                &Default::default(),
                "test",
            );
            let test = tile(*id)?
                .test_id
                .clone()
                .ok_or_else(|| format!("candidate {id} has no test"))?;
            let held = input
                .journals
                .iter()
                .find(|j| j.test_id == test)
                .is_some_and(|j| j.head.is_some());
            same(format!("candidate {id}'s signed head held"), held, v)
        }
        Check::First(id) => same(
            "first tile".into(),
            view.tiles.first().map(|t| t.candidate),
            &Some(*id),
        ),
        Check::Paused(v) => same("room paused".into(), view.paused, v),
        Check::Finalized(v) => same("room finalized".into(), view.finalized.is_some(), v),
        Check::Comment(v) => same("room comment".into(), view.comment.as_str(), v),
        Check::Readiness(v) => {
            let mut got: Vec<(String, Vec<&str>)> = view
                .readiness
                .iter()
                .map(|r| {
                    let failing = r.items.iter().filter(|i| !i.ok).map(|i| i.item.as_str());
                    (r.station.clone(), failing.collect())
                })
                .collect();
            let mut want = v.clone();
            got.sort();
            want.sort();
            same("readiness".into(), got, &want)
        }
        Check::Banks(v) => {
            // Listed in the room's order of stations: compared as sets.
            let key = |s: &(String, BankState, Option<&str>)| s.0.clone();
            let mut got: Vec<_> = view
                .banks
                .iter()
                .map(|b| (b.station.clone(), b.state, b.reason.as_deref()))
                .collect();
            let mut want = v.clone();
            got.sort_by_key(key);
            want.sort_by_key(key);
            same("banks".into(), got, &want)
        }
        Check::Speech(v) => same("speech".into(), view.speech.clone(), v),
        Check::Pairings(v) => same(
            "pairing requests".into(),
            view.pairings.iter().map(|p| p.station.clone()).collect(),
            v,
        ),
        Check::Stations(v) => same(
            "enrolled stations".into(),
            view.stations
                .iter()
                .map(|(k, l)| (k.clone(), l.as_str()))
                .collect::<Vec<_>>(),
            v,
        ),
    }
}

/// Runs every case, each on its own room, and names every one that fails.
fn run(cases: &[Case]) -> Vec<String> {
    cases
        .iter()
        .filter_map(|case| {
            let outcome = catch_unwind(AssertUnwindSafe(|| check(case)))
                .unwrap_or_else(|p| Err(format!("panicked: {}", panic_text(&p))));
            outcome.err().map(|e| format!("case «{}»: {e}", case.name))
        })
        .collect()
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------

#[test]
fn every_case_of_the_table_holds() {
    let f = fixture();
    let table = cases(&f);
    let mut names: Vec<&str> = table.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), table.len(), "case names are unique");
    let failures = run(&table);
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn every_message_and_command_names_a_case_that_sends_it() {
    let f = fixture();
    let table = cases(&f);
    let covers = |name: &str, sends: &dyn Fn(&Input) -> bool| {
        let case = table
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no case named «{name}» in the table"));
        assert!(
            case.steps.iter().any(|s| sends(&s.input)),
            "case «{name}» never sends what names it"
        );
    };
    for m in every_kiosk_message() {
        covers(
            kiosk_case(&m),
            &|i| matches!(i, Input::Station { msg, .. } if discriminant(msg) == discriminant(&m)),
        );
    }
    for c in every_console_command() {
        covers(
            console_case(&c),
            &|i| matches!(i, Input::Console { command } if discriminant(command) == discriminant(&c)),
        );
    }
}

/// The checker itself must be able to fail: a wrong expectation of each kind is caught.
#[test]
fn the_checker_catches_a_wrong_expectation() {
    let f = fixture();
    let wrong = vec![
        Case {
            name: "wrong refusal code",
            steps: vec![refused(kiosk(STRANGER, 1, ready()), "room.no_candidate")],
        },
        Case {
            name: "refusal expected, input accepted",
            steps: vec![refused(
                kiosk(STRANGER, 1, KioskMessage::Hello),
                "room.unknown_station",
            )],
        },
        Case {
            name: "wrong tiles",
            steps: vec![accepted(
                console(ConsoleCommand::ConfirmPresence {
                    candidate: 1,
                    present: true,
                }),
                fx().tiles(&[2]),
            )],
        },
        Case {
            name: "room_changed missed",
            steps: vec![accepted(
                console(ConsoleCommand::SetComment { text: "x".into() }),
                fx(),
            )],
        },
        Case {
            name: "wrong command",
            steps: steps(vec![
                lab(&f),
                seat(&f.a, 2, 2),
                vec![accepted(
                    console(ConsoleCommand::Authorize { candidate: 2 }),
                    fx().command(&f.a, 2, start()).tiles(&[2]),
                )],
            ]),
        },
        Case {
            name: "wrong view",
            steps: vec![accepted(
                console(ConsoleCommand::ConfirmPresence {
                    candidate: 1,
                    present: true,
                }),
                fx().tiles(&[1]),
            )
            .then([Check::Status(1, TileStatus::Joined)])],
        },
    ];
    for case in &wrong {
        assert!(check(case).is_err(), "«{}» passed", case.name);
    }
}

#[test]
fn known_faults_are_fixed() {
    let f = fixture();
    let failures = run(&known_faults(&f));
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}
