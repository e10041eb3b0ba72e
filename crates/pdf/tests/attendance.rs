//! The attendance sheet read back by real PDF tools (poppler-utils: pdftotext, pdftoppm,
//! pdffonts, pdfinfo), as a printer driver or a viewer would read it. Each test prints a
//! notice and passes when the tools are absent, so a machine without poppler still builds.

mod common;

use certroom_core::message::UserMessage;
use certroom_pdf::{
    attendance_sheet, Align, AttendanceRow, AttendanceSheet, Document, PageSetup, PdfError,
    TextStyle,
};
use common::{
    assert_a4_page_with_ink, page_count, page_text, render_page_one, run, tools_present, write_pdf,
};

/// Names that break naive PDF code: accents outside Latin-1, apostrophes, Vietnamese
/// stacked diacritics, Nordic letters, a long particle name.
const HARD_NAMES: [(&str, &str); 5] = [
    ("N'Diaye-Lefèvre", "Zoé"),
    ("Đặng", "Thị Ánh"),
    ("Ærø", "Øystein"),
    ("de La Tour d'Auvergne", "Jean-Éudes"),
    ("Jean-Éudes de La Tour d'Auvergne", "Marie-Ægidia"),
];

fn sheet(candidates: usize) -> AttendanceSheet {
    const BIRTH: [&str; 8] = [
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
    ];
    const FIRST: [&str; 8] = [
        "Léa", "Hugo", "Chloé", "Lucas", "Inès", "Noé", "Maëlys", "Raphaël",
    ];
    let mut rows: Vec<AttendanceRow> = HARD_NAMES
        .iter()
        .enumerate()
        .map(|(k, (birth, first))| AttendanceRow {
            birth_name: birth.to_string(),
            first_name: first.to_string(),
            birthdate: "14/03/2010".into(),
            local_id: format!("3E-{k:02}"),
        })
        .collect();
    let mut i = 0;
    while rows.len() < candidates {
        rows.push(AttendanceRow {
            birth_name: format!("{}-{}", BIRTH[i % 8], i),
            first_name: FIRST[(i / 8) % 8].into(),
            birthdate: format!("{:02}/{:02}/2010", 1 + i % 28, 1 + i % 12),
            local_id: format!("ELV{:05}", 10_000 + i),
        });
        i += 1;
    }
    rows.truncate(candidates);
    AttendanceSheet {
        centre: "Collège Jean-Moulin (0750654D)".into(),
        session_number: "123456".into(),
        site: "12 rue de l'École, 75011 Paris".into(),
        room: "Salle informatique B12".into(),
        date: "05/03/2026".into(),
        start_time: "09:30".into(),
        invigilators: vec!["Mme Hélène Lefèvre".into(), "M. Đỗ Văn Hùng".into()],
        rows,
    }
}

#[test]
fn every_name_is_printed_exactly_as_given() {
    if !tools_present(&["pdftotext", "pdffonts"]) {
        return;
    }
    let s = sheet(12);
    let pdf = write_pdf("names.pdf", &attendance_sheet(&s).unwrap());
    let text = run("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);

    for row in &s.rows {
        for field in [
            &row.birth_name,
            &row.first_name,
            &row.birthdate,
            &row.local_id,
        ] {
            assert!(
                text.contains(field.as_str()),
                "{field:?} missing from:\n{text}"
            );
        }
    }
    for field in [
        "Feuille d'émargement",
        "123456",
        "Collège Jean-Moulin (0750654D)",
        "12 rue de l'École, 75011 Paris",
        "Salle informatique B12",
        "05/03/2026",
        "09:30",
        "Mme Hélène Lefèvre",
        "M. Đỗ Văn Hùng",
        "Nom de naissance",
        "Prénom",
        "Date de naissance",
        "Identifiant local",
        "Signature",
        "Page 1 / 1",
    ] {
        assert!(text.contains(field), "{field:?} missing from:\n{text}");
    }

    // Both faces embedded, as subsets, with a Unicode map (what makes text searchable).
    let fonts = run("pdffonts", &[pdf.to_str().unwrap()]);
    let embedded: Vec<&str> = fonts
        .lines()
        .filter(|l| l.contains("+DejaVuSans"))
        .collect();
    assert_eq!(embedded.len(), 2, "{fonts}");
    for line in embedded {
        assert!(
            line.contains("yes yes yes"),
            "not embedded+subset+unicode: {line}"
        );
    }
}

#[test]
fn sixty_candidates_paginate_with_the_header_on_every_page() {
    if !tools_present(&["pdftotext", "pdfinfo"]) {
        return;
    }
    let s = sheet(60);
    let bytes = attendance_sheet(&s).unwrap();
    let pdf = write_pdf("sixty.pdf", &bytes);
    let pages = page_count(&pdf);
    assert!(pages >= 3, "60 rows of 11.5 mm cannot fit on {pages} pages");

    let mut all = String::new();
    for page in 1..=pages {
        let text = page_text(&pdf, page);
        for header in [
            "Nom de naissance",
            "Prénom",
            "Date de naissance",
            "Identifiant local",
            "Signature",
        ] {
            assert!(
                text.contains(header),
                "page {page} lacks {header:?}:\n{text}"
            );
        }
        assert!(
            text.contains(&format!("Page {page} / {pages}")),
            "page {page}:\n{text}"
        );
        // The running header identifies a loose page.
        assert!(text.contains("session n° 123456"), "page {page}:\n{text}");
        all.push_str(&text);
    }
    assert!(page_text(&pdf, 1).contains("Surveillants"));

    // Each candidate exactly once, in the sheet's alphabetical order.
    let mut sorted = s.rows.clone();
    certroom_pdf::attendance::sort_candidates(&mut sorted);
    let mut last = 0;
    for row in &sorted {
        let needle = format!("{} ", row.local_id);
        assert_eq!(all.matches(&row.local_id).count(), 1, "{}", row.local_id);
        let at = all
            .find(&needle)
            .or_else(|| all.find(&row.local_id))
            .unwrap();
        assert!(at >= last, "{} out of order", row.birth_name);
        last = at;
    }
    println!("60 candidates: {pages} pages, {} bytes", bytes.len());
}

#[test]
fn page_one_renders_to_png() {
    if !tools_present(&["pdftoppm"]) {
        return;
    }
    let pdf = write_pdf("render.pdf", &attendance_sheet(&sheet(60)).unwrap());
    let png = render_page_one(&pdf, "attendance-sheet-1", 110);
    assert_a4_page_with_ink(&png, 110, 0.005..0.25);
}

#[test]
fn files_stay_small() {
    for (n, limit) in [(60, 100_000), (300, 200_000)] {
        let bytes = attendance_sheet(&sheet(n)).unwrap();
        println!("{n} candidates: {} bytes", bytes.len());
        assert!(bytes.len() < limit, "{n} candidates: {} bytes", bytes.len());
    }
}

#[test]
fn characters_the_font_lacks_are_reported_not_dropped() {
    let mut s = sheet(3);
    s.rows[1].first_name = "Wei 李".into();
    s.rows[2].birth_name = "Crab 🦀 Crab".into();
    s.room = "Salle 中".into();
    let err = attendance_sheet(&s).unwrap_err();
    let PdfError::MissingGlyphs(missing) = &err else {
        panic!("{err:?}");
    };
    let chars: Vec<char> = missing.iter().map(|m| m.ch).collect();
    assert!(chars.contains(&'李') && chars.contains(&'🦀') && chars.contains(&'中'));
    let li = missing.iter().find(|m| m.ch == '李').unwrap();
    assert_eq!(li.text, "Wei 李");
    assert_eq!(err.code(), "pdf.missing_glyphs");
    assert!(
        err.message_fr().contains("« 李 » (U+674E) dans « Wei 李 »"),
        "{}",
        err.message_fr()
    );
    assert!(err.message_en().contains("U+1F980"));

    // The same check is available before printing.
    let fonts = certroom_pdf::Fonts::shared().unwrap();
    assert_eq!(
        fonts.missing_glyphs(certroom_pdf::FontStyle::Regular, "Wei 李"),
        vec!['李']
    );
}

#[test]
fn absurd_input_wraps_or_is_cut_never_panics() {
    let mut s = sheet(4);
    s.rows[0].birth_name = "Wolfeschlegelsteinhausenbergerdorff ".repeat(40);
    s.rows[1].first_name = "x".repeat(20_000);
    s.rows[2].local_id = "\u{0}\t\n\r\u{7f}".into();
    s.rows[3].birth_name = "Zoe\u{301} Ae\u{308}".into(); // Decomposed accents.
    s.centre = "Très long nom d'établissement ".repeat(30);
    s.invigilators = (0..9)
        .map(|i| format!("Surveillant n° {i} ").repeat(8))
        .collect();
    let bytes = attendance_sheet(&s).unwrap();
    if !tools_present(&["pdftotext"]) {
        return;
    }
    let pdf = write_pdf("absurd.pdf", &bytes);
    let text = run("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    assert!(text.contains('…'), "a cut must show an ellipsis");
    assert!(
        text.contains("Zoé Aë"),
        "decomposed accents print composed:\n{text}"
    );
}

#[test]
fn the_layer_paginates_any_table_and_draws_emoji_the_font_has() {
    if !tools_present(&["pdftotext", "pdfinfo"]) {
        return;
    }
    let mut doc = Document::new("Essai", PageSetup::a4_landscape()).unwrap();
    doc.set_running_header("Rapport de session", "Essai");
    doc.paragraph(
        "Symboles : ☺ 😀 ✓ € « »",
        TextStyle::regular(11.0),
        Align::Left,
    );
    let table = certroom_pdf::Table {
        columns: vec![
            certroom_pdf::Column {
                title: "Compétence".into(),
                width: 150.0,
                align: Align::Left,
            },
            certroom_pdf::Column {
                title: "Niveau".into(),
                width: 40.0,
                align: Align::Right,
            },
        ],
        header_style: TextStyle::bold(9.0),
        body_style: TextStyle::regular(9.0),
        min_row_height: 7.0,
        max_lines: 2,
        padding: 1.5,
        header_fill: None,
    };
    let rows: Vec<Vec<String>> = (0..80)
        .map(|i| vec![format!("Compétence {i}"), format!("{}", i % 8)])
        .collect();
    doc.table(&table, &rows);
    let pdf = write_pdf("layer.pdf", &doc.finish().unwrap());
    let pages = page_count(&pdf);
    assert!(pages >= 3);
    for page in 1..=pages {
        let text = page_text(&pdf, page);
        assert!(
            text.contains("Compétence") && text.contains("Niveau"),
            "{text}"
        );
        assert!(text.contains(&format!("Page {page} / {pages}")));
    }
    assert!(page_text(&pdf, 1).contains("☺ 😀 ✓ € « »"));
}
