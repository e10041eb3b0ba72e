//! Every journal of a verified bundle goes through the same engine the kiosk ran: the recorded
//! questions must be the ones the engine derives from the seed and the answers, and the score is
//! recomputed from scratch. The room's own account (outcome, abort reason) is compared with what
//! the replay establishes; a difference is not a refusal (the bundle is authentic) but a case
//! for the jury.

use std::collections::BTreeSet;

use certroom_bundle::{AbortReason, Outcome, VerifiedCandidate};
use certroom_core::engine::{replay, rescore, AbortCause, Adjustments, EndReason, Step};
use certroom_core::scoring::{self, Status};
use certroom_core::{Bank, Config};
use certroom_journal::steps::engine_steps;
use certroom_journal::{Event, FocusCause};

use crate::model::{
    CandidateRow, FocusLossRow, IncidentRow, Mismatch, PlayedRow, ResultStatus, ScoreRow,
};

/// The configurations the service scores with, by id: the engine's default and those an
/// administrator added (`certif-server admin add-config`). A journal under any other is never
/// scored with another one: it goes to the jury.
#[derive(Debug, Clone, Default)]
pub struct KnownConfigs(BTreeSet<String>);

impl KnownConfigs {
    /// `bank`'s default (the engine's default with the bank's own competence bounds, as the
    /// kiosk runs it) and those `added`.
    pub fn new(bank: &Bank, added: impl IntoIterator<Item = String>) -> Self {
        KnownConfigs(
            [Config::default().id(), Config::for_bank(bank).id()]
                .into_iter()
                .chain(added)
                .collect(),
        )
    }

    pub fn contains(&self, id: &str) -> bool {
        self.0.contains(id)
    }
}

/// The validated E10 incidents of a candidate, by question: each lifts the focus rule for that
/// answer (facts §4). The console records them with the question they concern. The jury's
/// neutralizations leave their items out.
fn adjustments(c: &VerifiedCandidate, neutralized: &BTreeSet<String>) -> Adjustments {
    Adjustments {
        e10_validated: c
            .candidate
            .entry
            .incidents
            .iter()
            .filter(|i| i.code == "E10")
            .filter_map(|i| i.question)
            .collect(),
        neutralized: neutralized.clone(),
    }
}

/// Every focus loss with the question on screen: the one about to be answered or skipped.
fn focus_losses(records: &[certroom_journal::Record]) -> Vec<FocusLossRow> {
    let mut question = 1u32;
    let mut out = Vec::new();
    for r in records {
        match &r.event {
            Event::Answer { .. } | Event::Skip { .. } => question += 1,
            Event::FocusLost { cause } => out.push(FocusLossRow {
                question,
                cause: match cause {
                    FocusCause::Window => "window",
                    FocusCause::AssistiveTechnology => "assistive_technology",
                    FocusCause::Unrecorded => "unrecorded",
                }
                .into(),
            }),
            _ => {}
        }
    }
    out
}

/// How the identity the hub matched when the candidate joined (journal header, version 2)
/// differs from the finalized list's, if it does: an invigilator's fix on the spot (C1) or a
/// journal sat under another name.
fn identity_difference(
    joined: Option<&certroom_journal::JoinedIdentity>,
    row: &CandidateRow,
) -> Option<String> {
    let j = joined?;
    let name = certroom_core::identity::normalise_name;
    let same = name(&j.birth_name) == name(&row.birth_name)
        && name(&j.first_name) == name(&row.first_name)
        && j.birthdate == row.birthdate;
    (!same).then(|| {
        format!(
            "à l'entrée : {} {}, né(e) le {} ; à la finalisation : {} {}, né(e) le {}",
            j.birth_name, j.first_name, j.birthdate, row.birth_name, row.first_name, row.birthdate
        )
    })
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

/// Replays one candidate and compares with the room's account. `questions` is the session's
/// (version 1 journals); a version 2 journal carries its configuration, which must be known.
pub fn replay_candidate(
    bank: &Bank,
    questions: u32,
    known: &KnownConfigs,
    c: &VerifiedCandidate,
    neutralized: &BTreeSet<String>,
) -> CandidateRow {
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
        played: Vec::new(),
        focus_losses: Vec::new(),
        identity_difference: None,
        station_problem: None,
        neutralized: neutralized.iter().cloned().collect(),
        jury: None,
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
    let header = journal.mirror.header();
    row.identity_difference = identity_difference(header.identity.as_ref(), &row);
    row.focus_losses = focus_losses(journal.mirror.records());
    let cfg = &header.engine_config(questions);
    if let Some(id) = header.config_id.as_deref().filter(|id| !known.contains(id)) {
        row.status = ResultStatus::Error;
        row.mismatch = Some(Mismatch {
            kind: "unknown_config".into(),
            detail: format!(
                "le journal a été passé sous une configuration que le service ne connaît pas ({id}) : il n'est pas noté avec une autre"
            ),
        });
        return row;
    }
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
    let replayed = match replay(
        bank,
        cfg,
        header.engine_seed,
        header.needs_adjustment,
        &steps,
    ) {
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
    // The questions are the ones played; the count follows the invigilator's validated E10s.
    row.played = replayed
        .played
        .iter()
        .map(|p| PlayedRow {
            item_id: p.item_id.clone(),
            counted: p.counted,
            focus_voided: p.focus_voided,
        })
        .collect();
    let adjustments = adjustments(c, neutralized);
    // Without adjustments, rescoring gives the replay's own score bit for bit (the engine's
    // `rescoring_without_adjustments_gives_the_played_score_exactly`): it would only compute
    // every estimate of the test a second time.
    let (score, answered, correct) = if adjustments.is_empty() {
        (replayed.score, replayed.answered, replayed.correct)
    } else {
        let r = rescore(bank, cfg, &replayed.played, &adjustments, replayed.end);
        (r.score, r.answered, r.correct)
    };
    let s = &score;
    row.status = status_of(s.status);
    row.score = Some(ScoreRow {
        capacity: s.capacity,
        pix: s.pix,
        pix_max: scoring::pix(&cfg.scoring, f64::MAX),
        global_level: s.global_level,
        levels: s.competence_levels,
        answered,
        correct,
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
