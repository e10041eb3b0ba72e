//! Candidate import: the national template as CSV, ODS or XLSX, or the school's SIECLE export.
//!
//! All or nothing: a file imports only if every line is valid, and when it is refused the report
//! lists every problem at once (line, column, value, French and English message), because the
//! person fixing it is a school secretary going back and forth with a spreadsheet, and one
//! error per round trip is how an afternoon is lost.

mod birthplace;
pub mod columns;
pub mod export;
pub mod siecle;
mod table;
mod validate;

pub use birthplace::{check_birthplace, BirthplaceInput};
pub use columns::Column;
pub use validate::{parse_birthdate, parse_extra_time, parse_sex};

use crate::candidate::Candidate;
use crate::communes::Communes;
use crate::UserMessage;
use chrono::NaiveDate;
use serde::Serialize;

/// What a file is, judged from its bytes (never from its name: schools rename files, and a
/// `.csv` saved by a spreadsheet may well be an XLSX).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FileKind {
    Csv,
    Xlsx,
    Ods,
    /// Excel 97-2003 (`.xls`).
    Xls,
    /// `ElevesSansAdresse.xml`, bare or zipped.
    SiecleXml,
    SiecleZip,
    Unknown,
}

/// Guesses the kind of a file from its first bytes and, for ZIPs, from the entries' names.
pub fn detect(bytes: &[u8]) -> FileKind {
    const ZIP: &[u8] = b"PK\x03\x04";
    const CFB: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
    if bytes.starts_with(ZIP) {
        return table::zip_kind(bytes);
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        // UTF-16 with its BOM: Excel's "Texte Unicode" export.
        return FileKind::Csv;
    }
    if bytes.starts_with(CFB) {
        return FileKind::Xls;
    }
    if siecle::looks_like_xml(bytes) {
        return FileKind::SiecleXml;
    }
    if bytes.contains(&0) {
        // Text files never hold NUL bytes; PDFs, images and UTF-16 exports do.
        return FileKind::Unknown;
    }
    FileKind::Csv
}

/// Reads a candidate file in the national template and validates every line against the rules
/// and the official list of communes. `existing`: candidates already in the session (a
/// duplicate of one of them is refused); `today`: the date birthdates must not be after.
pub fn read_candidates(
    bytes: &[u8],
    file_name: &str,
    communes: &Communes,
    existing: &[Candidate],
    today: NaiveDate,
) -> Result<Vec<Candidate>, ImportReport> {
    let kind = detect(bytes);
    let table = match kind {
        FileKind::Csv => table::read_csv(bytes),
        FileKind::Xlsx | FileKind::Ods | FileKind::Xls => table::read_spreadsheet(bytes),
        FileKind::SiecleXml | FileKind::SiecleZip => Err((0, Problem::IsSiecle)),
        FileKind::Unknown if bytes.is_empty() => Err((0, Problem::EmptyFile)),
        FileKind::Unknown => Err((0, Problem::UnknownFormat(file_name.to_owned()))),
    };
    let table =
        table.map_err(|(line, p)| ImportReport::single(ImportError::new(line, None, None, &p)))?;
    validate::validate_table(&table, communes, existing, today)
}

/// One problem found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImportError {
    /// 1-based line in the file (the header is line 1; in a spreadsheet, the sheet's row
    /// number; in a SIECLE file, the line where the pupil's element starts). 0: the whole file.
    pub line: usize,
    /// The template's label of the column at fault.
    pub column: Option<String>,
    /// The value as read in the file.
    pub value: Option<String>,
    /// SIECLE only: the pupil's INE (national student number), which the office searches by.
    pub ine: Option<String>,
    pub code: String,
    pub message_fr: String,
    pub message_en: String,
}

impl ImportError {
    pub(crate) fn new(
        line: usize,
        column: Option<Column>,
        value: Option<&str>,
        problem: &Problem,
    ) -> Self {
        let column = column.map(|c| c.label().to_owned());
        let (where_fr, where_en) = match (&column, line) {
            (_, 0) => ("Fichier : ".to_owned(), "File: ".to_owned()),
            (Some(c), _) => (
                format!("Ligne {line}, colonne « {c} » : "),
                format!("Line {line}, column “{c}”: "),
            ),
            (None, _) => (format!("Ligne {line} : "), format!("Line {line}: ")),
        };
        Self {
            line,
            column,
            value: value.map(str::to_owned),
            ine: None,
            code: problem.code().to_owned(),
            message_fr: where_fr + &problem.message_fr(),
            message_en: where_en + &problem.message_en(),
        }
    }

    pub(crate) fn file(problem: &Problem) -> Self {
        Self::new(0, None, None, problem)
    }
}

impl UserMessage for ImportError {
    fn code(&self) -> &str {
        &self.code
    }
    fn message_fr(&self) -> String {
        self.message_fr.clone()
    }
    fn message_en(&self) -> String {
        self.message_en.clone()
    }
}

/// Every problem of a refused file, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("import refused: {} problem(s)", errors.len())]
pub struct ImportReport {
    pub errors: Vec<ImportError>,
}

impl ImportReport {
    pub(crate) fn single(error: ImportError) -> Self {
        Self {
            errors: vec![error],
        }
    }

    /// Lines at fault, each once, in order (for the summary and for tests).
    pub fn lines(&self) -> Vec<usize> {
        let mut lines: Vec<usize> = self.errors.iter().map(|e| e.line).collect();
        lines.dedup();
        lines
    }

    /// The report as a CSV the school can open next to its file: `;`-separated, UTF-8 with a
    /// BOM (so Excel shows the accents), one problem a line.
    pub fn to_csv(&self) -> String {
        let mut out =
            String::from("\u{feff}Ligne;Colonne;Valeur;INE;Code;Message;Message (English)\r\n");
        for e in &self.errors {
            let line = if e.line == 0 {
                String::new()
            } else {
                e.line.to_string()
            };
            let fields = [
                line.as_str(),
                e.column.as_deref().unwrap_or(""),
                e.value.as_deref().unwrap_or(""),
                e.ine.as_deref().unwrap_or(""),
                &e.code,
                &e.message_fr,
                &e.message_en,
            ];
            let row: Vec<String> = fields.iter().map(|f| export::csv_field(f, true)).collect();
            out.push_str(&row.join(";"));
            out.push_str("\r\n");
        }
        out
    }
}

impl UserMessage for ImportReport {
    fn code(&self) -> &'static str {
        "import.refused"
    }
    fn message_fr(&self) -> String {
        let n = self.errors.len();
        format!(
            "Le fichier n'a pas été importé : {n} erreur{} à corriger (aucun candidat n'a été ajouté).",
            if n > 1 { "s" } else { "" }
        )
    }
    fn message_en(&self) -> String {
        let n = self.errors.len();
        format!(
            "The file was not imported: {n} error{} to fix (no candidate was added).",
            if n > 1 { "s" } else { "" }
        )
    }
}

/// Every rule an import can break. Each has its stable code and its own French and English
/// message; [`ImportError`] adds where it happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    // Whole file.
    #[error("empty file")]
    EmptyFile,
    #[error("unknown file format")]
    UnknownFormat(String),
    #[error("unreadable spreadsheet: {0}")]
    Unreadable(String),
    #[error("SIECLE export given to the template import")]
    IsSiecle,
    #[error("no candidate line")]
    NoCandidates,
    #[error("unclosed quote")]
    UnclosedQuote,
    // Header.
    #[error("missing column {0}")]
    MissingColumn(&'static str),
    #[error("unknown column {0}")]
    UnknownColumn(String, Option<&'static str>),
    #[error("duplicated column {0}")]
    DuplicateColumn(&'static str),
    #[error("more cells than columns")]
    ExtraCells(usize),
    #[error("value under a column without a title")]
    CellWithoutHeader,
    // Fields.
    #[error("required")]
    Required,
    #[error("too long")]
    TooLong(usize),
    #[error("local id starts like a formula")]
    LocalIdFormula(String),
    #[error("invalid character in name")]
    NameCharacter(String, char),
    #[error("date format")]
    DateFormat(String),
    #[error("two-digit year")]
    DateTwoDigitYear(String),
    #[error("no such date")]
    DateInvalid(String),
    #[error("date in the future")]
    DateFuture(String),
    #[error("date before 1900")]
    DateTooOld(String),
    #[error("sex")]
    Sex(String),
    #[error("sex as a word")]
    SexWord(String, &'static str),
    #[error("extra time format")]
    ExtraTimeFormat(String),
    #[error("extra time range")]
    ExtraTimeRange(String),
    #[error("adjusted questions")]
    AdjustedQuestions(String),
    #[error("e-mail")]
    Email(String),
    // Birthplace.
    #[error("birthplace incomplete")]
    BirthplaceIncomplete,
    #[error("INSEE code shape")]
    InseeShape(String),
    #[error("INSEE code unknown")]
    InseeUnknown(String),
    #[error("postal code shape")]
    PostalShape(String),
    #[error("postal code unknown")]
    PostalUnknown(String),
    #[error("town does not match INSEE code")]
    TownNotInsee {
        town: String,
        code: String,
        official: String,
    },
    #[error("town spelling")]
    TownSpelling { town: String, official: String },
    #[error("postal code does not match INSEE code")]
    PostalNotInsee {
        postal: String,
        code: String,
        expected: String,
    },
    #[error("town not at postal code")]
    TownNotAtPostal {
        town: String,
        postal: String,
        known: String,
    },
    #[error("town elsewhere")]
    TownElsewhere {
        town: String,
        postal: String,
        elsewhere: String,
    },
    #[error("town required abroad")]
    TownRequiredAbroad,
    #[error("country required")]
    CountryRequired(String),
    #[error("INSEE code of a French commune for a birth abroad")]
    InseeNotAbroad { code: String, country: String },
    #[error("foreign INSEE code with France")]
    InseeAbroadInFrance(String),
    #[error("postal code abroad")]
    PostalAbroad(String),
    #[error("country not in the official list")]
    CountryUnknown {
        country: String,
        closest: Option<String>,
    },
    #[error("INSEE code of another country")]
    InseeOtherCountry {
        code: String,
        country: String,
        expected: String,
    },
    #[error("INSEE code of no country")]
    CountryCodeUnknown(String),
    // Duplicates.
    #[error("duplicate in file")]
    DuplicateInFile(Vec<usize>),
    #[error("already in session")]
    AlreadyInSession(String),
    // SIECLE.
    #[error("SIECLE XML malformed")]
    SiecleMalformed(String),
    #[error("SIECLE encoding")]
    SiecleEncoding(String),
    #[error("SIECLE zip")]
    SiecleZip(usize),
    #[error("SIECLE UAI missing")]
    SiecleNoUai,
    #[error("SIECLE UAI mismatch")]
    SiecleUai { found: String, expected: String },
    #[error("SIECLE no pupil")]
    SiecleNoPupil,
    #[error("INE empty")]
    IneEmpty(String),
    #[error("INE duplicated")]
    IneDuplicate(Vec<usize>),
    #[error("sex missing")]
    SiecleSex(String),
    #[error("birthdate missing")]
    SiecleBirthdateMissing,
    #[error("INSEE missing")]
    SiecleInseeMissing,
    #[error("name missing")]
    SiecleNameMissing(&'static str),
}

fn lines_fr(lines: &[usize]) -> String {
    let list: Vec<String> = lines.iter().map(usize::to_string).collect();
    match list.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} et {last}", rest.join(", ")),
        _ => list.join(""),
    }
}

fn lines_en(lines: &[usize]) -> String {
    let list: Vec<String> = lines.iter().map(usize::to_string).collect();
    match list.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => list.join(""),
    }
}

impl UserMessage for Problem {
    fn code(&self) -> &'static str {
        use Problem::*;
        match self {
            EmptyFile => "import.file_empty",
            UnknownFormat(_) => "import.file_format",
            Unreadable(_) => "import.file_unreadable",
            IsSiecle => "import.file_is_siecle",
            NoCandidates => "import.no_candidates",
            UnclosedQuote => "import.csv_unclosed_quote",
            MissingColumn(_) => "import.column_missing",
            UnknownColumn(..) => "import.column_unknown",
            DuplicateColumn(_) => "import.column_duplicated",
            ExtraCells(_) => "import.extra_cells",
            CellWithoutHeader => "import.cell_without_header",
            Required => "import.required",
            TooLong(_) => "import.too_long",
            LocalIdFormula(_) => "import.local_id_formula",
            NameCharacter(..) => "import.name_character",
            DateFormat(_) => "import.date_format",
            DateTwoDigitYear(_) => "import.date_two_digit_year",
            DateInvalid(_) => "import.date_invalid",
            DateFuture(_) => "import.date_future",
            DateTooOld(_) => "import.date_too_old",
            Sex(_) => "import.sex",
            SexWord(..) => "import.sex_word",
            ExtraTimeFormat(_) => "import.extra_time_format",
            ExtraTimeRange(_) => "import.extra_time_range",
            AdjustedQuestions(_) => "import.adjusted_questions",
            Email(_) => "import.email",
            BirthplaceIncomplete => "import.birthplace_incomplete",
            InseeShape(_) => "import.insee_shape",
            InseeUnknown(_) => "import.insee_unknown",
            PostalShape(_) => "import.postal_shape",
            PostalUnknown(_) => "import.postal_unknown",
            TownNotInsee { .. } => "import.town_not_insee",
            TownSpelling { .. } => "import.town_spelling",
            PostalNotInsee { .. } => "import.postal_not_insee",
            TownNotAtPostal { .. } => "import.town_not_at_postal",
            TownElsewhere { .. } => "import.town_elsewhere",
            TownRequiredAbroad => "import.town_required_abroad",
            CountryRequired(_) => "import.country_required",
            InseeNotAbroad { .. } => "import.insee_not_abroad",
            InseeAbroadInFrance(_) => "import.insee_abroad_in_france",
            PostalAbroad(_) => "import.postal_abroad",
            CountryUnknown { .. } => "import.country_unknown",
            InseeOtherCountry { .. } => "import.insee_other_country",
            CountryCodeUnknown(_) => "import.country_code_unknown",
            DuplicateInFile(_) => "import.duplicate_in_file",
            AlreadyInSession(_) => "import.already_in_session",
            SiecleMalformed(_) => "siecle.malformed",
            SiecleEncoding(_) => "siecle.encoding",
            SiecleZip(_) => "siecle.zip_entries",
            SiecleNoUai => "siecle.uai_missing",
            SiecleUai { .. } => "siecle.uai_mismatch",
            SiecleNoPupil => "siecle.no_pupil",
            IneEmpty(_) => "siecle.ine_empty",
            IneDuplicate(_) => "siecle.ine_duplicated",
            SiecleSex(_) => "siecle.sex",
            SiecleBirthdateMissing => "siecle.birthdate_missing",
            SiecleInseeMissing => "siecle.insee_missing",
            SiecleNameMissing(_) => "siecle.name_missing",
        }
    }

    fn message_fr(&self) -> String {
        use Problem::*;
        match self {
            EmptyFile => "le fichier est vide.".into(),
            UnknownFormat(name) => format!("« {name} » n'est ni un CSV, ni un classeur ODS ou XLSX, ni un export SIECLE. Enregistrez le modèle au format CSV, ODS ou XLSX."),
            Unreadable(why) => format!("le classeur est illisible ou endommagé ({why}). Ouvrez-le et enregistrez-le à nouveau."),
            IsSiecle => "ce fichier est un export SIECLE : utilisez « Importer depuis SIECLE ».".into(),
            NoCandidates => "le fichier ne contient aucun candidat sous la ligne des titres.".into(),
            UnclosedQuote => "un guillemet ouvert n'est jamais refermé ; le reste du fichier ne peut pas être lu.".into(),
            MissingColumn(label) => format!("la colonne obligatoire « {label} » est absente. Utilisez le modèle d'import sans renommer ses colonnes."),
            UnknownColumn(header, Some(near)) => format!("la colonne « {header} » n'existe pas dans le modèle (vouliez-vous dire « {near} » ?)."),
            UnknownColumn(header, None) => format!("la colonne « {header} » n'existe pas dans le modèle ; supprimez-la ou renommez-la."),
            DuplicateColumn(label) => format!("la colonne « {label} » apparaît deux fois."),
            ExtraCells(n) => format!("la ligne a {n} cellule(s) de plus que la ligne des titres (un « ; » ou une « , » non protégé par des guillemets dans une valeur ?)."),
            CellWithoutHeader => "une valeur est écrite dans une colonne sans titre ; déplacez-la dans la bonne colonne ou supprimez-la.".into(),
            Required => "cette information est obligatoire.".into(),
            TooLong(max) => format!("la valeur dépasse {max} caractères."),
            LocalIdFormula(v) => format!("« {v} » commence par =, +, - ou @ : un tableur le prendrait pour une formule. Retirez ce premier caractère."),
            NameCharacter(value, ch) => format!("« {value} » contient le caractère « {ch} », qui ne peut pas figurer dans un nom (lettres, espaces, traits d'union et apostrophes seulement)."),
            DateFormat(v) => format!("« {v} » n'est pas une date au format jj/mm/aaaa (par exemple 14/03/2010)."),
            DateTwoDigitYear(v) => format!("« {v} » : écrivez l'année sur 4 chiffres (jj/mm/aaaa)."),
            DateInvalid(v) => format!("la date « {v} » n'existe pas."),
            DateFuture(v) => format!("la date de naissance « {v} » est dans le futur."),
            DateTooOld(v) => format!("la date de naissance « {v} » est antérieure à 1900."),
            Sex(v) => format!("« {v} » : indiquez M ou F."),
            SexWord(v, letter) => format!("« {v} » : indiquez seulement la lettre {letter}."),
            ExtraTimeFormat(v) => format!("« {v} » n'est pas un pourcentage de temps majoré (par exemple 33 ou 33 %)."),
            ExtraTimeRange(v) => format!("le temps majoré « {v} » doit être compris entre 1 et 100 %."),
            AdjustedQuestions(v) => format!("« {v} » : indiquez oui, non, ou laissez vide."),
            Email(v) => format!("« {v} » n'est pas une adresse e-mail valide."),
            BirthplaceIncomplete => "lieu de naissance incomplet : pour une naissance en France, indiquez le code Insee, ou le code postal et le nom de la commune ; pour une naissance à l'étranger, le pays et la commune.".into(),
            InseeShape(v) => format!("« {v} » n'est pas un code Insee de commune (5 caractères, par exemple 75115, 01004 ou 2A004)."),
            InseeUnknown(v) => format!("le code Insee « {v} » ne correspond à aucune commune de la liste officielle."),
            PostalShape(v) => format!("« {v} » n'est pas un code postal (5 chiffres)."),
            PostalUnknown(v) => format!("le code postal « {v} » ne correspond à aucune commune de la liste officielle."),
            TownNotInsee { town, code, official } => format!("la commune « {town} » ne correspond pas au code Insee {code}, qui est celui de « {official} »."),
            TownSpelling { town, official } => format!("« {town} » : vouliez-vous dire « {official} » ? Corrigez l'orthographe de la commune."),
            PostalNotInsee { postal, code, expected } => format!("le code postal {postal} ne correspond pas au code Insee {code} (code(s) postal(aux) attendu(s) : {expected})."),
            TownNotAtPostal { town, postal, known } => format!("aucune commune « {town} » n'a le code postal {postal} (communes de ce code postal : {known})."),
            TownElsewhere { town, postal, elsewhere } => format!("la commune « {town} » n'a pas le code postal {postal} ({elsewhere})."),
            TownRequiredAbroad => "pour une naissance à l'étranger, le nom de la commune est obligatoire.".into(),
            CountryRequired(code) => format!("le code Insee « {code} » désigne un pays étranger : indiquez aussi le pays."),
            InseeNotAbroad { code, country } => format!("le code Insee « {code} » est celui d'une commune française, pas d'un pays étranger (« {country} »)."),
            InseeAbroadInFrance(code) => format!("le code Insee « {code} » désigne un pays étranger, mais le pays indiqué est la France."),
            PostalAbroad(v) => format!("le code postal « {v} » n'a pas de sens pour une naissance à l'étranger : laissez-le vide."),
            CountryUnknown { country, closest: Some(near) } => format!("le pays « {country} » n'est pas dans la liste officielle des pays : vouliez-vous dire « {near} » ?"),
            CountryUnknown { country, closest: None } => format!("le pays « {country} » n'est pas dans la liste officielle des pays et territoires étrangers."),
            InseeOtherCountry { code, country, expected } => format!("le code Insee « {code} » n'est pas celui du pays « {country} » ({expected}) : indiquez 99, {expected} ou laissez la case vide."),
            CountryCodeUnknown(code) => format!("le code Insee « {code} » ne désigne aucun pays de la liste officielle."),
            DuplicateInFile(lines) => format!("candidat en double (mêmes nom, prénom et date de naissance) aux lignes {}.", lines_fr(lines)),
            AlreadyInSession(name) => format!("{name} est déjà inscrit(e) dans cette session (mêmes nom, prénom et date de naissance)."),
            SiecleMalformed(why) => format!("le fichier SIECLE n'est pas un XML valide ({why})."),
            SiecleEncoding(enc) => format!("l'encodage « {enc} » déclaré par le fichier SIECLE est inconnu."),
            SiecleZip(n) => format!("l'archive doit contenir exactement un fichier .xml (elle en contient {n})."),
            SiecleNoUai => "le fichier SIECLE n'indique pas l'UAI de l'établissement (PARAMETRES/UAJ).".into(),
            SiecleUai { found, expected } => format!("L'UAI du fichier SIECLE ne correspond pas à celui de votre établissement ({found} au lieu de {expected})."),
            SiecleNoPupil => "le fichier SIECLE ne contient aucun élève inscrit dans une classe.".into(),
            IneEmpty(id) => format!("l'élève n° {id} a un INE vide."),
            IneDuplicate(lines) => format!("INE en double (lignes {}).", lines_fr(lines)),
            SiecleSex(v) => format!("sexe absent ou inconnu (« {v} » ; attendu 1 ou 2)."),
            SiecleBirthdateMissing => "date de naissance absente.".into(),
            SiecleInseeMissing => "né(e) en France (CODE_PAYS 100) sans code Insee de commune de naissance.".into(),
            SiecleNameMissing(what) => format!("{what} absent."),
        }
    }

    fn message_en(&self) -> String {
        use Problem::*;
        match self {
            EmptyFile => "the file is empty.".into(),
            UnknownFormat(name) => format!("“{name}” is neither a CSV, an ODS or XLSX workbook, nor a SIECLE export. Save the template as CSV, ODS or XLSX."),
            Unreadable(why) => format!("the workbook is unreadable or damaged ({why}). Open it and save it again."),
            IsSiecle => "this file is a SIECLE export: use “Import from SIECLE”.".into(),
            NoCandidates => "the file holds no candidate below the header line.".into(),
            UnclosedQuote => "a quote is never closed; the rest of the file cannot be read.".into(),
            MissingColumn(label) => format!("the required column “{label}” is missing. Use the import template without renaming its columns."),
            UnknownColumn(header, Some(near)) => format!("the column “{header}” is not in the template (did you mean “{near}”?)."),
            UnknownColumn(header, None) => format!("the column “{header}” is not in the template; remove or rename it."),
            DuplicateColumn(label) => format!("the column “{label}” appears twice."),
            ExtraCells(n) => format!("the line has {n} more cell(s) than the header (a “;” or “,” inside a value without quotes?)."),
            CellWithoutHeader => "a value sits in a column without a title; move it to the right column or delete it.".into(),
            Required => "this information is required.".into(),
            TooLong(max) => format!("the value is longer than {max} characters."),
            LocalIdFormula(v) => format!("“{v}” starts with =, +, - or @: a spreadsheet would take it for a formula. Remove that first character."),
            NameCharacter(value, ch) => format!("“{value}” contains “{ch}”, which cannot appear in a name (letters, spaces, hyphens and apostrophes only)."),
            DateFormat(v) => format!("“{v}” is not a date in the dd/mm/yyyy format (for example 14/03/2010)."),
            DateTwoDigitYear(v) => format!("“{v}”: write the year with 4 digits (dd/mm/yyyy)."),
            DateInvalid(v) => format!("the date “{v}” does not exist."),
            DateFuture(v) => format!("the birthdate “{v}” is in the future."),
            DateTooOld(v) => format!("the birthdate “{v}” is before 1900."),
            Sex(v) => format!("“{v}”: write M or F."),
            SexWord(v, letter) => format!("“{v}”: write only the letter {letter}."),
            ExtraTimeFormat(v) => format!("“{v}” is not an extra-time percentage (for example 33 or 33 %)."),
            ExtraTimeRange(v) => format!("the extra time “{v}” must be between 1 and 100 %."),
            AdjustedQuestions(v) => format!("“{v}”: write oui (yes), non (no), or leave empty."),
            Email(v) => format!("“{v}” is not a valid e-mail address."),
            BirthplaceIncomplete => "incomplete birthplace: for a birth in France give the INSEE code, or the postal code and the town; for a birth abroad, the country and the town.".into(),
            InseeShape(v) => format!("“{v}” is not a commune's INSEE code (5 characters, for example 75115, 01004 or 2A004)."),
            InseeUnknown(v) => format!("the INSEE code “{v}” matches no commune in the official list."),
            PostalShape(v) => format!("“{v}” is not a postal code (5 digits)."),
            PostalUnknown(v) => format!("the postal code “{v}” matches no commune in the official list."),
            TownNotInsee { town, code, official } => format!("the town “{town}” does not match INSEE code {code}, which is “{official}”."),
            TownSpelling { town, official } => format!("“{town}”: did you mean “{official}”? Fix the town's spelling."),
            PostalNotInsee { postal, code, expected } => format!("postal code {postal} does not match INSEE code {code} (expected: {expected})."),
            TownNotAtPostal { town, postal, known } => format!("no town “{town}” has postal code {postal} (towns with this postal code: {known})."),
            TownElsewhere { town, postal, elsewhere } => format!("the town “{town}” does not have postal code {postal} ({elsewhere})."),
            TownRequiredAbroad => "for a birth abroad, the town is required.".into(),
            CountryRequired(code) => format!("INSEE code “{code}” designates a foreign country: give the country too."),
            InseeNotAbroad { code, country } => format!("INSEE code “{code}” is a French commune's, not a foreign country's (“{country}”)."),
            InseeAbroadInFrance(code) => format!("INSEE code “{code}” designates a foreign country, but the country given is France."),
            PostalAbroad(v) => format!("postal code “{v}” makes no sense for a birth abroad: leave it empty."),
            CountryUnknown { country, closest: Some(near) } => format!("country “{country}” is not in the official list of countries: did you mean “{near}”?"),
            CountryUnknown { country, closest: None } => format!("country “{country}” is not in the official list of foreign countries and territories."),
            InseeOtherCountry { code, country, expected } => format!("INSEE code “{code}” is not the code of “{country}” ({expected}): write 99, {expected} or leave the cell empty."),
            CountryCodeUnknown(code) => format!("INSEE code “{code}” designates no country of the official list."),
            DuplicateInFile(lines) => format!("duplicate candidate (same names and birthdate) on lines {}.", lines_en(lines)),
            AlreadyInSession(name) => format!("{name} is already registered in this session (same names and birthdate)."),
            SiecleMalformed(why) => format!("the SIECLE file is not valid XML ({why})."),
            SiecleEncoding(enc) => format!("the encoding “{enc}” declared by the SIECLE file is unknown."),
            SiecleZip(n) => format!("the archive must hold exactly one .xml file (it holds {n})."),
            SiecleNoUai => "the SIECLE file does not give the school's UAI (PARAMETRES/UAJ).".into(),
            SiecleUai { found, expected } => format!("The UAI of the SIECLE file does not match your school's ({found} instead of {expected})."),
            SiecleNoPupil => "the SIECLE file holds no pupil enrolled in a class.".into(),
            IneEmpty(id) => format!("pupil no. {id} has an empty INE."),
            IneDuplicate(lines) => format!("duplicated INE (lines {}).", lines_en(lines)),
            SiecleSex(v) => format!("sex missing or unknown (“{v}”; expected 1 or 2)."),
            SiecleBirthdateMissing => "birthdate missing.".into(),
            SiecleInseeMissing => "born in France (CODE_PAYS 100) without the INSEE code of the birth commune.".into(),
            SiecleNameMissing(what) => format!("{} missing.", siecle::name_field_en(what)),
        }
    }
}
