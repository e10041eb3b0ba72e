//! What the service does, independent of HTTP: the HTTP handlers and the CLI (`import`,
//! `admin …`) call these same functions, so an offline bundle from a USB key goes through exactly
//! the checks an upload does.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use certroom_bundle::container::Container;
use certroom_bundle::{Digested, VerifiedBundle};
use certroom_core::engine;
use certroom_core::hash::{from_hex, to_hex};
use certroom_core::Hash;
use certroom_protocol::SignedStations;
use ring::rand::{SecureRandom, SystemRandom};

use crate::banks::{self, Banks, GivenKey};
use crate::error::{ApiError, Rejection, StoreError};
use crate::evidence::Evidence;
use crate::model::{
    BankRow, Centre, ConsoleKey, JuryFlag, NewBundle, RegisteredStation, SessionResults, Stored,
};
use crate::replay::{replay_candidate, KnownConfigs};
use crate::signer::Signer;
use crate::stages::{self, Stage};
use crate::store::Store;

pub struct Service {
    pub store: Arc<dyn Store>,
    pub banks: Banks,
    pub signer: Arc<Signer>,
    pub max_bundle_bytes: usize,
    /// Where ingest time goes (read by the bench).
    pub stages: crate::stages::IngestStages,
}

/// Letters of the UAI check key: the alphabet without I, O and Q, indexed by the number mod 23.
const UAI_KEY_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

/// 7 digits and their check letter.
pub fn uai_ok(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() != 8 || !b[..7].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let number: u32 = b[..7].iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
    b[7] == UAI_KEY_LETTERS[(number % 23) as usize]
}

/// The UAI for 7 digits: appends the check letter (tests and the bench make up centres).
pub fn uai_for(digits: u32) -> String {
    let n = digits % 10_000_000;
    format!("{n:07}{}", char::from(UAI_KEY_LETTERS[(n % 23) as usize]))
}

pub fn token_hash(token: &str) -> String {
    Hash::of(&[b"certroom-centre-token\0", token.as_bytes()]).to_hex()
}

fn key_hex(v: &str) -> Result<String, ApiError> {
    let lower = v.trim().to_ascii_lowercase();
    match from_hex(&lower) {
        Some(b) if b.len() == 32 => Ok(lower),
        _ => Err(ApiError::bad_request(
            "admin.key_format",
            "Clé publique attendue : 64 chiffres hexadécimaux (clé Ed25519).",
            "Public key expected: 64 hexadecimal digits (Ed25519 key).",
        )),
    }
}

fn uai_checked(uai: &str) -> Result<(), ApiError> {
    if uai_ok(uai) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "admin.uai",
            format!("UAI « {uai} » invalide : 7 chiffres suivis de la lettre clé."),
            format!("Invalid UAI \"{uai}\": 7 digits followed by the check letter."),
        ))
    }
}

fn unknown_centre(uai: &str) -> ApiError {
    ApiError::not_found(
        "admin.unknown_centre",
        format!("Centre {uai} inconnu."),
        format!("Unknown centre {uai}."),
    )
}

/// A summary of a stored bank, as the admin API returns it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BankSummary {
    pub content_hash: String,
    pub pack_hash: String,
    pub bank_id: String,
    pub bank_version: String,
    pub items: i64,
    /// False when this bank was already stored.
    pub created: bool,
}

impl Service {
    pub fn new(store: Arc<dyn Store>, signer: Arc<Signer>, max_bundle_bytes: usize) -> Self {
        Service {
            store,
            banks: Banks::default(),
            signer,
            max_bundle_bytes,
            stages: crate::stages::IngestStages::default(),
        }
    }

    /// Enrols a centre and returns its token (shown once; only its hash is stored).
    pub async fn enrol_centre(&self, uai: &str, name: &str) -> Result<String, ApiError> {
        uai_checked(uai)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(ApiError::bad_request(
                "admin.centre_name",
                "Nom du centre : 1 à 200 caractères, sans caractère de contrôle.",
                "Centre name: 1 to 200 characters, no control character.",
            ));
        }
        let mut raw = [0u8; 32];
        SystemRandom::new()
            .fill(&mut raw)
            .map_err(|_| ApiError::internal("system random generator failed"))?;
        let token = format!("crc_{}", to_hex(&raw));
        let centre = Centre {
            uai: uai.to_owned(),
            name: name.to_owned(),
        };
        match self
            .store
            .enrol_centre(&centre, &token_hash(&token), &crate::now())
            .await
        {
            Ok(()) => Ok(token),
            Err(StoreError::Conflict(_)) => Err(ApiError::conflict(
                "admin.centre_exists",
                format!("Le centre {uai} est déjà inscrit."),
                format!("Centre {uai} is already enrolled."),
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn register_console(&self, uai: &str, key: &str) -> Result<ConsoleKey, ApiError> {
        let key = key_hex(key)?;
        match self
            .store
            .register_console(uai, &key, &crate::now())
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotFound(_)) => return Err(unknown_centre(uai)),
            Err(StoreError::Conflict(_)) => {
                return Err(ApiError::conflict(
                    "admin.console_exists",
                    "Cette clé de console est déjà enregistrée (une clé révoquée ne peut pas être réenregistrée : générez-en une nouvelle).",
                    "This console key is already registered (a revoked key cannot be registered again: generate a new one).",
                ))
            }
            Err(e) => return Err(e.into()),
        }
        self.store
            .console(&key)
            .await?
            .ok_or_else(|| ApiError::internal("console vanished after registration"))
    }

    pub async fn revoke_console(&self, uai: &str, key: &str) -> Result<ConsoleKey, ApiError> {
        let key = key_hex(key)?;
        match self.store.revoke_console(uai, &key, &crate::now()).await {
            Ok(k) => Ok(k),
            Err(StoreError::NotFound(_)) => Err(ApiError::not_found(
                "admin.unknown_console",
                format!("Aucune console {key} enregistrée pour le centre {uai}."),
                format!("No console {key} registered for centre {uai}."),
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn add_bank(
        &self,
        pack: Vec<u8>,
        key: GivenKey,
        publisher_hex: &str,
    ) -> Result<BankSummary, ApiError> {
        let publisher = publisher_hex.trim().to_ascii_lowercase();
        let at = crate::now();
        let opened =
            tokio::task::spawn_blocking(move || banks::open_pack(pack, key, &publisher, &at))
                .await
                .map_err(|e| ApiError::internal(format!("bank task failed: {e}")))?;
        let (row, bank): (BankRow, _) = opened.map_err(|e| {
            ApiError::new(
                422,
                e.code(),
                format!("Banque refusée : {e}"),
                format!("Bank refused: {e}"),
            )
        })?;
        let created = self.store.put_bank(&row).await?;
        self.banks.insert(bank);
        Ok(BankSummary {
            content_hash: row.content_hash,
            pack_hash: row.pack_hash,
            bank_id: row.bank_id,
            bank_version: row.bank_version,
            items: row.items,
            created,
        })
    }

    /// Checks, replays and stores a bundle. The same bytes twice give the first receipt back.
    pub async fn ingest(&self, bytes: Vec<u8>) -> Result<Stored, ApiError> {
        if bytes.len() > self.max_bundle_bytes {
            return Err(Rejection::TooLarge {
                max: self.max_bundle_bytes as u64,
            }
            .into());
        }
        let clock = &self.stages;
        let t = Instant::now();
        let bundle = Digested::new(bytes);
        let content_sha256 = bundle.sha256().to_hex();
        let t = clock.record(Stage::Hash, t);
        // Layout only, to learn which key signed; the key decides whether the full (costly)
        // verification is worth running at all.
        let console_key = Container::console_key(bundle.bytes()).map_err(Rejection::Bundle)?;
        let mut t = clock.record(Stage::Parse, t);
        let key_hex = to_hex(&console_key);
        let context = self.store.ingest_context(&content_sha256, &key_hex).await?;
        // The very same bytes were verified and stored before, whatever happened to the console
        // key since: the receipt stands.
        if let Some(receipt) = context.receipt {
            return Ok(Stored {
                receipt,
                created: false,
            });
        }
        let console = context.console.ok_or_else(|| Rejection::UnknownConsole {
            key: key_hex.clone(),
        })?;
        if let Some(revoked_at) = console.revoked_at {
            return Err(Rejection::RevokedConsole {
                key: key_hex,
                revoked_at,
            }
            .into());
        }
        clock.record(Stage::Lookups, t);
        let (verified, bytes, spent) = tokio::task::spawn_blocking(move || {
            let started = stages::ThreadCpu::now();
            let v = certroom_bundle::verify_digested(&bundle, Some(&[console_key]));
            (v, bundle.into_bytes(), started.elapsed())
        })
        .await
        .map_err(|e| ApiError::internal(format!("verification task failed: {e}")))?;
        clock.add(Stage::Verify, spent);
        t = Instant::now();
        let verified = verified.map_err(Rejection::Bundle)?;
        let m = &verified.manifest;
        if m.centre.uai != console.uai {
            return Err(Rejection::ConsoleOfAnotherCentre {
                key: key_hex,
                registered: console.uai,
                named: m.centre.uai.clone(),
            }
            .into());
        }
        // The console's centre: the same as the manifest's, checked just above.
        let centre = context.centre.ok_or_else(|| Rejection::UnknownCentre {
            uai: m.centre.uai.clone(),
        })?;
        let unsupported = std::iter::once(m.engine_version.as_str())
            .chain(
                verified
                    .candidates
                    .iter()
                    .filter_map(|c| c.journal.as_ref())
                    .map(|j| j.mirror.header().engine_version.as_str()),
            )
            .find(|v| !engine::supports(v));
        if let Some(version) = unsupported {
            return Err(Rejection::UnsupportedEngine {
                version: version.to_owned(),
            }
            .into());
        }
        let bank_hash = m.bank_hash.to_hex();
        let bank = self
            .banks
            .get(self.store.as_ref(), &bank_hash)
            .await
            .map_err(ApiError::internal)?
            .ok_or(Rejection::UnknownBank { hash: bank_hash })?;
        let received_at = crate::now();
        let known = KnownConfigs::new(&bank, context.configs);
        let declared: HashMap<String, RegisteredStation> = context
            .stations
            .into_iter()
            .map(|s| (s.public_key.clone(), s))
            .collect();
        clock.record(Stage::Lookups, t);
        let signer = self.signer.clone();
        let (new, spent) = tokio::task::spawn_blocking(move || {
            let started = stages::ThreadCpu::now();
            let received = Received {
                evidence: Evidence::pack(bytes),
                content_sha256,
                centre,
                received_at,
            };
            let packed = started.elapsed();
            let mut new = build_bundle(verified, &bank, &known, &declared, received);
            let replayed = started.elapsed();
            // A bundle with a jury flag is not published on receipt: nothing to draw.
            if new.flags.is_empty() {
                new.certificates = crate::store::draw(&signer, &new.candidates, &crate::today());
            }
            let spent = [
                packed,
                replayed.saturating_sub(packed),
                started.elapsed().saturating_sub(replayed),
            ];
            (new, spent)
        })
        .await
        .map_err(|e| ApiError::internal(format!("replay task failed: {e}")))?;
        let [packed, replayed, drawn] = spent;
        clock.add(Stage::Pack, packed);
        clock.add(Stage::Replay, replayed);
        clock.add(Stage::Publish, drawn);
        let t = Instant::now();
        let bundle_id = new.bundle_id.clone();
        let stored = self.store.store_bundle(new, self.signer.clone()).await;
        clock.record(Stage::Store, t);
        match stored {
            Ok(s) => {
                clock.session_done();
                tracing::info!(
                    bundle_id,
                    status = s.receipt.status,
                    created = s.created,
                    "bundle stored"
                );
                Ok(s)
            }
            Err(StoreError::Conflict(_)) => Err(Rejection::BundleIdConflict { bundle_id }.into()),
            Err(e) => Err(e.into()),
        }
    }

    /// Records the lab PCs a console declared (online, or a file imported for an offline
    /// centre): signed by a console key registered for that centre and not revoked. Returns the
    /// centre's stations as the service now knows them.
    pub async fn declare_stations(&self, bytes: &[u8]) -> Result<Vec<RegisteredStation>, ApiError> {
        let signed = SignedStations::open(bytes).map_err(|e| {
            ApiError::new(
                422,
                "stations.invalid",
                format!("Déclaration de postes refusée : {e}"),
                format!("Station declaration refused: {e}"),
            )
        })?;
        let uai = signed.list.uai.as_str();
        let console = self.store.console(&signed.console_key).await?;
        let allowed = console
            .as_ref()
            .is_some_and(|c| c.uai == uai && c.revoked_at.is_none());
        if !allowed {
            return Err(ApiError::new(
                403,
                "stations.unknown_console",
                format!("Cette console n'est pas (ou plus) enregistrée pour le centre {uai}."),
                format!("This console is not (or no longer) registered for centre {uai}."),
            ));
        }
        let pairs: Vec<(String, String)> = signed
            .list
            .stations
            .iter()
            .map(|s| (s.public_key.clone(), s.label.clone()))
            .collect();
        match self
            .store
            .declare_stations(uai, &signed.console_key, &pairs, &crate::now())
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict(key)) => {
                return Err(ApiError::conflict(
                    "stations.other_centre",
                    format!("Le poste {key} est déclaré par un autre centre."),
                    format!("Station {key} is declared by another centre."),
                ))
            }
            Err(e) => return Err(e.into()),
        }
        Ok(self.store.stations(uai).await?)
    }

    /// The centre a bearer token belongs to, if it is the one named.
    pub async fn authorise_centre(&self, uai: &str, token: &str) -> Result<Centre, ApiError> {
        let denied = || {
            ApiError::new(
                403,
                "auth.centre_token",
                "Jeton de centre absent ou invalide pour ce centre.",
                "Missing or invalid centre token for this centre.",
            )
        };
        let owner = self.store.centre_for_token(&token_hash(token)).await?;
        if owner.as_deref() != Some(uai) {
            return Err(denied());
        }
        self.store.centre(uai).await?.ok_or_else(denied)
    }

    pub async fn centre_results(&self, uai: &str) -> Result<Vec<SessionResults>, ApiError> {
        Ok(self.store.centre_results(uai).await?)
    }

    /// The configurations journals may be scored under (the engine's default and those added).
    pub async fn known_configs(
        &self,
        bank: &certroom_core::Bank,
    ) -> Result<KnownConfigs, ApiError> {
        let added = self.store.configs().await?;
        Ok(KnownConfigs::new(bank, added.into_iter().map(|(id, _)| id)))
    }

    /// Adds a configuration journals may be scored under (an administrator's act): the JSON of
    /// an engine configuration, checked; returns its id and whether it was new.
    pub async fn add_config(&self, json: &[u8]) -> Result<(String, bool), ApiError> {
        let refused = |why: String| {
            ApiError::new(
                422,
                "config.invalid",
                format!("Configuration refusée : {why}"),
                format!("Configuration refused: {why}"),
            )
        };
        let config: certroom_core::Config =
            serde_json::from_slice(json).map_err(|e| refused(e.to_string()))?;
        config.check().map_err(refused)?;
        let id = config.id();
        let text = serde_json::to_string(&config).map_err(ApiError::internal)?;
        let created = self.store.add_config(&id, &text, &crate::now()).await?;
        Ok((id, created))
    }
}

/// What the service knows of an upload besides its verified contents.
struct Received {
    evidence: Evidence,
    content_sha256: String,
    centre: Centre,
    received_at: String,
}

/// Replays every candidate and decides what the jury must see.
fn build_bundle(
    v: VerifiedBundle,
    bank: &certroom_core::Bank,
    known: &KnownConfigs,
    declared: &HashMap<String, RegisteredStation>,
    r: Received,
) -> NewBundle {
    let Received {
        evidence,
        content_sha256,
        centre,
        received_at,
    } = r;
    let m = &v.manifest;
    let candidates: Vec<_> = v
        .candidates
        .iter()
        .map(|c| {
            let mut row = replay_candidate(bank, m.session.questions, known, c, &BTreeSet::new());
            row.station_problem = crate::stations::problem(c, declared, row.status);
            row
        })
        .collect();
    let mut flags = Vec::new();
    if candidates.iter().any(|c| !c.incidents.is_empty()) {
        flags.push(JuryFlag::Incidents);
    }
    if !m.finalization.comment.trim().is_empty() {
        flags.push(JuryFlag::Comment);
    }
    if candidates.iter().any(|c| c.mismatch.is_some()) {
        flags.push(JuryFlag::Mismatch);
    }
    if candidates.iter().any(|c| c.identity_difference.is_some()) {
        flags.push(JuryFlag::Identity);
    }
    if candidates.iter().any(|c| c.station_problem.is_some()) {
        flags.push(JuryFlag::Station);
    }
    NewBundle {
        bundle_id: m.bundle_id.clone(),
        content_sha256,
        uai: m.centre.uai.clone(),
        // The enrolled name: what the centre is called in the service, whatever the console says.
        centre_name: centre.name,
        session_number: m.session.number,
        session_date: m.session.date.format("%Y-%m-%d").to_string(),
        finalized_at: m.finalization.finalized_at.clone(),
        comment: m.finalization.comment.clone(),
        console_key: to_hex(&m.console_public_key),
        bank_hash: m.bank_hash.to_hex(),
        engine_version: m.engine_version.clone(),
        received_at,
        flags,
        candidates,
        certificates: Vec::new(),
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uai_check_letters() {
        assert!(uai_ok("0750654D"));
        assert!(!uai_ok("0750654E"));
        assert!(!uai_ok("075065D"));
        for n in [0, 1, 750_654, 9_999_999] {
            assert!(uai_ok(&uai_for(n)), "{n}");
        }
        assert_eq!(uai_for(750_654), "0750654D");
    }
}
