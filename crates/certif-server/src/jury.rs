//! The jury, candidate by candidate (facts §7). Named members, each signing in with a credential
//! of their own (the administrator's token decides nothing); per candidate, a decision
//! (validated, rejected, cancelled) with a reason; per candidate or for the whole session, a
//! question neutralized (the score recomputed as if it had not been asked) or given back. Every
//! act is logged with its member and time. Rescoring replays the stored bundle — the evidence —
//! through the same function as at receipt, so a neutralization undone gives back exactly the
//! score it took away. The session's own decision then publishes what the candidates' rows say.

use std::collections::BTreeSet;

use certroom_bundle::container::Container;
use certroom_core::hash::to_hex;
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{ApiError, StoreError};
use crate::model::{
    ActKind, CandidateRow, Decision, JuryAct, JuryCase, JuryMark, JuryMember, ResultStatus,
    SessionStatus,
};
use crate::replay::replay_candidate;
use crate::service::{token_hash, Service};

/// The longest reason or comment kept.
pub const MAX_REASON_CHARS: usize = 5000;

/// A jury member's name: what every act they make is signed with in the log.
fn member_name_checked(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "jury.member_name",
            "Nom du membre du jury : 1 à 100 caractères, sans caractère de contrôle.",
            "Jury member's name: 1 to 100 characters, no control character.",
        ));
    }
    Ok(name.to_owned())
}

/// A reason is required for every act: it is what a pupil or a school is told.
fn reason_checked(reason: &str) -> Result<String, ApiError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ApiError::bad_request(
            "jury.reason_required",
            "Chaque décision du jury doit être motivée : indiquez la raison.",
            "Every jury decision needs a reason: give it.",
        ));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::bad_request(
            "jury.reason_too_long",
            "Motif trop long (5 000 caractères au plus).",
            "Reason too long (at most 5,000 characters).",
        ));
    }
    Ok(reason.to_owned())
}

fn unknown_session(session_id: &str) -> ApiError {
    ApiError::not_found(
        "jury.unknown_session",
        format!("Aucune session {session_id} n'attend le jury."),
        format!("No session {session_id} is waiting for the jury."),
    )
}

fn not_pending(session_id: &str) -> ApiError {
    ApiError::conflict(
        "jury.not_pending",
        format!("La session {session_id} n'attend pas de décision du jury."),
        format!("Session {session_id} is not waiting for a jury decision."),
    )
}

fn unknown_candidate(id: i64) -> ApiError {
    ApiError::not_found(
        "jury.unknown_candidate",
        format!("Aucun candidat n°{id} dans cette session."),
        format!("No candidate #{id} in this session."),
    )
}

/// A candidate's row after a member's decision on it. A candidate with no score cannot be
/// validated (there is nothing to certify), and a candidate who never started has nothing to
/// decide.
pub fn decide_candidate(
    row: &CandidateRow,
    decision: Decision,
    reason: &str,
    member: &str,
    at: &str,
) -> Result<CandidateRow, ApiError> {
    let computed = row.jury.as_ref().map_or(row.status, |j| j.computed);
    if computed == ResultStatus::Absent {
        return Err(ApiError::conflict(
            "jury.absent",
            format!(
                "{} n'a pas commencé le test : il n'y a rien à décider.",
                row.display_name()
            ),
            format!(
                "{} never started the test: there is nothing to decide.",
                row.display_name()
            ),
        ));
    }
    if decision == Decision::Validate && row.score.is_none() {
        return Err(ApiError::conflict(
            "jury.no_score",
            format!(
                "{} n'a pas de score recalculé : le résultat ne peut pas être validé.",
                row.display_name()
            ),
            format!(
                "{} has no recomputed score: the result cannot be validated.",
                row.display_name()
            ),
        ));
    }
    let mut row = row.clone();
    row.status = decision.result();
    row.jury = Some(JuryMark {
        decision,
        reason: reason.to_owned(),
        member: member.to_owned(),
        at: at.to_owned(),
        computed,
    });
    Ok(row)
}

/// Candidates whose recomputed result the room's account contradicts and on whom no member has
/// decided yet: the session cannot be validated while any is left (they would otherwise be
/// published, or dropped, by default).
pub fn undecided(case: &JuryCase) -> Vec<&CandidateRow> {
    case.candidates
        .iter()
        .filter(|c| c.mismatch.is_some() && c.jury.is_none())
        .collect()
}

/// The candidates a neutralization (or its undoing) changes, with their new sets of neutralized
/// items: one candidate, or every candidate of the session who was asked the item.
pub fn neutralization_targets(
    case: &JuryCase,
    candidate: Option<i64>,
    item_id: &str,
    undo: bool,
) -> Result<Vec<(i64, BTreeSet<String>)>, ApiError> {
    let chosen: Vec<&CandidateRow> = match candidate {
        Some(id) => vec![case
            .candidates
            .iter()
            .find(|c| c.candidate_id == id)
            .ok_or_else(|| unknown_candidate(id))?],
        None => case.candidates.iter().collect(),
    };
    let mut out = Vec::new();
    for c in chosen {
        let asked = c.played.iter().any(|p| p.item_id == item_id);
        let mut set: BTreeSet<String> = c.neutralized.iter().cloned().collect();
        let changes = if undo {
            set.remove(item_id)
        } else {
            asked && set.insert(item_id.to_owned())
        };
        if changes {
            out.push((c.candidate_id, set));
        } else if candidate.is_some() {
            return Err(if undo {
                ApiError::conflict(
                    "jury.not_neutralized",
                    format!("La question {item_id} n'est pas neutralisée pour ce candidat."),
                    format!("Question {item_id} is not neutralized for this candidate."),
                )
            } else if asked {
                ApiError::conflict(
                    "jury.already_neutralized",
                    format!("La question {item_id} est déjà neutralisée pour ce candidat."),
                    format!("Question {item_id} is already neutralized for this candidate."),
                )
            } else {
                ApiError::conflict(
                    "jury.not_asked",
                    format!("La question {item_id} n'a pas été posée à ce candidat."),
                    format!("Question {item_id} was not asked to this candidate."),
                )
            });
        }
    }
    if out.is_empty() {
        return Err(ApiError::conflict(
            "jury.nothing_to_neutralize",
            format!("La question {item_id} ne change le score d'aucun candidat de la session."),
            format!("Question {item_id} changes no candidate's score in this session."),
        ));
    }
    Ok(out)
}

impl Service {
    /// Adds a jury member and returns their credential (shown once; only its hash is kept).
    pub async fn add_jury_member(&self, name: &str) -> Result<String, ApiError> {
        let name = member_name_checked(name)?;
        let mut raw = [0u8; 32];
        SystemRandom::new()
            .fill(&mut raw)
            .map_err(|_| ApiError::internal("system random generator failed"))?;
        let credential = format!("jury_{}", to_hex(&raw));
        match self
            .store
            .add_jury_member(&name, &token_hash(&credential), &crate::now())
            .await
        {
            Ok(()) => Ok(credential),
            Err(StoreError::Conflict(_)) => Err(ApiError::conflict(
                "jury.member_exists",
                format!("Un membre du jury s'appelle déjà « {name} » (les actes le nomment : choisissez un autre nom)."),
                format!("A jury member is already called \"{name}\" (acts name them: choose another name)."),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a member: their credential stops working; their acts stay.
    pub async fn remove_jury_member(&self, name: &str) -> Result<(), ApiError> {
        if self
            .store
            .remove_jury_member(name.trim(), &crate::now())
            .await?
        {
            Ok(())
        } else {
            Err(ApiError::not_found(
                "jury.unknown_member",
                format!(
                    "Aucun membre du jury en fonction ne s'appelle « {} ».",
                    name.trim()
                ),
                format!("No present jury member is called \"{}\".", name.trim()),
            ))
        }
    }

    pub async fn jury_members(&self) -> Result<Vec<JuryMember>, ApiError> {
        Ok(self.store.jury_members().await?)
    }

    /// The member a credential belongs to.
    pub async fn jury_member(&self, credential: &str) -> Result<String, ApiError> {
        let found = if credential.starts_with("jury_") {
            self.store
                .jury_member_for_token(&token_hash(credential))
                .await?
        } else {
            None
        };
        found.ok_or_else(|| {
            ApiError::new(
                401,
                "auth.jury",
                "Identifiant de membre du jury absent ou invalide.",
                "Missing or invalid jury member credential.",
            )
        })
    }

    pub async fn jury_cases(&self) -> Result<Vec<JuryCase>, ApiError> {
        Ok(self.store.jury_cases().await?)
    }

    /// A session waiting for the jury, and every act on it so far.
    pub async fn jury_case(&self, session_id: &str) -> Result<(JuryCase, Vec<JuryAct>), ApiError> {
        let case = self
            .store
            .jury_cases()
            .await?
            .into_iter()
            .find(|c| c.session_id == session_id)
            .ok_or_else(|| unknown_session(session_id))?;
        let acts = self.store.jury_acts(&case.bundle_id).await?;
        Ok((case, acts))
    }

    /// A member's decision on one candidate of a pending session.
    pub async fn decide_candidate(
        &self,
        member: &str,
        session_id: &str,
        candidate_id: i64,
        decision: Decision,
        reason: &str,
    ) -> Result<CandidateRow, ApiError> {
        let reason = reason_checked(reason)?;
        let (case, _) = self.jury_case(session_id).await?;
        let row = case
            .candidates
            .iter()
            .find(|c| c.candidate_id == candidate_id)
            .ok_or_else(|| unknown_candidate(candidate_id))?;
        let at = crate::now();
        let decided = decide_candidate(row, decision, &reason, member, &at)?;
        let act = JuryAct {
            bundle_id: case.bundle_id.clone(),
            candidate_id: Some(candidate_id),
            kind: decision.into(),
            item_id: None,
            reason,
            member: member.to_owned(),
            at,
        };
        self.record(session_id, vec![decided.clone()], act).await?;
        Ok(decided)
    }

    /// Neutralizes a question (or gives it back, `undo`) for one candidate or for every
    /// candidate of the session who was asked it; returns the rescored rows.
    pub async fn neutralize(
        &self,
        member: &str,
        session_id: &str,
        candidate: Option<i64>,
        item_id: &str,
        reason: &str,
        undo: bool,
    ) -> Result<Vec<CandidateRow>, ApiError> {
        let reason = reason_checked(reason)?;
        let item_id = item_id.trim();
        let (case, _) = self.jury_case(session_id).await?;
        let targets = neutralization_targets(&case, candidate, item_id, undo)?;
        let rows = self.rescored(&case, &targets).await?;
        let act = JuryAct {
            bundle_id: case.bundle_id.clone(),
            candidate_id: candidate,
            kind: if undo {
                ActKind::Restore
            } else {
                ActKind::Neutralize
            },
            item_id: Some(item_id.to_owned()),
            reason,
            member: member.to_owned(),
            at: crate::now(),
        };
        self.record(session_id, rows.clone(), act).await?;
        Ok(rows)
    }

    /// The session's decision. Validation publishes the candidates as their rows now stand, and
    /// is refused while a contradicted result is left undecided.
    pub async fn decide(
        &self,
        member: &str,
        session_id: &str,
        decision: Decision,
        comment: &str,
    ) -> Result<SessionStatus, ApiError> {
        let comment = comment.trim();
        if decision != Decision::Validate && comment.is_empty() {
            return Err(ApiError::bad_request(
                "jury.comment_required",
                "Un refus ou une annulation doit être motivé : ajoutez un commentaire.",
                "A rejection or cancellation needs a reason: add a comment.",
            ));
        }
        if comment.chars().count() > MAX_REASON_CHARS {
            return Err(ApiError::bad_request(
                "jury.comment_too_long",
                "Commentaire trop long (5 000 caractères au plus).",
                "Comment too long (at most 5,000 characters).",
            ));
        }
        // A session no longer waiting is answered by the store below (decided, or unknown).
        if let (Decision::Validate, Ok((case, _))) = (decision, self.jury_case(session_id).await) {
            let left: Vec<String> = undecided(&case).iter().map(|c| c.display_name()).collect();
            if !left.is_empty() {
                return Err(ApiError::conflict(
                    "jury.undecided",
                    format!(
                        "Décidez d'abord pour chaque résultat contredit par le recalcul : {}.",
                        left.join(", ")
                    ),
                    format!(
                        "First decide on every result the recomputation contradicts: {}.",
                        left.join(", ")
                    ),
                ));
            }
        }
        match self
            .store
            .decide(
                session_id,
                decision,
                comment,
                member,
                &crate::now(),
                self.signer.clone(),
                crate::today(),
            )
            .await
        {
            Ok(s) => Ok(s),
            Err(StoreError::NotFound(_)) => Err(unknown_session(session_id)),
            Err(StoreError::State(_)) => Err(not_pending(session_id)),
            Err(e) => Err(e.into()),
        }
    }

    async fn record(
        &self,
        session_id: &str,
        rows: Vec<CandidateRow>,
        act: JuryAct,
    ) -> Result<(), ApiError> {
        match self.store.jury_act(rows, act).await {
            Ok(()) => Ok(()),
            Err(StoreError::State(_)) => Err(not_pending(session_id)),
            Err(StoreError::NotFound(_)) => Err(unknown_session(session_id)),
            Err(e) => Err(e.into()),
        }
    }

    /// Replays these candidates from the stored bundle with their new neutralized items; a
    /// member's decision on a candidate stays, over the new computed status.
    async fn rescored(
        &self,
        case: &JuryCase,
        targets: &[(i64, BTreeSet<String>)],
    ) -> Result<Vec<CandidateRow>, ApiError> {
        let bytes = self
            .store
            .bundle_bytes(&case.bundle_id)
            .await?
            .ok_or_else(|| unknown_session(&case.session_id))?;
        let key = Container::console_key(&bytes)
            .map_err(|e| ApiError::internal(format!("stored bundle unreadable: {e}")))?;
        let verified =
            tokio::task::spawn_blocking(move || certroom_bundle::verify(&bytes, Some(&[key])))
                .await
                .map_err(|e| ApiError::internal(format!("verification task failed: {e}")))?
                .map_err(|e| {
                    ApiError::internal(format!("stored bundle no longer verifies: {e}"))
                })?;
        let bank_hash = verified.manifest.bank_hash.to_hex();
        let bank = self
            .banks
            .get(self.store.as_ref(), &bank_hash)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::internal(format!("bank {bank_hash} missing")))?;
        let known = self.known_configs(&bank).await?;
        let questions = verified.manifest.session.questions;
        targets
            .iter()
            .map(|(id, neutralized)| {
                let old = case
                    .candidates
                    .iter()
                    .find(|c| c.candidate_id == *id)
                    .ok_or_else(|| unknown_candidate(*id))?;
                let c = verified
                    .candidates
                    .iter()
                    .find(|c| c.candidate.entry.candidate_id == *id)
                    .ok_or_else(|| unknown_candidate(*id))?;
                let mut row = replay_candidate(&bank, questions, &known, c, neutralized);
                row.station_problem.clone_from(&old.station_problem);
                if let Some(mut mark) = old.jury.clone() {
                    mark.computed = row.status;
                    row.status = mark.decision.result();
                    row.jury = Some(mark);
                }
                Ok(row)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PlayedRow, ScoreRow};

    fn row(id: i64, items: &[&str]) -> CandidateRow {
        CandidateRow {
            candidate_id: id,
            birth_name: "Martin".into(),
            first_name: "Léa".into(),
            birthdate: "2011-03-04".into(),
            local_id: None,
            outcome: "finished".into(),
            abort_reason: "none".into(),
            incidents: vec![],
            test_id: Some("t".into()),
            status: ResultStatus::Validated,
            score: Some(ScoreRow {
                capacity: 0.0,
                pix: 300,
                pix_max: 895,
                global_level: 3,
                levels: [3; 16],
                answered: 2,
                correct: 1,
            }),
            mismatch: None,
            played: items
                .iter()
                .map(|i| PlayedRow {
                    item_id: (*i).into(),
                    counted: true,
                    focus_voided: false,
                })
                .collect(),
            focus_losses: vec![],
            identity_difference: None,
            station_problem: None,
            neutralized: vec![],
            jury: None,
        }
    }

    fn case(rows: Vec<CandidateRow>) -> JuryCase {
        JuryCase {
            session_id: "0750654D-1".into(),
            bundle_id: "b".into(),
            uai: "0750654D".into(),
            centre_name: "C".into(),
            session_number: 1,
            session_date: "2026-05-12".into(),
            received_at: "x".into(),
            comment: String::new(),
            flags: vec![],
            candidates: rows,
        }
    }

    #[test]
    fn a_decision_keeps_what_the_replay_computed_and_who_decided() {
        let r = row(1, &["a"]);
        let d = decide_candidate(&r, Decision::Reject, "Fraude (C6)", "Mme Durand", "t").unwrap();
        assert_eq!(d.status, ResultStatus::Rejected);
        let mark = d.jury.as_ref().unwrap();
        assert_eq!(
            (mark.member.as_str(), mark.computed),
            ("Mme Durand", ResultStatus::Validated)
        );
        // Deciding again keeps the replay's status, not the previous decision's.
        let again = decide_candidate(&d, Decision::Validate, "Revu", "M. Petit", "t2").unwrap();
        assert_eq!(again.jury.unwrap().computed, ResultStatus::Validated);
        assert_eq!(again.status, ResultStatus::Validated);
    }

    #[test]
    fn no_score_cannot_be_validated_and_absent_cannot_be_decided() {
        let mut r = row(1, &[]);
        r.score = None;
        r.status = ResultStatus::Error;
        let e = decide_candidate(&r, Decision::Validate, "x", "m", "t").unwrap_err();
        assert_eq!(e.code, "jury.no_score");
        assert!(decide_candidate(&r, Decision::Cancel, "x", "m", "t").is_ok());
        r.status = ResultStatus::Absent;
        let e = decide_candidate(&r, Decision::Cancel, "x", "m", "t").unwrap_err();
        assert_eq!(e.code, "jury.absent");
    }

    #[test]
    fn undecided_lists_only_contradicted_results_without_a_decision() {
        let mut a = row(1, &["a"]);
        a.mismatch = Some(crate::model::Mismatch {
            kind: "replay".into(),
            detail: "d".into(),
        });
        let b = row(2, &["a"]);
        let c = case(vec![a.clone(), b]);
        assert_eq!(undecided(&c).len(), 1);
        let decided = decide_candidate(&a, Decision::Cancel, "r", "m", "t").unwrap();
        let c = case(vec![decided]);
        assert!(undecided(&c).is_empty());
    }

    #[test]
    fn neutralizing_targets_only_those_asked_and_undo_only_what_is_neutralized() {
        let c = case(vec![row(1, &["a", "b"]), row(2, &["b"]), row(3, &["c"])]);
        let t = neutralization_targets(&c, None, "b", false).unwrap();
        assert_eq!(t.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![1, 2]);
        assert!(t.iter().all(|(_, s)| s.contains("b")));
        let e = neutralization_targets(&c, Some(3), "b", false).unwrap_err();
        assert_eq!(e.code, "jury.not_asked");
        let e = neutralization_targets(&c, Some(1), "b", true).unwrap_err();
        assert_eq!(e.code, "jury.not_neutralized");
        let e = neutralization_targets(&c, None, "zz", false).unwrap_err();
        assert_eq!(e.code, "jury.nothing_to_neutralize");
        let mut r = row(1, &["a"]);
        r.neutralized = vec!["a".into()];
        let c = case(vec![r]);
        let e = neutralization_targets(&c, Some(1), "a", false).unwrap_err();
        assert_eq!(e.code, "jury.already_neutralized");
        let t = neutralization_targets(&c, Some(1), "a", true).unwrap();
        assert!(t[0].1.is_empty());
    }
}
