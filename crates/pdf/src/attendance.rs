//! The attendance sheet (feuille d'émargement): who was convened to a session, a box for each
//! candidate's signature, and the invigilators' signatures. It is part of the session's
//! evidence, so names are printed exactly as registered: no capitals added, nothing folded.

use std::cmp::Ordering;

use crate::collate::{compare_names, primary_key};
use crate::layout::{Align, Column, Document, PageSetup, Table, TextStyle};
use crate::PdfError;

/// A session as the sheet shows it. Dates and times are already formatted (`jj/mm/aaaa`,
/// `hh:mm`): the sheet prints them as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttendanceSheet {
    pub centre: String,
    pub session_number: String,
    pub site: String,
    pub room: String,
    pub date: String,
    pub start_time: String,
    pub invigilators: Vec<String>,
    pub rows: Vec<AttendanceRow>,
}

/// One convened candidate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttendanceRow {
    pub birth_name: String,
    pub first_name: String,
    pub birthdate: String,
    pub local_id: String,
}

const TITLE: TextStyle = TextStyle::bold(16.0);
const LABEL: TextStyle = TextStyle::bold(9.0);
const VALUE: TextStyle = TextStyle::regular(9.0);
const HEADING: TextStyle = TextStyle::bold(10.0);
const SMALL: TextStyle = TextStyle::regular(7.5);

/// Tall enough to sign in (a signature is 8–12 mm high) yet 19 rows fit on a full page.
const ROW_HEIGHT: f32 = 11.5;
const INVIGILATOR_BOX_HEIGHT: f32 = 20.0;

/// Sorts candidates the way the room reads a list: by birth name then first name, letters
/// first (case, accents, hyphens and apostrophes ignored), then accents and case. Whole names
/// are compared letters-first before any accent decides, so `Lefevre, Zoé` does not come before
/// `Lefèvre, Anne`.
pub fn sort_candidates(rows: &mut [AttendanceRow]) {
    rows.sort_by(compare_rows);
}

fn compare_rows(a: &AttendanceRow, b: &AttendanceRow) -> Ordering {
    primary_key(&a.birth_name)
        .cmp(&primary_key(&b.birth_name))
        .then_with(|| primary_key(&a.first_name).cmp(&primary_key(&b.first_name)))
        .then_with(|| compare_names(&a.birth_name, &b.birth_name))
        .then_with(|| compare_names(&a.first_name, &b.first_name))
        .then_with(|| a.birthdate.cmp(&b.birthdate))
        .then_with(|| a.local_id.cmp(&b.local_id))
}

/// The attendance sheet as a PDF (A4 portrait). Fails with [`PdfError::MissingGlyphs`] when a
/// name or field holds a character the font cannot print, listing every such character.
pub fn attendance_sheet(sheet: &AttendanceSheet) -> Result<Vec<u8>, PdfError> {
    let title = format!("Feuille d'émargement – session n° {}", sheet.session_number);
    // 10 mm side margins (printers reach 5 mm): the five columns need the width.
    let setup = PageSetup {
        margin_left: 10.0,
        margin_right: 10.0,
        ..PageSetup::a4_portrait()
    };
    let mut doc = Document::new(&title, setup)?;
    doc.set_running_header(
        &title,
        // The room as registered ("B12" or "Salle B12"): no prefix, which would double up.
        &format!("{} à {} – {}", sheet.date, sheet.start_time, sheet.room),
    );
    doc.set_footer(&sheet.centre);

    doc.paragraph("Feuille d'émargement", TITLE, Align::Left);
    doc.advance(3.0);
    session_block(&mut doc, sheet);
    doc.advance(4.0);
    invigilators_block(&mut doc, &sheet.invigilators);
    doc.advance(4.0);

    doc.paragraph(
        &format!(
            "Candidats convoqués : {}. Chaque candidat signe dans la case de sa ligne à son \
             arrivée ; les surveillants signent en fin de session.",
            sheet.rows.len()
        ),
        VALUE,
        Align::Left,
    );
    doc.advance(2.0);

    let mut rows = sheet.rows.clone();
    sort_candidates(&mut rows);
    if rows.is_empty() {
        doc.paragraph(
            "Aucun candidat n'est inscrit à cette session.",
            VALUE,
            Align::Left,
        );
    } else {
        let cells: Vec<Vec<String>> = rows
            .into_iter()
            .map(|r| {
                vec![
                    r.birth_name,
                    r.first_name,
                    r.birthdate,
                    r.local_id,
                    String::new(),
                ]
            })
            .collect();
        doc.table(&candidate_table(), &cells);
    }
    doc.finish()
}

fn candidate_table() -> Table {
    let column = |title: &str, width: f32, align: Align| Column {
        title: title.to_owned(),
        width,
        align,
    };
    // 190 mm of content. Widths measured in DejaVu Sans: the birth name column holds
    // "Jean-Éudes de La Tour d'Auvergne" (55 mm at 9 pt) on one line, each header fits on one
    // line at 7.5 pt bold ("Date de naissance": 27.4 mm), the signature keeps 38 mm.
    Table {
        columns: vec![
            column("Nom de naissance", 58.0, Align::Left),
            column("Prénom", 36.0, Align::Left),
            column("Date de naissance", 31.0, Align::Center),
            column("Identifiant local", 27.0, Align::Left),
            column("Signature", 38.0, Align::Left),
        ],
        header_style: TextStyle::bold(7.5),
        body_style: VALUE,
        min_row_height: ROW_HEIGHT,
        max_lines: 3,
        padding: 1.5,
        header_fill: Some(0.88),
    }
}

/// Session facts as label/value pairs in two columns.
fn session_block(doc: &mut Document, sheet: &AttendanceSheet) {
    let left = [
        ("Session n°", sheet.session_number.as_str()),
        ("Date", sheet.date.as_str()),
        ("Heure de début", sheet.start_time.as_str()),
    ];
    let right = [
        ("Centre", sheet.centre.as_str()),
        ("Site", sheet.site.as_str()),
        ("Salle", sheet.room.as_str()),
    ];
    let s = *doc.setup();
    let half = s.content_width() / 2.0;
    let label_w = 31.0; // "Heure de début" is 27.9 mm in 9 pt bold.
    for (l, r) in left.iter().zip(right.iter()) {
        let y = doc.y();
        let mut h: f32 = 0.0;
        for (x, (label, value)) in [(s.content_left(), l), (s.content_left() + half, r)] {
            doc.text(x, y, label_w, label, LABEL, Align::Left);
            let used = doc.text_box(
                x + label_w,
                y,
                half - label_w - 2.0,
                value,
                VALUE,
                Align::Left,
                2,
            );
            h = h.max(used);
        }
        doc.advance(h.max(VALUE.line_height()) + 0.8);
    }
}

/// One signature box per invigilator, two per line; two blank boxes to fill by hand when the
/// session has no invigilator on record.
fn invigilators_block(doc: &mut Document, invigilators: &[String]) {
    doc.ensure_space(HEADING.line_height() + 2.0 + INVIGILATOR_BOX_HEIGHT);
    doc.paragraph("Surveillants", HEADING, Align::Left);
    doc.advance(1.5);
    let names: Vec<&str> = if invigilators.is_empty() {
        vec!["", ""]
    } else {
        invigilators.iter().map(String::as_str).collect()
    };
    let s = *doc.setup();
    let gap = 4.0;
    let w = (s.content_width() - gap) / 2.0;
    for pair in names.chunks(2) {
        doc.ensure_space(INVIGILATOR_BOX_HEIGHT);
        let y = doc.y();
        for (i, name) in pair.iter().enumerate() {
            let x = s.content_left() + i as f32 * (w + gap);
            doc.rect(x, y, w, INVIGILATOR_BOX_HEIGHT, 0.25);
            let name_line = if name.is_empty() { "Nom :" } else { name };
            doc.text(x + 2.0, y + 1.5, w - 4.0, name_line, LABEL, Align::Left);
            doc.text(
                x + 2.0,
                y + 1.5 + LABEL.line_height(),
                w - 4.0,
                "Signature :",
                SMALL,
                Align::Left,
            );
        }
        doc.advance(INVIGILATOR_BOX_HEIGHT + 2.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(birth: &str, first: &str) -> AttendanceRow {
        AttendanceRow {
            birth_name: birth.into(),
            first_name: first.into(),
            ..Default::default()
        }
    }

    #[test]
    fn candidates_sort_letters_first_across_both_names() {
        let mut rows = vec![
            row("Lefèvre", "Anne"),
            row("Lefevre", "Zoé"),
            row("Émond", "Paul"),
            row("de La Tour d'Auvergne", "Jean-Éudes"),
            row("Dupont", "Éric"),
            row("Dupont", "eric"),
            row("Zidane", "Ali"),
        ];
        sort_candidates(&mut rows);
        let got: Vec<String> = rows
            .iter()
            .map(|r| format!("{} {}", r.birth_name, r.first_name))
            .collect();
        assert_eq!(
            got,
            vec![
                "de La Tour d'Auvergne Jean-Éudes",
                "Dupont eric",
                "Dupont Éric",
                "Émond Paul",
                "Lefèvre Anne",
                "Lefevre Zoé",
                "Zidane Ali",
            ]
        );
    }

    #[test]
    fn empty_sheet_still_renders() {
        let pdf = attendance_sheet(&AttendanceSheet::default()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
