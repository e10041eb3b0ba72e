//! Every journal of a verified bundle goes through the same engine the kiosk ran: the recorded
//! questions must be the ones the engine derives from the seed and the answers, and the score is
//! recomputed from scratch. The room's own account (outcome, abort reason) is compared with what
//! the replay establishes; a difference is not a refusal (the bundle is authentic) but a case
//! for the jury.

use certroom_bundle::{AbortReason, Outcome, VerifiedCandidate};
use certroom_core::engine::{replay, AbortCause, EndReason, Step};
use certroom_core::scoring::{self, Status};
use certroom_core::{Bank, Config};
use certroom_journal::steps::engine_steps;
use certroom_journal::Event;

use crate::model::{CandidateRow, IncidentRow, Mismatch, ResultStatus, ScoreRow};

/// The engine configuration a session ran with: the default of the engine version for its bank
/// (the bank's own competence bounds when it carries them, as the kiosk scored with), with the
/// session's number of questions (the manifest states it).
pub fn engine_config(questions: u32, bank: &Bank) -> Config {
    Config {
        questions,
        ..Config::for_bank(bank)
    }
}

fn cause_of(r: AbortReason) -> Option<AbortCause> {
    match r {
        AbortReason::None => None,
        AbortReason::Candidate => Some(AbortCause::Candidate),
        AbortReason::Technical => Some(AbortCause::Technical),
    }
}

fn cause_fr(c: AbortCause) -> &'static str {
    match c {
        AbortCause::Candidate => "du fait du candidat",
        AbortCause::Technical => "technique",
    }
}

fn status_of(s: Status) -> ResultStatus {
    match s {
        Status::Validated => ResultStatus::Validated,
        Status::Rejected => ResultStatus::Rejected,
        Status::Cancelled => ResultStatus::Cancelled,
        Status::Started => ResultStatus::Error,
    }
}

/// Replays one candidate and compares with the room's account.
pub fn replay_candidate(bank: &Bank, cfg: &Config, c: &VerifiedCandidate) -> CandidateRow {
    let e = &c.candidate.entry;
    let mut row = CandidateRow {
        candidate_id: e.candidate_id,
        birth_name: e.birth_name.clone(),
        first_name: e.first_name.clone(),
        birthdate: e.birthdate.format("%Y-%m-%d").to_string(),
        local_id: e.local_id.clone(),
        outcome: e.outcome.as_str().to_owned(),
        abort_reason: e.abort_reason.as_str().to_owned(),
        incidents: e
            .incidents
            .iter()
            .map(|i| IncidentRow {
                code: i.code.clone(),
                note: i.note.clone(),
                question: i.question,
            })
            .collect(),
        test_id: e.test_id.clone(),
        status: ResultStatus::Absent,
        score: None,
        mismatch: None,
    };
    let Some(journal) = &c.journal else {
        // No test started: the invigilator's abort reason alone says whose fault it was.
        row.status = match (e.outcome, cause_of(e.abort_reason)) {
            (Outcome::EndedByInvigilator, Some(AbortCause::Candidate)) => ResultStatus::Rejected,
            (Outcome::EndedByInvigilator, Some(AbortCause::Technical)) => ResultStatus::Cancelled,
            _ => ResultStatus::Absent,
        };
        return row;
    };
    let records = journal.mirror.records();
    let mut steps = match engine_steps(records) {
        Ok(s) => s,
        Err(err) => {
            row.status = ResultStatus::Error;
            row.mismatch = Some(Mismatch {
                kind: "steps".into(),
                detail: err.to_string(),
            });
            return row;
        }
    };
    let ended = records
        .last()
        .is_some_and(|r| matches!(r.event, Event::Ended { .. }));
    let answers = steps
        .iter()
        .filter(|s| matches!(s, Step::Answer { .. }))
        .count();
    // A journal cut short (PC lost, finalized without an `Ended` record) ends the way the
    // finalization says: missing questions count as skipped from 20 answers on.
    if !ended && answers < cfg.questions as usize {
        if let Some(cause) = cause_of(e.abort_reason) {
            steps.push(Step::Ended { cause });
        }
    }
    let seed = journal.mirror.header().engine_seed;
    let replayed = match replay(bank, cfg, seed, false, &steps) {
        Ok(r) => r,
        Err(err) => {
            row.status = ResultStatus::Error;
            row.mismatch = Some(Mismatch {
                kind: "replay".into(),
                detail: err.to_string(),
            });
            return row;
        }
    };
    let s = &replayed.score;
    row.status = status_of(s.status);
    row.score = Some(ScoreRow {
        capacity: s.capacity,
        pix: s.pix,
        pix_max: scoring::pix(&cfg.scoring, f64::MAX),
        global_level: s.global_level,
        levels: s.competence_levels,
        answered: replayed.answered,
        correct: replayed.correct,
    });
    if s.status == Status::Started {
        row.mismatch = Some(Mismatch {
            kind: "unfinished".into(),
            detail: format!(
                "le journal ne se termine pas ({} réponses sur {}) et aucun motif d'arrêt n'est donné",
                replayed.answered, cfg.questions
            ),
        });
        return row;
    }
    if let (Some(EndReason::Interrupted(journal_cause)), Some(declared)) =
        (replayed.end, cause_of(e.abort_reason))
    {
        let declared_status = scoring::status(
            replayed.answered,
            cfg.min_answers,
            Some(EndReason::Interrupted(declared)),
        );
        if declared != journal_cause && declared_status != s.status {
            row.mismatch = Some(Mismatch {
                kind: "abort_reason".into(),
                detail: format!(
                    "le journal enregistre un arrêt {} (statut recalculé : {}), la finalisation un arrêt {} (statut : {}) ; {} réponses",
                    cause_fr(journal_cause),
                    status_of(s.status).as_str(),
                    cause_fr(declared),
                    status_of(declared_status).as_str(),
                    replayed.answered
                ),
            });
        }
    }
    row
}
