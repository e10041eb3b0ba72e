//! The live room this console hosts: the hub listens on the lab network, its pushes go to
//! whoever shows the room (the window, a test), the invigilator's commands go in, and once the
//! room is finalized the session report and the signed result bundle come out.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use certroom_bank::pack::PackKey;
use certroom_centre::candidate::Sex;
use certroom_hub::server::BundleRefusal;
use certroom_hub::{Authority, EnrolledCandidate, Hub, RoomSetup, RunningHub};
use certroom_journal::StationKey;
use certroom_protocol::{ConsoleCommand, ConsoleEvent, RoomView, WireError};
use serde::Serialize;

use crate::error::store_error;
use crate::standby::{Standby, StandbyConfig, StandbyStatus};
use crate::{Console, ConsoleError};

/// Where the console's own key lives: it signs the result bundles.
pub const CONSOLE_KEY_FILE: &str = "station.key";

/// Who receives the room's pushes (the window forwards them to its page).
pub type Pushes = Arc<dyn Fn(ConsoleEvent) + Send + Sync>;

/// The room a console hosts.
pub(crate) struct HostedRoom {
    running: RunningHub,
    authority: Authority,
    session: i64,
    /// The key of the session's bank pack: a pack offered to the room must open with it.
    bank_key: String,
    /// The copy on a second medium, when the console was given one (or why it could not start).
    standby: Option<Result<Arc<Standby>, ConsoleError>>,
}

/// What the room panel shows: where kiosks reach the hub, the fingerprint they pin, the room.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct RoomInfo {
    pub address: String,
    /// This PC's host name: what a technician types on each lab PC to pair it.
    pub host_name: String,
    pub fingerprint: String,
    pub view: RoomView,
}

/// The name the lab's PCs find this console by (empty if the system does not say).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|n| n.trim().to_owned())
        .unwrap_or_default()
}

impl HostedRoom {
    pub(crate) fn session(&self) -> i64 {
        self.session
    }

    fn info(&self) -> RoomInfo {
        RoomInfo {
            address: self.running.addr.to_string(),
            host_name: host_name(),
            fingerprint: self.running.hub.fingerprint().display(),
            view: self.running.hub.view(),
        }
    }
}

fn wire(e: WireError) -> ConsoleError {
    ConsoleError::new(&e.code, e.message_fr, e.message_en)
}

fn no_room() -> ConsoleError {
    ConsoleError::new(
        "room.not_open",
        "Aucune salle n'est ouverte sur ce poste.",
        "No room is open on this console.",
    )
}

fn not_finalized(what_fr: &str, what_en: &str) -> ConsoleError {
    ConsoleError::new(
        "room.not_finalized",
        format!("Finalisez la session avant {what_fr}."),
        format!("Finalize the session before {what_en}."),
    )
}

impl Console {
    /// Opens the live room of a session: the hub listens on `bind` and every push goes to
    /// `pushes`. Needs the session's invigilator password and the key of its bank pack. Opening
    /// the room already open returns it.
    pub async fn open_room(
        &self,
        session: i64,
        password: &str,
        bank_key: &str,
        bind: &str,
        pushes: Pushes,
    ) -> Result<RoomInfo, ConsoleError> {
        let setup = self.room_setup(session, password, bank_key)?;
        let bank_key = setup.bank_key.clone();
        if let Some(h) = self.hosted()?.as_ref() {
            if h.session == session {
                return Ok(h.info());
            }
        }
        let bind: SocketAddr = bind.trim().parse().map_err(|_| {
            ConsoleError::new(
                "room.bind",
                format!("Adresse d'écoute invalide : « {bind} » (ex. 0.0.0.0:7443)."),
                format!("Invalid listening address “{bind}” (e.g. 0.0.0.0:7443)."),
            )
        })?;
        let dir = self.data.join(format!("room-{session}"));
        let hub = Hub::open_in_lab(&self.data.join(crate::lab::LAB_DIR), &dir, setup)
            .map_err(|e| ConsoleError::internal("room hub", e))?;
        let authority = hub.sign_in(session, password).map_err(wire)?;
        // The hub's connections live on the console's own runtime, whoever awaits this.
        let running = self
            .spawn(async move { hub.serve(bind).await })
            .await?
            .map_err(|e| {
                ConsoleError::new(
                    "room.listen",
                    format!("Impossible d'écouter sur {bind} : {e}"),
                    format!("Cannot listen on {bind}: {e}"),
                )
            })?;
        let mut events = running.hub.subscribe();
        self.runtime().spawn(async move {
            loop {
                match events.recv().await {
                    Ok(ev) => pushes(ev),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "room pushes: the window lagged behind");
                    }
                    Err(_) => break,
                }
            }
        });
        tracing::info!(session, %bind, "room hub opened");
        let mut hosted = HostedRoom {
            running,
            authority,
            session,
            bank_key,
            standby: None,
        };
        if let Some(config) = StandbyConfig::load(&self.data) {
            hosted.standby = Some(self.copy_room(&hosted, &config));
        }
        let info = hosted.info();
        *self.hosted()? = Some(hosted);
        Ok(info)
    }

    fn room_setup(
        &self,
        session: i64,
        password: &str,
        bank_key: &str,
    ) -> Result<RoomSetup, ConsoleError> {
        let store = self.signed_in_store()?;
        let s = store.session(session).map_err(store_error)?;
        if s.invigilator_password != password {
            return Err(ConsoleError::new(
                "room.password",
                "Mot de passe surveillant incorrect pour cette session.",
                "Wrong invigilator password for this session.",
            ));
        }
        if bank_key.trim().is_empty() {
            return Err(ConsoleError::new(
                "room.bank_key",
                "Saisissez la clé de la banque de questions de la session.",
                "Enter the session's question bank key.",
            ));
        }
        let candidates = store
            .candidates(session)
            .map_err(store_error)?
            .into_iter()
            .map(|(id, c)| EnrolledCandidate {
                id,
                first_name: c.first_name,
                birth_name: c.birth_name,
                birthdate: c.birthdate,
                local_id: c.local_id,
                extra_time_percent: c.extra_time_percent.unwrap_or(0),
                adjusted_questions: c.adjusted_questions,
            })
            .collect();
        let engine = certroom_core::Config::default();
        Ok(RoomSetup {
            session,
            access_code: s.access_code,
            invigilator_password: s.invigilator_password,
            bank_key: bank_key.trim().to_owned(),
            questions: engine.questions,
            duration_min: engine.duration_min,
            candidates,
        })
    }

    /// The public key of this console's own key (made on first use), which the certification
    /// service must know to trust the bundles it signs.
    pub fn public_key_hex(&self) -> Result<String, ConsoleError> {
        Ok(self.console_key()?.public_key_hex())
    }

    /// This console's own key, made on first use: it signs bundles and declarations of PCs.
    pub(crate) fn console_key(&self) -> Result<StationKey, ConsoleError> {
        StationKey::load_or_create(&self.data.join(CONSOLE_KEY_FILE))
            .map_err(|e| ConsoleError::internal("console key", e))
    }

    /// The room this console hosts, if any.
    pub fn room_view(&self) -> Result<Option<RoomInfo>, ConsoleError> {
        self.signed_in()?;
        Ok(self.hosted()?.as_ref().map(HostedRoom::info))
    }

    /// One of the invigilator's decisions, committed by the hub before this returns. A presence
    /// confirmed or a start authorized marks the session started, a finalization finalized: from
    /// then on the session's record refuses what would contradict the room.
    pub fn room_command(&self, command: ConsoleCommand) -> Result<(), ConsoleError> {
        self.signed_in()?;
        let paired;
        let session = {
            let guard = self.hosted()?;
            let h = guard.as_ref().ok_or_else(no_room)?;
            paired = matches!(command, ConsoleCommand::ConfirmPairing { .. });
            let mark = match &command {
                ConsoleCommand::Finalize => Some(true),
                ConsoleCommand::ConfirmPresence { .. } | ConsoleCommand::Authorize { .. } => {
                    Some(false)
                }
                _ => None,
            };
            h.running.hub.command(&h.authority, command).map_err(wire)?;
            mark.map(|finalized| (h.session, finalized))
        };
        if let Some((number, finalized)) = session {
            let mut store = self.store()?;
            let marked = if finalized {
                store.mark_finalized(number)
            } else {
                store.mark_joined(number)
            };
            marked.map_err(store_error)?;
        }
        if paired {
            self.declare_in_background();
        }
        Ok(())
    }

    /// Sends the session's sealed bank pack to every paired PC through the room (each PC checks
    /// its publisher's signature). Refused here if the pack does not open with the session's
    /// key: a pack of another session is caught before any PC fetches it.
    pub fn offer_bank(&self, pack: Vec<u8>) -> Result<(), ConsoleError> {
        self.signed_in()?;
        let guard = self.hosted()?;
        let h = guard.as_ref().ok_or_else(no_room)?;
        certroom_bank::pack::opens_with(&pack, &PackKey::Passphrase(h.bank_key.clone())).map_err(
            |e| {
                ConsoleError::new(
                    "room.bank_pack",
                    format!("Ce paquet ne s'ouvre pas avec la clé de la session : {e}"),
                    format!("This pack does not open with the session's key: {e}"),
                )
            },
        )?;
        h.running.hub.offer_bank(&h.authority, pack).map_err(wire)?;
        tracing::info!(session = h.session, "bank pack offered to the room");
        Ok(())
    }

    /// The session report (procès-verbal) of the finalized room, written in the exports folder.
    pub fn room_report(&self) -> Result<PathBuf, ConsoleError> {
        self.signed_in()?;
        let (session, rows, comment, finalized) = {
            let guard = self.hosted()?;
            let h = guard.as_ref().ok_or_else(no_room)?;
            let (rows, comment, finalized) = h.running.hub.report_parts();
            (h.session, rows, comment, finalized)
        };
        let finalized = finalized
            .ok_or_else(|| not_finalized("d'éditer le procès-verbal", "printing its report"))?;
        let bytes = {
            let store = self.store()?;
            let s = store.session(session).map_err(store_error)?;
            let centre = store
                .centre()
                .map_err(|e| ConsoleError::internal("console db", e))?;
            let report = certroom_pdf::SessionReport {
                centre_uai: centre
                    .as_ref()
                    .map(|c| c.uai.as_str().to_owned())
                    .unwrap_or_default(),
                centre_name: centre.map(|c| c.name).unwrap_or_default(),
                session_number: session.to_string(),
                site: s.details.site,
                room: s.details.room,
                date: s.details.date.format("%d/%m/%Y").to_string(),
                start_time: s.details.start_time.format("%H:%M").to_string(),
                invigilators: s.details.invigilators,
                finalized_at: finalized,
                comment: (!comment.is_empty()).then_some(comment),
                lang: certroom_pdf::CertificateLang::Fr,
                candidates: rows,
            };
            certroom_pdf::session_report(&report).map_err(|e| ConsoleError::from_message(&e))?
        };
        self.write_export(&format!("session-{session}-proces-verbal.pdf"), &bytes)
    }

    /// The finalized session's result bundle, signed with this console's key and written in the
    /// exports folder; returns its path and bytes.
    pub fn room_bundle(&self) -> Result<(PathBuf, Vec<u8>), ConsoleError> {
        self.signed_in()?;
        let key = self.console_key()?;
        let guard = self.hosted()?;
        let h = guard.as_ref().ok_or_else(no_room)?;
        let (centre, details, sexes) = {
            let store = self.store()?;
            let centre = store
                .centre()
                .map_err(|e| ConsoleError::internal("console db", e))?
                .ok_or_else(|| ConsoleError::internal("console db", "no centre"))?;
            let s = store.session(h.session).map_err(store_error)?;
            let sexes: HashMap<i64, certroom_bundle::Sex> = store
                .candidates(h.session)
                .map_err(store_error)?
                .into_iter()
                .map(|(id, c)| {
                    let sex = match c.sex {
                        Sex::M => certroom_bundle::Sex::M,
                        Sex::F => certroom_bundle::Sex::F,
                    };
                    (id, sex)
                })
                .collect();
            (centre, s.details, sexes)
        };
        let bytes = h
            .running
            .hub
            .bundle(
                key.key_pair(),
                certroom_bundle::Centre {
                    uai: centre.uai.as_str().to_owned(),
                    name: centre.name,
                },
                details.date,
                &details.site,
                &details.room,
                &sexes,
                env!("CARGO_PKG_VERSION"),
            )
            .map_err(|e| match e {
                BundleRefusal::NotFinalized => not_finalized(
                    "de produire le lot de résultats",
                    "producing the result bundle",
                ),
                BundleRefusal::Bundle(b) => ConsoleError::from_message(&b),
            })?;
        let path = self.write_export(&format!("session-{}.bundle", h.session), &bytes)?;
        Ok((path, bytes))
    }

    /// Starts the room's copy in `config`'s medium: the base now, every input from now on.
    fn copy_room(
        &self,
        h: &HostedRoom,
        config: &StandbyConfig,
    ) -> Result<Arc<Standby>, ConsoleError> {
        // The key that signs the room's bundle must be in the copy from its first write: a
        // spare console with a key of its own would sign bundles the service does not know.
        self.console_key()?;
        let standby = Arc::new(Standby::start(config, h.session)?);
        h.running.hub.copy_inputs_to(standby.clone());
        standby.keep_base(self.data.clone(), self.db.clone());
        tracing::info!(session = h.session, folder = %standby.status().folder, "standby copy started");
        Ok(standby)
    }

    /// Keeps a continuous copy of what the room needs in `medium` (a USB key, a share of
    /// another PC), from the room open now or the next one, until another medium is given. The
    /// recovery code stays the same: the one written down keeps working.
    pub fn start_standby(&self, medium: &Path) -> Result<StandbyStatus, ConsoleError> {
        self.signed_in()?;
        if !medium.is_dir() {
            return Err(ConsoleError::new(
                "standby.medium",
                format!("{} n'est pas un dossier accessible.", medium.display()),
                format!("{} is not a folder this PC can reach.", medium.display()),
            ));
        }
        let code = match StandbyConfig::load(&self.data) {
            Some(c) => c.code,
            None => crate::standby::new_code()?,
        };
        let config = StandbyConfig {
            medium: medium.to_owned(),
            code,
        };
        config.save(&self.data)?;
        let mut guard = self.hosted()?;
        if let Some(h) = guard.as_mut() {
            let standby = self.copy_room(h, &config);
            h.standby = Some(standby);
        }
        drop(guard);
        Ok(self
            .standby_status()?
            .unwrap_or_else(|| StandbyStatus::waiting(&config)))
    }

    /// Where the copy stands: `None` when the console was given no medium.
    pub fn standby_status(&self) -> Result<Option<StandbyStatus>, ConsoleError> {
        self.signed_in()?;
        let Some(config) = StandbyConfig::load(&self.data) else {
            return Ok(None);
        };
        let guard = self.hosted()?;
        Ok(Some(
            match guard.as_ref().and_then(|h| h.standby.as_ref()) {
                Some(Ok(standby)) => standby.status(),
                Some(Err(e)) => StandbyStatus {
                    error: Some((e.message_fr.clone(), e.message_en.clone())),
                    ..StandbyStatus::waiting(&config)
                },
                None => StandbyStatus::waiting(&config),
            },
        ))
    }

    /// Stops the hub this console hosts (the window closing, a test ending).
    pub async fn close_room(&self) -> Result<(), ConsoleError> {
        let hosted = self.hosted()?.take();
        if let Some(h) = hosted {
            self.spawn(h.running.stop()).await?;
        }
        Ok(())
    }
}
