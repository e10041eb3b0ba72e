//! SQLite's WAL copied back into the database file on a thread of its own.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so one ingest
//! in six paid for copying the others' pages and syncing the database file, with the writer's lock
//! held; once the file holds a season those pages land all over it. Here the writer only says it
//! committed, and this thread checkpoints (`PASSIVE`: it never blocks the writer or the readers)
//! at most every [`INTERVAL`]. The writer keeps SQLite's own checkpoint, at a larger threshold,
//! as a backstop should this thread fall behind.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

/// The most often a checkpoint runs: at 100 ingests a second, one per five or so, as many pages
/// as SQLite's default threshold (1,000) would copy at once.
/// Every 500 ms read a quarter fewer pages at 10,000 stored sessions, but at 100,000 the store
/// stage grew from 11 to 15 ms and the ingest fell (BENCHMARKS.md, eighth stop).
const INTERVAL: Duration = Duration::from_millis(50);

/// WAL pages past which the writer checkpoints itself, in case this thread does not keep up.
pub(super) const BACKSTOP_PAGES: i64 = 10_000;

#[derive(Default)]
struct State {
    committed: bool,
    closing: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(super) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread, with its own connection to the database at `path` (`configure` sets it
    /// up as the store's other connections are).
    pub(super) fn start(
        path: &Path,
        configure: fn(&Connection) -> Result<(), crate::error::StoreError>,
    ) -> Result<Self, crate::error::StoreError> {
        let conn = Connection::open(path)?;
        configure(&conn)?;
        let shared = Arc::new(Shared::default());
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("sqlite-checkpoint".into())
                .spawn(move || run(&conn, &shared))
                .map_err(|e| crate::error::StoreError::Backend(format!("checkpoint thread: {e}")))?
        };
        Ok(Checkpointer {
            shared,
            thread: Some(thread),
        })
    }

    /// A transaction was committed: its pages are in the WAL.
    pub(super) fn committed(&self) {
        self.shared.lock().committed = true;
        self.shared.wake.notify_one();
    }
}

fn run(conn: &Connection, shared: &Shared) {
    loop {
        {
            let mut state = shared.lock();
            while !state.committed && !state.closing {
                state = shared.wake.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            if state.closing {
                return;
            }
            state.committed = false;
        }
        // A failed checkpoint leaves the pages in the WAL, where readers still find them; the
        // next commit tries again, and the writer's backstop bounds the WAL meanwhile.
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "SQLite checkpoint failed");
        }
        let state = shared.lock();
        if state.closing {
            return;
        }
        drop(
            shared
                .wake
                .wait_timeout_while(state, INTERVAL, |s| !s.closing)
                .unwrap_or_else(|p| p.into_inner()),
        );
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
