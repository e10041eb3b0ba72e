//! The byte layout of a bundle file (docs/bundle-format.md §2): a fixed preamble, then
//! length-prefixed sections. Parsing checks layout only, nothing about meaning or signatures;
//! it is public so that tools (and the tests) can take a bundle apart and put it back together
//! byte for byte.
//!
//! Every length is checked against its bound and against the bytes actually present before
//! anything is copied, so a hostile length never makes us allocate.

use std::collections::HashSet;

use certroom_core::Hash;
use certroom_journal::record::MAX_ID_LEN;
use certroom_journal::ChainBytes;

use crate::fault::BundleFault;
use crate::limits::{
    MAX_HEADER_BYTES, MAX_HEAD_BYTES, MAX_JOURNAL_SECTION_BYTES, MAX_MANIFEST_BYTES, MAX_RECORDS,
    MAX_RECORD_BYTES, MAX_SECTIONS,
};

pub const MAGIC: &[u8; 8] = b"CRBUNDLE";
pub const CONTAINER_VERSION: u16 = 1;
pub const PREAMBLE_LEN: usize = 16;
pub const SECTION_HEADER_LEN: usize = 8;
pub const KIND_MANIFEST: u8 = 1;
pub const KIND_SIGNATURE: u8 = 2;
pub const KIND_JOURNAL: u8 = 3;
/// Console public key (32) then the Ed25519 signature (64).
pub const SIGNATURE_SECTION_LEN: u32 = 96;

/// A signed head as stored: the canonical body the station signed, and its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadBytes {
    /// `SignedHead::signed_body()`: canonical JSON, what `heads.body` stores.
    pub body: Vec<u8>,
    pub signature: [u8; 64],
}

/// One candidate's journal section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalSection {
    pub test_id: String,
    pub chain: ChainBytes,
    pub head: Option<HeadBytes>,
}

/// A bundle split into its sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// Exactly the bytes the console signed.
    pub manifest: Vec<u8>,
    pub console_key: [u8; 32],
    pub signature: [u8; 64],
    pub journals: Vec<JournalSection>,
}

fn too_large(what: &'static str, offset: usize, len: u64, max: u64) -> BundleFault {
    BundleFault::TooLarge {
        what,
        offset: offset as u64,
        len,
        max,
    }
}

fn len_u32(what: &'static str, len: usize, max: u32) -> Result<u32, BundleFault> {
    u32::try_from(len)
        .ok()
        .filter(|l| *l <= max)
        .ok_or_else(|| too_large(what, 0, len as u64, u64::from(max)))
}

impl JournalSection {
    /// The section payload, exactly as it is hashed into the manifest.
    pub fn to_bytes(&self) -> Result<Vec<u8>, BundleFault> {
        let id = self.test_id.as_bytes();
        if id.is_empty() || id.len() > MAX_ID_LEN || self.test_id.chars().any(char::is_control) {
            return Err(BundleFault::JournalSection {
                index: 0,
                offset: 0,
                test_id: Some(self.test_id.clone()),
                detail: "test id is not 1 to 128 bytes of text",
            });
        }
        let size = 2
            + id.len()
            + 4
            + self.chain.header.len()
            + 4
            + self.chain.bodies.iter().map(|b| 4 + b.len()).sum::<usize>()
            + 1
            + self.head.as_ref().map_or(0, |h| 2 + h.body.len() + 64);
        len_u32("journal section", size, MAX_JOURNAL_SECTION_BYTES)?;
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(&(id.len() as u16).to_be_bytes());
        out.extend_from_slice(id);
        let header = len_u32("journal header", self.chain.header.len(), MAX_HEADER_BYTES)?;
        out.extend_from_slice(&header.to_be_bytes());
        out.extend_from_slice(&self.chain.header);
        let count = len_u32("record count", self.chain.bodies.len(), MAX_RECORDS)?;
        out.extend_from_slice(&count.to_be_bytes());
        for body in &self.chain.bodies {
            let len = len_u32("record", body.len(), MAX_RECORD_BYTES)?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(body);
        }
        match &self.head {
            None => out.push(0),
            Some(h) => {
                let len = len_u32("signed head", h.body.len(), u32::from(MAX_HEAD_BYTES))?;
                out.push(1);
                out.extend_from_slice(&(len as u16).to_be_bytes());
                out.extend_from_slice(&h.body);
                out.extend_from_slice(&h.signature);
            }
        }
        Ok(out)
    }

    /// SHA-256 of [`Self::to_bytes`]: the `journal_sha256` the manifest carries.
    pub fn sha256(&self) -> Result<Hash, BundleFault> {
        self.to_bytes().map(|b| Hash::of(&[&b]))
    }

    fn parse(payload: &[u8], index: u32, base: usize) -> Result<Self, BundleFault> {
        let mut r = Reader {
            buf: payload,
            pos: 0,
        };
        let mut test_id: Option<String> = None;
        let fault = |r: &Reader, test_id: &Option<String>, detail| BundleFault::JournalSection {
            index,
            offset: (base + r.pos) as u64,
            test_id: test_id.clone(),
            detail,
        };
        let past_end = "a length runs past the end of the section";

        let id_len = r.u16().ok_or_else(|| fault(&r, &test_id, past_end))?;
        if id_len == 0 || usize::from(id_len) > MAX_ID_LEN {
            return Err(fault(&r, &test_id, "test id length is not 1 to 128"));
        }
        let id = r
            .take(usize::from(id_len))
            .ok_or_else(|| fault(&r, &test_id, past_end))?;
        let id = std::str::from_utf8(id)
            .ok()
            .filter(|s| !s.chars().any(char::is_control))
            .ok_or_else(|| fault(&r, &test_id, "test id is not text"))?;
        test_id = Some(id.to_owned());

        let header_len = r.u32().ok_or_else(|| fault(&r, &test_id, past_end))?;
        if header_len == 0 || header_len > MAX_HEADER_BYTES {
            return Err(fault(&r, &test_id, "header length out of bounds"));
        }
        let header = r
            .take(header_len as usize)
            .ok_or_else(|| fault(&r, &test_id, past_end))?
            .to_vec();

        let count = r.u32().ok_or_else(|| fault(&r, &test_id, past_end))?;
        if count > MAX_RECORDS {
            return Err(fault(&r, &test_id, "record count out of bounds"));
        }
        // A record takes at least 5 bytes, so the bytes present bound the capacity too.
        let mut bodies = Vec::with_capacity((count as usize).min(r.remaining() / 5));
        for _ in 0..count {
            let len = r.u32().ok_or_else(|| fault(&r, &test_id, past_end))?;
            if len == 0 || len > MAX_RECORD_BYTES {
                return Err(fault(&r, &test_id, "record length out of bounds"));
            }
            let body = r
                .take(len as usize)
                .ok_or_else(|| fault(&r, &test_id, past_end))?;
            bodies.push(body.to_vec());
        }

        let head = match r.u8() {
            Some(0) => None,
            Some(1) => {
                let len = r.u16().ok_or_else(|| fault(&r, &test_id, past_end))?;
                if len == 0 || len > MAX_HEAD_BYTES {
                    return Err(fault(&r, &test_id, "signed head length out of bounds"));
                }
                let body = r
                    .take(usize::from(len))
                    .ok_or_else(|| fault(&r, &test_id, past_end))?
                    .to_vec();
                let signature: [u8; 64] = r
                    .take(64)
                    .and_then(|s| s.try_into().ok())
                    .ok_or_else(|| fault(&r, &test_id, past_end))?;
                Some(HeadBytes { body, signature })
            }
            Some(_) => return Err(fault(&r, &test_id, "signed head flag is neither 0 nor 1")),
            None => return Err(fault(&r, &test_id, past_end)),
        };
        if r.remaining() != 0 {
            return Err(fault(&r, &test_id, "bytes after the end of the journal"));
        }
        Ok(JournalSection {
            test_id: id.to_owned(),
            chain: ChainBytes { header, bodies },
            head,
        })
    }
}

impl Container {
    /// Splits a bundle into its sections, checking the layout only.
    pub fn parse(bytes: &[u8]) -> Result<Self, BundleFault> {
        parse(bytes).map(|(c, _)| c)
    }

    /// The console key that signed the file, read from its first two sections only: what an
    /// ingest needs to know before it decides the full check is worth running. Nothing past
    /// the signature is read, so this says nothing of the journals.
    pub fn console_key(bytes: &[u8]) -> Result<[u8; 32], BundleFault> {
        preamble(bytes)?;
        let (_, manifest_start, manifest_len) = section(bytes, PREAMBLE_LEN, 0)?;
        let (_, start, _) = section(bytes, manifest_start + manifest_len, 1)?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes[start..start + 32]);
        Ok(key)
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, BundleFault> {
        let manifest = len_u32("manifest", self.manifest.len(), MAX_MANIFEST_BYTES)?;
        let count = u32::try_from(self.journals.len())
            .ok()
            .and_then(|n| n.checked_add(2))
            .filter(|n| *n <= MAX_SECTIONS)
            .ok_or_else(|| {
                too_large(
                    "section count",
                    12,
                    self.journals.len() as u64 + 2,
                    u64::from(MAX_SECTIONS),
                )
            })?;
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&CONTAINER_VERSION.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&count.to_be_bytes());
        push_section(&mut out, KIND_MANIFEST, manifest, &self.manifest);
        let mut sig = Vec::with_capacity(SIGNATURE_SECTION_LEN as usize);
        sig.extend_from_slice(&self.console_key);
        sig.extend_from_slice(&self.signature);
        push_section(&mut out, KIND_SIGNATURE, SIGNATURE_SECTION_LEN, &sig);
        for j in &self.journals {
            let payload = j.to_bytes()?;
            // to_bytes already bounded the payload by MAX_JOURNAL_SECTION_BYTES.
            push_section(&mut out, KIND_JOURNAL, payload.len() as u32, &payload);
        }
        Ok(out)
    }
}

fn push_section(out: &mut Vec<u8>, kind: u8, len: u32, payload: &[u8]) {
    out.push(kind);
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
}

/// Splits the file and returns, with the sections, the SHA-256 of each journal payload as it
/// stands in the file (hashed once here, compared with the manifest later).
pub(crate) fn parse(bytes: &[u8]) -> Result<(Container, Vec<Hash>), BundleFault> {
    let count = preamble(bytes)?;
    let mut pos = PREAMBLE_LEN;
    let mut manifest: Option<Vec<u8>> = None;
    let mut signed: Option<([u8; 32], [u8; 64])> = None;
    let mut journals = Vec::new();
    let mut hashes = Vec::new();
    let mut seen_tests: HashSet<String> = HashSet::new();
    for i in 0..count {
        let (kind, start, len) = section(bytes, pos, i)?;
        let payload = &bytes[start..start + len];
        match kind {
            KIND_MANIFEST => manifest = Some(payload.to_vec()),
            KIND_SIGNATURE => {
                let mut key = [0u8; 32];
                let mut sig = [0u8; 64];
                key.copy_from_slice(&payload[..32]);
                sig.copy_from_slice(&payload[32..]);
                signed = Some((key, sig));
            }
            _ => {
                let section = JournalSection::parse(payload, i - 2, start)?;
                if !seen_tests.insert(section.test_id.clone()) {
                    return Err(BundleFault::DuplicateSection {
                        offset: pos as u64,
                        what: format!("journal {}", section.test_id),
                    });
                }
                hashes.push(Hash::of(&[payload]));
                journals.push(section);
            }
        }
        pos = start + len;
    }
    if pos != bytes.len() {
        return Err(BundleFault::TrailingBytes {
            offset: pos as u64,
            extra: (bytes.len() - pos) as u64,
        });
    }
    match (manifest, signed) {
        (Some(manifest), Some((console_key, signature))) => Ok((
            Container {
                manifest,
                console_key,
                signature,
                journals,
            },
            hashes,
        )),
        // count >= 2 and the first two kinds were checked, so both are present.
        _ => Err(BundleFault::Framing {
            offset: PREAMBLE_LEN as u64,
            detail: "manifest or signature missing",
        }),
    }
}

/// Checks the fixed preamble and returns the section count it announces.
fn preamble(bytes: &[u8]) -> Result<u32, BundleFault> {
    if bytes.is_empty() {
        return Err(BundleFault::NotABundle);
    }
    let shown = bytes.len().min(MAGIC.len());
    if bytes[..shown] != MAGIC[..shown] {
        return Err(BundleFault::NotABundle);
    }
    if bytes.len() < PREAMBLE_LEN {
        return Err(BundleFault::Truncated {
            offset: 0,
            needed: PREAMBLE_LEN as u64,
            available: bytes.len() as u64,
        });
    }
    let version = u16::from_be_bytes([bytes[8], bytes[9]]);
    if version != CONTAINER_VERSION {
        return Err(BundleFault::UnsupportedVersion { found: version });
    }
    if bytes[10] != 0 || bytes[11] != 0 {
        return Err(BundleFault::Framing {
            offset: 10,
            detail: "reserved bytes are not zero",
        });
    }
    let count = u32::from_be_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    if count > MAX_SECTIONS {
        return Err(too_large(
            "section count",
            12,
            u64::from(count),
            u64::from(MAX_SECTIONS),
        ));
    }
    if count < 2 {
        return Err(BundleFault::Framing {
            offset: 12,
            detail: "fewer than two sections (manifest and signature)",
        });
    }
    Ok(count)
}

/// Reads the header of section number `i` at `pos` and checks its kind, its place and its
/// length against the bytes present: returns the kind and where its payload lies.
fn section(bytes: &[u8], pos: usize, i: u32) -> Result<(u8, usize, usize), BundleFault> {
    let at = pos;
    let available = bytes.len() - pos;
    if available < SECTION_HEADER_LEN {
        return Err(BundleFault::Truncated {
            offset: at as u64,
            needed: SECTION_HEADER_LEN as u64,
            available: available as u64,
        });
    }
    let kind = bytes[pos];
    if bytes[pos + 1..pos + 4] != [0, 0, 0] {
        return Err(BundleFault::Framing {
            offset: (pos + 1) as u64,
            detail: "reserved bytes are not zero",
        });
    }
    let len = u32::from_be_bytes([
        bytes[pos + 4],
        bytes[pos + 5],
        bytes[pos + 6],
        bytes[pos + 7],
    ]);
    let framing = |detail| BundleFault::Framing {
        offset: at as u64,
        detail,
    };
    let duplicate = |what: &str| BundleFault::DuplicateSection {
        offset: at as u64,
        what: what.to_owned(),
    };
    // Kind and place first: the length bound depends on the kind.
    match (i, kind) {
        (0, KIND_MANIFEST) | (1, KIND_SIGNATURE) => {}
        (_, KIND_MANIFEST) => return Err(duplicate("manifest")),
        (0, _) => return Err(framing("the first section is not the manifest")),
        (_, KIND_SIGNATURE) => return Err(duplicate("signature")),
        (1, _) => return Err(framing("the second section is not the signature")),
        (_, KIND_JOURNAL) => {}
        _ => return Err(framing("unknown section kind")),
    }
    let max = match kind {
        KIND_MANIFEST => MAX_MANIFEST_BYTES,
        KIND_SIGNATURE => SIGNATURE_SECTION_LEN,
        _ => MAX_JOURNAL_SECTION_BYTES,
    };
    if len > max {
        return Err(too_large(
            "section length",
            at + 4,
            u64::from(len),
            u64::from(max),
        ));
    }
    if kind == KIND_SIGNATURE && len != SIGNATURE_SECTION_LEN {
        return Err(framing("the signature section is not 96 bytes"));
    }
    let start = pos + SECTION_HEADER_LEN;
    let len = len as usize;
    if bytes.len() - start < len {
        return Err(BundleFault::Truncated {
            offset: start as u64,
            needed: len as u64,
            available: (bytes.len() - start) as u64,
        });
    }
    Ok((kind, start, len))
}

/// A cursor that never reads past its slice: every read returns `None` instead.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.remaining() < n {
            return None;
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Some(s)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}
