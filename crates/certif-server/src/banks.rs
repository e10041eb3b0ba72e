//! Question banks the server replays journals with. A bank arrives as the same signed,
//! encrypted pack the rooms receive, with its key; it is checked (publisher signature, content
//! hash, every item valid) before it is stored, and opened again from the store on first use
//! after a restart.
//!
//! Journals name a bank by `Bank::content_hash()` (what the kiosk writes in the test header),
//! not by the pack header's hash, which covers the same files with another domain string; both
//! are kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use certroom_bank::pack::{self, PackError, PackKey};
use certroom_bank::LoadError;
use certroom_core::bank::Bank;
use certroom_core::hash::{from_hex, to_hex};

use crate::error::StoreError;
use crate::model::{BankKeyKind, BankRow};
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum BankError {
    #[error("paquet de banque : {0}")]
    Pack(#[from] PackError),
    #[error("banque invalide : {0} / invalid bank")]
    Load(#[from] LoadError),
    #[error("banque invalide : {0} / invalid bank")]
    Invalid(String),
    #[error(
        "clé de session : 64 chiffres hexadécimaux attendus / session key must be 64 hex digits"
    )]
    SessionKey,
    #[error("clé de l'éditeur : 64 chiffres hexadécimaux attendus / publisher key must be 64 hex digits")]
    PublisherKey,
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl BankError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Pack(PackError::BadSignature) => "bank.signature",
            Self::Pack(PackError::WrongKey | PackError::KeyKindMismatch(_)) => "bank.wrong_key",
            Self::Pack(_) => "bank.pack",
            Self::Load(_) | Self::Invalid(_) => "bank.invalid",
            Self::SessionKey | Self::PublisherKey => "bank.key_format",
            Self::Store(_) => "internal",
        }
    }
}

/// The key an administrator gives with a pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GivenKey {
    Passphrase(String),
    /// 64 hex digits.
    Session(String),
}

fn pack_key(kind: &BankKeyKind, secret: &str) -> Result<PackKey, BankError> {
    Ok(match kind {
        BankKeyKind::Passphrase => PackKey::Passphrase(secret.to_owned()),
        BankKeyKind::Session => PackKey::Session(
            from_hex(secret)
                .and_then(|v| <[u8; 32]>::try_from(v).ok())
                .ok_or(BankError::SessionKey)?,
        ),
    })
}

pub fn publisher_key(hex: &str) -> Result<[u8; 32], BankError> {
    from_hex(hex)
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .ok_or(BankError::PublisherKey)
}

/// Opens and checks a pack; returns the row to store and the loaded bank.
pub fn open_pack(
    pack_bytes: Vec<u8>,
    key: GivenKey,
    publisher_hex: &str,
    at: &str,
) -> Result<(BankRow, Bank), BankError> {
    let publisher = publisher_key(publisher_hex)?;
    let header = pack::read_header(&pack_bytes)?;
    let (kind, secret) = match key {
        GivenKey::Passphrase(p) => (BankKeyKind::Passphrase, p),
        GivenKey::Session(s) => (BankKeyKind::Session, s.to_ascii_lowercase()),
    };
    let files = pack::open(&pack_bytes, &pack_key(&kind, &secret)?, &publisher)?;
    let certroom_bank::LoadedBank {
        bank,
        id: bank_id,
        version: bank_version,
        ..
    } = certroom_bank::load(files)?;
    let row = BankRow {
        content_hash: bank.content_hash().to_owned(),
        pack_hash: header.bank_hash.to_hex(),
        pack: pack_bytes,
        key_kind: kind,
        key_secret: secret,
        publisher_key: to_hex(&publisher),
        bank_id,
        bank_version,
        items: bank.len() as i64,
        added_at: at.to_owned(),
    };
    Ok((row, bank))
}

/// Loaded banks by content hash. Opening a passphrase pack costs a PBKDF2 derivation, so each
/// bank is opened once per process.
#[derive(Default)]
pub struct Banks {
    loaded: Mutex<HashMap<String, Arc<Bank>>>,
}

impl Banks {
    pub fn insert(&self, bank: Bank) -> Arc<Bank> {
        let bank = Arc::new(bank);
        self.loaded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(bank.content_hash().to_owned(), bank.clone());
        bank
    }

    /// The bank with that content hash, from memory or the store; `None` if never uploaded.
    pub async fn get(
        &self,
        store: &dyn Store,
        content_hash: &str,
    ) -> Result<Option<Arc<Bank>>, BankError> {
        if let Some(b) = self
            .loaded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(content_hash)
        {
            return Ok(Some(b.clone()));
        }
        let Some(row) = store.bank(content_hash).await? else {
            return Ok(None);
        };
        let bank = tokio::task::spawn_blocking(move || -> Result<Bank, BankError> {
            let publisher = publisher_key(&row.publisher_key)?;
            let files = pack::open(
                &row.pack,
                &pack_key(&row.key_kind, &row.key_secret)?,
                &publisher,
            )?;
            Ok(certroom_bank::load(files)?.bank)
        })
        .await
        .map_err(|e| BankError::Invalid(format!("bank task failed: {e}")))??;
        if bank.content_hash() != content_hash {
            return Err(BankError::Invalid(format!(
                "stored bank {content_hash} opens as {}",
                bank.content_hash()
            )));
        }
        Ok(Some(self.insert(bank)))
    }
}
