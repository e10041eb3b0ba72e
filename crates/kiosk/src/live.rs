//! A kiosk in a live room: the sitting's journal is sent to the room hub as it grows, and the
//! invigilator's decisions arriving from the hub are carried out in the journal. The journal
//! stays the truth: if the hub is gone the test goes on, and on reconnection the kiosk sends
//! what the hub has not seen (the hub tells its last sequence; it ignores repeats).

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};

use certroom_hub::protocol::{CandidateCard, KioskCommand, KioskMessage, Reply, WireHead};
use certroom_hub::{Fingerprint, KioskLink, LinkError};
use certroom_journal::pack::PackKey;
use certroom_journal::ChainBytes;
use ring::signature::Ed25519KeyPair;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::sitting::{Identity, KioskError, Sitting};

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error(transparent)]
    Kiosk(#[from] KioskError),
    #[error("réponse inattendue du poste surveillant / unexpected hub reply")]
    Unexpected,
}

pub struct LiveKiosk {
    sitting: Arc<Mutex<Sitting>>,
    link: KioskLink,
    commands: Option<UnboundedReceiver<(u64, KioskCommand)>>,
    candidate: Option<CandidateCard>,
    /// The hub's last sequence of the current test.
    synced: u64,
    last_ack: Option<std::time::Duration>,
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
        })
    }

    fn sitting(&self) -> MutexGuard<'_, Sitting> {
        self.sitting.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn link(&self) -> &KioskLink {
        &self.link
    }

    /// Lab set-up: the pairing code to show, and whether the console already confirmed it.
    pub async fn pair(&self, label: &str) -> Result<(String, bool), LiveError> {
        match self
            .link
            .request(KioskMessage::Pair {
                label: label.to_owned(),
            })
            .await?
        {
            Reply::Pairing { code, enrolled } => Ok((code, enrolled)),
            _ => Err(LiveError::Unexpected),
        }
    }

    /// After (re)connecting: learns where the hub stands, then sends what it lacks.
    pub async fn hello(&mut self) -> Result<bool, LiveError> {
        let Reply::State { station } = self.link.request(KioskMessage::Hello).await? else {
            return Err(LiveError::Unexpected);
        };
        self.candidate = station.candidate;
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

    pub fn candidate(&self) -> Option<&CandidateCard> {
        self.candidate.as_ref()
    }

    /// Carries out one command in the journal, sends the records, then tells the hub it is done.
    pub async fn carry_out(&mut self, id: u64, command: KioskCommand) -> Result<(), LiveError> {
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
                            s.start_test(&c.session.to_string(), &c.id.to_string())?;
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
