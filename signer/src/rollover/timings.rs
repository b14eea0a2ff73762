//! The intervals a rollover waits (RFC 7583 sections 3.2 and 3.3), derived from the policy and
//! the zone, and the two ways of replacing a key signing key.

use crate::key::KeyRole;

/// How a key signing key is replaced (RFC 7583 section 3.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KskMethod {
    /// Double-KSK (section 3.3.2): the new key signs the DNSKEY RRset from publication, the
    /// old one until its DS has left caches. The method of Knot and BIND.
    #[default]
    DoubleKsk,
    /// Double-DS (section 3.3.3): both DS records are at the parent before the new key signs;
    /// the DNSKEY RRset is signed by one key at a time. The old key's DS is asked to stay
    /// (CDS) until the old signature has left caches.
    DoubleDs,
}

/// Every interval a rollover waits, in seconds, derived from the policy and the zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timings {
    /// TTL of the DNSKEY RRset (and CDS/CDNSKEY): `TTLkey`.
    pub dnskey_ttl: u64,
    /// Largest TTL of a signed RRset of the zone: `TTLsig`.
    pub max_zone_ttl: u64,
    /// Time for a change to reach every secondary: `Dprp`.
    pub propagation_delay: u64,
    /// TTL of the DS RRset at the parent: `TTLds`.
    pub parent_ds_ttl: u64,
    /// Time for a DS change to reach every parent nameserver: `DprpP`.
    pub parent_propagation_delay: u64,
    /// Added to every wait, against clocks and TTLs not being exactly what they say.
    pub safety_margin: u64,
    /// ZSK lifetime (also the CSK's); 0: never rolls by itself.
    pub zsk_lifetime: u64,
    /// KSK lifetime; 0: never rolls by itself.
    pub ksk_lifetime: u64,
    /// After this long without seeing a DS change at the parent, assume it happened (and log
    /// it); 0: wait for it however long it takes.
    pub ds_timeout: u64,
    /// After this long past a wait, advance even if a secondary does not serve the serial.
    pub secondary_timeout: u64,
    /// How KSKs (and the key-signing half of CSKs) are replaced.
    pub ksk_method: KskMethod,
}

impl Timings {
    /// `Ipub` (RFC 7583 sections 3.2.1 and 3.3.2): how long a new DNSKEY must be published
    /// before it is used (ZSK) or announced to the parent (KSK, CSK).
    pub fn publish_interval(&self) -> u64 {
        self.propagation_delay + self.dnskey_ttl + self.safety_margin
    }

    /// `Iret` for zone signatures (RFC 7583 section 3.2.1, with `Dsgn = 0`): how long a ZSK
    /// stays published after it stopped signing.
    pub fn retire_interval(&self) -> u64 {
        self.propagation_delay + self.max_zone_ttl + self.safety_margin
    }

    /// How long after a DS change is seen at the parent it may still be in caches:
    /// `DprpP + TTLds` (RFC 7583 section 3.3.2).
    pub fn ds_interval(&self) -> u64 {
        self.parent_propagation_delay + self.parent_ds_ttl + self.safety_margin
    }

    /// The lifetime of a key of `role`.
    pub fn lifetime(&self, role: KeyRole) -> u64 {
        match role {
            KeyRole::Ksk => self.ksk_lifetime,
            KeyRole::Zsk | KeyRole::Csk => self.zsk_lifetime,
        }
    }

    /// The shortest time a complete rollover of a `role` key takes (the parent being
    /// immediate): a key lifetime shorter than this would start the next rollover before the
    /// last one ended.
    pub fn rollover_duration(&self, role: KeyRole) -> u64 {
        let old_ds = match self.ksk_method {
            KskMethod::DoubleKsk => self.ds_interval(),
            KskMethod::DoubleDs => self.publish_interval(),
        };
        match role {
            KeyRole::Zsk => self.publish_interval() + self.retire_interval(),
            KeyRole::Ksk => self.publish_interval() + self.ds_interval() + old_ds,
            KeyRole::Csk => {
                self.publish_interval() + self.ds_interval() + old_ds.max(self.retire_interval())
            }
        }
    }
}
