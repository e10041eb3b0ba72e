//! The certification service's keys over the years (docs/certificate-format.md §7).
//!
//! A certificate is checked for decades, longer than one signing key should live. The service
//! therefore publishes a **key set**: keys numbered from 1, each new key endorsed by the key
//! before it, some revoked, the whole document signed by its newest key. Whoever trusts one key
//! of the set (the key shipped with the software, or pinned on first contact) can take the rest:
//! newer keys through the chain of endorsements, older ones through the newest key's signature
//! of the whole list. A client that already holds a set accepts a new one only if it keeps every
//! key it knew under the same number and every revocation it knew: a key once trusted is never
//! swapped, and a revocation is never undone.
//!
//! The QR payload, the receipt and the results file name the key they were signed with; a
//! payload without a number (format version 1) was signed by key 1.

use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};

pub const KEY_SET_FORMAT: &str = "certroom-keyset/1";
/// Prefixed to `id ‖ public key` when a key endorses its successor.
pub const ENDORSEMENT_DOMAIN: &[u8] = b"certroom-key-endorsement-v1\0";
/// Prefixed to the JSON of `keys` when the newest key signs the set.
pub const KEY_SET_DOMAIN: &[u8] = b"certroom-keyset-v1\0";
/// Far more keys than a service rotating once a year will ever have; a longer list is not ours.
pub const MAX_KEYS: usize = 1000;

/// The published key set (`GET /v1/keys`, `certif-server keys export`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySet {
    /// [`KEY_SET_FORMAT`].
    pub format: String,
    /// Oldest first: `keys[i].id == i + 1`.
    pub keys: Vec<ServiceKey>,
    /// Hex Ed25519 signature by the newest key over [`KEY_SET_DOMAIN`] ‖ the compact JSON of
    /// `keys` as this type writes it.
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceKey {
    pub id: u16,
    /// Hex Ed25519 public key.
    pub public_key: String,
    /// When the key was made (RFC 3339, UTC).
    pub created: String,
    /// Hex signature by key `id - 1` over [`ENDORSEMENT_DOMAIN`] ‖ `id` (big-endian u16) ‖ the
    /// public key's 32 bytes. Absent for key 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endorsement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
}

impl ServiceKey {
    /// Its public key, unless it is revoked.
    pub fn usable(&self) -> Result<[u8; 32], KeyError> {
        if let Some(r) = &self.revoked {
            return Err(KeyError::Revoked {
                id: self.id,
                at: r.at.clone(),
            });
        }
        parse_key(&self.public_key).ok_or(KeyError::Unknown(self.id))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// RFC 3339, UTC.
    pub at: String,
    pub reason: String,
}

/// Why a key set, or a key it should hold, is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not a certroom key set: {0}")]
    Malformed(String),
    /// Key `id`'s endorsement is not its predecessor's signature.
    #[error("key {0} is not endorsed by key {prev}", prev = .0.saturating_sub(1))]
    BadEndorsement(u16),
    #[error("the key set is not signed by its newest key")]
    BadSignature,
    #[error("the newest key of the set is revoked")]
    NewestRevoked,
    /// A set that does not hold the key this client was given.
    #[error("the key set does not hold the pinned service key")]
    NotAnchored,
    /// A set that drops or replaces key `id`, which this client already trusts.
    #[error("the key set replaces or drops key {0}")]
    Replaced(u16),
    /// A set that lifts the revocation of key `id`.
    #[error("the key set lifts the revocation of key {0}")]
    Unrevoked(u16),
    #[error("no key {0} in the trusted key set")]
    Unknown(u16),
    #[error("key {id} was revoked on {at}")]
    Revoked { id: u16, at: String },
    /// A signature by a public key that is in no trusted set.
    #[error("signed by a key this verifier does not trust")]
    Untrusted,
}

impl KeyError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "keys.malformed",
            Self::BadEndorsement(_) => "keys.bad_endorsement",
            Self::BadSignature => "keys.bad_signature",
            Self::NewestRevoked => "keys.newest_revoked",
            Self::NotAnchored => "keys.not_anchored",
            Self::Replaced(_) => "keys.replaced",
            Self::Unrevoked(_) => "keys.unrevoked",
            Self::Unknown(_) => "keys.unknown",
            Self::Revoked { .. } => "keys.revoked",
            Self::Untrusted => "keys.untrusted",
        }
    }

    pub fn message_fr(&self) -> String {
        match self {
            Self::Malformed(why) => format!("Jeu de clés du service illisible : {why}."),
            Self::BadEndorsement(id) => format!(
                "Jeu de clés refusé : la clé n° {id} n'est pas signée par la clé n° {}.",
                id.saturating_sub(1)
            ),
            Self::BadSignature => {
                "Jeu de clés refusé : il n'est pas signé par sa clé la plus récente.".into()
            }
            Self::NewestRevoked => "Jeu de clés refusé : sa clé la plus récente est révoquée.".into(),
            Self::NotAnchored => "Jeu de clés refusé : il ne contient pas la clé du service \
                                  enregistrée sur ce poste."
                .into(),
            Self::Replaced(id) => format!(
                "Jeu de clés refusé : il remplace ou retire la clé n° {id}, déjà connue de ce poste."
            ),
            Self::Unrevoked(id) => format!(
                "Jeu de clés refusé : il annule la révocation de la clé n° {id}."
            ),
            Self::Unknown(id) => format!(
                "La clé n° {id} du service n'est pas connue de ce poste : mettez à jour le jeu \
                 de clés (connexion au service ou fichier de clés)."
            ),
            Self::Revoked { id, at } => format!(
                "La clé n° {id} du service a été révoquée le {at} : ce qu'elle a signé n'est \
                 plus accepté. Demandez une attestation réimprimée."
            ),
            Self::Untrusted => "Signé par une clé qui n'est pas celle du service de \
                                certification connue de ce poste."
                .into(),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            Self::Malformed(why) => format!("Unreadable service key set: {why}."),
            Self::BadEndorsement(id) => {
                format!(
                    "Key set refused: key {id} is not signed by key {}.",
                    id.saturating_sub(1)
                )
            }
            Self::BadSignature => "Key set refused: it is not signed by its newest key.".into(),
            Self::NewestRevoked => "Key set refused: its newest key is revoked.".into(),
            Self::NotAnchored => {
                "Key set refused: it does not hold the service key pinned on this machine.".into()
            }
            Self::Replaced(id) => {
                format!("Key set refused: it replaces or drops key {id}, already known here.")
            }
            Self::Unrevoked(id) => format!("Key set refused: it lifts the revocation of key {id}."),
            Self::Unknown(id) => format!(
                "Service key {id} is not known here: update the key set (connect to the \
                 service, or load a key-set file)."
            ),
            Self::Revoked { id, at } => format!(
                "Service key {id} was revoked on {at}: what it signed is no longer accepted. \
                 Ask for a reprinted certificate."
            ),
            Self::Untrusted => {
                "Signed by a key that is not the certification service's key known here.".into()
            }
        }
    }
}

fn parse_key(hex_key: &str) -> Option<[u8; 32]> {
    hex::decode(hex_key.trim())
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
}

fn public_of(key: &Ed25519KeyPair) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(key.public_key().as_ref());
    out
}

fn endorsement_message(id: u16, public: &[u8; 32]) -> Vec<u8> {
    [ENDORSEMENT_DOMAIN, &id.to_be_bytes(), public].concat()
}

fn signature_ok(public: &[u8; 32], message: &[u8], hex_signature: &str) -> bool {
    hex::decode(hex_signature).is_ok_and(|sig| {
        UnparsedPublicKey::new(&ED25519, public)
            .verify(message, &sig)
            .is_ok()
    })
}

impl KeySet {
    /// The set of a service's first key.
    pub fn first(key: &Ed25519KeyPair, created: &str) -> KeySet {
        let keys = vec![ServiceKey {
            id: 1,
            public_key: hex::encode(public_of(key)),
            created: created.to_owned(),
            endorsement: None,
            revoked: None,
        }];
        Self::signed(keys, key)
    }

    fn signed(keys: Vec<ServiceKey>, newest: &Ed25519KeyPair) -> KeySet {
        let signature = hex::encode(newest.sign(&Self::message(&keys)).as_ref());
        KeySet {
            format: KEY_SET_FORMAT.to_owned(),
            keys,
            signature,
        }
    }

    fn message(keys: &[ServiceKey]) -> Vec<u8> {
        // Serialising these plain structs cannot fail; an empty list would fail `check` anyway.
        let json = serde_json::to_vec(keys).unwrap_or_default();
        [KEY_SET_DOMAIN, &json].concat()
    }

    /// The set with `next` added as the newest key, endorsed by `current` (the newest now).
    pub fn rotate(
        &self,
        current: &Ed25519KeyPair,
        next: &Ed25519KeyPair,
        created: &str,
    ) -> Result<KeySet, KeyError> {
        let newest = self.newest_held(current)?;
        let id = newest
            .id
            .checked_add(1)
            .filter(|_| self.keys.len() < MAX_KEYS)
            .ok_or_else(|| KeyError::Malformed("too many keys".into()))?;
        let public = public_of(next);
        let endorsement = hex::encode(current.sign(&endorsement_message(id, &public)).as_ref());
        let mut keys = self.keys.clone();
        keys.push(ServiceKey {
            id,
            public_key: hex::encode(public),
            created: created.to_owned(),
            endorsement: Some(endorsement),
            revoked: None,
        });
        Ok(Self::signed(keys, next))
    }

    /// The set with key `id` revoked, signed again by `newest`. The newest key itself cannot be
    /// revoked: rotate first, so that something is left to sign with.
    pub fn revoke(
        &self,
        newest: &Ed25519KeyPair,
        id: u16,
        at: &str,
        reason: &str,
    ) -> Result<KeySet, KeyError> {
        let last = self.newest_held(newest)?;
        if id == last.id {
            return Err(KeyError::NewestRevoked);
        }
        let mut keys = self.keys.clone();
        let key = keys
            .iter_mut()
            .find(|k| k.id == id)
            .ok_or(KeyError::Unknown(id))?;
        key.usable()?;
        key.revoked = Some(Revocation {
            at: at.to_owned(),
            reason: reason.to_owned(),
        });
        Ok(Self::signed(keys, newest))
    }

    /// The newest key, which `key` must be: only it signs the set.
    fn newest_held(&self, key: &Ed25519KeyPair) -> Result<&ServiceKey, KeyError> {
        let newest = self.newest()?;
        if parse_key(&newest.public_key) != Some(public_of(key)) {
            return Err(KeyError::Malformed(
                "the signing key is not the newest key of the set".into(),
            ));
        }
        Ok(newest)
    }

    pub fn newest(&self) -> Result<&ServiceKey, KeyError> {
        self.keys
            .last()
            .ok_or_else(|| KeyError::Malformed("no key".into()))
    }

    /// Key `id`'s public key, revoked or not.
    pub fn public_key(&self, id: u16) -> Option<[u8; 32]> {
        self.keys
            .iter()
            .find(|k| k.id == id)
            .and_then(|k| parse_key(&k.public_key))
    }

    /// Whether the set is well formed, every endorsement holds and the newest key signed it.
    pub fn check(&self) -> Result<(), KeyError> {
        let malformed = |why: String| Err(KeyError::Malformed(why));
        if self.format != KEY_SET_FORMAT {
            return malformed(format!(
                "format {:?}, expected {KEY_SET_FORMAT}",
                self.format
            ));
        }
        if self.keys.is_empty() || self.keys.len() > MAX_KEYS {
            return malformed(format!("{} keys", self.keys.len()));
        }
        let mut previous: Option<[u8; 32]> = None;
        let mut seen = std::collections::HashSet::new();
        for (i, key) in self.keys.iter().enumerate() {
            if usize::from(key.id) != i + 1 {
                return malformed(format!("key number {} at position {}", key.id, i + 1));
            }
            let Some(public) = parse_key(&key.public_key) else {
                return malformed(format!("key {}: public key is not 64 hex digits", key.id));
            };
            if !seen.insert(public) {
                return malformed(format!("key {} repeats an earlier key", key.id));
            }
            match (previous, &key.endorsement) {
                (None, None) => {}
                (None, Some(_)) => return malformed("key 1 carries an endorsement".into()),
                (Some(prev), Some(e))
                    if signature_ok(&prev, &endorsement_message(key.id, &public), e) => {}
                (Some(_), _) => return Err(KeyError::BadEndorsement(key.id)),
            }
            previous = Some(public);
        }
        let newest = self.newest()?;
        if newest.revoked.is_some() {
            return Err(KeyError::NewestRevoked);
        }
        let public = parse_key(&newest.public_key).ok_or(KeyError::BadSignature)?;
        if !signature_ok(&public, &Self::message(&self.keys), &self.signature) {
            return Err(KeyError::BadSignature);
        }
        Ok(())
    }
}

/// The service keys a verifier trusts: one pinned key (its number unknown: it was typed, or
/// taken on first contact), a checked key set, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceKeys {
    pinned: Option<[u8; 32]>,
    set: Option<KeySet>,
}

impl From<[u8; 32]> for ServiceKeys {
    fn from(public: [u8; 32]) -> Self {
        ServiceKeys {
            pinned: Some(public),
            set: None,
        }
    }
}

impl ServiceKeys {
    /// A set the user chose to trust as it stands (the offline verifier's `--key-set` file).
    pub fn from_set(set: KeySet) -> Result<Self, KeyError> {
        set.check()?;
        Ok(ServiceKeys {
            pinned: None,
            set: Some(set),
        })
    }

    /// The pinned key and the set last accepted for it (a console's or an office's state).
    pub fn pinned_with(public: [u8; 32], set: Option<KeySet>) -> Result<Self, KeyError> {
        let mut keys = ServiceKeys::from(public);
        if let Some(set) = set {
            keys.accept(set)?;
        }
        Ok(keys)
    }

    pub fn set(&self) -> Option<&KeySet> {
        self.set.as_ref()
    }

    /// Takes a newer key set, if it is signed, anchored in what is trusted already, and keeps
    /// every key and revocation known. Returns whether anything changed.
    pub fn accept(&mut self, set: KeySet) -> Result<bool, KeyError> {
        set.check()?;
        if let Some(pinned) = self.pinned {
            if !set
                .keys
                .iter()
                .any(|k| parse_key(&k.public_key) == Some(pinned))
            {
                return Err(KeyError::NotAnchored);
            }
        }
        if let Some(known) = &self.set {
            for old in &known.keys {
                let new = set.keys.iter().find(|k| k.id == old.id);
                let Some(new) =
                    new.filter(|n| parse_key(&n.public_key) == parse_key(&old.public_key))
                else {
                    return Err(KeyError::Replaced(old.id));
                };
                if old.revoked.is_some() && new.revoked.is_none() {
                    return Err(KeyError::Unrevoked(old.id));
                }
            }
        }
        let changed = self.set.as_ref() != Some(&set);
        self.set = Some(set);
        Ok(changed)
    }

    /// The public key that signed what names key `id`: from the set when there is one, else the
    /// pinned key (whose number this verifier does not know; the signature decides).
    pub fn key(&self, id: u16) -> Result<[u8; 32], KeyError> {
        match &self.set {
            Some(set) => set
                .keys
                .iter()
                .find(|k| k.id == id)
                .ok_or(KeyError::Unknown(id))?
                .usable(),
            None => self.pinned.ok_or(KeyError::Unknown(id)),
        }
    }

    /// Whether `public` is a trusted, unrevoked key; its number when the set is known.
    pub fn trusts(&self, public: &[u8; 32]) -> Result<Option<u16>, KeyError> {
        if let Some(set) = &self.set {
            if let Some(k) = set
                .keys
                .iter()
                .find(|k| parse_key(&k.public_key).as_ref() == Some(public))
            {
                self.key(k.id)?;
                return Ok(Some(k.id));
            }
        }
        if self.pinned.as_ref() == Some(public) {
            return Ok(None);
        }
        Err(KeyError::Untrusted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    fn key() -> Ed25519KeyPair {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap()
    }

    const T: &str = "2026-12-05T10:00:00Z";

    fn three() -> (Vec<Ed25519KeyPair>, KeySet) {
        let ks = vec![key(), key(), key()];
        let set = KeySet::first(&ks[0], T)
            .rotate(&ks[0], &ks[1], T)
            .unwrap()
            .rotate(&ks[1], &ks[2], T)
            .unwrap();
        set.check().unwrap();
        (ks, set)
    }

    #[test]
    fn a_client_pinned_on_any_key_takes_the_whole_chain() {
        let (ks, set) = three();
        for k in &ks {
            let mut trusted = ServiceKeys::from(public_of(k));
            assert_eq!(trusted.accept(set.clone()), Ok(true));
            for (i, k) in ks.iter().enumerate() {
                assert_eq!(trusted.key(i as u16 + 1), Ok(public_of(k)));
            }
            assert_eq!(trusted.key(4), Err(KeyError::Unknown(4)));
        }
        let stranger = ServiceKeys::from(public_of(&key())).accept(set);
        assert_eq!(stranger, Err(KeyError::NotAnchored));
    }

    #[test]
    fn forged_chains_and_edited_sets_are_refused() {
        let (ks, set) = three();
        // An attacker's key appended under the newest key's name, signed by itself.
        let evil = key();
        let mut forged = set.clone();
        let mut k4 = forged.keys[2].clone();
        k4.id = 4;
        k4.public_key = hex::encode(public_of(&evil));
        k4.endorsement = Some(hex::encode(evil.sign(b"x").as_ref()));
        forged.keys.push(k4);
        let forged = KeySet::signed(forged.keys, &evil);
        assert_eq!(forged.check(), Err(KeyError::BadEndorsement(4)));

        let mut edited = set.clone();
        edited.keys[0].created = "2020-01-01T00:00:00Z".into();
        assert_eq!(edited.check(), Err(KeyError::BadSignature));

        let mut renumbered = set.clone();
        renumbered.keys.remove(1);
        assert!(matches!(renumbered.check(), Err(KeyError::Malformed(_))));

        // A set that drops key 3 (the set as it was before the last rotation) is refused once 3
        // is known.
        let older = KeySet::first(&ks[0], T).rotate(&ks[0], &ks[1], T).unwrap();
        let mut trusted = ServiceKeys::from(public_of(&ks[0]));
        trusted.accept(set.clone()).unwrap();
        assert_eq!(trusted.accept(older), Err(KeyError::Replaced(3)));
        assert_eq!(trusted.accept(set), Ok(false));
    }

    #[test]
    fn revocation_holds_and_cannot_be_lifted() {
        let (ks, set) = three();
        assert_eq!(set.revoke(&ks[2], 3, T, "x"), Err(KeyError::NewestRevoked));
        assert!(
            set.revoke(&ks[1], 1, T, "x").is_err(),
            "only the newest signs"
        );
        let revoked = set.revoke(&ks[2], 1, T, "fuite").unwrap();
        revoked.check().unwrap();
        let mut trusted = ServiceKeys::from(public_of(&ks[2]));
        trusted.accept(revoked.clone()).unwrap();
        assert_eq!(
            trusted.key(1),
            Err(KeyError::Revoked {
                id: 1,
                at: T.into()
            })
        );
        assert_eq!(trusted.key(2), Ok(public_of(&ks[1])));
        assert!(trusted.trusts(&public_of(&ks[0])).is_err());
        assert_eq!(trusted.trusts(&public_of(&ks[2])), Ok(Some(3)));
        assert_eq!(trusted.accept(set), Err(KeyError::Unrevoked(1)));
        // Revoking the newest key through a forged set signed by the revoked key fails too.
        let mut lying = revoked.clone();
        lying.keys[0].revoked = None;
        let lying = KeySet::signed(lying.keys, &ks[0]);
        assert_eq!(lying.check(), Err(KeyError::BadSignature));
    }
}
