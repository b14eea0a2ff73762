//! The zone back out of a snapshot: the RRsets it serves, with their owners.
//!
//! The snapshot is the one copy of a zone that a server keeps at rest (a [`Zone`] of parsed
//! names beside it would more than double the memory). Whatever needs records rather than
//! answers reads them from here: a transfer streams [`ZoneSnapshot::rrsets`], and a change
//! rebuilds the editable zone with [`ZoneSnapshot::to_zone`]. Owner names come back
//! lowercase, the form the snapshot stores (RFC 4343: DNS names compare without case);
//! everything else comes back as it went in.

use hickory_proto::serialize::binary::BinDecodable;

use super::node::RrsetWire;
use super::version::{Denial, ZoneSnapshot};
use super::wire::{name_key, rdatas};
use crate::record::{Class, Name, Rdata, Rtype, Ttl};
use crate::zone::{Rrset, Zone};

impl ZoneSnapshot {
    /// Every RRset served, each followed by the RRSIGs that cover it (an RRSIG RRset of the
    /// same TTL): the names in node order, then the NSEC3 chain in hash order.
    pub fn rrsets(&self) -> impl Iterator<Item = Rrset> + '_ {
        let names = self
            .nodes
            .iter()
            .filter(|(_, node)| !node.name.is_empty())
            .flat_map(|(_, node)| self.owner_sets(&node.name, &node.rrsets));
        let chain = match &self.denial {
            Denial::Nsec3 { chain, .. } => Some(chain.iter()),
            _ => None,
        };
        let nsec3 = chain
            .into_iter()
            .flatten()
            .filter(|e| !e.is_released())
            .flat_map(|e| {
                let mut buf = [0; 255];
                let owner = e.owner(&self.origin, &mut buf);
                self.owner_sets(owner, core::slice::from_ref(&e.rrset))
            });
        names.chain(nsec3)
    }

    /// The zone this snapshot serves, editable.
    pub fn to_zone(&self) -> Zone {
        let mut zone = Zone::new(self.origin_name(), Class::from(self.class));
        for set in self.rrsets() {
            insert_set(&mut zone, set);
        }
        zone
    }

    /// A zone holding only the RRsets (signatures included) at `names`: enough for a reader
    /// that looks at a few names, without rebuilding the whole zone.
    pub fn partial(&self, names: &[Name]) -> Zone {
        let mut zone = Zone::new(self.origin_name(), Class::from(self.class));
        for name in names {
            let key = name_key(name);
            let Some(id) = self.lookup(&key) else {
                continue;
            };
            for set in self
                .owner_sets(&key, &self.node(id).rrsets)
                .collect::<Vec<_>>()
            {
                insert_set(&mut zone, set);
            }
        }
        zone
    }

    /// The largest TTL of any RRset served.
    pub fn max_ttl(&self) -> u32 {
        let names = self.nodes.iter().flat_map(|(_, n)| n.rrsets.iter());
        let chain = match &self.denial {
            Denial::Nsec3 { chain, .. } => Some(chain.iter().map(|e| &e.rrset)),
            _ => None,
        };
        names
            .chain(chain.into_iter().flatten())
            .map(|set| set.ttl)
            .max()
            .unwrap_or(0)
    }

    /// The RRSIGs at `owner` covering `covered`, if any.
    pub fn rrsig(&self, owner: &Name, covered: Rtype) -> Option<Rrset> {
        let key = name_key(owner);
        let set = self.node(self.lookup(&key)?).rrset(u16::from(covered))?;
        if !set.has_sigs() {
            return None;
        }
        let sigs = set.sig_wire(&self.origin, self.class);
        Some(self.rrset_of(owner_of(&key)?, Rtype::RRSIG, set.ttl, &sigs))
    }

    /// The RRset of type `rtype` at `owner` (not RRSIG), if served.
    pub fn rrset(&self, owner: &Name, rtype: Rtype) -> Option<Rrset> {
        let key = name_key(owner);
        let node = self.node(self.lookup(&key)?);
        let set = node.rrset(u16::from(rtype))?;
        Some(self.data_set(owner_of(&key)?, set))
    }

    /// The origin as a name.
    pub fn origin_name(&self) -> Name {
        owner_of(&self.origin).unwrap_or_else(Name::root)
    }

    /// The RRsets at one owner and their signatures.
    fn owner_sets<'a>(
        &'a self,
        key: &[u8],
        sets: &'a [RrsetWire],
    ) -> impl Iterator<Item = Rrset> + use<'a> {
        let owner = owner_of(key);
        sets.iter()
            .flat_map(move |set| {
                let owner = owner.clone()?;
                let data = self.data_set(owner.clone(), set);
                let sigs = set.has_sigs().then(|| {
                    let wire = set.sig_wire(&self.origin, self.class);
                    self.rrset_of(owner, Rtype::RRSIG, set.ttl, &wire)
                });
                Some(core::iter::once(data).chain(sigs))
            })
            .flatten()
    }

    /// The data records of `set` as an RRset.
    fn data_set(&self, owner: Name, set: &RrsetWire) -> Rrset {
        self.rrset_of(owner, Rtype::from(set.rtype), set.ttl, set.wire())
    }

    /// An RRset from a wire blob (type, class, TTL, rdlength, rdata per record).
    fn rrset_of(&self, owner: Name, rtype: Rtype, ttl: u32, wire: &[u8]) -> Rrset {
        Rrset {
            owner,
            rtype,
            class: Class::from(self.class),
            ttl: Ttl(ttl),
            rdatas: rdatas(wire).map(|rd| Rdata(rd.into())).collect(),
        }
    }
}

/// Puts a whole RRset into `zone`.
fn insert_set(zone: &mut Zone, set: Rrset) {
    let covered = match set.rdatas.first() {
        Some(rd) => crate::zone::covered_type(set.rtype, rd.as_bytes()),
        None => 0,
    };
    zone.rrsets
        .insert((set.owner.clone(), u16::from(set.rtype), covered), set);
}

/// The name of a lowercase wire key.
fn owner_of(key: &[u8]) -> Option<Name> {
    Name::from_bytes(key).ok()
}
