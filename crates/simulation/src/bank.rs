//! A simulation's question bank: a folder sealed for the run by a publisher key made for it.

use std::path::Path;

use certroom_bank::pack::{self, PackKey};
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;

/// The folder `bank` sealed with `passphrase`; returns the pack and the publisher's public key
/// the kiosks pin.
pub fn seal(bank: &Path, passphrase: &str) -> Result<(Vec<u8>, [u8; 32]), String> {
    let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|e| e.to_string())?;
    let publisher = Ed25519KeyPair::from_pkcs8(doc.as_ref()).map_err(|e| e.to_string())?;
    let files =
        certroom_bank::folder::read_dir(bank).map_err(|e| format!("{}: {e}", bank.display()))?;
    let sealed = pack::seal_with(
        &files,
        &PackKey::Passphrase(passphrase.into()),
        &publisher,
        pack::MIN_PBKDF2_ITERATIONS,
    )
    .map_err(|e| e.to_string())?;
    Ok((sealed, pack::publisher_public_key(&publisher)))
}
