//! What the certification service answers the console: the receipt of an uploaded bundle, signed
//! with the service's key. The service signs it and the console's outbox checks it with these
//! same types, against the service key the console pinned.

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
}

impl Receipt {
    /// A receipt for these fields, signed with the service's key.
    pub fn sign(
        key: &Ed25519KeyPair,
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
        };
        r.signature = to_hex(key.sign(&r.message()).as_ref());
        r
    }

    /// `"certroom-receipt-v1\0"` ‖ canonical JSON of the four receipt fields.
    pub fn message(&self) -> Vec<u8> {
        let body = canonical::to_bytes(&serde_json::json!({
            "bundle_id": self.bundle_id,
            "content_hash": self.content_hash,
            "received_at": self.received_at,
            "status": self.status,
        }))
        // A flat object of strings is always canonicalisable.
        .unwrap_or_default();
        [RECEIPT_DOMAIN, &body].concat()
    }

    /// Whether the service holding `public_key` signed exactly these fields.
    pub fn verify(&self, public_key: &[u8; 32]) -> bool {
        let Some(sig) = from_hex(&self.signature) else {
            return false;
        };
        UnparsedPublicKey::new(&ED25519, public_key)
            .verify(&self.message(), &sig)
            .is_ok()
    }
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
        let r = Receipt::sign(&key, "B", "H", "2026-01-01T00:00:00Z", "published");
        assert!(r.verify(&public));
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
}
