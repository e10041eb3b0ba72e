//! The certification certificate (attestation de certification des compétences numériques):
//! one A4 page per candidate, a whole class or session in one PDF so the school office prints
//! a single file. All pages share one [`Document`], so each font subset is embedded once for the
//! batch and an extra certificate costs only its own page (a few kilobytes).
//!
//! The QR code holds the signed verification URL the caller computed with `certroom-certificate`
//! ([`Certificate::qr_text`]), and a link over it carries the same text, so the file itself can
//! be checked (`certroom certificate verify FILE.pdf`) and a click opens the verification page.
//!
//! Names are printed as given, except the last name, which is printed in capitals as on the
//! reference certificate. A character the font cannot draw fails the whole batch with
//! [`PdfError::MissingGlyphs`] (nothing is dropped), like every document of this crate.

use qrcode::bits::Bits;
use qrcode::types::QrError;
use qrcode::{Color, EcLevel, QrCode, Version};

use crate::layout::{Align, Document, PageSetup, TextStyle};
use crate::PdfError;

/// One candidate's certificate. Dates are already formatted (`jj/mm/aaaa`): they are printed as
/// given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Certificate {
    pub first_name: String,
    /// Printed in capitals.
    pub last_name: String,
    /// `jj/mm/aaaa`.
    pub birthdate: String,
    pub birthplace: String,
    pub centre: String,
    /// Date of issue, `jj/mm/aaaa`.
    pub issued: String,
    /// Last day of validity (`jj/mm/aaaa`); `None` = without time limit (the current rule).
    pub validity: Option<String>,
    pub pix: u32,
    pub pix_max: u32,
    pub global_level: u8,
    /// (code `"1.1"`, title, level 0–7), in the order printed: the 16 CRCN competences.
    pub competences: Vec<(String, String, u8)>,
    /// The competence levels were estimated competence by competence (scoring's
    /// `competence_method: per_competence`) rather than from the global capacity as the
    /// reference system does: one line under the table says so. `false` for every certificate
    /// the service publishes today (it scores with the global method).
    pub per_competence_levels: bool,
    /// `P-` + 8 characters, typed on the public verification page.
    pub verification_code: String,
    /// The public verification page, printed.
    pub verify_url: String,
    /// The QR text: the signed verification URL `certroom_certificate::sign` returns, computed
    /// by the caller (this crate never sees a key). Encoded as is in the QR code and carried by
    /// a link over it, so a PDF viewer opens the verification page and
    /// `certroom_certificate::find_payloads` reads it back without rendering the page. Not
    /// printed as text. Empty: no QR code and no link (a code holding nothing would only make a
    /// scanner report a forgery).
    pub qr_text: String,
}

/// The 16 rows a certificate prints: CRCN code, title in `lang` (the decree's French, or our
/// English translation), level, in framework order.
pub fn competence_rows(levels: &[u8], lang: CertificateLang) -> Vec<(String, String, u8)> {
    let framework = certroom_core::framework::crcn().ok();
    let lang = match lang {
        CertificateLang::Fr => "fr",
        CertificateLang::En => "en",
    };
    certroom_core::framework::COMPETENCE_CODES
        .iter()
        .zip(levels.iter().copied().chain(std::iter::repeat(0)))
        .map(|(code, level)| {
            let title = framework
                .and_then(|fw| fw.competence(code))
                .map(|c| c.title.get(lang).to_owned())
                .unwrap_or_default();
            ((*code).to_owned(), title, level)
        })
        .collect()
}

/// Language of the labels. Names, places and competence titles are printed as given (see
/// [`competence_rows`] for titles in the certificate's language).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CertificateLang {
    #[default]
    Fr,
    En,
}

struct Labels {
    title: &'static str,
    framework: &'static str,
    birth: &'static str,
    centre: &'static str,
    issued: &'static str,
    validity: &'static str,
    unlimited: &'static str,
    until: &'static str,
    competence: &'static str,
    level: &'static str,
    none: &'static str,
}

const FR: Labels = Labels {
    title: "Attestation de certification des compétences numériques",
    framework: "Cadre de référence des compétences numériques (CRCN, décret n° 2019-919)",
    birth: "Né(e) le",
    centre: "Centre de certification",
    issued: "Date de délivrance",
    validity: "Validité",
    unlimited: "sans limite de durée",
    until: "jusqu'au",
    competence: "Compétence",
    level: "Niveau",
    none: "Aucune attestation à imprimer.",
};

const EN: Labels = Labels {
    title: "Digital skills certification certificate",
    framework: "French digital competence framework (CRCN, decree no. 2019-919)",
    birth: "Born on",
    centre: "Certification centre",
    issued: "Date of issue",
    validity: "Validity",
    unlimited: "no time limit",
    until: "until",
    competence: "Competence",
    level: "Level",
    none: "No certificate to print.",
};

impl CertificateLang {
    fn labels(self) -> &'static Labels {
        match self {
            CertificateLang::Fr => &FR,
            CertificateLang::En => &EN,
        }
    }

    fn born(self, date: &str, place: &str) -> String {
        match (self, place.trim().is_empty()) {
            (_, true) => date.to_owned(),
            (CertificateLang::Fr, false) => format!("{date} à {place}"),
            (CertificateLang::En, false) => format!("{date} in {place}"),
        }
    }

    // French typography puts a space before ":" and ";".
    fn score(self, pix: u32, max: u32) -> String {
        match self {
            CertificateLang::Fr => format!("Score : {pix} pix / {max}"),
            CertificateLang::En => format!("Score: {pix} pix / {max}"),
        }
    }

    fn global_level(self, level: u8) -> String {
        match self {
            CertificateLang::Fr => format!("Niveau global : {level}"),
            CertificateLang::En => format!("Overall level: {level}"),
        }
    }

    fn per_competence_note(self) -> &'static str {
        match self {
            CertificateLang::Fr => {
                "Niveaux par compétence estimés d'après les réponses de chaque compétence."
            }
            CertificateLang::En => {
                "Competence levels estimated from each competence's own answers."
            }
        }
    }

    fn code(self, code: &str) -> String {
        match self {
            CertificateLang::Fr => format!("Code de vérification : {code}"),
            CertificateLang::En => format!("Verification code: {code}"),
        }
    }

    // The code is printed in bold just above, not repeated here: wrapped in a sentence, it
    // would break after its hyphen ("P-" / "BCDF2346") and be typed wrong.
    fn how_to_verify(self, url: &str) -> String {
        match self {
            CertificateLang::Fr => format!(
                "Vérifiez ce certificat sur {url} avec ce code ou en scannant le QR code (dans \
                 le fichier PDF, cliquez dessus) ; le QR code contient une signature du service \
                 de certification vérifiable hors ligne. La page publique montre le prénom et \
                 l'initiale du nom ; la date de naissance du titulaire y fait afficher le nom \
                 complet."
            ),
            CertificateLang::En => format!(
                "Check this certificate at {url} with this code or by scanning the QR code (in \
                 the PDF file, click it); the QR code holds a signature from the certification \
                 service that can be checked offline. The public page shows the first name and \
                 the last name's initial; the holder's birthdate shows the full name there."
            ),
        }
    }
}

// 14 pt keeps the French title on one line (170 mm of the 180 available).
const TITLE: TextStyle = TextStyle::bold(14.0);
const SUBTITLE: TextStyle = TextStyle::regular(8.5);
const NAME: TextStyle = TextStyle::bold(15.0);
const LABEL: TextStyle = TextStyle::bold(9.5);
const VALUE: TextStyle = TextStyle::regular(9.5);
const SCORE: TextStyle = TextStyle::bold(13.0);
const CELL: TextStyle = TextStyle::regular(9.0);
const CELL_BOLD: TextStyle = TextStyle::bold(9.0);
const CODE: TextStyle = TextStyle::bold(12.0);
const NOTE: TextStyle = TextStyle::regular(9.0);

/// Smallest side of the QR symbol (mm). A module is what a scanner must resolve, not the
/// symbol: 40 mm keeps modules at 0.6 mm or more up to version 12 (65 modules, 287 characters
/// at level M), which holds every signed text whose names take up to 87 bytes together with
/// the default base URL.
const QR_MIN_SIZE: f32 = 40.0;
/// Smallest module (mm) the symbol grows to keep, for longer texts: 0.6 mm on a laser print
/// is read by a phone at arm's length and survives a photocopy.
const QR_MIN_MODULE: f32 = 0.6;
/// The symbol stops growing here: version 16 (81 modules, the longest names the format signs
/// with the default base URL) still gets 0.6 mm, and the competence table keeps its room.
const QR_MAX_SIZE: f32 = 50.0;
/// The QR standard asks for 4 light modules around the symbol; nothing is drawn there.
const QUIET_MODULES: f32 = 4.0;
/// Squares in a competence's level bar: the highest level open today.
const BAR_SQUARES: u8 = 7;
const MAX_ROW_HEIGHT: f32 = 7.0;

/// A batch of certificates as one PDF: one A4 page per certificate, in the order given. Fails
/// with [`PdfError::MissingGlyphs`] when any printed text holds a character the font cannot
/// draw (every such character of the batch is listed), or [`PdfError::QrCode`] when a
/// QR text is too long for a QR code.
pub fn certificates(certs: &[Certificate], lang: CertificateLang) -> Result<Vec<u8>, PdfError> {
    certificates_with_progress(certs, lang, &mut |_, _| {})
}

/// [`certificates`], calling `progress(done, total)` after each page is laid out (`done` from 1
/// to `total` = `certs.len()`), so a screen can show how far a large batch has got. The file
/// is written after the last call and that takes about as long again (300 certificates: 0.42 s
/// of layout, then 0.5 s), so a screen should still say it is working once `done == total`.
/// Nothing is called for an empty batch, nor for the pages after a QR text fails to encode.
pub fn certificates_with_progress(
    certs: &[Certificate],
    lang: CertificateLang,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<u8>, PdfError> {
    let labels = lang.labels();
    let setup = PageSetup {
        margin_top: 15.0,
        margin_right: 15.0,
        margin_bottom: 15.0,
        margin_left: 15.0,
        header_height: 0.0,
        footer_height: 0.0,
        ..PageSetup::a4_portrait()
    };
    let mut doc = Document::new(labels.title, setup)?;
    // Each certificate is a document of its own: "Page 37 / 300" would be misleading.
    doc.set_page_numbers(false);
    if certs.is_empty() {
        doc.paragraph(labels.none, VALUE, Align::Left);
    }
    for (i, cert) in certs.iter().enumerate() {
        if i > 0 {
            doc.new_page();
        }
        page(&mut doc, cert, lang)?;
        progress(i + 1, certs.len());
    }
    doc.finish()
}

fn page(doc: &mut Document, cert: &Certificate, lang: CertificateLang) -> Result<(), PdfError> {
    let labels = lang.labels();
    let s = *doc.setup();
    let (left, width) = (s.content_left(), s.content_width());
    let mut y = s.content_top();

    y += doc.text_box(left, y, width, labels.title, TITLE, Align::Center, 2) + 1.0;
    doc.text(left, y, width, labels.framework, SUBTITLE, Align::Center);
    y += SUBTITLE.line_height() + 6.0;

    let name = format!("{} {}", cert.first_name, cert.last_name.to_uppercase());
    y += doc.text_box(left, y, width, &name, NAME, Align::Center, 2) + 3.0;
    doc.line(left, y, left + width, y, 0.3);
    y += 3.0;

    let validity = match &cert.validity {
        None => labels.unlimited.to_owned(),
        Some(date) => format!("{} {date}", labels.until),
    };
    let label_w = 45.0; // "Centre de certification" is 40 mm in 9.5 pt bold.
    for (label, value) in [
        (labels.birth, lang.born(&cert.birthdate, &cert.birthplace)),
        (labels.centre, cert.centre.clone()),
        (labels.issued, cert.issued.clone()),
        (labels.validity, validity),
    ] {
        doc.text(left, y, label_w, label, LABEL, Align::Left);
        let used = doc.text_box(
            left + label_w,
            y,
            width - label_w,
            &value,
            VALUE,
            Align::Left,
            2,
        );
        y += used.max(VALUE.line_height()) + 1.0;
    }

    y += 3.0;
    let band = SCORE.line_height() + 4.0;
    doc.fill_rect(left, y, width, band, 0.92);
    let half = width / 2.0 - 4.0;
    let score = lang.score(cert.pix, cert.pix_max);
    doc.text(left + 4.0, y + 2.0, half, &score, SCORE, Align::Left);
    let level = lang.global_level(cert.global_level);
    doc.text(
        left + width / 2.0,
        y + 2.0,
        half,
        &level,
        SCORE,
        Align::Right,
    );
    y += band + 5.0;

    let (qr, qr_width) = qr_modules(&cert.qr_text)?;
    let qr_width = qr_width.max(1);
    let side = (qr_width as f32 * QR_MIN_MODULE).clamp(QR_MIN_SIZE, QR_MAX_SIZE);
    let module = side / qr_width as f32;
    let qr_left = s.content_right() - side;
    let qr_top = s.content_bottom() - side;

    let table_end = competence_table(doc, cert, labels, y, qr_top - 8.0);
    if cert.per_competence_levels {
        // One line in the 8 mm the table leaves above the verification block.
        let note = lang.per_competence_note();
        doc.text(left, table_end + 1.5, width, note, NOTE, Align::Left);
    }

    // Verification: the code and how to use it, left of the QR code and clear of its quiet zone.
    let text_w = width - side - QUIET_MODULES * module - 2.0;
    let code = lang.code(&cert.verification_code);
    let mut ty = qr_top;
    ty += doc.text_box(left, ty, text_w, &code, CODE, Align::Left, 2) + 2.0;
    let how = lang.how_to_verify(&cert.verify_url);
    doc.text_box(left, ty, text_w, &how, NOTE, Align::Left, 6);

    if qr.is_empty() {
        return Ok(());
    }
    doc.link(qr_left, qr_top, side, side, &cert.qr_text);
    // Dark modules as horizontal runs: vector, sharp at any printer resolution.
    let mut runs = Vec::new();
    for (row, cells) in qr.chunks(qr_width).enumerate() {
        let mut col = 0;
        while col < cells.len() {
            if !cells[col] {
                col += 1;
                continue;
            }
            let start = col;
            while col < cells.len() && cells[col] {
                col += 1;
            }
            let as_u16 = |v: usize| u16::try_from(v).unwrap_or(u16::MAX);
            runs.push((as_u16(row), as_u16(start), as_u16(col - start)));
        }
    }
    doc.grid(qr_left, qr_top, module, runs);
    Ok(())
}

/// The competences between `top` and `bottom` (mm): code, title, level as a number and as a
/// bar of squares. Rows shrink if an unusual list would not fit, so the page never overflows.
/// Returns where the table ends (mm).
fn competence_table(
    doc: &mut Document,
    cert: &Certificate,
    labels: &Labels,
    top: f32,
    bottom: f32,
) -> f32 {
    let s = *doc.setup();
    let (left, width) = (s.content_left(), s.content_width());
    let square = 3.2;
    let gap = 1.0;
    let bar_w = f32::from(BAR_SQUARES) * (square + gap) - gap;
    let code_w = 12.0;
    let number_w = 14.0;
    let title_w = width - code_w - number_w - bar_w - 6.0;

    let rows = cert.competences.len();
    let row_h = ((bottom - top) / (rows + 1) as f32).clamp(1.0, MAX_ROW_HEIGHT);
    let text_dy = (row_h - CELL.line_height()) / 2.0;

    doc.fill_rect(left, top, width, row_h, 0.85);
    doc.text(
        left + 2.0,
        top + text_dy,
        code_w + title_w,
        labels.competence,
        CELL_BOLD,
        Align::Left,
    );
    let level_x = left + code_w + title_w;
    doc.text(
        level_x,
        top + text_dy,
        width - code_w - title_w - 2.0,
        labels.level,
        CELL_BOLD,
        Align::Left,
    );

    for (i, (code, title, level)) in cert.competences.iter().enumerate() {
        let y = top + (i + 1) as f32 * row_h;
        if i % 2 == 1 {
            // Banding guides the eye from a title to its level across the page.
            doc.fill_rect(left, y, width, row_h, 0.96);
        }
        doc.text(
            left + 2.0,
            y + text_dy,
            code_w - 2.0,
            code,
            CELL_BOLD,
            Align::Left,
        );
        doc.text(
            left + code_w,
            y + text_dy,
            title_w,
            title,
            CELL,
            Align::Left,
        );
        doc.text(
            level_x,
            y + text_dy,
            number_w - 3.0,
            &level.to_string(),
            CELL_BOLD,
            Align::Right,
        );
        let bar_x = level_x + number_w;
        let sq = square.min(row_h - 1.0).max(0.5);
        let sq_y = y + (row_h - sq) / 2.0;
        for k in 0..BAR_SQUARES {
            // Filled up to the level; the rest light grey so the scale's length stays visible.
            let grey = if k < *level { 0.15 } else { 0.85 };
            let x = bar_x + f32::from(k) * (square + gap);
            doc.fill_rect(x, sq_y, sq, sq, grey);
        }
    }
    let end = top + (rows + 1) as f32 * row_h;
    doc.line(left, end, left + width, end, 0.3);
    end
}

/// The QR matrix (row by row, `true` = dark) and its width in modules; nothing for an empty
/// text. Medium error correction (15 %) survives a crease, a smudge or a staple hole; level Q
/// would need version 14 instead of 11 for a 250-character text, so 16 % smaller modules at
/// the same size, and blur (a photocopy, a phone focusing badly) defeats small modules sooner
/// than damage defeats level M. The printed code and the link are there when both fail.
fn qr_modules(text: &str) -> Result<(Vec<bool>, usize), PdfError> {
    if text.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let too_long = |e: QrError| PdfError::QrCode {
        len: text.len(),
        reason: e.to_string(),
    };
    let code = QrCode::with_bits(byte_mode(text.as_bytes())?, EcLevel::M).map_err(too_long)?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Ok((dark, width))
}

/// `data` as one byte-mode segment in the smallest version that holds it at level M. The
/// `qrcode` crate's own mode optimiser splits a URL into numeric, alphanumeric and byte runs and
/// can land one version higher (a 249-character QR text: version 12, not 11), so the size of the
/// symbol would no longer follow docs/certificate-format.md §4.
fn byte_mode(data: &[u8]) -> Result<Bits, PdfError> {
    let mut last = QrError::DataTooLong;
    for version in 1..=40 {
        let mut bits = Bits::new(Version::Normal(version));
        match bits
            .push_byte_data(data)
            .and_then(|()| bits.push_terminator(EcLevel::M))
        {
            Ok(()) => return Ok(bits),
            Err(e) => last = e,
        }
    }
    Err(PdfError::QrCode {
        len: data.len(),
        reason: last.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_batch_and_an_empty_certificate_still_render() {
        let pdf = certificates(&[], CertificateLang::Fr).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let pdf = certificates(&[Certificate::default()], CertificateLang::En).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    /// The QR versions of docs/certificate-format.md §4: byte mode at level M.
    #[test]
    fn qr_texts_take_the_smallest_byte_mode_version() {
        for (len, version) in [
            (188, 10),
            (213, 10),
            (249, 11),
            (251, 11),
            (286, 12),
            (437, 16),
            (2331, 40),
        ] {
            let text = "h".repeat(len);
            let (_, width) = qr_modules(&text).unwrap();
            assert_eq!(width, 17 + 4 * version, "{len} characters");
        }
        assert!(matches!(
            qr_modules(&"h".repeat(2332)),
            Err(PdfError::QrCode { len: 2332, .. })
        ));
        assert_eq!(qr_modules("").unwrap(), (Vec::new(), 0));
    }

    /// The file with the trailer's `/ID` blanked: printpdf draws its two strings at random on
    /// every save, and everything else follows from the input.
    fn without_file_id(pdf: &[u8]) -> Vec<u8> {
        let mut pdf = pdf.to_vec();
        let start = pdf.windows(4).rposition(|w| w == b"/ID[").unwrap();
        let len = pdf[start..].iter().position(|b| *b == b']').unwrap();
        pdf[start..start + len].fill(b'-');
        pdf
    }

    #[test]
    fn progress_is_reported_after_each_page_and_changes_nothing_printed() {
        let certs = crate::bench::batch(4).unwrap();
        let mut calls = Vec::new();
        let with = certificates_with_progress(&certs, CertificateLang::Fr, &mut |done, total| {
            calls.push((done, total));
        })
        .unwrap();
        assert_eq!(calls, [(1, 4), (2, 4), (3, 4), (4, 4)]);
        let without = certificates(&certs, CertificateLang::Fr).unwrap();
        assert_eq!(with.len(), without.len());
        assert!(without_file_id(&with) == without_file_id(&without));

        let mut calls = 0;
        certificates_with_progress(&[], CertificateLang::Fr, &mut |_, _| calls += 1).unwrap();
        assert_eq!(calls, 0, "an empty batch has no page to report");
    }

    #[test]
    fn a_payload_too_long_for_any_qr_code_is_an_error() {
        let cert = Certificate {
            qr_text: "x".repeat(5_000),
            ..Default::default()
        };
        let err = certificates(&[cert], CertificateLang::Fr).unwrap_err();
        assert!(
            matches!(err, PdfError::QrCode { len: 5_000, .. }),
            "{err:?}"
        );
    }
}
