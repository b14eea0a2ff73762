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

use std::hash::{BuildHasher, Hasher, RandomState};
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
    /// The keyed hash of account keys (secret per process).
    hasher: RandomState,
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
            hasher: RandomState::new(),
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
        let prefix = self.prefix(peer);
        let second = now.saturating_duration_since(self.epoch).as_secs() as u32;
        let limits = Limits {
            rate: self.settings.rate,
            window: self.settings.window,
        };
        let verdict = self.table.debit(self.hash(prefix, key), second, limits);
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

    /// The source prefix of `peer` (the address with the host bits cleared).
    fn prefix(&self, peer: IpAddr) -> IpAddr {
        let len = match peer {
            IpAddr::V4(_) => self.settings.ipv4_prefix,
            IpAddr::V6(_) => self.settings.ipv6_prefix,
        };
        IpNet::new(peer, len).map_or(peer, |n| n.network())
    }

    /// The account hash of `key` for `prefix`; names are hashed in lowercase, so that a
    /// flooder cannot open new accounts by changing the case of the query name.
    fn hash(&self, prefix: IpAddr, key: &Key<'_>) -> u64 {
        let mut h = self.hasher.build_hasher();
        match prefix {
            IpAddr::V4(a) => h.write(&a.octets()),
            IpAddr::V6(a) => h.write(&a.octets()),
        }
        h.write_u8(key.class as u8);
        h.write_u16(key.qtype);
        let mut lower = [0u8; 255];
        let n = key.name.len().min(lower.len());
        for (l, &b) in lower.iter_mut().zip(&key.name[..n]) {
            *l = b.to_ascii_lowercase();
        }
        h.write(&lower[..n]);
        h.finish()
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

/// An IPv4-mapped IPv6 address as IPv4 (a dual-stack socket's view of an IPv4 client).
fn canonical_ip(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests;
