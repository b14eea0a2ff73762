//! Malformed DNS queries for the hostile-flood bench (`benches/flood_mix.sh`, through
//! `examples/flood_mix_sender.rs`) and its bounded test (`tests/flood_mix.rs`): truncated
//! packets, compression pointer loops, counts that promise more than the packet holds,
//! responses (QR=1) and unassigned opcodes, in turn.
//!
//! The kind of each packet is in its ID (high 4 bits), so that the sender can tell which
//! kind a reply answers: a reply to a QR=1 packet must never come (a server answering
//! responses can be made to talk to another server forever).

#![allow(dead_code)] // each includer uses part of it

/// The kinds, in the order the sender cycles through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A query cut inside its header or question.
    Truncated,
    /// A question name that points at itself.
    PointerLoop,
    /// QDCOUNT, ANCOUNT and ARCOUNT beyond the data.
    BogusCounts,
    /// A well-formed message with QR=1: a response, never to be answered.
    Response,
    /// Opcodes 3 and 6 to 15 (unassigned).
    OddOpcode,
}

/// Every kind.
pub const KINDS: [Kind; 5] = [
    Kind::Truncated,
    Kind::PointerLoop,
    Kind::BogusCounts,
    Kind::Response,
    Kind::OddOpcode,
];

impl Kind {
    /// The kind of the `n`-th malformed packet.
    pub fn nth(n: u64) -> Self {
        KINDS[(n % KINDS.len() as u64) as usize]
    }

    /// The kind a reply's ID says it answers.
    pub fn of_id(id: u16) -> Option<Self> {
        KINDS.get(usize::from(id >> 12)).copied()
    }

    /// Index in [`KINDS`].
    pub fn index(self) -> usize {
        KINDS.iter().position(|&k| k == self).unwrap_or(0)
    }

    /// Name for the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Truncated => "truncated",
            Self::PointerLoop => "pointer_loop",
            Self::BogusCounts => "bogus_counts",
            Self::Response => "qr1",
            Self::OddOpcode => "odd_opcode",
        }
    }
}

/// Writes the `n`-th malformed packet (of kind [`Kind::nth`]) into `out`.
pub fn packet(n: u64, out: &mut Vec<u8>) {
    let kind = Kind::nth(n);
    let id = ((kind.index() as u16) << 12) | (n as u16 & 0x0fff);
    out.clear();
    out.extend_from_slice(&id.to_be_bytes());
    let question = b"\x03www\x07example\x03com\x00\x00\x01\x00\x01";
    match kind {
        Kind::Truncated => {
            out.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(question);
            // Cut somewhere in the header or the question (at least the ID stays).
            let cut = 2 + (n as usize / KINDS.len()) % (out.len() - 3);
            out.truncate(cut);
        }
        Kind::PointerLoop => {
            out.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
            // "a" then a pointer back to itself (offset 12), or straight to itself.
            if n % 2 == 0 {
                out.extend_from_slice(b"\x01a\xc0\x0c\x00\x01\x00\x01");
            } else {
                out.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01");
            }
        }
        Kind::BogusCounts => {
            out.extend_from_slice(&[0x01, 0x00, 0, 3, 0xff, 0xff, 0, 0, 0x10, 0]);
            out.extend_from_slice(question);
        }
        Kind::Response => {
            // QR=1 AA=1, NOERROR, the question and one answer record.
            out.extend_from_slice(&[0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0]);
            out.extend_from_slice(question);
            out.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 9]);
        }
        Kind::OddOpcode => {
            let opcodes = [3u8, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
            let opcode = opcodes[(n as usize / KINDS.len()) % opcodes.len()];
            out.extend_from_slice(&[(opcode << 3) | 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(question);
        }
    }
}

/// Replies counted per kind, by the ID of each reply.
#[derive(Clone, Debug, Default)]
pub struct Replies {
    /// Count per kind, in [`KINDS`] order.
    pub by_kind: [u64; KINDS.len()],
    /// Replies whose ID names no kind.
    pub unknown: u64,
}

impl Replies {
    /// Counts one reply datagram.
    pub fn count(&mut self, reply: &[u8]) {
        match reply
            .get(..2)
            .and_then(|id| Kind::of_id(u16::from_be_bytes([id[0], id[1]])))
        {
            Some(kind) => self.by_kind[kind.index()] += 1,
            None => self.unknown += 1,
        }
    }

    /// Replies to QR=1 packets (must be 0).
    pub fn to_responses(&self) -> u64 {
        self.by_kind[Kind::Response.index()]
    }
}
