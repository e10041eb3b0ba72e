//! Certificates read back by real tools: pdftotext for the text, pdftoppm + rqrr for the QR code
//! (decoded from the rendered page, as a phone would from the printed sheet), and
//! certroom-certificate for the signed QR text, from the image and from the link over it.
//! Tests needing poppler print a notice and pass when it is absent.

mod common;

use std::path::Path;

use certroom_certificate::{find_payloads, sign, verify, verify_document, Claims, VerifyError};
use certroom_core::framework::crcn;
use certroom_pdf::{certificates, Certificate, CertificateLang, PdfError};
use common::{page_count, render_page, render_page_one, run, tools_present, write_pdf};
use ring::signature::{Ed25519KeyPair, KeyPair};

const BASE: &str = "https://verifier.certroom.fr";

/// (first name, last name as given, last name as printed).
const NAMES: [(&str, &str, &str); 3] = [
    ("Zoé", "N'Diaye-Lefèvre", "N'DIAYE-LEFÈVRE"),
    ("Thị Ánh", "Đặng", "ĐẶNG"),
    ("Øystein", "Ærø", "ÆRØ"),
];

const CODES: [&str; 5] = [
    "P-BCDF2346",
    "P-GHJK7893",
    "P-MPQR4678",
    "P-TVWX2369",
    "P-Y7B4C8D9",
];

fn key(seed: u8) -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).unwrap()
}

/// The central service's key (the one of docs/certificate-format.md §7).
fn service_key() -> Ed25519KeyPair {
    key(0x2A)
}

/// What a verifier pinned on `key` trusts.
fn public(key: &Ed25519KeyPair) -> certroom_certificate::ServiceKeys {
    <[u8; 32]>::try_from(key.public_key().as_ref())
        .unwrap()
        .into()
}

fn claims(i: usize) -> Claims {
    let (first, last, _) = NAMES[i % NAMES.len()];
    let mut levels = [0; 16];
    for (k, level) in levels.iter_mut().enumerate() {
        *level = ((k + i) % 8) as u8;
    }
    Claims {
        code: CODES[i % CODES.len()].into(),
        first_name: first.into(),
        last_name: last.into(),
        birthdate: "2010-03-14".into(),
        issued: "2026-03-05".into(),
        pix: 612,
        pix_max: 895,
        global_level: 4,
        levels,
    }
}

/// `YYYY-MM-DD` as printed, `DD/MM/YYYY`.
fn printed_date(iso: &str) -> String {
    let mut parts: Vec<&str> = iso.split('-').collect();
    parts.reverse();
    parts.join("/")
}

/// What the office prints for `claims`: the same fields, and the QR text `signer` signed.
fn signed_cert(claims: &Claims, signer: &Ed25519KeyPair, lang: CertificateLang) -> Certificate {
    let fw = crcn().map_err(|e| e.to_string()).unwrap();
    Certificate {
        first_name: claims.first_name.clone(),
        last_name: claims.last_name.clone(),
        birthdate: printed_date(&claims.birthdate),
        birthplace: "Paris 11e Arrondissement (75111)".into(),
        centre: "Collège Jean-Moulin (0750654D)".into(),
        issued: printed_date(&claims.issued),
        validity: None,
        pix: claims.pix.into(),
        pix_max: claims.pix_max.into(),
        global_level: claims.global_level,
        competences: fw
            .competences()
            .zip(claims.levels)
            .map(|(c, level)| {
                let title = match lang {
                    CertificateLang::Fr => c.title.fr.clone(),
                    CertificateLang::En => c.title.en.clone().unwrap_or_default(),
                };
                (c.code.clone(), title, level)
            })
            .collect(),
        per_competence_levels: false,
        verification_code: claims.code.clone(),
        verify_url: "https://certroom.example.fr/verifier".into(),
        qr_text: sign(claims, signer, 1, BASE).unwrap(),
    }
}

fn cert(i: usize, lang: CertificateLang) -> Certificate {
    signed_cert(&claims(i), &service_key(), lang)
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
            format!("Code de vérification : {}", c.verification_code),
            "14/03/2010 à Paris 11e Arrondissement (75111)".into(),
            "Collège Jean-Moulin (0750654D)".into(),
            "05/03/2026".into(),
            "sans limite de durée".into(),
            "Protéger les données personnelles et la vie privée".into(),
            "https://certroom.example.fr/verifier".into(),
            "scannant le QR code".into(),
            "vérifiable hors ligne".into(),
        ] {
            assert!(
                text.contains(&needle),
                "page {p}: {needle:?} missing:\n{text}"
            );
        }
        // The QR text is in the code and the link, not printed: 250 characters of base64
        // would only confuse a reader.
        assert!(!text.contains("/v/P-"), "{text}");
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
        "https://certroom.example.fr/verifier",
        "scanning the QR code",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
    assert!(!text.contains("Niveau global"), "{text}");
}

/// The one QR code on a rendered page, as a phone reads it.
struct Scanned {
    /// Format bits: 0 is level M.
    ecc_level: u16,
    version: usize,
    side_px: f64,
    text: String,
}

fn decode_qr(png: &Path) -> Scanned {
    let (w, h, grey) = read_grey_png(png);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| grey[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code on {}", png.display());
    let (meta, content) = grids[0].decode().unwrap();
    let [a, b, ..] = grids[0].bounds;
    Scanned {
        ecc_level: meta.ecc_level,
        version: meta.version.0,
        side_px: f64::from(b.x - a.x).hypot(f64::from(b.y - a.y)),
        text: content,
    }
}

/// Every page of a batch rendered at 200 dpi: each QR code decodes to exactly its signed text,
/// which verifies with the service's key and gives back the names exactly as given.
#[test]
fn the_printed_qr_code_is_the_signed_text_and_verifies() {
    if !tools_present(&["pdftoppm"]) {
        return;
    }
    let certs: Vec<Certificate> = (0..3).map(|i| cert(i, CertificateLang::Fr)).collect();
    let pdf = write_pdf(
        "certificates-qr.pdf",
        &certificates(&certs, CertificateLang::Fr).unwrap(),
    );
    let service = public(&service_key());
    for (i, c) in certs.iter().enumerate() {
        // 200 dpi puts about 5 pixels in each 0.6 mm module, what a decoder needs (rqrr misses
        // the finder patterns at 150 dpi, 3.7 pixels); a phone camera at reading distance sees
        // more.
        let png = render_page(&pdf, i + 1, &format!("certificate-qr-{}", i + 1), 200);
        let scanned = decode_qr(&png);
        let content = scanned.text;
        assert_eq!(content, c.qr_text, "page {}", i + 1);
        assert_eq!(scanned.ecc_level, 0, "error correction M");
        let (first, last, _) = NAMES[i];
        let signed = verify(&content, &service).unwrap();
        assert_eq!(signed, claims(i));
        assert_eq!(
            (signed.first_name.as_str(), signed.last_name.as_str()),
            (first, last)
        );
    }
}

/// Any byte of the signed part (from `/v/` on) changed: the text no longer verifies. The host
/// is not signed (docs/certificate-format.md §4: the signature, not the address, makes a
/// certificate authentic), so changing it is shown to change nothing.
#[test]
fn changing_any_signed_byte_of_the_qr_text_fails() {
    let text = cert(1, CertificateLang::Fr).qr_text;
    let service = public(&service_key());
    assert_eq!(verify(&text, &service), Ok(claims(1)));
    let signed_from = text.find("/v/").unwrap();
    assert_eq!(signed_from, BASE.len());
    let mut tried = 0;
    for pos in signed_from..text.len() {
        for replacement in [b'A', b'z', b'0', b'-', b'_', b'/', b'%', b' '] {
            let mut bytes = text.clone().into_bytes();
            if bytes[pos] == replacement {
                continue;
            }
            bytes[pos] = replacement;
            let altered = String::from_utf8(bytes).unwrap();
            assert!(
                verify(&altered, &service).is_err(),
                "byte {pos} → {:?} still verifies: {altered}",
                char::from(replacement)
            );
            tried += 1;
        }
    }
    assert!(tried > 1_000, "{tried}");
    let elsewhere = text.replacen("verifier.certroom.fr", "verifier.example.org", 1);
    assert_eq!(verify(&elsewhere, &service), Ok(claims(1)));
}

/// The QR code keeps modules of at least 0.6 mm and decodes at 200 dpi for a 250-character text
/// (long names), and for the longest text a valid certificate can have (100 + 100 bytes of
/// names), where the symbol grows past its usual 40 mm.
#[test]
fn long_qr_texts_still_decode_at_print_size() {
    if !tools_present(&["pdftoppm"]) {
        return;
    }
    let long = Claims {
        first_name: "Marie-Bernadette Éléonore".into(),
        last_name: "de La Tour d'Auvergne-Lauraguais".into(),
        ..claims(0)
    };
    let longest = Claims {
        first_name: "Ê".repeat(50),
        last_name: "Ñ".repeat(50),
        ..claims(0)
    };
    let service = service_key();
    for (stem, claims, len, version, min_side) in [
        ("certificate-qr-250", long, 240..=260, 12, 40.0),
        ("certificate-qr-longest", longest, 430..=440, 16, 48.0),
    ] {
        let c = signed_cert(&claims, &service, CertificateLang::Fr);
        assert!(len.contains(&c.qr_text.len()), "{}", c.qr_text.len());
        let pdf = write_pdf(
            &format!("{stem}.pdf"),
            &certificates(std::slice::from_ref(&c), CertificateLang::Fr).unwrap(),
        );
        let dpi = 200.0;
        let png = render_page_one(&pdf, stem, 200);
        let scanned = decode_qr(&png);
        assert_eq!(scanned.text, c.qr_text);
        assert_eq!(scanned.version, version, "{stem}");
        assert_eq!(verify(&scanned.text, &public(&service)), Ok(claims));
        let side_mm = scanned.side_px / dpi * 25.4;
        let modules = (version * 4 + 17) as f64;
        assert!(
            side_mm >= min_side - 0.5 && side_mm / modules >= 0.59,
            "{stem}: {side_mm:.1} mm for {modules} modules"
        );
        println!(
            "{stem}: {} characters, {side_mm:.1} mm, {:.2} mm per module, {}",
            c.qr_text.len(),
            side_mm / modules,
            png.canonicalize().unwrap().display()
        );
    }
}

/// The link over each QR code: `find_payloads` reads every certificate of a batch, in order,
/// without rendering anything, and `verify_document` accepts them all.
#[test]
fn every_certificate_of_a_batch_is_found_in_the_pdf_in_order() {
    let certs: Vec<Certificate> = (0..5).map(|i| cert(i, CertificateLang::Fr)).collect();
    let pdf = certificates(&certs, CertificateLang::Fr).unwrap();
    let texts: Vec<String> = certs.iter().map(|c| c.qr_text.clone()).collect();
    assert_eq!(find_payloads(&pdf), texts);

    let checked = verify_document(&pdf, &public(&service_key()));
    assert_eq!(checked.len(), 5);
    for (i, (text, result)) in checked.into_iter().enumerate() {
        assert_eq!(text, texts[i]);
        assert_eq!(result, Ok(claims(i)));
    }
    // The text a scanner read verifies the same way.
    assert_eq!(
        verify_document(
            format!("{}\n", texts[2]).as_bytes(),
            &public(&service_key())
        ),
        vec![(texts[2].clone(), Ok(claims(2)))]
    );
}

/// A forger raises the score, prints it, and signs the new fields with a key of their own: the
/// page shows the new score, but neither the link nor the printed QR code verifies with the
/// service's key. Keeping the genuine QR code instead only shows the genuine score.
#[test]
fn a_printed_score_altered_and_re_signed_with_another_key_fails() {
    let service = public(&service_key());
    let forger = key(0x66);
    let forged_claims = Claims {
        pix: 895,
        global_level: 7,
        ..claims(0)
    };
    let forged = signed_cert(&forged_claims, &forger, CertificateLang::Fr);
    let pdf = certificates(std::slice::from_ref(&forged), CertificateLang::Fr).unwrap();

    let found = find_payloads(&pdf);
    assert_eq!(found, vec![forged.qr_text.clone()]);
    assert_eq!(verify(&found[0], &service), Err(VerifyError::BadSignature));
    // The forger's signature is sound: it is the key that is not the service's.
    assert_eq!(verify(&found[0], &public(&forger)), Ok(forged_claims));

    let genuine_qr = cert(0, CertificateLang::Fr).qr_text;
    let mixed = Certificate {
        qr_text: genuine_qr,
        ..forged.clone()
    };
    let mixed_pdf = certificates(&[mixed], CertificateLang::Fr).unwrap();
    let shown = &verify_document(&mixed_pdf, &service)[0].1;
    assert_eq!(shown.as_ref().map(|c| c.pix), Ok(612));

    if tools_present(&["pdftotext", "pdftoppm"]) {
        let path = write_pdf("certificate-forged.pdf", &pdf);
        let text = run("pdftotext", &[path.to_str().unwrap(), "-"]);
        assert!(text.contains("Score : 895 pix / 895"), "{text}");
        let png = render_page_one(&path, "certificate-forged", 200);
        let scanned = decode_qr(&png);
        assert_eq!(scanned.text, forged.qr_text);
        assert_eq!(
            verify(&scanned.text, &service),
            Err(VerifyError::BadSignature)
        );
    }
}

/// A certificate whose competence levels were estimated competence by competence says so in
/// one line; the others print nothing of the kind.
#[test]
fn the_per_competence_method_is_mentioned_only_when_used() {
    if !tools_present(&["pdftotext"]) {
        return;
    }
    let note = "Niveaux par compétence estimés d'après les réponses de chaque compétence.";
    for (flag, name) in [
        (true, "certificate-per-competence.pdf"),
        (false, "certificate-global.pdf"),
    ] {
        let c = Certificate {
            per_competence_levels: flag,
            ..cert(0, CertificateLang::Fr)
        };
        let path = write_pdf(name, &certificates(&[c], CertificateLang::Fr).unwrap());
        let text = run("pdftotext", &[path.to_str().unwrap(), "-"]);
        assert_eq!(text.contains(note), flag, "{text}");
        assert_eq!(page_count(&path), 1);
    }
}

/// A link's text goes through PDF string escaping (parentheses, backslashes) and comes back
/// byte for byte.
#[test]
fn the_link_survives_pdf_string_escaping() {
    let odd = "https://verifier.certroom.fr/v/P-4TK7BQ9M#a(b\\c)d)(é";
    let c = Certificate {
        qr_text: odd.into(),
        ..cert(0, CertificateLang::Fr)
    };
    let pdf = certificates(&[c], CertificateLang::Fr).unwrap();
    assert_eq!(find_payloads(&pdf), vec![odd.to_owned()]);
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
    // Fonts counted once: an extra page is its text, boxes and link, not another font subset.
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
    c.qr_text = String::new();
    let pdf = certificates(&[c.clone()], CertificateLang::Fr).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // No QR text: no link either.
    assert!(find_payloads(&pdf).is_empty());
    // The largest QR code (version 40, 177 modules, 2331 bytes at level M) still fits the page.
    c.qr_text = format!("https://v.fr/v/P-BCDF2346#{}", "\u{1}".repeat(2_300));
    assert!(certificates(&[c], CertificateLang::Fr)
        .unwrap()
        .starts_with(b"%PDF-"));
}
