//! What `certroom bundle verify FILE` prints for a bundle that passed every check.

use std::fmt;

use certroom_core::hash::to_hex;
use certroom_core::Hash;
use certroom_journal::Event;

use crate::model::{AbortReason, Outcome};
use crate::verify::VerifiedBundle;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportCandidate {
    pub candidate_id: i64,
    pub birth_name: String,
    pub first_name: String,
    pub local_id: Option<String>,
    pub outcome: Outcome,
    pub abort_reason: AbortReason,
    pub test_id: Option<String>,
    pub records: u64,
    /// Hex key of the station that signed the head, if the test has one.
    pub signed_by: Option<String>,
    pub focus_losses: u64,
    pub incident_codes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub bundle_id: String,
    pub file_sha256: Hash,
    pub uai: String,
    pub centre_name: String,
    pub session: i64,
    pub date: String,
    pub site: String,
    pub room: String,
    pub console_key: String,
    pub console_pinned: bool,
    pub finalized_at: String,
    pub comment: String,
    pub stations: usize,
    pub journals: usize,
    pub records: u64,
    pub signed_heads: usize,
    pub candidates: Vec<ReportCandidate>,
}

impl Report {
    pub(crate) fn from_bundle(b: &VerifiedBundle) -> Self {
        let m = &b.manifest;
        let candidates: Vec<ReportCandidate> = b
            .candidates
            .iter()
            .map(|c| {
                let e = &c.candidate.entry;
                let records = c.journal.as_ref().map(|j| j.mirror.records());
                ReportCandidate {
                    candidate_id: e.candidate_id,
                    birth_name: e.birth_name.clone(),
                    first_name: e.first_name.clone(),
                    local_id: e.local_id.clone(),
                    outcome: e.outcome,
                    abort_reason: e.abort_reason,
                    test_id: e.test_id.clone(),
                    records: records.map_or(0, |r| r.len() as u64),
                    signed_by: c
                        .journal
                        .as_ref()
                        .and_then(|j| j.head.as_ref())
                        .map(|h| h.station_public_key.clone()),
                    focus_losses: records.map_or(0, |r| {
                        r.iter()
                            .filter(|r| matches!(r.event, Event::FocusLost { .. }))
                            .count() as u64
                    }),
                    incident_codes: e.incidents.iter().map(|i| i.code.clone()).collect(),
                }
            })
            .collect();
        Report {
            bundle_id: m.bundle_id.clone(),
            file_sha256: b.file_sha256,
            uai: m.centre.uai.clone(),
            centre_name: m.centre.name.clone(),
            session: m.session.number,
            date: m.session.date.format("%d/%m/%Y").to_string(),
            site: m.session.site.clone(),
            room: m.session.room.clone(),
            console_key: to_hex(&m.console_public_key),
            console_pinned: b.console_pinned,
            finalized_at: m.finalization.finalized_at.clone(),
            comment: m.finalization.comment.clone(),
            stations: m.stations.len(),
            journals: b.candidates.iter().filter(|c| c.journal.is_some()).count(),
            records: candidates.iter().map(|c| c.records).sum(),
            signed_heads: candidates.iter().filter(|c| c.signed_by.is_some()).count(),
            candidates,
        }
    }
}

/// Keys are long; the first 16 hex digits are enough to tell stations apart by eye.
fn short_key(k: &str) -> &str {
    k.get(..16).unwrap_or(k)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Lot de résultats valide : toutes les vérifications sont passées / valid result bundle: every check passed"
        )?;
        writeln!(f, "  identifiant / id : {}", self.bundle_id)?;
        writeln!(
            f,
            "  SHA-256 du fichier / file SHA-256 : {}",
            self.file_sha256
        )?;
        writeln!(f, "  centre : {} — {}", self.uai, self.centre_name)?;
        writeln!(
            f,
            "  session {} du / of {}, site « {} », salle / room « {} »",
            self.session, self.date, self.site, self.room
        )?;
        let pinned = if self.console_pinned {
            "reconnue / trusted"
        } else {
            "NON comparée à une liste de confiance / NOT checked against a trusted list"
        };
        writeln!(
            f,
            "  clé de la console / console key : {} ({pinned})",
            self.console_key
        )?;
        writeln!(f, "  finalisée le / finalized at : {}", self.finalized_at)?;
        if !self.comment.is_empty() {
            writeln!(
                f,
                "  commentaire / comment : « {} »",
                self.comment.replace('\n', " ⏎ ")
            )?;
        }
        writeln!(
            f,
            "  {} candidat(s) / candidate(s), {} journal(aux) / journal(s), {} enregistrement(s) / record(s), {} tête(s) signée(s) / signed head(s), {} poste(s) enregistré(s) / enrolled station(s)",
            self.candidates.len(),
            self.journals,
            self.records,
            self.signed_heads,
            self.stations
        )?;
        for c in &self.candidates {
            write!(
                f,
                "  - {} {} {}",
                c.candidate_id,
                c.birth_name.to_uppercase(),
                c.first_name
            )?;
            if let Some(l) = &c.local_id {
                write!(f, " ({l})")?;
            }
            write!(f, " : {} / {}", c.outcome.label_fr(), c.outcome.label_en())?;
            if c.abort_reason != AbortReason::None {
                write!(f, ", motif / reason : {}", c.abort_reason.as_str())?;
            }
            if let Some(t) = &c.test_id {
                write!(f, ", test {t}, {} enr. / records", c.records)?;
                match &c.signed_by {
                    Some(k) => write!(f, ", signé par / signed by {}…", short_key(k))?,
                    None => write!(f, ", sans tête signée / no signed head")?,
                }
            }
            if c.focus_losses > 0 {
                write!(f, ", {} perte(s) de focus / focus loss(es)", c.focus_losses)?;
            }
            if !c.incident_codes.is_empty() {
                write!(f, ", incidents : {}", c.incident_codes.join(", "))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
