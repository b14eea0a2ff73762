//! What `daned tlsa status` and `daned tlsa ready` show, computed by the zone's TLSA manager
//! from its state and the version served (or saved): the one source of the TLSA status.

use zones::{Name, Ttl, Zone};

use super::manager::TlsaManager;
use super::publish::{self, TlsaBinding};
use super::state;
use crate::dane::{derive, file};

//------------ NameStatus -----------------------------------------------------

/// Where one managed TLSA name stands: what is published, what each record is and when it
/// is ready, what the probe saw.
#[derive(Clone, Debug)]
pub struct NameStatus {
    /// The owner name.
    pub name: Name,
    /// The binding's TLSA TTL.
    pub ttl: Ttl,
    /// The published records, in the order the saved zone holds them.
    pub records: Vec<RecordStatus>,
    /// Why the binding's files cannot be used (the published records are then kept).
    pub files_error: Option<String>,
    /// The next key's record: `None` when no `next_key` is configured or it cannot be read.
    pub next_key: Option<NextKeyStatus>,
    /// The binding's `probe` address and its last probe, if any.
    pub probe: Option<(String, Option<ProbeStatus>)>,
    /// The earliest notAfter of the binding's certificates (seconds since the epoch), when
    /// they can be read.
    pub cert_not_after: Option<i64>,
}

/// One published TLSA record.
#[derive(Clone, Debug)]
pub struct RecordStatus {
    /// Its rdata.
    pub rdata: Vec<u8>,
    /// What it is.
    pub role: RecordRole,
    /// When it was first published and when it is ready (seconds since the epoch), if known.
    pub published: Option<(u64, u64)>,
    /// When a retiring record may be removed from.
    pub retiring_from: Option<u64>,
    /// Until when senders may defer mail with 5.7.323 after an unsafe rollover to this key.
    pub unsafe_until: Option<u64>,
}

/// What a published record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordRole {
    /// The current certificate's, which is also the next key.
    CurrentAndNext,
    /// The current certificate's.
    Current,
    /// The next key's.
    Next,
    /// Not in the files, kept because the files cannot be used.
    KeptWhileFilesUnusable,
    /// No longer in the files.
    Retiring,
}

impl RecordRole {
    /// How `daned tlsa status` describes it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::CurrentAndNext => {
                "current certificate, also next_key (stage the following next key)"
            }
            Self::Current => "current certificate",
            Self::Next => "next key",
            Self::KeptWhileFilesUnusable => "kept while the files are unusable",
            Self::Retiring => "no longer in the files (retiring)",
        }
    }
}

/// The next key's record.
#[derive(Clone, Debug)]
pub enum NextKeyStatus {
    /// Not published (or its first publication is not known).
    NotPublished,
    /// Published; ready at this time (seconds since the epoch).
    Published {
        /// When it is ready.
        ready_at: u64,
    },
}

/// The last probe of a binding's MTA.
#[derive(Clone, Debug)]
pub struct ProbeStatus {
    /// When (seconds since the epoch).
    pub at: u64,
    /// The `3 1 1` rdata of the key presented and whether a published record matches it, or
    /// why the probe failed.
    pub outcome: Result<(Vec<u8>, bool), String>,
}

//------------ status ---------------------------------------------------------

impl TlsaManager {
    /// Where every managed name of the zone stands against `served` (the version served, or
    /// the saved one when asked from outside the daemon), in configuration order.
    pub fn status(&self, served: Option<&Zone>) -> Vec<NameStatus> {
        let mut out = Vec::new();
        let tlsa_state = self.state();
        let first_seen = &tlsa_state.first_seen;
        let propagation = self.propagation();
        for binding in self.bindings() {
            let derived_next = binding
                .next_key
                .as_ref()
                .and_then(|p| file::read(p).ok())
                .and_then(|b| derive::public_key_info(&b).ok())
                .and_then(|spki| {
                    derive::tlsa_rdata_for_spki(
                        &spki,
                        derive::Usage::DANE_EE,
                        derive::Matching::SHA256,
                    )
                    .ok()
                });
            let current = publish::derive_records(&TlsaBinding {
                next_key: None,
                ..binding.clone()
            })
            .unwrap_or_default();
            let derived = publish::derive_records(binding);
            let files_error = derived.as_ref().err().map(|e| match publish::not_issued_yet(binding) {
                Some(path) => format!(
                    "not issued yet: {} does not exist; the record is published when it appears",
                    path.display()
                ),
                None => e.to_string(),
            });
            let cert_not_after = cert_not_after(binding);
            let derived = derived.unwrap_or_default();
            for name in &binding.names {
                let published = served
                    .map(|z| publish::published(z, name))
                    .unwrap_or_default();
                let key = |rdata: &[u8]| (name.to_lowercase().to_string(), state::hex(rdata));
                let when = |rdata: &[u8]| first_seen.get(&key(rdata)).copied();
                let next_key = derived_next.as_ref().map(|next| {
                    match published.contains(next).then(|| when(next)).flatten() {
                        Some(first) => NextKeyStatus::Published {
                            ready_at: state::ready_at(first, binding, propagation),
                        },
                        None => NextKeyStatus::NotPublished,
                    }
                });
                let records = published
                    .iter()
                    .map(|rdata| {
                        let is_next = derived_next.as_ref() == Some(rdata);
                        let role = match (current.contains(rdata), is_next) {
                            (true, true) => RecordRole::CurrentAndNext,
                            (true, false) => RecordRole::Current,
                            (false, true) => RecordRole::Next,
                            (false, false) if derived.contains(rdata) => RecordRole::Current,
                            (false, false) if files_error.is_some() => {
                                RecordRole::KeptWhileFilesUnusable
                            }
                            (false, false) => RecordRole::Retiring,
                        };
                        RecordStatus {
                            rdata: rdata.clone(),
                            role,
                            published: when(rdata)
                                .map(|first| (first, state::ready_at(first, binding, propagation))),
                            retiring_from: tlsa_state.retiring.get(&key(rdata)).copied(),
                            unsafe_until: tlsa_state.unsafe_until.get(&key(rdata)).copied(),
                        }
                    })
                    .collect();
                let probe = binding.probe.as_ref().map(|addr| {
                    let seen = tlsa_state.probes.get(addr).map(|seen| ProbeStatus {
                        at: seen.at,
                        outcome: match &seen.outcome {
                            Ok(p) => Ok((
                                p.leaf_key(),
                                p.verify(&published, &name.to_string(), seen.at).is_match(),
                            )),
                            Err(e) => Err(e.clone()),
                        },
                    });
                    (addr.clone(), seen)
                });
                out.push(NameStatus {
                    name: name.clone(),
                    ttl: binding.ttl,
                    records,
                    files_error: files_error.clone(),
                    next_key,
                    probe,
                    cert_not_after,
                });
            }
        }
        out
    }
}

/// The earliest notAfter among the leaf certificates of `binding` (unreadable files skipped).
fn cert_not_after(binding: &TlsaBinding) -> Option<i64> {
    binding
        .certs
        .iter()
        .filter_map(|path| file::read(path).ok())
        .filter_map(|bytes| derive::certificates(&bytes).ok())
        .filter_map(|chain| chain.first().and_then(|c| derive::not_after(c).ok()))
        .min()
}
