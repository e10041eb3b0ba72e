//! The official list of French communes (INSEE COG + La Poste postal codes, Licence Ouverte 2.0),
//! embedded from `assets/communes/communes.tsv.gz` (rebuilt by `scripts/refresh-communes`), so
//! birthplaces are checked offline, in the school's lab, before anything reaches the national
//! service where a wrong birthplace is the most common reason a certificate is delayed.

use crate::candidate::normalise_name;
use crate::UserMessage;
use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

static EMBEDDED_GZ: &[u8] = include_bytes!("../../../assets/communes/communes.tsv.gz");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommuneKind {
    /// A commune today.
    Current,
    /// Arrondissement of Paris, Lyon or Marseille: birth records use these codes (75115…).
    MunicipalArrondissement,
    /// Former commune kept as a commune déléguée of a commune nouvelle.
    Delegated,
    /// Former commune kept as a commune associée.
    Associated,
    /// Former code of a merged commune whose name the list no longer carries.
    FormerCode,
}

impl CommuneKind {
    fn from_letter(letter: &str) -> Option<Self> {
        Some(match letter {
            "C" => Self::Current,
            "M" => Self::MunicipalArrondissement,
            "D" => Self::Delegated,
            "A" => Self::Associated,
            "O" => Self::FormerCode,
            _ => return None,
        })
    }

    /// Entries that no longer exist on their own: the commune they merged into is `parent`.
    pub fn is_former(self) -> bool {
        matches!(self, Self::Delegated | Self::Associated | Self::FormerCode)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commune {
    pub code: String,
    /// Official spelling; empty for [`CommuneKind::FormerCode`].
    pub name: String,
    pub postal_codes: Vec<String>,
    pub kind: CommuneKind,
    /// The current commune a former, delegated or associated commune (or an arrondissement)
    /// belongs to.
    pub parent: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CommunesError {
    #[error("communes table is not valid gzip")]
    Gzip,
    #[error("communes table line {0} is malformed")]
    Line(usize),
}

impl UserMessage for CommunesError {
    fn code(&self) -> &'static str {
        match self {
            Self::Gzip => "communes.gzip",
            Self::Line(_) => "communes.line",
        }
    }
    fn message_fr(&self) -> String {
        match self {
            Self::Gzip => "La liste des communes est illisible (archive gzip invalide).".into(),
            Self::Line(n) => format!("La liste des communes est illisible (ligne {n})."),
        }
    }
    fn message_en(&self) -> String {
        match self {
            Self::Gzip => "The list of communes is unreadable (invalid gzip).".into(),
            Self::Line(n) => format!("The list of communes is unreadable (line {n})."),
        }
    }
}

#[derive(Debug, Default)]
pub struct Communes {
    entries: Vec<Commune>,
    by_code: HashMap<String, Vec<usize>>,
    by_postal: HashMap<String, Vec<usize>>,
    by_name: HashMap<String, Vec<usize>>,
    by_parent: HashMap<String, Vec<usize>>,
}

impl Communes {
    /// The table shipped with the binary, parsed once per process (about 40,000 lines).
    pub fn embedded() -> &'static Communes {
        static TABLE: OnceLock<Communes> = OnceLock::new();
        // The asset is ours and a unit test parses it; an empty table would make every French
        // birthplace fail loudly as "unknown code" rather than pass unchecked.
        TABLE.get_or_init(|| Self::from_gzip(EMBEDDED_GZ).unwrap_or_default())
    }

    pub fn from_gzip(bytes: &[u8]) -> Result<Self, CommunesError> {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .map_err(|_| CommunesError::Gzip)?;
        Self::from_tsv(&text)
    }

    /// Parses `code \t name \t postal codes (space-separated) \t kind letter \t parent`.
    pub fn from_tsv(text: &str) -> Result<Self, CommunesError> {
        let mut table = Self::default();
        for (index, line) in text.lines().enumerate() {
            if line.is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            let (Some(code), Some(name), Some(postal), Some(kind), parent, None) = (
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
            ) else {
                return Err(CommunesError::Line(index + 1));
            };
            let kind = CommuneKind::from_letter(kind).ok_or(CommunesError::Line(index + 1))?;
            table.push(Commune {
                code: code.to_owned(),
                name: name.to_owned(),
                postal_codes: postal.split_whitespace().map(str::to_owned).collect(),
                kind,
                parent: parent.filter(|p| !p.is_empty()).map(str::to_owned),
            });
        }
        Ok(table)
    }

    fn push(&mut self, commune: Commune) {
        let id = self.entries.len();
        self.by_code
            .entry(commune.code.clone())
            .or_default()
            .push(id);
        for postal in &commune.postal_codes {
            self.by_postal.entry(postal.clone()).or_default().push(id);
        }
        if let Some(parent) = &commune.parent {
            self.by_parent.entry(parent.clone()).or_default().push(id);
        }
        if !commune.name.is_empty() {
            for key in name_keys(&commune) {
                self.by_name.entry(key).or_default().push(id);
            }
        }
        self.entries.push(commune);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Every entry, in the list's order (by code).
    pub fn iter(&self) -> impl Iterator<Item = &Commune> {
        self.entries.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry with this INSEE code: a commune nouvelle often shares its code with one of
    /// its delegated communes, so there can be two. Current communes come first.
    pub fn by_code(&self, code: &str) -> Vec<&Commune> {
        self.collect(self.by_code.get(code))
    }

    /// Communes (and arrondissements) served by this postal code, plus the delegated and
    /// associated communes of those communes: a town typed under its pre-merger name still gets
    /// its mail, and its birth records, under the same postal code.
    pub fn by_postal_code(&self, postal_code: &str) -> Vec<&Commune> {
        let mut found = self.collect(self.by_postal.get(postal_code));
        let parents: Vec<&str> = found.iter().map(|c| c.code.as_str()).collect();
        let former: Vec<&Commune> = parents
            .iter()
            .flat_map(|code| self.collect(self.by_parent.get(*code)))
            .filter(|c| c.kind.is_former() && !c.name.is_empty())
            .collect();
        for commune in former {
            if !found.iter().any(|f| std::ptr::eq(*f, commune)) {
                found.push(commune);
            }
        }
        found
    }

    /// Communes whose name folds to the same key as `name` ([`normalise_town`]).
    pub fn by_name(&self, name: &str) -> Vec<&Commune> {
        self.collect(self.by_name.get(&normalise_town(name)))
    }

    /// The current commune a code now belongs to (itself for a current commune).
    pub fn current_of<'a>(&'a self, commune: &'a Commune) -> &'a Commune {
        match (&commune.kind, &commune.parent) {
            (CommuneKind::Current, _) | (_, None) => commune,
            (_, Some(parent)) => self
                .by_code(parent)
                .into_iter()
                .find(|c| c.kind == CommuneKind::Current)
                .unwrap_or(commune),
        }
    }

    /// The closest official name to `name` over the whole list, if one is close enough to be a
    /// typo of it.
    pub fn suggest(&self, name: &str) -> Option<&Commune> {
        closest(name, self.entries.iter().filter(|c| !c.name.is_empty()))
    }

    fn collect(&self, ids: Option<&Vec<usize>>) -> Vec<&Commune> {
        let mut found: Vec<&Commune> = ids
            .into_iter()
            .flatten()
            .filter_map(|&id| self.entries.get(id))
            .collect();
        found.sort_by_key(|c| c.kind.is_former());
        found
    }
}

/// Keys a commune is found under: its folded name, and for arrondissements the short forms
/// people write (`Paris 15`, `Paris 15e`, `Marseille 1er`).
fn name_keys(commune: &Commune) -> Vec<String> {
    let key = normalise_town(&commune.name);
    let mut keys = vec![key.clone()];
    if commune.kind == CommuneKind::MunicipalArrondissement {
        if let Some(short) = key.strip_suffix(" arrondissement") {
            keys.push(short.to_owned());
            let number: String = short
                .trim_end_matches(|c: char| c.is_ascii_alphabetic())
                .to_owned();
            if number != short {
                keys.push(number);
            }
        }
    }
    keys
}

/// [`normalise_name`] plus the abbreviations of commune names (`St`, `Ste`, `Sts`).
pub fn normalise_town(name: &str) -> String {
    let folded = normalise_name(name);
    let mut out = String::with_capacity(folded.len() + 8);
    for word in folded.split(' ') {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(match word {
            "st" => "saint",
            "ste" => "sainte",
            "sts" => "saints",
            "stes" => "saintes",
            other => other,
        });
    }
    out
}

/// The candidate whose folded name is nearest to `name` within a typo's distance (about one
/// edit per five letters, at least one), ties going to the first (current communes first).
pub fn closest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a Commune>,
) -> Option<&'a Commune> {
    closest_by(name, candidates, |c| &c.name)
}

/// [`closest`] over anything that has a name (communes, countries).
pub fn closest_by<'a, T>(
    name: &str,
    candidates: impl Iterator<Item = &'a T>,
    name_of: impl Fn(&T) -> &str,
) -> Option<&'a T> {
    let key: Vec<char> = normalise_town(name).chars().collect();
    if key.is_empty() {
        return None;
    }
    let limit = (key.len() / 5).clamp(1, 4);
    let mut best: Option<(usize, &T)> = None;
    for candidate in candidates {
        let other: Vec<char> = normalise_town(name_of(candidate)).chars().collect();
        if other.len().abs_diff(key.len()) > limit {
            continue;
        }
        let bound = best.map_or(limit, |(d, _)| d.saturating_sub(1));
        if let Some(distance) = bounded_levenshtein(&key, &other, bound) {
            if best.is_none_or(|(d, _)| distance < d) {
                best = Some((distance, candidate));
            }
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance if it is at most `bound`, computed on two rows and abandoned as soon as
/// a whole row exceeds the bound (so scanning 40,000 names stays in the milliseconds).
fn bounded_levenshtein(a: &[char], b: &[char], bound: usize) -> Option<usize> {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        let mut row_min = current[0];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let value = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
            current[j + 1] = value;
            row_min = row_min.min(value);
        }
        if row_min > bound {
            return None;
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous.last().copied().filter(|&d| d <= bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_parses_and_knows_real_communes() {
        let table = Communes::embedded();
        assert!(table.len() > 35_000, "{}", table.len());
        let ajaccio = table.by_code("2A004");
        assert_eq!(ajaccio.first().map(|c| c.name.as_str()), Some("Ajaccio"));
        assert!(table
            .by_postal_code("01400")
            .iter()
            .any(|c| c.code == "01001"));
        assert!(table
            .by_name("st etienne")
            .iter()
            .any(|c| c.code == "42218"));
        assert!(table.by_name("Paris 15e").iter().any(|c| c.code == "75115"));
        // A delegated commune is found under its parent's postal code.
        let bellegarde = table.by_name("Bellegarde-sur-Valserine");
        let delegated = bellegarde
            .iter()
            .find(|c| c.kind == CommuneKind::Delegated)
            .map(|c| c.code.clone());
        assert_eq!(delegated.as_deref(), Some("01033"));
        assert!(table
            .by_postal_code("01200")
            .iter()
            .any(|c| c.name == "Bellegarde-sur-Valserine"));
    }

    #[test]
    fn suggests_close_names_only() {
        let table = Communes::embedded();
        let s = table.suggest("Ambérieu-en-Bugay").map(|c| c.code.clone());
        assert_eq!(s.as_deref(), Some("01004"));
        assert!(table.suggest("Xqzwvkjh Plotrb").is_none());
    }

    #[test]
    fn levenshtein_bounds() {
        let a: Vec<char> = "kitten".chars().collect();
        let b: Vec<char> = "sitting".chars().collect();
        assert_eq!(bounded_levenshtein(&a, &b, 3), Some(3));
        assert_eq!(bounded_levenshtein(&a, &b, 2), None);
        assert_eq!(bounded_levenshtein(&[], &[], 0), Some(0));
    }

    #[test]
    fn malformed_table_is_an_error() {
        assert_eq!(
            Communes::from_tsv("01001\tX\t01400\tZ\t\n").unwrap_err(),
            CommunesError::Line(1)
        );
        assert_eq!(
            Communes::from_gzip(b"nope").unwrap_err(),
            CommunesError::Gzip
        );
    }
}
