//! The console's side: from the finalized room to the signed file.

use std::collections::{HashMap, HashSet};

use certroom_journal::SignedHead;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};

use crate::container::{Container, HeadBytes, JournalSection};
use crate::fault::{BundleError, BundleFault};
use crate::manifest::{self, MANIFEST_VERSION};
use crate::model::{BundleInput, Finalization, Manifest, ManifestCandidate};
use crate::verify::verify;

/// Writes the bundle and checks it with [`verify`] before returning it, pinned to the signing
/// key: the console never hands over a file the central service would refuse, and the reason
/// it refuses is the same fault the central service would report.
pub fn write(input: &BundleInput, console_key: &Ed25519KeyPair) -> Result<Vec<u8>, BundleError> {
    let mut console_pub = [0u8; 32];
    console_pub.copy_from_slice(console_key.public_key().as_ref());

    // What the file layout alone cannot show once written: journals nobody references and
    // duplicates would otherwise be dropped or doubled silently.
    let mut ids = HashSet::new();
    let mut tests = HashSet::new();
    for c in &input.candidates {
        if !ids.insert(c.candidate_id) {
            return Err(BundleFault::DuplicateCandidate {
                candidate: c.candidate_id,
            }
            .into());
        }
        if let Some(t) = &c.test_id {
            if !tests.insert(t.as_str()) {
                return Err(BundleFault::DuplicateTest { test_id: t.clone() }.into());
            }
        }
    }
    let mut by_test: HashMap<&str, &crate::model::BundleJournal> = HashMap::new();
    for j in &input.journals {
        if !tests.contains(j.test_id.as_str()) {
            return Err(BundleFault::OrphanJournal {
                test_id: j.test_id.clone(),
            }
            .into());
        }
        if by_test.insert(j.test_id.as_str(), j).is_some() {
            return Err(BundleFault::DuplicateSection {
                offset: 0,
                what: format!("journal {}", j.test_id),
            }
            .into());
        }
    }

    let mut sections = Vec::new();
    let mut candidates = Vec::with_capacity(input.candidates.len());
    for c in &input.candidates {
        let journal_sha256 = match &c.test_id {
            None => None,
            Some(t) => {
                let j = by_test.get(t.as_str()).ok_or_else(|| {
                    BundleError::from(BundleFault::MissingJournal {
                        candidate: c.candidate_id,
                        test_id: t.clone(),
                    })
                })?;
                let section = JournalSection {
                    test_id: t.clone(),
                    chain: j.chain.clone(),
                    head: j
                        .head
                        .as_ref()
                        .map(|h| head_bytes(h, c.candidate_id))
                        .transpose()?,
                };
                let hash = section.sha256()?;
                sections.push(section);
                Some(hash)
            }
        };
        candidates.push(ManifestCandidate {
            entry: c.clone(),
            journal_sha256,
        });
    }

    let mut stations = input.stations.clone();
    stations.sort_unstable();
    stations.dedup();
    let manifest = Manifest {
        version: MANIFEST_VERSION,
        bundle_id: format!(
            "{}-{}-{}",
            input.centre.uai,
            input.session.number,
            new_uuid()?
        ),
        centre: input.centre.clone(),
        session: input.session.clone(),
        app_version: input.app_version.clone(),
        engine_version: input.engine_version.clone(),
        bank_hash: input.bank_hash,
        stations,
        console_public_key: console_pub,
        finalization: Finalization {
            finalized_at: input.finalized_at.clone(),
            comment: input.comment.clone(),
        },
        candidates,
    };
    let manifest_bytes = manifest::encode(&manifest)?;
    let signature = manifest::sign_manifest(&manifest_bytes, console_key);
    let bytes = Container {
        manifest: manifest_bytes,
        console_key: console_pub,
        signature,
        journals: sections,
    }
    .to_bytes()?;
    verify(&bytes, Some(&[console_pub]))?;
    Ok(bytes)
}

fn head_bytes(head: &SignedHead, candidate: i64) -> Result<HeadBytes, BundleFault> {
    let invalid = |detail: &str| BundleFault::HeadInvalid {
        candidate,
        test_id: head.test_id.clone(),
        detail: detail.into(),
    };
    let body = head.signed_body().map_err(|e| invalid(&e.to_string()))?;
    let signature = certroom_core::hash::from_hex(&head.signature)
        .and_then(|s| <[u8; 64]>::try_from(s).ok())
        .ok_or_else(|| invalid("signature is not 128 hex digits"))?;
    Ok(HeadBytes { body, signature })
}

/// A version-4 UUID from ring's generator, which reports failure instead of panicking.
fn new_uuid() -> Result<String, BundleError> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| BundleError::Random)?;
    Ok(uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string())
}
