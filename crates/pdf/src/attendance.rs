//! The attendance sheet (feuille d'émargement): who was convened to a session, a box for each
//! candidate's signature, and the invigilators' signatures. It is part of the session's
//! evidence, so names are printed exactly as registered: no capitals added, nothing folded.

use crate::collate::{compare_people, PersonKey};
use crate::layout::{
    Align, Column, Document, FieldGrid, PageSetup, SignatureBoxes, Table, TextStyle,
};
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

/// Sorts candidates the way the room reads a list (see [`compare_people`]).
pub fn sort_candidates(rows: &mut [AttendanceRow]) {
    rows.sort_by(|a, b| compare_people(&person(a), &person(b)));
}

fn person(row: &AttendanceRow) -> PersonKey<'_> {
    PersonKey {
        birth_name: &row.birth_name,
        first_name: &row.first_name,
        birthdate: &row.birthdate,
        local_id: &row.local_id,
    }
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
            ("Session n°", &sheet.session_number),
            ("Centre", &sheet.centre),
            ("Date", &sheet.date),
            ("Site", &sheet.site),
            ("Heure de début", &sheet.start_time),
            ("Salle", &sheet.room),
        ],
    );
}

/// One signature box per invigilator, two per line; two blank boxes to fill by hand when the
/// session has no invigilator on record.
fn invigilators_block(doc: &mut Document, invigilators: &[String]) {
    doc.ensure_space(HEADING.line_height() + 2.0 + INVIGILATOR_BOX_HEIGHT);
    doc.paragraph("Surveillants", HEADING, Align::Left);
    doc.advance(1.5);
    let names: Vec<&str> = if invigilators.is_empty() {
        vec!["Nom :", "Nom :"]
    } else {
        invigilators
            .iter()
            .map(|name| if name.is_empty() { "Nom :" } else { name })
            .collect()
    };
    let look = SignatureBoxes {
        per_line: 2,
        height: INVIGILATOR_BOX_HEIGHT,
        name_style: LABEL,
        caption_style: SMALL,
    };
    doc.signature_boxes(&look, &names, "Signature :");
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
