//! The whole chain on loopback with the real parts (`certroom sim e2e`). A certif-server process
//! (its own binary: the lab software never links the service) on a temporary SQLite database;
//! the bank uploaded, the centre enrolled, the console's key registered; the console (the same
//! application layer as the window: centre set-up, session, candidates imported from a file in
//! the national template, the hosted room) with simulated kiosks that keep real journals;
//! finalization; the signed bundle through the console's outbox; publication; every
//! verification code resolved; the certificates printed by the office library and checked
//! offline.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use certroom_centre::candidate::{Birthplace, Candidate, Sex};
use certroom_centre::centre::CentreDraft;
use certroom_centre::session::SessionDraft;
use certroom_console::{Console, SessionView};
use certroom_hub::EnrolledCandidate;
use certroom_protocol::{ConsoleCommand, Fingerprint};
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::{json, Value};

use crate::room::{self, HubEndpoint, SimRoomConfig};
use certroom_kiosk::sitting::STATION_KEY_FILE;

pub(crate) const BANK_KEY: &str = "salle-e2e-2026";
pub const ADMIN_PASSWORD: &str = "secretariat-2026";
const UAI: &str = "0750654D";
const CENTRE: &str = "Lycée Henri-IV";

pub struct Options {
    pub candidates: usize,
    /// Keep every artifact (bundle, journals, results, certificates.pdf) in this folder.
    pub keep: Option<PathBuf>,
    pub bank: PathBuf,
    /// The certif-server binary.
    pub server_bin: PathBuf,
    /// A candidate (by index) the invigilator catches cheating (incident C6): the session waits
    /// for the jury, whose named member rejects that candidate on the jury pages and validates
    /// the session, and the others are published.
    pub fraud: Option<usize>,
}

#[derive(Debug, serde::Serialize)]
pub struct Report {
    pub candidates: usize,
    pub published: usize,
    pub bundle_bytes: usize,
    pub ingest_ms: f64,
    pub verified_codes: usize,
    pub certificates_pdf_bytes: usize,
    pub certificates_verified_offline: usize,
    /// The session's status at receipt (`published`, or `pending_jury` with a fraud).
    pub receipt_status: String,
    /// Where the console's session list says the session stands at the end (`Published`).
    pub console_stage: String,
    /// Candidates the jury rejected.
    pub jury_rejected: usize,
    pub keep: Option<String>,
}

impl Report {
    /// Every candidate published but those the jury rejected, every code verified, every
    /// certificate checked offline.
    pub fn complete(&self) -> bool {
        self.published + self.jury_rejected == self.candidates
            && self.console_stage == "Published"
            && self.verified_codes == self.published
            && self.certificates_verified_offline == self.published
    }
}

/// Kills the service when the run ends, however it ends.
pub(crate) struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const FIRST: &[&str] = &[
    "Zoé",
    "Léa",
    "Đặng Thị",
    "Øystein",
    "Anaïs",
    "Jean-Pierre",
    "Maël",
    "Chloé",
];
const LAST: &[&str] = &[
    "N'Diaye-Lefèvre",
    "Martin",
    "Ánh",
    "Ærø",
    "Dupont",
    "Le Bihan",
    "Gauthier",
    "Ngô",
];

/// Plain names first (what the office test reads back), numbered once they repeat.
fn candidates(count: usize) -> Vec<EnrolledCandidate> {
    room::enrolled_candidates(count, |i| {
        let birth_name = match LAST.get(i) {
            Some(name) => (*name).to_owned(),
            None => format!("{} {}", LAST[i % LAST.len()], i + 1),
        };
        (FIRST[i % FIRST.len()].to_owned(), birth_name)
    })
}

/// The candidates' list as a school sends it: the national template, born in Paris.
fn template_file(candidates: &[EnrolledCandidate]) -> Vec<u8> {
    let listed: Vec<Candidate> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| Candidate {
            birth_name: c.birth_name.clone(),
            first_name: c.first_name.clone(),
            sex: if i % 2 == 0 { Sex::F } else { Sex::M },
            birthdate: c.birthdate,
            birthplace: Birthplace::France {
                insee: "75056".into(),
                postal_code: None,
                town: "Paris".into(),
            },
            local_id: c.local_id.clone(),
            extra_time_percent: None,
            adjusted_questions: false,
            convocation_email: None,
            results_email: None,
        })
        .collect();
    certroom_centre::import::export::to_csv(&listed)
}

/// A console set up as on a school's first launch (centre and administrator password).
pub fn set_up_console(dir: &Path) -> Result<Console, String> {
    let console = Console::open(dir).map_err(|e| e.to_string())?;
    console
        .set_up_centre(
            CentreDraft {
                uai: UAI.into(),
                name: CENTRE.into(),
                address: "23 rue Clovis, 75005 Paris".into(),
            },
            ADMIN_PASSWORD,
        )
        .map_err(|e| e.to_string())?;
    Ok(console)
}

/// A session for today with `count` candidates imported from the national template.
pub fn new_session(
    console: &Console,
    count: usize,
) -> Result<(SessionView, Vec<EnrolledCandidate>), String> {
    let session = console
        .create_session(&SessionDraft {
            site: CENTRE.into(),
            room: "Salle B12".into(),
            date: chrono::Local::now()
                .date_naive()
                .format("%d/%m/%Y")
                .to_string(),
            start_time: "09:00".into(),
            invigilators: vec!["M. Surveillant".into()],
            observations: String::new(),
        })
        .map_err(|e| e.to_string())?;
    let enrolled = candidates(count);
    console
        .import_candidates(
            session.number,
            &template_file(&enrolled),
            "candidats.csv",
            &[],
        )
        .map_err(|e| e.to_string())?;
    Ok((session, enrolled))
}

/// The session's room, hosted by `console` on a loopback port of its own: where the kiosks
/// reach it and the certificate they pin.
pub async fn open_room_on_loopback(
    console: &Console,
    session: &SessionView,
) -> Result<(std::net::SocketAddr, Fingerprint), String> {
    let info = console
        .open_room(
            session.number,
            &session.invigilator_password,
            BANK_KEY,
            "127.0.0.1:0",
            Arc::new(|_| {}),
        )
        .await
        .map_err(|e| e.to_string())?;
    let addr = info
        .address
        .parse()
        .map_err(|e| format!("hub address: {e}"))?;
    let pin = Fingerprint::parse(&info.fingerprint).map_err(|e| e.to_string())?;
    Ok((addr, pin))
}

/// The lab technician's set-up: each PC (its station key where the simulated kiosk keeps it)
/// asks to pair, and the console confirms the request.
pub(crate) async fn set_up_lab(
    console: &Console,
    addr: std::net::SocketAddr,
    pin: Fingerprint,
    kiosks: &Path,
    count: usize,
) -> Result<(), String> {
    console
        .room_command(ConsoleCommand::OpenPairing { minutes: 30 })
        .map_err(|e| e.to_string())?;
    let mut pairing = tokio::task::JoinSet::new();
    for i in 0..count {
        let dir = kiosks.join(room::kiosk_dir_name(i));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let key = certroom_journal::StationKey::load_or_create(&dir.join(STATION_KEY_FILE))
            .map_err(|e| e.to_string())?;
        let address = certroom_kiosk::hub_address::HubAddress::parse(&addr.to_string())
            .map_err(|e| e.to_string())?;
        pairing.spawn(async move {
            certroom_kiosk::live::pair(
                &address,
                &certroom_kiosk::hub_address::system_lookup(),
                Some(pin),
                key.into_key_pair(),
                &room::kiosk_label(i),
                Duration::from_secs(60),
                |_| {},
            )
            .await
        });
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while !pairing.is_empty() {
        if Instant::now() > deadline {
            return Err("lab: pairings not confirmed in time".into());
        }
        let view = console.room_view().map_err(|e| e.to_string())?;
        for p in view.map(|v| v.view.pairings).unwrap_or_default() {
            console
                .room_command(ConsoleCommand::ConfirmPairing { station: p.station })
                .map_err(|e| e.to_string())?;
        }
        while let Some(done) = pairing.try_join_next() {
            done.map_err(|e| e.to_string())?
                .map_err(|e| format!("lab: {e}"))?;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Every PC is paired: nobody else may ask.
    console
        .room_command(ConsoleCommand::ClosePairing)
        .map_err(|e| e.to_string())?;
    Ok(())
}

pub fn run(o: &Options) -> Result<Report, String> {
    let dir = match &o.keep {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("certroom-e2e-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let report = run_in(o, &dir);
    if o.keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    report.map_err(|e| format!("e2e: {e}"))
}

fn run_in(o: &Options, dir: &Path) -> Result<Report, String> {
    // The bank, sealed for the session.
    let (sealed, publisher_pk) = crate::bank::seal(&o.bank, BANK_KEY)?;
    // The candidates know what pupils of their level know, so the certificates show levels.
    let answers = std::sync::Arc::new(crate::answer_key::AnswerKey::from_folder(&o.bank)?);
    std::fs::write(dir.join("bank.pack"), &sealed).map_err(|e| e.to_string())?;

    // The console, set up as on a school's first launch, then the session and its candidates.
    let console = set_up_console(&dir.join("console"))?;
    let (session, enrolled) = new_session(&console, o.candidates)?;

    // The central service, as its own process.
    let admin = random_token()?;
    let (service, base) = start_service(&o.server_bin, dir, &admin)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let report = runtime.block_on(async {
        let http = reqwest::Client::new();
        wait_healthy(&http, &base).await?;
        let centre_token = enrol(
            &http,
            &base,
            &admin,
            &sealed,
            &publisher_pk,
            &console.public_key_hex().map_err(|e| e.to_string())?,
        )
        .await?;

        // The room, hosted by the console; the candidates' kiosks, each with its journal.
        // Before exam day: the lab's PCs are paired with the console and declared to the
        // service, so their tests publish without the jury.
        let (hub_addr, pin) = open_room_on_loopback(&console, &session).await?;
        set_up_lab(&console, hub_addr, pin, &dir.join("kiosks"), o.candidates).await?;
        console
            .declare_stations(&base)
            .await
            .map_err(|e| e.to_string())?;
        let sat = room::run(
            SimRoomConfig {
                kiosks: o.candidates,
                duration: Duration::from_secs(600),
                seed: 2026,
                think_ms: (1, 5),
                // Alerts are incidents: they would (rightly) send the session to the jury.
                alert_rate: 0.0,
                focus_rate: 0.05,
                pack: sealed.clone(),
                publisher: publisher_pk,
                engine: certroom_core::Config::default(),
                dir: dir.join("kiosks"),
                answers: Some(answers.clone()),
                tap: None,
            },
            HubEndpoint {
                addr: hub_addr,
                pin,
                session: session.number,
                password: session.invigilator_password.clone(),
                access_code: session.access_code.to_lowercase(),
                candidates: room::typed_identities(&enrolled),
            },
        )
        .await?;
        if !sat.errors.is_empty() || sat.lost_events > 0 {
            return Err(format!("room: {:?}, {} lost", sat.errors, sat.lost_events));
        }

        let fraud = match o.fraud {
            Some(i) => Some(record_fraud(&console, session.number, &enrolled, i)?),
            None => None,
        };
        // Finalized from the console; the bundle goes through its outbox to the service, which
        // checks, replays and publishes; the receipt is checked against the service's key.
        console
            .room_command(ConsoleCommand::Finalize)
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        let status = console
            .send_bundle(&base)
            .await
            .map_err(|e| e.to_string())?;
        let ingest_ms = started.elapsed().as_secs_f64() * 1000.0;
        let item = status.items.first().ok_or("nothing in the outbox")?;
        if item.state != certroom_sync::State::Sent {
            return Err(format!("bundle not accepted: {:?}", item.last_error));
        }
        let (bundle_path, bundle) = console.room_bundle().map_err(|e| e.to_string())?;
        std::fs::copy(
            &bundle_path,
            dir.join(format!("session-{}.bundle", session.number)),
        )
        .map_err(|e| e.to_string())?;
        console.close_room().await.map_err(|e| e.to_string())?;
        let receipt: certroom_protocol::Receipt =
            serde_json::from_str(item.receipt.as_deref().unwrap_or_default())
                .map_err(|e| format!("receipt: {e}"))?;
        let jury_rejected = match fraud {
            Some(candidate) => {
                let session_id = format!("{UAI}-{}", session.number);
                jury_rejects(&o.server_bin, dir, &base, &session_id, candidate).await?;
                1
            }
            None => 0,
        };
        // The console asks the service where its bundle stands now (the jury has decided).
        console.refresh_outbox().await.map_err(|e| e.to_string())?;
        let stage = console
            .sessions()
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|s| s.number == session.number)
            .map(|s| s.stage)
            .ok_or("the session left the console")?;

        let office = office(&http, &base, &centre_token, dir).await?;
        Ok::<_, String>(Report {
            candidates: o.candidates,
            published: office.published,
            bundle_bytes: bundle.len(),
            ingest_ms,
            verified_codes: office.verified_codes,
            certificates_pdf_bytes: office.pdf_bytes,
            certificates_verified_offline: office.verified_offline,
            receipt_status: receipt.status,
            console_stage: format!("{stage:?}"),
            jury_rejected,
            keep: o.keep.as_ref().map(|d| d.display().to_string()),
        })
    });
    drop(console);
    drop(service);
    report
}

/// The service's administrator enrols the bank, the centre and the console's key; returns the
/// centre's token.
pub(crate) async fn enrol(
    http: &reqwest::Client,
    base: &str,
    admin: &str,
    sealed: &[u8],
    publisher: &[u8; 32],
    console_key: &str,
) -> Result<String, String> {
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(admin)
            .json(&body)
            .send()
    };
    let r = post(
        "/admin/banks",
        json!({
            "pack_base64": base64::engine::general_purpose::STANDARD.encode(sealed),
            "passphrase": BANK_KEY,
            "publisher_public_key": hex::encode(publisher),
        }),
    )
    .await
    .map_err(|e| e.to_string())?;
    expect_ok(r, "bank upload").await?;
    let r = post("/admin/centres", json!({"uai": UAI, "name": CENTRE}))
        .await
        .map_err(|e| e.to_string())?;
    let token = expect_ok(r, "centre enrolment").await?["centre_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let r = post(
        &format!("/admin/centres/{UAI}/consoles"),
        json!({"public_key": console_key}),
    )
    .await
    .map_err(|e| e.to_string())?;
    expect_ok(r, "console registration").await?;
    Ok(token)
}

/// The invigilator records a C6 (fraud) incident for the candidate at `index`; returns the
/// candidate's id.
fn record_fraud(
    console: &Console,
    session: i64,
    enrolled: &[EnrolledCandidate],
    index: usize,
) -> Result<i64, String> {
    let who = enrolled.get(index).ok_or("--fraud: no such candidate")?;
    let id = console
        .candidates(session)
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|c| c.birth_name == who.birth_name && c.first_name == who.first_name)
        .ok_or("--fraud: candidate not in the session")?
        .id;
    console
        .room_command(ConsoleCommand::RecordIncident {
            candidate: id,
            code: "C6".into(),
            note: "Téléphone consulté pendant le test.".into(),
            question: None,
        })
        .map_err(|e| e.to_string())?;
    Ok(id)
}

/// The jury: a member is added with the service's own command, signs in on the jury pages,
/// rejects the candidate caught cheating and validates the session, as a browser posts the forms.
async fn jury_rejects(
    server_bin: &Path,
    dir: &Path,
    base: &str,
    session_id: &str,
    candidate: i64,
) -> Result<(), String> {
    let out = Command::new(server_bin)
        .args(["jury", "--data-dir"])
        .arg(dir.join("service"))
        .args(["add", "Mme Durand"])
        .env("CERTIF_LOG", "warn")
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "jury add: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let added: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let credential = added["credential"]
        .as_str()
        .ok_or("jury add: no credential")?;
    std::fs::write(dir.join("jury-credential.txt"), credential).map_err(|e| e.to_string())?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let r = http
        .post(format!("{base}/jury/connexion"))
        .form(&[("credential", credential)])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or("jury sign-in refused")?
        .to_owned();
    let page = http
        .get(format!("{base}/jury/sessions/{session_id}"))
        .header("cookie", &cookie)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.get(..64))
        .ok_or("jury page: no session waiting")?
        .to_owned();
    let forms: [(String, Vec<(&str, &str)>); 2] = [
        (
            format!("/jury/sessions/{session_id}/candidats/{candidate}"),
            vec![
                ("decision", "reject"),
                ("reason", "Fraude constatée en salle (C6)."),
            ],
        ),
        (
            format!("/jury/sessions/{session_id}/decision"),
            vec![("decision", "validate"), ("comment", "")],
        ),
    ];
    for (path, mut fields) in forms {
        fields.push(("csrf", &csrf));
        let r = http
            .post(format!("{base}{path}"))
            .header("cookie", &cookie)
            .form(&fields)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !r.status().is_success() {
            return Err(format!("jury {path}: HTTP {}", r.status()));
        }
    }
    Ok(())
}

struct Office {
    published: usize,
    verified_codes: usize,
    pdf_bytes: usize,
    verified_offline: usize,
}

/// The office: the signed results file, checked against the service key and kept; every code
/// checked on the public endpoint; every certificate printed and checked offline.
async fn office(
    http: &reqwest::Client,
    base: &str,
    centre_token: &str,
    dir: &Path,
) -> Result<Office, String> {
    let server_key = certroom_sync::fetch_server_key(base)
        .await
        .map_err(|e| e.to_string())?;
    let signed = certroom_sync::fetch_results(base, UAI, centre_token)
        .await
        .map_err(|e| e.to_string())?;
    std::fs::write(dir.join("results.signed"), &signed).map_err(|e| e.to_string())?;
    // What an office needs to reach this service again (the end-to-end office test restarts it
    // on the kept data folder).
    std::fs::write(dir.join("centre-token.txt"), centre_token).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("server-key.txt"), &server_key).map_err(|e| e.to_string())?;
    let library = certroom_office::Library::open(&dir.join("office")).map_err(|e| e.to_string())?;
    library
        .save_settings(certroom_office::Settings {
            service_url: base.to_owned(),
            service_key: server_key.clone(),
            ..Default::default()
        })
        .map_err(|e| e.to_string())?;
    library.import(&signed, UAI).map_err(|e| e.to_string())?;
    let results = library
        .results()
        .map_err(|e| e.to_string())?
        .ok_or("no results kept")?;
    let roster = certroom_office::roster(&results);
    let mut verified_codes = 0;
    let mut selection = Vec::new();
    for row in roster.rows.iter().filter(|r| r.printable) {
        let code = row
            .certificate
            .as_ref()
            .map(|c| c.verification_code.as_str());
        let r = http
            .get(format!("{base}/verify/{}", code.unwrap_or_default()))
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if r.status().is_success() {
            verified_codes += 1;
        }
        selection.push(certroom_office::CandidateRef {
            session_id: row.session_id.clone(),
            candidate_id: row.candidate_id,
        });
    }
    let certs = certroom_office::certificates_for(
        &results,
        &selection,
        &certroom_office::PrintOptions::default(),
    )
    .map_err(|e| e.to_string())?;
    let pdf = certroom_office::print(&certs, certroom_pdf::CertificateLang::Fr, &mut |_, _| {})
        .map_err(|e| e.to_string())?;
    std::fs::write(dir.join("certificates.pdf"), &pdf).map_err(|e| e.to_string())?;
    let server_key = hex::decode(&server_key)
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .ok_or("server key")?;
    let verified_offline = certroom_certificate::verify_document(&pdf, &server_key.into())
        .into_iter()
        .filter(|(_, r)| r.is_ok())
        .count();
    Ok(Office {
        published: certs.len(),
        verified_codes,
        pdf_bytes: pdf.len(),
        verified_offline,
    })
}

pub(crate) fn random_token() -> Result<String, String> {
    let mut b = [0u8; 24];
    SystemRandom::new().fill(&mut b).map_err(|_| "random")?;
    Ok(hex::encode(b))
}

pub(crate) fn start_service(
    bin: &Path,
    dir: &Path,
    token: &str,
) -> Result<(Service, String), String> {
    if !bin.exists() {
        return Err(format!(
            "{} not found: build it (cargo build -p certif-server) or pass --server-bin",
            bin.display()
        ));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(bin)
        .arg("serve")
        .arg("--bind")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir.join("service"))
        .arg("--base-url")
        .arg(&base)
        .env("CERTIF_ADMIN_TOKEN", token)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    Ok((Service(child), base))
}

pub(crate) async fn wait_healthy(http: &reqwest::Client, base: &str) -> Result<(), String> {
    let end = Instant::now() + Duration::from_secs(30);
    while Instant::now() < end {
        if let Ok(r) = http.get(format!("{base}/health")).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("certif-server did not start".into())
}

async fn expect_ok(r: reqwest::Response, what: &str) -> Result<Value, String> {
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("{what}: HTTP {status}: {body}"))
    }
}
