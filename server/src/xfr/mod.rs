//! Zone transfers: AXFR out ([`axfr`], RFC 5936).

pub mod axfr;
