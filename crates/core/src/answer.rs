//! Answer checking, exactly as the certification facts §6 describe it.
//!
//! Checking is total: any [`Response`] against any item yields `true` or `false`, never a panic. A
//! response whose shape does not fit the item type is simply wrong, and text longer than
//! [`MAX_TEXT_CHARS`] is wrong without being examined, which bounds the cost of the edit distance.

use crate::bank::{Field, Item, ItemType, Solution, Tolerances};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest typed text (in characters) that is examined; longer text is wrong. Accepted answers in a
/// bank are at most [`crate::bank::MAX_ACCEPTED_CHARS`], so nothing right is lost.
pub const MAX_TEXT_CHARS: usize = 1000;

/// t3 threshold: Levenshtein distance ÷ length of the treated answer must not exceed this.
pub const T3_MAX_RATIO: f64 = 0.25;

/// What the kiosk sends for a question. JSON shapes (exactly one key):
/// `{"choice":2}`, `{"choices":[1,3]}`, `{"fields":{"k":"text"}}`, `{"skip":true}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(try_from = "RawResponse", into = "RawResponse")]
#[ts(as = "ResponseJson")]
pub enum Response {
    /// QCU: a 1-based proposal index.
    Choice(i64),
    /// QCM: 1-based proposal indices, any order.
    Choices(Vec<i64>),
    /// QROC / QROCM: typed text per field key.
    Fields(BTreeMap<String, String>),
    /// The candidate skipped the question (counts as wrong).
    Skip,
}

impl Response {
    /// Whether this is a skip.
    pub fn is_skip(&self) -> bool {
        matches!(self, Response::Skip)
    }
}

/// The JSON of a [`Response`] for TypeScript: `RawResponse` lets serde read any mix of keys and
/// refuse the wrong ones, but the page must be held to exactly one.
#[derive(ts_rs::TS)]
#[ts(untagged)]
#[expect(dead_code, reason = "only its TypeScript declaration is used")]
enum ResponseJson {
    Choice {
        choice: i64,
    },
    Choices {
        choices: Vec<i64>,
    },
    Fields {
        fields: BTreeMap<String, String>,
    },
    Skip {
        #[ts(type = "true")]
        skip: bool,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    choice: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    choices: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fields: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    skip: Option<bool>,
}

impl TryFrom<RawResponse> for Response {
    type Error = String;
    fn try_from(r: RawResponse) -> Result<Self, String> {
        match (r.choice, r.choices, r.fields, r.skip) {
            (Some(c), None, None, None) => Ok(Response::Choice(c)),
            (None, Some(c), None, None) => Ok(Response::Choices(c)),
            (None, None, Some(f), None) => Ok(Response::Fields(f)),
            (None, None, None, Some(true)) => Ok(Response::Skip),
            _ => Err(
                "une réponse porte exactement une clé parmi choice, choices, fields, skip:true"
                    .into(),
            ),
        }
    }
}

impl From<Response> for RawResponse {
    fn from(r: Response) -> Self {
        let mut raw = RawResponse {
            choice: None,
            choices: None,
            fields: None,
            skip: None,
        };
        match r {
            Response::Choice(c) => raw.choice = Some(c),
            Response::Choices(c) => raw.choices = Some(c),
            Response::Fields(f) => raw.fields = Some(f),
            Response::Skip => raw.skip = Some(true),
        }
        raw
    }
}

/// Whether `response` is a right answer to `item` (timers and focus rules are the engine's).
pub fn check(item: &Item, response: &Response) -> bool {
    match (&item.solution, response) {
        (_, Response::Skip) => false,
        (Solution::Choice(want), Response::Choice(got)) => {
            item.kind == ItemType::Qcu && i64::from(*want) == *got
        }
        (Solution::Choices(want), Response::Choices(got)) => {
            if item.kind != ItemType::Qcm || got.len() > 64 {
                return false;
            }
            let mut got: Vec<i64> = got.clone();
            got.sort_unstable();
            got.dedup();
            got.len() == want.len() && got.iter().zip(want).all(|(g, w)| *g == i64::from(*w))
        }
        (Solution::Fields(want), Response::Fields(got)) => {
            matches!(item.kind, ItemType::Qroc | ItemType::QrocmInd)
                && got.len() == want.len()
                && want.iter().all(|(key, accepted)| {
                    let Some(typed) = got.get(key) else {
                        return false;
                    };
                    let numeric = item.fields.get(key).is_some_and(|f: &Field| f.numeric);
                    field_matches(typed, accepted, numeric, &item.tolerances)
                })
        }
        (Solution::Groups(groups), Response::Fields(got)) => {
            if item.kind != ItemType::QrocmDep
                || got.len() != groups.len()
                || got.len() != item.fields.len()
                || !item.fields.keys().all(|k| got.contains_key(k))
            {
                return false;
            }
            let numeric = item.fields.values().any(|f| f.numeric);
            // fields[i] can take group j when its text matches one of j's accepted answers; the
            // answer is right when every field takes a distinct group (a perfect matching).
            let typed: Vec<&String> = got.values().collect();
            let can: Vec<Vec<bool>> = typed
                .iter()
                .map(|t| {
                    groups
                        .iter()
                        .map(|g| field_matches(t, g, numeric, &item.tolerances))
                        .collect()
                })
                .collect();
            perfect_matching(&can)
        }
        _ => false,
    }
}

/// Kuhn's augmenting paths; sizes are at most a handful of fields.
fn perfect_matching(can: &[Vec<bool>]) -> bool {
    let n = can.len();
    let mut owner: Vec<Option<usize>> = vec![None; n];
    fn augment(
        f: usize,
        can: &[Vec<bool>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        let Some(row) = can.get(f) else { return false };
        for (g, ok) in row.iter().enumerate() {
            if !*ok || seen.get(g).copied().unwrap_or(true) {
                continue;
            }
            if let Some(s) = seen.get_mut(g) {
                *s = true;
            }
            let holder = owner.get(g).copied().flatten();
            let free = match holder {
                None => true,
                Some(other) => augment(other, can, seen, owner),
            };
            if free {
                if let Some(o) = owner.get_mut(g) {
                    *o = Some(f);
                }
                return true;
            }
        }
        false
    }
    (0..n).all(|f| {
        let mut seen = vec![false; n];
        augment(f, can, &mut seen, &mut owner)
    })
}

/// One typed field against its accepted answers.
pub fn field_matches(typed: &str, accepted: &[String], numeric: bool, tol: &Tolerances) -> bool {
    if typed.chars().count() > MAX_TEXT_CHARS {
        return false;
    }
    if numeric {
        let Some(x) = parse_number(typed) else {
            return false;
        };
        return accepted.iter().any(|a| parse_number(a) == Some(x));
    }
    let answer = treat(typed, tol);
    accepted.iter().any(|a| {
        let sol = treat(a, tol);
        if answer == sol {
            return true;
        }
        tol.t3 && within_t3(&answer, &sol)
    })
}

/// Apply the switched-on treatments. Surrounding whitespace is always ignored, even with t1 off:
/// a stray trailing space is never what a question tests.
pub fn treat(s: &str, tol: &Tolerances) -> String {
    let mut out: String = if tol.t1 { t1(s) } else { s.trim().to_string() };
    if tol.t2 {
        out = t2(&out);
    }
    out
}

/// t1: trim, lower-case, strip accents, remove all whitespace.
pub fn t1(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars().flat_map(char::to_lowercase) {
        if c.is_whitespace() || is_combining_mark(c) {
            continue;
        }
        match fold_accent(c) {
            Some(f) => out.push_str(f),
            None => out.push(c),
        }
    }
    out
}

/// t2: drop every character that is not a letter, a digit or a space.
pub fn t2(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect()
}

fn within_t3(answer: &str, solution: &str) -> bool {
    let a: Vec<char> = answer.chars().collect();
    let s: Vec<char> = solution.chars().collect();
    if a.is_empty() {
        return false;
    }
    let len = a.len() as f64;
    // The distance is at least the length difference: skip the quadratic work when that alone fails.
    if (a.len().abs_diff(s.len()) as f64) / len > T3_MAX_RATIO {
        return false;
    }
    (levenshtein(&a, &s) as f64) / len <= T3_MAX_RATIO
}

/// Levenshtein distance over characters.
pub fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(c0) = cur.first_mut() {
            *c0 = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(c) = cur.get_mut(j + 1) {
                *c = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

/// A `nombre` value: optional sign, digits, optional decimal part after `,` or `.`; spaces (also
/// non-breaking ones, used as thousands separators in French) are ignored.
pub fn parse_number(s: &str) -> Option<f64> {
    if s.chars().count() > 64 {
        return None;
    }
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let body = compact.strip_prefix(['+', '-']).unwrap_or(&compact);
    let mut parts = body.splitn(2, [',', '.']);
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    if !digits(int)
        || !frac.is_none_or(digits)
        || (int.is_empty() && frac.is_none_or(str::is_empty))
    {
        return None;
    }
    let normalised = compact.replace(',', ".");
    normalised.parse::<f64>().ok().filter(|x| x.is_finite())
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

/// Lower-case Latin letters with diacritics (French and neighbours) to their base letters.
fn fold_accent(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' => "s",
        'ţ' | 'ť' | 'ŧ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'œ' => "oe",
        'æ' => "ae",
        'ß' => "ss",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::tests_support::{qcm, qcu, qroc, qrocm_dep, qrocm_ind};
    use proptest::prelude::*;

    fn fields(pairs: &[(&str, &str)]) -> Response {
        Response::Fields(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }
    const ALL: Tolerances = Tolerances {
        t1: true,
        t2: true,
        t3: true,
    };
    const NONE: Tolerances = Tolerances {
        t1: false,
        t2: false,
        t3: false,
    };

    #[test]
    fn response_json_shapes_round_trip() {
        for (json, r) in [
            (r#"{"choice":2}"#, Response::Choice(2)),
            (r#"{"choices":[1,3]}"#, Response::Choices(vec![1, 3])),
            (r#"{"fields":{"k":"v"}}"#, fields(&[("k", "v")])),
            (r#"{"skip":true}"#, Response::Skip),
        ] {
            let parsed: Response = serde_json::from_str(json)
                .map_err(|e| e.to_string())
                .unwrap();
            assert_eq!(parsed, r);
            assert_eq!(
                serde_json::to_string(&r)
                    .map_err(|e| e.to_string())
                    .unwrap(),
                json
            );
        }
        for bad in [
            r#"{"skip":false}"#,
            r#"{}"#,
            r#"{"choice":1,"skip":true}"#,
            r#"{"x":1}"#,
        ] {
            assert!(serde_json::from_str::<Response>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn t1_trims_lowercases_strips_accents_and_spaces() {
        assert_eq!(t1("  Élève  Noël "), "elevenoel");
        assert_eq!(t1("E\u{301}te\u{301}"), "ete");
        assert_eq!(t1("Cœur"), "coeur");
    }

    #[test]
    fn t2_drops_punctuation() {
        assert_eq!(t2("l'école, c'est ça !"), "lécole cest ça ");
    }

    #[test]
    fn tolerances_switch_individually() {
        let acc = vec!["Mot de passe".to_string()];
        assert!(field_matches(
            "motdepasse",
            &acc,
            false,
            &Tolerances {
                t1: true,
                t2: false,
                t3: false
            }
        ));
        assert!(!field_matches("motdepasse", &acc, false, &NONE));
        assert!(
            field_matches("  Mot de passe ", &acc, false, &NONE),
            "trim always"
        );
        assert!(
            !field_matches("mot de passe", &acc, false, &NONE),
            "case matters without t1"
        );
        assert!(!field_matches(
            "mot-de-passe",
            &acc,
            false,
            &Tolerances {
                t1: true,
                t2: false,
                t3: false
            }
        ));
        assert!(field_matches(
            "mot-de-passe",
            &acc,
            false,
            &Tolerances {
                t1: true,
                t2: true,
                t3: false
            }
        ));
    }

    #[test]
    fn t3_uses_distance_over_treated_answer_length() {
        let acc = vec!["navigateur".to_string()]; // 10 chars
        let t3 = Tolerances {
            t1: true,
            t2: true,
            t3: true,
        };
        assert!(field_matches("navigatuer", &acc, false, &t3)); // distance 2 / 10
        assert!(field_matches("navigtr", &acc, false, &ALL) == (3.0 / 7.0 <= T3_MAX_RATIO));
        assert!(!field_matches("navigtr", &acc, false, &ALL));
        assert!(!field_matches(
            "navigatuer",
            &acc,
            false,
            &Tolerances { t3: false, ..t3 }
        ));
        // 4 chars: one typo is 0.25, accepted; two is 0.5, refused.
        let acc = vec!["wifi".to_string()];
        assert!(field_matches("wifu", &acc, false, &ALL));
        assert!(!field_matches("wfu", &acc, false, &ALL));
        assert!(!field_matches("", &acc, false, &ALL));
    }

    #[test]
    fn numbers_compare_numerically_with_comma_decimals() {
        let acc = vec!["3.5".to_string()];
        for ok in ["3,5", "3.50", " 3,500 ", "+3,5"] {
            assert!(field_matches(ok, &acc, true, &ALL), "{ok}");
        }
        for bad in [
            "3,6", "3,5 €", "trois", "", "3,,5", "inf", "NaN", "1e5", ",",
        ] {
            assert!(!field_matches(bad, &acc, true, &ALL), "{bad}");
        }
        assert_eq!(parse_number("1 000,25"), Some(1000.25));
        assert_eq!(parse_number("-,5"), Some(-0.5));
    }

    #[test]
    fn qcu_is_the_one_based_index() {
        let item = qcu(2, 4);
        assert!(check(&item, &Response::Choice(2)));
        assert!(!check(&item, &Response::Choice(1)));
        assert!(!check(&item, &Response::Choice(-2)));
        assert!(
            !check(&item, &Response::Choices(vec![2])),
            "wrong shape is wrong"
        );
        assert!(!check(&item, &Response::Skip));
    }

    #[test]
    fn qcm_is_set_equality_without_partial_credit() {
        let item = qcm(&[1, 3], 4);
        assert!(check(&item, &Response::Choices(vec![3, 1])));
        assert!(check(&item, &Response::Choices(vec![1, 3, 3])));
        assert!(!check(&item, &Response::Choices(vec![1])));
        assert!(!check(&item, &Response::Choices(vec![1, 2, 3])));
        assert!(!check(&item, &Response::Choice(1)));
    }

    #[test]
    fn qroc_and_qrocm_ind_check_every_field() {
        let item = qroc("Navigateur");
        assert!(check(&item, &fields(&[("r", "navigateur")])));
        assert!(!check(&item, &fields(&[("r", "moteur")])));
        assert!(!check(&item, &fields(&[("other", "navigateur")])));
        assert!(!check(&item, &fields(&[("r", "navigateur"), ("x", "y")])));
        let item = qrocm_ind(&[("a", &["12"]), ("b", &["rouge"])]);
        assert!(check(&item, &fields(&[("a", "12"), ("b", "Rouge")])));
        assert!(!check(&item, &fields(&[("a", "12"), ("b", "vert")])));
        assert!(!check(&item, &fields(&[("a", "12")])));
    }

    #[test]
    fn qrocm_dep_needs_distinct_groups_in_any_order() {
        let item = qrocm_dep(&["a", "b"], &[&["Paris"], &["Lyon", "Lyon 1er"]]);
        assert!(check(&item, &fields(&[("a", "Lyon"), ("b", "Paris")])));
        assert!(check(&item, &fields(&[("a", "paris"), ("b", "lyon 1er")])));
        assert!(
            !check(&item, &fields(&[("a", "Paris"), ("b", "Paris")])),
            "distinct groups"
        );
        assert!(!check(&item, &fields(&[("a", "Paris")])));
        assert!(!check(&item, &fields(&[("a", "Paris"), ("c", "Lyon")])));
    }

    #[test]
    fn over_long_text_is_wrong_without_work() {
        let item = qroc("a");
        let long = "a".repeat(MAX_TEXT_CHARS + 1);
        assert!(!check(&item, &fields(&[("r", &long)])));
    }

    fn scramble_case_and_spaces(s: &str, mask: u64) -> String {
        s.chars()
            .enumerate()
            .map(|(i, c)| {
                let up = if mask >> (i % 64) & 1 == 1 {
                    c.to_uppercase().collect::<String>()
                } else {
                    c.to_string()
                };
                if mask >> ((i + 7) % 64) & 1 == 1 {
                    format!(" {up}")
                } else {
                    up
                }
            })
            .collect()
    }

    proptest! {
        #[test]
        fn t1_ignores_case_accents_and_spaces(word in "[a-z]{1,20}", mask in any::<u64>()) {
            let accented: String = word.chars().map(|c| match c { 'e' => 'é', 'a' => 'à', 'c' => 'ç', o => o }).collect();
            let typed = scramble_case_and_spaces(&accented, mask);
            let t = Tolerances { t1: true, t2: false, t3: false };
            prop_assert!(field_matches(&typed, std::slice::from_ref(&word), false, &t));
        }

        #[test]
        fn qcm_ignores_order(mut picks in proptest::collection::vec(1i64..=8, 1..8), seed in any::<u64>()) {
            picks.sort_unstable();
            picks.dedup();
            let want: Vec<u32> = picks.iter().map(|p| *p as u32).collect();
            let item = qcm(&want, 8);
            let mut shuffled = picks.clone();
            let k = (seed as usize) % shuffled.len();
            shuffled.rotate_left(k);
            shuffled.reverse();
            prop_assert!(check(&item, &Response::Choices(shuffled)));
        }

        #[test]
        fn qrocm_dep_ignores_field_order(words in proptest::collection::btree_set("[a-z]{3,8}", 2..5), rot in 0usize..5) {
            let words: Vec<String> = words.into_iter().collect();
            let keys: Vec<String> = (0..words.len()).map(|i| format!("k{i}")).collect();
            let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            let groups: Vec<Vec<&str>> = words.iter().map(|w| vec![w.as_str()]).collect();
            let group_refs: Vec<&[&str]> = groups.iter().map(Vec::as_slice).collect();
            let item = qrocm_dep(&key_refs, &group_refs);
            let mut order = words.clone();
            order.rotate_left(rot % words.len());
            let resp = Response::Fields(keys.iter().cloned().zip(order).collect());
            prop_assert!(check(&item, &resp));
        }

        #[test]
        fn checking_never_panics(s in "\\PC{0,300}", t in ".{0,40}", n in any::<i64>()) {
            let items = [qcu(1, 3), qcm(&[1, 2], 3), qroc("réponse"), qrocm_ind(&[("a", &["1"])]), qrocm_dep(&["a", "b"], &[&["x"], &["y"]])];
            for item in &items {
                let _ = check(item, &fields(&[("r", &s)]));
                let _ = check(item, &fields(&[("a", &s), ("b", &t)]));
                let _ = check(item, &Response::Choice(n));
                let _ = check(item, &Response::Choices(vec![n, 1]));
            }
            let _ = parse_number(&s);
            let _ = field_matches(&s, std::slice::from_ref(&t), false, &ALL);
        }
    }
}
