//! Sending the outbox to the certification service. Exactly once comes from the service: a
//! bundle is identified by its id and content hash, so sending it again (after a lost reply, a
//! console restart mid-upload) returns the same receipt instead of a second record. Here we only
//! retry: exponential backoff with jitter, so a room of consoles coming back online after an
//! outage does not hit the service all at the same second.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use certroom_certificate::keys::{KeyError, ServiceKeys};

use certroom_protocol::{BundleStatus, Receipt};
use hyper_rustls::ConfigBuilderExt;
use serde::Serialize;

use crate::outbox::{Item, Outbox, OutboxError};

/// First retry after this, doubling up to `MAX_DELAY`.
pub const BASE_DELAY: Duration = Duration::from_secs(2);
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub sent: usize,
    pub rejected: usize,
    pub failed: usize,
    pub pending: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error("client HTTP : {0}")]
    Client(String),
}

type Https = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    http_body_util::Full<bytes::Bytes>,
>;

pub struct Uploader {
    client: Https,
    base: String,
    /// The service's keys, pinned by the console: a receipt none of them signed is no receipt.
    /// Grows when a receipt names a key the service added since (a rotation).
    keys: Mutex<ServiceKeys>,
    /// Milliseconds: the retry schedule is counted from here (tests shrink it).
    base_delay_ms: u64,
}

impl Uploader {
    /// `base` is the service's address, e.g. `https://certification.example.fr`; `keys` the
    /// keys its receipts must be signed with (a pinned key, and the key set last accepted).
    pub fn new(base: &str, keys: impl Into<ServiceKeys>) -> Result<Self, SyncError> {
        let client = client()?;
        Ok(Uploader {
            client,
            base: base.trim_end_matches('/').to_owned(),
            keys: Mutex::new(keys.into()),
            base_delay_ms: BASE_DELAY.as_millis() as u64,
        })
    }

    /// The keys trusted now: the caller keeps them when they grew.
    pub fn keys(&self) -> ServiceKeys {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn key(&self, id: u16) -> Result<[u8; 32], KeyError> {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).key(id)
    }

    /// Whether a key the console trusts, numbered `id`, passes `check`. When none does, the
    /// key may be one the service added since (a rotation): its key set is fetched once and
    /// taken if it follows from the keys trusted (docs/certificate-format.md §10).
    /// The error says why in French, then English.
    async fn signed_by_service(
        &self,
        id: u16,
        check: impl Fn(&[u8; 32]) -> bool,
    ) -> Result<(), String> {
        const NOT_SIGNED: &str = "non signé par la clé du service / not signed by the \
                                  service's key";
        if self.key(id).is_ok_and(|k| check(&k)) {
            return Ok(());
        }
        let set = crate::results::fetch_key_set(&self.base)
            .await
            .map_err(|e| format!("{NOT_SIGNED} ({e})"))?;
        self.keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .accept(set)
            .map_err(|e| format!("{NOT_SIGNED} : {} / {}", e.message_fr(), e.message_en()))?;
        match self.key(id) {
            Ok(k) if check(&k) => Ok(()),
            Ok(_) => Err(NOT_SIGNED.into()),
            Err(e) => Err(format!(
                "{NOT_SIGNED} : {} / {}",
                e.message_fr(),
                e.message_en()
            )),
        }
    }

    pub fn with_base_delay(mut self, delay: Duration) -> Self {
        self.base_delay_ms = delay.as_millis() as u64;
        self
    }

    /// Sends every due bundle once; failures are scheduled again.
    pub async fn run_once(&self, outbox: &Outbox) -> Result<Progress, SyncError> {
        let now = now_ms();
        let mut p = Progress {
            sent: 0,
            rejected: 0,
            failed: 0,
            pending: 0,
        };
        for (item, bytes) in outbox.due(now)? {
            let outcome = match self.send(&bytes).await {
                Outcome::Receipt(r) => {
                    match self.signed_by_service(r.key_id, |k| r.verify(k)).await {
                        Ok(()) => Outcome::Receipt(r),
                        Err(why) => Outcome::Forged(why),
                    }
                }
                other => other,
            };
            match outcome {
                Outcome::Forged(why) => {
                    let why = format!("reçu / receipt: {why}");
                    outbox.record_failure(item.id, &why, now + self.delay_ms(item.attempts))?;
                    p.failed += 1;
                }
                Outcome::Receipt(r)
                    if r.bundle_id == item.bundle_id && r.content_hash == item.content_hash =>
                {
                    let json = serde_json::to_string(&r).unwrap_or_default();
                    outbox.record_receipt(item.id, &json)?;
                    p.sent += 1;
                }
                Outcome::Receipt(r) => {
                    let why = format!(
                        "reçu d'un autre lot ({}) / receipt for another bundle",
                        r.bundle_id
                    );
                    outbox.record_failure(item.id, &why, now + self.delay_ms(item.attempts))?;
                    p.failed += 1;
                }
                Outcome::Refused(why) => {
                    outbox.record_rejection(item.id, &why)?;
                    p.rejected += 1;
                }
                Outcome::Retry(why) => {
                    outbox.record_failure(item.id, &why, now + self.delay_ms(item.attempts))?;
                    p.failed += 1;
                }
            }
        }
        p.pending = outbox
            .items()?
            .iter()
            .filter(|i| i.state == crate::outbox::State::Pending)
            .count();
        Ok(p)
    }

    /// Keeps sending until nothing is pending or `deadline` passes.
    pub async fn drain(&self, outbox: &Outbox, deadline: Duration) -> Result<Progress, SyncError> {
        let end = tokio::time::Instant::now() + deadline;
        loop {
            let p = self.run_once(outbox).await?;
            if p.pending == 0 || tokio::time::Instant::now() >= end {
                return Ok(p);
            }
            let wait = outbox
                .next_due()?
                .map_or(0, |due| due - now_ms())
                .clamp(10, 1000);
            tokio::time::sleep(Duration::from_millis(wait as u64)).await;
        }
    }

    /// Exponential backoff with full jitter in [delay/2, delay].
    fn delay_ms(&self, attempts: u32) -> i64 {
        let exp = self
            .base_delay_ms
            .saturating_mul(1u64 << attempts.min(20))
            .min(MAX_DELAY.as_millis() as u64);
        let mut b = [0u8; 8];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
        let jitter = u64::from_le_bytes(b) % (exp / 2 + 1);
        i64::try_from(exp / 2 + jitter).unwrap_or(i64::MAX)
    }

    async fn send(&self, bytes: &[u8]) -> Outcome {
        let request = match hyper::Request::post(format!("{}/v1/bundles", self.base))
            .header("content-type", "application/octet-stream")
            .body(http_body_util::Full::new(bytes::Bytes::copy_from_slice(
                bytes,
            ))) {
            Ok(r) => r,
            Err(e) => return Outcome::Refused(format!("adresse invalide / invalid address: {e}")),
        };
        let (status, body) = match self.exchange(request).await {
            Ok(r) => r,
            Err(why) => return Outcome::Retry(why),
        };
        if status.is_success() {
            return match serde_json::from_str::<Receipt>(&body) {
                Ok(r) => Outcome::Receipt(r),
                Err(e) => Outcome::Retry(format!("reçu illisible / unreadable receipt: {e}")),
            };
        }
        // The service looked at the bundle and refused it: sending it again cannot help.
        let code = status.as_u16();
        let permanent = status.is_client_error() && code != 408 && code != 429;
        let why = refusal_text(code, &body);
        if permanent {
            Outcome::Refused(why)
        } else {
            Outcome::Retry(why)
        }
    }
}

impl Uploader {
    /// Asks the service where each sent bundle it may still decide on stands (a jury to come),
    /// and keeps every signed answer in the outbox. Returns how many it kept; the first error,
    /// if any, once every bundle was asked.
    pub async fn read_back(&self, outbox: &Outbox) -> Result<usize, String> {
        let mut kept = 0;
        let mut first_error = None;
        for item in outbox
            .items()
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(Item::awaits_service)
        {
            match self.status(&item.bundle_id).await {
                Ok(s) => {
                    outbox
                        .record_service_status(item.id, &s.status, &s.as_of)
                        .map_err(|e| e.to_string())?;
                    kept += 1;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(kept), Err)
    }

    /// Where a sent bundle stands at the service now. Only an answer signed by the pinned key
    /// for this very bundle counts; the error says why in French first.
    pub async fn status(&self, bundle_id: &str) -> Result<BundleStatus, String> {
        let url = format!("{}/v1/bundles/{bundle_id}/status", self.base);
        let request = hyper::Request::get(url)
            .header("accept", "application/json")
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .map_err(|e| format!("adresse invalide / invalid address: {e}"))?;
        let (status, body) = self.exchange(request).await?;
        if !status.is_success() {
            return Err(refusal_text(status.as_u16(), &body));
        }
        let s: BundleStatus = serde_json::from_str(&body)
            .map_err(|e| format!("réponse illisible / unreadable answer: {e}"))?;
        if s.bundle_id != bundle_id {
            return Err("état d'un autre lot / status of another bundle".into());
        }
        self.signed_by_service(s.key_id, |k| s.verify(k))
            .await
            .map_err(|why| format!("état / status: {why}"))?;
        Ok(s)
    }

    /// One request, its status and body; an error when the service cannot be reached.
    async fn exchange(
        &self,
        request: hyper::Request<http_body_util::Full<bytes::Bytes>>,
    ) -> Result<(hyper::StatusCode, String), String> {
        use http_body_util::BodyExt;
        let sent = tokio::time::timeout(Duration::from_secs(60), async {
            let resp = self
                .client
                .request(request)
                .await
                .map_err(|e| e.to_string())?;
            let status = resp.status();
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, String>((status, String::from_utf8_lossy(&body).into_owned()))
        })
        .await;
        match sent {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(format!("service injoignable / unreachable: {e}")),
            Err(_) => Err("service injoignable / unreachable: timeout".into()),
        }
    }
}

/// What a refusal says to a person: the service's French and English messages when it sent
/// its error document, the status and the start of the body otherwise.
pub fn refusal_text(code: u16, body: &str) -> String {
    #[derive(serde::Deserialize)]
    struct ServiceError {
        message_fr: String,
        message_en: String,
    }
    match serde_json::from_str::<ServiceError>(body) {
        Ok(e) => format!("{} / {} (HTTP {code})", e.message_fr, e.message_en),
        Err(_) => format!(
            "HTTP {code}: {}",
            body.chars().take(500).collect::<String>()
        ),
    }
}

/// An HTTP client for the certification service: rustls with the ring provider and the Mozilla
/// roots (the same crypto as the rest of the software; no system OpenSSL); plain HTTP only for
/// a service on loopback (tests, the demo).
pub(crate) fn client() -> Result<Https, SyncError> {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| SyncError::Client(e.to_string()))?
    .with_webpki_roots()
    .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    Ok(
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(https),
    )
}

enum Outcome {
    Receipt(Receipt),
    /// A receipt no trusted key signed, and why.
    Forged(String),
    Refused(String),
    Retry(String),
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
