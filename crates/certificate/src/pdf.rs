//! QR texts read back from a certificate PDF without rendering it or decoding a QR image.
//!
//! The PDF layer covers each QR code with a link annotation whose URI action is the QR text
//! (clicking the code opens the verification page). A URI is a plain PDF string in the
//! annotation's dictionary, which printpdf writes uncompressed; tools that re-save a PDF (qpdf,
//! Acrobat, lopdf's `save_modern`) may move it into a Flate-compressed object stream, which is
//! inflated here. Encrypted PDFs are not read: their strings are ciphertext.

use std::collections::BTreeSet;

use miniz_oxide::inflate::decompress_to_vec_zlib_with_limit;

/// A URI string longer than this is not a QR text (those are at most [`crate::MAX_QR_TEXT`]).
const MAX_STRING: usize = 16 * 1024;
/// Inflation stops here, per stream and for the whole file: a crafted stream must not take
/// all the memory. A 300-page batch's object streams inflate to far less.
const MAX_INFLATED_STREAM: usize = 16 << 20;
const MAX_INFLATED_TOTAL: usize = 64 << 20;
/// How far before a `stream` keyword its dictionary may start.
const MAX_DICT: usize = 4096;

/// The certificate QR texts in a PDF: every link URI shaped like `http(s)://…/v/…#…`, in
/// document order, each once. Other links are left out; nothing is verified here (call
/// [`crate::verify`] on each). A file that is not a PDF gives an empty list.
pub fn find_payloads(pdf_bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    uri_strings(pdf_bytes, &mut found);
    let mut budget = MAX_INFLATED_TOTAL;
    for data in object_streams(pdf_bytes) {
        let limit = MAX_INFLATED_STREAM.min(budget);
        if limit == 0 {
            break;
        }
        if let Ok(plain) = decompress_to_vec_zlib_with_limit(data, limit) {
            budget = budget.saturating_sub(plain.len());
            uri_strings(&plain, &mut found);
        }
    }
    let mut seen = BTreeSet::new();
    found.retain(|uri| looks_like_certificate_url(uri) && seen.insert(uri.clone()));
    found
}

fn looks_like_certificate_url(uri: &str) -> bool {
    let rest = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"));
    rest.and_then(|r| r.split_once('#'))
        .is_some_and(|(path, _)| path.contains("/v/"))
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// Past whitespace and comments.
fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    loop {
        match bytes.get(at) {
            Some(b) if is_whitespace(*b) => at += 1,
            Some(b'%') => {
                while bytes.get(at).is_some_and(|b| *b != b'\n' && *b != b'\r') {
                    at += 1;
                }
            }
            _ => return at,
        }
    }
}

/// Every string value of a `/URI` key in `bytes`, pushed to `out`.
fn uri_strings(bytes: &[u8], out: &mut Vec<String>) {
    let mut from = 0;
    while let Some(pos) = find(bytes, b"/URI", from) {
        from = pos + 4;
        // `/URIBase` and the like are other names; `/S /URI` is followed by a name, not a string.
        if bytes
            .get(from)
            .is_some_and(|b| !is_whitespace(*b) && !is_delimiter(*b))
        {
            continue;
        }
        let start = skip_space(bytes, from);
        let parsed = match (bytes.get(start), bytes.get(start + 1)) {
            (Some(b'('), _) => literal_string(bytes, start + 1),
            (Some(b'<'), Some(next)) if *next != b'<' => hex_string(bytes, start + 1),
            _ => None,
        };
        if let Some((raw, end)) = parsed {
            from = end;
            if let Some(text) = text(&raw) {
                out.push(text);
            }
        }
    }
}

/// A literal string's bytes from just after its `(`, and the offset after its `)`
/// (PDF 32000-1 §7.3.4.2: balanced parentheses, backslash escapes, end-of-line rules).
fn literal_string(bytes: &[u8], mut at: usize) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut depth = 1usize;
    while out.len() <= MAX_STRING {
        let b = *bytes.get(at)?;
        at += 1;
        match b {
            b'\\' => {
                let e = *bytes.get(at)?;
                at += 1;
                match e {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(0x08),
                    b'f' => out.push(0x0C),
                    b'0'..=b'7' => {
                        let mut value = u32::from(e - b'0');
                        for _ in 0..2 {
                            match bytes.get(at) {
                                Some(d @ b'0'..=b'7') => {
                                    value = value * 8 + u32::from(d - b'0');
                                    at += 1;
                                }
                                _ => break,
                            }
                        }
                        // A high-order overflow is ignored (§7.3.4.2): keep the low byte.
                        out.push(value.to_le_bytes()[0]);
                    }
                    // A backslash before an end of line continues the string on the next line.
                    b'\r' => {
                        if bytes.get(at) == Some(&b'\n') {
                            at += 1;
                        }
                    }
                    b'\n' => {}
                    // `\(`, `\)`, `\\`, and any other character: the backslash is dropped.
                    other => out.push(other),
                }
            }
            b'(' => {
                depth += 1;
                out.push(b);
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((out, at));
                }
                out.push(b);
            }
            // An unescaped end of line, whatever its form, reads as a single line feed.
            b'\r' => {
                if bytes.get(at) == Some(&b'\n') {
                    at += 1;
                }
                out.push(b'\n');
            }
            _ => out.push(b),
        }
    }
    None
}

/// A hex string's bytes from just after its `<`, and the offset after its `>` (§7.3.4.3:
/// whitespace ignored, an odd final digit followed by an implied 0).
fn hex_string(bytes: &[u8], mut at: usize) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut high: Option<u8> = None;
    while out.len() <= MAX_STRING {
        let b = *bytes.get(at)?;
        at += 1;
        let digit = match b {
            b'>' => {
                if let Some(h) = high {
                    out.push(h << 4);
                }
                return Some((out, at));
            }
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ if is_whitespace(b) => continue,
            _ => return None,
        };
        match high.take() {
            Some(h) => out.push((h << 4) | digit),
            None => high = Some(digit),
        }
    }
    None
}

/// A string's text: UTF-16BE after a byte order mark, else UTF-8 (a URI is 7-bit ASCII, which
/// both PDFDocEncoding and UTF-8 read the same way).
fn text(raw: &[u8]) -> Option<String> {
    match raw {
        [0xFE, 0xFF, rest @ ..] => {
            let units = rest
                .chunks(2)
                .map(|c| match c {
                    [hi, lo] => Some(u16::from_be_bytes([*hi, *lo])),
                    _ => None,
                })
                .collect::<Option<Vec<u16>>>()?;
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        _ => String::from_utf8(raw.to_vec()).ok(),
    }
}

/// The raw (still compressed) data of every Flate-compressed object stream (`/Type /ObjStm`).
fn object_streams(pdf: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = find(pdf, b"stream", from) {
        from = pos + 6;
        if pos >= 3 && pdf.get(pos - 3..pos) == Some(b"end") {
            continue;
        }
        let data_start = match (pdf.get(from), pdf.get(from + 1)) {
            (Some(b'\r'), Some(b'\n')) => from + 2,
            (Some(b'\n' | b'\r'), _) => from + 1,
            _ => continue,
        };
        let window = pdf
            .get(pos.saturating_sub(MAX_DICT)..pos)
            .unwrap_or_default();
        let Some(dict) = rfind(window, b"obj").and_then(|o| window.get(o..)) else {
            continue;
        };
        if find(dict, b"/ObjStm", 0).is_none() || find(dict, b"/FlateDecode", 0).is_none() {
            continue;
        }
        let end = direct_length(dict)
            .and_then(|len| data_start.checked_add(len))
            .filter(|end| *end <= pdf.len())
            .or_else(|| find(pdf, b"endstream", data_start));
        if let Some(data) = end.and_then(|end| pdf.get(data_start..end)) {
            out.push(data);
            from = from.max(data_start + data.len());
        }
    }
    out
}

/// `/Length n` when `n` is written in the dictionary itself, not as a reference `n g R`.
fn direct_length(dict: &[u8]) -> Option<usize> {
    let pos = find(dict, b"/Length", 0)? + 7;
    if dict
        .get(pos)
        .is_some_and(|b| !is_whitespace(*b) && !is_delimiter(*b))
    {
        return None;
    }
    let number = |at: usize| -> (Option<usize>, usize) {
        let digits = dict
            .get(at..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let value = std::str::from_utf8(dict.get(at..at + digits).unwrap_or_default())
            .ok()
            .and_then(|s| s.parse().ok());
        (value, at + digits)
    };
    let (len, end) = number(skip_space(dict, pos));
    let (generation, after) = number(skip_space(dict, end));
    let reference = generation.is_some() && dict.get(skip_space(dict, after)) == Some(&b'R');
    if reference {
        None
    } else {
        len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://verifier.certroom.fr/v/P-2346789B#AQID";

    #[test]
    fn literal_strings_follow_the_pdf_escapes() {
        let pdf = b"<< /S /URI /URI (a\\(b\\)c\\\\d\\n\\101\\0612(nested)\\\r\nx\r\ny\\q\\1417) >>";
        let mut out = Vec::new();
        uri_strings(pdf, &mut out);
        assert_eq!(out, vec!["a(b)c\\d\nA12(nested)x\nyqa7".to_owned()]);
        // An octal escape above 255 keeps its low byte; an unbalanced string is not a string.
        assert_eq!(literal_string(b"\\777)", 0), Some((vec![0xFF], 5)));
        assert_eq!(literal_string(b"a(b)", 0), None);
        assert_eq!(literal_string(b"a\\", 0), None);
    }

    #[test]
    fn hex_strings_and_utf16_are_read() {
        let hex: String = URL.bytes().map(|b| format!("{b:02X} ")).collect();
        let utf16: String = URL.encode_utf16().map(|u| format!("{u:04x}")).collect();
        let pdf = format!("/URI <{hex}> /URI <FEFF{utf16}> /URI <4>");
        let mut out = Vec::new();
        uri_strings(pdf.as_bytes(), &mut out);
        assert_eq!(out, vec![URL.to_owned(), URL.to_owned(), "@".to_owned()]);
    }

    #[test]
    fn only_uri_keys_followed_by_a_string_count() {
        let pdf = format!("/URIBase ({URL}x) /S /URI /URI % comment\n ({URL}) /URI /Name /URI");
        assert_eq!(find_payloads(pdf.as_bytes()), vec![URL.to_owned()]);
        assert_eq!(
            find_payloads(b"/URI (https://example.org/#top)"),
            Vec::<String>::new()
        );
        assert_eq!(find_payloads(b"/URI (unterminated"), Vec::<String>::new());
        assert_eq!(find_payloads(b"/URI <4G>"), Vec::<String>::new());
    }

    #[test]
    fn uris_inside_compressed_object_streams_are_found() {
        let objects = format!("12 0 << /Type /Annot /A << /S /URI /URI ({URL}) >> >>");
        let data = miniz_oxide::deflate::compress_to_vec_zlib(objects.as_bytes(), 6);
        for length in [data.len().to_string(), "9 0 R".to_owned()] {
            let mut pdf =
                b"%PDF-1.7\n5 0 obj\n<< /Type /ObjStm /N 1 /First 5 /Filter /FlateDecode /Length "
                    .to_vec();
            pdf.extend_from_slice(length.as_bytes());
            pdf.extend_from_slice(b" >>\nstream\r\n");
            pdf.extend_from_slice(&data);
            pdf.extend_from_slice(b"\nendstream\nendobj\n");
            assert_eq!(
                find_payloads(&pdf),
                vec![URL.to_owned()],
                "/Length {length}"
            );
            assert!(
                find_payloads(&pdf[..pdf.len() - 30]).len() <= 1,
                "a cut file must not panic"
            );
        }
    }

    #[test]
    fn direct_lengths_only() {
        assert_eq!(direct_length(b"<< /Length 42 /N 3 >>"), Some(42));
        assert_eq!(direct_length(b"<< /Length 42 0 R >>"), None);
        assert_eq!(direct_length(b"<< /Length1 42 >>"), None);
        assert_eq!(direct_length(b"<< /N 3 >>"), None);
    }
}
