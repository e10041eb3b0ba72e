//! A copy of one test's chain kept away from the lab PC that writes it: the room hub's copy, the
//! copy another PC resumes from when a PC dies, the copy a bundle carries. It is built from the
//! exact header and record bytes and extended one record at a time, each record checked against
//! the chain before it is accepted, so a copy is never "mostly right".

use crate::chain::{ChainFault, Problem};
use crate::event::Event;
use crate::record::{chain_hash, decode_body, Record, TestHeader};
use certroom_core::hash::Hash;

/// Bytes a mirror is built from: the canonical header and, in order, every record's body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChainBytes {
    pub header: Vec<u8>,
    pub bodies: Vec<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub struct Mirror {
    header: TestHeader,
    header_bytes: Vec<u8>,
    records: Vec<Record>,
    bodies: Vec<Vec<u8>>,
}

impl Mirror {
    pub fn new(header_bytes: Vec<u8>) -> Result<Self, ChainFault> {
        let header = TestHeader::from_bytes(&header_bytes).map_err(|e| ChainFault {
            seq: 0,
            problem: Problem::Header(e),
        })?;
        header.validate().map_err(|e| ChainFault {
            seq: 0,
            problem: Problem::Header(e),
        })?;
        Ok(Mirror {
            header,
            header_bytes,
            records: Vec::new(),
            bodies: Vec::new(),
        })
    }

    /// Room for `records` more records, when the caller holds them already: a bundle's chain is
    /// checked whole, and growing the lists one record at a time moved them several times.
    pub fn reserve(&mut self, records: usize) {
        self.records.reserve(records);
        self.bodies.reserve(records);
    }

    /// Rebuilds a mirror from stored bytes, checking every record.
    pub fn from_bytes(bytes: ChainBytes) -> Result<Self, ChainFault> {
        let mut m = Mirror::new(bytes.header)?;
        m.reserve(bytes.bodies.len());
        for body in bytes.bodies {
            m.extend(body)?;
        }
        Ok(m)
    }

    pub fn header(&self) -> &TestHeader {
        &self.header
    }

    pub fn header_bytes(&self) -> &[u8] {
        &self.header_bytes
    }

    pub fn records(&self) -> &[Record] {
        &self.records
    }

    pub fn bodies(&self) -> &[Vec<u8>] {
        &self.bodies
    }

    pub fn last_seq(&self) -> u64 {
        self.records.last().map_or(0, |r| r.seq)
    }

    pub fn last_hash(&self) -> Hash {
        self.records
            .last()
            .map_or_else(|| TestHeader::genesis(&self.header_bytes), |r| r.hash)
    }

    pub fn ended(&self) -> bool {
        self.records
            .last()
            .is_some_and(|r| matches!(r.event, Event::Ended { .. }))
    }

    /// Appends the next record's exact bytes after checking that they follow the chain.
    pub fn extend(&mut self, body: Vec<u8>) -> Result<&Record, ChainFault> {
        let expected = self.last_seq() + 1;
        let fault = |problem| ChainFault {
            seq: expected,
            problem,
        };
        if self.ended() {
            return Err(fault(Problem::AfterEnd));
        }
        let decoded = decode_body(&body).map_err(|e| fault(Problem::Unreadable(e)))?;
        if decoded.test != self.header.test_id {
            return Err(fault(Problem::RowBytesMismatch("test_id")));
        }
        if decoded.seq != expected {
            let problem = if decoded.seq < expected {
                Problem::Reordered {
                    expected,
                    found: decoded.seq,
                }
            } else {
                Problem::SequenceGap {
                    expected,
                    found: decoded.seq,
                }
            };
            return Err(fault(problem));
        }
        if decoded.kind != decoded.event.kind() {
            return Err(fault(Problem::RowBytesMismatch("kind")));
        }
        let prev_mono = self.records.last().map_or(0, |r| r.mono_ms);
        if decoded.mono_ms < prev_mono {
            return Err(fault(Problem::ClockWentBack));
        }
        let prev_hash = self.last_hash();
        let hash = chain_hash(&prev_hash, &body);
        self.records.push(Record {
            test_id: decoded.test,
            seq: decoded.seq,
            ts: decoded.ts,
            mono_ms: decoded.mono_ms,
            event: decoded.event,
            prev_hash,
            hash,
        });
        self.bodies.push(body);
        Ok(self.records.last().expect("just pushed"))
    }

    pub fn to_bytes(&self) -> ChainBytes {
        ChainBytes {
            header: self.header_bytes.clone(),
            bodies: self.bodies.clone(),
        }
    }
}
