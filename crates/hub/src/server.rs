//! The hub as a service: TLS on the lab network, a WebSocket per kiosk and per remote console,
//! the room behind one lock, every accepted input committed before it is answered.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use certroom_core::message::UserMessage;

use certroom_protocol::frame::{self, FrameError, MAX_FRAME_BYTES};
use certroom_protocol::{
    ConsoleCommand, ConsoleEvent, ConsoleRequest, Fingerprint, HubMessage, Reply, RoomView,
    WireError,
};

use crate::guard::SignInGuard;
use crate::lab::Lab;
use crate::room::{Effects, Input, Room, RoomError, RoomSetup};
use crate::store::{RefusalLog, Store, StoreError};
use crate::tls::{HubIdentity, TlsError};

pub const DB_FILE: &str = "hub.db";
/// A client that opens a TCP connection and never finishes the TLS handshake is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Nor may it take longer to send its request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A kiosk connection that has not sent one accepted frame in this time is closed.
const UNBOUND_IDLE: Duration = Duration::from_secs(30);
/// A paired kiosk may stay silent as long as a candidate reads: all day.
const BOUND_IDLE: Duration = Duration::from_secs(24 * 3600);
/// Refused frames one connection may send before it is closed.
pub const MAX_BAD_FRAMES: u32 = 32;
use crate::connections::{Refused, Slot};
pub use crate::connections::{MAX_CONNECTIONS, MAX_PER_ADDRESS};

/// The address a connection comes from.
#[derive(Debug, Clone, Copy)]
struct Peer(SocketAddr);

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("adresse {addr} : {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum BundleRefusal {
    #[error("la session n'est pas finalisée / the session is not finalized")]
    NotFinalized,
    #[error(transparent)]
    Bundle(certroom_bundle::BundleError),
}

/// The invigilator's authority over this room, obtained with the session's password.
#[derive(Debug, Clone)]
pub struct Authority {
    session: i64,
}

struct Inner {
    room: Mutex<(Room, Store)>,
    refusals: RefusalLog,
    guard: SignInGuard,
    fingerprint: Fingerprint,
    fingerprint_hex: String,
    identity: HubIdentity,
    kiosks: Mutex<HashMap<String, mpsc::UnboundedSender<Message>>>,
    console: broadcast::Sender<ConsoleEvent>,
    shutdown: tokio::sync::watch::Sender<bool>,
    /// Where the room is kept: the offered bank pack is written there, beside `hub.db`.
    room_dir: std::path::PathBuf,
    /// The offered bank pack's bytes, and how far each PC has fetched them.
    bank: Mutex<Option<Arc<Vec<u8>>>>,
    bank_sent: Mutex<HashMap<String, u64>>,
}

/// The offered bank pack, kept in the room's folder.
pub const BANK_PACK_FILE: &str = "bank.pack";
/// Bytes of the bank pack per answer (sent as hex, well under a frame's limit).
const BANK_CHUNK: usize = 64 * 1024;

#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl Hub {
    /// Opens (or starts) the room kept in `dir`, with its own TLS identity and pairings.
    pub fn open(dir: &Path, setup: RoomSetup) -> Result<Self, HubError> {
        Self::open_in_lab(dir, dir, setup)
    }

    /// Opens (or starts) the room kept in `room` with the lab's lasting identity and paired
    /// PCs. A room recorded before its console had a lab keeps the identity its kiosks pinned.
    pub fn open_in_lab(lab: &Path, room: &Path, setup: RoomSetup) -> Result<Self, HubError> {
        let own = room.join(crate::tls::IDENTITY_FILE).exists();
        let identity = HubIdentity::load_or_create(if own { room } else { lab })?;
        let fingerprint = identity.fingerprint();
        std::fs::create_dir_all(room).map_err(|e| {
            HubError::Store(StoreError::Corrupt {
                id: 0,
                detail: format!("{}: {e}", room.display()),
            })
        })?;
        let store = Store::open(&room.join(DB_FILE))?.with_lab(Lab::open(lab)?);
        let refusals = RefusalLog::open(room)?;
        let room_dir = room.to_owned();
        let room = store.load_room(&fingerprint.to_hex(), identity.pairing_secret(), setup)?;
        // The pack offered before a restart, if its bytes are still the ones offered.
        let bank = room.bank_offer().and_then(|offer| {
            let bytes = std::fs::read(room_dir.join(BANK_PACK_FILE)).ok()?;
            (certroom_protocol::BankOffer::of(&bytes) == *offer).then(|| Arc::new(bytes))
        });
        let (console, _) = broadcast::channel(4096);
        Ok(Hub {
            inner: Arc::new(Inner {
                room: Mutex::new((room, store)),
                refusals,
                guard: SignInGuard::default(),
                fingerprint_hex: fingerprint.to_hex(),
                fingerprint,
                identity,
                kiosks: Mutex::new(HashMap::new()),
                console,
                shutdown: tokio::sync::watch::channel(false).0,
                room_dir,
                bank: Mutex::new(bank),
                bank_sent: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// From now on every input the hub commits also goes to `copy`, before the hub answers
    /// (what came before is in `hub.db`, which the copy's base holds).
    pub fn copy_inputs_to(&self, copy: Arc<dyn crate::store::InputCopy>) {
        self.lock().1.copy_to(copy);
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.inner.fingerprint
    }

    fn lock(&self) -> MutexGuard<'_, (Room, Store)> {
        // A panic while holding the lock cannot leave the room half-changed in a way the log
        // does not show: the log is the truth, so going on with the inner value is safe.
        self.inner.room.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn view(&self) -> RoomView {
        let view = self.lock().0.view();
        self.with_bank_progress(view)
    }

    /// The room's view with the bytes each PC has fetched of the offered bank pack.
    fn with_bank_progress(&self, mut view: RoomView) -> RoomView {
        let sent = self
            .inner
            .bank_sent
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for b in &mut view.banks {
            if b.state != certroom_protocol::BankState::Installed {
                b.received = sent.get(&b.station).copied().unwrap_or(0);
            }
        }
        view
    }

    /// Offers the room's PCs this bank pack: kept in the room's folder (a restarted console
    /// offers it again), then announced; each PC fetches it, checks its publisher's signature
    /// and says what it made of it. The console checked the pack opens with the session's key.
    pub fn offer_bank(&self, authority: &Authority, pack: Vec<u8>) -> Result<(), WireError> {
        let offer = certroom_protocol::BankOffer::of(&pack);
        let path = self.inner.room_dir.join(BANK_PACK_FILE);
        certroom_durable::write_atomically(&path, &pack, certroom_durable::Access::Private)
            .map_err(|e| WireError {
                code: "hub.storage".into(),
                message_fr: format!("Impossible d'enregistrer la banque ({e})."),
                message_en: format!("Cannot store the bank pack ({e})."),
                last_n: None,
            })?;
        *self.inner.bank.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(pack));
        self.inner
            .bank_sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.run(authority, ConsoleCommand::OfferBank { offer })
    }

    /// Bytes of the offered pack from `offset`, as a PC asks for them.
    fn bank_chunk(&self, station: &str, hash: String, offset: u64) -> Reply {
        let bank = self
            .inner
            .bank
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let (total, data) = match bank {
            Some(bytes) => {
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let end = (start + BANK_CHUNK).min(bytes.len());
                self.inner
                    .bank_sent
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(station.to_owned(), end as u64);
                (bytes.len() as u64, hex::encode(&bytes[start..end]))
            }
            // Offered before a restart whose folder lost the bytes: nothing to send.
            None => (0, String::new()),
        };
        Reply::BankChunk {
            hash,
            offset,
            total,
            data,
        }
    }

    /// The session report's candidate rows and the room's comment and finalization time.
    pub fn report_parts(&self) -> (Vec<certroom_pdf::ReportCandidate>, String, Option<String>) {
        let guard = self.lock();
        (
            guard.0.report_candidates(),
            guard.0.comment().to_owned(),
            guard.0.finalized().map(str::to_owned),
        )
    }

    /// The finalized session's signed result bundle, signed by the console's station key.
    #[allow(clippy::too_many_arguments)]
    pub fn bundle(
        &self,
        console_key: &ring::signature::Ed25519KeyPair,
        centre: certroom_bundle::Centre,
        date: chrono::NaiveDate,
        site: &str,
        room: &str,
        sexes: &HashMap<i64, certroom_bundle::Sex>,
        app_version: &str,
    ) -> Result<Vec<u8>, BundleRefusal> {
        let input = {
            let guard = self.lock();
            if guard.0.finalized().is_none() {
                return Err(BundleRefusal::NotFinalized);
            }
            guard
                .0
                .bundle_input(centre, date, site, room, sexes, app_version)
        };
        certroom_bundle::write(&input, console_key).map_err(BundleRefusal::Bundle)
    }

    /// Stations enrolled at lab set-up, as recorded by this hub.
    pub fn stations(&self) -> Vec<(String, String)> {
        self.lock().1.stations().unwrap_or_default()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ConsoleEvent> {
        self.inner.console.subscribe()
    }

    pub fn sign_in(&self, session: i64, password: &str) -> Result<Authority, WireError> {
        let guard = self.lock();
        let setup = guard.0.setup();
        let ok = session == setup.session
            // Comparing digests keeps the comparison's timing independent of the password.
            && sha256(password.as_bytes()) == sha256(setup.invigilator_password.as_bytes());
        if ok {
            Ok(Authority { session })
        } else {
            Err(WireError {
                code: "room.password".into(),
                message_fr: "Numéro de session ou mot de passe surveillant incorrect.".into(),
                message_en: "Wrong session number or invigilator password.".into(),
                last_n: None,
            })
        }
    }

    /// Runs an invigilator's command.
    pub fn command(&self, authority: &Authority, command: ConsoleCommand) -> Result<(), WireError> {
        // An offer comes with its bytes, which only `offer_bank` has.
        if matches!(command, ConsoleCommand::OfferBank { .. }) {
            return Err(WireError {
                code: "room.invalid".into(),
                message_fr: "La banque s'envoie depuis la console du surveillant.".into(),
                message_en: "The bank pack is sent from the invigilator's console.".into(),
                last_n: None,
            });
        }
        self.run(authority, command)
    }

    fn run(&self, authority: &Authority, command: ConsoleCommand) -> Result<(), WireError> {
        if authority.session != self.lock().0.session() {
            return Err(WireError {
                code: "room.password".into(),
                message_fr: "Connectez-vous à cette session pour agir sur elle.".into(),
                message_en: "Sign in to this session to act on it.".into(),
                last_n: None,
            });
        }
        let enroll = match &command {
            ConsoleCommand::ConfirmPairing { station } => Some(station.clone()),
            _ => None,
        };
        // For the technical log: the kind of command only, never its text (names, reasons).
        let kind = serde_json::to_value(&command)
            .ok()
            .and_then(|v| v.get("type")?.as_str().map(str::to_owned))
            .unwrap_or_default();
        let fx = match self.accept(Input::Console { command }, None) {
            Ok(fx) => {
                tracing::info!(command = %kind, "room: command carried out");
                fx
            }
            Err(e) => {
                tracing::warn!(command = %kind, refused = %e.code, "room: command refused");
                return Err(e);
            }
        };
        if let Some(station) = enroll {
            let guard = self.lock();
            let label = guard
                .0
                .enrolled_stations()
                .find(|(k, _)| **k == station)
                .map(|(_, l)| l.clone());
            if let Some(label) = label {
                let _ = guard.1.enroll_station(&station, &label);
            }
        }
        self.dispatch(fx);
        Ok(())
    }

    /// Applies and logs one input; nothing is changed if either fails.
    fn accept(&self, input: Input, station: Option<&str>) -> Result<Effects, WireError> {
        let at = crate::now();
        let refused = |e: RoomError| {
            let _ = self
                .inner
                .refusals
                .refuse(&at, station, e.code(), &e.to_string());
            let mut w = WireError::from(&e);
            if let RoomError::Replay { last_n } = e {
                w.last_n = Some(last_n);
            }
            w
        };
        let mut guard = self.lock();
        let (room, store) = &mut *guard;
        let applied = match &input {
            Input::Station { station, n, msg } => room
                .admit(station, *n, msg)
                .and_then(|()| room.apply(&input, &at)),
            Input::Console { .. } => room.apply(&input, &at),
        };
        let fx = match applied {
            Ok(fx) => fx,
            Err(e) => {
                drop(guard);
                return Err(refused(e));
            }
        };
        if fx.unrecorded {
            return Ok(fx);
        }
        if let Err(e) = store.log(&at, &input) {
            // The room moved ahead of its record: go back to what the record says.
            tracing::error!("hub log write failed: {e}");
            let hub = self.inner.fingerprint_hex.clone();
            let secret = self.inner.identity.pairing_secret();
            if let Ok(reloaded) = store.load_room(&hub, secret, room.setup().clone()) {
                *room = reloaded;
            }
            return Err(WireError {
                code: "hub.storage".into(),
                message_fr: "Le poste surveillant n'a pas pu enregistrer : réessayez.".into(),
                message_en: "The console could not record this: try again.".into(),
                last_n: None,
            });
        }
        Ok(fx)
    }

    fn dispatch(&self, fx: Effects) {
        let (tiles, room) = {
            let guard = self.lock();
            let tiles: Vec<_> = fx.tiles.iter().filter_map(|id| guard.0.tile(*id)).collect();
            let room = fx.room_changed.then(|| guard.0.view());
            (tiles, room)
        };
        let room = room.map(|v| self.with_bank_progress(v));
        {
            let kiosks = self.inner.kiosks.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(offer) = fx.bank_offered {
                // Not journaled and never `done`: a PC that misses it learns it from `hello`.
                let msg = text(&HubMessage::Command {
                    id: 0,
                    command: certroom_protocol::KioskCommand::BankOffered { offer },
                });
                for tx in kiosks.values() {
                    let _ = tx.send(msg.clone());
                }
            }
            if let Some((station, on)) = fx.speech {
                // Like the bank's offer: not journaled, never `done`; `hello` says it again.
                if let Some(tx) = kiosks.get(&station) {
                    let command = certroom_protocol::KioskCommand::Speech { on };
                    let _ = tx.send(text(&HubMessage::Command { id: 0, command }));
                }
            }
            for (station, id, command) in fx.commands {
                if let Some(tx) = kiosks.get(&station) {
                    let _ = tx.send(text(&HubMessage::Command { id, command }));
                }
            }
        }
        // No console listening is normal (the window may be closed): the record is in the log.
        if let Some(p) = fx.pairing {
            let _ = self.inner.console.send(ConsoleEvent::Pairing {
                station: p.station,
                label: p.label,
                code: p.code,
            });
        }
        for tile in tiles {
            let _ = self.inner.console.send(ConsoleEvent::Tile {
                tile: Box::new(tile),
            });
        }
        if let Some(room) = room {
            let _ = self.inner.console.send(ConsoleEvent::Room {
                room: Box::new(room),
            });
        }
    }

    /// One kiosk frame, on a blocking thread: verify, apply, commit, then answer. The first
    /// accepted frame binds the connection to its station (`tx` receives its commands) before the
    /// effects go out, so commands a `hello` re-sends reach this very connection.
    fn kiosk_frame(
        &self,
        raw: &str,
        bound: &mut Option<String>,
        tx: &mpsc::UnboundedSender<Message>,
    ) -> (Message, bool) {
        let refused = |e: &FrameError, n: u64| {
            let mut w = WireError::from(e);
            if let FrameError::Replay { last_n } = e {
                w.last_n = Some(*last_n);
            }
            text(&HubMessage::Err { n, error: w })
        };
        let signed = match frame::open(raw, &self.inner.fingerprint_hex) {
            Ok(s) => s,
            Err(e) => {
                let _ = self
                    .inner
                    .refusals
                    .refuse(&crate::now(), None, e.code(), &e.to_string());
                return (refused(&e, 0), true);
            }
        };
        if bound.as_deref().is_some_and(|b| b != signed.station) {
            return (refused(&FrameError::StationChanged, signed.n), true);
        }
        let n = signed.n;
        let station = signed.station.clone();
        let input = Input::Station {
            station: signed.station,
            n,
            msg: signed.msg,
        };
        match self.accept(input, Some(&station)) {
            Ok(mut fx) => {
                if bound.is_none() {
                    self.inner
                        .kiosks
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(station.clone(), tx.clone());
                    *bound = Some(station.clone());
                }
                let reply = match fx.bank_chunk.take() {
                    Some((hash, offset)) => Some(self.bank_chunk(&station, hash, offset)),
                    None => fx.reply.take(),
                };
                if matches!(reply, Some(Reply::BankChunk { .. })) {
                    // The console shows each PC's progress.
                    fx.room_changed = true;
                }
                let msg = match reply {
                    Some(reply) => HubMessage::Ok { n, reply },
                    None => HubMessage::Ok {
                        n,
                        reply: Reply::Done,
                    },
                };
                let out = text(&msg);
                self.dispatch(fx);
                (out, false)
            }
            Err(error) => (text(&HubMessage::Err { n, error }), true),
        }
    }

    /// Serves the hub on `bind` until the returned handle is stopped or dropped.
    pub async fn serve(self, bind: SocketAddr) -> Result<RunningHub, HubError> {
        let listener = TcpListener::bind(bind)
            .await
            .map_err(|source| HubError::Bind { addr: bind, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| HubError::Bind { addr: bind, source })?;
        let acceptor = TlsAcceptor::from(self.inner.identity.server_config()?);
        let app = Router::new()
            .route("/v1/kiosk", get(kiosk_socket))
            .route("/v1/console", get(console_socket))
            .route("/v1/health", get(|| async { "ok" }))
            .route("/v1/about", get(about_socket))
            .with_state(self.clone());
        let _ = self.inner.shutdown.send(false);
        let mut stop_rx = self.inner.shutdown.subscribe();
        let connections = Arc::new(crate::connections::Connections::default());
        let hub = self.clone();
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((tcp, peer)) = accepted else { continue };
                        // Beyond the caps the connection is dropped at once: whoever opens
                        // hundreds is not a lab PC.
                        let slot = match connections.take(peer.ip()) {
                            Ok(slot) => Arc::new(slot),
                            Err(refused) => {
                                hub.connection_refused(peer.ip(), refused);
                                continue;
                            }
                        };
                        let _ = tcp.set_nodelay(true);
                        let acceptor = acceptor.clone();
                        let app = app
                            .clone()
                            .layer(axum::Extension(Peer(peer)))
                            .layer(axum::Extension(slot));
                        conns.spawn(async move {
                            let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await else {
                                return;
                            };
                            let svc = TowerToHyperService::new(app);
                            let mut builder = auto::Builder::new(TokioExecutor::new());
                            builder
                                .http1()
                                .timer(TokioTimer::new())
                                .header_read_timeout(HEADER_TIMEOUT);
                            let _ = builder
                                .serve_connection_with_upgrades(TokioIo::new(tls), svc)
                                .await;
                        });
                    }
                    _ = stop_rx.changed() => break,
                    Some(_) = conns.join_next(), if !conns.is_empty() => {}
                }
            }
            conns.abort_all();
        });
        Ok(RunningHub {
            addr,
            hub: self,
            task,
        })
    }
}

pub struct RunningHub {
    pub addr: SocketAddr,
    pub hub: Hub,
    task: tokio::task::JoinHandle<()>,
}

impl RunningHub {
    /// Stops listening and drops every connection (the kiosks then work on and reconnect).
    pub async fn stop(self) {
        // Upgraded WebSockets run on their own tasks: they watch the same signal.
        let _ = self.hub.inner.shutdown.send(true);
        let _ = self.task.await;
        self.hub
            .inner
            .kiosks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref());
    out
}

fn text<T: serde::Serialize>(msg: &T) -> Message {
    Message::Text(serde_json::to_string(msg).unwrap_or_default().into())
}

/// What a lab PC's readiness check compares with its own (`certroom station check`): this
/// software's version and the hub's clock. Nothing in it is secret; it is sent once, then the
/// socket closes.
async fn about_socket(
    axum::Extension(slot): axum::Extension<Arc<Slot>>,
    ws: WebSocketUpgrade,
) -> impl IntoResponse {
    ws.on_upgrade(move |mut socket| async move {
        let _slot = slot;
        let about = certroom_protocol::HubAbout::now();
        if let Ok(text) = serde_json::to_string(&about) {
            let _ = socket.send(Message::Text(text.into())).await;
        }
        let _ = socket.close().await;
    })
}

async fn kiosk_socket(
    State(hub): State<Hub>,
    axum::Extension(slot): axum::Extension<Arc<Slot>>,
    ws: WebSocketUpgrade,
) -> impl IntoResponse {
    ws.max_message_size(MAX_FRAME_BYTES * 4)
        .max_frame_size(MAX_FRAME_BYTES * 4)
        .on_upgrade(move |socket| async move {
            // The connection keeps its place until the WebSocket closes.
            let _slot = slot;
            kiosk_session(hub, socket).await;
        })
}

async fn kiosk_session(hub: Hub, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let writer = tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            if sink.send(m).await.is_err() {
                break;
            }
        }
    });
    let mut bound: Option<String> = None;
    let mut stop = hub.inner.shutdown.subscribe();
    let mut bad = 0u32;
    loop {
        // Until one frame is accepted, the connection is nobody's: it may not idle.
        let idle = if bound.is_none() {
            UNBOUND_IDLE
        } else {
            BOUND_IDLE
        };
        let next = tokio::select! {
            m = tokio::time::timeout(idle, stream.next()) => m.ok().flatten(),
            _ = stop.changed() => None,
        };
        let Some(Ok(msg)) = next else { break };
        let raw = match msg {
            Message::Text(t) => t.to_string(),
            Message::Binary(_) => {
                let e = FrameError::Malformed("binary frame".into());
                let _ = hub
                    .inner
                    .refusals
                    .refuse(&crate::now(), None, e.code(), &e.to_string());
                let _ = tx.send(text(&HubMessage::Err {
                    n: 0,
                    error: WireError::from(&e),
                }));
                bad += 1;
                if bad > MAX_BAD_FRAMES {
                    break;
                }
                continue;
            }
            Message::Close(_) => break,
            _ => continue,
        };
        let h = hub.clone();
        let mut b = bound.clone();
        let t = tx.clone();
        let Ok((reply, refused, b)) = tokio::task::spawn_blocking(move || {
            let (reply, refused) = h.kiosk_frame(&raw, &mut b, &t);
            (reply, refused, b)
        })
        .await
        else {
            break;
        };
        bound = b;
        if tx.send(reply).is_err() {
            break;
        }
        // A kiosk's frame is refused now and then (a replay after a reconnection); a stream of
        // refusals is someone else.
        if refused {
            bad += 1;
            if bad > MAX_BAD_FRAMES {
                break;
            }
        }
    }
    if let Some(station) = bound {
        let mut kiosks = hub.inner.kiosks.lock().unwrap_or_else(|p| p.into_inner());
        if kiosks.get(&station).is_some_and(|t| t.same_channel(&tx)) {
            kiosks.remove(&station);
        }
    }
    drop(tx);
    let _ = writer.await;
}

async fn console_socket(
    State(hub): State<Hub>,
    axum::Extension(Peer(peer)): axum::Extension<Peer>,
    axum::Extension(slot): axum::Extension<Arc<Slot>>,
    ws: WebSocketUpgrade,
) -> impl IntoResponse {
    ws.max_message_size(64 * 1024)
        .on_upgrade(move |socket| async move {
            let _slot = slot;
            console_session(hub, socket, peer.ip()).await;
        })
}

impl Hub {
    /// A connection dropped at its first byte: recorded without an fsync, and raised on the
    /// console the first time an address goes over its share (not at every try).
    fn connection_refused(&self, from: std::net::IpAddr, why: Refused) {
        let (code, first) = match why {
            Refused::Full => ("room.connections_full", false),
            Refused::TooMany { first } => ("room.connections_from", first),
        };
        let _ = self
            .inner
            .refusals
            .refuse(&crate::now(), None, code, &from.to_string());
        if first {
            let _ = self.inner.console.send(ConsoleEvent::Error {
                error: WireError {
                    code: code.into(),
                    message_fr: format!(
                        "{from} ouvre plus de {MAX_PER_ADDRESS} connexions au poste surveillant : ce \
                         n'est pas un poste de la salle, débranchez-le."
                    ),
                    message_en: format!(
                        "{from} opens more than {MAX_PER_ADDRESS} connections to the console: it is \
                         not a lab PC, unplug it."
                    ),
                    last_n: None,
                },
            });
        }
    }

    /// A sign-in over the network: refused without comparing while the address waits; a wrong
    /// password is recorded and raised on the console.
    fn remote_sign_in(
        &self,
        from: std::net::IpAddr,
        session: i64,
        password: &str,
    ) -> Result<Authority, WireError> {
        let guard = &self.inner.guard;
        if let Err(wait) = guard.may_try(from, std::time::Instant::now()) {
            let secs = wait.as_secs().max(1);
            return Err(WireError {
                code: "room.signin_locked".into(),
                message_fr: format!(
                    "Trop de mots de passe erronés depuis cette adresse : réessayez dans {secs} s."
                ),
                message_en: format!(
                    "Too many wrong passwords from this address: try again in {secs} s."
                ),
                last_n: None,
            });
        }
        match self.sign_in(session, password) {
            Ok(a) => {
                guard.succeeded(from);
                Ok(a)
            }
            Err(e) => {
                let n = guard.failed(from, std::time::Instant::now());
                let detail = format!("{from} ({n})");
                let _ =
                    self.inner
                        .refusals
                        .refuse(&crate::now(), None, "room.signin_failed", &detail);
                let _ = self.inner.console.send(ConsoleEvent::Error {
                    error: WireError {
                        code: "room.signin_failed".into(),
                        message_fr: format!(
                            "Mot de passe surveillant erroné depuis {from} ({n} fois) : si ce n'est \
                             pas un surveillant, signalez-le."
                        ),
                        message_en: format!(
                            "Wrong invigilator password from {from} ({n} times): if it is not an \
                             invigilator, report it."
                        ),
                        last_n: None,
                    },
                });
                Err(e)
            }
        }
    }
}

async fn console_session(hub: Hub, mut socket: WebSocket, from: std::net::IpAddr) {
    // Sign in first; nothing of the room is sent before.
    let authority = loop {
        let Ok(Some(Ok(msg))) = tokio::time::timeout(UNBOUND_IDLE, socket.recv()).await else {
            return;
        };
        let Message::Text(t) = msg else { continue };
        match serde_json::from_str::<ConsoleRequest>(&t) {
            Ok(ConsoleRequest::SignIn { session, password }) => {
                let h = hub.clone();
                let signed_in =
                    tokio::task::spawn_blocking(move || h.remote_sign_in(from, session, &password))
                        .await;
                match signed_in {
                    Ok(Ok(a)) => break a,
                    Ok(Err(error)) => {
                        let locked = error.code == "room.signin_locked";
                        let _ = socket.send(text(&ConsoleEvent::Error { error })).await;
                        if locked {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            }
            _ => {
                let e = FrameError::Malformed("sign in first".into());
                let _ = socket
                    .send(text(&ConsoleEvent::Error {
                        error: WireError::from(&e),
                    }))
                    .await;
            }
        }
    };
    let mut events = hub.subscribe();
    let mut stop = hub.inner.shutdown.subscribe();
    let view = hub.view();
    if socket
        .send(text(&ConsoleEvent::SignedIn {
            room: Box::new(view),
        }))
        .await
        .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            ev = events.recv() => {
                let out = match ev {
                    Ok(ev) => ev,
                    // Too slow to follow every event: send the whole room instead.
                    Err(broadcast::error::RecvError::Lagged(_)) => ConsoleEvent::Room { room: Box::new(hub.view()) },
                    Err(broadcast::error::RecvError::Closed) => break,
                };
                if socket.send(text(&out)).await.is_err() {
                    break;
                }
            }
            msg = socket.recv() => {
                let Some(Ok(msg)) = msg else { break };
                let Message::Text(t) = msg else { continue };
                let reply = match serde_json::from_str::<ConsoleRequest>(&t) {
                    Ok(ConsoleRequest::Command { id, command }) => {
                        let h = hub.clone();
                        let a = authority.clone();
                        let result = tokio::task::spawn_blocking(move || h.command(&a, command))
                            .await
                            .unwrap_or_else(|_| Err(WireError::from(&FrameError::Malformed("internal".into()))));
                        ConsoleEvent::Reply { id, result }
                    }
                    Ok(ConsoleRequest::SignIn { .. }) => continue,
                    Err(e) => ConsoleEvent::Error { error: WireError::from(&FrameError::Malformed(e.to_string())) },
                };
                if socket.send(text(&reply)).await.is_err() {
                    break;
                }
            }
        }
    }
}
