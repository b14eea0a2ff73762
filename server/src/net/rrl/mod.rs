//! Response rate limiting (RRL) on UDP, as BIND's `rate-limit`, Knot's `mod-rrl` and NSD's
//! `rrl-*` do it: an authoritative server's answers are larger than the queries, so a forged
//! source address turns it into an amplifier aimed at the owner of that address. Per source
//! prefix and response class ([`class`]), responses beyond `rate` a second are dropped, and
//! every `slip`-th of them is sent as a small truncated response (TC=1, AA kept, no records)
//! so that a real client behind the prefix retries over TCP, which is never limited.
//!
//! The accounts live in one lock-free [`table::Table`] shared by the UDP workers; deciding
//! allocates nothing. Limiting that starts is logged, at most one line per
//! [`WARN_INTERVAL`](crate::net::warn_limit::WARN_INTERVAL).

pub mod class;
pub mod table;

use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::time::Instant;

use ipnet::IpNet;
use zones::snapshot::Catalog;

use crate::answer::Facts;
use crate::net::warn_limit::RRL_STARTED;
use crate::net::wire_text::wire_name;
use class::{Class, Key};
use table::{Limits, Table, Verdict};

/// What is done with limited responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Slip or drop them.
    Limit,
    /// Answer them anyway and only log that limiting would start (to try settings out).
    LogOnly,
}

/// The checked `[server.rrl]` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Responses per second per source prefix and class.
    pub rate: u32,
    /// Every `slip`-th limited response is sent truncated, the others dropped; 0 drops all,
    /// 1 truncates all.
    pub slip: u32,
    /// Seconds a flooding source stays limited after it slows down (the debt it may run up).
    pub window: u32,
    /// IPv4 sources are grouped by this prefix length.
    pub ipv4_prefix: u8,
    /// IPv6 sources are grouped by this prefix length.
    pub ipv6_prefix: u8,
    /// Sources never limited.
    pub exempt: Vec<IpNet>,
    /// Limit or only log.
    pub mode: Mode,
}

/// What to do with one response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a limited response must be slipped or dropped"]
pub enum Decision {
    /// Send it.
    Answer,
    /// Send it truncated ([`slip`]).
    Slip,
    /// Send nothing.
    Drop,
}

/// The rate limiter of a server, shared by its UDP workers.
pub struct Rrl {
    /// Its settings.
    settings: Settings,
    /// The accounts.
    table: Table,
    /// Second 0 of the table's clock.
    epoch: Instant,
    /// The secret keys of the account hash (random per process).
    keys: [u64; 2],
}

/// A UDP worker's count of limited responses, which picks every `slip`-th for truncation.
#[derive(Debug, Default)]
pub struct SlipCounter(u32);

impl Rrl {
    /// A limiter with an empty table.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            table: Table::new(),
            epoch: Instant::now(),
            keys: {
                // std's per-process random hash keys, drawn from the OS: no extra crate.
                let random = RandomState::new();
                [random.hash_one(1u8), random.hash_one(2u8)]
            },
        }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Applies the limit to the response in `out` (as [`crate::answer::respond_with_facts`]
    /// wrote it with `facts`) for a client at `peer`: true to send `out` (rewritten to a
    /// truncated response for a slip), false to send nothing.
    pub fn apply(
        &self,
        peer: IpAddr,
        catalog: &Catalog,
        facts: &Facts,
        out: &mut Vec<u8>,
        slips: &mut SlipCounter,
    ) -> bool {
        let zone = facts.zone.and_then(|i| catalog.zones().get(i));
        let origin = zone.map(|z| &z.origin[..]);
        let wildcard = zone.zip(facts.wildcard).map(|(z, id)| &z.node(id).name[..]);
        let key = class::classify(out, origin, wildcard);
        match self.decide(peer, &key, Instant::now(), slips) {
            Decision::Answer => true,
            Decision::Slip => {
                slip(out);
                true
            }
            Decision::Drop => false,
        }
    }

    /// The decision for a response of `key` to `peer` at `now`.
    pub fn decide(
        &self,
        peer: IpAddr,
        key: &Key<'_>,
        now: Instant,
        slips: &mut SlipCounter,
    ) -> Decision {
        let peer = canonical_ip(peer);
        if self.settings.exempt.iter().any(|n| n.contains(&peer)) {
            return Decision::Answer;
        }
        let (prefix, prefix_bits) = self.prefix(peer);
        let second = now.saturating_duration_since(self.epoch).as_secs() as u32;
        let limits = Limits {
            rate: self.settings.rate,
            window: self.settings.window,
        };
        let verdict = self
            .table
            .debit(self.hash(prefix_bits, key), second, limits);
        let Verdict::Over { started } = verdict else {
            return Decision::Answer;
        };
        if started {
            self.log_start(prefix, key);
        }
        if self.settings.mode == Mode::LogOnly {
            return Decision::Answer;
        }
        match self.settings.slip {
            0 => Decision::Drop,
            n => {
                slips.0 = slips.0.wrapping_add(1);
                if slips.0 % n == 0 {
                    Decision::Slip
                } else {
                    Decision::Drop
                }
            }
        }
    }

    /// The source prefix of `peer` (the address with the host bits cleared), as an address
    /// and as the bits hashed (IPv4 marked apart from IPv6 by bit 32, which its 32 bits
    /// leave clear, while an IPv6 prefix keeps its own top bits).
    fn prefix(&self, peer: IpAddr) -> (IpAddr, u128) {
        match peer {
            IpAddr::V4(a) => {
                let len = u32::from(self.settings.ipv4_prefix.min(32));
                let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
                let net = u32::from(a) & mask;
                (IpAddr::V4(net.into()), u128::from(net) | (1 << 32))
            }
            IpAddr::V6(a) => {
                let len = u32::from(self.settings.ipv6_prefix.min(128));
                let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
                let net = u128::from(a) & mask;
                // An IPv6 prefix whose bits equal a marked IPv4 one would be ::1:a.b.c.d,
                // which is not a routable source: the sharing cannot be aimed at a victim.
                (IpAddr::V6(net.into()), net)
            }
        }
    }

    /// The account hash of `key` for the source prefix `bits`: a keyed multiply-fold hash
    /// (a few nanoseconds, where SipHash cost a measurable share of an answer), its keys
    /// secret, so that a flooder cannot aim accounts at one bucket. Names are hashed in
    /// lowercase, so that a flooder cannot open new accounts by changing their case.
    fn hash(&self, bits: u128, key: &Key<'_>) -> u64 {
        let [k0, k1] = self.keys;
        let mut h = fold(k0 ^ bits as u64, k1 ^ (bits >> 64) as u64);
        h = fold(
            h ^ (u64::from(key.class as u8) << 16 | u64::from(key.qtype)),
            k1,
        );
        let mut word = 0u64;
        for (i, &b) in key.name.iter().enumerate() {
            word |= u64::from(b.to_ascii_lowercase()) << (8 * (i % 8));
            if i % 8 == 7 {
                h = fold(h ^ word, k1 ^ 0x9e37_79b9_7f4a_7c15);
                word = 0;
            }
        }
        fold(h ^ word, k0 ^ key.name.len() as u64)
    }

    /// One line (rate-limited itself) when an account starts being limited.
    fn log_start(&self, prefix: IpAddr, key: &Key<'_>) {
        let Some(suppressed) = RRL_STARTED.allow_now() else {
            return;
        };
        let len = match prefix {
            IpAddr::V4(_) => self.settings.ipv4_prefix,
            IpAddr::V6(_) => self.settings.ipv6_prefix,
        };
        let name = match key.class {
            Class::Error => String::new(),
            _ => wire_name(key.name),
        };
        tracing::warn!(
            source = %format_args!("{prefix}/{len}"),
            class = %key.class.as_str(),
            name = %name,
            qtype = key.qtype,
            rate = self.settings.rate,
            log_only = self.settings.mode == Mode::LogOnly,
            suppressed,
            "response rate limiting started"
        );
    }
}

/// Rewrites the response in `out` to a slip: header and question only, TC set, AA and the
/// rcode kept, so that a real client retries over TCP (RFC 7766) and the attack's victim
/// receives no more octets than the query had.
pub fn slip(out: &mut Vec<u8>) {
    if out.len() < crate::net::HEADER_LEN {
        return;
    }
    let qlen = crate::net::question(out).map_or(0, <[u8]>::len);
    out.truncate(crate::net::HEADER_LEN + qlen);
    out[2] |= 0x02;
    out[4..12].copy_from_slice(&[0, u8::from(qlen > 0), 0, 0, 0, 0, 0, 0]);
}

/// The 128-bit product of `a` and `b`, its halves folded together (the mixing step of
/// wyhash and foldhash).
fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// An IPv4-mapped IPv6 address as IPv4 (a dual-stack socket's view of an IPv4 client).
fn canonical_ip(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests;
