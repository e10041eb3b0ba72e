//! `certroom-pdf`: the documents a session prints.
//!
//! One small layer ([`Document`]: A4 pages, margins, a running header, "Page x / y" footers,
//! wrapped or ellipsised text, tables whose header row repeats on every page) over `printpdf`,
//! with DejaVu Sans embedded as a subset so a sheet weighs tens of kilobytes. The documents
//! built on it take plain data, never a database handle: [`attendance_sheet`], [`certificates`]
//! (a batch, one page each, the signed QR text in a QR code and a link) and
//! [`session_report()`] (the procès-verbal de session). [`bench`] times certificate printing
//! for `certroom bench certificates`.
//!
//! A character the font cannot draw is never dropped in silence: [`Document::finish`] fails
//! with [`PdfError::MissingGlyphs`], which lists each character and the text it was in, and
//! [`Fonts::missing_glyphs`] lets a screen check a name before anyone prints.

pub mod attendance;
pub mod bench;
pub mod certificate;
pub mod collate;
pub mod font;
pub mod layout;
pub mod session_report;
mod text;

use certroom_core::message::UserMessage;

pub use attendance::{attendance_sheet, AttendanceRow, AttendanceSheet};
pub use certificate::{certificates, certificates_with_progress, Certificate, CertificateLang};
pub use collate::compare_names;
pub use font::{FontStyle, Fonts};
pub use layout::{Align, Column, Document, PageSetup, Table, TextStyle, PT_TO_MM};
pub use session_report::{
    session_report, AbortReason, CandidateOutcome, ReportCandidate, ReportIncident, SessionReport,
};

/// A character the document font has no glyph for, and the text it appeared in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingGlyph {
    pub ch: char,
    pub text: String,
}

impl MissingGlyph {
    /// `« 中 » (U+4E2D)`: the code point too, because the glyph itself may not display either.
    fn describe(&self) -> String {
        format!("« {} » (U+{:04X})", self.ch, u32::from(self.ch))
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PdfError {
    /// Some text cannot be drawn with the document font. Nothing was written.
    #[error("the document font has no glyph for {}", list_missing(.0))]
    MissingGlyphs(Vec<MissingGlyph>),
    /// A shipped font could not be read or subset: a build problem, not the user's.
    #[error("font {font}: {reason}")]
    Font { font: String, reason: String },
    /// The QR code payload cannot be encoded (too long for the largest QR code).
    #[error("QR code payload of {len} bytes: {reason}")]
    QrCode { len: usize, reason: String },
}

fn list_missing(missing: &[MissingGlyph]) -> String {
    missing
        .iter()
        .map(|m| format!("{} in “{}”", m.describe(), m.text))
        .collect::<Vec<_>>()
        .join(", ")
}

impl UserMessage for PdfError {
    fn code(&self) -> &'static str {
        match self {
            Self::MissingGlyphs(_) => "pdf.missing_glyphs",
            Self::Font { .. } => "pdf.font",
            Self::QrCode { .. } => "pdf.qr_code",
        }
    }
    fn message_fr(&self) -> String {
        match self {
            Self::MissingGlyphs(missing) => {
                let list = missing
                    .iter()
                    .map(|m| format!("{} dans « {} »", m.describe(), m.text))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "Le document n'a pas été créé : la police ne sait pas imprimer {list}. \
                     Corrigez ce texte (par exemple en écrivant le nom en caractères latins, \
                     comme sur la pièce d'identité) puis recommencez."
                )
            }
            Self::Font { font, reason } => format!(
                "La police « {font} » livrée avec l'application est illisible ({reason}). \
                 Réinstallez l'application."
            ),
            Self::QrCode { len, reason } => format!(
                "Le document n'a pas été créé : le contenu du QR code ({len} octets) ne peut \
                 pas être codé ({reason}). Signalez-le à l'assistance."
            ),
        }
    }
    fn message_en(&self) -> String {
        match self {
            Self::MissingGlyphs(missing) => format!(
                "The document was not created: the font cannot print {}. Correct this text \
                 (for instance write the name in Latin letters, as on the identity document) \
                 and try again.",
                list_missing(missing)
            ),
            Self::Font { font, reason } => format!(
                "The font “{font}” shipped with the application is unreadable ({reason}). \
                 Reinstall the application."
            ),
            Self::QrCode { len, reason } => format!(
                "The document was not created: the QR code content ({len} bytes) cannot be \
                 encoded ({reason}). Report it to support."
            ),
        }
    }
}
