//! Certificates read back by real tools: pdftotext for the text, pdftoppm + rqrr for the QR code
//! (decoded from the rendered page, as a phone would from the printed sheet). Tests needing
//! poppler print a notice and pass when it is absent.

mod common;

use std::path::Path;

use certroom_core::framework::crcn;
use certroom_pdf::{certificates, Certificate, CertificateLang, PdfError};
use common::{page_count, render_page_one, run, tools_present, write_pdf};

/// (first name, last name as given, last name as printed).
const NAMES: [(&str, &str, &str); 3] = [
    ("Zoé", "N'Diaye-Lefèvre", "N'DIAYE-LEFÈVRE"),
    ("Thị Ánh", "Đặng", "ĐẶNG"),
    ("Øystein", "Ærø", "ÆRØ"),
];

/// A realistic payload: the signed result the offline checker reads (about 200 bytes).
fn payload(code: &str) -> String {
    format!(
        "CRTR1.{code}.612.895.4.20260305.{}",
        "Zm9vYmFyYmF6cXV4c2lnbmF0dXJlLWVkMjU1MTktNjQtYnl0ZXMtYmFzZTY0dXJs".repeat(2)
    )
}

fn cert(i: usize, lang: CertificateLang) -> Certificate {
    let (first, last, _) = NAMES[i % NAMES.len()];
    let fw = crcn().map_err(|e| e.to_string()).unwrap();
    let code = format!("P-{}", ["BCDF2346", "GHJK7893", "MPQR4678"][i % 3]);
    Certificate {
        first_name: first.into(),
        last_name: last.into(),
        birthdate: "14/03/2010".into(),
        birthplace: "Paris 11e Arrondissement (75111)".into(),
        centre: "Collège Jean-Moulin (0750654D)".into(),
        issued: "05/03/2026".into(),
        validity: None,
        pix: 612,
        pix_max: 895,
        global_level: 4,
        competences: fw
            .competences()
            .enumerate()
            .map(|(k, c)| {
                let title = match lang {
                    CertificateLang::Fr => c.title.fr.clone(),
                    CertificateLang::En => c.title.en.clone().unwrap_or_default(),
                };
                (c.code.clone(), title, ((k + i) % 8) as u8)
            })
            .collect(),
        verification_code: code.clone(),
        verify_url: "https://certroom.example.fr/verifier".into(),
        qr_payload: payload(&code),
    }
}

#[test]
fn names_score_and_code_are_printed_exactly() {
    if !tools_present(&["pdftotext", "pdfinfo"]) {
        return;
    }
    let certs: Vec<Certificate> = (0..3).map(|i| cert(i, CertificateLang::Fr)).collect();
    let pdf = write_pdf(
        "certificates-3.pdf",
        &certificates(&certs, CertificateLang::Fr).unwrap(),
    );
    assert_eq!(page_count(&pdf), 3);
    for (page, (c, (first, _, printed_last))) in certs.iter().zip(NAMES).enumerate() {
        let p = (page + 1).to_string();
        let text = run(
            "pdftotext",
            &["-f", &p, "-l", &p, pdf.to_str().unwrap(), "-"],
        );
        for needle in [
            format!("{first} {printed_last}"),
            "Attestation de certification des compétences numériques".into(),
            "Score : 612 pix / 895".into(),
            "Niveau global : 4".into(),
            c.verification_code.clone(),
            "14/03/2010 à Paris 11e Arrondissement (75111)".into(),
            "Collège Jean-Moulin (0750654D)".into(),
            "05/03/2026".into(),
            "sans limite de durée".into(),
            "Protéger les données personnelles et la vie privée".into(),
            "https://certroom.example.fr/verifier".into(),
            "vérifiable hors ligne".into(),
        ] {
            assert!(
                text.contains(&needle),
                "page {p}: {needle:?} missing:\n{text}"
            );
        }
        // One certificate per page, and no "Page x / y" across the batch.
        assert!(!text.contains("Page 1 / 3"), "{text}");
        for (other, _, other_last) in NAMES.iter().filter(|n| n.0 != first) {
            assert!(!text.contains(&format!("{other} {other_last}")));
        }
    }
}

#[test]
fn english_labels_and_a_validity_date() {
    if !tools_present(&["pdftotext"]) {
        return;
    }
    let mut c = cert(0, CertificateLang::En);
    c.validity = Some("05/03/2029".into());
    let pdf = write_pdf(
        "certificate-en.pdf",
        &certificates(&[c], CertificateLang::En).unwrap(),
    );
    let text = run("pdftotext", &[pdf.to_str().unwrap(), "-"]);
    for needle in [
        "Zoé N'DIAYE-LEFÈVRE",
        "Score: 612 pix / 895",
        "Overall level: 4",
        "until 05/03/2029",
        "Verification code: P-BCDF2346",
        "Date of issue",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
    assert!(!text.contains("Niveau global"), "{text}");
}

/// Page 1 rendered to PNG; the QR code in it decodes to exactly the payload.
#[test]
fn the_printed_qr_code_decodes_to_the_payload() {
    if !tools_present(&["pdftoppm"]) {
        return;
    }
    let c = cert(0, CertificateLang::Fr);
    let pdf = write_pdf(
        "certificate-1.pdf",
        &certificates(std::slice::from_ref(&c), CertificateLang::Fr).unwrap(),
    );
    // 200 dpi puts about 5 pixels in each 0.6 mm module, what a decoder needs (rqrr misses
    // the finder patterns at 150 dpi, 3.7 pixels); a phone camera at reading distance sees more.
    let png_path = render_page_one(&pdf, "certificate-1", 200);
    let (w, h, grey) = read_grey_png(&png_path);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| grey[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code on the page");
    let (_, content) = grids[0].decode().unwrap();
    assert_eq!(content, c.qr_payload);
    println!(
        "page 1 rendered: {} ({w}×{h}), QR decoded ({} bytes)",
        png_path.canonicalize().unwrap().display(),
        content.len()
    );
}

/// The PNG as 8-bit grey pixels, whatever pdftoppm wrote.
fn read_grey_png(path: &Path) -> (usize, usize, Vec<u8>) {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = info.color_type.samples();
    let grey = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|px| match px {
            [g] | [g, _] => *g,
            [r, g, b, ..] => ((u16::from(*r) + u16::from(*g) + u16::from(*b)) / 3) as u8,
            [] => 255,
        })
        .collect();
    (w, h, grey)
}

#[test]
fn a_batch_embeds_fonts_once() {
    let one = certificates(&[cert(0, CertificateLang::Fr)], CertificateLang::Fr).unwrap();
    let certs: Vec<Certificate> = (0..300).map(|i| cert(i, CertificateLang::Fr)).collect();
    let batch = certificates(&certs, CertificateLang::Fr).unwrap();
    let per_extra = (batch.len() - one.len()) as f64 / 299.0;
    println!(
        "1 certificate: {} bytes; 300: {} bytes ({:.0} kB); {:.0} bytes per extra certificate",
        one.len(),
        batch.len(),
        batch.len() as f64 / 1024.0,
        per_extra
    );
    // Fonts counted once: an extra page is its text and boxes, not another font subset.
    assert!(
        per_extra < 8_000.0,
        "{per_extra} bytes per extra certificate"
    );
    if tools_present(&["pdfinfo", "pdffonts"]) {
        let pdf = write_pdf("certificates-300.pdf", &batch);
        assert_eq!(page_count(&pdf), 300);
        let fonts = run("pdffonts", &[pdf.to_str().unwrap()]);
        let embedded = fonts.lines().filter(|l| l.contains("+DejaVuSans")).count();
        assert_eq!(embedded, 2, "{fonts}");
    }
}

#[test]
fn characters_the_font_lacks_are_reported_not_dropped() {
    let mut c = cert(0, CertificateLang::Fr);
    c.first_name = "Wei 李".into();
    c.centre = "Lycée 🦀".into();
    let err = certificates(&[cert(1, CertificateLang::Fr), c], CertificateLang::Fr).unwrap_err();
    let PdfError::MissingGlyphs(missing) = &err else {
        panic!("{err:?}");
    };
    let chars: Vec<char> = missing.iter().map(|m| m.ch).collect();
    assert!(chars.contains(&'李'), "{chars:?}");
    assert!(chars.contains(&'🦀'), "{chars:?}");
    assert!(missing.iter().any(|m| m.text.contains("Wei 李")));
}

#[test]
fn absurd_text_never_panics() {
    let mut c = cert(2, CertificateLang::Fr);
    c.last_name = "ß\u{0}\t\n".repeat(500);
    c.first_name = "x".repeat(20_000);
    c.centre = "Très long nom d'établissement ".repeat(50);
    c.verify_url = "https://".to_owned() + &"a".repeat(3_000);
    c.competences = (0..200)
        .map(|i| (format!("{i}.{i}"), "Titre ".repeat(40), 255))
        .collect();
    c.global_level = 255;
    c.pix = u32::MAX;
    c.qr_payload = String::new();
    assert!(certificates(&[c], CertificateLang::Fr)
        .unwrap()
        .starts_with(b"%PDF-"));
}
