//! `certroom-console`: the invigilator's console and the centre's set-up, without a window.
//!
//! Every use case the console window offers is a method of [`Console`]: the centre's set-up and
//! the administrator's sign-in ([`centre`]), sessions, candidates and their files
//! ([`sessions`]), hosting the live room ([`hosting`]: the hub, its pushes, the invigilator's
//! commands, the session report, the signed bundle) and sending the bundle to the certification
//! service ([`outbox`]). The desktop shell's commands are a conversion and one call; the
//! headless CLI and the tests call the same methods. The console owns its async runtime, so the
//! hub's connections and the background sender run whoever calls.

pub mod centre;
mod error;
pub mod hosting;
pub mod lab;
pub mod lifecycle;
pub mod outbox;
pub mod sessions;
pub mod standby;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use certroom_centre::store::ConsoleStore;
use certroom_durable::{write_atomically, Access};

pub use centre::CentreView;
pub use error::ConsoleError;
pub use hosting::{Pushes, RoomInfo};
pub use lab::{LabStation, LAB_DIR};
pub use lifecycle::SessionStage;
pub use outbox::{OutboxStatus, ServiceLink};
pub use sessions::{CandidateView, SessionView};
pub use standby::{Restored, StandbyStatus};

/// The console's database, in its data folder.
pub const CONSOLE_DB: &str = "console.db";
/// Where everything the console writes for people goes (PDFs, exports, bundles).
pub const EXPORTS_DIR: &str = "exports";

/// One console: its data folder, its database, the room it hosts and its outbox.
pub struct Console {
    data: PathBuf,
    /// The centre's database (`data/console.db` unless the command line said otherwise).
    db: PathBuf,
    store: Mutex<ConsoleStore>,
    /// Set by a successful administrator sign-in (or the centre's set-up) in this process.
    signed_in: AtomicBool,
    hosted: Mutex<Option<hosting::HostedRoom>>,
    sender: outbox::Sender,
    /// `Some` until dropped: see `Drop`.
    runtime: Option<tokio::runtime::Runtime>,
}

impl Console {
    /// Opens the console kept in `data` (made if absent) and starts its background sender.
    pub fn open(data: &Path) -> Result<Self, ConsoleError> {
        Self::open_with_database(data, &data.join(CONSOLE_DB))
    }

    /// Like [`Console::open`], with the centre's database at `db` (the command line's `--db`).
    pub fn open_with_database(data: &Path, db: &Path) -> Result<Self, ConsoleError> {
        for dir in [Some(data), db.parent()].into_iter().flatten() {
            std::fs::create_dir_all(dir)
                .map_err(|e| ConsoleError::internal(&dir.display().to_string(), e))?;
        }
        let store = ConsoleStore::open(db).map_err(|e| ConsoleError::internal("console db", e))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("console")
            .enable_all()
            .build()
            .map_err(|e| ConsoleError::internal("runtime", e))?;
        let sender = outbox::Sender::open(data)?;
        sender.start(&runtime, data.to_owned());
        let console = Console {
            data: data.to_owned(),
            db: db.to_owned(),
            store: Mutex::new(store),
            signed_in: AtomicBool::new(false),
            hosted: Mutex::new(None),
            sender,
            runtime: Some(runtime),
        };
        console.forget_old_rooms();
        Ok(console)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// The command line acts for whoever runs it on this PC: they can read the database file
    /// itself, so the administrator's password would protect nothing there.
    pub fn trust_local_operator(&self) {
        self.set_signed_in(true);
    }

    pub fn is_signed_in(&self) -> bool {
        self.signed_in.load(Ordering::SeqCst)
    }

    fn set_signed_in(&self, yes: bool) {
        self.signed_in.store(yes, Ordering::SeqCst);
    }

    fn signed_in(&self) -> Result<(), ConsoleError> {
        if self.is_signed_in() {
            Ok(())
        } else {
            Err(ConsoleError::signed_out())
        }
    }

    fn store(&self) -> Result<MutexGuard<'_, ConsoleStore>, ConsoleError> {
        self.store
            .lock()
            .map_err(|_| ConsoleError::internal("console db", "lock poisoned"))
    }

    /// The database, for a signed-in administrator only.
    fn signed_in_store(&self) -> Result<MutexGuard<'_, ConsoleStore>, ConsoleError> {
        self.signed_in()?;
        self.store()
    }

    fn hosted(&self) -> Result<MutexGuard<'_, Option<hosting::HostedRoom>>, ConsoleError> {
        self.hosted
            .lock()
            .map_err(|_| ConsoleError::internal("room", "lock poisoned"))
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        // Only `drop` takes it.
        self.runtime
            .as_ref()
            .expect("the console's runtime lives as long as the console")
    }

    /// Runs `task` on the console's runtime and waits for it from whatever runtime calls.
    async fn spawn<T: Send + 'static>(
        &self,
        task: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, ConsoleError> {
        self.runtime()
            .spawn(task)
            .await
            .map_err(|e| ConsoleError::internal("console task", e))
    }

    /// Writes a file for people in the exports folder, whole or not at all; returns its path.
    pub fn write_export(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, ConsoleError> {
        let dir = self.data.join(EXPORTS_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| ConsoleError::internal("exports", e))?;
        let path = dir.join(name);
        write_atomically(&path, bytes, Access::Shared)
            .map_err(|e| ConsoleError::internal("exports", e))?;
        Ok(path)
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        // A runtime may not be dropped inside another one (a test's, the window's): let its
        // tasks go without waiting.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
