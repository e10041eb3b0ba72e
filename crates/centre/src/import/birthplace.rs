//! Birthplace rules (the most frequent reason a certificate is held back): in France, the INSEE
//! code alone or the postal code with the town; abroad, the country and the town. Whatever is
//! given must agree with the official list of communes, former communes included.

use super::columns::Column;
use super::Problem;
use crate::candidate::{normalise_name, Birthplace};
use crate::communes::{closest, normalise_town, Commune, Communes};
use crate::countries::Countries;

/// The four template cells, empty ones as `None`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BirthplaceInput<'a> {
    pub town: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub insee: Option<&'a str>,
    pub country: Option<&'a str>,
}

pub type BirthplaceProblems = Vec<(Option<Column>, Problem)>;

/// How many towns an error message lists before stopping.
const LISTED: usize = 6;

pub fn check_birthplace(
    input: &BirthplaceInput,
    communes: &Communes,
) -> Result<Birthplace, BirthplaceProblems> {
    let insee = input.insee.map(pad_code);
    match input.country {
        Some(country) if !is_france(country) => abroad(input, Some(country), insee),
        _ => match insee {
            Some(code) if code.starts_with("99") => {
                if input.country.is_some() {
                    Err(vec![(
                        Some(Column::Insee),
                        Problem::InseeAbroadInFrance(code),
                    )])
                } else {
                    abroad(input, None, Some(code))
                }
            }
            Some(code) => by_insee(input, &code, communes),
            None => by_postal_code(input, communes),
        },
    }
}

/// Abroad: the country by any of its names (or, when the cell is empty, by its `99…` code), the
/// INSEE code `99` alone or `99` + the country's three digits, and the town. The country is kept
/// under its official name and code, so an export imports back to the same birthplace.
fn abroad(
    input: &BirthplaceInput,
    country: Option<&str>,
    insee: Option<String>,
) -> Result<Birthplace, BirthplaceProblems> {
    let countries = Countries::embedded();
    let mut problems = Vec::new();
    let code = insee.filter(|c| c != "99");
    if let Some(code) = &code {
        if !code.starts_with("99") {
            problems.push((
                Some(Column::Insee),
                Problem::InseeNotAbroad {
                    code: code.clone(),
                    country: country.unwrap_or_default().to_owned(),
                },
            ));
        } else if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_digit()) {
            problems.push((Some(Column::Insee), Problem::InseeShape(code.clone())));
        }
    }
    let found = match country {
        Some(name) => match countries.by_name(name) {
            Some(c) => Some(c),
            None => {
                problems.push((
                    Some(Column::Country),
                    Problem::CountryUnknown {
                        country: name.to_owned(),
                        closest: countries.closest(name).map(|c| c.name.clone()),
                    },
                ));
                None
            }
        },
        None => match &code {
            Some(code) if problems.is_empty() => match countries.by_code(code).first() {
                Some(c) => Some(*c),
                None => {
                    problems.push((
                        Some(Column::Insee),
                        Problem::CountryCodeUnknown(code.clone()),
                    ));
                    None
                }
            },
            _ => {
                let code = code.clone().unwrap_or_else(|| "99".into());
                problems.push((Some(Column::Country), Problem::CountryRequired(code)));
                None
            }
        },
    };
    // Without a country the rest cannot be judged: one clear problem rather than several.
    let Some(found) = found else {
        return Err(problems);
    };
    if let Some(code) = &code {
        if problems.is_empty() && &found.insee != code {
            problems.push((
                Some(Column::Insee),
                Problem::InseeOtherCountry {
                    code: code.clone(),
                    country: country.unwrap_or(&found.name).to_owned(),
                    expected: found.insee.clone(),
                },
            ));
        }
    }
    if let Some(postal) = input.postal_code {
        problems.push((
            Some(Column::PostalCode),
            Problem::PostalAbroad(postal.to_owned()),
        ));
    }
    if input.town.is_none() {
        problems.push((Some(Column::Town), Problem::TownRequiredAbroad));
    }
    match input.town {
        Some(town) if problems.is_empty() => Ok(Birthplace::Abroad {
            country: found.name.clone(),
            insee: found.insee.clone(),
            town: town.to_owned(),
        }),
        _ => Err(problems),
    }
}

fn by_insee(
    input: &BirthplaceInput,
    code: &str,
    communes: &Communes,
) -> Result<Birthplace, BirthplaceProblems> {
    if !insee_shaped(code) {
        return Err(vec![(
            Some(Column::Insee),
            Problem::InseeShape(code.to_owned()),
        )]);
    }
    let entries = communes.by_code(code);
    let Some(first) = entries.first() else {
        return Err(vec![(
            Some(Column::Insee),
            Problem::InseeUnknown(code.to_owned()),
        )]);
    };
    let official = official_name(first, communes);
    let mut problems = Vec::new();
    if let Some(town) = input.town {
        if !town_matches_code(town, code, &entries, communes) {
            let named = entries.iter().copied().filter(|c| !c.name.is_empty());
            let problem = match closest(town, named) {
                Some(near) => Problem::TownSpelling {
                    town: town.to_owned(),
                    official: near.name.clone(),
                },
                None => Problem::TownNotInsee {
                    town: town.to_owned(),
                    code: code.to_owned(),
                    official: official.clone(),
                },
            };
            problems.push((Some(Column::Town), problem));
        }
    }
    let postal_code = match input.postal_code.map(pad_code) {
        None => None,
        Some(postal) if !postal_shaped(&postal) => {
            problems.push((Some(Column::PostalCode), Problem::PostalShape(postal)));
            None
        }
        Some(postal) => {
            let mut expected: Vec<&str> = Vec::new();
            for entry in &entries {
                for commune in [*entry, communes.current_of(entry)] {
                    for pc in &commune.postal_codes {
                        if !expected.contains(&pc.as_str()) {
                            expected.push(pc);
                        }
                    }
                }
            }
            if !expected.contains(&postal.as_str()) {
                problems.push((
                    Some(Column::PostalCode),
                    Problem::PostalNotInsee {
                        postal: postal.clone(),
                        code: code.to_owned(),
                        expected: expected.join(", "),
                    },
                ));
            }
            Some(postal)
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Birthplace::France {
        insee: code.to_owned(),
        postal_code,
        town: input.town.map_or(official, str::to_owned),
    })
}

/// The town agrees with the code if it names the code's commune, the commune it merged into or
/// one of its own arrondissements or delegated communes: `75115` with `Paris`, `75056` with
/// `Paris 15e`, a delegated commune's code with the new commune's name, and the reverse. A
/// former code whose name the list lost accepts any town: there is nothing to check it against.
fn town_matches_code(town: &str, code: &str, entries: &[&Commune], communes: &Communes) -> bool {
    if entries.iter().all(|c| c.name.is_empty()) {
        return true;
    }
    let key = normalise_town(town);
    if entries.iter().any(|c| normalise_town(&c.name) == key) {
        return true;
    }
    let parents: Vec<&str> = entries.iter().filter_map(|c| c.parent.as_deref()).collect();
    communes.by_name(town).iter().any(|named| {
        named.parent.as_deref() == Some(code) || parents.contains(&named.code.as_str())
    })
}

fn official_name(entry: &Commune, communes: &Communes) -> String {
    if entry.name.is_empty() {
        communes.current_of(entry).name.clone()
    } else {
        entry.name.clone()
    }
}

fn by_postal_code(
    input: &BirthplaceInput,
    communes: &Communes,
) -> Result<Birthplace, BirthplaceProblems> {
    let (postal, town) = match (input.postal_code, input.town) {
        (Some(postal), Some(town)) => (pad_code(postal), town),
        (Some(_), None) => return Err(vec![(Some(Column::Town), Problem::BirthplaceIncomplete)]),
        (None, Some(_)) => {
            return Err(vec![(
                Some(Column::PostalCode),
                Problem::BirthplaceIncomplete,
            )])
        }
        (None, None) => return Err(vec![(Some(Column::Insee), Problem::BirthplaceIncomplete)]),
    };
    if !postal_shaped(&postal) {
        return Err(vec![(
            Some(Column::PostalCode),
            Problem::PostalShape(postal),
        )]);
    }
    let at_postal = communes.by_postal_code(&postal);
    if at_postal.is_empty() {
        return Err(vec![(
            Some(Column::PostalCode),
            Problem::PostalUnknown(postal),
        )]);
    }
    // Through the name index, so the short forms (`Paris 15e`, `St-Étienne`) match too.
    let named = communes.by_name(town);
    if let Some(found) = at_postal
        .iter()
        .find(|c| named.iter().any(|n| std::ptr::eq(*n, **c)))
    {
        return Ok(Birthplace::France {
            insee: found.code.clone(),
            postal_code: Some(postal),
            town: town.to_owned(),
        });
    }
    let problem = if let Some(near) = closest(town, at_postal.iter().copied()) {
        Problem::TownSpelling {
            town: town.to_owned(),
            official: near.name.clone(),
        }
    } else {
        let elsewhere = communes.by_name(town);
        if elsewhere.is_empty() {
            let mut known: Vec<&str> = at_postal
                .iter()
                .map(|c| c.name.as_str())
                .take(LISTED)
                .collect();
            if at_postal.len() > LISTED {
                known.push("…");
            }
            Problem::TownNotAtPostal {
                town: town.to_owned(),
                postal,
                known: known.join(", "),
            }
        } else {
            let codes: Vec<String> = elsewhere
                .iter()
                .take(LISTED)
                .map(|c| {
                    let own = if c.postal_codes.is_empty() {
                        &communes.current_of(c).postal_codes
                    } else {
                        &c.postal_codes
                    };
                    format!("{} {}", own.join("/"), c.name)
                })
                .collect();
            Problem::TownElsewhere {
                town: town.to_owned(),
                postal,
                elsewhere: codes.join(" ; "),
            }
        }
    };
    Err(vec![(Some(Column::Town), problem)])
}

/// Spreadsheets drop the leading zero of `01004` or `01400`; put it back. Corsican letters are
/// upper-cased (`2a004`).
fn pad_code(code: &str) -> String {
    let code = code.trim().to_ascii_uppercase();
    if code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit()) {
        format!("0{code}")
    } else {
        code
    }
}

fn insee_shaped(code: &str) -> bool {
    let bytes = code.as_bytes();
    let [a, b, rest @ ..] = bytes else {
        return false;
    };
    let department_ok =
        (a.is_ascii_digit() && b.is_ascii_digit()) || (*a == b'2' && (*b == b'A' || *b == b'B'));
    department_ok && rest.len() == 3 && rest.iter().all(u8::is_ascii_digit)
}

fn postal_shaped(code: &str) -> bool {
    code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit())
}

/// France itself, and its overseas departments and collectivities, which people often write as
/// the "country" of a birth in, say, Pointe-à-Pitre.
fn is_france(country: &str) -> bool {
    matches!(
        normalise_name(country).as_str(),
        "france"
            | "fr"
            | "fra"
            | "99100"
            | "france metropolitaine"
            | "republique francaise"
            | "guadeloupe"
            | "martinique"
            | "guyane"
            | "guyane francaise"
            | "la reunion"
            | "reunion"
            | "mayotte"
            | "saint pierre et miquelon"
            | "saint barthelemy"
            | "saint martin"
            | "nouvelle caledonie"
            | "polynesie francaise"
            | "wallis et futuna"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(
        town: Option<&str>,
        postal: Option<&str>,
        insee: Option<&str>,
        country: Option<&str>,
    ) -> Result<Birthplace, BirthplaceProblems> {
        let input = BirthplaceInput {
            town,
            postal_code: postal,
            insee,
            country,
        };
        check_birthplace(&input, Communes::embedded())
    }

    fn insee_of(result: Result<Birthplace, BirthplaceProblems>) -> String {
        match result {
            Ok(Birthplace::France { insee, .. }) => insee,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn france_by_code_or_postal_code_and_town() {
        assert_eq!(insee_of(check(None, None, Some("1004"), None)), "01004");
        assert_eq!(
            insee_of(check(None, None, Some("2a004"), Some("France"))),
            "2A004"
        );
        assert_eq!(
            insee_of(check(Some("Ambérieu en Bugey"), Some("1500"), None, None)),
            "01004"
        );
        assert_eq!(
            insee_of(check(Some("Paris"), Some("75015"), Some("75115"), None)),
            "75115"
        );
        assert_eq!(
            insee_of(check(Some("Paris 15e"), None, Some("75056"), None)),
            "75056"
        );
        assert_eq!(
            insee_of(check(Some("St-Étienne"), Some("42000"), None, None)),
            "42218"
        );
        // Former name of a merged commune, by its postal code and by its own code.
        assert_eq!(
            insee_of(check(
                Some("Bellegarde-sur-Valserine"),
                Some("01200"),
                None,
                None
            )),
            "01033"
        );
        assert_eq!(
            insee_of(check(
                Some("Bellegarde-sur-Valserine"),
                None,
                Some("01033"),
                None
            )),
            "01033"
        );
        assert_eq!(
            insee_of(check(
                Some("Pointe-à-Pitre"),
                None,
                Some("97120"),
                Some("Guadeloupe")
            )),
            "97120"
        );
    }

    #[test]
    fn contradictions_are_named() {
        let e = check(Some("Lyon"), None, Some("01004"), None).unwrap_err();
        assert!(
            matches!(&e[0], (Some(Column::Town), Problem::TownNotInsee { .. })),
            "{e:?}"
        );
        let e = check(Some("Ambérieu-en-Bugay"), None, Some("01004"), None).unwrap_err();
        assert!(
            matches!(&e[0], (Some(Column::Town), Problem::TownSpelling { official, .. }) if official == "Ambérieu-en-Bugey"),
            "{e:?}"
        );
        let e = check(None, Some("75001"), Some("01004"), None).unwrap_err();
        assert!(
            matches!(
                &e[0],
                (Some(Column::PostalCode), Problem::PostalNotInsee { .. })
            ),
            "{e:?}"
        );
        let e = check(Some("Lyon"), Some("01500"), None, None).unwrap_err();
        assert!(
            matches!(&e[0], (Some(Column::Town), Problem::TownElsewhere { .. })),
            "{e:?}"
        );
        let e = check(Some("Madrid"), None, Some("01004"), Some("Espagne")).unwrap_err();
        assert!(
            matches!(&e[0], (Some(Column::Insee), Problem::InseeNotAbroad { .. })),
            "{e:?}"
        );
    }

    #[test]
    fn abroad() {
        let madrid = Birthplace::Abroad {
            country: "Espagne".into(),
            insee: "99134".into(),
            town: "Madrid".into(),
        };
        assert_eq!(
            check(Some("Madrid"), None, Some("99134"), Some("Espagne")).unwrap(),
            madrid
        );
        // The national template's way: `99` alone, the country as people write it.
        assert_eq!(
            check(Some("Madrid"), None, Some("99"), Some("ESPAGNE")).unwrap(),
            madrid
        );
        assert_eq!(
            check(Some("Madrid"), None, None, Some("Spain")).unwrap(),
            madrid
        );
        // The code alone names the country.
        assert_eq!(
            check(Some("Madrid"), None, Some("99134"), None).unwrap(),
            madrid
        );
        let e = check(Some("Madrid"), None, Some("99243"), Some("Espagne")).unwrap_err();
        assert!(
            matches!(&e[0], (Some(Column::Insee), Problem::InseeOtherCountry { expected, .. }) if expected == "99134"),
            "{e:?}"
        );
        let e = check(Some("Madrid"), None, Some("99"), Some("Espagnr")).unwrap_err();
        assert!(
            matches!(&e[0], (Some(Column::Country), Problem::CountryUnknown { closest: Some(c), .. }) if c == "Espagne"),
            "{e:?}"
        );
        let e = check(Some("Nulle part"), None, Some("99999"), None).unwrap_err();
        assert!(
            matches!(&e[0], (Some(Column::Insee), Problem::CountryCodeUnknown(_))),
            "{e:?}"
        );
        let e = check(None, None, None, Some("Espagne")).unwrap_err();
        assert!(matches!(
            &e[0],
            (Some(Column::Town), Problem::TownRequiredAbroad)
        ));
        let e = check(Some("Madrid"), None, Some("99"), None).unwrap_err();
        assert!(
            matches!(&e[0], (Some(Column::Country), Problem::CountryRequired(_))),
            "{e:?}"
        );
    }
}
