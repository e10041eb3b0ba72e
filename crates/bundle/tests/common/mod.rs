#![allow(dead_code)]

use std::path::Path;

use certroom_bundle::{
    sign_manifest, AbortReason, BundleFault, BundleInput, BundleJournal, CandidateEntry, Centre,
    Container, Incident, Outcome, SessionInfo, Sex, VerifiedBundle,
};
use certroom_core::canonical;
use certroom_core::message::UserMessage;
use certroom_core::Hash;
use certroom_journal::{
    EndedBy, Event, FocusCause, JoinedIdentity, Journal, StationKey, TestHeader,
};
use chrono::NaiveDate;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};
use tempfile::TempDir;

pub const SESSION: i64 = 4217;
pub const QUESTIONS: u32 = 5;
pub const UAI: &str = "0750654D";

pub fn bank() -> Hash {
    Hash::of(&[b"bank"])
}

/// How a candidate's test goes in the fixture.
#[derive(Clone, Copy)]
pub enum Sitting {
    /// All questions, ended by the engine, signed head.
    Finished,
    /// `n` questions then time ran out, signed head.
    TimeUp(u32),
    /// `n` questions then the PC died: no `Ended`, no head.
    Died(u32),
}

/// One lab PC: its own journal file and station key.
pub struct Station {
    pub dir: TempDir,
    pub key: StationKey,
    pub journal: Journal,
}

impl Station {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let key = StationKey::load_or_create(&dir.path().join("station.key")).unwrap();
        let journal = Journal::open(&dir.path().join("journal.db")).unwrap();
        Station { dir, key, journal }
    }

    /// Records a sitting for `candidate` the way the kiosk does, and returns its journal as
    /// the console would put it in a bundle.
    /// The header names who sat the test, as the hub matched them at join.
    pub fn sit(&mut self, who: &CandidateEntry, sitting: Sitting) -> BundleJournal {
        let candidate = who.candidate_id;
        let test = format!("T-{candidate}");
        self.journal
            .create_test(
                TestHeader::new(
                    &test,
                    SESSION.to_string(),
                    candidate.to_string(),
                    0xC0FFEE + candidate as u64,
                    "engine-1",
                    bank(),
                )
                .with_identity(JoinedIdentity {
                    birth_name: who.birth_name.clone(),
                    first_name: who.first_name.clone(),
                    birthdate: who.birthdate.format("%Y-%m-%d").to_string(),
                }),
            )
            .unwrap();
        let j = &mut self.journal;
        j.append(&test, &Event::Joined).unwrap();
        j.append(&test, &Event::InstructionsAcknowledged).unwrap();
        j.append(
            &test,
            &Event::Authorized {
                by: "invigilator".into(),
                resume: false,
            },
        )
        .unwrap();
        let n = match sitting {
            Sitting::Finished => QUESTIONS,
            Sitting::TimeUp(n) | Sitting::Died(n) => n,
        };
        for i in 0..n {
            let item = format!("item-{candidate}-{i}");
            j.append(
                &test,
                &Event::QuestionShown {
                    index: i,
                    item_id: item.clone(),
                    draw: json!(u64::from(i) * 7 + 3),
                },
            )
            .unwrap();
            if i == 1 {
                j.append(
                    &test,
                    &Event::FocusLost {
                        cause: FocusCause::Window,
                    },
                )
                .unwrap();
                j.append(&test, &Event::FocusRegained).unwrap();
            }
            j.append(
                &test,
                &Event::Answer {
                    item_id: item,
                    response: json!({"choice": i % 4 + 1}),
                    time_spent_ms: 1000 + u64::from(i),
                    focus_lost: i == 1,
                    timed_out: false,
                },
            )
            .unwrap();
        }
        match sitting {
            Sitting::Finished => {
                j.end_test(
                    &test,
                    EndedBy::Candidate,
                    Some("completed".into()),
                    &self.key,
                )
                .unwrap();
            }
            Sitting::TimeUp(_) => {
                j.end_test(&test, EndedBy::Time, Some("time".into()), &self.key)
                    .unwrap();
            }
            Sitting::Died(_) => {}
        }
        BundleJournal {
            test_id: test.clone(),
            chain: j.chain_bytes(&test, 0).unwrap(),
            head: j.signed_head(&test).unwrap(),
        }
    }
}

fn entry(id: i64, birth: &str, first: &str, outcome: Outcome) -> CandidateEntry {
    CandidateEntry {
        candidate_id: id,
        birth_name: birth.into(),
        first_name: first.into(),
        birthdate: NaiveDate::from_ymd_opt(2011, 3, (id % 28) as u32 + 1).unwrap(),
        local_id: Some("3A".into()),
        sex: if id % 2 == 0 { Some(Sex::F) } else { None },
        outcome,
        abort_reason: AbortReason::None,
        incidents: Vec::new(),
        test_id: None,
    }
}

/// A finalized room: 101 finished, 102 ran out of time (3 of 5 questions, reason given), 103's
/// PC died (technical), 104 never came. Each sitting on its own station.
pub struct Room {
    pub stations: Vec<Station>,
    pub console_dir: TempDir,
    pub console: StationKey,
    pub input: BundleInput,
}

impl Room {
    pub fn console_pair(&self) -> &Ed25519KeyPair {
        self.console.key_pair()
    }

    pub fn console_pub(&self) -> [u8; 32] {
        self.console.public_key()
    }

    pub fn write(&self) -> Vec<u8> {
        certroom_bundle::write(&self.input, self.console_pair()).unwrap()
    }
}

pub fn room() -> Room {
    let mut stations = vec![Station::new(), Station::new(), Station::new()];
    let mut c101 = entry(101, "N'Diaye-Lefèvre", "Zoé", Outcome::Finished);
    c101.test_id = Some("T-101".into());
    let mut c102 = entry(102, "Martin", "Léo", Outcome::TimeUp);
    c102.test_id = Some("T-102".into());
    c102.abort_reason = AbortReason::Candidate;
    c102.incidents.push(Incident {
        code: "E1".into(),
        note: "question illisible\nsignalée".into(),
        question: Some(2),
    });
    let mut c103 = entry(103, "Dupont", "Inès", Outcome::Interrupted);
    c103.test_id = Some("T-103".into());
    c103.abort_reason = AbortReason::Technical;
    let c104 = entry(104, "Bernard", "Noah", Outcome::Absent);
    let journals = vec![
        stations[0].sit(&c101, Sitting::Finished),
        stations[1].sit(&c102, Sitting::TimeUp(3)),
        stations[2].sit(&c103, Sitting::Died(2)),
    ];
    let console_dir = tempfile::tempdir().unwrap();
    let console = StationKey::load_or_create(&console_dir.path().join("console.key")).unwrap();
    let input = BundleInput {
        centre: Centre {
            uai: UAI.into(),
            name: "Collège Jean-Moulin".into(),
        },
        session: SessionInfo {
            number: SESSION,
            date: NaiveDate::from_ymd_opt(2025, 5, 12).unwrap(),
            site: "Bâtiment B".into(),
            room: "Salle 12".into(),
            questions: QUESTIONS,
        },
        candidates: vec![c101, c102, c103, c104],
        journals,
        stations: stations.iter().map(|s| s.key.public_key()).collect(),
        comment: "Coupure réseau à 10 h 05.".into(),
        finalized_at: "2025-05-12T11:02:00.000Z".into(),
        bank_hash: bank(),
        engine_version: "engine-1".into(),
        app_version: "0.1.0".into(),
    };
    Room {
        stations,
        console_dir,
        console,
        input,
    }
}

pub fn code(r: &Result<VerifiedBundle, BundleFault>) -> &str {
    match r {
        Ok(_) => "ok",
        Err(f) => f.code(),
    }
}

/// What someone holding the console key can do: take the bundle apart, change the manifest
/// and the sections, and sign again, so only the semantic checks can catch the change.
pub fn forge(
    bytes: &[u8],
    key: &Ed25519KeyPair,
    edit: impl FnOnce(&mut Container, &mut Value),
) -> Vec<u8> {
    let mut c = Container::parse(bytes).unwrap();
    let mut m: Value = serde_json::from_slice(&c.manifest).unwrap();
    edit(&mut c, &mut m);
    c.manifest = canonical::to_bytes(&m).unwrap();
    c.console_key.copy_from_slice(key.public_key().as_ref());
    c.signature = sign_manifest(&c.manifest, key);
    c.to_bytes().unwrap()
}

/// Points every candidate's `journal_sha256` at the section now carrying its test.
pub fn rehash(c: &Container, m: &mut Value) {
    for cand in m["candidates"].as_array_mut().unwrap() {
        let Some(test) = cand["test_id"].as_str().map(str::to_owned) else {
            continue;
        };
        if let Some(s) = c.journals.iter().find(|s| s.test_id == test) {
            cand["journal_sha256"] = json!(s.sha256().unwrap().to_hex());
        }
    }
}

pub fn candidate_mut(m: &mut Value, id: i64) -> &mut Value {
    m["candidates"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["candidate_id"] == json!(id))
        .unwrap()
}

pub fn write_file(dir: &Path, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join("bundle.crbundle");
    std::fs::write(&p, bytes).unwrap();
    p
}
