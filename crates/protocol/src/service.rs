//! What the certification service answers the console: the receipt of an uploaded bundle and,
//! later, where that bundle stands (published, waiting for the jury…), both signed with the
//! service's key. The service signs them and the console checks them with these same types,
//! against the service key the console pinned.

use ring::signature::{Ed25519KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};

use certroom_core::canonical;
use certroom_core::hash::{from_hex, to_hex};

/// Domain string of a receipt's signature: a signature the service makes for another purpose
/// (a certificate, a results file) never passes for a receipt.
pub const RECEIPT_DOMAIN: &[u8] = b"certroom-receipt-v1\0";

/// The service's receipt for a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub bundle_id: String,
    pub content_hash: String,
    pub received_at: String,
    /// The session version's status at receipt: `published`, `pending_jury` or `superseded`.
    pub status: String,
    /// Hex Ed25519 signature by the service key over [`Receipt::message`].
    pub signature: String,
    /// The number of the service key that signed (docs/certificate-format.md §10). Not signed:
    /// it only says which key to check with, and a wrong number makes the check fail. Absent
    /// in receipts from before keys were numbered: key 1.
    #[serde(default = "first_key")]
    pub key_id: u16,
}

fn first_key() -> u16 {
    1
}

impl Receipt {
    /// A receipt for these fields, signed with the service's key number `key_id`.
    pub fn sign(
        key: &Ed25519KeyPair,
        key_id: u16,
        bundle_id: &str,
        content_hash: &str,
        received_at: &str,
        status: &str,
    ) -> Self {
        let mut r = Receipt {
            bundle_id: bundle_id.to_owned(),
            content_hash: content_hash.to_owned(),
            received_at: received_at.to_owned(),
            status: status.to_owned(),
            signature: String::new(),
            key_id,
        };
        r.signature = to_hex(key.sign(&r.message()).as_ref());
        r
    }

    /// `"certroom-receipt-v1\0"` ‖ canonical JSON of the four receipt fields.
    pub fn message(&self) -> Vec<u8> {
        message(
            RECEIPT_DOMAIN,
            serde_json::json!({
                "bundle_id": self.bundle_id,
                "content_hash": self.content_hash,
                "received_at": self.received_at,
                "status": self.status,
            }),
        )
    }

    /// Whether the service holding `public_key` signed exactly these fields.
    pub fn verify(&self, public_key: &[u8; 32]) -> bool {
        verify(public_key, &self.message(), &self.signature)
    }
}

/// Domain string of a status report's signature.
pub const STATUS_DOMAIN: &[u8] = b"certroom-bundle-status-v1\0";

/// Where a received bundle stands at the service now (`GET /v1/bundles/{bundle_id}/status`).
/// The bundle id is a random capability only its console knows; the signature lets the console
/// show "publiée" only when the service it pinned says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleStatus {
    pub bundle_id: String,
    /// `published`, `pending_jury`, `validated` (by the jury: published), `rejected`,
    /// `cancelled` or `superseded` (a later version of the session replaced it).
    pub status: String,
    /// When the service answered (RFC 3339): a replayed old answer shows its age.
    pub as_of: String,
    /// Hex Ed25519 signature by the service key over [`BundleStatus::message`].
    pub signature: String,
    /// As [`Receipt::key_id`].
    #[serde(default = "first_key")]
    pub key_id: u16,
}

impl BundleStatus {
    pub fn sign(
        key: &Ed25519KeyPair,
        key_id: u16,
        bundle_id: &str,
        status: &str,
        as_of: &str,
    ) -> Self {
        let mut r = BundleStatus {
            bundle_id: bundle_id.to_owned(),
            status: status.to_owned(),
            as_of: as_of.to_owned(),
            signature: String::new(),
            key_id,
        };
        r.signature = to_hex(key.sign(&r.message()).as_ref());
        r
    }

    /// `"certroom-bundle-status-v1\0"` ‖ canonical JSON of the three fields.
    pub fn message(&self) -> Vec<u8> {
        message(
            STATUS_DOMAIN,
            serde_json::json!({
                "bundle_id": self.bundle_id,
                "status": self.status,
                "as_of": self.as_of,
            }),
        )
    }

    pub fn verify(&self, public_key: &[u8; 32]) -> bool {
        verify(public_key, &self.message(), &self.signature)
    }

    /// Whether the session's certificates are public.
    pub fn is_published(&self) -> bool {
        matches!(self.status.as_str(), "published" | "validated")
    }
}

fn message(domain: &[u8], fields: serde_json::Value) -> Vec<u8> {
    // A flat object of strings is always canonicalisable.
    let body = canonical::to_bytes(&fields).unwrap_or_default();
    [domain, &body].concat()
}

fn verify(public_key: &[u8; 32], message: &[u8], signature: &str) -> bool {
    let Some(sig) = from_hex(signature) else {
        return false;
    };
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(message, &sig)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::KeyPair;

    #[test]
    fn a_receipt_verifies_and_binds_every_field() {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let key = Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap();
        let public: [u8; 32] = key.public_key().as_ref().try_into().unwrap();
        let r = Receipt::sign(&key, 1, "B", "H", "2026-01-01T00:00:00Z", "published");
        assert!(r.verify(&public));
        // Receipts from before keys were numbered read as key 1's.
        let mut old = serde_json::to_value(&r).unwrap();
        old.as_object_mut().unwrap().remove("key_id");
        assert_eq!(serde_json::from_value::<Receipt>(old).unwrap(), r);
        assert!(!r.verify(&[7; 32]));
        for forged in [
            Receipt {
                status: "pending_jury".into(),
                ..r.clone()
            },
            Receipt {
                bundle_id: "C".into(),
                ..r.clone()
            },
            Receipt {
                content_hash: "I".into(),
                ..r.clone()
            },
            Receipt {
                received_at: "2026-01-02T00:00:00Z".into(),
                ..r.clone()
            },
            Receipt {
                signature: "zz".into(),
                ..r.clone()
            },
        ] {
            assert!(!forged.verify(&public));
        }
    }

    #[test]
    fn a_status_verifies_binds_its_fields_and_is_no_receipt() {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let key = Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap();
        let public: [u8; 32] = key.public_key().as_ref().try_into().unwrap();
        let s = BundleStatus::sign(&key, 1, "B", "pending_jury", "2026-01-01T00:00:00Z");
        assert!(s.verify(&public));
        assert!(!s.is_published());
        let forged = BundleStatus {
            status: "published".into(),
            ..s.clone()
        };
        assert!(!forged.verify(&public));
        // The same fields signed as a receipt do not pass for a status.
        let r = Receipt::sign(&key, 1, "B", "", "2026-01-01T00:00:00Z", "published");
        let as_status = BundleStatus {
            bundle_id: "B".into(),
            status: "published".into(),
            as_of: "2026-01-01T00:00:00Z".into(),
            signature: r.signature,
            key_id: 1,
        };
        assert!(!as_status.verify(&public));
    }
}
