//! The candidates back in the national template, as CSV (`;`, UTF-8 with BOM, the reference
//! system's own convention) or XLSX, so a school can fix a list in its spreadsheet and import it
//! again: importing an export gives the same candidates.

use super::columns::Column;
use crate::candidate::{Birthplace, Candidate};
use crate::UserMessage;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("XLSX writer failed: {0}")]
    Xlsx(String),
}

impl UserMessage for ExportError {
    fn code(&self) -> &'static str {
        "export.xlsx"
    }
    fn message_fr(&self) -> String {
        let Self::Xlsx(why) = self;
        format!("Le classeur n'a pas pu être créé ({why}).")
    }
    fn message_en(&self) -> String {
        let Self::Xlsx(why) = self;
        format!("The workbook could not be created ({why}).")
    }
}

/// One candidate as the template's cells, in [`Column::ALL`] order.
pub fn template_row(candidate: &Candidate) -> Vec<String> {
    let (town, postal, insee, country) = match &candidate.birthplace {
        Birthplace::France {
            insee,
            postal_code,
            town,
        } => (
            town.clone(),
            postal_code.clone().unwrap_or_default(),
            insee.clone(),
            "FRANCE".to_owned(),
        ),
        Birthplace::Abroad {
            country,
            insee,
            town,
        } => (town.clone(), String::new(), insee.clone(), country.clone()),
    };
    Column::ALL
        .iter()
        .map(|column| match column {
            Column::BirthName => candidate.birth_name.clone(),
            Column::FirstName => candidate.first_name.clone(),
            Column::LocalId => candidate.local_id.clone().unwrap_or_default(),
            Column::ExtraTime => candidate
                .extra_time_percent
                .map(|p| p.to_string())
                .unwrap_or_default(),
            Column::Birthdate => candidate.birthdate.format("%d/%m/%Y").to_string(),
            Column::Town => town.clone(),
            Column::PostalCode => postal.clone(),
            Column::Insee => insee.clone(),
            Column::Country => country.clone(),
            Column::ConvocationEmail => candidate.convocation_email.clone().unwrap_or_default(),
            Column::ResultsEmail => candidate.results_email.clone().unwrap_or_default(),
            Column::Sex => candidate.sex.letter().to_owned(),
            Column::AdjustedQuestions => if candidate.adjusted_questions {
                "oui"
            } else {
                "non"
            }
            .to_owned(),
        })
        .collect()
}

pub fn to_csv(candidates: &[Candidate]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    let header: Vec<String> = Column::ALL
        .iter()
        .map(|c| csv_field(c.label(), false))
        .collect();
    out.push_str(&header.join(";"));
    out.push_str("\r\n");
    for candidate in candidates {
        let row: Vec<String> = template_row(candidate)
            .iter()
            .map(|v| csv_field(v, false))
            .collect();
        out.push_str(&row.join(";"));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// Quotes a field when it holds a separator, a quote or a line break. With
/// `neutralise_formulas`, a value starting with `=`, `+`, `-` or `@` is prefixed with `'` so a
/// spreadsheet shows it instead of running it (for reports echoing untrusted cells; the
/// template export does not, to stay re-importable, and its cells are validated anyway).
pub(crate) fn csv_field(value: &str, neutralise_formulas: bool) -> String {
    let value = if neutralise_formulas && value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([';', ',', '"', '\n', '\r']) || value.trim() != value {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// Every cell is written as text, so postal codes keep their leading zero and dates stay
/// jj/mm/aaaa whatever the reader's locale.
pub fn to_xlsx(candidates: &[Candidate]) -> Result<Vec<u8>, ExportError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| ExportError::Xlsx(e.to_string());
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Candidats").map_err(err)?;
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    for (col, column) in Column::ALL.iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        sheet
            .write_string_with_format(0, col, column.label(), &bold)
            .map_err(err)?;
        sheet.set_column_width(col, 22).map_err(err)?;
    }
    for (row, candidate) in candidates.iter().enumerate() {
        let row = u32::try_from(row + 1).map_err(|_| ExportError::Xlsx("too many rows".into()))?;
        for (col, value) in template_row(candidate).iter().enumerate() {
            let col = u16::try_from(col).unwrap_or(u16::MAX);
            if !value.is_empty() {
                sheet
                    .write_string_with_format(row, col, value, &text)
                    .map_err(err)?;
            }
        }
    }
    workbook.save_to_buffer().map_err(err)
}
