//! certroom-bundle: the signed result bundle, one file per finalized session.
//!
//! The bundle is what leaves the exam room for the central certification service: a manifest
//! (centre, session, candidates, outcomes, incidents) signed by the console's key, and every
//! candidate's journal as the exact bytes the lab PC hashed, with the station-signed chain head.
//! [`verify`] checks it fully offline and stops at the first fault, which it names precisely
//! (what, and where: byte offset, candidate, test, record). See docs/bundle-format.md.

pub mod container;
mod fault;
mod manifest;
mod model;
mod report;
mod verify;
mod write;

pub use container::{Container, HeadBytes, JournalSection};
pub use fault::{BundleError, BundleFault};
pub use manifest::{sign_manifest, MANIFEST_DOMAIN, MANIFEST_VERSION};
pub use model::{
    AbortReason, BundleInput, BundleJournal, CandidateEntry, Centre, Finalization, Incident,
    Manifest, ManifestCandidate, Outcome, SessionInfo, Sex,
};
pub use report::{Report, ReportCandidate};
pub use verify::{
    needs_abort_reason, outcome_of, verify, verify_digested, verify_file, verify_file_pinned,
    Digested, VerifiedBundle, VerifiedCandidate, VerifiedJournal,
};
pub use write::write;

/// Bounds on every length read from a file, so a hostile length can never make us allocate or
/// read more than these. They sit far above a real session (30 candidates × ~100 records of a few
/// KiB is a few MiB) and far below what would hurt the central service.
pub mod limits {
    pub const MAX_BUNDLE_BYTES: u64 = 512 * 1024 * 1024;
    pub const MAX_MANIFEST_BYTES: u32 = 8 * 1024 * 1024;
    pub const MAX_JOURNAL_SECTION_BYTES: u32 = 64 * 1024 * 1024;
    pub const MAX_CANDIDATES: usize = 1000;
    pub const MAX_STATIONS: usize = 1000;
    /// Manifest, signature, and at most one journal per candidate.
    pub const MAX_SECTIONS: u32 = 2 + MAX_CANDIDATES as u32;
    pub const MAX_HEADER_BYTES: u32 = 64 * 1024;
    pub const MAX_RECORDS: u32 = 100_000;
    pub const MAX_RECORD_BYTES: u32 = 1024 * 1024;
    pub const MAX_HEAD_BYTES: u16 = 4096;
    pub const MAX_INCIDENTS: usize = 200;
}
