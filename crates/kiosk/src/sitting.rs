//! A candidate's sitting on one lab PC. The journal is the only state that matters: the engine
//! is rebuilt from it for every action (32 steps replay in well under a millisecond), so a
//! crash, a kill or a power cut can never leave the engine and the evidence disagreeing.

use crate::screen::{self, AttachmentView, EndedReason, Lang, Progress, Screen, TimeLeft};
use certroom_bank::pack::PackKey;
use certroom_bank::{LoadedBank, OpenError};
use certroom_core::engine::{AnswerContext, EngineError, Next, ReplayError, Test, ENGINE_VERSION};
use certroom_core::message::UserMessage;
use certroom_core::Hash;
use certroom_core::{Config, Response};
use certroom_journal::steps::{engine_steps, StepsError, REASON_BANK_EXHAUSTED, REASON_COMPLETED};
use certroom_journal::{EndedBy, Event, Journal, JournalError, Record, StationKey};
use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};
use std::path::Path;

pub const JOURNAL_FILE: &str = "journal.db";
pub const STATION_KEY_FILE: &str = "station.key";

/// How this kiosk runs tests (until the room hub hands these over at join).
pub struct KioskConfig {
    /// The engine's configuration; its scoring takes the bank's own competence bounds once the
    /// bank is open ([`Config::with_bank`]).
    pub engine: Config,
    pub session_id: String,
    /// The publisher whose signature a bank pack must carry.
    pub publisher: [u8; 32],
}

/// Whose test a kiosk starts: the candidate the hub matched (in a demo kiosk with no hub, as
/// typed), and whether they sit the accessible questions only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestFor {
    pub session: String,
    pub candidate_id: String,
    /// The names and birthdate of the centre's list, as the hub matched them.
    pub identity: Option<certroom_journal::JoinedIdentity>,
    pub needs_adjustment: bool,
}

/// Who sits down at the kiosk, as typed on the welcome screen.
#[derive(Debug, Clone, serde::Deserialize, ts_rs::TS)]
pub struct Identity {
    pub session: String,
    pub first_name: String,
    pub birth_name: String,
    pub birthdate: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KioskError {
    #[error("code refused")]
    CodeRefused,
    #[error("not authorized")]
    NotAuthorized,
    #[error("identity incomplete")]
    IdentityIncomplete,
    #[error("no test in progress")]
    NoTest,
    #[error("engine: {0}")]
    Engine(#[from] EngineError),
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
    #[error("journal does not replay: {0}")]
    Replay(#[from] ReplayError),
    #[error("journal steps: {0}")]
    Steps(#[from] StepsError),
    #[error("bank: {0}")]
    Bank(#[from] OpenError),
    #[error("random generator failed")]
    Random,
    #[error("no bank pack")]
    NoBank,
}

impl UserMessage for KioskError {
    fn code(&self) -> &'static str {
        match self {
            Self::CodeRefused => "kiosk.code_refused",
            Self::NotAuthorized => "kiosk.not_authorized",
            Self::IdentityIncomplete => "kiosk.identity_incomplete",
            Self::NoTest => "kiosk.no_test",
            Self::Engine(EngineError::AlertOpen) => "kiosk.alert_open",
            Self::Engine(_) => "kiosk.engine",
            Self::Journal(_) | Self::Replay(_) | Self::Steps(_) => "kiosk.journal",
            Self::Bank(_) => "kiosk.bank",
            Self::Random => "kiosk.random",
            Self::NoBank => "kiosk.no_bank",
        }
    }
    fn message_fr(&self) -> String {
        match self {
            Self::CodeRefused => "Code du surveillant incorrect.".into(),
            Self::NotAuthorized => "Le surveillant doit d'abord autoriser le test.".into(),
            Self::IdentityIncomplete => "Renseignez le numéro de session, le prénom, le nom de naissance et la date de naissance.".into(),
            Self::NoTest => "Aucun test en cours sur ce poste.".into(),
            Self::Engine(EngineError::AlertOpen) => "Un problème est signalé : attendez le surveillant.".into(),
            Self::Engine(e) => format!("Action refusée : {e}."),
            Self::Journal(_) | Self::Replay(_) | Self::Steps(_) => "Le journal de ce poste est endommagé : prévenez le surveillant.".into(),
            Self::Bank(_) => "La banque de questions de ce poste est inutilisable : prévenez le surveillant.".into(),
            Self::Random => "Erreur interne du poste : prévenez le surveillant.".into(),
            Self::NoBank => "Ce poste n'a pas encore reçu la banque de questions : appelez le surveillant (il l'envoie depuis la console).".into(),
        }
    }
    fn message_en(&self) -> String {
        match self {
            Self::CodeRefused => "Wrong invigilator code.".into(),
            Self::NotAuthorized => "The invigilator must authorize the test first.".into(),
            Self::IdentityIncomplete => {
                "Enter the session number, first name, birth name and date of birth.".into()
            }
            Self::NoTest => "No test in progress on this PC.".into(),
            Self::Engine(EngineError::AlertOpen) => {
                "A problem was reported: wait for the invigilator.".into()
            }
            Self::Engine(e) => format!("Action refused: {e}."),
            Self::Journal(_) | Self::Replay(_) | Self::Steps(_) => {
                "This PC's journal is damaged: tell the invigilator.".into()
            }
            Self::Bank(_) => "This PC's question bank is unusable: tell the invigilator.".into(),
            Self::Random => "Internal error on this PC: tell the invigilator.".into(),
            Self::NoBank => "This PC has not received the question bank yet: call the invigilator (who sends it from the console).".into(),
        }
    }
}

/// The answer to an answer: saved only once the journal committed.
#[derive(Debug, serde::Serialize, ts_rs::TS)]
pub struct AnswerAck {
    pub saved: bool,
    pub next: Screen,
}

pub struct Sitting {
    dir: std::path::PathBuf,
    journal: Journal,
    key: StationKey,
    pack: Vec<u8>,
    config: KioskConfig,
    bank: Option<LoadedBank>,
    /// Salted digest of the invigilator's code, in memory only, to check alert handling at the kiosk.
    invigilator: Option<([u8; 16], digest::Digest)>,
    joining: Option<Identity>,
    test: Option<String>,
    damaged: Option<(String, String)>,
}

impl Sitting {
    /// Opens this station's journal and key and finds a test left unfinished by a crash: that
    /// test resumes (after the invigilator authorizes it), it is never silently restarted.
    pub fn open(dir: &Path, pack: Vec<u8>, config: KioskConfig) -> Result<Self, KioskError> {
        Self::open_with_clock(
            dir,
            pack,
            config,
            std::sync::Arc::new(certroom_journal::SystemClock),
        )
    }

    /// [`Sitting::open`] on a journal reading time from `clock` (tests make time pass with a
    /// `ManualClock` instead of sleeping).
    pub fn open_with_clock(
        dir: &Path,
        pack: Vec<u8>,
        config: KioskConfig,
        clock: std::sync::Arc<dyn certroom_journal::Clock>,
    ) -> Result<Self, KioskError> {
        let key = StationKey::load_or_create(&dir.join(STATION_KEY_FILE))
            .map_err(|e| KioskError::Journal(JournalError::from(e)))?;
        let mut journal = Journal::open_with_clock(&dir.join(JOURNAL_FILE), clock)?;
        let mut test = None;
        let mut damaged = None;
        if let Some(t) = journal.tests()?.into_iter().rev().find(|t| !t.ended) {
            match journal.open_test(&t.test_id) {
                Ok(_) => test = Some(t.test_id),
                Err(e) => {
                    damaged = Some((
                        format!("Le test en cours sur ce poste ne peut pas reprendre : son journal est endommagé ({e}). Prévenez le surveillant ; le test n'est pas recommencé."),
                        format!("The test in progress on this PC cannot resume: its journal is damaged ({e}). Tell the invigilator; the test is not restarted."),
                    ));
                }
            }
        }
        Ok(Self {
            dir: dir.to_owned(),
            journal,
            key,
            pack,
            config,
            bank: None,
            invigilator: None,
            joining: None,
            test,
            damaged,
        })
    }

    pub fn public_key_hex(&self) -> String {
        self.key.public_key_hex()
    }

    /// This PC's data folder.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// A PC set up to receive its bank through the room has none until then.
    pub fn has_bank(&self) -> Result<(), KioskError> {
        if self.pack.is_empty() {
            Err(KioskError::NoBank)
        } else {
            Ok(())
        }
    }

    /// Whether the bank pack this PC holds is the one offered.
    pub fn holds(&self, offer: &certroom_protocol::BankOffer) -> bool {
        certroom_protocol::BankOffer::of(&self.pack) == *offer
    }

    /// Whether a candidate is here: joined, waiting or sitting. A bank is replaced only between
    /// candidates.
    pub fn busy(&self) -> bool {
        self.test.is_some() || self.joining.is_some()
    }

    /// Keeps a bank pack the room sent, if the publisher pinned on this PC signed it; written
    /// to the data folder, so it is the bank after a restart too. The refusal is said in French,
    /// then English, for the console.
    pub fn install_pack(&mut self, pack: Vec<u8>) -> Result<(), String> {
        if self.busy() {
            return Err("un candidat est sur ce poste : réessayez entre deux candidats / a candidate is on this PC".into());
        }
        certroom_bank::pack::check_signature(&pack, &self.config.publisher)
            .map_err(|e| format!("banque refusée : {e}"))?;
        let path = self.dir.join(crate::station::BANK_PACK_FILE);
        certroom_durable::write_atomically(&path, &pack, certroom_durable::Access::Shared)
            .map_err(|e| format!("banque non enregistrée ({e}) / bank not stored"))?;
        self.pack = pack;
        self.bank = None;
        Ok(())
    }

    /// The screen to show now. Ends the test when its time is up.
    pub fn screen(&mut self, lang: Lang) -> Result<Screen, KioskError> {
        if let Some((fr, en)) = &self.damaged {
            return Ok(Screen::Damaged {
                message_fr: fr.clone(),
                message_en: en.clone(),
            });
        }
        let Some(test_id) = self.test.clone() else {
            return Ok(match &self.joining {
                Some(who) => Screen::WaitingAuthorization {
                    resume: false,
                    access_code_needed: false,
                    candidate: display_name(who),
                },
                None => Screen::Welcome,
            });
        };
        let records = self.journal.records(&test_id)?;
        let progress = certroom_journal::progress(&records);
        if progress.ended.is_some() {
            return Ok(Screen::Ended {
                reason: ended_reason(&records),
            });
        }
        if progress.needs_authorization || self.bank.is_none() {
            let header = self.journal.header(&test_id)?;
            return Ok(Screen::WaitingAuthorization {
                resume: true,
                access_code_needed: false,
                candidate: header.candidate_id,
            });
        }
        if self.time_left_ms(&test_id, progress.extra_time_minutes) == 0 {
            self.journal
                .end_test(&test_id, EndedBy::Time, Some("time".into()), &self.key)?;
            return Ok(Screen::Ended {
                reason: EndedReason::TimeUp,
            });
        }
        self.question_screen(&test_id, &records, lang)
    }

    fn question_screen(
        &self,
        test_id: &str,
        records: &[Record],
        lang: Lang,
    ) -> Result<Screen, KioskError> {
        let bank = self.bank.as_ref().ok_or(KioskError::NotAuthorized)?;
        let test = self.engine(&bank.bank, test_id, records)?;
        let Some(q) = test.pending() else {
            return Ok(Screen::Ended {
                reason: ended_reason(records),
            });
        };
        let item = bank.bank.item(q.item_id).ok_or(KioskError::NoTest)?;
        let progress = certroom_journal::progress(records);
        let shown = last_shown(records);
        let live = self.journal.live_ms(test_id).unwrap_or(progress.live_ms);
        let question_remaining_s = item.timer_s.map(|t| {
            (u64::from(t) * 1000)
                .saturating_sub(live.saturating_sub(shown.map_or(live, |r| r.mono_ms)))
                / 1000
        });
        let header = self.journal.header(test_id)?;
        let order = header.option_order(item);
        Ok(Screen::Question {
            question: Box::new(screen::question_view(item, &order, lang, |p| bank.asset(p))),
            progress: Progress {
                index: test.answered_count() + 1,
                total: self.config.engine.questions,
                answered: test.answered_count(),
            },
            time: TimeLeft {
                remaining_s: self.time_left_ms(test_id, progress.extra_time_minutes) / 1000,
                question_remaining_s,
            },
            alert_open: test.alert_open(),
            focus_lost: focus_lost_since(
                records,
                shown.map_or(0, |r| r.seq),
                header.needs_adjustment,
            ),
        })
    }

    fn engine<'b>(
        &self,
        bank: &'b certroom_core::Bank,
        test_id: &str,
        records: &[Record],
    ) -> Result<Test<'b>, KioskError> {
        let header = self.journal.header(test_id)?;
        let steps = engine_steps(records)?;
        Ok(Test::resume(
            bank,
            &header.engine_config(self.config.engine.questions),
            header.engine_seed,
            header.needs_adjustment,
            &steps,
        )?)
    }

    fn time_left_ms(&self, test_id: &str, extra_minutes: u32) -> u64 {
        let limit = u64::from(self.config.engine.duration_min + extra_minutes) * 60_000;
        limit.saturating_sub(self.journal.live_ms(test_id).unwrap_or(0))
    }

    /// The welcome screen's form: the candidate then waits for the invigilator.
    pub fn join(&mut self, who: Identity, lang: Lang) -> Result<Screen, KioskError> {
        if self.test.is_some() {
            return self.screen(lang);
        }
        self.has_bank()?;
        let blank = [
            &who.session,
            &who.first_name,
            &who.birth_name,
            &who.birthdate,
        ]
        .iter()
        .any(|f| f.trim().is_empty());
        if blank {
            return Err(KioskError::IdentityIncomplete);
        }
        self.joining = Some(who);
        self.screen(lang)
    }

    /// The invigilator's code at the kiosk: unlocks the bank (the code is the pack's passphrase
    /// until the hub hands a session key) and authorizes a start or, single-use, a resume.
    pub fn authorize(&mut self, code: &str, lang: Lang) -> Result<Screen, KioskError> {
        if self.damaged.is_some() {
            return self.screen(lang);
        }
        if !self.code_matches(code) {
            let bank = certroom_bank::open_pack(
                &self.pack,
                &PackKey::Passphrase(code.to_owned()),
                &self.config.publisher,
            )
            .map_err(|e| match e {
                OpenError::Pack(_) => KioskError::CodeRefused,
                other => KioskError::Bank(other),
            })?;
            self.bank = Some(bank);
            self.remember_code(code)?;
        }
        match (self.joining.take(), self.test.clone()) {
            (Some(who), None) => {
                self.start_test(&TestFor {
                    session: who.session.trim().to_owned(),
                    candidate_id: display_name(&who),
                    identity: None,
                    needs_adjustment: false,
                })?;
            }
            (_, Some(_)) => self.resume_authorized("invigilator")?,
            (None, None) => return Err(KioskError::NoTest),
        }
        self.screen(lang)
    }

    /// Single-use authorization of a resume (after a pause, a restart, a move to this PC).
    pub fn resume_authorized(&mut self, by: &str) -> Result<(), KioskError> {
        let test_id = self.test.clone().ok_or(KioskError::NoTest)?;
        let progress = self.journal.progress(&test_id)?;
        if progress.needs_authorization && progress.ended.is_none() {
            self.journal.append(
                &test_id,
                &Event::Authorized {
                    by: by.into(),
                    resume: true,
                },
            )?;
            self.journal.append(&test_id, &Event::Resumed)?;
            self.ensure_question(&test_id)?;
        }
        Ok(())
    }

    /// Opens the bank pack with the key the room hub handed over with the authorization.
    pub fn unlock(&mut self, key: &PackKey) -> Result<(), KioskError> {
        if self.bank.is_none() {
            let bank =
                certroom_bank::open_pack(&self.pack, key, &self.config.publisher).map_err(|e| {
                    match e {
                        OpenError::Pack(_) => KioskError::CodeRefused,
                        other => KioskError::Bank(other),
                    }
                })?;
            self.bank = Some(bank);
        }
        Ok(())
    }

    /// Starts the test of a candidate the hub identified; returns the test id.
    pub fn start_test(&mut self, who: &TestFor) -> Result<String, KioskError> {
        if let Some(t) = &self.test {
            return Ok(t.clone());
        }
        let bank = self.bank.as_ref().ok_or(KioskError::NotAuthorized)?;
        let rng = SystemRandom::new();
        let mut bytes = [0u8; 16];
        rng.fill(&mut bytes).map_err(|_| KioskError::Random)?;
        let seed = u64::from_le_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        ]);
        let test_id = format!("T-{}", certroom_core::hash::to_hex(&bytes[8..]));
        let bank_hash = Hash::from_hex(bank.bank.content_hash()).ok_or(KioskError::NoTest)?;
        let mut header = certroom_journal::TestHeader::new(
            test_id.clone(),
            who.session.as_str(),
            who.candidate_id.as_str(),
            seed,
            ENGINE_VERSION,
            bank_hash,
        )
        // The bank's own competence bounds go into the journal's configuration: the central
        // replay scores with what the header names, so both print the same levels.
        .with_config(self.config.engine.clone().with_bank(&bank.bank))
        .with_adjustment(who.needs_adjustment);
        if let Some(identity) = &who.identity {
            header = header.with_identity(identity.clone());
        }
        self.journal.create_test(header)?;
        self.journal.append(&test_id, &Event::Joined)?;
        self.journal
            .append(&test_id, &Event::InstructionsAcknowledged)?;
        self.journal.append(
            &test_id,
            &Event::Authorized {
                by: "invigilator".into(),
                resume: false,
            },
        )?;
        self.test = Some(test_id.clone());
        self.ensure_question(&test_id)?;
        Ok(test_id)
    }

    /// Puts the next question on screen (journaled before it is shown), or ends the test.
    fn ensure_question(&mut self, test_id: &str) -> Result<(), KioskError> {
        let bank = self.bank.as_ref().ok_or(KioskError::NotAuthorized)?;
        let records = self.journal.records(test_id)?;
        let mut test = self.engine(&bank.bank, test_id, &records)?;
        if test.pending().is_some() || test.alert_open() {
            return Ok(());
        }
        let next = test.next_question()?;
        record_next(&mut self.journal, &self.key, test_id, next)
    }

    fn live_test(&self) -> Result<String, KioskError> {
        let test_id = self.test.clone().ok_or(KioskError::NoTest)?;
        if self.bank.is_none() {
            return Err(KioskError::NotAuthorized);
        }
        Ok(test_id)
    }

    /// Records the answer (committed, fsynced) before anything else happens, then moves on.
    pub fn answer(
        &mut self,
        item_id: &str,
        response: Response,
        lang: Lang,
    ) -> Result<AnswerAck, KioskError> {
        let test_id = self.live_test()?;
        let records = self.journal.records(&test_id)?;
        let progress = certroom_journal::progress(&records);
        if progress.needs_authorization {
            return Err(KioskError::NotAuthorized);
        }
        if progress.ended.is_some() || self.time_left_ms(&test_id, progress.extra_time_minutes) == 0
        {
            return Ok(AnswerAck {
                saved: false,
                next: self.screen(lang)?,
            });
        }
        let bank = self.bank.as_ref().ok_or(KioskError::NotAuthorized)?;
        let mut test = self.engine(&bank.bank, &test_id, &records)?;
        let item = bank.bank.item(item_id).ok_or(KioskError::NoTest)?;
        // The screen showed the options in this candidate's order: the journal and the checker
        // get the item's own indices.
        let header = self.journal.header(&test_id)?;
        let response = certroom_core::options::to_item_order(&response, &header.option_order(item));
        // Time on the question comes from the journal's live clock, never from the webview.
        let shown = last_shown(&records);
        let live = self.journal.live_ms(&test_id).unwrap_or(progress.live_ms);
        let spent = live.saturating_sub(shown.map_or(live, |r| r.mono_ms));
        let timed_out = item.timer_s.is_some_and(|t| spent > u64::from(t) * 1000);
        let focus_lost = focus_lost_since(
            &records,
            shown.map_or(0, |r| r.seq),
            header.needs_adjustment,
        );
        test.answer(
            item_id,
            &response,
            AnswerContext {
                timed_out,
                focus_lost,
                e10_validated: false,
            },
        )?;
        let event = if response.is_skip() {
            Event::Skip {
                item_id: item_id.to_owned(),
            }
        } else {
            let raw = serde_json::to_value(&response)
                .map_err(|_| KioskError::Engine(EngineError::NoQuestion))?;
            Event::Answer {
                item_id: item_id.to_owned(),
                response: raw,
                time_spent_ms: spent,
                focus_lost,
                timed_out,
            }
        };
        self.journal.append(&test_id, &event)?;
        let next = test.next_question()?;
        record_next(&mut self.journal, &self.key, &test_id, next)?;
        Ok(AnswerAck {
            saved: true,
            next: self.screen(lang)?,
        })
    }

    pub fn report_problem(&mut self, item_id: &str, lang: Lang) -> Result<Screen, KioskError> {
        let test_id = self.live_test()?;
        let bank = self.bank.as_ref().ok_or(KioskError::NotAuthorized)?;
        let records = self.journal.records(&test_id)?;
        let mut test = self.engine(&bank.bank, &test_id, &records)?;
        if test.pending().map(|q| q.item_id) != Some(item_id) {
            return Err(KioskError::Engine(EngineError::NoQuestion));
        }
        test.raise_alert()?;
        self.journal.append(
            &test_id,
            &Event::AlertRaised {
                item_id: item_id.to_owned(),
            },
        )?;
        self.screen(lang)
    }

    /// The invigilator handles an alert at the kiosk: validated, the question is replaced.
    pub fn resolve_alert(
        &mut self,
        code: &str,
        validated: bool,
        lang: Lang,
    ) -> Result<Screen, KioskError> {
        if !self.code_matches(code) {
            return Err(KioskError::CodeRefused);
        }
        self.decide_alert(validated, None)?;
        self.screen(lang)
    }

    /// The invigilator's decision on the open alert: validated, the question is replaced.
    pub fn decide_alert(
        &mut self,
        validated: bool,
        incident: Option<String>,
    ) -> Result<(), KioskError> {
        let test_id = self.live_test()?;
        let bank = self.bank.as_ref().ok_or(KioskError::NotAuthorized)?;
        let records = self.journal.records(&test_id)?;
        // A decision delivered twice (a resend after a reconnection) is carried out once.
        if certroom_journal::progress(&records).open_alert.is_none() {
            return Ok(());
        }
        let mut test = self.engine(&bank.bank, &test_id, &records)?;
        let item_id = test
            .pending()
            .map(|q| q.item_id.to_owned())
            .ok_or(KioskError::Engine(EngineError::NoQuestion))?;
        if validated {
            let next = test.validate_alert()?;
            self.journal.append(
                &test_id,
                &Event::AlertResolved {
                    item_id,
                    validated: true,
                    incident,
                },
            )?;
            record_next(&mut self.journal, &self.key, &test_id, next)?;
        } else {
            test.dismiss_alert()?;
            self.journal.append(
                &test_id,
                &Event::AlertResolved {
                    item_id,
                    validated: false,
                    incident: None,
                },
            )?;
        }
        Ok(())
    }

    /// The invigilator ended this candidate's test (signed head written with the end).
    pub fn end_by_invigilator(&mut self, reason: &str) -> Result<(), KioskError> {
        let Some(test_id) = self.test.clone() else {
            self.joining = None;
            return Ok(());
        };
        if self.journal.progress(&test_id)?.ended.is_none() {
            self.journal.end_test(
                &test_id,
                EndedBy::Invigilator,
                Some(reason.to_owned()),
                &self.key,
            )?;
        }
        Ok(())
    }

    /// The extra minutes a tiers-temps percentage gives on this test's duration, rounded up.
    pub fn tiers_temps_minutes(&self, percent: u8) -> u32 {
        (self.config.engine.duration_min * u32::from(percent)).div_ceil(100)
    }

    pub fn grant_extra_time(&mut self, minutes: u32) -> Result<(), KioskError> {
        let test_id = self.test.clone().ok_or(KioskError::NoTest)?;
        if self.journal.progress(&test_id)?.ended.is_none() {
            self.journal
                .append(&test_id, &Event::ExtraTimeGranted { minutes })?;
        }
        Ok(())
    }

    /// The whole room stops (fire alarm): the clock stops, the time is not charged.
    pub fn pause(&mut self, reason: &str) -> Result<(), KioskError> {
        let Some(test_id) = self.test.clone() else {
            return Ok(());
        };
        let p = self.journal.progress(&test_id)?;
        if p.ended.is_none() && p.clock_running {
            self.journal.append(
                &test_id,
                &Event::Paused {
                    reason: reason.to_owned(),
                },
            )?;
        }
        Ok(())
    }

    /// Takes over a test from the hub's copy of its journal (the candidate's PC died).
    pub fn adopt(&mut self, bytes: certroom_journal::ChainBytes) -> Result<(), KioskError> {
        let header = self.journal.import_chain(bytes)?;
        self.journal.open_test(&header.test_id)?;
        self.test = Some(header.test_id);
        self.joining = None;
        Ok(())
    }

    /// The station-signed head of the current test, once it ended.
    pub fn signed_head(&self) -> Result<Option<certroom_journal::SignedHead>, KioskError> {
        match &self.test {
            Some(t) => Ok(self.journal.signed_head(t)?),
            None => Ok(None),
        }
    }

    pub fn test_id(&self) -> Option<&str> {
        self.test.as_deref()
    }

    /// Deletes ended tests the console says the service holds past retention (never the test
    /// of this sitting). Returns how many went.
    pub fn forget_tests(&mut self, test_ids: &[String]) -> Result<u64, KioskError> {
        let others: Vec<String> = test_ids
            .iter()
            .filter(|id| self.test.as_deref() != Some(id.as_str()))
            .cloned()
            .collect();
        Ok(self.journal.forget_tests(&others)?)
    }

    /// Journal bytes after `after_seq`, to send to the room hub.
    pub fn chain_since(
        &self,
        after_seq: u64,
    ) -> Result<Option<(String, certroom_journal::ChainBytes)>, KioskError> {
        match &self.test {
            Some(t) => Ok(Some((t.clone(), self.journal.chain_bytes(t, after_seq)?))),
            None => Ok(None),
        }
    }

    /// After an ended test: the PC is ready for the next candidate, nothing of this one shows.
    pub fn release(&mut self) -> Result<(), KioskError> {
        if let Some(t) = &self.test {
            if self.journal.progress(t)?.ended.is_none() {
                return Err(KioskError::NotAuthorized);
            }
        }
        self.test = None;
        self.joining = None;
        self.bank = None;
        self.invigilator = None;
        Ok(())
    }

    /// An attachment of the question on screen, and only of that one.
    pub fn attachment(
        &self,
        item_id: &str,
        id: usize,
        lang: Lang,
    ) -> Result<AttachmentView, KioskError> {
        let test_id = self.live_test()?;
        let bank = self.bank.as_ref().ok_or(KioskError::NotAuthorized)?;
        let records = self.journal.records(&test_id)?;
        let test = self.engine(&bank.bank, &test_id, &records)?;
        if test.pending().map(|q| q.item_id) != Some(item_id) {
            return Err(KioskError::Engine(EngineError::NoQuestion));
        }
        let item = bank.bank.item(item_id).ok_or(KioskError::NoTest)?;
        let att = item.attachments.get(id).ok_or(KioskError::NoTest)?;
        let bytes = bank.asset(&att.src).ok_or(KioskError::NoTest)?;
        screen::attachment_view(item, id, lang, bytes).ok_or(KioskError::NoTest)
    }

    /// Window events during a live test go into the candidate's journal.
    pub fn record_window_event(&mut self, event: Event) -> Result<(), KioskError> {
        let Some(test_id) = self.test.clone() else {
            return Ok(());
        };
        let progress = self.journal.progress(&test_id)?;
        if progress.ended.is_none() && !progress.needs_authorization {
            self.journal.append(&test_id, &event)?;
        }
        Ok(())
    }

    /// Moves WAL pages into the database while nobody is answering.
    pub fn checkpoint(&self) -> Result<(), KioskError> {
        self.journal.checkpoint()?;
        Ok(())
    }

    fn remember_code(&mut self, code: &str) -> Result<(), KioskError> {
        let mut salt = [0u8; 16];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| KioskError::Random)?;
        self.invigilator = Some((
            salt,
            digest::digest(&digest::SHA256, &[&salt[..], code.as_bytes()].concat()),
        ));
        Ok(())
    }

    fn code_matches(&self, code: &str) -> bool {
        self.invigilator.as_ref().is_some_and(|(salt, d)| {
            digest::digest(&digest::SHA256, &[&salt[..], code.as_bytes()].concat()).as_ref()
                == d.as_ref()
        })
    }
}

/// Journals what the engine decided: the question before it is shown, or the end, signed.
fn record_next(
    journal: &mut Journal,
    key: &StationKey,
    test_id: &str,
    next: Next<'_>,
) -> Result<(), KioskError> {
    match next {
        Next::Question(q) => {
            let event = Event::QuestionShown {
                index: q.index,
                item_id: q.item_id.to_owned(),
                draw: serde_json::Value::from(q.draw),
            };
            journal.append(test_id, &event)?;
        }
        Next::End(reason) => {
            let why = match reason {
                certroom_core::engine::EndReason::BankExhausted => REASON_BANK_EXHAUSTED,
                _ => REASON_COMPLETED,
            };
            journal.end_test(test_id, EndedBy::Candidate, Some(why.into()), key)?;
        }
    }
    Ok(())
}

fn display_name(who: &Identity) -> String {
    format!(
        "{} {}",
        who.first_name.trim(),
        who.birth_name.trim().to_uppercase()
    )
}

fn last_shown(records: &[Record]) -> Option<&Record> {
    records
        .iter()
        .rev()
        .find(|r| matches!(r.event, Event::QuestionShown { .. }))
}

/// Whether a focus loss that voids an answer (see `FocusCause::voids_answer`) happened after
/// record `seq`.
fn focus_lost_since(records: &[Record], seq: u64, needs_adjustment: bool) -> bool {
    records.iter().any(|r| {
        r.seq > seq
            && matches!(r.event, Event::FocusLost { cause } if cause.voids_answer(needs_adjustment))
    })
}

fn ended_reason(records: &[Record]) -> EndedReason {
    let ended = records.iter().rev().find_map(|r| match &r.event {
        Event::Ended { by, reason } => Some((*by, reason.clone())),
        _ => None,
    });
    match ended {
        Some((_, Some(r))) if r == REASON_COMPLETED => EndedReason::Completed,
        Some((_, Some(r))) if r == REASON_BANK_EXHAUSTED => EndedReason::BankExhausted,
        Some((EndedBy::Time, _)) => EndedReason::TimeUp,
        _ => EndedReason::Interrupted,
    }
}
