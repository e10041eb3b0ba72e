//! Sessions and their candidates: created, edited, imported from files and exported back,
//! and the attendance sheet. Every use case needs the administrator's sign-in.

use std::path::PathBuf;

use certroom_centre::candidate::{Birthplace, Candidate, Sex};
use certroom_centre::enrolment::{self, CandidateFields, ExportFormat};
use certroom_centre::session::{Session, SessionDraft, SessionStatus};
use serde::Serialize;

use crate::error::{enrolment_error, store_error};
use crate::lifecycle::{self, SessionStage};
use crate::{Console, ConsoleError};

/// A session as the screens list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SessionView {
    pub number: i64,
    pub site: String,
    pub room: String,
    /// jj/mm/aaaa
    pub date: String,
    /// hh:mm
    pub start_time: String,
    pub invigilators: Vec<String>,
    pub observations: String,
    pub access_code: String,
    pub invigilator_password: String,
    pub status: SessionStatus,
    /// Where the session stands in its life, the service's word included (lifecycle.rs).
    pub stage: SessionStage,
    pub candidates: usize,
}

impl From<Session> for SessionView {
    fn from(s: Session) -> Self {
        Self {
            stage: lifecycle::stage(s.status, s.joined, None),
            number: s.number,
            date: s.details.date.format("%d/%m/%Y").to_string(),
            start_time: s.details.start_time.format("%H:%M").to_string(),
            site: s.details.site,
            room: s.details.room,
            invigilators: s.details.invigilators,
            observations: s.details.observations,
            access_code: s.access_code,
            invigilator_password: s.invigilator_password,
            status: s.status,
            candidates: s.candidates,
        }
    }
}

/// A candidate as the screens list them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CandidateView {
    pub id: i64,
    pub birth_name: String,
    pub first_name: String,
    pub sex: Sex,
    /// jj/mm/aaaa
    pub birthdate: String,
    pub birthplace: String,
    pub local_id: Option<String>,
    pub extra_time_percent: Option<u8>,
    pub adjusted_questions: bool,
    pub convocation_email: Option<String>,
    pub results_email: Option<String>,
}

impl CandidateView {
    fn new(id: i64, c: Candidate) -> Self {
        let birthplace = match &c.birthplace {
            Birthplace::France { insee, town, .. } => format!("{town} ({insee})"),
            Birthplace::Abroad { country, town, .. } => format!("{town}, {country}"),
        };
        Self {
            id,
            sex: c.sex,
            birthdate: c.birthdate.format("%d/%m/%Y").to_string(),
            birthplace,
            birth_name: c.birth_name,
            first_name: c.first_name,
            local_id: c.local_id,
            extra_time_percent: c.extra_time_percent,
            adjusted_questions: c.adjusted_questions,
            convocation_email: c.convocation_email,
            results_email: c.results_email,
        }
    }
}

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

impl Console {
    /// The sessions with where each stands, from its record and its bundle in the outbox.
    pub fn sessions(&self) -> Result<Vec<SessionView>, ConsoleError> {
        let sessions = self.signed_in_store()?.sessions().map_err(store_error)?;
        let uploads = self.uploads()?;
        Ok(sessions
            .into_iter()
            .map(|s| {
                let upload = lifecycle::latest_upload(&uploads, s.number);
                SessionView {
                    stage: lifecycle::stage(s.status, s.joined, upload),
                    ..SessionView::from(s)
                }
            })
            .collect())
    }

    pub fn create_session(&self, draft: &SessionDraft) -> Result<SessionView, ConsoleError> {
        let details = draft
            .validate()
            .map_err(|e| ConsoleError::from_message(&e))?;
        let mut store = self.signed_in_store()?;
        Ok(store.create_session(&details).map_err(store_error)?.into())
    }

    pub fn update_session(
        &self,
        number: i64,
        draft: &SessionDraft,
    ) -> Result<SessionView, ConsoleError> {
        let details = draft
            .validate()
            .map_err(|e| ConsoleError::from_message(&e))?;
        let mut store = self.signed_in_store()?;
        Ok(store
            .update_session(number, &details)
            .map_err(store_error)?
            .into())
    }

    pub fn delete_session(&self, number: i64) -> Result<(), ConsoleError> {
        self.signed_in_store()?
            .delete_session(number)
            .map_err(store_error)
    }

    pub fn candidates(&self, number: i64) -> Result<Vec<CandidateView>, ConsoleError> {
        let store = self.signed_in_store()?;
        let candidates = store.candidates(number).map_err(store_error)?;
        Ok(candidates
            .into_iter()
            .map(|(id, c)| CandidateView::new(id, c))
            .collect())
    }

    /// The candidates as the centre's lists hold them (the office's birthplaces come from here).
    pub fn enrolled(&self, number: i64) -> Result<Vec<(i64, Candidate)>, ConsoleError> {
        self.signed_in_store()?
            .candidates(number)
            .map_err(store_error)
    }

    /// A candidate typed by hand goes through exactly the rules of an imported line.
    pub fn add_candidate(
        &self,
        number: i64,
        fields: &CandidateFields,
    ) -> Result<CandidateView, ConsoleError> {
        let mut store = self.signed_in_store()?;
        let id =
            enrolment::add_by_hand(&mut store, number, fields, today()).map_err(enrolment_error)?;
        drop(store);
        self.candidate(number, id)
    }

    pub fn edit_candidate(
        &self,
        number: i64,
        id: i64,
        fields: &CandidateFields,
    ) -> Result<CandidateView, ConsoleError> {
        let mut store = self.signed_in_store()?;
        enrolment::edit_by_hand(&mut store, number, id, fields, today())
            .map_err(enrolment_error)?;
        drop(store);
        self.candidate(number, id)
    }

    pub fn remove_candidate(&self, number: i64, id: i64) -> Result<(), ConsoleError> {
        self.signed_in_store()?
            .remove_candidate(number, id)
            .map_err(store_error)
    }

    /// The candidate as stored after a change, for the screen to show.
    fn candidate(&self, number: i64, id: i64) -> Result<CandidateView, ConsoleError> {
        self.candidates(number)?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| ConsoleError::internal("candidate", "not stored"))
    }

    /// The national service's sessions file (`;`, BOM): every session, or none.
    pub fn import_sessions(&self, bytes: &[u8]) -> Result<Vec<i64>, ConsoleError> {
        let mut store = self.signed_in_store()?;
        enrolment::import_sessions_file(&mut store, bytes).map_err(enrolment_error)
    }

    /// Candidates from a template file (CSV, ODS, XLSX) or a SIECLE export, all or nothing. For
    /// SIECLE, `classes` picks the divisions that sit the session.
    pub fn import_candidates(
        &self,
        number: i64,
        bytes: &[u8],
        file_name: &str,
        classes: &[String],
    ) -> Result<usize, ConsoleError> {
        let mut store = self.signed_in_store()?;
        enrolment::import_file(&mut store, number, bytes, file_name, classes, today())
            .map_err(enrolment_error)
    }

    /// The candidates back in the national template (a file a school can fix and import).
    pub fn candidates_file(
        &self,
        number: i64,
        format: ExportFormat,
    ) -> Result<Vec<u8>, ConsoleError> {
        let store = self.signed_in_store()?;
        enrolment::export_file(&store, number, format).map_err(enrolment_error)
    }

    /// The candidates' file written in the exports folder.
    pub fn export_candidates(
        &self,
        number: i64,
        format: ExportFormat,
    ) -> Result<PathBuf, ConsoleError> {
        let bytes = self.candidates_file(number, format)?;
        let ext = match format {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
        };
        self.write_export(&format!("session-{number}-candidats.{ext}"), &bytes)
    }

    /// The attendance sheet (feuille d'émargement) as a PDF.
    pub fn attendance_sheet(&self, number: i64) -> Result<Vec<u8>, ConsoleError> {
        let store = self.signed_in_store()?;
        enrolment::attendance_pdf(&store, number).map_err(enrolment_error)
    }

    /// The attendance sheet written in the exports folder.
    pub fn attendance(&self, number: i64) -> Result<PathBuf, ConsoleError> {
        let bytes = self.attendance_sheet(number)?;
        self.write_export(&format!("session-{number}-emargement.pdf"), &bytes)
    }
}
