//! A bundle's bytes as the store keeps them: the evidence a rescoring replays, compressed.
//!
//! A session's bundle is about 460 KB of journals that compress 8 to 9 times. Written as is,
//! SQLite copied each bundle twice (into the WAL, then into the database) and that took a sixth
//! of an ingest's CPU; compressed, the copies shrink with the bytes, and compression costs less
//! than they saved (BENCHMARKS.md, "Evidence compressed"). The stored encoding sits next to the
//! bytes, so rows written before it (`raw`) read as they always did.

use crate::error::StoreError;

/// How the stored bytes are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The bundle's bytes as received (and a purged bundle's empty bytes).
    Raw,
    /// One Zstandard frame that states its content size.
    Zstd,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Raw => "raw",
            Encoding::Zstd => "zstd",
        }
    }

    pub fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "raw" => Ok(Encoding::Raw),
            "zstd" => Ok(Encoding::Zstd),
            other => Err(StoreError::Corrupt(format!(
                "unknown bundle bytes encoding {other:?}"
            ))),
        }
    }
}

/// The fastest level: the ingest runs it once per bundle, on its CPU budget, and the next
/// levels buy a few percent of size for twice the time.
const LEVEL: i32 = 1;

/// The largest bundle a stored frame may claim to hold: far above any bundle the service takes,
/// and low enough that a damaged or forged row cannot make a rescoring allocate without bound.
const UNPACK_LIMIT: u64 = 1 << 30;

/// A bundle's bytes ready for the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub encoding: Encoding,
    pub stored: Vec<u8>,
}

impl Evidence {
    /// Compresses `bytes`; keeps them as they are if compression fails, since losing nothing
    /// matters more than the space.
    pub fn pack(bytes: Vec<u8>) -> Self {
        match zstd::bulk::compress(&bytes, LEVEL) {
            Ok(stored) => Evidence {
                encoding: Encoding::Zstd,
                stored,
            },
            Err(e) => {
                tracing::warn!(error = %e, "bundle kept uncompressed");
                Evidence {
                    encoding: Encoding::Raw,
                    stored: bytes,
                }
            }
        }
    }

    /// The bundle's bytes from a store's row: its `bytes_encoding` and its `bytes`.
    pub fn read(encoding: &str, stored: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let encoding = Encoding::parse(encoding)?;
        Evidence { encoding, stored }.unpack()
    }

    /// The bundle's bytes, exactly as received.
    pub fn unpack(self) -> Result<Vec<u8>, StoreError> {
        match self.encoding {
            Encoding::Raw => Ok(self.stored),
            Encoding::Zstd => {
                let corrupt = |why: String| StoreError::Corrupt(format!("bundle bytes: {why}"));
                let size = zstd::zstd_safe::get_frame_content_size(&self.stored)
                    .map_err(|_| corrupt("not a Zstandard frame".into()))?
                    .ok_or_else(|| corrupt("the frame does not state its size".into()))?;
                if size > UNPACK_LIMIT {
                    return Err(corrupt(format!("the frame claims {size} bytes")));
                }
                let bytes = zstd::bulk::decompress(&self.stored, size as usize)
                    .map_err(|e| corrupt(e.to_string()))?;
                if bytes.len() as u64 != size {
                    return Err(corrupt(format!(
                        "{} bytes instead of the {size} the frame states",
                        bytes.len()
                    )));
                }
                Ok(bytes)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal_like(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| {
                format!(
                    "{{\"seq\":{i},\"kind\":\"answer\",\"item\":\"Q{}\"}}\n",
                    i % 37
                )
            })
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn packed_bytes_come_back_exactly_and_smaller() {
        for bytes in [Vec::new(), b"CRBUNDLE".to_vec(), journal_like(5_000)] {
            let packed = Evidence::pack(bytes.clone());
            assert_eq!(packed.encoding, Encoding::Zstd);
            if bytes.len() > 1_000 {
                assert!(
                    packed.stored.len() * 4 < bytes.len(),
                    "{}",
                    packed.stored.len()
                );
            }
            assert_eq!(packed.unpack().unwrap(), bytes);
        }
    }

    #[test]
    fn raw_rows_read_as_stored() {
        let raw = Evidence {
            encoding: Encoding::Raw,
            stored: b"CRBUNDLE raw".to_vec(),
        };
        assert_eq!(raw.unpack().unwrap(), b"CRBUNDLE raw");
    }

    #[test]
    fn damaged_frames_are_refused_not_trusted() {
        let good = Evidence::pack(journal_like(2_000)).stored;
        let cases = [
            (b"CRBUNDLE".to_vec(), "not a Zstandard frame"),
            (good[..good.len() / 2].to_vec(), "bundle bytes"),
            (
                {
                    // The same frame without its stated size.
                    let mut enc = zstd::bulk::Compressor::new(1).unwrap();
                    enc.include_contentsize(false).unwrap();
                    enc.compress(b"abc").unwrap()
                },
                "does not state its size",
            ),
        ];
        for (stored, why) in cases {
            let e = Evidence {
                encoding: Encoding::Zstd,
                stored,
            }
            .unpack()
            .unwrap_err();
            assert!(
                matches!(&e, StoreError::Corrupt(m) if m.contains(why)),
                "{e}"
            );
        }
        assert!(Encoding::parse("gzip").is_err());
        for e in [Encoding::Raw, Encoding::Zstd] {
            assert_eq!(Encoding::parse(e.as_str()).unwrap(), e);
        }
    }
}
