//! Writes a sample session report: `cargo run -p certroom-pdf --example session_report --
//! OUT.pdf [en]`. A room of 24 candidates with every outcome, incidents (known and unknown
//! codes) and a comment, to look at the layout or print it.

use certroom_pdf::{
    session_report, AbortReason, CandidateOutcome, CertificateLang, ReportCandidate,
    ReportIncident, SessionReport,
};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next() else {
        eprintln!("usage: session_report OUT.pdf [en]");
        std::process::exit(2);
    };
    let lang = match args.next().as_deref() {
        Some("en") => CertificateLang::En,
        _ => CertificateLang::Fr,
    };

    const NAMES: [(&str, &str); 8] = [
        ("N'Diaye-Lefèvre", "Zoé"),
        ("Đặng", "Thị Ánh"),
        ("Ærø", "Øystein"),
        ("de La Tour d'Auvergne", "Jean-Éudes"),
        ("Martin", "Léa"),
        ("Bernard", "Hugo"),
        ("Dubois", "Chloé"),
        ("Petit", "Maëlys"),
    ];
    const OUTCOMES: [CandidateOutcome; 6] = [
        CandidateOutcome::Finished,
        CandidateOutcome::Finished,
        CandidateOutcome::EndedByInvigilator,
        CandidateOutcome::TimeUp,
        CandidateOutcome::Interrupted,
        CandidateOutcome::Absent,
    ];
    let candidates = (0..24)
        .map(|i| {
            let (birth, first) = NAMES[i % NAMES.len()];
            let status = OUTCOMES[i % OUTCOMES.len()];
            let incidents = match i {
                0 => vec![ReportIncident {
                    code: "E10".into(),
                    note: "Fenêtre quittée par erreur (Alt+Tab), reprise aussitôt.".into(),
                    question: Some(7),
                }],
                3 => vec![
                    ReportIncident {
                        code: "C1".into(),
                        note: "Nom d'usage corrigé sur présentation de la pièce d'identité.".into(),
                        question: None,
                    },
                    ReportIncident {
                        code: "E3".into(),
                        note: "Le tableur joint ne s'ouvrait pas.".into(),
                        question: Some(12),
                    },
                ],
                4 => vec![ReportIncident {
                    code: "Z9".into(),
                    note: "Code inconnu : affiché seul.".into(),
                    question: None,
                }],
                _ => Vec::new(),
            };
            ReportCandidate {
                birth_name: format!("{birth} {}", i / NAMES.len() + 1),
                first_name: first.into(),
                birthdate: format!("{:02}/{:02}/2010", 1 + i % 28, 1 + i % 12),
                local_id: (i % 5 != 0).then(|| format!("ELV{:05}", 10_000 + i)),
                status,
                answered: if status == CandidateOutcome::Interrupted {
                    11
                } else {
                    32
                },
                total: 32,
                abort_reason: (status == CandidateOutcome::Interrupted).then_some(if i % 2 == 0 {
                    AbortReason::Technical
                } else {
                    AbortReason::Candidate
                }),
                incidents,
                focus_losses: (i % 4) as u32,
            }
        })
        .collect();

    let report = SessionReport {
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
             Aucune autre observation."
                .into(),
        ),
        lang,
        candidates,
    };
    let pdf = match session_report(&report) {
        Ok(pdf) => pdf,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = std::fs::write(&out, &pdf) {
        eprintln!("{out}: {e}");
        std::process::exit(1);
    }
    println!("{} bytes written to {out}", pdf.len());
}
