//! Crash campaign and durability check. `harness = false`: this binary is also the child the
//! campaign SIGKILLs, re-executed through `current_exe()` with `CHILD_DIR` set, so its stdout must
//! carry nothing but ACK lines (libtest would print its own lines there).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use certroom_journal::crash::{self, CampaignOptions, JOURNAL_FILE};

const CHILD_DIR: &str = "CERTROOM_JOURNAL_CRASH_CHILD_DIR";
const CHILD_MAX: &str = "CERTROOM_JOURNAL_CRASH_CHILD_MAX";

type Check = fn() -> Result<(), String>;

fn main() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        let max = std::env::var(CHILD_MAX).ok().and_then(|s| s.parse().ok());
        let mut out = std::io::stdout().lock();
        match crash::child_main(Path::new(&dir), max, &mut out) {
            Ok(()) => std::process::exit(0),
            Err(e) => {
                eprintln!("crash child: {e}");
                std::process::exit(2);
            }
        }
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let tests: [(&str, Check); 3] = [
        ("crash_campaign", crash_campaign),
        ("durability_fsync_before_ack", durability),
        (
            "trace_checker_rejects_ack_before_fsync",
            trace_checker_can_fail,
        ),
    ];
    let (mut passed, mut failed) = (0, 0);
    for (name, f) in tests {
        if !filter.is_empty() && !filter.iter().any(|x| name.contains(x.as_str())) {
            continue;
        }
        match f() {
            Ok(()) => {
                println!("test {name} ... ok");
                passed += 1;
            }
            Err(e) => {
                println!("test {name} ... FAILED\n{e}");
                failed += 1;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

fn child_command(dir: &Path) -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into()));
    c.env(CHILD_DIR, dir).env_remove(CHILD_MAX);
    c
}

fn crash_campaign() -> Result<(), String> {
    let kills = std::env::var("CERTROOM_CRASH_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let opts = CampaignOptions {
        kills,
        time_budget: Some(Duration::from_secs(150)),
        ..CampaignOptions::default()
    };
    let r = crash::campaign(dir.path(), &opts, &child_command).map_err(|e| e.to_string())?;
    println!(
        "crash campaign: kills={} acknowledged={} lost_acknowledged={} corrupt={} resume_errors={} \
         tests_completed={} records={} seed={:#x} elapsed={}ms",
        r.kills, r.acknowledged, r.lost_acknowledged, r.corrupt, r.resume_errors, r.tests_completed,
        r.records, r.seed, r.elapsed_ms
    );
    if !r.ok() || r.acknowledged == 0 || r.kills < kills.min(50) {
        return Err(format!("campaign failed: {:#?}", r));
    }
    Ok(())
}

fn durability() -> Result<(), String> {
    let Some(strace) = certroom_testkit::require_tool("strace") else {
        return Ok(());
    };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let trace = dir.path().join("strace.out");
    let answers = 12;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(strace)
        .args([
            "-f",
            "-y",
            "-s",
            "64",
            "-e",
            "trace=fsync,fdatasync,write,pwrite64",
            "-o",
        ])
        .arg(&trace)
        .arg(exe)
        .env(CHILD_DIR, dir.path())
        .env(CHILD_MAX, answers.to_string())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "child under strace failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = std::fs::read_to_string(&trace).map_err(|e| e.to_string())?;
    let wal = format!("{JOURNAL_FILE}-wal");
    check_trace(&text, &wal, answers)
}

/// Between the last write to the WAL before each ACK and that ACK there must be an
/// fsync/fdatasync of the WAL, and every ACK must be preceded by at least one WAL write since the
/// previous ACK.
fn check_trace(text: &str, wal: &str, answers: usize) -> Result<(), String> {
    let mut acks = 0;
    let mut wrote_since_ack = false;
    let mut synced_after_write = false;
    for line in text.lines() {
        // "PID  syscall(...)": strace pads the PID column, hence trim_start.
        let call = line
            .split_once(' ')
            .map_or(line, |(_, rest)| rest)
            .trim_start();
        let (name, args) = match call.split_once('(') {
            Some(x) => x,
            None => continue,
        };
        // With -y the first argument reads `fd</path>`.
        let on_wal = args.split('>').next().is_some_and(|fd| fd.ends_with(wal));
        match name {
            "write" | "pwrite64" if on_wal => {
                wrote_since_ack = true;
                synced_after_write = false;
            }
            "fsync" | "fdatasync" if on_wal => synced_after_write = true,
            "write" if args.starts_with("1<") && args.contains("\"ACK ") => {
                acks += 1;
                if !wrote_since_ack {
                    return Err(format!("ACK #{acks} without a WAL write before it: {line}"));
                }
                if !synced_after_write {
                    return Err(format!(
                        "ACK #{acks} written before the WAL was fsynced: {line}"
                    ));
                }
                wrote_since_ack = false;
                synced_after_write = false;
            }
            _ => {}
        }
    }
    if acks != answers {
        return Err(format!(
            "expected {answers} ACK writes in the trace, found {acks}"
        ));
    }
    println!("durability: {acks} ACKs, each after a WAL write and its fsync/fdatasync");
    Ok(())
}

/// The durability check must be able to fail: feed it a trace where the ACK precedes the fsync.
fn trace_checker_can_fail() -> Result<(), String> {
    let good = "1  pwrite64(4</d/journal.db-wal>, \"x\", 1, 0) = 1\n\
                1 fdatasync(4</d/journal.db-wal>) = 0\n\
                1 write(1<pipe:[9]>, \"ACK T 1 0\\n\", 10) = 10\n";
    let bad = "1 pwrite64(4</d/journal.db-wal>, \"x\", 1, 0) = 1\n\
               1 write(1<pipe:[9]>, \"ACK T 1 0\\n\", 10) = 10\n\
               1 fdatasync(4</d/journal.db-wal>) = 0\n";
    let synced_other_file = "1 pwrite64(4</d/journal.db-wal>, \"x\", 1, 0) = 1\n\
               1 fsync(3</d/journal.db>) = 0\n\
               1 write(1<pipe:[9]>, \"ACK T 1 0\\n\", 10) = 10\n";
    check_trace(good, "journal.db-wal", 1)?;
    for t in [bad, synced_other_file] {
        if check_trace(t, "journal.db-wal", 1).is_ok() {
            return Err(format!(
                "accepted a trace with no fsync before the ACK:\n{t}"
            ));
        }
    }
    Ok(())
}
