//! `certroom station check`: what would stop exam day on this lab PC, each item said in French
//! first with what to do. [`observe`] looks at the machine (the only I/O here); [`judge`] turns
//! what it saw into findings, so that each item is tested by making it fail.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::station::{StationConfig, BANK_PACK_FILE, CONFIG_FILE};

/// Free space the data folder must keep: journals are small, but a full disk loses answers.
pub const MIN_FREE_BYTES: u64 = 500 * 1024 * 1024;
/// Slowest acceptable durable write (p99 of [`FSYNC_SAMPLES`]): every answer waits for one.
pub const MAX_FSYNC_MS: f64 = 50.0;
const FSYNC_SAMPLES: usize = 20;
/// Largest difference between this PC's clock and the hub's: journals are stamped by the PC, and
/// the service holds a test whose start precedes its PC's declaration.
pub const MAX_CLOCK_OFFSET_MS: i64 = 2000;

/// Where to look; the defaults are this machine's, tests point them elsewhere.
#[derive(Debug, Clone)]
pub struct Probe {
    pub data_dir: PathBuf,
    /// Folders searched for programs (`cage`), as `PATH`.
    pub program_dirs: Vec<PathBuf>,
    /// `DISPLAY` or `WAYLAND_DISPLAY` of the session the check runs in.
    pub display: Option<String>,
    /// Where Debian installs the accessibility bus launcher.
    pub accessibility_bus: Vec<PathBuf>,
}

impl Probe {
    pub fn of_this_machine(data_dir: &Path) -> Probe {
        let program_dirs = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        let display = ["WAYLAND_DISPLAY", "DISPLAY"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|d| !d.is_empty()));
        Probe {
            data_dir: data_dir.to_owned(),
            program_dirs,
            display,
            accessibility_bus: vec![
                "/usr/libexec/at-spi-bus-launcher".into(),
                "/usr/lib/at-spi2-core/at-spi-bus-launcher".into(),
            ],
        }
    }
}

/// What [`observe`] saw.
#[derive(Debug, Clone)]
pub struct Observed {
    /// Why the data folder cannot be written, if it cannot.
    pub unwritable: Option<String>,
    pub free_bytes: Option<u64>,
    pub fsync_p99_ms: Option<f64>,
    /// The station configuration, or why it cannot be read.
    pub config: Result<StationFacts, String>,
    /// What the bank pack's header says, or why there is none.
    pub bank: Result<String, String>,
    /// What the paired hub said (over its pinned certificate), or why it could not be asked.
    pub hub: Option<Result<HubFacts, String>>,
    pub display: Option<String>,
    pub cage: Option<PathBuf>,
    pub accessibility_bus: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HubFacts {
    pub version: String,
    /// The hub's clock minus this PC's, at the middle of the exchange.
    pub clock_offset_ms: i64,
}

#[derive(Debug, Clone, Default)]
pub struct StationFacts {
    pub exit_code: bool,
    pub bank_publisher: bool,
    pub hub: Option<String>,
    pub fingerprint: Option<String>,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable: `data_folder`, `disk_space`, `fsync`, `exit_code`, `bank`, `pairing`, `hub`,
    /// `version`, `clock`, `display`, `cage`, `accessibility`.
    pub item: &'static str,
    pub ok: bool,
    pub fr: String,
    pub en: String,
}

fn finding(item: &'static str, ok: bool, fr: String, en: String) -> Finding {
    Finding { item, ok, fr, en }
}

/// Looks at the machine: writes and syncs a few small files in the data folder (removed
/// after), reads the station's configuration and bank header, and knocks at the paired hub.
pub fn observe(probe: &Probe) -> Observed {
    let dir = &probe.data_dir;
    let config = StationConfig::load(&dir.join(CONFIG_FILE))
        .map(|c| StationFacts {
            exit_code: c.exit_code.is_some(),
            bank_publisher: c.bank_publisher.is_some(),
            fingerprint: c.hub.as_ref().map(|h| h.fingerprint.clone()),
            hub: c.hub.map(|h| h.address),
        })
        .map_err(|e| e.to_string());
    let hub = config
        .as_ref()
        .ok()
        .and_then(|c| Some((c.hub.clone()?, c.fingerprint.clone()?)))
        .map(|(address, pin)| ask_hub(&address, &pin));
    let latencies = fsync_latencies(dir);
    Observed {
        unwritable: latencies.as_ref().err().cloned(),
        free_bytes: rustix::fs::statvfs(dir)
            .ok()
            .map(|s| s.f_bavail.saturating_mul(s.f_frsize)),
        fsync_p99_ms: latencies.ok().map(|l| p99(&l)),
        config,
        bank: bank_header(&dir.join(BANK_PACK_FILE)),
        hub,
        display: probe.display.clone(),
        cage: probe
            .program_dirs
            .iter()
            .map(|d| d.join("cage"))
            .find(|p| p.is_file()),
        accessibility_bus: probe
            .accessibility_bus
            .iter()
            .find(|p| p.is_file())
            .cloned(),
    }
}

/// Durations of [`FSYNC_SAMPLES`] small writes made durable, as the journal makes them.
fn fsync_latencies(dir: &Path) -> Result<Vec<f64>, String> {
    use std::io::Write;
    let path = dir.join(".certroom-check");
    let mut out = Vec::with_capacity(FSYNC_SAMPLES);
    let result = (|| {
        let mut file = std::fs::File::create(&path)?;
        for _ in 0..FSYNC_SAMPLES {
            let start = Instant::now();
            file.write_all(&[0u8; 4096])?;
            file.sync_data()?;
            out.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        Ok::<_, std::io::Error>(())
    })();
    let _ = std::fs::remove_file(&path);
    result.map(|()| out).map_err(|e| e.to_string())
}

fn p99(samples: &[f64]) -> f64 {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let at = (s.len() * 99).div_ceil(100).saturating_sub(1);
    s.get(at).copied().unwrap_or(0.0)
}

fn bank_header(path: &Path) -> Result<String, String> {
    let pack = std::fs::read(path).map_err(|e| e.to_string())?;
    let header = certroom_bank::pack::read_header(&pack).map_err(|e| e.to_string())?;
    let hash = header.bank_hash.to_hex();
    Ok(match header.key {
        certroom_bank::pack::KeyInfo::Session { .. } => {
            format!(
                "banque {} (clé de session)",
                hash.get(..12).unwrap_or(&hash)
            )
        }
        certroom_bank::pack::KeyInfo::Passphrase { .. } => {
            format!(
                "banque {} (phrase de passe)",
                hash.get(..12).unwrap_or(&hash)
            )
        }
    })
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Connects as the kiosk does (TLS pinned on the hub's certificate) and asks its version and
/// time.
fn ask_hub(address: &str, pin: &str) -> Result<HubFacts, String> {
    let address = crate::hub_address::HubAddress::parse(address).map_err(|e| e.to_string())?;
    let pin = certroom_protocol::Fingerprint::parse(pin).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    // Each address the name stands for, as the kiosk tries them; the clock is read around the
    // exchange that answered.
    let lookup = crate::hub_address::system_lookup();
    let (sent, about, received) = runtime.block_on(address.first_answering(
        &lookup,
        |why| why,
        |addr| async move {
            let sent = now_ms();
            let about = certroom_protocol::hub_about(addr, pin)
                .await
                .map_err(|e| e.to_string())?;
            Ok((sent, about, now_ms()))
        },
    ))?;
    Ok(HubFacts {
        version: about.version,
        clock_offset_ms: about.time_ms - (sent + received) / 2,
    })
}

/// Every item, in the order a technician fixes them.
pub fn judge(o: &Observed) -> Vec<Finding> {
    let mut f = Vec::new();
    f.push(match &o.unwritable {
        None => finding("data_folder", true, "Dossier de données accessible en écriture".into(), "Data folder writable".into()),
        Some(why) => finding(
            "data_folder",
            false,
            format!("Le dossier de données ne peut pas être écrit ({why}) : vérifiez qu'il appartient à l'utilisateur du kiosque."),
            format!("The data folder cannot be written ({why}): check that the kiosk user owns it."),
        ),
    });
    f.push(match o.free_bytes {
        Some(b) if b >= MIN_FREE_BYTES => finding("disk_space", true, format!("Espace libre : {} Mo", b / 1_048_576), format!("Free space: {} MB", b / 1_048_576)),
        Some(b) => finding(
            "disk_space",
            false,
            format!("Disque presque plein : {} Mo libres, {} Mo au moins sont nécessaires. Libérez de la place.", b / 1_048_576, MIN_FREE_BYTES / 1_048_576),
            format!("Disk nearly full: {} MB free, at least {} MB needed. Free some space.", b / 1_048_576, MIN_FREE_BYTES / 1_048_576),
        ),
        None => finding("disk_space", false, "Espace libre inconnu (dossier de données illisible).".into(), "Free space unknown (data folder unreadable).".into()),
    });
    f.push(match o.fsync_p99_ms {
        Some(ms) if ms <= MAX_FSYNC_MS => finding("fsync", true, format!("Écriture durable : {ms:.1} ms (p99)"), format!("Durable write: {ms:.1} ms (p99)")),
        Some(ms) => finding(
            "fsync",
            false,
            format!("Écriture durable trop lente : {ms:.1} ms (p99), {MAX_FSYNC_MS} ms au plus. Disque défaillant ou surchargé : changez de poste ou de disque."),
            format!("Durable writes too slow: {ms:.1} ms (p99), at most {MAX_FSYNC_MS} ms. Failing or overloaded disk: use another PC or disk."),
        ),
        None => finding("fsync", false, "Écriture durable impossible à mesurer.".into(), "Durable writes could not be measured.".into()),
    });
    let facts = o.config.as_ref();
    f.push(match facts {
        Ok(c) if c.exit_code => finding(
            "exit_code",
            true,
            "Code de sortie du surveillant enregistré".into(),
            "Invigilator's exit code set".into(),
        ),
        Ok(_) => finding(
            "exit_code",
            false,
            "Aucun code de sortie : lancez `certroom station set-exit-code`.".into(),
            "No exit code: run `certroom station set-exit-code`.".into(),
        ),
        Err(why) => finding(
            "exit_code",
            false,
            format!("Configuration du poste illisible ({why}) : refaites l'installation du poste."),
            format!("Station configuration unreadable ({why}): set the PC up again."),
        ),
    });
    f.push(match (&o.bank, facts.map(|c| c.bank_publisher).unwrap_or(false)) {
        (Ok(what), true) => finding("bank", true, format!("Banque de questions installée : {what}"), format!("Question bank installed: {what}")),
        (Ok(_), false) => finding("bank", false, "Banque présente mais éditeur non enregistré : réinstallez-la avec `certroom station install-bank PACK --publisher CLÉ`.".into(), "Bank present but no publisher pinned: install it again with `certroom station install-bank`.".into()),
        (Err(why), _) => finding("bank", false, format!("Aucune banque de questions utilisable ({why}) : `certroom station install-bank PACK --publisher CLÉ`."), format!("No usable question bank ({why}): `certroom station install-bank PACK --publisher KEY`.")),
    });
    f.push(match facts.ok().and_then(|c| c.hub.as_deref()) {
        Some(address) => finding("pairing", true, format!("Appairé au poste du surveillant ({address})"), format!("Paired with the invigilator's PC ({address})")),
        None => finding("pairing", false, "Poste non appairé : appairez-le depuis la console du surveillant (`certroom station pair`).".into(), "Not paired: pair it from the invigilator's console (`certroom station pair`).".into()),
    });
    match &o.hub {
        None => {}
        Some(Err(why)) => f.push(finding("hub", false, format!("Poste du surveillant injoignable ({why}) : la console est-elle ouverte sur ce réseau ?"), format!("Invigilator's PC unreachable ({why}): is the console open on this network?"))),
        Some(Ok(hub)) => {
            f.push(finding("hub", true, "Poste du surveillant joignable (certificat épinglé)".into(), "Invigilator's PC reachable (pinned certificate)".into()));
            let mine = env!("CARGO_PKG_VERSION");
            f.push(if hub.version == mine {
                finding("version", true, format!("Même version que la console ({mine})"), format!("Same version as the console ({mine})"))
            } else {
                finding("version", false, format!("Versions différentes : console {}, ce poste {mine}. Installez la même version partout avant l'examen.", hub.version), format!("Different versions: console {}, this PC {mine}. Install the same version everywhere before the exam.", hub.version))
            });
            let off = hub.clock_offset_ms;
            f.push(if off.abs() <= MAX_CLOCK_OFFSET_MS {
                finding("clock", true, format!("Horloge à l'heure de la console ({off} ms)"), format!("Clock in step with the console ({off} ms)"))
            } else {
                finding("clock", false, format!("Horloge décalée de {:.1} s par rapport à la console : réglez l'heure (NTP) sur ce poste.", off as f64 / 1000.0), format!("Clock {:.1} s off the console's: set the time (NTP) on this PC.", off as f64 / 1000.0))
            });
        }
    }
    f.push(match &o.display {
        Some(d) => finding("display", true, format!("Affichage : {d}"), format!("Display: {d}")),
        None => finding("display", false, "Aucun affichage : lancez la vérification depuis la session du kiosque (écran branché).".into(), "No display: run the check from the kiosk's session (screen connected).".into()),
    });
    f.push(match &o.cage {
        Some(p) => finding(
            "cage",
            true,
            format!("Session verrouillée disponible ({})", p.display()),
            format!("Locked session available ({})", p.display()),
        ),
        None => finding(
            "cage",
            false,
            "`cage` n'est pas installé : installez le paquet du poste de salle (apt install cage)."
                .into(),
            "`cage` is not installed: install the lab-PC package (apt install cage).".into(),
        ),
    });
    f.push(match &o.accessibility_bus {
        Some(p) => finding("accessibility", true, format!("Bus d'accessibilité présent ({})", p.display()), format!("Accessibility bus present ({})", p.display())),
        None => finding("accessibility", false, "Bus d'accessibilité absent : un lecteur d'écran ne pourra pas fonctionner (apt install at-spi2-core).".into(), "No accessibility bus: a screen reader cannot work (apt install at-spi2-core).".into()),
    });
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready() -> Observed {
        Observed {
            unwritable: None,
            free_bytes: Some(MIN_FREE_BYTES),
            fsync_p99_ms: Some(2.0),
            config: Ok(StationFacts {
                exit_code: true,
                bank_publisher: true,
                hub: Some("10.0.0.2:4443".into()),
                fingerprint: Some("00".repeat(32)),
            }),
            bank: Ok("banque abc".into()),
            hub: Some(Ok(HubFacts {
                version: env!("CARGO_PKG_VERSION").into(),
                clock_offset_ms: -MAX_CLOCK_OFFSET_MS,
            })),
            display: Some(":0".into()),
            cage: Some("/usr/bin/cage".into()),
            accessibility_bus: Some("/usr/libexec/at-spi-bus-launcher".into()),
        }
    }

    fn failing(o: &Observed) -> Vec<&'static str> {
        judge(o)
            .into_iter()
            .filter(|f| !f.ok)
            .map(|f| f.item)
            .collect()
    }

    #[test]
    fn a_ready_pc_passes_and_each_fault_fails_its_own_item() {
        assert_eq!(failing(&ready()), Vec::<&str>::new());
        type Break = Box<dyn Fn(&mut Observed)>;
        let cases: Vec<(&str, Break)> = vec![
            (
                "data_folder",
                Box::new(|o| o.unwritable = Some("lecture seule".into())),
            ),
            (
                "disk_space",
                Box::new(|o| o.free_bytes = Some(MIN_FREE_BYTES - 1)),
            ),
            (
                "fsync",
                Box::new(|o| o.fsync_p99_ms = Some(MAX_FSYNC_MS + 1.0)),
            ),
            (
                "exit_code",
                Box::new(|o| {
                    if let Ok(c) = &mut o.config {
                        c.exit_code = false
                    }
                }),
            ),
            ("bank", Box::new(|o| o.bank = Err("absent".into()))),
            (
                "bank",
                Box::new(|o| {
                    if let Ok(c) = &mut o.config {
                        c.bank_publisher = false
                    }
                }),
            ),
            (
                "pairing",
                Box::new(|o| {
                    if let Ok(c) = &mut o.config {
                        c.hub = None
                    }
                }),
            ),
            ("hub", Box::new(|o| o.hub = Some(Err("refusé".into())))),
            (
                "version",
                Box::new(|o| {
                    if let Some(Ok(h)) = &mut o.hub {
                        h.version = "0.0.1".into()
                    }
                }),
            ),
            (
                "clock",
                Box::new(|o| {
                    if let Some(Ok(h)) = &mut o.hub {
                        h.clock_offset_ms = MAX_CLOCK_OFFSET_MS + 1
                    }
                }),
            ),
            ("display", Box::new(|o| o.display = None)),
            ("cage", Box::new(|o| o.cage = None)),
            ("accessibility", Box::new(|o| o.accessibility_bus = None)),
        ];
        for (item, break_it) in cases {
            let mut o = ready();
            break_it(&mut o);
            let found = judge(&o);
            let bad: Vec<_> = found.iter().filter(|f| !f.ok).collect();
            assert_eq!(bad.iter().map(|f| f.item).collect::<Vec<_>>(), [item]);
            // French first, and it says what to do.
            assert!(
                bad[0].fr.len() > 20 && bad[0].fr != bad[0].en,
                "{:?}",
                bad[0]
            );
        }
    }

    #[test]
    fn an_empty_data_folder_is_observed_as_unset_and_a_file_as_unwritable() {
        let dir = tempfile::tempdir().unwrap();
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead = closed.local_addr().unwrap();
        drop(closed);
        let config = StationConfig {
            hub: Some(crate::station::HubPin {
                address: dead.to_string(),
                fingerprint: "00".repeat(32),
            }),
            ..StationConfig::default()
        };
        config.save(&dir.path().join(CONFIG_FILE)).unwrap();
        let probe = Probe {
            data_dir: dir.path().to_owned(),
            program_dirs: vec![],
            display: None,
            accessibility_bus: vec![dir.path().join("none")],
        };
        let o = observe(&probe);
        assert!(o.unwritable.is_none());
        assert!(o.free_bytes.is_some_and(|b| b > 0));
        assert!(o.fsync_p99_ms.is_some());
        assert!(o.hub.as_ref().is_some_and(Result::is_err), "{:?}", o.hub);
        assert_eq!(
            failing(&o),
            [
                "exit_code",
                "bank",
                "hub",
                "display",
                "cage",
                "accessibility"
            ]
        );
        // Nothing was left behind in the folder but the configuration.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from(CONFIG_FILE)]);

        let file = dir.path().join(CONFIG_FILE);
        let o = observe(&Probe {
            data_dir: file,
            ..probe
        });
        assert!(o.unwritable.is_some());
        assert!(failing(&o).contains(&"data_folder"));
    }
}
