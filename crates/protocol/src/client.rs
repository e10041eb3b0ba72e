//! The kiosk's and the remote console's side of the hub connection: TLS pinned on the hub's
//! fingerprint, then a WebSocket carrying signed frames (kiosk) or the console protocol.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use ring::signature::Ed25519KeyPair;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::console::{ConsoleCommand, ConsoleEvent, ConsoleRequest};
use crate::error::WireError;
use crate::frame;
use crate::kiosk::{HubMessage, KioskCommand, KioskMessage, Reply};
use crate::pin::{
    pinned_client_config, recording_client_config, server_name, Fingerprint, SERVER_NAME,
};

pub type Socket = WebSocketStream<TlsStream<TcpStream>>;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("poste surveillant injoignable : {0} / hub unreachable")]
    Unreachable(String),
    #[error("le poste surveillant n'est pas celui de cette salle (certificat inattendu) / hub certificate does not match the pin: {0}")]
    NotTheHub(String),
    #[error("connexion au poste surveillant perdue / hub connection lost")]
    Closed,
    #[error("pas de réponse du poste surveillant / hub did not answer")]
    Timeout,
    #[error("{}", .0.message_fr)]
    Refused(WireError),
}

impl LinkError {
    pub fn code(&self) -> &str {
        match self {
            Self::Unreachable(_) => "link.unreachable",
            Self::NotTheHub(_) => "link.not_the_hub",
            Self::Closed => "link.closed",
            Self::Timeout => "link.timeout",
            Self::Refused(w) => &w.code,
        }
    }
}

/// TLS with the pin, then the WebSocket upgrade on `path`.
pub async fn connect_socket(
    addr: SocketAddr,
    pin: Fingerprint,
    path: &str,
) -> Result<Socket, LinkError> {
    connect_socket_from(None, addr, pin, path).await
}

/// [`connect_socket`] from a chosen local address (another PC of the lab, in tests).
pub async fn connect_socket_from(
    local: Option<std::net::IpAddr>,
    addr: SocketAddr,
    pin: Fingerprint,
    path: &str,
) -> Result<Socket, LinkError> {
    let config = pinned_client_config(pin).map_err(|e| LinkError::Unreachable(e.to_string()))?;
    let tls = connect_tls(local, addr, config).await?;
    let url = format!("wss://{}{path}", SERVER_NAME);
    let (ws, _) = tokio_tungstenite::client_async(url, tls)
        .await
        .map_err(|e| LinkError::Unreachable(e.to_string()))?;
    Ok(ws)
}

async fn connect_tls(
    local: Option<std::net::IpAddr>,
    addr: SocketAddr,
    config: Arc<rustls::ClientConfig>,
) -> Result<TlsStream<TcpStream>, LinkError> {
    let connect = async {
        match local {
            None => TcpStream::connect(addr).await,
            Some(ip) => {
                let socket = if ip.is_ipv4() {
                    tokio::net::TcpSocket::new_v4()?
                } else {
                    tokio::net::TcpSocket::new_v6()?
                };
                socket.bind(SocketAddr::new(ip, 0))?;
                socket.connect(addr).await
            }
        }
    };
    let tcp = tokio::time::timeout(REQUEST_TIMEOUT, connect)
        .await
        .map_err(|_| LinkError::Timeout)?
        .map_err(|e| LinkError::Unreachable(e.to_string()))?;
    let _ = tcp.set_nodelay(true);
    TlsConnector::from(config)
        .connect(server_name(), tcp)
        .await
        .map_err(|e| {
            if e.to_string().contains("certificate") {
                LinkError::NotTheHub(e.to_string())
            } else {
                LinkError::Unreachable(e.to_string())
            }
        })
}

/// The fingerprint of the certificate the hub at `addr` presents (its key signed the TLS 1.3
/// handshake). Nothing authenticates it yet: a PC paired by name pins it only once the
/// technician has seen the same pairing code on both screens.
pub async fn fetch_fingerprint(addr: SocketAddr) -> Result<Fingerprint, LinkError> {
    let (config, seen) =
        recording_client_config().map_err(|e| LinkError::Unreachable(e.to_string()))?;
    drop(connect_tls(None, addr, config).await?);
    let seen = *seen.lock().unwrap_or_else(|p| p.into_inner());
    seen.ok_or_else(|| LinkError::Unreachable("no certificate".into()))
}

/// The hub's version and clock, as `GET /v1/about` sends them over the pinned connection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HubAbout {
    /// The certroom version the console runs.
    pub version: String,
    /// The hub's clock, milliseconds since the Unix epoch.
    pub time_ms: i64,
}

impl HubAbout {
    pub fn now() -> HubAbout {
        HubAbout {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            time_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        }
    }
}

/// Asks the pinned hub its version and the time; also says the hub is up and is the one pinned.
pub async fn hub_about(addr: SocketAddr, pin: Fingerprint) -> Result<HubAbout, LinkError> {
    let mut socket = connect_socket(addr, pin, "/v1/about").await?;
    let first = tokio::time::timeout(REQUEST_TIMEOUT, socket.next())
        .await
        .map_err(|_| LinkError::Timeout)?;
    match first {
        Some(Ok(Message::Text(text))) => serde_json::from_str(text.as_str())
            .map_err(|e| LinkError::Unreachable(format!("about: {e}"))),
        other => Err(LinkError::Unreachable(format!("about: {other:?}"))),
    }
}

type Waiters<T = Reply> = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<T, WireError>>>>>;

/// A kiosk's live connection. Requests are answered after the hub committed them; commands the
/// invigilator sends arrive on the receiver returned by [`KioskLink::connect`].
pub struct KioskLink {
    sink: tokio::sync::Mutex<SplitSink<Socket, Message>>,
    waiters: Waiters,
    key: Arc<Ed25519KeyPair>,
    hub: String,
    counter: Arc<AtomicU64>,
    reader: tokio::task::JoinHandle<()>,
    tap: std::sync::OnceLock<mpsc::UnboundedSender<String>>,
}

impl Drop for KioskLink {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl KioskLink {
    /// `counter` is shared across reconnections: a frame's number must keep growing.
    pub async fn connect(
        addr: SocketAddr,
        pin: Fingerprint,
        key: Arc<Ed25519KeyPair>,
        counter: Arc<AtomicU64>,
    ) -> Result<(Self, mpsc::UnboundedReceiver<(u64, KioskCommand)>), LinkError> {
        let ws = connect_socket(addr, pin, "/v1/kiosk").await?;
        let (sink, stream) = ws.split();
        let waiters: Waiters = Arc::new(Mutex::new(HashMap::new()));
        let (tx, rx) = mpsc::unbounded_channel();
        let reader = tokio::spawn(read_hub(stream, waiters.clone(), tx));
        Ok((
            KioskLink {
                sink: tokio::sync::Mutex::new(sink),
                waiters,
                key,
                hub: pin.to_hex(),
                counter,
                reader,
                tap: std::sync::OnceLock::new(),
            },
            rx,
        ))
    }

    fn next_n(&self) -> u64 {
        // Microseconds since the epoch keep growing across restarts of the kiosk; the counter
        // keeps them growing within one even if the clock steps back.
        let now = u64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_micros())
                .unwrap_or(0),
        )
        .unwrap_or(u64::MAX);
        let mut cur = self.counter.load(Ordering::SeqCst);
        loop {
            let next = now.max(cur + 1);
            match self
                .counter
                .compare_exchange(cur, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return next,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Lab set-up: asks the hub to enrol this PC's key. `None`: it already is; otherwise the
    /// pairing code to show, which the console shows too until the invigilator confirms it.
    pub async fn pair(&self, label: &str) -> Result<Option<String>, LinkError> {
        let station = frame::station_id(&self.key);
        let nonce = crate::pairing::new_nonce();
        let reply = self
            .request(KioskMessage::Pair {
                label: label.to_owned(),
                commitment: crate::pairing::commitment(&station, &nonce),
            })
            .await?;
        let hub_nonce = match reply {
            Reply::Pairing { enrolled: true, .. } => return Ok(None),
            Reply::Pairing { hub_nonce, .. } => hub_nonce,
            other => return Err(LinkError::Unreachable(format!("pair: {other:?}"))),
        };
        match self
            .request(KioskMessage::PairReveal {
                nonce: nonce.clone(),
            })
            .await?
        {
            Reply::CodeShown => Ok(Some(crate::pairing::pairing_code(
                &self.hub, &station, &nonce, &hub_nonce,
            ))),
            other => Err(LinkError::Unreachable(format!("pair_reveal: {other:?}"))),
        }
    }

    /// Sends one signed message and waits for the hub's committed answer.
    pub async fn request(&self, msg: KioskMessage) -> Result<Reply, LinkError> {
        match self.request_once(msg.clone()).await {
            // Our counter fell behind the hub's (a kiosk clock stepped back): catch up once.
            Err(LinkError::Refused(w)) if w.code == "hub.replay" => {
                if let Some(last) = w.last_n {
                    self.counter.fetch_max(last, Ordering::SeqCst);
                }
                self.request_once(msg).await
            }
            other => other,
        }
    }

    async fn request_once(&self, msg: KioskMessage) -> Result<Reply, LinkError> {
        let (tx, rx) = oneshot::channel();
        let n;
        {
            let mut sink = self.sink.lock().await;
            n = self.next_n();
            let frame = frame::seal(&self.key, &self.hub, n, msg);
            self.waiters
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(n, tx);
            let text = serde_json::to_string(&frame).unwrap_or_default();
            if let Some(tap) = self.tap.get() {
                let _ = tap.send(text.clone());
            }
            sink.send(Message::Text(text.into()))
                .await
                .map_err(|_| LinkError::Closed)?;
        }
        match tokio::time::timeout(REQUEST_TIMEOUT, rx).await {
            Ok(Ok(Ok(reply))) => Ok(reply),
            Ok(Ok(Err(w))) => Err(LinkError::Refused(w)),
            Ok(Err(_)) => Err(LinkError::Closed),
            Err(_) => {
                self.waiters
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&n);
                Err(LinkError::Timeout)
            }
        }
    }

    /// Sends raw text on the connection (tests use it to replay or forge frames).
    pub async fn send_raw(&self, text: String) -> Result<(), LinkError> {
        self.sink
            .lock()
            .await
            .send(Message::Text(text.into()))
            .await
            .map_err(|_| LinkError::Closed)
    }

    /// Copies every frame this link sends to `tap`, as someone recording the wire would keep
    /// them: the attack simulation replays them at the hub. Set once; later calls are ignored.
    pub fn tap(&self, tap: mpsc::UnboundedSender<String>) {
        let _ = self.tap.set(tap);
    }

    pub fn is_closed(&self) -> bool {
        self.reader.is_finished()
    }
}

async fn read_hub(
    mut stream: SplitStream<Socket>,
    waiters: Waiters,
    commands: mpsc::UnboundedSender<(u64, KioskCommand)>,
) {
    while let Some(Ok(msg)) = stream.next().await {
        let Message::Text(t) = msg else { continue };
        let Ok(parsed) = serde_json::from_str::<HubMessage>(&t) else {
            continue;
        };
        let (n, result) = match parsed {
            HubMessage::Ok { n, reply } => (n, Ok(reply)),
            HubMessage::Err { n, error } => (n, Err(error)),
            HubMessage::Command { id, command } => {
                let _ = commands.send((id, command));
                continue;
            }
        };
        let waiter = waiters.lock().unwrap_or_else(|p| p.into_inner()).remove(&n);
        if let Some(w) = waiter {
            let _ = w.send(result);
        }
    }
    // Dropping the waiters tells every pending request the connection is gone.
    waiters.lock().unwrap_or_else(|p| p.into_inner()).clear();
}

/// A remote invigilator's console (the simulation's observer, a second screen).
pub struct ConsoleLink {
    sink: tokio::sync::Mutex<SplitSink<Socket, Message>>,
    waiters: Waiters<()>,
    next: AtomicU64,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for ConsoleLink {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl ConsoleLink {
    pub async fn connect(
        addr: SocketAddr,
        pin: Fingerprint,
        session: i64,
        password: &str,
    ) -> Result<(Self, mpsc::UnboundedReceiver<ConsoleEvent>), LinkError> {
        let mut ws = connect_socket(addr, pin, "/v1/console").await?;
        let sign_in = ConsoleRequest::SignIn {
            session,
            password: password.to_owned(),
        };
        ws.send(Message::Text(
            serde_json::to_string(&sign_in).unwrap_or_default().into(),
        ))
        .await
        .map_err(|_| LinkError::Closed)?;
        let first = tokio::time::timeout(REQUEST_TIMEOUT, ws.next())
            .await
            .map_err(|_| LinkError::Timeout)?;
        let first = match first {
            Some(Ok(Message::Text(t))) => serde_json::from_str::<ConsoleEvent>(&t).ok(),
            _ => None,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        match first {
            Some(ev @ ConsoleEvent::SignedIn { .. }) => {
                let _ = tx.send(ev);
            }
            Some(ConsoleEvent::Error { error }) => return Err(LinkError::Refused(error)),
            _ => return Err(LinkError::Closed),
        }
        let (sink, mut stream) = ws.split();
        let waiters: Waiters<()> = Arc::new(Mutex::new(HashMap::new()));
        let w = waiters.clone();
        let reader = tokio::spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Text(t) = msg else { continue };
                let Ok(ev) = serde_json::from_str::<ConsoleEvent>(&t) else {
                    continue;
                };
                if let ConsoleEvent::Reply { id, result } = ev {
                    let waiter = w.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
                    if let Some(waiter) = waiter {
                        let _ = waiter.send(result);
                    }
                } else if tx.send(ev).is_err() {
                    break;
                }
            }
        });
        Ok((
            ConsoleLink {
                sink: tokio::sync::Mutex::new(sink),
                waiters,
                next: AtomicU64::new(1),
                reader,
            },
            rx,
        ))
    }

    pub async fn command(&self, command: ConsoleCommand) -> Result<(), LinkError> {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        self.waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, tx);
        let req = ConsoleRequest::Command { id, command };
        self.sink
            .lock()
            .await
            .send(Message::Text(
                serde_json::to_string(&req).unwrap_or_default().into(),
            ))
            .await
            .map_err(|_| LinkError::Closed)?;
        match tokio::time::timeout(REQUEST_TIMEOUT, rx).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(w))) => Err(LinkError::Refused(w)),
            Ok(Err(_)) => Err(LinkError::Closed),
            Err(_) => Err(LinkError::Timeout),
        }
    }
}
