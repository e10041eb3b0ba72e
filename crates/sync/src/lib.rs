//! `certroom-sync`: the console's outbox of signed result bundles ([`outbox`]) and their upload to
//! the certification service ([`upload`]): kept across restarts in SQLite, retried with backoff
//! and jitter, exactly once thanks to the service's idempotent ingest, receipt stored; and the
//! office's download of the centre's signed results file ([`results`]).

pub mod outbox;
pub mod results;
pub mod upload;

pub use certroom_protocol::Receipt;
pub use outbox::{Item, Outbox, OutboxError, State};
pub use results::{declare_stations, fetch_key_set, fetch_results, fetch_server_key, FetchError};
pub use upload::{Progress, SyncError, Uploader};
