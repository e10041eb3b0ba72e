//! Alphabetical order of people's names as a French reader expects it.
//!
//! A byte or `char` order puts `Zoé` before `Émile` (É is U+00C9, after Z) and `de La Tour`
//! after `Dupont` (lower case after upper case). French dictionaries (and CLDR's French
//! collation) compare letters first, ignoring case, accents and the punctuation inside names
//! (spaces, hyphens, apostrophes); accents then case only break ties. We implement that with
//! three comparison levels instead of pulling in a full ICU collator for one list.

use std::cmp::Ordering;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Compares two names: letters first (case, accents and punctuation ignored), then accents,
/// then case and punctuation, then the raw text so the order is total and stable.
pub fn compare_names(a: &str, b: &str) -> Ordering {
    primary_key(a)
        .cmp(&primary_key(b))
        .then_with(|| secondary_key(a).cmp(&secondary_key(b)))
        .then_with(|| tertiary_key(a).cmp(&tertiary_key(b)))
        .then_with(|| a.cmp(b))
}

/// What a list of people is sorted by, borrowed from whatever row type the list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PersonKey<'a> {
    pub birth_name: &'a str,
    pub first_name: &'a str,
    pub birthdate: &'a str,
    pub local_id: &'a str,
}

/// The order of every list of candidates a session prints, so the attendance sheet and the
/// session report read in the same order: birth name then first name, letters first (case,
/// accents, hyphens and apostrophes ignored), then accents and case. Whole names are compared
/// letters-first before any accent decides, so `Lefevre, Zoé` does not come before
/// `Lefèvre, Anne`. Birthdate and local identifier only break ties between homonyms.
pub fn compare_people(a: &PersonKey, b: &PersonKey) -> Ordering {
    primary_key(a.birth_name)
        .cmp(&primary_key(b.birth_name))
        .then_with(|| primary_key(a.first_name).cmp(&primary_key(b.first_name)))
        .then_with(|| compare_names(a.birth_name, b.birth_name))
        .then_with(|| compare_names(a.first_name, b.first_name))
        .then_with(|| a.birthdate.cmp(b.birthdate))
        .then_with(|| a.local_id.cmp(b.local_id))
}

/// Base letters and digits in lower case: `Jean-Éudes` → `jeaneudes`, `Øystein Ærø` →
/// `oysteinaero`, `Đặng` → `dang`.
pub fn primary_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len());
    for ch in name.nfd() {
        if is_combining_mark(ch) || !ch.is_alphanumeric() {
            continue;
        }
        match fold_letter(ch) {
            Some(folded) => key.push_str(folded),
            None => key.extend(ch.to_lowercase()),
        }
    }
    key
}

/// Letters with their accents, lower case, punctuation ignored: `é` sorts after `e` only when
/// the letters are otherwise equal (`Lefevre` < `Lefèvre`).
fn secondary_key(name: &str) -> String {
    name.nfc()
        .filter(|ch| ch.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Lower case before upper case (as CLDR does), punctuation counted.
fn tertiary_key(name: &str) -> Vec<(bool, char)> {
    name.nfc().map(|ch| (ch.is_uppercase(), ch)).collect()
}

/// Letters that do not decompose into a base letter plus marks under NFD.
fn fold_letter(ch: char) -> Option<&'static str> {
    Some(match ch {
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ø' | 'Ø' => "o",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'ł' | 'Ł' => "l",
        'ß' | 'ẞ' => "ss",
        'þ' | 'Þ' => "th",
        'ı' => "i",
        'ħ' | 'Ħ' => "h",
        'ŀ' | 'Ŀ' => "l",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| compare_names(a, b));
        v
    }

    #[test]
    fn accents_and_case_do_not_decide_the_letter_order() {
        assert_eq!(
            sorted(&[
                "Zoé", "Émile", "eva", "Ève", "Adèle", "Øystein", "Olga", "Đặng", "Dupont"
            ]),
            vec![
                "Adèle", "Đặng", "Dupont", "Émile", "eva", "Ève", "Olga", "Øystein", "Zoé"
            ]
        );
    }

    #[test]
    fn punctuation_inside_names_is_ignored() {
        // "delatour" < "dupont"; "ndiaye" < "nguyen".
        assert_eq!(
            sorted(&[
                "Dupont",
                "de La Tour d'Auvergne",
                "Nguyen",
                "N'Diaye-Lefèvre"
            ]),
            vec![
                "de La Tour d'Auvergne",
                "Dupont",
                "N'Diaye-Lefèvre",
                "Nguyen"
            ]
        );
    }

    #[test]
    fn ties_are_broken_by_accent_then_case() {
        assert_eq!(
            sorted(&["Lefèvre", "LEFEVRE", "Lefevre"]),
            vec!["Lefevre", "LEFEVRE", "Lefèvre"]
        );
        // Decomposed input (pasted from macOS) sorts with its composed twin.
        assert_eq!(primary_key("Zoe\u{301}"), primary_key("Zoé"));
        assert_eq!(secondary_key("Zoe\u{301}"), secondary_key("Zoé"));
    }
}
