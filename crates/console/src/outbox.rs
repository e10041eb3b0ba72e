//! The finalized session's bundle on its way to the certification service: checked and kept in
//! the outbox (certroom-sync), sent at once and then in the background by a task on the
//! console's runtime (after a restart too), every receipt checked against the service key the
//! console pinned. What goes wrong is kept and shown, never dropped.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use certroom_durable::{write_atomically, Access};
use certroom_sync::{Item, Outbox, Uploader};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::{Console, ConsoleError};

pub const OUTBOX_FILE: &str = "outbox.db";
/// The service this console sends to, and the key its receipts must carry.
pub const SERVICE_FILE: &str = "service.json";

/// How long a "send" waits for the service before leaving the rest to the background.
const SEND_NOW: Duration = Duration::from_secs(15);
/// How long the background sender tries at each wake-up, and how often it wakes.
const BACKGROUND_SLICE: Duration = Duration::from_secs(5);
const BACKGROUND_PERIOD: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLink {
    pub url: String,
    /// Hex Ed25519 public key of the service (taken from it on the first send, and shown).
    pub key: String,
    /// The service's key set last accepted for that key (docs/certificate-format.md §10):
    /// fetched when a receipt names a key this console has not seen yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<certroom_certificate::KeySet>,
}

impl ServiceLink {
    pub(crate) fn load(dir: &Path) -> Result<Option<Self>, ConsoleError> {
        match std::fs::read(dir.join(SERVICE_FILE)) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| ConsoleError::internal(SERVICE_FILE, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ConsoleError::internal(SERVICE_FILE, e)),
        }
    }

    fn save(&self, dir: &Path) -> Result<(), ConsoleError> {
        let bytes =
            serde_json::to_vec_pretty(self).map_err(|e| ConsoleError::internal("service", e))?;
        write_atomically(&dir.join(SERVICE_FILE), &bytes, Access::Shared)
            .map_err(|e| ConsoleError::internal(SERVICE_FILE, e))
    }

    fn uploader(&self) -> Result<Uploader, String> {
        let key = hex::decode(&self.key)
            .ok()
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .ok_or_else(|| {
                format!("{SERVICE_FILE}: clé du service illisible / unreadable service key")
            })?;
        let keys = certroom_certificate::ServiceKeys::pinned_with(key, self.keys.clone())
            .map_err(|e| format!("{SERVICE_FILE}: {} / {}", e.message_fr(), e.message_en()))?;
        Uploader::new(&self.url, keys).map_err(|e| e.to_string())
    }
}

/// What the session page shows of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct OutboxStatus {
    pub items: Vec<Item>,
    pub service_url: Option<String>,
    pub service_key: Option<String>,
    /// The last failure of the sender itself (not of one bundle: those are in `items`).
    pub sender_error: Option<String>,
}

/// The outbox and the background sender that drains it.
pub(crate) struct Sender {
    outbox: Arc<Outbox>,
    wake: Arc<Notify>,
    error: Arc<Mutex<Option<String>>>,
}

impl Sender {
    pub(crate) fn open(dir: &Path) -> Result<Self, ConsoleError> {
        let outbox = Outbox::open(&dir.join(OUTBOX_FILE))
            .map_err(|e| ConsoleError::internal("outbox", e))?;
        Ok(Sender {
            outbox: Arc::new(outbox),
            wake: Arc::new(Notify::new()),
            error: Arc::new(Mutex::new(None)),
        })
    }

    /// The background sender: pending bundles go out as soon as the service answers, including
    /// after a restart of the console.
    pub(crate) fn start(&self, runtime: &tokio::runtime::Runtime, dir: std::path::PathBuf) {
        let (outbox, wake, error) = (self.outbox.clone(), self.wake.clone(), self.error.clone());
        runtime.spawn(async move {
            loop {
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(BACKGROUND_PERIOD) => {}
                }
                let result = match ServiceLink::load(&dir) {
                    Ok(None) => Ok(()),
                    Ok(Some(link)) => drain(&outbox, &link, &dir, BACKGROUND_SLICE).await,
                    Err(e) => Err(e.message_fr),
                };
                if let Err(e) = &result {
                    tracing::warn!(error = %e, "outbox: background send failed");
                }
                *error.lock().unwrap_or_else(|p| p.into_inner()) = result.err();
            }
        });
    }
}

/// Sends what is due, then asks the service where the sent bundles stand (a jury may have
/// decided since): the session page and list show it, after a restart too. Keys the service
/// added meanwhile (a rotation) are kept with the link.
async fn drain(
    outbox: &Outbox,
    link: &ServiceLink,
    dir: &Path,
    within: Duration,
) -> Result<(), String> {
    let up = link.uploader()?;
    let sent = up.drain(outbox, within).await.map_err(|e| e.to_string());
    let read = match sent {
        Ok(_) => up.read_back(outbox).await.map(drop),
        Err(e) => Err(e),
    };
    let keys = up.keys().set().cloned();
    if keys.is_some() && keys != link.keys {
        let grown = ServiceLink {
            keys,
            ..link.clone()
        };
        grown.save(dir).map_err(|e| e.message_fr)?;
    }
    read
}

pub(crate) fn parse_service_url(text: &str) -> Result<String, ConsoleError> {
    certroom_core::service_url::checked(text).map_err(|why| {
        ConsoleError::new(
            "outbox.url",
            format!("Adresse du service de certification refusée : {why}"),
            format!("Certification service address refused: {why}"),
        )
    })
}

impl Console {
    /// What waits for the certification service, what was sent (with its receipt) or refused.
    pub fn outbox_status(&self) -> Result<OutboxStatus, ConsoleError> {
        self.signed_in()?;
        let link = ServiceLink::load(&self.data)?;
        Ok(OutboxStatus {
            items: self
                .sender
                .outbox
                .items()
                .map_err(|e| ConsoleError::internal("outbox", e))?,
            service_url: link.as_ref().map(|l| l.url.clone()),
            service_key: link.map(|l| l.key),
            sender_error: self
                .sender
                .error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        })
    }

    /// The outbox's bundles (for the sessions' stages).
    pub(crate) fn uploads(&self) -> Result<Vec<Item>, ConsoleError> {
        self.sender
            .outbox
            .items()
            .map_err(|e| ConsoleError::internal("outbox", e))
    }

    /// Sends what is due and asks the service where the sent bundles stand, now rather than at
    /// the background sender's next turn (the session page does it when it opens).
    pub async fn refresh_outbox(&self) -> Result<OutboxStatus, ConsoleError> {
        self.signed_in()?;
        if let Some(link) = ServiceLink::load(&self.data)? {
            let outbox = self.sender.outbox.clone();
            let dir = self.data.clone();
            let result = self
                .spawn(async move { drain(&outbox, &link, &dir, SEND_NOW).await })
                .await?;
            *self.sender.error.lock().unwrap_or_else(|p| p.into_inner()) = result.err();
        }
        self.forget_old_rooms();
        self.outbox_status()
    }

    /// Deletes the journal copies of rooms whose bundle the service answered for finally more
    /// than [`ROOM_RETENTION_DAYS`](crate::lifecycle::ROOM_RETENTION_DAYS) ago (never the room
    /// open now). Best effort: a folder that cannot go now goes next time.
    pub(crate) fn forget_old_rooms(&self) {
        let Ok(items) = self.uploads() else { return };
        let open = self
            .hosted()
            .ok()
            .and_then(|h| h.as_ref().map(|r| r.session()));
        let keep = chrono::Duration::days(crate::lifecycle::ROOM_RETENTION_DAYS);
        for session in crate::lifecycle::rooms_to_forget(&items, chrono::Utc::now(), keep) {
            if Some(session) == open {
                continue;
            }
            let dir = self.data.join(format!("room-{session}"));
            if dir.is_dir() {
                // The PCs keep their own journals of these tests: each is told to delete them
                // at its next connection to any later room. The room's record must be read
                // first, or the room is kept for next time.
                if let Err(e) = self.forget_on_pcs(&dir) {
                    tracing::warn!(session, error = %e, "room kept: its PCs' tests not listed");
                    continue;
                }
                match std::fs::remove_dir_all(&dir) {
                    Ok(()) => tracing::info!(session, "room copies deleted after retention"),
                    Err(e) => tracing::warn!(session, error = %e, "room copies not deleted"),
                }
            }
        }
    }

    /// Lists in the lab every test the PCs of the room in `dir` sent, for them to delete.
    fn forget_on_pcs(&self, dir: &std::path::Path) -> Result<(), ConsoleError> {
        let record = dir.join(certroom_hub::server::DB_FILE);
        if !record.is_file() {
            return Ok(());
        }
        let store = certroom_hub::store::Store::open(&record)
            .map_err(|e| ConsoleError::internal("room record", e))?;
        let tests = store
            .tests_by_station()
            .map_err(|e| ConsoleError::internal("room record", e))?;
        let lab = self.lab()?;
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        for (station, test) in tests {
            lab.forget_test(&station, &test, &now)
                .map_err(|e| ConsoleError::internal("lab", e))?;
        }
        Ok(())
    }

    /// "Renvoyer": a refused or waiting bundle goes back in line at once (once the centre's
    /// enrolment or the service's key was fixed, say). A bundle the service received stays.
    pub fn send_again(&self, item: i64) -> Result<OutboxStatus, ConsoleError> {
        self.signed_in()?;
        let changed = self
            .sender
            .outbox
            .send_again(item)
            .map_err(|e| ConsoleError::internal("outbox", e))?;
        if !changed {
            return Err(ConsoleError::new(
                "outbox.not_resendable",
                "Ce lot a déjà été reçu par le service (ou n'existe pas) : il n'y a rien à renvoyer.",
                "The service already received this bundle (or it does not exist): nothing to send again.",
            ));
        }
        self.sender.wake.notify_one();
        self.outbox_status()
    }

    /// Puts the finalized session's bundle in the outbox and sends what is due to the service at
    /// `service_url`. The service's key is pinned on the first send to that address (and shown);
    /// what cannot be sent now is retried in the background.
    pub async fn send_bundle(&self, service_url: &str) -> Result<OutboxStatus, ConsoleError> {
        let url = parse_service_url(service_url)?;
        let (_, bytes) = self.room_bundle()?;
        self.sender.outbox.add(&bytes).map_err(|e| {
            ConsoleError::new(
                "outbox.bundle",
                format!("Lot refusé avant l'envoi : {e}"),
                format!("Bundle refused before sending: {e}"),
            )
        })?;
        let link = self.service_link(url).await?;
        let outbox = self.sender.outbox.clone();
        let dir = self.data.clone();
        let sent = self
            .spawn(async move { drain(&outbox, &link, &dir, SEND_NOW).await })
            .await?;
        if let Err(e) = sent {
            *self.sender.error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
        }
        self.sender.wake.notify_one();
        self.outbox_status()
    }

    /// The pinned link to the service at `url`: kept when the address is the same, else the key
    /// is taken from the service (trust on first use, shown on the session page).
    async fn service_link(&self, url: String) -> Result<ServiceLink, ConsoleError> {
        if let Some(link) = ServiceLink::load(&self.data)?.filter(|l| l.url == url) {
            return Ok(link);
        }
        let from = url.clone();
        let key = self
            .spawn(async move { certroom_sync::fetch_server_key(&from).await })
            .await?
            .map_err(|e| {
                ConsoleError::new(
                    "outbox.service_key",
                    format!("Clé du service introuvable : {e}"),
                    format!("Cannot get the service's key: {e}"),
                )
            })?;
        let link = ServiceLink {
            url,
            key,
            keys: None,
        };
        link.save(&self.data)?;
        Ok(link)
    }
}
