//! A bundle on its way in: received into a temporary file, never whole in memory while it
//! trickles in, with a cap on uploads being received at once (an excess gets 503 and
//! `Retry-After`); then checked at most two per core at a time, each read back from its file
//! only when its turn comes. A client sending 1 kB/s holds a connection and a small buffer, no worker.

use std::io::{Read, Seek, Write};
use std::time::Duration;

use axum::body::Body;
use futures_util::StreamExt;
use tokio::sync::Semaphore;

use crate::error::{ApiError, Rejection};

/// Uploads being received at once.
pub const MAX_RECEIVING: usize = 256;
/// The longest an upload may take to arrive: a lab's bundle of a few MiB takes seconds.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(120);

pub struct Uploads {
    receiving: Semaphore,
    checking: Semaphore,
}

impl Default for Uploads {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Uploads {
            receiving: Semaphore::new(MAX_RECEIVING),
            // Twice the cores: while one upload waits on the database another uses the CPU.
            checking: Semaphore::new(2 * cores),
        }
    }
}

fn busy() -> ApiError {
    ApiError::new(
        503,
        "upload.busy",
        "Le service reçoit trop de lots à la fois : la console réessaiera d'elle-même.",
        "The service is receiving too many bundles at once: the console will retry by itself.",
    )
}

fn unreadable(why: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(
        "http.body",
        format!("Corps de requête illisible : {why}"),
        format!("Unreadable request body: {why}"),
    )
}

impl Uploads {
    /// Receives `body` (at most `max` bytes, within [`BODY_TIMEOUT`]), waits for a checking
    /// turn, and hands the bytes to `ingest`.
    pub async fn receive<T>(
        &self,
        body: Body,
        max: usize,
        ingest: impl AsyncFnOnce(Vec<u8>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let _receiving = self.receiving.try_acquire().map_err(|_| busy())?;
        let mut file = tokio::time::timeout(BODY_TIMEOUT, spool(body, max))
            .await
            .map_err(|_| {
                ApiError::new(
                    408,
                    "upload.timeout",
                    "Le lot est arrivé trop lentement : envoi interrompu.",
                    "The bundle arrived too slowly: upload stopped.",
                )
            })??;
        let _turn = self
            .checking
            .acquire()
            .await
            .map_err(|_| ApiError::internal("upload queue closed"))?;
        let bytes = tokio::task::spawn_blocking(move || {
            let mut bytes = Vec::new();
            file.rewind()?;
            file.read_to_end(&mut bytes)?;
            Ok::<_, std::io::Error>(bytes)
        })
        .await
        .map_err(|e| ApiError::internal(format!("upload task: {e}")))?
        .map_err(|e| ApiError::internal(format!("upload file: {e}")))?;
        ingest(bytes).await
    }
}

/// Writes the body to an anonymous temporary file, refusing it past `max` bytes.
async fn spool(body: Body, max: usize) -> Result<std::fs::File, ApiError> {
    let mut file = tempfile::tempfile().map_err(|e| ApiError::internal(format!("spool: {e}")))?;
    let mut stream = body.into_data_stream();
    let mut len = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(unreadable)?;
        len += chunk.len();
        if len > max {
            return Err(Rejection::TooLarge { max: max as u64 }.into());
        }
        // Chunks are small (tens of kB): a blocking write of one is shorter than a context
        // switch to a blocking thread.
        file.write_all(&chunk)
            .map_err(|e| ApiError::internal(format!("spool: {e}")))?;
    }
    Ok(file)
}
