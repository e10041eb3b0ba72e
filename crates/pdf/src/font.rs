//! The fonts every certroom document embeds, their metrics, and subsetting.
//!
//! Why we subset ourselves: printpdf 0.12 subsets only with its `text_layout` feature, which
//! pulls the azul layout engine (about 700 000 lines of Rust) into the build. Without that
//! feature its `subset_font` returns the whole font, so a one-page sheet weighed 390 kB.
//! printpdf already depends on `allsorts` (its font parser, same version, always built), so we
//! cut the font down to the glyphs a document uses with allsorts, then hand printpdf that small
//! font, which it embeds as is. The result is a proper subset (`ABCDEF+DejaVuSans`).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{subset, CmapTarget, SubsetProfile};
use printpdf::ParsedFont;

use crate::PdfError;

/// DejaVu Sans (Bitstream Vera licence, see `assets/fonts/LICENSE-DejaVu.txt`): it covers French
/// and every Latin-script name we have met (Vietnamese, Nordic, Central European…).
const DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const DEJAVU_SANS_BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// Which face of the document font a text uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FontStyle {
    Regular,
    Bold,
}

impl FontStyle {
    pub(crate) const ALL: [FontStyle; 2] = [FontStyle::Regular, FontStyle::Bold];
}

/// One embedded face: the full font's cmap and advances (to measure text before anything is
/// drawn) and its bytes (to subset once the document is complete).
pub(crate) struct Face {
    postscript_name: &'static str,
    bytes: &'static [u8],
    parsed: ParsedFont,
    /// Ascent and descent as fractions of the em, to place baselines.
    pub(crate) ascent: f32,
    pub(crate) descent: f32,
}

impl Face {
    fn load(postscript_name: &'static str, bytes: &'static [u8]) -> Result<Self, PdfError> {
        let mut warnings = Vec::new();
        let parsed =
            ParsedFont::from_bytes(bytes, 0, &mut warnings).ok_or_else(|| PdfError::Font {
                font: postscript_name.to_owned(),
                reason: format!("unreadable font program ({warnings:?})"),
            })?;
        let upem = f32::from(parsed.units_per_em.max(1));
        let ascent = f32::from(parsed.font_metrics.ascent) / upem;
        let descent = -f32::from(parsed.font_metrics.descent) / upem;
        Ok(Face {
            postscript_name,
            bytes,
            ascent,
            descent,
            parsed,
        })
    }

    pub(crate) fn has_glyph(&self, ch: char) -> bool {
        self.glyph(ch).is_some()
    }

    fn glyph(&self, ch: char) -> Option<u16> {
        // Glyph 0 is .notdef, the "tofu" box: a cmap pointing there means "cannot draw".
        self.parsed
            .lookup_glyph_index(u32::from(ch))
            .filter(|gid| *gid != 0)
    }

    /// Advance width of `text` in ems. A character the font lacks counts as .notdef, so the
    /// layout stays sane while the missing glyph is reported elsewhere.
    pub(crate) fn width_em(&self, text: &str) -> f32 {
        text.chars().map(|ch| self.char_width_em(ch)).sum()
    }

    pub(crate) fn char_width_em(&self, ch: char) -> f32 {
        let upem = f32::from(self.parsed.units_per_em.max(1));
        let gid = self.glyph(ch).unwrap_or(0);
        f32::from(self.parsed.get_glyph_width(gid).unwrap_or(0)) / upem
    }

    /// The face cut down to the glyphs of `chars` (plus .notdef), parsed again so printpdf maps
    /// the same code points onto the subset's renumbered glyphs.
    pub(crate) fn subset(&self, chars: &BTreeSet<char>) -> Result<ParsedFont, PdfError> {
        let err = |reason: String| PdfError::Font {
            font: self.postscript_name.to_owned(),
            reason,
        };
        // allsorts requires .notdef first and no duplicates; a BTreeSet gives sorted, unique ids.
        let used: BTreeSet<u16> = chars.iter().filter_map(|ch| self.glyph(*ch)).collect();
        let glyph_ids: Vec<u16> = std::iter::once(0).chain(used).collect();

        let data = ReadScope::new(self.bytes)
            .read::<FontData<'_>>()
            .map_err(|e| err(e.to_string()))?;
        let provider = data.table_provider(0).map_err(|e| err(e.to_string()))?;
        // A Unicode cmap (not the smallest one) so characters outside Mac Roman keep theirs.
        let bytes = subset(
            &provider,
            &glyph_ids,
            &SubsetProfile::Pdf,
            CmapTarget::Unicode,
        )
        .map_err(|e| err(e.to_string()))?;

        let mut warnings = Vec::new();
        let mut parsed = ParsedFont::from_bytes(&bytes, 0, &mut warnings)
            .ok_or_else(|| err(format!("subset font unreadable ({warnings:?})")))?;
        // ISO 32000-1 §9.6.4: a subset's name starts with a six-letter tag and `+`. printpdf
        // writes `font_name` as /BaseFont and /FontName.
        parsed.font_name = Some(format!(
            "{}+{}",
            subset_tag(&glyph_ids),
            self.postscript_name
        ));
        Ok(parsed)
    }
}

/// Six capital letters derived from the glyph set (FNV-1a), so the same subset gets the same
/// tag and two different subsets in one file get different ones.
fn subset_tag(glyph_ids: &[u16]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for gid in glyph_ids {
        for byte in gid.to_be_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 5)) % 26) as u8))
        .collect()
}

/// The document font: DejaVu Sans, regular and bold.
pub struct Fonts {
    regular: Face,
    bold: Face,
}

impl Fonts {
    /// The shipped fonts, parsed once per process: a batch of documents shares them.
    pub fn shared() -> Result<&'static Fonts, PdfError> {
        static FONTS: OnceLock<Result<Fonts, PdfError>> = OnceLock::new();
        FONTS
            .get_or_init(|| {
                Ok(Fonts {
                    regular: Face::load("DejaVuSans", DEJAVU_SANS)?,
                    bold: Face::load("DejaVuSans-Bold", DEJAVU_SANS_BOLD)?,
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    pub(crate) fn face(&self, style: FontStyle) -> &Face {
        match style {
            FontStyle::Regular => &self.regular,
            FontStyle::Bold => &self.bold,
        }
    }

    /// The characters of `text` that `style` cannot draw, in order of first appearance,
    /// without repeats. Lets a screen warn about a name before anyone prints.
    /// Control characters are not text and are ignored (the layer prints them as spaces).
    pub fn missing_glyphs(&self, style: FontStyle, text: &str) -> Vec<char> {
        let face = self.face(style);
        let mut seen = BTreeSet::new();
        crate::text::prepare(text)
            .chars()
            .filter(|ch| !face.has_glyph(*ch) && seen.insert(*ch))
            .collect()
    }

    /// Width of one line of `text` at `size_pt` points, in millimetres.
    pub fn text_width_mm(&self, style: FontStyle, size_pt: f32, text: &str) -> f32 {
        self.face(style).width_em(&crate::text::prepare(text)) * size_pt * crate::layout::PT_TO_MM
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_latin_names_and_reports_the_rest() {
        let fonts = Fonts::shared().unwrap();
        for name in [
            "Zoé N'Diaye-Lefèvre",
            "Đặng Thị Ánh",
            "Øystein Ærø",
            "Łukasz Wałęsa",
            "Şükrü Çağlar",
        ] {
            for style in FontStyle::ALL {
                assert!(fonts.missing_glyphs(style, name).is_empty(), "{name}");
            }
        }
        assert_eq!(
            fonts.missing_glyphs(FontStyle::Regular, "Li 中中文"),
            vec!['中', '文']
        );
        // Decomposed input (names pasted from a Mac) is composed before the check.
        assert!(fonts
            .missing_glyphs(FontStyle::Regular, "Zoe\u{301}")
            .is_empty());
    }

    #[test]
    fn subset_keeps_only_what_is_used() {
        let fonts = Fonts::shared().unwrap();
        let chars: BTreeSet<char> = "Zoé Đặng".chars().collect();
        let sub = fonts.face(FontStyle::Regular).subset(&chars).unwrap();
        // The hinting programs and the name table stay whole: about 20 kB before compression,
        // against 760 kB for the full font.
        assert!(
            sub.original_bytes.len() < 40_000,
            "{}",
            sub.original_bytes.len()
        );
        for ch in chars {
            assert!(sub.lookup_glyph_index(u32::from(ch)).is_some(), "{ch}");
        }
        let name = sub.font_name.unwrap();
        assert_eq!(name.len(), "ABCDEF+DejaVuSans".len());
        assert!(name.ends_with("+DejaVuSans"));
    }
}
