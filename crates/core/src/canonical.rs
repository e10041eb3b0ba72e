//! Canonical JSON: the one byte form of a value that is hashed, signed and stored.
//!
//! Object keys are sorted by their UTF-8 bytes, there is no insignificant whitespace, strings
//! and numbers use serde_json's output. We do not rely on `serde_json::Map` being a BTreeMap,
//! because any crate in the build enabling serde_json's `preserve_order` would silently change
//! the bytes and break every existing chain.

use serde_json::Value;

/// Deeper values are refused: a recursive writer must not be driven into a stack overflow by a
/// value a UI or a hostile file handed us. serde_json's own parser stops at 128.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
/// Why a value has no canonical form.
pub enum CanonicalError {
    #[error(
        "valeur JSON trop imbriquée (plus de {MAX_DEPTH} niveaux) / JSON value nested too deeply"
    )]
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// The canonical bytes of `value`.
pub fn to_bytes(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    write(value, &mut out, 0)?;
    Ok(out)
}

/// True when `bytes` parse as JSON and are already in canonical form: exactly the bytes
/// [`to_bytes`] writes for the value they hold. Read in one pass without building the value,
/// because the central service checks every record of a season (BENCHMARKS.md).
pub fn is_canonical(bytes: &[u8]) -> bool {
    let mut scan = Scan::new(bytes);
    scan.value(0) && scan.at == bytes.len()
}

/// The members of `bytes` when they are a JSON object in canonical form (as [`is_canonical`]
/// checks), in order: each key, decoded, and its value's exact bytes. Checked and split in one
/// pass, so a reader takes its fields from these bytes without parsing the whole object again.
pub fn object_members(bytes: &[u8]) -> Option<Vec<Member<'_>>> {
    object_members_knowing(bytes, &[])
}

/// [`object_members`], where a member whose value is, byte for byte, `known` followed by the
/// end of that member is taken without reading `known` again. `known` must be a member's value
/// that this function returned before: canonical, and no deeper than a member's value may be.
/// A journal's headers repeat one configuration of some 130 numbers (BENCHMARKS.md).
pub fn object_members_knowing<'a>(bytes: &'a [u8], known: &[u8]) -> Option<Vec<Member<'a>>> {
    let mut scan = Scan::new(bytes);
    // A journal record has seven members: one allocation for all of them.
    let mut members = Vec::with_capacity(8);
    let whole = scan.peek() == Some(b'{')
        && scan.members(0, known, |key, value| {
            members.push(Member {
                key: key.clone(),
                value,
            })
        })
        && scan.at == bytes.len();
    whole.then_some(members)
}

/// One member of a canonical object: its key, decoded (borrowed unless it has escapes), and its
/// value's bytes, themselves canonical.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member<'a> {
    /// The key's text, escapes decoded: what keys are ordered by.
    pub key: std::borrow::Cow<'a, [u8]>,
    /// The value as written, from its first byte to its last.
    pub value: &'a [u8],
}

/// A reader that accepts only what [`write`] produces: no whitespace, keys strictly in byte
/// order, strings escaped as serde_json escapes them, numbers as serde_json writes them.
struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Numbers already found written as serde_json writes them, other than plain integers. A
    /// journal header's configuration holds some 130 of them, mostly the same handful
    /// repeated, and each first check parses and writes the number again (BENCHMARKS.md).
    numbers: Vec<&'a [u8]>,
}

/// Distinct numbers remembered by one scan: enough for a configuration's bounds, and a bound
/// on the search a value of many distinct numbers pays for each.
const REMEMBERED_NUMBERS: usize = 16;

impl<'a> Scan<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Scan {
            bytes,
            at: 0,
            numbers: Vec::new(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let found = self.peek() == Some(b);
        self.at += usize::from(found);
        found
    }

    fn value(&mut self, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match self.peek() {
            Some(b'{') => self.members(depth, &[], |_, _| {}),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().is_some(),
            Some(b't') => self.word(b"true"),
            Some(b'f') => self.word(b"false"),
            Some(b'n') => self.word(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => false,
        }
    }

    fn word(&mut self, word: &[u8]) -> bool {
        let found = self.bytes[self.at..].starts_with(word);
        if found {
            self.at += word.len();
        }
        found
    }

    fn array(&mut self, depth: usize) -> bool {
        self.at += 1;
        if self.eat(b']') {
            return true;
        }
        loop {
            if !self.value(depth + 1) {
                return false;
            }
            if self.eat(b']') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    /// An object, each member handed to `member` with its value's bytes. The key is lent, so
    /// the nested objects a caller does not keep cost no copy of it. A value that is `known`
    /// (see [`object_members_knowing`]) up to a `,` or `}` is passed over: a JSON value ends
    /// where its own bytes say, so the scan would have read exactly `known`, and accepted it.
    fn members(
        &mut self,
        depth: usize,
        known: &[u8],
        mut member: impl FnMut(&std::borrow::Cow<'a, [u8]>, &'a [u8]),
    ) -> bool {
        self.at += 1;
        if self.eat(b'}') {
            return true;
        }
        let mut previous: Option<std::borrow::Cow<'a, [u8]>> = None;
        loop {
            if self.peek() != Some(b'"') {
                return false;
            }
            let Some(key) = self.string() else {
                return false;
            };
            // Strictly increasing: a repeated key would collapse into one when parsed.
            if previous
                .as_ref()
                .is_some_and(|p| p.as_ref() >= key.as_ref())
            {
                return false;
            }
            if !self.eat(b':') {
                return false;
            }
            let start = self.at;
            let rest = &self.bytes[start..];
            if !known.is_empty()
                && rest.starts_with(known)
                && matches!(rest.get(known.len()), Some(b',' | b'}'))
            {
                self.at += known.len();
            } else if !self.value(depth + 1) {
                return false;
            }
            member(&key, &self.bytes[start..self.at]);
            previous = Some(key);
            if self.eat(b'}') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    /// Reads a string and returns its decoded bytes (borrowed unless it has escapes), which is
    /// what keys are ordered by. Only a string with non-ASCII bytes needs its UTF-8 checked:
    /// outside strings, such a byte is already refused as out of place.
    fn string(&mut self) -> Option<std::borrow::Cow<'a, [u8]>> {
        self.at += 1;
        let start = self.at;
        let mut decoded: Option<Vec<u8>> = None;
        loop {
            let rest = &self.bytes[self.at..];
            let plain = rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
            let run = &rest[..plain];
            if !run.is_ascii() && std::str::from_utf8(run).is_err() {
                return None;
            }
            if let Some(d) = decoded.as_mut() {
                d.extend_from_slice(run);
            }
            self.at += plain;
            match rest[plain] {
                b'"' => {
                    let raw = &self.bytes[start..self.at];
                    self.at += 1;
                    return Some(match decoded {
                        Some(d) => std::borrow::Cow::Owned(d),
                        None => std::borrow::Cow::Borrowed(raw),
                    });
                }
                b'\\' => {
                    let (byte, len) = self.escape()?;
                    decoded
                        .get_or_insert_with(|| self.bytes[start..self.at].to_vec())
                        .push(byte);
                    self.at += len;
                }
                _ => return None,
            }
        }
    }

    /// The escape at the cursor, if it is one serde_json writes: the short forms, and `\u00xx`
    /// (lower-case hex) for the other control characters only.
    fn escape(&self) -> Option<(u8, usize)> {
        let short = match *self.bytes.get(self.at + 1)? {
            b'"' => b'"',
            b'\\' => b'\\',
            b'b' => 0x08,
            b't' => b'\t',
            b'n' => b'\n',
            b'f' => 0x0c,
            b'r' => b'\r',
            b'u' => {
                let hex = self.bytes.get(self.at + 2..self.at + 6)?;
                let digit = |h: u8| match h {
                    b'0'..=b'9' => Some(h - b'0'),
                    b'a'..=b'f' => Some(h - b'a' + 10),
                    _ => None,
                };
                if hex[..2] != *b"00" {
                    return None;
                }
                let byte = digit(hex[2])? * 16 + digit(hex[3])?;
                let has_short_form = matches!(byte, 0x08 | b'\t' | b'\n' | 0x0c | b'\r');
                return (byte < 0x20 && !has_short_form).then_some((byte, 6));
            }
            _ => return None,
        };
        Some((short, 2))
    }

    fn number(&mut self) -> bool {
        let start = self.at;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        let token = &self.bytes[start..self.at];
        let digits = token.strip_prefix(b"-").unwrap_or(token);
        let plain = !digits.is_empty()
            && digits.iter().all(u8::is_ascii_digit)
            && (digits[0] != b'0' || digits.len() == 1);
        // Integers within u64 or i64 come back as written; -0, larger integers and floats
        // are parsed and written again the way serde_json does.
        if plain {
            let text = std::str::from_utf8(token).unwrap_or_default();
            let fits = if token[0] == b'-' {
                text.parse::<i64>().is_ok_and(|n| n != 0)
            } else {
                text.parse::<u64>().is_ok()
            };
            if fits {
                return true;
            }
        }
        if self.numbers.contains(&token) {
            return true;
        }
        let written_back = serde_json::from_slice::<serde_json::Number>(token).is_ok_and(|n| {
            let mut out = Vec::with_capacity(token.len());
            serde_json::to_writer(&mut out, &n).is_ok() && out == token
        });
        if written_back && self.numbers.len() < REMEMBERED_NUMBERS {
            self.numbers.push(token);
        }
        written_back
    }
}

/// True when `bytes` are the canonical form of `value`: the definition itself, by writing the
/// value and comparing. The readers use [`is_canonical`]; the tests check it against this.
pub fn is_canonical_form_of(value: &Value, bytes: &[u8]) -> bool {
    let mut out = Vec::with_capacity(bytes.len());
    write(value, &mut out, 0).is_ok() && out == bytes
}

fn write(value: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), CanonicalError> {
    if depth > MAX_DEPTH {
        return Err(CanonicalError::TooDeep);
    }
    match value {
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out, depth + 1)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write(v, out, depth + 1)?;
            }
            out.push(b'}');
        }
        scalar => write_scalar(scalar, out),
    }
    Ok(())
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    // As for scalars: a string into a Vec cannot fail.
    if serde_json::to_writer(&mut *out, s).is_err() {
        out.extend_from_slice(b"null");
    }
}

fn write_scalar(value: &Value, out: &mut Vec<u8>) {
    // Writing a scalar Value into a Vec cannot fail (no I/O, no map keys, no NaN in a Value).
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.extend_from_slice(b"null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn keys_sorted_no_whitespace() {
        let v = json!({"b": 1, "a": [true, null, "é\n"], "A": {"z": 1.5, "y": -2}});
        let b = to_bytes(&v).unwrap();
        assert_eq!(
            String::from_utf8(b.clone()).unwrap(),
            r#"{"A":{"y":-2,"z":1.5},"a":[true,null,"é\n"],"b":1}"#
        );
        assert!(is_canonical(&b));
        assert!(is_canonical_form_of(&v, &b));
        assert!(!is_canonical_form_of(&json!({"b": 1}), &b));
        assert!(!is_canonical(br#"{"b":1,"a":2}"#));
        assert!(!is_canonical(br#"{"a": 2}"#));
        assert!(!is_canonical(b"\xff"));
    }

    /// What `is_canonical` meant before it read in one pass: parse, write back, compare.
    fn written_back(bytes: &[u8]) -> bool {
        serde_json::from_slice::<Value>(bytes).is_ok_and(|v| is_canonical_form_of(&v, bytes))
    }

    fn agree(bytes: &[u8]) -> Result<(), TestCaseError> {
        prop_assert_eq!(
            is_canonical(bytes),
            written_back(bytes),
            "{}",
            String::from_utf8_lossy(bytes)
        );
        Ok(())
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "[\\x00-\\x7f\\u{e9}\\u{1f600}\"\\\\/]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-c\\u{e9}\\n\"\\\\]{0,3}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn the_scan_accepts_what_is_written(v in json_value()) {
            // Not always true: serde_json reads some floats back one bit off (it is built
            // without `float_roundtrip`), and then neither reader calls the bytes canonical.
            agree(&to_bytes(&v).unwrap())?;
        }

        #[test]
        fn the_scan_agrees_with_writing_back_on_damaged_bytes(
            v in json_value(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..4),
        ) {
            let mut bytes = to_bytes(&v).unwrap();
            let known: Vec<Vec<u8>> = object_members(&bytes)
                .unwrap_or_default()
                .iter()
                .map(|m| m.value.to_vec())
                .collect();
            for (at, byte, how) in edits {
                let i = at.index(bytes.len() + 1);
                // A JSON-ish byte most of the time, so the damage stays close to JSON.
                let pool = b"{}[],:\"\\ 0123456789-+.eEtfnulrsabu\x1f\x7f\xc3\xa9\xff";
                let b = pool[usize::from(byte) % pool.len()];
                match how {
                    0 if i < bytes.len() => bytes[i] = b,
                    1 if i < bytes.len() => { bytes.remove(i); }
                    _ => bytes.insert(i, b),
                }
            }
            agree(&bytes)?;
            members_agree(&bytes)?;
            // A value read before and found again, damaged around it or not, changes nothing.
            for known in &known {
                prop_assert_eq!(
                    object_members_knowing(&bytes, known),
                    object_members(&bytes),
                    "{} knowing {}",
                    String::from_utf8_lossy(&bytes),
                    String::from_utf8_lossy(known)
                );
            }
        }

        #[test]
        fn an_object_splits_into_its_members(
            m in prop::collection::btree_map("[a-c\\u{e9}\\n\"\\\\]{0,3}", json_value(), 0..6),
        ) {
            let bytes = to_bytes(&Value::Object(m.into_iter().collect())).unwrap();
            members_agree(&bytes)?;
        }
    }

    /// `object_members` splits exactly the canonical objects, into what parsing them finds:
    /// each key decoded, each value the canonical bytes of that member's value.
    fn members_agree(bytes: &[u8]) -> Result<(), TestCaseError> {
        let show = String::from_utf8_lossy(bytes);
        let members = object_members(bytes);
        let object = serde_json::from_slice::<Value>(bytes)
            .ok()
            .filter(|_| is_canonical(bytes))
            .and_then(|v| v.as_object().cloned());
        prop_assert_eq!(members.is_some(), object.is_some(), "{}", show);
        if let (Some(members), Some(object)) = (members, object) {
            let expected: Vec<(Vec<u8>, Vec<u8>)> = object
                .iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), to_bytes(v).unwrap()))
                .collect();
            let found: Vec<(Vec<u8>, Vec<u8>)> = members
                .iter()
                .map(|m| (m.key.to_vec(), m.value.to_vec()))
                .collect();
            prop_assert_eq!(found, expected, "{}", show);
        }
        Ok(())
    }

    #[test]
    fn a_known_value_is_taken_only_whole() {
        let known = br#"{"b":[1.5,2]}"#;
        let whole = br#"{"a":{"b":[1.5,2]},"c":1}"#;
        assert_eq!(object_members_knowing(whole, known), object_members(whole));
        assert!(object_members_knowing(whole, known).is_some());
        // The known bytes followed by more of a value, or by something a member cannot end
        // with: read as they are, and refused.
        for text in [
            r#"{"a":{"b":[1.5,2]}x,"c":1}"#,
            r#"{"a":{"b":[1.5,2]}}}"#,
            r#"{"a":{"b":[1.5,2]},"c":1"#,
            r#"{"a":{"b":[1.5,2]},"a":1}"#,
        ] {
            assert_eq!(
                object_members_knowing(text.as_bytes(), known),
                None,
                "{text}"
            );
        }
        let number = b"1.5";
        assert_eq!(
            object_members_knowing(br#"{"a":1.50}"#, number),
            None,
            "a longer number is read, not taken"
        );
        assert_eq!(
            object_members_knowing(br#"{"a":1.5e3}"#, number),
            object_members(br#"{"a":1.5e3}"#)
        );
    }

    #[test]
    fn members_are_split_from_canonical_objects_only() {
        let members = object_members(br#"{"a":[1,{"c":2}],"b\n":"x","c":null}"#).unwrap();
        let pairs: Vec<(&[u8], &[u8])> = members.iter().map(|m| (&*m.key, m.value)).collect();
        assert_eq!(
            pairs,
            [
                (&b"a"[..], &br#"[1,{"c":2}]"#[..]),
                (b"b\n", br#""x""#),
                (b"c", b"null")
            ]
        );
        assert_eq!(object_members(b"{}"), Some(vec![]));
        for text in [
            r#"[{"a":1}]"#,
            r#""a""#,
            r#"{"b":1,"a":2}"#,
            r#"{"a":1} "#,
            r#"{"a":1"#,
        ] {
            assert_eq!(object_members(text.as_bytes()), None, "{text}");
        }
    }

    /// Each text is canonical or not as said, by the scan and by writing its value back.
    fn judged(cases: &[(&str, bool)]) {
        for &(text, canonical) in cases {
            assert_eq!(is_canonical(text.as_bytes()), canonical, "{text}");
            assert_eq!(written_back(text.as_bytes()), canonical, "{text}");
        }
    }

    #[test]
    fn the_scan_refuses_what_serde_json_would_write_otherwise() {
        judged(&[
            ("-0", false),
            ("-0.0", true),
            ("0", true),
            ("01", false),
            ("1.0", true),
            ("1.50", false),
            ("1e3", false),
            ("1000.0", true),
            ("18446744073709551615", true),
            ("18446744073709551616", false),
            ("-9223372036854775808", true),
            ("\"\\u001f\"", true),
            ("\"\\u001F\"", false),
            ("\"\\n\"", true),
            ("\"\\u000a\"", false),
            ("\"\\/\"", false),
            ("\"\\u00e9\"", false),
            ("{\"a\":1,\"a\":1}", false),
            ("{\"\\\"\":1,\"a\":2}", true),
            ("[1,]", false),
            ("[1] ", false),
        ]);
    }

    /// A number remembered as well written must not vouch for another one, nor a refused one
    /// be remembered: each repeat is checked against what was first found of the same bytes.
    #[test]
    fn a_repeated_number_is_judged_as_its_first_occurrence() {
        let bounds: Vec<String> = (0..2 * REMEMBERED_NUMBERS)
            .map(|i| format!("{}.25", i))
            .collect();
        let many = format!("[{},{}]", bounds.join(","), bounds.join(","));
        assert!(is_canonical(many.as_bytes()));
        judged(&[
            ("[1.5,1.5,1.5]", true),
            ("[1.5,1.50,1.5]", false),
            ("[1.50,1.50]", false),
            ("[-2.5,-2.5,-2.50]", false),
            ("[1.5,1.5e0]", false),
            ("[1.25,1.2]", true),
        ]);
        let late = format!("[{},1.50]", bounds.join(","));
        assert!(!is_canonical(late.as_bytes()));
    }

    #[test]
    fn refuses_deep_values() {
        let mut v = json!(1);
        for _ in 0..(MAX_DEPTH + 2) {
            v = json!([v]);
        }
        assert_eq!(to_bytes(&v), Err(CanonicalError::TooDeep));
    }
}
