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

/// True when `bytes` parse as JSON and are already in canonical form.
pub fn is_canonical(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Value>(bytes).is_ok_and(|v| is_canonical_form_of(&v, bytes))
}

/// True when `bytes` are the canonical form of `value`, which the caller parsed from them (so a
/// reader that needs the value parses once).
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

    #[test]
    fn refuses_deep_values() {
        let mut v = json!(1);
        for _ in 0..(MAX_DEPTH + 2) {
            v = json!([v]);
        }
        assert_eq!(to_bytes(&v), Err(CanonicalError::TooDeep));
    }
}
