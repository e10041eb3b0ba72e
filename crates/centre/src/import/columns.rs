//! The national template's columns and the tolerant matching of a file's header to them.

use super::Problem;
use crate::candidate::normalise_name;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Column {
    BirthName,
    FirstName,
    LocalId,
    ExtraTime,
    Birthdate,
    Town,
    PostalCode,
    Insee,
    Country,
    ConvocationEmail,
    ResultsEmail,
    Sex,
    /// Ours, not the national template's: the candidate sits the accessible questions.
    AdjustedQuestions,
}

impl Column {
    /// In the template's order (the export writes them so).
    pub const ALL: [Column; 13] = [
        Column::BirthName,
        Column::FirstName,
        Column::LocalId,
        Column::ExtraTime,
        Column::Birthdate,
        Column::Town,
        Column::PostalCode,
        Column::Insee,
        Column::Country,
        Column::ConvocationEmail,
        Column::ResultsEmail,
        Column::Sex,
        Column::AdjustedQuestions,
    ];

    /// The exact label of the national template.
    pub fn label(self) -> &'static str {
        match self {
            Self::BirthName => "* Nom de naissance",
            Self::FirstName => "* Prénom",
            Self::LocalId => "Identifiant local",
            Self::ExtraTime => "Temps majoré ?",
            Self::Birthdate => "* Date de naissance (format : jj/mm/aaaa)",
            Self::Town => "Nom de la commune",
            Self::PostalCode => "Code postal",
            Self::Insee => "Code Insee",
            Self::Country => "Pays",
            Self::ConvocationEmail => "E-mail de convocation",
            Self::ResultsEmail => "E-mail du destinataire des résultats",
            Self::Sex => "* Sexe (M ou F)",
            Self::AdjustedQuestions => "Questions adaptées ?",
        }
    }

    pub fn required(self) -> bool {
        self.label().starts_with('*')
    }

    fn key(self) -> String {
        header_key(self.label())
    }
}

/// Folds a header for comparison: the leading `*`, the parenthesised hint, `?`, `:`, case,
/// accents and every space or hyphen go, so `DATE DE NAISSANCE`, `Date de naissance (jj/mm/aaaa)`
/// and `* date de naissance` all read as the same column, as do `Email` and `E-mail`.
pub fn header_key(header: &str) -> String {
    let mut text = String::with_capacity(header.len());
    let mut depth = 0usize;
    for ch in header.chars() {
        match ch {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            '*' | '?' | ':' => {}
            _ if depth == 0 => text.push(ch),
            _ => {}
        }
    }
    normalise_name(&text).replace(' ', "")
}

/// Where each template column sits in the file, by cell index.
#[derive(Debug, Default)]
pub struct Layout {
    pub positions: Vec<(Column, usize)>,
    /// Header cells that are empty: their cells must stay empty.
    pub blank: Vec<usize>,
}

impl Layout {
    pub fn index(&self, column: Column) -> Option<usize> {
        self.positions
            .iter()
            .find(|(c, _)| *c == column)
            .map(|&(_, i)| i)
    }
}

/// A header problem: the column concerned (if known), the header cell, the rule.
pub type HeaderProblem = (Option<Column>, Option<String>, Problem);

/// Maps the header cells to columns; every header problem is reported, not just the first.
pub fn match_header(header: &[String]) -> Result<Layout, Vec<HeaderProblem>> {
    let keys: Vec<(Column, String)> = Column::ALL.iter().map(|&c| (c, c.key())).collect();
    let mut layout = Layout::default();
    let mut problems = Vec::new();
    for (index, cell) in header.iter().enumerate() {
        let key = header_key(cell);
        if key.is_empty() {
            layout.blank.push(index);
            continue;
        }
        match keys.iter().find(|(_, k)| *k == key) {
            Some(&(column, _)) => {
                if layout.index(column).is_some() {
                    problems.push((
                        Some(column),
                        Some(cell.clone()),
                        Problem::DuplicateColumn(column.label()),
                    ));
                } else {
                    layout.positions.push((column, index));
                }
            }
            None => {
                let near = nearest_label(&key, &keys);
                problems.push((
                    None,
                    Some(cell.clone()),
                    Problem::UnknownColumn(cell.clone(), near),
                ));
            }
        }
    }
    for column in Column::ALL {
        if column.required() && layout.index(column).is_none() {
            problems.push((Some(column), None, Problem::MissingColumn(column.label())));
        }
    }
    if problems.is_empty() {
        Ok(layout)
    } else {
        Err(problems)
    }
}

/// A template label the unknown header is probably a misspelling of (a third of its letters
/// may differ), to say which column was meant.
fn nearest_label(key: &str, keys: &[(Column, String)]) -> Option<&'static str> {
    let key: Vec<char> = key.chars().collect();
    keys.iter()
        .map(|(c, k)| {
            let k: Vec<char> = k.chars().collect();
            (levenshtein(&key, &k), c)
        })
        .filter(|(d, _)| *d <= key.len() / 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.label())
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let diagonal = previous.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let up = previous.get(j + 1).copied().unwrap_or(0) + 1;
            let left = current.last().copied().unwrap_or(0) + 1;
            current.push(diagonal.min(up).min(left));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_matching_is_tolerant() {
        for (header, column) in [
            ("nom de naissance", Column::BirthName),
            ("DATE DE NAISSANCE", Column::Birthdate),
            ("*Date de naissance (jj/mm/aaaa)", Column::Birthdate),
            ("  Prenom ", Column::FirstName),
            ("Email de convocation", Column::ConvocationEmail),
            ("Sexe", Column::Sex),
            ("temps majore", Column::ExtraTime),
            ("Code INSEE", Column::Insee),
        ] {
            let key = header_key(header);
            assert_eq!(key, column.key(), "{header}");
        }
    }

    #[test]
    fn unknown_column_gets_a_hint() {
        let header: Vec<String> = [
            "Nom de naissance",
            "Prénom",
            "Date de naissance",
            "Sexe",
            "Code postl",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let problems = match_header(&header).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].2,
            Problem::UnknownColumn("Code postl".into(), Some("Code postal"))
        );
    }
}
