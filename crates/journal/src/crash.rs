//! Crash campaign: a simulated candidate is SIGKILLed at random moments and the journal is
//! checked after every kill. The child prints `ACK <test> <seq> <question_index>` only after
//! `append` returned, so every line the parent read is a promise the journal must keep.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

use crate::error::JournalError;
use crate::event::{EndedBy, Event};
use crate::journal::Journal;
use crate::record::{Record, TestHeader};
use crate::resume::progress;
use crate::station::StationKey;
use crate::verify::verify_file;

pub const QUESTIONS_PER_TEST: u32 = 32;
pub const JOURNAL_FILE: &str = "journal.db";
pub const KEY_FILE: &str = "station.key";

/// The deterministic question sequence the simulated candidate follows.
pub fn item_id(test: &str, index: u32) -> String {
    format!("{test}-q{index:02}")
}

fn skips(index: u32) -> bool {
    index % 7 == 6
}

#[derive(Debug, thiserror::Error)]
pub enum CrashError {
    #[error("{0}")]
    Journal(#[from] JournalError),
    #[error("{0}")]
    Station(#[from] crate::station::StationError),
    #[error("erreur d'entrée/sortie : {0} / I/O error")]
    Io(#[from] std::io::Error),
    #[error("état de reprise inattendu : {0} / unexpected resume state")]
    Resume(String),
}

/// The child side: runs candidates through tests forever (or until `max_answers`), resuming
/// whatever test the previous, killed, incarnation left open.
const READY: &str = "READY";
const READY_TIMEOUT: Duration = Duration::from_secs(20);

pub fn child_main(
    dir: &Path,
    max_answers: Option<u64>,
    out: &mut dyn Write,
) -> Result<(), CrashError> {
    let key = StationKey::load_or_create(&dir.join(KEY_FILE))?;
    let mut j = Journal::open(&dir.join(JOURNAL_FILE))?;
    // Tells the parent the process is up, so kills land while answers are written, not while
    // a (possibly large) binary is still loading.
    writeln!(out, "{READY}")?;
    out.flush()?;
    let mut written = 0u64;
    loop {
        let summaries = j.tests()?;
        let (test, mut p) = match summaries.iter().rev().find(|t| !t.ended) {
            Some(t) => (t.test_id.clone(), j.open_test(&t.test_id)?),
            None => {
                let test = format!("T{:04}", summaries.len() + 1);
                j.create_test(TestHeader::new(
                    test.clone(),
                    "S-CRASH",
                    format!("C-{test}"),
                    summaries.len() as u64,
                    "sim",
                    certroom_core::hash::Hash::of(&[b"sim-bank"]),
                ))?;
                j.append(&test, &Event::Joined)?;
                j.append(
                    &test,
                    &Event::Authorized {
                        by: "sim".into(),
                        resume: false,
                    },
                )?;
                let p = j.progress(&test)?;
                (test, p)
            }
        };
        if p.needs_authorization {
            j.append(
                &test,
                &Event::Authorized {
                    by: "sim".into(),
                    resume: true,
                },
            )?;
            j.append(&test, &Event::Resumed)?;
            p = j.progress(&test)?;
        }
        let mut next = u32::try_from(p.steps.len()).unwrap_or(u32::MAX);
        while next < QUESTIONS_PER_TEST {
            let item = item_id(&test, next);
            match &p.current_question {
                Some(q) if q.index == next && q.item_id == item => {}
                Some(q) => {
                    return Err(CrashError::Resume(format!(
                        "{test}: shown {q:?}, expected {item}"
                    )))
                }
                None => {
                    let draw = json!(next);
                    j.append(
                        &test,
                        &Event::QuestionShown {
                            index: next,
                            item_id: item.clone(),
                            draw,
                        },
                    )?;
                }
            }
            p.current_question = None;
            let event = if skips(next) {
                Event::Skip { item_id: item }
            } else {
                Event::Answer {
                    item_id: item,
                    response: json!({"choice": next % 4 + 1, "text": format!("réponse {next}")}),
                    time_spent_ms: 1000,
                    focus_lost: false,
                    timed_out: false,
                }
            };
            let ack = j.append(&test, &event)?;
            writeln!(out, "ACK {test} {} {next}", ack.seq)?;
            out.flush()?;
            next += 1;
            written += 1;
            if max_answers.is_some_and(|m| written >= m) {
                return Ok(());
            }
        }
        j.end_test(&test, EndedBy::Candidate, None, &key)?;
        // Idle moment between candidates: the right time to checkpoint.
        j.checkpoint()?;
    }
}

#[derive(Debug, Clone)]
pub struct CampaignOptions {
    pub kills: u32,
    /// Upper bound of the random delay before each kill.
    pub max_delay: Duration,
    pub seed: u64,
    /// Stop early (with fewer kills) once this much time has passed.
    pub time_budget: Option<Duration>,
}

impl Default for CampaignOptions {
    fn default() -> Self {
        CampaignOptions {
            kills: 200,
            max_delay: Duration::from_millis(60),
            seed: 0x5eed_c0de,
            time_budget: None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CampaignReport {
    pub kills: u32,
    /// ACK lines read from the children.
    pub acknowledged: u64,
    /// Acknowledged answers missing from the journal: must be 0.
    pub lost_acknowledged: u64,
    /// Rounds where integrity_check or chain verification failed: must be 0.
    pub corrupt: u64,
    /// Rounds where the child could not resume or resume would land on the wrong question.
    pub resume_errors: u64,
    pub tests_completed: u64,
    pub records: u64,
    pub seed: u64,
    pub elapsed_ms: u64,
    /// The first few failures, for the report.
    pub failures: Vec<String>,
}

impl CampaignReport {
    pub fn ok(&self) -> bool {
        self.lost_acknowledged == 0
            && self.corrupt == 0
            && self.resume_errors == 0
            && self.kills > 0
    }

    fn fail(&mut self, msg: String) {
        if self.failures.len() < 20 {
            self.failures.push(msg);
        }
    }
}

/// xorshift64*: reproducible kill timings from the reported seed, no dependency needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct AckLine {
    test: String,
    seq: u64,
    index: u32,
}

fn parse_ack(line: &str) -> Option<AckLine> {
    let mut it = line.strip_prefix("ACK ")?.split(' ');
    let a = AckLine {
        test: it.next()?.into(),
        seq: it.next()?.parse().ok()?,
        index: it.next()?.parse().ok()?,
    };
    it.next().is_none().then_some(a)
}

/// The parent side. `spawn_child(dir)` must return a command running [`child_main`] on `dir`
/// with stdout free for ACK lines; the campaign sets stdin, stdout and stderr itself.
pub fn campaign(
    dir: &Path,
    opts: &CampaignOptions,
    spawn_child: &dyn Fn(&Path) -> Command,
) -> Result<CampaignReport, CrashError> {
    let start = Instant::now();
    let db = dir.join(JOURNAL_FILE);
    let stderr_log = dir.join("child-stderr.log");
    let mut rng = Rng(opts.seed | 1);
    let mut report = CampaignReport {
        seed: opts.seed,
        ..Default::default()
    };
    let mut acked: Vec<AckLine> = Vec::new();
    let max_delay_us = u64::try_from(opts.max_delay.as_micros())
        .unwrap_or(u64::MAX)
        .max(1);

    for round in 0..opts.kills {
        if opts.time_budget.is_some_and(|b| start.elapsed() > b) {
            break;
        }
        let err = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&stderr_log)?;
        let mut child = spawn_child(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(err))
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no child stdout"))?;
        let (tx, rx) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut buf = Vec::new();
            // A line cut by the kill has no newline: it was never fully acknowledged.
            while matches!(r.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
                if buf.ends_with(b"\n") {
                    let line = String::from_utf8_lossy(&buf);
                    if line.trim_end() == READY {
                        let _ = ready_tx.send(());
                    } else if let Some(a) = parse_ack(line.trim_end()) {
                        let _ = tx.send(a);
                    }
                }
                buf.clear();
            }
        });
        // A child that never gets ready is caught below as having exited by itself.
        let _ = ready_rx.recv_timeout(READY_TIMEOUT);
        std::thread::sleep(Duration::from_micros(rng.next() % max_delay_us));
        let exited_early = child.try_wait()?;
        let _ = child.kill(); // SIGKILL on Unix
        child.wait()?;
        let _ = reader.join();
        report.kills += 1;
        let round_acks: Vec<AckLine> = rx.try_iter().collect();
        report.acknowledged += round_acks.len() as u64;
        if let Some(status) = exited_early {
            report.resume_errors += 1;
            report.fail(format!(
                "round {round}: child exited by itself ({status}), see {}",
                stderr_log.display()
            ));
        }
        check_round(&db, &round_acks, &mut report, round);
        acked.extend(round_acks);
    }

    // Final pass: every acknowledgement of the whole campaign is still there.
    match Journal::open(&db) {
        Ok(j) => {
            let mut by_test: BTreeMap<String, Vec<Record>> = BTreeMap::new();
            for t in j.tests()? {
                if t.ended {
                    report.tests_completed += 1;
                }
                let recs = j.records(&t.test_id).unwrap_or_default();
                report.records += recs.len() as u64;
                by_test.insert(t.test_id, recs);
            }
            let mut lost = HashSet::new();
            for a in &acked {
                if !ack_present(by_test.get(&a.test).map(Vec::as_slice).unwrap_or(&[]), a) {
                    lost.insert(a.clone());
                }
            }
            if !lost.is_empty() {
                report.fail(format!(
                    "final: {} acknowledged answers missing",
                    lost.len()
                ));
            }
            report.lost_acknowledged = report.lost_acknowledged.max(lost.len() as u64);
        }
        Err(e) => {
            report.corrupt += 1;
            report.fail(format!("final open: {e}"));
        }
    }
    report.elapsed_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(report)
}

fn ack_present(records: &[Record], a: &AckLine) -> bool {
    let want = item_id(&a.test, a.index);
    usize::try_from(a.seq)
        .ok()
        .and_then(|s| s.checked_sub(1))
        .and_then(|i| records.get(i))
        .is_some_and(|r| match &r.event {
            Event::Answer { item_id, .. } | Event::Skip { item_id } => *item_id == want,
            _ => false,
        })
}

fn check_round(db: &Path, acks: &[AckLine], report: &mut CampaignReport, round: u32) {
    if !db.exists() {
        return; // killed before the journal was created
    }
    // Journal::open runs PRAGMA integrity_check (and recovers the WAL, as the next child would).
    let j = match Journal::open(db) {
        Ok(j) => j,
        Err(e) => {
            report.corrupt += 1;
            report.fail(format!("round {round}: open/integrity_check: {e}"));
            return;
        }
    };
    if let Err(e) = verify_file(db) {
        report.corrupt += 1;
        report.fail(format!("round {round}: verify: {e}"));
        return;
    }
    let summaries = match j.tests() {
        Ok(s) => s,
        Err(e) => {
            report.corrupt += 1;
            report.fail(format!("round {round}: tests: {e}"));
            return;
        }
    };
    let mut records: BTreeMap<String, Vec<Record>> = BTreeMap::new();
    for t in &summaries {
        match j.records(&t.test_id) {
            Ok(r) => {
                records.insert(t.test_id.clone(), r);
            }
            Err(e) => {
                report.corrupt += 1;
                report.fail(format!("round {round}: records {}: {e}", t.test_id));
                return;
            }
        }
    }
    for a in acks {
        if !ack_present(records.get(&a.test).map(Vec::as_slice).unwrap_or(&[]), a) {
            report.lost_acknowledged += 1;
            report.fail(format!(
                "round {round}: lost ACK {} {} {}",
                a.test, a.seq, a.index
            ));
        }
    }
    // Resume must land right after the last committed answer, on the deterministic sequence,
    // and never before an acknowledged one.
    for t in summaries.iter().filter(|t| !t.ended) {
        let recs = records.get(&t.test_id).map(Vec::as_slice).unwrap_or(&[]);
        let p = progress(recs);
        let done = p.steps.len();
        let sequence_ok =
            p.steps.iter().enumerate().all(|(i, s)| {
                u32::try_from(i).is_ok_and(|i| s.item_id() == item_id(&t.test_id, i))
            });
        let max_acked = acks
            .iter()
            .filter(|a| a.test == t.test_id)
            .map(|a| a.index as usize + 1)
            .max();
        let current_ok = p
            .current_question
            .as_ref()
            .is_none_or(|q| q.index as usize == done && q.item_id == item_id(&t.test_id, q.index));
        if !sequence_ok || !current_ok || max_acked.is_some_and(|m| done < m) {
            report.resume_errors += 1;
            report.fail(format!(
                "round {round}: resume of {} would land wrong: {} done, current {:?}",
                t.test_id, done, p.current_question
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_lines_parse_strictly() {
        assert_eq!(
            parse_ack("ACK T0001 12 4"),
            Some(AckLine {
                test: "T0001".into(),
                seq: 12,
                index: 4
            })
        );
        assert_eq!(parse_ack("ACK T0001 12"), None);
        assert_eq!(parse_ack("ACK T0001 12 4 5"), None);
        assert_eq!(parse_ack("running 1 test"), None);
    }

    #[test]
    fn child_runs_to_a_signed_end_in_process() {
        let d = tempfile::tempdir().unwrap();
        let mut out = Vec::new();
        child_main(d.path(), Some(u64::from(QUESTIONS_PER_TEST) + 3), &mut out).unwrap();
        let lines = String::from_utf8(out).unwrap();
        assert_eq!(lines.lines().next(), Some(READY));
        assert_eq!(
            lines.lines().filter(|l| l.starts_with("ACK ")).count(),
            QUESTIONS_PER_TEST as usize + 3
        );
        let r = verify_file(&d.path().join(JOURNAL_FILE)).unwrap();
        assert_eq!((r.tests, r.signed_heads), (2, 1));
        // A second incarnation resumes test 2 at question 3 after a pause + authorisation.
        let mut out = Vec::new();
        child_main(d.path(), Some(1), &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        let line = out.lines().last().unwrap_or_default();
        assert!(
            line.starts_with("ACK T0002 ") && line.trim_end().ends_with(" 3"),
            "{line}"
        );
    }
}
