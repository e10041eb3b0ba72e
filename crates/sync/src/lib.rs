//! `certroom-sync`: the console's outbox of signed result bundles ([`outbox`]) and their upload to
//! the certification service ([`upload`]): kept across restarts in SQLite, retried with backoff
//! and jitter, exactly once thanks to the service's idempotent ingest, receipt stored.

pub mod outbox;
pub mod upload;

pub use outbox::{Item, Outbox, OutboxError, State};
pub use upload::{Progress, Receipt, SyncError, Uploader};
