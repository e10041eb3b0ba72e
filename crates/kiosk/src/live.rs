//! A kiosk in a live room: the sitting's journal is sent to the room hub as it grows, and the
//! invigilator's decisions arriving from the hub are carried out in the journal. The journal
//! stays the truth: if the hub is gone the test goes on, and on reconnection the kiosk sends
//! what the hub has not seen (the hub tells its last sequence; it ignores repeats).

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};

use certroom_bank::pack::PackKey;
use certroom_journal::ChainBytes;
use certroom_protocol::{
    BankOffer, CandidateCard, Fingerprint, KioskCommand, KioskLink, KioskMessage, LinkError,
    ReadinessItem, Reply, WireError, WireHead,
};
use ring::signature::Ed25519KeyPair;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::hub_address::{HubAddress, Lookup};
use crate::sitting::{Identity, KioskError, Sitting, TestFor};
use certroom_journal::JoinedIdentity;

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error(transparent)]
    Kiosk(#[from] KioskError),
    #[error("réponse inattendue du poste surveillant / unexpected hub reply")]
    Unexpected,
    #[error("le surveillant n'a pas confirmé l'appairage à temps / the console did not confirm the pairing in time")]
    NotConfirmed,
    #[error("ce poste est en version {mine}, la console en version {hub} / this PC runs version {mine}, the console {hub}")]
    VersionMismatch { hub: String, mine: String },
}

/// Whether this kiosk may sit tests through a hub of `hub_version` (empty: a hub too old to say).
fn same_version(hub_version: &str) -> Result<(), LiveError> {
    let mine = env!("CARGO_PKG_VERSION");
    if hub_version.is_empty() || hub_version == mine {
        Ok(())
    } else {
        Err(LiveError::VersionMismatch {
            hub: hub_version.to_owned(),
            mine: mine.to_owned(),
        })
    }
}

pub struct LiveKiosk {
    sitting: Arc<Mutex<Sitting>>,
    link: KioskLink,
    commands: Option<UnboundedReceiver<(u64, KioskCommand)>>,
    candidate: Option<CandidateCard>,
    /// The hub's last sequence of the current test.
    synced: u64,
    last_ack: Option<std::time::Duration>,
    /// The bank pack the console offers, and one this PC refused (not fetched again).
    bank_offer: Option<BankOffer>,
    refused_bank: Option<String>,
    /// Whether the invigilator wants this PC's screen reader on (`None`: not said).
    speech: Option<bool>,
}

impl LiveKiosk {
    pub async fn connect(
        addr: SocketAddr,
        pin: Fingerprint,
        key: Arc<Ed25519KeyPair>,
        counter: Arc<AtomicU64>,
        sitting: Arc<Mutex<Sitting>>,
    ) -> Result<Self, LiveError> {
        let (link, commands) = KioskLink::connect(addr, pin, key, counter).await?;
        Ok(LiveKiosk {
            sitting,
            link,
            commands: Some(commands),
            candidate: None,
            synced: 0,
            last_ack: None,
            bank_offer: None,
            refused_bank: None,
            speech: None,
        })
    }

    fn sitting(&self) -> MutexGuard<'_, Sitting> {
        self.sitting.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn link(&self) -> &KioskLink {
        &self.link
    }

    /// Lab set-up: the pairing code to show (the console shows the same one until the
    /// invigilator confirms it), or `None` when this PC is already enrolled.
    pub async fn pair(&self, label: &str) -> Result<Option<String>, LiveError> {
        Ok(self.link.pair(label).await?)
    }

    /// After (re)connecting: learns where the hub stands, then sends what it lacks.
    pub async fn hello(&mut self) -> Result<bool, LiveError> {
        let Reply::State { station } = self.link.request(KioskMessage::Hello).await? else {
            return Err(LiveError::Unexpected);
        };
        same_version(&station.hub_version)?;
        self.bank_offer = station.bank;
        self.speech = station.speech;
        self.candidate = station.candidate;
        if !station.forget.is_empty() {
            let forget = station.forget;
            let gone = off_runtime(|| self.sitting().forget_tests(&forget))?;
            if gone > 0 {
                tracing::info!(tests = gone, "journals deleted after retention");
            }
        }
        let ours = self.sitting().test_id().map(str::to_owned);
        self.synced = if ours.is_some() && ours == station.test_id {
            station.synced_seq
        } else {
            0
        };
        if ours.is_some() && self.candidate.is_some() {
            self.sync().await?;
        }
        Ok(station.enrolled)
    }

    pub async fn join(&mut self, who: &Identity) -> Result<CandidateCard, LiveError> {
        let session = who.session.trim().parse::<i64>().unwrap_or(-1);
        let reply = self
            .link
            .request(KioskMessage::Join {
                session,
                first_name: who.first_name.clone(),
                birth_name: who.birth_name.clone(),
                birthdate: who.birthdate.clone(),
            })
            .await?;
        match reply {
            Reply::Joined { candidate } => {
                self.candidate = Some(candidate.clone());
                Ok(candidate)
            }
            _ => Err(LiveError::Unexpected),
        }
    }

    pub async fn ready(&self, access_code: &str) -> Result<(), LiveError> {
        self.link
            .request(KioskMessage::Ready {
                access_code: access_code.to_owned(),
            })
            .await?;
        Ok(())
    }

    /// Sends the journal records the hub has not acknowledged; returns the hub's last sequence.
    pub async fn sync(&mut self) -> Result<u64, LiveError> {
        self.last_ack = None;
        let (pending, head) = off_runtime(|| {
            let s = self.sitting();
            Ok::<_, KioskError>((s.chain_since(self.synced)?, s.signed_head()?))
        })?;
        let Some((test_id, bytes)) = pending else {
            return Ok(0);
        };
        let head = match head {
            Some(h) => Some(WireHead {
                body: String::from_utf8_lossy(&h.signed_body().map_err(|_| LiveError::Unexpected)?)
                    .into_owned(),
                signature: h.signature.clone(),
            }),
            None => None,
        };
        if bytes.bodies.is_empty() {
            return Ok(self.synced);
        }
        let header =
            (self.synced == 0).then(|| String::from_utf8_lossy(&bytes.header).into_owned());
        let bodies = bytes
            .bodies
            .into_iter()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect();
        let sent = std::time::Instant::now();
        let reply = self
            .link
            .request(KioskMessage::Records {
                test_id,
                header,
                bodies,
                head,
            })
            .await?;
        self.last_ack = Some(sent.elapsed());
        match reply {
            Reply::Synced { last_seq, .. } => {
                self.synced = last_seq;
                Ok(last_seq)
            }
            _ => Err(LiveError::Unexpected),
        }
    }

    pub fn synced(&self) -> u64 {
        self.synced
    }

    /// Round trip of the last records sent: until the hub's reply after its commit.
    pub fn last_ack(&self) -> Option<std::time::Duration> {
        self.last_ack
    }

    pub fn try_command(&mut self) -> Option<(u64, KioskCommand)> {
        self.commands.as_mut()?.try_recv().ok()
    }

    pub async fn next_command(&mut self) -> Option<(u64, KioskCommand)> {
        self.commands.as_mut()?.recv().await
    }

    /// The invigilator's commands, for a caller that waits on them without holding this link.
    pub fn take_commands(&mut self) -> Option<UnboundedReceiver<(u64, KioskCommand)>> {
        self.commands.take()
    }

    /// Whether the invigilator wants this PC's screen reader on, if they said.
    pub fn speech(&self) -> Option<bool> {
        self.speech
    }

    pub fn candidate(&self) -> Option<&CandidateCard> {
        self.candidate.as_ref()
    }

    /// Fetches the bank pack the console offers when this PC does not hold it and nobody sits
    /// here, keeps it if the publisher pinned here signed it, and tells the hub either way.
    pub async fn take_bank(&mut self) -> Result<(), LiveError> {
        let Some(offer) = self.bank_offer.clone() else {
            return Ok(());
        };
        let (held, busy) = {
            let s = self.sitting();
            (s.holds(&offer), s.busy())
        };
        if held || busy || self.refused_bank.as_ref() == Some(&offer.hash) {
            return Ok(());
        }
        let result = match self.fetch_bank(&offer).await? {
            Ok(pack) => off_runtime(|| self.sitting().install_pack(pack)),
            Err(why) => Err(why),
        };
        match &result {
            Ok(()) => tracing::info!(hash = %offer.hash, "bank pack installed from the room"),
            Err(why) => {
                tracing::warn!(hash = %offer.hash, reason = %why, "bank pack refused");
                self.refused_bank = Some(offer.hash.clone());
            }
        }
        self.link
            .request(KioskMessage::BankResult {
                hash: offer.hash,
                error: result.err(),
            })
            .await?;
        Ok(())
    }

    /// The offered pack's bytes, piece by piece; `Ok(Err(why))` when what came is not it.
    async fn fetch_bank(&self, offer: &BankOffer) -> Result<Result<Vec<u8>, String>, LiveError> {
        let mut pack = Vec::new();
        while (pack.len() as u64) < offer.size {
            let reply = self
                .link
                .request(KioskMessage::FetchBank {
                    hash: offer.hash.clone(),
                    offset: pack.len() as u64,
                })
                .await?;
            let Reply::BankChunk {
                hash,
                offset,
                total,
                data,
            } = reply
            else {
                return Err(LiveError::Unexpected);
            };
            let bytes = hex::decode(&data).unwrap_or_default();
            if hash != offer.hash
                || offset != pack.len() as u64
                || total != offer.size
                || bytes.is_empty()
                || pack.len() as u64 + bytes.len() as u64 > offer.size
            {
                return Ok(Err(
                    "la console n'a pas envoyé la banque annoncée / the console did not send the pack it offered"
                        .into(),
                ));
            }
            pack.extend_from_slice(&bytes);
        }
        if BankOffer::of(&pack) != *offer {
            return Ok(Err(
                "banque reçue altérée (empreinte différente) / the pack received differs from the one offered"
                    .into(),
            ));
        }
        Ok(Ok(pack))
    }

    /// Carries out one command in the journal, sends the records, then tells the hub it is done.
    pub async fn carry_out(&mut self, id: u64, command: KioskCommand) -> Result<(), LiveError> {
        match command {
            KioskCommand::BankOffered { offer } => {
                self.bank_offer = Some(offer);
                return self.take_bank().await;
            }
            KioskCommand::Speech { on } => {
                self.speech = Some(on);
                return Ok(());
            }
            _ => {}
        }
        let card = self.candidate.clone();
        off_runtime(|| -> Result<(), LiveError> {
            let mut s = self.sitting();
            match command {
                KioskCommand::Authorize {
                    bank_key, chain, ..
                } => {
                    s.unlock(&PackKey::Passphrase(bank_key))?;
                    if let Some(copy) = chain {
                        if s.test_id().is_none() {
                            s.adopt(ChainBytes {
                                header: copy.header.into_bytes(),
                                bodies: copy.bodies.into_iter().map(String::into_bytes).collect(),
                            })?;
                        }
                    }
                    match (s.test_id().is_some(), card) {
                        (true, _) => s.resume_authorized("invigilator")?,
                        (false, Some(c)) => {
                            s.start_test(&TestFor {
                                session: c.session.to_string(),
                                candidate_id: c.id.to_string(),
                                identity: Some(JoinedIdentity {
                                    birth_name: c.birth_name.clone(),
                                    first_name: c.first_name.clone(),
                                    birthdate: c.birthdate.format("%Y-%m-%d").to_string(),
                                }),
                                needs_adjustment: c.adjusted_questions,
                            })?;
                            // Tiers-temps from the candidate list: journaled with the start, so
                            // the clock, the hub and the central replay all count it.
                            let minutes = s.tiers_temps_minutes(c.extra_time_percent);
                            if minutes > 0 {
                                s.grant_extra_time(minutes)?;
                            }
                        }
                        (false, None) => return Err(LiveError::Kiosk(KioskError::NoTest)),
                    }
                }
                KioskCommand::ResolveAlert {
                    validated,
                    incident,
                } => s.decide_alert(validated, incident)?,
                KioskCommand::EndTest { reason } => s.end_by_invigilator(&reason)?,
                KioskCommand::ExtraTime { minutes } => s.grant_extra_time(minutes)?,
                KioskCommand::Pause { reason } => s.pause(&reason)?,
                KioskCommand::Resume => s.resume_authorized("room")?,
                // Handled above: not journaled.
                KioskCommand::BankOffered { .. } | KioskCommand::Speech { .. } => {}
            }
            Ok(())
        })?;
        self.sync().await?;
        self.link
            .request(KioskMessage::Done { command: id })
            .await?;
        Ok(())
    }

    /// The candidate is done: the PC goes back to a clean welcome screen.
    pub async fn leave(&mut self) -> Result<(), LiveError> {
        self.sync().await?;
        self.link.request(KioskMessage::Leave).await?;
        off_runtime(|| self.sitting().release())?;
        self.candidate = None;
        self.synced = 0;
        Ok(())
    }
}

/// Journal work (fsync, the bank key's derivation) off the async workers, so one kiosk's disk
/// never holds up the connections sharing the runtime. Runs inline where that is not possible.
pub fn off_runtime<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// A paired kiosk's connection to its room hub, kept for as long as the kiosk runs: it
/// reconnects forever, sends the journal as it grows, carries out the invigilator's commands and
/// calls `on_change` whenever the screen may have changed. The test goes on without the hub.
pub struct LiveRoom {
    live: Arc<tokio::sync::Mutex<Option<LiveKiosk>>>,
    sitting: Arc<Mutex<Sitting>>,
    access_given: std::sync::atomic::AtomicBool,
    wake: Arc<tokio::sync::Notify>,
    /// Why the hub that answers cannot be used (another version), shown instead of "unreachable".
    refusal: Mutex<Option<WireError>>,
    /// What the hub last said of this PC's screen reader (see [`LiveKiosk::speech`]).
    speech: Mutex<Option<bool>>,
}

/// Called when the kiosk's screen may have changed (the window then asks for it again).
pub type OnChange = Arc<dyn Fn() + Send + Sync>;

fn unreachable() -> WireError {
    WireError {
        code: "kiosk.hub_unreachable".into(),
        message_fr: "Le poste surveillant est injoignable : appelez le surveillant.".into(),
        message_en: "The invigilator's console cannot be reached: call the invigilator.".into(),
        last_n: None,
    }
}

/// How a hub refusal, a journal refusal or a silent hub reads on the kiosk's screen.
fn refused(e: LiveError) -> WireError {
    match e {
        LiveError::Link(LinkError::Refused(w)) => w,
        LiveError::Kiosk(k) => WireError::from(&k),
        LiveError::VersionMismatch { hub, mine } => WireError {
            code: "kiosk.version_mismatch".into(),
            message_fr: format!(
                "Ce poste (certroom {mine}) et la console du surveillant (certroom {hub}) n'ont \
                 pas la même version : aucune épreuve ne peut commencer ici. Prévenez le \
                 référent numérique pour mettre ce poste à jour."
            ),
            message_en: format!(
                "This PC (certroom {mine}) and the invigilator's console (certroom {hub}) run \
                 different versions: no test can start here. Ask the school's IT contact to \
                 update this PC."
            ),
            last_n: None,
        },
        other => WireError {
            code: "kiosk.hub_unreachable".into(),
            message_fr: format!(
                "Le poste surveillant ne répond pas ({other}) : appelez le surveillant."
            ),
            message_en: format!(
                "The invigilator's console does not answer ({other}): call the invigilator."
            ),
            last_n: None,
        },
    }
}

impl LiveRoom {
    /// Starts the connection manager on `runtime`.
    pub fn start(
        runtime: &tokio::runtime::Handle,
        address: HubAddress,
        lookup: Lookup,
        pin: Fingerprint,
        key: Arc<Ed25519KeyPair>,
        sitting: Arc<Mutex<Sitting>>,
        on_change: OnChange,
    ) -> Arc<Self> {
        let room = Arc::new(LiveRoom {
            live: Arc::new(tokio::sync::Mutex::new(None)),
            sitting: sitting.clone(),
            access_given: std::sync::atomic::AtomicBool::new(false),
            wake: Arc::new(tokio::sync::Notify::new()),
            refusal: Mutex::new(None),
            speech: Mutex::new(None),
        });
        let r = room.clone();
        let counter = Arc::new(AtomicU64::new(0));
        runtime.spawn(async move {
            loop {
                // Looked up again each time: the console may have come back on another address.
                let connected = reach(
                    &address,
                    &lookup,
                    pin,
                    key.clone(),
                    counter.clone(),
                    sitting.clone(),
                )
                .await;
                if let Ok(mut live) = connected {
                    let commands = live.take_commands();
                    if let Err(e @ LiveError::VersionMismatch { .. }) = live.hello().await {
                        tracing::error!(error = %e, "hub of another version");
                        *r.refusal.lock().unwrap_or_else(|p| p.into_inner()) = Some(refused(e));
                        on_change();
                        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
                        continue;
                    }
                    *r.refusal.lock().unwrap_or_else(|p| p.into_inner()) = None;
                    if let Err(e) = live.take_bank().await {
                        tracing::warn!(error = %e, "offered bank pack not fetched");
                    }
                    let dir = live.sitting().dir().to_owned();
                    r.note_speech(&live);
                    *r.live.lock().await = Some(live);
                    report_readiness(r.live.clone(), dir);
                    on_change();
                    if let Some(mut commands) = commands {
                        r.serve(&on_change, &mut commands).await;
                    }
                    *r.live.lock().await = None;
                }
                // The test goes on without the hub; try again shortly.
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
        });
        room
    }

    async fn serve(
        &self,
        on_change: &OnChange,
        commands: &mut UnboundedReceiver<(u64, KioskCommand)>,
    ) {
        loop {
            tokio::select! {
                cmd = commands.recv() => {
                    let Some((id, cmd)) = cmd else { return };
                    let bank = matches!(cmd, KioskCommand::BankOffered { .. });
                    let mut guard = self.live.lock().await;
                    let Some(live) = guard.as_mut() else { return };
                    if let Err(e) = live.carry_out(id, cmd).await {
                        tracing::warn!(command = id, error = %e, "hub command not carried out");
                    }
                    self.note_speech(live);
                    let dir = live.sitting().dir().to_owned();
                    drop(guard);
                    if bank {
                        // The check's `bank` item changed.
                        report_readiness(self.live.clone(), dir);
                    }
                    on_change();
                }
                _ = self.wake.notified() => {
                    if !self.sync().await { return; }
                }
                _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {
                    if !self.sync().await { return; }
                }
            }
        }
    }

    /// Sends what the hub lacks; false once the connection is gone.
    async fn sync(&self) -> bool {
        let mut guard = self.live.lock().await;
        match guard.as_mut() {
            Some(live) if !live.link().is_closed() => {
                if let Err(e) = live.sync().await {
                    tracing::debug!(error = %e, "journal not synced yet");
                }
                !live.link().is_closed()
            }
            _ => false,
        }
    }

    fn note_speech(&self, live: &LiveKiosk) {
        if live.speech().is_some() {
            *self.speech.lock().unwrap_or_else(|p| p.into_inner()) = live.speech();
        }
    }

    /// Whether the invigilator wants this PC's screen reader on, if they said since the kiosk
    /// started (the station's own setting holds otherwise).
    pub fn speech(&self) -> Option<bool> {
        *self.speech.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Something was journaled: send it now rather than at the next tick.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    async fn connected(&self) -> Result<tokio::sync::MutexGuard<'_, Option<LiveKiosk>>, WireError> {
        let guard = self.live.lock().await;
        if guard.is_none() {
            let refusal = self
                .refusal
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            return Err(refusal.unwrap_or_else(unreachable));
        }
        Ok(guard)
    }

    /// In a live room the waiting screen first asks for the session's access code.
    pub fn adjust(&self, screen: crate::Screen) -> crate::Screen {
        match screen {
            crate::Screen::WaitingAuthorization {
                resume: false,
                candidate,
                ..
            } => crate::Screen::WaitingAuthorization {
                resume: false,
                candidate,
                access_code_needed: !self.access_given.load(std::sync::atomic::Ordering::SeqCst),
            },
            other => other,
        }
    }

    fn screen(&self, lang: crate::Lang) -> Result<crate::Screen, WireError> {
        let screen = self
            .sitting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .screen(lang)
            .map_err(|e| WireError::from(&e))?;
        Ok(self.adjust(screen))
    }

    /// The welcome form: the hub matches the identity, the kiosk shows the enrolled names.
    pub async fn join(&self, who: Identity, lang: crate::Lang) -> Result<crate::Screen, WireError> {
        self.sitting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .has_bank()
            .map_err(|e| WireError::from(&e))?;
        let card = {
            let mut guard = self.connected().await?;
            let live = guard.as_mut().ok_or_else(unreachable)?;
            live.join(&who).await.map_err(refused)?
        };
        self.access_given
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let shown = Identity {
            session: card.session.to_string(),
            first_name: card.first_name.clone(),
            birth_name: card.birth_name.clone(),
            birthdate: who.birthdate,
        };
        let screen = off_runtime(|| {
            self.sitting
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .join(shown, lang)
        })
        .map_err(|e| WireError::from(&e))?;
        Ok(self.adjust(screen))
    }

    /// The session's access code the invigilator gave: then the candidate waits.
    pub async fn access_code(
        &self,
        code: &str,
        lang: crate::Lang,
    ) -> Result<crate::Screen, WireError> {
        {
            let guard = self.connected().await?;
            let live = guard.as_ref().ok_or_else(unreachable)?;
            live.ready(code).await.map_err(refused)?;
        }
        self.access_given
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.screen(lang)
    }

    /// After an ended test: back to a clean welcome screen for the next candidate.
    pub async fn finish(&self, lang: crate::Lang) -> Result<crate::Screen, WireError> {
        {
            let mut guard = self.connected().await?;
            let live = guard.as_mut().ok_or_else(unreachable)?;
            live.leave().await.map_err(refused)?;
            // A pack offered while a candidate sat here is taken now, between candidates.
            if let Err(e) = live.take_bank().await {
                tracing::warn!(error = %e, "offered bank pack not fetched");
            }
        }
        self.access_given
            .store(false, std::sync::atomic::Ordering::SeqCst);
        self.screen(lang)
    }
}

/// Tells the console what would stop exam day on this PC (`certroom station check`), after
/// connecting and after a bank arrived, without holding up the connection while the PC is
/// looked at.
fn report_readiness(live: Arc<tokio::sync::Mutex<Option<LiveKiosk>>>, dir: std::path::PathBuf) {
    tokio::spawn(async move {
        let (tx, rx) = tokio::sync::oneshot::channel();
        // A plain thread: the check asks the hub on a runtime of its own.
        std::thread::spawn(move || {
            let probe = crate::readiness::Probe::of_this_machine(&dir);
            let findings = crate::readiness::judge(&crate::readiness::observe(&probe));
            let _ = tx.send(findings);
        });
        let Ok(findings) = rx.await else { return };
        let items = findings
            .into_iter()
            .map(|f| ReadinessItem {
                item: f.item.to_owned(),
                ok: f.ok,
                fr: f.fr,
                en: f.en,
            })
            .collect();
        if let Some(live) = live.lock().await.as_ref() {
            if let Err(e) = live.link().request(KioskMessage::Readiness { items }).await {
                tracing::warn!(error = %e, "readiness not reported");
            }
        }
    });
}

/// Why a hub name gave no address, as the kiosk reports an unreachable hub.
fn unresolved(why: String) -> LiveError {
    LinkError::Unreachable(why).into()
}

/// The first of `address`'s addresses where the pinned hub answers.
async fn reach(
    address: &HubAddress,
    lookup: &Lookup,
    pin: Fingerprint,
    key: Arc<Ed25519KeyPair>,
    counter: Arc<AtomicU64>,
    sitting: Arc<Mutex<Sitting>>,
) -> Result<LiveKiosk, LiveError> {
    address
        .first_answering(lookup, unresolved, |addr| {
            LiveKiosk::connect(addr, pin, key.clone(), counter.clone(), sitting.clone())
        })
        .await
}

/// Lab set-up: asks the hub at `address` to enrol this PC's key, shows the pairing code with
/// `show_code` (the console shows the same one), and waits for the invigilator's confirmation.
/// Without `pin`, the certificate the hub presents is taken and the code comparison is what
/// authenticates it. Returns the fingerprint to pin.
pub async fn pair(
    address: &HubAddress,
    lookup: &Lookup,
    pin: Option<Fingerprint>,
    key: Ed25519KeyPair,
    label: &str,
    wait: std::time::Duration,
    show_code: impl FnOnce(&str),
) -> Result<Fingerprint, LiveError> {
    let key = Arc::new(key);
    let (link, pin) = address
        .first_answering(lookup, unresolved, |addr| {
            let key = key.clone();
            async move {
                let pin = match pin {
                    Some(pin) => pin,
                    None => certroom_protocol::fetch_fingerprint(addr).await?,
                };
                let (link, _) =
                    KioskLink::connect(addr, pin, key, Arc::new(AtomicU64::new(0))).await?;
                Ok((link, pin))
            }
        })
        .await?;
    let Some(code) = link.pair(label).await? else {
        return Ok(pin);
    };
    show_code(&code);
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if tokio::time::Instant::now() > deadline {
            return Err(LiveError::NotConfirmed);
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        if let Ok(Reply::State { station }) = link.request(KioskMessage::Hello).await {
            if station.enrolled {
                return Ok(pin);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hub_of_another_version_is_named_on_the_screen_in_french() {
        assert!(same_version(env!("CARGO_PKG_VERSION")).is_ok());
        assert!(
            same_version("").is_ok(),
            "a hub too old to say is not refused"
        );
        let e = same_version("0.0.1").unwrap_err();
        let shown = refused(e);
        assert_eq!(shown.code, "kiosk.version_mismatch");
        assert!(shown.message_fr.contains("0.0.1"), "{}", shown.message_fr);
        assert!(shown.message_fr.contains(env!("CARGO_PKG_VERSION")));
        assert!(shown.message_fr.contains("référent numérique"));
    }
}
