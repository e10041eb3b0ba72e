//! Ed25519 signatures checked together.
//!
//! The central service checks about sixty signatures a session (the stations' heads, and the
//! self-check of each certificate's QR signature). One at a time (`ring`) each costs a full
//! double scalar multiplication; checked together, one multiscalar multiplication covers them
//! all, at less than half the cost a signature on the 2-core machine (`benches/signature.rs`,
//! BENCHMARKS.md). `ring` has no batch verification, hence `ed25519-dalek` for this one job.
//!
//! The answer is the one `ring` gives, signature by signature: a batch that fails is checked
//! again one at a time with `ring`, to name the first signature that does not hold. The only
//! difference: the batch equation is a random combination of the single ones (coefficients
//! drawn from a hash of everything checked), so a batch may pass a signature that only its key's
//! holder could have shaped to fail alone (a small-order component), or, with probability
//! 2⁻¹²⁸, one that is simply wrong. Neither is a forgery.

use ring::signature::{UnparsedPublicKey, ED25519};

/// Signatures to check, in the order they were added.
#[derive(Debug, Default)]
pub struct Batch {
    items: Vec<Signed>,
}

/// One signature with what it is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The signer's Ed25519 public key.
    pub public_key: [u8; 32],
    /// Exactly the bytes signed, domain included.
    pub message: Vec<u8>,
    /// The signature.
    pub signature: [u8; 64],
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a signature; its index is the number of signatures added before it.
    pub fn push(&mut self, signed: Signed) {
        self.items.push(signed);
    }

    /// Signatures added so far.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// `Ok` when every signature holds, else the index of the first one that does not.
    pub fn verify(&self) -> Result<(), usize> {
        if self.items.len() > 1 && self.verify_together() {
            return Ok(());
        }
        match self.items.iter().position(|s| !s.verify_alone()) {
            Some(i) => Err(i),
            None => Ok(()),
        }
    }

    fn verify_together(&self) -> bool {
        // A key is a point to decompress, the costly part of reading it: the service checks a
        // session's certificates, all under its one key, in one batch.
        let mut read: std::collections::HashMap<[u8; 32], ed25519_dalek::VerifyingKey> =
            std::collections::HashMap::new();
        let mut keys = Vec::with_capacity(self.items.len());
        for s in &self.items {
            let key = match read.get(&s.public_key) {
                Some(k) => *k,
                None => {
                    let Ok(k) = ed25519_dalek::VerifyingKey::from_bytes(&s.public_key) else {
                        return false;
                    };
                    read.insert(s.public_key, k);
                    k
                }
            };
            keys.push(key);
        }
        let messages: Vec<&[u8]> = self.items.iter().map(|s| s.message.as_slice()).collect();
        let signatures: Vec<ed25519_dalek::Signature> = self
            .items
            .iter()
            .map(|s| ed25519_dalek::Signature::from_bytes(&s.signature))
            .collect();
        ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
    }
}

impl Signed {
    /// Checks this one signature alone.
    pub fn verify_alone(&self) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.public_key)
            .verify(&self.message, &self.signature)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    fn key(seed: u8) -> Ed25519KeyPair {
        Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).unwrap()
    }

    fn signed(n: usize) -> Batch {
        let mut b = Batch::new();
        for i in 0..n {
            let k = key(i as u8 + 1);
            let message = format!("tête {i}").into_bytes();
            let signature: [u8; 64] = k.sign(&message).as_ref().try_into().unwrap();
            b.push(Signed {
                public_key: k.public_key().as_ref().try_into().unwrap(),
                message,
                signature,
            });
        }
        b
    }

    #[test]
    fn good_signatures_pass_together_and_alone() {
        for n in [0, 1, 2, 30] {
            let b = signed(n);
            assert_eq!(b.len(), n);
            assert!(b.verify_together() || n == 0);
            assert_eq!(b.verify(), Ok(()), "{n} signatures");
        }
    }

    #[test]
    fn the_first_bad_signature_is_named() {
        for n in [1, 2, 30] {
            for bad in [0, n / 2, n - 1] {
                // A flipped bit in the message, in R, in s, in the key: each fails as ring says.
                for what in 0..4 {
                    let mut b = signed(n);
                    let s = &mut b.items[bad];
                    match what {
                        0 => s.message[0] ^= 1,
                        1 => s.signature[3] ^= 1,
                        2 => s.signature[40] ^= 1,
                        _ => s.public_key[7] ^= 1,
                    }
                    assert!(!s.verify_alone());
                    assert_eq!(
                        b.verify(),
                        Err(bad),
                        "{n} signatures, #{bad} broken ({what})"
                    );
                }
            }
        }
    }

    #[test]
    fn signatures_under_one_key_are_each_checked() {
        // The service's batch: every certificate of a session under its one key.
        let k = key(9);
        let mut b = Batch::new();
        for i in 0..30 {
            let message = format!("certificat {i}").into_bytes();
            b.push(Signed {
                public_key: k.public_key().as_ref().try_into().unwrap(),
                signature: k.sign(&message).as_ref().try_into().unwrap(),
                message,
            });
        }
        assert_eq!(b.verify(), Ok(()));
        b.items[17].message[0] ^= 1;
        assert_eq!(b.verify(), Err(17));
        // The same key bytes, damaged in one entry only: that entry alone fails.
        let mut b2 = Batch::new();
        for (i, s) in b.items.iter().enumerate().filter(|(i, _)| *i != 17) {
            let mut s = s.clone();
            if i == 4 {
                s.public_key[7] ^= 1;
            }
            b2.push(s);
        }
        assert_eq!(b2.verify(), Err(4));
    }

    #[test]
    fn two_bad_signatures_name_the_earlier() {
        let mut b = signed(30);
        b.items[20].message.push(b'!');
        b.items[7].signature[63] ^= 0x10;
        assert_eq!(b.verify(), Err(7));
    }

    #[test]
    fn an_s_beyond_the_group_order_is_refused() {
        // s + ℓ verifies the same equation; ring refuses it, and so must the batch.
        let mut b = signed(5);
        let s = &mut b.items[2].signature[32..];
        let order: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut carry = 0u16;
        for (x, l) in s.iter_mut().zip(order) {
            let sum = u16::from(*x) + u16::from(l) + carry;
            *x = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(b.verify(), Err(2));
    }
}
