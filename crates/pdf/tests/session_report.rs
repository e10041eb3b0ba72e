//! The session report read back by real PDF tools (poppler-utils), as a viewer or a printer
//! would read it. Tests needing poppler print a notice and pass when it is absent.

mod common;

use certroom_pdf::attendance::sort_candidates;
use certroom_pdf::{
    session_report, AbortReason, AttendanceRow, CandidateOutcome, CertificateLang, PdfError,
    ReportCandidate, ReportIncident, SessionReport,
};
use common::{
    assert_a4_page_with_ink, flow_text, page_count, page_text, render_page_one, run, text,
    tools_present, write_pdf,
};

/// (birth name, first name): accents outside Latin-1, apostrophes, hyphens, Vietnamese
/// stacked diacritics, Nordic letters.
const HARD_NAMES: [(&str, &str); 3] = [
    ("N'Diaye-Lefèvre", "Zoé"),
    ("Đặng", "Thị Ánh"),
    ("Ærø", "Øystein"),
];

fn incident(code: &str, note: &str, question: Option<u32>) -> ReportIncident {
    ReportIncident {
        code: code.into(),
        note: note.into(),
        question,
    }
}

/// Eight candidates: the three hard names, then one of each outcome, with incidents on three
/// of them (one with an unknown code).
fn small_report(lang: CertificateLang) -> SessionReport {
    let mut candidates: Vec<ReportCandidate> = HARD_NAMES
        .iter()
        .enumerate()
        .map(|(k, (birth, first))| ReportCandidate {
            birth_name: birth.to_string(),
            first_name: first.to_string(),
            birthdate: "14/03/2010".into(),
            local_id: Some(format!("3E-{k:02}")),
            status: CandidateOutcome::Finished,
            answered: 32,
            total: 32,
            abort_reason: None,
            incidents: Vec::new(),
            focus_losses: 0,
        })
        .collect();
    candidates[0].incidents = vec![
        incident("E10", "Alt+Tab par erreur, reprise aussitôt", Some(7)),
        incident("C1", "Nom d'usage corrigé", None),
    ];
    candidates[0].focus_losses = 3;
    candidates[1].incidents = vec![incident("Z9", "Code hors liste", None)];
    let more = [
        ("Martin", "Léa", CandidateOutcome::EndedByInvigilator, None),
        ("Bernard", "Hugo", CandidateOutcome::TimeUp, None),
        (
            "Dubois",
            "Chloé",
            CandidateOutcome::Interrupted,
            Some(AbortReason::Technical),
        ),
        (
            "Thomas",
            "Lucas",
            CandidateOutcome::Interrupted,
            Some(AbortReason::Candidate),
        ),
        ("Petit", "Inès", CandidateOutcome::Absent, None),
    ];
    for (k, (birth, first, status, abort_reason)) in more.into_iter().enumerate() {
        candidates.push(ReportCandidate {
            birth_name: birth.into(),
            first_name: first.into(),
            birthdate: format!("0{}/01/2010", k + 1),
            local_id: (k != 0).then(|| format!("ELV{k:05}")),
            status,
            answered: if status == CandidateOutcome::Interrupted {
                11
            } else {
                30
            },
            total: 32,
            abort_reason,
            incidents: Vec::new(),
            focus_losses: 1,
        });
    }
    candidates[5].incidents = vec![incident("E4", "Réseau coupé de 10:05 à 10:12", Some(12))];
    SessionReport {
        centre_uai: "0750654D".into(),
        centre_name: "Collège Jean-Moulin".into(),
        session_number: "123456".into(),
        site: "12 rue de l'École, 75011 Paris".into(),
        room: "Salle informatique B12".into(),
        date: "05/03/2026".into(),
        start_time: "09:30".into(),
        invigilators: vec!["Mme Hélène Lefèvre".into(), "M. Đỗ Văn Hùng".into()],
        finalized_at: "05/03/2026 à 11:42".into(),
        comment: Some(
            "Coupure du réseau de 10:05 à 10:12 ; les postes ont continué hors ligne.\n\
             Salle rendue à 11:45."
                .into(),
        ),
        lang,
        candidates,
    }
}

/// `count` candidates with unique local ids, the hard names first.
fn big_report(count: usize) -> SessionReport {
    const BIRTH: [&str; 8] = [
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
    ];
    const FIRST: [&str; 8] = [
        "Léa", "Hugo", "Chloé", "Lucas", "Inès", "Noé", "Maëlys", "Raphaël",
    ];
    const OUTCOMES: [CandidateOutcome; 5] = [
        CandidateOutcome::Finished,
        CandidateOutcome::EndedByInvigilator,
        CandidateOutcome::TimeUp,
        CandidateOutcome::Interrupted,
        CandidateOutcome::Absent,
    ];
    let mut report = small_report(CertificateLang::Fr);
    report.candidates.truncate(HARD_NAMES.len());
    let mut i = 0;
    while report.candidates.len() < count {
        let status = OUTCOMES[i % OUTCOMES.len()];
        report.candidates.push(ReportCandidate {
            birth_name: format!("{}-{}", BIRTH[i % 8], i),
            first_name: FIRST[(i / 8) % 8].into(),
            birthdate: format!("{:02}/{:02}/2010", 1 + i % 28, 1 + i % 12),
            local_id: Some(format!("ELV{:05}", 10_000 + i)),
            status,
            answered: 20,
            total: 32,
            abort_reason: (status == CandidateOutcome::Interrupted)
                .then_some(AbortReason::Technical),
            incidents: if i % 10 == 0 {
                vec![incident("E9", "Le tableur ne démarrait pas", Some(4))]
            } else {
                Vec::new()
            },
            focus_losses: (i % 3) as u32,
        });
        i += 1;
    }
    report
}

/// The numbers on the line under the summary's header row.
fn summary_numbers(text: &str, header: &str) -> Vec<usize> {
    let mut lines = text.lines().skip_while(|l| !l.contains(header)).skip(1);
    let numbers = lines
        .find(|l| !l.trim().is_empty())
        .unwrap_or_else(|| panic!("no line under {header:?}:\n{text}"));
    numbers
        .split_whitespace()
        .map(|n| n.parse().unwrap_or_else(|_| panic!("{numbers:?}")))
        .collect()
}

#[test]
fn names_incidents_and_comment_are_printed_exactly() {
    if !tools_present(&["pdftotext", "pdffonts"]) {
        return;
    }
    let r = small_report(CertificateLang::Fr);
    let pdf = write_pdf("report-fr.pdf", &session_report(&r).unwrap());
    let text = text(&pdf);

    for c in &r.candidates {
        for field in [&c.birth_name, &c.first_name, &c.birthdate] {
            assert!(text.contains(field.as_str()), "{field:?} missing:\n{text}");
        }
    }
    for needle in [
        // The candidates' names, whole, in the incident list.
        "N'Diaye-Lefèvre Zoé",
        "Đặng Thị Ánh",
        // Session details and the running header.
        "Procès-verbal de session",
        "Collège Jean-Moulin (0750654D)",
        "Session n° 123456 – 05/03/2026 à 09:30 – Salle informatique B12",
        "12 rue de l'École, 75011 Paris",
        "05/03/2026 à 11:42",
        "Mme Hélène Lefèvre, M. Đỗ Văn Hùng",
        // Candidate rows.
        "32 / 32",
        "11 / 32",
        "Temps écoulé",
        "Incidents signalés",
        // The comment, line breaks kept.
        "Observations générales",
        "Coupure du réseau de 10:05 à 10:12 ; les postes ont continué hors ligne.",
        "Salle rendue à 11:45.",
        "Signatures des surveillants",
        "Page 1 / ",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
    // Cells wrapped over two lines.
    let flow = flow_text(&pdf);
    for needle in [
        "Martin Léa 01/01/2010 Terminé par le surveillant 30 / 32",
        "Dubois Chloé 03/01/2010 ELV00002 Interrompu 11 / 32 Problème technique 1",
        "Thomas Lucas 04/01/2010 ELV00003 Interrompu 11 / 32 Candidat 1",
    ] {
        assert!(flow.contains(needle), "{needle:?} missing:\n{flow}");
    }
    // The absent candidate's answers are a dash, not a count.
    let petit = text.lines().find(|l| l.contains("Petit")).unwrap();
    assert!(petit.contains("Absent") && petit.contains('—'), "{petit}");

    // Incidents, one row each: candidate, code, official meaning, question, note; candidates
    // in the table's order, a candidate's incidents in the order reported. The unknown code
    // is printed alone: nothing comes between it and its note.
    let rows = [
        "Đặng Thị Ánh (3E-01) Z9 Code hors liste",
        "Dubois Chloé (ELV00002) E4 Site internet indisponible 12 Réseau coupé de 10:05 à 10:12",
        "N'Diaye-Lefèvre Zoé (3E-00) E10 Sortie involontaire de la fenêtre 7 Alt+Tab par \
         erreur, reprise aussitôt",
        "N'Diaye-Lefèvre Zoé (3E-00) C1 Changement de nom ou de date de naissance Nom \
         d'usage corrigé",
    ];
    let mut last = 0;
    for row in rows {
        let at = flow
            .find(row)
            .unwrap_or_else(|| panic!("{row:?} missing:\n{flow}"));
        assert!(at > last, "{row:?} out of order:\n{flow}");
        last = at;
    }

    // Both faces embedded, as subsets, with a Unicode map.
    let fonts = run("pdffonts", &[pdf.to_str().unwrap()]);
    let embedded: Vec<&str> = fonts
        .lines()
        .filter(|l| l.contains("+DejaVuSans"))
        .collect();
    assert_eq!(embedded.len(), 2, "{fonts}");
    assert!(
        embedded.iter().all(|l| l.contains("yes yes yes")),
        "{fonts}"
    );
}

#[test]
fn the_summary_counts_each_outcome() {
    if !tools_present(&["pdftotext"]) {
        return;
    }
    let r = small_report(CertificateLang::Fr);
    let pdf = write_pdf("report-summary.pdf", &session_report(&r).unwrap());
    let text = text(&pdf);
    let header = text
        .lines()
        .find(|l| l.contains("Inscrits"))
        .unwrap_or_else(|| panic!("no summary:\n{text}"));
    let labels: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        labels,
        [
            "Inscrits",
            "Présents",
            "Terminés",
            "Interrompus",
            "Absents",
            "Incidents"
        ]
    );
    // 8 enrolled, 1 absent; 3 finished + 1 ended by an invigilator + 1 time up; 2 stopped
    // early; 4 incidents across 3 candidates.
    assert_eq!(summary_numbers(&text, "Inscrits"), [8, 7, 5, 2, 1, 4]);
}

#[test]
fn a_hundred_and_twenty_candidates_paginate_with_the_header_on_every_page() {
    if !tools_present(&["pdftotext", "pdfinfo"]) {
        return;
    }
    let r = big_report(120);
    let bytes = session_report(&r).unwrap();
    let pdf = write_pdf("report-120.pdf", &bytes);
    let pages = page_count(&pdf);
    assert!(
        pages >= 3,
        "120 rows of 6.5 mm or more cannot fit on {pages} pages"
    );

    let mut before_incidents = String::new();
    let mut in_table = true;
    for page in 1..=pages {
        let text = page_text(&pdf, page);
        // Every page names the centre and the session, and is numbered.
        assert!(
            text.contains("Collège Jean-Moulin (0750654D)"),
            "page {page}:\n{text}"
        );
        assert!(text.contains("Session n° 123456"), "page {page}:\n{text}");
        assert!(
            text.contains(&format!("Page {page} / {pages}")),
            "page {page}:\n{text}"
        );
        let (table_part, rest) = match text.split_once("Incidents signalés") {
            Some((table_part, rest)) => (table_part, Some(rest)),
            None => (text.as_str(), None),
        };
        if in_table
            && r.candidates
                .iter()
                .any(|c| table_part.contains(c.local_id.as_deref().unwrap_or("?")))
        {
            for header in ["Nom de naissance", "Prénom", "Statut", "Réponses"] {
                assert!(
                    table_part.contains(header),
                    "page {page} lacks {header:?}:\n{text}"
                );
            }
        }
        before_incidents.push_str(if in_table { table_part } else { "" });
        if let Some(rest) = rest {
            in_table = false;
            assert!(rest.contains("Le tableur ne démarrait pas"), "{rest}");
        }
    }
    assert!(!in_table, "no incident section");
    assert!(page_text(&pdf, pages).contains("Signatures des surveillants"));

    // Each candidate once in the table, in the order the attendance sheet lists them.
    let mut sheet: Vec<AttendanceRow> = r
        .candidates
        .iter()
        .map(|c| AttendanceRow {
            birth_name: c.birth_name.clone(),
            first_name: c.first_name.clone(),
            birthdate: c.birthdate.clone(),
            local_id: c.local_id.clone().unwrap_or_default(),
        })
        .collect();
    sort_candidates(&mut sheet);
    let mut last = 0;
    for row in &sheet {
        let id = row.local_id.as_str();
        assert_eq!(before_incidents.matches(id).count(), 1, "{id}");
        let at = before_incidents.find(id).unwrap();
        assert!(
            at >= last,
            "{} {} out of order",
            row.birth_name,
            row.first_name
        );
        last = at;
    }
    assert_eq!(
        summary_numbers(&page_text(&pdf, 1), "Inscrits"),
        [120, 97, 74, 23, 23, 15]
    );
    println!("120 candidates: {pages} pages, {} bytes", bytes.len());
}

#[test]
fn english_variant_uses_english_labels() {
    if !tools_present(&["pdftotext"]) {
        return;
    }
    let r = small_report(CertificateLang::En);
    let pdf = write_pdf("report-en.pdf", &session_report(&r).unwrap());
    let text = text(&pdf);
    for needle in [
        "Session report",
        "Session no. 123456 – 05/03/2026 at 09:30",
        "Start time",
        "Finalised on",
        "Enrolled",
        "Interrupted",
        "Birth name",
        "First name",
        "Outcome",
        "Answers",
        "Time up",
        "Reported incidents",
        "Unintentional exit from the window",
        "Change of name or date of birth",
        "Website unavailable",
        "General comments",
        "Invigilators' signatures",
        // Data is printed as given, whatever the language.
        "N'Diaye-Lefèvre Zoé",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
    for french in [
        "Procès-verbal",
        "Nom de naissance",
        "Statut",
        "Sortie involontaire",
        "Incidents signalés",
        "Observations générales",
        "Heure de début",
    ] {
        assert!(
            !text.contains(french),
            "{french:?} in the English report:\n{text}"
        );
    }
    let flow = flow_text(&pdf);
    for needle in [
        "Martin Léa 01/01/2010 Ended by invigilator 30 / 32",
        "Interrupted 11 / 32 Technical problem",
        "Interrupted 11 / 32 Candidate",
        "N'Diaye-Lefèvre Zoé (3E-00) E10 Unintentional exit from the window 7 Alt+Tab par \
         erreur, reprise aussitôt",
        "Invigilators' signatures The undersigned invigilators certify that this report is \
         accurate.",
    ] {
        assert!(flow.contains(needle), "{needle:?} missing:\n{flow}");
    }
    assert_eq!(summary_numbers(&text, "Enrolled"), [8, 7, 5, 2, 1, 4]);
}

#[test]
fn characters_the_font_lacks_are_reported_not_dropped() {
    let mut r = small_report(CertificateLang::Fr);
    r.candidates[3].first_name = "Wei 李".into();
    r.candidates[4].incidents = vec![incident("C8", "Écran 中", None)];
    r.comment = Some("Crab 🦀".into());
    let err = session_report(&r).unwrap_err();
    let PdfError::MissingGlyphs(missing) = &err else {
        panic!("{err:?}");
    };
    let chars: Vec<char> = missing.iter().map(|m| m.ch).collect();
    for ch in ['李', '中', '🦀'] {
        assert!(chars.contains(&ch), "{ch} not reported: {chars:?}");
    }
    assert!(
        missing.iter().any(|m| m.ch == '李' && m.text == "Wei 李"),
        "{missing:?}"
    );
}

#[test]
fn an_empty_session_says_so_and_leaves_boxes_to_sign() {
    if !tools_present(&["pdftotext"]) {
        return;
    }
    let mut r = small_report(CertificateLang::Fr);
    r.candidates.clear();
    r.invigilators.clear();
    r.comment = Some("  \n ".into());
    let pdf = write_pdf("report-empty.pdf", &session_report(&r).unwrap());
    let text = text(&pdf);
    for needle in [
        "Aucun candidat n'est inscrit à cette session.",
        "Aucun incident signalé.",
        "Aucune observation.",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
    assert_eq!(text.matches("Nom :").count(), 2, "{text}");
    assert_eq!(summary_numbers(&text, "Inscrits"), [0, 0, 0, 0, 0, 0]);
}

#[test]
fn absurd_input_wraps_or_is_cut_never_panics() {
    let mut r = big_report(10);
    r.candidates[0].birth_name = "Wolfeschlegelsteinhausenbergerdorff ".repeat(40);
    r.candidates[1].first_name = "x".repeat(20_000);
    r.candidates[2].local_id = Some("\u{0}\t\n\r\u{7f}".into());
    r.candidates[3].answered = u32::MAX;
    r.candidates[3].total = 0;
    r.candidates[3].focus_losses = u32::MAX;
    r.candidates[4].incidents = vec![
        incident("", "", Some(u32::MAX)),
        incident(&"E".repeat(500), &"Note très longue ".repeat(2_000), None),
    ];
    r.comment = Some("Observation ".repeat(5_000));
    r.invigilators = (0..9)
        .map(|i| format!("Surveillant {i} ").repeat(8))
        .collect();
    r.centre_name = "Très long nom d'établissement ".repeat(30);
    let bytes = session_report(&r).unwrap();
    if !tools_present(&["pdftotext"]) {
        return;
    }
    let pdf = write_pdf("report-absurd.pdf", &bytes);
    let text = text(&pdf);
    assert!(text.contains('…'), "a cut must show an ellipsis");
    // Every part got printed, down to the last invigilator's box.
    for needle in [
        "Incidents signalés",
        "Observations générales",
        "Surveillant 8",
    ] {
        assert!(text.contains(needle), "{needle:?} missing");
    }
}

#[test]
fn page_one_renders_to_png() {
    if !tools_present(&["pdftoppm"]) {
        return;
    }
    let pdf = write_pdf(
        "report-render.pdf",
        &session_report(&small_report(CertificateLang::Fr)).unwrap(),
    );
    let png = render_page_one(&pdf, "session-report-1", 110);
    assert_a4_page_with_ink(&png, 110, 0.005..0.25);
}
