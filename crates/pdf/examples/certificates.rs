//! Benchmark helper, not a test: renders 1 certificate, then a batch of COUNT, and prints how
//! long each took and how big it is. `cargo run --release -p certroom-pdf --example
//! certificates [COUNT] [OUT.pdf]` (OUT receives the batch).

use std::time::Instant;

use certroom_core::framework::crcn;
use certroom_pdf::{certificates, Certificate, CertificateLang};

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(300);
    let out = args.next();

    const LAST: [&str; 5] = ["N'Diaye-Lefèvre", "Đặng", "Ærø", "Martin", "de La Tour"];
    const FIRST: [&str; 5] = ["Zoé", "Thị Ánh", "Øystein", "Noé", "Jean-Éudes"];
    const CODE: &[u8] = b"2346789BCDFGHJKMPQRTVWXY";
    let fw = crcn().expect("embedded framework");
    let certs: Vec<Certificate> = (0..count.max(1))
        .map(|i| {
            let code: String = (0..8)
                .map(|k| char::from(CODE[(i * 7 + k * 5) % CODE.len()]))
                .collect();
            let code = format!("P-{code}");
            Certificate {
                first_name: FIRST[i % FIRST.len()].into(),
                last_name: format!("{} {i}", LAST[(i / FIRST.len()) % LAST.len()]),
                birthdate: format!("{:02}/{:02}/2010", 1 + i % 28, 1 + i % 12),
                birthplace: "Paris 11e Arrondissement (75111)".into(),
                centre: "Collège Jean-Moulin (0750654D)".into(),
                issued: "05/03/2026".into(),
                validity: None,
                pix: (300 + i * 7 % 500) as u32,
                pix_max: 895,
                global_level: (1 + i % 6) as u8,
                competences: fw
                    .competences()
                    .enumerate()
                    .map(|(k, c)| (c.code.clone(), c.title.fr.clone(), ((i + k) % 8) as u8))
                    .collect(),
                // About the size of a signed result: data and a base64url Ed25519 signature.
                qr_payload: format!("CRTR1.{code}.612.895.4.20260305.{}", "A".repeat(86)),
                verification_code: code,
                verify_url: "https://certroom.example.fr/verifier".into(),
            }
        })
        .collect();

    // The first call also parses the embedded fonts (once per process): warm up first.
    certificates(&certs[..1], CertificateLang::Fr).expect("certificate");
    for n in [1, count.max(1)] {
        let start = Instant::now();
        let pdf = certificates(&certs[..n], CertificateLang::Fr).expect("certificates");
        let took = start.elapsed();
        println!(
            "{n} certificate(s): {} bytes ({:.1} kB), {:.1} ms",
            pdf.len(),
            pdf.len() as f64 / 1024.0,
            took.as_secs_f64() * 1e3
        );
        if n == count.max(1) {
            if let Some(path) = &out {
                std::fs::write(path, &pdf).expect("write");
                println!("written to {path}");
            }
        }
    }
}
