//! `certroom bench certificates --count N`: how long printing certificates takes and how much
//! the PDF weighs, for one certificate and for a batch, with what a real class looks like
//! (accented, hyphenated, apostrophised and Vietnamese names; QR texts signed the way the
//! central service signs them, with a fixed key that is not the service's).

use std::time::Instant;

use certroom_certificate::{sign, Claims};
use certroom_core::framework::COMPETENCE_COUNT;
use ring::signature::Ed25519KeyPair;
use serde::Serialize;

use crate::certificate::{certificates as render, Certificate, CertificateLang};
use crate::PdfError;

/// Largest batch [`certificates`] builds: a whole year group of a large lycée. Building a PDF
/// holds about 300 kB per certificate at its peak (measured: 300 MB for 1000), so a mistyped
/// count must not exhaust an office PC's memory.
pub const MAX_COUNT: usize = 1_000;

/// The verification site the bench's QR texts point to (the format's default).
pub const BASE_URL: &str = "https://verifier.certroom.fr";

/// The bench's signing key: fixed so that two runs print the same bytes, and not the
/// service's, so a bench certificate never verifies as a real one.
const BENCH_SEED: [u8; 32] = *b"certroom bench, not a service ke";

/// What [`certificates`] measured. Times are wall-clock milliseconds of [`crate::certificates`]
/// alone: the QR texts are signed beforehand, as the caller of a real print signs them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CertBench {
    /// Certificates in the batch: the count asked for, between 1 and [`MAX_COUNT`].
    pub count: usize,
    pub one_ms: f64,
    pub one_bytes: usize,
    pub batch_ms: f64,
    pub batch_bytes: usize,
    /// What each certificate after the first adds to the file: the fonts are embedded once per
    /// PDF, so this is far below `one_bytes`. 0 for a batch of one.
    pub bytes_per_extra: f64,
}

/// Prints one certificate, then a batch of `count` (clamped to 1 … [`MAX_COUNT`]), in French,
/// and measures both. The fonts are loaded before timing starts: they are parsed once per
/// process, not once per print.
pub fn certificates(count: usize) -> Result<CertBench, PdfError> {
    let certs = batch(count)?;
    let first = certs.get(..1).unwrap_or_default();
    render(first, CertificateLang::Fr)?;

    let start = Instant::now();
    let one = render(first, CertificateLang::Fr)?;
    let one_ms = start.elapsed().as_secs_f64() * 1e3;

    let start = Instant::now();
    let all = render(&certs, CertificateLang::Fr)?;
    let batch_ms = start.elapsed().as_secs_f64() * 1e3;

    let extra = certs.len().saturating_sub(1);
    let bytes_per_extra = if extra == 0 {
        0.0
    } else {
        all.len().saturating_sub(one.len()) as f64 / extra as f64
    };
    Ok(CertBench {
        count: certs.len(),
        one_ms,
        one_bytes: one.len(),
        batch_ms,
        batch_bytes: all.len(),
        bytes_per_extra,
    })
}

const FIRST: [&str; 16] = [
    "Zoé",
    "Thị Ánh",
    "Øystein",
    "Jean-Éudes",
    "Maëlys",
    "Noé",
    "Anaïs",
    "Marie-Hélène",
    "Çağla",
    "Loïc",
    "Ngọc Hân",
    "Íñigo",
    "Bénédicte",
    "Aurélien",
    "Chloé",
    "Jérôme",
];

// 17 (prime to 16) so that every first name meets every last name across a batch.
const LAST: [&str; 17] = [
    "N'Diaye-Lefèvre",
    "Đặng",
    "Ærø",
    "de La Tour d'Auvergne",
    "Martin",
    "O'Connor",
    "Nguyễn",
    "Müller-Lüdenscheidt",
    "Da Silva",
    "Le Goff",
    "Öztürk",
    "García Márquez",
    "Lefèvre",
    "D'Almeida-Bérégovoy",
    "Brontë",
    "Bernard",
    "Trần",
];

const BIRTHPLACES: [&str; 5] = [
    "Paris 11e Arrondissement (75111)",
    "Saint-Étienne (42218)",
    "L'Haÿ-les-Roses (94038)",
    "Fort-de-France (97209)",
    "Hanoï (Viêt Nam)",
];

const CENTRE: &str = "Lycée polyvalent Jean-Moulin (0750654D)";
const ISSUED: (u16, u8, u8) = (2026, 3, 5);
const PIX_MAX: u16 = 1024;

/// `count` (clamped to 1 … [`MAX_COUNT`]) distinct certificates, each with a signed QR text
/// that `certroom_certificate::verify` accepts with the bench key's public key. The batch the
/// bench prints, also for writing a sample file.
pub fn batch(count: usize) -> Result<Vec<Certificate>, PdfError> {
    let key = Ed25519KeyPair::from_seed_unchecked(&BENCH_SEED).map_err(|e| signing_failed(&e))?;
    (0..count.clamp(1, MAX_COUNT))
        .map(|i| sample(i, &key))
        .collect()
}

fn signing_failed(reason: &dyn std::fmt::Display) -> PdfError {
    PdfError::QrCode {
        len: 0,
        reason: format!("signing the bench certificate failed: {reason}"),
    }
}

fn sample(i: usize, key: &Ed25519KeyPair) -> Result<Certificate, PdfError> {
    let mut rng = SplitMix(i as u64);
    let birth = (
        2008 + (i % 4) as u16,
        1 + (rng.next() % 12) as u8,
        1 + (rng.next() % 28) as u8,
    );
    let mut levels = [0u8; COMPETENCE_COUNT];
    for level in &mut levels {
        // Mostly 1–5, as in a class of lycéens; 0 and 6 happen.
        *level = [0, 1, 2, 2, 3, 3, 3, 4, 4, 5, 6][(rng.next() % 11) as usize];
    }
    let pix = (rng.next() % u64::from(PIX_MAX + 1)) as u16;
    let claims = Claims {
        code: verification_code(&mut rng),
        first_name: FIRST[i % FIRST.len()].to_owned(),
        last_name: LAST[i % LAST.len()].to_owned(),
        birthdate: iso(birth),
        issued: iso(ISSUED),
        pix,
        pix_max: PIX_MAX,
        global_level: (pix / 128).min(8) as u8,
        levels,
    };
    let qr_text = sign(&claims, key, 1, BASE_URL).map_err(|e| signing_failed(&e))?;

    let competences = crate::certificate::competence_rows(&levels, CertificateLang::Fr);
    Ok(Certificate {
        first_name: claims.first_name,
        last_name: claims.last_name,
        birthdate: printed(birth),
        birthplace: BIRTHPLACES[i % BIRTHPLACES.len()].to_owned(),
        centre: CENTRE.to_owned(),
        issued: printed(ISSUED),
        validity: None,
        pix: u32::from(claims.pix),
        pix_max: u32::from(claims.pix_max),
        global_level: claims.global_level,
        competences,
        per_competence_levels: false,
        verification_code: claims.code,
        verify_url: BASE_URL.to_owned(),
        qr_text,
    })
}

fn iso((y, m, d): (u16, u8, u8)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

fn printed((y, m, d): (u16, u8, u8)) -> String {
    format!("{d:02}/{m:02}/{y:04}")
}

/// `P-` and 8 distinct characters, like `certroom_core::codes::verification_code`, drawn from
/// the bench's own deterministic stream.
fn verification_code(rng: &mut SplitMix) -> String {
    let mut pool: Vec<char> = certroom_core::codes::VERIFICATION_CHARS.chars().collect();
    let mut code = String::from("P-");
    // Partial Fisher–Yates over the 24 characters: 8 distinct ones.
    for k in 0..8.min(pool.len()) {
        let j = k + (rng.next() % (pool.len() - k) as u64) as usize;
        pool.swap(k, j);
        code.extend(pool.get(k));
    }
    code
}

/// SplitMix64: a few lines, and the same sequence on every platform, which is all varied
/// sample data needs.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::KeyPair;

    #[test]
    fn the_batch_is_varied_and_every_qr_text_verifies() {
        let certs = batch(40).unwrap();
        assert_eq!(certs.len(), 40);
        let key = Ed25519KeyPair::from_seed_unchecked(&BENCH_SEED).unwrap();
        let public: [u8; 32] = key.public_key().as_ref().try_into().unwrap();
        let mut codes = std::collections::BTreeSet::new();
        for c in &certs {
            let claims = certroom_certificate::verify(&c.qr_text, &public.into()).unwrap();
            assert_eq!(claims.code, c.verification_code);
            assert_eq!(claims.last_name, c.last_name);
            assert_eq!(u32::from(claims.pix), c.pix);
            assert!(
                codes.insert(c.verification_code.clone()),
                "codes are distinct"
            );
        }
        let names: std::collections::BTreeSet<_> = certs
            .iter()
            .map(|c| (&c.first_name, &c.last_name))
            .collect();
        assert_eq!(names.len(), 40);
        assert_eq!(batch(0).unwrap().len(), 1);
    }

    #[test]
    fn figures_serialise_under_the_names_the_cli_prints() {
        let figures = certificates(3).unwrap();
        assert_eq!(figures.count, 3);
        assert!(figures.batch_bytes > figures.one_bytes);
        assert!(figures.bytes_per_extra > 0.0);
        let json = serde_json::to_value(figures).unwrap();
        for field in [
            "count",
            "one_ms",
            "one_bytes",
            "batch_ms",
            "batch_bytes",
            "bytes_per_extra",
        ] {
            assert!(json.get(field).is_some(), "{field}: {json}");
        }
    }
}
