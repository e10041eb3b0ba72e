//! Benchmark helper, not a test: the figures of `certroom bench certificates` (one certificate,
//! then a batch of COUNT, with signed QR texts), and optionally the batch written to a file.
//! `cargo run --release -p certroom-pdf --example certificates [COUNT] [OUT.pdf]`.

use certroom_pdf::{bench, certificates, CertificateLang};

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(300);
    let out = args.next();

    let figures = match bench::certificates(count) {
        Ok(figures) => figures,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    println!(
        "1 certificate: {} bytes ({:.1} kB), {:.1} ms\n\
         {} certificates: {} bytes ({:.1} kB), {:.1} ms ({:.2} ms each)\n\
         {:.0} bytes per extra certificate",
        figures.one_bytes,
        figures.one_bytes as f64 / 1024.0,
        figures.one_ms,
        figures.count,
        figures.batch_bytes,
        figures.batch_bytes as f64 / 1024.0,
        figures.batch_ms,
        figures.batch_ms / figures.count as f64,
        figures.bytes_per_extra
    );
    if let Some(path) = out {
        let written = bench::batch(count)
            .and_then(|certs| certificates(&certs, CertificateLang::Fr))
            .map_err(|e| e.to_string())
            .and_then(|pdf| std::fs::write(&path, pdf).map_err(|e| e.to_string()));
        match written {
            Ok(()) => println!("written to {path}"),
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(1);
            }
        }
    }
}
