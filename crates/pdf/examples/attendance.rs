//! Benchmark helper, not a test: renders a 300-candidate attendance sheet and prints how long
//! it took and how big it is. `cargo run --release -p certroom-pdf --example attendance [ROWS]
//! [OUT.pdf]`.

use std::time::Instant;

use certroom_pdf::{attendance_sheet, AttendanceRow, AttendanceSheet};

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(300);
    let out = args.next();

    const BIRTH: [&str; 6] = [
        "Martin",
        "N'Diaye-Lefèvre",
        "Đặng",
        "Ærø",
        "de La Tour d'Auvergne",
        "Lefèvre",
    ];
    const FIRST: [&str; 6] = ["Zoé", "Thị Ánh", "Øystein", "Jean-Éudes", "Maëlys", "Noé"];
    let sheet = AttendanceSheet {
        centre: "Collège Jean-Moulin (0750654D)".into(),
        session_number: "123456".into(),
        site: "12 rue de l'École, 75011 Paris".into(),
        room: "B12".into(),
        date: "05/03/2026".into(),
        start_time: "09:30".into(),
        invigilators: vec!["Mme Hélène Lefèvre".into(), "M. Đỗ Văn Hùng".into()],
        rows: (0..rows)
            .map(|i| AttendanceRow {
                birth_name: format!("{} {i}", BIRTH[i % BIRTH.len()]),
                first_name: FIRST[(i / BIRTH.len()) % FIRST.len()].into(),
                birthdate: format!("{:02}/{:02}/2010", 1 + i % 28, 1 + i % 12),
                local_id: format!("ELV{:05}", i),
            })
            .collect(),
    };

    // The first call also parses the embedded fonts (once per process): time it apart.
    let start = Instant::now();
    let first = attendance_sheet(&sheet).expect("sheet");
    let cold = start.elapsed();
    let runs = 5;
    let start = Instant::now();
    for _ in 0..runs {
        attendance_sheet(&sheet).expect("sheet");
    }
    let warm = start.elapsed() / runs;
    println!(
        "{rows} rows: {} bytes ({:.1} kB), first render {:.1} ms, then {:.1} ms per sheet",
        first.len(),
        first.len() as f64 / 1024.0,
        cold.as_secs_f64() * 1e3,
        warm.as_secs_f64() * 1e3
    );
    if let Some(path) = out {
        std::fs::write(&path, &first).expect("write");
        println!("written to {path}");
    }
}
