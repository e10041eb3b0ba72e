//! Candidate import, end to end: files as schools make them, every rule refused with its line
//! and column, encodings, workbooks, SIECLE, export round trips, random bytes.

use certroom_centre::candidate::{normalise_name, Birthplace, Candidate, Sex};
use certroom_centre::communes::Communes;
use certroom_centre::import::{self, export, siecle, Column, FileKind, ImportReport};
use certroom_centre::UserMessage;
use chrono::NaiveDate;
use std::io::{Cursor, Write};
use std::time::Instant;

const FIXTURE_CSV: &[u8] = include_bytes!("fixtures/candidats.csv");
const FIXTURE_SIECLE: &[u8] = include_bytes!("fixtures/ElevesSansAdresse.xml");
const UAI: &str = "0750654D";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 1).unwrap()
}

fn date(d: u32, m: u32, y: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn header() -> String {
    Column::ALL.map(Column::label).join(";")
}

/// A valid line; tests change one cell with `with`.
fn good() -> Vec<String> {
    [
        "Martin",
        "Léa",
        "3A",
        "",
        "14/03/2011",
        "",
        "",
        "01004",
        "",
        "",
        "",
        "F",
        "",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn with(column: Column, value: &str) -> Vec<String> {
    let mut row = good();
    let index = Column::ALL.iter().position(|c| *c == column).unwrap();
    row[index] = value.to_owned();
    row
}

fn csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut text = header();
    for row in rows {
        text.push_str("\r\n");
        text.push_str(&row.join(";"));
    }
    text.into_bytes()
}

fn read(bytes: &[u8]) -> Result<Vec<Candidate>, ImportReport> {
    import::read_candidates(bytes, "candidats.csv", Communes::embedded(), &[], today())
}

fn refused(bytes: &[u8]) -> ImportReport {
    match read(bytes) {
        Ok(c) => panic!("accepted {} candidate(s): {c:?}", c.len()),
        Err(report) => report,
    }
}

/// The file is refused with exactly one error, at `line`, in `column`, with `code`; its
/// messages name the line and the column.
fn assert_single(bytes: &[u8], line: usize, column: Option<Column>, code: &str) -> ImportReport {
    let report = refused(bytes);
    assert_eq!(report.errors.len(), 1, "{:#?}", report.errors);
    let error = &report.errors[0];
    assert_eq!(error.code, code, "{error:#?}");
    assert_eq!(error.line, line, "{error:#?}");
    assert_eq!(
        error.column.as_deref(),
        column.map(Column::label),
        "{error:#?}"
    );
    if line > 0 {
        assert!(
            error.message_fr.contains(&format!("Ligne {line}")),
            "{}",
            error.message_fr
        );
        assert!(
            error.message_en.contains(&format!("Line {line}")),
            "{}",
            error.message_en
        );
    }
    if let Some(column) = column {
        assert!(
            error.message_fr.contains(column.label()),
            "{}",
            error.message_fr
        );
    }
    report
}

/// One bad cell on the third line of a three-line file.
fn bad_cell(column: Column, value: &str, code: &str) -> ImportReport {
    let mut other = good();
    other[0] = "Autre".into();
    let report = assert_single(&csv(&[other, with(column, value)]), 3, Some(column), code);
    if !value.is_empty() {
        assert_eq!(report.errors[0].value.as_deref(), Some(value));
    }
    // Short values are quoted in the message; long ones would drown it.
    if !value.is_empty() && value.len() < 40 {
        assert!(
            report.errors[0].message_fr.contains(value),
            "{}",
            report.errors[0].message_fr
        );
    }
    report
}

// ---------------------------------------------------------------- the fixture, accepted

#[test]
fn fixture_imports_with_exact_spellings_and_resolved_birthplaces() {
    let candidates = read(FIXTURE_CSV).unwrap();
    assert_eq!(candidates.len(), 7);
    let zoe = &candidates[0];
    assert_eq!(
        (zoe.birth_name.as_str(), zoe.first_name.as_str()),
        ("Dupré", "Zoé")
    );
    assert_eq!(zoe.birthdate, date(14, 3, 2011));
    assert_eq!(zoe.sex, Sex::F);
    // 4-digit code padded, official name filled in.
    assert_eq!(
        zoe.birthplace,
        Birthplace::France {
            insee: "01004".into(),
            postal_code: None,
            town: "Ambérieu-en-Bugey".into()
        }
    );
    let jean = &candidates[1];
    assert_eq!(jean.birth_name, "D'Almeida-Núñez");
    assert_eq!(jean.extra_time_percent, Some(33));
    assert_eq!(
        jean.convocation_email.as_deref(),
        Some("parent.dalmeida@example.fr")
    );
    assert!(matches!(&jean.birthplace, Birthplace::France { insee, .. } if insee == "2A004"));
    let oedipe = &candidates[2];
    assert_eq!(oedipe.first_name, "Œdipe");
    assert_eq!(oedipe.extra_time_percent, Some(33));
    assert!(oedipe.adjusted_questions);
    assert_eq!(oedipe.birthdate, date(29, 2, 2012));
    assert_eq!(oedipe.sex, Sex::M);
    // Former name of a merged commune (Bellegarde-sur-Valserine, now Valserhône), 4-digit postal code.
    assert_eq!(
        candidates[3].birthplace,
        Birthplace::France {
            insee: "01033".into(),
            postal_code: Some("01200".into()),
            town: "Bellegarde-sur-Valserine".into()
        }
    );
    assert_eq!(
        candidates[4].birthplace,
        Birthplace::Abroad {
            country: "Espagne".into(),
            insee: "99134".into(),
            town: "Madrid".into()
        }
    );
    assert!(
        matches!(&candidates[5].birthplace, Birthplace::France { insee, .. } if insee == "42218")
    );
    assert!(candidates[5].adjusted_questions);
    assert_eq!(candidates[5].local_id, None);
    assert!(
        matches!(&candidates[6].birthplace, Birthplace::France { insee, .. } if insee == "97120")
    );
}

#[test]
fn header_matching_tolerates_case_accents_stars_and_hints() {
    let header = "nom de naissance;PRENOM;Date de naissance;sexe;code insee";
    let text = format!("{header}\nMartin;Léa;14/03/2011;F;01004\n");
    let candidates = read(text.as_bytes()).unwrap();
    assert_eq!(candidates[0].first_name, "Léa");
}

#[test]
fn comma_separated_quoted_and_blank_lines_are_read() {
    let text = "* Nom de naissance,* Prénom,* Date de naissance (format : jj/mm/aaaa),* Sexe (M ou F),Code Insee,Identifiant local\n\n\"Martin, dit \"\"Le Grand\"\"\",Léa,14/03/2011,F,01004,\"3A\"\n,,,,,\n";
    // A comma inside a quoted name is data, not a separator (and the name is then refused for
    // its characters, at its line).
    let report = refused(text.as_bytes());
    assert_eq!(report.errors.len(), 1, "{report:#?}");
    assert_eq!(report.errors[0].line, 3);
    assert_eq!(report.errors[0].code, "import.name_character");
    let ok = "* Nom de naissance,* Prénom,* Date de naissance (format : jj/mm/aaaa),* Sexe (M ou F),Code Insee\n\"de La Tour\",Léa,14/03/2011,F,01004\n";
    assert_eq!(read(ok.as_bytes()).unwrap()[0].birth_name, "de La Tour");
}

// ---------------------------------------------------------------- file and header rules

#[test]
fn missing_required_column_is_named() {
    let text = "* Nom de naissance;* Prénom;* Sexe (M ou F);Code Insee\nMartin;Léa;F;01004\n";
    let report = assert_single(
        text.as_bytes(),
        1,
        Some(Column::Birthdate),
        "import.column_missing",
    );
    assert!(report.errors[0].message_fr.contains("Date de naissance"));
}

#[test]
fn unknown_column_is_named_with_a_hint() {
    let text = format!("{};Classe;Code postl\r\n{};x;y", header(), good().join(";"));
    let report = refused(text.as_bytes());
    assert_eq!(report.errors.len(), 2, "{report:#?}");
    assert!(report
        .errors
        .iter()
        .all(|e| e.line == 1 && e.code == "import.column_unknown"));
    assert!(report.errors[0].message_fr.contains("« Classe »"));
    assert!(report.errors[1]
        .message_fr
        .contains("vouliez-vous dire « Code postal »"));
}

#[test]
fn duplicated_column_is_refused() {
    let text = format!("{};Prénom\r\n{};Léa", header(), good().join(";"));
    assert_single(
        text.as_bytes(),
        1,
        Some(Column::FirstName),
        "import.column_duplicated",
    );
}

#[test]
fn extra_cells_beyond_the_header_are_refused() {
    let mut row = good();
    row.push("Dupont".into());
    assert_single(&csv(&[row]), 2, None, "import.extra_cells");
}

#[test]
fn unclosed_quote_names_its_line() {
    let text = format!("{}\r\n{}\r\n\"Martin;Léa", header(), good().join(";"));
    assert_single(text.as_bytes(), 3, None, "import.csv_unclosed_quote");
}

#[test]
fn empty_headerless_and_foreign_files_are_refused() {
    assert_single(b"", 0, None, "import.file_empty");
    assert_single(b" \r\n\r\n", 0, None, "import.file_empty");
    assert_single(header().as_bytes(), 1, None, "import.no_candidates");
    assert_single(b"%PDF-1.7\n\x00\x01binary", 0, None, "import.file_format");
    assert_single(FIXTURE_SIECLE, 0, None, "import.file_is_siecle");
}

// ---------------------------------------------------------------- field rules

#[test]
fn birth_name_required() {
    bad_cell(Column::BirthName, "", "import.required");
}

#[test]
fn first_name_required() {
    bad_cell(Column::FirstName, "", "import.required");
}

#[test]
fn sex_required() {
    bad_cell(Column::Sex, "", "import.required");
}

#[test]
fn birthdate_required() {
    bad_cell(Column::Birthdate, "", "import.required");
}

#[test]
fn name_with_digits_refused() {
    bad_cell(Column::BirthName, "Martin2", "import.name_character");
}

#[test]
fn name_too_long_refused() {
    bad_cell(Column::FirstName, &"a".repeat(101), "import.too_long");
}

#[test]
fn local_id_too_long_refused() {
    bad_cell(Column::LocalId, &"3".repeat(65), "import.too_long");
}

#[test]
fn date_format_refused() {
    bad_cell(Column::Birthdate, "2011-03-14", "import.date_format");
}

#[test]
fn date_with_two_digit_year_refused() {
    bad_cell(Column::Birthdate, "14/03/11", "import.date_two_digit_year");
}

#[test]
fn date_that_does_not_exist_refused() {
    bad_cell(Column::Birthdate, "31/02/2011", "import.date_invalid");
    bad_cell(Column::Birthdate, "29/02/2011", "import.date_invalid");
}

#[test]
fn date_in_the_future_refused() {
    bad_cell(Column::Birthdate, "02/05/2026", "import.date_future");
}

#[test]
fn date_before_1900_refused() {
    bad_cell(Column::Birthdate, "31/12/1899", "import.date_too_old");
}

#[test]
fn sex_other_than_m_or_f_refused() {
    bad_cell(Column::Sex, "X", "import.sex");
}

#[test]
fn sex_as_a_word_refused_with_the_letter() {
    let report = bad_cell(Column::Sex, "Masculin", "import.sex_word");
    assert!(report.errors[0].message_fr.contains("la lettre M"));
}

#[test]
fn extra_time_not_a_percentage_refused() {
    bad_cell(Column::ExtraTime, "tiers-temps", "import.extra_time_format");
}

#[test]
fn extra_time_out_of_range_refused() {
    bad_cell(Column::ExtraTime, "150 %", "import.extra_time_range");
    bad_cell(Column::ExtraTime, "0", "import.extra_time_range");
}

#[test]
fn extra_time_forms_accepted() {
    for (value, percent) in [
        ("33", 33),
        ("33 %", 33),
        ("33%", 33),
        ("0,33", 33),
        ("0.5", 50),
        ("100", 100),
    ] {
        let candidates = read(&csv(&[with(Column::ExtraTime, value)])).unwrap();
        assert_eq!(candidates[0].extra_time_percent, Some(percent), "{value}");
    }
}

#[test]
fn adjusted_questions_other_than_yes_or_no_refused() {
    bad_cell(
        Column::AdjustedQuestions,
        "peut-être",
        "import.adjusted_questions",
    );
}

#[test]
fn convocation_email_malformed_refused() {
    bad_cell(Column::ConvocationEmail, "parent@exemple", "import.email");
}

#[test]
fn results_email_malformed_refused() {
    bad_cell(Column::ResultsEmail, "secretariat @clg.fr", "import.email");
}

// ---------------------------------------------------------------- birthplace rules

fn place(town: &str, postal: &str, insee: &str, country: &str) -> Vec<String> {
    let mut row = with(Column::Town, town);
    for (column, value) in [
        (Column::PostalCode, postal),
        (Column::Insee, insee),
        (Column::Country, country),
    ] {
        let index = Column::ALL.iter().position(|c| *c == column).unwrap();
        row[index] = value.to_owned();
    }
    row
}

fn imported_place(row: Vec<String>) -> Birthplace {
    read(&csv(&[row])).unwrap().remove(0).birthplace
}

fn bad_place(row: Vec<String>, column: Column, code: &str) -> ImportReport {
    assert_single(&csv(&[row]), 2, Some(column), code)
}

#[test]
fn birthplace_missing_refused() {
    bad_place(
        place("", "", "", ""),
        Column::Insee,
        "import.birthplace_incomplete",
    );
}

#[test]
fn town_without_postal_code_or_insee_refused() {
    bad_place(
        place("Lyon", "", "", ""),
        Column::PostalCode,
        "import.birthplace_incomplete",
    );
}

#[test]
fn postal_code_without_town_refused() {
    bad_place(
        place("", "69001", "", ""),
        Column::Town,
        "import.birthplace_incomplete",
    );
}

#[test]
fn insee_code_malformed_refused() {
    bad_place(
        place("", "", "7A115", ""),
        Column::Insee,
        "import.insee_shape",
    );
}

#[test]
fn insee_code_unknown_refused() {
    bad_place(
        place("", "", "00000", ""),
        Column::Insee,
        "import.insee_unknown",
    );
}

#[test]
fn postal_code_malformed_refused() {
    bad_place(
        place("Paris", "75O15", "", ""),
        Column::PostalCode,
        "import.postal_shape",
    );
}

#[test]
fn postal_code_unknown_refused() {
    bad_place(
        place("Paris", "00001", "", ""),
        Column::PostalCode,
        "import.postal_unknown",
    );
}

#[test]
fn town_contradicting_insee_refused() {
    let report = bad_place(
        place("Lyon", "", "01004", ""),
        Column::Town,
        "import.town_not_insee",
    );
    assert!(report.errors[0].message_fr.contains("Ambérieu-en-Bugey"));
}

#[test]
fn misspelt_town_gets_the_official_spelling() {
    let report = bad_place(
        place("Amberieu-en-Bugay", "01500", "", ""),
        Column::Town,
        "import.town_spelling",
    );
    assert!(report.errors[0]
        .message_fr
        .contains("vouliez-vous dire « Ambérieu-en-Bugey »"));
    let report = bad_place(
        place("Ajacio", "", "2A004", ""),
        Column::Town,
        "import.town_spelling",
    );
    assert!(report.errors[0].message_fr.contains("« Ajaccio »"));
}

#[test]
fn postal_code_contradicting_insee_refused() {
    let report = bad_place(
        place("", "75015", "01004", ""),
        Column::PostalCode,
        "import.postal_not_insee",
    );
    assert!(report.errors[0].message_fr.contains("01500"));
}

#[test]
fn town_unknown_at_postal_code_refused() {
    let report = bad_place(
        place("Zzyzx", "01500", "", ""),
        Column::Town,
        "import.town_not_at_postal",
    );
    assert!(report.errors[0].message_fr.contains("Ambérieu-en-Bugey"));
}

#[test]
fn town_with_another_postal_code_says_where_it_is() {
    let report = bad_place(
        place("Strasbourg", "01500", "", ""),
        Column::Town,
        "import.town_elsewhere",
    );
    assert!(
        report.errors[0].message_fr.contains("67000"),
        "{}",
        report.errors[0].message_fr
    );
}

#[test]
fn abroad_without_town_refused() {
    bad_place(
        place("", "", "99134", "Espagne"),
        Column::Town,
        "import.town_required_abroad",
    );
}

#[test]
fn foreign_insee_code_alone_names_the_country_but_99_alone_does_not() {
    assert_eq!(
        imported_place(place("Madrid", "", "99134", "")),
        Birthplace::Abroad {
            country: "Espagne".into(),
            insee: "99134".into(),
            town: "Madrid".into()
        }
    );
    bad_place(
        place("Madrid", "", "99", ""),
        Column::Country,
        "import.country_required",
    );
}

#[test]
fn french_insee_code_with_foreign_country_refused() {
    bad_place(
        place("Madrid", "", "01004", "Espagne"),
        Column::Insee,
        "import.insee_not_abroad",
    );
}

#[test]
fn foreign_insee_code_with_france_refused() {
    bad_place(
        place("Madrid", "", "99134", "France"),
        Column::Insee,
        "import.insee_abroad_in_france",
    );
}

#[test]
fn postal_code_abroad_refused() {
    bad_place(
        place("Madrid", "28001", "", "Espagne"),
        Column::PostalCode,
        "import.postal_abroad",
    );
}

#[test]
fn accepted_birthplace_forms() {
    for (row, insee) in [
        (place("", "", "1004", ""), "01004"),
        (place("", "", "2a004", ""), "2A004"),
        (place("Bastia", "", "2B033", ""), "2B033"),
        (place("ambérieu en bugey", "1500", "", ""), "01004"),
        (place("Paris 15e", "75015", "", ""), "75115"),
        (place("Paris", "", "75115", "FRANCE"), "75115"),
        // The commune nouvelle's name with a delegated commune's code, and the reverse.
        (place("Valserhône", "", "01033", ""), "01033"),
        (
            place("Bellegarde-sur-Valserine", "01200", "01033", ""),
            "01033",
        ),
    ] {
        let candidates = read(&csv(std::slice::from_ref(&row)))
            .unwrap_or_else(|r| panic!("{row:?}: {:#?}", r.errors));
        assert!(
            matches!(&candidates[0].birthplace, Birthplace::France { insee: i, .. } if i == insee),
            "{row:?} → {:?}",
            candidates[0].birthplace
        );
    }
}

// ---------------------------------------------------------------- duplicates

#[test]
fn duplicates_inside_the_file_report_both_lines() {
    let mut same = good();
    same[0] = "MARTIN".into();
    same[1] = "lea".into();
    let mut other = good();
    other[0] = "Durand".into();
    let report = refused(&csv(&[good(), other, same]));
    assert_eq!(report.lines(), vec![2, 4], "{report:#?}");
    assert!(report
        .errors
        .iter()
        .all(|e| e.code == "import.duplicate_in_file"));
    assert!(report.errors[0].message_fr.contains("lignes 2 et 4"));
    assert_eq!(
        report.errors[0].column.as_deref(),
        Some(Column::BirthName.label())
    );
}

#[test]
fn duplicate_of_a_candidate_already_in_the_session_refused() {
    let existing = read(&csv(&[good()])).unwrap();
    let mut other = good();
    other[0] = "Durand".into();
    let mut same = good();
    same[0] = "MARTÍN".into();
    let report = import::read_candidates(
        &csv(&[other, same]),
        "x.csv",
        Communes::embedded(),
        &existing,
        today(),
    )
    .unwrap_err();
    assert_eq!(report.errors.len(), 1, "{report:#?}");
    assert_eq!(report.errors[0].line, 3);
    assert_eq!(report.errors[0].code, "import.already_in_session");
    assert!(report.errors[0].message_fr.contains("Léa Martin"));
}

// ---------------------------------------------------------------- all or nothing

#[test]
fn one_bad_file_lists_every_bad_line_and_imports_nothing() {
    let mut rows = Vec::new();
    for i in 0..6 {
        let mut row = good();
        row[0] = format!("Nom{}", "x".repeat(i));
        rows.push(row);
    }
    rows[1][4] = "31/02/2011".into(); // line 3
    rows[3][11] = "Z".into(); // line 5: two errors on one line
    rows[3][9] = "pas-un-mail".into();
    rows[5][7] = "99999".into(); // line 7
    let report = refused(&csv(&rows));
    assert_eq!(report.lines(), vec![3, 5, 7], "{report:#?}");
    assert_eq!(report.errors.len(), 4);
    // Within a line, the template's column order.
    assert_eq!(
        report.errors[1].column.as_deref(),
        Some(Column::ConvocationEmail.label())
    );
    assert_eq!(
        report.errors[2].column.as_deref(),
        Some(Column::Sex.label())
    );
    assert!(report.message_fr().contains("4 erreurs"));
    let exported = report.to_csv();
    assert!(
        exported.starts_with("\u{feff}Ligne;Colonne;Valeur;INE;Code;Message;Message (English)\r\n")
    );
    assert_eq!(exported.lines().count(), 5);
    assert!(exported
        .contains("3;* Date de naissance (format : jj/mm/aaaa);31/02/2011;;import.date_invalid;"));
}

#[test]
fn report_csv_neutralises_formulas() {
    let report = refused(&csv(&[with(Column::Sex, "=HYPERLINK(\"x\")")]));
    let exported = report.to_csv();
    assert!(
        exported.contains(";\"'=HYPERLINK(\"\"x\"\")\";"),
        "{exported}"
    );
}

#[test]
fn local_id_that_a_spreadsheet_would_run_refused() {
    bad_cell(Column::LocalId, "=1+1", "import.local_id_formula");
}

// ---------------------------------------------------------------- encodings

#[test]
fn utf8_with_and_without_bom_and_windows_1252_import_identically() {
    let plain = read(FIXTURE_CSV).unwrap();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(FIXTURE_CSV);
    let text = std::str::from_utf8(FIXTURE_CSV).unwrap();
    let (cp1252, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    assert_ne!(
        &cp1252[..],
        FIXTURE_CSV,
        "the fixture must hold non-ASCII letters"
    );
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let lf_only = text.replace("\r\n", "\n");
    for (name, bytes) in [
        ("bom", bom),
        ("cp1252", cp1252.into_owned()),
        ("utf16", utf16),
        ("lf", lf_only.into_bytes()),
    ] {
        assert_eq!(read(&bytes).unwrap(), plain, "{name}");
    }
}

// ---------------------------------------------------------------- workbooks

#[test]
fn xlsx_round_trip_and_native_cells() {
    let original = read(FIXTURE_CSV).unwrap();
    let xlsx = export::to_xlsx(&original).unwrap();
    assert_eq!(import::detect(&xlsx), FileKind::Xlsx);
    assert_eq!(read(&xlsx).unwrap(), original);

    // Cells typed by a person: a real date cell, numbers for codes (leading zero lost).
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, label) in [
        "Nom de naissance",
        "Prénom",
        "Date de naissance",
        "Sexe",
        "Code postal",
        "Nom de la commune",
        "Temps majoré ?",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(2, col as u16, *label).unwrap();
    }
    sheet.write_string(3, 0, "Dupré").unwrap();
    sheet.write_string(3, 1, "Zoé").unwrap();
    let when = ExcelDateTime::from_ymd(2011, 3, 14).unwrap();
    sheet
        .write_datetime_with_format(3, 2, &when, &Format::new().set_num_format("dd/mm/yyyy"))
        .unwrap();
    sheet.write_string(3, 3, "F").unwrap();
    sheet.write_number(3, 4, 1500.0).unwrap();
    sheet.write_string(3, 5, "Ambérieu-en-Bugey").unwrap();
    sheet.write_number(3, 6, 0.33).unwrap();
    sheet.write_string(4, 0, "Durand").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let report = refused(&bytes);
    // The sheet's own row numbers: header on row 3, the bad candidate on row 5.
    assert_eq!(report.lines(), vec![5], "{report:#?}");
}

#[test]
fn xlsx_with_one_good_row_imports_native_cells() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, label) in [
        "Nom de naissance",
        "Prénom",
        "Date de naissance",
        "Sexe",
        "Code Insee",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *label).unwrap();
    }
    sheet.write_string(1, 0, "Dupré").unwrap();
    sheet.write_string(1, 1, "Zoé").unwrap();
    let when = ExcelDateTime::from_ymd(2011, 3, 14).unwrap();
    sheet
        .write_datetime_with_format(1, 2, &when, &Format::new().set_num_format("dd/mm/yyyy"))
        .unwrap();
    sheet.write_string(1, 3, "F").unwrap();
    sheet.write_number(1, 4, 1004.0).unwrap();
    let candidates = read(&workbook.save_to_buffer().unwrap()).unwrap();
    assert_eq!(candidates[0].birthdate, date(14, 3, 2011));
    assert!(
        matches!(&candidates[0].birthplace, Birthplace::France { insee, .. } if insee == "01004")
    );
}

/// A minimal OpenDocument spreadsheet, as LibreOffice writes one (mimetype first, stored).
fn ods(rows: &[Vec<(&str, &str)>]) -> Vec<u8> {
    let mut body = String::new();
    for row in rows {
        body.push_str("<table:table-row>");
        for (kind, value) in row {
            match *kind {
                "date" => body.push_str(&format!(
                    "<table:table-cell office:value-type=\"date\" office:date-value=\"{value}\"><text:p>{value}</text:p></table:table-cell>"
                )),
                "float" => body.push_str(&format!(
                    "<table:table-cell office:value-type=\"float\" office:value=\"{value}\"><text:p>{value}</text:p></table:table-cell>"
                )),
                _ => body.push_str(&format!(
                    "<table:table-cell office:value-type=\"string\"><text:p>{value}</text:p></table:table-cell>"
                )),
            }
        }
        body.push_str("</table:table-row>");
    }
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body><office:spreadsheet><table:table table:name="Candidats">{body}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("META-INF/manifest.xml", deflated).unwrap();
    zip.write_all(manifest.as_bytes()).unwrap();
    zip.start_file("content.xml", deflated).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

#[test]
fn ods_reads_strings_dates_and_numbers() {
    let s = |v| ("string", v);
    let bytes = ods(&[
        vec![
            s("* Nom de naissance"),
            s("* Prénom"),
            s("* Date de naissance (format : jj/mm/aaaa)"),
            s("* Sexe (M ou F)"),
            s("Code Insee"),
            s("Temps majoré ?"),
        ],
        vec![
            s("Lefèvre"),
            s("Anaïs"),
            ("date", "2010-12-05"),
            s("F"),
            ("float", "1004"),
            ("float", "0.33"),
        ],
        vec![
            s("Dupré"),
            s("Zoé"),
            s("14/03/2011"),
            s("f"),
            s("2A004"),
            s(""),
        ],
    ]);
    assert_eq!(import::detect(&bytes), FileKind::Ods);
    let candidates = read(&bytes).unwrap_or_else(|r| panic!("{:#?}", r.errors));
    assert_eq!(candidates.len(), 2);
    assert_eq!(candidates[0].birth_name, "Lefèvre");
    assert_eq!(candidates[0].birthdate, date(5, 12, 2010));
    assert_eq!(candidates[0].extra_time_percent, Some(33));
    assert!(
        matches!(&candidates[0].birthplace, Birthplace::France { insee, .. } if insee == "01004")
    );
    assert!(
        matches!(&candidates[1].birthplace, Birthplace::France { insee, .. } if insee == "2A004")
    );

    let bad = ods(&[
        vec![
            s("Nom de naissance"),
            s("Prénom"),
            s("Date de naissance"),
            s("Sexe"),
            s("Code Insee"),
        ],
        vec![s("Dupré"), s("Zoé"), s("31/02/2011"), s("F"), s("01004")],
    ]);
    let report = refused(&bad);
    assert_eq!(
        (report.errors[0].line, report.errors[0].code.as_str()),
        (2, "import.date_invalid")
    );
}

// ---------------------------------------------------------------- export round trips

#[test]
fn csv_round_trip_keeps_every_spelling() {
    let original = read(FIXTURE_CSV).unwrap();
    let exported = export::to_csv(&original);
    assert!(exported.starts_with(b"\xEF\xBB\xBF* Nom de naissance;* Pr\xC3\xA9nom;"));
    let again = read(&exported).unwrap();
    assert_eq!(again, original);
    for (a, b) in again.iter().zip(&original) {
        assert_eq!(a.birth_name.as_bytes(), b.birth_name.as_bytes());
        assert_eq!(a.first_name.as_bytes(), b.first_name.as_bytes());
    }
    // And a second export is byte for byte the first.
    assert_eq!(export::to_csv(&again), exported);
}

// ---------------------------------------------------------------- SIECLE

fn siecle_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn siecle(bytes: &[u8]) -> Result<siecle::SiecleExport, ImportReport> {
    siecle::read_with(bytes, UAI, Communes::embedded(), today())
}

#[test]
fn siecle_reads_classes_and_skips_who_is_not_a_candidate() {
    let export = siecle(FIXTURE_SIECLE).unwrap_or_else(|r| panic!("{:#?}", r.errors));
    assert_eq!(export.classes, vec!["3A", "3B"]);
    let names: Vec<&str> = export
        .pupils
        .iter()
        .map(|(_, c)| c.birth_name.as_str())
        .collect();
    // Left (DATE_SORTIE), not arrived (no ID_NATIONAL), no class, only "Inactifs": skipped.
    assert_eq!(
        names,
        vec!["ŒUVRAY", "GARCÍA", "Santoni", "de Saint-Exupéry"]
    );
    let (class, helene) = &export.pupils[0];
    assert_eq!(class, "3A");
    assert_eq!(helene.first_name, "Hélène");
    assert_eq!(helene.local_id.as_deref(), Some("3A"));
    assert_eq!(helene.sex, Sex::F);
    assert_eq!(helene.birthdate, date(14, 3, 2011));
    assert_eq!(
        helene.birthplace,
        Birthplace::France {
            insee: "01004".into(),
            postal_code: None,
            town: "AMBERIEU EN BUGEY".into()
        }
    );
    assert_eq!(
        export.pupils[1].1.birthplace,
        Birthplace::Abroad {
            country: "Espagne".into(),
            insee: "99134".into(),
            town: "Madrid".into()
        }
    );
    assert!(
        matches!(&export.pupils[2].1.birthplace, Birthplace::France { town, .. } if town == "Ajaccio")
    );
    let chosen = export.select(&["3B".to_owned()]);
    assert_eq!(chosen.len(), 2);
    assert!(chosen.iter().all(|c| c.local_id.as_deref() == Some("3B")));
}

#[test]
fn siecle_uai_mismatch_refused() {
    let report =
        siecle::read_with(FIXTURE_SIECLE, "0130040Y", Communes::embedded(), today()).unwrap_err();
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].code, "siecle.uai_mismatch");
    assert!(report.errors[0]
        .message_fr
        .contains("L'UAI du fichier SIECLE ne correspond pas à celui de votre établissement"));
}

#[test]
fn siecle_zip_recognised_by_content_hidden_files_ignored() {
    let zipped = siecle_zip(&[
        ("__MACOSX/._ElevesSansAdresse.xml", b"junk"),
        (".DS_Store.xml", b"junk"),
        ("export/ElevesSansAdresse.xml", FIXTURE_SIECLE),
        ("LISEZMOI.txt", b"hello"),
    ]);
    assert_eq!(import::detect(&zipped), FileKind::SiecleZip);
    assert_eq!(siecle(&zipped).unwrap(), siecle(FIXTURE_SIECLE).unwrap());
    let two = siecle_zip(&[("a.xml", FIXTURE_SIECLE), ("b.xml", FIXTURE_SIECLE)]);
    assert_eq!(
        siecle(&two).unwrap_err().errors[0].code,
        "siecle.zip_entries"
    );
    let none = siecle_zip(&[("a.txt", b"x")]);
    assert_eq!(import::detect(&none), FileKind::Unknown);
}

#[test]
fn siecle_utf8_with_bom_reads_the_same() {
    let text = encoding_rs::ISO_8859_15
        .decode(FIXTURE_SIECLE)
        .0
        .replace("ISO-8859-15", "UTF-8");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(text.as_bytes());
    assert_eq!(siecle(&bytes).unwrap(), siecle(FIXTURE_SIECLE).unwrap());
}

#[test]
fn siecle_errors_are_collected_and_name_the_ine() {
    let pupil = |id: &str, inner: &str| format!("<ELEVE ELEVE_ID=\"{id}\">{inner}</ELEVE>");
    let ok = "<NOM_DE_FAMILLE>A</NOM_DE_FAMILLE><PRENOM>B</PRENOM><CODE_SEXE>1</CODE_SEXE><DATE_NAISS>01/01/2011</DATE_NAISS><CODE_PAYS>100</CODE_PAYS><CODE_COMMUNE_INSEE_NAISS>01004</CODE_COMMUNE_INSEE_NAISS>";
    let pupils = [
        pupil("1", &format!("<ID_NATIONAL></ID_NATIONAL>{ok}")),
        pupil("2", &format!("<ID_NATIONAL>DUP00000001</ID_NATIONAL>{ok}")),
        pupil(
            "3",
            &format!(
                "<ID_NATIONAL>DUP00000001</ID_NATIONAL>{}",
                ok.replace(
                    "<NOM_DE_FAMILLE>A</NOM_DE_FAMILLE>",
                    "<NOM_DE_FAMILLE>C</NOM_DE_FAMILLE>"
                )
            ),
        ),
        pupil(
            "4",
            &format!(
                "<ID_NATIONAL>SEX00000004</ID_NATIONAL>{}",
                ok.replace("<CODE_SEXE>1</CODE_SEXE>", "")
            ),
        ),
        pupil(
            "5",
            &format!(
                "<ID_NATIONAL>DAT00000005</ID_NATIONAL>{}",
                ok.replace("01/01/2011", "31/02/2011")
            ),
        ),
        pupil(
            "6",
            &format!(
                "<ID_NATIONAL>NOD00000006</ID_NATIONAL>{}",
                ok.replace("<DATE_NAISS>01/01/2011</DATE_NAISS>", "")
            ),
        ),
        pupil(
            "7",
            &format!(
                "<ID_NATIONAL>INS00000007</ID_NATIONAL>{}",
                ok.replace(
                    "<CODE_COMMUNE_INSEE_NAISS>01004</CODE_COMMUNE_INSEE_NAISS>",
                    ""
                )
            ),
        ),
        pupil(
            "8",
            &format!(
                "<ID_NATIONAL>NOM00000008</ID_NATIONAL>{}",
                ok.replace("<NOM_DE_FAMILLE>A</NOM_DE_FAMILLE><PRENOM>B</PRENOM>", "")
            ),
        ),
        pupil(
            "9",
            &format!(
                "<ID_NATIONAL>UNK00000009</ID_NATIONAL>{}",
                ok.replace("01004", "00000")
            ),
        ),
    ];
    let structures: String = (1..=9)
        .map(|i| format!("<STRUCTURES_ELEVE ELEVE_ID=\"{i}\"><STRUCTURE><CODE_STRUCTURE>3A</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE></STRUCTURES_ELEVE>"))
        .collect();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BEE_ELEVES VERSION=\"3.1\">\n<PARAMETRES><UAJ>0750654d</UAJ></PARAMETRES>\n<DONNEES>\n<ELEVES>\n{}\n</ELEVES>\n<STRUCTURES>{structures}</STRUCTURES>\n</DONNEES>\n</BEE_ELEVES>\n",
        pupils.join("\n")
    );
    let report = siecle(xml.as_bytes()).unwrap_err();
    let found: Vec<(usize, Option<&str>, &str)> = report
        .errors
        .iter()
        .map(|e| (e.line, e.ine.as_deref(), e.code.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (6, None, "siecle.ine_empty"),
            (7, Some("DUP00000001"), "siecle.ine_duplicated"),
            (8, Some("DUP00000001"), "siecle.ine_duplicated"),
            (9, Some("SEX00000004"), "siecle.sex"),
            (10, Some("DAT00000005"), "import.date_invalid"),
            (11, Some("NOD00000006"), "siecle.birthdate_missing"),
            (12, Some("INS00000007"), "siecle.insee_missing"),
            (13, Some("NOM00000008"), "siecle.name_missing"),
            (13, Some("NOM00000008"), "siecle.name_missing"),
            (14, Some("UNK00000009"), "import.insee_unknown"),
        ],
        "{:#?}",
        report.errors
    );
    for error in report.errors.iter().filter(|e| e.ine.is_some()) {
        assert!(
            error
                .message_fr
                .contains(&format!("INE {}", error.ine.as_deref().unwrap())),
            "{}",
            error.message_fr
        );
    }
    assert!(report.errors[0].message_fr.contains("n° 1"));
}

#[test]
fn siecle_file_level_errors() {
    let code = |bytes: &[u8]| siecle(bytes).unwrap_err().errors[0].code.clone();
    assert_eq!(
        code(b"<?xml version=\"1.0\"?><BEE_ELEVES><PARAMETRES>"),
        "siecle.malformed"
    );
    assert_eq!(
        code(b"<?xml version=\"1.0\" encoding=\"EBCDIC-FR\"?><BEE_ELEVES/>"),
        "siecle.encoding"
    );
    assert_eq!(
        code(b"<?xml version=\"1.0\"?><BEE_ELEVES/>"),
        "siecle.uai_missing"
    );
    assert_eq!(code(b"<?xml version=\"1.0\"?><BEE_ELEVES><PARAMETRES><UAJ>0750654D</UAJ></PARAMETRES></BEE_ELEVES>"), "siecle.no_pupil");
    assert_eq!(code(b"<?xml version=\"1.0\"?><AUTRE/>"), "siecle.malformed");
    assert_eq!(code(FIXTURE_CSV), "siecle.malformed");
}

// ---------------------------------------------------------------- identity matching

#[test]
fn kiosk_identity_match_ignores_case_accents_and_separators() {
    let candidates = read(FIXTURE_CSV).unwrap();
    let jean = &candidates[1];
    let typed =
        certroom_centre::candidate::match_key("dalmeida nunez", "jean noel", date(1, 9, 2010));
    assert_eq!(typed, jean.match_key());
    assert_eq!(normalise_name("  D’ALMEIDA–NÚÑEZ "), "d almeida nunez");
}

// ---------------------------------------------------------------- scale and robustness

#[test]
fn five_thousand_lines_import() {
    let places = [
        ("", "", "01004", ""),
        ("Ajaccio", "20000", "", ""),
        ("Paris", "75015", "75115", "France"),
        ("Madrid", "", "99134", "Espagne"),
        ("Saint-Étienne", "42000", "", ""),
        ("Bellegarde-sur-Valserine", "01200", "", ""),
    ];
    let mut text = header();
    for i in 0..5000u32 {
        let (town, postal, insee, country) = places[i as usize % places.len()];
        let name: String = format!("{i:05}")
            .bytes()
            .map(|b| char::from(b'a' + (b - b'0')))
            .collect();
        text.push_str(&format!(
            "\r\nNom-{name};Prénom {name};3{};33;{:02}/{:02}/2011;{town};{postal};{insee};{country};eleve.{name}@example.fr;;{};non",
            i % 7,
            i % 28 + 1,
            i % 12 + 1,
            if i % 2 == 0 { "F" } else { "M" }
        ));
    }
    let start = Instant::now();
    let communes = Communes::embedded();
    let loaded = start.elapsed();
    let candidates = import::read_candidates(text.as_bytes(), "big.csv", communes, &[], today())
        .unwrap_or_else(|r| panic!("{:#?}", &r.errors[..3.min(r.errors.len())]));
    let total = start.elapsed();
    assert_eq!(candidates.len(), 5000);
    println!("5,000 lines: {total:?} (communes table load {loaded:?})");
    let start = Instant::now();
    let xlsx = export::to_xlsx(&candidates).unwrap();
    let back = read(&xlsx).unwrap();
    assert_eq!(back.len(), 5000);
    println!("5,000 lines XLSX export + import: {:?}", start.elapsed());
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn zip_of(content: &[u8]) -> Vec<u8> {
        siecle_zip(&[("x.xml", content)])
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

        #[test]
        fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = read(&bytes);
            let _ = siecle(&bytes);
        }

        #[test]
        fn random_bytes_behind_magic(
            prefix in prop_oneof![
                Just(b"PK\x03\x04".to_vec()),
                Just(b"<?xml version=\"1.0\"?>".to_vec()),
                Just(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec()),
                Just(b"\xEF\xBB\xBF".to_vec()),
                Just(b"\xFF\xFE".to_vec()),
                Just(header().into_bytes()),
            ],
            bytes in proptest::collection::vec(any::<u8>(), 0..1024),
        ) {
            let mut all = prefix;
            all.extend_from_slice(&bytes);
            let _ = read(&all);
            let _ = siecle(&all);
        }

        #[test]
        fn mutated_valid_files(index in any::<prop::sample::Index>(), byte in any::<u8>(), which in 0usize..3) {
            let base = match which {
                0 => FIXTURE_CSV.to_vec(),
                1 => FIXTURE_SIECLE.to_vec(),
                _ => zip_of(FIXTURE_SIECLE),
            };
            let mut bytes = base;
            let i = index.index(bytes.len());
            bytes[i] = byte;
            let _ = read(&bytes);
            let _ = siecle(&bytes);
            let truncated = &bytes[..i];
            let _ = read(truncated);
            let _ = siecle(truncated);
        }

        #[test]
        fn random_text_cells(cells in proptest::collection::vec("[^\r\n;\"]{0,12}", 13)) {
            let row = cells.join(";");
            let text = format!("{}\r\n{row}", header());
            let _ = read(text.as_bytes());
        }
    }

    #[test]
    fn mutated_xlsx_never_panics() {
        let xlsx = export::to_xlsx(&read(FIXTURE_CSV).unwrap()).unwrap();
        for i in (0..xlsx.len()).step_by(97) {
            let mut bytes = xlsx.clone();
            bytes[i] ^= 0x5A;
            let _ = read(&bytes);
            let _ = read(&xlsx[..i]);
        }
    }
}

// ---------------------------------------------------------------- births abroad, the national way

/// The national template's own line for a pupil born abroad: `99` in "Code Insee", the country
/// as people write it, the town in "Nom de la commune" (and no "Questions adaptées ?" column).
#[test]
fn a_birth_abroad_in_the_national_template_imports() {
    let file = "\u{feff}* Nom de naissance;* Prénom;Identifiant local;Temps majoré ?;\
                * Date de naissance (format : jj/mm/aaaa);Nom de la commune;Code postal;\
                Code Insee;Pays;E-mail de convocation;E-mail du destinataire des résultats;\
                * Sexe (M ou F)\r\n\
                Đặng;Thị Ánh;3A-03;;30/11/2009;Hanoï;;99;VIETNAM;;;F\r\n";
    let candidates = read(file.as_bytes()).unwrap();
    assert_eq!(candidates.len(), 1);
    let c = &candidates[0];
    assert_eq!(
        (c.birth_name.as_str(), c.first_name.as_str()),
        ("Đặng", "Thị Ánh")
    );
    assert_eq!(
        c.birthplace,
        Birthplace::Abroad {
            country: "Vietnam".into(),
            insee: "99243".into(),
            town: "Hanoï".into()
        }
    );
    // Exported, it reads back the same: the country's own code and official name.
    let exported = String::from_utf8(export::to_csv(&candidates)).unwrap();
    assert!(exported.contains(";Hanoï;;99243;Vietnam;"), "{exported}");
    assert_eq!(read(exported.as_bytes()).unwrap(), candidates);
}

mod export_import_identity {
    use super::*;
    use certroom_centre::countries::Countries;
    use proptest::prelude::*;

    /// Birthplaces as the official lists give them: France by INSEE code (leading zeros, Corsica
    /// 2A/2B, arrondissements included), by postal code and town, and abroad.
    fn birthplace() -> impl Strategy<Value = Birthplace> {
        let communes: Vec<_> = Communes::embedded()
            .iter()
            .filter(|c| !c.name.is_empty() && !c.kind.is_former())
            .cloned()
            .collect();
        let corsican: Vec<_> = communes
            .iter()
            .filter(|c| c.code.starts_with("2A") || c.code.starts_with("2B"))
            .cloned()
            .collect();
        let leading_zero: Vec<_> = communes
            .iter()
            .filter(|c| c.code.starts_with('0'))
            .cloned()
            .collect();
        let countries: Vec<_> = Countries::embedded().iter().cloned().collect();
        let by_code = prop_oneof![
            proptest::sample::select(communes.clone()),
            proptest::sample::select(corsican),
            proptest::sample::select(leading_zero),
        ]
        .prop_map(|c| Birthplace::France {
            insee: c.code,
            postal_code: None,
            town: c.name,
        });
        let with_postal = proptest::sample::select(
            communes
                .into_iter()
                .filter(|c| !c.postal_codes.is_empty())
                .collect::<Vec<_>>(),
        )
        .prop_flat_map(|c| {
            let codes = c.postal_codes.clone();
            (Just(c), proptest::sample::select(codes))
        })
        .prop_map(|(c, postal)| Birthplace::France {
            insee: c.code,
            postal_code: Some(postal),
            town: c.name,
        });
        let abroad = (proptest::sample::select(countries), "[A-Z][a-zé]{2,12}")
            .prop_filter("a main country of its code", |(c, _)| {
                Countries::embedded().by_code(&c.insee)[0] == c
            })
            .prop_map(|(c, town)| Birthplace::Abroad {
                country: c.name,
                insee: c.insee,
                town,
            });
        prop_oneof![by_code, with_postal, abroad]
    }

    fn candidate(index: usize) -> impl Strategy<Value = Candidate> {
        (
            "[A-Z][a-zàâçéèêëîïôûüÿ]{1,10}",
            "[A-Z][a-zàâçéèêëîïôûüÿ]{1,10}(-[A-Z][a-z]{1,6})?",
            any::<bool>(),
            (2005i32..2012, 1u32..13, 1u32..29),
            birthplace(),
            proptest::option::of("[0-9A-Z]{1,4}"),
            proptest::option::of(1u8..=100),
            any::<bool>(),
            proptest::option::of("[a-z]{1,8}@[a-z]{2,8}\\.fr"),
        )
            .prop_map(
                move |(
                    birth,
                    first,
                    female,
                    (y, m, d),
                    birthplace,
                    local,
                    extra,
                    adjusted,
                    mail,
                )| {
                    Candidate {
                        // One family name each: the import refuses a pupil listed twice.
                        birth_name: format!("{birth} {}", family(index)),
                        first_name: first,
                        sex: if female { Sex::F } else { Sex::M },
                        birthdate: NaiveDate::from_ymd_opt(y, m, d).unwrap(),
                        birthplace,
                        local_id: local,
                        extra_time_percent: extra,
                        adjusted_questions: adjusted,
                        convocation_email: mail.clone(),
                        results_email: mail,
                    }
                },
            )
    }

    /// A distinct name of letters for the `index`th candidate.
    fn family(index: usize) -> String {
        let letters: Vec<char> = ('a'..='z').collect();
        format!("L{}{}", letters[index / 26 % 26], letters[index % 26])
    }

    fn candidates() -> impl Strategy<Value = Vec<Candidate>> {
        (1usize..12).prop_flat_map(|n| (0..n).map(candidate).collect::<Vec<_>>())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

        #[test]
        fn an_export_imports_back_to_the_same_candidates(original in candidates()) {
            let csv = export::to_csv(&original);
            prop_assert_eq!(&read(&csv).unwrap(), &original);
            let xlsx = export::to_xlsx(&original).unwrap();
            prop_assert_eq!(&read(&xlsx).unwrap(), &original);
        }
    }
}
