//! Who a candidate is, for comparing: names folded the way people type them, plus the
//! birthdate. The national rule: two candidates with the same names and birthdate are one
//! person. The centre's lists, their imports and the room hub's identity check at the kiosk all
//! compare through [`match_key`], so they can never disagree on who is who.

use chrono::NaiveDate;

/// The identity used to spot duplicates and to match a candidate typing their name at the
/// kiosk: normalised names plus birthdate.
///
/// Spaces are dropped too: a pupil typing `dalmeida` or `delafontaine` at the kiosk is the
/// `D'Almeida` or `de La Fontaine` of the list, and two lines that differ only by a space,
/// with the same first name and birthdate, are one person typed twice.
pub fn match_key(birth_name: &str, first_name: &str, birthdate: NaiveDate) -> String {
    format!(
        "{}|{}|{}",
        normalise_name(birth_name).replace(' ', ""),
        normalise_name(first_name).replace(' ', ""),
        birthdate.format("%Y-%m-%d")
    )
}

/// Folds a name to compare it, never to display it: lower case, accents and ligatures removed,
/// hyphens, apostrophes, dots and underscores read as spaces, runs of spaces collapsed. So
/// `  JEAN-PIERRE`, `Jean Pierre` and `jean–pierre` are one name, as are `D'Almeida` and
/// `d’ALMEIDA`, and `Éloïse` and `Eloise` (people type without accents, spreadsheets add them).
pub fn normalise_name(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for ch in text.chars() {
        if is_separator(ch) {
            pending_space = !out.is_empty();
            continue;
        }
        // Combining marks come from decomposed (NFD) input, e.g. names copied from a Mac.
        if ('\u{300}'..='\u{36f}').contains(&ch) {
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match fold_char(ch) {
            Some(folded) => out.push_str(folded),
            None => out.extend(ch.to_lowercase()),
        }
    }
    out
}

fn is_separator(ch: char) -> bool {
    ch.is_whitespace()
        || matches!(
            ch,
            '-' | '\'' | '’' | '‘' | 'ʼ' | '`' | '´' | '‐' | '‑' | '–' | '—' | '.' | '_' | ','
        )
}

/// Latin letters with diacritics that appear in French civil status (and the neighbouring
/// languages schools see most), folded to their base letters.
fn fold_char(ch: char) -> Option<&'static str> {
    Some(match ch {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å'
        | 'Ā' | 'Ă' | 'Ą' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'ć' | 'č' | 'Ç' | 'Ć' | 'Č' => "c",
        'ď' | 'đ' | 'Ď' | 'Đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' | 'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ė' | 'Ę'
        | 'Ě' => "e",
        'ğ' | 'Ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' | 'Į' | 'İ' => {
            "i"
        }
        'ł' | 'ľ' | 'Ł' | 'Ľ' => "l",
        'ñ' | 'ń' | 'ň' | 'Ñ' | 'Ń' | 'Ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō'
        | 'Ő' => "o",
        'œ' | 'Œ' => "oe",
        'ř' | 'Ř' => "r",
        'ś' | 'š' | 'ş' | 'ș' | 'Ś' | 'Š' | 'Ş' | 'Ș' => "s",
        'ß' => "ss",
        'ť' | 'ţ' | 'ț' | 'Ť' | 'Ţ' | 'Ț' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ū' | 'Ů' | 'Ű'
        | 'Ų' => "u",
        'ý' | 'ÿ' | 'Ý' | 'Ÿ' => "y",
        'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => "z",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_and_separators() {
        assert_eq!(normalise_name("  JEAN-PIERRE "), "jean pierre");
        assert_eq!(normalise_name("jean–pierre"), "jean pierre");
        assert_eq!(normalise_name("D’Almeida"), normalise_name("d'ALMEIDA"));
        assert_eq!(normalise_name("Éloïse"), "eloise");
        assert_eq!(normalise_name("E\u{301}loi\u{308}se"), "eloise");
        assert_eq!(normalise_name("Lætitia Œuvrard"), "laetitia oeuvrard");
        assert_eq!(normalise_name("de  La   Fontaine"), "de la fontaine");
        assert_ne!(normalise_name("Marie"), normalise_name("Mari"));
    }

    #[test]
    fn match_key_ignores_spelling_variants_not_dates() {
        let d = NaiveDate::from_ymd_opt(2010, 3, 14).unwrap();
        let e = NaiveDate::from_ymd_opt(2010, 3, 15).unwrap();
        assert_eq!(match_key("Dupré", "Zoé", d), match_key("DUPRE", "zoe", d));
        assert_eq!(
            match_key("de La Fontaine", "Jean-Noël", d),
            match_key("delafontaine", "jean noel", d)
        );
        assert_ne!(match_key("Dupré", "Zoé", d), match_key("Dupré", "Zoé", e));
    }
}
