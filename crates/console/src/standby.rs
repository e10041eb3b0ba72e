//! The standby copy: what a spare PC needs to take the room over when the console PC dies,
//! kept on a second medium (a USB key, a share of another PC) while the room runs.
//!
//! In `<medium>/certroom-secours/session-N/`:
//! - `copie.json`, in clear: the format, the salt and a check of the key (to tell a wrong code
//!   from a damaged copy);
//! - `base.bin`: the console's data folder (centre database, console key, lab identity and
//!   pairings, the room's `hub.db` and bank pack), sealed, rewritten when those files change;
//! - `inputs.log`: every input the hub commits, sealed one by one and synced before the hub
//!   answers, so an invigilator's decision the room acknowledged is on the medium too.
//!
//! Everything is sealed with AES-256-GCM under a key derived (PBKDF2) from a recovery code the
//! console shows once: the copy holds the console's signing key, and a lost USB key must not
//! give it away. Restoring writes a new data folder the console opens as its own; the kiosks
//! find the same hub identity under the console's name and send again what the hub lacks.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use certroom_durable::{write_atomically, Access};
use certroom_hub::store::{InputCopy, LoggedInput};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use crate::ConsoleError;

/// The folder a copy makes on its medium.
pub const COPY_DIR: &str = "certroom-secours";
/// Where the console remembers its copy's medium and code (owner-only).
pub const STANDBY_FILE: &str = "standby.json";
const HEADER_FILE: &str = "copie.json";
const BASE_FILE: &str = "base.bin";
const LOG_FILE: &str = "inputs.log";
const FORMAT: u32 = 1;
const PBKDF2_ROUNDS: u32 = 100_000;
/// How often the console looks for changes in its other files (the inputs are copied at once).
const BASE_EVERY: Duration = Duration::from_secs(1);

/// The recovery code's characters: no look-alikes (certroom-core's verification alphabet).
const CODE_CHARS: &[u8] = certroom_core::codes::VERIFICATION_CHARS.as_bytes();
const CODE_LEN: usize = 20;

/// A new recovery code, `XXXX-XXXX-XXXX-XXXX-XXXX` (about 92 bits).
pub fn new_code() -> Result<String, ConsoleError> {
    let rng = SystemRandom::new();
    let mut chars = Vec::with_capacity(CODE_LEN);
    // Rejection sampling keeps every character equally likely.
    let limit = (256 / CODE_CHARS.len() * CODE_CHARS.len()) as u8;
    while chars.len() < CODE_LEN {
        let mut b = [0u8; 32];
        rng.fill(&mut b)
            .map_err(|_| ConsoleError::internal("standby", "no randomness"))?;
        chars.extend(
            b.iter()
                .filter(|&&x| x < limit)
                .map(|&x| CODE_CHARS[x as usize % CODE_CHARS.len()] as char),
        );
    }
    chars.truncate(CODE_LEN);
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// The code as typed: case, spaces and dashes do not matter.
fn normalized(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// What seals and opens a copy.
struct Seal(LessSafeKey);

impl Seal {
    fn derive(code: &str, salt: &[u8]) -> Self {
        let mut key = [0u8; 32];
        ring::pbkdf2::derive(
            ring::pbkdf2::PBKDF2_HMAC_SHA256,
            std::num::NonZeroU32::new(PBKDF2_ROUNDS).unwrap_or(std::num::NonZeroU32::MIN),
            salt,
            normalized(code).as_bytes(),
            &mut key,
        );
        // A 32-byte key is always a valid AES-256 key.
        let unbound = UnboundKey::new(&AES_256_GCM, &key).unwrap_or_else(|_| unreachable!());
        Seal(LessSafeKey::new(unbound))
    }

    /// nonce ‖ ciphertext ‖ tag; `what` binds the bytes to their place in the copy.
    fn seal(&self, what: &[u8], plain: &[u8]) -> Result<Vec<u8>, ConsoleError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| ConsoleError::internal("standby", "no randomness"))?;
        let mut out = plain.to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(what),
                &mut out,
            )
            .map_err(|_| ConsoleError::internal("standby", "seal"))?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&out);
        Ok(sealed)
    }

    fn open(&self, what: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let (nonce, body) = sealed.split_at_checked(NONCE_LEN)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut body = body.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(what), &mut body)
            .ok()?;
        Some(plain.to_vec())
    }
}

const CHECK: &[u8] = b"certroom-secours check";
const BASE: &[u8] = b"certroom-secours base";
const INPUT: &[u8] = b"certroom-secours input";

#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    session: i64,
    salt: String,
    /// A sealed constant: it opens with the right code only.
    check: String,
    started_at: String,
}

/// What the console remembers of its copy (`standby.json`, owner-only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StandbyConfig {
    pub medium: PathBuf,
    pub code: String,
}

impl StandbyConfig {
    pub(crate) fn load(data: &Path) -> Option<Self> {
        let bytes = std::fs::read(data.join(STANDBY_FILE)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub(crate) fn save(&self, data: &Path) -> Result<(), ConsoleError> {
        let json =
            serde_json::to_vec_pretty(self).map_err(|e| ConsoleError::internal("standby", e))?;
        write_atomically(&data.join(STANDBY_FILE), &json, Access::Private)
            .map_err(|e| ConsoleError::internal("standby", e))
    }
}

/// Where the copy stands, for the room's panel.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct StandbyStatus {
    /// The folder on the medium.
    pub folder: String,
    /// What the invigilator writes down to restore it elsewhere.
    pub code: String,
    /// Inputs of the room copied since the copy started.
    pub inputs_copied: u64,
    /// When the medium last took a write (RFC 3339), if it has.
    pub last_copy_at: Option<String>,
    /// Why the last write failed, French then English (the room goes on without the copy).
    pub error: Option<(String, String)>,
}

impl StandbyStatus {
    /// A copy given its medium, before a room opens.
    pub(crate) fn waiting(config: &StandbyConfig) -> Self {
        StandbyStatus {
            folder: config.medium.join(COPY_DIR).display().to_string(),
            code: config.code.clone(),
            inputs_copied: 0,
            last_copy_at: None,
            error: None,
        }
    }
}

#[derive(Default)]
struct Health {
    inputs_copied: u64,
    last_copy_at: Option<String>,
    error: Option<(String, String)>,
}

/// A running copy of one room: the hub hands it every input, a thread rewrites the base.
pub(crate) struct Standby {
    folder: PathBuf,
    code: String,
    seal: Seal,
    log: Mutex<Option<File>>,
    health: Mutex<Health>,
    stop: Arc<AtomicBool>,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn medium_error(folder: &Path, e: impl std::fmt::Display) -> (String, String) {
    (
        format!(
            "La copie de secours ne s'écrit plus dans {} : {e}. Vérifiez le support.",
            folder.display()
        ),
        format!(
            "The standby copy can no longer be written to {}: {e}. Check the medium.",
            folder.display()
        ),
    )
}

impl Standby {
    /// Starts the copy of `session`'s room in `medium`; nothing is copied until
    /// [`Standby::attach`].
    pub(crate) fn start(config: &StandbyConfig, session: i64) -> Result<Self, ConsoleError> {
        let folder = config
            .medium
            .join(COPY_DIR)
            .join(format!("session-{session}"));
        std::fs::create_dir_all(&folder).map_err(|e| {
            let (fr, en) = medium_error(&folder, e);
            ConsoleError::new("standby.medium", fr, en)
        })?;
        // The same code on the same medium (the console restarted): the copy goes on under the
        // same key, so nothing already on the medium becomes unreadable, even for an instant.
        let kept = read_header(&folder)
            .filter(|h| h.format == FORMAT && h.session == session)
            .and_then(|h| unlock(&h, &config.code).map(|seal| (h, seal)));
        let seal = match kept {
            Some((_, seal)) => seal,
            None => {
                let mut salt = [0u8; 16];
                SystemRandom::new()
                    .fill(&mut salt)
                    .map_err(|_| ConsoleError::internal("standby", "no randomness"))?;
                let seal = Seal::derive(&config.code, &salt);
                let header = Header {
                    format: FORMAT,
                    session,
                    salt: hex::encode(salt),
                    check: hex::encode(seal.seal(CHECK, CHECK)?),
                    started_at: now(),
                };
                let json = serde_json::to_vec_pretty(&header)
                    .map_err(|e| ConsoleError::internal("standby", e))?;
                // A new key: what was sealed under another one goes.
                for stale in [LOG_FILE, BASE_FILE] {
                    let _ = std::fs::remove_file(folder.join(stale));
                }
                write_atomically(&folder.join(HEADER_FILE), &json, Access::Private).map_err(
                    |e| {
                        let (fr, en) = medium_error(&folder, e);
                        ConsoleError::new("standby.medium", fr, en)
                    },
                )?;
                seal
            }
        };
        Ok(Standby {
            folder,
            code: config.code.clone(),
            seal,
            log: Mutex::new(None),
            health: Mutex::new(Health::default()),
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Writes the base now, then keeps it current from a thread of its own until dropped.
    pub(crate) fn keep_base(self: &Arc<Self>, data: PathBuf, db: PathBuf) {
        let mut seen = self.write_base_if_changed(&data, &db, None);
        let copy = Arc::downgrade(self);
        let stop = self.stop.clone();
        let spawned = std::thread::Builder::new()
            .name("standby".into())
            .spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(BASE_EVERY);
                    let Some(copy) = copy.upgrade() else { break };
                    seen = copy.write_base_if_changed(&data, &db, seen.take());
                }
            });
        if let Err(e) = spawned {
            self.failed(e);
        }
    }

    /// Rewrites the base when the files it holds changed since `seen`; returns what it saw.
    fn write_base_if_changed(
        &self,
        data: &Path,
        db: &Path,
        seen: Option<Vec<(String, u64, SystemTime)>>,
    ) -> Option<Vec<(String, u64, SystemTime)>> {
        let now_seen = match base_files(data, db) {
            Ok(files) => files
                .iter()
                .filter(|(name, _)| !is_room_db(name))
                .filter_map(|(name, path)| {
                    let m = std::fs::metadata(wal_or(path)).ok()?;
                    let main = std::fs::metadata(path).ok()?;
                    Some((
                        name.clone(),
                        main.len() + m.len(),
                        m.modified().ok()?.max(main.modified().ok()?),
                    ))
                })
                .collect::<Vec<_>>(),
            Err(e) => {
                self.failed(e);
                return seen;
            }
        };
        if seen.as_ref() == Some(&now_seen) {
            return seen;
        }
        match self.write_base(data, db) {
            Ok(()) => Some(now_seen),
            Err(e) => {
                self.failed(e);
                seen
            }
        }
    }

    fn write_base(&self, data: &Path, db: &Path) -> Result<(), String> {
        let mut archive = BTreeMap::new();
        for (name, path) in base_files(data, db).map_err(|e| e.to_string())? {
            let bytes = if name.ends_with(".db") {
                snapshot(&path, data)?
            } else {
                std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?
            };
            archive.insert(name, bytes);
        }
        let sealed = self
            .seal
            .seal(BASE, &encode_archive(&archive))
            .map_err(|e| e.to_string())?;
        write_atomically(&self.folder.join(BASE_FILE), &sealed, Access::Private)
            .map_err(|e| e.to_string())?;
        self.copied(false);
        Ok(())
    }

    fn copied(&self, input: bool) {
        let mut h = self.health.lock().unwrap_or_else(|p| p.into_inner());
        if input {
            h.inputs_copied += 1;
        }
        h.last_copy_at = Some(now());
        h.error = None;
    }

    fn failed(&self, e: impl std::fmt::Display) {
        tracing::warn!(folder = %self.folder.display(), "standby copy: {e}");
        let mut h = self.health.lock().unwrap_or_else(|p| p.into_inner());
        h.error = Some(medium_error(&self.folder, e));
    }

    fn append_input(&self, input: &LoggedInput) -> std::io::Result<()> {
        let plain = serde_json::to_vec(&(input.id, &input.at, &input.body))?;
        let sealed = self
            .seal
            .seal(INPUT, &plain)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let len = u32::try_from(sealed.len()).map_err(std::io::Error::other)?;
        let mut frame = len.to_le_bytes().to_vec();
        frame.extend_from_slice(&sealed);
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        if log.is_none() {
            *log = Some(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(self.folder.join(LOG_FILE))?,
            );
        }
        let file = log.as_mut().ok_or_else(|| std::io::Error::other("log"))?;
        let written = file.write_all(&frame).and_then(|()| file.sync_data());
        if written.is_err() {
            // A medium pulled out and put back: open the file again next time.
            *log = None;
        }
        written
    }

    pub(crate) fn status(&self) -> StandbyStatus {
        let h = self.health.lock().unwrap_or_else(|p| p.into_inner());
        StandbyStatus {
            folder: self.folder.display().to_string(),
            code: self.code.clone(),
            inputs_copied: h.inputs_copied,
            last_copy_at: h.last_copy_at.clone(),
            error: h.error.clone(),
        }
    }
}

impl InputCopy for Standby {
    fn append(&self, input: &LoggedInput) {
        match self.append_input(input) {
            Ok(()) => self.copied(true),
            Err(e) => self.failed(e),
        }
    }
}

impl Drop for Standby {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A room's hub database: its inputs reach the copy one by one, not with the base.
fn is_room_db(name: &str) -> bool {
    name.starts_with("room-") && name.ends_with("/hub.db")
}

fn wal_or(path: &Path) -> PathBuf {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    if wal.exists() {
        wal
    } else {
        path.to_owned()
    }
}

/// The windows' technical log (written by the desktop shell): the spare PC keeps its own.
const LOGS_DIR: &str = "logs";

/// The files a spare console needs, by their name in the data folder: everything but what is
/// made again (exports, logs, refusals, SQLite's side files, temporary files) and the copy's own
/// settings (the spare PC starts its own copy). The centre's database is `console.db` whatever
/// its path.
fn base_files(data: &Path, db: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut files = vec![(crate::CONSOLE_DB.to_owned(), db.to_owned())];
    let mut stack = vec![(data.to_owned(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{prefix}{name}");
            let kind = entry.file_type()?;
            if kind.is_dir() {
                if rel != crate::EXPORTS_DIR && rel != LOGS_DIR {
                    stack.push((entry.path(), format!("{rel}/")));
                }
            } else if kind.is_file()
                && rel != crate::CONSOLE_DB
                && rel != STANDBY_FILE
                && !name.starts_with('.')
                && !name.ends_with("-wal")
                && !name.ends_with("-shm")
                && !name.ends_with(".tmp")
                && name != certroom_hub::store::REFUSALS_DB_FILE
            {
                files.push((rel, entry.path()));
            }
        }
    }
    Ok(files)
}

/// A consistent copy of a SQLite database while others write it.
fn snapshot(db: &Path, data: &Path) -> Result<Vec<u8>, String> {
    let tmp = data.join(format!(".standby-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let done = (|| {
        let conn = rusqlite::Connection::open_with_flags(
            db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| format!("{}: {e}", db.display()))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
        conn.execute("VACUUM INTO ?1", [tmp.to_string_lossy()])
            .map_err(|e| format!("{}: {e}", db.display()))?;
        std::fs::read(&tmp).map_err(|e| e.to_string())
    })();
    let _ = std::fs::remove_file(&tmp);
    done
}

/// name length (u16 LE) ‖ name ‖ length (u64 LE) ‖ bytes, for each file.
fn encode_archive(files: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, bytes) in files {
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    out
}

fn decode_archive(mut bytes: &[u8]) -> Option<BTreeMap<String, Vec<u8>>> {
    fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (head, rest) = bytes.split_at_checked(n)?;
        *bytes = rest;
        Some(head)
    }
    let mut files = BTreeMap::new();
    while !bytes.is_empty() {
        let n = u16::from_le_bytes(take(&mut bytes, 2)?.try_into().ok()?) as usize;
        let name = String::from_utf8(take(&mut bytes, n)?.to_vec()).ok()?;
        let len = u64::from_le_bytes(take(&mut bytes, 8)?.try_into().ok()?);
        let body = take(&mut bytes, usize::try_from(len).ok()?)?.to_vec();
        // Names come from our own walk; anything climbing out of the data folder is not ours.
        let safe = Path::new(&name)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !safe {
            return None;
        }
        files.insert(name, body);
    }
    Some(files)
}

/// The inputs of a log, in order. A last frame cut short or unreadable is the write a crash
/// interrupted (the hub never acknowledged it); a bad frame before the end is damage.
fn read_log(seal: &Seal, mut bytes: &[u8]) -> Result<Vec<LoggedInput>, usize> {
    let mut inputs = Vec::new();
    while !bytes.is_empty() {
        let Some((len, rest)) = bytes.split_at_checked(4) else {
            break;
        };
        let len = u32::from_le_bytes(len.try_into().unwrap_or_default()) as usize;
        let Some((frame, rest)) = rest.split_at_checked(len) else {
            break;
        };
        let input = seal
            .open(INPUT, frame)
            .and_then(|plain| serde_json::from_slice::<(i64, String, String)>(&plain).ok());
        match input {
            Some((id, at, body)) => inputs.push(LoggedInput { id, at, body }),
            None if rest.is_empty() => break,
            None => return Err(inputs.len() + 1),
        }
        bytes = rest;
    }
    Ok(inputs)
}

fn read_header(folder: &Path) -> Option<Header> {
    serde_json::from_slice(&std::fs::read(folder.join(HEADER_FILE)).ok()?).ok()
}

/// The copy's seal, if `code` is the one it was made with.
fn unlock(header: &Header, code: &str) -> Option<Seal> {
    let salt = hex::decode(&header.salt).ok()?;
    let seal = Seal::derive(code, &salt);
    let check = hex::decode(&header.check).ok()?;
    (seal.open(CHECK, &check).as_deref() == Some(CHECK)).then_some(seal)
}

/// What a restore put in the new data folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Restored {
    pub session: i64,
    pub folder: String,
    pub files: usize,
    /// Inputs of the room found in the log beyond the base's copy of `hub.db`.
    pub inputs_added: u64,
    /// When the copy began (RFC 3339).
    pub started_at: String,
}

fn restore_error(fr: impl Into<String>, en: impl Into<String>) -> ConsoleError {
    ConsoleError::new("standby.restore", fr, en)
}

/// The copy to restore under `from`: the folder itself, or the most recent session's copy in
/// `from/certroom-secours/` (or `from/` holding `session-N/` folders).
pub fn find_copy(from: &Path) -> Result<PathBuf, ConsoleError> {
    if from.join(HEADER_FILE).is_file() {
        return Ok(from.to_owned());
    }
    let mut best: Option<(SystemTime, PathBuf)> = None;
    for parent in [from.join(COPY_DIR), from.to_owned()] {
        let Ok(entries) = std::fs::read_dir(&parent) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let when = std::fs::metadata(path.join(BASE_FILE))
                .and_then(|m| m.modified())
                .ok();
            if let Some(when) = when {
                if best.as_ref().is_none_or(|(b, _)| when > *b) {
                    best = Some((when, path));
                }
            }
        }
    }
    best.map(|(_, p)| p).ok_or_else(|| {
        restore_error(
            format!("Aucune copie de secours dans {}.", from.display()),
            format!("No standby copy in {}.", from.display()),
        )
    })
}

/// Writes a new console data folder `data` from the copy in `from` (see [`find_copy`]), opened
/// with the recovery `code`. Refuses a folder that already holds a console.
pub fn restore(from: &Path, code: &str, data: &Path) -> Result<Restored, ConsoleError> {
    let folder = find_copy(from)?;
    if data.join(crate::CONSOLE_DB).exists() {
        return Err(restore_error(
            format!(
                "{} contient déjà une console : choisissez un dossier vide.",
                data.display()
            ),
            format!(
                "{} already holds a console: choose an empty folder.",
                data.display()
            ),
        ));
    }
    let damaged = |what: &str| {
        restore_error(
            format!(
                "Copie de secours endommagée ({what}) dans {}.",
                folder.display()
            ),
            format!("Damaged standby copy ({what}) in {}.", folder.display()),
        )
    };
    let header = read_header(&folder).ok_or_else(|| damaged(HEADER_FILE))?;
    if header.format != FORMAT {
        return Err(restore_error(
            format!(
                "Copie de secours au format {} : cette version lit le format {FORMAT}.",
                header.format
            ),
            format!(
                "Standby copy in format {}: this version reads format {FORMAT}.",
                header.format
            ),
        ));
    }
    let Some(seal) = unlock(&header, code) else {
        return Err(ConsoleError::new(
            "standby.code",
            "Code de reprise incorrect : vérifiez le code noté au début de la session.",
            "Wrong recovery code: check the code written down when the session began.",
        ));
    };
    let base = std::fs::read(folder.join(BASE_FILE)).map_err(|_| damaged(BASE_FILE))?;
    let files = seal
        .open(BASE, &base)
        .and_then(|plain| decode_archive(&plain))
        .ok_or_else(|| damaged(BASE_FILE))?;
    let log = match std::fs::read(folder.join(LOG_FILE)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(_) => return Err(damaged(LOG_FILE)),
    };
    let inputs = read_log(&seal, &log).map_err(|n| damaged(&format!("{LOG_FILE}, entrée {n}")))?;
    for (name, bytes) in &files {
        let path = data.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| ConsoleError::internal(&parent.display().to_string(), e))?;
        }
        write_atomically(&path, bytes, Access::Private)
            .map_err(|e| ConsoleError::internal(&path.display().to_string(), e))?;
    }
    let room_db = data
        .join(format!("room-{}", header.session))
        .join(certroom_hub::server::DB_FILE);
    let inputs_added = if room_db.exists() {
        let mut store = certroom_hub::store::Store::open(&room_db)
            .map_err(|e| ConsoleError::internal("hub.db", e))?;
        store.restore_inputs(inputs).map_err(|e| {
            restore_error(
                format!("La copie des décisions de la salle est incomplète : {e}"),
                format!("The copy of the room's decisions is incomplete: {e}"),
            )
        })?
    } else {
        0
    };
    Ok(Restored {
        session: header.session,
        folder: folder.display().to_string(),
        files: files.len(),
        inputs_added,
        started_at: header.started_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_without_look_alikes_and_differ() {
        let a = new_code().unwrap();
        let b = new_code().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 24, "{a}");
        assert_eq!(a.split('-').count(), 5);
        assert!(a
            .chars()
            .all(|c| c == '-' || certroom_core::codes::VERIFICATION_CHARS.contains(c)));
    }

    #[test]
    fn a_seal_opens_with_the_same_code_typed_loosely_and_not_with_another() {
        let salt = [7u8; 16];
        let sealed = Seal::derive("ABCD-EFGH", &salt).seal(BASE, b"x").unwrap();
        assert_eq!(
            Seal::derive("abcd efgh", &salt).open(BASE, &sealed),
            Some(b"x".to_vec())
        );
        assert_eq!(Seal::derive("ABCD-EFGX", &salt).open(BASE, &sealed), None);
        // Bytes sealed as one thing are not accepted as another.
        assert_eq!(Seal::derive("ABCD-EFGH", &salt).open(INPUT, &sealed), None);
    }

    #[test]
    fn archives_round_trip_and_refuse_names_leaving_the_folder() {
        let mut files = BTreeMap::new();
        files.insert("console.db".to_owned(), vec![1, 2, 3]);
        files.insert("lab/hub.identity".to_owned(), vec![]);
        assert_eq!(decode_archive(&encode_archive(&files)), Some(files));
        let mut evil = BTreeMap::new();
        evil.insert("../../etc/passwd".to_owned(), vec![1]);
        assert_eq!(decode_archive(&encode_archive(&evil)), None);
        assert_eq!(decode_archive(&[9, 0, 1]), None);
    }

    fn frame(seal: &Seal, id: i64) -> Vec<u8> {
        let sealed = seal
            .seal(
                INPUT,
                &serde_json::to_vec(&(id, "t", format!("{{\"n\":{id}}}"))).unwrap(),
            )
            .unwrap();
        let mut f = (sealed.len() as u32).to_le_bytes().to_vec();
        f.extend(sealed);
        f
    }

    #[test]
    fn a_log_cut_by_a_crash_keeps_what_was_whole_and_damage_before_the_end_is_refused() {
        let seal = Seal::derive("CODE", &[1; 16]);
        let mut log: Vec<u8> = (1..=3).flat_map(|i| frame(&seal, i)).collect();
        let whole = read_log(&seal, &log).unwrap();
        assert_eq!(whole.iter().map(|i| i.id).collect::<Vec<_>>(), [1, 2, 3]);
        // The write a kill interrupted: a length and half a frame.
        let cut = frame(&seal, 4);
        log.extend_from_slice(&cut[..cut.len() / 2]);
        assert_eq!(read_log(&seal, &log).unwrap().len(), 3);
        // A flipped byte in the second frame is damage, not a crash.
        let mut damaged: Vec<u8> = (1..=3).flat_map(|i| frame(&seal, i)).collect();
        let second = frame(&seal, 1).len() + 10;
        damaged[second] ^= 1;
        assert_eq!(read_log(&seal, &damaged), Err(2));
        // Opened with another code, nothing reads.
        assert!(read_log(&Seal::derive("AUTRE", &[1; 16]), &frame(&seal, 1))
            .unwrap()
            .is_empty());
    }
}

#[cfg(test)]
mod restore_tests {
    use super::*;

    /// A console data folder with a database and a key, its copy started in `medium`.
    fn copied(dir: &Path) -> (PathBuf, StandbyConfig) {
        let data = dir.join("console");
        std::fs::create_dir_all(data.join("lab")).unwrap();
        let db = data.join(crate::CONSOLE_DB);
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('centre');")
            .unwrap();
        std::fs::write(data.join("station.key"), b"key bytes").unwrap();
        std::fs::write(data.join("lab/hub.identity"), b"identity").unwrap();
        std::fs::create_dir_all(data.join("exports")).unwrap();
        std::fs::write(data.join("exports/x.pdf"), b"pdf").unwrap();
        let medium = dir.join("usb");
        std::fs::create_dir_all(&medium).unwrap();
        let config = StandbyConfig {
            medium,
            code: new_code().unwrap(),
        };
        let standby = Standby::start(&config, 5).unwrap();
        standby.write_base(&data, &db).unwrap();
        (data, config)
    }

    #[test]
    fn a_restore_gives_back_the_folder_with_the_code_only_and_into_an_empty_folder_only() {
        let dir = tempfile::tempdir().unwrap();
        let (data, config) = copied(dir.path());
        let wrong = restore(
            &config.medium,
            "AAAA-AAAA-AAAA-AAAA-AAAA",
            &dir.path().join("a"),
        );
        assert_eq!(wrong.unwrap_err().code, "standby.code");
        assert!(!dir.path().join("a").join(crate::CONSOLE_DB).exists());

        let spare = dir.path().join("spare");
        let restored = restore(&config.medium, &config.code.to_lowercase(), &spare).unwrap();
        assert_eq!(restored.session, 5);
        assert_eq!(
            std::fs::read(spare.join("station.key")).unwrap(),
            std::fs::read(data.join("station.key")).unwrap()
        );
        assert_eq!(
            std::fs::read(spare.join("lab/hub.identity")).unwrap(),
            b"identity"
        );
        assert!(!spare.join("exports").exists(), "exports are made again");
        let centre: String = rusqlite::Connection::open(spare.join(crate::CONSOLE_DB))
            .unwrap()
            .query_row("SELECT x FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(centre, "centre");

        let again = restore(&config.medium, &config.code, &spare);
        assert_eq!(again.unwrap_err().code, "standby.restore");
    }

    #[test]
    fn a_console_restarted_on_the_same_medium_goes_on_under_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let (data, config) = copied(dir.path());
        let folder = find_copy(&config.medium).unwrap();
        let header = std::fs::read(folder.join(HEADER_FILE)).unwrap();
        let first = Standby::start(&config, 5).unwrap();
        first.append(&LoggedInput {
            id: 1,
            at: "t".into(),
            body: "{}".into(),
        });
        drop(first);
        // Restarted: the header and the log stay, so what the medium held is still readable.
        let again = Standby::start(&config, 5).unwrap();
        assert_eq!(std::fs::read(folder.join(HEADER_FILE)).unwrap(), header);
        assert!(std::fs::metadata(folder.join(LOG_FILE)).unwrap().len() > 0);
        again
            .write_base(&data, &data.join(crate::CONSOLE_DB))
            .unwrap();
        assert!(restore(&config.medium, &config.code, &dir.path().join("r")).is_ok());
        // Another code (a console set up again): a new key, and nothing of the old copy kept.
        let other = StandbyConfig {
            medium: config.medium.clone(),
            code: new_code().unwrap(),
        };
        Standby::start(&other, 5).unwrap();
        assert_ne!(std::fs::read(folder.join(HEADER_FILE)).unwrap(), header);
        assert!(!folder.join(LOG_FILE).exists() && !folder.join(BASE_FILE).exists());
    }

    #[test]
    fn the_copy_on_the_medium_reveals_nothing_of_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let (_, config) = copied(dir.path());
        let base = std::fs::read(find_copy(&config.medium).unwrap().join(BASE_FILE)).unwrap();
        let seen = |needle: &[u8]| base.windows(needle.len()).any(|w| w == needle);
        assert!(!seen(b"key bytes") && !seen(b"centre") && !seen(b"station.key"));
    }
}
