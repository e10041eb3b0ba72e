//! Turning a file's bytes into rows of trimmed text cells with their line numbers: CSV (any of
//! `;`, `,` or tab, UTF-8 with or without BOM, UTF-16 with BOM, or Windows-1252) and workbooks
//! (ODS, XLSX, XLS: the first sheet).

use super::{FileKind, Problem};
use calamine::{Data, Reader};
use std::io::{Cursor, Read};

#[derive(Debug, Default)]
pub struct Table {
    pub header_line: usize,
    pub header: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Debug)]
pub struct Row {
    /// 1-based line (or sheet row) where the record starts.
    pub line: usize,
    pub cells: Vec<String>,
}

pub type TableResult = Result<Table, (usize, Problem)>;
/// Records with the line each starts on.
type Records = Vec<(usize, Vec<String>)>;

/// Tells apart the ZIP-based formats by their entries (`mimetype` for ODS, `xl/` for XLSX, an
/// `.xml` file for a zipped SIECLE export).
pub fn zip_kind(bytes: &[u8]) -> FileKind {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return FileKind::Unknown;
    };
    if let Ok(mut entry) = archive.by_name("mimetype") {
        let mut mime = String::new();
        // The mimetype entry is a few dozen bytes; the limit guards against a crafted archive.
        let _ = (&mut entry).take(200).read_to_string(&mut mime);
        if mime.trim() == "application/vnd.oasis.opendocument.spreadsheet" {
            return FileKind::Ods;
        }
        return FileKind::Unknown;
    }
    let names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.into_owned())
        .collect();
    if names.iter().any(|n| n == "[Content_Types].xml")
        && names.iter().any(|n| n.starts_with("xl/"))
    {
        return FileKind::Xlsx;
    }
    if names.iter().any(|n| super::siecle::is_visible_xml(n)) {
        return FileKind::SiecleZip;
    }
    FileKind::Unknown
}

/// Text of a CSV: BOM removed; UTF-8 if valid, else UTF-16 if it says so, else Windows-1252
/// (what Excel on Windows writes for "CSV (séparateur : point-virgule)").
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let (text, _, _) = encoding_rs::UTF_16LE.decode(bytes);
        return text.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

pub fn read_csv(bytes: &[u8]) -> TableResult {
    let text = decode_text(bytes);
    if text.trim().is_empty() {
        return Err((0, Problem::EmptyFile));
    }
    let delimiter = detect_delimiter(&text);
    let records = parse_csv(&text, delimiter)?;
    into_table(records)
}

/// The separator is the one of `;`, `,` and tab that the header line (outside quotes) uses
/// most; a tie goes to `;`, the French default.
fn detect_delimiter(text: &str) -> char {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for ch in text.chars() {
        match ch {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            ';' if !quoted => counts[0] += 1,
            ',' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let [semicolon, comma, tab] = counts;
    if tab > semicolon && tab > comma {
        '\t'
    } else if comma > semicolon {
        ','
    } else {
        ';'
    }
}

/// RFC 4180 with the leniency of real files: quotes only matter at the start of a cell, a stray
/// quote inside an unquoted cell is kept, CR, LF and CRLF all end a record.
fn parse_csv(text: &str, delimiter: char) -> Result<Records, (usize, Problem)> {
    let mut records = Vec::new();
    let mut cells: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut line = 1usize;
    let mut record_line = 1usize;
    let mut chars = text.chars().peekable();
    let mut at_cell_start = true;
    while let Some(ch) = chars.next() {
        if at_cell_start && ch == '"' {
            at_cell_start = false;
            let quote_line = line;
            loop {
                match chars.next() {
                    None => return Err((quote_line, Problem::UnclosedQuote)),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        cell.push('"');
                    }
                    Some('"') => break,
                    Some(c) => {
                        if c == '\n' || (c == '\r' && chars.peek() != Some(&'\n')) {
                            line += 1;
                        }
                        cell.push(c);
                    }
                }
            }
            continue;
        }
        if ch == delimiter {
            cells.push(std::mem::take(&mut cell));
            at_cell_start = true;
            continue;
        }
        if ch == '\n' || ch == '\r' {
            if ch == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            cells.push(std::mem::take(&mut cell));
            records.push((record_line, std::mem::take(&mut cells)));
            line += 1;
            record_line = line;
            at_cell_start = true;
            continue;
        }
        at_cell_start = false;
        cell.push(ch);
    }
    if !cell.is_empty() || !cells.is_empty() {
        cells.push(cell);
        records.push((record_line, cells));
    }
    Ok(records)
}

/// Trims cells, drops blank records, takes the first non-blank one as the header.
fn into_table(records: Records) -> TableResult {
    let mut rows = records.into_iter().filter_map(|(line, cells)| {
        let cells: Vec<String> = cells.iter().map(|c| c.trim().to_owned()).collect();
        if cells.iter().all(String::is_empty) {
            None
        } else {
            Some(Row { line, cells })
        }
    });
    let Some(header) = rows.next() else {
        return Err((0, Problem::EmptyFile));
    };
    let rows: Vec<Row> = rows.collect();
    if rows.is_empty() {
        return Err((header.line, Problem::NoCandidates));
    }
    Ok(Table {
        header_line: header.line,
        header: header.cells,
        rows,
    })
}

pub fn read_spreadsheet(bytes: &[u8]) -> TableResult {
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| (0, Problem::Unreadable(e.to_string())))?;
    let range = match workbook.worksheet_range_at(0) {
        Some(Ok(range)) => range,
        Some(Err(e)) => return Err((0, Problem::Unreadable(e.to_string()))),
        None => return Err((0, Problem::EmptyFile)),
    };
    // Row numbers are the sheet's, so "ligne 7" is the row Excel or LibreOffice shows as 7.
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let records = range
        .rows()
        .enumerate()
        .map(|(i, cells)| (first_row + i + 1, cells.iter().map(cell_text).collect()))
        .collect();
    into_table(records)
}

/// A cell as the text the school sees: whole numbers without `.0` (postal codes typed as
/// numbers), dates as jj/mm/aaaa, booleans as oui/non.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(true) => "oui".into(),
        Data::Bool(false) => "non".into(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (year, month, day, ..) = dt.to_ymd_hms_milli();
            format!("{day:02}/{month:02}/{year:04}")
        }
        Data::DateTime(dt) => number_text(dt.as_f64()),
        Data::DateTimeIso(iso) => iso_date_text(iso),
        Data::DurationIso(text) => text.clone(),
        Data::Error(e) => format!("#{e}"),
    }
}

fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// ODS stores dates as ISO text (`2010-03-14` or `2010-03-14T00:00:00`).
fn iso_date_text(iso: &str) -> String {
    let date = iso.split('T').next().unwrap_or(iso);
    let mut parts = date.split('-');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d), None) if y.len() == 4 => format!("{d}/{m}/{y}"),
        _ => iso.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_line_numbers() {
        let text = "a;b\r\n\"x;1\";\"multi\nline\"\n\n\"say \"\"hi\"\"\";z";
        let records = parse_csv(text, ';').unwrap();
        let lines: Vec<usize> = records.iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![1, 2, 4, 5]);
        assert_eq!(records[1].1, vec!["x;1", "multi\nline"]);
        assert_eq!(records[3].1, vec!["say \"hi\"", "z"]);
        assert_eq!(parse_csv("a;\"b", ';').unwrap_err().0, 1);
    }

    #[test]
    fn delimiter_detection() {
        assert_eq!(detect_delimiter("a;b;c\n1,2"), ';');
        assert_eq!(detect_delimiter("a,b,c\n"), ',');
        assert_eq!(detect_delimiter("\"a;b\",c\n"), ',');
        assert_eq!(detect_delimiter("a\tb\n"), '\t');
        assert_eq!(detect_delimiter("a\n"), ';');
    }

    #[test]
    fn cells_from_spreadsheets() {
        assert_eq!(number_text(1400.0), "1400");
        assert_eq!(number_text(0.33), "0.33");
        assert_eq!(iso_date_text("2010-03-14T00:00:00"), "14/03/2010");
    }
}
