//! The item bank (docs/bank-format.md): model, loading, validation, content hash, index, and a
//! synthetic generator for the simulation.
//!
//! Loading never stops at the first problem: the whole bank is refused with the list of every error
//! found, each naming the file or item and field, so an author fixes a bank in one round.

use crate::engine::grid;
use crate::framework::{competence_index, COMPETENCE_CODES, COMPETENCE_COUNT};
use crate::text::Text;
use ring::digest;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The bank format version this crate reads.
pub const FORMAT: u32 = 1;
/// Longest accepted answer (characters) in a solution.
pub const MAX_ACCEPTED_CHARS: usize = 200;
/// Domain-separation tag at the start of the content hash.
pub const HASH_TAG: &[u8] = b"certroom-bank-hash/1\0";
/// Media types an attachment may have.
pub const ATTACHMENT_TYPES: [&str; 6] = [
    "text/csv",
    "text/plain",
    "text/markdown",
    "image/png",
    "image/svg+xml",
    "image/jpeg",
];

/// What the caller read from a bank folder.
#[derive(Debug, Clone, Default)]
pub struct BankSources {
    /// `bank.json`.
    pub manifest: String,
    /// `(path relative to the bank folder, content)` of each item file, e.g. `items/1-info.json`.
    pub item_files: Vec<(String, String)>,
    /// `(path relative to the bank folder, bytes)` of every attachment and illustration.
    pub assets: Vec<(String, Vec<u8>)>,
}

/// `bank.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Format version, must be [`FORMAT`].
    pub format: u32,
    /// Bank id.
    pub id: String,
    /// Bank version (free text, e.g. `2026.11.0`).
    pub version: String,
    /// Title.
    pub title: Text,
    /// IRT parameters are not calibrated on real candidates.
    #[serde(default)]
    pub provisional: bool,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Text>,
    /// Item files, relative paths.
    pub item_files: Vec<String>,
    /// Per CRCN competence code, the capacities at which levels 1 … 7 start (docs/scoring.md,
    /// "Competence levels"). Absent: every competence uses the global bounds. A list rather than
    /// a fixed array so that a wrong length is reported with the competence's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub competence_bounds: Option<BTreeMap<String, Vec<f64>>>,
}

/// Question format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ItemType {
    /// Single choice.
    #[serde(rename = "QCU")]
    Qcu,
    /// Multiple choice (set equality).
    #[serde(rename = "QCM")]
    Qcm,
    /// One free-text field.
    #[serde(rename = "QROC")]
    Qroc,
    /// Several independent fields.
    #[serde(rename = "QROCM-ind")]
    QrocmInd,
    /// Several fields matched to distinct groups in any order.
    #[serde(rename = "QROCM-dep")]
    QrocmDep,
}

impl ItemType {
    fn parse(s: &str) -> Option<ItemType> {
        Some(match s {
            "QCU" => ItemType::Qcu,
            "QCM" => ItemType::Qcm,
            "QROC" => ItemType::Qroc,
            "QROCM-ind" => ItemType::QrocmInd,
            "QROCM-dep" => ItemType::QrocmDep,
            _ => return None,
        })
    }
    fn has_proposals(self) -> bool {
        matches!(self, ItemType::Qcu | ItemType::Qcm)
    }
}

/// A typed field of a QROC/QROCM form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Accessible name (required).
    pub aria_label: Text,
    /// Placeholder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<Text>,
    /// Compare as numbers (comma accepted as decimal point).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub numeric: bool,
    /// Drop-down options; the accepted answer is then an option's French text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Text>,
}

/// Text tolerances (facts §6), each switchable; all on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tolerances {
    /// Trim, lower-case, strip accents, remove all whitespace.
    pub t1: bool,
    /// Drop every character that is not a letter, digit or space.
    pub t2: bool,
    /// Accept Levenshtein distance ÷ treated answer length ≤ 0.25.
    pub t3: bool,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            t1: true,
            t2: true,
            t3: true,
        }
    }
}

/// An illustration shown in the question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Illustration {
    /// `illustrations/…` path.
    pub src: String,
    /// Alternative text (required, non-empty).
    pub alt: Text,
}

/// A file the candidate opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// `attachments/…` path.
    pub src: String,
    /// Name shown to the candidate.
    pub name: Text,
    /// One of [`ATTACHMENT_TYPES`].
    pub media_type: String,
    /// What an image shows, for who cannot see it (required for an image, unused otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<Text>,
}

impl Attachment {
    /// Images need alt text; text files speak for themselves.
    pub fn is_image(&self) -> bool {
        self.media_type.starts_with("image/")
    }
}

/// 2PL parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Irt {
    /// Discrimination, 0.2–4.0.
    pub a: f64,
    /// Difficulty, −6.0–6.0.
    pub b: f64,
}

/// The expected answer. JSON: `{"choice":2}`, `{"choices":[1,3]}`, `{"fields":{"k":["…"]}}`,
/// `{"groups":[["…"],["…"]]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawSolution", into = "RawSolution")]
pub enum Solution {
    /// QCU, 1-based.
    Choice(u32),
    /// QCM, 1-based, sorted and without duplicates once validated.
    Choices(Vec<u32>),
    /// QROC / QROCM-ind: accepted answers per field.
    Fields(BTreeMap<String, Vec<String>>),
    /// QROCM-dep: groups of accepted answers, each field taking a distinct group.
    Groups(Vec<Vec<String>>),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSolution {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    choice: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    choices: Option<Vec<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fields: Option<BTreeMap<String, Vec<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    groups: Option<Vec<Vec<String>>>,
}

impl TryFrom<RawSolution> for Solution {
    type Error = String;
    fn try_from(r: RawSolution) -> Result<Self, String> {
        match (r.choice, r.choices, r.fields, r.groups) {
            (Some(c), None, None, None) => Ok(Solution::Choice(c)),
            (None, Some(c), None, None) => Ok(Solution::Choices(c)),
            (None, None, Some(f), None) => Ok(Solution::Fields(f)),
            (None, None, None, Some(g)) => Ok(Solution::Groups(g)),
            _ => Err("exactement une clé parmi choice, choices, fields, groups".into()),
        }
    }
}

impl From<Solution> for RawSolution {
    fn from(s: Solution) -> Self {
        let mut r = RawSolution {
            choice: None,
            choices: None,
            fields: None,
            groups: None,
        };
        match s {
            Solution::Choice(c) => r.choice = Some(c),
            Solution::Choices(c) => r.choices = Some(c),
            Solution::Fields(f) => r.fields = Some(f),
            Solution::Groups(g) => r.groups = Some(g),
        }
        r
    }
}

/// A validated item. Serialises to the shape of docs/bank-format.md (solution included: the kiosk
/// must not forward it to the candidate's screen).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Unique id, `[a-z0-9-]{3,64}`.
    pub id: String,
    /// CRCN competence code.
    pub competence: String,
    /// Tube (family of skills inside one competence).
    pub tube: String,
    /// Skill (belongs to exactly one tube).
    pub skill: String,
    /// Level 1–8.
    pub level: u8,
    /// Format.
    #[serde(rename = "type")]
    pub kind: ItemType,
    /// Markdown instruction.
    pub instruction: Text,
    /// QCU/QCM proposals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proposals: Vec<Text>,
    /// QROC/QROCM form with `${key}` fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<Text>,
    /// QROC/QROCM fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, Field>,
    /// Expected answer.
    pub solution: Solution,
    /// Text tolerances.
    #[serde(default)]
    pub tolerances: Tolerances,
    /// Own time limit in seconds (10–600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer_s: Option<u32>,
    /// Illustration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub illustration: Option<Illustration>,
    /// Attachments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Answerable by a candidate needing adjusted questions.
    #[serde(default)]
    pub accessible: bool,
    /// QCU/QCM: the options keep the bank's order on screen (e.g. "all of the above" last);
    /// otherwise each candidate sees them in an order of their own ([`crate::options`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fixed_order: bool,
    /// 2PL parameters.
    pub irt: Irt,
    /// Author's note, never shown to candidates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

const ITEM_KEYS: [&str; 19] = [
    "id",
    "competence",
    "tube",
    "skill",
    "level",
    "type",
    "instruction",
    "proposals",
    "form",
    "fields",
    "solution",
    "tolerances",
    "timer_s",
    "illustration",
    "attachments",
    "accessible",
    "fixed_order",
    "irt",
    "comment",
];

/// One reason a bank is refused. Display is French; [`BankError::en`] gives English.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BankError {
    /// `bank.json` does not parse.
    #[error("bank.json illisible : {reason}")]
    ManifestJson {
        /// Parser message.
        reason: String,
    },
    /// A manifest field is wrong.
    #[error("bank.json, champ « {field} » : {reason}")]
    ManifestField {
        /// Field.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The same path appears twice (manifest, item files or assets).
    #[error("chemin en double : {path}")]
    DuplicatePath {
        /// Path.
        path: String,
    },
    /// An item file listed in the manifest was not supplied.
    #[error("fichier d'items déclaré mais absent : {path}")]
    ItemFileMissing {
        /// Path.
        path: String,
    },
    /// An item file was supplied but is not listed in the manifest.
    #[error("fichier d'items non déclaré dans bank.json : {path}")]
    ItemFileUndeclared {
        /// Path.
        path: String,
    },
    /// An item file is not a JSON array.
    #[error("{path} illisible : {reason}")]
    ItemFileJson {
        /// Path.
        path: String,
        /// Parser message.
        reason: String,
    },
    /// An array element is not an object.
    #[error("{path}, élément n° {position} : ce n'est pas un objet JSON")]
    ItemNotObject {
        /// Path.
        path: String,
        /// 1-based position.
        position: usize,
    },
    /// The bank has no item.
    #[error("la banque ne contient aucune question")]
    NoItems,
    /// A required field is missing.
    #[error("question {item} : champ « {field} » manquant")]
    MissingField {
        /// Item id (or file and position if the id is missing).
        item: String,
        /// Field.
        field: String,
    },
    /// The item has no solution.
    #[error("question {item} : solution manquante")]
    MissingSolution {
        /// Item id.
        item: String,
    },
    /// A field not defined by the format (often a typo).
    #[error("question {item} : champ inconnu « {field} »")]
    UnknownField {
        /// Item id.
        item: String,
        /// Field.
        field: String,
    },
    /// A field has the wrong type or an invalid value.
    #[error("question {item}, champ « {field} » : {reason}")]
    BadField {
        /// Item id.
        item: String,
        /// Field (dotted path).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// Two items share an id.
    #[error("question {item} : identifiant en double")]
    DuplicateId {
        /// Item id.
        item: String,
    },
    /// Unknown `type`.
    #[error("question {item} : type inconnu « {value} » (QCU, QCM, QROC, QROCM-ind, QROCM-dep)")]
    UnknownType {
        /// Item id.
        item: String,
        /// Value found.
        value: String,
    },
    /// Competence code not in the CRCN.
    #[error("question {item} : compétence inconnue « {value} »")]
    UnknownCompetence {
        /// Item id.
        item: String,
        /// Value found.
        value: String,
    },
    /// A `${key}` of the form has no solution.
    #[error("question {item} : le champ ${{{key}}} n'a pas de solution")]
    FieldWithoutSolution {
        /// Item id.
        item: String,
        /// Field key.
        key: String,
    },
    /// A solution key has no `${key}` in the form.
    #[error("question {item} : la solution « {key} » ne correspond à aucun champ ${{{key}}} du formulaire")]
    SolutionWithoutField {
        /// Item id.
        item: String,
        /// Field key.
        key: String,
    },
    /// QCU/QCM choice outside 1..=proposals.
    #[error("question {item} : choix {choice} hors des propositions 1 à {proposals}")]
    ChoiceOutOfRange {
        /// Item id.
        item: String,
        /// Choice.
        choice: u32,
        /// Number of proposals.
        proposals: usize,
    },
    /// A numeric parameter outside its range.
    #[error("question {item}, champ « {field} » : {value} hors de l'intervalle [{min} ; {max}]")]
    ParameterOutOfRange {
        /// Item id.
        item: String,
        /// Field.
        field: String,
        /// Value.
        value: f64,
        /// Minimum.
        min: f64,
        /// Maximum.
        max: f64,
    },
    /// A tube used in two competences.
    #[error("tube « {tube} » à cheval sur deux compétences : {first_item} ({first}) et {item} ({second})")]
    TubeSpansCompetences {
        /// Tube.
        tube: String,
        /// First item seen.
        first_item: String,
        /// Its competence.
        first: String,
        /// Conflicting item.
        item: String,
        /// Its competence.
        second: String,
    },
    /// A skill in two tubes.
    #[error("acquis « {skill} » dans deux tubes : {first} et {second} (question {item})")]
    SkillInTwoTubes {
        /// Skill.
        skill: String,
        /// First tube.
        first: String,
        /// Second tube.
        second: String,
        /// Conflicting item.
        item: String,
    },
    /// A referenced file is not in the bank.
    #[error("question {item}, champ « {field} » : fichier absent de la banque « {path} »")]
    AssetMissing {
        /// Item id.
        item: String,
        /// Field.
        field: String,
        /// Path.
        path: String,
    },
    /// An illustration without alt text.
    #[error("question {item} : l'illustration n'a pas de texte alternatif (alt)")]
    MissingAlt {
        /// Item id.
        item: String,
    },
    /// An attachment of an image type without alt text.
    #[error(
        "question {item} : la pièce jointe « {src} » est une image sans texte alternatif (alt)"
    )]
    MissingAttachmentAlt {
        /// Item id.
        item: String,
        /// The attachment's `attachments/…` path.
        src: String,
    },
    /// `timer_s` outside 10–600.
    #[error("question {item} : minuteur {value} s invalide (10 à 600 s)")]
    BadTimer {
        /// Item id.
        item: String,
        /// Value.
        value: i64,
    },
    /// A competence's level thresholds in `bank.json` are unusable.
    #[error("bank.json, « competence_bounds », compétence {competence} : {}", .fault.fr())]
    CompetenceBounds {
        /// Competence code as written.
        competence: String,
        /// What is wrong.
        fault: BoundsFault,
    },
}

/// What is wrong with one competence's thresholds in `bank.json`.
#[derive(Debug, Clone, PartialEq)]
pub enum BoundsFault {
    /// Not a CRCN competence code.
    Unknown,
    /// One of the 16 competences has no thresholds.
    Missing,
    /// Not exactly 7 values.
    Length(usize),
    /// The threshold of this level (1–7) is not a finite number.
    NotFinite(u8),
    /// The threshold of this level (2–7) is not above the previous level's.
    NotIncreasing(u8),
}

impl BoundsFault {
    fn fr(&self) -> String {
        match self {
            BoundsFault::Unknown => "code inconnu du CRCN".into(),
            BoundsFault::Missing => {
                "seuils absents (les 16 compétences sont requises dès que le champ est présent)"
                    .into()
            }
            BoundsFault::Length(n) => {
                format!("7 valeurs attendues (début des niveaux 1 à 7), {n} trouvée(s)")
            }
            BoundsFault::NotFinite(l) => format!("le seuil du niveau {l} n'est pas un nombre fini"),
            BoundsFault::NotIncreasing(l) => format!(
                "les seuils doivent être strictement croissants : le niveau {l} ne commence pas après le niveau {}",
                l - 1
            ),
        }
    }
    fn en(&self) -> String {
        match self {
            BoundsFault::Unknown => "not a CRCN competence code".into(),
            BoundsFault::Missing => {
                "no thresholds (all 16 competences are required once the field is present)".into()
            }
            BoundsFault::Length(n) => {
                format!("7 values expected (start of levels 1 to 7), {n} found")
            }
            BoundsFault::NotFinite(l) => {
                format!("the threshold of level {l} is not a finite number")
            }
            BoundsFault::NotIncreasing(l) => format!(
                "thresholds must strictly increase: level {l} does not start after level {}",
                l - 1
            ),
        }
    }
}

impl BankError {
    /// English rendering.
    pub fn en(&self) -> String {
        use BankError::*;
        match self {
            ManifestJson { reason } => format!("bank.json does not parse: {reason}"),
            ManifestField { field, reason } => format!("bank.json, field \"{field}\": {reason}"),
            DuplicatePath { path } => format!("duplicate path: {path}"),
            ItemFileMissing { path } => format!("item file listed but missing: {path}"),
            ItemFileUndeclared { path } => format!("item file not listed in bank.json: {path}"),
            ItemFileJson { path, reason } => format!("{path} does not parse: {reason}"),
            ItemNotObject { path, position } => {
                format!("{path}, element {position}: not a JSON object")
            }
            NoItems => "the bank has no item".into(),
            MissingField { item, field } => format!("item {item}: missing field \"{field}\""),
            MissingSolution { item } => format!("item {item}: missing solution"),
            UnknownField { item, field } => format!("item {item}: unknown field \"{field}\""),
            BadField {
                item,
                field,
                reason,
            } => format!("item {item}, field \"{field}\": {reason}"),
            DuplicateId { item } => format!("item {item}: duplicate id"),
            UnknownType { item, value } => format!("item {item}: unknown type \"{value}\""),
            UnknownCompetence { item, value } => {
                format!("item {item}: unknown competence \"{value}\"")
            }
            FieldWithoutSolution { item, key } => {
                format!("item {item}: field ${{{key}}} has no solution")
            }
            SolutionWithoutField { item, key } => {
                format!("item {item}: solution \"{key}\" has no ${{{key}}} field")
            }
            ChoiceOutOfRange {
                item,
                choice,
                proposals,
            } => {
                format!("item {item}: choice {choice} outside proposals 1 to {proposals}")
            }
            ParameterOutOfRange {
                item,
                field,
                value,
                min,
                max,
            } => {
                format!("item {item}, field \"{field}\": {value} outside [{min}, {max}]")
            }
            TubeSpansCompetences {
                tube,
                first_item,
                first,
                item,
                second,
            } => {
                format!("tube \"{tube}\" spans two competences: {first_item} ({first}) and {item} ({second})")
            }
            SkillInTwoTubes {
                skill,
                first,
                second,
                item,
            } => {
                format!("skill \"{skill}\" in two tubes: {first} and {second} (item {item})")
            }
            AssetMissing { item, field, path } => {
                format!("item {item}, field \"{field}\": file not in bank \"{path}\"")
            }
            MissingAlt { item } => format!("item {item}: illustration without alt text"),
            MissingAttachmentAlt { item, src } => {
                format!("item {item}: attachment \"{src}\" is an image without alt text")
            }
            BadTimer { item, value } => {
                format!("item {item}: invalid timer {value} s (10 to 600 s)")
            }
            CompetenceBounds { competence, fault } => format!(
                "bank.json, \"competence_bounds\", competence {competence}: {}",
                fault.en()
            ),
        }
    }
}

/// The bank was refused: every error found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("banque refusée ({} erreur(s)) :\n{}", .0.len(), render(.0))]
pub struct BankErrors(pub Vec<BankError>);

fn render(errors: &[BankError]) -> String {
    errors
        .iter()
        .map(|e| format!("- {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl BankErrors {
    /// English rendering, one error per line.
    pub fn en(&self) -> String {
        self.0
            .iter()
            .map(|e| format!("- {}", e.en()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Per-item data the engine reads on every step, laid out flat and precomputed at load.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    pub comp: Vec<u8>,
    pub tube: Vec<u32>,
    pub skill: Vec<u32>,
    pub accessible: Vec<bool>,
    pub a: Vec<f64>,
    pub b: Vec<f64>,
    /// log P(correct) and log P(wrong) on the EAP grid.
    pub log_p: Vec<[f64; grid::N]>,
    pub log_q: Vec<[f64; grid::N]>,
    pub n_tubes: usize,
    pub n_skills: usize,
}

/// A validated bank, items sorted by id.
#[derive(Debug, Clone)]
pub struct Bank {
    manifest: Manifest,
    items: Vec<Item>,
    by_id: HashMap<String, usize>,
    hash: String,
    competence_bounds: Option<[[f64; 7]; COMPETENCE_COUNT]>,
    pub(crate) ix: Index,
}

impl Bank {
    /// Parse and validate a bank; refuses it as a whole with every error found.
    pub fn load(src: &BankSources) -> Result<Bank, BankErrors> {
        let mut errs = Vec::new();
        let manifest = match serde_json::from_str::<Manifest>(&src.manifest) {
            Ok(m) => Some(m),
            Err(e) => {
                errs.push(BankError::ManifestJson {
                    reason: e.to_string(),
                });
                None
            }
        };
        if let Some(m) = &manifest {
            check_manifest(m, &mut errs);
        }
        check_paths(src, manifest.as_ref(), &mut errs);

        let asset_paths: BTreeSet<&str> = src.assets.iter().map(|(p, _)| p.as_str()).collect();
        let mut items = Vec::new();
        let mut idents = Vec::new();
        for (path, content) in &src.item_files {
            match serde_json::from_str::<Vec<Value>>(content) {
                Err(e) => errs.push(BankError::ItemFileJson {
                    path: path.clone(),
                    reason: e.to_string(),
                }),
                Ok(values) => {
                    for (i, v) in values.iter().enumerate() {
                        match v.as_object() {
                            None => errs.push(BankError::ItemNotObject {
                                path: path.clone(),
                                position: i + 1,
                            }),
                            Some(obj) => {
                                let fallback = format!("{path}#{}", i + 1);
                                if let Some(item) =
                                    parse_item(obj, &fallback, &asset_paths, &mut errs, &mut idents)
                                {
                                    items.push(item);
                                }
                            }
                        }
                    }
                }
            }
        }
        check_cross_items(&idents, &mut errs);
        if items.is_empty() && errs.is_empty() {
            errs.push(BankError::NoItems);
        }
        match manifest {
            Some(manifest) if errs.is_empty() => {
                Ok(Bank::build(manifest, items, content_hash(src)))
            }
            _ => Err(BankErrors(errs)),
        }
    }

    fn build(manifest: Manifest, mut items: Vec<Item>, hash: String) -> Bank {
        items.sort_by(|x, y| x.id.cmp(&y.id));
        let by_id = items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.clone(), i))
            .collect();
        let mut tubes: HashMap<&str, u32> = HashMap::new();
        let mut skills: HashMap<&str, u32> = HashMap::new();
        let mut ix = Index::default();
        for it in &items {
            let n = tubes.len() as u32;
            ix.tube.push(*tubes.entry(it.tube.as_str()).or_insert(n));
            let n = skills.len() as u32;
            ix.skill.push(*skills.entry(it.skill.as_str()).or_insert(n));
            ix.comp
                .push(competence_index(&it.competence).unwrap_or(0) as u8);
            ix.accessible.push(it.accessible);
            ix.a.push(it.irt.a);
            ix.b.push(it.irt.b);
            let (lp, lq) = grid::log_probabilities(it.irt.a, it.irt.b);
            ix.log_p.push(lp);
            ix.log_q.push(lq);
        }
        ix.n_tubes = tubes.len();
        ix.n_skills = skills.len();
        let competence_bounds = manifest
            .competence_bounds
            .as_ref()
            .and_then(|m| competence_bounds_table(m).ok());
        Bank {
            manifest,
            items,
            by_id,
            hash,
            competence_bounds,
            ix,
        }
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
    /// Items sorted by id.
    pub fn items(&self) -> &[Item] {
        &self.items
    }
    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }
    /// Whether the bank is empty (never true for a loaded bank).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// An item by id.
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.by_id.get(id).and_then(|i| self.items.get(*i))
    }
    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }
    /// The capacities at which levels 1 … 7 start, per competence in framework order, when
    /// `bank.json` carries them (validated at load).
    pub fn competence_bounds(&self) -> Option<&[[f64; 7]; COMPETENCE_COUNT]> {
        self.competence_bounds.as_ref()
    }
    /// SHA-256 of the bank's content, lowercase hex (see [`content_hash`]).
    pub fn content_hash(&self) -> &str {
        &self.hash
    }
    /// Number of items per competence, in [`COMPETENCE_CODES`] order.
    pub fn items_per_competence(&self) -> [usize; COMPETENCE_COUNT] {
        let mut n = [0; COMPETENCE_COUNT];
        for c in &self.ix.comp {
            if let Some(x) = n.get_mut(usize::from(*c)) {
                *x += 1;
            }
        }
        n
    }
}

/// The content hash of a bank's sources, lowercase hex SHA-256.
///
/// Every file — the manifest under the path `bank.json`, each item file, each asset — is an entry
/// `(path, bytes)`. Entries are sorted by the path's UTF-8 bytes and hashed after the tag
/// [`HASH_TAG`] as `len(path) path len(bytes) bytes`, lengths as 8-byte big-endian integers, so
/// no two different banks share a byte stream.
pub fn content_hash(src: &BankSources) -> String {
    let mut entries: Vec<(&str, &[u8])> =
        Vec::with_capacity(1 + src.item_files.len() + src.assets.len());
    entries.push(("bank.json", src.manifest.as_bytes()));
    entries.extend(
        src.item_files
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_bytes())),
    );
    entries.extend(src.assets.iter().map(|(p, c)| (p.as_str(), c.as_slice())));
    entries.sort_by(|x, y| x.0.as_bytes().cmp(y.0.as_bytes()).then(x.1.cmp(y.1)));
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(HASH_TAG);
    for (path, bytes) in entries {
        ctx.update(&(path.len() as u64).to_be_bytes());
        ctx.update(path.as_bytes());
        ctx.update(&(bytes.len() as u64).to_be_bytes());
        ctx.update(bytes);
    }
    ctx.finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn check_manifest(m: &Manifest, errs: &mut Vec<BankError>) {
    let mut bad = |field: &str, reason: String| {
        errs.push(BankError::ManifestField {
            field: field.into(),
            reason,
        })
    };
    if m.format != FORMAT {
        bad(
            "format",
            format!(
                "version {} non prise en charge (attendu {FORMAT})",
                m.format
            ),
        );
    }
    if !is_slug(&m.id, 3, 64) {
        bad("id", "attendu [a-z0-9-]{3,64}".into());
    }
    if m.version.trim().is_empty() {
        bad("version", "vide".into());
    }
    if m.title.fr.trim().is_empty() {
        bad("title.fr", "vide".into());
    }
    if m.item_files.is_empty() {
        bad("item_files", "aucun fichier d'items".into());
    }
    if let Some(bounds) = &m.competence_bounds {
        if let Err(faults) = competence_bounds_table(bounds) {
            errs.extend(faults);
        }
    }
}

impl Manifest {
    /// `bank.json` as a publisher keeps it: indented JSON, each competence's bounds on one line
    /// so that a table of 16 × 7 numbers stays readable and diffs line by line.
    pub fn to_json_pretty(&self) -> String {
        let without = Manifest {
            competence_bounds: None,
            ..self.clone()
        };
        // A manifest is strings, numbers and lists: serialising it cannot fail.
        let mut out = serde_json::to_string_pretty(&without).unwrap_or_default();
        if let Some(bounds) = self.competence_bounds.as_ref().filter(|b| !b.is_empty()) {
            if out.ends_with('}') {
                out.pop();
                while out.ends_with(char::is_whitespace) {
                    out.pop();
                }
                out.push_str(",\n  \"competence_bounds\": {\n");
                let rows: Vec<String> = bounds
                    .iter()
                    .map(|(code, values)| {
                        format!(
                            "    {}: {}",
                            serde_json::Value::from(code.as_str()),
                            serde_json::to_string(values)
                                .unwrap_or_default()
                                .replace(',', ", ")
                        )
                    })
                    .collect();
                out.push_str(&rows.join(",\n"));
                out.push_str("\n  }\n}");
            }
        }
        out.push('\n');
        out
    }

    /// The bounds table as `bank.json` stores it, keyed by competence code.
    pub fn bounds_map(table: &[[f64; 7]; COMPETENCE_COUNT]) -> BTreeMap<String, Vec<f64>> {
        COMPETENCE_CODES
            .iter()
            .zip(table)
            .map(|(code, row)| ((*code).to_owned(), row.to_vec()))
            .collect()
    }
}

/// The `competence_bounds` of `bank.json` as a table in framework order, or every fault found,
/// each naming its competence.
pub fn competence_bounds_table(
    bounds: &BTreeMap<String, Vec<f64>>,
) -> Result<[[f64; 7]; COMPETENCE_COUNT], Vec<BankError>> {
    let mut table = [[0.0; 7]; COMPETENCE_COUNT];
    let mut errs = Vec::new();
    let mut fault = |competence: &str, fault| {
        errs.push(BankError::CompetenceBounds {
            competence: competence.into(),
            fault,
        })
    };
    for code in bounds.keys() {
        if competence_index(code).is_none() {
            fault(code, BoundsFault::Unknown);
        }
    }
    for (row, code) in table.iter_mut().zip(COMPETENCE_CODES) {
        let Some(values) = bounds.get(code) else {
            fault(code, BoundsFault::Missing);
            continue;
        };
        if values.len() != 7 {
            fault(code, BoundsFault::Length(values.len()));
            continue;
        }
        if let Some(l) = values.iter().position(|x| !x.is_finite()) {
            fault(code, BoundsFault::NotFinite(l as u8 + 1));
            continue;
        }
        if let Some(l) = values.windows(2).position(|w| w[0] >= w[1]) {
            fault(code, BoundsFault::NotIncreasing(l as u8 + 2));
            continue;
        }
        row.copy_from_slice(values);
    }
    if errs.is_empty() {
        Ok(table)
    } else {
        Err(errs)
    }
}

fn check_paths(src: &BankSources, manifest: Option<&Manifest>, errs: &mut Vec<BankError>) {
    let mut seen = BTreeSet::from(["bank.json"]);
    let all = src
        .item_files
        .iter()
        .map(|(p, _)| p.as_str())
        .chain(src.assets.iter().map(|(p, _)| p.as_str()));
    for p in all {
        if !seen.insert(p) {
            errs.push(BankError::DuplicatePath { path: p.into() });
        }
    }
    let Some(m) = manifest else { return };
    let mut declared = BTreeSet::new();
    for p in &m.item_files {
        if !declared.insert(p.as_str()) {
            errs.push(BankError::DuplicatePath { path: p.clone() });
        }
    }
    let given: BTreeSet<&str> = src.item_files.iter().map(|(p, _)| p.as_str()).collect();
    for p in declared.difference(&given) {
        errs.push(BankError::ItemFileMissing { path: (*p).into() });
    }
    for p in given.difference(&declared) {
        errs.push(BankError::ItemFileUndeclared { path: (*p).into() });
    }
}

fn is_slug(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_safe_path(p: &str, dir: &str) -> bool {
    p.strip_prefix(dir).is_some_and(|rest| !rest.is_empty())
        && !p.contains('\\')
        && p.split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

/// Reads one item, pushing every problem; returns the item only when it has none.
fn parse_item(
    obj: &Map<String, Value>,
    fallback: &str,
    assets: &BTreeSet<&str>,
    errs: &mut Vec<BankError>,
    idents: &mut Vec<Ident>,
) -> Option<Item> {
    let before = errs.len();
    let id_raw = obj.get("id").and_then(Value::as_str);
    let item = match id_raw {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => fallback.to_string(),
    };
    let mut r = Reader {
        obj,
        item: &item,
        errs,
    };
    for key in obj.keys() {
        if !ITEM_KEYS.contains(&key.as_str()) {
            r.errs.push(BankError::UnknownField {
                item: item.clone(),
                field: key.clone(),
            });
        }
    }
    let id: Option<String> = r.req("id");
    if let Some(id) = &id {
        if !is_slug(id, 3, 64) {
            r.bad("id", "attendu [a-z0-9-]{3,64}".into());
        }
    }
    let competence: Option<String> = r.req("competence");
    if let Some(c) = &competence {
        if competence_index(c).is_none() {
            r.errs.push(BankError::UnknownCompetence {
                item: item.clone(),
                value: c.clone(),
            });
        }
    }
    let tube: Option<String> = r.req("tube");
    let skill: Option<String> = r.req("skill");
    for (field, v) in [("tube", &tube), ("skill", &skill)] {
        if let Some(v) = v {
            if !is_slug(v, 1, 128) {
                r.bad(field, "attendu [a-z0-9-]+".into());
            }
        }
    }
    let level: Option<i64> = r.req("level");
    if let Some(l) = level {
        if !(1..=8).contains(&l) {
            r.range("level", l as f64, 1.0, 8.0);
        }
    }
    let type_raw: Option<String> = r.req("type");
    let kind = type_raw.as_deref().and_then(|t| {
        let k = ItemType::parse(t);
        if k.is_none() {
            r.errs.push(BankError::UnknownType {
                item: item.clone(),
                value: t.into(),
            });
        }
        k
    });
    let instruction: Option<Text> = r.req("instruction");
    if instruction.as_ref().is_some_and(|t| t.fr.trim().is_empty()) {
        r.bad("instruction.fr", "vide".into());
    }
    let proposals: Option<Vec<Text>> = r.opt("proposals");
    let form: Option<Text> = r.opt("form");
    let fields: Option<BTreeMap<String, Field>> = r.opt("fields");
    let solution: Option<Solution> = if obj.get("solution").is_none_or(Value::is_null) {
        r.errs
            .push(BankError::MissingSolution { item: item.clone() });
        None
    } else {
        r.opt("solution")
    };
    let tolerances: Option<Tolerances> = r.opt("tolerances");
    let timer: Option<i64> = r.opt("timer_s");
    if let Some(t) = timer {
        if !(10..=600).contains(&t) {
            r.errs.push(BankError::BadTimer {
                item: item.clone(),
                value: t,
            });
        }
    }
    let illustration: Option<Illustration> = r.opt("illustration");
    if let Some(ill) = &illustration {
        if ill.alt.fr.trim().is_empty() {
            r.errs.push(BankError::MissingAlt { item: item.clone() });
        }
        r.asset("illustration.src", &ill.src, "illustrations/", assets);
    }
    let attachments: Option<Vec<Attachment>> = r.opt("attachments");
    for (i, att) in attachments.iter().flatten().enumerate() {
        r.asset(
            &format!("attachments[{i}].src"),
            &att.src,
            "attachments/",
            assets,
        );
        if !ATTACHMENT_TYPES.contains(&att.media_type.as_str()) {
            r.bad(
                &format!("attachments[{i}].media_type"),
                format!("attendu un de {ATTACHMENT_TYPES:?}"),
            );
        }
        if att.name.fr.trim().is_empty() {
            r.bad(&format!("attachments[{i}].name"), "vide".into());
        }
        if att.is_image() && att.alt.as_ref().is_none_or(|a| a.fr.trim().is_empty()) {
            r.errs.push(BankError::MissingAttachmentAlt {
                item: item.clone(),
                src: att.src.clone(),
            });
        }
    }
    let accessible: Option<bool> = r.opt("accessible");
    let fixed_order: Option<bool> = r.opt("fixed_order");
    if fixed_order.is_some() && !kind.is_some_and(ItemType::has_proposals) {
        r.bad("fixed_order", "seulement pour un QCU ou un QCM".into());
    }
    let irt: Option<Irt> = r.req("irt");
    if let Some(irt) = irt {
        if !(0.2..=4.0).contains(&irt.a) {
            r.range("irt.a", irt.a, 0.2, 4.0);
        }
        if !(-6.0..=6.0).contains(&irt.b) {
            r.range("irt.b", irt.b, -6.0, 6.0);
        }
    }
    let comment: Option<String> = r.opt("comment");

    if id.is_some() {
        idents.push(Ident {
            id: item.clone(),
            competence: competence.clone(),
            tube: tube.clone(),
            skill: skill.clone(),
        });
    }
    let mut solution = solution;
    if let Some(kind) = kind {
        check_shape(
            &mut r,
            kind,
            proposals.as_deref(),
            form.as_ref(),
            fields.as_ref(),
            solution.as_mut(),
        );
    }
    if errs.len() != before {
        return None;
    }
    Some(Item {
        id: id?,
        competence: competence?,
        tube: tube?,
        skill: skill?,
        level: u8::try_from(level?).ok()?,
        kind: kind?,
        instruction: instruction?,
        proposals: proposals.unwrap_or_default(),
        form,
        fields: fields.unwrap_or_default(),
        solution: solution?,
        tolerances: tolerances.unwrap_or_default(),
        timer_s: timer.and_then(|t| u32::try_from(t).ok()),
        illustration,
        attachments: attachments.unwrap_or_default(),
        accessible: accessible.unwrap_or(false),
        fixed_order: fixed_order.unwrap_or(false),
        irt: irt?,
        comment,
    })
}

struct Reader<'a> {
    obj: &'a Map<String, Value>,
    item: &'a str,
    errs: &'a mut Vec<BankError>,
}

impl Reader<'_> {
    fn opt<T: DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        let v = self.obj.get(key).filter(|v| !v.is_null())?;
        match T::deserialize(v) {
            Ok(t) => Some(t),
            Err(e) => {
                self.bad(key, e.to_string());
                None
            }
        }
    }
    fn req<T: DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        if self.obj.get(key).is_none_or(Value::is_null) {
            self.errs.push(BankError::MissingField {
                item: self.item.into(),
                field: key.into(),
            });
            return None;
        }
        self.opt(key)
    }
    fn bad(&mut self, field: &str, reason: String) {
        self.errs.push(BankError::BadField {
            item: self.item.into(),
            field: field.into(),
            reason,
        });
    }
    fn range(&mut self, field: &str, value: f64, min: f64, max: f64) {
        self.errs.push(BankError::ParameterOutOfRange {
            item: self.item.into(),
            field: field.into(),
            value,
            min,
            max,
        });
    }
    fn asset(&mut self, field: &str, path: &str, dir: &str, assets: &BTreeSet<&str>) {
        if !is_safe_path(path, dir) {
            self.bad(field, format!("chemin relatif attendu sous {dir}"));
        } else if !assets.contains(path) {
            self.errs.push(BankError::AssetMissing {
                item: self.item.into(),
                field: field.into(),
                path: path.into(),
            });
        }
    }
}

/// The `${key}` placeholders of a form, in order of appearance; `None` for an unterminated or
/// malformed placeholder.
pub fn placeholders(form: &str) -> Option<Vec<String>> {
    let mut keys = Vec::new();
    let mut rest = form;
    while let Some(start) = rest.find("${") {
        let after = rest.get(start + 2..)?;
        let end = after.find('}')?;
        let key = after.get(..end)?;
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return None;
        }
        keys.push(key.to_string());
        rest = after.get(end + 1..)?;
    }
    Some(keys)
}

fn check_shape(
    r: &mut Reader<'_>,
    kind: ItemType,
    proposals: Option<&[Text]>,
    form: Option<&Text>,
    fields: Option<&BTreeMap<String, Field>>,
    solution: Option<&mut Solution>,
) {
    let item = r.item.to_string();
    if kind.has_proposals() {
        let n = proposals.map_or(0, <[Text]>::len);
        if proposals.is_none() {
            r.errs.push(BankError::MissingField {
                item: item.clone(),
                field: "proposals".into(),
            });
        } else if !(2..=8).contains(&n) {
            r.bad("proposals", format!("{n} propositions, attendu 2 à 8"));
        }
        if form.is_some() || fields.is_some() {
            r.bad("form", format!("pas de formulaire pour un {kind:?}"));
        }
        match (kind, solution) {
            (ItemType::Qcu, Some(Solution::Choice(c))) => {
                if *c < 1 || *c as usize > n {
                    r.errs.push(BankError::ChoiceOutOfRange {
                        item,
                        choice: *c,
                        proposals: n,
                    });
                }
            }
            (ItemType::Qcm, Some(Solution::Choices(cs))) => {
                cs.sort_unstable();
                cs.dedup();
                if cs.is_empty() {
                    r.bad("solution.choices", "aucun choix".into());
                }
                for c in cs.iter() {
                    if *c < 1 || *c as usize > n {
                        r.errs.push(BankError::ChoiceOutOfRange {
                            item: item.clone(),
                            choice: *c,
                            proposals: n,
                        });
                    }
                }
            }
            (_, Some(_)) => r.bad(
                "solution",
                format!("forme de solution inadaptée à un {}", type_name(kind)),
            ),
            (_, None) => {}
        }
        return;
    }
    if proposals.is_some() {
        r.bad(
            "proposals",
            format!("pas de propositions pour un {}", type_name(kind)),
        );
    }
    let Some(form) = form else {
        r.errs.push(BankError::MissingField {
            item,
            field: "form".into(),
        });
        return;
    };
    let Some(keys) = placeholders(&form.fr) else {
        r.bad("form.fr", "champ ${…} mal formé".into());
        return;
    };
    if let Some(en) = &form.en {
        if placeholders(en).map(|k| k.into_iter().collect::<BTreeSet<_>>())
            != Some(keys.iter().cloned().collect())
        {
            r.bad("form.en", "pas les mêmes champs ${…} que form.fr".into());
        }
    }
    let unique: BTreeSet<&String> = keys.iter().collect();
    if unique.len() != keys.len() {
        r.bad("form.fr", "un champ ${…} apparaît deux fois".into());
    }
    if keys.is_empty() {
        r.bad("form.fr", "aucun champ ${…}".into());
    }
    if kind == ItemType::Qroc && keys.len() > 1 {
        r.bad("form.fr", "un QROC a un seul champ (QROCM sinon)".into());
    }
    let empty = BTreeMap::new();
    let fields = fields.unwrap_or(&empty);
    for k in &keys {
        if !fields.contains_key(k) {
            r.errs.push(BankError::MissingField {
                item: item.clone(),
                field: format!("fields.{k}"),
            });
        }
    }
    for (k, f) in fields {
        if !unique.contains(k) {
            r.bad(
                &format!("fields.{k}"),
                "aucun ${…} correspondant dans le formulaire".into(),
            );
        }
        if f.aria_label.fr.trim().is_empty() {
            r.bad(&format!("fields.{k}.aria_label"), "vide".into());
        }
    }
    let check_accepted = |r: &mut Reader<'_>, field: &str, list: &[String], f: Option<&Field>| {
        if list.is_empty() {
            r.bad(field, "aucune réponse acceptée".into());
        }
        for a in list {
            if a.trim().is_empty() || a.chars().count() > MAX_ACCEPTED_CHARS {
                r.bad(
                    field,
                    format!("réponse acceptée vide ou de plus de {MAX_ACCEPTED_CHARS} caractères"),
                );
            }
            if let Some(f) = f {
                if f.numeric && crate::answer::parse_number(a).is_none() {
                    r.bad(field, format!("« {a} » n'est pas un nombre"));
                }
                if !f.options.is_empty() && !f.options.iter().any(|o| o.fr == *a) {
                    r.bad(field, format!("« {a} » n'est pas une des options"));
                }
            }
        }
    };
    match (kind, solution) {
        (ItemType::Qroc | ItemType::QrocmInd, Some(Solution::Fields(sol))) => {
            for k in &keys {
                if !sol.contains_key(k) {
                    r.errs.push(BankError::FieldWithoutSolution {
                        item: item.clone(),
                        key: k.clone(),
                    });
                }
            }
            for (k, list) in sol.iter() {
                if !unique.contains(k) {
                    r.errs.push(BankError::SolutionWithoutField {
                        item: item.clone(),
                        key: k.clone(),
                    });
                }
                check_accepted(r, &format!("solution.fields.{k}"), list, fields.get(k));
            }
        }
        (ItemType::QrocmDep, Some(Solution::Groups(groups))) => {
            if groups.len() != keys.len() {
                r.bad(
                    "solution.groups",
                    format!("{} groupes pour {} champs", groups.len(), keys.len()),
                );
            }
            let numeric = fields.values().any(|f| f.numeric);
            if numeric && !fields.values().all(|f| f.numeric) {
                r.bad(
                    "fields",
                    "QROCM-dep : tous les champs numériques ou aucun".into(),
                );
            }
            let probe = Field {
                aria_label: Text {
                    fr: String::new(),
                    en: None,
                },
                placeholder: None,
                numeric,
                options: vec![],
            };
            for (i, g) in groups.iter().enumerate() {
                check_accepted(r, &format!("solution.groups[{i}]"), g, Some(&probe));
            }
        }
        (_, Some(_)) => r.bad(
            "solution",
            format!("forme de solution inadaptée à un {}", type_name(kind)),
        ),
        (_, None) => {}
    }
}

fn type_name(kind: ItemType) -> &'static str {
    match kind {
        ItemType::Qcu => "QCU",
        ItemType::Qcm => "QCM",
        ItemType::Qroc => "QROC",
        ItemType::QrocmInd => "QROCM-ind",
        ItemType::QrocmDep => "QROCM-dep",
    }
}

/// What cross-item rules need, kept even for items with other errors so that every duplicate and
/// every tube/skill conflict is reported in the same round.
struct Ident {
    id: String,
    competence: Option<String>,
    tube: Option<String>,
    skill: Option<String>,
}

fn check_cross_items(items: &[Ident], errs: &mut Vec<BankError>) {
    let mut ids = BTreeSet::new();
    let mut tube_comp: HashMap<&str, (&str, &str)> = HashMap::new();
    let mut skill_tube: HashMap<&str, &str> = HashMap::new();
    for it in items {
        if !ids.insert(it.id.as_str()) {
            errs.push(BankError::DuplicateId {
                item: it.id.clone(),
            });
        }
        if let (Some(tube), Some(comp)) = (&it.tube, &it.competence) {
            match tube_comp.get(tube.as_str()) {
                Some((first_comp, first)) if first_comp != comp => {
                    errs.push(BankError::TubeSpansCompetences {
                        tube: tube.clone(),
                        first_item: (*first).into(),
                        first: (*first_comp).into(),
                        item: it.id.clone(),
                        second: comp.clone(),
                    })
                }
                Some(_) => {}
                None => {
                    tube_comp.insert(tube, (comp, &it.id));
                }
            }
        }
        if let (Some(skill), Some(tube)) = (&it.skill, &it.tube) {
            match skill_tube.get(skill.as_str()) {
                Some(first) if first != tube => errs.push(BankError::SkillInTwoTubes {
                    skill: skill.clone(),
                    first: (*first).into(),
                    second: tube.clone(),
                    item: it.id.clone(),
                }),
                Some(_) => {}
                None => {
                    skill_tube.insert(skill, tube);
                }
            }
        }
    }
}

/// Default capacity thresholds for item levels 2–8 of the synthetic bank (same as the scoring
/// defaults, so an item's level is the band its difficulty falls in).
fn level_of(b: f64) -> u8 {
    let bounds = crate::scoring::ScoringConfig::default().band_bounds;
    let band = bounds.iter().filter(|t| b >= **t).count();
    band.clamp(1, 8) as u8
}

/// A synthetic bank of `n_items` QCU items for the simulation.
///
/// Discrimination `ln a ~ N(ln 1.5, 0.3)` (0.3 is the SD), difficulty `b ~ N(0, 1.5)` (1.5 is the
/// SD), both clamped to the format's ranges; item `i` goes to competence `i mod 16`, tubes hold 5
/// items each, one skill per item, skills of a tube ordered by difficulty; 4 items in 5 are
/// accessible. Deterministic in `seed`. Built through [`Bank::load`], so it is a valid bank.
pub fn synthetic(n_items: usize, seed: u64) -> Result<Bank, BankErrors> {
    let mut rng = crate::rng::stream(seed, u64::MAX);
    let mut per_comp: Vec<Vec<(f64, f64)>> = vec![Vec::new(); COMPETENCE_COUNT];
    for i in 0..n_items {
        let a = libm::exp(libm::log(1.5) + 0.3 * crate::rng::normal(&mut rng)).clamp(0.2, 4.0);
        let b = (1.5 * crate::rng::normal(&mut rng)).clamp(-6.0, 6.0);
        if let Some(v) = per_comp.get_mut(i % COMPETENCE_COUNT) {
            v.push((a, b));
        }
    }
    let mut items = Vec::with_capacity(n_items);
    for (c, params) in per_comp.iter().enumerate() {
        let code = COMPETENCE_CODES.get(c).copied().unwrap_or("1.1");
        for (t, chunk) in params.chunks(5).enumerate() {
            let mut chunk = chunk.to_vec();
            chunk.sort_by(|x, y| x.1.total_cmp(&y.1));
            for (s, (a, b)) in chunk.into_iter().enumerate() {
                let tube = format!("syn-c{:02}-t{t:03}", c + 1);
                let txt = |s: &str| Text {
                    fr: s.into(),
                    en: None,
                };
                items.push(Item {
                    id: format!("{tube}-{}", s + 1),
                    competence: code.into(),
                    skill: format!("{tube}-{}", s + 1),
                    tube,
                    level: level_of(b),
                    kind: ItemType::Qcu,
                    instruction: txt("Question synthétique"),
                    proposals: vec![txt("A"), txt("B"), txt("C"), txt("D")],
                    form: None,
                    fields: BTreeMap::new(),
                    solution: Solution::Choice(1),
                    tolerances: Tolerances::default(),
                    timer_s: None,
                    illustration: None,
                    attachments: vec![],
                    accessible: (items.len() % 5) != 0,
                    fixed_order: false,
                    irt: Irt { a, b },
                    comment: None,
                });
            }
        }
    }
    let manifest = Manifest {
        format: FORMAT,
        id: "synthetic".into(),
        version: format!("seed-{seed}"),
        title: Text {
            fr: "Banque synthétique".into(),
            en: Some("Synthetic bank".into()),
        },
        provisional: true,
        notes: None,
        item_files: vec!["items/synthetic.json".into()],
        competence_bounds: None,
    };
    // A serialisation failure would only yield invalid JSON, which `Bank::load` then reports.
    let src = BankSources {
        manifest: serde_json::to_string(&manifest).unwrap_or_default(),
        item_files: vec![(
            "items/synthetic.json".into(),
            serde_json::to_string(&items).unwrap_or_default(),
        )],
        assets: vec![],
    };
    Bank::load(&src)
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    fn txt(s: &str) -> Text {
        Text {
            fr: s.into(),
            en: None,
        }
    }

    fn base(kind: ItemType, solution: Solution) -> Item {
        Item {
            id: "test-item".into(),
            competence: "1.1".into(),
            tube: "t".into(),
            skill: "t-1".into(),
            level: 1,
            kind,
            instruction: txt("?"),
            proposals: vec![],
            form: None,
            fields: BTreeMap::new(),
            solution,
            tolerances: Tolerances::default(),
            timer_s: None,
            illustration: None,
            attachments: vec![],
            accessible: true,
            fixed_order: false,
            irt: Irt { a: 1.0, b: 0.0 },
            comment: None,
        }
    }

    fn field() -> Field {
        Field {
            aria_label: txt("champ"),
            placeholder: None,
            numeric: false,
            options: vec![],
        }
    }

    pub fn qcu(choice: u32, n: usize) -> Item {
        let mut it = base(ItemType::Qcu, Solution::Choice(choice));
        it.proposals = (0..n).map(|i| txt(&i.to_string())).collect();
        it
    }
    pub fn qcm(choices: &[u32], n: usize) -> Item {
        let mut c = choices.to_vec();
        c.sort_unstable();
        c.dedup();
        let mut it = base(ItemType::Qcm, Solution::Choices(c));
        it.proposals = (0..n).map(|i| txt(&i.to_string())).collect();
        it
    }
    pub fn qroc(accepted: &str) -> Item {
        let mut it = base(
            ItemType::Qroc,
            Solution::Fields(BTreeMap::from([("r".into(), vec![accepted.into()])])),
        );
        it.form = Some(txt("${r}"));
        it.fields = BTreeMap::from([("r".into(), field())]);
        it
    }
    pub fn qrocm_ind(pairs: &[(&str, &[&str])]) -> Item {
        let sol = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect();
        let mut it = base(ItemType::QrocmInd, Solution::Fields(sol));
        it.fields = pairs
            .iter()
            .map(|(k, _)| (k.to_string(), field()))
            .collect();
        it
    }
    pub fn qrocm_dep(keys: &[&str], groups: &[&[&str]]) -> Item {
        let sol = groups
            .iter()
            .map(|g| g.iter().map(|s| s.to_string()).collect())
            .collect();
        let mut it = base(ItemType::QrocmDep, Solution::Groups(sol));
        it.fields = keys.iter().map(|k| (k.to_string(), field())).collect();
        it
    }
}

#[cfg(test)]
mod tests;
