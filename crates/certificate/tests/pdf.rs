//! QR texts found in a certificate PDF built with printpdf the way crates/pdf builds it: one
//! page per certificate, a link annotation over the QR code whose URI is the QR text.

mod common;

use certroom_certificate::{find_payloads, sign, verify, Claims};
use common::*;
use printpdf::{
    Actions, BorderArray, Color, ColorArray, Greyscale, HighlightingMode, LinkAnnotation, Mm, Op,
    PaintMode, PdfDocument, PdfPage, PdfSaveOptions, Pt, Rect,
};

const MM: f32 = 72.0 / 25.4;

/// A page with a black square where the QR code is printed and the link over it.
fn certificate_page(uri: &str) -> PdfPage {
    // 35 mm square at the bottom right of an A4 page with 15 mm margins, as crates/pdf does.
    let (x, y, side) = (Pt(160.0 * MM), Pt(15.0 * MM), Pt(35.0 * MM));
    let ops = vec![
        Op::SetFillColor {
            col: Color::Greyscale(Greyscale::new(0.0, None)),
        },
        Op::DrawRectangle {
            rectangle: Rect {
                mode: Some(PaintMode::Fill),
                ..Rect::from_xywh(x, y, side, side)
            },
        },
        Op::LinkAnnotation {
            link: LinkAnnotation::new(
                Rect::from_xywh(x, y, side, side),
                Actions::Uri(uri.to_owned()),
                Some(BorderArray::Solid([0.0, 0.0, 0.0])),
                Some(ColorArray::Transparent),
                Some(HighlightingMode::None),
            ),
        },
    ];
    PdfPage::new(Mm(210.0), Mm(297.0), ops)
}

fn batch(uris: &[String]) -> Vec<u8> {
    let mut doc = PdfDocument::new("Attestations");
    doc.with_pages(uris.iter().map(|u| certificate_page(u)).collect());
    let mut warnings = Vec::new();
    doc.save(&PdfSaveOptions::default(), &mut warnings)
}

fn class() -> Vec<Claims> {
    [
        ("P-4TK7BQ9M", "Zoé", "N'Diaye-Lefèvre"),
        ("P-CDFGHJKM", "Ánh", "Đặng Thị"),
        ("P-QRTVWXY2", "Øystein", "Ærø"),
    ]
    .into_iter()
    .map(|(code, first, last)| Claims {
        code: code.into(),
        first_name: first.into(),
        last_name: last.into(),
        ..sample()
    })
    .collect()
}

#[test]
fn every_certificate_of_a_batch_is_found_and_verifies() {
    let key = service_key();
    let claims = class();
    let qrs: Vec<String> = claims
        .iter()
        .map(|c| sign(c, &key, 1, BASE).unwrap())
        .collect();
    let mut uris = qrs.clone();
    // A link that is not a certificate (the service's home page) is left out.
    uris.insert(1, "https://verifier.certroom.fr/aide#scanner".into());
    let pdf = batch(&uris);
    assert!(pdf.starts_with(b"%PDF-"));

    let found = find_payloads(&pdf);
    assert_eq!(found, qrs);
    let verified: Vec<Claims> = found
        .iter()
        .map(|qr| verify(qr, &trusted(&key)).unwrap())
        .collect();
    assert_eq!(verified, claims);
}

#[test]
fn a_pdf_re_saved_with_compressed_object_streams_still_gives_its_certificates() {
    let key = service_key();
    let qrs: Vec<String> = class()
        .iter()
        .map(|c| sign(c, &key, 1, BASE).unwrap())
        .collect();
    let pdf = batch(&qrs);
    let mut doc = lopdf::Document::load_mem(&pdf).unwrap();
    let mut resaved = Vec::new();
    doc.save_modern(&mut resaved).unwrap();
    // The URIs are no longer visible in the file: only inflating the object streams finds them.
    let visible = resaved.windows(4).any(|w| w == b"/URI");
    assert!(
        !visible,
        "lopdf kept the annotations outside object streams"
    );
    let mut found = find_payloads(&resaved);
    found.sort();
    let mut expected = qrs.clone();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn a_tampered_uri_is_found_and_then_refused() {
    let key = service_key();
    let qr = sign(&class()[0], &key, 1, BASE).unwrap();
    // One character of the signature changed, as by someone editing the PDF's link.
    let at = qr.len() - 10;
    let flipped = if &qr[at..=at] == "x" { "y" } else { "x" };
    let forged = format!("{}{flipped}{}", &qr[..at], &qr[at + 1..]);
    assert_ne!(forged, qr);
    let pdf = batch(std::slice::from_ref(&forged));
    let found = find_payloads(&pdf);
    assert_eq!(found, vec![forged.clone()]);
    assert_eq!(
        verify(&found[0], &trusted(&key)),
        Err(certroom_certificate::VerifyError::BadSignature)
    );
}

#[test]
fn a_file_without_certificates_gives_nothing() {
    assert!(find_payloads(b"").is_empty());
    assert!(find_payloads(b"not a pdf at all").is_empty());
    assert!(find_payloads(&batch(&[])).is_empty());
    assert!(find_payloads(&batch(&["https://example.org/#x".into()])).is_empty());
}
