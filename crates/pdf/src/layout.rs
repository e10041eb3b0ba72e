//! Pages, a cursor that flows down them, text, rules, boxes, tables and links.
//!
//! A [`Document`] records what to draw (in millimetres, from the page's top-left corner, as a
//! person measures a printed sheet) and writes the PDF only in [`Document::finish`], because two
//! things are known only at the end: the page count ("Page 2 / 3") and the set of characters
//! used, which decides the font subset.

use std::collections::BTreeSet;

use printpdf::{
    Actions, BorderArray, Color, ColorArray, CurTransMat, FontId, Greyscale, HighlightingMode,
    Line, LinePoint, LinkAnnotation, Mm, Op, PaintMode, PdfDocument, PdfFont, PdfFontHandle,
    PdfPage, PdfSaveOptions, Point, Pt, Rect, TextItem, TextMatrix,
};

use crate::font::{FontStyle, Fonts};
use crate::text::{prepare, with_ellipsis, wrap};
use crate::{MissingGlyph, PdfError};

/// Millimetres per PostScript point (1 pt = 1/72 inch).
pub const PT_TO_MM: f32 = 25.4 / 72.0;

/// Paper size, margins and the bands kept for the running header and the footer (mm).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageSetup {
    pub width: f32,
    pub height: f32,
    pub margin_top: f32,
    pub margin_right: f32,
    pub margin_bottom: f32,
    pub margin_left: f32,
    /// Band under the top margin for the running header; content starts below it.
    pub header_height: f32,
    /// Band above the bottom margin for the footer ("Page x / y").
    pub footer_height: f32,
}

impl PageSetup {
    /// A4 portrait. 12 mm margins stay inside what school laser printers can reach
    /// (about 5 mm) with room to spare, and leave the page for the table.
    pub const fn a4_portrait() -> Self {
        PageSetup {
            width: 210.0,
            height: 297.0,
            margin_top: 12.0,
            margin_right: 12.0,
            margin_bottom: 12.0,
            margin_left: 12.0,
            header_height: 9.0,
            footer_height: 8.0,
        }
    }

    /// A4 landscape, same margins.
    pub const fn a4_landscape() -> Self {
        let mut setup = Self::a4_portrait();
        setup.width = 297.0;
        setup.height = 210.0;
        setup
    }

    pub fn content_left(&self) -> f32 {
        self.margin_left
    }
    pub fn content_right(&self) -> f32 {
        self.width - self.margin_right
    }
    pub fn content_width(&self) -> f32 {
        (self.content_right() - self.content_left()).max(1.0)
    }
    pub fn content_top(&self) -> f32 {
        self.margin_top + self.header_height
    }
    pub fn content_bottom(&self) -> f32 {
        self.height - self.margin_bottom - self.footer_height
    }
    pub fn content_height(&self) -> f32 {
        (self.content_bottom() - self.content_top()).max(1.0)
    }
}

/// Face and size (points) of a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextStyle {
    pub font: FontStyle,
    pub size: f32,
}

impl TextStyle {
    pub const fn regular(size: f32) -> Self {
        TextStyle {
            font: FontStyle::Regular,
            size,
        }
    }
    pub const fn bold(size: f32) -> Self {
        TextStyle {
            font: FontStyle::Bold,
            size,
        }
    }
    /// Distance between two baselines, in mm.
    pub fn line_height(&self) -> f32 {
        self.size * 1.2 * PT_TO_MM
    }
    fn size_mm(&self) -> f32 {
        self.size * PT_TO_MM
    }
}

/// Horizontal alignment of a line in its box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// One table column: its header text, width (mm) and alignment.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub title: String,
    pub width: f32,
    pub align: Align,
}

/// How a table looks. Rows are given to [`Document::table`].
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Widths larger in total than the content width are scaled down to fit.
    pub columns: Vec<Column>,
    pub header_style: TextStyle,
    pub body_style: TextStyle,
    /// A row is at least this tall (mm): room to sign, for instance.
    pub min_row_height: f32,
    /// Lines a cell may wrap to before its text is cut with an ellipsis.
    pub max_lines: usize,
    /// Space between a cell's border and its text (mm).
    pub padding: f32,
    /// Grey level (0 black … 1 white) behind the header row, if any.
    pub header_fill: Option<f32>,
}

/// How label/value pairs look when laid out in columns by [`Document::fields`]
/// ("Session n°  123456    Centre  Collège …").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldGrid {
    /// Pairs per line, filled left to right.
    pub columns: usize,
    /// Room kept for each label (mm); a longer label is cut with an ellipsis.
    pub label_width: f32,
    pub label_style: TextStyle,
    pub value_style: TextStyle,
    /// Lines a value may wrap to before it is cut with an ellipsis.
    pub max_lines: usize,
    /// Space between two lines of pairs (mm).
    pub row_gap: f32,
}

/// How [`Document::signature_boxes`] looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignatureBoxes {
    /// Boxes side by side across the content width.
    pub per_line: usize,
    /// Height of a box (mm): a signature is 8–12 mm high, plus the name above it.
    pub height: f32,
    pub name_style: TextStyle,
    pub caption_style: TextStyle,
}

/// Space between two columns of [`Document::fields`] and between signature boxes (mm).
const FIELD_GAP: f32 = 2.0;
const BOX_GAP: f32 = 4.0;

/// What a page shows, before it is turned into PDF operators.
#[derive(Debug, Clone)]
enum Item {
    Text {
        x: f32,
        baseline: f32,
        style: TextStyle,
        text: String,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        stroke: Option<f32>,
        fill: Option<f32>,
    },
    Link {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        uri: String,
    },
    /// Black runs of a square grid (a QR code), in module units from the top left corner.
    Grid {
        x: f32,
        y: f32,
        module: f32,
        runs: Vec<(u16, u16, u16)>,
    },
}

/// A document being laid out. Text drawn through it is checked against the font: characters
/// it cannot draw make [`Document::finish`] fail with [`PdfError::MissingGlyphs`].
pub struct Document {
    title: String,
    setup: PageSetup,
    fonts: &'static Fonts,
    pages: Vec<Vec<Item>>,
    y: f32,
    header: Option<(String, String)>,
    footer: Option<String>,
    page_numbers: bool,
    missing: Vec<MissingGlyph>,
}

impl Document {
    /// A document with one empty page, the cursor at the top of its content area.
    pub fn new(title: &str, setup: PageSetup) -> Result<Self, PdfError> {
        Ok(Document {
            title: title.to_owned(),
            setup,
            fonts: Fonts::shared()?,
            pages: vec![Vec::new()],
            y: setup.content_top(),
            header: None,
            footer: None,
            page_numbers: true,
            missing: Vec::new(),
        })
    }

    pub fn setup(&self) -> &PageSetup {
        &self.setup
    }

    pub fn fonts(&self) -> &'static Fonts {
        self.fonts
    }

    /// Small text at the top of every page (left and right), to identify a loose sheet.
    pub fn set_running_header(&mut self, left: &str, right: &str) {
        self.header = Some((left.to_owned(), right.to_owned()));
    }

    /// Text at the bottom left of every page; "Page x / y" is at the bottom right unless
    /// [`Document::set_page_numbers`] turned it off.
    pub fn set_footer(&mut self, left: &str) {
        self.footer = Some(left.to_owned());
    }

    /// Whether "Page x / y" is printed (default: yes). Off for a batch of one-page documents,
    /// such as certificates, where "Page 37 / 300" would wrongly suggest a 300-page document.
    pub fn set_page_numbers(&mut self, on: bool) {
        self.page_numbers = on;
    }

    /// Characters found so far that the font cannot draw, with the text they were in.
    pub fn missing_glyphs(&self) -> &[MissingGlyph] {
        &self.missing
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The cursor: distance from the top of the page (mm) where the next block goes.
    pub fn y(&self) -> f32 {
        self.y
    }

    /// Moves the cursor down by `mm` (a negative value moves it up).
    pub fn advance(&mut self, mm: f32) {
        self.y += mm;
    }

    /// Space left above the footer band (mm).
    pub fn remaining(&self) -> f32 {
        self.setup.content_bottom() - self.y
    }

    /// Starts a new page when less than `mm` is left. Returns whether it did.
    pub fn ensure_space(&mut self, mm: f32) -> bool {
        if mm > self.remaining() && self.y > self.setup.content_top() {
            self.new_page();
            true
        } else {
            false
        }
    }

    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.setup.content_top();
    }

    /// `text` wrapped to `width` mm in at most `max_lines` lines (the last one cut with an
    /// ellipsis if needed). Measures only; draws nothing.
    pub fn wrap(&self, text: &str, style: TextStyle, width: f32, max_lines: usize) -> Vec<String> {
        let face = self.fonts.face(style.font);
        wrap(face, &prepare(text), em(width, style), max_lines)
    }

    /// One line at (`x`, `y` = top of the line), cut with an ellipsis if wider than `width`.
    pub fn text(&mut self, x: f32, y: f32, width: f32, text: &str, style: TextStyle, align: Align) {
        let prepared = prepare(text);
        self.check(&prepared, style);
        let line = with_ellipsis(self.fonts.face(style.font), &prepared, em(width, style));
        let page = self.pages.len() - 1;
        self.push_line(page, x, y, width, line, style, align);
    }

    /// `text` wrapped into the box at (`x`, `y`) `width` mm wide, in at most `max_lines`
    /// lines. Returns the height used (mm). Does not move the cursor or break pages.
    #[allow(clippy::too_many_arguments)] // A box is a position, a size and what goes in it.
    pub fn text_box(
        &mut self,
        x: f32,
        y: f32,
        width: f32,
        text: &str,
        style: TextStyle,
        align: Align,
        max_lines: usize,
    ) -> f32 {
        let prepared = prepare(text);
        self.check(&prepared, style);
        let lines = wrap(
            self.fonts.face(style.font),
            &prepared,
            em(width, style),
            max_lines,
        );
        let page = self.pages.len() - 1;
        let count = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            let top = y + i as f32 * style.line_height();
            self.push_line(page, x, top, width, line, style, align);
        }
        count as f32 * style.line_height()
    }

    /// A paragraph across the content width at the cursor, breaking pages between lines.
    /// Line breaks in `text` start new lines.
    pub fn paragraph(&mut self, text: &str, style: TextStyle, align: Align) {
        let (x, width) = (self.setup.content_left(), self.setup.content_width());
        for source_line in text.split('\n') {
            let lines = self.wrap(source_line, style, width, usize::MAX);
            self.check(&prepare(source_line), style);
            for line in lines {
                self.ensure_space(style.line_height());
                let (page, y) = (self.pages.len() - 1, self.y);
                self.push_line(page, x, y, width, line, style, align);
                self.y += style.line_height();
            }
        }
    }

    /// A rule from (`x1`, `y1`) to (`x2`, `y2`), `width` mm thick.
    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        self.current_page().push(Item::Line {
            x1,
            y1,
            x2,
            y2,
            width,
        });
    }

    /// A box outline, `stroke` mm thick.
    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, stroke: f32) {
        self.current_page().push(Item::Rect {
            x,
            y,
            w,
            h,
            stroke: Some(stroke),
            fill: None,
        });
    }

    /// A filled box, grey level 0 (black) … 1 (white).
    pub fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, grey: f32) {
        self.current_page().push(Item::Rect {
            x,
            y,
            w,
            h,
            stroke: None,
            fill: Some(grey.clamp(0.0, 1.0)),
        });
    }

    /// Black runs `(row, first column, length)` of a grid of `module` mm squares whose top left
    /// corner is at (`x`, `y`). Drawn in module units, each row one step below the previous
    /// (see `page_ops`), so each run is a few short integers in the page.
    pub fn grid(&mut self, x: f32, y: f32, module: f32, mut runs: Vec<(u16, u16, u16)>) {
        if runs.is_empty() || !(module.is_finite() && module > 0.0) {
            return;
        }
        // Row by row, left to right: one step down per row rather than back and forth.
        runs.sort_unstable();
        self.current_page().push(Item::Grid { x, y, module, runs });
    }

    /// A clickable area at (`x`, `y`) `w` × `h` mm that opens `uri` in a PDF viewer. Nothing is
    /// drawn: no border, no highlight when clicked, so a link laid over a QR code or a printed
    /// address leaves the page exactly as it prints. An empty URI or an empty or non-finite
    /// area adds nothing, since a viewer could not use it.
    pub fn link(&mut self, x: f32, y: f32, w: f32, h: f32, uri: &str) {
        let finite = [x, y, w, h].iter().all(|v| v.is_finite());
        if !finite || w <= 0.0 || h <= 0.0 || uri.trim().is_empty() {
            return;
        }
        self.current_page().push(Item::Link {
            x,
            y,
            w,
            h,
            uri: uri.to_owned(),
        });
    }

    /// Label/value pairs at the cursor, `grid.columns` pairs per line, values wrapped under
    /// their own column. A line of pairs is never split across pages.
    pub fn fields(&mut self, grid: &FieldGrid, pairs: &[(&str, &str)]) {
        let s = self.setup;
        let columns = grid.columns.max(1);
        let column_w = s.content_width() / columns as f32;
        let value_w = (column_w - grid.label_width - FIELD_GAP).max(1.0);
        for line in pairs.chunks(columns) {
            let lines = line
                .iter()
                .map(|(_, value)| {
                    self.wrap(value, grid.value_style, value_w, grid.max_lines)
                        .len()
                })
                .max()
                .unwrap_or(1);
            let h =
                (lines as f32 * grid.value_style.line_height()).max(grid.label_style.line_height());
            self.ensure_space(h);
            let y = self.y;
            for (i, (label, value)) in line.iter().enumerate() {
                let x = s.content_left() + i as f32 * column_w;
                self.text(x, y, grid.label_width, label, grid.label_style, Align::Left);
                self.text_box(
                    x + grid.label_width,
                    y,
                    value_w,
                    value,
                    grid.value_style,
                    Align::Left,
                    grid.max_lines,
                );
            }
            self.y += h + grid.row_gap;
        }
    }

    /// One box to sign in per entry of `names`, `look.per_line` to a line, each headed by the
    /// name and then `caption` ("Signature :"). A line of boxes is never split across pages.
    pub fn signature_boxes(&mut self, look: &SignatureBoxes, names: &[&str], caption: &str) {
        let s = self.setup;
        let per_line = look.per_line.max(1);
        let gaps = (per_line - 1) as f32 * BOX_GAP;
        let w = ((s.content_width() - gaps) / per_line as f32).max(1.0);
        // A box taller than the page could never be placed.
        let h = look.height.min(s.content_height());
        for line in names.chunks(per_line) {
            self.ensure_space(h);
            let y = self.y;
            for (i, name) in line.iter().enumerate() {
                let x = s.content_left() + i as f32 * (w + BOX_GAP);
                self.rect(x, y, w, h, 0.25);
                self.text(
                    x + 2.0,
                    y + 1.5,
                    w - 4.0,
                    name,
                    look.name_style,
                    Align::Left,
                );
                let caption_y = y + 1.5 + look.name_style.line_height();
                self.text(
                    x + 2.0,
                    caption_y,
                    w - 4.0,
                    caption,
                    look.caption_style,
                    Align::Left,
                );
            }
            self.y += h + 2.0;
        }
    }

    /// Draws `table` at the cursor, one row per entry of `rows` (missing cells are empty,
    /// extra cells ignored). A row that does not fit goes to a new page, under a repeat of
    /// the header row; a row is never split across pages.
    pub fn table(&mut self, table: &Table, rows: &[Vec<String>]) {
        let widths = self.column_widths(table);
        let header: Vec<String> = table.columns.iter().map(|c| c.title.clone()).collect();
        let header_cells = self.layout_row(table, &widths, &header, table.header_style, 2);
        let header_h = self.row_height(table, table.header_style, &header_cells);

        let body: Vec<(Vec<Vec<String>>, f32)> = rows
            .iter()
            .map(|row| {
                let cells = self.layout_row(table, &widths, row, table.body_style, table.max_lines);
                let h = self.row_height(table, table.body_style, &cells);
                (cells, h)
            })
            .collect();
        // Keep the header with the first row.
        self.ensure_space(header_h + body.first().map_or(0.0, |(_, h)| *h));
        self.draw_row(table, &widths, &header_cells, header_h, true);
        for (cells, h) in &body {
            if self.ensure_space(*h) {
                self.draw_row(table, &widths, &header_cells, header_h, true);
            }
            self.draw_row(table, &widths, cells, *h, false);
        }
    }

    /// Lays out the running header and footer on every page, then writes the PDF.
    pub fn finish(mut self) -> Result<Vec<u8>, PdfError> {
        let total = self.pages.len();
        for page in 0..total {
            self.decorate(page, total);
        }
        if !self.missing.is_empty() {
            return Err(PdfError::MissingGlyphs(self.missing));
        }

        let mut doc = PdfDocument::new(&self.title);
        let mut font_ids: Vec<(FontStyle, FontId)> = Vec::new();
        for style in FontStyle::ALL {
            let used: BTreeSet<char> = self
                .pages
                .iter()
                .flatten()
                .filter_map(|item| match item {
                    Item::Text { style: s, text, .. } if s.font == style => Some(text.chars()),
                    _ => None,
                })
                .flatten()
                .collect();
            if !used.is_empty() {
                let subset = self.fonts.face(style).subset(&used)?;
                // `F1`, `F2` rather than `add_font`'s 32 random letters: every `Tf` is shorter,
                // and the same input gives the same pages.
                let id = FontId(format!("F{}", font_ids.len() + 1));
                doc.resources
                    .fonts
                    .map
                    .insert(id.clone(), PdfFont::new(subset));
                font_ids.push((style, id));
            }
        }

        let height = self.setup.height;
        let pages = self
            .pages
            .iter()
            .map(|items| {
                PdfPage::new(
                    Mm(self.setup.width),
                    Mm(height),
                    page_ops(items, height, &font_ids),
                )
            })
            .collect();
        let options = PdfSaveOptions {
            optimize: true,
            // Already subset above; printpdf would embed the font whole anyway (see font.rs).
            subset_fonts: false,
            secure: true,
            image_optimization: None,
        };
        // printpdf's warnings are informational for what we write (no parsing involved).
        let mut warnings = Vec::new();
        Ok(doc.with_pages(pages).save(&options, &mut warnings))
    }

    fn current_page(&mut self) -> &mut Vec<Item> {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn check(&mut self, prepared: &str, style: TextStyle) {
        let face = self.fonts.face(style.font);
        for ch in prepared.chars() {
            if !face.has_glyph(ch) && ch != ' ' {
                let entry = MissingGlyph {
                    ch,
                    text: prepared.to_owned(),
                };
                if !self.missing.contains(&entry) {
                    self.missing.push(entry);
                }
            }
        }
    }

    /// Records one already-fitted line. The only place text enters a page.
    #[allow(clippy::too_many_arguments)]
    fn push_line(
        &mut self,
        page: usize,
        x: f32,
        top: f32,
        width: f32,
        line: String,
        style: TextStyle,
        align: Align,
    ) {
        if line.trim().is_empty() {
            return;
        }
        let face = self.fonts.face(style.font);
        let line_w = face.width_em(&line) * style.size_mm();
        let x = match align {
            Align::Left => x,
            Align::Center => x + (width - line_w) / 2.0,
            Align::Right => x + width - line_w,
        };
        // Centre the font's ascent + descent in the line height, baseline below the ascent.
        let size = style.size_mm();
        let baseline = top
            + (style.line_height() - (face.ascent + face.descent) * size) / 2.0
            + face.ascent * size;
        if let Some(items) = self.pages.get_mut(page) {
            items.push(Item::Text {
                x,
                baseline,
                style,
                text: line,
            });
        }
    }

    fn decorate(&mut self, page: usize, total: usize) {
        let s = self.setup;
        let small = TextStyle::regular(8.0);
        let half = s.content_width() / 2.0;
        if let Some((left, right)) = self.header.clone() {
            let top = s.margin_top;
            self.decoration_text(page, s.content_left(), top, half, &left, Align::Left);
            self.decoration_text(
                page,
                s.content_left() + half,
                top,
                half,
                &right,
                Align::Right,
            );
            let rule = s.margin_top + s.header_height - 2.5;
            self.pages[page].push(Item::Line {
                x1: s.content_left(),
                y1: rule,
                x2: s.content_right(),
                y2: rule,
                width: 0.2,
            });
        }
        let top = s.height - s.margin_bottom - small.line_height();
        if let Some(left) = self.footer.clone() {
            self.decoration_text(page, s.content_left(), top, half * 1.5, &left, Align::Left);
        }
        if self.page_numbers {
            let number = format!("Page {} / {}", page + 1, total);
            let x = s.content_left() + half * 1.5;
            self.decoration_text(page, x, top, half / 2.0, &number, Align::Right);
        }
    }

    fn decoration_text(&mut self, page: usize, x: f32, y: f32, w: f32, text: &str, align: Align) {
        let style = TextStyle::regular(8.0);
        let prepared = prepare(text);
        self.check(&prepared, style);
        let line = with_ellipsis(self.fonts.face(style.font), &prepared, em(w, style));
        self.push_line(page, x, y, w, line, style, align);
    }

    fn column_widths(&self, table: &Table) -> Vec<f32> {
        let available = self.setup.content_width();
        let widths: Vec<f32> = table
            .columns
            .iter()
            .map(|c| {
                if c.width.is_finite() {
                    c.width.max(0.0)
                } else {
                    0.0
                }
            })
            .collect();
        let total: f32 = widths.iter().sum();
        if total > available || total <= 0.0 {
            let n = widths.len().max(1) as f32;
            widths
                .iter()
                .map(|w| {
                    if total > 0.0 {
                        w * available / total
                    } else {
                        available / n
                    }
                })
                .collect()
        } else {
            widths
        }
    }

    fn layout_row(
        &mut self,
        table: &Table,
        widths: &[f32],
        row: &[String],
        style: TextStyle,
        max_lines: usize,
    ) -> Vec<Vec<String>> {
        widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let text = row.get(i).map(String::as_str).unwrap_or("");
                self.check(&prepare(text), style);
                self.wrap(text, style, w - 2.0 * table.padding, max_lines)
            })
            .collect()
    }

    fn row_height(&self, table: &Table, style: TextStyle, cells: &[Vec<String>]) -> f32 {
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1) as f32;
        let h = (lines * style.line_height() + 2.0 * table.padding).max(table.min_row_height);
        // A row taller than a page could never be placed: cap it (wrap already capped lines).
        h.min(self.setup.content_height())
    }

    fn draw_row(
        &mut self,
        table: &Table,
        widths: &[f32],
        cells: &[Vec<String>],
        h: f32,
        header: bool,
    ) {
        let style = if header {
            table.header_style
        } else {
            table.body_style
        };
        let page = self.pages.len() - 1;
        let y = self.y;
        let mut x = self.setup.content_left();
        for (i, (w, lines)) in widths.iter().zip(cells).enumerate() {
            if let (true, Some(grey)) = (header, table.header_fill) {
                self.fill_rect(x, y, *w, h, grey);
            }
            self.rect(x, y, *w, h, 0.25);
            let align = if header {
                Align::Center
            } else {
                table.columns.get(i).map_or(Align::Left, |c| c.align)
            };
            let text_h = lines.len() as f32 * style.line_height();
            let top = y + (h - text_h) / 2.0;
            for (n, line) in lines.iter().enumerate() {
                let line_top = top + n as f32 * style.line_height();
                let inner = w - 2.0 * table.padding;
                self.push_line(
                    page,
                    x + table.padding,
                    line_top,
                    inner,
                    line.clone(),
                    style,
                    align,
                );
            }
            x += w;
        }
        self.y += h;
    }
}

/// A width in mm as ems of `style`.
fn em(width_mm: f32, style: TextStyle) -> f32 {
    if style.size > 0.0 {
        width_mm / style.size_mm()
    } else {
        0.0
    }
}

const GRID_BLEED: f32 = 0.0625;

/// Points rounded to a hundredth (3.5 µm, far below any printer's dot): the page then holds
/// `481.89`, not `481.88977`, which keeps a batch of certificates small.
fn pt(mm: f32) -> Pt {
    Pt(hundredths(mm) as f32 / 100.0)
}

/// `mm` in hundredths of a point, the precision [`pt`] writes.
fn hundredths(mm: f32) -> i32 {
    (mm / PT_TO_MM * 100.0).round() as i32
}

fn grey(level: f32) -> Color {
    Color::Greyscale(Greyscale::new(level, None))
}

/// One page's operators: fills, then rules and outlines, then all text in a single text
/// object, then links. The font is selected only when it changes: the reference system's
/// certificates shrank from 5 MB to 700 kB when it stopped re-selecting the font for every
/// text call.
fn page_ops(items: &[Item], page_height: f32, fonts: &[(FontStyle, FontId)]) -> Vec<Op> {
    let y = |top: f32| pt(page_height - top);
    let mut ops = Vec::new();

    for item in items {
        if let Item::Grid {
            x,
            y: top,
            module,
            runs,
        } = item
        {
            let m = pt(*module).0;
            ops.push(Op::SaveGraphicsState);
            // Module units, y growing downwards from the grid's top left corner.
            ops.push(Op::SetTransformationMatrix {
                matrix: CurTransMat::Raw([m, 0.0, 0.0, -m, pt(*x).0, y(*top).0]),
            });
            ops.push(Op::SetFillColor { col: grey(0.0) });
            // Each row is drawn at y = 0 under a translation one module further down, so a run
            // reads `col 0 len.0625 1.0625 re f` whatever its row: the row number no longer
            // breaks the repeats flate finds, and a version 11 QR code compresses to 1.7 kB
            // instead of the 2.4 kB it took with absolute rows.
            let mut current = 0;
            for &(row, col, len) in runs {
                if row != current {
                    let down = f32::from(row) - f32::from(current);
                    ops.push(Op::SetTransformationMatrix {
                        matrix: CurTransMat::Raw([1.0, 0.0, 0.0, 1.0, 0.0, down]),
                    });
                    current = row;
                }
                ops.push(Op::DrawRectangle {
                    rectangle: Rect {
                        x: Pt(f32::from(col)),
                        y: Pt(0.0),
                        // A sixteenth of a module of overlap: no hairline seams between rows
                        // when a viewer anti-aliases. The runs of a row never touch, but they
                        // keep it too, so every edge stays where it always was.
                        width: Pt(f32::from(len) + GRID_BLEED),
                        height: Pt(1.0 + GRID_BLEED),
                        mode: Some(PaintMode::Fill),
                        winding_order: None,
                    },
                });
            }
            ops.push(Op::RestoreGraphicsState);
        }
    }

    // The fill colour is set only when it changes. Each box is drawn at y = 0 under a vertical
    // translation to its bottom edge, moved only when that edge changes: the boxes of a line
    // (a level bar, a table row's band) then read the same wherever the line is, and repeated
    // lines compress to almost nothing (a certificate's competence table: 530 → 235 bytes).
    // The steps are whole hundredths of a point, so they add up to the edges `pt` would write,
    // without drift.
    let mut fill = None;
    let mut bottom = 0;
    let mut translated = false;
    for item in items {
        if let Item::Rect {
            x,
            y: top,
            w,
            h,
            fill: Some(level),
            ..
        } = item
        {
            if fill != Some(*level) {
                ops.push(Op::SetFillColor { col: grey(*level) });
                fill = Some(*level);
            }
            let edge = hundredths(page_height - (top + h));
            if edge != bottom {
                if !translated {
                    ops.push(Op::SaveGraphicsState);
                    translated = true;
                }
                let up = (edge - bottom) as f32 / 100.0;
                ops.push(Op::SetTransformationMatrix {
                    matrix: CurTransMat::Raw([1.0, 0.0, 0.0, 1.0, 0.0, up]),
                });
                bottom = edge;
            }
            ops.push(Op::DrawRectangle {
                rectangle: Rect {
                    x: pt(*x),
                    y: Pt(0.0),
                    width: pt(*w),
                    height: pt(*h),
                    mode: Some(PaintMode::Fill),
                    winding_order: None,
                },
            });
        }
    }
    if translated {
        ops.push(Op::RestoreGraphicsState);
    }

    ops.push(Op::SetOutlineColor { col: grey(0.0) });
    let mut thickness = None;
    for item in items {
        let (stroke, op) = match item {
            Item::Line {
                x1,
                y1,
                x2,
                y2,
                width,
            } => (
                *width,
                Op::DrawLine {
                    line: Line {
                        points: vec![
                            LinePoint {
                                p: Point {
                                    x: pt(*x1),
                                    y: y(*y1),
                                },
                                bezier: false,
                            },
                            LinePoint {
                                p: Point {
                                    x: pt(*x2),
                                    y: y(*y2),
                                },
                                bezier: false,
                            },
                        ],
                        is_closed: false,
                    },
                },
            ),
            Item::Rect {
                x,
                y: top,
                w,
                h,
                stroke: Some(width),
                ..
            } => (
                *width,
                Op::DrawRectangle {
                    rectangle: Rect {
                        x: pt(*x),
                        y: y(top + h),
                        width: pt(*w),
                        height: pt(*h),
                        mode: Some(PaintMode::Stroke),
                        winding_order: None,
                    },
                },
            ),
            _ => continue,
        };
        if thickness != Some(stroke) {
            ops.push(Op::SetOutlineThickness { pt: pt(stroke) });
            thickness = Some(stroke);
        }
        ops.push(op);
    }

    ops.push(Op::SetFillColor { col: grey(0.0) });
    ops.push(Op::StartTextSection);
    let mut current: Option<(FontStyle, f32)> = None;
    for item in items {
        let Item::Text {
            x,
            baseline,
            style,
            text,
        } = item
        else {
            continue;
        };
        let Some((_, id)) = fonts.iter().find(|(s, _)| *s == style.font) else {
            continue; // Unreachable: every face with text was embedded.
        };
        if current != Some((style.font, style.size)) {
            ops.push(Op::SetFont {
                font: PdfFontHandle::External(id.clone()),
                size: Pt(style.size),
            });
            current = Some((style.font, style.size));
        }
        ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Translate(pt(*x), y(*baseline)),
        });
        ops.push(Op::ShowText {
            items: vec![TextItem::Text(text.clone())],
        });
    }
    ops.push(Op::EndTextSection);

    for item in items {
        if let Item::Link {
            x,
            y: top,
            w,
            h,
            uri,
        } = item
        {
            ops.push(Op::LinkAnnotation {
                link: LinkAnnotation::new(
                    Rect::from_xywh(pt(*x), y(top + h), pt(*w), pt(*h)),
                    Actions::Uri(uri.clone()),
                    // Viewers default to a black border and an inverted flash on click: both
                    // would show on screen over what is meant to look as printed.
                    Some(BorderArray::Solid([0.0, 0.0, 0.0])),
                    Some(ColorArray::Transparent),
                    Some(HighlightingMode::None),
                ),
            });
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers of the first `/Rect[…]` after `/Subtype/Link`, as printpdf writes them.
    fn link_rect(pdf: &str) -> Vec<f32> {
        let after = pdf.split_once("/Subtype/Link").map_or("", |(_, a)| a);
        let inside = after
            .split_once("/Rect[")
            .and_then(|(_, a)| a.split_once(']'))
            .map_or("", |(r, _)| r);
        inside.split(' ').filter_map(|n| n.parse().ok()).collect()
    }

    #[test]
    fn a_link_is_an_invisible_uri_annotation_where_it_was_placed() {
        let mut doc = Document::new("Links", PageSetup::a4_portrait()).unwrap();
        doc.link(10.0, 20.0, 30.0, 40.0, "https://example.org/a(b)");
        // Nothing a viewer could use: dropped, not written as a broken annotation.
        doc.link(10.0, 20.0, 0.0, 40.0, "https://example.org/zero-width");
        doc.link(f32::NAN, 20.0, 30.0, 40.0, "https://example.org/nan");
        doc.link(10.0, 20.0, 30.0, f32::INFINITY, "https://example.org/inf");
        doc.link(10.0, 20.0, 30.0, 40.0, " ");
        let pdf = doc.finish().unwrap();
        let pdf = String::from_utf8_lossy(&pdf);
        assert_eq!(pdf.matches("/Subtype/Link").count(), 1, "{pdf}");
        assert!(
            pdf.contains("/S/URI/URI(https://example.org/a(b))"),
            "{pdf}"
        );
        // No border, no border colour, no highlight on click.
        assert!(pdf.contains("/Border[0 0 0]/C[]/H/N"), "{pdf}");
        // PDF space: from the bottom left, in points; the page is 297 mm high.
        let expected = [10.0, 297.0 - 60.0, 40.0, 297.0 - 20.0].map(|mm| mm / PT_TO_MM);
        let rect = link_rect(&pdf);
        assert_eq!(rect.len(), 4, "{rect:?}");
        for (got, want) in rect.iter().zip(expected) {
            assert!((got - want).abs() < 0.01, "{rect:?} vs {expected:?}");
        }
    }
}
