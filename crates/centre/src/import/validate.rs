//! The rules a template line must follow, each reported with its line, column and value.

use super::birthplace::{check_birthplace, BirthplaceInput};
use super::columns::{match_header, Column, Layout};
use super::table::Table;
use super::{ImportError, ImportReport, Problem};
use crate::candidate::{Candidate, Sex};
use crate::communes::Communes;
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;

/// Long enough for any real name or address; short enough that a pasted paragraph is caught.
const MAX_NAME: usize = 100;
const MAX_LOCAL_ID: usize = 64;
const MAX_EMAIL: usize = 254;

pub fn validate_table(
    table: &Table,
    communes: &Communes,
    existing: &[Candidate],
    today: NaiveDate,
) -> Result<Vec<Candidate>, ImportReport> {
    let layout = match_header(&table.header).map_err(|problems| ImportReport {
        errors: problems
            .iter()
            .map(|(column, value, problem)| {
                ImportError::new(table.header_line, *column, value.as_deref(), problem)
            })
            .collect(),
    })?;
    let mut errors = Vec::new();
    let mut candidates = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let mut line = Line {
            number: row.line,
            cells: &row.cells,
            layout: &layout,
            errors: &mut errors,
        };
        if let Some(candidate) = line.candidate(communes, today, table.header.len()) {
            candidates.push((row.line, candidate));
        }
    }
    check_duplicates(&candidates, existing, &mut errors);
    if errors.is_empty() {
        Ok(candidates.into_iter().map(|(_, c)| c).collect())
    } else {
        // By line, then in the template's column order, as the school reads its sheet.
        errors.sort_by_key(|e| {
            let column = Column::ALL
                .iter()
                .position(|c| Some(c.label()) == e.column.as_deref())
                .unwrap_or(usize::MAX);
            (e.line, column)
        });
        Err(ImportReport { errors })
    }
}

struct Line<'a> {
    number: usize,
    cells: &'a [String],
    layout: &'a Layout,
    errors: &'a mut Vec<ImportError>,
}

impl Line<'_> {
    fn get(&self, column: Column) -> &str {
        self.layout
            .index(column)
            .and_then(|i| self.cells.get(i))
            .map_or("", String::as_str)
    }

    fn optional(&self, column: Column) -> Option<&str> {
        Some(self.get(column)).filter(|v| !v.is_empty())
    }

    fn fail(&mut self, column: Option<Column>, problem: Problem) {
        let value = column
            .map(|c| self.get(c).to_owned())
            .filter(|v| !v.is_empty());
        self.errors.push(ImportError::new(
            self.number,
            column,
            value.as_deref(),
            &problem,
        ));
    }

    /// Checks every cell of the line (all of them, so one pass reports everything) and builds
    /// the candidate if none failed.
    fn candidate(
        &mut self,
        communes: &Communes,
        today: NaiveDate,
        width: usize,
    ) -> Option<Candidate> {
        let before = self.errors.len();
        if self.cells.len() > width {
            let extra = &self.cells[width..];
            if extra.iter().any(|c| !c.is_empty()) {
                self.fail(None, Problem::ExtraCells(extra.len()));
            }
        }
        for &blank in &self.layout.blank {
            if let Some(value) = self.cells.get(blank).filter(|c| !c.is_empty()) {
                let value = value.clone();
                self.errors.push(ImportError::new(
                    self.number,
                    None,
                    Some(&value),
                    &Problem::CellWithoutHeader,
                ));
            }
        }
        let birth_name = self.name(Column::BirthName);
        let first_name = self.name(Column::FirstName);
        let birthdate = self.checked(Column::Birthdate, |v| parse_birthdate(v, today));
        let sex = self.checked(Column::Sex, parse_sex);
        let local_id = self.optional(Column::LocalId).map(str::to_owned);
        if let Some(id) = &local_id {
            if id.chars().count() > MAX_LOCAL_ID {
                self.fail(Some(Column::LocalId), Problem::TooLong(MAX_LOCAL_ID));
            } else if id.starts_with(['=', '+', '-', '@']) {
                // The export writes it back into a spreadsheet, which would evaluate it.
                self.fail(Some(Column::LocalId), Problem::LocalIdFormula(id.clone()));
            }
        }
        let extra_time = self.optional_checked(Column::ExtraTime, parse_extra_time);
        let adjusted = self.optional_checked(Column::AdjustedQuestions, parse_yes_no);
        let convocation_email = self.optional_checked(Column::ConvocationEmail, check_email);
        let results_email = self.optional_checked(Column::ResultsEmail, check_email);
        let input = BirthplaceInput {
            town: self.optional(Column::Town),
            postal_code: self.optional(Column::PostalCode),
            insee: self.optional(Column::Insee),
            country: self.optional(Column::Country),
        };
        let birthplace = match check_birthplace(&input, communes) {
            Ok(place) => Some(place),
            Err(problems) => {
                for (column, problem) in problems {
                    self.fail(column, problem);
                }
                None
            }
        };
        if self.errors.len() > before {
            return None;
        }
        Some(Candidate {
            birth_name: birth_name?,
            first_name: first_name?,
            sex: sex?,
            birthdate: birthdate?,
            birthplace: birthplace?,
            local_id,
            extra_time_percent: extra_time?,
            adjusted_questions: adjusted?.unwrap_or(false),
            convocation_email: convocation_email?,
            results_email: results_email?,
        })
    }

    fn name(&mut self, column: Column) -> Option<String> {
        self.checked(column, |v| check_name(v).map(str::to_owned))
    }

    fn checked<T>(
        &mut self,
        column: Column,
        parse: impl FnOnce(&str) -> Result<T, Problem>,
    ) -> Option<T> {
        let value = self.get(column);
        if value.is_empty() {
            self.fail(Some(column), Problem::Required);
            return None;
        }
        match parse(value) {
            Ok(v) => Some(v),
            Err(problem) => {
                self.fail(Some(column), problem);
                None
            }
        }
    }

    /// `Some(None)` for an empty cell, `None` when the value is refused.
    fn optional_checked<T>(
        &mut self,
        column: Column,
        parse: impl FnOnce(&str) -> Result<T, Problem>,
    ) -> Option<Option<T>> {
        match self.optional(column) {
            None => Some(None),
            Some(value) => match parse(value) {
                Ok(v) => Some(Some(v)),
                Err(problem) => {
                    self.fail(Some(column), problem);
                    None
                }
            },
        }
    }
}

/// Names as written on civil status: letters (any alphabet, with accents), spaces, hyphens,
/// apostrophes and dots. Digits and symbols mean a cell went into the wrong column.
fn check_name(value: &str) -> Result<&str, Problem> {
    if value.chars().count() > MAX_NAME {
        return Err(Problem::TooLong(MAX_NAME));
    }
    let allowed = |c: char| {
        c.is_alphabetic()
            || c == ' '
            || matches!(c, '-' | '\'' | '’' | '.' | '‐')
            || ('\u{300}'..='\u{36f}').contains(&c)
    };
    match value.chars().find(|&c| !allowed(c)) {
        Some(bad) => Err(Problem::NameCharacter(value.to_owned(), bad)),
        None => Ok(value),
    }
}

/// `jj/mm/aaaa` (one-digit day or month tolerated), a real date, not after `today`, not before
/// 1900.
pub fn parse_birthdate(value: &str, today: NaiveDate) -> Result<NaiveDate, Problem> {
    let owned = || value.to_owned();
    // Spreadsheets exported to CSV sometimes append a midnight time.
    let date_part = value
        .strip_suffix(" 00:00:00")
        .or_else(|| value.strip_suffix(" 00:00"))
        .unwrap_or(value);
    let parts: Vec<&str> = date_part.split('/').collect();
    let [day, month, year] = parts.as_slice() else {
        return Err(Problem::DateFormat(owned()));
    };
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(day, 2) || !digits(month, 2) || !digits(year, 4) {
        return Err(Problem::DateFormat(owned()));
    }
    if year.len() == 2 {
        return Err(Problem::DateTwoDigitYear(owned()));
    }
    if year.len() != 4 {
        return Err(Problem::DateFormat(owned()));
    }
    let (Ok(d), Ok(m), Ok(y)) = (
        day.parse::<u32>(),
        month.parse::<u32>(),
        year.parse::<i32>(),
    ) else {
        return Err(Problem::DateFormat(owned()));
    };
    let date = NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| Problem::DateInvalid(owned()))?;
    if date > today {
        return Err(Problem::DateFuture(owned()));
    }
    if date.year() < 1900 {
        return Err(Problem::DateTooOld(owned()));
    }
    Ok(date)
}

/// `M` or `F`, either case. Words are refused with the letter to use: the column's title says
/// "M ou F", and a word in another language could be read either way.
pub fn parse_sex(value: &str) -> Result<Sex, Problem> {
    match value.trim() {
        "M" | "m" => return Ok(Sex::M),
        "F" | "f" => return Ok(Sex::F),
        _ => {}
    }
    let word = crate::candidate::normalise_name(value);
    let letter = match word.as_str() {
        "masculin" | "homme" | "garcon" | "h" | "male" | "masc" => "M",
        "feminin" | "femme" | "fille" | "female" | "fem" => "F",
        _ => return Err(Problem::Sex(value.to_owned())),
    };
    Err(Problem::SexWord(value.to_owned(), letter))
}

/// A percentage: `33`, `33 %`, `33%`, or a fraction `0,33` / `0.33` (what a cell formatted as
/// a percentage exports). Rounded to the nearest whole percent; 0 and more than 100 refused.
pub fn parse_extra_time(value: &str) -> Result<u8, Problem> {
    let format_error = || Problem::ExtraTimeFormat(value.to_owned());
    let (number, percent_sign) = match value.trim().strip_suffix('%') {
        Some(rest) => (rest.trim(), true),
        None => (value.trim(), false),
    };
    let normalised = number.replace(',', ".");
    let well_formed = !normalised.is_empty()
        && normalised.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && normalised.bytes().filter(|&b| b == b'.').count() <= 1
        && normalised.len() <= 12;
    if !well_formed {
        return Err(format_error());
    }
    let parsed: f64 = normalised.parse().map_err(|_| format_error())?;
    let fraction = !percent_sign && normalised.contains('.') && parsed <= 1.0;
    let percent = if fraction { parsed * 100.0 } else { parsed };
    let rounded = percent.round();
    if !(1.0..=100.0).contains(&rounded) {
        return Err(Problem::ExtraTimeRange(value.to_owned()));
    }
    Ok(rounded as u8)
}

fn parse_yes_no(value: &str) -> Result<bool, Problem> {
    match crate::candidate::normalise_name(value).as_str() {
        "oui" | "o" | "yes" | "y" | "vrai" | "true" | "1" | "x" => Ok(true),
        "non" | "n" | "no" | "faux" | "false" | "0" => Ok(false),
        _ => Err(Problem::AdjustedQuestions(value.to_owned())),
    }
}

/// Strict enough to catch typos (a missing `@`, a space, a comma, a domain without a dot) and
/// loose enough for every address a school gives: ASCII local part, letters in the domain.
pub fn check_email(value: &str) -> Result<String, Problem> {
    let bad = || Problem::Email(value.to_owned());
    if value.len() > MAX_EMAIL {
        return Err(bad());
    }
    let (local, domain) = value.split_once('@').ok_or_else(bad)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic));
    if local_ok && domain_ok {
        Ok(value.to_owned())
    } else {
        Err(bad())
    }
}

fn check_duplicates(
    candidates: &[(usize, Candidate)],
    existing: &[Candidate],
    errors: &mut Vec<ImportError>,
) {
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    for (line, candidate) in candidates {
        groups.entry(candidate.match_key()).or_default().push(*line);
    }
    let existing: HashMap<String, &Candidate> =
        existing.iter().map(|c| (c.match_key(), c)).collect();
    for (line, candidate) in candidates {
        let key = candidate.match_key();
        if let Some(lines) = groups.get(&key).filter(|l| l.len() > 1) {
            errors.push(ImportError::new(
                *line,
                Some(Column::BirthName),
                Some(&candidate.birth_name),
                &Problem::DuplicateInFile(lines.clone()),
            ));
        }
        if let Some(known) = existing.get(&key) {
            errors.push(ImportError::new(
                *line,
                Some(Column::BirthName),
                Some(&candidate.birth_name),
                &Problem::AlreadyInSession(format!("{} {}", known.first_name, known.birth_name)),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 1).unwrap()
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_birthdate("14/03/2010", today()).unwrap(),
            NaiveDate::from_ymd_opt(2010, 3, 14).unwrap()
        );
        assert_eq!(
            parse_birthdate("1/3/2010", today()).unwrap(),
            NaiveDate::from_ymd_opt(2010, 3, 1).unwrap()
        );
        assert!(matches!(
            parse_birthdate("31/02/2010", today()),
            Err(Problem::DateInvalid(_))
        ));
        assert!(matches!(
            parse_birthdate("14/03/10", today()),
            Err(Problem::DateTwoDigitYear(_))
        ));
        assert!(matches!(
            parse_birthdate("2010-03-14", today()),
            Err(Problem::DateFormat(_))
        ));
        assert!(matches!(
            parse_birthdate("02/05/2026", today()),
            Err(Problem::DateFuture(_))
        ));
        assert!(matches!(
            parse_birthdate("31/12/1899", today()),
            Err(Problem::DateTooOld(_))
        ));
    }

    #[test]
    fn extra_time() {
        for v in ["33", "33 %", "33%", "0,33", "0.33", "33,3"] {
            assert_eq!(parse_extra_time(v).unwrap(), 33, "{v}");
        }
        assert_eq!(parse_extra_time("100").unwrap(), 100);
        assert!(matches!(
            parse_extra_time("0"),
            Err(Problem::ExtraTimeRange(_))
        ));
        assert!(matches!(
            parse_extra_time("150"),
            Err(Problem::ExtraTimeRange(_))
        ));
        assert!(matches!(
            parse_extra_time("oui"),
            Err(Problem::ExtraTimeFormat(_))
        ));
        assert!(matches!(
            parse_extra_time("1.2.3"),
            Err(Problem::ExtraTimeFormat(_))
        ));
    }

    #[test]
    fn emails() {
        for ok in ["a.b@ac-paris.fr", "prenom+tag@example.com", "x@école.fr"] {
            assert!(check_email(ok).is_ok(), "{ok}");
        }
        for bad in [
            "a@b",
            "a b@c.fr",
            "a@@c.fr",
            "@c.fr",
            "a@c.",
            "a..b@c.fr",
            "a@-c.fr",
            "a,b@c.fr",
            "a@c.f",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sexes() {
        assert_eq!(parse_sex("m").unwrap(), Sex::M);
        assert_eq!(parse_sex("F").unwrap(), Sex::F);
        assert_eq!(
            parse_sex("Féminin").unwrap_err(),
            Problem::SexWord("Féminin".into(), "F")
        );
        assert_eq!(parse_sex("X").unwrap_err(), Problem::Sex("X".into()));
    }

    #[test]
    fn names() {
        assert!(check_name("D'Almeida-Núñez de la Tour").is_ok());
        assert!(matches!(
            check_name("Jean2"),
            Err(Problem::NameCharacter(_, '2'))
        ));
    }
}
