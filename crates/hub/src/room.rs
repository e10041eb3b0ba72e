//! The room as the hub keeps it: who is enrolled, who sits where, each candidate's journal copy,
//! the invigilator's decisions. Pure state: [`Room::apply`] takes one accepted input and returns
//! what must be sent; the hub logs every input before it answers, and a restarted hub replays the
//! log through the same function (see `store.rs`), so the two can never disagree.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use certroom_core::message::UserMessage;
use certroom_journal::{progress, verify_head_pinned, EndedBy, Event, Mirror, SignedHead};

use certroom_protocol::{
    pairing, AbortReason, BankOffer, BankState, CandidateCard, ChainCopy, ConsoleCommand, Incident,
    KioskCommand, KioskMessage, PairingRequest, ReadinessItem, Reply, RoomView, StationBank,
    StationReadiness, StationState, Tile, TileStatus, WireHead, INCIDENT_CODES,
};

/// The session this hub runs, as the console set it up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomSetup {
    pub session: i64,
    pub access_code: String,
    pub invigilator_password: String,
    /// The key of the session's bank pack, handed to a kiosk with its authorization.
    pub bank_key: String,
    pub questions: u32,
    pub duration_min: u32,
    pub candidates: Vec<EnrolledCandidate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolledCandidate {
    pub id: i64,
    pub first_name: String,
    pub birth_name: String,
    pub birthdate: NaiveDate,
    pub local_id: Option<String>,
    pub extra_time_percent: u8,
    pub adjusted_questions: bool,
}

/// One input the hub accepted, in the order it accepted them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum Input {
    Station {
        station: String,
        n: u64,
        msg: KioskMessage,
    },
    Console {
        command: ConsoleCommand,
    },
}

/// What applying an input asks the hub to send.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Effects {
    pub reply: Option<Reply>,
    pub commands: Vec<(String, u64, KioskCommand)>,
    pub tiles: Vec<i64>,
    pub room_changed: bool,
    pub pairing: Option<PairingRequest>,
    /// The input changed nothing and is answered without being written down: a `hello` from a
    /// PC not enrolled. Made-up keys then cost the hub no write and no counter.
    pub unrecorded: bool,
    /// A PC asks for the offered bank pack from this offset: the server, which holds the
    /// bytes, answers with them.
    pub bank_chunk: Option<(String, u64)>,
    /// A bank pack was offered: tell the connected PCs.
    pub bank_offered: Option<BankOffer>,
    /// The invigilator turned a PC's screen reader on or off: tell that PC.
    pub speech: Option<(String, bool)>,
}

/// Items of a readiness check a PC may report (`certroom station check` has 12).
pub const MAX_READINESS_ITEMS: usize = 32;

/// The largest bank pack the console may offer (the sample bank seals to a few hundred KB).
pub const MAX_BANK_PACK: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoomError {
    #[error("unknown station")]
    UnknownStation,
    #[error("replay")]
    Replay { last_n: u64 },
    #[error("wrong session")]
    WrongSession,
    #[error("session closed")]
    Closed,
    #[error("invalid field {0}")]
    Invalid(&'static str),
    #[error("identity not found")]
    NotFound,
    #[error("identity ambiguous")]
    Ambiguous,
    #[error("candidate on another PC")]
    Elsewhere,
    #[error("candidate already finished")]
    AlreadyFinished,
    #[error("this PC is sitting another candidate")]
    StationBusy,
    #[error("no candidate on this PC")]
    NoCandidate,
    #[error("wrong access code")]
    AccessCode,
    #[error("journal copy refused: {0}")]
    Chain(String),
    #[error("unknown candidate")]
    UnknownCandidate,
    #[error("not waiting for authorization")]
    NotWaiting,
    #[error("no test in progress")]
    NoLiveTest,
    #[error("no open alert")]
    NoAlert,
    #[error("unknown incident code")]
    IncidentCode,
    #[error("abort reasons missing")]
    AbortReasonsMissing(Vec<i64>),
    #[error("tests still running")]
    TestsRunning(Vec<i64>),
    #[error("no pairing request")]
    NoPairing,
    #[error("identity already used")]
    IdentityTaken,
    #[error("pairing refused while tests run")]
    PairingDuringTests,
    #[error("too many pairing requests")]
    PairingsFull,
    #[error("pairing not open")]
    PairingClosed,
}

/// Longest pairing window the invigilator may open, in minutes: long enough to walk round a lab.
pub const MAX_PAIRING_MINUTES: u32 = 60;

/// Pairing requests waiting for the invigilator at most: a laptop on the lab network making up
/// keys cannot fill the console's screen or memory.
pub const MAX_PENDING_PAIRINGS: usize = 64;

impl UserMessage for RoomError {
    fn code(&self) -> &'static str {
        match self {
            Self::UnknownStation => "room.unknown_station",
            Self::Replay { .. } => "hub.replay",
            Self::WrongSession => "room.wrong_session",
            Self::Closed => "room.closed",
            Self::Invalid(_) => "room.invalid",
            Self::NotFound => "room.identity_not_found",
            Self::Ambiguous => "room.identity_ambiguous",
            Self::Elsewhere => "room.candidate_elsewhere",
            Self::AlreadyFinished => "room.already_finished",
            Self::StationBusy => "room.station_busy",
            Self::NoCandidate => "room.no_candidate",
            Self::AccessCode => "room.access_code",
            Self::Chain(_) => "room.chain",
            Self::UnknownCandidate => "room.unknown_candidate",
            Self::NotWaiting => "room.not_waiting",
            Self::NoLiveTest => "room.no_live_test",
            Self::NoAlert => "room.no_alert",
            Self::IncidentCode => "room.incident_code",
            Self::AbortReasonsMissing(_) => "room.abort_reasons_missing",
            Self::TestsRunning(_) => "room.tests_running",
            Self::NoPairing => "room.no_pairing",
            Self::IdentityTaken => "room.identity_taken",
            Self::PairingDuringTests => "room.pairing_during_tests",
            Self::PairingClosed => "room.pairing_closed",
            Self::PairingsFull => "room.pairings_full",
        }
    }
    fn message_fr(&self) -> String {
        match self {
            Self::UnknownStation => "Ce poste n'est pas enregistré dans cette salle : faites-le appairer par le surveillant.".into(),
            Self::Replay { .. } => "Message déjà reçu (rejeu) : refusé.".into(),
            Self::WrongSession => "Ce numéro de session n'est pas celui de cette salle.".into(),
            Self::Closed => "La session est finalisée : plus personne ne peut la rejoindre.".into(),
            Self::Invalid(f) => format!("Champ invalide : {f}."),
            Self::NotFound => "Aucun candidat inscrit ne correspond à ce prénom, ce nom de naissance et cette date de naissance. Vérifiez la saisie ou appelez le surveillant.".into(),
            Self::Ambiguous => "Plusieurs candidats correspondent : appelez le surveillant.".into(),
            Self::Elsewhere => "Ce candidat est déjà installé sur un autre poste : appelez le surveillant.".into(),
            Self::AlreadyFinished => "Ce candidat a déjà terminé son test.".into(),
            Self::StationBusy => "Ce poste est occupé par un autre candidat.".into(),
            Self::NoCandidate => "Aucun candidat n'est installé sur ce poste.".into(),
            Self::AccessCode => "Code d'accès incorrect : recopiez celui que donne le surveillant.".into(),
            Self::Chain(e) => format!("Copie du journal refusée : {e}."),
            Self::UnknownCandidate => "Candidat inconnu dans cette session.".into(),
            Self::NotWaiting => "Ce candidat n'attend pas d'autorisation.".into(),
            Self::NoLiveTest => "Ce candidat n'a pas de test en cours.".into(),
            Self::NoAlert => "Aucune alerte ouverte pour ce candidat.".into(),
            Self::IncidentCode => "Code d'incident inconnu.".into(),
            Self::AbortReasonsMissing(ids) => format!("Motif d'abandon manquant pour {} candidat(s) dont le test n'est pas terminé.", ids.len()),
            Self::TestsRunning(ids) => format!("{} test(s) encore en cours : terminez-les avant de finaliser.", ids.len()),
            Self::NoPairing => "Aucune demande d'appairage de ce poste.".into(),
            Self::IdentityTaken => "Un autre candidat porte déjà cette identité.".into(),
            Self::PairingDuringTests => "Appairage refusé pendant l'épreuve : appairez ce poste avant ou après les tests.".into(),
            Self::PairingClosed => "L'appairage n'est pas ouvert : le surveillant doit cliquer sur « Ouvrir l'appairage » sur son poste, puis relancez l'appairage.".into(),
            Self::PairingsFull => "Trop de demandes d'appairage en attente : traitez-les sur la console.".into(),
        }
    }
    fn message_en(&self) -> String {
        match self {
            Self::UnknownStation => "This PC is not enrolled in this room: have the invigilator pair it.".into(),
            Self::Replay { .. } => "Message already received (replay): refused.".into(),
            Self::WrongSession => "This is not this room's session number.".into(),
            Self::Closed => "The session is finalized: nobody can join it any more.".into(),
            Self::Invalid(f) => format!("Invalid field: {f}."),
            Self::NotFound => "No enrolled candidate has this first name, birth name and date of birth. Check what you typed or call the invigilator.".into(),
            Self::Ambiguous => "Several candidates match: call the invigilator.".into(),
            Self::Elsewhere => "This candidate is already on another PC: call the invigilator.".into(),
            Self::AlreadyFinished => "This candidate has already finished the test.".into(),
            Self::StationBusy => "This PC is in use by another candidate.".into(),
            Self::NoCandidate => "No candidate is sitting at this PC.".into(),
            Self::AccessCode => "Wrong access code: copy the one the invigilator gives.".into(),
            Self::Chain(e) => format!("Journal copy refused: {e}."),
            Self::UnknownCandidate => "No such candidate in this session.".into(),
            Self::NotWaiting => "This candidate is not waiting for an authorization.".into(),
            Self::NoLiveTest => "This candidate has no test in progress.".into(),
            Self::NoAlert => "This candidate has no open alert.".into(),
            Self::IncidentCode => "Unknown incident code.".into(),
            Self::AbortReasonsMissing(ids) => format!("Abort reason missing for {} candidate(s) whose test is unfinished.", ids.len()),
            Self::TestsRunning(ids) => format!("{} test(s) still running: end them before finalizing.", ids.len()),
            Self::NoPairing => "No pairing request from this PC.".into(),
            Self::IdentityTaken => "Another candidate already has this identity.".into(),
            Self::PairingDuringTests => "Pairing refused during the exam: pair this PC before or after the tests.".into(),
            Self::PairingClosed => "Pairing is not open: the invigilator must click “Open pairing” on the console, then pair again.".into(),
            Self::PairingsFull => "Too many pairing requests waiting: handle them on the console.".into(),
        }
    }
}

#[derive(Debug, Clone)]
struct Sitter {
    /// The candidate as the room knows them now (an identity fix changes it).
    card: CandidateCard,
    local_id: Option<String>,
    key: String,
    station: Option<String>,
    present: bool,
    ready: bool,
    /// The station whose journal holds this test (where it started or was last moved to).
    chain_station: Option<String>,
    mirror: Option<Mirror>,
    /// Ended by the invigilator before any test started.
    ended_early: Option<String>,
    abort_reason: Option<AbortReason>,
    incidents: Vec<Incident>,
    pending: BTreeMap<u64, KioskCommand>,
    head: Option<SignedHead>,
    /// Every identity this candidate had in this room, (birth name, first name, `YYYY-MM-DD`):
    /// the enrolled one, then each fix (C1). A journal may name any of them: a kiosk keeps the
    /// identity it was seated with.
    identities: Vec<(String, String, String)>,
}

impl Sitter {
    fn identity(&self) -> (String, String, String) {
        (
            self.card.birth_name.clone(),
            self.card.first_name.clone(),
            self.card.birthdate.format("%Y-%m-%d").to_string(),
        )
    }
}

#[derive(Debug, Clone)]
pub struct Room {
    hub: String,
    /// Keys the hub's pairing nonces (`pairing::hub_nonce`): unpredictable to a man in the
    /// middle, the same when the hub replays its inputs.
    pairing_secret: [u8; 32],
    setup: RoomSetup,
    sitters: BTreeMap<i64, Sitter>,
    enrolled: BTreeMap<String, String>,
    pairings: BTreeMap<String, PairingRequest>,
    /// Pairing requests whose PC has not yet revealed its nonce: station → (label, commitment).
    commitments: BTreeMap<String, (String, String)>,
    /// The bank pack the console offers, and what each PC said of it: station → (hash, error).
    bank: Option<BankOffer>,
    bank_results: BTreeMap<String, (String, Option<String>)>,
    /// What each PC's readiness check said, and when (input time).
    readiness: BTreeMap<String, (String, Vec<ReadinessItem>)>,
    /// Station → whether the invigilator wants its screen reader on (absent: not said).
    speech: BTreeMap<String, bool>,
    last_n: HashMap<String, u64>,
    frames_after: u64,
    paused: Option<String>,
    finalized: Option<String>,
    comment: String,
    next_command: u64,
    /// Until when (input time) a PC nobody paired may ask to be: the invigilator opens pairing
    /// on the console while setting up the lab.
    pairing_until: Option<chrono::DateTime<chrono::Utc>>,
    /// Station → ended tests its kiosk may delete (see [`Room::forget_on`]).
    forget: BTreeMap<String, Vec<String>>,
}

/// The station-signed head of an ended test, checked: it comes from the enrolled PC that sent it
/// and signs exactly `mirror`.
fn checked_head(station: &str, mirror: &Mirror, h: &WireHead) -> Result<SignedHead, RoomError> {
    let bad = |why: &str| RoomError::Chain(format!("signed head: {why}"));
    let sig = hex::decode(&h.signature).map_err(|_| bad("signature"))?;
    let head = SignedHead::from_stored(h.body.as_bytes(), &sig).map_err(|e| bad(&e.to_string()))?;
    let key: [u8; 32] = hex::decode(station)
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| bad("station key"))?;
    verify_head_pinned(&head, &[key]).map_err(|e| bad(&e.to_string()))?;
    if !mirror.ended()
        || head.seq != mirror.last_seq()
        || head.hash != mirror.last_hash()
        || head.test_id != mirror.header().test_id
    {
        return Err(bad("does not sign the hub's copy"));
    }
    Ok(head)
}

impl Room {
    pub fn new(hub_fingerprint: &str, pairing_secret: [u8; 32], setup: RoomSetup) -> Self {
        let sitters = setup
            .candidates
            .iter()
            .map(|c| {
                let card = CandidateCard {
                    id: c.id,
                    session: setup.session,
                    first_name: c.first_name.clone(),
                    birth_name: c.birth_name.clone(),
                    birthdate: c.birthdate,
                    extra_time_percent: c.extra_time_percent,
                    adjusted_questions: c.adjusted_questions,
                };
                let sitter = Sitter {
                    key: certroom_core::identity::match_key(
                        &c.birth_name,
                        &c.first_name,
                        c.birthdate,
                    ),
                    card,
                    local_id: c.local_id.clone(),
                    station: None,
                    present: false,
                    ready: false,
                    chain_station: None,
                    mirror: None,
                    ended_early: None,
                    abort_reason: None,
                    incidents: Vec::new(),
                    pending: BTreeMap::new(),
                    head: None,
                    identities: Vec::new(),
                };
                let sitter = Sitter {
                    identities: vec![sitter.identity()],
                    ..sitter
                };
                (c.id, sitter)
            })
            .collect();
        Room {
            hub: hub_fingerprint.to_owned(),
            pairing_secret,
            commitments: BTreeMap::new(),
            bank: None,
            bank_results: BTreeMap::new(),
            readiness: BTreeMap::new(),
            speech: BTreeMap::new(),
            setup,
            sitters,
            enrolled: BTreeMap::new(),
            pairings: BTreeMap::new(),
            last_n: HashMap::new(),
            frames_after: 0,
            paused: None,
            finalized: None,
            comment: String::new(),
            next_command: 1,
            pairing_until: None,
            forget: BTreeMap::new(),
        }
    }

    pub fn setup(&self) -> &RoomSetup {
        &self.setup
    }

    pub fn session(&self) -> i64 {
        self.setup.session
    }

    /// Whether a PC nobody paired may ask to be, at input time `at`.
    pub fn pairing_open(&self, at: &str) -> bool {
        match (self.pairing_until, parse_at(at)) {
            (Some(until), Some(now)) => now < until,
            _ => false,
        }
    }

    /// Whether a PC nobody paired may ask now: the window is open and no test runs (a PC nobody
    /// paired appearing during the exam is most likely not a lab PC).
    fn may_pair(&self, at: &str) -> Result<(), RoomError> {
        if !self.live_stations().is_empty() {
            return Err(RoomError::PairingDuringTests);
        }
        if !self.pairing_open(at) {
            return Err(RoomError::PairingClosed);
        }
        Ok(())
    }

    pub fn is_enrolled(&self, station: &str) -> bool {
        self.enrolled.contains_key(station)
    }

    pub fn last_n(&self, station: &str) -> u64 {
        self.last_n
            .get(station)
            .copied()
            .unwrap_or(self.frames_after)
    }

    /// Frames numbered `n` or lower count as replays for every station: they were sealed
    /// before this room existed (a kiosk whose clock is behind catches up from the refusal's
    /// `last_n`).
    pub fn refuse_frames_until(&mut self, n: u64) {
        self.frames_after = n;
    }

    /// Stations enrolled at lab set-up, carried from the console's records into a new room.
    pub fn enroll(&mut self, station: &str, label: &str) {
        self.enrolled.insert(station.to_owned(), label.to_owned());
    }

    pub fn enrolled_stations(&self) -> impl Iterator<Item = (&String, &String)> {
        self.enrolled.iter()
    }

    /// Checks what does not change the room (enrolment, the replay counter): a refused frame is
    /// then never logged.
    pub fn admit(&self, station: &str, n: u64, msg: &KioskMessage) -> Result<(), RoomError> {
        let last = self.last_n(station);
        if n <= last {
            return Err(RoomError::Replay { last_n: last });
        }
        // An unknown PC may only ask to be paired and ask whether it is.
        let open = matches!(
            msg,
            KioskMessage::Pair { .. } | KioskMessage::PairReveal { .. } | KioskMessage::Hello
        );
        if !open && !self.is_enrolled(station) {
            return Err(RoomError::UnknownStation);
        }
        Ok(())
    }

    /// Applies one input. On error the room is unchanged.
    pub fn apply(&mut self, input: &Input, at: &str) -> Result<Effects, RoomError> {
        match input {
            Input::Station { station, n, msg } => {
                self.admit(station, *n, msg)?;
                if matches!(msg, KioskMessage::Hello) && !self.is_enrolled(station) {
                    return Ok(Effects {
                        reply: Some(Reply::State {
                            station: self.station_state(station),
                        }),
                        unrecorded: true,
                        ..Effects::default()
                    });
                }
                let fx = self.station_message(station, msg, at)?;
                // What is answered without a record moves no counter (a replayed fetch only
                // gets the same bytes again).
                if !fx.unrecorded {
                    self.last_n.insert(station.clone(), *n);
                }
                Ok(fx)
            }
            Input::Console { command } => self.console_command(command, at),
        }
    }

    fn station_message(
        &mut self,
        station: &str,
        msg: &KioskMessage,
        at: &str,
    ) -> Result<Effects, RoomError> {
        let mut fx = Effects::default();
        match msg {
            KioskMessage::Pair { label, commitment } => {
                let label = clean(label, 64, "label")?;
                if !pairing::is_commitment(commitment) {
                    return Err(RoomError::Invalid("commitment"));
                }
                let enrolled = self.is_enrolled(station);
                if !enrolled {
                    let asked = self.pairings.contains_key(station)
                        || self.commitments.contains_key(station);
                    if !asked
                        && self.pairings.len() + self.commitments.len() >= MAX_PENDING_PAIRINGS
                    {
                        return Err(RoomError::PairingsFull);
                    }
                    self.may_pair(at)?;
                    // A new request replaces the one before (a technician who started again);
                    // the console hears of it only once the code can be shown.
                    fx.room_changed = self.pairings.remove(station).is_some();
                    self.commitments
                        .insert(station.to_owned(), (label, commitment.clone()));
                }
                fx.reply = Some(Reply::Pairing {
                    hub_nonce: pairing::hub_nonce(&self.pairing_secret, station, commitment),
                    enrolled,
                });
            }
            KioskMessage::PairReveal { nonce } => {
                if self.is_enrolled(station) {
                    return Ok(Effects {
                        reply: Some(Reply::CodeShown),
                        ..fx
                    });
                }
                self.may_pair(at)?;
                let (label, commitment) = self
                    .commitments
                    .get(station)
                    .cloned()
                    .ok_or(RoomError::NoPairing)?;
                if !pairing::is_nonce(nonce) || pairing::commitment(station, nonce) != commitment {
                    return Err(RoomError::Invalid("nonce"));
                }
                self.commitments.remove(station);
                let hub_nonce = pairing::hub_nonce(&self.pairing_secret, station, &commitment);
                let req = PairingRequest {
                    station: station.to_owned(),
                    label,
                    code: pairing::pairing_code(&self.hub, station, nonce, &hub_nonce),
                };
                self.pairings.insert(station.to_owned(), req.clone());
                fx.pairing = Some(req);
                fx.room_changed = true;
                fx.reply = Some(Reply::CodeShown);
            }
            KioskMessage::FetchBank { hash, offset } => {
                self.offered(hash)?;
                return Ok(Effects {
                    bank_chunk: Some((hash.clone(), *offset)),
                    unrecorded: true,
                    ..fx
                });
            }
            KioskMessage::Readiness { items } => {
                if items.len() > MAX_READINESS_ITEMS {
                    return Err(RoomError::Invalid("items"));
                }
                let items = items
                    .iter()
                    .map(|i| {
                        Ok(ReadinessItem {
                            item: clean(&i.item, 32, "item")?,
                            ok: i.ok,
                            fr: clean(&i.fr, 500, "fr")?,
                            en: clean(&i.en, 500, "en")?,
                        })
                    })
                    .collect::<Result<Vec<_>, RoomError>>()?;
                self.readiness
                    .insert(station.to_owned(), (at.to_owned(), items));
                fx.room_changed = true;
                fx.reply = Some(Reply::Done);
            }
            KioskMessage::BankResult { hash, error } => {
                self.offered(hash)?;
                let error = match error {
                    Some(e) => Some(clean(e, 500, "error")?),
                    None => None,
                };
                self.bank_results
                    .insert(station.to_owned(), (hash.clone(), error));
                fx.room_changed = true;
                fx.reply = Some(Reply::Done);
            }
            KioskMessage::Hello => {
                let state = self.station_state(station);
                if let Some(id) = state.candidate.as_ref().map(|c| c.id) {
                    if let Some(s) = self.sitters.get(&id) {
                        for (cid, cmd) in &s.pending {
                            fx.commands.push((station.to_owned(), *cid, cmd.clone()));
                        }
                    }
                }
                fx.reply = Some(Reply::State { station: state });
            }
            KioskMessage::Join {
                session,
                first_name,
                birth_name,
                birthdate,
            } => {
                let (card, unseated) =
                    self.join(station, *session, first_name, birth_name, birthdate)?;
                fx.tiles.extend(unseated);
                fx.tiles.push(card.id);
                fx.reply = Some(Reply::Joined { candidate: card });
            }
            KioskMessage::Ready { access_code } => {
                let id = self.sitter_at(station).ok_or(RoomError::NoCandidate)?;
                if !access_code
                    .trim()
                    .eq_ignore_ascii_case(self.setup.access_code.trim())
                {
                    return Err(RoomError::AccessCode);
                }
                if let Some(s) = self.sitters.get_mut(&id) {
                    s.ready = true;
                }
                fx.tiles.push(id);
                fx.reply = Some(Reply::Waiting);
            }
            KioskMessage::Records {
                test_id,
                header,
                bodies,
                head,
            } => {
                let id = self.sitter_at(station).ok_or(RoomError::NoCandidate)?;
                // Checked whole before anything is kept: a refused head leaves the copy as it was.
                let mirror = self.extended_copy(id, test_id, header.as_deref(), bodies)?;
                let head = match head {
                    Some(h) => Some(checked_head(station, &mirror, h)?),
                    None => None,
                };
                let last_seq = self.keep_copy(id, station, mirror, head);
                fx.tiles.push(id);
                fx.reply = Some(Reply::Synced {
                    test_id: test_id.clone(),
                    last_seq,
                });
            }
            KioskMessage::Done { command } => {
                if let Some(id) = self.sitter_at(station) {
                    if let Some(s) = self.sitters.get_mut(&id) {
                        s.pending.remove(command);
                    }
                    fx.tiles.push(id);
                }
                fx.reply = Some(Reply::Done);
            }
            KioskMessage::Leave => {
                if let Some(id) = self.sitter_at(station) {
                    let s = self.sitters.get_mut(&id).ok_or(RoomError::NoCandidate)?;
                    let live = s.mirror.as_ref().is_some_and(|m| !m.ended());
                    if live {
                        return Err(RoomError::StationBusy);
                    }
                    s.station = None;
                    s.ready = false;
                    s.pending.clear();
                    fx.tiles.push(id);
                }
                fx.reply = Some(Reply::Done);
            }
        }
        Ok(fx)
    }

    /// Seats the candidate who matches; also returns whoever was unseated from this PC.
    fn join(
        &mut self,
        station: &str,
        session: i64,
        first_name: &str,
        birth_name: &str,
        birthdate: &str,
    ) -> Result<(CandidateCard, Vec<i64>), RoomError> {
        let mut unseated = Vec::new();
        if session != self.setup.session {
            return Err(RoomError::WrongSession);
        }
        if self.finalized.is_some() {
            return Err(RoomError::Closed);
        }
        let date = parse_birthdate(birthdate).ok_or(RoomError::Invalid("birthdate"))?;
        if first_name.trim().is_empty() || birth_name.trim().is_empty() {
            return Err(RoomError::Invalid("name"));
        }
        let key = certroom_core::identity::match_key(birth_name, first_name, date);
        let matches: Vec<i64> = self
            .sitters
            .values()
            .filter(|s| s.key == key)
            .map(|s| s.card.id)
            .collect();
        let id = match matches.as_slice() {
            [] => return Err(RoomError::NotFound),
            [one] => *one,
            _ => return Err(RoomError::Ambiguous),
        };
        if let Some(other) = self.sitter_at(station) {
            if other != id {
                let busy = self
                    .sitters
                    .get(&other)
                    .is_some_and(|s| s.mirror.as_ref().is_some_and(|m| !m.ended()));
                if busy {
                    return Err(RoomError::StationBusy);
                }
            }
        }
        let s = self.sitters.get(&id).ok_or(RoomError::NotFound)?;
        if s.mirror.as_ref().is_some_and(Mirror::ended) || s.ended_early.is_some() {
            return Err(RoomError::AlreadyFinished);
        }
        if s.station.as_deref().is_some_and(|st| st != station) {
            return Err(RoomError::Elsewhere);
        }
        // Whoever sat here before (ended, or never started) leaves the PC with nothing pending:
        // an authorization meant for them must never reach the next candidate.
        for other in self.sitters.values_mut() {
            if other.card.id != id && other.station.as_deref() == Some(station) {
                other.station = None;
                other.ready = false;
                other.pending.clear();
                unseated.push(other.card.id);
            }
        }
        let s = self.sitters.get_mut(&id).ok_or(RoomError::NotFound)?;
        s.station = Some(station.to_owned());
        Ok((s.card.clone(), unseated))
    }

    /// The hub's copy of a candidate's journal with `bodies` added, checked record by record
    /// against the chain; the room is unchanged.
    fn extended_copy(
        &self,
        id: i64,
        test_id: &str,
        header: Option<&str>,
        bodies: &[String],
    ) -> Result<Mirror, RoomError> {
        let session = self.setup.session.to_string();
        let s = self.sitters.get(&id).ok_or(RoomError::NoCandidate)?;
        let mut mirror = match (&s.mirror, header) {
            (Some(m), _) => {
                if m.header().test_id != test_id {
                    return Err(RoomError::Chain("another test".into()));
                }
                m.clone()
            }
            (None, Some(h)) => {
                let m = Mirror::new(h.as_bytes().to_vec())
                    .map_err(|f| RoomError::Chain(f.problem.to_string()))?;
                let hd = m.header();
                if hd.test_id != test_id
                    || hd.session_id != session
                    || hd.candidate_id != id.to_string()
                {
                    return Err(RoomError::Chain("header of another candidate".into()));
                }
                // A version 2 header names who sits the test: the candidate this hub seated,
                // under their enrolled identity or one the invigilator fixed (C1).
                if let Some(who) = &hd.identity {
                    let named = (
                        who.birth_name.clone(),
                        who.first_name.clone(),
                        who.birthdate.clone(),
                    );
                    if !s.identities.contains(&named) {
                        return Err(RoomError::Chain("header of another identity".into()));
                    }
                }
                m
            }
            (None, None) => return Err(RoomError::Chain("header missing".into())),
        };
        for body in bodies {
            let bytes = body.as_bytes();
            let seq = seq_of(bytes)
                .filter(|seq| *seq > 0)
                .ok_or_else(|| RoomError::Chain("unreadable record".into()))?;
            if seq <= mirror.last_seq() {
                let known = usize::try_from(seq - 1)
                    .ok()
                    .and_then(|i| mirror.bodies().get(i));
                if known.map(Vec::as_slice) != Some(bytes) {
                    return Err(RoomError::Chain(format!(
                        "record {seq} differs from the copy"
                    )));
                }
                continue;
            }
            mirror
                .extend(bytes.to_vec())
                .map_err(|f| RoomError::Chain(format!("{} (n°{})", f.problem, f.seq)))?;
        }
        Ok(mirror)
    }

    /// Keeps a checked copy (and head); returns the copy's last sequence.
    fn keep_copy(
        &mut self,
        id: i64,
        station: &str,
        mirror: Mirror,
        head: Option<SignedHead>,
    ) -> u64 {
        let last = mirror.last_seq();
        let Some(s) = self.sitters.get_mut(&id) else {
            return last;
        };
        if s.chain_station.is_none() || s.mirror.is_none() {
            s.chain_station = Some(station.to_owned());
        }
        // Commands the journal shows carried out need not be sent again.
        let p = progress(mirror.records());
        if !p.needs_authorization || p.ended.is_some() {
            s.pending
                .retain(|_, c| !matches!(c, KioskCommand::Authorize { .. }));
        }
        if p.open_alert.is_none() {
            s.pending
                .retain(|_, c| !matches!(c, KioskCommand::ResolveAlert { .. }));
        }
        if p.ended.is_some() {
            s.pending.clear();
        }
        s.mirror = Some(mirror);
        if head.is_some() {
            s.head = head;
        }
        last
    }

    fn console_command(&mut self, cmd: &ConsoleCommand, at: &str) -> Result<Effects, RoomError> {
        // What was finalized is what the bundle carries: nothing changes the room afterwards.
        if self.finalized.is_some() {
            return Err(RoomError::Closed);
        }
        let mut fx = Effects::default();
        match cmd {
            ConsoleCommand::ConfirmPairing { station } => {
                // Already enrolled (a replay after restart, or a double click): nothing to do.
                if !self.is_enrolled(station) {
                    let req = self.pairings.remove(station).ok_or(RoomError::NoPairing)?;
                    self.enrolled.insert(req.station, req.label);
                    fx.room_changed = true;
                }
                self.pairings.remove(station);
            }
            ConsoleCommand::OfferBank { offer } => {
                if certroom_core::Hash::from_hex(&offer.hash).is_none() {
                    return Err(RoomError::Invalid("hash"));
                }
                if offer.size == 0 || offer.size > MAX_BANK_PACK {
                    return Err(RoomError::Invalid("size"));
                }
                if self.bank.as_ref() != Some(offer) {
                    self.bank = Some(offer.clone());
                    self.bank_results.clear();
                    fx.room_changed = true;
                }
                fx.bank_offered = Some(offer.clone());
            }
            ConsoleCommand::Speech { station, on } => {
                if !self.is_enrolled(station) {
                    return Err(RoomError::Invalid("station"));
                }
                if self.speech.insert(station.clone(), *on) != Some(*on) {
                    fx.room_changed = true;
                }
                fx.speech = Some((station.clone(), *on));
            }
            ConsoleCommand::OpenPairing { minutes } => {
                if *minutes == 0 || *minutes > MAX_PAIRING_MINUTES {
                    return Err(RoomError::Invalid("minutes"));
                }
                let from = parse_at(at).ok_or(RoomError::Invalid("at"))?;
                self.pairing_until = Some(from + chrono::Duration::minutes(i64::from(*minutes)));
                fx.room_changed = true;
            }
            ConsoleCommand::ClosePairing => {
                self.pairing_until = None;
                // Requests not yet confirmed go with the window.
                self.pairings.clear();
                self.commitments.clear();
                fx.room_changed = true;
            }
            ConsoleCommand::ConfirmPresence { candidate, present } => {
                self.sitter_mut(*candidate)?.present = *present;
                fx.tiles.push(*candidate);
            }
            ConsoleCommand::Authorize { candidate } => {
                let bank_key = self.setup.bank_key.clone();
                let s = self.sitter(*candidate)?;
                let station = s.station.clone().ok_or(RoomError::NotWaiting)?;
                let (waiting, resume) = waiting_authorization(s);
                let already = s
                    .pending
                    .values()
                    .any(|c| matches!(c, KioskCommand::Authorize { .. }));
                if !waiting || already {
                    return Err(RoomError::NotWaiting);
                }
                let chain = match (&s.mirror, &s.chain_station) {
                    (Some(m), Some(cs)) if *cs != station => Some(ChainCopy {
                        header: String::from_utf8_lossy(m.header_bytes()).into_owned(),
                        bodies: m
                            .bodies()
                            .iter()
                            .map(|b| String::from_utf8_lossy(b).into_owned())
                            .collect(),
                    }),
                    _ => None,
                };
                let moved = chain.is_some();
                let command = KioskCommand::Authorize {
                    resume,
                    bank_key,
                    chain,
                };
                let id = self.push(*candidate, &station, command, &mut fx)?;
                let s = self.sitter_mut(*candidate)?;
                s.present = true;
                if moved {
                    s.chain_station = Some(station);
                }
                let _ = id;
            }
            ConsoleCommand::EndTest { candidate, reason } => {
                let reason = clean(reason, 500, "reason")?;
                self.end_one(*candidate, &reason, &mut fx)?;
            }
            ConsoleCommand::ExtraTime { candidate, minutes } => {
                if !(1..=240).contains(minutes) {
                    return Err(RoomError::Invalid("minutes"));
                }
                let station = self.live_station(*candidate)?;
                self.push(
                    *candidate,
                    &station,
                    KioskCommand::ExtraTime { minutes: *minutes },
                    &mut fx,
                )?;
            }
            ConsoleCommand::ResolveAlert {
                candidate,
                validated,
                incident,
            } => {
                let station = self.live_station(*candidate)?;
                let s = self.sitter(*candidate)?;
                let p = s.mirror.as_ref().map(|m| progress(m.records()));
                let decided = s
                    .pending
                    .values()
                    .any(|c| matches!(c, KioskCommand::ResolveAlert { .. }));
                if decided || p.as_ref().and_then(|p| p.open_alert.as_ref()).is_none() {
                    return Err(RoomError::NoAlert);
                }
                let incident = match (validated, incident) {
                    (true, Some(code)) if code.starts_with('E') && known_code(code) => {
                        Some(code.clone())
                    }
                    (true, None) => Some("E9".to_owned()),
                    (false, None) => None,
                    _ => return Err(RoomError::IncidentCode),
                };
                let question = p.map(|p| p.answered.len() as u32 + 1);
                self.push(
                    *candidate,
                    &station,
                    KioskCommand::ResolveAlert {
                        validated: *validated,
                        incident: incident.clone(),
                    },
                    &mut fx,
                )?;
                if let Some(code) = incident {
                    self.sitter_mut(*candidate)?.incidents.push(Incident {
                        code,
                        note: "alerte validée en direct / live alert validated".into(),
                        question,
                        at: at.to_owned(),
                    });
                }
            }
            ConsoleCommand::RecordIncident {
                candidate,
                code,
                note,
                question,
            } => {
                if !known_code(code) {
                    return Err(RoomError::IncidentCode);
                }
                let note = clean(note, 1000, "note")?;
                self.sitter_mut(*candidate)?.incidents.push(Incident {
                    code: code.clone(),
                    note,
                    question: *question,
                    at: at.to_owned(),
                });
                fx.tiles.push(*candidate);
            }
            ConsoleCommand::FixIdentity {
                candidate,
                first_name,
                birth_name,
                birthdate,
            } => {
                let first = clean(first_name, 100, "first_name")?;
                let birth = clean(birth_name, 100, "birth_name")?;
                if first.is_empty() || birth.is_empty() {
                    return Err(RoomError::Invalid("name"));
                }
                let key = certroom_core::identity::match_key(&birth, &first, *birthdate);
                if self
                    .sitters
                    .values()
                    .any(|s| s.card.id != *candidate && s.key == key)
                {
                    return Err(RoomError::IdentityTaken);
                }
                let s = self.sitter_mut(*candidate)?;
                let note = format!(
                    "{} {} né(e) le {} → {} {} né(e) le {}",
                    s.card.first_name,
                    s.card.birth_name,
                    s.card.birthdate.format("%d/%m/%Y"),
                    first,
                    birth,
                    birthdate.format("%d/%m/%Y")
                );
                s.card.first_name = first;
                s.card.birth_name = birth;
                s.card.birthdate = *birthdate;
                s.key = key;
                let fixed = s.identity();
                s.identities.push(fixed);
                s.incidents.push(Incident {
                    code: "C1".into(),
                    note,
                    question: None,
                    at: at.to_owned(),
                });
                fx.tiles.push(*candidate);
            }
            ConsoleCommand::MoveCandidate { candidate } => {
                let s = self.sitter_mut(*candidate)?;
                if s.mirror.as_ref().is_some_and(Mirror::ended) {
                    return Err(RoomError::AlreadyFinished);
                }
                s.station = None;
                s.ready = false;
                s.pending.clear();
                fx.tiles.push(*candidate);
            }
            ConsoleCommand::PauseRoom { reason } => {
                let reason = clean(reason, 500, "reason")?;
                for (id, station) in self.live_stations() {
                    self.push(
                        id,
                        &station,
                        KioskCommand::Pause {
                            reason: reason.clone(),
                        },
                        &mut fx,
                    )?;
                }
                self.paused = Some(reason);
                fx.room_changed = true;
            }
            ConsoleCommand::ResumeRoom => {
                for (id, station) in self.live_stations() {
                    self.push(id, &station, KioskCommand::Resume, &mut fx)?;
                }
                self.paused = None;
                fx.room_changed = true;
            }
            ConsoleCommand::EndAll { reason } => {
                let reason = clean(reason, 500, "reason")?;
                let ids: Vec<i64> = self
                    .sitters
                    .values()
                    .filter(|s| s.station.is_some() && !is_over(s))
                    .map(|s| s.card.id)
                    .collect();
                for id in ids {
                    self.end_one(id, &reason, &mut fx)?;
                }
            }
            ConsoleCommand::SetAbortReason { candidate, reason } => {
                self.sitter_mut(*candidate)?.abort_reason = *reason;
                fx.tiles.push(*candidate);
            }
            ConsoleCommand::SetComment { text } => {
                self.comment = clean(text, 5000, "comment")?;
                fx.room_changed = true;
            }
            ConsoleCommand::Finalize => {
                // A test whose candidate was moved off a PC and never sat again is not running:
                // it is interrupted, and needs its abort reason like any other.
                let running: Vec<i64> = self
                    .sitters
                    .values()
                    .filter(|s| {
                        s.station.is_some() && s.mirror.as_ref().is_some_and(|m| !m.ended())
                    })
                    .map(|s| s.card.id)
                    .collect();
                if !running.is_empty() {
                    return Err(RoomError::TestsRunning(running));
                }
                let missing: Vec<i64> = self
                    .sitters
                    .values()
                    .filter(|s| needs_abort_reason(s, self.setup.questions))
                    .map(|s| s.card.id)
                    .collect();
                if !missing.is_empty() {
                    return Err(RoomError::AbortReasonsMissing(missing));
                }
                self.finalized = Some(at.to_owned());
                fx.room_changed = true;
            }
        }
        Ok(fx)
    }

    fn end_one(&mut self, candidate: i64, reason: &str, fx: &mut Effects) -> Result<(), RoomError> {
        let s = self.sitter(candidate)?;
        if is_over(s) {
            return Err(RoomError::NoLiveTest);
        }
        let station = s.station.clone();
        let started = s.mirror.is_some();
        match station {
            Some(st) => {
                self.push(
                    candidate,
                    &st,
                    KioskCommand::EndTest {
                        reason: reason.to_owned(),
                    },
                    fx,
                )?;
            }
            None if started => return Err(RoomError::NoLiveTest),
            None => {}
        }
        if !started {
            self.sitter_mut(candidate)?.ended_early = Some(reason.to_owned());
        }
        fx.tiles.push(candidate);
        Ok(())
    }

    fn push(
        &mut self,
        candidate: i64,
        station: &str,
        command: KioskCommand,
        fx: &mut Effects,
    ) -> Result<u64, RoomError> {
        let id = self.next_command;
        self.next_command += 1;
        self.sitter_mut(candidate)?
            .pending
            .insert(id, command.clone());
        fx.commands.push((station.to_owned(), id, command));
        fx.tiles.push(candidate);
        Ok(id)
    }

    fn live_station(&self, candidate: i64) -> Result<String, RoomError> {
        let s = self.sitter(candidate)?;
        match (&s.station, &s.mirror) {
            (Some(st), Some(m)) if !m.ended() => Ok(st.clone()),
            _ => Err(RoomError::NoLiveTest),
        }
    }

    fn live_stations(&self) -> Vec<(i64, String)> {
        self.sitters
            .values()
            .filter_map(|s| match (&s.station, &s.mirror) {
                (Some(st), Some(m)) if !m.ended() => Some((s.card.id, st.clone())),
                _ => None,
            })
            .collect()
    }

    fn sitter(&self, id: i64) -> Result<&Sitter, RoomError> {
        self.sitters.get(&id).ok_or(RoomError::UnknownCandidate)
    }

    fn sitter_mut(&mut self, id: i64) -> Result<&mut Sitter, RoomError> {
        self.sitters.get_mut(&id).ok_or(RoomError::UnknownCandidate)
    }

    fn sitter_at(&self, station: &str) -> Option<i64> {
        self.sitters
            .values()
            .find(|s| s.station.as_deref() == Some(station))
            .map(|s| s.card.id)
    }

    pub fn station_state(&self, station: &str) -> StationState {
        let sitter = self.sitter_at(station).and_then(|id| self.sitters.get(&id));
        StationState {
            enrolled: self.is_enrolled(station),
            session: Some(self.setup.session),
            paused: self.paused.is_some(),
            candidate: sitter.map(|s| s.card.clone()),
            test_id: sitter
                .and_then(|s| s.mirror.as_ref())
                .map(|m| m.header().test_id.clone()),
            synced_seq: sitter
                .and_then(|s| s.mirror.as_ref())
                .map_or(0, Mirror::last_seq),
            forget: if self.is_enrolled(station) {
                self.forget.get(station).cloned().unwrap_or_default()
            } else {
                Vec::new()
            },
            hub_version: env!("CARGO_PKG_VERSION").to_owned(),
            bank: self.bank.clone().filter(|_| self.is_enrolled(station)),
            speech: self.speech.get(station).copied(),
        }
    }

    /// The bank pack the console offers, if any.
    pub fn bank_offer(&self) -> Option<&BankOffer> {
        self.bank.as_ref()
    }

    /// `hash` is the pack on offer: what a PC may fetch and report on.
    fn offered(&self, hash: &str) -> Result<(), RoomError> {
        if self.bank.as_ref().is_some_and(|b| b.hash == hash) {
            Ok(())
        } else {
            Err(RoomError::Invalid("bank"))
        }
    }

    /// Where each paired PC stands with the offered bank pack (`received` is the server's to
    /// fill: it sends the bytes).
    fn banks(&self) -> Vec<StationBank> {
        let Some(offer) = &self.bank else {
            return Vec::new();
        };
        self.enrolled
            .iter()
            .map(|(station, label)| {
                let said = self
                    .bank_results
                    .get(station)
                    .filter(|(hash, _)| *hash == offer.hash);
                let (state, reason) = match said {
                    Some((_, None)) => (BankState::Installed, None),
                    Some((_, Some(e))) => (BankState::Refused, Some(e.clone())),
                    None => (BankState::Waiting, None),
                };
                StationBank {
                    station: station.clone(),
                    label: label.clone(),
                    received: if state == BankState::Installed {
                        offer.size
                    } else {
                        0
                    },
                    state,
                    reason,
                }
            })
            .collect()
    }

    /// An ended test of `station` that the kiosk may delete: the service holds its results and
    /// the retention time is over (the console decides, from its receipts).
    pub fn forget_on(&mut self, station: &str, test_id: &str) {
        self.forget
            .entry(station.to_owned())
            .or_default()
            .push(test_id.to_owned());
    }

    pub fn tile(&self, id: i64) -> Option<Tile> {
        self.sitters.get(&id).map(|s| tile(s, &self.setup))
    }

    pub fn view(&self) -> RoomView {
        let mut tiles: Vec<Tile> = self
            .sitters
            .values()
            .map(|s| tile(s, &self.setup))
            .collect();
        sort_tiles(&mut tiles);
        RoomView {
            session: self.setup.session,
            paused: self.paused.is_some(),
            finalized: self.finalized.clone(),
            comment: self.comment.clone(),
            tiles,
            pairings: self.pairings.values().cloned().collect(),
            pairing_until: self.pairing_until.map(crate::stamp),
            stations: self
                .enrolled
                .iter()
                .map(|(k, l)| (k.clone(), l.clone()))
                .collect(),
            bank: self.bank.clone(),
            banks: self.banks(),
            readiness: self
                .readiness
                .iter()
                .filter_map(|(station, (at, items))| {
                    Some(StationReadiness {
                        station: station.clone(),
                        label: self.enrolled.get(station)?.clone(),
                        at: at.clone(),
                        items: items.clone(),
                    })
                })
                .collect(),
            speech: self
                .speech
                .iter()
                .filter(|(_, on)| **on)
                .map(|(station, _)| station.clone())
                .collect(),
        }
    }

    pub fn finalized(&self) -> Option<&str> {
        self.finalized.as_deref()
    }

    pub fn comment(&self) -> &str {
        &self.comment
    }

    /// The hub's copy of a candidate's journal (for a report, a bundle, a move).
    pub fn mirror(&self, candidate: i64) -> Option<&Mirror> {
        self.sitters.get(&candidate).and_then(|s| s.mirror.as_ref())
    }

    pub fn candidates(&self) -> impl Iterator<Item = (&CandidateCard, NaiveDate, Option<&str>)> {
        self.sitters
            .values()
            .map(|s| (&s.card, s.card.birthdate, s.local_id.as_deref()))
    }
}

impl Room {
    /// Every convened candidate as the session report prints them.
    pub fn report_candidates(&self) -> Vec<certroom_pdf::ReportCandidate> {
        use certroom_pdf::{CandidateOutcome, ReportCandidate, ReportIncident};
        self.sitters
            .values()
            .map(|s| {
                let p = s.mirror.as_ref().map(|m| progress(m.records()));
                let answered = p.as_ref().map_or(0, |p| p.answered.len() as u32);
                let status = match outcome(s) {
                    certroom_bundle::Outcome::Absent => CandidateOutcome::Absent,
                    certroom_bundle::Outcome::Finished => CandidateOutcome::Finished,
                    certroom_bundle::Outcome::TimeUp => CandidateOutcome::TimeUp,
                    certroom_bundle::Outcome::EndedByInvigilator => {
                        CandidateOutcome::EndedByInvigilator
                    }
                    certroom_bundle::Outcome::Interrupted => CandidateOutcome::Interrupted,
                };
                let focus_losses = s.mirror.as_ref().map_or(0, |m| {
                    m.records()
                        .iter()
                        .filter(|r| matches!(r.event, Event::FocusLost { .. }))
                        .count() as u32
                });
                ReportCandidate {
                    birth_name: s.card.birth_name.clone(),
                    first_name: s.card.first_name.clone(),
                    birthdate: s.card.birthdate.format("%d/%m/%Y").to_string(),
                    local_id: s.local_id.clone(),
                    status,
                    answered,
                    total: self.setup.questions,
                    abort_reason: s.abort_reason.map(|r| match r {
                        AbortReason::Candidate => certroom_pdf::AbortReason::Candidate,
                        AbortReason::Technical => certroom_pdf::AbortReason::Technical,
                    }),
                    incidents: s
                        .incidents
                        .iter()
                        .map(|i| ReportIncident {
                            code: i.code.clone(),
                            note: i.note.clone(),
                            question: i.question,
                        })
                        .collect(),
                    focus_losses,
                }
            })
            .collect()
    }
}

impl Room {
    /// What the finalized room's signed bundle holds: every candidate, their journal as the hub
    /// copied it with the station-signed head, and the stations the console vouches for.
    pub fn bundle_input(
        &self,
        centre: certroom_bundle::Centre,
        date: NaiveDate,
        site: &str,
        room: &str,
        sexes: &HashMap<i64, certroom_bundle::Sex>,
        app_version: &str,
    ) -> certroom_bundle::BundleInput {
        use certroom_bundle::{BundleJournal, CandidateEntry};
        let mut bank_hash = None;
        let mut engine_version = None;
        let mut candidates = Vec::new();
        let mut journals = Vec::new();
        for s in self.sitters.values() {
            if let Some(m) = &s.mirror {
                bank_hash.get_or_insert(m.header().bank_hash);
                engine_version.get_or_insert_with(|| m.header().engine_version.clone());
                journals.push(BundleJournal {
                    test_id: m.header().test_id.clone(),
                    chain: m.to_bytes(),
                    head: s.head.clone(),
                });
            }
            candidates.push(CandidateEntry {
                candidate_id: s.card.id,
                birth_name: s.card.birth_name.clone(),
                first_name: s.card.first_name.clone(),
                birthdate: s.card.birthdate,
                local_id: s.local_id.clone(),
                sex: sexes.get(&s.card.id).copied(),
                outcome: outcome(s),
                abort_reason: match s.abort_reason {
                    Some(AbortReason::Candidate) => certroom_bundle::AbortReason::Candidate,
                    Some(AbortReason::Technical) => certroom_bundle::AbortReason::Technical,
                    None => certroom_bundle::AbortReason::None,
                },
                incidents: s
                    .incidents
                    .iter()
                    .map(|i| certroom_bundle::Incident {
                        code: i.code.clone(),
                        note: i.note.clone(),
                        question: i.question,
                    })
                    .collect(),
                test_id: s.mirror.as_ref().map(|m| m.header().test_id.clone()),
            });
        }
        certroom_bundle::BundleInput {
            centre,
            session: certroom_bundle::SessionInfo {
                number: self.setup.session,
                date,
                site: site.to_owned(),
                room: room.to_owned(),
                questions: self.setup.questions,
            },
            candidates,
            journals,
            stations: self
                .enrolled
                .keys()
                .filter_map(|k| hex::decode(k).ok()?.try_into().ok())
                .collect(),
            comment: self.comment.clone(),
            finalized_at: self.finalized.clone().unwrap_or_default(),
            bank_hash: bank_hash.unwrap_or(certroom_core::Hash([0; 32])),
            engine_version: engine_version
                .unwrap_or_else(|| certroom_core::ENGINE_VERSION.to_owned()),
            app_version: app_version.to_owned(),
        }
    }
}

/// Whoever needs the invigilator first; then by name so a tile does not jump around.
pub fn sort_tiles(tiles: &mut [Tile]) {
    tiles.sort_by(|a, b| {
        (a.status, &a.birth_name, &a.first_name, a.candidate).cmp(&(
            b.status,
            &b.birth_name,
            &b.first_name,
            b.candidate,
        ))
    });
}

fn tile(s: &Sitter, setup: &RoomSetup) -> Tile {
    let p = s.mirror.as_ref().map(|m| progress(m.records()));
    let (waiting, resume) = waiting_authorization(s);
    let authorizing = s
        .pending
        .values()
        .any(|c| matches!(c, KioskCommand::Authorize { .. }));
    let focus_losses = s.mirror.as_ref().map_or(0, |m| {
        m.records()
            .iter()
            .filter(|r| matches!(r.event, Event::FocusLost { .. }))
            .count() as u32
    });
    let focus_now = s.mirror.as_ref().is_some_and(|m| {
        m.records()
            .iter()
            .rev()
            .find(|r| matches!(r.event, Event::FocusLost { .. } | Event::FocusRegained))
            .is_some_and(|r| matches!(r.event, Event::FocusLost { .. }))
    });
    let ended = p.as_ref().and_then(|p| p.ended);
    let status = if let Some(by) = ended {
        match by {
            EndedBy::Candidate => TileStatus::Finished,
            _ => TileStatus::Ended,
        }
    } else if s.ended_early.is_some() {
        TileStatus::Ended
    } else if p.as_ref().is_some_and(|p| p.open_alert.is_some()) {
        TileStatus::Alert
    } else if waiting && !authorizing {
        TileStatus::WaitingAuthorization
    } else if p.is_some() && focus_now {
        TileStatus::FocusLost
    } else if p
        .as_ref()
        .is_some_and(|p| !p.clock_running && p.current_question.is_some() && !authorizing)
    {
        TileStatus::Paused
    } else if p.is_some() {
        TileStatus::InTest
    } else if s.station.is_some() {
        TileStatus::Joined
    } else {
        TileStatus::NotArrived
    };
    let answered = p.as_ref().map_or(0, |p| p.steps.len() as u32);
    let extra = p.as_ref().map_or(0, |p| p.extra_time_minutes);
    let time_left_s = p
        .as_ref()
        .filter(|p| p.ended.is_none())
        .map(|p| (u64::from(setup.duration_min + extra) * 60_000).saturating_sub(p.live_ms) / 1000);
    let ended_reason = s.ended_early.clone().or_else(|| {
        s.mirror.as_ref().and_then(|m| {
            m.records().last().and_then(|r| match &r.event {
                Event::Ended { reason, .. } => reason.clone(),
                _ => None,
            })
        })
    });
    Tile {
        candidate: s.card.id,
        first_name: s.card.first_name.clone(),
        birth_name: s.card.birth_name.clone(),
        local_id: s.local_id.clone(),
        status,
        needs_action: matches!(
            status,
            TileStatus::Alert | TileStatus::WaitingAuthorization | TileStatus::FocusLost
        ),
        station: s.station.clone(),
        present: s.present,
        resume,
        question: p.as_ref().map_or(0, |p| {
            p.current_question
                .as_ref()
                .map_or(answered, |q| q.index + 1)
        }),
        total: setup.questions,
        answered,
        time_left_s,
        alert_item: p.as_ref().and_then(|p| p.open_alert.clone()),
        focus_losses,
        extra_minutes: extra,
        ended_reason,
        abort_reason: s.abort_reason,
        incidents: s.incidents.clone(),
        test_id: s.mirror.as_ref().map(|m| m.header().test_id.clone()),
        synced_seq: s.mirror.as_ref().map_or(0, Mirror::last_seq),
    }
}

/// Whether the candidate waits for the invigilator, and whether it is a resume.
fn waiting_authorization(s: &Sitter) -> (bool, bool) {
    if s.station.is_none() || s.ended_early.is_some() {
        return (false, false);
    }
    match &s.mirror {
        None => (s.ready, false),
        Some(m) => {
            let p = progress(m.records());
            // A candidate moved to another PC waits there too, whatever the old PC last wrote.
            let moved = s.chain_station.is_some() && s.chain_station != s.station;
            let waiting = p.ended.is_none() && (p.needs_authorization || (moved && s.ready));
            (waiting, true)
        }
    }
}

fn is_over(s: &Sitter) -> bool {
    s.ended_early.is_some() || s.mirror.as_ref().is_some_and(Mirror::ended)
}

/// How a candidate's sitting ended, by the rule the central service applies to the bundle.
fn outcome(s: &Sitter) -> certroom_bundle::Outcome {
    match (&s.mirror, &s.ended_early) {
        (Some(m), _) => certroom_bundle::outcome_of(m),
        (None, Some(_)) => certroom_bundle::Outcome::EndedByInvigilator,
        (None, None) => certroom_bundle::Outcome::Absent,
    }
}

/// The finalization rule, shared with the bundle's verifier so the room never finalizes what
/// the central service would refuse.
fn needs_abort_reason(s: &Sitter, questions: u32) -> bool {
    s.abort_reason.is_none()
        && certroom_bundle::needs_abort_reason(outcome(s), s.mirror.as_ref(), questions)
}

fn known_code(code: &str) -> bool {
    INCIDENT_CODES.contains(&code)
}

fn clean(text: &str, max: usize, field: &'static str) -> Result<String, RoomError> {
    let t = text.trim();
    if t.chars().count() > max || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(RoomError::Invalid(field));
    }
    Ok(t.to_owned())
}

pub fn parse_birthdate(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .or_else(|| NaiveDate::parse_from_str(t, "%d/%m/%Y").ok())
}

/// The `seq` of a record's canonical bytes, read without decoding the whole event.
fn seq_of(body: &[u8]) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("seq")?.as_u64()
}

/// An input's time, as the hub stamps it (RFC 3339, UTC).
fn parse_at(at: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}
