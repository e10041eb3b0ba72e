//! A bundle on its way in, with a cap on uploads being received at once (an excess gets 503 and
//! `Retry-After`); then checked at most two per core at a time. An upload that states its length
//! is received in memory while the uploads held there stay within [`MEMORY_BUDGET`]; any other
//! goes to a temporary file, read back only when its turn comes. So slow clients, however many,
//! hold at most that budget: a client sending 1 kB/s holds a connection and a small buffer, no
//! worker. Memory first because the file cost an ingest a copy into the page cache and one back
//! out, 1 to 8 % of its CPU depending on the disk's load (BENCHMARKS.md, "Evidence compressed").

use std::io::{Read, Seek, Write};
use std::time::Duration;

use axum::body::{Body, HttpBody};
use futures_util::StreamExt;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::{ApiError, Rejection};

/// Uploads being received at once.
pub const MAX_RECEIVING: usize = 256;
/// The longest an upload may take to arrive: a lab's bundle of a few MiB takes seconds.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(120);
/// Bytes of uploads received in memory at once, counted from their stated lengths: a hundred
/// sessions' bundles.
pub const MEMORY_BUDGET: usize = 64 << 20;

/// The memory budget's unit: a semaphore counts at most `u32::MAX` permits at a time.
const KIB: usize = 1024;

pub struct Uploads {
    receiving: Semaphore,
    checking: Semaphore,
    memory: Semaphore,
}

impl Default for Uploads {
    fn default() -> Self {
        Uploads::with_memory(MEMORY_BUDGET)
    }
}

/// Where an upload was received.
enum Spooled<'a> {
    /// Its bytes, and the share of the memory budget they hold until the ingest ends.
    Memory(Vec<u8>, SemaphorePermit<'a>),
    File(std::fs::File),
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
    fn with_memory(budget: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Uploads {
            receiving: Semaphore::new(MAX_RECEIVING),
            // Twice the cores: while one upload waits on the database another uses the CPU.
            checking: Semaphore::new(2 * cores),
            memory: Semaphore::new(budget / KIB),
        }
    }

    /// Receives `body` (at most `max` bytes, within [`BODY_TIMEOUT`]), waits for a checking
    /// turn, and hands the bytes to `ingest`.
    pub async fn receive<T>(
        &self,
        body: Body,
        max: usize,
        ingest: impl AsyncFnOnce(Vec<u8>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let _receiving = self.receiving.try_acquire().map_err(|_| busy())?;
        let stated = body
            .size_hint()
            .exact()
            .and_then(|n| usize::try_from(n).ok());
        if stated.is_some_and(|n| n > max) {
            return Err(Rejection::TooLarge { max: max as u64 }.into());
        }
        let share = stated.and_then(|n| {
            let kib = u32::try_from(n.div_ceil(KIB).max(1)).ok()?;
            self.memory.try_acquire_many(kib).ok()
        });
        let received = async {
            Ok::<_, ApiError>(match share {
                Some(share) => Spooled::Memory(collect(body, max).await?, share),
                None => Spooled::File(spool(body, max).await?),
            })
        };
        let spooled = tokio::time::timeout(BODY_TIMEOUT, received)
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
        let mut file = match spooled {
            Spooled::Memory(bytes, _share) => return ingest(bytes).await,
            Spooled::File(file) => file,
        };
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

/// Hands each chunk of the body to `put`, refusing the body past `max` bytes.
async fn drain(
    body: Body,
    max: usize,
    mut put: impl FnMut(&[u8]) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    let mut stream = body.into_data_stream();
    let mut len = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(unreadable)?;
        len += chunk.len();
        if len > max {
            return Err(Rejection::TooLarge { max: max as u64 }.into());
        }
        put(&chunk)?;
    }
    Ok(())
}

/// Collects the body in memory, refusing it past `max` bytes.
async fn collect(body: Body, max: usize) -> Result<Vec<u8>, ApiError> {
    let mut bytes = Vec::with_capacity(body.size_hint().lower().try_into().unwrap_or(0).min(max));
    drain(body, max, |chunk| {
        bytes.extend_from_slice(chunk);
        Ok(())
    })
    .await?;
    Ok(bytes)
}

/// Writes the body to an anonymous temporary file, refusing it past `max` bytes.
async fn spool(body: Body, max: usize) -> Result<std::fs::File, ApiError> {
    let mut file = tempfile::tempfile().map_err(|e| ApiError::internal(format!("spool: {e}")))?;
    // Chunks are small (tens of kB): a blocking write of one is shorter than a context switch
    // to a blocking thread.
    drain(body, max, |chunk| {
        file.write_all(chunk)
            .map_err(|e| ApiError::internal(format!("spool: {e}")))
    })
    .await?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stated(bytes: &[u8]) -> Body {
        Body::from(bytes.to_vec())
    }

    /// A body whose length is not stated up front, as a chunked upload's.
    fn unstated(bytes: &[u8]) -> Body {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            bytes.chunks(1000).map(|c| Ok(c.to_vec())).collect();
        Body::from_stream(futures_util::stream::iter(chunks))
    }

    /// Receives `body` and says what the ingest got, and how much of the memory budget was held
    /// while it ran.
    async fn receive(uploads: &Uploads, body: Body, max: usize) -> Result<(Vec<u8>, usize), u16> {
        let full = uploads.memory.available_permits();
        let got = uploads
            .receive(body, max, async |bytes| {
                Ok((bytes, (full - uploads.memory.available_permits()) * KIB))
            })
            .await
            .map_err(|e| e.status);
        assert_eq!(
            uploads.memory.available_permits(),
            full,
            "the budget is given back"
        );
        got
    }

    #[tokio::test]
    async fn an_upload_is_held_in_memory_within_the_budget_and_in_a_file_beyond() {
        let bundle: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let roomy = Uploads::with_memory(1 << 20);
        let (bytes, held) = receive(&roomy, stated(&bundle), 20_000).await.unwrap();
        assert_eq!(bytes, bundle);
        assert_eq!(held, 10 * KIB, "its stated length, rounded up to a KiB");
        // Past the budget, or with no length stated, the same bytes come through the file.
        let tight = Uploads::with_memory(8 * KIB);
        for (uploads, body) in [(&tight, stated(&bundle)), (&roomy, unstated(&bundle))] {
            let (bytes, held) = receive(uploads, body, 20_000).await.unwrap();
            assert_eq!(bytes, bundle);
            assert_eq!(held, 0);
        }
    }

    #[tokio::test]
    async fn an_upload_past_the_cap_is_refused_whichever_way_it_comes() {
        let bundle = vec![7u8; 5_000];
        let uploads = Uploads::with_memory(1 << 20);
        for body in [stated(&bundle), unstated(&bundle)] {
            assert_eq!(receive(&uploads, body, 4_999).await.unwrap_err(), 413);
        }
        assert_eq!(
            receive(&uploads, stated(&bundle), 5_000).await.unwrap().0,
            bundle
        );
    }
}
