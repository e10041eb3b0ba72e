//! The school's own pupil list: SIECLE's `ElevesSansAdresse.xml`, bare or zipped. The office
//! exports it in two clicks, so importing whole classes from it avoids retyping (and misspelling)
//! hundreds of names and birthplaces.

use super::birthplace::{check_birthplace, BirthplaceInput};
use super::columns::Column;
use super::validate::parse_birthdate;
use super::{FileKind, ImportError, ImportReport, Problem};
use crate::candidate::{Birthplace, Candidate, Sex};
use crate::communes::Communes;
use crate::UserMessage;
use chrono::NaiveDate;
use roxmltree::{Document, Node};
use std::collections::{BTreeSet, HashMap};
use std::io::{Cursor, Read};

/// A real export is a few megabytes; this bounds what a crafted archive can make us inflate.
const MAX_XML: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiecleExport {
    /// Divisions (classes) that have at least one pupil, sorted.
    pub classes: Vec<String>,
    /// Each pupil with their class; the class is also the candidate's local id.
    pub pupils: Vec<(String, Candidate)>,
}

impl SiecleExport {
    /// The candidates of the classes the user picked.
    pub fn select(&self, classes: &[String]) -> Vec<Candidate> {
        self.pupils
            .iter()
            .filter(|(class, _)| classes.contains(class))
            .map(|(_, c)| c.clone())
            .collect()
    }
}

/// Reads an export against the embedded communes and today's date. `expected_uai`: the
/// centre's UAI; a file from another school is refused.
pub fn read(bytes: &[u8], expected_uai: &str) -> Result<SiecleExport, ImportReport> {
    read_with(
        bytes,
        expected_uai,
        Communes::embedded(),
        chrono::Local::now().date_naive(),
    )
}

pub fn read_with(
    bytes: &[u8],
    expected_uai: &str,
    communes: &Communes,
    today: NaiveDate,
) -> Result<SiecleExport, ImportReport> {
    let file_error = |p: Problem| ImportReport::single(ImportError::file(&p));
    let xml_bytes = match super::detect(bytes) {
        FileKind::SiecleZip => unzip_single_xml(bytes).map_err(file_error)?,
        FileKind::SiecleXml => bytes.to_vec(),
        FileKind::Unknown if bytes.is_empty() => return Err(file_error(Problem::EmptyFile)),
        _ => {
            return Err(file_error(Problem::SiecleMalformed(
                "ce n'est pas un fichier XML / not an XML file".into(),
            )))
        }
    };
    let text = decode(&xml_bytes).map_err(file_error)?;
    let doc =
        Document::parse(&text).map_err(|e| file_error(Problem::SiecleMalformed(e.to_string())))?;
    let root = doc.root_element();
    if !root.has_tag_name("BEE_ELEVES") {
        return Err(file_error(Problem::SiecleMalformed(format!(
            "racine <{}> au lieu de <BEE_ELEVES> / root <{}> instead of <BEE_ELEVES>",
            root.tag_name().name(),
            root.tag_name().name()
        ))));
    }
    let uai = child(root, "PARAMETRES").and_then(|p| text_of(p, "UAJ"));
    match uai {
        None => return Err(file_error(Problem::SiecleNoUai)),
        Some(found) if !found.eq_ignore_ascii_case(expected_uai.trim()) => {
            return Err(file_error(Problem::SiecleUai {
                found: found.to_owned(),
                expected: expected_uai.trim().to_owned(),
            }))
        }
        Some(_) => {}
    }
    let data = child(root, "DONNEES");
    let divisions = divisions(data);
    let mut reader = Pupils {
        doc: &doc,
        communes,
        today,
        errors: Vec::new(),
        ines: HashMap::new(),
    };
    let mut pupils = Vec::new();
    let eleves = data.and_then(|d| child(d, "ELEVES"));
    for eleve in eleves
        .iter()
        .flat_map(|e| e.children())
        .filter(|n| n.has_tag_name("ELEVE"))
    {
        // Left the school, not yet arrived, or in no class: not a candidate, and not an error.
        if text_of(eleve, "DATE_SORTIE").is_some() || child(eleve, "ID_NATIONAL").is_none() {
            continue;
        }
        let Some(class) = eleve.attribute("ELEVE_ID").and_then(|id| divisions.get(id)) else {
            continue;
        };
        if let Some(candidate) = reader.pupil(eleve, class) {
            pupils.push((class.clone(), candidate));
        }
    }
    let mut errors = reader.errors;
    for (ine, lines) in reader.ines.iter().filter(|(_, lines)| lines.len() > 1) {
        for &line in lines {
            errors.push(ImportError::pupil(
                line,
                ine,
                Some("ID_NATIONAL"),
                Some(ine),
                &Problem::IneDuplicate(lines.clone()),
            ));
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(ImportReport { errors });
    }
    if pupils.is_empty() {
        return Err(file_error(Problem::SiecleNoPupil));
    }
    let classes: BTreeSet<String> = pupils.iter().map(|(c, _)| c.clone()).collect();
    Ok(SiecleExport {
        classes: classes.into_iter().collect(),
        pupils,
    })
}

/// ELEVE_ID → division code. Groups (`G`) are ignored, and `Inactifs` is where SIECLE parks
/// pupils without a class.
fn divisions(data: Option<Node>) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let structures = data.and_then(|d| child(d, "STRUCTURES"));
    for per_pupil in structures
        .iter()
        .flat_map(|s| s.children())
        .filter(|n| n.has_tag_name("STRUCTURES_ELEVE"))
    {
        let Some(id) = per_pupil.attribute("ELEVE_ID") else {
            continue;
        };
        for structure in per_pupil.children().filter(|n| n.has_tag_name("STRUCTURE")) {
            let is_division = text_of(structure, "TYPE_STRUCTURE") == Some("D");
            match text_of(structure, "CODE_STRUCTURE") {
                Some(code) if is_division && !code.eq_ignore_ascii_case("Inactifs") => {
                    map.insert(id.to_owned(), code.to_owned());
                }
                _ => {}
            }
        }
    }
    map
}

struct Pupils<'a, 'input> {
    doc: &'a Document<'input>,
    communes: &'a Communes,
    today: NaiveDate,
    errors: Vec<ImportError>,
    ines: HashMap<String, Vec<usize>>,
}

impl Pupils<'_, '_> {
    fn pupil(&mut self, eleve: Node, class: &str) -> Option<Candidate> {
        let line = self.doc.text_pos_at(eleve.range().start).row as usize;
        let ine = text_of(eleve, "ID_NATIONAL").unwrap_or("").to_owned();
        let mut errors = Vec::new();
        let mut fail = |element: &str, value: Option<&str>, problem: Problem| {
            errors.push(ImportError::pupil(
                line,
                &ine,
                Some(element),
                value,
                &problem,
            ));
        };
        if ine.is_empty() {
            let id = eleve.attribute("ELEVE_ID").unwrap_or("?").to_owned();
            fail("ID_NATIONAL", None, Problem::IneEmpty(id));
        }
        let birth_name = text_of(eleve, "NOM_DE_FAMILLE");
        if birth_name.is_none() {
            fail(
                "NOM_DE_FAMILLE",
                None,
                Problem::SiecleNameMissing("nom de famille"),
            );
        }
        let first_name = text_of(eleve, "PRENOM");
        if first_name.is_none() {
            fail("PRENOM", None, Problem::SiecleNameMissing("prénom"));
        }
        let sex = match text_of(eleve, "CODE_SEXE") {
            Some("1") => Some(Sex::M),
            Some("2") => Some(Sex::F),
            other => {
                fail(
                    "CODE_SEXE",
                    other,
                    Problem::SiecleSex(other.unwrap_or("").to_owned()),
                );
                None
            }
        };
        let birthdate = match text_of(eleve, "DATE_NAISS") {
            None => {
                fail("DATE_NAISS", None, Problem::SiecleBirthdateMissing);
                None
            }
            Some(value) => match parse_birthdate(value, self.today) {
                Ok(date) => Some(date),
                Err(problem) => {
                    fail("DATE_NAISS", Some(value), problem);
                    None
                }
            },
        };
        let birthplace = self.birthplace(eleve, &mut fail);
        if !ine.is_empty() {
            self.ines.entry(ine.clone()).or_default().push(line);
        }
        if !errors.is_empty() {
            self.errors.extend(errors);
            return None;
        }
        Some(Candidate {
            birth_name: birth_name?.to_owned(),
            first_name: first_name?.to_owned(),
            sex: sex?,
            birthdate: birthdate?,
            birthplace: birthplace?,
            local_id: Some(class.to_owned()),
            extra_time_percent: None,
            adjusted_questions: false,
            convocation_email: None,
            results_email: None,
        })
    }

    /// France: the INSEE code decides (checked against the list); SIECLE's free-text town is
    /// kept when it agrees with the code, else the official name is used. Abroad: the country's
    /// INSEE code (`99` + CODE_PAYS, e.g. `99134`) and the town.
    fn birthplace(
        &self,
        eleve: Node,
        fail: &mut impl FnMut(&str, Option<&str>, Problem),
    ) -> Option<Birthplace> {
        let country = text_of(eleve, "CODE_PAYS");
        let insee = text_of(eleve, "CODE_COMMUNE_INSEE_NAISS");
        let town = text_of(eleve, "VILLE_NAISS");
        let french = matches!(country, Some("100") | None);
        if french && insee.is_none() {
            fail(
                "CODE_COMMUNE_INSEE_NAISS",
                None,
                Problem::SiecleInseeMissing,
            );
            return None;
        }
        let country_code = country.map(|c| format!("99{c}"));
        // Abroad, CODE_PAYS is the country's INSEE code without its `99`: the code names it.
        let input = BirthplaceInput {
            town,
            postal_code: None,
            insee: if french {
                insee
            } else {
                country_code.as_deref()
            },
            country: None,
        };
        let checked = if french {
            check_birthplace(
                &BirthplaceInput {
                    town: None,
                    ..input
                },
                self.communes,
            )
            .map(|official| check_birthplace(&input, self.communes).unwrap_or(official))
        } else {
            check_birthplace(&input, self.communes)
        };
        match checked {
            Ok(place) => Some(place),
            Err(problems) => {
                for (column, problem) in problems {
                    let (element, value) = match column {
                        Some(Column::Town) => ("VILLE_NAISS", town),
                        Some(Column::Country) => ("CODE_PAYS", country),
                        _ => ("CODE_COMMUNE_INSEE_NAISS", insee),
                    };
                    fail(element, value, problem);
                }
                None
            }
        }
    }
}

fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children().find(|n| n.has_tag_name(name))
}

/// Trimmed text of a child element, `None` when absent or empty.
fn text_of<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(node, name)
        .and_then(|n| n.text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Starts like XML (after an optional BOM and blank space).
pub(crate) fn looks_like_xml(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes
        .get(start..)
        .is_some_and(|rest| rest.starts_with(b"<?xml") || rest.starts_with(b"<BEE_ELEVES"))
}

/// An `.xml` entry that is not hidden (`.DS_Store`-style names, macOS `__MACOSX/` folders).
pub(crate) fn is_visible_xml(name: &str) -> bool {
    let hidden = name
        .split('/')
        .any(|part| part.starts_with('.') || part == "__MACOSX");
    !hidden && !name.ends_with('/') && name.to_ascii_lowercase().ends_with(".xml")
}

fn unzip_single_xml(bytes: &[u8]) -> Result<Vec<u8>, Problem> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| Problem::SiecleMalformed(e.to_string()))?;
    let names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| is_visible_xml(n))
        .map(|n| n.into_owned())
        .collect();
    let [name] = names.as_slice() else {
        return Err(Problem::SiecleZip(names.len()));
    };
    let entry = archive
        .by_name(name)
        .map_err(|e| Problem::SiecleMalformed(e.to_string()))?;
    let mut out = Vec::new();
    entry
        .take(MAX_XML + 1)
        .read_to_end(&mut out)
        .map_err(|e| Problem::SiecleMalformed(e.to_string()))?;
    if out.len() as u64 > MAX_XML {
        return Err(Problem::SiecleMalformed(
            "fichier trop volumineux / file too large".into(),
        ));
    }
    Ok(out)
}

/// Text of the XML: a UTF-8 BOM wins; else the declaration's `encoding` (SIECLE writes
/// ISO-8859-15); else UTF-8.
fn decode(bytes: &[u8]) -> Result<String, Problem> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec())
            .map_err(|_| Problem::SiecleEncoding("UTF-8".into()));
    }
    let label = declared_encoding(bytes).unwrap_or_else(|| "UTF-8".to_owned());
    let encoding = encoding_rs::Encoding::for_label(label.as_bytes())
        .ok_or_else(|| Problem::SiecleEncoding(label.clone()))?;
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(Problem::SiecleEncoding(label));
    }
    Ok(text.into_owned())
}

fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = bytes.get(..bytes.len().min(200))?;
    let head = String::from_utf8_lossy(head);
    let declaration = head.split("?>").next()?;
    if !declaration.trim_start().starts_with("<?xml") {
        return None;
    }
    let after = declaration.split("encoding").nth(1)?;
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = after.get(1..)?.split(quote).next()?;
    Some(value.to_owned())
}

pub(crate) fn name_field_en(fr: &str) -> &str {
    match fr {
        "nom de famille" => "family name",
        "prénom" => "first name",
        other => other,
    }
}

impl ImportError {
    /// A SIECLE problem, located by the pupil's INE (what the office searches SIECLE by) and
    /// the line of their `<ELEVE>` element.
    pub(crate) fn pupil(
        line: usize,
        ine: &str,
        element: Option<&str>,
        value: Option<&str>,
        problem: &Problem,
    ) -> Self {
        let who_fr = if ine.is_empty() {
            "Élève sans INE".to_owned()
        } else {
            format!("Élève INE {ine}")
        };
        let who_en = if ine.is_empty() {
            "Pupil without INE".to_owned()
        } else {
            format!("Pupil INE {ine}")
        };
        let (at_fr, at_en) = match element {
            Some(e) => (
                format!(" (ligne {line}, {e}) : "),
                format!(" (line {line}, {e}): "),
            ),
            None => (format!(" (ligne {line}) : "), format!(" (line {line}): ")),
        };
        Self {
            line,
            column: element.map(str::to_owned),
            value: value.map(str::to_owned),
            ine: Some(ine.to_owned()).filter(|i| !i.is_empty()),
            code: problem.code().to_owned(),
            message_fr: who_fr + &at_fr + &problem.message_fr(),
            message_en: who_en + &at_en + &problem.message_en(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_declared_encoding() {
        assert_eq!(
            declared_encoding(b"<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?><a/>").as_deref(),
            Some("ISO-8859-15")
        );
        assert_eq!(
            declared_encoding(b"<?xml version='1.0' encoding = 'utf-8' ?>").as_deref(),
            Some("utf-8")
        );
        assert_eq!(declared_encoding(b"<a/>"), None);
        // 0xA4 is the euro sign in ISO-8859-15, not the currency sign of ISO-8859-1.
        let text =
            decode(b"<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?><a>\xA4 \xE9</a>").unwrap();
        assert!(text.contains("€ é"), "{text}");
        assert!(matches!(
            decode(b"<?xml version=\"1.0\" encoding=\"KLINGON\"?><a/>"),
            Err(Problem::SiecleEncoding(_))
        ));
    }

    #[test]
    fn hidden_entries() {
        assert!(is_visible_xml("ElevesSansAdresse.xml"));
        assert!(is_visible_xml("export/ElevesSansAdresse.XML"));
        assert!(!is_visible_xml("__MACOSX/._ElevesSansAdresse.xml"));
        assert!(!is_visible_xml(".hidden.xml"));
        assert!(!is_visible_xml("readme.txt"));
    }
}
