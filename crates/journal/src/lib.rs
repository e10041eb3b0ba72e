//! certroom-journal: the evidence a lab PC keeps of every candidate's test.
//!
//! Every event is appended to a hash-chained SQLite journal and fsynced before the candidate is
//! told it is saved; an ended test's chain head is signed by the station's Ed25519 key; the
//! central service re-checks the file with [`verify_file`] and replays the answers.
//! See docs/journal-format.md.

pub mod bench;
pub mod chain;
pub mod clock;
pub mod crash;
pub mod error;
pub mod event;
pub mod journal;
pub mod mirror;
pub mod record;
pub mod resume;
mod schema;
pub mod station;
pub mod steps;
pub mod verify;

pub use chain::{ChainFault, Problem};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::JournalError;
pub use event::{EndedBy, Event, FocusCause};
pub use journal::{Ack, CheckpointReport, Journal, TestSummary};
pub use mirror::{ChainBytes, Mirror};
pub use record::{JoinedIdentity, Record, TestHeader};
pub use resume::{completion, progress, Progress, ShownQuestion, Step};
pub use station::{
    verify_head, verify_head_pinned, HeadError, SignedHead, StationError, StationKey,
};
pub use verify::{verify_file, VerifiedTest, VerifyError, VerifyReport};
