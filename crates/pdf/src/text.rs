//! Text before it is drawn: normalisation, line wrapping, truncation with an ellipsis.

use unicode_normalization::UnicodeNormalization;

use crate::font::Face;

pub(crate) const ELLIPSIS: &str = "…";

/// One line of text as it will be drawn.
///
/// Composed (NFC) because the font has precomposed glyphs for `é`, `ặ`… but printpdf does no
/// shaping, so a decomposed `e` + U+0301 (common in names pasted from macOS) would print the
/// accent as a separate, badly placed glyph. Control characters (tabs, line breaks, a stray
/// U+0000 from a spreadsheet) are not text: they become spaces. Nothing else is removed; a
/// character the font lacks is reported by the caller, not dropped here.
pub(crate) fn prepare(text: &str) -> String {
    text.nfc()
        .map(|ch| if ch.is_control() { ' ' } else { ch })
        .collect()
}

/// Wraps `text` (already prepared) into lines no wider than `width_em` ems, at most `max_lines`
/// lines (at least one). Breaks at spaces, then after hyphens (`Jean-` / `Éudes`), and inside a
/// word only when a single word is wider than the line. When text is left over, the last line
/// ends with an ellipsis, so a cut is always visible. Never panics; an empty text is one empty
/// line.
pub(crate) fn wrap(face: &Face, text: &str, width_em: f32, max_lines: usize) -> Vec<String> {
    let max_lines = max_lines.max(1);
    let pieces = pieces(text);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    // Widths are summed as we go (advances add up: no kerning), so a pathological
    // 100 000-character name costs linear time, not quadratic.
    let mut line_w = 0.0;
    let space_w = face.width_em(" ");
    let mut overflow = false;

    for (space_before, piece) in &pieces {
        let piece_w = face.width_em(piece);
        let joint = if line.is_empty() || !*space_before {
            0.0
        } else {
            space_w
        };
        if line_w + joint + piece_w <= width_em {
            if joint > 0.0 {
                line.push(' ');
            }
            line.push_str(piece);
            line_w += joint + piece_w;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            if lines.len() == max_lines {
                overflow = true;
                break;
            }
        }
        // The piece alone on a line: cut it by characters if it is still too wide.
        line_w = 0.0;
        for ch in piece.chars() {
            let ch_w = face.char_width_em(ch);
            if line_w + ch_w > width_em && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_w = 0.0;
                if lines.len() == max_lines {
                    break;
                }
            }
            line.push(ch);
            line_w += ch_w;
        }
        if lines.len() >= max_lines {
            overflow = true;
            break;
        }
    }

    if !overflow {
        // Everything fitted (the loop stops as soon as the lines are full).
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
    } else {
        // Lines are full and text remains: mark the cut on the last line kept.
        lines.truncate(max_lines);
        let last = lines.pop().unwrap_or_default();
        lines.push(with_ellipsis(face, &format!("{last}{ELLIPSIS}"), width_em));
    }
    lines
}

/// `text` cut so that it plus an ellipsis fits `width_em`; unchanged when it fits and has no
/// cut to show. The ellipsis alone is returned when even one character does not fit.
pub(crate) fn with_ellipsis(face: &Face, text: &str, width_em: f32) -> String {
    let needs_mark = text.ends_with(ELLIPSIS);
    let body = text.trim_end_matches(ELLIPSIS).trim_end();
    if !needs_mark && face.width_em(body) <= width_em {
        return body.to_owned();
    }
    let mut cut: String = body.to_owned();
    loop {
        let candidate = format!("{}{ELLIPSIS}", cut.trim_end());
        if face.width_em(&candidate) <= width_em || cut.is_empty() {
            return candidate;
        }
        cut.pop();
    }
}

/// Splits text into pieces a line may end after: words (space before them) and the parts of
/// hyphenated words (no space before the part after a hyphen).
fn pieces(text: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut start = 0;
        let mut first = true;
        for (i, ch) in word.char_indices() {
            let end = i + ch.len_utf8();
            // Break after a hyphen that is followed by more text.
            if ch == '-' && end < word.len() && i > start {
                out.push((first, &word[start..end]));
                first = false;
                start = end;
            }
        }
        out.push((first, &word[start..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::font::{FontStyle, Fonts};

    fn face() -> &'static Face {
        Fonts::shared().unwrap().face(FontStyle::Regular)
    }

    #[test]
    fn prepare_composes_and_blanks_controls() {
        assert_eq!(prepare("Zoe\u{301}\tA\u{0}"), "Zoé A ");
    }

    #[test]
    fn fits_on_one_line_when_it_can() {
        assert_eq!(wrap(face(), "Zoé Martin", 100.0, 2), vec!["Zoé Martin"]);
        assert_eq!(wrap(face(), "", 10.0, 2), vec![""]);
    }

    #[test]
    fn wraps_at_spaces_then_hyphens() {
        let width = face().width_em("Jean-Éudes de");
        let lines = wrap(face(), "Jean-Éudes de La Tour d'Auvergne", width, 5);
        assert_eq!(lines[0], "Jean-Éudes de");
        assert!(lines.iter().all(|l| face().width_em(l) <= width));
        let width = face().width_em("Marie-Christine");
        assert_eq!(
            wrap(face(), "Anne-Marie-Christine", width, 3),
            vec!["Anne-Marie-", "Christine"]
        );
    }

    #[test]
    fn truncates_with_an_ellipsis_and_never_panics() {
        let long = "Wolfeschlegelsteinhausenbergerdorff ".repeat(20);
        for width in [0.0, 0.1, 1.0, 5.0, 30.0] {
            for max in [0, 1, 2, 3] {
                let lines = wrap(face(), &long, width, max);
                assert!(lines.len() <= max.max(1));
                assert!(lines.last().unwrap().ends_with(ELLIPSIS), "{lines:?}");
            }
        }
        let lines = wrap(face(), &long, 10.0, 2);
        assert!(lines
            .iter()
            .all(|l| face().width_em(l) <= 10.0 + f32::EPSILON));
    }
}
