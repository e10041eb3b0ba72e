//! The session report (procès-verbal de session): what happened in the room, signed by the
//! invigilators when the session is finalised. It sits next to the attendance sheet in the
//! session's evidence, so it lists candidates in the same order and prints names exactly as
//! registered, like every document of this crate. A character the font cannot draw fails the
//! report with [`PdfError::MissingGlyphs`]: nothing is dropped.

use crate::certificate::CertificateLang;
use crate::collate::{compare_people, PersonKey};
use crate::layout::{
    Align, Column, Document, FieldGrid, PageSetup, SignatureBoxes, Table, TextStyle,
};
use crate::PdfError;

/// A finalised session as the report shows it. Dates and times are already formatted
/// (`jj/mm/aaaa`, `hh:mm`): the report prints them as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionReport {
    /// The centre's UAI with its check letter (`0750654D`).
    pub centre_uai: String,
    pub centre_name: String,
    pub session_number: String,
    pub site: String,
    pub room: String,
    pub date: String,
    pub start_time: String,
    pub invigilators: Vec<String>,
    /// When the invigilators finalised the session, as printed (`05/03/2026 à 11:42`).
    pub finalized_at: String,
    /// The invigilators' comment on the session as a whole; line breaks are kept.
    pub comment: Option<String>,
    /// Language of the fixed labels; names, notes and the comment are printed as given.
    pub lang: CertificateLang,
    /// In any order: the report sorts them as the attendance sheet does.
    pub candidates: Vec<ReportCandidate>,
}

/// One convened candidate and how their sitting went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportCandidate {
    pub birth_name: String,
    pub first_name: String,
    /// `jj/mm/aaaa`.
    pub birthdate: String,
    pub local_id: Option<String>,
    pub status: CandidateOutcome,
    /// Questions answered, out of `total`.
    pub answered: u32,
    pub total: u32,
    /// Why the test stopped early, when it did.
    pub abort_reason: Option<AbortReason>,
    /// In the order they were reported.
    pub incidents: Vec<ReportIncident>,
    /// Times the kiosk window lost the focus during the sitting.
    pub focus_losses: u32,
}

/// How a candidate's sitting ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CandidateOutcome {
    /// No sitting on record: the default, so a candidate nobody saw is never reported present.
    #[default]
    Absent,
    /// The candidate answered until the test ended.
    Finished,
    /// An invigilator ended the test.
    EndedByInvigilator,
    /// The time allowed ran out.
    TimeUp,
    /// The test stopped before its end (see [`AbortReason`]).
    Interrupted,
}

/// Why a test stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbortReason {
    /// The candidate gave up or left.
    Candidate,
    /// A technical problem made it impossible to go on.
    Technical,
}

/// An incident reported for one candidate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportIncident {
    /// The official incident code (`"C1"`, `"E10"`); an unknown code is printed alone.
    pub code: String,
    /// The invigilator's description.
    pub note: String,
    /// The question it concerns (1-based), when it concerns one.
    pub question: Option<u32>,
}

/// The official meaning of an incident code in `lang`, `None` for a code not in the list.
/// Case and surrounding spaces are ignored (`" e10"` is E10).
pub fn incident_meaning(code: &str, lang: CertificateLang) -> Option<&'static str> {
    let code = code.trim().to_ascii_uppercase();
    INCIDENT_CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, fr, en)| match lang {
            CertificateLang::Fr => *fr,
            CertificateLang::En => *en,
        })
}

/// (code, French, English). The French wording follows the national certification's list of
/// incident codes; the English one translates it.
const INCIDENT_CODES: [(&str, &str, &str); 16] = [
    (
        "C1",
        "Changement de nom ou de date de naissance",
        "Change of name or date of birth",
    ),
    (
        "C2",
        "Modification du temps majoré",
        "Change to the extra time allowance",
    ),
    ("C4", "Problème de signature", "Signature problem"),
    ("C6", "Fraude", "Fraud"),
    (
        "C7",
        "Problème technique non bloquant",
        "Non-blocking technical problem",
    ),
    (
        "C8",
        "Problème non bloquant lié au candidat",
        "Non-blocking problem due to the candidate",
    ),
    ("E1", "Image qui ne s'affiche pas", "Image not displayed"),
    (
        "E2",
        "Simulateur/intégration qui ne fonctionne pas",
        "Simulator/embedded content not working",
    ),
    ("E3", "Fichier qui ne s'ouvre pas", "File does not open"),
    ("E4", "Site internet indisponible", "Website unavailable"),
    ("E5", "Site internet bloqué", "Website blocked"),
    ("E8", "Temps majoré dépassé", "Extra time exceeded"),
    (
        "E9",
        "Logiciel qui ne fonctionne pas",
        "Software not working",
    ),
    (
        "E10",
        "Sortie involontaire de la fenêtre",
        "Unintentional exit from the window",
    ),
    (
        "E11",
        "Question passée après une erreur",
        "Question skipped after an error",
    ),
    ("E12", "Problème d'accessibilité", "Accessibility problem"),
];

struct Labels {
    title: &'static str,
    session_number: &'static str,
    centre: &'static str,
    uai: &'static str,
    date: &'static str,
    start_time: &'static str,
    site: &'static str,
    room: &'static str,
    finalized: &'static str,
    invigilators: &'static str,
    summary: &'static str,
    enrolled: &'static str,
    present: &'static str,
    finished: &'static str,
    interrupted: &'static str,
    absent: &'static str,
    incidents: &'static str,
    finished_note: &'static str,
    candidates: &'static str,
    no_candidates: &'static str,
    birth_name: &'static str,
    first_name: &'static str,
    birthdate: &'static str,
    local_id: &'static str,
    outcome: &'static str,
    answered: &'static str,
    abort_reason: &'static str,
    focus_losses: &'static str,
    outcome_absent: &'static str,
    outcome_finished: &'static str,
    outcome_ended: &'static str,
    outcome_time_up: &'static str,
    outcome_interrupted: &'static str,
    abort_candidate: &'static str,
    abort_technical: &'static str,
    incidents_heading: &'static str,
    no_incidents: &'static str,
    candidate: &'static str,
    code: &'static str,
    meaning: &'static str,
    question: &'static str,
    note: &'static str,
    comment: &'static str,
    no_comment: &'static str,
    signatures: &'static str,
    attestation: &'static str,
    name_placeholder: &'static str,
    signature: &'static str,
}

const FR: Labels = Labels {
    title: "Procès-verbal de session",
    session_number: "Session n°",
    centre: "Centre",
    uai: "UAI",
    date: "Date",
    start_time: "Heure de début",
    site: "Site",
    room: "Salle",
    finalized: "Clôturé le",
    invigilators: "Surveillants",
    summary: "Synthèse",
    enrolled: "Inscrits",
    present: "Présents",
    finished: "Terminés",
    interrupted: "Interrompus",
    absent: "Absents",
    incidents: "Incidents",
    finished_note: "Terminés : tests menés à leur terme, que la fin vienne du candidat, d'un \
                    surveillant ou du temps écoulé. Présents = terminés + interrompus.",
    candidates: "Candidats",
    no_candidates: "Aucun candidat n'est inscrit à cette session.",
    birth_name: "Nom de naissance",
    first_name: "Prénom",
    birthdate: "Date de naissance",
    local_id: "Identifiant local",
    outcome: "Statut",
    answered: "Réponses",
    abort_reason: "Motif d'abandon",
    focus_losses: "Sorties de fenêtre",
    outcome_absent: "Absent",
    outcome_finished: "Terminé",
    outcome_ended: "Terminé par le surveillant",
    outcome_time_up: "Temps écoulé",
    outcome_interrupted: "Interrompu",
    abort_candidate: "Candidat",
    abort_technical: "Problème technique",
    incidents_heading: "Incidents signalés",
    no_incidents: "Aucun incident signalé.",
    candidate: "Candidat",
    code: "Code",
    meaning: "Signification",
    question: "Question",
    note: "Observation",
    comment: "Observations générales",
    no_comment: "Aucune observation.",
    signatures: "Signatures des surveillants",
    attestation: "Les surveillants soussignés certifient l'exactitude du présent procès-verbal.",
    name_placeholder: "Nom :",
    signature: "Signature :",
};

const EN: Labels = Labels {
    title: "Session report",
    session_number: "Session no.",
    centre: "Centre",
    uai: "UAI",
    date: "Date",
    start_time: "Start time",
    site: "Site",
    room: "Room",
    finalized: "Finalised on",
    invigilators: "Invigilators",
    summary: "Summary",
    enrolled: "Enrolled",
    present: "Present",
    finished: "Finished",
    interrupted: "Interrupted",
    absent: "Absent",
    incidents: "Incidents",
    finished_note: "Finished: tests that reached their end, whether the candidate, an \
                    invigilator or the clock ended them. Present = finished + interrupted.",
    candidates: "Candidates",
    no_candidates: "No candidate is enrolled in this session.",
    birth_name: "Birth name",
    first_name: "First name",
    birthdate: "Date of birth",
    local_id: "Local ID",
    outcome: "Outcome",
    answered: "Answers",
    abort_reason: "Abort reason",
    focus_losses: "Window exits",
    outcome_absent: "Absent",
    outcome_finished: "Finished",
    outcome_ended: "Ended by invigilator",
    outcome_time_up: "Time up",
    outcome_interrupted: "Interrupted",
    abort_candidate: "Candidate",
    abort_technical: "Technical problem",
    incidents_heading: "Reported incidents",
    no_incidents: "No incident reported.",
    candidate: "Candidate",
    code: "Code",
    meaning: "Meaning",
    question: "Question",
    note: "Note",
    comment: "General comments",
    no_comment: "No comments.",
    signatures: "Invigilators' signatures",
    attestation: "The undersigned invigilators certify that this report is accurate.",
    name_placeholder: "Name:",
    signature: "Signature:",
};

fn labels(lang: CertificateLang) -> &'static Labels {
    match lang {
        CertificateLang::Fr => &FR,
        CertificateLang::En => &EN,
    }
}

/// The room on a loose page: session, date, time and room.
fn running_session(r: &SessionReport) -> String {
    match r.lang {
        CertificateLang::Fr => format!(
            "Session n° {} – {} à {} – {}",
            r.session_number, r.date, r.start_time, r.room
        ),
        CertificateLang::En => format!(
            "Session no. {} – {} at {} – {}",
            r.session_number, r.date, r.start_time, r.room
        ),
    }
}

fn centre_line(r: &SessionReport) -> String {
    match (
        r.centre_name.trim().is_empty(),
        r.centre_uai.trim().is_empty(),
    ) {
        (_, true) => r.centre_name.clone(),
        (true, false) => r.centre_uai.clone(),
        (false, false) => format!("{} ({})", r.centre_name, r.centre_uai),
    }
}

const TITLE: TextStyle = TextStyle::bold(16.0);
const HEADING: TextStyle = TextStyle::bold(11.0);
const LABEL: TextStyle = TextStyle::bold(9.0);
const VALUE: TextStyle = TextStyle::regular(9.0);
const NOTE: TextStyle = TextStyle::regular(8.0);
const CELL: TextStyle = TextStyle::regular(8.0);
const CELL_HEADER: TextStyle = TextStyle::bold(7.0);
const SMALL: TextStyle = TextStyle::regular(7.5);

const INVIGILATOR_BOX_HEIGHT: f32 = 20.0;
/// Lines an incident note may take before it is cut: about 500 characters, far more than
/// an invigilator writes, yet a row still fits on a page (rows never split).
const NOTE_MAX_LINES: usize = 30;

/// Sorts candidates as the attendance sheet does, so both documents read in the same order.
pub fn sort_candidates(candidates: &mut [ReportCandidate]) {
    candidates.sort_by(|a, b| compare_people(&person(a), &person(b)));
}

fn person(c: &ReportCandidate) -> PersonKey<'_> {
    PersonKey {
        birth_name: &c.birth_name,
        first_name: &c.first_name,
        birthdate: &c.birthdate,
        local_id: c.local_id.as_deref().unwrap_or(""),
    }
}

/// The counts at the top of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Summary {
    enrolled: usize,
    present: usize,
    finished: usize,
    interrupted: usize,
    absent: usize,
    incidents: usize,
}

impl Summary {
    fn of(candidates: &[ReportCandidate]) -> Self {
        let mut s = Summary {
            enrolled: candidates.len(),
            ..Summary::default()
        };
        for c in candidates {
            match c.status {
                CandidateOutcome::Absent => s.absent += 1,
                // The three ways a test reaches its end count alike, so the line adds up:
                // present = finished + interrupted.
                CandidateOutcome::Finished
                | CandidateOutcome::EndedByInvigilator
                | CandidateOutcome::TimeUp => s.finished += 1,
                CandidateOutcome::Interrupted => s.interrupted += 1,
            }
            s.incidents += c.incidents.len();
        }
        s.present = s.enrolled - s.absent;
        s
    }
}

/// The session report as a PDF (A4 portrait). Fails with [`PdfError::MissingGlyphs`] when a
/// name, note or field holds a character the font cannot print, listing every such character.
pub fn session_report(r: &SessionReport) -> Result<Vec<u8>, PdfError> {
    let l = labels(r.lang);
    let setup = PageSetup {
        // The eight-column candidate table needs the width, as on the attendance sheet.
        margin_left: 10.0,
        margin_right: 10.0,
        ..PageSetup::a4_portrait()
    };
    let mut doc = Document::new(&format!("{} – {}", l.title, r.session_number), setup)?;
    doc.set_running_header(&centre_line(r), &running_session(r));
    doc.set_footer(l.title);

    doc.paragraph(l.title, TITLE, Align::Left);
    doc.advance(3.0);
    details_block(&mut doc, r, l);

    let mut candidates = r.candidates.clone();
    sort_candidates(&mut candidates);

    heading(&mut doc, l.summary, 20.0);
    summary_block(&mut doc, &Summary::of(&candidates), l);

    heading(&mut doc, l.candidates, 15.0);
    if candidates.is_empty() {
        doc.paragraph(l.no_candidates, VALUE, Align::Left);
    } else {
        let rows: Vec<Vec<String>> = candidates.iter().map(|c| candidate_row(c, l)).collect();
        doc.table(&candidate_table(l), &rows);
    }

    heading(&mut doc, l.incidents_heading, 15.0);
    let incidents: Vec<Vec<String>> = candidates
        .iter()
        .flat_map(|c| c.incidents.iter().map(move |i| incident_row(c, i, r.lang)))
        .collect();
    if incidents.is_empty() {
        doc.paragraph(l.no_incidents, VALUE, Align::Left);
    } else {
        doc.table(&incident_table(l), &incidents);
    }

    heading(&mut doc, l.comment, 2.0 * VALUE.line_height());
    let comment = r.comment.as_deref().map(str::trim).unwrap_or("");
    if comment.is_empty() {
        doc.paragraph(l.no_comment, VALUE, Align::Left);
    } else {
        doc.paragraph(comment, VALUE, Align::Left);
    }

    signatures_block(&mut doc, &r.invigilators, l);
    doc.finish()
}

/// A section heading, kept on the same page as the first `keep` mm of its section.
fn heading(doc: &mut Document, text: &str, keep: f32) {
    doc.advance(5.0);
    doc.ensure_space(HEADING.line_height() + 1.5 + keep);
    doc.paragraph(text, HEADING, Align::Left);
    doc.advance(1.5);
}

fn details_block(doc: &mut Document, r: &SessionReport, l: &Labels) {
    let grid = FieldGrid {
        columns: 2,
        label_width: 31.0, // "Heure de début" is 27.9 mm in 9 pt bold.
        label_style: LABEL,
        value_style: VALUE,
        max_lines: 2,
        row_gap: 0.8,
    };
    doc.fields(
        &grid,
        &[
            (l.session_number, &r.session_number),
            (l.centre, &r.centre_name),
            (l.date, &r.date),
            (l.uai, &r.centre_uai),
            (l.start_time, &r.start_time),
            (l.site, &r.site),
            (l.finalized, &r.finalized_at),
            (l.room, &r.room),
        ],
    );
    let invigilators = r.invigilators.join(", ");
    doc.fields(
        &FieldGrid {
            columns: 1,
            max_lines: 3,
            ..grid
        },
        &[(l.invigilators, &invigilators)],
    );
}

fn summary_block(doc: &mut Document, s: &Summary, l: &Labels) {
    let counts = [
        (l.enrolled, s.enrolled),
        (l.present, s.present),
        (l.finished, s.finished),
        (l.interrupted, s.interrupted),
        (l.absent, s.absent),
        (l.incidents, s.incidents),
    ];
    let width = doc.setup().content_width() / counts.len() as f32;
    let table = Table {
        columns: counts
            .iter()
            .map(|(title, _)| Column {
                title: (*title).to_owned(),
                width,
                align: Align::Center,
            })
            .collect(),
        header_style: TextStyle::bold(8.0),
        body_style: TextStyle::bold(11.0),
        min_row_height: 7.0,
        max_lines: 1,
        padding: 1.2,
        header_fill: Some(0.88),
    };
    let row: Vec<String> = counts.iter().map(|(_, n)| n.to_string()).collect();
    doc.table(&table, &[row]);
    doc.advance(1.5);
    doc.paragraph(l.finished_note, NOTE, Align::Left);
}

fn column(title: &str, width: f32, align: Align) -> Column {
    Column {
        title: title.to_owned(),
        width,
        align,
    }
}

fn candidate_table(l: &Labels) -> Table {
    // 190 mm of content, measured in DejaVu Sans: names get the room; at 8 pt a date
    // (16.3 mm) and "32 / 32" fit on one line, as do "Prénom", "Statut" and "Réponses" at 7 pt
    // bold; longer headers and "Terminé par le surveillant" wrap to two lines, the narrowest
    // being "Sorties de / fenêtre" (14.2 mm for its first line).
    Table {
        columns: vec![
            column(l.birth_name, 36.0, Align::Left),
            column(l.first_name, 26.0, Align::Left),
            column(l.birthdate, 20.0, Align::Center),
            column(l.local_id, 20.0, Align::Left),
            column(l.outcome, 28.0, Align::Left),
            column(l.answered, 17.0, Align::Center),
            column(l.abort_reason, 26.0, Align::Left),
            column(l.focus_losses, 17.0, Align::Center),
        ],
        header_style: CELL_HEADER,
        body_style: CELL,
        min_row_height: 6.5,
        max_lines: 3,
        padding: 1.2,
        header_fill: Some(0.88),
    }
}

fn candidate_row(c: &ReportCandidate, l: &Labels) -> Vec<String> {
    let outcome = match c.status {
        CandidateOutcome::Absent => l.outcome_absent,
        CandidateOutcome::Finished => l.outcome_finished,
        CandidateOutcome::EndedByInvigilator => l.outcome_ended,
        CandidateOutcome::TimeUp => l.outcome_time_up,
        CandidateOutcome::Interrupted => l.outcome_interrupted,
    };
    let abort = match c.abort_reason {
        None => "",
        Some(AbortReason::Candidate) => l.abort_candidate,
        Some(AbortReason::Technical) => l.abort_technical,
    };
    // An absent candidate answered nothing and had no window: a dash, not a misleading 0.
    let (answered, focus) = if c.status == CandidateOutcome::Absent {
        ("—".to_owned(), "—".to_owned())
    } else {
        (
            format!("{} / {}", c.answered, c.total),
            c.focus_losses.to_string(),
        )
    };
    vec![
        c.birth_name.clone(),
        c.first_name.clone(),
        c.birthdate.clone(),
        c.local_id.clone().unwrap_or_default(),
        outcome.to_owned(),
        answered,
        abort.to_owned(),
        focus,
    ]
}

fn incident_table(l: &Labels) -> Table {
    // The meaning column holds the longest official meaning on one line at 8 pt ("Non-blocking
    // problem due to the candidate", 64 mm), so a meaning reads as one phrase.
    Table {
        columns: vec![
            column(l.candidate, 44.0, Align::Left),
            column(l.code, 11.0, Align::Center),
            column(l.meaning, 70.0, Align::Left),
            column(l.question, 17.0, Align::Center),
            column(l.note, 48.0, Align::Left),
        ],
        header_style: CELL_HEADER,
        body_style: CELL,
        min_row_height: 6.5,
        max_lines: NOTE_MAX_LINES,
        padding: 1.2,
        header_fill: Some(0.88),
    }
}

fn incident_row(c: &ReportCandidate, i: &ReportIncident, lang: CertificateLang) -> Vec<String> {
    // The local identifier tells homonyms apart on a page where the candidate table is not.
    let who = match c.local_id.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => format!("{} {} ({id})", c.birth_name, c.first_name),
        _ => format!("{} {}", c.birth_name, c.first_name),
    };
    vec![
        who,
        i.code.trim().to_owned(),
        incident_meaning(&i.code, lang).unwrap_or("").to_owned(),
        i.question.map(|q| q.to_string()).unwrap_or_default(),
        i.note.clone(),
    ]
}

/// One signature box per invigilator, two per line; two blank boxes to fill by hand when the
/// session has no invigilator on record.
fn signatures_block(doc: &mut Document, invigilators: &[String], l: &Labels) {
    heading(
        doc,
        l.signatures,
        2.0 * NOTE.line_height() + INVIGILATOR_BOX_HEIGHT + 2.0,
    );
    doc.paragraph(l.attestation, NOTE, Align::Left);
    doc.advance(2.0);
    let names: Vec<&str> = if invigilators.is_empty() {
        vec![l.name_placeholder; 2]
    } else {
        invigilators
            .iter()
            .map(|name| {
                if name.trim().is_empty() {
                    l.name_placeholder
                } else {
                    name
                }
            })
            .collect()
    };
    let look = SignatureBoxes {
        per_line: 2,
        height: INVIGILATOR_BOX_HEIGHT,
        name_style: LABEL,
        caption_style: SMALL,
    };
    doc.signature_boxes(&look, &names, l.signature);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(status: CandidateOutcome, incidents: usize) -> ReportCandidate {
        ReportCandidate {
            status,
            incidents: vec![ReportIncident::default(); incidents],
            ..Default::default()
        }
    }

    #[test]
    fn summary_counts_add_up() {
        let candidates = [
            candidate(CandidateOutcome::Absent, 0),
            candidate(CandidateOutcome::Finished, 1),
            candidate(CandidateOutcome::EndedByInvigilator, 0),
            candidate(CandidateOutcome::TimeUp, 2),
            candidate(CandidateOutcome::Interrupted, 1),
            candidate(CandidateOutcome::Absent, 1),
        ];
        assert_eq!(
            Summary::of(&candidates),
            Summary {
                enrolled: 6,
                present: 4,
                finished: 3,
                interrupted: 1,
                absent: 2,
                incidents: 5,
            }
        );
    }

    #[test]
    fn every_listed_code_has_both_meanings_and_unknown_codes_none() {
        for (code, fr, en) in INCIDENT_CODES {
            assert_eq!(incident_meaning(code, CertificateLang::Fr), Some(fr));
            assert_eq!(incident_meaning(code, CertificateLang::En), Some(en));
            assert_ne!(fr, en, "{code}");
        }
        assert_eq!(
            incident_meaning(" e10 ", CertificateLang::Fr),
            Some("Sortie involontaire de la fenêtre")
        );
        for unknown in ["C3", "E6", "", "X1", "C10"] {
            assert_eq!(incident_meaning(unknown, CertificateLang::Fr), None);
        }
    }

    #[test]
    fn meanings_fit_their_column_on_one_line() {
        let fonts = crate::Fonts::shared().unwrap();
        let table = incident_table(&FR);
        let inner = table.columns[2].width - 2.0 * table.padding;
        for (code, fr, en) in INCIDENT_CODES {
            for meaning in [fr, en] {
                let w = fonts.text_width_mm(CELL.font, CELL.size, meaning);
                assert!(w <= inner, "{code} {meaning:?}: {w} mm > {inner} mm");
            }
        }
    }

    #[test]
    fn an_empty_report_still_renders() {
        let pdf = session_report(&SessionReport::default()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
