//! What the PDF tests share: writing a PDF where the tools can read it and reading it back with
//! poppler-utils (pdftotext, pdfinfo, pdffonts, pdftoppm), as a viewer or printer would.

// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether every tool is on `PATH`. A developer's machine without poppler skips the test with a
/// notice; under `CERTROOM_TEST_STRICT=1` (CI) a missing tool fails it, naming the tool.
pub fn tools_present(tools: &[&str]) -> bool {
    certroom_testkit::require_tools(tools).is_some()
}

pub fn write_pdf(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("certroom-pdf");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The tool's standard output; fails the test when the tool fails.
pub fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The whole document's text, laid out as on the page.
pub fn text(pdf: &Path) -> String {
    run("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"])
}

/// The whole document's text in the order it was drawn, runs of white space as one space: a
/// table cell wrapped over two lines reads as one phrase ("Terminé par le surveillant"), which
/// the laid-out text splits across lines.
pub fn flow_text(pdf: &Path) -> String {
    let raw = run("pdftotext", &["-raw", pdf.to_str().unwrap(), "-"]);
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One page's text (1-based), laid out as on the page.
pub fn page_text(pdf: &Path, page: usize) -> String {
    let p = page.to_string();
    let path = pdf.to_str().unwrap();
    run("pdftotext", &["-layout", "-f", &p, "-l", &p, path, "-"])
}

pub fn page_count(pdf: &Path) -> usize {
    let info = run("pdfinfo", &[pdf.to_str().unwrap()]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap()
}

/// Renders page 1 at `dpi` to `tests/artifacts/{stem}.png` at the workspace root (kept after
/// the run so a person can look at it) and returns the PNG's path, checked to be a PNG.
pub fn render_page_one(pdf: &Path, stem: &str, dpi: u32) -> PathBuf {
    render_page(pdf, 1, stem, dpi)
}

/// Renders `page` (1-based) like [`render_page_one`].
pub fn render_page(pdf: &Path, page: usize, stem: &str, dpi: u32) -> PathBuf {
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let stem = artifacts.join(stem);
    let dpi = dpi.to_string();
    let page = page.to_string();
    run(
        "pdftoppm",
        &[
            "-png",
            "-r",
            &dpi,
            "-f",
            &page,
            "-l",
            &page,
            "-singlefile",
            pdf.to_str().unwrap(),
            stem.to_str().unwrap(),
        ],
    );
    let png = stem.with_extension("png");
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", png.display());
    png
}

/// What a rendered A4 page must look like: its size in pixels is A4 at `dpi` (either way round),
/// and it carries ink (a blank or black page fails): the share of dark pixels lies in `ink`.
pub fn assert_a4_page_with_ink(png: &Path, dpi: u32, ink: std::ops::Range<f64>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as f64, info.height as f64);
    let (short, long) = (w.min(h), w.max(h));
    let px = |mm: f64| mm / 25.4 * dpi as f64;
    assert!(
        (short - px(210.0)).abs() <= 2.0 && (long - px(297.0)).abs() <= 2.0,
        "{}: {w}×{h} px is not A4 at {dpi} dpi",
        png.display()
    );
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let dark = pixels
        .chunks(channels)
        .filter(|p| {
            p.iter()
                .take(3.min(channels))
                .map(|&c| c as u32)
                .sum::<u32>()
                < 3 * 128
        })
        .count();
    let share = dark as f64 / (w * h);
    assert!(
        ink.contains(&share),
        "{}: {:.2} % of the page is dark, expected {:.2}–{:.2} %",
        png.display(),
        share * 100.0,
        ink.start * 100.0,
        ink.end * 100.0
    );
}
