//! `certroom-certificate`: what makes a printed certificate checkable without a network.
//!
//! The central certification service signs a certificate's essential fields ([`Claims`]) with
//! its Ed25519 key. The fields and the signature travel in the QR code's text, a verification
//! URL whose fragment carries them (`https://…/v/P-XXXXXXXX#<base64url>`): a phone that scans it
//! opens the public verification page, and anyone holding the service's public key can check it
//! with [`verify`], offline. The service's keys are numbered and published as a set
//! ([`keys`]): rotated keys keep verifying what they signed, revoked ones do not. [`find_payloads`] reads the QR texts back from a certificate PDF
//! (the link annotation over each QR code) so a file can be checked without rendering it;
//! [`verify_document`] takes either a PDF or a scanned QR text and verifies what it finds.
//!
//! The byte format, the URL and their limits are in `docs/certificate-format.md`. Nothing here
//! performs I/O, and no input makes a function of this crate panic.

#![forbid(unsafe_code)]

mod claims;
mod document;
mod error;
pub mod keys;
mod pdf;
mod qr;
pub mod results;

pub use claims::{Claims, Field, Problem, MAX_NAME_BYTES};
pub use document::verify_document;
pub use error::{CertificateError, Malformed, VerifyError};
pub use keys::{KeyError, KeySet, ServiceKeys};
pub use pdf::find_payloads;
pub use qr::{
    key_id, sign, sign_all, verify, verify_with, MAX_QR_TEXT, SIGNING_DOMAIN, VERSION,
    VERSION_WITHOUT_KEY_ID,
};
