//! What one kiosk screen shows, and nothing more: the item on screen without its solution, with
//! Markdown turned into safe HTML here so the webview never parses bank content itself.
//! The page reads these types from `ui/src/generated`, which `cargo test -p certroom bindings`
//! writes.

use base64::Engine as _;
use certroom_core::bank::{Item, ItemType};
use certroom_core::text::Text;
use pulldown_cmark::{html, Event, Options, Parser, Tag, TagEnd};
use serde::Serialize;

/// The candidate's language: French by default, English when chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub fn text(self, text: &Text) -> String {
        text.get(self.code()).to_owned()
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "screen", rename_all = "snake_case")]
#[ts(rename = "KioskScreen")]
pub enum Screen {
    Welcome,
    WaitingAuthorization {
        resume: bool,
        candidate: String,
        /// In a live room: the candidate still has to type the session's access code.
        #[serde(default)]
        access_code_needed: bool,
    },
    Question {
        question: Box<QuestionView>,
        progress: Progress,
        time: TimeLeft,
        alert_open: bool,
        focus_lost: bool,
    },
    Ended {
        reason: EndedReason,
    },
    Damaged {
        message_fr: String,
        message_en: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum EndedReason {
    Completed,
    BankExhausted,
    TimeUp,
    Interrupted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "TestProgress")]
pub struct Progress {
    pub index: u32,
    pub total: u32,
    pub answered: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct TimeLeft {
    pub remaining_s: u64,
    pub question_remaining_s: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct QuestionView {
    pub item_id: String,
    pub kind: QuestionKind,
    pub instruction_html: String,
    pub proposals: Vec<String>,
    pub form: Vec<FormSegment>,
    pub fields: Vec<FieldView>,
    pub illustration: Option<Illustration>,
    pub attachments: Vec<AttachmentRef>,
    pub timer_s: Option<u32>,
}

/// The screen's own kinds: both QROCM variants are one form to the candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    Qcu,
    Qcm,
    Qroc,
    Qrocm,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(untagged)]
pub enum FormSegment {
    Text { text_html: String },
    Field { field: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FieldView {
    pub key: String,
    pub aria_label: String,
    pub placeholder: Option<String>,
    pub options: Option<Vec<String>>,
    pub numeric: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Illustration {
    pub src: String,
    pub alt: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AttachmentRef {
    pub id: usize,
    pub name: String,
    pub media_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttachmentView {
    Table {
        name: String,
        rows: Vec<Vec<String>>,
    },
    Text {
        name: String,
        text: String,
    },
    Image {
        name: String,
        src: String,
        /// What the image shows (the bank requires it): its name alone describes nothing.
        alt: String,
    },
}

/// Builds the view of `item` with its options in `order` (`order[position]` = the option's index
/// in the item, see `certroom_core::options`); `asset` fetches a bank file's bytes by its path.
pub fn question_view<'a>(
    item: &Item,
    order: &[usize],
    lang: Lang,
    asset: impl Fn(&str) -> Option<&'a [u8]>,
) -> QuestionView {
    let kind = match item.kind {
        ItemType::Qcu => QuestionKind::Qcu,
        ItemType::Qcm => QuestionKind::Qcm,
        ItemType::Qroc => QuestionKind::Qroc,
        ItemType::QrocmInd | ItemType::QrocmDep => QuestionKind::Qrocm,
    };
    let form = item
        .form
        .as_ref()
        .map(|f| form_segments(&lang.text(f)))
        .unwrap_or_default();
    // Fields in the order the form shows them, so tab order follows reading order.
    let fields = form
        .iter()
        .filter_map(|s| match s {
            FormSegment::Field { field } => item.fields.get(field).map(|f| (field, f)),
            FormSegment::Text { .. } => None,
        })
        .map(|(key, f)| FieldView {
            key: key.clone(),
            aria_label: lang.text(&f.aria_label),
            placeholder: f.placeholder.as_ref().map(|p| lang.text(p)),
            options: (!f.options.is_empty())
                .then(|| f.options.iter().map(|o| lang.text(o)).collect()),
            numeric: f.numeric,
        })
        .collect();
    QuestionView {
        item_id: item.id.clone(),
        kind,
        instruction_html: markdown_block(&lang.text(&item.instruction)),
        proposals: order
            .iter()
            .filter_map(|&i| item.proposals.get(i))
            .map(|p| markdown_inline(&lang.text(p)))
            .collect(),
        form,
        fields,
        illustration: item.illustration.as_ref().and_then(|ill| {
            asset(&ill.src).map(|bytes| Illustration {
                src: data_url(media_type_of(&ill.src), bytes),
                alt: lang.text(&ill.alt),
            })
        }),
        attachments: item
            .attachments
            .iter()
            .enumerate()
            .map(|(id, a)| AttachmentRef {
                id,
                name: lang.text(&a.name),
                media_type: a.media_type.clone(),
            })
            .collect(),
        timer_s: item.timer_s,
    }
}

/// Opens attachment `id` of `item` for the kiosk's viewer.
pub fn attachment_view(item: &Item, id: usize, lang: Lang, bytes: &[u8]) -> Option<AttachmentView> {
    let att = item.attachments.get(id)?;
    let name = lang.text(&att.name);
    let media = att.media_type.as_str();
    Some(if media == "text/csv" {
        AttachmentView::Table {
            name,
            rows: csv_rows(bytes),
        }
    } else if att.is_image() {
        AttachmentView::Image {
            name,
            src: data_url(media, bytes),
            alt: att.alt.as_ref().map(|a| lang.text(a)).unwrap_or_default(),
        }
    } else {
        AttachmentView::Text {
            name,
            text: String::from_utf8_lossy(bytes).into_owned(),
        }
    })
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() >= first.matches(',').count() {
        b';'
    } else {
        b','
    };
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .filter_map(Result::ok)
        .map(|r| r.iter().map(str::to_owned).collect())
        .collect()
}

fn media_type_of(path: &str) -> &'static str {
    match path
        .rsplit('.')
        .next()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        _ => "application/octet-stream",
    }
}

fn data_url(media_type: &str, bytes: &[u8]) -> String {
    format!(
        "data:{media_type};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Markdown to HTML, with any raw HTML in the source shown as text: bank content never becomes
/// markup the author did not write as Markdown, and links cannot lead out of the kiosk.
pub fn markdown_block(source: &str) -> String {
    let parser = Parser::new_ext(
        source,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
    .filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        // A link keeps its text but loses its target; an image keeps only its description.
        Event::Start(Tag::Link { .. }) | Event::End(TagEnd::Link) => None,
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        other => Some(other),
    });
    let mut out = String::with_capacity(source.len() + source.len() / 2);
    html::push_html(&mut out, parser);
    out
}

/// Markdown for a short inline text (a proposal, the text around a field): no wrapping paragraph.
pub fn markdown_inline(source: &str) -> String {
    let html = markdown_block(source);
    let trimmed = html.trim_end();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|s| s.strip_suffix("</p>"))
    {
        Some(inner) if !inner.contains("<p>") => inner.to_owned(),
        _ => html,
    }
}

/// Splits a form template at its `${key}` fields.
pub fn form_segments(template: &str) -> Vec<FormSegment> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        let key = &rest[start + 2..start + 2 + len];
        if !rest[..start].is_empty() {
            out.push(text_segment(&rest[..start]));
        }
        out.push(FormSegment::Field {
            field: key.to_owned(),
        });
        rest = &rest[start + 3 + len..];
    }
    if !rest.is_empty() {
        out.push(text_segment(rest));
    }
    out
}

/// Markdown drops the spaces at the edges of a fragment; the words around a field need them.
fn text_segment(source: &str) -> FormSegment {
    let lead = if source.starts_with(char::is_whitespace) {
        " "
    } else {
        ""
    };
    let trail = if source.ends_with(char::is_whitespace) {
        " "
    } else {
        ""
    };
    FormSegment::Text {
        text_html: format!("{lead}{}{trail}", markdown_inline(source)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_and_links_never_become_markup() {
        let html = markdown_block(
            "Voir <script>alert(1)</script> et [ce site](https://evil.example) **ici**",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("href"), "{html}");
        assert!(
            html.contains("ce site") && html.contains("<strong>ici</strong>"),
            "{html}"
        );
    }

    #[test]
    fn tables_and_inline_text_render() {
        assert!(markdown_block("| a | b |\n|---|---|\n| 1 | 2 |").contains("<table>"));
        assert_eq!(markdown_inline("un **mot**"), "un <strong>mot</strong>");
    }

    #[test]
    fn form_templates_split_at_fields() {
        let segments = form_segments("Il y a ${n} lignes et ${m} colonnes.");
        assert_eq!(
            segments,
            vec![
                FormSegment::Text {
                    text_html: "Il y a ".into()
                },
                FormSegment::Field { field: "n".into() },
                FormSegment::Text {
                    text_html: " lignes et ".into()
                },
                FormSegment::Field { field: "m".into() },
                FormSegment::Text {
                    text_html: " colonnes.".into()
                },
            ]
        );
        assert_eq!(
            form_segments("${only}"),
            vec![FormSegment::Field {
                field: "only".into()
            }]
        );
    }

    #[test]
    fn every_image_attachment_of_the_sample_bank_is_described_not_just_named() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/bank/sample");
        let loaded =
            certroom_bank::load::load(certroom_bank::folder::read_dir(&dir).unwrap()).unwrap();
        let mut images = 0;
        for item in loaded.bank.items() {
            for (i, att) in item.attachments.iter().enumerate() {
                for lang in [Lang::Fr, Lang::En] {
                    if let Some(AttachmentView::Image { name, alt, .. }) =
                        attachment_view(item, i, lang, b"<svg/>")
                    {
                        images += 1;
                        assert!(alt.len() > name.len(), "{}: {alt:?}", att.src);
                    }
                }
            }
        }
        assert_eq!(images, 4, "two image attachments, in two languages");
    }

    #[test]
    fn csv_attachments_become_rows_with_either_delimiter() {
        assert_eq!(
            csv_rows("\u{feff}nom;note\nZoé;15,5\n".as_bytes()),
            vec![vec!["nom", "note"], vec!["Zoé", "15,5"]]
        );
        assert_eq!(
            csv_rows(b"a,b\n1,2\n"),
            vec![vec!["a", "b"], vec!["1", "2"]]
        );
    }
}
