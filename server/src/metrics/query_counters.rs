//! Query-path counters: queries by transport, QTYPE and RCODE, responses by size, truncated
//! answers, dropped packets.
//!
//! The query path takes no lock and allocates nothing here: each thread counts into its own
//! shard (picked once per thread, a cache-line-aligned block of atomics written with relaxed
//! adds), and a scrape sums the shards. UDP workers are threads of their own, so each has a
//! shard to itself; tokio's TCP workers share the remaining ones.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use crate::answer::Transport;

/// Shards: more than the threads that answer queries on a small host, so that each UDP worker
/// writes to a cache line no other thread touches.
const SHARDS: usize = 32;

/// The QTYPEs counted by name; every other type is counted as `OTHER`.
pub const QTYPES: [(u16, &str); 26] = [
    (1, "A"),
    (2, "NS"),
    (5, "CNAME"),
    (6, "SOA"),
    (12, "PTR"),
    (15, "MX"),
    (16, "TXT"),
    (28, "AAAA"),
    (33, "SRV"),
    (35, "NAPTR"),
    (43, "DS"),
    (46, "RRSIG"),
    (47, "NSEC"),
    (48, "DNSKEY"),
    (50, "NSEC3"),
    (51, "NSEC3PARAM"),
    (52, "TLSA"),
    (59, "CDS"),
    (60, "CDNSKEY"),
    (64, "SVCB"),
    (65, "HTTPS"),
    (251, "IXFR"),
    (252, "AXFR"),
    (255, "ANY"),
    (257, "CAA"),
    (0, "OTHER"),
];

/// Index of `OTHER` in [`QTYPES`].
const OTHER: usize = QTYPES.len() - 1;

/// RCODE names (RFC 1035, RFC 2136, RFC 6895 registry), by the four header bits.
pub const RCODES: [&str; 16] = [
    "NOERROR",
    "FORMERR",
    "SERVFAIL",
    "NXDOMAIN",
    "NOTIMP",
    "REFUSED",
    "YXDOMAIN",
    "YXRRSET",
    "NXRRSET",
    "NOTAUTH",
    "NOTZONE",
    "DSOTYPENI",
    "RCODE12",
    "RCODE13",
    "RCODE14",
    "RCODE15",
];

/// Upper bounds (octets) of the response size buckets; the last bucket is everything larger.
pub const SIZE_BOUNDS: [u64; 10] = [64, 128, 256, 512, 1232, 1500, 4096, 8192, 16384, 65535];

/// The transports, in counter order.
pub const TRANSPORTS: [(Transport, &str); 2] = [(Transport::Udp, "udp"), (Transport::Tcp, "tcp")];

/// One thread's counters.
#[repr(align(64))]
struct Shard {
    /// [transport][qtype][rcode].
    queries: [[[AtomicU64; 16]; QTYPES.len()]; 2],
    /// [transport][size bucket] (the last: over the largest bound).
    sizes: [[AtomicU64; SIZE_BOUNDS.len() + 1]; 2],
    /// [transport] sum of response octets.
    size_sum: [AtomicU64; 2],
    /// [transport] answers with TC set.
    truncated: [AtomicU64; 2],
    /// [transport] packets answered with nothing.
    dropped: [AtomicU64; 2],
}

impl Shard {
    /// All zero.
    const fn new() -> Self {
        Self {
            queries: [const { [const { [const { AtomicU64::new(0) }; 16] }; QTYPES.len()] }; 2],
            sizes: [const { [const { AtomicU64::new(0) }; SIZE_BOUNDS.len() + 1] }; 2],
            size_sum: [const { AtomicU64::new(0) }; 2],
            truncated: [const { AtomicU64::new(0) }; 2],
            dropped: [const { AtomicU64::new(0) }; 2],
        }
    }
}

/// Every thread's shard.
static COUNTERS: [Shard; SHARDS] = [const { Shard::new() }; SHARDS];

/// Whether the query path counts (set once `[server] metrics` is served).
static ENABLED: AtomicBool = AtomicBool::new(false);

/// The next shard handed to a thread.
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's shard.
    static SHARD: usize = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
}

/// Starts counting on the query path (it counts nothing until then: metrics off costs one
/// relaxed load per query).
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Whether the query path counts.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Counts one answered query: `query` as received, `reply` as it will be sent.
pub fn count_reply(transport: Transport, query: &[u8], reply: &[u8]) {
    let t = transport_index(transport);
    let qtype = qtype_index(query);
    let (rcode, truncated) = match reply {
        [_, _, flags, rc, ..] => (usize::from(rc & 0x0f), flags & 0x02 != 0),
        _ => (0, false),
    };
    let len = reply.len() as u64;
    let bucket = SIZE_BOUNDS
        .iter()
        .position(|&b| len <= b)
        .unwrap_or(SIZE_BOUNDS.len());
    SHARD.with(|&i| {
        let s = &COUNTERS[i];
        s.queries[t][qtype][rcode].fetch_add(1, Ordering::Relaxed);
        s.sizes[t][bucket].fetch_add(1, Ordering::Relaxed);
        s.size_sum[t].fetch_add(len, Ordering::Relaxed);
        if truncated {
            s.truncated[t].fetch_add(1, Ordering::Relaxed);
        }
    });
}

/// Counts one packet that got no answer (a response, garbage, a truncated datagram).
pub fn count_dropped(transport: Transport) {
    let t = transport_index(transport);
    SHARD.with(|&i| COUNTERS[i].dropped[t].fetch_add(1, Ordering::Relaxed));
}

/// The counter index of `transport`.
fn transport_index(transport: Transport) -> usize {
    match transport {
        Transport::Udp => 0,
        Transport::Tcp => 1,
    }
}

/// The [`QTYPES`] index of the question's type (`OTHER` when there is no question): a
/// `match`, which compiles to a table lookup, on the query path.
fn qtype_index(query: &[u8]) -> usize {
    let Some(q) = crate::net::question(query) else {
        return OTHER;
    };
    let qtype = u16::from_be_bytes([q[q.len() - 4], q[q.len() - 3]]);
    match qtype {
        1 => 0,
        2 => 1,
        5 => 2,
        6 => 3,
        12 => 4,
        15 => 5,
        16 => 6,
        28 => 7,
        33 => 8,
        35 => 9,
        43 => 10,
        46 => 11,
        47 => 12,
        48 => 13,
        50 => 14,
        51 => 15,
        52 => 16,
        59 => 17,
        60 => 18,
        64 => 19,
        65 => 20,
        251 => 21,
        252 => 22,
        255 => 23,
        257 => 24,
        _ => OTHER,
    }
}

//------------ Totals --------------------------------------------------------

/// The shards summed, for a scrape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Totals {
    /// [transport][qtype][rcode].
    pub queries: [[[u64; 16]; QTYPES.len()]; 2],
    /// [transport][size bucket], not cumulative.
    pub sizes: [[u64; SIZE_BOUNDS.len() + 1]; 2],
    /// [transport] response octets.
    pub size_sum: [u64; 2],
    /// [transport] truncated answers.
    pub truncated: [u64; 2],
    /// [transport] packets answered with nothing.
    pub dropped: [u64; 2],
}

/// Sums every shard.
pub fn totals() -> Totals {
    let mut t = Totals {
        queries: [[[0; 16]; QTYPES.len()]; 2],
        sizes: [[0; SIZE_BOUNDS.len() + 1]; 2],
        size_sum: [0; 2],
        truncated: [0; 2],
        dropped: [0; 2],
    };
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    for s in &COUNTERS {
        for tr in 0..2 {
            for q in 0..QTYPES.len() {
                for r in 0..16 {
                    t.queries[tr][q][r] += get(&s.queries[tr][q][r]);
                }
            }
            for b in 0..=SIZE_BOUNDS.len() {
                t.sizes[tr][b] += get(&s.sizes[tr][b]);
            }
            t.size_sum[tr] += get(&s.size_sum[tr]);
            t.truncated[tr] += get(&s.truncated[tr]);
            t.dropped[tr] += get(&s.dropped[tr]);
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(qtype: u16) -> Vec<u8> {
        let mut q = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(b"\x07example\x03com\x00");
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&[0, 1]);
        q
    }

    #[test]
    fn the_qtype_table_and_the_match_agree() {
        for (i, &(qtype, _)) in QTYPES[..OTHER].iter().enumerate() {
            assert_eq!(qtype_index(&query(qtype)), i, "{qtype}");
        }
        assert_eq!(qtype_index(&query(99)), OTHER);
        assert_eq!(qtype_index(&[0; 5]), OTHER);
    }

    #[test]
    fn counts_from_every_thread_are_summed_by_type_rcode_and_size() {
        let before = totals();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    let mut reply = query(52);
                    reply[2] = 0x86; // QR AA TC
                    reply[3] = 3; // NXDOMAIN
                    for _ in 0..100 {
                        count_reply(Transport::Tcp, &query(52), &reply);
                    }
                    count_reply(Transport::Udp, &query(4242), &[0, 0, 0x80, 5]);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let after = totals();
        let tlsa = QTYPES.iter().position(|&(t, _)| t == 52).unwrap();
        assert_eq!(after.queries[1][tlsa][3] - before.queries[1][tlsa][3], 400);
        assert_eq!(after.queries[0][OTHER][5] - before.queries[0][OTHER][5], 4);
        assert_eq!(after.truncated[1] - before.truncated[1], 400);
        // A 29-octet reply falls in the first bucket (<= 64).
        assert_eq!(query(52).len(), 29);
        assert_eq!(after.sizes[1][0] - before.sizes[1][0], 400);
        assert_eq!(after.size_sum[1] - before.size_sum[1], 400 * 29);
    }
}
