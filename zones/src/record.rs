//! Resource records as daned keeps them: owner, type, class, TTL and uncompressed wire rdata.
//!
//! Record data is kept in wire form rather than as parsed structures because every consumer
//! wants bytes: the query path copies them into answers, the signer hashes their canonical form
//! (RFC 4034 section 6.2) and transfers send them as they are. Types that daned has never heard
//! of round-trip unchanged (RFC 3597).

use core::fmt;

pub use hickory_proto::rr::{DNSClass as Class, Name, RecordType as Rtype};

//------------ Ttl -----------------------------------------------------------

/// A time to live in seconds (RFC 2181 section 8: 0 ..= 2^31 - 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ttl(pub u32);

impl Ttl {
    /// The largest TTL RFC 2181 allows; larger values are treated as 0 by receivers.
    pub const MAX: Self = Self(0x7fff_ffff);

    /// The TTL as seconds.
    pub fn as_secs(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Ttl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

//------------ Rdata ---------------------------------------------------------

/// Record data in uncompressed wire form, exactly as it goes into RDATA.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rdata(pub Box<[u8]>);

impl Rdata {
    /// The wire bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Rdata {
    fn from(v: Vec<u8>) -> Self {
        Self(v.into_boxed_slice())
    }
}

impl fmt::Debug for Rdata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\\# {} ", self.0.len())?;
        for b in self.0.iter() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

//------------ Record --------------------------------------------------------

/// One resource record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Fully qualified owner name, case as written in the source.
    pub owner: Name,
    /// The record type; unknown types are `Rtype::Unknown(n)`.
    pub rtype: Rtype,
    /// The class (IN in practice).
    pub class: Class,
    /// Time to live.
    pub ttl: Ttl,
    /// Uncompressed wire rdata.
    pub rdata: Rdata,
}
