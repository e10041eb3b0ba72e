//! The countries and territories a pupil may be born in abroad, with their INSEE code (Code
//! officiel géographique: `99` + three digits, e.g. `99134` Espagne), embedded from
//! `assets/countries/countries.tsv` (rebuilt by `scripts/refresh-countries`, attribution in
//! `assets/countries/ATTRIBUTION.md`). A birth abroad is `99…` + country + town (facts §3).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::communes::{closest_by, normalise_town};

static EMBEDDED: &str = include_str!("../../../assets/countries/countries.tsv");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    /// `99` + three digits. Some territories share their country's code (Îles Féroé: Danemark).
    pub insee: String,
    /// The official French name, as the school's lists and certificates write it.
    pub name: String,
    /// Other ways people write it: English name, ISO codes.
    pub aliases: Vec<String>,
}

pub struct Countries {
    list: Vec<Country>,
    by_key: HashMap<String, usize>,
}

/// Names compared without case, accents, spaces, hyphens or apostrophes: `VIET NAM`, `Viêt-nam`
/// and `Vietnam` are one country.
fn key(name: &str) -> String {
    normalise_town(name).replace(' ', "")
}

impl Countries {
    /// The list shipped with the software.
    pub fn embedded() -> &'static Countries {
        static LIST: OnceLock<Countries> = OnceLock::new();
        LIST.get_or_init(|| Countries::parse(EMBEDDED))
    }

    /// Lines `insee  alpha2  alpha3  name  aliases(|)`; a malformed line is skipped (the file is
    /// ours and checked by a test).
    fn parse(text: &str) -> Countries {
        let mut list = Vec::new();
        let mut by_key = HashMap::new();
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            let [insee, alpha2, alpha3, name, aliases] = f[..] else {
                continue;
            };
            let country = Country {
                insee: insee.to_owned(),
                name: name.to_owned(),
                aliases: [alpha2, alpha3]
                    .into_iter()
                    .chain(aliases.split('|'))
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned)
                    .collect(),
            };
            let index = list.len();
            for spelling in std::iter::once(&country.name).chain(&country.aliases) {
                by_key.entry(key(spelling)).or_insert(index);
            }
            list.push(country);
        }
        Countries { list, by_key }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The country a school wrote, by any of its names.
    pub fn by_name(&self, name: &str) -> Option<&Country> {
        self.by_key.get(&key(name)).map(|&i| &self.list[i])
    }

    /// The countries with that INSEE code (`99134`), the main one first.
    pub fn by_code(&self, code: &str) -> Vec<&Country> {
        self.list.iter().filter(|c| c.insee == code).collect()
    }

    /// The official name nearest to what was typed, to suggest it.
    pub fn closest(&self, name: &str) -> Option<&Country> {
        closest_by(name, self.list.iter(), |c| c.name.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Country> {
        self.list.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_reads_whole() {
        let all = Countries::embedded();
        assert!(all.len() > 200, "{}", all.len());
        let lines = EMBEDDED.lines().count();
        assert_eq!(all.len(), lines, "every line of countries.tsv parses");
        assert!(all
            .iter()
            .all(|c| c.insee.len() == 5 && c.insee.starts_with("99")));
    }

    #[test]
    fn countries_are_found_however_they_are_written() {
        let all = Countries::embedded();
        for written in ["VIETNAM", "Viet Nam", "viêt-nam", "VNM"] {
            assert_eq!(
                all.by_name(written).map(|c| c.insee.as_str()),
                Some("99243"),
                "{written}"
            );
        }
        assert_eq!(all.by_name("Espagne").unwrap().insee, "99134");
        assert_eq!(all.by_name("ALGERIE").unwrap().name, "Algérie");
        assert_eq!(all.by_name("USA").unwrap().insee, "99404");
        assert!(all.by_name("Atlantide").is_none());
        assert_eq!(all.closest("Espagnr").unwrap().name, "Espagne");
        assert_eq!(all.by_code("99134")[0].name, "Espagne");
    }
}
