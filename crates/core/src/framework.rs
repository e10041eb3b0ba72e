//! The CRCN framework (décret n° 2019-919): 5 domains, 16 competences, 8 levels.
//!
//! The data lives in `assets/framework/crcn.json` and is embedded at compile time. The engine and
//! the bank refer to competences by their index in [`COMPETENCE_CODES`]; a test checks that the
//! JSON agrees with it, so indexing never depends on parsing at run time.

use crate::text::Text;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The embedded framework file.
pub const CRCN_JSON: &str = include_str!("../../../assets/framework/crcn.json");

/// Number of competences in the CRCN.
pub const COMPETENCE_COUNT: usize = 16;
/// Number of levels in the CRCN.
pub const LEVEL_COUNT: u8 = 8;

/// The 16 competence codes in framework order; a competence's index here is its identity in the
/// engine (coverage counters are `[u8; 16]`).
pub const COMPETENCE_CODES: [&str; COMPETENCE_COUNT] = [
    "1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "3.4", "4.1", "4.2",
    "4.3", "5.1", "5.2",
];

/// Index of a competence code in [`COMPETENCE_CODES`].
pub fn competence_index(code: &str) -> Option<usize> {
    COMPETENCE_CODES.iter().position(|c| *c == code)
}

/// The whole framework.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Framework {
    /// Short name (`"CRCN"`).
    pub framework: String,
    /// Legal source.
    pub source: String,
    /// Free notes.
    #[serde(default)]
    pub notes: String,
    /// The 5 domains with their competences.
    pub domains: Vec<Domain>,
    /// The 8 levels.
    pub levels: Vec<Level>,
    /// The 4 level groups (Novice, Indépendant, Avancé, Expert).
    pub groups: Vec<LevelGroup>,
}

/// A domain (`"1"` … `"5"`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Domain {
    /// Code, e.g. `"1"`.
    pub code: String,
    /// Title; French from the decree.
    pub title: Text,
    /// The English title is our own translation.
    pub en_is_ours: bool,
    /// Competences of the domain.
    pub competences: Vec<Competence>,
}

/// A competence (`"1.1"` … `"5.2"`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Competence {
    /// Code, e.g. `"1.1"`.
    pub code: String,
    /// Title; French from the decree.
    pub title: Text,
    /// The English title is our own translation.
    pub en_is_ours: bool,
}

/// A level 1–8 and the group it belongs to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Level {
    /// 1–8.
    pub level: u8,
    /// Group code (`novice`, `independant`, `avance`, `expert`).
    pub group: String,
}

/// A group of levels.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LevelGroup {
    /// Code.
    pub code: String,
    /// Title.
    pub title: Text,
    /// The English title is our own translation.
    pub en_is_ours: bool,
    /// Levels in the group.
    pub levels: Vec<u8>,
}

/// Why the embedded framework is not usable (only a broken build can produce this).
#[derive(Debug, thiserror::Error)]
pub enum FrameworkError {
    /// The JSON does not parse.
    #[error("référentiel CRCN illisible : {0}")]
    Parse(String),
    /// The JSON parses but disagrees with the decree's structure.
    #[error("référentiel CRCN invalide : {0}")]
    Invalid(String),
}

impl Framework {
    /// Parse and validate a framework document.
    pub fn parse(json: &str) -> Result<Framework, FrameworkError> {
        let fw: Framework =
            serde_json::from_str(json).map_err(|e| FrameworkError::Parse(e.to_string()))?;
        fw.validate()?;
        Ok(fw)
    }

    fn validate(&self) -> Result<(), FrameworkError> {
        if self.domains.len() != 5 {
            return Err(FrameworkError::Invalid(format!(
                "{} domaines au lieu de 5",
                self.domains.len()
            )));
        }
        let codes: Vec<&str> = self.competences().map(|c| c.code.as_str()).collect();
        if codes != COMPETENCE_CODES {
            return Err(FrameworkError::Invalid(format!(
                "compétences {codes:?} au lieu de {COMPETENCE_CODES:?}"
            )));
        }
        for d in &self.domains {
            if d.competences
                .iter()
                .any(|c| !c.code.starts_with(&format!("{}.", d.code)))
            {
                return Err(FrameworkError::Invalid(format!(
                    "une compétence du domaine {} porte le code d'un autre domaine",
                    d.code
                )));
            }
        }
        let levels: Vec<u8> = self.levels.iter().map(|l| l.level).collect();
        if levels != (1..=LEVEL_COUNT).collect::<Vec<_>>() {
            return Err(FrameworkError::Invalid(format!(
                "niveaux {levels:?} au lieu de 1 à 8"
            )));
        }
        for l in &self.levels {
            let in_group = self
                .groups
                .iter()
                .any(|g| g.code == l.group && g.levels.contains(&l.level));
            if !in_group {
                return Err(FrameworkError::Invalid(format!(
                    "le niveau {} n'appartient pas au groupe {}",
                    l.level, l.group
                )));
            }
        }
        Ok(())
    }

    /// All competences in framework order.
    pub fn competences(&self) -> impl Iterator<Item = &Competence> {
        self.domains.iter().flat_map(|d| d.competences.iter())
    }

    /// A competence by code.
    pub fn competence(&self, code: &str) -> Option<&Competence> {
        self.competences().find(|c| c.code == code)
    }

    /// The group a level belongs to.
    pub fn group_of(&self, level: u8) -> Option<&LevelGroup> {
        self.groups.iter().find(|g| g.levels.contains(&level))
    }
}

/// The embedded CRCN, parsed once.
///
/// Returns an error only if the embedded asset is broken, which the crate's tests rule out.
pub fn crcn() -> Result<&'static Framework, &'static FrameworkError> {
    static CELL: OnceLock<Result<Framework, FrameworkError>> = OnceLock::new();
    CELL.get_or_init(|| Framework::parse(CRCN_JSON)).as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_framework_has_5_domains_16_competences_8_levels() {
        let fw = crcn().map_err(|e| e.to_string()).unwrap();
        assert_eq!(fw.domains.len(), 5);
        assert_eq!(fw.competences().count(), 16);
        assert_eq!(fw.levels.len(), 8);
        assert_eq!(fw.groups.iter().map(|g| g.levels.len()).sum::<usize>(), 8);
    }

    #[test]
    fn french_titles_are_the_decree_s() {
        let fw = crcn().map_err(|e| e.to_string()).unwrap();
        let t = |c: &str| fw.competence(c).map(|c| c.title.fr.as_str());
        assert_eq!(
            t("1.1"),
            Some("Mener une recherche et une veille d'information")
        );
        assert_eq!(t("2.4"), Some("S'insérer dans le monde numérique"));
        assert_eq!(
            t("4.3"),
            Some("Protéger la santé, le bien-être et l'environnement")
        );
        assert_eq!(t("5.2"), Some("Évoluer dans un environnement numérique"));
        assert!(fw
            .competences()
            .all(|c| c.en_is_ours && c.title.en.is_some()));
        assert_eq!(
            fw.group_of(4).map(|g| g.title.fr.as_str()),
            Some("Indépendant")
        );
        assert_eq!(fw.group_of(7).map(|g| g.title.fr.as_str()), Some("Expert"));
    }

    #[test]
    fn validation_rejects_a_missing_competence() {
        let broken = CRCN_JSON.replacen("\"code\": \"3.4\"", "\"code\": \"3.5\"", 1);
        assert!(Framework::parse(&broken).is_err());
        assert_eq!(competence_index("5.2"), Some(15));
        assert_eq!(competence_index("6.1"), None);
    }
}
