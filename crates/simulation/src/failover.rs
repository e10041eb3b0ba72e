//! A console that dies mid-session and a spare PC that takes the room over from the standby
//! copy. The console runs as its own process (`certroom sim console-child`) with its copy on a
//! "USB key" folder; the lab's PCs are real kiosks (journal, sitting, the reconnecting room
//! link). Mid-test the console process is killed (SIGKILL), the candidates go on answering on
//! their PCs, `certroom standby restore` rebuilds another data folder from the copy, a second
//! console process opens it at the same address, the PCs find the same hub identity, the room
//! finishes, and the bundle goes to a certif-server process, which publishes.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use certroom_kiosk::hub_address::{self, HubAddress};
use certroom_kiosk::live::LiveRoom;
use certroom_kiosk::sitting::STATION_KEY_FILE;
use certroom_kiosk::{Identity, KioskConfig, Lang, Screen, Sitting};
use certroom_protocol::{ConsoleCommand, TileStatus};
use serde::Serialize;

use crate::chain::{self, BANK_KEY};
use crate::console_process::{ConsoleProcess, Opening};
use crate::room;

pub struct Options {
    pub candidates: usize,
    /// Answers each candidate gives before the console dies, and while it is dead.
    pub answers_before: usize,
    pub answers_while_dead: usize,
    pub bank: PathBuf,
    pub certroom_bin: PathBuf,
    pub server_bin: PathBuf,
    /// Where everything is kept (consoles, copy, PCs, service).
    pub dir: PathBuf,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub candidates: usize,
    /// Inputs of the room the restore found in the copy's log beyond its last full copy.
    pub inputs_restored: u64,
    /// Answers each test's PC journaled, and the answers the bundle holds for it, by test id.
    pub answered_on_pcs: BTreeMap<String, usize>,
    pub answered_in_bundle: BTreeMap<String, usize>,
    pub receipt_status: String,
    /// Seconds from the kill to the spare console's room listening again.
    pub takeover_s: f64,
}

/// One lab PC: its sitting (journal) and its link to whichever console answers.
struct Pc {
    sitting: Arc<Mutex<Sitting>>,
    link: Arc<LiveRoom>,
    answered: usize,
}

impl Pc {
    fn screen(&self) -> Result<Screen, String> {
        self.sitting
            .lock()
            .map_err(|_| "sitting lock")?
            .screen(Lang::Fr)
            .map_err(|e| e.to_string())
    }

    /// Answers the question on screen (first proposal, or "42"); false when the test is over.
    fn answer(&mut self) -> Result<bool, String> {
        let Screen::Question { question, .. } = self.screen()? else {
            return Ok(false);
        };
        let response = room::any_answer(&question, 1);
        let ack = self
            .sitting
            .lock()
            .map_err(|_| "sitting lock")?
            .answer(&question.item_id, response, Lang::Fr)
            .map_err(|e| e.to_string())?;
        if ack.saved {
            self.answered += 1;
        }
        self.link.wake();
        Ok(true)
    }
}

async fn eventually<T>(
    what: &str,
    secs: u64,
    mut f: impl FnMut() -> Result<Option<T>, String>,
) -> Result<T, String> {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f()? {
            return Ok(v);
        }
        if Instant::now() > end {
            return Err(format!("timed out waiting for {what}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `certroom --data-dir DATA standby …`, the code (if any) on standard input.
fn standby_cli(
    exe: &Path,
    data: &Path,
    args: &[&str],
    stdin: Option<&str>,
) -> Result<String, String> {
    let mut child = Command::new(exe)
        .arg("--data-dir")
        .arg(data)
        .arg("standby")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", exe.display()))?;
    if let (Some(line), Some(mut input)) = (stdin, child.stdin.take()) {
        writeln!(input, "{line}").map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "standby {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn run(o: &Options) -> Result<Report, String> {
    let dir = &o.dir;
    let (sealed, publisher) = crate::bank::seal(&o.bank, BANK_KEY)?;
    let (first, spare, usb) = (dir.join("console"), dir.join("spare"), dir.join("usb"));
    std::fs::create_dir_all(&usb).map_err(|e| e.to_string())?;
    let admin = chain::random_token()?;
    let (_service, base) = chain::start_service(&o.server_bin, dir, &admin)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        // The day before: the console set up, its session, its lab paired and declared.
        let console = chain::set_up_console(&first)?;
        let (session, enrolled) = chain::new_session(&console, o.candidates)?;
        let http = reqwest::Client::new();
        chain::wait_healthy(&http, &base).await?;
        let console_key = console.public_key_hex().map_err(|e| e.to_string())?;
        chain::enrol(&http, &base, &admin, &sealed, &publisher, &console_key).await?;
        let (addr, pin) = chain::open_room_on_loopback(&console, &session).await?;
        let pcs_dir = dir.join("pcs");
        chain::set_up_lab(&console, addr, pin, &pcs_dir, o.candidates).await?;
        console
            .declare_stations(&base)
            .await
            .map_err(|e| e.to_string())?;
        console.close_room().await.map_err(|e| e.to_string())?;
        drop(console);

        // Exam day: the invigilator gives the console a USB key for its copy.
        let started = standby_cli(
            &o.certroom_bin,
            &first,
            &["start", "--to", &usb.display().to_string()],
            None,
        )?;
        let code = started
            .lines()
            .find_map(|l| l.split(" : ").nth(1).filter(|c| c.split('-').count() == 5))
            .ok_or_else(|| format!("no recovery code in {started:?}"))?
            .trim()
            .to_owned();
        let opening = Opening {
            session: session.number,
            password: session.invigilator_password.clone(),
            bank_key: BANK_KEY.into(),
            bind: addr.to_string(),
        };
        let mut console = ConsoleProcess::spawn(&o.certroom_bin, &first, &opening)?;
        if console.pin != pin {
            return Err("the console process shows another hub identity".into());
        }

        // The candidates sit down on the paired PCs, which reach the console by its address.
        let handle = tokio::runtime::Handle::current();
        let address = HubAddress::parse(&addr.to_string()).map_err(|e| e.to_string())?;
        let mut pcs = Vec::new();
        for i in 0..o.candidates {
            let pc_dir = pcs_dir.join(room::kiosk_dir_name(i));
            let sitting = Sitting::open(
                &pc_dir,
                sealed.clone(),
                KioskConfig {
                    engine: certroom_core::Config::default(),
                    session_id: session.number.to_string(),
                    publisher,
                },
            )
            .map_err(|e| e.to_string())?;
            let key = certroom_journal::StationKey::load(&pc_dir.join(STATION_KEY_FILE))
                .map_err(|e| e.to_string())?;
            let sitting = Arc::new(Mutex::new(sitting));
            let link = LiveRoom::start(
                &handle,
                address.clone(),
                hub_address::system_lookup(),
                pin,
                Arc::new(key.into_key_pair()),
                sitting.clone(),
                Arc::new(|| {}),
            );
            pcs.push(Pc {
                sitting,
                link,
                answered: 0,
            });
        }
        for (i, pc) in pcs.iter().enumerate() {
            let c = &enrolled[i];
            let who = Identity {
                session: session.number.to_string(),
                first_name: c.first_name.clone(),
                birth_name: c.birth_name.clone(),
                birthdate: c.birthdate.format("%d/%m/%Y").to_string(),
            };
            let end = Instant::now() + Duration::from_secs(30);
            loop {
                match pc.link.join(who.clone(), Lang::Fr).await {
                    Ok(_) => break,
                    Err(e) if Instant::now() > end => return Err(format!("join: {e:?}")),
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
            pc.link
                .access_code(&session.access_code, Lang::Fr)
                .await
                .map_err(|e| format!("access code: {e:?}"))?;
        }
        for tile in console.view()?.tiles {
            console.command(ConsoleCommand::ConfirmPresence {
                candidate: tile.candidate,
                present: true,
            })?;
            console.command(ConsoleCommand::Authorize {
                candidate: tile.candidate,
            })?;
        }
        for pc in &pcs {
            eventually("the first question on every PC", 30, || {
                Ok(matches!(pc.screen()?, Screen::Question { .. }).then_some(()))
            })
            .await?;
        }
        for pc in &mut pcs {
            for _ in 0..o.answers_before {
                pc.answer()?;
            }
        }
        // The console has every answer so far, and its copy has every decision.
        let expected = o.answers_before as u32;
        eventually("the answers on the console", 30, || {
            let view = console.view()?;
            Ok(view
                .tiles
                .iter()
                .all(|t| t.answered >= expected)
                .then_some(()))
        })
        .await?;

        // The console PC dies.
        console.kill();
        let killed = Instant::now();
        for pc in &mut pcs {
            for _ in 0..o.answers_while_dead {
                pc.answer()?;
            }
        }

        // The spare PC: the copy restored into a new data folder, the room opened again.
        let restored = standby_cli(
            &o.certroom_bin,
            &spare,
            &["restore", "--from", &usb.display().to_string(), "--json"],
            Some(&code.to_lowercase()),
        )?;
        let restored: serde_json::Value =
            serde_json::from_str(restored.trim()).map_err(|e| format!("restore: {e}"))?;
        let mut console = ConsoleProcess::spawn(&o.certroom_bin, &spare, &opening)?;
        let takeover_s = killed.elapsed().as_secs_f64();
        if console.pin != pin {
            return Err("the spare console shows another hub identity".into());
        }

        // The PCs find it and send what it lacks; the candidates finish their tests.
        loop {
            let mut more = false;
            for pc in &mut pcs {
                more |= pc.answer()?;
            }
            if !more {
                break;
            }
        }
        let mut answered_on_pcs = BTreeMap::new();
        for pc in &pcs {
            let test = pc
                .sitting
                .lock()
                .map_err(|_| "sitting lock")?
                .test_id()
                .map(str::to_owned)
                .ok_or("a PC without a test")?;
            answered_on_pcs.insert(test, pc.answered);
        }
        eventually("every test ended on the spare console", 60, || {
            let view = console.view()?;
            Ok(view
                .tiles
                .iter()
                .all(|t| {
                    let test = t.test_id.as_ref();
                    test.and_then(|id| answered_on_pcs.get(id)).copied()
                        == Some(t.answered as usize)
                        && matches!(t.status, TileStatus::Finished | TileStatus::Ended)
                })
                .then_some(()))
        })
        .await?;
        console.command(ConsoleCommand::Finalize)?;
        let (receipt_status, bundle) = console.send(&base)?;
        let key: [u8; 32] = hex::decode(&console_key)
            .ok()
            .and_then(|k| k.try_into().ok())
            .ok_or("console key")?;
        let verified = certroom_bundle::verify(&bundle, Some(&[key]))
            .map_err(|e| format!("the bundle does not verify: {e}"))?;
        let answered_in_bundle = verified
            .candidates
            .iter()
            .filter_map(|c| {
                let test = c.candidate.entry.test_id.clone()?;
                let answered = c.journal.as_ref().map_or(0, |j| {
                    certroom_journal::progress(j.mirror.records())
                        .answered
                        .len()
                });
                Some((test, answered))
            })
            .collect();
        Ok(Report {
            candidates: o.candidates,
            inputs_restored: restored["inputs_added"].as_u64().unwrap_or(0),
            answered_on_pcs,
            answered_in_bundle,
            receipt_status,
            takeover_s,
        })
    })
}
