//! `certroom sim e2e`: the whole chain on loopback with the real parts. A certif-server process
//! (its own binary: the lab software never links the service) on a temporary SQLite database;
//! the bank uploaded, the centre enrolled, the console key registered; a room hub and simulated
//! kiosks with real journals; finalization; the signed bundle through the outbox; publication;
//! every verification code resolved; the certificates printed and checked offline.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use certroom_hub::room::{ConsoleCommand, RoomSetup};
use certroom_hub::Hub;
use certroom_journal::StationKey;
use certroom_kiosk::room_sim::{self, HubEndpoint, SimRoomConfig};
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::{json, Value};

const BANK_KEY: &str = "salle-e2e-2026";
const SESSION: i64 = 4217;
const PASSWORD: &str = "k7?Pm2";
const ACCESS: &str = "BCDF23";
const UAI: &str = "0750654D";
const CENTRE: &str = "Lycée Henri-IV";

pub struct Options {
    pub candidates: usize,
    pub keep: Option<PathBuf>,
    pub bank: PathBuf,
    pub server_bin: Option<PathBuf>,
    pub json: bool,
}

#[derive(serde::Serialize)]
struct Report {
    candidates: usize,
    published: usize,
    bundle_bytes: usize,
    ingest_ms: f64,
    verified_codes: usize,
    certificates_pdf_bytes: usize,
    certificates_verified_offline: usize,
    keep: Option<String>,
}

/// Kills the service when the run ends, however it ends.
struct Service(Child);

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

pub fn run(o: &Options) -> Result<(), String> {
    let dir = match &o.keep {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("certroom-e2e-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;

    // The bank, sealed for the session.
    let (sealed, publisher_pk) = super::room::seal_bank(&o.bank, BANK_KEY)?;
    std::fs::write(dir.join("bank.pack"), &sealed).map_err(|e| e.to_string())?;

    // The central service, as its own process.
    let admin = random_token()?;
    let (service, base) = start_service(o, &dir, &admin)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let report = runtime.block_on(async {
        let http = reqwest::Client::new();
        wait_healthy(&http, &base).await?;
        let admin_post = |path: &str, body: Value| {
            http.post(format!("{base}{path}"))
                .bearer_auth(&admin)
                .json(&body)
                .send()
        };
        let r = admin_post(
            "/admin/banks",
            json!({
                "pack_base64": base64::engine::general_purpose::STANDARD.encode(&sealed),
                "passphrase": BANK_KEY,
                "publisher_public_key": hex::encode(publisher_pk),
            }),
        )
        .await
        .map_err(|e| e.to_string())?;
        expect_ok(r, "bank upload").await?;
        let r = admin_post("/admin/centres", json!({"uai": UAI, "name": CENTRE}))
            .await
            .map_err(|e| e.to_string())?;
        let centre_token = expect_ok(r, "centre enrolment").await?["centre_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let console =
            StationKey::load_or_create(&dir.join("console.key")).map_err(|e| e.to_string())?;
        let r = admin_post(
            &format!("/admin/centres/{UAI}/consoles"),
            json!({"public_key": console.public_key_hex()}),
        )
        .await
        .map_err(|e| e.to_string())?;
        expect_ok(r, "console registration").await?;

        // The room: a hub on loopback and the candidates' kiosks, each with its journal.
        // Plain names first (what the office test reads back), numbered once they repeat.
        let candidates = room_sim::enrolled_candidates(o.candidates, |i| {
            let birth_name = match LAST.get(i) {
                Some(name) => (*name).to_owned(),
                None => format!("{} {}", LAST[i % LAST.len()], i + 1),
            };
            (FIRST[i % FIRST.len()].to_owned(), birth_name)
        });
        let setup = RoomSetup {
            session: SESSION,
            access_code: ACCESS.into(),
            invigilator_password: PASSWORD.into(),
            bank_key: BANK_KEY.into(),
            questions: 32,
            duration_min: 105,
            candidates: candidates.clone(),
        };
        let hub = Hub::open(&dir.join("hub"), setup)
            .map_err(|e| e.to_string())?
            .serve("127.0.0.1:0".parse().map_err(|_| "bind")?)
            .await
            .map_err(|e| e.to_string())?;
        let room = room_sim::run(
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
            },
            HubEndpoint {
                addr: hub.addr,
                pin: hub.hub.fingerprint(),
                session: SESSION,
                password: PASSWORD.into(),
                access_code: ACCESS.to_lowercase(),
                candidates: candidates
                    .iter()
                    .map(|c| {
                        (
                            c.first_name.clone(),
                            c.birth_name.clone(),
                            c.birthdate.format("%d/%m/%Y").to_string(),
                        )
                    })
                    .collect(),
            },
        )
        .await?;
        if !room.errors.is_empty() || room.lost_events > 0 {
            return Err(format!(
                "room: {:?}, {} lost",
                room.errors, room.lost_events
            ));
        }
        let auth = hub
            .hub
            .sign_in(SESSION, PASSWORD)
            .map_err(|e| e.message_en)?;
        hub.hub
            .command(&auth, ConsoleCommand::Finalize)
            .map_err(|e| e.message_en)?;
        let bundle = hub
            .hub
            .bundle(
                console.key_pair(),
                certroom_bundle::Centre {
                    uai: UAI.into(),
                    name: CENTRE.into(),
                },
                chrono::Utc::now().date_naive(),
                CENTRE,
                "Salle B12",
                &Default::default(),
                env!("CARGO_PKG_VERSION"),
            )
            .map_err(|e| e.to_string())?;
        hub.stop().await;
        let bundle_path = dir.join(format!("session-{SESSION}.bundle"));
        std::fs::write(&bundle_path, &bundle).map_err(|e| e.to_string())?;

        // The console's outbox sends it; the service checks, replays and publishes.
        let outbox =
            certroom_sync::Outbox::open(&dir.join("outbox.db")).map_err(|e| e.to_string())?;
        outbox.add(&bundle).map_err(|e| e.to_string())?;
        let uploader = certroom_sync::Uploader::new(&base).map_err(|e| e.to_string())?;
        let started = Instant::now();
        let progress = uploader
            .drain(&outbox, Duration::from_secs(120))
            .await
            .map_err(|e| e.to_string())?;
        let ingest_ms = started.elapsed().as_secs_f64() * 1000.0;
        if progress.sent != 1 {
            let item = outbox.items().map_err(|e| e.to_string())?;
            return Err(format!(
                "bundle not accepted: {:?}",
                item.first().and_then(|i| i.last_error.clone())
            ));
        }

        // The office: the signed results file, checked against the service key and kept; every
        // code checked on the public endpoint; every certificate printed and checked offline.
        let server_key = certroom_sync::fetch_server_key(&base)
            .await
            .map_err(|e| e.to_string())?;
        let signed = certroom_sync::fetch_results(&base, UAI, &centre_token)
            .await
            .map_err(|e| e.to_string())?;
        std::fs::write(dir.join("results.signed"), &signed).map_err(|e| e.to_string())?;
        // What an office needs to reach this service again (the end-to-end office test restarts
        // it on the kept data folder).
        std::fs::write(dir.join("centre-token.txt"), &centre_token).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("server-key.txt"), &server_key).map_err(|e| e.to_string())?;
        let office =
            certroom_office::Library::open(&dir.join("office")).map_err(|e| e.to_string())?;
        office
            .save_settings(certroom_office::Settings {
                service_url: base.clone(),
                service_key: server_key.clone(),
                ..Default::default()
            })
            .map_err(|e| e.to_string())?;
        office.import(&signed, UAI).map_err(|e| e.to_string())?;
        let results = office
            .results()
            .map_err(|e| e.to_string())?
            .ok_or("no results kept")?;
        let roster = certroom_office::roster(&results);
        let mut verified = 0;
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
                verified += 1;
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
        let published = certs.len();
        let pdf = certroom_office::print(&certs, certroom_pdf::CertificateLang::Fr, &mut |_, _| {})
            .map_err(|e| e.to_string())?;
        std::fs::write(dir.join("certificates.pdf"), &pdf).map_err(|e| e.to_string())?;
        let server_key = hex::decode(&server_key)
            .ok()
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .ok_or("server key")?;
        let offline = certroom_certificate::verify_document(&pdf, &server_key)
            .into_iter()
            .filter(|(_, r)| r.is_ok())
            .count();
        Ok::<_, String>(Report {
            candidates: o.candidates,
            published,
            bundle_bytes: bundle.len(),
            ingest_ms,
            verified_codes: verified,
            certificates_pdf_bytes: pdf.len(),
            certificates_verified_offline: offline,
            keep: o.keep.as_ref().map(|d| d.display().to_string()),
        })
    });
    drop(service);
    let report = report.map_err(|e| format!("e2e: {e}"))?;
    if o.keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let ok = report.published == o.candidates
        && report.verified_codes == report.published
        && report.certificates_verified_offline == report.published;
    super::print_report(&report, o.json)?;
    if !ok {
        return Err("not every candidate was published, verified and printed".into());
    }
    Ok(())
}

fn random_token() -> Result<String, String> {
    let mut b = [0u8; 24];
    SystemRandom::new().fill(&mut b).map_err(|_| "random")?;
    Ok(hex::encode(b))
}

fn start_service(o: &Options, dir: &Path, token: &str) -> Result<(Service, String), String> {
    let bin = match &o.server_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()
            .map_err(|e| e.to_string())?
            .with_file_name("certif-server"),
    };
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
    let child = Command::new(&bin)
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

async fn wait_healthy(http: &reqwest::Client, base: &str) -> Result<(), String> {
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
